// Package proxy is restream-proxy: a reverse proxy that forwards an app's traffic to Restream (or
// restream-mock) and checks every request, response and WebSocket frame against the bundled spec
// and JSON Schemas. Per direction it can stay silent, report violations (JSON lines, JUnit,
// metrics, a response header, and a drift report of suggested spec changes: package drift) or
// enforce the contract by refusing what breaks it. A CI job ends a run with a signal or POST
// /__proxy/shutdown (guarded like every /__proxy/ endpoint); Close writes every file before the
// command exits.
//
// Secrets never leave in clear: internal/redact decides what is secret, and every report, log line
// and refusal goes through it. Upstream failures become 502/504 envelopes that name the cause;
// bodies over the validation limit are forwarded untouched and reported as not validated, and
// compressed bodies pass through as they are, validated from a bounded decoded copy.
//
// Nothing a client sends can grow the proxy without bound: requests no operation matches share
// one report bucket (UnknownOperation), metric labels come from the spec, each reported field is
// cut to a fixed size, relayed WebSockets are capped, and the server's timeouts and header limit
// close idle, slow and oversized connections.
package proxy

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/drift"
	"github.com/restreamkit/restreamkit/internal/guard"
	"github.com/restreamkit/restreamkit/internal/har"
	"github.com/restreamkit/restreamkit/internal/record"
	"github.com/restreamkit/restreamkit/internal/report"
	"github.com/restreamkit/restreamkit/internal/validate"
	"github.com/restreamkit/restreamkit/internal/webui"
)

// Mode says what the proxy does with one direction of traffic.
type Mode string

// The modes of a direction.
const (
	Off     Mode = "off"     // forward without checking
	Report  Mode = "report"  // forward and record violations
	Enforce Mode = "enforce" // refuse what breaks the contract, and record it
)

// ParseMode reads a mode name.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case Off, Report, Enforce:
		return m, nil
	}
	return "", fmt.Errorf("mode %q: want off, report or enforce", s)
}

// Defaults of Options.
const (
	DefaultMaxValidateBytes      = 1 << 20
	DefaultDialTimeout           = 5 * time.Second
	DefaultTLSHandshakeTimeout   = 5 * time.Second
	DefaultResponseHeaderTimeout = 20 * time.Second
	DefaultUpstreamTimeout       = 60 * time.Second
	// Limits of the proxy's own listeners (see HTTPServer). A proxied exchange may last until
	// the upstream timeout whatever these say; they bound everything else.
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 60 * time.Second
	DefaultWriteTimeout      = 60 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultMaxHeaderBytes    = 32 << 10 // request headers over 32 KiB get 431, as restream-mock does
	// DefaultMaxWebSockets bounds the WebSockets relayed at once (each holds two connections).
	DefaultMaxWebSockets = 256
	// ViolationsHeader is the response header that carries the exchange's violation count.
	ViolationsHeader = "X-Restream-Proxy-Violations"
	// RequestIDHeader is the response header that carries the proxy's id of the exchange.
	RequestIDHeader = "X-Restream-Proxy-Request-Id"
)

