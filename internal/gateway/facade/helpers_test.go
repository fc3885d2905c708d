package facade_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/restreamkit/restreamkit/internal/capability"
	"github.com/restreamkit/restreamkit/internal/gateway/facade"
	"github.com/restreamkit/restreamkit/internal/gateway/upstream"
	"github.com/restreamkit/restreamkit/internal/validate"
	"github.com/restreamkit/restreamkit/openapi"
)

// bundled is the embedded Restream spec, loaded once for every test.
var bundled = sync.OnceValue(func() *validate.Spec {
	spec, err := validate.Load(openapi.FS, openapi.RestreamSpec)
	if err != nil {
		panic(err)
	}
	return spec
})

// component returns a schema of the bundled spec as a capability carries it (a JSON map), for
// schemas without $refs.
func component(name string) map[string]any {
	data, err := json.Marshal(bundled().Doc().Components.Schemas[name].Value)
	if err != nil || strings.Contains(string(data), "$ref") {
		panic("component " + name + " cannot be inlined")
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		panic(err)
	}
	return m
}

// op ties a capability operation to the bundled spec's.
func op(ref, method, path, specID string) *capability.Op {
	o, ok := bundled().Operation(specID)
	if !ok {
		panic("no operation " + specID)
	}
	name := strings.TrimPrefix(ref, "restream.")
	return &capability.Op{Ref: ref, Name: name, Method: method, Path: path, Spec: o}
}

func in(name, where string, required bool, schema map[string]any) *capability.Input {
	return &capability.Input{Name: name, In: where, Required: required, Schema: schema, Description: "The " + name + "."}
}

var (
	channelID = map[string]any{"type": "integer", "format": "int64", "minimum": 1}
	eventID   = map[string]any{"type": "string", "format": "uuid"}
	platforms = map[string]any{"type": "array", "items": map[string]any{"type": "object"}}
)

// testAdapter is the facade of our capability, built by hand as the loader builds it: the
// routes the issue lists, with their schemas from the bundled spec.
func testAdapter() *capability.RESTAdapter {
	route := func(name, method, path string, o *capability.Op, out map[string]any, inputs ...*capability.Input) *capability.Route {
		return &capability.Route{Name: name, Description: "Route " + name, Method: method, Path: path, Inputs: inputs,
			OutputSchema: out, Call: &capability.Call{Name: "rest " + method + " " + path, Op: o}}
	}
	return &capability.RESTAdapter{Namespace: "multistream-management-api", Address: "127.0.0.1", Port: 8080, Routes: []*capability.Route{
		route("list-platforms", "GET", "/v1/platforms", op("restream.list-platforms", "GET", "/platform/all", "listPlatforms"), platforms),
		route("list-channels", "GET", "/v1/channels", op("restream.list-channels", "GET", "/user/channel/all", "listChannels"),
			map[string]any{"type": "array", "items": component("Channel")}),
		route("get-channel", "GET", "/v1/channels/{id}", op("restream.get-channel", "GET", "/user/channel/{id}", "getChannel"),
			component("Channel"), in("id", "path", true, channelID)),
		route("update-channel", "PATCH", "/v1/channels/{id}", op("restream.update-channel", "PATCH", "/user/channel/{id}", "updateChannel"),
			nil, in("id", "path", true, channelID), in("active", "body", true, map[string]any{"type": "boolean"})),
		route("get-channel-meta", "GET", "/v1/channels/{id}/meta",
			op("restream.get-channel-meta", "GET", "/user/channel-meta/{id}", "getChannelMeta"), map[string]any{"type": "object"},
			in("id", "path", true, channelID)),
		route("update-channel-meta", "PATCH", "/v1/channels/{id}/meta",
			op("restream.update-channel-meta", "PATCH", "/user/channel-meta/{id}", "updateChannelMeta"), nil,
			in("id", "path", true, channelID), in("title", "body", true, map[string]any{"type": "string", "minLength": 1}),
			in("description", "body", false, map[string]any{"type": "string"})),
		route("get-stream-key", "GET", "/v1/stream-key", op("restream.get-stream-key", "GET", "/user/streamKey", "getStreamKey"),
			map[string]any{"type": "object"}),
		route("list-upcoming-events", "GET", "/v1/events/upcoming",
			op("restream.list-upcoming-events", "GET", "/user/events/upcoming", "listUpcomingEvents"),
			map[string]any{"type": "array"},
			in("source", "query", false, map[string]any{"type": "integer", "enum": []any{1, 2, 3}}),
			in("scheduled", "query", false, map[string]any{"type": "boolean"})),
		route("list-in-progress-events", "GET", "/v1/events/in-progress",
			op("restream.list-in-progress-events", "GET", "/user/events/in-progress", "listInProgressEvents"), map[string]any{"type": "array"}),
		route("list-event-history", "GET", "/v1/events/history",
			op("restream.list-event-history", "GET", "/user/events/history", "listEventHistory"), map[string]any{"type": "object"},
			in("page", "query", false, map[string]any{"type": "integer", "minimum": 1}),
			in("limit", "query", false, map[string]any{"type": "integer", "minimum": 1, "maximum": 100})),
		route("get-event", "GET", "/v1/events/{id}", op("restream.get-event", "GET", "/user/events/{id}", "getEvent"),
			map[string]any{"type": "object"}, in("id", "path", true, eventID)),
		route("get-event-stream-key", "GET", "/v1/events/{id}/stream-key",
			op("restream.get-event-stream-key", "GET", "/user/events/{id}/streamKey", "getEventStreamKey"),
			map[string]any{"type": "object"}, in("id", "path", true, eventID)),
	}}
}

