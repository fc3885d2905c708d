package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/restreamkit/restreamkit/internal/capability"
	"github.com/restreamkit/restreamkit/internal/gateway/upstream"
)

// Protocol versions the tests speak.
const (
	v20260728 = "2026-07-28" // sessionless
	v20251125 = "2025-11-25" // sessions
	v20250618 = "2025-06-18" // sessions
)

func ptr[T any](v T) *T { return &v }

// channelSchema is the output schema of one channel in the hand-built tools.
func channelSchema() map[string]any {
	return map[string]any{
		"type": "object",
		"properties": map[string]any{
			"id":          map[string]any{"type": "integer"},
			"displayName": map[string]any{"type": "string"},
			"active":      map[string]any{"type": "boolean"},
		},
		"required": []any{"id", "displayName", "active"},
	}
}

// testAdapter is an MCP adapter built by hand in the loader's shape: strict schemas, hints
// partly set, one tool whose answer is a list (WrapsResult) and one without an answer body.
func testAdapter() *capability.MCPAdapter {
	call := func(name string) *capability.Call { return &capability.Call{Name: "mcp " + name} }
	idInput := map[string]any{"type": "integer", "minimum": 1, "description": "The channel's id."}
	return &capability.MCPAdapter{
		Namespace:   "restream-tools",
		Description: "Manage a creator's multistreaming.",
		Transport:   "http",
		Tools: []*capability.Tool{
			{
				Name: "list-channels", Title: "List channels", Description: "Lists the channels.",
				Hints:        capability.Hints{ReadOnly: ptr(true), OpenWorld: ptr(true)},
				InputSchema:  map[string]any{"type": "object", "properties": map[string]any{}},
				OutputSchema: map[string]any{"type": "object", "properties": map[string]any{"result": map[string]any{"type": "array", "items": channelSchema()}}, "required": []any{"result"}},
				WrapsResult:  true,
				Call:         call("list-channels"),
			},
			{
				Name: "get-channel", Title: "Get a channel", Description: "Gets one channel.",
				Hints:        capability.Hints{ReadOnly: ptr(true)},
				Inputs:       []*capability.Input{{Name: "id", Required: true, Schema: idInput}},
				InputSchema:  map[string]any{"type": "object", "properties": map[string]any{"id": idInput}, "required": []any{"id"}},
				OutputSchema: channelSchema(),
				Call:         call("get-channel"),
			},
			{
				Name: "update-channel", Title: "Update a channel", Description: "Turns a channel on or off.",
				Hints: capability.Hints{ReadOnly: ptr(false), Destructive: ptr(false), Idempotent: ptr(true)},
				Inputs: []*capability.Input{{Name: "id", Required: true, Schema: idInput},
					{Name: "active", Required: true, Schema: map[string]any{"type": "boolean"}}},
				InputSchema: map[string]any{"type": "object", "properties": map[string]any{
					"id": idInput, "active": map[string]any{"type": "boolean"}}, "required": []any{"id", "active"}},
				Call: call("update-channel"),
			},
			{
				Name: "get-stream-key", Description: "Gets the stream key.",
				InputSchema:  map[string]any{"type": "object"},
				OutputSchema: map[string]any{"type": "object", "properties": map[string]any{"streamKey": map[string]any{"type": "string"}}, "required": []any{"streamKey"}},
				Call:         call("get-stream-key"),
			},
		},
	}
}

// fakeInvoker stands in for the upstream invoker: a small channel store answering like the
// Restream API, ids that provoke failures, and a record of the calls that reached it.
type fakeInvoker struct {
	mu       sync.Mutex
	active   map[int64]bool
	calls    []string
	override func(call *capability.Call, args map[string]any) (*upstream.Result, error)
}

// Channel ids the fake answers specially.
const (
	idMissing     = 404  // the upstream answers 404 with its error envelope
	idUnreachable = 502  // the upstream cannot be reached
	idOffSchema   = 4242 // the upstream answers a channel that breaks the output schema
	idHuge        = 9000 // the upstream answers a long channel name
)

func newFakeInvoker() *fakeInvoker {
	return &fakeInvoker{active: map[int64]bool{1: true, 2: true}}
}

func (f *fakeInvoker) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func jsonResult(status int, body string) *upstream.Result {
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		panic(err)
	}
	return &upstream.Result{Status: status, Body: []byte(body), Mapped: status < 400, Value: v}
}

