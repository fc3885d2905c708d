package main_test

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/restreamkit/restreamkit/internal/clitest"
	"github.com/restreamkit/restreamkit/internal/conformance"
	"github.com/restreamkit/restreamkit/restreamtest"
)

var binary string

func TestMain(m *testing.M) { clitest.Main(m, "restream-proxy", &binary) }

var apiLine = regexp.MustCompile(`^restream-proxy \S+: api on (http://\S+)$`)

// start runs the proxy in front of upstream and waits until its banner on standard error says
// where it listens. It returns what the proxy writes to standard output and standard error.
func start(t *testing.T, env []string, args ...string) (cmd *exec.Cmd, base string, stdout, stderr *clitest.Output) {
	t.Helper()
	cmd = exec.Command(binary, append([]string{"--addr", "127.0.0.1:0", "--streaming-addr", "", "--chat-addr", ""}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	stdout, stderr = clitest.NewOutput(), clitest.NewOutput()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, stderr.Await(t, apiLine, nil)[1], stdout, stderr
}

func stop(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the proxy exited with %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the proxy did not stop after SIGTERM")
	}
}

func startMock(t *testing.T) (string, string) {
	// The proxy's tests send requests that break the contract on purpose, to see them reported.
	rs := restreamtest.NewServer(t, restreamtest.Lenient())
	return rs.URL, rs.Token(rs.DefaultUser)
}

func get(t *testing.T, url, token string) int {
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

func TestShutdownWritesJUnitAndTheSummary(t *testing.T) {
	upstream, _ := startMock(t)
	junit := filepath.Join(t.TempDir(), "contract.xml")
	cmd, base, _, stderr := start(t, []string{"RESTREAM_PROXY_UPSTREAM=" + upstream, "RESTREAM_PROXY_JUNIT=" + junit})
	get(t, base+"/v2/platform/all", "")
	get(t, base+"/v2/user/profile", "") // no token: a request violation
	stop(t, cmd)
	x, err := os.ReadFile(junit)
	if err != nil {
		t.Fatalf("no JUnit file after shutdown: %v", err)
	}
	for _, want := range []string{`<testcase name="listPlatforms"`, `<testcase name="getUserProfile"`, `type="security"`} {
		if !strings.Contains(string(x), want) {
			t.Fatalf("the JUnit file lacks %q:\n%s", want, x)
		}
	}
	if !strings.Contains(stderr.String(), "getUserProfile") || !strings.Contains(stderr.String(), "TOTAL") {
		t.Fatalf("the summary table was not printed:\n%s", stderr.String())
	}
}

func TestEnforceModeFromTheCommandLine(t *testing.T) {
	upstream, token := startMock(t)
	cmd, base, _, _ := start(t, nil, "--upstream", upstream, "--request-mode", "enforce", "--summary=false")
	if code := get(t, base+"/v2/user/channel/abc", token); code != 400 {
		t.Fatalf("an invalid request must be refused with 400, got %d", code)
	}
	if code := get(t, base+"/v2/user/channel/all", token); code != 200 {
		t.Fatalf("a valid request must pass, got %d", code)
	}
	stop(t, cmd)
}

func TestBadFlagsFail(t *testing.T) {
	for _, args := range [][]string{{"--request-mode", "strict"}, {"--upstream", "ftp://x"}, {"--nope"}} {
		out, err := exec.Command(binary, args...).CombinedOutput()
		if err == nil {
			t.Fatalf("%v: want a failure, got %s", args, out)
		}
	}
}

// readUntilClosed writes what to a new connection to base and reads until the proxy closes it.
// The deadline is far above the timeouts under test: reaching it is the failure.
func readUntilClosed(t *testing.T, base, what string) (string, error) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, what)
	conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	got, err := io.ReadAll(conn)
	return string(got), err
}

