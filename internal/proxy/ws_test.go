package proxy_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/restreamkit/restreamkit/internal/conformance"
	"github.com/restreamkit/restreamkit/internal/proxy"
	"github.com/restreamkit/restreamkit/internal/validate"
	"github.com/restreamkit/restreamkit/restreamtest"
)

// wsURL turns an http:// test URL into ws://.
func wsURL(u string) string { return "ws" + strings.TrimPrefix(u, "http") }

// dial connects a WebSocket client, failing the test on error.
func dial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, res, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		body := ""
		if res != nil {
			b, _ := io.ReadAll(res.Body)
			body = string(b)
		}
		t.Fatalf("dialing %s: %v %s", url, err, body)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// readUntil reads frames until one has the action, returning every frame read.
func readUntil(t *testing.T, c *websocket.Conn, action string) []map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var frames []map[string]any
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("waiting for %s: %v (after %d frames)", action, err, len(frames))
		}
		var f map[string]any
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatalf("frame %s: %v", data, err)
		}
		frames = append(frames, f)
		if f["action"] == action {
			return frames
		}
	}
}

// mockWithFeeds serves a fake Restream with fast feeds and returns its URL and a token of nova.
func mockWithFeeds(t *testing.T) (string, string) {
	t.Helper()
	rs := restreamtest.NewServer(t, restreamtest.WithStreamInterval(20*time.Millisecond), restreamtest.WithHeartbeat(50*time.Millisecond))
	return rs.URL, rs.Token(conformance.Nova)
}

func TestTheMockFeedsCrossTheProxyWithoutViolations(t *testing.T) {
	mockURL, token := mockWithFeeds(t)
	p, proxyURL := startProxy(t, proxy.Options{Upstream: mustURL(t, mockURL),
		StreamingUpstream: mustURL(t, wsURL(mockURL)+"/streaming/ws"), ChatUpstream: mustURL(t, wsURL(mockURL)+"/chat/ws")})
	streaming := dial(t, wsURL(proxyURL)+"/streaming/ws?accessToken="+token)
	chat := dial(t, wsURL(proxyURL)+"/chat/ws?accessToken="+token)
	tg := conformance.Target{API: mockURL, Control: mockURL}
	if status, _, body := tg.Do(t, "POST", "/__mock/streams", "", "application/json", []byte(`{"userId":2046371,"intervalMs":20}`)); status != 201 {
		t.Fatalf("start: %d %s", status, body)
	}
	readUntil(t, streaming, "updateStatuses")
	if status, _, body := tg.Do(t, "POST", "/__mock/chat/scripts", "", "application/json", []byte(`{"userId":2046371,"name":"hello"}`)); status != 202 {
		t.Fatalf("script: %d %s", status, body)
	}
	readUntil(t, chat, "event")
	readUntil(t, chat, "heartbeat")
	if status, _, body := tg.Do(t, "POST", "/__mock/streams/stop", "", "application/json", []byte(`{"userId":2046371}`)); status != 200 {
		t.Fatalf("stop: %d %s", status, body)
	}
	readUntil(t, streaming, "deleteIncoming")
	if n := p.Violations(); n != 0 {
		t.Fatalf("the mock's frames broke the schemas through the proxy:\n%s", violations(t, p))
	}
}

func TestClientFramesAreViolationsAndDroppedInEnforceMode(t *testing.T) {
	mockURL, token := mockWithFeeds(t)
	p, proxyURL := startProxy(t, proxy.Options{Upstream: mustURL(t, mockURL), WSMode: proxy.Enforce,
		ChatUpstream: mustURL(t, wsURL(mockURL)+"/chat/ws")})
	chat := dial(t, wsURL(proxyURL)+"/chat/ws?accessToken="+token)
	if err := chat.Write(t.Context(), websocket.MessageText, []byte(`{"action":"reply","text":"hi"}`)); err != nil {
		t.Fatal(err)
	}
	readUntil(t, chat, "heartbeat") // the socket lives on
	rec := findRecord(t, p, proxy.RuleUnexpectedFrame)
	if rec.Direction != validate.ClientFrame || rec.OperationID != "" || !strings.Contains(rec.Path, "REDACTED") {
		t.Fatalf("want a client-frame violation with the token redacted, got %+v", rec)
	}
}

