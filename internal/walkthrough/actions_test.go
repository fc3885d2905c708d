//go:build unix

package walkthrough_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/restreamkit/restreamkit/internal/walkthrough"
)

// workflow is the part of a GitHub Actions workflow the README's recipe uses.
type workflow struct {
	Env  map[string]string `yaml:"env"`
	Jobs map[string]job    `yaml:"jobs"`
}

type job struct {
	RunsOn      string            `yaml:"runs-on"`
	Permissions map[string]string `yaml:"permissions"`
	Env         map[string]string `yaml:"env"`
	Steps       []step            `yaml:"steps"`
}

type step struct {
	Name string            `yaml:"name"`
	Uses string            `yaml:"uses"`
	With map[string]string `yaml:"with"`
	If   string            `yaml:"if"`
	Env  map[string]string `yaml:"env"`
	Run  string            `yaml:"run"`
}

// recipe returns the README's GitHub Actions workflow and its one job.
func recipe(t *testing.T) (workflow, job) {
	t.Helper()
	var found []walkthrough.Fence
	for _, f := range walkthrough.Fences(readme(t)) {
		if f.Heading == "In a GitHub Actions job" && len(f.Info) > 0 && f.Info[0] == "yaml" {
			found = append(found, f)
		}
	}
	if len(found) != 1 {
		t.Fatalf("the section \"In a GitHub Actions job\" has %d yaml blocks, want 1", len(found))
	}
	var w workflow
	if err := yaml.Unmarshal([]byte(strings.Join(found[0].Lines, "\n")), &w); err != nil {
		t.Fatalf("README.md:%d: %v", found[0].Line, err)
	}
	if len(w.Jobs) != 1 {
		t.Fatalf("the recipe has %d jobs, want 1", len(w.Jobs))
	}
	for _, j := range w.Jobs {
		return w, j
	}
	panic("unreachable")
}

var (
	exactVersion = regexp.MustCompile(`^v\d+\.\d+\.\d+$`)
	commitSHA    = regexp.MustCompile(`^[0-9a-f]{40}$`)
	goInstall    = regexp.MustCompile(`go install (\S+)`)
	// aFixedSleep is a sleep that is not the pause of a loop waiting for something.
	aFixedSleep = regexp.MustCompile(`(^|[;&|]\s*)sleep\s`)
)

func TestTheGitHubActionsRecipe(t *testing.T) {
	w, j := recipe(t)
	runs := ""
	for _, s := range j.Steps {
		runs += s.Run + "\n"
	}
	for _, tc := range []struct {
		name  string
		check func(t *testing.T)
	}{
		{"the job may write checks, which the JUnit action publishes", func(t *testing.T) {
			if j.Permissions["checks"] != "write" {
				t.Errorf("permissions: %v, want checks: write", j.Permissions)
			}
		}},
		{"every action is pinned to an exact version", func(t *testing.T) {
			for _, s := range j.Steps {
				if s.Uses == "" {
					continue
				}
				_, ref, _ := strings.Cut(s.Uses, "@")
				if !exactVersion.MatchString(ref) && !commitSHA.MatchString(ref) {
					t.Errorf("%s: want an exact vX.Y.Z tag or a commit SHA", s.Uses)
				}
			}
		}},
		{"the runner image and Go are pinned", func(t *testing.T) {
			if strings.HasSuffix(j.RunsOn, "-latest") {
				t.Errorf("runs-on: %s", j.RunsOn)
			}
			for _, s := range j.Steps {
				if strings.HasPrefix(s.Uses, "actions/setup-go@") && !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(s.With["go-version"]) {
					t.Errorf("go-version: %q, want an exact version", s.With["go-version"])
				}
			}
		}},
		{"restreamkit is installed at the one version set at the top", func(t *testing.T) {
			version := w.Env["RESTREAMKIT_VERSION"]
			if !exactVersion.MatchString(version) {
				t.Errorf("env RESTREAMKIT_VERSION: %q, want a vX.Y.Z tag", version)
			}
			installs := goInstall.FindAllStringSubmatch(runs, -1)
			if len(installs) != 2 {
				t.Errorf("%d go install commands, want restream-mock and restream-proxy", len(installs))
			}
			for _, m := range installs {
				if !strings.HasSuffix(m[1], `@"$RESTREAMKIT_VERSION"`) {
					t.Errorf("go install %s: want @\"$RESTREAMKIT_VERSION\"", m[1])
				}
			}
			if strings.Contains(runs, "@latest") {
				t.Error("the recipe installs something @latest")
			}
		}},
		{"it waits until the mock and the proxy answer", func(t *testing.T) {
			for _, health := range []string{"127.0.0.1:8080/__mock/health", "127.0.0.1:8090/__proxy/healthz"} {
				if !strings.Contains(runs, health) {
					t.Errorf("no step waits for %s", health)
				}
			}
		}},
		{"nothing sleeps a fixed time", func(t *testing.T) {
			for line := range strings.Lines(runs) {
				if aFixedSleep.MatchString(strings.TrimSpace(line)) && !strings.Contains(line, "; do ") {
					t.Errorf("a fixed sleep: %s", strings.TrimSpace(line))
				}
			}
		}},
		{"the JUnit report is published even when the tests fail", func(t *testing.T) {
			i := slices.IndexFunc(j.Steps, func(s step) bool { return strings.HasPrefix(s.Uses, "mikepenz/action-junit-report@") })
			if i < 0 {
				t.Fatal("no action-junit-report step")
			}
			if s := j.Steps[i]; s.If != "always()" || s.With["report_paths"] != "contract.xml" || s.With["fail_on_failure"] != "true" {
				t.Errorf("%+v: want if: always(), report_paths: contract.xml, fail_on_failure: true", s)
			}
		}},
	} {
		t.Run(tc.name, tc.check)
	}
}

