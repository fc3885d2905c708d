package mcpserver

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestRawJSONRPCSessionEra(t *testing.T) {
	_, inv, url := newTestServer(t, Options{})
	c := rpc{t: t, url: url}

	r := c.do(http.MethodPost, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`)
	session := r.Header.Get("Mcp-Session-Id")
	if r.Status != http.StatusOK || session == "" || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("initialize: %d %v: %s", r.Status, r.Header, r.Body)
	}
	var init struct {
		ProtocolVersion string                     `json:"protocolVersion"`
		Capabilities    map[string]json.RawMessage `json:"capabilities"`
		Instructions    string                     `json:"instructions"`
	}
	if err := json.Unmarshal(r.JSON(t).Result, &init); err != nil {
		t.Fatal(err)
	}
	if init.ProtocolVersion != v20251125 {
		t.Errorf("protocolVersion %q, want the client's 2025-11-25 echoed", init.ProtocolVersion)
	}
	if caps := slices.Sorted(mapsKeys(init.Capabilities)); !slices.Equal(caps, []string{"tools"}) || string(init.Capabilities["tools"]) != "{}" {
		t.Errorf("capabilities %s, want tools only, without listChanged", r.JSON(t).Result)
	}

	if r := c.do(http.MethodPost, `{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		"Mcp-Session-Id", session, "MCP-Protocol-Version", v20251125); r.Status != http.StatusAccepted || len(r.Body) != 0 {
		t.Errorf("notifications/initialized: %d %s, want 202 without a body", r.Status, r.Body)
	}

	t.Run("tools/list sends the hints a capability sets and omits the others", func(t *testing.T) {
		r := c.do(http.MethodPost, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`,
			"Mcp-Session-Id", session, "MCP-Protocol-Version", v20251125)
		var list struct {
			Tools []struct {
				Name        string                     `json:"name"`
				Annotations map[string]json.RawMessage `json:"annotations"`
			} `json:"tools"`
		}
		if err := json.Unmarshal(r.JSON(t).Result, &list); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"list-channels":  `{"openWorldHint":true,"readOnlyHint":true,"title":"List channels"}`,
			"get-channel":    `{"readOnlyHint":true,"title":"Get a channel"}`,
			"update-channel": `{"destructiveHint":false,"idempotentHint":true,"readOnlyHint":false,"title":"Update a channel"}`,
			"get-stream-key": `null`,
		}
		for _, tl := range list.Tools {
			got, _ := json.Marshal(tl.Annotations) // sorted keys
			if string(got) != want[tl.Name] {
				t.Errorf("%s annotations %s, want %s", tl.Name, got, want[tl.Name])
			}
		}
		if len(list.Tools) != len(want) {
			t.Errorf("%d tools, want %d", len(list.Tools), len(want))
		}
	})

	t.Run("tools/call with invalid arguments is -32602 with each field in data", func(t *testing.T) {
		r := c.do(http.MethodPost, `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"update-channel","arguments":{"id":-1,"active":"no"}}}`,
			"Mcp-Session-Id", session, "MCP-Protocol-Version", v20251125)
		resp := r.JSON(t)
		if r.Status != http.StatusOK || resp.Error == nil || resp.Error.Code != -32602 {
			t.Fatalf("%d %s, want a JSON-RPC invalid params error", r.Status, r.Body)
		}
		var data struct {
			Tool     string `json:"tool"`
			Problems []struct {
				Field, Rule string
			} `json:"problems"`
		}
		if err := json.Unmarshal(resp.Error.Data, &data); err != nil {
			t.Fatal(err)
		}
		var fields []string
		for _, p := range data.Problems {
			fields = append(fields, p.Field+" "+p.Rule)
		}
		if data.Tool != "update-channel" || !slices.Equal(fields, []string{"/id minimum", "/active type"}) {
			t.Errorf("data %s, want both fields with their rules", resp.Error.Data)
		}
		if !strings.Contains(resp.Error.Message, "/id: ") || !strings.Contains(resp.Error.Message, "/active: ") {
			t.Errorf("message %q, want both fields named", resp.Error.Message)
		}
	})

	t.Run("tools/call answers a result with content and structuredContent", func(t *testing.T) {
		r := c.do(http.MethodPost, `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"get-channel","arguments":{"id":1}}}`,
			"Mcp-Session-Id", session, "MCP-Protocol-Version", v20251125)
		want := `{"content":[{"type":"text","text":"{\"id\":1,\"displayName\":\"Channel 1\",\"active\":true}"}],"structuredContent":{"id":1,"displayName":"Channel 1","active":true}}`
		if got := string(r.JSON(t).Result); got != want {
			t.Errorf("result\n%s\nwant\n%s", got, want)
		}
	})

	t.Run("GET offers no stream: 405", func(t *testing.T) {
		r := c.do(http.MethodGet, "", "Mcp-Session-Id", session, "Accept", "text/event-stream")
		if r.Status != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "POST, DELETE" {
			t.Errorf("GET: %d Allow %q, want 405 with Allow: POST, DELETE", r.Status, r.Header.Get("Allow"))
		}
	})

	t.Run("an unknown session is 404, so the client initializes again", func(t *testing.T) {
		r := c.do(http.MethodPost, `{"jsonrpc":"2.0","id":5,"method":"tools/list"}`, "Mcp-Session-Id", "no-such-session")
		if r.Status != http.StatusNotFound {
			t.Errorf("%d %s, want 404", r.Status, r.Body)
		}
	})

	t.Run("DELETE ends the session", func(t *testing.T) {
		if r := c.do(http.MethodDelete, "", "Mcp-Session-Id", session); r.Status != http.StatusNoContent {
			t.Fatalf("DELETE: %d %s, want 204", r.Status, r.Body)
		}
		r := c.do(http.MethodPost, `{"jsonrpc":"2.0","id":6,"method":"tools/list"}`,
			"Mcp-Session-Id", session, "MCP-Protocol-Version", v20251125)
		if r.Status != http.StatusNotFound {
			t.Errorf("request on the deleted session: %d, want 404", r.Status)
		}
		if r := c.do(http.MethodDelete, "", "Mcp-Session-Id", session); r.Status != http.StatusNotFound {
			t.Errorf("second DELETE: %d, want 404", r.Status)
		}
		if r := c.do(http.MethodDelete, ""); r.Status != http.StatusBadRequest {
			t.Errorf("DELETE without a session: %d, want 400", r.Status)
		}
	})

	if calls := inv.Calls(); !slices.Equal(calls, []string{"mcp get-channel"}) {
		t.Errorf("upstream calls %v, want the one valid tools/call", calls)
	}
}

func TestRawJSONRPCSessionlessEra(t *testing.T) {
	_, _, url := newTestServer(t, Options{})
	c := rpc{t: t, url: url}
	hdr := []string{"MCP-Protocol-Version", v20260728}

	t.Run("server/discover lists both eras' versions and opens no session", func(t *testing.T) {
		r := c.do(http.MethodPost, `{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{`+meta+`}}`,
			append(hdr, "Mcp-Method", "server/discover")...)
		var res struct {
			SupportedVersions []string `json:"supportedVersions"`
			Capabilities      map[string]json.RawMessage
		}
		if err := json.Unmarshal(r.JSON(t).Result, &res); err != nil {
			t.Fatal(err)
		}
		if r.Status != http.StatusOK || r.Header.Get("Mcp-Session-Id") != "" {
			t.Errorf("%d session %q, want 200 without a session", r.Status, r.Header.Get("Mcp-Session-Id"))
		}
		for _, v := range []string{v20260728, v20251125, v20250618} {
			if !slices.Contains(res.SupportedVersions, v) {
				t.Errorf("supportedVersions %v lacks %s", res.SupportedVersions, v)
			}
		}
	})

	t.Run("tools/call answers in one POST", func(t *testing.T) {
		r := c.do(http.MethodPost, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get-stream-key","arguments":{},`+meta+`}}`,
			append(hdr, "Mcp-Method", "tools/call", "Mcp-Name", "get-stream-key")...)
		var res struct {
			StructuredContent map[string]any `json:"structuredContent"`
		}
		if err := json.Unmarshal(r.JSON(t).Result, &res); err != nil || r.Status != http.StatusOK {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if res.StructuredContent["streamKey"] != "re_123_abc" {
			t.Errorf("structuredContent %v", res.StructuredContent)
		}
	})

	t.Run("invalid arguments are HTTP 400 with the -32602 error, as the 2026 protocol asks", func(t *testing.T) {
		r := c.do(http.MethodPost, `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"get-channel","arguments":{"id":"x"},`+meta+`}}`,
			append(hdr, "Mcp-Method", "tools/call", "Mcp-Name", "get-channel")...)
		if resp := r.JSON(t); r.Status != http.StatusBadRequest || resp.Error == nil || resp.Error.Code != -32602 ||
			!strings.Contains(resp.Error.Message, "/id: must be integer") {
			t.Errorf("%d %s", r.Status, r.Body)
		}
	})

	t.Run("tools/list answers in one POST", func(t *testing.T) {
		r := c.do(http.MethodPost, `{"jsonrpc":"2.0","id":4,"method":"tools/list","params":{`+meta+`}}`,
			append(hdr, "Mcp-Method", "tools/list")...)
		if r.Status != http.StatusOK || r.JSON(t).Error != nil {
			t.Errorf("tools/list: %d %s", r.Status, r.Body)
		}
	})

	t.Run("GET and DELETE are 405 and 400 without a session", func(t *testing.T) {
		if r := c.do(http.MethodGet, "", hdr...); r.Status != http.StatusMethodNotAllowed {
			t.Errorf("GET: %d", r.Status)
		}
		if r := c.do(http.MethodPut, "{}", hdr...); r.Status != http.StatusMethodNotAllowed {
			t.Errorf("PUT: %d", r.Status)
		}
		if r := c.do(http.MethodDelete, "", hdr...); r.Status != http.StatusBadRequest {
			t.Errorf("DELETE: %d", r.Status)
		}
	})
}

