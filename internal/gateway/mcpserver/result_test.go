package mcpserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/restreamkit/restreamkit/internal/capability"
	"github.com/restreamkit/restreamkit/internal/gateway/upstream"
)

func TestToolResults(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tool   string
		args   map[string]any
		answer *upstream.Result // nil: the fake's own answer
		err    error
		opts   Options
		// want
		isError    bool
		structured bool
		text       []string // substrings of the first text content
	}{
		{name: "a conforming answer is text and structuredContent", tool: "get-channel", args: map[string]any{"id": 1},
			structured: true, text: []string{`{"id":1,"displayName":"Channel 1","active":true}`}},
		{name: "an answer that breaks the output schema is sent as text only, as an error", tool: "get-channel",
			args: map[string]any{"id": idOffSchema}, isError: true,
			text: []string{`{"id":"4242","displayName":"Odd","active":true}`}},
		{name: "an answer over the result cap is cut with a notice and no structuredContent", tool: "get-channel",
			args: map[string]any{"id": idHuge}, opts: Options{MaxResultBytes: 1001}, isError: true,
			text: []string{`{"id":9000,"displayName":"éé`, "[truncated: the answer is 8042 bytes, over this server's 1001-byte cap"}},
		{name: "a negative result cap leaves only the invoker's", tool: "get-channel",
			args: map[string]any{"id": idHuge}, opts: Options{MaxResultBytes: -1}, structured: true, text: []string{"éé"}},
		{name: "an answer the invoker truncated is text with its notice, as an error", tool: "list-channels",
			answer:  &upstream.Result{Status: 200, Body: []byte(`[{"id":1,"displayName":"Tw` + "\n[truncated by the invoker]"), Truncated: true},
			isError: true, text: []string{"[truncated by the invoker]"}},
		{name: "an upstream error envelope is an error with its status, name and message", tool: "get-channel", args: map[string]any{"id": 2},
			answer:  jsonResult(403, `{"error":{"statusCode":403,"status":403,"code":403,"message":"Insufficient scope: channel.write","name":"insufficient_scope"}}`),
			isError: true, text: []string{"403", "insufficient_scope", "Insufficient scope: channel.write"}},
		{name: "an upstream error without an envelope quotes the start of its body", tool: "get-channel", args: map[string]any{"id": 2},
			answer:  &upstream.Result{Status: 503, Body: []byte("<html>" + strings.Repeat("down ", 1000) + "</html>")},
			isError: true, text: []string{"503: <html>down down"}},
		{name: "an empty upstream error is an error with its status", tool: "get-channel", args: map[string]any{"id": 2},
			answer: &upstream.Result{Status: 500}, isError: true, text: []string{"answered 500 with no content"}},
		{name: "a success without a body where the schema expects one is an error", tool: "get-channel", args: map[string]any{"id": 2},
			answer: &upstream.Result{Status: 204}, isError: true, text: []string{"answered 204 with no content"}},
		{name: "a success whose body is not JSON is an error quoting it", tool: "get-stream-key",
			answer: &upstream.Result{Status: 200, Body: []byte("key=abc")}, isError: true, text: []string{"not JSON: key=abc"}},
		{name: "a tool without an output schema answers text only", tool: "update-channel", args: map[string]any{"id": 2, "active": true},
			text: []string{"Done: the upstream API answered 204 with no content."}},
		{name: "a JSON answer of a tool without an output schema is text without structuredContent", tool: "update-channel",
			args: map[string]any{"id": 2, "active": true}, answer: jsonResult(200, `{ "ok": true }`), text: []string{`{"ok":true}`}},
		{name: "an upstream error of a tool without an output schema is an error too", tool: "update-channel",
			args:    map[string]any{"id": 2, "active": true},
			answer:  jsonResult(404, `{"error":{"statusCode":404,"status":404,"code":404,"message":"Channel 2 was not found","name":"not_found"}}`),
			isError: true, text: []string{"404 (not_found): Channel 2 was not found"}},
		{name: "an upstream error whose envelope has no name still carries its message", tool: "get-channel", args: map[string]any{"id": 2},
			answer:  jsonResult(401, `{"error":{"message":"Invalid token"}}`),
			isError: true, text: []string{"answered 401: Invalid token"}},
		{name: "a timeout is an error naming it", tool: "get-stream-key",
			err: &upstream.Error{Status: 504, Name: "upstream_timeout", Message: "no answer within 10s"}, isError: true,
			text: []string{"504 upstream_timeout", "no answer within 10s"}},
		{name: "any other invoker failure is an error, not a protocol failure", tool: "get-stream-key",
			err: fmt.Errorf("token source: refresh failed"), isError: true, text: []string{"refresh failed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, inv, url := newTestServer(t, tc.opts)
			if tc.answer != nil || tc.err != nil {
				inv.override = func(*capability.Call, map[string]any) (*upstream.Result, error) { return tc.answer, tc.err }
			}
			cs := connect(t, url, v20251125)
			res := callTool(t, cs, tc.tool, tc.args)
			if res.IsError != tc.isError {
				t.Errorf("isError %t, want %t (%s)", res.IsError, tc.isError, text(res))
			}
			if (res.StructuredContent != nil) != tc.structured {
				t.Errorf("structuredContent %v, want it: %t", res.StructuredContent, tc.structured)
			}
			if tc.structured {
				// structuredContent is the mapped JSON, the same value the text renders.
				var rendered any
				if err := json.Unmarshal([]byte(text(res)), &rendered); err != nil || !sameJSON(t, res.StructuredContent, rendered) {
					t.Errorf("structuredContent %v is not the value of the text %q (%v)", res.StructuredContent, clip(text(res)), err)
				}
			}
			for _, want := range tc.text {
				if !strings.Contains(text(res), want) {
					t.Errorf("text %q lacks %q", clip(text(res)), want)
				}
			}
			if !utf8.ValidString(text(res)) {
				t.Error("text is not valid UTF-8")
			}
			if limit := srv.opts.MaxResultBytes; limit > 0 && len(text(res)) > limit+200 {
				t.Errorf("text is %d bytes, over the %d cap and its notice", len(text(res)), limit)
			}
		})
	}
}

