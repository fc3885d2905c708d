package conformance

import (
	"fmt"
	"testing"
)

// T is what the suites need of a test. *testing.T satisfies it, so the package's tests pass
// their own t; the restream-check command passes a recorder of its own (a Runner), because a
// binary cannot make a *testing.T.
type T interface {
	Helper()
	Name() string
	Logf(format string, args ...any)
	Errorf(format string, args ...any)
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
}

// Runner is a T that runs subchecks itself: the restream-check command's recorder. Sub runs f as
// the subcheck name of the check and reports whether it passed (true when the selection left it
// out, as *testing.T.Run does); Partial reports whether the selection left out any subcheck of
// this check, so that a suite's "everything was covered" assertion does not fail for a selection.
type Runner interface {
	T
	Sub(name string, f func(T)) bool
	Partial() bool
}

// Run runs f as the subtest (or subcheck) name of t: t.Run for a *testing.T, Sub for a Runner.
// The suites call it where they would call t.Run.
func Run(t T, name string, f func(T)) bool {
	switch t := t.(type) {
	case *testing.T:
		return t.Run(name, func(t *testing.T) { f(t) })
	case Runner:
		return t.Sub(name, f)
	}
	panic(fmt.Sprintf("conformance.Run: %T runs no subtests", t))
}

// partial reports whether t is a Runner whose selection left out some of its subchecks. A
// *testing.T never is: go test -run keeps its usual meaning for the package's tests.
func partial(t T) bool {
	r, ok := t.(Runner)
	return ok && r.Partial()
}