func TestRawJSONRPCWithoutASessionIsServedAsIfInitialized(t *testing.T) {
	// The format's reference clients post tools/list and tools/call without carrying the
	// session id back; the gateway answers them rather than insisting.
	_, _, url := newTestServer(t, Options{})
	c := rpc{t: t, url: url}
	r := c.do(http.MethodPost, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get-channel","arguments":{"id":2}}}`)
	if r.Status != http.StatusOK || r.JSON(t).Error != nil || !strings.Contains(string(r.Body), `"structuredContent"`) {
		t.Errorf("%d %s", r.Status, r.Body)
	}
}

func TestInitializeNegotiatesTheProtocolVersion(t *testing.T) {
	_, _, url := newTestServer(t, Options{})
	c := rpc{t: t, url: url}
	for _, tc := range []struct{ asked, want string }{
		{v20251125, v20251125},
		{v20250618, v20250618},
		{"2025-03-26", "2025-03-26"},
		{"2099-01-01", v20251125}, // unknown: the newest version of the initialize handshake
		{v20260728, v20251125},    // the 2026 protocol has no initialize
	} {
		r := c.do(http.MethodPost, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"`+tc.asked+`","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`)
		var res struct {
			ProtocolVersion string `json:"protocolVersion"`
		}
		if err := json.Unmarshal(r.JSON(t).Result, &res); err != nil || res.ProtocolVersion != tc.want {
			t.Errorf("asked %s: %d %s, want %s", tc.asked, r.Status, r.Body, tc.want)
		}
	}
}

func TestRequestBodiesAreBounded(t *testing.T) {
	_, inv, url := newTestServer(t, Options{MaxRequestBytes: 4096})
	c := rpc{t: t, url: url}
	big := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get-channel","arguments":{"id":1,"pad":"` + strings.Repeat("x", 5000) + `"}}}`
	for _, session := range []bool{false, true} {
		var hdr []string
		if session {
			hdr = []string{"Mcp-Session-Id", c.initialize(v20251125), "MCP-Protocol-Version", v20251125}
		}
		r := c.do(http.MethodPost, big, hdr...)
		if resp := r.JSON(t); r.Status != http.StatusRequestEntityTooLarge || resp.Error == nil || !strings.Contains(resp.Error.Message, "4096") {
			t.Errorf("session %t: %d %s, want 413 with a JSON-RPC error naming the limit", session, r.Status, r.Body)
		}
	}
	if len(inv.Calls()) != 0 {
		t.Errorf("upstream calls %v", inv.Calls())
	}
}

func TestMalformedRequestsAreRefusedWith4xx(t *testing.T) {
	_, _, url := newTestServer(t, Options{})
	c := rpc{t: t, url: url}
	for _, tc := range []struct {
		name, body string
		header     []string
	}{
		{"not JSON", `{"jsonrpc":`, nil},
		{"empty", ``, nil},
		{"not JSON-RPC", `[1,2,3]`, nil},
		{"wrong content type", `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, []string{"Content-Type", "text/plain"}},
		{"no Accept for JSON", `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, []string{"Accept", "text/html"}},
		{"unknown protocol version header", `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, []string{"MCP-Protocol-Version", "1999-01-01"}},
	} {
		r := c.do(http.MethodPost, tc.body, tc.header...)
		if r.Status < 400 || r.Status >= 500 {
			t.Errorf("%s: %d %s, want a 4xx", tc.name, r.Status, r.Body)
		}
	}
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
