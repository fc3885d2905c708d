package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/restreamkit/restreamkit/internal/gateway/upstream"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// maxListedViolations bounds how many argument problems one invalid-params error names.
const maxListedViolations = 5

// maxErrorSnippet bounds how much of an upstream body that is not an error envelope an isError
// result quotes.
const maxErrorSnippet = 1 << 10

// callHandler returns the tools/call handler of t.
func (s *Server) callHandler(t *tool) mcp.ToolHandler {
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		args, err := s.arguments(t, req.Params.Arguments)
		if err != nil {
			return nil, err
		}
		// The result is built from the answer's bytes: decoding them into Go values would be
		// wasted.
		res, err := upstream.InvokeBody(ctx, s.inv, t.src.Call, args)
		if err != nil {
			return s.failure(ctx, t, err)
		}
		return s.result(t, res), nil
	}
}

// arguments validates raw against t's input schema and decodes it, numbers kept exact
// (json.Number). A missing or null arguments member is an empty object.
func (s *Server) arguments(t *tool, raw json.RawMessage) (map[string]any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		raw = json.RawMessage("{}")
	}
	if vs := t.in.Check(nil, raw, validate.Request); len(vs) > 0 {
		return nil, invalidArguments(t.src.Name, vs)
	}
	if string(raw) == "{}" { // the usual call of a tool without inputs
		return map[string]any{}, nil
	}
	var args map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&args); err != nil { // cannot happen: the schema check parsed an object
		return nil, invalidParams(t.src.Name, []fieldProblem{{Field: "", Message: err.Error()}})
	}
	return args, nil
}

// fieldProblem is one entry of an invalid-params error's data.
type fieldProblem struct {
	// Field is a JSON pointer into the arguments ("/id"), "" for the arguments as a whole.
	Field   string `json:"field"`
	Rule    string `json:"rule,omitempty"`
	Message string `json:"message"`
}

// invalidArguments is the invalid-params error for schema violations of a tool's arguments.
func invalidArguments(toolName string, vs []validate.Violation) error {
	problems := make([]fieldProblem, 0, min(len(vs), maxListedViolations))
	for _, v := range vs {
		if len(problems) == maxListedViolations {
			break
		}
		problems = append(problems, fieldProblem{Field: v.Pointer, Rule: string(v.Rule), Message: v.Message})
	}
	return invalidParams(toolName, problems)
}

// invalidParams is a JSON-RPC invalid-params error (-32602) whose message names each field and
// whose data lists them: {"tool": ..., "problems": [{"field": "/id", "rule", "message"}]}.
func invalidParams(toolName string, problems []fieldProblem) error {
	parts := make([]string, len(problems))
	for i, p := range problems {
		field := p.Field
		if field == "" {
			field = "arguments"
		}
		parts[i] = field + ": " + p.Message
	}
	data, _ := json.Marshal(struct {
		Tool     string         `json:"tool"`
		Problems []fieldProblem `json:"problems"`
	}{toolName, problems})
	return &jsonrpc.Error{
		Code:    jsonrpc.CodeInvalidParams,
		Message: fmt.Sprintf("invalid arguments for tool %q: %s", toolName, strings.Join(parts, "; ")),
		Data:    data,
	}
}

// failure turns an invoker error into the call's answer: the caller's fault (an ArgError) is
// invalid params; anything else is an isError result the assistant can read.
func (s *Server) failure(ctx context.Context, t *tool, err error) (*mcp.CallToolResult, error) {
	var argErr *upstream.ArgError
	if errors.As(err, &argErr) {
		field := argErr.Field
		if field != "" && !strings.HasPrefix(field, "/") {
			field = "/" + field
		}
		return nil, invalidParams(t.src.Name, []fieldProblem{{Field: field, Message: argErr.Message}})
	}
	var upErr *upstream.Error
	if errors.As(err, &upErr) {
		return errorResult(fmt.Sprintf("The upstream API could not answer (%d %s): %s", upErr.Status, upErr.Name, upErr.Message)), nil
	}
	if ctx.Err() != nil { // the client cancelled the call; nobody reads the answer
		return nil, ctx.Err()
	}
	s.log.Error("mcp tool call failed", "tool", t.src.Name, "error", err)
	return errorResult("The gateway could not complete the call: " + err.Error()), nil
}

