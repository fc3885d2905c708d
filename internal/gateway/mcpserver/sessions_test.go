package mcpserver

import (
	"net/http"
	"testing"
	"testing/synctest"
	"time"
)

// inBubble serves a fresh server in-process inside a synctest bubble, where time.Sleep moves a
// fake clock: the session timers run on it.
func inBubble(t *testing.T, opts Options, f func(t *testing.T, c rpc, srv *Server)) {
	synctest.Test(t, func(t *testing.T) {
		srv, err := New(testAdapter(), newFakeInvoker(), opts)
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		f(t, rpc{t: t, url: "http://127.0.0.1/mcp", client: &http.Client{Transport: handlerTransport{srv.Handler()}}}, srv)
	})
}

// alive reports whether a session still answers.
func alive(c rpc, session string) bool {
	c.t.Helper()
	r := c.do(http.MethodPost, `{"jsonrpc":"2.0","id":9,"method":"tools/list"}`,
		"Mcp-Session-Id", session, "MCP-Protocol-Version", v20251125)
	switch r.Status {
	case http.StatusOK:
		return true
	case http.StatusNotFound:
		return false
	}
	c.t.Fatalf("tools/list on session: %d %s", r.Status, r.Body)
	return false
}

func TestAnIdleSessionExpires(t *testing.T) {
	inBubble(t, Options{SessionIdleTimeout: time.Minute}, func(t *testing.T, c rpc, _ *Server) {
		session := c.initialize(v20251125)
		time.Sleep(59 * time.Second)
		if !alive(c, session) {
			t.Fatal("the session expired before its idle timeout")
		}
		// The request above restarted the idle clock.
		time.Sleep(59 * time.Second)
		if !alive(c, session) {
			t.Fatal("a request did not restart the idle clock")
		}
		time.Sleep(61 * time.Second)
		synctest.Wait()
		if alive(c, session) {
			t.Error("the session outlived its idle timeout")
		}
	})
}

func TestOpeningASessionOverTheCapClosesTheLeastRecentlyUsed(t *testing.T) {
	inBubble(t, Options{MaxSessions: 2}, func(t *testing.T, c rpc, srv *Server) {
		a := c.initialize(v20251125)
		time.Sleep(time.Second)
		b := c.initialize(v20250618)
		time.Sleep(time.Second)
		alive(c, a) // a is now the most recently used
		time.Sleep(time.Second)

		d := c.initialize(v20251125)
		synctest.Wait()
		if !alive(c, a) || !alive(c, d) {
			t.Error("a recently used session or the new one was closed")
		}
		if alive(c, b) {
			t.Error("the session idle the longest is still open beyond the cap")
		}
		n := 0
		for range srv.stateful.Sessions() {
			n++
		}
		if n != 2 {
			t.Errorf("%d sessions open, want the cap, 2", n)
		}
	})
}

func TestDeletedAndExpiredSessionsFreeTheirSlot(t *testing.T) {
	inBubble(t, Options{MaxSessions: 2, SessionIdleTimeout: time.Minute}, func(t *testing.T, c rpc, _ *Server) {
		a := c.initialize(v20251125)
		b := c.initialize(v20251125)
		if r := c.do(http.MethodDelete, "", "Mcp-Session-Id", a); r.Status != http.StatusNoContent {
			t.Fatalf("DELETE: %d", r.Status)
		}
		d := c.initialize(v20251125)
		if !alive(c, b) || !alive(c, d) {
			t.Fatal("a session was closed although the deleted one freed a slot")
		}
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		e := c.initialize(v20251125)
		f := c.initialize(v20251125)
		if !alive(c, e) || !alive(c, f) {
			t.Error("new sessions were closed although the expired ones freed their slots")
		}
	})
}
