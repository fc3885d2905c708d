// Package clitest helps the commands' tests drive the real binaries: it builds the command of
// the package under test once, runs the tests, and removes the binary afterwards.
package clitest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Main builds the command in the current directory as name, stores its path in *binary, runs the
// package's tests and exits with their code. Call it from TestMain.
func Main(m *testing.M, name string, binary *string) {
	dir, err := os.MkdirTemp("", name+"-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*binary = filepath.Join(dir, name)
	build := exec.Command("go", "build", "-o", *binary, ".")
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
