package proxy

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/restreamkit/restreamkit/internal/redact"
	"github.com/restreamkit/restreamkit/internal/report"
)

// ExchangeView is one exchange as the dashboard shows it: every header, body and violation text
// has gone through internal/redact (report.Sanitize for violations) on its way here.
type ExchangeView struct {
	Seq       uint64        `json:"seq"`
	ID        string        `json:"id"`
	Kind      string        `json:"kind"` // "http" or "frame"
	Time      time.Time     `json:"time"`
	Operation string        `json:"operation"`
	Method    string        `json:"method"`
	Path      string        `json:"path"`
	Status    int           `json:"status,omitempty"`
	Duration  time.Duration `json:"durationNs,omitempty"`
	Direction string        `json:"direction,omitempty"` // of a frame
	Note      string        `json:"note,omitempty"`

	RequestHeaders  []HeaderView `json:"requestHeaders,omitempty"`
	RequestBody     string       `json:"requestBody,omitempty"`
	RequestCut      int          `json:"requestCut,omitempty"`
	ResponseHeaders []HeaderView `json:"responseHeaders,omitempty"`
	ResponseBody    string       `json:"responseBody,omitempty"` // a frame's data too
	ResponseCut     int          `json:"responseCut,omitempty"`

	Violations     []report.Record `json:"violations"`
	MoreViolations int             `json:"moreViolations,omitempty"`
}

