package proxy

import (
	"embed"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/drift"
	"github.com/restreamkit/restreamkit/internal/guard"
	"github.com/restreamkit/restreamkit/internal/webui"
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
	UISubscribers = webui.DefaultSubscribers
)

//go:embed ui
var uiFS embed.FS

// uiFuncs are the page's own template funcs, besides webui's formatting ones.
var uiFuncs = template.FuncMap{
	"bodyOf":        func(text string, cut int) bodyText { return bodyText{text, cut} },
	"maxViolations": func() int { return LiveViolations },
	"i64":           func(n int) int64 { return int64(n) },
}

// The pages: webui's layout around each page's "content", with the shared row and violation
// templates.
var (
	exchangesPage  = mustPage("ui/row.tmpl", "ui/exchanges.tmpl")
	exchangePage   = mustPage("ui/row.tmpl", "ui/exchange.tmpl")
	operationsPage = mustPage("ui/operations.tmpl")
)

func mustPage(patterns ...string) *template.Template {
	return template.Must(webui.ParsePage(uiFS, uiFuncs, patterns...))
}

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
	mux.Handle("GET "+uiAssets, http.StripPrefix(uiAssets, webui.Assets()))
	inner := http.Handler(mux)
	return p.uiGuard.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		webui.SetHeaders(w.Header())
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			apierror.New(http.StatusMethodNotAllowed, apierror.NameMethodNotAllowed,
				"Method not allowed: the dashboard only reads").WithHeader("Allow", "GET, HEAD").Write(w)
			return
		}
		inner.ServeHTTP(w, r)
	}))
}

// uiStrictGuard derives the dashboard's guard from the control guard's options.
func uiStrictGuard(opts guard.Options) (*guard.Guard, error) {
	opts.StrictOrigin = true
	opts.Token = ""
	opts.Realm = "restream-proxy dashboard"
	return guard.New(opts)
}

type exchangesData struct {
	Filter    Filter
	Buckets   []string
	Rows      []ExchangeView
	Kept      int
	KeptBytes int
	// The bounds, as the page states them.
	MaxKept, MaxBytes, MaxRows int
}

// uiNav is the dashboard's navigation.
var uiNav = []webui.Link{{Label: "Exchanges", Href: UIPrefix}, {Label: "Operations", Href: UIPrefix + "operations"}}

// uiAssets is where webui's stylesheet and script are served.
const uiAssets = UIPrefix + "assets/"

// render writes a page in webui's layout.
func (p *Proxy) render(w http.ResponseWriter, t *template.Template, status int, f webui.Frame) {
	f.Product, f.Nav, f.Assets = "restream-proxy", uiNav, uiAssets
	if f.Current == "" {
		f.Current = UIPrefix
	}
	if err := webui.Render(w, t, status, f); err != nil {
		p.log.Error("rendering the dashboard", "page", f.Title, "err", err)
	}
}

func (p *Proxy) serveExchangesPage(w http.ResponseWriter, r *http.Request) {
	f, err := ParseFilter(r.URL.Query(), p.knownBucket)
	status, msg := http.StatusOK, ""
	if err != nil {
		status, msg = http.StatusBadRequest, err.Error()
	}
	kept, keptBytes := p.live.stats()
	// The rows and the live feed's cursor come from one read: the feed starts right after the
	// newest row, so no exchange shows twice or is missed.
	xs, next, _ := p.exchangesSince(f, 0, UIRows)
	rows := make([]ExchangeView, 0, len(xs))
	for i := len(xs) - 1; i >= 0; i-- {
		rows = append(rows, xs[i].row())
	}
	d := exchangesData{Filter: f, Buckets: p.buckets(), Rows: rows, Kept: kept, KeptBytes: keptBytes,
		MaxKept: LiveExchanges, MaxBytes: LiveBytes, MaxRows: UIRows}
	live := UIEvents + "?from=" + strconv.FormatUint(next, 10)
	if q := f.Query(); q != "" {
		live += "&" + q
	}
	p.render(w, exchangesPage, status, webui.Frame{Title: "Exchanges", Live: live, Message: msg, Failed: msg != "", Data: d})
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
	p.render(w, operationsPage, http.StatusOK, webui.Frame{Title: "Operations", Current: UIPrefix + "operations", Data: d})
}

func (p *Proxy) serveExchangePage(w http.ResponseWriter, r *http.Request) {
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	var x ExchangeView
	ok := err == nil
	if ok {
		x, ok = p.Exchange(seq)
	}
	if !ok {
		p.render(w, exchangePage, http.StatusNotFound, webui.Frame{Title: "Exchange not found", Failed: true,
			Message: "this exchange is not kept (any more): the dashboard keeps the last " + strconv.Itoa(LiveExchanges) + " exchanges."})
		return
	}
	title := x.Method + " " + x.Path
	if x.Kind == kindFrame {
		title = "Frame " + x.Direction + " " + x.Operation
	}
	p.render(w, exchangePage, http.StatusOK, webui.Frame{Title: title, Data: x})
}

// serveEvents streams the exchanges that pass the request's filter as Server-Sent Events, each
// an "exchange" event whose data is the row the page renders and whose id is its seq. The feed
// polls the ring at webui's pace (webui.StreamOptions.Poll): a reader that falls behind loses
// rows and is told how many, and the proxy never waits for it.
func (p *Proxy) serveEvents(w http.ResponseWriter, r *http.Request) {
	f, err := ParseFilter(r.URL.Query(), p.knownBucket)
	if err != nil {
		apierror.New(http.StatusBadRequest, apierror.NameInvalidQueryParams, "Invalid query params: "+err.Error()).Write(w)
		return
	}
	// A feed outlives the server's read and write timeouts: a read deadline that passes would
	// end its request's context, a write deadline its next event.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	// Start at the page's cursor, or after the last exchange sent before a reconnect; without
	// either, from now. The ring checks the range.
	from, resume := p.live.nextSeq(), int64(-1)
	if n, err := strconv.ParseUint(r.URL.Query().Get("from"), 10, 63); err == nil {
		resume = int64(n)
	}
	if n, err := strconv.ParseUint(r.Header.Get("Last-Event-ID"), 10, 63); err == nil {
		resume = max(resume, int64(n)+1)
	}
	if resume >= 0 {
		from = min(uint64(resume), p.live.nextSeq())
	}
	p.events.Serve(w, r, webui.StreamOptions{
		Poll: func(limit int) ([]webui.Event, int64) {
			xs, next, missed := p.exchangesSince(f, from, limit)
			from = next
			evs := make([]webui.Event, len(xs))
			for i, x := range xs {
				evs[i] = webui.Event{Name: "exchange", Value: x, ID: strconv.FormatUint(x.seq, 10)}
			}
			return evs, missed
		},
		Render: func(out io.Writer, ev webui.Event) error {
			return exchangesPage.ExecuteTemplate(out, "row", ev.Value.(*liveExchange).row())
		},
	})
}

// stopFeeds ends the live feeds (http.Server.Shutdown would wait for them otherwise).
func (p *Proxy) stopFeeds() { p.events.Close() }
