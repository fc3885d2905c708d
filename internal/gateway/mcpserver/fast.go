package mcpserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/restreamkit/restreamkit/internal/jsontext"
)

// The fast path serves the hot requests of the sessionless era (2026-07-28) itself: a well-formed
// tools/call of a known tool, and tools/list. The SDK builds a server session per request and
// decodes each message about a dozen times, each decoder allocating a 32 KiB buffer, which made
// a tool call cost several times the upstream call it wraps.
//
// It is a shortcut, not a second implementation: it takes a request only when every check the
// SDK makes would pass (headers, their agreement with the body, the _meta triple), runs the
// same tool handler the SDK runs (Server.callHandler), and answers as the SDK would (status,
// headers, JSON body). Anything else, including every error the SDK answers itself, anything
// unusual in the body (an unknown member, a duplicate key, an escaped key, an id that is not a
// small integer or a string, trailing data), and every request of the session era, goes to the
// SDK. TestFastPathAnswersAsTheSDK and FuzzHTTPHandler compare the two on the same requests.

// fastVersion is the only protocol version the fast path serves.
const fastVersion = "2026-07-28"

// fastRequest is a request the fast path serves.
type fastRequest struct {
	id     []byte // the id as the answer writes it
	method string
	tool   *tool           // tools/call only
	args   json.RawMessage // tools/call only; nil when absent
}

// serveFast answers r when it is a request the fast path serves, and reports whether it did.
// body is r's body, already read within the bound.
func (h *httpHandler) serveFast(w http.ResponseWriter, r *http.Request, body []byte) bool {
	req, ok := h.fastRequest(r, body)
	if !ok {
		return false
	}
	switch req.method {
	case "tools/list":
		writeAnswer(w, http.StatusOK, append(answerPrefix(req.id, "result", len(h.srv.toolListJSON)), h.srv.toolListJSON...))
	case "tools/call":
		res, err := h.srv.callHandler(req.tool)(r.Context(),
			&mcp.CallToolRequest{Params: &mcp.CallToolParamsRaw{Name: req.tool.src.Name, Arguments: req.args}})
		if err != nil {
			h.writeFastError(w, r, req.id, err)
			return true
		}
		buf, err := h.srv.appendResult(answerPrefix(req.id, "result", h.srv.resultSize(res)), res)
		if err != nil { // cannot happen: results hold strings and valid JSON only
			h.srv.log.Error("mcp tool result cannot be encoded", "tool", req.tool.src.Name, "error", err)
			writeAnswer(w, http.StatusOK, append(answerPrefix(req.id, "error", 0), internalErrorJSON...))
			return true
		}
		writeAnswer(w, http.StatusOK, buf)
	}
	return true
}

// internalErrorJSON is the JSON-RPC error of a result that cannot be encoded.
var internalErrorJSON = []byte(`{"code":-32603,"message":"internal error"}`)

// writeFastError answers a tool handler's error as the SDK does in the sessionless era: a
// JSON-RPC error, with HTTP 400 for invalid params.
func (h *httpHandler) writeFastError(w http.ResponseWriter, r *http.Request, id []byte, err error) {
	var rpcErr *jsonrpc.Error
	if r.Context().Err() != nil || !errors.As(err, &rpcErr) {
		// The handler returns anything but a JSON-RPC error only when the client went away
		// (see Server.failure): nobody reads the answer.
		writeAnswer(w, http.StatusOK, append(answerPrefix(id, "error", 0), internalErrorJSON...))
		return
	}
	data, mErr := json.Marshal(rpcErr)
	if mErr != nil { // cannot happen: a code, strings and JSON data
		data = internalErrorJSON
	}
	status := http.StatusOK
	if rpcErr.Code == jsonrpc.CodeInvalidParams {
		status = http.StatusBadRequest
	}
	writeAnswer(w, status, append(answerPrefix(id, "error", len(data)), data...))
}

// answerPrefix starts a JSON-RPC answer, {"jsonrpc":"2.0","id":id,"member":, with room for
// the member's value.
func answerPrefix(id []byte, member string, room int) []byte {
	buf := make([]byte, 0, len(`{"jsonrpc":"2.0","id":,"":}`)+len(id)+len(member)+room)
	buf = append(buf, `{"jsonrpc":"2.0","id":`...)
	buf = append(buf, id...)
	buf = append(buf, `,"`...)
	buf = append(buf, member...)
	return append(buf, `":`...)
}

