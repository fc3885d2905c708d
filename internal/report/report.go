// Package report is the one owner of how restream-proxy and restream-gateway report contract
// violations: one JSON line per violation (a Record), flushed as it is found, plus a JUnit file and
// a summary table at the end. Every text a Record carries is redacted through internal/redact and
// cut to a bounded size before it is kept or written, so a report never holds a secret and a
// client's megabyte-long path costs it a few kilobytes.
package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/restreamkit/restreamkit/internal/jsontext"
	"github.com/restreamkit/restreamkit/internal/junit"
	"github.com/restreamkit/restreamkit/internal/redact"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// Record is one violation as it is reported: what failed, where, and in which exchange.
// Secrets never appear in a written Record: values of secret fields and parameters are redacted.
type Record struct {
	Time        time.Time `json:"time"`
	RequestID   string    `json:"requestId"`
	OperationID string    `json:"operationId"`
	Method      string    `json:"method"`
	Path        string    `json:"path"`
	Status      int       `json:"status,omitempty"`
	// Call names the gateway's route or tool whose upstream call this was ("mcp get-channel");
	// the proxy leaves it empty, and it is then left out of the line.
	Call string `json:"call,omitempty"`
	validate.Violation
}

// opStats is what the Reporter knows of one operation, for JUnit and the summary.
type opStats struct {
	requests   int
	violations []Record // capped at maxRecordsPerOp
	total      int      // violations, including those over the cap
	byDir      map[validate.Direction]int
}

// maxRecordsPerOp bounds the violations kept per operation for the JUnit file.
const maxRecordsPerOp = 200

// Reporter writes violations as JSON lines and keeps what JUnit and the summary need. It is safe
// for concurrent use. The zero value is not usable: use Open or New.
type Reporter struct {
	mu    sync.Mutex
	lines *bufio.Writer
	close func() error
	ops   map[string]*opStats
	total int
}

// Open opens the JSON lines output: "" for none (violations are still counted and kept for JUnit
// and the summary), "-" for standard output, or a file path, truncated.
func Open(path string) (*Reporter, error) {
	r := &Reporter{ops: map[string]*opStats{}}
	switch path {
	case "":
	case "-":
		r.lines = bufio.NewWriter(os.Stdout)
		r.close = func() error { return nil }
	default:
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return nil, fmt.Errorf("report file: %w", err)
		}
		r.lines = bufio.NewWriter(f)
		r.close = f.Close
	}
	return r, nil
}

// New returns a Reporter that writes its JSON lines to w (nil: nowhere). Close flushes it but
// leaves w open: w belongs to the caller.
func New(w io.Writer) *Reporter {
	r := &Reporter{ops: map[string]*opStats{}}
	if w != nil {
		r.lines = bufio.NewWriter(w)
		r.close = func() error { return nil }
	}
	return r
}

// UnknownOperation is the report bucket of every request no operation of the spec matches (an
// unknown path, or a method its path does not have). Paths and methods are the client's to
// choose: were each its own operation, 30,000 made-up paths would be 30,000 metric series,
// summary rows and JUnit cases. The JSON lines still say which path and method each was.
const UnknownOperation = "unknown"

// Bucket names an exchange in the summary, JUnit and metrics: its operationId, or UnknownOperation.
func Bucket(op *validate.Operation) string {
	if op == nil {
		return UnknownOperation
	}
	return op.ID
}

// Limits of the text a Record carries, so that a client's megabyte-long path, parameter name or
// property name costs the report a few kilobytes. A cut value ends with a note of how much was cut.
const (
	MaxPathBytes = 2 << 10
	MaxTextBytes = 512
)

// Seen counts one exchange of an operation (a bucket), for JUnit and the summary.
func (r *Reporter) Seen(op string) {
	r.mu.Lock()
	r.stats(op).requests++
	r.mu.Unlock()
}

func (r *Reporter) stats(op string) *opStats {
	s := r.ops[op]
	if s == nil {
		s = &opStats{byDir: map[validate.Direction]int{}}
		r.ops[op] = s
	}
	return s
}

// Add records violations of one exchange, filed under its bucket (an operationId, UnknownOperation
// or a WebSocket feed), redacting secrets and cutting long values first. It writes each as one JSON line, flushed at once so that a crashed process loses nothing already
// reported.
func (r *Reporter) Add(bucket string, recs []Record) {
	if len(recs) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range recs {
		rec := recs[i]
		Sanitize(&rec)
		s := r.stats(bucket)
		s.total++
		s.byDir[rec.Direction]++
		r.total++
		if len(s.violations) < maxRecordsPerOp {
			s.violations = append(s.violations, rec)
		}
		if r.lines != nil {
			b, err := json.Marshal(rec)
			if err == nil {
				r.lines.Write(b)
				r.lines.WriteByte('\n')
			}
		}
	}
	if r.lines != nil {
		r.lines.Flush()
	}
}

