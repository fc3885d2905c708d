//go:build unix

package walkthrough_test

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/restreamkit/restreamkit/internal/ghactions"
	"github.com/restreamkit/restreamkit/internal/release"
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
		{"restreamkit is the release set once at the top, installed by its action", func(t *testing.T) {
			version := w.Env["RESTREAMKIT_VERSION"]
			if !exactVersion.MatchString(version) {
				t.Errorf("env RESTREAMKIT_VERSION: %q, want a vX.Y.Z tag", version)
			}
			i := slices.IndexFunc(j.Steps, func(s step) bool { return strings.HasPrefix(s.Uses, "restreamkit/restreamkit@") })
			if i < 0 {
				t.Fatal("no step uses the restreamkit action")
			}
			if s := j.Steps[i]; s.Uses != "restreamkit/restreamkit@"+version || s.With["version"] != "${{ env.RESTREAMKIT_VERSION }}" {
				t.Errorf("%s with version %q: want @%s and ${{ env.RESTREAMKIT_VERSION }}", s.Uses, s.With["version"], version)
			}
			if strings.Contains(runs, "@latest") || strings.Contains(runs, "go install") {
				t.Error("the recipe compiles restreamkit instead of downloading the release")
			}
		}},
		{"it waits until the proxy answers (the action waits for the mock)", func(t *testing.T) {
			if !strings.Contains(runs, "127.0.0.1:8090/__proxy/healthz") {
				t.Error("no step waits for 127.0.0.1:8090/__proxy/healthz")
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

// TestTheGitHubActionsRecipeRuns runs the recipe's steps as the runner would (internal/ghactions):
// the restreamkit action from this tree, its release built from the commands just built and laid
// out as the download URL serves it; each `run:` step in its own bash with the workflow's, job's
// and step's variables and what earlier steps exported, in one workspace; the app's tests are a
// request through the proxy. The steps must start both, wait for them, and leave contract.xml
// written when the tests pass and when they fail.
func TestTheGitHubActionsRecipeRuns(t *testing.T) {
	requireTools(t)
	w, j := recipe(t)
	version := w.Env["RESTREAMKIT_VERSION"]
	releases := t.TempDir()
	o := release.Options{Root: "../..", Version: version, Out: filepath.Join(releases, version),
		Commands: []string{"restream-mock", "restream-proxy"}, Time: time.Unix(1795000000, 0)}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		t.Fatal(err)
	}
	host := release.Target{OS: runtime.GOOS, Arch: runtime.GOARCH}
	if _, err := release.Archives(o, []release.Built{{Target: host, Dir: binDir}}); err != nil {
		t.Fatal(err)
	}
	action, err := ghactions.LoadAction("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
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
			workspace := t.TempDir()
			// The PATH holds no restreamkit command: the action must install them.
			r := &ghactions.Runner{Workspace: workspace, Temp: t.TempDir(), Env: env(m, "PATH="+os.Getenv("PATH")),
				Exec: func(dir string, environ []string, script string) (string, string, error) {
					sh := runShell(t, dir, environ, "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
					return sh.stdout, sh.stderr, sh.err
				}}
			failed, ranTests := false, false
			for i, s := range j.Steps {
				if failed && s.If != "always()" {
					continue
				}
				var res ghactions.Result
				var err error
				switch {
				case strings.HasPrefix(s.Uses, "restreamkit/restreamkit@"):
					with := map[string]string{}
					for k, v := range s.With {
						with[k] = strings.ReplaceAll(v, "${{ env.RESTREAMKIT_VERSION }}", version)
					}
					// The release comes from here; the mock takes a free port, its feeds none.
					with["release-url"] = "file://" + releases
					_, with["port"], _ = strings.Cut(m.Rewrite("127.0.0.1:8080"), ":")
					with["args"] += " --streaming-addr= --chat-addr="
					res, err = r.RunAction(action, "../..", with)
				case s.Uses != "":
					continue // checkout, the JUnit report: the workspace and the check below stand in
				default:
					stepEnv := map[string]string{}
					for _, vars := range []map[string]string{w.Env, j.Env, s.Env} {
						for k, v := range vars {
							stepEnv[k] = m.Rewrite(v)
						}
					}
					ranTests = ranTests || appTestLine.MatchString(s.Run)
					res, err = r.Run(m.Rewrite(appTestLine.ReplaceAllLiteralString(s.Run, tc.appTests)), stepEnv)
				}
				if err != nil {
					failed = true
				}
				if wantErr := tc.fails && appTestLine.MatchString(s.Run); (err != nil) != wantErr {
					t.Errorf("step %d (%s): %v\nstdout:\n%s\nstderr:\n%s", i+1, s.Name, err, excerpt(res.Stdout), excerpt(res.Stderr))
				}
			}
			if !ranTests {
				t.Fatalf("no step runs `make app-test`, the line this test replaces with a request")
			}
			junit, err := os.ReadFile(filepath.Join(workspace, "contract.xml"))
			if err != nil || !strings.Contains(string(junit), `<testcase name="getUserProfile"`) {
				t.Errorf("contract.xml (%v):\n%s", err, junit)
			}
		})
	}
}