// routeOf returns the adapter's route of a name.
func routeOf(a *capability.RESTAdapter, name string) *capability.Route {
	for _, r := range a.Routes {
		if r.Name == name {
			return r
		}
	}
	panic("no route " + name)
}

// call is one invocation the fake invoker saw.
type call struct {
	call *capability.Call
	args map[string]any
}

// fakeInvoker records calls and answers with answer (by default: 200 with the arguments as the
// mapped JSON).
type fakeInvoker struct {
	mu     sync.Mutex
	calls  []call
	answer func(c *capability.Call, args map[string]any) (*upstream.Result, error)
}

func (f *fakeInvoker) Invoke(_ context.Context, c *capability.Call, args map[string]any) (*upstream.Result, error) {
	f.mu.Lock()
	f.calls = append(f.calls, call{c, args})
	answer := f.answer
	f.mu.Unlock()
	if answer != nil {
		return answer(c, args)
	}
	body, err := json.Marshal(args)
	if err != nil {
		return nil, err
	}
	return &upstream.Result{Status: 200, Body: body, Mapped: true, Header: http.Header{}}, nil
}

func (f *fakeInvoker) seen() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

// serve starts the facade of adapter on a real loopback server.
func serve(t testing.TB, adapter *capability.RESTAdapter, inv upstream.Invoker, opts facade.Options) *httptest.Server {
	t.Helper()
	if opts.Spec == nil {
		opts.Spec = bundled()
	}
	f, err := facade.New(adapter, inv, opts)
	if err != nil {
		t.Fatal(err)
	}
	return newServer(t, f.Handler())
}

// answer is a response read whole.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// send makes one request to the server and reads the answer.
func send(t testing.TB, ts *httptest.Server, method, target, contentType, body string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, ts.URL+target, rd)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{res.StatusCode, res.Header, data}
}

// envelope decodes an error answer, failing the test when it is not Restream's envelope with
// the answer's status.
func envelope(t testing.TB, a answer) (name, message string) {
	t.Helper()
	var env struct {
		Error struct {
			StatusCode, Status, Code int
			Message, Name            string
		} `json:"error"`
	}
	if err := json.Unmarshal(a.body, &env); err != nil || env.Error.Name == "" {
		t.Fatalf("the %d answer is not an error envelope: %q", a.status, a.body)
	}
	if e := env.Error; e.StatusCode != a.status || e.Status != a.status || e.Code != a.status {
		t.Fatalf("the envelope's statuses %d/%d/%d differ from the answer's %d", e.StatusCode, e.Status, e.Code, a.status)
	}
	if !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
		t.Fatalf("an envelope is sent as %q", a.header.Get("Content-Type"))
	}
	return env.Error.Name, env.Error.Message
}

// newServer starts h on a real loopback server for the test.
func newServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}
