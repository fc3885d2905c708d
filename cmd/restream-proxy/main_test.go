package main_test

import (
	"encoding/json"
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
