// Package check is restream-check: it runs the conformance suites (internal/conformance) against
// any base URL with a token the user supplies (restream-mock, the real Restream API, or
// restream-proxy in front of either) and reports one line per check, a count, and optionally a
// JUnit file. The suites that need the mock's control API (/__mock/) run only where it answers;
// every suite that changes state runs only when the user allows writes.
package check

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/restreamkit/restreamkit/internal/conformance"
	"github.com/restreamkit/restreamkit/internal/mock"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// Config is what the command was asked to do.
type Config struct {
	BaseURL      string        // where the Restream API calls go
	Token        string        // the account's access token; never printed
	ControlURL   string        // the mock's control API; "" for BaseURL
	ControlToken string        // the mock's --control-token, if any; never printed
	AllowWrites  bool          // run the checks that change state (and restore it)
	Run          string        // a go test -run pattern selecting checks
	Timeout      time.Duration // of each request; 0 for none
	JUnit        string        // a file for the JUnit report; "" for none
	Logger       *slog.Logger
}

// The reasons a group of checks is skipped.
const (
	needsWrites  = "needs --allow-writes: it %s"
	needsControl = "needs the mock's control API (/__mock/), which %s does not answer"
	behindProxy  = "checks restream-mock's own refusals, and %s is restream-proxy: give the mock's URL as --control-url"
)

// Run runs the checks Config selects, prints a line per check and the count to out, writes the
// JUnit file, and reports whether every check passed or was skipped.
func Run(cfg Config, out io.Writer) (ok bool, err error) {
	for _, u := range []struct{ flag, value string }{{"--base-url", cfg.BaseURL}, {"--control-url", cfg.ControlURL}} {
		if err := checkURL(u.value); err != nil && (u.value != "" || u.flag == "--base-url") {
			return false, fmt.Errorf("%s %q: %w", u.flag, u.value, err)
		}
	}
	if cfg.Token == "" {
		return false, errors.New("--token (RESTREAM_CHECK_TOKEN) is required: an access token of the account to check")
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	if cfg.ControlURL == "" {
		cfg.ControlURL = cfg.BaseURL
	}
	cfg.ControlURL = strings.TrimSuffix(cfg.ControlURL, "/")
	rec, err := NewRecorder(cfg.Run, cfg.Token, cfg.ControlToken)
	if err != nil {
		return false, err
	}
	var junit *os.File
	if cfg.JUnit != "" { // opened first: a path that cannot be written fails before any request
		if junit, err = os.Create(cfg.JUnit); err != nil {
			return false, fmt.Errorf("--junit: %w", err)
		}
		defer junit.Close()
	}
	var passed, failed, skipped int
	rec.OnResult = func(r Result) {
		line := string(r.Outcome) + " " + r.Name
		if len(r.Messages) > 0 && r.Outcome != Passed {
			line += ": " + strings.Join(strings.Fields(strings.Join(r.Messages, " | ")), " ")
		}
		fmt.Fprintln(out, line)
		switch r.Outcome {
		case Passed:
			passed++
		case Failed:
			failed++
		case Skipped:
			skipped++
		}
	}
	tg := conformance.Target{API: cfg.BaseURL, Control: cfg.ControlURL, ControlToken: cfg.ControlToken}
	// The suites share conformance.NoRedirect, and the generated clients http.DefaultClient: one
	// timeout for both keeps a silent server from holding the run forever.
	conformance.NoRedirect.Timeout, http.DefaultClient.Timeout = cfg.Timeout, cfg.Timeout
	// ... and one watcher of every answer, for the mock's suites (watcher).
	w := &watcher{next: http.DefaultTransport}
	if w.restream, err = validate.RestreamSpec(); err != nil {
		return false, err
	}
	if w.ctl, err = validate.ControlSpec(); err != nil {
		return false, err
	}
	conformance.NoRedirect.Transport, http.DefaultClient.Transport = w, w
	hasControl := tg.HasControl()
	proxied := answers(cfg.ControlURL + "/__proxy/healthz")
	cfg.Logger.Info("checking", "base-url", cfg.BaseURL, "control-api", hasControl, "allow-writes", cfg.AllowWrites)
	for _, g := range groups(cfg, tg, w, hasControl, proxied) {
		rec.Run(g.name, func(t conformance.T) {
			if g.writes != "" && !cfg.AllowWrites {
				t.Skipf(needsWrites, g.writes)
			}
			g.run(t)
		})
	}
	fmt.Fprintf(out, "%d passed, %d failed, %d skipped\n", passed, failed, skipped)
	if junit != nil {
		if err := WriteJUnit(junit, "restream-check", rec.Results(), time.Now()); err != nil {
			return false, fmt.Errorf("--junit: %w", err)
		}
		if err := junit.Close(); err != nil {
			return false, fmt.Errorf("--junit: %w", err)
		}
	}
	return failed == 0, nil
}

// checkURL accepts an http or https URL with a host and nothing after the path: the suites add
// paths and queries of their own.
func checkURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return err
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("want an http:// or https:// URL")
	case u.Host == "":
		return errors.New("the URL has no host")
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return errors.New("want a base URL without a query, a fragment or credentials")
	}
	return nil
}

// answers reports whether a GET of url answers 200.
func answers(url string) bool {
	res, err := conformance.NoRedirect.Get(url)
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// group is a top-level check: one suite, or the mock's suites with the snapshot around them.
type group struct {
	name   string
	writes string // what it changes, when it needs --allow-writes
	run    func(t conformance.T)
}

// groups lists the top-level checks in the order they run. proxied says the control URL is
// restream-proxy forwarding /__mock/.
func groups(cfg Config, tg conformance.Target, w *watcher, hasControl, proxied bool) []group {
	mockSuite := func(suite func(t conformance.T)) func(conformance.T) {
		return func(t conformance.T) {
			if !hasControl {
				t.Skipf(needsControl, tg.Control)
			}
			restore := tg.Snapshot(t)
			defer restore(t)
			tg.AutoApprove(t, false)
			w.take()
			defer w.conforms(t)
			suite(t)
		}
	}
	resets := "resets the mock to its fixtures (its world and settings are put back afterwards)"
	return []group{
		{name: "reads", run: func(t conformance.T) { conformance.Reads(t, tg, cfg.Token) }},
		{name: "no-token", run: func(t conformance.T) { conformance.NoToken(t, tg) }},
		{name: "writes", writes: "adds, changes and deletes a test channel \"" + conformance.WriteChannelName + "\"",
			run: func(t conformance.T) { conformance.Writes(t, tg, cfg.Token) }},
		{name: "mock-happy-paths", writes: resets, run: mockSuite(func(t conformance.T) { conformance.HappyPaths(t, tg) })},
		{name: "mock-examples", writes: resets, run: mockSuite(func(t conformance.T) { conformance.ReplayExamples(t, tg) })},
		{name: "mock-rejections", writes: "injects faults into the mock and clears them, and mints tokens",
			run: mockSuite(func(t conformance.T) {
				// The refusals are the mock's own gate's: a proxy in between answers some itself
				// (an upstream 503 becomes its 502), so the suite goes to the mock directly.
				if proxied {
					t.Skipf(behindProxy, tg.Control)
				}
				tg := conformance.Target{API: tg.Control, Control: tg.Control, ControlToken: tg.ControlToken}
				conformance.Rejections(t, tg, conformance.Limits{MaxBodyBytes: mock.DefaultMaxBodyBytes,
					MaxHeaderBytes: mock.DefaultMaxHeaderBytes, ControlGuard: true})
			})},
	}
}
