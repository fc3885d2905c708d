package proxy_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/restreamkit/restreamkit/internal/conformance"
	"github.com/restreamkit/restreamkit/internal/proxy"
)

// serve runs srv (from Proxy.HTTPServer) on a free loopback port until the test ends and returns
// its base URL.
func serve(t *testing.T, srv *http.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return "http://" + ln.Addr().String()
}

// shortTimeouts are server timeouts a test can wait out.
var shortTimeouts = proxy.Options{ReadHeaderTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond,
	WriteTimeout: 200 * time.Millisecond, IdleTimeout: 200 * time.Millisecond}

// servedProxy serves a proxy built from opts through its own HTTPServer.
func servedProxy(t *testing.T, opts proxy.Options) (*proxy.Proxy, string) {
	t.Helper()
	p, err := proxy.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p, serve(t, p.HTTPServer("", p.Handler()))
}

// waitClosed reads from c until the server closes it and returns what it read. The deadline is
// far above any timeout under test: reaching it means the server left the connection open.
func waitClosed(t *testing.T, c net.Conn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(15 * time.Second))
	b, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the proxy left the connection open (read so far: %q)", b)
	}
	return string(b)
}

// rawConn opens a TCP connection to a base URL and writes what to it.
func rawConn(t *testing.T, base, what string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, what); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestIdleAndSlowConnectionsAreClosed(t *testing.T) {
	up := newBrokenUpstream(t)
	up.answer.Store(&canned{200, "application/json", `[]`})
	opts := shortTimeouts
	opts.Upstream = mustURL(t, up.url)
	_, base := servedProxy(t, opts)
	cases := []struct {
		name, send string
		answers    []string // what the client may read before the close
	}{
		{"a connection that never sends a request", "", []string{""}},
		{"a request whose headers never end", "GET /v2/platform/all HTTP/1.1\r\nHost: x\r\n", []string{""}},
		{"a keep-alive connection left idle after an exchange", "GET /v2/platform/all HTTP/1.1\r\nHost: x\r\n\r\n", []string{"HTTP/1.1 200 OK"}},
		// The 400 envelope is sent when the write timeout allows it; the close is what counts.
		{"a request body that never ends", "POST /v2/user/channels HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"platf", []string{"", "HTTP/1.1 400 Bad Request"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := waitClosed(t, rawConn(t, base, tc.send))
			for _, a := range tc.answers {
				if a == "" && got == "" || a != "" && strings.HasPrefix(got, a) {
					return
				}
			}
			t.Fatalf("want one of %q before the close, got %q", tc.answers, got)
		})
	}
}

func TestAHeaderOverTheLimitGets431(t *testing.T) {
	up := newBrokenUpstream(t)
	up.answer.Store(&canned{200, "application/json", `[]`})
	_, base := servedProxy(t, proxy.Options{Upstream: mustURL(t, up.url), MaxHeaderBytes: 4 << 10})
	cases := []struct {
		name     string
		size     int
		status   int
		envelope bool // the proxy's own 431 envelope, or net/http's refusal far over the limit
	}{
		{"headers under the limit pass", 2 << 10, 200, false},
		{"headers a little over the limit", 6 << 10, 431, true},
		{"headers far over the limit", 64 << 10, 431, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", base+"/v2/platform/all", nil)
			req.Header.Set("X-Padding", strings.Repeat("p", tc.size))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			switch {
			case tc.envelope:
				conformance.WantError(t, res.StatusCode, body, 431, "request_header_fields_too_large", "limit")
			case res.StatusCode != tc.status:
				t.Fatalf("want %d, got %d %s", tc.status, res.StatusCode, body)
			}
			if tc.status == 431 && up.hits.Load() != 1 {
				t.Fatalf("a refused request must not reach the upstream (%d hits)", up.hits.Load())
			}
		})
	}
}

