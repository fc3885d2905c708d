package proxy

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/drift"
	"github.com/restreamkit/restreamkit/internal/guard"
)

// UIPrefix is where the dashboard is served: the exchanges (live), the per-operation counters and
// the drift summary. UIEvents is its live feed, Server-Sent Events of the exchanges as they end.
const (
	UIPrefix = "/__proxy/ui/"
	UIEvents = "/__proxy/ui/events"
)

// Limits of the dashboard.
const (
	// UIRows bounds the rows a page renders (the ring holds up to LiveExchanges).
	UIRows = 200
	// UISubscribers bounds the live feeds open at once; more get 503.
	UISubscribers = 16
	// uiHeartbeat is how often an idle feed sends a comment, so that proxies and browsers keep it.
	uiHeartbeat = 15 * time.Second
	// uiBatch bounds the exchanges one wake-up sends; a reader further behind is told what it missed.
	uiBatch = 100
)

//go:embed ui
var uiFS embed.FS

var uiTemplates = template.Must(template.New("").Funcs(template.FuncMap{
	"bodyOf":        func(text string, cut int) bodyText { return bodyText{text, cut} },
	"maxViolations": func() int { return LiveViolations },
}).ParseFS(uiFS, "ui/*.tmpl"))

// bodyText is a body as the exchange page shows it: redacted text, and the bytes not kept.
type bodyText struct {
	Text string
	Cut  int
}

// uiHandler serves the dashboard behind its guard. The guard is the one of /__proxy/ (loopback
// Host or allowed hosts, no cross-origin writes) made strict about origins: a page of another
// origin cannot even read the feed with a fetch or an EventSource (see guard.Options.StrictOrigin).
func (p *Proxy) uiHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+UIPrefix+"{$}", p.serveExchangesPage)
	mux.HandleFunc("GET "+UIPrefix+"operations", p.serveOperationsPage)
	mux.HandleFunc("GET "+UIPrefix+"exchanges/{seq}", p.serveExchangePage)
	mux.HandleFunc("GET "+UIEvents, p.serveEvents)
	mux.Handle("GET "+UIPrefix+"assets/", http.StripPrefix(UIPrefix, http.FileServerFS(uiFS)))
	inner := http.Handler(mux)
	return p.uiGuard.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setUIHeaders(w.Header())
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			apierror.New(http.StatusMethodNotAllowed, apierror.NameMethodNotAllowed,
				"Method not allowed: the dashboard only reads").WithHeader("Allow", "GET, HEAD").Write(w)
			return
		}
		inner.ServeHTTP(w, r)
	}))
}

// setUIHeaders sets what every dashboard answer carries: no inline script, no framing, no
// sniffing, no referrer.
func setUIHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
}

// uiStrictGuard derives the dashboard's guard from the control guard's options.
func uiStrictGuard(opts guard.Options) (*guard.Guard, error) {
	opts.StrictOrigin = true
	opts.Token = ""
	opts.Realm = "restream-proxy dashboard"
	return guard.New(opts)
}

// page is what every dashboard page gets.
type page struct {
	Title   string
	Nav     string // the current entry of the navigation
	Message string // an error to show, naming the field
	Data    any
}

type exchangesData struct {
	Filter    Filter
	Buckets   []string
	Rows      []ExchangeView
	Next      uint64 // the seq the live feed starts from
	EventsURL string
	Kept      int
	KeptBytes int
}

