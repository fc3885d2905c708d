package mock

// The dashboard at /__mock/ui/ lives in this package rather than a package of its own because
// every action it offers must run the code the REST and control APIs run: the store's methods,
// and the control API's operations with their validation, journal line and error envelope. The
// writes it sends to the control API go through the same echo stack (dispatch below), so a
// form gets exactly the answer a curl would; a separate package would need the server to export
// its journal, simulators, feeds and faults only to reach the same functions.

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/restreamkit/restreamkit/api/gen/controlapi"
	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/guard"
	"github.com/restreamkit/restreamkit/internal/webui"
)

// UIPath is where the dashboard is served.
const UIPath = controlPrefix + "ui/"

// Bounds of the dashboard.
const (
	uiCookie        = "restream_mock_ui" // holds the control token for a browser, when one is set
	uiFormLimit     = 16 << 10           // bytes of a posted form
	uiListLimit     = 200                // journal rows a page shows
	uiFlashes       = 64                 // result messages kept for the page after a 303
	uiFrameCount    = 50                 // frames kept per feed
	uiFrameBytes    = 4 << 10            // bytes kept of one frame
	uiMaxFilterUser = 1<<53 - 1          // user ids the filter takes (JavaScript's safe integers)
)

//go:embed ui/*.html
var uiFiles embed.FS

// dashboard serves /__mock/ui/.
type dashboard struct {
	s      *Server
	guard  *guard.Guard
	broker *webui.Broker
	pages  map[string]*template.Template
	frames *frameLog
	// session is the dashboard cookie's value once the browser has shown the control token: a
	// random value of this process, so that the cookie never holds the token itself.
	session string

	mu      sync.Mutex
	flashes map[string]flash
	order   []string
}

// flash is the result of one action, shown on the page the action redirects to.
type flash struct {
	msg    string
	failed bool
}

// uiNav is the dashboard's navigation.
var uiNav = []webui.Link{
	{Label: "Requests", Href: UIPath},
	{Label: "World", Href: UIPath + "world"},
	{Label: "Live", Href: UIPath + "live"},
	{Label: "Faults and time", Href: UIPath + "faults"},
}

func newDashboard(s *Server, g *guard.Guard) (*dashboard, error) {
	d := &dashboard{s: s, guard: g, broker: webui.NewBroker(webui.BrokerOptions{}), pages: map[string]*template.Template{},
		frames: &frameLog{}, flashes: map[string]flash{}, session: rand.Text()}
	funcs := template.FuncMap{
		"statusClass": statusClass,
		"eventType":   eventTypeName,
		"deref":       func(p *int64) int64 { return *p },
		"unix":        func(p *int64) time.Time { return time.Unix(*p, 0).UTC() },
		"derefs":      func(p *string) string { return *p },
		"deref2":      func(p *[]controlapi.JournalEntryTruncated) []controlapi.JournalEntryTruncated { return *p },
		"i64":         func(n int) int64 { return int64(n) },
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		},
	}
	for _, name := range []string{"requests", "request", "world", "live", "faults"} {
		t, err := webui.ParsePage(uiFiles, funcs, "ui/"+name+".html", "ui/rows.html")
		if err != nil {
			return nil, fmt.Errorf("dashboard page %s: %w", name, err)
		}
		d.pages[name] = t
	}
	return d, nil
}

// handler is the dashboard behind the guard.
func (d *dashboard) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET "+UIPath+"assets/", http.StripPrefix(UIPath+"assets/", webui.Assets()))
	mux.HandleFunc("GET "+UIPath+"{$}", d.requests)
	mux.HandleFunc("GET "+UIPath+"requests/{id}", d.request)
	mux.HandleFunc("GET "+UIPath+"events", d.events)
	mux.HandleFunc("GET "+UIPath+"world", d.world)
	mux.HandleFunc("POST "+UIPath+"world/channel", d.channelAction)
	mux.HandleFunc("GET "+UIPath+"live", d.live)
	mux.HandleFunc("POST "+UIPath+"live/{action}", d.liveAction)
	mux.HandleFunc("GET "+UIPath+"faults", d.faults)
	mux.HandleFunc("POST "+UIPath+"faults/{action}", d.faultAction)
	return d.guarded(mux)
}

