// Package drift turns the violations of a restream-proxy run into a drift report: where the API
// that answered parts ways with the spec, aggregated per operation, direction, field and rule, with
// how often, when, one redacted example and a suggested spec change in plain words.
//
// The JSON lines say what happened in each exchange; the drift report says what to change in the
// spec. A field missing from 40 channels of one list is one finding (array indexes fold into "*"),
// and "in 3/40 exchanges" tells a field the API sometimes leaves out from one it never sends.
//
// Every text comes from records internal/report has sanitized (internal/redact hides secrets),
// and is cut again here; the number of findings is capped (MaxFindings), and what did not fit is
// counted, so a run of made-up property names costs a bounded amount of memory.
package drift

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/restreamkit/restreamkit/internal/report"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// Limits of what the aggregation keeps.
const (
	// MaxFindings bounds the distinct (operation, direction, field, rule) keys; violations of
	// further keys are counted in Dropped only.
	MaxFindings = 10_000
	// MaxExampleBytes bounds each text of a finding's example and each value seen.
	MaxExampleBytes = 200
	// MaxValues bounds the distinct values a finding keeps (enum values, types, statuses seen).
	MaxValues = 5
	// MaxFieldBytes bounds the field (pointer or name) a finding is keyed by.
	MaxFieldBytes = 256
	// MaxBytes bounds the text all findings hold together; past it, new findings are dropped
	// (and counted) as past MaxFindings.
	MaxBytes = 8 << 20
)

// Operation names the operation an exchange was routed to: its report bucket (an operationId,
// report.UnknownOperation or a WebSocket feed) and, for operations of the spec, the method and
// path template the suggestions quote.
type Operation struct {
	ID     string
	Method string
	Path   string // the path template, such as /v2/user/channel/{id}; "" outside the spec
}

// label is the operation as a suggestion quotes it: "PATCH /v2/user/channel/{id}", or the bucket.
func (o Operation) label() string {
	if o.Method != "" && o.Path != "" {
		return o.Method + " " + o.Path
	}
	return o.ID
}

// Example is one occurrence of a finding, as the report already redacted it.
type Example struct {
	RequestID string `json:"requestId"`
	Path      string `json:"path"`
	Status    int    `json:"status,omitempty"`
	Message   string `json:"message"`
	Expected  string `json:"expected,omitempty"`
	Actual    string `json:"actual,omitempty"`
}

// Finding is one way the traffic departed from the spec, aggregated over a run.
type Finding struct {
	OperationID string             `json:"operationId"`
	Method      string             `json:"method,omitempty"`
	Path        string             `json:"path,omitempty"` // the template
	Direction   validate.Direction `json:"direction"`
	In          validate.Location  `json:"in"`
	// Field is the JSON pointer (array indexes folded into "*"), the parameter or header name, the
	// location, or for an undocumented status the status itself.
	Field string        `json:"field"`
	Rule  validate.Rule `json:"rule"`
	// Count is the number of violations; Hits the exchanges (or frames) that had at least one;
	// Exchanges the exchanges (or WebSocket connections) of the operation in the run.
	Count      int       `json:"count"`
	Hits       int       `json:"hits"`
	Exchanges  int       `json:"exchanges"`
	FirstSeen  time.Time `json:"firstSeen"`
	LastSeen   time.Time `json:"lastSeen"`
	Example    Example   `json:"example"`
	Values     []string  `json:"values,omitempty"` // distinct actual values seen, at most MaxValues
	Suggestion string    `json:"suggestion"`
}

type key struct {
	op    string
	dir   validate.Direction
	in    validate.Location
	field string
	rule  validate.Rule
}

// Aggregator collects violations and exchange counts. It is safe for concurrent use; a nil
// *Aggregator ignores everything, so a proxy without a drift report pays nothing.
type Aggregator struct {
	mu        sync.Mutex
	ops       map[string]Operation
	exchanges map[string]int
	findings  map[key]*Finding
	bytes     int // text held by findings, bounded by MaxBytes
	violations,
	dropped int
}

// New returns an empty Aggregator.
func New() *Aggregator {
	return &Aggregator{ops: map[string]Operation{}, exchanges: map[string]int{}, findings: map[key]*Finding{}}
}

// Seen counts one exchange (or WebSocket connection) of an operation bucket. Buckets are bounded
// by the caller (operations of the spec and a few fixed names), as report.Reporter's are.
func (a *Aggregator) Seen(bucket string) {
	if a == nil {
		return
	}
	a.mu.Lock()
	a.exchanges[bucket]++
	a.mu.Unlock()
}