// appTestLine is the recipe's stand-in for the user's tests, which the test below replaces.
var appTestLine = regexp.MustCompile(`(?m)^make app-test\b.*$`)

// TestTheGitHubActionsRecipeRuns runs the recipe's shell steps as the runner would, each in its
// own `bash --noprofile --norc -eo pipefail` with the workflow's, job's and step's variables, in
// one workspace: `go` is a stub that records `go install` (the built commands are on PATH), and
// the app's tests are a request through the proxy. The steps must start both, wait for them,
// and leave contract.xml written when the tests pass and when they fail.
func TestTheGitHubActionsRecipeRuns(t *testing.T) {
	requireTools(t)
	w, j := recipe(t)
	const request = `curl -sf -o /dev/null -H "Authorization: Bearer $(curl -sf "$RESTREAM_API/__mock/tokens" -d '{"userId":2046371}' | sed -n 's/.*"accessToken":"\([^"]*\)".*/\1/p')" "$RESTREAM_API/v2/user/profile"`
	for _, tc := range []struct {
		name     string
		appTests string
		fails    bool
	}{
		{"when the app's tests pass", request, false},
		{"when the app's tests fail", request + " && false", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := moved(t)
			workspace, stubs := t.TempDir(), t.TempDir()
			installs := filepath.Join(stubs, "installs")
			stub := "#!/bin/sh\ncase \"$1 $2\" in\n\"install github.com/restreamkit/restreamkit/cmd/\"*) echo \"$2\" >> " + installs + " ;;\n*) echo \"stub go: $*\" >&2; exit 1 ;;\nesac\n"
			if err := os.WriteFile(filepath.Join(stubs, "go"), []byte(stub), 0o755); err != nil {
				t.Fatal(err)
			}
			failed := false
			for i, s := range j.Steps {
				if s.Run == "" || (failed && s.If != "always()") {
					continue
				}
				script := m.Rewrite(appTestLine.ReplaceAllLiteralString(s.Run, tc.appTests))
				environ := env(m, "PATH="+stubs+string(os.PathListSeparator)+binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
				for _, vars := range []map[string]string{w.Env, j.Env, s.Env} {
					for k, v := range vars {
						environ = append(environ, k+"="+m.Rewrite(v))
					}
				}
				sh := runShell(t, workspace, environ, "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
				if sh.err != nil {
					failed = true
				}
				if wantErr := tc.fails && appTestLine.MatchString(s.Run); (sh.err != nil) != wantErr {
					t.Errorf("step %d (%s): %v\nstdout:\n%s\nstderr:\n%s", i+1, s.Name, sh.err, excerpt(sh.stdout), excerpt(sh.stderr))
				}
			}
			if !slices.ContainsFunc(j.Steps, func(s step) bool { return appTestLine.MatchString(s.Run) }) {
				t.Fatalf("no step runs `make app-test`, the line this test replaces with a request")
			}
			got, err := os.ReadFile(installs)
			if want := "github.com/restreamkit/restreamkit/cmd/restream-mock@" + w.Env["RESTREAMKIT_VERSION"] + "\n" +
				"github.com/restreamkit/restreamkit/cmd/restream-proxy@" + w.Env["RESTREAMKIT_VERSION"] + "\n"; err != nil || string(got) != want {
				t.Errorf("go install got %q (%v), want %q", got, err, want)
			}
			junit, err := os.ReadFile(filepath.Join(workspace, "contract.xml"))
			if err != nil || !strings.Contains(string(junit), `<testcase name="getUserProfile"`) {
				t.Errorf("contract.xml (%v):\n%s", err, junit)
			}
		})
	}
}
