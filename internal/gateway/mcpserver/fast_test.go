package mcpserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/restreamkit/restreamkit/internal/gateway/upstream"
)

// twoPaths is the same server twice: one with the fast path, one serving everything through
// the SDK, each with its own fake upstream in the same state.
type twoPaths struct {
	fast, sdk *Server
}

func newTwoPaths(t testing.TB, opts Options) twoPaths {
	return newTwoPathsOf(t, opts, newFakeInvoker(), newFakeInvoker())
}

// newTwoPathsOf is newTwoPaths with the invokers given, the fast path's first.
func newTwoPathsOf(t testing.TB, opts Options, fast, sdk upstream.Invoker) twoPaths {
	t.Helper()
	var p twoPaths
	invokers := map[**Server]upstream.Invoker{&p.fast: fast, &p.sdk: sdk}
	for _, s := range []**Server{&p.fast, &p.sdk} {
		srv, err := New(testAdapter(), invokers[s], opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		*s = srv
	}
	p.sdk.http.fast = false
	return p
}

// answer is what the comparison looks at in an HTTP answer.
type answer struct {
	Status  int
	Header  map[string]string
	Body    any    // decoded when JSON
	RawBody string // when not JSON
}

// comparedHeaders are the response headers a client can act on.
var comparedHeaders = []string{"Content-Type", "Cache-Control", "Mcp-Session-Id", "Allow", "Retry-After"}

func serve(h http.Handler, header http.Header, body []byte) answer {
	req := httptest.NewRequest(http.MethodPost, "/mcp", bytes.NewReader(body))
	req.Header = header.Clone()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	a := answer{Status: rec.Code, Header: map[string]string{}}
	for _, k := range comparedHeaders {
		if v := rec.Header().Values(k); len(v) > 0 {
			a.Header[k] = strings.Join(v, "|")
		}
	}
	if _, ok := a.Header["Mcp-Session-Id"]; ok {
		a.Header["Mcp-Session-Id"] = "(random)"
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &a.Body); err != nil {
		a.Body, a.RawBody = nil, rec.Body.String()
	}
	return a
}

// compare posts body to both paths and reports how their answers differ, if they do, and
// whether the fast path took the request.
func (p twoPaths) compare(header http.Header, body []byte) (diff string, fast bool) {
	diff, fast, _ = p.compareAnswers(header, body)
	return diff, fast
}

// compareAnswers is compare, also returning the fast path's answer.
func (p twoPaths) compareAnswers(header http.Header, body []byte) (diff string, fast bool, got answer) {
	req := httptest.NewRequest(http.MethodPost, "/mcp", bytes.NewReader(body))
	req.Header = header.Clone()
	_, fast = p.fast.http.fastRequest(req, body)
	fast = fast && int64(len(body)) <= p.fast.opts.MaxRequestBytes // larger: 413 before any path
	want := serve(p.sdk.Handler(), header, body)
	got = serve(p.fast.Handler(), header, body)
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		return fmt.Sprintf("fast path answered\n  %s\nthe SDK answered\n  %s", g, w), fast, got
	}
	return "", fast, got
}

// sessionless returns the headers of a 2026-07-28 request; pairs override or, with an empty
// value, remove one.
func sessionless(method, name string, pairs ...string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json, text/event-stream")
	h.Set("MCP-Protocol-Version", v20260728)
	h.Set("Mcp-Method", method)
	if name != "" {
		h.Set("Mcp-Name", name)
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			h.Del(pairs[i])
		} else {
			h.Set(pairs[i], pairs[i+1])
		}
	}
	return h
}

// call is a 2026-07-28 tools/call body with the standard _meta.
func call(id, name, args string) string {
	return `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{"name":"` + name + `","arguments":` + args + `,` + meta + `}}`
}