// Options configure a Proxy.
type Options struct {
	// Upstream is the REST API the proxy forwards to, such as https://api.restream.io.
	Upstream *url.URL
	// StreamingUpstream and ChatUpstream are the WebSocket feeds, such as
	// wss://streaming.api.restream.io. Nil disables that feed.
	StreamingUpstream, ChatUpstream *url.URL
	// RequestMode, ResponseMode and WSMode default to Report.
	RequestMode, ResponseMode, WSMode Mode
	// Report is where violations go as JSON lines: "" nowhere, "-" standard output, else a file.
	Report string
	// JUnit, when set, is the file Close writes a JUnit report to.
	JUnit string
	// Summary, when set, receives a table of operations and violations on Close.
	Summary io.Writer
	// DriftReport, when set, is the file Close writes the drift report to (see package drift),
	// in DriftReportFormat (Markdown by default).
	DriftReport       string
	DriftReportFormat drift.Format
	// AddViolationsHeader adds X-Restream-Proxy-Violations (and the request id) to every
	// response. The proxy then validates a response before sending it, instead of while
	// streaming it.
	AddViolationsHeader bool
	// MaxValidateBytes bounds the body the proxy holds to validate; larger bodies are forwarded
	// as they stream and reported as not validated.
	MaxValidateBytes int64
	// Timeouts of the upstream connection; zero means the default. UpstreamTimeout bounds a
	// whole proxied exchange, streamed response included.
	DialTimeout, TLSHandshakeTimeout, ResponseHeaderTimeout, UpstreamTimeout time.Duration
	// Timeouts of the servers HTTPServer builds; zero means the default. ReadTimeout bounds
	// reading a request (headers and the part of the body the proxy validates), WriteTimeout
	// answering the proxy's own endpoints, IdleTimeout a keep-alive connection between requests.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request's header block; larger ones get a 431 envelope.
	MaxHeaderBytes int
	// MaxWebSockets bounds the WebSockets relayed at once; more get a 503 envelope.
	MaxWebSockets int
	// TLSConfig is used to reach the upstream (tests trust their own certificate with it).
	TLSConfig *tls.Config
	// Control guards the paths that are not the Restream API: the proxy's own /__proxy/ endpoints
	// and the mock's /__mock/ control API it forwards. The proxy sends the upstream's own Host, so
	// the mock cannot see a rebinding page's Host: the proxy must refuse it. The zero value
	// answers loopback Hosts only and refuses cross-origin browser writes (see package guard);
	// a control token is the mock's business and is forwarded untouched.
	Control guard.Options
	// Record, when set, is a directory the exchanges of /v2 operations are recorded into as
	// fixtures (see package record), written on Close. It needs the request and response modes
	// on (report or enforce): the proxy records what it reads to validate.
	Record string
	// HAR, when set, is a file the exchanges of the spec's operations are written to on Close,
	// as an HTTP Archive 1.2 (see package har), redacted. Like Record, it needs the request and
	// response modes on.
	HAR string
	// Version is the proxy's version, as the HAR file names its creator; "" means dev.
	Version string
	// Logger receives warnings and a debug line per exchange; nil discards them.
	Logger *slog.Logger
}

// Proxy is one validating reverse proxy.
type Proxy struct {
	opts     Options
	log      *slog.Logger
	spec     *validate.Spec
	frames   *frameSchemas
	rp       *httputil.ReverseProxy
	client   *http.Client // for WebSocket dials
	report   *report.Reporter
	metrics  *metrics
	idPrefix string
	seq      atomic.Uint64
	bufs     sync.Pool
	ws       wsRegistry
	closed   atomic.Bool
	guard    *guard.Guard // of /__proxy/ and the forwarded /__mock/
	rec      *record.Recorder
	har      *har.Archive
	drift    *drift.Aggregator // nil without a drift report
	live     *liveRing         // recent exchanges, for the dashboard
	uiGuard  *guard.Guard      // of /__proxy/ui/: the control guard, strict about origins
	events   *webui.Broker     // the dashboard's live feed
	shutdown chan struct{}     // closed by POST /__proxy/shutdown
	stopOnce sync.Once
}

