package wsmock

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/clock"
)

// TestMain fails the run if any goroutine of a feed or of a test client is left behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The users of the tests and their tokens.
const (
	userNova int64 = 1001
	userTech int64 = 1002
)

var testTokens = map[string]int64{"token-nova": userNova, "token-tech": userTech}

// authenticate accepts the tokens of testTokens, the way the oauth package answers otherwise.
func authenticate(token string) (int64, error) {
	if token == "" {
		return 0, apierror.New(http.StatusUnauthorized, apierror.NameInvalidToken, "Invalid token: access token is missing")
	}
	if uid, ok := testTokens[token]; ok {
		return uid, nil
	}
	return 0, apierror.New(http.StatusUnauthorized, apierror.NameInvalidToken, "Invalid token: access token is invalid")
}

// harness is a feed served by an httptest server, shut down when the test ends.
type harness struct {
	feed  *Feed
	srv   *httptest.Server
	clock *clock.Clock
}

func newHarness(t testing.TB, mod func(*Options)) *harness {
	t.Helper()
	clk := clock.New()
	opts := Options{Name: "test", Clock: clk, Authenticate: authenticate}
	if mod != nil {
		mod(&opts)
	}
	f, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(f)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := f.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		srv.Close()
	})
	return &harness{feed: f, srv: srv, clock: clk}
}

// url is the feed's WebSocket URL with token as accessToken; "" leaves the parameter out.
func (h *harness) url(token string) string {
	u := "ws" + strings.TrimPrefix(h.srv.URL, "http") + "/ws"
	if token != "" {
		u += "?accessToken=" + token
	}
	return u
}

// dial opens a socket and closes it when the test ends.
func (h *harness) dial(t testing.TB, token string) *websocket.Conn {
	t.Helper()
	c, err := h.tryDial(token)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

func (h *harness) tryDial(token string) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, h.url(token), &websocket.DialOptions{HTTPClient: h.srv.Client()})
	return c, err
}

// waitConns waits until the feed counts n open sockets: a socket is subscribed once counted.
func (h *harness) waitConns(t testing.TB, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for h.feed.Stats().Connections != n {
		if time.Now().After(deadline) {
			t.Fatalf("the feed has %d sockets, want %d", h.feed.Stats().Connections, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// read returns the next frame of c as a string.
func read(t testing.TB, c *websocket.Conn) string {
	t.Helper()
	s, err := tryRead(c)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return s
}

func tryRead(c *websocket.Conn) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	typ, b, err := c.Read(ctx)
	if err != nil {
		return "", err
	}
	if typ != websocket.MessageText {
		return "", errors.New("got a binary frame; the feeds send text")
	}
	return string(b), nil
}

// readClose reads until the socket closes and returns the close error and the frames before it.
func readClose(t testing.TB, c *websocket.Conn) (websocket.CloseError, []string) {
	t.Helper()
	ce, frames, err := tryReadClose(c)
	if err != nil {
		t.Fatal(err)
	}
	return ce, frames
}

func tryReadClose(c *websocket.Conn) (websocket.CloseError, []string, error) {
	var frames []string
	for {
		s, err := tryRead(c)
		if err == nil {
			frames = append(frames, s)
			continue
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) {
			return ce, frames, fmt.Errorf("the socket ended without a close frame after %d frames: %w", len(frames), err)
		}
		return ce, frames, nil
	}
}