func TestFastPathAnswersAsTheSDK(t *testing.T) {
	list := `{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{` + meta + `}}`
	metaWith := func(members string) string {
		return `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list-channels","arguments":{},"_meta":{` + members + `}}}`
	}
	const (
		pv   = `"io.modelcontextprotocol/protocolVersion":"2026-07-28"`
		caps = `"io.modelcontextprotocol/clientCapabilities":{}`
		info = `"io.modelcontextprotocol/clientInfo":{"name":"raw","version":"1"}`
	)
	for _, c := range []struct {
		name   string
		header http.Header
		body   string
		fast   bool // the fast path takes it
	}{
		// What the fast path serves: every kind of tool and answer.
		{"a list tool's call", sessionless("tools/call", "list-channels"), call("1", "list-channels", "{}"), true},
		{"a call without arguments", sessionless("tools/call", "list-channels"),
			`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list-channels",` + meta + `}}`, true},
		{"a call with null arguments", sessionless("tools/call", "list-channels"), call("1", "list-channels", "null"), true},
		{"a call with a string id", sessionless("tools/call", "get-channel"), call(`"abc-1"`, "get-channel", `{"id":1}`), true},
		{"a call with a negative id", sessionless("tools/call", "get-channel"), call("-42", "get-channel", `{"id":1}`), true},
		{"a call with id 0", sessionless("tools/call", "get-channel"), call("0", "get-channel", `{"id":1}`), true},
		{"a call with a 15-digit id", sessionless("tools/call", "get-channel"), call("999999999999999", "get-channel", `{"id":2}`), true},
		{"a call answering one object", sessionless("tools/call", "get-channel"), call("2", "get-channel", `{"id":2}`), true},
		{"a call answering no content", sessionless("tools/call", "update-channel"), call("3", "update-channel", `{"id":1,"active":false}`), true},
		{"a call of a tool without an output schema after a change", sessionless("tools/call", "list-channels"), call("4", "list-channels", "{}"), true},
		{"a call of a tool with an empty input schema", sessionless("tools/call", "get-stream-key"), call("5", "get-stream-key", "{}"), true},
		{"a call the upstream answers 404", sessionless("tools/call", "get-channel"), call("6", "get-channel", `{"id":404}`), true},
		{"a call the upstream cannot be reached for", sessionless("tools/call", "get-channel"), call("6", "get-channel", `{"id":502}`), true},
		{"a call whose answer breaks the output schema", sessionless("tools/call", "get-channel"), call("6", "get-channel", `{"id":4242}`), true},
		{"a call whose answer is over the cap", sessionless("tools/call", "get-channel"), call("6", "get-channel", `{"id":9000}`), true},
		{"a call of an unknown channel", sessionless("tools/call", "get-channel"), call("6", "get-channel", `{"id":77}`), true},
		{"a call missing a required argument", sessionless("tools/call", "get-channel"), call("8", "get-channel", `{}`), true},
		{"a call with an argument of the wrong type", sessionless("tools/call", "get-channel"), call("8", "get-channel", `{"id":"2"}`), true},
		{"a call with an argument out of range", sessionless("tools/call", "get-channel"), call("8", "get-channel", `{"id":0}`), true},
		{"a call with an undeclared argument", sessionless("tools/call", "update-channel"), call("8", "update-channel", `{"id":1,"active":true,"x":null}`), true},
		{"a call with six problems", sessionless("tools/call", "update-channel"), call("8", "update-channel", `{"id":"x","active":1,"a":1,"b":2,"c":3,"d":4}`), true},
		{"a call with arguments that are an array", sessionless("tools/call", "get-stream-key"), call("8", "get-stream-key", `[]`), true},
		{"a call with arguments that are a string", sessionless("tools/call", "list-channels"), call("8", "list-channels", `"x"`), true},
		{"a call with a huge number", sessionless("tools/call", "get-channel"), call("8", "get-channel", `{"id":1e400}`), false},
		{"a call with a fractional id argument", sessionless("tools/call", "get-channel"), call("8", "get-channel", `{"id":1.5}`), true},
		{"a call with whitespace everywhere", sessionless("tools/call", "get-channel"),
			" {\n \"jsonrpc\" : \"2.0\" , \"id\" : 9 ,\"method\":\"tools/call\",\"params\":{ \"arguments\" : { \"id\" : 1 } ,\"name\":\"get-channel\"," + meta + "} } \n", true},
		{"a call with members in another order", sessionless("tools/call", "get-channel"),
			`{"params":{` + meta + `,"arguments":{"id":1},"name":"get-channel"},"method":"tools/call","id":10,"jsonrpc":"2.0"}`, true},
		{"a call without clientInfo", sessionless("tools/call", "list-channels"), metaWith(pv + "," + caps), true},
		{"a call with capabilities", sessionless("tools/call", "list-channels"),
			metaWith(pv + `,"io.modelcontextprotocol/clientCapabilities":{"roots":{"listChanged":true},"sampling":{},"elicitation":{}},` + info), true},
		{"a call with a loose Accept", sessionless("tools/call", "list-channels", "Accept", "*/*"), call("1", "list-channels", "{}"), true},
		{"a call with a charset", sessionless("tools/call", "list-channels", "Content-Type", "application/json; charset=utf-8"), call("1", "list-channels", "{}"), true},
		{"tools/list", sessionless("tools/list", ""), list, true},

		// What goes to the SDK: its own errors, and anything unusual.
		{"a call of an unknown tool", sessionless("tools/call", "nope"), call("1", "nope", "{}"), false},
		{"a call without Mcp-Method", sessionless("tools/call", "list-channels", "Mcp-Method", ""), call("1", "list-channels", "{}"), false},
		{"a call without Mcp-Name", sessionless("tools/call", "list-channels", "Mcp-Name", ""), call("1", "list-channels", "{}"), false},
		{"a call whose Mcp-Method disagrees", sessionless("tools/list", "list-channels"), call("1", "list-channels", "{}"), false},
		{"a call whose Mcp-Name disagrees", sessionless("tools/call", "get-channel"), call("1", "list-channels", "{}"), false},
		{"tools/list whose Mcp-Method disagrees", sessionless("tools/call", ""), list, false},
		{"a call without MCP-Protocol-Version", sessionless("tools/call", "list-channels", "MCP-Protocol-Version", ""), call("1", "list-channels", "{}"), false},
		{"a call with an older MCP-Protocol-Version", sessionless("tools/call", "list-channels", "MCP-Protocol-Version", v20251125), call("1", "list-channels", "{}"), false},
		{"a call with an unknown MCP-Protocol-Version", sessionless("tools/call", "list-channels", "MCP-Protocol-Version", "2027-01-01"), call("1", "list-channels", "{}"), false},
		{"a call with a bogus MCP-Protocol-Version", sessionless("tools/call", "list-channels", "MCP-Protocol-Version", "x"), call("1", "list-channels", "{}"), false},
		{"a call with Accept JSON only", sessionless("tools/call", "list-channels", "Accept", "application/json"), call("1", "list-channels", "{}"), false},
		{"a call without Accept", sessionless("tools/call", "list-channels", "Accept", ""), call("1", "list-channels", "{}"), false},
		{"a call with a text body", sessionless("tools/call", "list-channels", "Content-Type", "text/plain"), call("1", "list-channels", "{}"), false},
		{"a call without Content-Type", sessionless("tools/call", "list-channels", "Content-Type", ""), call("1", "list-channels", "{}"), false},
		{"a call with Last-Event-ID", sessionless("tools/call", "list-channels", "Last-Event-ID", "x_1"), call("1", "list-channels", "{}"), false},
		{"a call with an Mcp-Param header", sessionless("tools/call", "get-channel", "Mcp-Param-Id", "2"), call("1", "get-channel", `{"id":2}`), false},
		{"a call without _meta", sessionless("tools/call", "list-channels"),
			`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list-channels","arguments":{}}}`, false},
		{"a call whose _meta lacks capabilities", sessionless("tools/call", "list-channels"), metaWith(pv + "," + info), false},
		{"a call whose _meta lacks the version", sessionless("tools/call", "list-channels"), metaWith(caps + "," + info), false},
		{"a call whose _meta names another version", sessionless("tools/call", "list-channels"),
			metaWith(`"io.modelcontextprotocol/protocolVersion":"2025-11-25",` + caps), false},
		{"a call whose clientInfo is not an object", sessionless("tools/call", "list-channels"),
			metaWith(pv + "," + caps + `,"io.modelcontextprotocol/clientInfo":"me"`), false},
		{"a call whose clientInfo has a number for a name", sessionless("tools/call", "list-channels"),
			metaWith(pv + "," + caps + `,"io.modelcontextprotocol/clientInfo":{"name":1}`), false},
		{"a call whose capabilities are not an object", sessionless("tools/call", "list-channels"),
			metaWith(pv + `,"io.modelcontextprotocol/clientCapabilities":[]`), false},
		{"a call whose capabilities are null", sessionless("tools/call", "list-channels"),
			metaWith(pv + `,"io.modelcontextprotocol/clientCapabilities":null`), false},
		{"a call with a log level", sessionless("tools/call", "list-channels"),
			metaWith(pv + "," + caps + `,"io.modelcontextprotocol/logLevel":"debug"`), false},
		{"a call with a progress token", sessionless("tools/call", "list-channels"), metaWith(pv + "," + caps + `,"progressToken":1`), false},
		{"a call whose _meta is not an object", sessionless("tools/call", "list-channels"),
			`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list-channels","_meta":1}}`, false},
		{"a call of JSON-RPC 1.0", sessionless("tools/call", "list-channels"),
			strings.Replace(call("1", "list-channels", "{}"), `"2.0"`, `"1.0"`, 1), false},
		{"a call without jsonrpc", sessionless("tools/call", "list-channels"),
			strings.Replace(call("1", "list-channels", "{}"), `"jsonrpc":"2.0",`, ``, 1), false},
		{"a notification of tools/call", sessionless("tools/call", "list-channels"),
			strings.Replace(call("1", "list-channels", "{}"), `"id":1,`, ``, 1), false},
		{"a call with a null id", sessionless("tools/call", "list-channels"), call("null", "list-channels", "{}"), false},
		{"a call with a huge id", sessionless("tools/call", "list-channels"), call("123456789012345678901234567890", "list-channels", "{}"), false},
		{"a call with a 16-digit id", sessionless("tools/call", "list-channels"), call("9007199254740993", "list-channels", "{}"), false},
		{"a call with a fractional id", sessionless("tools/call", "list-channels"), call("1.5", "list-channels", "{}"), false},
		{"a call with an exponent id", sessionless("tools/call", "list-channels"), call("1e3", "list-channels", "{}"), false},
		{"a call with an object id", sessionless("tools/call", "list-channels"), call("{}", "list-channels", "{}"), false},
		{"a call with an escaped string id", sessionless("tools/call", "list-channels"), call(`"a\"b"`, "list-channels", "{}"), false},
		{"a call with a name that is a number", sessionless("tools/call", "1"),
			`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":1,` + meta + `}}`, false},
		{"a call without a name", sessionless("tools/call", "list-channels"),
			`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{` + meta + `}}`, false},
		{"a call with an escaped name", sessionless("tools/call", "list-channels"),
			`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list\u002dchannels",` + meta + `}}`, false},
		{"a call with an unknown params member", sessionless("tools/call", "list-channels"),
			`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list-channels","task":{},` + meta + `}}`, false},
		{"a call with an unknown member", sessionless("tools/call", "list-channels"),
			`{"jsonrpc":"2.0","id":1,"x":1,"method":"tools/call","params":{"name":"list-channels",` + meta + `}}`, false},
		{"a call with a key in another case", sessionless("tools/call", "list-channels"),
			`{"jsonrpc":"2.0","ID":1,"method":"tools/call","params":{"name":"list-channels",` + meta + `}}`, false},
		{"a call with a duplicate id", sessionless("tools/call", "list-channels"),
			`{"jsonrpc":"2.0","id":1,"id":2,"method":"tools/call","params":{"name":"list-channels",` + meta + `}}`, false},
		{"a call with a duplicate name", sessionless("tools/call", "list-channels"),
			`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get-channel","name":"list-channels",` + meta + `}}`, false},
		{"a call with an escaped key", sessionless("tools/call", "list-channels"),
			`{"jsonrpc":"2.0","\u0069d":1,"method":"tools/call","params":{"name":"list-channels",` + meta + `}}`, false},
		{"a call with trailing data", sessionless("tools/call", "list-channels"), call("1", "list-channels", "{}") + `{}`, false},
		{"a call with trailing garbage", sessionless("tools/call", "list-channels"), call("1", "list-channels", "{}") + `x`, false},
		{"a call with invalid UTF-8", sessionless("tools/call", "get-channel"), call("1", "get-channel", "{\"id\":\"\xff\"}"), false},
		{"a call with params that are an array", sessionless("tools/call", "list-channels"),
			`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":[]}`, false},
		{"a call without params", sessionless("tools/call", "list-channels"), `{"jsonrpc":"2.0","id":1,"method":"tools/call"}`, false},
		{"tools/list with a cursor", sessionless("tools/list", ""),
			`{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"cursor":"x",` + meta + `}}`, false},
		{"tools/list without _meta", sessionless("tools/list", ""), `{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{}}`, false},
		{"tools/list without params", sessionless("tools/list", ""), `{"jsonrpc":"2.0","id":7,"method":"tools/list"}`, false},
		{"tools/list with a name", sessionless("tools/list", ""),
			`{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"name":"x",` + meta + `}}`, false},
		{"server/discover", sessionless("server/discover", ""),
			`{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{` + meta + `}}`, false},
		{"ping", sessionless("ping", ""), `{"jsonrpc":"2.0","id":1,"method":"ping","params":{` + meta + `}}`, false},
		{"an unknown method", sessionless("nope/nope", ""), `{"jsonrpc":"2.0","id":1,"method":"nope/nope","params":{` + meta + `}}`, false},
		{"a notification", sessionless("notifications/initialized", ""), `{"jsonrpc":"2.0","method":"notifications/initialized"}`, false},
		{"a batch of calls", sessionless("tools/call", "list-channels"), "[" + call("1", "list-channels", "{}") + "]", false},
		{"a batch of numbers", sessionless("tools/call", "list-channels"), `[1,2,3]`, false},
		{"an empty batch", sessionless("tools/call", "list-channels"), `[]`, false},
		{"a truncated body", sessionless("tools/call", "list-channels"), `{"jsonrpc":`, false},
		{"an empty body", sessionless("tools/call", "list-channels"), ``, false},
		{"a body that is a string", sessionless("tools/call", "list-channels"), `"x"`, false},
		{"a session-era call without a session", sessionless("tools/call", "list-channels", "MCP-Protocol-Version", v20250618),
			`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list-channels","arguments":{}}}`, false},
		{"a call with an exponent in its arguments", sessionless("tools/call", "get-channel"), call("8", "get-channel", `{"id":1e3}`), false},
		{"a call with a long number in its arguments", sessionless("tools/call", "get-channel"), call("8", "get-channel", `{"id":123456789012345678901234}`), false},
		{"a call with arguments nested 64 deep", sessionless("tools/call", "update-channel"),
			call("8", "update-channel", `{"id":1,"active":true,"x":`+strings.Repeat("[", 60)+strings.Repeat("]", 60)+`}`), true},
		{"a call with arguments nested 100 deep", sessionless("tools/call", "update-channel"),
			call("8", "update-channel", `{"id":1,"active":true,"x":`+strings.Repeat("[", 100)+strings.Repeat("]", 100)+`}`), false},
		{"a call with arguments nested 1001 deep", sessionless("tools/call", "update-channel"),
			call("8", "update-channel", `{"id":1,"active":true,"x":`+strings.Repeat("[", 1001)+strings.Repeat("]", 1001)+`}`), false},
		{"a call with a string id holding non-ASCII", sessionless("tools/call", "get-channel"), call(`"é-1"`, "get-channel", `{"id":1}`), true},
		{"a call with arguments holding escapes", sessionless("tools/call", "update-channel"),
			call("8", "update-channel", `{"id":1,"active":true,"n\u0061me":"\"\u0000"}`), true},
		{"a body over the bound", sessionless("tools/call", "get-channel"), call("1", "get-channel", `{"id":1,"x":"`+strings.Repeat("x", 70<<10)+`"}`), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := newTwoPaths(t, Options{MaxRequestBytes: 64 << 10, MaxResultBytes: 2000})
			diff, fast := p.compare(c.header, []byte(c.body))
			if diff != "" {
				t.Error(diff)
			}
			if fast != c.fast {
				t.Errorf("the fast path took the request: %t, want %t", fast, c.fast)
			}
		})
	}
}