// slowUpstream sends the first half of a response, then the rest once release is closed.
func slowUpstream(t *testing.T, release <-chan struct{}) string {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `[{"id":1,"name":"Twitch","url":"https://twitch.tv",`)
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, `"image":{"png":"https://a.io/1.png","svg":"https://a.io/1.svg"}}]`)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// outlastTimeouts returns once the proxy's server timeouts have run out, a whole timeout ago, for
// anything that started before the call: two connections in a row, each with a body that never
// ends, are closed by the same read timeout.
func outlastTimeouts(t *testing.T, base string) {
	t.Helper()
	for range 2 {
		waitClosed(t, rawConn(t, base, "POST /v2/user/channels HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{"))
	}
}

func TestExchangesAndWebSocketsOutliveTheServerTimeouts(t *testing.T) {
	t.Run("a response that streams longer than the timeouts", func(t *testing.T) {
		release := make(chan struct{})
		opts := shortTimeouts
		opts.Upstream, opts.UpstreamTimeout = mustURL(t, slowUpstream(t, release)), 30*time.Second
		p, base := servedProxy(t, opts)
		res, err := http.Get(base + "/v2/platform/all")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		br := bufio.NewReader(res.Body)
		if _, err := br.ReadString(','); err != nil {
			t.Fatal(err)
		}
		outlastTimeouts(t, base)
		close(release)
		rest, err := io.ReadAll(br)
		if err != nil || !strings.HasSuffix(string(rest), `}]`) {
			t.Fatalf("the response was cut: %v %q", err, rest)
		}
		if n := p.Violations(); n != 0 {
			t.Fatalf("the whole response must have been validated cleanly:\n%s", violations(t, p))
		}
	})
	t.Run("a relayed WebSocket", func(t *testing.T) {
		feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := websocket.Accept(w, r, nil)
			if err != nil {
				return
			}
			defer c.CloseNow()
			for { // answer every client frame with a heartbeat
				if _, _, err := c.Read(r.Context()); err != nil {
					return
				}
				if err := c.Write(r.Context(), websocket.MessageText, []byte(goodHeartbeat)); err != nil {
					return
				}
			}
		}))
		defer feed.Close()
		opts := shortTimeouts
		opts.Upstream, opts.ChatUpstream = mustURL(t, "http://127.0.0.1:1"), mustURL(t, wsURL(feed.URL))
		_, base := servedProxy(t, opts)
		c := dial(t, wsURL(base)+"/chat/ws?accessToken=x")
		outlastTimeouts(t, base)
		if err := c.Write(t.Context(), websocket.MessageText, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		readUntil(t, c, "heartbeat")
	})
}

func TestWebSocketsOverTheLimitGet503(t *testing.T) {
	feed := brokenFeed(t, goodHeartbeat)
	_, base := startProxy(t, proxy.Options{Upstream: mustURL(t, "http://127.0.0.1:1"), ChatUpstream: mustURL(t, feed), MaxWebSockets: 2})
	first := dial(t, wsURL(base)+"/chat/ws?accessToken=good")
	dial(t, wsURL(base)+"/chat/ws?accessToken=good")
	readUntil(t, first, "heartbeat")
	_, res, err := websocket.Dial(t.Context(), wsURL(base)+"/chat/ws?accessToken=good", nil)
	if err == nil {
		t.Fatal("a third WebSocket must be refused")
	}
	body, _ := io.ReadAll(res.Body)
	conformance.WantError(t, res.StatusCode, body, 503, "too_many_websockets", "limit is 2")
	first.Close(websocket.StatusNormalClosure, "")
	// The slot is free again once the relay has ended, which the proxy sees a moment after the
	// close handshake: poll until it does.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		c, res, err := websocket.Dial(t.Context(), wsURL(base)+"/chat/ws?accessToken=good", nil)
		if err == nil {
			c.CloseNow()
			return
		}
		if res == nil || res.StatusCode != 503 || time.Now().After(deadline) {
			t.Fatalf("a freed slot must take a new WebSocket: %v", err)
		}
	}
}
