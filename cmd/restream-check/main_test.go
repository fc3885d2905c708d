package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/restreamkit/restreamkit/internal/clitest"
	"github.com/restreamkit/restreamkit/internal/mock"
)

// bin holds restream-check, restream-mock and restream-proxy, built once for these tests.
var bin string

func TestMain(m *testing.M) {
	clitest.MainCommands(m, &bin, ".", "../restream-mock", "../restream-proxy")
}

func command(name string) string { return filepath.Join(bin, name) }

func TestTheCommandLineRulesHold(t *testing.T) {
	clitest.CommandLineRules(t, clitest.Rules{Binary: command("restream-check"), EnvPrefix: "RESTREAM_CHECK_",
		Numeric: []string{"timeout"}, Args: []string{"--token", "t", "--base-url", "http://127.0.0.1:1"}})
}

var (
	mockLine  = regexp.MustCompile(`^restream-mock \S+: REST, OAuth and control API on (http://\S+)$`)
	tokenLine = regexp.MustCompile(`^Access token[^:]*: ([0-9a-f]{40})$`)
	proxyLine = regexp.MustCompile(`^restream-proxy \S+: api on (http://\S+)$`)
	summary   = regexp.MustCompile(`(?m)^(\d+) passed, (\d+) failed, (\d+) skipped$`)
)

// startMock runs restream-mock on a free port and returns its URL and the banner's token.
func startMock(t *testing.T) (base, token string) {
	t.Helper()
	out := run(t, command("restream-mock"), "--addr", "127.0.0.1:0", "--streaming-addr", "", "--chat-addr", "")
	return out.Await(t, mockLine, nil)[1], out.Await(t, tokenLine, nil)[1]
}

// startProxy runs restream-proxy in front of upstream and returns its URL.
func startProxy(t *testing.T, upstream string) string {
	t.Helper()
	cmd := exec.Command(command("restream-proxy"), "--addr", "127.0.0.1:0", "--streaming-addr", "", "--chat-addr", "",
		"--upstream", upstream, "--response-mode", "enforce", "--summary=false")
	stderr := clitest.NewOutput()
	cmd.Stdout, cmd.Stderr = io.Discard, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return stderr.Await(t, proxyLine, nil)[1]
}

// run starts a long-running command and returns its standard output.
func run(t *testing.T, binary string, args ...string) *clitest.Output {
	t.Helper()
	cmd := exec.Command(binary, args...)
	out := clitest.NewOutput()
	cmd.Stdout, cmd.Stderr = out, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return out
}

// checkRun is one finished run of restream-check.
type checkRun struct {
	code                    int
	stdout, stderr, junit   string
	passed, failed, skipped string
}

// check runs restream-check with the token in the environment, a JUnit file and args.
func check(t *testing.T, token string, args ...string) checkRun {
	t.Helper()
	junit := filepath.Join(t.TempDir(), "check.xml")
	code, stdout, stderr := clitest.Run(t, command("restream-check"), []string{"RESTREAM_CHECK_TOKEN=" + token},
		append([]string{"--junit", junit, "--log-level", "debug"}, args...)...)
	r := checkRun{code: code, stdout: stdout, stderr: stderr}
	if b, err := os.ReadFile(junit); err == nil {
		r.junit = string(b)
	}
	m := summary.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no summary line (exit %d):\n%s\n%s", code, stdout, stderr)
	}
	r.passed, r.failed, r.skipped = m[1], m[2], m[3]
	if token != "" && strings.Contains(stdout+stderr+r.junit, token) {
		t.Fatalf("the token appears in the output, the log or the JUnit file:\n%s\n%s\n%s", stdout, stderr, r.junit)
	}
	return r
}

// fetch GETs url and returns the body.
func fetch(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, b)
	}
	return string(b)
}

// send sends a JSON body to url with method and fails unless the status is want.
func send(t *testing.T, method, url, body string, want int) []byte {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, url, res.StatusCode, want, b)
	}
	return b
}

