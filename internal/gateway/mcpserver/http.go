package mcpserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// sessionHeader is the session era's session id header.
const sessionHeader = "Mcp-Session-Id"

// httpHandler routes Streamable HTTP requests between the SDK's stateful handler (the session
// era) and its stateless one (the sessionless era), and bounds bodies and sessions.
type httpHandler struct {
	srv                 *Server
	stateful, stateless *mcp.StreamableHTTPHandler
	// fast serves the sessionless era's tools/call and tools/list without the SDK (fast.go);
	// tests turn it off to compare the two.
	fast bool

	// mu guards the session bookkeeping: when each session tracked was last used, and how many
	// initialize requests are being served (sessions about to exist).
	mu       sync.Mutex
	lastUsed map[string]time.Time
	opening  int
}

func newHTTPHandler(s *Server) *httpHandler {
	common := mcp.StreamableHTTPOptions{
		JSONResponse: true,
		Logger:       s.log,
		// Host and Origin checks are internal/guard's, which the gateway wraps around this
		// handler; the SDK's own loopback check would refuse the hosts --allow-host allows.
		DisableLocalhostProtection: true,
		MaxRequestBodyBytes:        s.opts.MaxRequestBytes,
	}
	stateful := common
	stateful.SessionTimeout = s.opts.SessionIdleTimeout
	stateless := common
	stateless.Stateless = true
	return &httpHandler{
		srv:       s,
		stateful:  mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s.stateful }, &stateful),
		stateless: mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s.stateless }, &stateless),
		lastUsed:  map[string]time.Time{},
		fast:      true,
	}
}

func (h *httpHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		h.post(w, r)
	case http.MethodDelete:
		// The stateful handler answers 400 without a session id, 404 for an unknown one, and
		// 204 once the session is closed.
		if id := r.Header.Get(sessionHeader); id != "" {
			defer h.forget(id)
		}
		h.stateful.ServeHTTP(w, r)
	default:
		w.Header().Set("Allow", "POST, DELETE")
		http.Error(w, "Method Not Allowed: this MCP endpoint takes JSON-RPC in POST requests and sends no "+
			"messages of its own, so it offers no SSE stream", http.StatusMethodNotAllowed)
	}
}

// post reads the body within the bound and hands the request to the era it belongs to.
func (h *httpHandler) post(w http.ResponseWriter, r *http.Request) {
	limit := h.srv.opts.MaxRequestBytes
	body, err := readBody(http.MaxBytesReader(w, r.Body, limit), r.ContentLength, limit)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeRPCError(w, http.StatusRequestEntityTooLarge, jsonrpc.CodeInvalidRequest,
				"request body exceeds "+strconv.FormatInt(limit, 10)+" bytes")
			return
		}
		http.Error(w, "reading the request body: "+err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))

	switch id := r.Header.Get(sessionHeader); {
	case id != "":
		h.touch(id)
		h.stateful.ServeHTTP(w, r)
	case h.fast && h.serveFast(w, r, body): // tools/call and tools/list only
	case isInitialize(body):
		h.open(w, r)
	default:
		h.stateless.ServeHTTP(w, r)
	}
}

// readBody reads r whole into a buffer sized from the request's Content-Length when it is
// given and within limit (io.ReadAll would grow and copy its buffer several times).
func readBody(r io.Reader, contentLength, limit int64) ([]byte, error) {
	if contentLength <= 0 || contentLength > limit {
		return io.ReadAll(r)
	}
	// One byte more than announced, to see the end of the body (net/http cuts a body at its
	// Content-Length; anything longer is read whole all the same).
	buf := make([]byte, contentLength+1)
	n, err := io.ReadFull(r, buf)
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return buf[:n], nil
	case err != nil:
		return nil, err
	}
	rest, err := io.ReadAll(r)
	return append(buf, rest...), err
}

// open serves an initialize request, which opens a session, within MaxSessions: at the cap, the
// session idle the longest is closed first.
func (h *httpHandler) open(w http.ResponseWriter, r *http.Request) {
	victims, ok := h.admit()
	// Closing waits for the victim's calls in flight, so it happens outside the lock.
	for _, ss := range victims {
		ss.Close()
	}
	if !ok {
		w.Header().Set("Retry-After", "1")
		writeRPCError(w, http.StatusTooManyRequests, jsonrpc.CodeInvalidRequest,
			"too many MCP sessions are being opened at once; retry")
		return
	}
	h.stateful.ServeHTTP(w, r)
	id := w.Header().Get(sessionHeader)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.opening--
	if id != "" {
		h.lastUsed[id] = time.Now()
	}
}

// admit makes room for one more session: it drops the bookkeeping of sessions that ended
// (idle timeout, DELETE) and, at the cap, picks the least recently used ones to close. It
// reports false when every slot is taken by a session still being opened.
func (h *httpHandler) admit() (victims []*mcp.ServerSession, ok bool) {
	live := map[string]*mcp.ServerSession{}
	for ss := range h.srv.stateful.Sessions() {
		live[ss.ID()] = ss
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for id := range h.lastUsed {
		if live[id] == nil {
			delete(h.lastUsed, id)
		}
	}
	for len(h.lastUsed)+h.opening >= h.srv.opts.MaxSessions {
		oldest, at := "", time.Time{}
		for id, t := range h.lastUsed {
			if oldest == "" || t.Before(at) {
				oldest, at = id, t
			}
		}
		if oldest == "" {
			return victims, false
		}
		delete(h.lastUsed, oldest)
		h.srv.log.Info("mcp session limit reached: closing the session idle the longest",
			"limit", h.srv.opts.MaxSessions, "idle", time.Since(at).Round(time.Second).String())
		victims = append(victims, live[oldest])
	}
	h.opening++
	return victims, true
}

// touch records a request of a tracked session.
func (h *httpHandler) touch(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.lastUsed[id]; ok {
		h.lastUsed[id] = time.Now()
	}
}

// forget drops a session's bookkeeping.
func (h *httpHandler) forget(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.lastUsed, id)
}

// isInitialize reports whether body is an initialize request, alone or in a batch (which the
// 2025-03-26 protocol allowed).
func isInitialize(body []byte) bool {
	type message struct {
		Method string `json:"method"`
	}
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		var batch []message
		if json.Unmarshal(body, &batch) != nil {
			return false
		}
		for _, m := range batch {
			if m.Method == "initialize" {
				return true
			}
		}
		return false
	}
	var m message
	return json.Unmarshal(body, &m) == nil && m.Method == "initialize"
}

// writeRPCError answers with a JSON-RPC error without an id (the request was not read).
func writeRPCError(w http.ResponseWriter, status int, code int64, message string) {
	data, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": nil,
		"error": map[string]any{"code": code, "message": message}})
	if err != nil { // cannot happen: strings and numbers only
		panic(fmt.Sprintf("mcpserver: encoding an error: %v", err))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(data)
}
