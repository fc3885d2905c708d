// Package mcpserver is restream-gateway's MCP server: it exposes the tools of a capability's MCP
// adapter over Streamable HTTP and over stdio, with the official Go SDK
// (github.com/modelcontextprotocol/go-sdk).
//
// What it adds to the SDK, and why:
//
//   - Both protocol eras on one endpoint. The SDK serves the sessionless protocol (2026-07-28,
//     server/discover and a per-request _meta) only on a stateless handler, and the
//     initialize/Mcp-Session-Id flow (2025-11-25, 2025-06-18 and older) only on a stateful one.
//     Handler routes each POST to the right one (see Handler), so any client works unchanged.
//   - Schemas every client accepts. Tools are sent with the loader's strict schemas as given; New
//     refuses a tool whose name or schemas break the rules clients enforce, and tools/list omits
//     the hints a capability leaves unset (the SDK's own type always sends readOnlyHint and
//     idempotentHint).
//   - Arguments are validated against the tool's input schema before anything is sent upstream;
//     a bad argument is a JSON-RPC invalid-params error naming the field.
//   - Results carry the answer twice, as MCP asks: compact JSON text, and structuredContent
//     checked against the output schema before it is sent. An answer that cannot be sent whole
//     and conforming is an isError result carrying the text.
//   - Bounds: request bodies, the answer size, the number of sessions and their idle time.
//   - Speed on the hot path. A sessionless tools/call or tools/list that passes every check the
//     SDK makes is served without the SDK's per-request session and repeated decoding, through
//     the same tool handler, with the answer the SDK would give (fast.go); anything else goes
//     to the SDK.
//
// Host, Origin and inbound-token checks are internal/guard's: the gateway wraps Handler with it.
package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/restreamkit/restreamkit/internal/capability"
	"github.com/restreamkit/restreamkit/internal/gateway/upstream"
)

// Defaults of Options.
const (
	// DefaultMaxRequestBytes bounds one HTTP request body or one stdio line. Tool arguments are
	// a few fields; 1 MiB leaves room for any of them and stops a client from making the
	// gateway buffer more.
	DefaultMaxRequestBytes = 1 << 20
	// DefaultMaxResultBytes bounds the text of one tool result (about 32k tokens), so that one
	// answer cannot flood an assistant's context; a longer answer is cut with a notice.
	DefaultMaxResultBytes = 128 << 10
	// DefaultMaxSessions bounds the sessions of the session-based era kept at once.
	DefaultMaxSessions = 64
	// DefaultSessionIdleTimeout closes a session no request has used for that long.
	DefaultSessionIdleTimeout = 30 * time.Minute
)

// Options tune a Server. The zero value serves every tool of the adapter with the defaults.
type Options struct {
	// ReadOnly exposes only the tools whose hints say readOnly: true (--read-only).
	ReadOnly bool
	// Version is the serverInfo version clients see; "dev" when empty.
	Version string
	// Logger receives the server's and the SDK's logs; nil discards them. Nothing logged
	// carries argument values, answers or tokens.
	Logger *slog.Logger
	// MaxRequestBytes bounds an HTTP request body (larger: 413) and a stdio line (larger: the
	// stdio session ends, as the SDK cannot skip a frame). 0 means DefaultMaxRequestBytes.
	MaxRequestBytes int64
	// MaxResultBytes bounds the text of a tool result, on top of the invoker's own cap. 0 means
	// DefaultMaxResultBytes; a negative value leaves only the invoker's cap.
	MaxResultBytes int
	// MaxSessions bounds the sessions of the session-based era. When a client opens one more,
	// the session idle the longest is closed (its client gets 404 and, as the specification
	// requires, initializes again). 0 means DefaultMaxSessions.
	MaxSessions int
	// SessionIdleTimeout closes a session no request has used for that long. 0 means
	// DefaultSessionIdleTimeout.
	SessionIdleTimeout time.Duration
}

// Server serves one MCP adapter's tools. It is safe for concurrent use; Close ends its sessions.
type Server struct {
	adapter *capability.MCPAdapter
	inv     upstream.Invoker
	opts    Options
	log     *slog.Logger
	tools   []*tool          // the exposed tools, in file order
	byName  map[string]*tool // the same, by name
	impl    *mcp.Implementation

	// stateful serves the session era, stateless the sessionless one (and session-era
	// requests that come without a session); both serve the same tools.
	stateful, stateless *mcp.Server
	http                *httpHandler
	// toolListJSON is the sessionless era's tools/list result, which never changes; implJSON
	// is impl encoded (fast.go).
	toolListJSON, implJSON []byte
}