// brokenFeed is a WebSocket upstream that sends the given frames, then waits.
func brokenFeed(t *testing.T, frames ...string) string {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("accessToken") != "good" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(401)
			io.WriteString(w, `{"error":{"statusCode":401,"status":401,"code":401,"message":"Invalid token: access token is invalid","name":"invalid_token"}}`)
			return
		}
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for _, f := range frames {
			if err := c.Write(r.Context(), websocket.MessageText, []byte(f)); err != nil {
				return
			}
		}
		c.Read(r.Context()) // until the client goes
	}))
	t.Cleanup(ts.Close)
	return wsURL(ts.URL)
}

const (
	goodHeartbeat = `{"action":"heartbeat","payload":{},"timestamp":1672574400}`
	unknownAction = `{"action":"typing","payload":{},"timestamp":1672574400}`
	missingField  = `{"action":"connection_closed","payload":{"reason":"removed"},"timestamp":1672574400}`
	wrongEnum     = `{"action":"connection_closed","payload":{"connectionUuid":"u1","reason":"bored"},"timestamp":1672574400}`
)

func TestServerFramesThatBreakTheSchemaAreFoundInEachMode(t *testing.T) {
	for _, mode := range []proxy.Mode{proxy.Report, proxy.Enforce} {
		t.Run(string(mode), func(t *testing.T) {
			feed := brokenFeed(t, unknownAction, missingField, wrongEnum, goodHeartbeat)
			p, proxyURL := startProxy(t, proxy.Options{Upstream: mustURL(t, "http://127.0.0.1:1"), WSMode: mode,
				ChatUpstream: mustURL(t, feed)})
			c := dial(t, wsURL(proxyURL)+"/chat/ws?accessToken=good")
			got := readUntil(t, c, "heartbeat")
			wantFrames := 4
			if mode == proxy.Enforce {
				wantFrames = 1 // the invalid frames were dropped
			}
			if len(got) != wantFrames {
				t.Fatalf("the client got %d frames, want %d: %v", len(got), wantFrames, got)
			}
			want := map[validate.Rule]string{validate.RuleEnum: "/action", validate.RuleRequired: "/payload/connectionUuid"}
			for rule, pointer := range want {
				rec := findRecord(t, p, rule)
				if rec.Direction != validate.ServerFrame || rec.Pointer != pointer {
					t.Fatalf("want a server-frame %s at %s, got %+v", rule, pointer, rec)
				}
			}
			if n := p.Violations(); n != 3 {
				t.Fatalf("want 3 violations, got %d:\n%s", n, violations(t, p))
			}
		})
	}
}

func TestAnUpstreamRefusalReachesTheClientUnchanged(t *testing.T) {
	feed := brokenFeed(t)
	_, proxyURL := startProxy(t, proxy.Options{Upstream: mustURL(t, "http://127.0.0.1:1"), ChatUpstream: mustURL(t, feed)})
	_, res, err := websocket.Dial(t.Context(), wsURL(proxyURL)+"/chat/ws?accessToken=bad", nil)
	if err == nil {
		t.Fatal("the upgrade must fail")
	}
	body, _ := io.ReadAll(res.Body)
	conformance.WantError(t, res.StatusCode, body, 401, "invalid_token", "invalid")
}

func TestAnUnreachableFeedIsA502(t *testing.T) {
	_, proxyURL := startProxy(t, proxy.Options{Upstream: mustURL(t, "http://127.0.0.1:1"), StreamingUpstream: mustURL(t, "ws://"+closedPort(t)+"/ws")})
	_, res, err := websocket.Dial(t.Context(), wsURL(proxyURL)+"/streaming/ws?accessToken=x", nil)
	if err == nil {
		t.Fatal("the upgrade must fail")
	}
	body, _ := io.ReadAll(res.Body)
	conformance.WantError(t, res.StatusCode, body, 502, "upstream_unavailable")
}

func TestClosingTheProxySendsCloseFrames(t *testing.T) {
	feed := brokenFeed(t, goodHeartbeat)
	p, err := proxy.New(proxy.Options{Upstream: mustURL(t, "http://127.0.0.1:1"), ChatUpstream: mustURL(t, feed)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(p.Handler())
	defer ts.Close()
	c := dial(t, wsURL(ts.URL)+"/chat/ws?accessToken=good")
	readUntil(t, c, "heartbeat")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The client keeps reading, as a real one does, so it answers the close handshake.
	readErr := make(chan error, 1)
	go func() {
		for {
			if _, _, err := c.Read(ctx); err != nil {
				readErr <- err
				return
			}
		}
	}()
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	err = <-readErr
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.StatusGoingAway {
		t.Fatalf("want a going-away close frame, got %v", err)
	}
}