func TestServerTimeoutsAndHeaderLimitFromTheCommandLine(t *testing.T) {
	upstream, _ := startMock(t)
	cmd, base, _, _ := start(t, []string{"RESTREAM_PROXY_IDLE_TIMEOUT=300ms", "RESTREAM_PROXY_READ_TIMEOUT=300ms"},
		"--upstream", upstream, "--max-header-bytes", "2048", "--summary=false")
	t.Run("an idle keep-alive connection is closed", func(t *testing.T) {
		got, err := readUntilClosed(t, base, "GET /v2/platform/all HTTP/1.1\r\nHost: x\r\n\r\n")
		if err != nil || !strings.HasPrefix(got, "HTTP/1.1 200 OK") {
			t.Fatalf("want a 200, then the close: %v %q", err, got)
		}
	})
	t.Run("a slow body is cut off", func(t *testing.T) {
		if _, err := readUntilClosed(t, base, "POST /v2/user/channels HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"); err != nil {
			t.Fatalf("the proxy left a slow body's connection open: %v", err)
		}
	})
	t.Run("headers over the limit get 431", func(t *testing.T) {
		req, _ := http.NewRequest("GET", base+"/v2/platform/all", nil)
		req.Header.Set("X-Padding", strings.Repeat("p", 4096))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		conformance.WantError(t, res.StatusCode, body, 431, "request_header_fields_too_large", "2048")
	})
	stop(t, cmd)
}

func TestTheCommandLineRules(t *testing.T) {
	clitest.CommandLineRules(t, clitest.Rules{Binary: binary, EnvPrefix: "RESTREAM_PROXY_",
		Numeric: []string{"max-validate-bytes", "max-header-bytes", "max-websockets", "dial-timeout", "tls-handshake-timeout",
			"response-header-timeout", "upstream-timeout", "read-header-timeout", "read-timeout", "write-timeout", "idle-timeout"},
		AddrFlags: []string{"addr", "streaming-addr", "chat-addr"},
		Args:      []string{"--addr", "127.0.0.1:0", "--streaming-addr", "127.0.0.1:0", "--chat-addr", "127.0.0.1:0", "--summary=false"}})
}

var dashboardLine = regexp.MustCompile(`^restream-proxy \S+: dashboard on (http://\S+/__proxy/ui/)$`)

func TestTheBannerNamesTheDashboardAndItIsServed(t *testing.T) {
	upstream, _ := startMock(t)
	cmd, base, _, stderr := start(t, nil, "--upstream", upstream, "--summary=false")
	dashboard := stderr.Await(t, dashboardLine, nil)[1]
	if dashboard != base+"/__proxy/ui/" {
		t.Fatalf("the banner names %s, want the api listener's %s/__proxy/ui/", dashboard, base)
	}
	if code := get(t, dashboard, ""); code != http.StatusOK {
		t.Fatalf("the dashboard the banner names answers %d", code)
	}
	stop(t, cmd)
}

var feedLine = regexp.MustCompile(`^restream-proxy \S+: streaming on (ws://\S+/ws)$`)

func TestReportOnStdoutIsPureJSONLinesAndTheBannerGoesToStderr(t *testing.T) {
	upstream, _ := startMock(t)
	cmd, base, stdout, stderr := start(t, nil, "--upstream", upstream, "--report", "-", "--summary=false",
		"--streaming-addr", "127.0.0.1:0", "--streaming-upstream", strings.Replace(upstream, "http", "ws", 1)+"/streaming/ws")
	feed := stderr.Await(t, feedLine, nil)[1]
	if !strings.HasPrefix(feed, "ws://127.0.0.1:") {
		t.Fatalf("the feed banner says %q", feed)
	}
	if code := get(t, "http"+strings.TrimPrefix(feed, "ws"), ""); code == http.StatusNotFound {
		t.Fatalf("the feed banner's URL %s is not served", feed)
	}
	get(t, base+"/v2/user/profile", "") // no token: one violation
	get(t, base+"/v2/nope", "")         // unknown path: another
	stop(t, cmd)
	lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("want two violations on stdout, got:\n%s", stdout)
	}
	for _, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("stdout holds a line that is not JSON: %q", line)
		}
	}
}

func TestJUnitKeepsOrdinaryWordsAndOmitsEmptyLines(t *testing.T) {
	upstream, _ := startMock(t)
	junit := filepath.Join(t.TempDir(), "contract.xml")
	cmd, base, _, _ := start(t, nil, "--upstream", upstream, "--junit", junit, "--summary=false")
	get(t, base+"/v2/user/profile", "") // missing credentials: expected "a Bearer token with scope profile.read", no actual
	get(t, base+"/v2/nope", "")         // unknown path: an actual, nothing expected
	stop(t, cmd)
	x, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"credentials are missing: a Bearer token with scope profile.read", "expected: a Bearer token with scope", "actual: GET /v2/nope"} {
		if !strings.Contains(string(x), want) {
			t.Errorf("the JUnit file lacks %q:\n%s", want, x)
		}
	}
	for _, empty := range []string{"expected: &#xA;", "expected: <", "actual: &#xA;", "actual: <", "REDACTED"} {
		if strings.Contains(string(x), empty) {
			t.Errorf("the JUnit file holds %q:\n%s", empty, x)
		}
	}
}

