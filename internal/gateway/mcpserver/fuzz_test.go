package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/restreamkit/restreamkit/internal/capability"
	"github.com/restreamkit/restreamkit/internal/gateway/upstream"
)

// FuzzHTTPHandler posts arbitrary bodies to Handler, the part of the MCP server the network
// reaches: our routing between the eras (isInitialize), the body bound, the argument check and
// decoding, and the SDK's JSON-RPC parsing behind them. Whatever the body, the handler never
// panics and never answers a 5xx, a JSON answer is valid JSON, and no call reaches the
// upstream with arguments its tool's schema refuses. Without a session, the fast path (fast.go)
// answers exactly as the SDK alone does: same status, headers and JSON.
//
// The first input picks how the body is sent: 0 without a session (the sessionless era, or an
// initialize), 1 on a session opened for it, 2 on an unknown session, 3 as the 2026-07-28
// protocol with its headers taken from the body.
func FuzzHTTPHandler(f *testing.F) {
	for _, seed := range []struct {
		mode uint8
		body string
	}{
		{0, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"f","version":"1"}}}`},
		{0, `[{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"f","version":"1"}}}]`},
		{0, `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`},
		{0, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get-channel","arguments":{"id":2}}}`},
		{0, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get-channel","arguments":{"id":1e400}}}`},
		{0, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"update-channel","arguments":{"id":1,"active":false,"x":null}}}`},
		{0, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get-stream-key","arguments":[]}}`},
		{0, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list-channels","arguments":"x"}}`},
		{0, `{"jsonrpc":"2.0","method":"notifications/initialized"}`},
		{0, `[1,2,3]`},
		{0, `{"jsonrpc":`},
		{0, ``},
		{1, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get-channel","arguments":{"id":404}}}`},
		{1, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get-channel","arguments":{"id":"\u0000"}}}`},
		{1, `{"jsonrpc":"2.0","id":2,"method":"ping"}`},
		{2, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`},
		{3, `{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{` + meta + `}}`},
		{3, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get-channel","arguments":{"id":9000},` + meta + `}}`},
		{3, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"update-channel","arguments":{"id":4242,"active":true},` + meta + `}}`},
		{3, `{"jsonrpc":"2.0","id":3,"method":"tools/list","params":{` + meta + `}}`},
		{3, `{"jsonrpc":"2.0","id":"x","method":"tools/call","params":{"name":"list-channels","arguments":{},` + meta + `}}`},
		{3, `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"get-channel","arguments":{"id":404},` + meta + `}}`},
		{3, `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"get-channel","arguments":{"id":0,"x":1},` + meta + `}}`},
		{3, `{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"get-channel","arguments":{"id":1},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`},
	} {
		f.Add(seed.mode, []byte(seed.body))
	}

	opts := Options{MaxRequestBytes: 64 << 10, MaxResultBytes: 2000, MaxSessions: 8}
	// Requests without a session go to the fast path and to the SDK alone, each with its own
	// upstream, in step; requests of a session, which only the SDK serves, to a third server,
	// so that they leave the other two upstreams in step.
	inv := &checkingInvoker{fake: newFakeInvoker(), tools: testAdapter().Tools}
	sdkInv := &checkingInvoker{fake: newFakeInvoker(), tools: testAdapter().Tools}
	paths := newTwoPathsOf(f, opts, inv, sdkInv)
	sessionInv := &checkingInvoker{fake: newFakeInvoker(), tools: testAdapter().Tools}
	sessionSrv, err := New(testAdapter(), sessionInv, opts)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { sessionSrv.Close() })
	h := sessionSrv.Handler()

	f.Fuzz(func(t *testing.T, mode uint8, body []byte) {
		header := http.Header{}
		switch mode % 4 {
		case 1:
			c := rpc{t: t, url: "http://127.0.0.1/mcp", client: &http.Client{Transport: handlerTransport{h}}}
			id := c.initialize(v20251125)
			defer c.do(http.MethodDelete, "", "Mcp-Session-Id", id)
			header.Set("Mcp-Session-Id", id)
			header.Set("MCP-Protocol-Version", v20251125)
		case 2:
			header.Set("Mcp-Session-Id", "no-such-session")
		case 3:
			header.Set("MCP-Protocol-Version", v20260728)
			var msg struct {
				Method string `json:"method"`
				Params struct {
					Name string `json:"name"`
				} `json:"params"`
			}
			if json.Unmarshal(body, &msg) == nil {
				header.Set("Mcp-Method", msg.Method)
				if msg.Params.Name != "" {
					header.Set("Mcp-Name", msg.Params.Name)
				}
			}
		}
		header.Set("Content-Type", "application/json")
		header.Set("Accept", "application/json, text/event-stream")
		var a answer
		if mode%4 == 0 || mode%4 == 3 {
			// Without a session, the fast path may take the request: it must answer as the
			// SDK does.
			var diff string
			if diff, _, a = paths.compareAnswers(header, body); diff != "" {
				t.Errorf("mode %d: %s", mode%4, diff)
			}
		} else {
			a = serve(h, header, body)
		}

		if a.Status >= 500 {
			t.Errorf("mode %d: %d %v%s", mode%4, a.Status, a.Body, a.RawBody)
		}
		if strings.HasPrefix(a.Header["Content-Type"], "application/json") && a.RawBody != "" {
			t.Errorf("mode %d: %d answer is not JSON: %q", mode%4, a.Status, a.RawBody)
		}
		for _, inv := range []*checkingInvoker{inv, sdkInv, sessionInv} {
			if err := inv.takeViolation(); err != nil {
				t.Error(err)
			}
		}
	})
}

// checkingInvoker passes calls to the fake after checking, independently of the server's
// schema validation, that their arguments are ones the tool accepts.
type checkingInvoker struct {
	fake  *fakeInvoker
	tools []*capability.Tool

	mu        sync.Mutex
	violation error
}

func (c *checkingInvoker) Invoke(ctx context.Context, call *capability.Call, args map[string]any) (*upstream.Result, error) {
	if err := c.check(call, args); err != nil {
		c.mu.Lock()
		c.violation = err
		c.mu.Unlock()
	}
	return c.fake.Invoke(ctx, call, args)
}

// takeViolation returns and clears the last call whose arguments broke its tool's schema.
func (c *checkingInvoker) takeViolation() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	err := c.violation
	c.violation = nil
	return err
}

// check holds the hand-built tools' rules: only declared inputs, the required ones present,
// ids integers from 1, active a boolean.
func (c *checkingInvoker) check(call *capability.Call, args map[string]any) error {
	for _, tl := range c.tools {
		if tl.Call.Name != call.Name {
			continue
		}
		declared := map[string]bool{}
		for _, in := range tl.Inputs {
			declared[in.Name] = true
			if _, ok := args[in.Name]; in.Required && !ok {
				return fmt.Errorf("%s reached the upstream without %s: %v", tl.Name, in.Name, args)
			}
		}
		for name, v := range args {
			if !declared[name] {
				return fmt.Errorf("%s reached the upstream with an undeclared %s: %v", tl.Name, name, args)
			}
			switch name {
			case "id":
				// An integer as JSON Schema has it: 2, but also 2.0 or 2e0.
				n, ok := v.(json.Number)
				r, isNumber := new(big.Rat).SetString(string(n))
				if !ok || !isNumber || !r.IsInt() || r.Sign() < 1 {
					return fmt.Errorf("%s reached the upstream with id %#v", tl.Name, v)
				}
			case "active":
				if _, ok := v.(bool); !ok {
					return fmt.Errorf("%s reached the upstream with active %#v", tl.Name, v)
				}
			}
		}
		return nil
	}
	return fmt.Errorf("a call of no tool reached the upstream: %s", call.Name)
}
