package mock_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any goroutine outlives the tests: a socket reader or writer of the
// feeds, a simulated stream, a chat script, or a server the harness forgot to close. No
// goroutine needs to be ignored: the harness closes its servers, and httptest.Server.Close also
// closes the idle keep-alive connections of http.DefaultTransport, which the harness's clients
// and websocket.Dial use, so the transport's goroutines end too.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
