package facade_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/internal/capability"
	"github.com/restreamkit/restreamkit/internal/gateway/facade"
	"github.com/restreamkit/restreamkit/internal/gateway/upstream"
)

func TestRoutesHandTheirInputsToTheInvokerWithTheirTypes(t *testing.T) {
	adapter := testAdapter()
	inv := &fakeInvoker{}
	ts := serve(t, adapter, inv, facade.Options{})
	const uuid = "0b0c5b36-3f2e-4b8e-9d55-6a1f8b5a9c11"
	for _, tc := range []struct {
		name, method, target, contentType, body string
		route                                   string
		want                                    map[string]any
	}{
		{"a path variable is read as the integer its schema says", "GET", "/v1/channels/42", "", "",
			"get-channel", map[string]any{"id": json.Number("42")}},
		{"an integer is read with the mock's grammar and sent in canonical form", "GET", "/v1/channels/+007", "", "",
			"get-channel", map[string]any{"id": json.Number("7")}},
		{"a string path variable stays a string", "GET", "/v1/events/" + uuid, "", "",
			"get-event", map[string]any{"id": uuid}},
		{"a literal segment wins over a variable one", "GET", "/v1/events/upcoming", "", "",
			"list-upcoming-events", map[string]any{}},
		{"PATCH {\"active\":false} keeps the boolean", "PATCH", "/v1/channels/42", "application/json", `{"active":false}`,
			"update-channel", map[string]any{"id": json.Number("42"), "active": false}},
		{"a +json media type is JSON", "PATCH", "/v1/channels/42", "application/merge-patch+json; charset=UTF-8", `{"active":true}`,
			"update-channel", map[string]any{"id": json.Number("42"), "active": true}},
		{"an absent optional body field stays absent", "PATCH", "/v1/channels/3/meta", "application/json", `{"title":"Live now"}`,
			"update-channel-meta", map[string]any{"id": json.Number("3"), "title": "Live now"}},
		{"an optional body field given is passed", "PATCH", "/v1/channels/3/meta", "application/json", `{"title":"T","description":""}`,
			"update-channel-meta", map[string]any{"id": json.Number("3"), "title": "T", "description": ""}},
		{"query parameters are read as their types", "GET", "/v1/events/history?page=2&limit=05", "", "",
			"list-event-history", map[string]any{"page": json.Number("2"), "limit": json.Number("5")}},
		{"absent query parameters stay absent", "GET", "/v1/events/history", "", "",
			"list-event-history", map[string]any{}},
		{"a boolean query parameter takes strconv.ParseBool's spellings", "GET", "/v1/events/upcoming?scheduled=TRUE&source=2", "", "",
			"list-upcoming-events", map[string]any{"scheduled": true, "source": json.Number("2")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(inv.seen())
			a := send(t, ts, tc.method, tc.target, tc.contentType, tc.body)
			if a.status != 200 {
				t.Fatalf("status %d: %s", a.status, a.body)
			}
			calls := inv.seen()[before:]
			if len(calls) != 1 {
				t.Fatalf("the invoker was called %d times", len(calls))
			}
			if want := routeOf(adapter, tc.route).Call; calls[0].call != want {
				t.Fatalf("the invoker got the call %q, want %q", calls[0].call.Name, want.Name)
			}
			if !reflect.DeepEqual(calls[0].args, tc.want) {
				t.Fatalf("arguments %#v, want %#v", calls[0].args, tc.want)
			}
		})
	}
}

