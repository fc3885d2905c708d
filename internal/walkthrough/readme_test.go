//go:build unix

package walkthrough_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/restreamkit/restreamkit/internal/clitest"
	"github.com/restreamkit/restreamkit/internal/walkthrough"
)

// binDir holds the just-built restream-mock, restream-proxy and restream-check; the walkthroughs
// find them first on PATH.
var binDir string

func TestMain(m *testing.M) {
	clitest.MainCommands(m, &binDir, "../../cmd/restream-mock", "../../cmd/restream-proxy", "../../cmd/restream-check")
}

const readmePath = "../../README.md"

func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// requireTools fails the test when a tool the walkthroughs use is missing: every CI machine has
// them, so a skip would only hide that the README went unchecked.
func requireTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"bash", "curl", "sed", "grep"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the README's walkthroughs need %s: %v", tool, err)
		}
	}
}

// moved picks free ports for every default address of the two commands, as their --help shows
// them, so that nothing a walkthrough starts or calls touches 8080 and its neighbours.
func moved(t *testing.T) *walkthrough.Moved {
	t.Helper()
	var addrs []walkthrough.Addr
	for _, name := range []string{"restream-mock", "restream-proxy"} {
		_, help, _ := clitest.Run(t, filepath.Join(binDir, name), nil, "--help")
		found := walkthrough.DefaultAddrs(help)
		if len(found) != 3 {
			t.Fatalf("%s --help shows %d default loopback addresses, want 3 (API, streaming, chat):\n%s", name, len(found), help)
		}
		addrs = append(addrs, found...)
	}
	m, err := walkthrough.Move(addrs)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// env is the environment of everything a walkthrough runs: the built commands first on PATH and
// every default address moved.
func env(m *walkthrough.Moved, extra ...string) []string {
	e := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		// The caller's own settings for the commands, or a file bash would source first, would
		// change what the README promises.
		return strings.HasPrefix(kv, "RESTREAM_MOCK_") || strings.HasPrefix(kv, "RESTREAM_PROXY_") || strings.HasPrefix(kv, "RESTREAM_CHECK_") ||
			strings.HasPrefix(kv, "PATH=") || strings.HasPrefix(kv, "BASH_ENV=") || strings.HasPrefix(kv, "ENV=")
	})
	e = append(e, "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	e = append(e, m.Env()...)
	return append(e, extra...)
}

// startMock starts a fresh restream-mock on the moved default addresses, as `make run` would
// on the real ones, and stops it with the test.
func startMock(t *testing.T, m *walkthrough.Moved) {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "restream-mock"))
	cmd.Env = env(m)
	out := clitest.NewOutput()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-exited })
	out.Await(t, regexp.MustCompile(`REST, OAuth and control API on http://`), exited)
}

// shell is a bash run: the script, where it runs and what it printed.
type shell struct {
	err            error
	stdout, stderr string
}

