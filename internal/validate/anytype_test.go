package validate_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/internal/validate"
)

// anyTypeSpec is a description with one JSON body, with or without the root extension that takes
// a JSON body whatever its Content-Type.
func anyTypeSpec(extension bool) string {
	ext := ""
	if extension {
		ext = "x-json-body-any-content-type: true\n"
	}
	return `openapi: 3.0.3
info: {title: t, version: "1"}
` + ext + `paths:
  /advance:
    post:
      operationId: advance
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [seconds]
              properties:
                seconds: {type: integer}
      responses:
        "200": {description: ok}
`
}

func TestAJSONBodyIsReadAsJSONWhateverItsContentTypeOnlyWhereTheSpecSaysSo(t *testing.T) {
	tests := []struct {
		name        string
		extension   bool
		contentType string
		body        string
		wantRule    validate.Rule // "" for no violation
		wantMedia   string
	}{
		{"JSON under curl -d's form type", true, "application/x-www-form-urlencoded", `{"seconds":1}`, "", "application/json"},
		{"JSON under text/plain", true, "text/plain", `{"seconds":1}`, "", "application/json"},
		{"JSON without a Content-Type", true, "", `{"seconds":1}`, "", "application/json"},
		{"JSON under another type is still checked against the schema", true, "text/plain", `{"seconds":"x"}`, validate.RuleType, "application/json"},
		{"a body that is not JSON still needs a documented type", true, "application/x-www-form-urlencoded", `seconds=1`, validate.RuleContentType, ""},
		{"without the extension JSON under a form type is refused", false, "application/x-www-form-urlencoded", `{"seconds":1}`, validate.RuleContentType, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := validate.LoadData([]byte(anyTypeSpec(tt.extension)))
			if err != nil {
				t.Fatal(err)
			}
			op, ok := spec.Operation("advance")
			if !ok {
				t.Fatal("no operation")
			}
			r := httptest.NewRequest(http.MethodPost, "/advance", strings.NewReader(tt.body))
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			vs := spec.CheckRequest(nil, op, nil, r, []byte(tt.body), validate.CheckOptions{})
			var got validate.Rule
			if len(vs) > 0 {
				got = vs[0].Rule
			}
			if got != tt.wantRule {
				t.Fatalf("violations %v, want rule %q", vs, tt.wantRule)
			}
			if media := op.RequestMediaType(tt.contentType, []byte(tt.body)); media != tt.wantMedia {
				t.Fatalf("read as %q, want %q", media, tt.wantMedia)
			}
		})
	}
}