// Add aggregates the violations of one exchange (or one frame) of op. Each record is sanitized by
// internal/report first; the caller's records are not changed.
func (a *Aggregator) Add(op Operation, recs []report.Record) {
	if a == nil || len(recs) == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.ops[op.ID]; !ok {
		a.ops[op.ID] = op
	}
	hit := map[key]bool{}
	for _, rec := range recs {
		report.Sanitize(&rec)
		a.violations++
		k := key{op: op.ID, dir: rec.Direction, in: rec.In, field: fieldOf(rec.Violation), rule: rec.Rule}
		f := a.findings[k]
		if f == nil {
			ex := Example{RequestID: cut(rec.RequestID), Path: cut(rec.Path), Status: rec.Status, Message: cut(rec.Message),
				Expected: cut(rec.Expected), Actual: cut(rec.Actual)}
			size := len(k.op) + len(k.field) + len(ex.RequestID) + len(ex.Path) + len(ex.Message) + len(ex.Expected) + len(ex.Actual)
			if len(a.findings) >= MaxFindings || a.bytes+size > MaxBytes {
				a.dropped++
				continue
			}
			a.bytes += size
			f = &Finding{OperationID: op.ID, Method: op.Method, Path: op.Path, Direction: k.dir, In: k.in, Field: k.field,
				Rule: k.rule, FirstSeen: rec.Time, LastSeen: rec.Time, Example: ex}
			a.findings[k] = f
		}
		f.Count++
		if !hit[k] {
			hit[k] = true
			f.Hits++
		}
		if rec.Time.Before(f.FirstSeen) {
			f.FirstSeen = rec.Time
		}
		if rec.Time.After(f.LastSeen) {
			f.LastSeen = rec.Time
		}
		if v := cut(rec.Actual); v != "" && len(f.Values) < MaxValues && a.bytes+len(v) <= MaxBytes && !contains(f.Values, v) {
			f.Values = append(f.Values, v)
			a.bytes += len(v)
		}
	}
}

// fieldOf is what a finding is keyed by besides the operation, direction and rule: the status for
// an undocumented status (each is its own suggestion), else the violation's field with array
// indexes folded, cut to MaxFieldBytes.
func fieldOf(v validate.Violation) string {
	if v.Rule == validate.RuleStatusNotDocumented && v.Actual != "" {
		return report.Clip(v.Actual, MaxFieldBytes)
	}
	f := v.Field()
	if v.Name == "" && v.Pointer != "" {
		f = FoldIndexes(v.Pointer)
	}
	return report.Clip(f, MaxFieldBytes)
}

// FoldIndexes replaces every all-digit segment of a JSON pointer by "*": /3/displayName becomes
// /*/displayName, so a field every item of a list lacks is one finding, not one per item. (An
// object key made of digits folds too; the spec's objects have none.)
func FoldIndexes(pointer string) string {
	segs := strings.Split(pointer, "/")
	for i, s := range segs {
		if i > 0 && s != "" && strings.Trim(s, "0123456789") == "" {
			segs[i] = "*"
		}
	}
	return strings.Join(segs, "/")
}

func cut(s string) string { return report.Clip(s, MaxExampleBytes) }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Summary is the whole drift report: what Markdown and JSON render.
type Summary struct {
	GeneratedAt time.Time      `json:"generatedAt"`
	Exchanges   map[string]int `json:"exchanges"` // per operation bucket
	Violations  int            `json:"violations"`
	Findings    []Finding      `json:"findings"`
	// Dropped counts the violations left out because MaxFindings distinct keys (or MaxBytes of
	// their text) were already kept.
	Dropped int `json:"dropped"`
}

// Summary returns the findings so far, sorted by operation, direction, field and rule, each with
// its operation's exchange count and its suggestion.
func (a *Aggregator) Summary(now time.Time) Summary {
	s := Summary{GeneratedAt: now.UTC(), Exchanges: map[string]int{}, Findings: []Finding{}}
	if a == nil {
		return s
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for op, n := range a.exchanges {
		s.Exchanges[op] = n
	}
	s.Violations, s.Dropped = a.violations, a.dropped
	for _, f := range a.findings {
		c := *f
		c.Values = append([]string(nil), f.Values...)
		c.Exchanges = a.exchanges[f.OperationID]
		c.Suggestion = Suggest(c)
		s.Findings = append(s.Findings, c)
	}
	sort.Slice(s.Findings, func(i, j int) bool {
		x, y := s.Findings[i], s.Findings[j]
		if x.OperationID != y.OperationID {
			return x.OperationID < y.OperationID
		}
		if x.Direction != y.Direction {
			return x.Direction < y.Direction
		}
		if x.Field != y.Field {
			return x.Field < y.Field
		}
		return x.Rule < y.Rule
	})
	return s
}

// Format is how a drift report is written.
type Format string

// The formats of a drift report.
const (
	Markdown Format = "markdown"
	JSON     Format = "json"
)

// ParseFormat reads a format name ("markdown", "md" or "json").
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "markdown", "md":
		return Markdown, nil
	case "json":
		return JSON, nil
	}
	return "", fmt.Errorf("drift report format %q: want markdown or json", s)
}