func TestRecordWritesFixturesTheMockLoadsOnShutdown(t *testing.T) {
	rs := restreamtest.NewServer(t)
	dir := filepath.Join(t.TempDir(), "recorded")
	cmd, base, _, stderr := start(t, nil, "--upstream", rs.URL, "--record", dir)
	for _, path := range []string{"/v2/user/profile", "/v2/user/channel/all", "/v2/user/streamKey"} {
		if code := get(t, base+path, rs.Token(restreamtest.QuietNewcomer)); code != 200 {
			t.Fatalf("%s answered %d", path, code)
		}
	}
	stop(t, cmd)
	if !strings.Contains(stderr.String(), "recording: 3 examples in 3 files in "+dir) {
		t.Fatalf("the shutdown does not say what was recorded:\n%s", stderr.String())
	}
	replay := restreamtest.NewServer(t, restreamtest.WithFixturesDir(dir))
	req, _ := http.NewRequest("GET", replay.URL+"/v2/user/streamKey", nil)
	req.Header.Set("Authorization", "Bearer "+replay.Token(restreamtest.QuietNewcomer))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	original := restreamtest.NewServer(t)
	req.URL, _ = url.Parse(original.URL + "/v2/user/streamKey")
	req.Header.Set("Authorization", "Bearer "+original.Token(restreamtest.QuietNewcomer))
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	was, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), `"streamKey":"re_4410087_`) || string(body) == string(was) {
		t.Fatalf("the mock on the recording serves %s; the original key was %d bytes long", body, len(was))
	}
}

// exitCode waits for the proxy to exit and returns its status (-1 when a signal killed it).
func exitCode(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(15 * time.Second):
		t.Fatal("the proxy did not stop")
	}
	return -1
}

