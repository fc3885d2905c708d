package upstream_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"testing"

	"github.com/restreamkit/restreamkit/internal/capability"
	"github.com/restreamkit/restreamkit/internal/gateway/upstream"
)

// decodedAndMapped is what the invoker answers by decoding: the mock's body decoded (numbers
// exact), mapped with outputs, encoded as encoding/json writes it without HTML escaping.
func decodedAndMapped(t *testing.T, body []byte, outputs []*capability.Mapping) (value any, encoded []byte) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("the mock's answer is not JSON: %q", body)
	}
	v, ok := capability.First(outputs, doc)
	if !ok {
		t.Fatalf("no output mapping gives a value for %q", body)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return v, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func TestAnswersComeBackAsDecodingMappingAndEncodingThemWouldGive(t *testing.T) {
	rs, c, _, token := mockClient(t, upstream.Options{})
	a := api(t, token)
	id := firstChannel(t, rs, token)
	whole := func(typ string) *capability.Mapping { return &capability.Mapping{Type: typ, Path: "$"} }
	for _, tc := range []struct {
		name   string
		call   *capability.Call
		args   map[string]any
		direct string // the mock's path under /v2
	}{
		{"a whole array (the mock escapes & as \\u0026, which the gateway writes as &)",
			bind("rest GET /v1/channels", op(t, a, "listChannels", "/user/channel/all"), whole("array")),
			nil, "/user/channel/all"},
		{"a whole object", getChannel(t, a, whole("object")),
			map[string]any{"id": float64(id)}, "/user/channel/" + strconv.FormatInt(id, 10)},
		{"a whole array of nested objects", listPlatforms(t, a, whole("array")), nil, "/platform/all"},
		{"an array mapping skipped for an object answer, then a whole one", getChannel(t, a, whole("array"), whole("object")),
			map[string]any{"id": float64(id)}, "/user/channel/" + strconv.FormatInt(id, 10)},
		{"a mapping of properties (decoded)", getChannel(t, a, channelSummary()),
			map[string]any{"id": float64(id)}, "/user/channel/" + strconv.FormatInt(id, 10)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := rs.Client(token).Get(rs.URL + "/v2" + tc.direct)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil || res.StatusCode != http.StatusOK {
				t.Fatalf("the mock answered %d (%v): %s", res.StatusCode, err, body)
			}
			wantValue, want := decodedAndMapped(t, body, tc.call.Outputs)

			got := invoke(t, c, tc.call, tc.args)
			if !got.Mapped || !bytes.Equal(got.Body, want) {
				t.Fatalf("Invoke: mapped %v, body\n got %s\nwant %s", got.Mapped, got.Body, want)
			}
			if !reflect.DeepEqual(got.Value, wantValue) {
				t.Fatalf("Invoke: Value\n got %#v\nwant %#v", got.Value, wantValue)
			}
			gotBody, err := c.InvokeBody(context.Background(), tc.call, tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if !gotBody.Mapped || !bytes.Equal(gotBody.Body, want) || gotBody.Value != nil {
				t.Fatalf("InvokeBody: mapped %v, Value %T, body\n got %s\nwant %s", gotBody.Mapped, gotBody.Value, gotBody.Body, want)
			}
			if ct := gotBody.Header.Get("Content-Type"); ct != "application/json" {
				t.Fatalf("InvokeBody: Content-Type %q", ct)
			}
		})
	}
}