func TestInputsThatDoNotFitAreRefusedBeforeAnyCall(t *testing.T) {
	inv := &fakeInvoker{}
	ts := serve(t, testAdapter(), inv, facade.Options{MaxBodyBytes: 64})
	for _, tc := range []struct {
		name, method, target, contentType, body string
		status                                  int
		errName, says                           string
	}{
		{"a path variable that is not an integer", "GET", "/v1/channels/abc", "", "", 400, "invalid_path_params", `"id" must be an integer`},
		{"a path variable under its minimum", "GET", "/v1/channels/0", "", "", 400, "invalid_path_params", `"id"`},
		{"a path variable past 64 bits", "GET", "/v1/channels/99999999999999999999", "", "", 400, "invalid_path_params", `64-bit`},
		{"a fraction where an integer is due", "GET", "/v1/channels/1.0", "", "", 400, "invalid_path_params", `"id"`},
		{"a path variable that breaks its format", "GET", "/v1/events/not-a-uuid", "", "", 400, "invalid_path_params", `"id"`},
		{"a query parameter out of bounds", "GET", "/v1/events/history?limit=101", "", "", 400, "invalid_query_params", `"limit"`},
		{"a query parameter of the wrong type", "GET", "/v1/events/history?page=two", "", "", 400, "invalid_query_params", `"page" must be an integer`},
		{"a query parameter outside its enum", "GET", "/v1/events/upcoming?source=4", "", "", 400, "invalid_query_params", `"source"`},
		{"a query parameter given twice", "GET", "/v1/events/history?limit=5&limit=6", "", "", 400, "invalid_query_params", `"limit" is given 2 times`},
		{"an unknown query parameter, named", "GET", "/v1/events/history?lmit=5", "", "", 400, "invalid_query_params", `unknown query parameter "lmit"; this route takes "limit", "page"`},
		{"a query parameter in the wrong case, with a hint", "GET", "/v1/events/history?Limit=5", "", "", 400, "invalid_query_params", `"Limit" (did you mean "limit"?)`},
		{"a query parameter on a route that takes none", "GET", "/v1/channels?x=1&y=2", "", "", 400, "invalid_query_params", `unknown query parameters "x", "y"; this route takes none`},
		{"a query string that does not decode", "GET", "/v1/events/history?page=%zz", "", "", 400, "invalid_query_params", `not validly URL-encoded`},
		{"a body field of the wrong type", "PATCH", "/v1/channels/1", "application/json", `{"active":"false"}`, 400, "invalid_body_params", `"active" must be boolean`},
		{"a body field that breaks its bound", "PATCH", "/v1/channels/1/meta", "application/json", `{"title":""}`, 400, "invalid_body_params", `"title"`},
		{"an unknown body field, named", "PATCH", "/v1/channels/1", "application/json", `{"actve":false}`, 400, "invalid_body_params", `unknown field "actve"; this route takes "active"`},
		{"a body field in the wrong case, with a hint", "PATCH", "/v1/channels/1", "application/json", `{"Active":false}`, 400, "invalid_body_params", `(did you mean "active"?)`},
		{"a missing required body field", "PATCH", "/v1/channels/1", "application/json", `{}`, 400, "invalid_body_params", `missing required field "active"`},
		{"a missing body where a field is required", "PATCH", "/v1/channels/1", "", "", 400, "invalid_body_params", `missing required field "active"`},
		{"a body field given twice", "PATCH", "/v1/channels/1", "application/json", `{"active":true,"active":false}`, 400, "invalid_body_params", `"active" is given more than once`},
		{"a body that is not an object", "PATCH", "/v1/channels/1", "application/json", `[true]`, 400, "invalid_body_params", `must be a JSON object`},
		{"a body that is not JSON", "PATCH", "/v1/channels/1", "application/json", `{"active":tru`, 400, "invalid_body_params", `not valid JSON`},
		{"a body with data after the object", "PATCH", "/v1/channels/1", "application/json", `{"active":true} {}`, 400, "invalid_body_params", `after its JSON object`},
		{"a body on a route that takes none", "GET", "/v1/channels/1", "application/json", `{}`, 400, "invalid_body_params", `takes no request body`},
		{"a body that is not JSON by its type", "PATCH", "/v1/channels/1", "text/plain", `{"active":true}`, 415, "unsupported_media_type", `got "text/plain"`},
		{"a body without a type", "PATCH", "/v1/channels/1", "", `{"active":true}`, 415, "unsupported_media_type", `no Content-Type`},
		{"a JSON body in another charset", "PATCH", "/v1/channels/1", "application/json; charset=latin1", `{"active":true}`, 415, "unsupported_media_type", `latin1`},
		{"a body over the bound", "PATCH", "/v1/channels/1/meta", "application/json", `{"title":"` + strings.Repeat("x", 64) + `"}`, 413, "payload_too_large", `over 64 bytes`},
		{"the parameters are checked before the body", "PATCH", "/v1/channels/x", "text/plain", `nonsense`, 400, "invalid_path_params", `"id"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(inv.seen())
			a := send(t, ts, tc.method, tc.target, tc.contentType, tc.body)
			if a.status != tc.status {
				t.Fatalf("status %d, want %d: %s", a.status, tc.status, a.body)
			}
			name, msg := envelope(t, a)
			t.Log(msg)
			if name != tc.errName || !strings.Contains(msg, tc.says) {
				t.Fatalf("envelope %s %q, want %s saying %q", name, msg, tc.errName, tc.says)
			}
			if n := len(inv.seen()) - before; n != 0 {
				t.Fatalf("the invoker was called %d times for a refused request", n)
			}
		})
	}
}

func TestAPatchRefusedForItsMediaTypeSaysWhatItAccepts(t *testing.T) {
	ts := serve(t, testAdapter(), &fakeInvoker{}, facade.Options{})
	a := send(t, ts, "PATCH", "/v1/channels/1", "text/plain", "active=false")
	if a.status != 415 || a.header.Get("Accept-Patch") != "application/json" {
		t.Fatalf("status %d, Accept-Patch %q", a.status, a.header.Get("Accept-Patch"))
	}
}

func TestUnroutedRequestsGetNotFoundOrMethodNotAllowed(t *testing.T) {
	inv := &fakeInvoker{}
	ts := serve(t, testAdapter(), inv, facade.Options{})
	for _, tc := range []struct {
		name, method, target string
		status               int
		errName, allow       string
	}{
		{"a path no route serves", "GET", "/v2/user/profile", 404, "not_found", ""},
		{"the root", "GET", "/", 404, "not_found", ""},
		{"a route's path with a trailing slash", "GET", "/v1/channels/", 404, "not_found", ""},
		{"a path that is not clean is not redirected", "GET", "/v1//channels", 404, "not_found", ""},
		{"a dot segment is not resolved", "GET", "/v1/channels/1/../2", 404, "not_found", ""},
		{"a route's path with another method", "DELETE", "/v1/channels/1", 405, "method_not_allowed", "GET, HEAD, PATCH"},
		{"a read-only route's path with a write", "POST", "/v1/events/history", 405, "method_not_allowed", "GET, HEAD"},
		{"the description with a write", "PUT", "/openapi.json", 405, "method_not_allowed", "GET, HEAD"},
		{"a path that only a shorter route starts", "GET", "/v1/platforms/x", 404, "not_found", ""},
		{"a path that is a route's with an extra segment", "GET", "/v1/events/0b0c5b36-3f2e-4b8e-9d55-6a1f8b5a9c11/stream-key/x", 404, "not_found", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := send(t, ts, tc.method, tc.target, "", "")
			if a.status != tc.status {
				t.Fatalf("status %d, want %d: %s", a.status, tc.status, a.body)
			}
			if name, _ := envelope(t, a); name != tc.errName {
				t.Fatalf("name %s, want %s", name, tc.errName)
			}
			if got := a.header.Get("Allow"); got != tc.allow {
				t.Fatalf("Allow %q, want %q", got, tc.allow)
			}
		})
	}
	if n := len(inv.seen()); n != 0 {
		t.Fatalf("the invoker was called %d times", n)
	}
}

func TestTheInvokersAnswerIsSentAsItIs(t *testing.T) {
	jsonHeader := func(kv ...string) http.Header {
		h := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	notFound := `{"error":{"statusCode":404,"status":404,"code":404,"message":"Not Found","name":"not_found"}}`
	tooMany := `{"error":{"statusCode":429,"status":429,"code":429,"message":"Too many requests","name":"too_many_requests"}}`
	for _, tc := range []struct {
		name, target string
		res          *upstream.Result
		err          error
		status       int
		contentType  string
		body         string // the exact body, for answers passed on
		errName      string // the envelope's name, for answers the facade words
		says         string
		retryAfter   string
	}{
		{name: "a mapped answer is JSON with Restream's status", target: "/v1/channels/1",
			res:    &upstream.Result{Status: 200, Body: []byte(`{"id":1}`), Mapped: true, Header: http.Header{"Content-Type": {"text/plain"}}},
			status: 200, contentType: "application/json", body: `{"id":1}`},
		{name: "an answer not mapped keeps Restream's media type", target: "/v1/channels/1",
			res:    &upstream.Result{Status: 200, Body: []byte(`{"id":1}`), Header: jsonHeader()},
			status: 200, contentType: "application/json; charset=utf-8", body: `{"id":1}`},
		{name: "an empty 2xx stays empty with its status", target: "/v1/channels/1",
			res:    &upstream.Result{Status: 200, Header: http.Header{}},
			status: 200, contentType: "", body: ""},
		{name: "Restream's envelope passes through with its status", target: "/v1/channels/1",
			res:    &upstream.Result{Status: 404, Body: []byte(notFound), Header: jsonHeader()},
			status: 404, contentType: "application/json; charset=utf-8", body: notFound},
		{name: "Retry-After is passed on", target: "/v1/channels/1",
			res:    &upstream.Result{Status: 429, Body: []byte(tooMany), Header: jsonHeader("Retry-After", "7")},
			status: 429, contentType: "application/json; charset=utf-8", body: tooMany, retryAfter: "7"},
		{name: "an error page that is not the envelope becomes one, with its status", target: "/v1/channels/1",
			res:    &upstream.Result{Status: 503, Body: []byte("<html>busy</html>"), Header: http.Header{"Content-Type": {"text/html"}, "Retry-After": {"30"}}},
			status: 503, errName: "upstream_error", says: "503 Service Unavailable without its error envelope", retryAfter: "30"},
		{name: "a JSON error that is not the envelope becomes one", target: "/v1/channels/1",
			res:    &upstream.Result{Status: 400, Body: []byte(`{"error":"invalid_request"}`), Header: jsonHeader()},
			status: 400, errName: "upstream_error"},
		{name: "a redirect cannot be passed on", target: "/v1/channels/1",
			res:    &upstream.Result{Status: 302, Header: http.Header{"Location": {"http://elsewhere"}}},
			status: 502, errName: "upstream_unexpected_status", says: "302"},
		{name: "an answer cut to the invoker's size cap is not passed on as JSON", target: "/v1/channels/1",
			res:    &upstream.Result{Status: 200, Body: []byte(`[{"id":1},{"i … (truncated)`), Mapped: true, Truncated: true, Header: jsonHeader()},
			status: 502, errName: "upstream_too_large", says: "size cap"},
		{name: "an argument error of a path input names it", target: "/v1/channels/1",
			err:    &upstream.ArgError{Field: "id", Message: "must be positive"},
			status: 400, errName: "invalid_path_params", says: `"id" must be positive`},
		{name: "an argument error inside a body field names it", target: "/v1/channels/1/meta",
			err:    &upstream.ArgError{Field: "/title", Message: "is too long"},
			status: 400, errName: "invalid_body_params", says: `"title" is too long`},
		{name: "a timeout is a 504 envelope", target: "/v1/channels/1",
			err:    &upstream.Error{Status: 504, Name: "upstream_timeout", Message: "Restream did not answer within 10s"},
			status: 504, errName: "upstream_timeout", says: "within 10s"},
		{name: "an unreachable upstream is a 502 envelope", target: "/v1/channels/1",
			err:    &upstream.Error{Status: 502, Name: "upstream_unavailable", Message: "connection refused"},
			status: 502, errName: "upstream_unavailable", says: "connection refused"},
		{name: "an error the invoker does not explain is a 502 envelope", target: "/v1/channels/1",
			err:    errors.New("boom"),
			status: 502, errName: "upstream_unavailable"},
		{name: "no answer and no error is a 502 envelope", target: "/v1/channels/1",
			status: 502, errName: "upstream_unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv := &fakeInvoker{answer: func(*capability.Call, map[string]any) (*upstream.Result, error) { return tc.res, tc.err }}
			ts := serve(t, testAdapter(), inv, facade.Options{})
			method, body := "GET", ""
			if strings.HasSuffix(tc.target, "/meta") {
				method, body = "PATCH", `{"title":"x"}`
			}
			a := send(t, ts, method, tc.target, "application/json", body)
			if a.status != tc.status {
				t.Fatalf("status %d, want %d: %s", a.status, tc.status, a.body)
			}
			if got := a.header.Get("Retry-After"); got != tc.retryAfter {
				t.Fatalf("Retry-After %q, want %q", got, tc.retryAfter)
			}
			if a.header.Get("Cache-Control") != "no-store" {
				t.Fatalf("Cache-Control %q: answers may hold stream keys", a.header.Get("Cache-Control"))
			}
			if tc.errName != "" {
				name, msg := envelope(t, a)
				if name != tc.errName || !strings.Contains(msg, tc.says) {
					t.Fatalf("envelope %s %q, want %s saying %q", name, msg, tc.errName, tc.says)
				}
				return
			}
			if string(a.body) != tc.body || a.header.Get("Content-Type") != tc.contentType {
				t.Fatalf("answer %q as %q, want %q as %q", a.body, a.header.Get("Content-Type"), tc.body, tc.contentType)
			}
		})
	}
}

func TestTheRequestsContextReachesTheInvoker(t *testing.T) {
	type key struct{}
	got := make(chan context.Context, 1)
	inv := invokerFunc(func(ctx context.Context, _ *capability.Call, _ map[string]any) (*upstream.Result, error) {
		got <- ctx
		return &upstream.Result{Status: 200, Header: http.Header{}}, nil
	})
	f, err := facade.New(testAdapter(), inv, facade.Options{Spec: bundled()})
	if err != nil {
		t.Fatal(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.Handler().ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), key{}, "mark")))
	})
	ts := newServer(t, h)
	if a := send(t, ts, "GET", "/v1/channels/1", "", ""); a.status != 200 {
		t.Fatalf("status %d", a.status)
	}
	if ctx := <-got; ctx.Value(key{}) != "mark" {
		t.Fatal("the invoker did not get the request's context (deadlines and cancellation would be lost)")
	}
}

