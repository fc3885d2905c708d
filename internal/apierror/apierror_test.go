package apierror

import "testing"

func TestInvalidParamsIsNamedByWhereTheInputIs(t *testing.T) {
	for _, tc := range []struct{ in, name, message string }{
		{"path", NameInvalidPathParams, `Invalid path params: "id" must be an integer`},
		{"query", NameInvalidQueryParams, `Invalid query params: "id" must be an integer`},
		{"header", NameInvalidHeaderParams, `Invalid header params: "id" must be an integer`},
		{"body", NameInvalidBodyParams, `Invalid body params: "id" must be an integer`},
		{"", NameInvalidBodyParams, `Invalid body params: "id" must be an integer`},
	} {
		e := InvalidParams(tc.in, `"id" must be an integer`)
		if e.Status != 400 || e.Name != tc.name || e.Message != tc.message {
			t.Errorf("InvalidParams(%q) = %d %s %q, want 400 %s %q", tc.in, e.Status, e.Name, e.Message, tc.name, tc.message)
		}
	}
}