func (p *Proxy) render(w http.ResponseWriter, status int, name string, pg page) {
	var buf bytes.Buffer
	if err := uiTemplates.ExecuteTemplate(&buf, name, pg); err != nil {
		p.log.Error("rendering the dashboard", "page", name, "err", err)
		apierror.New(http.StatusInternalServerError, apierror.NameInternal, "Internal error: the page could not be rendered").Write(w)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (p *Proxy) serveExchangesPage(w http.ResponseWriter, r *http.Request) {
	next := p.live.last() // before the rows: the feed then repeats nothing and misses nothing
	f, err := ParseFilter(r.URL.Query(), p.knownBucket)
	status, msg := http.StatusOK, ""
	if err != nil {
		status, msg = http.StatusBadRequest, err.Error()
	}
	kept, keptBytes := p.live.stats()
	d := exchangesData{Filter: f, Buckets: p.buckets(), Rows: p.Exchanges(f, UIRows), Next: next, Kept: kept, KeptBytes: keptBytes}
	q := f.Query()
	if q != "" {
		q += "&"
	}
	d.EventsURL = UIEvents + "?" + q + "since=" + strconv.FormatUint(next, 10)
	p.render(w, status, "exchanges.tmpl", page{Title: "Exchanges", Nav: "exchanges", Message: msg, Data: d})
}

type operationsData struct {
	Counts     []OperationCount
	DriftOn    bool
	Drift      drift.Summary
	Violations int
}

func (p *Proxy) serveOperationsPage(w http.ResponseWriter, _ *http.Request) {
	counts, err := p.Counts()
	if err != nil {
		apierror.New(http.StatusInternalServerError, apierror.NameInternal, "Internal error: "+err.Error()).Write(w)
		return
	}
	d := operationsData{Counts: counts, DriftOn: p.drift != nil, Violations: p.report.Total()}
	if p.drift != nil {
		d.Drift = p.drift.Summary(time.Now())
	}
	p.render(w, http.StatusOK, "operations.tmpl", page{Title: "Operations", Nav: "operations", Data: d})
}

func (p *Proxy) serveExchangePage(w http.ResponseWriter, r *http.Request) {
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	var x ExchangeView
	ok := err == nil
	if ok {
		x, ok = p.Exchange(seq)
	}
	if !ok {
		p.render(w, http.StatusNotFound, "exchange.tmpl", page{Title: "Exchange not found", Nav: "exchanges",
			Message: "This exchange is not kept (any more): the dashboard keeps the last " + strconv.Itoa(LiveExchanges) + " exchanges."})
		return
	}
	p.render(w, http.StatusOK, "exchange.tmpl", page{Title: x.Method + " " + x.Path, Nav: "exchanges", Data: x})
}

// serveEvents streams the exchanges that pass the request's filter as Server-Sent Events, each an
// "exchange" event whose data is the row the page would render and whose id is its seq. It starts
// after since (the page's last seq) or Last-Event-ID, and says with a "dropped" event how many it
// could not send (evicted before this reader got to them). It never slows the proxy: the ring
// only wakes it (see liveRing.add), and it reads at its own pace.
func (p *Proxy) serveEvents(w http.ResponseWriter, r *http.Request) {
	f, err := ParseFilter(r.URL.Query(), p.knownBucket)
	if err != nil {
		apierror.New(http.StatusBadRequest, apierror.NameInvalidQueryParams, "Invalid query params: "+err.Error()).Write(w)
		return
	}
	from := p.live.last()
	for _, s := range []string{r.Header.Get("Last-Event-ID"), r.URL.Query().Get("since")} {
		if s == "" {
			continue
		}
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || n > from {
			apierror.New(http.StatusBadRequest, apierror.NameInvalidQueryParams, "Invalid query params: since: want the seq of a kept exchange").Write(w)
			return
		}
		if s == r.Header.Get("Last-Event-ID") {
			n++ // the last one the reader got
		}
		from = n
		break
	}
	if p.uiFeeds.Add(1) > UISubscribers {
		p.uiFeeds.Add(-1)
		apierror.Newf(http.StatusServiceUnavailable, "too_many_feeds",
			"Service unavailable: %d live feeds are open, the limit is %d", UISubscribers, UISubscribers).WithHeader("Retry-After", "5").Write(w)
		return
	}
	defer p.uiFeeds.Add(-1)
	wake, end := p.live.subscribe()
	defer end()
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	heartbeat := time.NewTicker(uiHeartbeat)
	defer heartbeat.Stop()
	var buf bytes.Buffer
	send := func() bool {
		_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Second)) // a reader that stalls is dropped
		_, err := w.Write(buf.Bytes())
		buf.Reset()
		return err == nil && rc.Flush() == nil
	}
	buf.WriteString(": restream-proxy exchanges\n\n")
	for {
		xs, next, missed := p.live.since(from, uiBatch)
		from = next
		if missed > 0 {
			buf.WriteString("event: dropped\ndata: " + strconv.FormatUint(missed, 10) + "\n\n")
		}
		for _, x := range xs {
			if !f.match(x) {
				continue
			}
			var row bytes.Buffer
			if err := uiTemplates.ExecuteTemplate(&row, "row", x.view()); err != nil {
				continue
			}
			buf.WriteString("id: " + strconv.FormatUint(x.seq, 10) + "\nevent: exchange\n")
			for line := range strings.Lines(row.String()) {
				buf.WriteString("data: " + strings.TrimRight(line, "\r\n") + "\n")
			}
			buf.WriteString("\n")
		}
		if buf.Len() > 0 && !send() {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-p.feedsDone:
			return
		case <-wake:
		case <-heartbeat.C:
			buf.WriteString(": heartbeat\n\n")
		}
	}
}

// stopFeeds ends the live feeds (http.Server.Shutdown would wait for them otherwise).
func (p *Proxy) stopFeeds() { p.feedsOnce.Do(func() { close(p.feedsDone) }) }
