// Package gateway runs a loaded capability: one HTTP server per exposed adapter (the REST facade,
// the MCP server's Streamable HTTP endpoint), or the MCP server on stdio, all calling the consumed
// API through one validating upstream client. It owns what the servers share: the guard at the
// door (loopback Hosts, same-origin browsers, an optional bearer token), /healthz and /metrics,
// header and time limits, and the order of shutdown.
package gateway

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/capability"
	"github.com/restreamkit/restreamkit/internal/gateway/facade"
	"github.com/restreamkit/restreamkit/internal/gateway/mcpserver"
	"github.com/restreamkit/restreamkit/internal/gateway/upstream"
	"github.com/restreamkit/restreamkit/internal/guard"
)

// Limits and timeouts of the gateway's own servers. The upstream call has its own timeout
// (upstream.Options).
const (
	DefaultMaxHeaderBytes    = 16 << 10
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultIdleTimeout       = 2 * time.Minute
	// DefaultWriteTimeout covers the upstream call (30 s by default) and the answer.
	DefaultWriteTimeout = 75 * time.Second
	// DefaultHost is where a server listens when the capability gives its port only: the
	// gateway holds a Restream credential, so it stays on this machine unless told otherwise.
	DefaultHost = "127.0.0.1"
)

// realm names the gateway in the 401 a missing or wrong --auth-token gets.
const realm = "restream-gateway"

// Options configure a Gateway.
type Options struct {
	// Plan is the loaded capability.
	Plan *capability.Plan
	// Upstream configures the client every route and tool calls the API with (base URL
	// override, token source, validation mode and report, timeouts, bounds). The gateway sets
	// its Metrics, to serve them on /metrics, and closes its Report on Close.
	Upstream upstream.Options
	// RESTAddr and MCPAddr replace the listen address of the REST and MCP adapter ("": the
	// adapter's address when it is loopback, else DefaultHost, with the adapter's port). They
	// need a capability with one adapter of the kind. When both name the same address, one
	// server answers both (MCP at /mcp); port 0 is never shared, each gets a port of its own.
	RESTAddr, MCPAddr string
	// AllowHosts, AllowOrigins and AuthToken configure the guard every server puts first (see
	// guard.Options). AuthToken, when set, must come as a Bearer token on every request but
	// /healthz; it is required when a server listens on an address that is not loopback.
	AllowHosts, AllowOrigins []string
	AuthToken                string
	// ReadOnly exposes only the tools whose hints say read-only (the REST facade is unchanged:
	// a facade route is what the file says).
	ReadOnly bool
	// MaxHeaderBytes bounds a request's header block (larger: 431 envelope).
	MaxHeaderBytes int
	// Timeouts of the gateway's own servers; zero means the Default.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// Version labels /healthz and the MCP server's serverInfo.
	Version string
	// Logger receives start-up notes and failures; nil discards them. Nothing logged carries a
	// token or an argument value.
	Logger *slog.Logger
}

// Server is one HTTP server of the gateway: what it serves and where.
type Server struct {
	// Name says what the server serves: "rest <namespace>", "mcp <namespace>", or both joined.
	Name string
	// Addr is the listen address.
	Addr string
	// Kinds are the kinds of adapter it serves, "rest" and/or "mcp", each once: the flags
	// --rest-addr and --mcp-addr that choose Addr.
	Kinds []string
	// Handler is the guarded handler.
	Handler http.Handler
}

// Gateway is a capability ready to serve.
type Gateway struct {
	opts     Options
	log      *slog.Logger
	client   *upstream.Client
	registry *prometheus.Registry
	servers  []Server
	mcp      []*mcpserver.Server
	guard    *guard.Guard
}