// result turns the upstream's answer into the call's result.
func (s *Server) result(t *tool, res *upstream.Result) *mcp.CallToolResult {
	if res.Status >= 400 {
		return errorResult(upstreamErrorText(res))
	}
	if res.Truncated {
		// The invoker cut the body, which ends with its notice. structuredContent cannot be
		// sent, so the result is an error, as MCP requires conforming structuredContent from a
		// successful call of a tool with an output schema (clients refuse one without).
		return errorResult(s.capped(res.Body))
	}
	isJSON := res.Value != nil || json.Valid(res.Body)
	var text []byte
	if isJSON {
		var buf bytes.Buffer
		if err := json.Compact(&buf, res.Body); err == nil {
			text = buf.Bytes()
		}
	}
	if text == nil && len(bytes.TrimSpace(res.Body)) > 0 {
		text = res.Body
	}
	if limit := s.opts.MaxResultBytes; limit > 0 && len(text) > limit {
		return errorResult(s.capped(text))
	}
	if t.out == nil {
		if len(text) == 0 {
			return textResult(fmt.Sprintf("Done: the upstream API answered %d with no content.", res.Status))
		}
		return textResult(string(text))
	}
	if !isJSON {
		// A tool with an output schema owes structuredContent; an empty or non-JSON body has none.
		what := "no content"
		if len(text) > 0 {
			what = "a body that is not JSON: " + cut(text, maxErrorSnippet)
		}
		s.log.Warn("mcp tool answer has no JSON body", "tool", t.src.Name, "status", res.Status)
		return errorResult(fmt.Sprintf("The upstream API answered %d with %s.", res.Status, what))
	}
	structured := json.RawMessage(text)
	if t.src.WrapsResult {
		structured = append(append(json.RawMessage(`{"result":`), text...), '}')
	}
	if vs := t.out.Check(nil, structured, validate.Response); len(vs) > 0 {
		// Values are not logged: an answer may hold a stream key.
		attrs := []any{"tool", t.src.Name, "violations", len(vs)}
		for i, v := range vs[:min(len(vs), maxListedViolations)] {
			attrs = append(attrs, "violation"+strconv.Itoa(i+1), v.Pointer+" ["+string(v.Rule)+"]")
		}
		s.log.Warn("mcp tool answer does not match its output schema; structuredContent withheld", attrs...)
		r := textResult(string(text))
		r.IsError = true
		r.Content = append(r.Content, &mcp.TextContent{Text: fmt.Sprintf(
			"Note: this answer does not match the tool's output schema (%s at %q), so it is sent as text only.",
			vs[0].Rule, vs[0].Pointer)})
		return r
	}
	r := textResult(string(text))
	r.StructuredContent = structured
	return r
}

// upstreamErrorText renders an upstream error answer for the assistant: the status, and the
// error envelope's name and message, or the start of a body that is not one.
func upstreamErrorText(res *upstream.Result) string {
	var env struct {
		Error *struct {
			Message string `json:"message"`
			Name    string `json:"name"`
		} `json:"error"`
	}
	if json.Unmarshal(res.Body, &env) == nil && env.Error != nil && env.Error.Message != "" {
		if env.Error.Name != "" {
			return fmt.Sprintf("The upstream API answered %d (%s): %s", res.Status, env.Error.Name, env.Error.Message)
		}
		return fmt.Sprintf("The upstream API answered %d: %s", res.Status, env.Error.Message)
	}
	if len(bytes.TrimSpace(res.Body)) == 0 {
		return fmt.Sprintf("The upstream API answered %d with no content.", res.Status)
	}
	return fmt.Sprintf("The upstream API answered %d: %s", res.Status, cut(res.Body, maxErrorSnippet))
}

// capped returns text cut to MaxResultBytes with a notice, or whole when it fits.
func (s *Server) capped(text []byte) string {
	limit := s.opts.MaxResultBytes
	if limit <= 0 || len(text) <= limit {
		return string(text)
	}
	return cut(text, limit) + fmt.Sprintf(
		"\n[truncated: the answer is %d bytes, over this server's %d-byte cap; ask for less, such as a smaller page]",
		len(text), limit)
}

// cut returns at most limit bytes of b as valid UTF-8, without splitting a character.
func cut(b []byte, limit int) string {
	if len(b) > limit {
		b = b[:limit]
		for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
			if r, size := utf8.DecodeLastRune(b); r != utf8.RuneError || size != 1 {
				break
			}
			b = b[:len(b)-1]
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

func textResult(text string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}
}

func errorResult(text string) *mcp.CallToolResult {
	r := textResult(text)
	r.IsError = true
	return r
}
