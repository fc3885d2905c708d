package validate_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/restreamkit/restreamkit/internal/validate"
)

func TestReadParamReturnsTheValueItChecked(t *testing.T) {
	compile := func(schema string) *validate.Schema {
		t.Helper()
		c, err := validate.CompileDocuments(validate.OpenAPI30, map[string][]byte{"s.json": []byte(schema)}, "s.json")
		if err != nil {
			t.Fatal(err)
		}
		return c["s.json"]
	}
	for _, tc := range []struct {
		name, schema, text string
		want               any
		violates           bool
	}{
		{"an integer in canonical form", `{"type":"integer"}`, "+007", json.Number("7"), false},
		{"a negative integer", `{"type":"integer"}`, "-12", json.Number("-12"), false},
		{"an integer past 64 bits is not read", `{"type":"integer"}`, "99999999999999999999", nil, true},
		{"a fraction is no integer", `{"type":"integer"}`, "1.5", nil, true},
		{"a double in its shortest form", `{"type":"number","format":"double"}`, "0.10", json.Number("0.1"), false},
		{"a float read as 32 bits", `{"type":"number","format":"float"}`, "0.1", json.Number("0.1"), false},
		{"a boolean in another spelling", `{"type":"boolean"}`, "TRUE", true, false},
		{"a boolean that is not one", `{"type":"boolean"}`, "yes", nil, true},
		{"a string stays as sent", `{"type":"string"}`, "007", "007", false},
		{"no type reads a string", `{}`, "x", "x", false},
		{"a value that breaks a bound is returned with the violation", `{"type":"integer","maximum":10}`, "11", json.Number("11"), true},
		{"a value outside an enum", `{"type":"string","enum":["a","b"]}`, "c", "c", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, vs := compile(tc.schema).ReadParam(nil, validate.InQuery, "p", tc.text)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("value %#v, want %#v", got, tc.want)
			}
			if (len(vs) > 0) != tc.violates {
				t.Fatalf("violations %v, want some: %v", vs, tc.violates)
			}
			if len(vs) > 0 && (vs[0].In != validate.InQuery || vs[0].Name != "p") {
				t.Fatalf("the violation does not name the parameter: %+v", vs[0])
			}
		})
	}
}
