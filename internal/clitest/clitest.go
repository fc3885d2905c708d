// Package clitest helps the commands' tests drive the real binaries: it builds the command of
// the package under test (or the commands a package's tests drive) once, runs the tests, and
// removes the binaries afterwards; it runs a
// binary to completion or watches a running one's output; and it checks the command-line rules
// internal/cli gives every command (CommandLineRules).
package clitest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Main builds the command in the current directory as name, stores its path in *binary, runs the
// package's tests and exits with their code. Call it from TestMain.
func Main(m *testing.M, name string, binary *string) {
	buildAndRun(m, name, func(dir string) []string {
		*binary = filepath.Join(dir, name)
		return []string{"-o", *binary, "."}
	})
}

// MainCommands builds the commands pkgs (package paths, such as ../../cmd/restream-mock) into
// one temporary directory, stores it in *dir (put it first on PATH to run them by name), runs
// the package's tests and exits with their code. Call it from TestMain of a package whose tests
// drive several commands.
func MainCommands(m *testing.M, dir *string, pkgs ...string) {
	buildAndRun(m, "commands", func(d string) []string {
		*dir = d
		return append([]string{"-o", d + string(filepath.Separator)}, pkgs...)
	})
}

// buildAndRun runs go build with the arguments args returns for a fresh temporary directory, then
// the tests, removes the directory and exits with the tests' code.
func buildAndRun(m *testing.M, name string, args func(dir string) []string) {
	dir, err := os.MkdirTemp("", name+"-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	build := exec.Command("go", append([]string{"build"}, args(dir)...)...)
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(dir)
		fmt.Fprintf(os.Stderr, "building %s: %v\n", name, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// RequireNodeEnv, set to 1, turns the skip of tests that need node and an npm package into a
// failure, so that CI proves they ran: RESTREAM_REQUIRE_NODE=1 make test.
const RequireNodeEnv = "RESTREAM_REQUIRE_NODE"

// Node returns node's path when node is installed and root's node_modules holds pkg (npm ci at
// the repository root). Otherwise it skips the test, or fails it under RequireNodeEnv=1.
func Node(t testing.TB, root, pkg string) string {
	t.Helper()
	missing := func(reason string) {
		t.Helper()
		if os.Getenv(RequireNodeEnv) == "1" {
			t.Fatalf("%s, and %s=1 requires the tests that run on node", reason, RequireNodeEnv)
		}
		t.Skipf("%s (set %s=1 to make this a failure)", reason, RequireNodeEnv)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed")
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", filepath.FromSlash(pkg), "package.json")); err != nil {
		missing(fmt.Sprintf("the npm package %s is not installed: run `npm ci` in %s", pkg, root))
	}
	return node
}

// NPM returns npm's path when it is installed. Otherwise it skips the test, or fails it under
// RequireNodeEnv=1.
func NPM(t testing.TB) string {
	t.Helper()
	npm, err := exec.LookPath("npm")
	if err != nil {
		if os.Getenv(RequireNodeEnv) == "1" {
			t.Fatalf("npm is not installed, and %s=1 requires the tests that run on node", RequireNodeEnv)
		}
		t.Skipf("npm is not installed (set %s=1 to make this a failure)", RequireNodeEnv)
	}
	return npm
}

// Run runs binary to completion with env added to the test's environment, and returns its exit
// code and what it wrote to standard output and standard error. A binary still running after a
// minute (one that accepted a configuration meant to fail, and serves) is killed, failing the test.
func Run(t testing.TB, binary string, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %q did not exit:\n%s", filepath.Base(binary), args, errOut.String())
	}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

// Output collects what a running command writes to one of its streams, safe to read while the
// command runs. Set it as exec.Cmd.Stdout or Stderr (exec copies into it) and wait for a line
// with Await.
type Output struct {
	mu      sync.Mutex
	buf     strings.Builder
	changed chan struct{}
}

// NewOutput returns an empty Output.
func NewOutput() *Output { return &Output{changed: make(chan struct{})} }

// Write implements io.Writer.
func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	close(o.changed)
	o.changed = make(chan struct{})
	return len(p), nil
}

// String returns everything written so far.
func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// Await waits until a line of the output matches re and returns the match's submatches. It fails
// the test when exited (nil for none) is closed first, or after a minute.
func (o *Output) Await(t testing.TB, re *regexp.Regexp, exited <-chan struct{}) []string {
	t.Helper()
	timeout := time.After(time.Minute)
	for {
		o.mu.Lock()
		s, changed := o.buf.String(), o.changed
		o.mu.Unlock()
		for line := range strings.Lines(s) {
			if m := re.FindStringSubmatch(strings.TrimSuffix(line, "\n")); m != nil && strings.HasSuffix(line, "\n") {
				return m
			}
		}
		select {
		case <-changed:
		case <-exited:
			t.Fatalf("the command exited before printing a line matching %s:\n%s", re, o.String())
		case <-timeout:
			t.Fatalf("no line matching %s after a minute:\n%s", re, o.String())
		}
	}
}

// Rules describes a command for CommandLineRules.
type Rules struct {
	// Binary is the built command; EnvPrefix its variables' prefix (RESTREAM_MOCK_).
	Binary, EnvPrefix string
	// Numeric lists numeric flags the command must have: the test finds every numeric flag in
	// --help and tries a negative value on each, and these prove that finding works.
	Numeric []string
	// AddrFlags are the flags that choose a listen address; Args (every address on 127.0.0.1:0
	// or off) and Env are what the command needs to get as far as listening.
	AddrFlags []string
	Args, Env []string
}

// numericFlag is a line of pflag's usage for a number or a duration: "  --journal-size int  ...".
var numericFlag = regexp.MustCompile(`(?m)^\s+(?:-\w, )?--([\w-]+) (int|int8|int16|int32|int64|float32|float64|duration)\s`)

// CommandLineRules checks the rules internal/cli gives every command, on the real binary: --help
// prints the usage to stdout and exits 0; positional arguments are an error naming them; every
// numeric flag refuses a negative value, from the command line or the environment, naming both;
// an address in use names the flag and variable that choose another.
func CommandLineRules(t *testing.T, r Rules) {
	t.Run("--help prints the usage and exits 0", func(t *testing.T) {
		for _, arg := range []string{"--help", "-h"} {
			code, stdout, stderr := Run(t, r.Binary, nil, arg)
			if code != 0 || !strings.HasPrefix(stdout, "Usage: ") || strings.Contains(stdout+stderr, "pflag") || stderr != "" {
				t.Fatalf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", arg, code, stdout, stderr)
			}
		}
	})
	t.Run("positional arguments are an error naming them", func(t *testing.T) {
		code, _, stderr := Run(t, r.Binary, nil, "--log-level", "info", "serve", "now")
		if code != 1 || !strings.Contains(stderr, `unexpected arguments "serve", "now"`) {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	})
	_, help, _ := Run(t, r.Binary, nil, "--help")
	found := map[string]string{}
	for _, m := range numericFlag.FindAllStringSubmatch(help, -1) {
		found[m[1]] = m[2]
	}
	for _, name := range r.Numeric {
		if found[name] == "" {
			t.Errorf("--help shows no numeric flag --%s:\n%s", name, help)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(found)) {
		typ := found[name]
		negative := "-1"
		if typ == "duration" {
			negative = "-1s"
		}
		env := r.EnvPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		want := "--" + name + " " + negative + " (" + env + "): must not be negative"
		t.Run("a negative --"+name+" is refused", func(t *testing.T) {
			if code, _, stderr := Run(t, r.Binary, r.Env, append(slices.Clone(r.Args), "--"+name+"="+negative)...); code != 1 || !strings.Contains(stderr, want) {
				t.Fatalf("exit %d, want %q: %s", code, want, stderr)
			}
			if code, _, stderr := Run(t, r.Binary, append(slices.Clone(r.Env), env+"="+negative), r.Args...); code != 1 || !strings.Contains(stderr, want) {
				t.Fatalf("from the environment: exit %d, want %q: %s", code, want, stderr)
			}
		})
	}
	for _, name := range r.AddrFlags {
		t.Run("--"+name+" in use names the flag and variable", func(t *testing.T) {
			busy, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer busy.Close()
			env := r.EnvPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
			want := fmt.Sprintf("--%s %s (%s): address already in use; choose another with --%s or %s", name, busy.Addr(), env, name, env)
			code, _, stderr := Run(t, r.Binary, r.Env, append(slices.Clone(r.Args), "--"+name, busy.Addr().String())...)
			if code != 1 || !strings.Contains(stderr, want) {
				t.Fatalf("exit %d, want %q: %s", code, want, stderr)
			}
		})
	}
}