func (f *fakeInvoker) Invoke(_ context.Context, call *capability.Call, args map[string]any) (*upstream.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call.Name)
	if f.override != nil {
		return f.override(call, args)
	}
	id := int64(0)
	if n, ok := args["id"].(json.Number); ok {
		id, _ = n.Int64()
	} else if _, present := args["id"]; present {
		return nil, fmt.Errorf("fake invoker: id is %T, want json.Number", args["id"])
	}
	switch id {
	case idMissing:
		return jsonResult(404, `{"error":{"statusCode":404,"status":404,"code":404,"message":"Channel 404 was not found","name":"not_found"}}`), nil
	case idUnreachable:
		return nil, &upstream.Error{Status: 502, Name: "upstream_unavailable", Message: "connection refused"}
	case idOffSchema:
		return jsonResult(200, `{"id":"4242","displayName":"Odd","active":true}`), nil
	case idHuge:
		return jsonResult(200, fmt.Sprintf(`{"id":9000,"displayName":%q,"active":true}`, strings.Repeat("é", 4000))), nil
	}
	switch call.Name {
	case "mcp list-channels":
		var parts []string
		for _, id := range []int64{1, 2} {
			parts = append(parts, fmt.Sprintf(`{"id":%d,"displayName":"Channel %d","active":%t}`, id, id, f.active[id]))
		}
		return jsonResult(200, "[\n  "+strings.Join(parts, ",\n  ")+"\n]"), nil
	case "mcp get-channel", "mcp update-channel":
		if _, ok := f.active[id]; !ok {
			return jsonResult(404, `{"error":{"statusCode":404,"status":404,"code":404,"message":"Channel not found","name":"not_found"}}`), nil
		}
		if call.Name == "mcp update-channel" {
			f.active[id] = args["active"].(bool)
			return &upstream.Result{Status: 204}, nil
		}
		return jsonResult(200, fmt.Sprintf(`{ "id": %d, "displayName": "Channel %d", "active": %t }`, id, id, f.active[id])), nil
	case "mcp get-stream-key":
		return jsonResult(200, `{"streamKey":"re_123_abc"}`), nil
	}
	return nil, fmt.Errorf("fake invoker: unknown call %q", call.Name)
}

// newTestServer serves the hand-built adapter through a fake invoker over real HTTP.
func newTestServer(t testing.TB, opts Options) (*Server, *fakeInvoker, string) {
	t.Helper()
	inv := newFakeInvoker()
	srv, err := New(testAdapter(), inv, opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		srv.Close()
		hs.Close()
	})
	return srv, inv, hs.URL + "/mcp"
}

// connect opens a Go SDK client session over Streamable HTTP asking for version.
func connect(t *testing.T, url, version string) *mcp.ClientSession {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "go-sdk-test", Version: "1"}, nil)
	cs, err := client.Connect(t.Context(), &mcp.StreamableClientTransport{Endpoint: url, MaxRetries: -1},
		&mcp.ClientSessionOptions{ProtocolVersion: version})
	if err != nil {
		t.Fatalf("connecting with %s: %v", version, err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// rpc is a raw JSON-RPC exchange over HTTP.
type rpc struct {
	t      testing.TB
	client *http.Client
	url    string
}

// reply is an HTTP answer.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body as a JSON-RPC response.
func (r reply) JSON(t testing.TB) rpcResponse {
	t.Helper()
	var resp rpcResponse
	if err := json.Unmarshal(r.Body, &resp); err != nil {
		t.Fatalf("answer %d is not JSON-RPC: %v: %s", r.Status, err, r.Body)
	}
	return resp
}

type rpcResponse struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int             `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	} `json:"error"`
}

// do sends one HTTP request; header holds name-value pairs.
func (c rpc) do(method, body string, header ...string) reply {
	c.t.Helper()
	req, err := http.NewRequest(method, c.url, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := c.client
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return reply{Status: res.StatusCode, Header: res.Header, Body: data}
}

// initialize opens a session of the session era and returns its id.
func (c rpc) initialize(version string) string {
	c.t.Helper()
	r := c.do(http.MethodPost, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"`+version+
		`","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`)
	id := r.Header.Get("Mcp-Session-Id")
	if r.Status != http.StatusOK || id == "" {
		c.t.Fatalf("initialize: %d, session %q: %s", r.Status, id, r.Body)
	}
	if r := c.do(http.MethodPost, `{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		"Mcp-Session-Id", id, "MCP-Protocol-Version", version); r.Status != http.StatusAccepted {
		c.t.Fatalf("notifications/initialized: %d: %s", r.Status, r.Body)
	}
	return id
}

// meta is the _meta member every request of the sessionless era carries.
const meta = `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"raw","version":"1"}}`

// handlerTransport serves requests with a handler in-process, for tests inside a synctest
// bubble, where real sockets would not let time advance.
type handlerTransport struct{ h http.Handler }

func (ht handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	if r.Body != nil {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	ht.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}
