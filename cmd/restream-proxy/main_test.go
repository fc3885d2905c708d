package main_test

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/restreamkit/restreamkit/internal/clitest"
	"github.com/restreamkit/restreamkit/restreamtest"
)

var binary string

func TestMain(m *testing.M) { clitest.Main(m, "restream-proxy", &binary) }

var apiLine = regexp.MustCompile(`api on (http://\S+)`)

// start runs the proxy in front of upstream and waits until it listens.
func start(t *testing.T, env []string, args ...string) (*exec.Cmd, string, *strings.Builder) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"--addr", "127.0.0.1:0", "--streaming-addr", "", "--chat-addr", ""}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	stdout, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	m := apiLine.FindStringSubmatch(line)
	if err != nil || m == nil {
		t.Fatalf("the proxy did not print its address: %q %v", line, err)
	}
	return cmd, m[1], &stderr
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
	rs := restreamtest.NewServer(t)
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
	cmd, base, stderr := start(t, []string{"RESTREAM_PROXY_UPSTREAM=" + upstream, "RESTREAM_PROXY_JUNIT=" + junit})
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
	cmd, base, _ := start(t, nil, "--upstream", upstream, "--request-mode", "enforce", "--summary=false")
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
