package mcpserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkToolCall is one tools/call of a list tool, in-process against the fake upstream:
// sessionless through the fast path and through the SDK alone, and on a session (which the SDK
// serves): the MCP server's own cost.
func BenchmarkToolCall(b *testing.B) {
	body := call("1", "list-channels", "{}")
	header := sessionless("tools/call", "list-channels")
	for _, c := range []struct {
		name    string
		fast    bool
		session bool
	}{{"fast path", true, false}, {"SDK", false, false}, {"SDK on a session", true, true}} {
		b.Run(c.name, func(b *testing.B) {
			srv, err := New(testAdapter(), newFakeInvoker(), Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { srv.Close() })
			srv.http.fast = c.fast
			h := srv.Handler()
			body, header := body, header
			if c.session {
				raw := rpc{t: b, url: "http://127.0.0.1/mcp", client: &http.Client{Transport: handlerTransport{h}}}
				id := raw.initialize(v20251125)
				body = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list-channels","arguments":{}}}`
				header = http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json, text/event-stream"},
					"Mcp-Session-Id": {id}, "Mcp-Protocol-Version": {v20251125}}
			}
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
				req.Header = header
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
