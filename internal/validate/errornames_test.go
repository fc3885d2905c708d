package validate

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/openapi"
)

// errorNamesSpec is an operation whose 404 is a shared component with names of its own, plus the
// operation's x-error-names for the same status.
const errorNamesSpec = `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /things/{id}:
    get:
      operationId: getThing
      x-error-names: {"404": [thing_not_found]%s}
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "200": {description: ok}
        "404": {$ref: "#/components/responses/NotFound"}
        "5XX": {description: failed, x-error-names: %s}
components:
  responses:
    NotFound: {description: gone, x-error-names: [gone, thing_not_found]}
`

func TestErrorNamesAreTheResponsesAndTheOperationsTogether(t *testing.T) {
	s, err := LoadData([]byte(strings.Replace(strings.Replace(errorNamesSpec, "%s", "", 1), "%s", "[internal_server_error]", 1)))
	if err != nil {
		t.Fatal(err)
	}
	op, _ := s.Operation("getThing")
	for _, tc := range []struct {
		status int
		want   []string
	}{
		{404, []string{"gone", "thing_not_found"}},
		{503, []string{"internal_server_error"}},
		{200, nil},
		{418, nil},
	} {
		if got := op.ErrorNames(tc.status); !slices.Equal(got, tc.want) {
			t.Errorf("ErrorNames(%d) = %v, want %v", tc.status, got, tc.want)
		}
	}
}

func TestMalformedErrorNamesAreRefusedWhenTheSpecLoads(t *testing.T) {
	for _, tc := range []struct{ name, opExtra, respNames, want string }{
		{"a name list that is not a list", "", "internal_server_error", "must be a list"},
		{"a name that is not a string", "", "[1]", "not a name"},
		{"names for a status the operation does not document", `, "409": [busy]`, "[x]", "does not document"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.Replace(strings.Replace(errorNamesSpec, "%s", tc.opExtra, 1), "%s", tc.respNames, 1)
			if _, err := LoadData([]byte(doc)); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("loading: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// TestAnErrorNameTheListLacksIsNoViolation keeps the lists documentation: the real API may send a
// name restreamkit never saw, and the proxy, which checks answers with CheckResponse, must not
// flag it (a false alarm in front of the real API is a bug).
func TestAnErrorNameTheListLacksIsNoViolation(t *testing.T) {
	s, err := Load(openapi.FS, openapi.RestreamSpec)
	if err != nil {
		t.Fatal(err)
	}
	op, ok := s.Operation("getChannel")
	if !ok {
		t.Fatal("no getChannel")
	}
	if slices.Contains(op.ErrorNames(404), "channel_gone_elsewhere") || !slices.Contains(op.ErrorNames(404), "channel_not_found") {
		t.Fatalf("getChannel's 404 lists %v", op.ErrorNames(404))
	}
	body := []byte(`{"error":{"statusCode":404,"status":404,"code":404,"message":"Gone","name":"channel_gone_elsewhere"}}`)
	h := http.Header{"Content-Type": {"application/json"}}
	if vs := s.CheckResponse(nil, op, 404, h, body); len(vs) != 0 {
		t.Fatalf("an unlisted name was reported: %v", vs)
	}
}