// TestFastPathLeavesHeaderBoundArgumentsToTheSDK checks that a tool whose input schema binds an
// argument to an Mcp-Param-* header (x-mcp-header), which the SDK compares with the call, is
// left to the SDK, with or without the header.
func TestFastPathLeavesHeaderBoundArgumentsToTheSDK(t *testing.T) {
	adapter := testAdapter()
	get := adapter.Tools[1]
	id := map[string]any{"type": "integer", "minimum": 1, "x-mcp-header": "Channel"}
	get.InputSchema = map[string]any{"type": "object", "properties": map[string]any{"id": id}, "required": []any{"id"}}
	var p twoPaths
	for _, s := range []**Server{&p.fast, &p.sdk} {
		srv, err := New(adapter, newFakeInvoker(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		*s = srv
	}
	p.sdk.http.fast = false
	for _, header := range []http.Header{
		sessionless("tools/call", "get-channel"),
		sessionless("tools/call", "get-channel", "Mcp-Param-Channel", "2"),
		sessionless("tools/call", "get-channel", "Mcp-Param-Channel", "3"),
	} {
		diff, fast := p.compare(header, []byte(call("1", "get-channel", `{"id":2}`)))
		if diff != "" || fast {
			t.Errorf("Mcp-Param-Channel %q: fast path took it: %t %s", header.Get("Mcp-Param-Channel"), fast, diff)
		}
	}
}

// TestFastPathKeepsUpstreamStateInStep checks a sequence whose answers depend on earlier calls
// (a change, then a read) on both paths.
func TestFastPathKeepsUpstreamStateInStep(t *testing.T) {
	p := newTwoPaths(t, Options{})
	for i, step := range []struct{ name, args string }{
		{"list-channels", "{}"},
		{"update-channel", `{"id":2,"active":false}`},
		{"get-channel", `{"id":2}`},
		{"list-channels", "{}"},
	} {
		diff, fast := p.compare(sessionless("tools/call", step.name), []byte(call(fmt.Sprint(i), step.name, step.args)))
		if diff != "" || !fast {
			t.Errorf("step %d (%s): fast %t %s", i, step.name, fast, diff)
		}
	}
	if got, want := p.fast.inv.(*fakeInvoker).Calls(), p.sdk.inv.(*fakeInvoker).Calls(); !reflect.DeepEqual(got, want) {
		t.Errorf("upstream calls: fast path %v, SDK %v", got, want)
	}
}

func TestAppendResultWritesWhatEncodingJSONWrites(t *testing.T) {
	srv, err := New(testAdapter(), newFakeInvoker(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	structured := func(r *mcp.CallToolResult, raw string) *mcp.CallToolResult {
		r.StructuredContent = json.RawMessage(raw)
		return r
	}
	for _, c := range []struct {
		name string
		res  func() *mcp.CallToolResult
	}{
		{"a text result", func() *mcp.CallToolResult { return textResult(`[{"id":1}]`) }},
		{"an error result", func() *mcp.CallToolResult { return errorResult("The upstream API answered 404: <nope> & \"why\"") }},
		{"a structured result", func() *mcp.CallToolResult { return structured(textResult(`{"id":1}`), `{"id":1}`) }},
		{"an empty text", func() *mcp.CallToolResult { return textResult("") }},
		{"text with every kind of escape", func() *mcp.CallToolResult {
			return textResult("tab\tnl\ncr\rnul\x00esc\x1bdel\x7f quote\" backslash\\ é \u2028 \U0001F600 bad\xff\xfe end\xe2\x82")
		}},
		{"two contents", func() *mcp.CallToolResult {
			r := errorResult("one")
			r.Content = append(r.Content, &mcp.TextContent{Text: "two"})
			return r
		}},
		{"no content", func() *mcp.CallToolResult { return &mcp.CallToolResult{} }},
		{"a result with _meta (encoding/json)", func() *mcp.CallToolResult {
			r := textResult("x")
			r.Meta = mcp.Meta{"k": "v"}
			return r
		}},
		{"a structured value that is not raw JSON (encoding/json)", func() *mcp.CallToolResult {
			r := textResult("x")
			r.StructuredContent = map[string]any{"a": 1}
			return r
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := srv.appendResult(nil, c.res())
			if err != nil {
				t.Fatal(err)
			}
			want, err := srv.resultJSON(c.res())
			if err != nil {
				t.Fatal(err)
			}
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatalf("appendResult wrote invalid JSON: %v: %s", err, got)
			}
			json.Unmarshal(want, &w)
			if !reflect.DeepEqual(g, w) {
				t.Errorf("appendResult wrote\n  %s\nencoding/json\n  %s", got, want)
			}
		})
	}
}
