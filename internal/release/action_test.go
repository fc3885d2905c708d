package release

import (
	"bufio"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"go.yaml.in/yaml/v3"
)

// action is the part of action.yml the runner reads.
type action struct {
	Inputs map[string]struct {
		Default  string `yaml:"default"`
		Required bool   `yaml:"required"`
	} `yaml:"inputs"`
	Runs struct {
		Using string `yaml:"using"`
		Steps []struct {
			Name  string            `yaml:"name"`
			Shell string            `yaml:"shell"`
			Env   map[string]string `yaml:"env"`
			Run   string            `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

var inputRef = regexp.MustCompile(`\$\{\{\s*inputs\.([a-z-]+)\s*\}\}`)

// runAction runs the action's steps as a runner would: each step's env with its inputs
// substituted, its script with bash, GITHUB_ENV, GITHUB_OUTPUT and GITHUB_PATH as files, and
// what a step adds to GITHUB_PATH on the next steps' PATH. It returns the combined output and
// the first failing step's error.
func runAction(t *testing.T, inputs map[string]string, runner string) (string, error) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a action
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatal(err)
	}
	if a.Runs.Using != "composite" {
		t.Fatalf("runs.using is %q", a.Runs.Using)
	}
	abs, _ := filepath.Abs(root)
	path := os.Getenv("PATH")
	var out strings.Builder
	for _, step := range a.Runs.Steps {
		if step.Shell != "bash" {
			t.Fatalf("step %q runs in %q: a composite step must name bash", step.Name, step.Shell)
		}
		cmd := exec.Command("bash", "-e", "-c", step.Run)
		cmd.Env = append(os.Environ(), "GITHUB_ACTION_PATH="+abs, "RUNNER_TEMP="+runner, "PATH="+path,
			"GITHUB_ENV="+filepath.Join(runner, "env"), "GITHUB_OUTPUT="+filepath.Join(runner, "output"),
			"GITHUB_PATH="+filepath.Join(runner, "path"))
		for k, v := range step.Env {
			v = inputRef.ReplaceAllStringFunc(v, func(ref string) string {
				name := inputRef.FindStringSubmatch(ref)[1]
				in, ok := a.Inputs[name]
				if !ok {
					t.Fatalf("step %q uses the undeclared input %q", step.Name, name)
				}
				if v, given := inputs[name]; given {
					return v
				}
				if in.Required {
					t.Fatalf("the required input %q is not given", name)
				}
				return in.Default
			})
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		b, err := cmd.CombinedOutput()
		out.Write(b)
		if err != nil {
			return out.String(), err
		}
		if added, err := os.ReadFile(filepath.Join(runner, "path")); err == nil {
			for _, p := range strings.Fields(string(added)) {
				path = p + string(os.PathListSeparator) + path
			}
		}
	}
	return out.String(), nil
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
	out, err := runAction(t, map[string]string{"version": "v0.0.1-test", "release-url": "file://" + releases,
		"port": strconv.Itoa(port), "user": "4410087", "scopes": "profile.read channels.read", "args": "--seed 7 --journal-size 50"}, runner)
	t.Cleanup(func() { stopMock(runner) })
	if err != nil {
		t.Fatalf("the action failed: %v\n%s", err, out)
	}
	if !strings.Contains(out, "restream-mock v0.0.1-test") {
		t.Errorf("the installed mock is not the release's:\n%s", out)
	}
	env := readKV(t, filepath.Join(runner, "env"))
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	if env["RESTREAM_MOCK_URL"] != url || env["RESTREAM_MOCK_STREAMING_URL"] != "ws://127.0.0.1:"+strconv.Itoa(port+1)+"/ws" || env["RESTREAM_MOCK_TOKEN"] == "" {
		t.Fatalf("exported: %v", env)
	}
	if !strings.Contains(out, "::add-mask::"+env["RESTREAM_MOCK_TOKEN"]) {
		t.Error("the token is not masked in the job's log")
	}
	if outputs := readKV(t, filepath.Join(runner, "output")); outputs["url"] != url || outputs["token"] != env["RESTREAM_MOCK_TOKEN"] {
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
	out, err := runAction(t, map[string]string{"version": "v0.0.1-test", "release-url": "file://" + releases}, t.TempDir())
	if err == nil || !strings.Contains(out, "does not match the release's SHA256SUMS") {
		t.Fatalf("a tampered archive was installed: %v\n%s", err, out)
	}
}

// readKV reads a GITHUB_ENV or GITHUB_OUTPUT file of NAME=value lines.
func readKV(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	kv := map[string]string{}
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		k, v, _ := strings.Cut(lines.Text(), "=")
		kv[k] = v
	}
	return kv
}

func TestTheActionBuildsFromItsCheckoutWithVersionSource(t *testing.T) {
	runner := t.TempDir()
	port := threeFreePorts(t)
	out, err := runAction(t, map[string]string{"version": "source", "port": strconv.Itoa(port)}, runner)
	t.Cleanup(func() { stopMock(runner) })
	if err != nil || !strings.Contains(out, "restream-mock is up on http://127.0.0.1:"+strconv.Itoa(port)) {
		t.Fatalf("the action failed: %v\n%s", err, out)
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