// New builds the server of adapter's tools, calling them through inv. It fails when a tool's
// name or schemas would be refused by MCP clients (see the package comment), or when a schema
// cannot be compiled for validation.
func New(adapter *capability.MCPAdapter, inv upstream.Invoker, opts Options) (*Server, error) {
	if adapter == nil || inv == nil {
		return nil, errors.New("mcpserver: an adapter and an invoker are required")
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	if opts.MaxRequestBytes <= 0 {
		opts.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if opts.MaxResultBytes == 0 {
		opts.MaxResultBytes = DefaultMaxResultBytes
	}
	if opts.MaxSessions <= 0 {
		opts.MaxSessions = DefaultMaxSessions
	}
	if opts.SessionIdleTimeout <= 0 {
		opts.SessionIdleTimeout = DefaultSessionIdleTimeout
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{adapter: adapter, inv: inv, opts: opts, log: log, byName: map[string]*tool{}}
	name := adapter.Namespace
	if name == "" {
		name = "restream-gateway"
	}
	s.impl = &mcp.Implementation{Name: name, Title: "restream-gateway", Version: opts.Version}

	var errs []error
	for _, t := range adapter.Tools {
		if opts.ReadOnly && (t.Hints.ReadOnly == nil || !*t.Hints.ReadOnly) {
			continue
		}
		ct, err := compileTool(t)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if s.byName[t.Name] != nil {
			errs = append(errs, fmt.Errorf("tool %q: defined twice", t.Name))
			continue
		}
		s.byName[t.Name] = ct
		s.tools = append(s.tools, ct)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("mcpserver: %w", err)
	}
	var err error
	if s.implJSON, err = json.Marshal(s.impl); err != nil {
		return nil, fmt.Errorf("mcpserver: %w", err)
	}
	if s.toolListJSON, err = s.listToolsJSON(); err != nil {
		return nil, fmt.Errorf("mcpserver: tools/list: %w", err)
	}
	s.stateful = s.newMCPServer()
	s.stateless = s.newMCPServer()
	s.http = newHTTPHandler(s)
	return s, nil
}

// Tools returns the names of the exposed tools, in file order.
func (s *Server) Tools() []string {
	names := make([]string, len(s.tools))
	for i, t := range s.tools {
		names[i] = t.src.Name
	}
	return names
}

// newMCPServer returns an SDK server with every exposed tool.
func (s *Server) newMCPServer() *mcp.Server {
	srv := mcp.NewServer(s.impl, &mcp.ServerOptions{
		Instructions: s.adapter.Description,
		Logger:       s.log,
		// Tools only, and they never change while the gateway runs: no listChanged, and no
		// logging capability (the SDK's default), as the server sends no log messages.
		Capabilities: &mcp.ServerCapabilities{Tools: &mcp.ToolCapabilities{}},
	})
	for _, t := range s.tools {
		srv.AddTool(t.sdk, s.callHandler(t))
	}
	srv.AddReceivingMiddleware(s.toolsListMiddleware)
	return srv
}

// Handler serves MCP over Streamable HTTP, on whatever path it is mounted (the gateway mounts
// it at /mcp and at /, where the format's reference clients post).
//
//   - POST carrying Mcp-Session-Id, or an initialize request: the session era. initialize opens
//     a session (Mcp-Session-Id in the answer); the session's later requests must carry it
//     (unknown or expired: 404, and the client initializes again).
//   - Any other POST: the sessionless era (protocol 2026-07-28: server/discover, and every
//     request carries its version in MCP-Protocol-Version and _meta), and session-era requests
//     sent without a session, which are served as if initialized.
//   - DELETE with Mcp-Session-Id ends that session (204; 404 when unknown).
//   - GET and any other method: 405. The server never sends a message of its own (tools are
//     fixed, no logging), so it offers no standalone SSE stream, as the specification allows.
//
// Answers are application/json, never SSE. A body over MaxRequestBytes gets 413.
func (s *Server) Handler() http.Handler { return s.http }

// ServeStdio serves one MCP client over newline-delimited JSON-RPC on in and out (restream-gateway
// --stdio), both protocol eras, until in ends or ctx is done; either is a clean end (nil). A
// malformed or oversized line ends the session with an error: the SDK cannot resynchronise a
// stream, and the client is the local process that launched the gateway.
func (s *Server) ServeStdio(ctx context.Context, in io.Reader, out io.Writer) error {
	t := &mcp.IOTransport{
		Reader:        io.NopCloser(in),
		Writer:        nopWriteCloser{out},
		MaxLineLength: int(s.opts.MaxRequestBytes),
	}
	err := s.newMCPServer().Run(ctx, t)
	if err == nil || errors.Is(err, io.EOF) || (ctx.Err() != nil && errors.Is(err, ctx.Err())) {
		return nil
	}
	return fmt.Errorf("mcpserver: stdio: %w", err)
}

// Close ends every open session of the session era. The handler stays usable: a client that
// comes back initializes again.
func (s *Server) Close() error {
	for ss := range s.stateful.Sessions() {
		ss.Close()
	}
	return nil
}

// nopWriteCloser lets ServeStdio's caller keep its writer (os.Stdout) open.
type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