func TestArgumentsReachTheInvokerWithTheirJSONTypes(t *testing.T) {
	_, inv, url := newTestServer(t, Options{})
	var got map[string]any
	inv.override = func(_ *capability.Call, args map[string]any) (*upstream.Result, error) {
		got = args
		return &upstream.Result{Status: 204}, nil
	}
	cs := connect(t, url, v20251125)
	callTool(t, cs, "update-channel", map[string]any{"id": json.Number("9007199254740993"), "active": false})
	if got["id"] != json.Number("9007199254740993") || got["active"] != false || len(got) != 2 {
		t.Errorf("arguments %#v, want the id exact as a json.Number and active a bool", got)
	}
}

func TestAnArgErrorFromTheInvokerIsInvalidParamsNamingTheField(t *testing.T) {
	// An ArgError means the invoker refused the arguments before sending anything (a value
	// the schema allows but the operation cannot take): the client's fault, so invalid params,
	// never an isError result the assistant would take for an upstream answer.
	for _, tc := range []struct {
		name, field, want string
	}{
		{"an input name becomes a pointer", "id", "/id"},
		{"a pointer stays as it is", "/title", "/title"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, inv, url := newTestServer(t, Options{})
			inv.override = func(*capability.Call, map[string]any) (*upstream.Result, error) {
				return nil, &upstream.ArgError{Field: tc.field, Message: "must be a path segment"}
			}
			r := rpc{t: t, url: url}.do("POST", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get-channel","arguments":{"id":3}}}`)
			resp := r.JSON(t)
			if resp.Error == nil || resp.Error.Code != -32602 || len(resp.Result) != 0 ||
				resp.Error.Message != `invalid arguments for tool "get-channel": `+tc.want+`: must be a path segment` {
				t.Fatalf("%d %s, want invalid params naming %s", r.Status, r.Body, tc.want)
			}
			var data struct {
				Tool     string
				Problems []fieldProblem
			}
			if err := json.Unmarshal(resp.Error.Data, &data); err != nil || data.Tool != "get-channel" ||
				len(data.Problems) != 1 || data.Problems[0].Field != tc.want {
				t.Errorf("data %s (%v), want the tool and the one field", resp.Error.Data, err)
			}
		})
	}
}