// New checks the options and builds every adapter. It fails on an address the capability cannot
// take, a public address without an auth token, or an adapter the capability gets wrong.
func New(opts Options) (*Gateway, error) {
	if opts.Plan == nil {
		return nil, errors.New("gateway: no capability")
	}
	g := &Gateway{opts: opts, log: opts.Logger, registry: prometheus.NewRegistry()}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	g.opts.MaxHeaderBytes = cmp.Or(opts.MaxHeaderBytes, DefaultMaxHeaderBytes)
	g.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	up := opts.Upstream
	up.Metrics = upstream.NewMetrics(upstream.CallNames(opts.Plan))
	g.registry.MustRegister(up.Metrics)
	if up.Logger == nil {
		up.Logger = g.log
	}
	var err error
	if g.client, err = upstream.New(up); err != nil {
		return nil, err
	}
	if g.guard, err = guard.New(guard.Options{AllowHosts: opts.AllowHosts, TrustedOrigins: opts.AllowOrigins,
		Token: opts.AuthToken, StrictOrigin: true, Realm: realm}); err != nil {
		return nil, err
	}
	if err := g.build(); err != nil {
		return nil, err
	}
	return g, nil
}

// build makes the adapters' handlers and groups them by listen address.
func (g *Gateway) build() error {
	plan := g.opts.Plan
	if g.opts.RESTAddr != "" && len(plan.REST) != 1 {
		return fmt.Errorf("--rest-addr needs a capability with one REST adapter, this one has %d", len(plan.REST))
	}
	if g.opts.MCPAddr != "" && len(plan.MCP) != 1 {
		return fmt.Errorf("--mcp-addr needs a capability with one MCP adapter, this one has %d", len(plan.MCP))
	}
	type site struct {
		name  string
		addr  string
		kinds []string
		mux   *http.ServeMux
		root  bool // "/" is taken (by a facade)
	}
	sites := map[string]*site{}
	var order []*site
	at := func(kind, name, addr string) *site {
		s, ok := sites[addr]
		if _, port, _ := net.SplitHostPort(addr); port == "0" {
			ok = false // each ":0" is a port of its own, chosen when it listens
		}
		if !ok {
			s = &site{name: kind + " " + name, addr: addr, kinds: []string{kind}, mux: http.NewServeMux()}
			sites[addr] = s
			order = append(order, s)
			s.mux.HandleFunc("GET /healthz", g.healthz)
			s.mux.Handle("GET /metrics", promhttp.HandlerFor(g.registry, promhttp.HandlerOpts{Registry: g.registry}))
			return s
		}
		s.name += " + " + kind + " " + name
		if !slices.Contains(s.kinds, kind) {
			s.kinds = append(s.kinds, kind)
		}
		return s
	}
	for _, a := range plan.REST {
		f, err := facade.New(a, g.client, facade.Options{Spec: g.opts.Upstream.Spec, BearerAuth: g.opts.AuthToken != "",
			Version: g.opts.Version, Logger: g.log})
		if err != nil {
			return fmt.Errorf("REST adapter %s: %w", a.Namespace, err)
		}
		s := at("rest", a.Namespace, g.listenAddr(g.opts.RESTAddr, "rest", a.Address, a.Port))
		if s.root {
			return fmt.Errorf("REST adapters %s share the address of another facade", a.Namespace)
		}
		s.mux.Handle("/", f.Handler())
		s.root = true
	}
	for _, a := range plan.MCP {
		m, err := mcpserver.New(a, g.client, mcpserver.Options{ReadOnly: g.opts.ReadOnly, Version: g.opts.Version, Logger: g.log})
		if err != nil {
			return fmt.Errorf("MCP adapter %s: %w", a.Namespace, err)
		}
		g.mcp = append(g.mcp, m)
		s := at("mcp", a.Namespace, g.listenAddr(g.opts.MCPAddr, "mcp", a.Address, a.Port))
		s.mux.Handle("/mcp", m.Handler())
		if !s.root {
			s.mux.Handle("/", notFound())
			s.root = true
		}
	}
	for _, s := range order {
		if !guard.IsLoopbackAddr(s.addr) && g.opts.AuthToken == "" {
			return fmt.Errorf("%s listens on %s, which is not loopback: set --auth-token, since the gateway "+
				"spends a Restream credential for whoever reaches it", s.name, s.addr)
		}
		g.servers = append(g.servers, Server{Name: s.name, Addr: s.addr, Kinds: s.kinds, Handler: g.wrap(s.mux)})
	}
	return nil
}

