package release

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/restreamkit/restreamkit/internal/ghactions"
)

// runAction runs the repository's action.yml with the given inputs as a runner would, with
// runner as RUNNER_TEMP, and returns everything it printed and the variables it exported.
func runAction(t *testing.T, inputs map[string]string, runner string) (string, map[string]string, map[string]string, error) {
	t.Helper()
	a, err := ghactions.LoadAction(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	r := &ghactions.Runner{Workspace: t.TempDir(), Temp: runner, Env: os.Environ()}
	res, err := r.RunAction(a, root, inputs)
	return res.Stdout, r.Exported(), res.Outputs, err
}

// threeFreePorts returns a port such that it and the next two are free.
func threeFreePorts(t *testing.T) int {
	t.Helper()
	for range 50 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		free := port < 65533
		for p := port; free && p <= port+2; p++ {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
			if free = err == nil; free {
				l.Close()
			}
		}
		if free {
			return port
		}
	}
	t.Fatal("no three free ports in a row")
	return 0
}

// publish lays a release out as its download URL serves it: <dir>/<version>/<archives>, SHA256SUMS.
func publish(t *testing.T) string {
	t.Helper()
	o, b := built(t)
	dir := t.TempDir()
	o.Out = filepath.Join(dir, o.Version)
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Archives(o, b); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestTheActionInstallsAReleaseStartsTheMockAndExportsItsURLAndAToken(t *testing.T) {
	releases := publish(t)
	runner := t.TempDir()
	port := threeFreePorts(t)
	out, env, outputs, err := runAction(t, map[string]string{"version": "v0.0.1-test", "release-url": "file://" + releases,
		"port": strconv.Itoa(port), "user": "4410087", "scopes": "profile.read channels.read", "args": "--seed 7 --journal-size 50"}, runner)
	t.Cleanup(func() { stopMock(runner) })
	if err != nil {
		t.Fatalf("the action failed: %v\n%s", err, out)
	}
	if !strings.Contains(out, "restream-mock v0.0.1-test") {
		t.Errorf("the installed mock is not the release's:\n%s", out)
	}
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	if env["RESTREAM_MOCK_URL"] != url || env["RESTREAM_MOCK_STREAMING_URL"] != "ws://127.0.0.1:"+strconv.Itoa(port+1)+"/ws" || env["RESTREAM_MOCK_TOKEN"] == "" {
		t.Fatalf("exported: %v", env)
	}
	if !strings.Contains(out, "::add-mask::"+env["RESTREAM_MOCK_TOKEN"]) {
		t.Error("the token is not masked in the job's log")
	}
	if outputs["url"] != url || outputs["token"] != env["RESTREAM_MOCK_TOKEN"] {
		t.Errorf("outputs: %v", outputs)
	}
	req, _ := http.NewRequest("GET", url+"/v2/user/profile", nil)
	req.Header.Set("Authorization", "Bearer "+env["RESTREAM_MOCK_TOKEN"])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("the exported token gets %d from the mock", res.StatusCode)
	}
}

func TestTheActionRefusesAnArchiveThatDoesNotMatchItsSums(t *testing.T) {
	releases := publish(t)
	sums := filepath.Join(releases, "v0.0.1-test", "SHA256SUMS")
	data, _ := os.ReadFile(sums)
	os.WriteFile(sums, []byte(regexp.MustCompile(`^[0-9a-f]{8}`).ReplaceAllString(string(data), "00000000")), 0o644)
	out, _, _, err := runAction(t, map[string]string{"version": "v0.0.1-test", "release-url": "file://" + releases}, t.TempDir())
	if err == nil || !strings.Contains(out, "does not match the release's SHA256SUMS") {
		t.Fatalf("a tampered archive was installed: %v\n%s", err, out)
	}
}

// stopMock ends the mock an action run left running (on a runner, the job's end does).
func stopMock(runner string) {
	if pid, err := os.ReadFile(filepath.Join(runner, "restreamkit", "restream-mock.pid")); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(pid))); err == nil {
			syscall.Kill(n, syscall.SIGTERM)
		}
	}
}