// guarded applies the control API's guard: loopback Host (or an allowed one), no cross-site
// writes, and the control token when one is set. A browser cannot send a Bearer header on a
// link or a form, so it brings the token once as ?token=, which becomes an HttpOnly,
// SameSite=Strict cookie for the dashboard's path (holding a random value of this process, not the
// token), and the browser is sent to the same page
// without the token in its address (and history).
func (d *dashboard) guarded(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e := d.guard.Check(r, false); e != nil {
			e.WriteNegotiated(w, r)
			return
		}
		if d.guard.RequiresToken() {
			q := r.URL.Query()
			if tok := q.Get("token"); tok != "" && r.Method == http.MethodGet && d.guard.TokenMatches(tok) {
				http.SetCookie(w, &http.Cookie{Name: uiCookie, Value: d.session, Path: UIPath, HttpOnly: true,
					SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
				q.Del("token")
				u := *r.URL
				u.RawQuery = q.Encode()
				http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
				return
			}
			c, err := r.Cookie(uiCookie)
			if (err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(d.session)) != 1) && d.guard.Check(r, true) != nil {
				apierror.New(http.StatusUnauthorized, guard.NameInvalidControlToken,
					"Unauthorized: the dashboard needs the control token; open "+UIPath+"?token=<the --control-token value> once").
					WithHeader("WWW-Authenticate", `Bearer realm="restream-mock control API"`).WriteNegotiated(w, r)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// render shows a page, with the result message a redirect named.
func (d *dashboard) render(w http.ResponseWriter, r *http.Request, page, title, live string, data any) {
	f := webui.Frame{Product: "restream-mock", Title: title, Nav: uiNav, Current: uiNav[0].Href, Assets: UIPath + "assets/",
		Live: live, Data: data}
	for _, l := range uiNav {
		if l.Label == title {
			f.Current = l.Href
		}
	}
	if id := r.URL.Query().Get("done"); id != "" {
		d.mu.Lock()
		fl, ok := d.flashes[id]
		d.mu.Unlock()
		if ok {
			f.Message, f.Failed = fl.msg, fl.failed
		}
	}
	_ = webui.Render(w, d.pages[page], http.StatusOK, f)
}

// done redirects to page with a result message (303, so a reload does not post again).
func (d *dashboard) done(w http.ResponseWriter, r *http.Request, page string, msg string, failed bool) {
	var b [8]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	d.mu.Lock()
	d.flashes[id] = flash{msg: msg, failed: failed}
	d.order = append(d.order, id)
	if len(d.order) > uiFlashes {
		delete(d.flashes, d.order[0])
		d.order = d.order[1:]
	}
	d.mu.Unlock()
	sep := "?"
	if strings.Contains(page, "?") {
		sep = "&"
	}
	http.Redirect(w, r, page+sep+"done="+id, http.StatusSeeOther)
}

// ---- Requests ----

// requestFilter is what the Requests page shows: one user's, one operation's, one status class.
type requestFilter struct {
	User    int64  // 0: everyone
	Op      string // "": every operation
	Status  string // "", "2xx", "3xx", "4xx", "5xx"
	Control bool   // control API calls too
}

// statusClasses are the values of the status filter.
var statusClasses = []string{"2xx", "3xx", "4xx", "5xx"}

// parseRequestFilter reads the filter from the query; a value it cannot take is named in the
// error and the filter shows everything for that field.
func parseRequestFilter(q url.Values, known func(string) bool) (requestFilter, error) {
	var f requestFilter
	var errs []error
	if v := strings.TrimSpace(q.Get("user")); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 || n > uiMaxFilterUser {
			errs = append(errs, fmt.Errorf("user: want a user id (a whole number from 1), not %q", clip(v, 40)))
		} else {
			f.User = n
		}
	}
	if v := strings.TrimSpace(q.Get("op")); v != "" {
		if known(v) {
			f.Op = v
		} else {
			errs = append(errs, fmt.Errorf("operation: no operation is named %q", clip(v, 100)))
		}
	}
	if v := q.Get("status"); v != "" {
		if slices.Contains(statusClasses, v) {
			f.Status = v
		} else {
			errs = append(errs, fmt.Errorf("status: want one of %s, not %q", strings.Join(statusClasses, ", "), clip(v, 10)))
		}
	}
	f.Control = q.Get("control") == "1"
	return f, errors.Join(errs...)
}

// accepts reports whether the filter shows e.
func (f requestFilter) accepts(e *controlapi.JournalEntry) bool {
	if f.User != 0 && (e.UserId == nil || *e.UserId != f.User) {
		return false
	}
	if f.Op != "" && e.OperationId != f.Op {
		return false
	}
	if f.Status != "" && statusClass(e.Status) != f.Status {
		return false
	}
	return f.Control || !isControlPath(e.Path)
}

// query is the filter as a query string, for the live stream's URL.
func (f requestFilter) query() string {
	q := url.Values{}
	if f.User != 0 {
		q.Set("user", strconv.FormatInt(f.User, 10))
	}
	if f.Op != "" {
		q.Set("op", f.Op)
	}
	if f.Status != "" {
		q.Set("status", f.Status)
	}
	if f.Control {
		q.Set("control", "1")
	}
	return q.Encode()
}

// statusClass is "2xx" for 200 and so on.
func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status/100) + "xx"
}

// knownOperation reports whether id names an operation of either spec.
func (d *dashboard) knownOperation(id string) bool {
	_, rest := d.s.spec.Operation(id)
	_, control := d.s.control.Operation(id)
	return rest || control
}

// operationIDs lists the Restream API's operations, for the filter's list.
func (d *dashboard) operationIDs() []string {
	var ids []string
	for _, op := range d.s.spec.Operations() {
		ids = append(ids, op.ID)
	}
	slices.Sort(ids)
	return ids
}

type requestsPage struct {
	Filter       requestFilter
	FilterError  string
	Entries      []controlapi.JournalEntry
	Users        []userOption
	Operations   []string
	StatusValues []string
	Dropped      int64
	Capacity     int
}

type userOption struct {
	ID   int64
	Name string
}

func (d *dashboard) users() []userOption {
	var out []userOption
	for _, p := range d.s.store.Users() {
		out = append(out, userOption{ID: p.Id, Name: p.Username})
	}
	return out
}

func (d *dashboard) requests(w http.ResponseWriter, r *http.Request) {
	f, err := parseRequestFilter(r.URL.Query(), d.knownOperation)
	page := requestsPage{Filter: f, Users: d.users(), Operations: d.operationIDs(), StatusValues: statusClasses}
	if err != nil {
		page.FilterError = err.Error()
	}
	page.Dropped, page.Capacity = d.s.journal.stats()
	// The rows and the live view's cursor come from one read, so the live view starts exactly
	// after the newest row: none twice, none missed.
	rows, _, last := d.s.journal.since(0, uiListLimit, f.accepts)
	slices.Reverse(rows) // newest first
	page.Entries = rows
	d.render(w, r, "requests", "Requests", UIPath+"events?kind=requests&"+f.query()+"&after="+strconv.FormatInt(last, 10), page)
}

type requestPage struct {
	Entry   controlapi.JournalEntry
	Headers [][2]string
}

func (d *dashboard) request(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	e, ok := d.s.journal.get(id)
	if err != nil || !ok {
		d.notFound(w, r, "no request "+clip(r.PathValue("id"), 40)+" in the journal (it keeps the newest "+strconv.Itoa(len(d.s.journal.entries))+")")
		return
	}
	page := requestPage{Entry: e}
	if e.Headers != nil {
		for k, v := range *e.Headers {
			page.Headers = append(page.Headers, [2]string{k, v})
		}
		slices.SortFunc(page.Headers, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	}
	d.render(w, r, "request", "Request "+strconv.FormatInt(e.Id, 10), "", page)
}

func (d *dashboard) notFound(w http.ResponseWriter, r *http.Request, msg string) {
	apierror.New(http.StatusNotFound, apierror.NameNotFound, "Not Found: "+msg).WriteNegotiated(w, r)
}

// events is the live stream: journal entries (kind=requests, filtered as the page is) or feed
// frames (kind=frames, of one user). Rows are rendered here, on the subscriber's goroutine.
func (d *dashboard) events(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch q.Get("kind") {
	case "frames":
		uid, _ := strconv.ParseInt(q.Get("user"), 10, 64)
		d.broker.Serve(w, r, webui.StreamOptions{
			Accept: func(ev webui.Event) bool { f, ok := ev.Value.(sentFrame); return ok && (uid == 0 || f.User == uid) },
			Render: func(w io.Writer, ev webui.Event) error {
				return d.pages["live"].ExecuteTemplate(w, "frameRow", ev.Value)
			},
		})
	default:
		f, _ := parseRequestFilter(q, d.knownOperation)
		// Resume after the page's newest row, or after the last row sent before a reconnect;
		// without either, from now: the stream's start, not its first poll. The journal checks
		// the cursor's range.
		after, resume := d.s.journal.lastID(), int64(-1)
		for _, v := range []string{q.Get("after"), r.Header.Get("Last-Event-ID")} {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
				resume = max(resume, n)
			}
		}
		if resume >= 0 {
			after = resume
		}
		d.broker.Serve(w, r, webui.StreamOptions{
			Poll: func(limit int) ([]webui.Event, int64) {
				rows, missed, last := d.s.journal.since(after, limit, f.accepts)
				after = last
				evs := make([]webui.Event, len(rows))
				for i := range rows {
					evs[i] = webui.Event{Name: "request", Value: &rows[i], ID: strconv.FormatInt(rows[i].Id, 10)}
				}
				return evs, missed
			},
			Render: func(w io.Writer, ev webui.Event) error {
				return d.pages["requests"].ExecuteTemplate(w, "requestRow", ev.Value)
			},
		})
	}
}

// ---- sending to the control API ----

// recorder is the response of a dispatched control call.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (rec *recorder) Header() http.Header { return rec.header }
func (rec *recorder) WriteHeader(status int) {
	if rec.status == 0 {
		rec.status = status
	}
}
func (rec *recorder) Write(p []byte) (int, error) {
	rec.WriteHeader(http.StatusOK)
	if rec.body.Len()+len(p) > 1<<20 {
		return 0, errors.New("the control API's answer is larger than 1 MiB")
	}
	return rec.body.Write(p)
}

// dispatch sends a control API call through the same echo stack a client's call takes (route,
// validation against the control spec, the handler, the journal), and returns its status and
// body. The dashboard's own request already passed the guard, and this one carries its Host.
func (d *dashboard) dispatch(r *http.Request, method, path string, body any) (int, []byte) {
	var rd io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return http.StatusInternalServerError, apierror.New(http.StatusInternalServerError, "internal_error", err.Error()).JSON()
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(r.Context(), method, path, rd)
	if err != nil {
		return http.StatusInternalServerError, apierror.New(http.StatusInternalServerError, "internal_error", err.Error()).JSON()
	}
	req.Host, req.RemoteAddr = r.Host, r.RemoteAddr
	req.Header.Set("User-Agent", "restream-mock dashboard")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := &recorder{header: http.Header{}}
	d.s.echo.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return rec.status, rec.body.Bytes()
}

// result turns a dispatched call's answer into the page's message: the envelope's name and
// message when it failed, ok otherwise.
func result(status int, body []byte, ok string) (string, bool) {
	if status < 400 {
		return ok, false
	}
	var env apierror.Envelope
	if json.Unmarshal(body, &env) == nil && env.Error.Name != "" {
		return env.Error.Name + ": " + env.Error.Message, true
	}
	return fmt.Sprintf("the control API answered %d", status), true
}

// ---- forms ----

// form reads a posted form, bounded; fields then come out typed, or as an error naming the field.
type form struct {
	v    url.Values
	errs []error
}

func readForm(w http.ResponseWriter, r *http.Request) (*form, error) {
	r.Body = http.MaxBytesReader(w, r.Body, uiFormLimit)
	if err := r.ParseForm(); err != nil {
		return nil, fmt.Errorf("the form could not be read: %v", err)
	}
	return &form{v: r.PostForm}, nil
}

// int64 reads a whole number; empty is nil unless required.
func (f *form) int64(name, label string, required bool) *int64 {
	v := strings.TrimSpace(f.v.Get(name))
	if v == "" {
		if required {
			f.errs = append(f.errs, fmt.Errorf("%s (%s) is required", label, name))
		}
		return nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		f.errs = append(f.errs, fmt.Errorf("%s (%s): want a whole number, not %q", label, name, clip(v, 40)))
		return nil
	}
	return &n
}

// string reads text; empty is nil unless required.
func (f *form) string(name, label string, required bool) *string {
	v := f.v.Get(name)
	if v == "" {
		if required {
			f.errs = append(f.errs, fmt.Errorf("%s (%s) is required", label, name))
		}
		return nil
	}
	return &v
}

func (f *form) err() error { return errors.Join(f.errs...) }

// body drops the nil fields, so that a left-out field is left out of the JSON, not null.
func body(fields map[string]any) map[string]any {
	for k, v := range fields {
		switch p := v.(type) {
		case *int64:
			if p == nil {
				delete(fields, k)
			}
		case *string:
			if p == nil {
				delete(fields, k)
			}
		}
	}
	return fields
}