// New builds a proxy from opts.
func New(opts Options) (*Proxy, error) {
	if opts.Upstream == nil || opts.Upstream.Host == "" {
		return nil, errors.New("an upstream URL with a host is required")
	}
	if opts.Upstream.Scheme != "http" && opts.Upstream.Scheme != "https" {
		return nil, fmt.Errorf("upstream %s: the scheme must be http or https", opts.Upstream)
	}
	for _, m := range []*Mode{&opts.RequestMode, &opts.ResponseMode, &opts.WSMode} {
		if *m == "" {
			*m = Report
		}
		if _, err := ParseMode(string(*m)); err != nil {
			return nil, err
		}
	}
	setDefault(&opts.DialTimeout, DefaultDialTimeout)
	setDefault(&opts.TLSHandshakeTimeout, DefaultTLSHandshakeTimeout)
	setDefault(&opts.ResponseHeaderTimeout, DefaultResponseHeaderTimeout)
	setDefault(&opts.UpstreamTimeout, DefaultUpstreamTimeout)
	setDefault(&opts.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	setDefault(&opts.ReadTimeout, DefaultReadTimeout)
	setDefault(&opts.WriteTimeout, DefaultWriteTimeout)
	setDefault(&opts.IdleTimeout, DefaultIdleTimeout)
	if opts.MaxValidateBytes <= 0 {
		opts.MaxValidateBytes = DefaultMaxValidateBytes
	}
	if opts.MaxHeaderBytes <= 0 {
		opts.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if opts.MaxWebSockets <= 0 {
		opts.MaxWebSockets = DefaultMaxWebSockets
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	format, err := drift.ParseFormat(string(opts.DriftReportFormat))
	if err != nil {
		return nil, err
	}
	opts.DriftReportFormat = format
	opts.Control.Token = "" // the mock checks its own control token, forwarded untouched
	g, err := guard.New(opts.Control)
	if err != nil {
		return nil, err
	}
	spec, err := validate.RestreamSpec()
	if err != nil {
		return nil, err
	}
	frames, err := loadFrameSchemas()
	if err != nil {
		return nil, err
	}
	rep, err := report.Open(opts.Report)
	if err != nil {
		return nil, err
	}
	if (opts.Record != "" || opts.HAR != "") && (opts.RequestMode == Off || opts.ResponseMode == Off) {
		return nil, errors.New("recording reads what the proxy validates: the request and response modes must be report or enforce")
	}
	var rec *record.Recorder
	if opts.Record != "" {
		if rec, err = record.Open(opts.Record); err != nil {
			return nil, err
		}
	}
	var archive *har.Archive
	if opts.HAR != "" {
		v := opts.Version
		if v == "" {
			v = "dev"
		}
		archive = har.New("restream-proxy " + v)
	}
	var pfx [3]byte
	_, _ = rand.Read(pfx[:])
	p := &Proxy{opts: opts, log: log, spec: spec, frames: frames, report: rep, metrics: newMetrics(),
		idPrefix: hex.EncodeToString(pfx[:]), guard: g, rec: rec, har: archive, shutdown: make(chan struct{}),
		events: webui.NewBroker(webui.BrokerOptions{MaxSubscribers: UISubscribers})}
	p.live = newLiveRing(LiveExchanges, LiveBytes)
	if p.uiGuard, err = uiStrictGuard(opts.Control); err != nil {
		return nil, err
	}
	if opts.DriftReport != "" {
		// Written on Close; created now so that a path that cannot be written fails the start,
		// not the end of a long CI run.
		if err := os.WriteFile(opts.DriftReport, nil, 0o644); err != nil {
			return nil, fmt.Errorf("drift report: %w", err)
		}
		p.drift = drift.New()
	}
	p.bufs.New = func() any { b := make([]byte, 0, 8<<10); return &b }
	p.ws.max = opts.MaxWebSockets
	transport := newTransport(opts)
	p.client = &http.Client{Transport: transport}
	target := opts.Upstream
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target) // also sends the upstream's own Host
		},
		Transport:      transport,
		FlushInterval:  -1, // stream as it comes: validation must not add latency in report mode
		ModifyResponse: p.modifyResponse,
		ErrorHandler:   p.upstreamError,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		BufferPool:     bufferPool{},
	}
	return p, nil
}