func TestAnOffSchemaAnswerIsLoggedWithoutItsValues(t *testing.T) {
	var logs bytes.Buffer
	_, _, url := newTestServer(t, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	cs := connect(t, url, v20251125)
	callTool(t, cs, "get-channel", map[string]any{"id": idOffSchema})
	if !strings.Contains(logs.String(), "does not match its output schema") || !strings.Contains(logs.String(), "/id [type]") {
		t.Errorf("log %q, want the violation's pointer and rule", logs.String())
	}
	if strings.Contains(logs.String(), "4242") || strings.Contains(logs.String(), "Odd") {
		t.Errorf("log %q carries values of the answer", logs.String())
	}
}

func TestReadOnlyExposesOnlyReadOnlyTools(t *testing.T) {
	// update-channel says readOnly: false and get-stream-key says nothing: both are hidden, as
	// MCP's default for an unset readOnlyHint is false.
	for _, era := range eras {
		t.Run(era.name, func(t *testing.T) {
			srv, inv, url := newTestServer(t, Options{ReadOnly: true})
			if got := strings.Join(srv.Tools(), " "); got != "list-channels get-channel" {
				t.Errorf("tools %q, want the two whose hints say readOnly", got)
			}
			cs := connect(t, url, era.version)
			list, err := cs.ListTools(t.Context(), nil)
			if err != nil {
				t.Fatal(err)
			}
			var listed []string
			for _, tl := range list.Tools {
				listed = append(listed, tl.Name)
			}
			slices.Sort(listed) // the SDK lists tools by name
			if got := strings.Join(listed, " "); got != "get-channel list-channels" {
				t.Errorf("tools/list %q, want the read-only tools only", got)
			}
			if res := callTool(t, cs, "get-channel", map[string]any{"id": 1}); res.IsError {
				t.Errorf("a read-only tool failed: %s", text(res))
			}
			unknown := callError(t, cs, "no-such-tool", nil)
			for _, hidden := range []string{"update-channel", "get-stream-key"} {
				got := callError(t, cs, hidden, map[string]any{"id": 1, "active": false})
				if got.Code != unknown.Code || got.Message != strings.Replace(unknown.Message, "no-such-tool", hidden, 1) {
					t.Errorf("%s: error %d %q, want it to fail like an unknown tool: %d %q",
						hidden, got.Code, got.Message, unknown.Code, unknown.Message)
				}
			}
			if calls := strings.Join(inv.Calls(), ","); calls != "mcp get-channel" {
				t.Errorf("upstream calls %q, want only the read-only tool's", calls)
			}
		})
	}
}

// callError calls a tool that must fail with a JSON-RPC error, and returns it.
func callError(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any) *jsonrpc.Error {
	t.Helper()
	res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: name, Arguments: args})
	var rpcErr *jsonrpc.Error
	if !errors.As(err, &rpcErr) {
		t.Fatalf("%s: result %+v, error %v, want a JSON-RPC error", name, res, err)
	}
	return rpcErr
}