// invokerFunc is an upstream.Invoker of a function.
type invokerFunc func(ctx context.Context, c *capability.Call, args map[string]any) (*upstream.Result, error)

func (f invokerFunc) Invoke(ctx context.Context, c *capability.Call, args map[string]any) (*upstream.Result, error) {
	return f(ctx, c, args)
}

func TestNewRefusesRoutesItCannotServe(t *testing.T) {
	base := func(edit func(r *capability.Route)) *capability.RESTAdapter {
		a := testAdapter()
		edit(routeOf(a, "get-channel"))
		return a
	}
	for _, tc := range []struct {
		name    string
		adapter *capability.RESTAdapter
		says    string
	}{
		{"a path variable without an input", base(func(r *capability.Route) { r.Inputs = nil }), "path variable {id} has no path input"},
		{"a path input that is not in the path", base(func(r *capability.Route) { r.Path = "/v1/channel" }), `path input "id" is not a variable of the path`},
		{"a variable inside a segment", base(func(r *capability.Route) { r.Path = "/v1/channels/x{id}" }), `segment "x{id}"`},
		{"an empty segment", base(func(r *capability.Route) { r.Path = "/v1//channels/{id}" }), `segment ""`},
		{"a lower-case method", base(func(r *capability.Route) { r.Method = "get" }), "upper-case HTTP method"},
		{"a route without a call", base(func(r *capability.Route) { r.Call = nil }), "has no call"},
		{"an input declared twice", base(func(r *capability.Route) { r.Inputs = append(r.Inputs, r.Inputs[0]) }), `input "id" is declared twice`},
		{"an object in the path", base(func(r *capability.Route) { r.Inputs[0].Schema = map[string]any{"type": "object"} }), "an object cannot be a path parameter"},
		{"an input in an unknown place", base(func(r *capability.Route) {
			r.Inputs = append(r.Inputs, &capability.Input{Name: "c", In: "cookie"})
		}), `input "c" is in "cookie"`},
		{"a schema that does not compile", base(func(r *capability.Route) { r.Inputs[0].Schema = map[string]any{"type": "integer", "pattern": "("} }), "pattern"},
		{"two routes with one method and path", base(func(r *capability.Route) { r.Path = "/v1/events/{id}" }), "conflicts"},
		{"a route at the facade's own description", base(func(r *capability.Route) { r.Path, r.Inputs = "/openapi.json", nil }), "/openapi.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := facade.New(tc.adapter, &fakeInvoker{}, facade.Options{Spec: bundled()})
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("error %v, want one saying %q", err, tc.says)
			}
		})
	}
	if _, err := facade.New(testAdapter(), &fakeInvoker{}, facade.Options{Spec: bundled(), MaxBodyBytes: -1}); err == nil {
		t.Fatal("a negative body bound must be refused")
	}
	if _, err := facade.New(nil, &fakeInvoker{}, facade.Options{}); err == nil {
		t.Fatal("a missing adapter must be refused")
	}
	if _, err := facade.New(testAdapter(), nil, facade.Options{}); err == nil {
		t.Fatal("a missing invoker must be refused")
	}
}

func TestNewReportsEveryBrokenRouteAtOnce(t *testing.T) {
	a := testAdapter()
	routeOf(a, "get-channel").Inputs = nil
	routeOf(a, "get-event").Method = "get"
	_, err := facade.New(a, &fakeInvoker{}, facade.Options{Spec: bundled()})
	if err == nil || !strings.Contains(err.Error(), "GET /v1/channels/{id}") || !strings.Contains(err.Error(), "get /v1/events/{id}") {
		t.Fatalf("error %v, want both routes named", err)
	}
}
