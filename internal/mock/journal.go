package mock

import (
	"bytes"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/restreamkit/restreamkit/api/gen/controlapi"
	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/redact"
)

// Bounds of one journal entry. A request can carry up to 128 KiB of headers (four times the
// header limit, so that a little over it gets the 431 envelope) and a body up to the body limit;
// the journal keeps only this much of it, redacted first and then cut, so a secret is never cut
// in half before redaction. A cut string ends with "…", and the entry lists the field in
// Truncated.
const (
	journalMethodLimit  = 32       // bytes of the method
	journalPathLimit    = 2 << 10  // bytes of the path
	journalQueryLimit   = 2 << 10  // bytes of the redacted query
	journalBodyLimit    = 4 << 10  // bytes of the redacted body
	journalMessageLimit = 1 << 10  // bytes of the error message
	journalHeaderCount  = 32       // headers kept, in name order
	journalHeaderName   = 64       // a header with a longer name is left out
	journalHeaderValue  = 256      // bytes of each redacted header value (the first one)
	journalHeaderBytes  = 4 << 10  // bytes of all kept names and values together
	truncationMark      = "…"      // ends a cut string
	truncationMarkLen   = len("…") // 3 bytes
)

// JournalEntryMaxBytes is the most heap memory one journal entry holds, whatever the request: the
// strings above at their bounds with the marker, rounded up to the allocator's size classes
// (method 48 B, path and query 2,304 B each, body 4,864 B, message 1,152 B), the header map
// (at most 4 KiB of strings, up to 1 KiB of rounding for 64 strings, and its table of 64 slots,
// about 2.2 KiB), the few small allocations of an entry (pointers, the truncated list), and the
// ring slot's buffer of the response's first 4 KiB, under 25 KiB in all
// (TestTheJournalStaysWithinItsDocumentedSize measures it). The journal's worst case is its size
// times this: 1,000 entries (the default) hold at most 25 MiB, and MaxJournalSize entries at
// most 250 MiB.
const JournalEntryMaxBytes = 25 << 10

// MaxJournalSize bounds Options.JournalSize (and --journal-size): GET /__mock/journal returns at
// most this many entries anyway.
const MaxJournalSize = 10000

// journal is a bounded ring of the most recent requests, with secrets redacted, and the request
// log: both record what the gate learned about each request, so they say the same things.
type journal struct {
	log *slog.Logger // the request log, one info line per request

	mu      sync.Mutex
	entries []controlapi.JournalEntry // ring storage
	// responses holds, beside each entry, the start of its response as sent: redacting it costs
	// a JSON parse, which the request path must not pay, so it is redacted when read.
	responses []rawResponse
	next      int // where the next entry goes
	full      bool
	seq       int64
	dropped   int64
}

// rawResponse is the start of a response body, unredacted, in a buffer its ring slot reuses.
type rawResponse struct {
	contentType string
	body        []byte // at most journalBodyLimit bytes
	cut         bool   // the response was longer
}

func newJournal(size int, log *slog.Logger) *journal {
	return &journal{log: log, entries: make([]controlapi.JournalEntry, size), responses: make([]rawResponse, size)}
}

// redactResponse returns the response body of a slot as the journal shows it: redacted as a
// request body is, then cut to the bound, with the field listed in e's truncated when it lost
// something. A cut body is no JSON any more, so redact.Body keeps it only if it holds nothing
// secret-looking.
func redactResponse(e *controlapi.JournalEntry, raw rawResponse) {
	if len(raw.body) == 0 {
		return
	}
	var c entryCutter
	if e.Truncated != nil {
		c.cut = slices.Clone(*e.Truncated)
	}
	body := c.fit(string(redact.Body(raw.contentType, raw.body)), journalBodyLimit, controlapi.ResponseBody)
	if raw.cut && !strings.HasSuffix(body, truncationMark) {
		body += truncationMark
		c.mark(controlapi.ResponseBody)
	}
	e.ResponseBody = &body
	if len(c.cut) > 0 {
		e.Truncated = &c.cut
	}
}