func TestNewRefusesToolsClientsWouldReject(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*capability.Tool)
		want   string
	}{
		{"a name with a dot", func(tl *capability.Tool) { tl.Name = "get.channel" }, "the name must match"},
		{"a name over 64 characters", func(tl *capability.Tool) { tl.Name = strings.Repeat("x", 65) }, "the name must match"},
		{"an input schema that is not an object", func(tl *capability.Tool) { tl.InputSchema = map[string]any{"type": "string"} }, "inputSchema: the root must be"},
		{"a $ref left in the input schema", func(tl *capability.Tool) {
			tl.InputSchema["properties"].(map[string]any)["id"] = map[string]any{"$ref": "#/$defs/id"}
		}, `$ref at "/properties/id"`},
		{"a $schema", func(tl *capability.Tool) { tl.InputSchema["$schema"] = "https://json-schema.org/draft/2020-12/schema" }, "$schema"},
		{"a list of types", func(tl *capability.Tool) {
			tl.InputSchema["properties"].(map[string]any)["id"] = map[string]any{"type": []any{"integer", "null"}}
		}, `type at "/properties/id"`},
		{"a list of types in the output schema", func(tl *capability.Tool) {
			tl.OutputSchema["properties"].(map[string]any)["id"] = map[string]any{"type": []any{"integer", "string"}}
		}, "outputSchema: type"},
		{"a keyword the validator does not know", func(tl *capability.Tool) { tl.InputSchema["if"] = map[string]any{} }, "get-channel.input"},
		{"no call", func(tl *capability.Tool) { tl.Call = nil }, "no call"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := testAdapter()
			tc.change(a.Tools[1])
			_, err := New(a, newFakeInvoker(), Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v, want an error with %q", err, tc.want)
			}
		})
	}
	t.Run("no invoker or no adapter", func(t *testing.T) {
		if _, err := New(testAdapter(), nil, Options{}); err == nil || !strings.Contains(err.Error(), "invoker") {
			t.Errorf("New without an invoker: %v", err)
		}
		if _, err := New(nil, newFakeInvoker(), Options{}); err == nil || !strings.Contains(err.Error(), "adapter") {
			t.Errorf("New without an adapter: %v", err)
		}
	})
	t.Run("a tool defined twice", func(t *testing.T) {
		a := testAdapter()
		a.Tools = append(a.Tools, a.Tools[0])
		if _, err := New(a, newFakeInvoker(), Options{}); err == nil || !strings.Contains(err.Error(), "defined twice") {
			t.Errorf("New: %v", err)
		}
	})
	t.Run("every problem at once", func(t *testing.T) {
		a := testAdapter()
		a.Tools[0].Name = "a/b"
		a.Tools[2].Name = "c d"
		_, err := New(a, newFakeInvoker(), Options{})
		if err == nil || !strings.Contains(err.Error(), `"a/b"`) || !strings.Contains(err.Error(), `"c d"`) {
			t.Errorf("New: %v, want both names", err)
		}
	})
}

func TestEverySchemaSentIsOneEveryClientAccepts(t *testing.T) {
	_, _, url := newTestServer(t, Options{})
	r := rpc{t: t, url: url}.do("POST", `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
	assertClientSafeTools(t, r.JSON(t).Result)
}

// assertClientSafeTools checks a tools/list result against the rules every MCP client accepts:
// names ^[A-Za-z0-9_-]{1,64}$, object input and output schemas, no $ref, no $schema, no list
// of types. It walks the JSON as sent, independently of the server's own check.
func assertClientSafeTools(t *testing.T, result json.RawMessage) {
	t.Helper()
	var list struct {
		Tools []struct {
			Name         string          `json:"name"`
			InputSchema  json.RawMessage `json:"inputSchema"`
			OutputSchema json.RawMessage `json:"outputSchema"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(result, &list); err != nil || len(list.Tools) == 0 {
		t.Fatalf("tools/list result %s: %v", result, err)
	}
	for _, tl := range list.Tools {
		if !toolName.MatchString(tl.Name) {
			t.Errorf("tool name %q", tl.Name)
		}
		for kind, raw := range map[string]json.RawMessage{"inputSchema": tl.InputSchema, "outputSchema": tl.OutputSchema} {
			if raw == nil && kind == "outputSchema" {
				continue
			}
			var schema map[string]any
			if err := json.Unmarshal(raw, &schema); err != nil {
				t.Errorf("%s %s: %v", tl.Name, kind, err)
				continue
			}
			if schema["type"] != "object" {
				t.Errorf("%s %s: root type %v, want object", tl.Name, kind, schema["type"])
			}
			for _, p := range schemaProblems(schema, "") {
				t.Errorf("%s %s: %s", tl.Name, kind, p)
			}
		}
	}
}

// schemaProblems lists the $ref, $schema and type lists in a schema, skipping data keywords.
func schemaProblems(node any, at string) []string {
	var out []string
	switch n := node.(type) {
	case map[string]any:
		for k, v := range n {
			switch k {
			case "$ref", "$schema":
				out = append(out, k+" at "+at)
			case "type":
				if _, ok := v.(string); !ok {
					out = append(out, fmt.Sprintf("type %v at %s", v, at))
				}
			case "enum", "const", "default", "examples", "example":
				continue
			}
			out = append(out, schemaProblems(v, at+"/"+k)...)
		}
	case []any:
		for i, v := range n {
			out = append(out, schemaProblems(v, fmt.Sprintf("%s/%d", at, i))...)
		}
	}
	return out
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