func setDefault(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

// newTransport is the upstream transport: bounded timeouts, and enough idle connections that a
// busy app does not reconnect for every request. It never asks for compression nor inflates on
// its own: the client's Accept-Encoding goes upstream as sent, and the body comes back as the
// upstream encoded it (a small gzip body must not reach the client as a gigabyte).
func newTransport(opts Options) *http.Transport {
	dialer := &net.Dialer{Timeout: opts.DialTimeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       opts.TLSConfig,
		TLSHandshakeTimeout:   opts.TLSHandshakeTimeout,
		ResponseHeaderTimeout: opts.ResponseHeaderTimeout,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}
}

// bufferPool lends ReverseProxy its copy buffers.
type bufferPool struct{}

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (bufferPool) Get() []byte  { return *(copyBuffers.Get().(*[]byte)) }
func (bufferPool) Put(b []byte) { copyBuffers.Put(&b) }

// Handler returns the handler of the main listener: the REST and OAuth API, the WebSocket feeds
// at /streaming/ws and /chat/ws, and /__proxy/healthz, /__proxy/metrics, POST
// /__proxy/shutdown (see ShutdownRequested) and the dashboard under /__proxy/ui/ (UIPrefix). Serve it with
// HTTPServer, which adds the header limit and the timeouts.
func (p *Proxy) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /__proxy/healthz", p.guard.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":"ok","upstream":%q,"violations":%d}`+"\n", p.opts.Upstream.String(), p.report.Total())
	})))
	mux.Handle("GET /__proxy/metrics", p.guard.Handler(p.metrics.handler()))
	mux.Handle("POST /__proxy/shutdown", p.guard.Handler(http.HandlerFunc(p.serveShutdown)))
	mux.Handle(UIPrefix, p.uiHandler())
	mux.Handle(MockPrefix, p.guard.Handler(http.HandlerFunc(p.serveHTTP)))
	if p.opts.StreamingUpstream != nil {
		mux.Handle("/streaming/ws", p.StreamingHandler())
	}
	if p.opts.ChatUpstream != nil {
		mux.Handle("/chat/ws", p.ChatHandler())
	}
	mux.Handle("/", http.HandlerFunc(p.serveHTTP))
	return mux
}

// HTTPServer returns an *http.Server for addr serving h (Handler, or a feed handler mounted at
// /ws) with the proxy's timeouts and header limit. Headers a little over the limit get a 431
// envelope; net/http refuses anything far beyond it. WebSockets are hijacked, so these timeouts
// stop applying once a relay is up; a proxied exchange gets until the upstream timeout.
func (p *Proxy) HTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           p.limitHeaders(h),
		ReadHeaderTimeout: p.opts.ReadHeaderTimeout,
		ReadTimeout:       p.opts.ReadTimeout,
		WriteTimeout:      p.opts.WriteTimeout,
		IdleTimeout:       p.opts.IdleTimeout,
		MaxHeaderBytes:    4 * p.opts.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(p.log.Handler(), slog.LevelWarn),
	}
}

// limitHeaders answers 431 in the error envelope when a request's header block is over the limit.
func (p *Proxy) limitHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e := apierror.HeadersTooLarge(r, p.opts.MaxHeaderBytes); e != nil {
			e.Write(w)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Violations returns how many violations the proxy has reported.
func (p *Proxy) Violations() int { return p.report.Total() }

// Records returns the violations kept for the JUnit report (at most 200 per operation), redacted,
// oldest first.
func (p *Proxy) Records() []Record { return p.report.Records() }

// CloseWebSockets ends the dashboard's live feeds, and every relayed WebSocket with a close frame
// (StatusGoingAway) on both sides, and refuses new ones. Call it when shutdown starts: http.Server.Shutdown does not wait for
// hijacked connections.
func (p *Proxy) CloseWebSockets(ctx context.Context) {
	p.stopFeeds()
	p.ws.closeAll(ctx)
}

// Close ends the WebSocket relays, then writes the JUnit file, the drift report, the summary
// (which names the drift report's file), the HAR file and the recording, and closes the report.
// Call it once, after the HTTP servers have shut down, so no exchange is left out.
func (p *Proxy) Close(ctx context.Context) error {
	if !p.closed.CompareAndSwap(false, true) {
		return nil
	}
	p.stopFeeds()
	p.ws.closeAll(ctx)
	var errs []error
	if p.opts.JUnit != "" {
		f, err := os.Create(p.opts.JUnit)
		if err == nil {
			err = p.report.WriteJUnit(f, "restream-proxy", time.Now())
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("writing JUnit: %w", err))
		}
	}
	if p.opts.DriftReport != "" {
		if err := p.drift.Summary(time.Now()).WriteFile(p.opts.DriftReport, p.opts.DriftReportFormat); err != nil {
			errs = append(errs, err)
		}
	}
	if p.opts.Summary != nil {
		if err := p.report.WriteSummary(p.opts.Summary); err != nil {
			errs = append(errs, err)
		}
		if p.opts.DriftReport != "" {
			fmt.Fprintf(p.opts.Summary, "drift report (%s): %s\n", p.opts.DriftReportFormat, p.opts.DriftReport)
		}
	}
	if err := p.report.Close(); err != nil {
		errs = append(errs, err)
	}
	if p.har != nil {
		if err := p.har.WriteFile(p.opts.HAR); err != nil {
			errs = append(errs, fmt.Errorf("writing the HAR file: %w", err))
		}
	}
	if p.rec != nil {
		sum, err := p.rec.Close()
		if err != nil {
			errs = append(errs, fmt.Errorf("writing the recording: %w", err))
		} else if p.opts.Summary != nil {
			sum.Write(p.opts.Summary)
		}
	}
	return errors.Join(errs...)
}

// ShutdownRequested is closed when a client asks the proxy to stop with POST /__proxy/shutdown
// (a CI job that cannot send a signal); the command then shuts down as on SIGTERM.
func (p *Proxy) ShutdownRequested() <-chan struct{} { return p.shutdown }

// ShutdownContext returns a context that ends when parent does or when shutdown is requested.
func (p *Proxy) ShutdownContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	go func() {
		select {
		case <-p.shutdown:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// serveShutdown answers POST /__proxy/shutdown (behind the guard) and asks for the shutdown; the
// answer goes out before the listeners close, which wait for it.
func (p *Proxy) serveShutdown(w http.ResponseWriter, _ *http.Request) {
	p.stopOnce.Do(func() { close(p.shutdown) })
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintf(w, `{"status":"shutting down","violations":%d}`+"\n", p.report.Total())
}

// seen counts one exchange of a bucket in the report and the drift report.
func (p *Proxy) seen(bucket string) {
	p.report.Seen(bucket)
	p.drift.Seen(bucket)
}

// nextID returns a short id for an exchange, unique within this run.
func (p *Proxy) nextID() string {
	return p.idPrefix + "-" + fmt.Sprintf("%06d", p.seq.Add(1))
}