// listenAddr is the override when given, else the adapter's address and port when the address
// is loopback, else its port on DefaultHost: a file alone never opens the gateway (and the
// credential it spends) to the network; a flag must say so.
func (g *Gateway) listenAddr(override, kind, address string, port int) string {
	if override != "" {
		return override
	}
	host := DefaultHost
	switch {
	case address == "":
	case guard.IsLoopbackHost(address):
		host = address
	default:
		g.log.Warn("the capability asks for a non-loopback address; listening on "+DefaultHost+" (give --"+kind+"-addr to choose)",
			"address", address, "port", port)
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// wrap puts the header limit and the guard in front of h; /healthz needs no token, so that a
// supervisor can probe the gateway, but it keeps the Host and Origin checks.
func (g *Gateway) wrap(h http.Handler) http.Handler {
	guarded := g.guard.Handler(h, "/healthz")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e := apierror.HeadersTooLarge(r, g.opts.MaxHeaderBytes); e != nil {
			e.Write(w)
			return
		}
		guarded.ServeHTTP(w, r)
	})
}

func (g *Gateway) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = fmt.Fprintf(w, "{\"status\":\"ok\",\"version\":%q}\n", cmp.Or(g.opts.Version, "dev"))
}

// notFound answers a path no adapter serves on an MCP-only server.
func notFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		apierror.Newf(http.StatusNotFound, apierror.NameNotFound, "Not found: this server serves MCP at /mcp").Write(w)
	})
}

// Servers returns the gateway's HTTP servers, one per listen address (each port 0 apart), in
// capability order.
func (g *Gateway) Servers() []Server { return g.servers }

// HTTPServer returns an http.Server for s with the gateway's limits and timeouts.
func (g *Gateway) HTTPServer(s Server) *http.Server {
	o := g.opts
	return &http.Server{
		Addr:              s.Addr,
		Handler:           s.Handler,
		ReadHeaderTimeout: cmp.Or(o.ReadHeaderTimeout, DefaultReadHeaderTimeout),
		ReadTimeout:       cmp.Or(o.ReadTimeout, DefaultReadTimeout),
		WriteTimeout:      cmp.Or(o.WriteTimeout, DefaultWriteTimeout),
		IdleTimeout:       cmp.Or(o.IdleTimeout, DefaultIdleTimeout),
		// net/http's own limit answers in plain text: keep it above ours, which takes the envelope.
		MaxHeaderBytes: 4 * o.MaxHeaderBytes,
		ErrorLog:       slog.NewLogLogger(g.log.Handler(), slog.LevelWarn),
	}
}

// ServeStdio serves the capability's MCP adapter on in and out until ctx ends or in closes, as
// desktop assistants run an MCP server: as a command speaking JSON-RPC on its standard streams.
func (g *Gateway) ServeStdio(ctx context.Context, in io.Reader, out io.Writer) error {
	switch len(g.mcp) {
	case 0:
		return errors.New("--stdio: the capability exposes no MCP adapter")
	case 1:
		return g.mcp[0].ServeStdio(ctx, in, out)
	}
	return fmt.Errorf("--stdio: the capability exposes %d MCP adapters; stdio serves one", len(g.mcp))
}

// Close ends the MCP sessions, flushes the validation report and releases the upstream client's
// idle connections. Call it once the servers have stopped.
func (g *Gateway) Close() error {
	for _, m := range g.mcp {
		m.Close()
	}
	g.client.CloseIdleConnections()
	if r := g.opts.Upstream.Report; r != nil {
		return r.Close()
	}
	return nil
}