// TestEveryCheckPassesAgainstTheMockAndLeavesItAsItWas runs restream-check against a real
// restream-mock, read-only and with writes, and compares the mock's world and settings before and
// after: the write checks delete what they add, and the suites that reset the mock put its
// state back. Auto-approve is on beforehand, the opposite of what those suites need, to prove
// that the settings come back too.
func TestEveryCheckPassesAgainstTheMockAndLeavesItAsItWas(t *testing.T) {
	base, token := startMock(t)
	send(t, http.MethodPatch, base+"/__mock/settings", `{"autoApprove":true}`, http.StatusOK)
	for _, tc := range []struct {
		name    string
		args    []string
		skipped []string // the groups skipped, each with the reason
	}{
		{"read-only", nil, []string{"writes", "mock-happy-paths", "mock-examples", "mock-rejections"}},
		{"with --allow-writes", []string{"--allow-writes"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			world, settings := fetch(t, base+"/__mock/state"), fetch(t, base+"/__mock/settings")
			r := check(t, token, append([]string{"--base-url", base}, tc.args...)...)
			if r.code != 0 || r.failed != "0" || r.skipped != strconv.Itoa(len(tc.skipped)) {
				t.Fatalf("exit %d, %s failed, %s skipped:\n%s\n%s", r.code, r.failed, r.skipped, r.stdout, r.stderr)
			}
			for _, g := range tc.skipped {
				if !strings.Contains(r.stdout, "\nSKIP "+g+": needs --allow-writes: it ") {
					t.Errorf("no skip line for %s naming --allow-writes:\n%s", g, r.stdout)
				}
			}
			for _, want := range []string{"PASS reads/getChannel\n", "PASS no-token/getUserProfile\n"} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("no line %q:\n%s", want, r.stdout)
				}
			}
			if tc.skipped == nil && !strings.Contains(r.stdout, "PASS writes/deleteChannel\n") {
				t.Errorf("the write checks did not run:\n%s", r.stdout)
			}
			if got := fetch(t, base+"/__mock/state"); got != world {
				t.Errorf("the mock's world changed:\nbefore %s\nafter  %s", world, got)
			}
			if got := fetch(t, base+"/__mock/settings"); got != settings {
				t.Errorf("the mock's settings changed: before %s, after %s", settings, got)
			}
		})
	}
}

// TestTheChecksPassThroughTheProxy runs restream-check through restream-proxy (responses
// enforced) in front of the mock. The mock's refusal suite checks the mock's own gate, so it is
// skipped, with the way to run it, unless --control-url names the mock itself; the reads and
// writes cross the proxy without a single violation.
func TestTheChecksPassThroughTheProxy(t *testing.T) {
	base, token := startMock(t)
	proxy := startProxy(t, base)
	for _, tc := range []struct {
		name    string
		args    []string
		skipped string
	}{
		{"control API through the proxy", nil, "1"},
		{"control API of the mock itself", []string{"--control-url", base}, "0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := check(t, token, append([]string{"--base-url", proxy, "--allow-writes"}, tc.args...)...)
			if r.code != 0 || r.failed != "0" || r.skipped != tc.skipped {
				t.Fatalf("exit %d, %s failed, %s skipped:\n%s\n%s", r.code, r.failed, r.skipped, r.stdout, r.stderr)
			}
			if tc.skipped == "1" && !strings.Contains(r.stdout, "SKIP mock-rejections: checks restream-mock's own refusals, and "+proxy+" is restream-proxy: give the mock's URL as --control-url") {
				t.Errorf("the refusal suite's skip does not say why:\n%s", r.stdout)
			}
		})
	}
	t.Run("reads and writes break no rule at the proxy", func(t *testing.T) {
		before := violations(t, proxy)
		r := check(t, token, "--base-url", proxy, "--allow-writes", "--run", "^(reads|writes)$")
		if r.code != 0 || r.failed != "0" || r.skipped != "0" {
			t.Fatalf("exit %d:\n%s", r.code, r.stdout)
		}
		if after := violations(t, proxy); after != before {
			t.Fatalf("the proxy counted %d violations during the reads and writes", after-before)
		}
	})
}

// violations reads the proxy's violation count from its health endpoint.
func violations(t *testing.T, proxy string) int {
	t.Helper()
	var h struct{ Violations int }
	if err := json.Unmarshal([]byte(fetch(t, proxy+"/__proxy/healthz")), &h); err != nil {
		t.Fatal(err)
	}
	return h.Violations
}