// logRequest writes the request log's line for an answered request, at info: method, path and
// redacted query (cut to the journal's bounds), status, operation, user, duration, the validator's
// violations and the error name. It never writes a header or a body, so no credential reaches the
// log. Below info it returns before building anything: it costs the gate one Enabled call.
func (j *journal) logRequest(r *http.Request, ri *reqInfo, status int, took time.Duration, err error) {
	ctx := r.Context()
	if !j.log.Enabled(ctx, slog.LevelInfo) {
		return
	}
	attrs := make([]slog.Attr, 0, 9)
	attrs = append(attrs, slog.String("method", clip(r.Method, journalMethodLimit)),
		slog.String("path", clip(r.URL.Path, journalPathLimit)))
	if r.URL.RawQuery != "" {
		attrs = append(attrs, slog.String("query", clip(redact.Query(r.URL.RawQuery), journalQueryLimit)))
	}
	attrs = append(attrs, slog.Int("status", status))
	if ri.op != nil {
		attrs = append(attrs, slog.String("operation", ri.op.ID))
	}
	if ri.authed {
		attrs = append(attrs, slog.Int64("user", ri.grant.UserID))
	}
	attrs = append(attrs, slog.Duration("duration", took.Round(time.Microsecond)), slog.Int("violations", ri.violations))
	if ae, ok := apierror.As(err); ok {
		attrs = append(attrs, slog.String("error", ae.Name))
	}
	j.log.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
}

// clip cuts s to at most max bytes at a character boundary, marking the cut; unlike
// entryCutter.fit it does not copy, for a log line written at once.
func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	n := max
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + truncationMark
}

// entryCutter cuts the strings of one entry to their bounds and remembers which fields it cut.
type entryCutter struct {
	cut []controlapi.JournalEntryTruncated
}

// fit returns s cut to at most max bytes (at a character boundary, the marker added) and always a
// copy: a request's strings are often slices of a much larger buffer, such as the request line,
// which the journal must not keep alive.
func (c *entryCutter) fit(s string, max int, field controlapi.JournalEntryTruncated) string {
	if len(s) <= max {
		return strings.Clone(s)
	}
	c.mark(field)
	return clip(s, max) // the concatenation copies
}

func (c *entryCutter) mark(field controlapi.JournalEntryTruncated) {
	if !slices.Contains(c.cut, field) {
		c.cut = append(c.cut, field)
	}
}

