package upstream

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/restreamkit/restreamkit/internal/capability"
)

// fuzzCalls are an event lookup by a text id and a history page, as the loader would build them.
func fuzzCalls(t testing.TB, c *Client) (event, history *capability.Call) {
	get := func(id string) *capability.Op {
		so, ok := c.spec.Operation(id)
		if !ok {
			t.Fatalf("no %s", id)
		}
		return &capability.Op{Method: so.Method, SpecPath: so.Path, Spec: so}
	}
	ev := get("getEvent")
	ev.Path = "/user/events/{{eventId}}"
	ev.Slots = []*capability.Slot{{Name: "eventId", SpecName: "id", In: "path", Required: true, Schema: map[string]any{"type": "string"}}}
	h := get("listEventHistory")
	h.Path = "/user/events/history"
	h.Slots = []*capability.Slot{
		{Name: "page", SpecName: "page", In: "query", Schema: map[string]any{"type": "integer", "minimum": 1}},
		{Name: "limit", SpecName: "limit", In: "query", Schema: map[string]any{"type": "integer", "minimum": 1, "maximum": 100}},
	}
	event = &capability.Call{Name: "event", Op: ev, Bindings: []*capability.Binding{{Slot: ev.Slots[0], Input: "eventId"}}}
	history = &capability.Call{Name: "history", Op: h, Bindings: []*capability.Binding{
		{Slot: h.Slots[0], Input: "page"}, {Slot: h.Slots[1], Template: "{{tools.limit}}"}}}
	return event, history
}

// fuzzValue turns fuzz text into an argument of the JSON type kind picks.
func fuzzValue(s string, kind byte) any {
	switch kind % 5 {
	case 0:
		return s
	case 1:
		var v any
		if json.Unmarshal([]byte(s), &v) == nil {
			return v
		}
		return s
	case 2:
		return json.Number(s)
	case 3:
		return []any{s, s}
	}
	return nil
}

// FuzzArguments feeds the invoker's argument reading whatever a REST or MCP caller can send: the
// call is either refused with an *ArgError (or an *Error naming the plan), or the path keeps its
// one segment per variable and the query holds exactly the bound parameters.
func FuzzArguments(f *testing.F) {
	c, err := New(Options{})
	if err != nil {
		f.Fatal(err)
	}
	event, history := fuzzCalls(f, c)
	f.Add("abc", byte(0), "2", byte(0), "10", byte(0))
	f.Add("a/b/../c", byte(0), "1e3", byte(1), "true", byte(1))
	f.Add("..", byte(3), "-1", byte(2), "99999999999999999999", byte(0))
	f.Add("\x00\r\n", byte(1), "{}", byte(1), "[1,2]", byte(3))
	f.Add("%2F", byte(2), "1.0", byte(2), "", byte(4))
	f.Fuzz(func(t *testing.T, id string, idKind byte, page string, pageKind byte, limit string, limitKind byte) {
		req, err := c.build(event, map[string]any{"eventId": fuzzValue(id, idKind)})
		if err != nil {
			var ae *ArgError
			var ue *Error
			if !errors.As(err, &ae) && !errors.As(err, &ue) {
				t.Fatalf("error %T %v", err, err)
			}
		} else {
			seg := strings.TrimPrefix(req.path, "/user/events/")
			if strings.Contains(seg, "/") || seg == "" || seg == "." || seg == ".." {
				t.Fatalf("the id %q escaped its segment: %q", id, req.path)
			}
			if dec, err := url.PathUnescape(seg); err != nil || (idKind%5 == 0 && dec != id) {
				t.Fatalf("the segment %q does not decode back to %q", seg, id)
			}
		}
		args := map[string]any{"page": fuzzValue(page, pageKind), "limit": fuzzValue(limit, limitKind)}
		req, err = c.build(history, args)
		if err != nil {
			return
		}
		q, perr := url.ParseQuery(req.query.Encode())
		if perr != nil {
			t.Fatalf("the query does not parse back: %v", perr)
		}
		for k := range q {
			if k != "page" && k != "limit" {
				t.Fatalf("an unbound parameter %q in %v", k, q)
			}
		}
		if req.body != nil {
			t.Fatalf("a GET got a body: %s", req.body)
		}
	})
}

// FuzzAnswer feeds the answer shaping whatever an upstream can send: it never fails, a mapped
// body is JSON, and a cut one stays within the limit and its notice, on a UTF-8 boundary.
func FuzzAnswer(f *testing.F) {
	const limit = 256
	c, err := New(Options{MaxResultBytes: limit})
	if err != nil {
		f.Fatal(err)
	}
	call := &capability.Call{Name: "answer", Outputs: []*capability.Mapping{
		{Type: "array", Path: "$.items[*].id"},
		{Type: "object", Properties: []*capability.Property{{Name: "name", Mapping: &capability.Mapping{Type: "string", Path: "$.displayName"}}}},
	}}
	f.Add([]byte(`{"items":[{"id":1},{"id":2}]}`), "application/json", 200)
	f.Add([]byte(`{"displayName":"é`+strings.Repeat("é", 300)+`"}`), "application/json; charset=utf-8", 200)
	f.Add([]byte(`{"error":{"statusCode":404}}`), "application/problem+json", 404)
	f.Add([]byte("not json"), "text/plain", 200)
	f.Add([]byte(`[1] [2]`), "", 201)
	f.Fuzz(func(t *testing.T, body []byte, contentType string, status int) {
		resp := &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {contentType}}}
		res := c.shape(call, resp, body, 0, true)
		if res.Truncated {
			if res.Value != nil || len(res.Body) > limit+200 {
				t.Fatalf("a cut answer of %d bytes, value %v", len(res.Body), res.Value != nil)
			}
			if utf8.Valid(body) && !utf8.Valid(res.Body) {
				t.Fatalf("the cut split a character: %q", res.Body)
			}
			return
		}
		if res.Mapped && !json.Valid(res.Body) {
			t.Fatalf("a mapped body that is not JSON: %q", res.Body)
		}
		if len(res.Body) > limit {
			t.Fatalf("a %d-byte body over the %d limit was not cut", len(res.Body), limit)
		}
	})
}