// runShell runs bash with args in dir, in its own process group so that whatever the script
// left running in the background (a walkthrough's `restream-mock &`) is killed with the group
// afterwards. Output goes to files, not pipes, so that a background process holding them open
// does not keep the run from ending. A run over a minute is killed.
func runShell(t *testing.T, dir string, environ []string, args ...string) shell {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", args...)
	cmd.Dir, cmd.Env = dir, environ
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	logs := t.TempDir()
	stdout, err := os.Create(filepath.Join(logs, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	stderr, err := os.Create(filepath.Join(logs, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := cmd.Process.Pid
	t.Cleanup(func() { syscall.Kill(-pgid, syscall.SIGKILL) })
	runErr := cmd.Wait()
	if ctx.Err() != nil {
		runErr = fmt.Errorf("still running after a minute: %w", runErr)
	}
	o, _ := os.ReadFile(stdout.Name())
	e, _ := os.ReadFile(stderr.Name())
	return shell{err: runErr, stdout: string(o), stderr: string(e)}
}

// bashError is how bash reports an error of its own in the block: "…/block.sh: line 3: ACCESS:
// unbound variable".
var bashError = regexp.MustCompile(`block\.sh: line (\d+): (.*)`)

// run runs a walkthrough as a reader would paste it into bash, with `bash -euo pipefail`, in
// an empty directory, against a fresh mock when it asks for one, and returns every problem:
// the command that failed, and each sample no line of its command's output matches.
func run(t *testing.T, w walkthrough.Walkthrough) (problems []string, sh shell) {
	t.Helper()
	m := moved(t)
	if w.Mock {
		startMock(t, m)
	}
	scripts, outputs := t.TempDir(), t.TempDir()
	prelude := walkthrough.Prelude + "source " + strconv.Quote(filepath.Join(scripts, "block.sh")) + "\n"
	if err := os.WriteFile(filepath.Join(scripts, "prelude.sh"), []byte(prelude), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(scripts, "block.sh"), []byte(m.Rewrite(w.Script())), 0o644); err != nil {
		t.Fatal(err)
	}
	sh = runShell(t, t.TempDir(), env(m, "WALKTHROUGH_OUT="+outputs, "WALKTHROUGH_LINE="+strconv.Itoa(w.Line)),
		"-euo", "pipefail", filepath.Join(scripts, "prelude.sh"))
	if sh.err != nil {
		failed := "(no command reported)"
		if i := strings.LastIndex(sh.stderr, "walkthrough: "); i >= 0 {
			failed, _, _ = strings.Cut(sh.stderr[i+len("walkthrough: "):], "\n")
		} else if m := bashError.FindAllStringSubmatch(sh.stderr, -1); m != nil {
			// An expansion error (an unset variable) exits without the ERR trap; bash names the line.
			line, _ := strconv.Atoi(m[len(m)-1][1])
			failed = fmt.Sprintf("README.md:%d: %s", line+w.Line, m[len(m)-1][2])
		}
		problems = append(problems, fmt.Sprintf("the block failed (%v) at %s", sh.err, failed))
	}
	for _, c := range w.Commands {
		out, err := os.ReadFile(filepath.Join(outputs, strconv.Itoa(c.Line)))
		if errors.Is(err, os.ErrNotExist) {
			problems = append(problems, fmt.Sprintf("README.md:%d did not run: %s", c.Line, c.Text))
			continue
		}
		for _, e := range c.Expect {
			if !e.Matches(string(out)) {
				problems = append(problems, fmt.Sprintf("README.md:%d promises a line like\n\t%s\nbut\n\t%s\nprinted:\n%s",
					e.Line, e.Sample, c.Text, excerpt(string(out))))
			}
		}
	}
	return problems, sh
}

// excerpt returns the end of a long output: where a failing walkthrough stopped.
func excerpt(s string) string {
	const max = 4000
	if len(s) > max {
		return "…" + s[len(s)-max:]
	}
	return s
}

// walkthroughs returns the README's walkthroughs, failing when one is marked wrongly or when one
// of those this test exists for lost its mark.
func walkthroughs(t *testing.T) []walkthrough.Walkthrough {
	t.Helper()
	walks, err := walkthrough.Parse(readme(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, heading := range []string{"The OAuth flow with curl", "In CI"} {
		if !slices.ContainsFunc(walks, func(w walkthrough.Walkthrough) bool { return w.Heading == heading }) {
			t.Errorf("the block under %q is no longer marked as a walkthrough", heading)
		}
	}
	return walks
}

func TestTheREADMEWalkthroughsRunAsPasted(t *testing.T) {
	requireTools(t)
	for _, w := range walkthroughs(t) {
		t.Run(fmt.Sprintf("%s (README.md:%d)", w.Heading, w.Line), func(t *testing.T) {
			t.Parallel()
			problems, sh := run(t, w)
			if len(problems) > 0 {
				t.Errorf("%s\n\nstdout:\n%s\nstderr:\n%s", strings.Join(problems, "\n\n"), excerpt(sh.stdout), excerpt(sh.stderr))
			}
		})
	}
}

// TestABrokenWalkthroughFails proves the test above can fail: it breaks the README's OAuth
// walkthrough in the ways a careless edit would, and expects the problem named with its line.
func TestABrokenWalkthroughFails(t *testing.T) {
	requireTools(t)
	var oauth walkthrough.Walkthrough
	for _, w := range walkthroughs(t) {
		if w.Heading == "The OAuth flow with curl" {
			oauth = w
		}
	}
	if oauth.Line == 0 {
		t.Fatal("no OAuth walkthrough")
	}
	md := readme(t)
	lines := strings.Split(md, "\n")
	lineOf := func(t *testing.T, prefix string) int {
		t.Helper()
		for i := oauth.Line; i < oauth.Line+len(oauth.Lines); i++ {
			if strings.HasPrefix(lines[i], prefix) {
				return i + 1
			}
		}
		t.Fatalf("the OAuth walkthrough has no line starting with %q", prefix)
		return 0
	}
	for _, tc := range []struct {
		name string
		// edit changes the README's lines; want is a regexp the problems must match, given the
		// line the edit broke.
		edit func(t *testing.T, lines []string) (want string)
	}{
		{"a variable nothing sets stops the block at its first use", func(t *testing.T, lines []string) string {
			i := lineOf(t, "ACCESS=")
			lines[i-1] = ""
			use := lineOf(t, `curl -s -H "Authorization: Bearer $ACCESS"`)
			return `the block failed \(exit status 1\) at README\.md:` + strconv.Itoa(use) + `: `
		}},
		{"a sample the output does not match names the sample and the command", func(t *testing.T, lines []string) string {
			i := lineOf(t, "#> HTTP/1.1 200 OK")
			lines[i-1] = "#> HTTP/1.1 204 No Content"
			return `README\.md:` + strconv.Itoa(i) + ` promises a line like\n\tHTTP/1\.1 204 No Content\nbut\n\tcurl -si .*/oauth/revoke`
		}},
		{"a command that fails is named with its line", func(t *testing.T, lines []string) string {
			i := lineOf(t, "curl -si ")
			lines[i-1] = strings.NewReplacer("curl -si ", "curl -sif ", "/oauth/revoke", "/oauth/nope").Replace(lines[i-1])
			return `the block failed \(exit status 22\) at README\.md:` + strconv.Itoa(i) + `: `
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			broken := slices.Clone(lines)
			want := tc.edit(t, broken)
			walks, err := walkthrough.Parse(strings.Join(broken, "\n"))
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(walks, func(w walkthrough.Walkthrough) bool { return w.Line == oauth.Line })
			problems, sh := run(t, walks[i])
			if got := strings.Join(problems, "\n"); !regexp.MustCompile(want).MatchString(got) {
				t.Fatalf("problems:\n%s\nwant a match for %s\nstderr:\n%s", got, want, sh.stderr)
			}
		})
	}
}
