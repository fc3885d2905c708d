package capability_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/internal/capability"
)

// doc decodes a JSON document as the invoker does.
func doc(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMappingsSelectWithJSONPath(t *testing.T) {
	history := `{"items": [{"id": "a", "title": "One"}, {"id": "b", "title": "Two"}], "pagination": {"page": 1, "limit": 10, "pages_total": 3}, "none": null}`
	tests := []struct {
		name        string
		mapping     *capability.Mapping
		document    string
		want        string // JSON of the value
		wantPresent bool
	}{
		{"$ is the whole document", &capability.Mapping{Type: "object", Path: "$"}, history, `{"items":[{"id":"a","title":"One"},{"id":"b","title":"Two"}],"none":null,"pagination":{"limit":10,"page":1,"pages_total":3}}`, true},
		{"$. is the whole document, as in the format", &capability.Mapping{Type: "array", Path: "$."}, `[1,2]`, `[1,2]`, true},
		{"a singular query gives its node", &capability.Mapping{Type: "integer", Path: "$.pagination.pages_total"}, history, `3`, true},
		{"a singular query of an absent member gives nothing", &capability.Mapping{Type: "string", Path: "$.pagination.next"}, history, `null`, false},
		{"a singular query of a null member gives a present null", &capability.Mapping{Type: "string", Path: "$.none"}, history, `null`, true},
		{"an index is singular", &capability.Mapping{Type: "string", Path: "$.items[1].title"}, history, `"Two"`, true},
		{"a wildcard gives the list of its nodes", &capability.Mapping{Type: "array", Path: "$.items[*].id"}, history, `["a","b"]`, true},
		{"a wildcard that selects nothing gives an empty list", &capability.Mapping{Type: "array", Path: "$.missing[*]"}, history, `[]`, true},
		{"an object mapping builds its properties from the selected object", &capability.Mapping{Type: "object", Path: "$.pagination", Properties: []*capability.Property{
			{Name: "page", Mapping: &capability.Mapping{Type: "integer", Path: "$.page"}},
			{Name: "pages", Mapping: &capability.Mapping{Type: "integer", Path: "$.pages_total"}},
			{Name: "absent", Mapping: &capability.Mapping{Type: "string", Path: "$.nope"}},
		}}, history, `{"page":1,"pages":3}`, true},
		{"an array mapping maps each element with its items", &capability.Mapping{Type: "array", Path: "$.items", Items: &capability.Mapping{Type: "string", Path: "$.title"}}, history, `["One","Two"]`, true},
		{"an object without properties passes the object through", &capability.Mapping{Type: "object", Path: "$.pagination"}, history, `{"limit":10,"page":1,"pages_total":3}`, true},
		{"an object mapping of an array gives null, not the array", &capability.Mapping{Type: "object", Path: "$.items"}, history, `null`, true},
		{"an array mapping of an object gives null, not the object", &capability.Mapping{Type: "array", Path: "$"}, history, `null`, true},
		{"a const is its value whatever the document", &capability.Mapping{Type: "string", Const: "fixed", HasConst: true}, `{}`, `"fixed"`, true},
		{"a query that does not parse selects nothing", &capability.Mapping{Type: "string", Path: "$[?"}, history, `null`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, present := tt.mapping.Apply(doc(t, tt.document))
			got, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want || present != tt.wantPresent {
				t.Errorf("Apply = %s (present %v), want %s (present %v)", got, present, tt.want, tt.wantPresent)
			}
		})
	}
}

func TestFirstTakesTheFirstMappingThatGivesAValue(t *testing.T) {
	d := doc(t, `{"a": null, "b": "B", "c": "C"}`)
	tests := []struct {
		name     string
		mappings []*capability.Mapping
		want     string
	}{
		{"a null value is passed over", []*capability.Mapping{{Type: "string", Path: "$.a"}, {Type: "string", Path: "$.b"}}, "B true"},
		{"an absent value is passed over", []*capability.Mapping{{Type: "string", Path: "$.x"}, {Type: "string", Path: "$.c"}}, "C true"},
		{"the first value wins", []*capability.Mapping{{Type: "string", Path: "$.c"}, {Type: "string", Path: "$.b"}}, "C true"},
		{"nothing gives a value, so the raw body is the answer", []*capability.Mapping{{Type: "string", Path: "$.a"}, {Type: "string", Path: "$.x"}}, "<nil> false"},
		{"no mappings at all give no value", nil, "<nil> false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok := capability.First(tt.mappings, d)
			if got := fmt.Sprint(v, " ", ok); got != tt.want {
				t.Errorf("First = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestTemplatesRenderOnlyNamePlaceholders(t *testing.T) {
	values := map[string]string{"id": "42", "tools.title": "Live"}
	lookup := func(n string) (string, bool) { v, ok := values[n]; return v, ok }
	tests := []struct {
		name, template, want, wantErr string
	}{
		{"placeholders are filled", "/user/channel/{{id}}", "/user/channel/42", ""},
		{"dotted names are filled", "{{ tools.title }}!", "Live!", ""},
		{"an unknown name renders empty, as in Mustache", "a{{nope}}b", "ab", ""},
		{"text without placeholders is itself", "plain", "plain", ""},
		{"an unclosed placeholder is an error", "{{id", "", "a {{ placeholder is not closed"},
		{"a section is refused", "{{#id}}x{{/id}}", "", "only {{name}} placeholders are supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := capability.Render(tt.template, lookup)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Render = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	names, err := capability.TemplateNames("{{a}}/{{b}}/{{a}}")
	if err != nil || fmt.Sprint(names) != "[a b]" {
		t.Errorf("TemplateNames = %v, %v; want [a b]", names, err)
	}
}
