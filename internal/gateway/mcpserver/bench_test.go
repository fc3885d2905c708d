package mcpserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkToolCall is one sessionless tools/call of a list tool, in-process against the fake
// upstream, through the fast path and through the SDK alone: the MCP server's own cost.
func BenchmarkToolCall(b *testing.B) {
	body := call("1", "list-channels", "{}")
	header := sessionless("tools/call", "list-channels")
	for _, c := range []struct {
		name string
		fast bool
	}{{"fast path", true}, {"SDK", false}} {
		b.Run(c.name, func(b *testing.B) {
			srv, err := New(testAdapter(), newFakeInvoker(), Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { srv.Close() })
			srv.http.fast = c.fast
			h := srv.Handler()
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