// askShutdown sends POST /__proxy/shutdown with the given Host (the URL's when empty) and returns
// the status.
func askShutdown(t *testing.T, base, host string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/__proxy/shutdown", nil)
	if host != "" {
		req.Host = host
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

func TestFailOnViolationsSetsTheExitStatus(t *testing.T) {
	upstream, token := startMock(t)
	for _, tc := range []struct {
		name  string
		path  string
		token string
		want  int
	}{
		{"a run without violations exits 0", "/v2/platform/all", "", 0},
		{"a request violation exits 1", "/v2/user/profile", "", 1}, // no token
		{"a response-side run that is clean exits 0", "/v2/user/profile", token, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd, base, _, stderr := start(t, nil, "--upstream", upstream, "--fail-on-violations", "--summary=false")
			get(t, base+tc.path, tc.token)
			cmd.Process.Signal(syscall.SIGTERM)
			if got := exitCode(t, cmd); got != tc.want {
				t.Fatalf("exit status %d, want %d; stderr:\n%s", got, tc.want, stderr)
			}
			if tc.want == 1 && !strings.Contains(stderr.String(), "1 violation seen (--fail-on-violations)") {
				t.Fatalf("the proxy did not say why it failed:\n%s", stderr)
			}
		})
	}
}

func TestWithoutFailOnViolationsAViolationStillExitsZero(t *testing.T) {
	upstream, _ := startMock(t)
	cmd, base, _, _ := start(t, nil, "--upstream", upstream, "--summary=false")
	get(t, base+"/v2/user/profile", "")
	stop(t, cmd)
}

// Whichever way the run ends, the JUnit file, the JSON lines and the drift report are whole when
// the process has exited, and --fail-on-violations decides the status.
func TestEveryShutdownPathLeavesCompleteFiles(t *testing.T) {
	upstream, _ := startMock(t)
	for _, tc := range []struct {
		name   string
		format string
		end    func(t *testing.T, cmd *exec.Cmd, base string)
	}{
		{"SIGTERM", "markdown", func(t *testing.T, cmd *exec.Cmd, _ string) { cmd.Process.Signal(syscall.SIGTERM) }},
		{"SIGINT", "json", func(t *testing.T, cmd *exec.Cmd, _ string) { cmd.Process.Signal(syscall.SIGINT) }},
		{"POST /__proxy/shutdown", "json", func(t *testing.T, _ *exec.Cmd, base string) {
			if status, body := askShutdown(t, base, ""); status != http.StatusAccepted || !strings.Contains(body, `"violations":1`) {
				t.Fatalf("the shutdown endpoint answered %d %s", status, body)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			junit, lines, driftFile := filepath.Join(dir, "contract.xml"), filepath.Join(dir, "violations.jsonl"), filepath.Join(dir, "drift")
			cmd, base, _, stderr := start(t, nil, "--upstream", upstream, "--junit", junit, "--report", lines,
				"--drift-report", driftFile, "--drift-report-format", tc.format, "--fail-on-violations")
			get(t, base+"/v2/platform/all", "")
			get(t, base+"/v2/user/profile", "") // no token: one violation
			tc.end(t, cmd, base)
			if got := exitCode(t, cmd); got != 1 {
				t.Fatalf("exit status %d, want 1; stderr:\n%s", got, stderr)
			}
			var suites struct {
				Tests    int `xml:"tests,attr"`
				Failures int `xml:"failures,attr"`
			}
			if err := xml.Unmarshal(readBytes(t, junit), &suites); err != nil || suites.Tests != 2 || suites.Failures != 1 {
				t.Fatalf("the JUnit file is not whole (%v): %+v\n%s", err, suites, readBytes(t, junit))
			}
			jl := strings.Split(strings.TrimSuffix(string(readBytes(t, lines)), "\n"), "\n")
			var rec map[string]any
			if len(jl) != 1 || json.Unmarshal([]byte(jl[0]), &rec) != nil || rec["rule"] != "security" {
				t.Fatalf("the JSON lines are not whole: %q", jl)
			}
			report := string(readBytes(t, driftFile))
			switch tc.format {
			case "json":
				var d struct {
					Violations int `json:"violations"`
					Findings   []struct {
						Rule string `json:"rule"`
					} `json:"findings"`
				}
				if err := json.Unmarshal([]byte(report), &d); err != nil || d.Violations != 1 || len(d.Findings) != 1 || d.Findings[0].Rule != "security" {
					t.Fatalf("the drift report is not whole (%v):\n%s", err, report)
				}
			default:
				if !strings.Contains(report, "| `getUserProfile` | request | `security` | security | 1 | 1/1 exchange |") ||
					!strings.HasSuffix(report, "| `listPlatforms` | 1 |\n") {
					t.Fatalf("the drift report is not whole:\n%s", report)
				}
			}
			if !strings.Contains(stderr.String(), "drift report ("+tc.format+"): "+driftFile) {
				t.Fatalf("the summary does not point to the drift report:\n%s", stderr)
			}
		})
	}
}

func TestTheShutdownEndpointRefusesAForeignHost(t *testing.T) {
	upstream, _ := startMock(t)
	cmd, base, _, _ := start(t, nil, "--upstream", upstream, "--summary=false")
	if status, body := askShutdown(t, base, "evil.example"); status != http.StatusForbidden || !strings.Contains(body, "host_not_allowed") {
		t.Fatalf("a rebinding page's shutdown got %d %s", status, body)
	}
	stop(t, cmd) // internal/proxy's tests prove the refusal asked for no shutdown
}

func TestABadDriftReportFailsTheStart(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"an unknown format names the flag", []string{"--drift-report-format", "html"}, []string{"--drift-report-format", "markdown or json"}},
		{"a file that cannot be written", []string{"--drift-report", filepath.Join(t.TempDir(), "no", "such", "dir", "drift.md")}, []string{"drift report", "no such file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := clitest.Run(t, binary, nil, append([]string{"--addr", "127.0.0.1:0", "--streaming-addr", "", "--chat-addr", ""}, tc.args...)...)
			for _, want := range tc.want {
				if code == 0 || !strings.Contains(stderr, want) {
					t.Fatalf("exit %d, stderr lacks %q:\n%s", code, want, stderr)
				}
			}
		})
	}
}

func readBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
