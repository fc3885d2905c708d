package check

import (
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/restreamkit/restreamkit/internal/conformance"
	"github.com/restreamkit/restreamkit/internal/redact"
)

// Outcome is how a check ended.
type Outcome string

// The outcomes, as printed.
const (
	Passed  Outcome = "PASS"
	Failed  Outcome = "FAIL"
	Skipped Outcome = "SKIP"
)

// Result is one reported check: a check without subchecks, or one that failed or was skipped by
// itself (a suite's closing assertion). Messages are redacted.
type Result struct {
	Name     string
	Outcome  Outcome
	Messages []string
	Duration time.Duration
}

// Recorder runs checks the way go test runs subtests, without a *testing.T: each in its own
// goroutine, Fatalf and Skipf ending it with runtime.Goexit, a subcheck's failure failing its
// parents. It keeps the results and hands each to OnResult as it ends.
type Recorder struct {
	filter   []*regexp.Regexp
	secrets  []string
	OnResult func(Result)
	results  []Result
}

// NewRecorder returns a recorder that runs the checks run selects (a go test -run pattern:
// slash-separated, one expression per level of names; "" runs all) and hides secrets in every
// message, besides what internal/redact finds by itself.
func NewRecorder(run string, secrets ...string) (*Recorder, error) {
	r := &Recorder{}
	if run != "" {
		for _, part := range strings.Split(run, "/") {
			re, err := regexp.Compile(part)
			if err != nil {
				return nil, fmt.Errorf("--run %q: %w", run, err)
			}
			r.filter = append(r.filter, re)
		}
	}
	for _, s := range secrets {
		if s != "" {
			r.secrets = append(r.secrets, s)
		}
	}
	return r, nil
}

// Results returns the results so far, in the order the checks ended.
func (r *Recorder) Results() []Result { return r.results }

// Run runs f as the top-level check name and reports whether it passed.
func (r *Recorder) Run(name string, f func(conformance.T)) bool {
	root := &check{rec: r}
	return root.Sub(name, f)
}

// selected reports whether the check of this full name runs: every level the pattern has must
// match the name's element at that level. A name shorter than the pattern runs, so that its
// subchecks can be matched.
func (r *Recorder) selected(name string) bool {
	for i, part := range strings.Split(name, "/") {
		if i < len(r.filter) && !r.filter[i].MatchString(part) {
			return false
		}
	}
	return true
}

// clean redacts a message: credentials internal/redact recognises, and the run's own secrets
// wherever they appear.
func (r *Recorder) clean(msg string) string {
	for _, s := range r.secrets {
		msg = strings.ReplaceAll(msg, s, redact.Value(s))
	}
	return redact.Text(msg)
}

// check is one running check; it implements conformance.Runner.
type check struct {
	rec    *Recorder
	name   string
	mu     sync.Mutex
	failed bool     // by itself or through a subcheck
	own    bool     // failed by itself
	skip   bool     // ended by Skipf
	msgs   []string // its own messages
	subs   int      // subchecks run
	left   bool     // the selection left out a subcheck
}

var _ conformance.Runner = (*check)(nil)

// Helper does nothing: the command's lines name the check, not a source line.
func (c *check) Helper() {}

// Name is the check's full name, levels joined by "/".
func (c *check) Name() string { return c.name }

// Logf keeps a message, shown only if the check fails or is skipped.
func (c *check) Logf(format string, args ...any) { c.note(fmt.Sprintf(format, args...)) }

// Errorf fails the check and goes on.
func (c *check) Errorf(format string, args ...any) {
	c.note(fmt.Sprintf(format, args...))
	c.mu.Lock()
	c.failed, c.own = true, true
	c.mu.Unlock()
}

// Fatal fails the check and ends it, as Fatalf.
func (c *check) Fatal(args ...any) {
	c.Errorf("%s", strings.TrimSuffix(fmt.Sprintln(args...), "\n"))
	runtime.Goexit()
}

// Fatalf fails the check and ends its goroutine; deferred calls run, as with testing.T.
func (c *check) Fatalf(format string, args ...any) {
	c.Errorf(format, args...)
	runtime.Goexit()
}

// Skipf ends the check as skipped, with the reason.
func (c *check) Skipf(format string, args ...any) {
	c.note(fmt.Sprintf(format, args...))
	c.mu.Lock()
	c.skip = true
	c.mu.Unlock()
	runtime.Goexit()
}

func (c *check) note(msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, c.rec.clean(msg))
}

// Partial reports whether the selection left out a subcheck.
func (c *check) Partial() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.left
}

// Sub runs f as the subcheck name, in a goroutine of its own so that Fatalf and Skipf can end it,
// and waits for it. A subcheck the selection leaves out does not run and counts as passed.
func (c *check) Sub(name string, f func(conformance.T)) bool {
	full := name
	if c.name != "" {
		full = c.name + "/" + name
	}
	if !c.rec.selected(full) {
		c.mu.Lock()
		c.left = true
		c.mu.Unlock()
		return true
	}
	c.mu.Lock()
	c.subs++
	c.mu.Unlock()
	sub := &check{rec: c.rec, name: full}
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if v := recover(); v != nil {
				sub.Errorf("panic: %v", v)
			}
		}()
		f(sub)
	}()
	<-done
	sub.report(time.Since(start))
	if sub.failed {
		c.mu.Lock()
		c.failed = true
		c.mu.Unlock()
	}
	return !sub.failed
}

// report hands the check's result to the recorder: every check without subchecks, and a parent
// that failed or was skipped by itself.
func (c *check) report(d time.Duration) {
	res := Result{Name: c.name, Messages: c.msgs, Duration: d}
	switch {
	case c.own:
		res.Outcome = Failed
	case c.skip:
		res.Outcome = Skipped
	case c.subs > 0 || c.failed || c.left: // reported through its subchecks, or none selected
		return
	default:
		res.Outcome = Passed
	}
	c.rec.results = append(c.rec.results, res)
	if c.rec.OnResult != nil {
		c.rec.OnResult(res)
	}
}