// Sanitize makes a record fit to leave the process: internal/redact hides every secret, and each
// text is cut to a bounded size (MaxTextBytes, MaxPathBytes for the path). A value found under a name (a parameter, header or body field) is
// redacted by that name; an excerpt of a whole body as a body; every text for the credentials
// free text may carry.
func Sanitize(rec *Record) {
	name := rec.Name
	if rec.Pointer != "" {
		name = rec.Pointer[strings.LastIndexByte(rec.Pointer, '/')+1:]
		name = jsontext.UnescapePointerToken(name)
	}
	switch {
	case rec.Actual == "":
	case name == "" && rec.In == validate.InBody:
		rec.Actual = excerpt(rec.Actual)
	default:
		rec.Actual = redact.Field(name, rec.Actual)
	}
	rec.Method = clip(rec.Method, MaxTextBytes)
	rec.Path = clip(redact.Text(redact.URL(rec.Path)), MaxPathBytes)
	for _, f := range []*string{&rec.Name, &rec.Pointer, &rec.Message, &rec.Expected, &rec.Actual, &rec.Call} {
		*f = clip(redact.Text(*f), MaxTextBytes)
	}
}

// Describe renders a violation for an error message (an enforce-mode refusal), redacted and cut
// as a Record is.
func Describe(v validate.Violation) string {
	rec := Record{Violation: v}
	Sanitize(&rec)
	s := string(v.Direction) + " " + string(v.In)
	if f := rec.Field(); f != string(v.In) {
		s += " " + strconv.Quote(f)
	}
	s += " " + rec.Message + " [" + string(v.Rule) + "]"
	var ea []string
	if rec.Expected != "" {
		ea = append(ea, "expected "+rec.Expected)
	}
	if rec.Actual != "" {
		ea = append(ea, "actual "+rec.Actual)
	}
	if len(ea) > 0 {
		s += " (" + strings.Join(ea, ", ") + ")"
	}
	return s
}

// excerpt redacts the start of a body quoted in a violation (a body where none is documented, a
// broken form pair): as JSON when it looks like JSON (a cut document is withheld whole), else as
// form data.
func excerpt(s string) string {
	if t := strings.TrimSpace(s); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		return string(redact.JSON([]byte(s)))
	}
	return redact.Query(s)
}

// clip cuts s to at most limit bytes (on a UTF-8 boundary) and says how much it cut.
func clip(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…[" + strconv.Itoa(len(s)-cut) + " more bytes cut]"
}

// Records returns the kept violations of every operation (at most 200 each), redacted, oldest
// first.
func (r *Reporter) Records() []Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Record
	for _, s := range r.ops {
		out = append(out, s.violations...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

// Total returns how many violations were reported.
func (r *Reporter) Total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.total
}

// Close flushes and closes the JSON lines output (a file Open opened; a writer given to New stays
// open). Violations added later are still counted but not written.
func (r *Reporter) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lines == nil {
		return nil
	}
	err := r.lines.Flush()
	if cerr := r.close(); err == nil {
		err = cerr
	}
	r.lines = nil
	return err
}

// WriteJUnit writes one test case per operation seen, with a failure per violation, as a suite
// named after the program (restream-proxy).
func (r *Reporter) WriteJUnit(w io.Writer, program string, now time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	suite := junit.Suite{Name: program + " contract", Timestamp: now.UTC().Format(time.RFC3339)}
	for _, op := range r.sortedOps() {
		s := r.ops[op]
		c := junit.Case{Name: op, ClassName: "restream.contract", Output: fmt.Sprintf("%d exchanges, %d violations", s.requests, s.total)}
		for _, v := range s.violations {
			where := string(v.In)
			if f := v.Field(); f != where {
				where += " " + f
			}
			text := fmt.Sprintf("%s %s %s (request %s)\n%s", v.Direction, v.Method, v.Path, v.RequestID, v.Message)
			for _, l := range []struct{ label, value string }{{"expected", v.Expected}, {"actual", v.Actual}} {
				if l.value != "" { // a violation with nothing expected (an unknown path) says so by omission
					text += "\n" + l.label + ": " + l.value
				}
			}
			c.Failures = append(c.Failures, junit.Message{Message: fmt.Sprintf("%s %s: %s", v.Direction, where, v.Rule), Type: string(v.Rule), Text: text})
		}
		if s.total > len(s.violations) {
			c.Failures = append(c.Failures, junit.Message{Message: fmt.Sprintf("%d more violations", s.total-len(s.violations)), Type: "truncated"})
		}
		suite.Tests++
		if len(c.Failures) > 0 {
			suite.Failures++
		}
		suite.Cases = append(suite.Cases, c)
	}
	return junit.Write(w, junit.Suites{Name: program, Tests: suite.Tests, Failures: suite.Failures, Suites: []junit.Suite{suite}})
}

// sortedOps returns the buckets seen, sorted; r.mu is held.
func (r *Reporter) sortedOps() []string {
	names := make([]string, 0, len(r.ops))
	for op := range r.ops {
		names = append(names, op)
	}
	sort.Strings(names)
	return names
}

// WriteSummary prints a table of operations, exchanges and violations by direction.
func (r *Reporter) WriteSummary(w io.Writer) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "OPERATION\tEXCHANGES\tREQUEST\tRESPONSE\tFRAMES\tTOTAL")
	for _, op := range r.sortedOps() {
		s := r.ops[op]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\n", op, s.requests, s.byDir[validate.Request], s.byDir[validate.Response],
			s.byDir[validate.ClientFrame]+s.byDir[validate.ServerFrame], s.total)
	}
	fmt.Fprintf(tw, "all\t\t\t\t\t%d\n", r.total)
	return tw.Flush()
}

// Clip cuts s to at most limit bytes, on a UTF-8 boundary, and says how much it cut: the one rule
// of how reported text is shortened, for the reports built from Records (the drift report).
func Clip(s string, limit int) string { return clip(s, limit) }