// brokenUpstream is an API that departs from the spec in known ways: a mock behind a handler
// that hides the control API (as the real API has none) and spoils three answers. Every answer
// that echoes the Authorization header proves that a token in a body is never printed.
func brokenUpstream(t *testing.T, keepControl bool) (base, token string) {
	t.Helper()
	srv, err := mock.New(mock.Options{})
	if err != nil {
		t.Fatal(err)
	}
	inner := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		inner.Close()
	})
	var issued struct {
		AccessToken string `json:"accessToken"`
	}
	if err := json.Unmarshal(send(t, http.MethodPost, inner.URL+"/__mock/tokens", `{"userId":2046371}`, http.StatusCreated), &issued); err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
	outer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		echo := r.Header.Get("Authorization")
		switch {
		case strings.HasPrefix(r.URL.Path, "/__mock/") && !keepControl:
			http.NotFound(w, r)
		case r.URL.Path == "/v2/user/profile" && echo != "": // a required field missing
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != http.StatusOK {
				w.Header().Set("Content-Type", rec.Header().Get("Content-Type"))
				w.WriteHeader(rec.Code)
				w.Write(rec.Body.Bytes())
				return
			}
			var profile map[string]any
			json.Unmarshal(rec.Body.Bytes(), &profile)
			delete(profile, "username")
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(profile)
		case r.URL.Path == "/v2/user/clips/projects" && echo != "": // a server error quoting the credentials
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, "database down while serving "+echo)
		case r.URL.Path == "/v2/user/streamKey" && echo == "": // no refusal without a token
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"streamKey":"re_1_00000000000000000000000000000000","srtUrl":null}`)
		default:
			h.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(outer.Close)
	return outer.URL, issued.AccessToken
}

// TestAScriptedBrokenUpstreamFailsExactlyTheChecksItBreaks runs restream-check against an API
// that breaks three rules: the checks of those operations fail, the ones that needed what a
// failed read would have found are skipped with the reason, the mock's suites are skipped for
// want of a control API, the exit status is 1, and the JUnit file lists the same failures.
func TestAScriptedBrokenUpstreamFailsExactlyTheChecksItBreaks(t *testing.T) {
	base, token := brokenUpstream(t, false)
	r := check(t, token, "--base-url", base, "--allow-writes")
	wantFailed := []string{"no-token/getStreamKey", "reads/getUserProfile", "reads/listClipsProjects"}
	if r.code != 1 || r.failed != strconv.Itoa(len(wantFailed)) {
		t.Fatalf("exit %d, %s failed, want 1 and %d:\n%s\n%s", r.code, r.failed, len(wantFailed), r.stdout, r.stderr)
	}
	for _, want := range []string{
		`FAIL reads/getUserProfile: GET /v2/user/profile answered 200, which breaks the spec: response body "/username"`,
		"FAIL reads/listClipsProjects: GET /v2/user/clips/projects answered 500, not a success",
		"FAIL no-token/getStreamKey: GET /v2/user/streamKey ",
		"SKIP reads/getClipsProject: the account has no clips project (listClipsProjects)",
		"SKIP mock-happy-paths: needs the mock's control API (/__mock/), which " + base + " does not answer",
		"SKIP mock-rejections: needs the mock's control API",
		"PASS writes/deleteChannel",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("no line with %q:\n%s", want, r.stdout)
		}
	}
	var doc struct {
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.NewDecoder(bytes.NewReader([]byte(r.junit))).Decode(&doc); err != nil {
		t.Fatalf("the JUnit file does not parse: %v\n%s", err, r.junit)
	}
	var failed []string
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			if c.Failure != nil {
				failed = append(failed, strings.TrimPrefix(s.Name, "restream-check ")+"/"+c.Name)
			}
		}
	}
	slices.Sort(failed)
	if !slices.Equal(failed, wantFailed) || doc.Failures != len(wantFailed) {
		t.Fatalf("the JUnit file lists failures %v (%d), want %v:\n%s", failed, doc.Failures, wantFailed, r.junit)
	}
}

// TestBadInputIsRefusedNamingTheFlag covers what restream-check refuses before sending anything.
func TestBadInputIsRefusedNamingTheFlag(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"no token", nil, []string{"--base-url", "http://127.0.0.1:1"}, "--token (RESTREAM_CHECK_TOKEN) is required"},
		{"a --run that is not a regular expression", []string{"RESTREAM_CHECK_TOKEN=x"}, []string{"--run", "reads/("}, `--run "reads/(": error parsing regexp`},
		{"a --junit file that cannot be written", []string{"RESTREAM_CHECK_TOKEN=x"}, []string{"--junit", filepath.Join(t.TempDir(), "missing", "x.xml")}, "--junit: open "},
		{"an empty --base-url", []string{"RESTREAM_CHECK_TOKEN=x"}, []string{"--base-url", ""}, `--base-url "": want an http:// or https:// URL`},
		{"a --base-url without a scheme", []string{"RESTREAM_CHECK_TOKEN=x"}, []string{"--base-url", "api.restream.io"}, `--base-url "api.restream.io": want an http:// or https:// URL`},
		{"a --control-url with a query", []string{"RESTREAM_CHECK_TOKEN=x"}, []string{"--control-url", "http://127.0.0.1:1/?a=b"}, `--control-url "http://127.0.0.1:1/?a=b": want a base URL without a query`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := clitest.Run(t, command("restream-check"), tc.env, tc.args...)
			if code != 1 || !strings.Contains(stderr, tc.want) || stdout != "" {
				t.Fatalf("exit %d, want 1 and %q:\nstdout: %s\nstderr: %s", code, tc.want, stdout, stderr)
			}
		})
	}
}

// TestTheMockSuitesCatchTheSameBreakage runs the mock's suites through the command against the
// broken API with its control API kept: they fail where the mock's own tests would (a lookup
// that finds no clips project, an answer that breaks the spec, a refusal that does not come).
func TestTheMockSuitesCatchTheSameBreakage(t *testing.T) {
	base, token := brokenUpstream(t, true)
	r := check(t, token, "--base-url", base, "--allow-writes", "--run", "^mock-")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", r.code, r.stdout)
	}
	for _, want := range []string{
		"FAIL mock-happy-paths: listClipsProjects: <nil> 500 database down while serving Bearer [REDACTED:",
		`FAIL mock-examples/every answer conforms to the spec: GET /v2/user/profile answered 200: response body "/username" missing required property "username"`,
		"FAIL mock-rejections/restream/getStreamKey/no access token: GET /v2/user/streamKey answered 200, want 401",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("no line with %q:\n%s", want, r.stdout)
		}
	}
}
