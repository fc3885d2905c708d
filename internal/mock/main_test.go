package mock_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any goroutine outlives the tests: a socket reader or writer of the
// feeds, a simulated stream, a chat script, or a server the harness forgot to close. No
// goroutine needs to be ignored: the harness closes its servers, and httptest.Server.Close also
// closes the idle keep-alive connections of http.DefaultTransport, which the harness's clients
// and websocket.Dial use, so the transport's goroutines end too.
//
// After a full, passing run it also checks that every error name the spec lists for an operation
// was sent by some test (checkEveryListedNameWasSent).
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 && fullRun() {
		if err := checkEveryListedNameWasSent(); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL:", err)
			code = 1
		}
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak: errors on successful test run:", err)
			code = 1
		}
	}
	os.Exit(code)
}