// HeaderView is one header line, its value redacted.
type HeaderView struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ViolationCount is the number of violations of the exchange, those left out (past
// LiveViolations) included.
func (v ExchangeView) ViolationCount() int { return len(v.Violations) + v.MoreViolations }

// view renders x for a person: redacted and cut as every report is. Only the exchange page shows
// headers and bodies (redacting a body parses it); a row (see row) leaves them out.
func (x *liveExchange) view() ExchangeView {
	v := x.row()
	v.RequestHeaders, v.RequestCut = headerViews(x.reqHeader), x.reqCut
	v.ResponseHeaders, v.ResponseCut = headerViews(x.resHeader), x.resCut
	v.RequestBody = bodyView(x.reqHeader, x.reqBody)
	v.ResponseBody = bodyView(x.resHeader, x.resBody)
	return v
}

// row is what a row of the exchanges table shows: x without headers and bodies.
func (x *liveExchange) row() ExchangeView {
	v := ExchangeView{Seq: x.seq, ID: x.id, Kind: x.kind, Time: x.time, Operation: x.op,
		Method: report.Clip(x.method, report.MaxTextBytes), Path: report.Clip(redact.Text(redact.URL(x.path)), report.MaxPathBytes),
		Status: x.status, Duration: x.duration, Direction: string(x.direction), Note: x.note,
		Violations: make([]report.Record, len(x.vs)), MoreViolations: x.moreVs}
	for i, r := range x.vs {
		report.Sanitize(&r)
		v.Violations[i] = r
	}
	return v
}

func headerViews(h http.Header) []HeaderView {
	if len(h) == 0 {
		return nil
	}
	var out []HeaderView
	for _, name := range slices.Sorted(maps.Keys(h)) {
		for _, val := range h[name] {
			out = append(out, HeaderView{Name: report.Clip(name, report.MaxTextBytes),
				Value: report.Clip(redact.HeaderValue(name, val), report.MaxTextBytes)})
		}
	}
	return out
}

// bodyView is a body as internal/redact lets it be shown, judged by its content.
func bodyView(h http.Header, body []byte) string {
	if len(body) == 0 {
		return ""
	}
	return string(redact.Body(h.Get("Content-Type"), body))
}

// Filter selects exchanges on the dashboard: by operation (a report bucket), by status (one
// status, or a class such as 4xx) and to those with violations.
type Filter struct {
	Operation      string
	Status         int // one status, 100-599; 0 for any
	StatusClass    int // 1-5 for 1xx-5xx; 0 for any
	ViolationsOnly bool
}

// Limits of filter input: a bucket is an operationId or a fixed name, never longer.
const maxFilterValue = 128

// ParseFilter reads a filter from a query string (the dashboard's GET form). An error names the
// field that is wrong; buckets are whatever the caller accepts as an operation (known reports
// whether a name is one).
func ParseFilter(q url.Values, known func(string) bool) (Filter, error) {
	var f Filter
	var errs []error
	if op := strings.TrimSpace(q.Get("operation")); op != "" {
		if len(op) > maxFilterValue || !known(op) {
			errs = append(errs, fmt.Errorf("operation: %q is not an operation of the spec nor a WebSocket feed", report.Clip(op, maxFilterValue)))
		} else {
			f.Operation = op
		}
	}
	if s := strings.ToLower(strings.TrimSpace(q.Get("status"))); s != "" {
		switch {
		case len(s) == 3 && s[1:] == "xx" && s[0] >= '1' && s[0] <= '5':
			f.StatusClass = int(s[0] - '0')
		case len(s) == 3:
			n, err := strconv.Atoi(s)
			if err != nil || n < 100 || n > 599 {
				errs = append(errs, fmt.Errorf("status: %q is not a status (100 to 599) nor a class such as 4xx", s))
			} else {
				f.Status = n
			}
		default:
			errs = append(errs, fmt.Errorf("status: %q is not a status (100 to 599) nor a class such as 4xx", report.Clip(s, maxFilterValue)))
		}
	}
	switch v := q.Get("violations"); v {
	case "", "0", "off":
	case "1", "on":
		f.ViolationsOnly = true
	default:
		errs = append(errs, fmt.Errorf("violations: %q: want on or nothing", report.Clip(v, maxFilterValue)))
	}
	if len(errs) > 0 {
		return Filter{}, errors.Join(errs...)
	}
	return f, nil
}

// Query renders the filter as the query string ParseFilter reads ("" when it selects everything).
func (f Filter) Query() string {
	q := url.Values{}
	if f.Operation != "" {
		q.Set("operation", f.Operation)
	}
	switch {
	case f.Status != 0:
		q.Set("status", strconv.Itoa(f.Status))
	case f.StatusClass != 0:
		q.Set("status", strconv.Itoa(f.StatusClass)+"xx")
	}
	if f.ViolationsOnly {
		q.Set("violations", "on")
	}
	return q.Encode()
}

// StatusText is the status filter as the form shows it.
func (f Filter) StatusText() string {
	switch {
	case f.Status != 0:
		return strconv.Itoa(f.Status)
	case f.StatusClass != 0:
		return strconv.Itoa(f.StatusClass) + "xx"
	}
	return ""
}

// match reports whether x passes the filter. A frame has no status: a status filter leaves it out.
func (f Filter) match(x *liveExchange) bool {
	switch {
	case f.Operation != "" && x.op != f.Operation,
		f.Status != 0 && x.status != f.Status,
		f.StatusClass != 0 && x.status/100 != f.StatusClass,
		f.ViolationsOnly && len(x.vs) == 0 && x.moreVs == 0:
		return false
	}
	return true
}

// knownBucket reports whether name is a report bucket the proxy can file an exchange under.
func (p *Proxy) knownBucket(name string) bool {
	switch name {
	case UnknownOperation, "websocket streaming", "websocket chat":
		return true
	}
	_, ok := p.spec.Operation(name)
	return ok
}

// Buckets lists what the operation filter offers: the spec's operations, sorted, then the
// unknown bucket and the WebSocket feeds.
func (p *Proxy) buckets() []string {
	var out []string
	for _, op := range p.spec.Operations() {
		out = append(out, op.ID)
	}
	sort.Strings(out)
	return append(out, UnknownOperation, "websocket streaming", "websocket chat")
}

// Exchanges returns the kept exchanges that pass f, newest first, at most limit, redacted, as
// rows: without headers and bodies (Exchange has them).
func (p *Proxy) Exchanges(f Filter, limit int) []ExchangeView {
	xs, _, _ := p.exchangesSince(f, 0, limit)
	out := make([]ExchangeView, 0, len(xs))
	for i := len(xs) - 1; i >= 0; i-- {
		out = append(out, xs[i].row())
	}
	return out
}

// exchangesSince returns, oldest first, at most limit of the newest kept exchanges from seq from
// on that pass f, the seq to read from next time, and how many it missed: those that passed f
// beyond limit, and those the ring let go before they were read (whether they passed unknown,
// they count). The live feed polls it, so that an open dashboard costs the proxied exchanges
// nothing: keeping them in the ring stays the only work an exchange does for the dashboard.
func (p *Proxy) exchangesSince(f Filter, from uint64, limit int) (xs []*liveExchange, next uint64, missed int64) {
	all, next, evicted := p.live.since(from, LiveExchanges)
	for i := len(all) - 1; i >= 0; i-- { // newest first, to keep the newest limit
		if !f.match(all[i]) {
			continue
		}
		if len(xs) < limit {
			xs = append(xs, all[i])
		} else {
			missed++
		}
	}
	slices.Reverse(xs)
	return xs, next, missed + int64(evicted)
}

// Exchange returns the kept exchange with the given seq (ExchangeView.Seq), redacted; false
// when it is not (or no longer) kept.
func (p *Proxy) Exchange(seq uint64) (ExchangeView, bool) {
	x := p.live.at(seq)
	if x == nil {
		return ExchangeView{}, false
	}
	return x.view(), true
}

// OperationCount is what the dashboard counts of one operation bucket: exchanges by the status
// the client got, and violations, as the Prometheus series restream_proxy_requests_total and
// restream_proxy_violations_total have them (the metrics are the one place they are counted).
type OperationCount struct {
	Operation  string
	Exchanges  int64
	Violations int64
	Statuses   []StatusCount // by status, ascending
}

// StatusCount is how many exchanges of an operation got one status ("other" past 599).
type StatusCount struct {
	Status string
	Count  int64
}

// Counts returns the per-operation counters, by operation name.
func (p *Proxy) Counts() ([]OperationCount, error) {
	families, err := p.metrics.registry.Gather()
	if err != nil {
		return nil, fmt.Errorf("reading the metrics: %w", err)
	}
	byOp := map[string]*OperationCount{}
	get := func(op string) *OperationCount {
		c := byOp[op]
		if c == nil {
			c = &OperationCount{Operation: op}
			byOp[op] = c
		}
		return c
	}
	statuses := map[string]map[string]int64{}
	for _, fam := range families {
		switch fam.GetName() {
		case "restream_proxy_requests_total":
			for _, m := range fam.GetMetric() {
				op, status, n := label(m, "operation"), label(m, "status"), int64(m.GetCounter().GetValue())
				if op == MockBucket {
					continue
				}
				get(op).Exchanges += n
				if statuses[op] == nil {
					statuses[op] = map[string]int64{}
				}
				statuses[op][status] += n
			}
		case "restream_proxy_violations_total":
			for _, m := range fam.GetMetric() {
				get(label(m, "operation")).Violations += int64(m.GetCounter().GetValue())
			}
		}
	}
	out := make([]OperationCount, 0, len(byOp))
	for op, c := range byOp {
		for s, n := range statuses[op] {
			c.Statuses = append(c.Statuses, StatusCount{Status: s, Count: n})
		}
		sort.Slice(c.Statuses, func(i, j int) bool { return c.Statuses[i].Status < c.Statuses[j].Status })
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Operation < out[j].Operation })
	return out, nil
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