// headers keeps the first value of each header, credentials redacted, within the bounds: names
// in sorted order, so that what is kept does not depend on map order.
func (c *entryCutter) headers(hdr http.Header) *map[string]string {
	if len(hdr) == 0 {
		return nil
	}
	names := make([]string, 0, len(hdr))
	for k, vs := range hdr {
		if len(vs) > 0 {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	h := make(map[string]string, min(len(names), journalHeaderCount))
	budget := journalHeaderBytes
	for _, k := range names {
		if len(h) == journalHeaderCount || len(k) > journalHeaderName {
			c.mark(controlapi.Headers)
			continue
		}
		v := c.fit(redact.HeaderValue(k, hdr[k][0]), journalHeaderValue, controlapi.Headers)
		if len(k)+len(v) > budget {
			c.mark(controlapi.Headers)
			continue
		}
		budget -= len(k) + len(v)
		h[strings.Clone(k)] = v
	}
	return &h
}

// record adds an answered request. It copies what it keeps: the request body buffer is reused,
// and the start of the response is copied into the ring slot's own buffer.
func (j *journal) record(r *http.Request, ri *reqInfo, status int, took time.Duration, err error) {
	var c entryCutter
	e := controlapi.JournalEntry{
		Time:       time.Now().UTC(),
		Method:     c.fit(r.Method, journalMethodLimit, controlapi.Method),
		Path:       c.fit(r.URL.Path, journalPathLimit, controlapi.Path),
		Query:      c.fit(redact.Query(r.URL.RawQuery), journalQueryLimit, controlapi.Query),
		Status:     status,
		DurationMs: float32(took.Microseconds()) / 1000,
		Headers:    c.headers(r.Header),
	}
	if ri.op != nil {
		e.OperationId = ri.op.ID // a string of the spec, shared
	}
	if ri.authed {
		uid := ri.grant.UserID
		e.UserId = &uid
	}
	if err != nil {
		if ae, ok := apierror.As(err); ok {
			name := strings.Clone(ae.Name)
			// A message may quote what the client sent (a field name, a path): redact it too.
			msg := c.fit(redact.Text(ae.Message), journalMessageLimit, controlapi.Message)
			e.Error, e.Message = &name, &msg
		}
	}
	if len(ri.body) > 0 {
		// Redact the whole body, then cut: a cut body may no longer parse, and would be withheld.
		red := c.fit(string(redact.Body(r.Header.Get("Content-Type"), ri.body)), journalBodyLimit, controlapi.RequestBody)
		e.RequestBody = &red
	}
	if len(c.cut) > 0 {
		e.Truncated = &c.cut
	}
	j.mu.Lock()
	j.seq++
	e.Id = j.seq
	if j.full {
		j.dropped++
	}
	j.entries[j.next] = e
	slot := &j.responses[j.next]
	kept := ri.capture.data[:min(len(ri.capture.data), journalBodyLimit)]
	slot.body = append(slot.body[:0], kept...)
	slot.cut = ri.capture.total > len(kept)
	slot.contentType = ""
	if len(kept) > 0 {
		slot.contentType = ri.capture.Header().Get("Content-Type")
	}
	j.next++
	if j.next == len(j.entries) {
		j.next, j.full = 0, true
	}
	j.mu.Unlock()
}

// since copies, oldest first, up to limit of the newest entries after the one with id after that
// keep accepts (nil: all), and returns the id to ask after next time. missed counts what it left
// out: accepted entries past limit, and the entries the ring let go before they were read (their
// match unknown, they count). It reads no response body, as rows show none. The dashboard's live
// view polls it, so that an open view costs the request path nothing: recording stays the only
// work a request does for the journal.
func (j *journal) since(after int64, limit int, keep func(*controlapi.JournalEntry) bool) (out []controlapi.JournalEntry, missed, last int64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := j.next
	if j.full {
		n = len(j.entries)
	}
	last = j.seq
	if after < 0 || after > last {
		after = last // a cursor from another run of the mock, or forged: start from now
	}
	if oldest := j.seq - int64(n) + 1; after < oldest-1 {
		missed = oldest - 1 - after
	}
	for i := 0; i < n; i++ {
		idx := (j.next - 1 - i + len(j.entries)) % len(j.entries)
		e := &j.entries[idx]
		if e.Id <= after {
			break
		}
		if keep != nil && !keep(e) {
			continue
		}
		if len(out) < limit {
			out = append(out, *e)
		} else {
			missed++
		}
	}
	slices.Reverse(out)
	return out, missed, last
}

// lastID returns the id of the newest entry recorded (0 before any).
func (j *journal) lastID() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.seq
}

// stats returns how many entries the ring let go and how many it holds at most.
func (j *journal) stats() (dropped int64, capacity int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.dropped, len(j.entries)
}

// get returns the entry with the id, while the ring still holds it.
func (j *journal) get(id int64) (controlapi.JournalEntry, bool) {
	j.mu.Lock()
	n := j.next
	if j.full {
		n = len(j.entries)
	}
	if id < 1 || id > j.seq || j.seq-id >= int64(n) {
		j.mu.Unlock()
		return controlapi.JournalEntry{}, false
	}
	idx := (j.next - 1 - int(j.seq-id) + len(j.entries)) % len(j.entries)
	e, raw := j.entries[idx], j.responses[idx]
	raw.body = bytes.Clone(raw.body)
	j.mu.Unlock()
	redactResponse(&e, raw) // outside the lock, as in list
	return e, e.Id == id
}

// isControlPath reports whether a request was made to the control API (or beside it, under
// /__mock/): such calls are kept, but listed only on request, so that a test reading the journal
// sees its application's requests and not its own set-up calls.
func isControlPath(path string) bool { return strings.HasPrefix(path, controlPrefix) }

// list returns up to limit of the newest entries (of one operation when op is set), oldest first,
// control API calls among them only when control is set.
func (j *journal) list(limit int, op string, control bool) controlapi.Journal {
	out, raws, dropped := j.collect(limit, op, control)
	// Redact outside the lock: it parses JSON, and requests are being recorded meanwhile.
	for i := range out {
		redactResponse(&out[i], raws[i])
	}
	return controlapi.Journal{Entries: out, Dropped: dropped, Capacity: len(j.entries)}
}

// collect copies up to limit of the newest entries and their raw responses, oldest first.
func (j *journal) collect(limit int, op string, control bool) ([]controlapi.JournalEntry, []rawResponse, int64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := j.next
	if j.full {
		n = len(j.entries)
	}
	out := make([]controlapi.JournalEntry, 0, min(n, max(limit, 0)))
	raws := make([]rawResponse, 0, cap(out))
	// Walk from the newest backwards, then reverse.
	for i := 0; i < n && len(out) < limit; i++ {
		idx := (j.next - 1 - i + len(j.entries)) % len(j.entries)
		e := &j.entries[idx]
		if (op == "" || e.OperationId == op) && (control || !isControlPath(e.Path)) {
			out = append(out, *e)
			raw := j.responses[idx]
			raw.body = bytes.Clone(raw.body)
			raws = append(raws, raw)
		}
	}
	slices.Reverse(out)
	slices.Reverse(raws)
	return out, raws, j.dropped
}

func (j *journal) clear() {
	j.mu.Lock()
	defer j.mu.Unlock()
	clear(j.entries)
	for i := range j.responses { // keep the buffers
		j.responses[i].body, j.responses[i].contentType = j.responses[i].body[:0], ""
	}
	j.next, j.full, j.dropped = 0, false, 0
}