// writeAnswer ends the answer answerPrefix started and writes it with the SDK's headers.
func writeAnswer(w http.ResponseWriter, status int, buf []byte) {
	buf = append(buf, '}')
	// The headers the SDK sets on an application/json answer to a call, and the length (the
	// SDK's answers have one too when they are short, and are chunked otherwise).
	hdr := w.Header()
	hdr["Cache-Control"] = []string{"no-cache, no-transform"}
	hdr["Content-Type"] = []string{"application/json"}
	hdr["Content-Length"] = []string{strconv.Itoa(len(buf))}
	w.WriteHeader(status)
	w.Write(buf)
}

// appendResult appends a tool result as the SDK sends it in the sessionless era: content never
// null, the server's identity in _meta, and resultType "complete" (which CallToolResult keeps
// unexported). The results Server.result builds (text content, JSON structuredContent) are
// written directly; encoding/json would compact the structured content and each content's
// own encoding a second time. Any other result goes through encoding/json.
func (s *Server) appendResult(buf []byte, res *mcp.CallToolResult) ([]byte, error) {
	structured, plain := res.StructuredContent.(json.RawMessage)
	plain = (plain && json.Valid(structured)) || res.StructuredContent == nil
	plain = plain && res.Meta == nil && res.InputRequests == nil && res.RequestState == ""
	for _, c := range res.Content {
		tc, ok := c.(*mcp.TextContent)
		plain = plain && ok && tc.Meta == nil && tc.Annotations == nil
	}
	if !plain {
		data, err := s.resultJSON(res)
		return append(buf, data...), err
	}
	buf = append(buf, `{"content":[`...)
	for i, c := range res.Content {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"type":"text","text":`...)
		buf = append(jsontext.AppendString(buf, c.(*mcp.TextContent).Text), '}')
	}
	buf = append(buf, ']')
	if structured != nil {
		buf = append(append(buf, `,"structuredContent":`...), structured...)
	}
	if res.IsError {
		buf = append(buf, `,"isError":true`...)
	}
	buf = append(buf, `,"_meta":{"`+mcp.MetaKeyServerInfo+`":`...)
	buf = append(buf, s.implJSON...)
	return append(buf, `},"resultType":"complete"}`...), nil
}

// resultSize is about the length of a result as appendResult writes it, so that the answer
// is written into one buffer.
func (s *Server) resultSize(res *mcp.CallToolResult) int {
	n := 128 + len(s.implJSON)
	if raw, ok := res.StructuredContent.(json.RawMessage); ok {
		n += len(raw)
	}
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			n += 32 + len(tc.Text) + len(tc.Text)/8 // room for some escapes
		}
	}
	return n
}

// resultJSON encodes any result as appendResult does, with encoding/json.
func (s *Server) resultJSON(res *mcp.CallToolResult) ([]byte, error) {
	if res.Content == nil {
		res.Content = []mcp.Content{}
	}
	if res.Meta == nil {
		res.Meta = mcp.Meta{}
	}
	if _, ok := res.Meta[mcp.MetaKeyServerInfo]; !ok {
		res.Meta[mcp.MetaKeyServerInfo] = s.impl
	}
	data, err := json.Marshal(res)
	if err != nil {
		return nil, err
	}
	data = bytes.TrimSuffix(data, []byte("}"))
	return append(data, `,"resultType":"complete"}`...), nil
}

// listToolsJSON is the tools/list result of the sessionless era: every tool (one page), the
// SDK's default cache hint, _meta and resultType as the SDK adds them, and each tool in its wire
// form (toolsListMiddleware).
func (s *Server) listToolsJSON() ([]byte, error) {
	if len(s.tools) > mcp.DefaultPageSize { // more than one page: the SDK serves tools/list
		return nil, nil
	}
	res := &mcp.ListToolsResult{Meta: mcp.Meta{mcp.MetaKeyServerInfo: s.impl}, Tools: make([]*mcp.Tool, len(s.tools))}
	for i, t := range s.tools {
		res.Tools[i] = t.sdk
	}
	// The SDK lists tools in name order.
	slices.SortFunc(res.Tools, func(a, b *mcp.Tool) int { return strings.Compare(a.Name, b.Name) })
	res.CacheScope = "public"
	res.ResultType = "complete"
	return json.Marshal(&toolList{ListToolsResult: res, byName: s.byName})
}

// fastRequest reports whether r is a request the fast path serves, and decodes it. Every
// condition errs on the side of the SDK: a request refused here is served there.
func (h *httpHandler) fastRequest(r *http.Request, body []byte) (fastRequest, bool) {
	var req fastRequest
	hdr := r.Header
	if hdr.Get("Mcp-Protocol-Version") != fastVersion || len(hdr.Values("Last-Event-ID")) > 0 ||
		!h.fastHeadersOK(hdr) || !utf8.Valid(body) {
		return req, false
	}
	var version bool
	if !json.Valid(body) || !depthOK(body, maxFastDepth) {
		return req, false
	}
	ok := walkObject(body, func(key, value []byte) bool {
		switch string(key) {
		case "jsonrpc":
			version = string(value) == `"2.0"`
			return version
		case "id":
			req.id = fastID(value)
			return req.id != nil
		case "method":
			switch string(value) {
			case `"tools/call"`, `"tools/list"`:
				req.method = string(value[1 : len(value)-1])
				return true
			}
			return false
		case "params":
			req.args = value // decoded below, once the method is known
			return len(value) > 0 && value[0] == '{'
		}
		return false
	})
	params := req.args
	req.args = nil
	if !ok || !version || req.id == nil || req.method == "" || params == nil ||
		hdr.Get("Mcp-Method") != req.method || (req.method == "tools/list" && h.srv.toolListJSON == nil) {
		return req, false
	}
	var name []byte
	var meta bool
	ok = walkObject(params, func(key, value []byte) bool {
		switch string(key) {
		case "_meta":
			meta = fastMetaOK(value)
			return meta
		case "name":
			name = value
			return req.method == "tools/call" && isPlainString(value)
		case "arguments":
			req.args = value
			return req.method == "tools/call" && plainNumbers(value)
		}
		return false
	})
	if !ok || !meta {
		return req, false
	}
	if req.method == "tools/call" {
		if name == nil {
			return req, false
		}
		n := string(name[1 : len(name)-1])
		if req.tool = h.srv.byName[n]; req.tool == nil || req.tool.paramHeaders || hdr.Get("Mcp-Name") != n {
			return req, false
		}
	}
	return req, true
}

// fastHeadersOK reports whether the request headers pass the SDK's transport checks: a JSON
// body, an Accept that takes both JSON and SSE, and no Mcp-Param-* header (which the SDK
// compares with x-mcp-header arguments).
func (h *httpHandler) fastHeadersOK(hdr http.Header) bool {
	if mt, _, err := mime.ParseMediaType(hdr.Get("Content-Type")); err != nil || mt != "application/json" {
		return false
	}
	for k := range hdr {
		if strings.HasPrefix(k, "Mcp-Param-") {
			return false
		}
	}
	// The SDK's streamableAccepts.
	var jsonOK, streamOK bool
	for _, value := range hdr.Values("Accept") {
		for raw := range strings.SplitSeq(value, ",") {
			base, _, _ := strings.Cut(strings.TrimSpace(raw), ";")
			switch strings.ToLower(strings.TrimSpace(base)) {
			case "application/json", "application/*":
				jsonOK = true
			case "text/event-stream", "text/*":
				streamOK = true
			case "*/*":
				jsonOK, streamOK = true, true
			}
		}
	}
	return jsonOK && streamOK
}

// fastMetaOK reports whether _meta is the sessionless era's triple as the SDK accepts it: the
// protocol version the header names, client capabilities and, optionally, client info; nothing
// else (a log level or a progress token goes to the SDK).
func fastMetaOK(value []byte) bool {
	var version, caps bool
	return walkObject(value, func(key, v []byte) bool {
		switch string(key) {
		case mcp.MetaKeyProtocolVersion:
			version = string(v) == `"`+fastVersion+`"`
			return version
		case mcp.MetaKeyClientCapabilities:
			if string(v) == "{}" {
				caps = true
				return true
			}
			var c struct {
				mcp.ClientCapabilities
				Roots *mcp.RootCapabilities `json:"roots,omitempty"`
			}
			caps = len(v) > 0 && v[0] == '{' && json.Unmarshal(v, &c) == nil
			return caps
		case mcp.MetaKeyClientInfo:
			if len(v) == 0 || v[0] != '{' {
				return false
			}
			// The usual {"name": ..., "version": ...} is checked without decoding.
			simple := walkObject(v, func(key, value []byte) bool {
				switch string(key) {
				case "name", "version", "title":
					return isPlainString(value)
				}
				return false
			})
			var impl mcp.Implementation
			return simple || json.Unmarshal(v, &impl) == nil
		}
		return false
	}) && version && caps
}

// fastID returns a request id as the SDK echoes it, or nil when the SDK might read it
// differently: a string without escapes, or an integer of at most 15 digits (exact as the
// float64 the SDK decodes it into).
func fastID(value []byte) []byte {
	if isPlainString(value) {
		return value
	}
	digits := bytes.TrimPrefix(value, []byte("-"))
	if len(digits) == 0 || len(digits) > 15 || (digits[0] == '0' && len(digits) > 1) {
		return nil
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return nil
		}
	}
	n, err := strconv.ParseInt(string(value), 10, 64)
	if err != nil {
		return nil
	}
	return strconv.AppendInt(nil, n, 10) // "-0" is 0
}

// isPlainString reports whether value is a JSON string without escapes or control characters,
// which every decoder reads the same.
func isPlainString(value []byte) bool {
	if len(value) < 2 || value[0] != '"' || value[len(value)-1] != '"' {
		return false
	}
	for _, c := range value[1 : len(value)-1] {
		if c == '"' || c == '\\' || c < 0x20 {
			return false
		}
	}
	return true
}

// maxFastDepth bounds the nesting of a body the fast path takes. The SDK refuses bodies nested
// deeper than 1000; tool arguments nest a few levels.
const maxFastDepth = 64

// walkObject calls fn with each member of the JSON object data, its value raw, and reports
// whether data is an object without duplicate or escaped keys whose members fn all accepted.
// data must be valid JSON (json.Valid) nested at most maxFastDepth deep (depthOK).
func walkObject(data []byte, fn func(key, value []byte) bool) bool {
	i := skipSpace(data, 0)
	if i == len(data) || data[i] != '{' {
		return false
	}
	var keys [8][]byte
	n := 0
	for i = skipSpace(data, i+1); i < len(data) && data[i] != '}'; {
		if data[i] == ',' {
			i = skipSpace(data, i+1)
		}
		end := stringEnd(data, i)
		key := data[i+1 : end-1]
		if n == len(keys) || bytes.IndexByte(key, '\\') >= 0 {
			return false
		}
		for _, k := range keys[:n] {
			if bytes.Equal(k, key) {
				return false
			}
		}
		keys[n] = key
		n++
		i = skipSpace(data, end)
		i = skipSpace(data, i+1) // the colon
		end = valueEnd(data, i)
		if !fn(key, data[i:end]) {
			return false
		}
		i = skipSpace(data, end)
	}
	return skipSpace(data, i+1) == len(data)
}

// skipSpace returns the index of the first byte from i that is not JSON whitespace.
func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the JSON string that starts at i.
func stringEnd(data []byte, i int) int {
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(data)
}

// valueEnd returns the index after the JSON value that starts at i, in valid JSON.
func valueEnd(data []byte, i int) int {
	switch data[i] {
	case '"':
		return stringEnd(data, i)
	case '{', '[':
		depth := 0
		for ; i < len(data); i++ {
			switch data[i] {
			case '"':
				i = stringEnd(data, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return len(data)
	}
	for i < len(data) && !isDelimiter(data[i]) {
		i++
	}
	return i
}

func isDelimiter(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

// depthOK reports whether the JSON data nests at most limit objects and arrays deep.
func depthOK(data []byte, limit int) bool {
	depth := 0
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '"':
			i = stringEnd(data, i) - 1
		case '{', '[':
			if depth++; depth > limit {
				return false
			}
		case '}', ']':
			depth--
		}
	}
	return true
}

// plainNumbers reports whether every number in the JSON value data is one the SDK and the
// tool handler read alike: no exponent and at most 20 characters, so never out of float64's
// range (the SDK refuses a call whose arguments hold one, such as 1e400).
func plainNumbers(data []byte) bool {
	for i := 0; i < len(data); i++ {
		switch c := data[i]; {
		case c == '"':
			i = stringEnd(data, i) - 1
		case c == '-' || (c >= '0' && c <= '9'):
			start := i
			for i < len(data) && !isDelimiter(data[i]) {
				if data[i] == 'e' || data[i] == 'E' {
					return false
				}
				i++
			}
			if i-start > 20 {
				return false
			}
			i--
		}
	}
	return true
}
