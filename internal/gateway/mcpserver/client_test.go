package mcpserver

import (
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// eras are the protocol versions a Go SDK client asks for, and whether the server must hold a
// session for them.
var eras = []struct {
	name, version string
	session       bool
}{
	{"sessionless 2026-07-28", v20260728, false},
	{"session-based 2025-11-25", v20251125, true},
	{"session-based 2025-06-18", v20250618, true},
}

func TestGoSDKClientOverStreamableHTTPInEachEra(t *testing.T) {
	for _, era := range eras {
		t.Run(era.name, func(t *testing.T) {
			_, inv, url := newTestServer(t, Options{Version: "1.2.3"})
			cs := connect(t, url, era.version)
			exerciseTools(t, cs, inv, era.version, era.session)
		})
	}
}

// exerciseTools runs the checks every transport and era must pass with a Go SDK client session:
// the negotiated version, the tool list, a read, a write, bad arguments and upstream failures.
func exerciseTools(t *testing.T, cs *mcp.ClientSession, inv *fakeInvoker, version string, session bool) {
	t.Helper()
	init := cs.InitializeResult()
	if init.ProtocolVersion != version {
		t.Errorf("negotiated %q, want %q", init.ProtocolVersion, version)
	}
	if (cs.ID() != "") != session {
		t.Errorf("session id %q, want a session: %t", cs.ID(), session)
	}
	if init.ServerInfo == nil || init.ServerInfo.Name != "restream-tools" {
		t.Errorf("serverInfo %+v, want the adapter's namespace", init.ServerInfo)
	}
	if init.Instructions != "Manage a creator's multistreaming." {
		t.Errorf("instructions %q, want the adapter's description", init.Instructions)
	}

	t.Run("lists the adapter's tools with their schemas and hints", func(t *testing.T) {
		list, err := cs.ListTools(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]*mcp.Tool{}
		for _, tl := range list.Tools {
			byName[tl.Name] = tl
		}
		want := testAdapter()
		if got := slices.Sorted(maps.Keys(byName)); len(got) != len(want.Tools) {
			t.Fatalf("tools %v, want the adapter's %d", got, len(want.Tools))
		}
		for _, w := range want.Tools {
			got := byName[w.Name]
			if got == nil {
				t.Errorf("tool %s missing", w.Name)
				continue
			}
			if got.Title != w.Title || got.Description != w.Description {
				t.Errorf("%s: title %q description %q, want %q %q", w.Name, got.Title, got.Description, w.Title, w.Description)
			}
			wantIn := maps.Clone(w.InputSchema)
			wantIn["additionalProperties"] = false
			if !sameJSON(t, got.InputSchema, wantIn) {
				t.Errorf("%s: inputSchema %v, want %v", w.Name, got.InputSchema, wantIn)
			}
			if w.OutputSchema == nil && got.OutputSchema != nil || w.OutputSchema != nil && !sameJSON(t, got.OutputSchema, w.OutputSchema) {
				t.Errorf("%s: outputSchema %v, want %v", w.Name, got.OutputSchema, w.OutputSchema)
			}
		}
		if a := byName["get-channel"].Annotations; a == nil || !a.ReadOnlyHint || a.Title != "Get a channel" {
			t.Errorf("get-channel annotations %+v, want readOnlyHint and the title", a)
		}
		if a := byName["update-channel"].Annotations; a == nil || a.ReadOnlyHint || !a.IdempotentHint ||
			a.DestructiveHint == nil || *a.DestructiveHint {
			t.Errorf("update-channel annotations %+v, want idempotent, not destructive", a)
		}
		if a := byName["get-stream-key"].Annotations; a != nil {
			t.Errorf("get-stream-key has no hints and no title, yet annotations %+v", a)
		}
	})

	t.Run("a read-only tool answers text and structuredContent", func(t *testing.T) {
		res := callTool(t, cs, "get-channel", map[string]any{"id": 2})
		if res.IsError {
			t.Fatalf("isError: %v", text(res))
		}
		if got := text(res); got != `{"id":2,"displayName":"Channel 2","active":true}` {
			t.Errorf("text %s, want the answer as compact JSON", got)
		}
		if !sameJSON(t, res.StructuredContent, map[string]any{"id": 2, "displayName": "Channel 2", "active": true}) {
			t.Errorf("structuredContent %v", res.StructuredContent)
		}
	})

	t.Run("a list answer is wrapped as {result: [...]}", func(t *testing.T) {
		res := callTool(t, cs, "list-channels", nil)
		sc, _ := res.StructuredContent.(map[string]any)
		if res.IsError || sc == nil || len(sc["result"].([]any)) != 2 {
			t.Fatalf("result %+v, want two channels under result", res)
		}
		if strings.HasPrefix(text(res), "{") {
			t.Errorf("text %s: want the answer itself, the list", text(res))
		}
	})

	t.Run("a writing tool changes what a read sees", func(t *testing.T) {
		res := callTool(t, cs, "update-channel", map[string]any{"id": 1, "active": false})
		if res.IsError || res.StructuredContent != nil {
			t.Fatalf("update-channel: %+v", res)
		}
		if !strings.Contains(text(res), "204") {
			t.Errorf("text %q, want it to say the upstream answered 204", text(res))
		}
		if got := callTool(t, cs, "get-channel", map[string]any{"id": 1}).StructuredContent.(map[string]any)["active"]; got != false {
			t.Errorf("channel 1 active = %v after update-channel, want false", got)
		}
		callTool(t, cs, "update-channel", map[string]any{"id": 1, "active": true})
	})

	t.Run("invalid arguments are invalid params naming the field, and never reach the upstream", func(t *testing.T) {
		before := len(inv.Calls())
		for _, tc := range []struct {
			args  map[string]any
			field string
		}{
			{map[string]any{}, `/id`},
			{map[string]any{"id": "two"}, `/id`},
			{map[string]any{"id": 0}, `/id`},
			{map[string]any{"id": 2, "colour": "red"}, `/colour`},
		} {
			_, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "get-channel", Arguments: tc.args})
			var rpcErr *jsonrpc.Error
			if !errors.As(err, &rpcErr) || rpcErr.Code != jsonrpc.CodeInvalidParams || !strings.Contains(rpcErr.Message, tc.field+":") {
				t.Errorf("arguments %v: error %v, want invalid params naming %s", tc.args, err, tc.field)
			}
		}
		if after := len(inv.Calls()); after != before {
			t.Errorf("the invoker was called %d times for invalid arguments", after-before)
		}
	})

	t.Run("an upstream error answer is an isError result with its message and no structuredContent", func(t *testing.T) {
		res := callTool(t, cs, "get-channel", map[string]any{"id": idMissing})
		if !res.IsError || res.StructuredContent != nil || !strings.Contains(text(res), "Channel 404 was not found") ||
			!strings.Contains(text(res), "404") {
			t.Errorf("result %+v (%s), want isError with the envelope's message", res, text(res))
		}
	})

	t.Run("an unreachable upstream is an isError result", func(t *testing.T) {
		res := callTool(t, cs, "get-channel", map[string]any{"id": idUnreachable})
		if !res.IsError || res.StructuredContent != nil || !strings.Contains(text(res), "connection refused") {
			t.Errorf("result %+v (%s), want isError with the transport failure", res, text(res))
		}
	})

	t.Run("an unknown tool is the SDK's invalid params error", func(t *testing.T) {
		_, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "delete-everything"})
		var rpcErr *jsonrpc.Error
		if !errors.As(err, &rpcErr) || rpcErr.Code != jsonrpc.CodeInvalidParams || !strings.Contains(rpcErr.Message, "delete-everything") {
			t.Errorf("error %v, want invalid params naming the tool", err)
		}
	})
}

func callTool(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return res
}

// text is the text of a result's first content.
func text(res *mcp.CallToolResult) string {
	if len(res.Content) == 0 {
		return ""
	}
	if tc, ok := res.Content[0].(*mcp.TextContent); ok {
		return tc.Text
	}
	return ""
}

// sameJSON reports whether a and b encode to the same JSON value.
func sameJSON(t testing.TB, a, b any) bool {
	t.Helper()
	norm := func(v any) any {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var out any
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	return reflect.DeepEqual(norm(a), norm(b))
}
