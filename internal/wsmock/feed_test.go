package wsmock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/clock"
	"github.com/restreamkit/restreamkit/internal/oauth"
)

func TestNewRefusesInvalidOptions(t *testing.T) {
	hb := func(time.Time) []byte { return []byte(`{}`) }
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"a feed without Authenticate is refused", Options{}, "Authenticate is required"},
		{"a heartbeat without a frame builder is refused",
			Options{Authenticate: authenticate, Heartbeat: time.Second}, "HeartbeatFrame is required"},
		{"a negative send queue is refused", Options{Authenticate: authenticate, SendQueue: -1}, "must not be negative"},
		{"a negative replay window is refused",
			Options{Authenticate: authenticate, ReplayWindow: -time.Second, HeartbeatFrame: hb}, "must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestHandshakesThatFailAreAnsweredWithTheEnvelopeAndNoUpgrade(t *testing.T) {
	h := newHarness(t, nil)
	tests := []struct {
		name        string
		method      string
		token       string
		websocket   bool
		wantStatus  int
		wantName    string
		wantMessage string
		wantHeader  [2]string
	}{
		{"a handshake without a token is a 401", http.MethodGet, "", true,
			401, apierror.NameInvalidToken, "Invalid token: access token is missing", [2]string{}},
		{"a handshake with an unknown token is a 401", http.MethodGet, "token-unknown", true,
			401, apierror.NameInvalidToken, "Invalid token: access token is invalid", [2]string{}},
		{"a plain GET with an unknown token is a 401, not a 426", http.MethodGet, "token-unknown", false,
			401, apierror.NameInvalidToken, "Invalid token: access token is invalid", [2]string{}},
		{"a plain GET with a valid token is a 426 naming the protocol", http.MethodGet, "token-nova", false,
			426, "upgrade_required", "Upgrade Required", [2]string{"Upgrade", "websocket"}},
		{"a POST is a 405 allowing GET", http.MethodPost, "token-nova", false,
			405, apierror.NameMethodNotAllowed, "Method not allowed", [2]string{"Allow", "GET"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var status int
			var header http.Header
			var body []byte
			if tt.websocket {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				c, resp, err := websocket.Dial(ctx, h.url(tt.token), &websocket.DialOptions{HTTPClient: h.srv.Client()})
				if err == nil {
					_ = c.CloseNow()
					t.Fatal("the handshake succeeded")
				}
				if resp == nil {
					t.Fatalf("no HTTP response: %v", err)
				}
				status, header = resp.StatusCode, resp.Header
				body, _ = io.ReadAll(resp.Body)
			} else {
				req, _ := http.NewRequest(tt.method, strings.Replace(h.url(tt.token), "ws", "http", 1), nil)
				resp, err := h.srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ = io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				status, header = resp.StatusCode, resp.Header
			}
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d (body %s)", status, tt.wantStatus, body)
			}
			var env apierror.Envelope
			if err := json.Unmarshal(body, &env); err != nil {
				t.Fatalf("the body is not the envelope: %v: %s", err, body)
			}
			e := env.Error
			if e.StatusCode != tt.wantStatus || e.Status != tt.wantStatus || e.Code != tt.wantStatus || e.Name != tt.wantName ||
				!strings.Contains(e.Message, tt.wantMessage) {
				t.Errorf("envelope %+v, want status %d, name %q, message containing %q", e, tt.wantStatus, tt.wantName, tt.wantMessage)
			}
			if k := tt.wantHeader[0]; k != "" && header.Get(k) != tt.wantHeader[1] {
				t.Errorf("header %s = %q, want %q", k, header.Get(k), tt.wantHeader[1])
			}
			if n := h.feed.Stats().Connections; n != 0 {
				t.Errorf("the feed has %d sockets after a refused handshake", n)
			}
		})
	}
}

func TestOAuthTokensAuthenticateUntilRevokedOrExpired(t *testing.T) {
	clk := clock.New()
	srv, err := oauth.New(oauth.Options{Clock: clk,
		Clients:  []oauth.Client{{ID: "app", Secret: "app-secret", Name: "App", RedirectURIs: []string{"http://localhost/cb"}, Scopes: []string{"stream.read"}}},
		Accounts: []oauth.Account{{ID: userNova, Username: "nova", Email: "nova@example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func(o *Options) {
		o.Clock = clk
		o.Authenticate = func(token string) (int64, error) {
			g, err := srv.AuthenticateToken(token)
			return g.UserID, err
		}
	})
	issue := func() string {
		p, err := srv.Issue(userNova, "app", 0)
		if err != nil {
			t.Fatal(err)
		}
		return p.AccessToken
	}
	refused := func(token, wantMessage string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, resp, err := websocket.Dial(ctx, h.url(token), &websocket.DialOptions{HTTPClient: h.srv.Client()})
		if err == nil {
			_ = c.CloseNow()
			t.Fatal("the handshake succeeded")
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 401 || !strings.Contains(string(body), wantMessage) || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("got %d %s (challenge %q), want a 401 saying %q with a challenge",
				resp.StatusCode, body, resp.Header.Get("WWW-Authenticate"), wantMessage)
		}
	}

	live := issue()
	c := h.dial(t, live)
	h.waitConns(t, 1)
	h.feed.Publish(userNova, []byte(`"hello"`))
	if got := read(t, c); got != `"hello"` {
		t.Fatalf("got %s", got)
	}

	revoked := issue()
	srv.Revoke(revoked)
	refused(revoked, oauth.MsgTokenInvalid)

	expiring := issue()
	clk.Advance(2 * time.Hour)
	refused(expiring, oauth.MsgTokenExpired)
}

func TestReplaySendsTheWindowThenLiveFramesInOrder(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.ReplayWindow = time.Minute })
	h.feed.Publish(userNova, []byte(`1`)) // 75 s old when the socket connects: outside the window
	h.clock.Advance(45 * time.Second)
	h.feed.Publish(userNova, []byte(`2`))
	h.feed.Publish(userTech, []byte(`other user`))
	h.feed.Publish(userNova, []byte(`3`))
	h.clock.Advance(30 * time.Second)
	h.feed.Publish(userNova, []byte(`4`)) // 0 s old

	c := h.dial(t, "token-nova")
	h.waitConns(t, 1)
	h.feed.Publish(userNova, []byte(`5`))
	h.feed.Publish(userNova, []byte(`6`))

	var got []string
	for range 5 {
		got = append(got, read(t, c))
	}
	if want := []string{"2", "3", "4", "5", "6"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("frames %v, want %v", got, want)
	}
}

func TestReplayKeepsOnlyTheNewestFramesUpToTheLimit(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.ReplayWindow = time.Hour; o.ReplayLimit = 3 })
	for i := range 5 {
		h.feed.Publish(userNova, []byte(strconv.Itoa(i)))
	}
	c := h.dial(t, "token-nova")
	h.waitConns(t, 1)
	h.feed.Publish(userNova, []byte(`"live"`))
	var got []string
	for range 4 {
		got = append(got, read(t, c))
	}
	if want := `2,3,4,"live"`; strings.Join(got, ",") != want {
		t.Fatalf("frames %v, want %s", got, want)
	}
}

// A socket that connects while frames are being published gets every frame exactly once and in
// order: the replay and the subscription are taken together.
func TestReplayAndLiveFramesHaveNoGapAndNoDuplicateUnderConcurrentPublishing(t *testing.T) {
	const frames, clients = 3000, 30
	h := newHarness(t, func(o *Options) { o.ReplayWindow = time.Hour; o.ReplayLimit = frames; o.SendQueue = frames })
	done := make(chan struct{})
	go func() { // publishes for a while, so that sockets connect in the middle of it
		defer close(done)
		for i := range frames {
			h.feed.Publish(userNova, []byte(strconv.Itoa(i)))
			if i%10 == 0 {
				time.Sleep(200 * time.Microsecond)
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for k := range clients {
		c := h.dial(t, "token-nova")
		wg.Go(func() {
			for want := range frames {
				s, err := tryRead(c)
				if err != nil {
					errs <- fmt.Errorf("client %d: frame %d: %w", k, want, err)
					return
				}
				if s != strconv.Itoa(want) {
					errs <- fmt.Errorf("client %d: got frame %s, want %d", k, s, want)
					return
				}
			}
		})
		time.Sleep(time.Millisecond)
	}
	<-done
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestFramesReachOnlyTheSocketsOfTheirUser(t *testing.T) {
	h := newHarness(t, nil)
	nova1, nova2, tech := h.dial(t, "token-nova"), h.dial(t, "token-nova"), h.dial(t, "token-tech")
	h.waitConns(t, 3)
	for _, f := range []struct {
		user  int64
		frame string
	}{{userNova, "n1"}, {userTech, "t1"}, {userNova, "n2"}, {userTech, "t2"}, {userNova, "end"}, {userTech, "end"}} {
		h.feed.Publish(f.user, []byte(f.frame))
	}
	tests := []struct {
		name string
		c    *websocket.Conn
		want string
	}{
		{"the first socket of nova gets nova's frames only", nova1, "n1,n2,end"},
		{"the second socket of nova gets the same frames", nova2, "n1,n2,end"},
		{"the socket of tech gets tech's frames only", tech, "t1,t2,end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for len(got) == 0 || got[len(got)-1] != "end" {
				got = append(got, read(t, tt.c))
			}
			if strings.Join(got, ",") != tt.want {
				t.Errorf("frames %v, want %s", got, tt.want)
			}
		})
	}
	if st := h.feed.Stats(); st.Connections != 3 || st.Users != 2 || st.Dropped != 0 {
		t.Errorf("stats %+v, want 3 connections of 2 users, none dropped", st)
	}
}

func TestFiveHundredConcurrentClientsReceiveExactlyTheirUsersFrames(t *testing.T) {
	const clients, perUser = 500, 20
	h := newHarness(t, nil)
	type client struct {
		c    *websocket.Conn
		user int64
	}
	all := make([]client, clients)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 50)
	dialErrs := make(chan error, clients)
	for i := range all {
		token, user := "token-nova", userNova
		if i%2 == 1 {
			token, user = "token-tech", userTech
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := h.tryDial(token)
			if err != nil {
				dialErrs <- err
				return
			}
			all[i] = client{c: c, user: user}
		}()
	}
	wg.Wait()
	close(dialErrs)
	for _, cl := range all {
		if cl.c != nil {
			t.Cleanup(func() { _ = cl.c.CloseNow() })
		}
	}
	for err := range dialErrs {
		t.Fatal(err)
	}
	h.waitConns(t, clients)

	frame := func(user int64, i int) string { return fmt.Sprintf(`{"user":%d,"seq":%d}`, user, i) }
	var pub sync.WaitGroup
	for _, user := range []int64{userNova, userTech} {
		pub.Go(func() {
			for i := range perUser {
				h.feed.Publish(user, []byte(frame(user, i)))
			}
			h.feed.Publish(user, []byte("end"))
		})
	}
	errs := make(chan error, clients)
	for i, cl := range all {
		wg.Go(func() {
			for seq := 0; ; seq++ {
				s, err := tryRead(cl.c)
				if err != nil {
					errs <- fmt.Errorf("client %d: %w", i, err)
					return
				}
				if s == "end" {
					if seq != perUser {
						errs <- fmt.Errorf("client %d got %d frames, want %d", i, seq, perUser)
					}
					return
				}
				if want := frame(cl.user, seq); s != want {
					errs <- fmt.Errorf("client %d: got %s, want %s", i, s, want)
					return
				}
			}
		})
	}
	pub.Wait()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if st := h.feed.Stats(); st.Connections != clients || st.Users != 2 || st.Dropped != 0 {
		t.Errorf("stats %+v, want %d connections of 2 users, none dropped", st, clients)
	}
}

// A client that stops reading fills the socket buffers, then its send queue: it is dropped with
// a policy close, while a healthy client of the same user receives every frame.
func TestAStalledReaderIsDroppedWhileAHealthyOneKeepsReceivingEverything(t *testing.T) {
	const frames, size = 1500, 30 << 10 // 45 MB, far beyond what loopback buffers hold
	h := newHarness(t, func(o *Options) { o.SendQueue = 8; o.WriteTimeout = time.Minute })
	stalled := h.dial(t, "token-nova")
	healthy := h.dial(t, "token-nova")
	h.waitConns(t, 2)

	received := make(chan int, frames)
	readErr := make(chan error, 1)
	go func() {
		for i := range frames {
			s, err := tryRead(healthy)
			if err != nil {
				readErr <- fmt.Errorf("healthy client, frame %d: %w", i, err)
				return
			}
			if want := payload(i, size); s != want {
				readErr <- fmt.Errorf("healthy client, frame %d: wrong content", i)
				return
			}
			received <- i
		}
		readErr <- nil
	}()
	for i := range frames {
		h.feed.Publish(userNova, []byte(payload(i, size)))
		// Keep pace with the healthy client only: its queue must never fill.
		select {
		case <-received:
		case err := <-readErr:
			t.Fatal(err)
		}
	}
	if err := <-readErr; err != nil {
		t.Fatal(err)
	}
	if st := h.feed.Stats(); st.Dropped != 1 {
		t.Fatalf("stats %+v, want exactly one dropped socket", st)
	}

	ce, got := readClose(t, stalled)
	if ce.Code != websocket.StatusPolicyViolation || ce.Reason != "send queue full" {
		t.Errorf("the stalled client was closed with %v, want a policy violation saying the send queue is full", ce)
	}
	if len(got) == 0 || len(got) >= frames {
		t.Errorf("the stalled client read %d frames before the close, want some but not all %d", len(got), frames)
	}
	for i, s := range got {
		if s != payload(i, size) {
			t.Fatalf("the stalled client's frame %d is not frame %d", i, i)
		}
	}
}

// payload is frame i of a stream of large frames.
func payload(i, size int) string {
	head := strconv.Itoa(i) + ":"
	return head + strings.Repeat("x", size-len(head))
}

func TestHeartbeatsFollowTheIntervalAndTheMockClock(t *testing.T) {
	const interval, beats = 5 * time.Millisecond, 6
	h := newHarness(t, func(o *Options) {
		o.Heartbeat = interval
		o.HeartbeatFrame = func(now time.Time) []byte {
			return fmt.Appendf(nil, `{"action":"heartbeat","payload":{},"timestamp":%d}`, now.Unix())
		}
	})
	h.clock.Advance(24 * time.Hour)
	start := time.Now()
	c := h.dial(t, "token-nova")
	var stamps []int64
	for range beats {
		var f struct {
			Action    string   `json:"action"`
			Payload   struct{} `json:"payload"`
			Timestamp int64    `json:"timestamp"`
		}
		if err := json.Unmarshal([]byte(read(t, c)), &f); err != nil || f.Action != "heartbeat" {
			t.Fatalf("got %+v (%v), want a heartbeat", f, err)
		}
		stamps = append(stamps, f.Timestamp)
	}
	elapsed := time.Since(start)
	// A ticker cannot tick more often than its interval: six beats take at least six intervals.
	// This bound cannot flake; it catches heartbeats sent per frame or at a wrong unit.
	if elapsed < beats*interval {
		t.Errorf("%d heartbeats arrived within %v, faster than one per %v", beats, elapsed, interval)
	}
	for _, ts := range stamps {
		if ts < time.Now().Add(23*time.Hour).Unix() {
			t.Errorf("heartbeat timestamp %d is not on the mock clock, a day ahead", ts)
		}
	}
}

func TestAFeedWithoutHeartbeatSendsOnlyWhatIsPublished(t *testing.T) {
	h := newHarness(t, nil)
	c := h.dial(t, "token-nova")
	h.waitConns(t, 1)
	time.Sleep(30 * time.Millisecond) // room for a stray frame to arrive first
	h.feed.Publish(userNova, []byte(`"first"`))
	if got := read(t, c); got != `"first"` {
		t.Fatalf("the first frame is %s, want the published one", got)
	}
}

func TestOnConnectFramesComeFirstThenReplayThenLive(t *testing.T) {
	h := newHarness(t, func(o *Options) {
		o.ReplayWindow = time.Minute
		o.OnConnect = func(uid int64) [][]byte {
			return [][]byte{fmt.Appendf(nil, `"hello %d"`, uid), []byte(`"info"`)}
		}
	})
	h.feed.Publish(userNova, []byte(`"replayed"`))
	c := h.dial(t, "token-nova")
	h.waitConns(t, 1)
	h.feed.Publish(userNova, []byte(`"live"`))
	var got []string
	for range 4 {
		got = append(got, read(t, c))
	}
	if want := fmt.Sprintf(`"hello %d","info","replayed","live"`, userNova); strings.Join(got, ",") != want {
		t.Fatalf("frames %v, want %s", got, want)
	}
}

func TestRefuseNextRefusesExactlyCountHandshakes(t *testing.T) {
	h := newHarness(t, nil)
	if err := h.feed.RefuseNext(200, 1, 0); err == nil {
		t.Error("RefuseNext accepted status 200")
	}
	if err := h.feed.RefuseNext(http.StatusServiceUnavailable, 2, 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	// A plain GET is not a handshake and does not use up a refusal.
	resp, err := h.srv.Client().Get(strings.Replace(h.url("token-nova"), "ws", "http", 1))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusUpgradeRequired {
		t.Fatalf("plain GET: %d, want 426", resp.StatusCode)
	}
	for i := range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c, resp, err := websocket.Dial(ctx, h.url("token-nova"), &websocket.DialOptions{HTTPClient: h.srv.Client()})
		cancel()
		if err == nil {
			_ = c.CloseNow()
			t.Fatalf("handshake %d succeeded, want it refused", i+1)
		}
		body, _ := io.ReadAll(resp.Body)
		var env apierror.Envelope
		_ = json.Unmarshal(body, &env)
		if resp.StatusCode != 503 || env.Error.Name != "service_unavailable" || resp.Header.Get("Retry-After") != "2" {
			t.Errorf("handshake %d: %d %s, Retry-After %q; want 503 service_unavailable, Retry-After 2",
				i+1, resp.StatusCode, body, resp.Header.Get("Retry-After"))
		}
	}
	h.dial(t, "token-nova") // the third one goes through
	h.waitConns(t, 1)
}

func TestCloseUserAndCloseAllCloseWithTheGivenCodeAfterQueuedFrames(t *testing.T) {
	h := newHarness(t, nil)
	nova1, nova2, tech := h.dial(t, "token-nova"), h.dial(t, "token-nova"), h.dial(t, "token-tech")
	h.waitConns(t, 3)

	h.feed.Publish(userNova, []byte(`"before"`))
	if n := h.feed.CloseUser(userNova, 4001, "kicked by test"); n != 2 {
		t.Errorf("CloseUser closed %d sockets, want 2", n)
	}
	h.feed.Publish(userNova, []byte(`"after"`)) // reaches nobody
	for i, c := range []*websocket.Conn{nova1, nova2} {
		ce, frames := readClose(t, c)
		if ce.Code != 4001 || ce.Reason != "kicked by test" || strings.Join(frames, ",") != `"before"` {
			t.Errorf("nova socket %d: closed with %v after %v; want 4001 kicked by test after the queued frame", i, ce, frames)
		}
	}
	if n := h.feed.CloseUser(userNova, 4001, "again"); n != 0 {
		t.Errorf("a second CloseUser closed %d sockets, want 0", n)
	}

	h.feed.Publish(userTech, []byte(`"still here"`))
	if got := read(t, tech); got != `"still here"` {
		t.Fatalf("tech got %s", got)
	}
	if n := h.feed.CloseAll(websocket.StatusTryAgainLater, "maintenance"); n != 1 {
		t.Errorf("CloseAll closed %d sockets, want 1", n)
	}
	if ce, _ := readClose(t, tech); ce.Code != websocket.StatusTryAgainLater || ce.Reason != "maintenance" {
		t.Errorf("tech closed with %v, want 1013 maintenance", ce)
	}
	h.waitConns(t, 0)
}

func TestClientFramesAreIgnoredUntilTheyBreakTheReadLimit(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.ReadLimit = 1024 })
	c := h.dial(t, "token-nova")
	h.waitConns(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, []byte(strings.Repeat("a", 1000))); err != nil {
		t.Fatal(err)
	}
	h.feed.Publish(userNova, []byte(`"still open"`))
	if got := read(t, c); got != `"still open"` {
		t.Fatalf("got %s after a small client frame", got)
	}
	if err := c.Write(ctx, websocket.MessageText, []byte(strings.Repeat("b", 2048))); err != nil {
		t.Fatal(err)
	}
	ce, _ := readClose(t, c)
	if ce.Code != websocket.StatusMessageTooBig {
		t.Errorf("closed with %v, want StatusMessageTooBig", ce)
	}
	h.waitConns(t, 0)
}

func TestPingsFromClientsAreAnswered(t *testing.T) {
	h := newHarness(t, nil)
	c := h.dial(t, "token-nova")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rctx := c.CloseRead(ctx) // a reader for the pong
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
	_ = c.Close(websocket.StatusNormalClosure, "")
	<-rctx.Done()
	h.waitConns(t, 0)
}

func TestShutdownClosesEverySocketAndLeavesNoGoroutine(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	clk := clock.New()
	f, err := New(Options{Name: "test", Clock: clk, Authenticate: authenticate, Heartbeat: time.Hour,
		HeartbeatFrame: func(time.Time) []byte { return []byte(`{}`) }})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{feed: f, srv: httptest.NewServer(f), clock: clk}
	defer h.srv.Close()
	var conns []*websocket.Conn
	for _, tok := range []string{"token-nova", "token-nova", "token-tech"} {
		c, err := h.tryDial(tok)
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		conns = append(conns, c)
	}
	h.waitConns(t, 3)
	f.Publish(userNova, []byte(`"last words"`))

	// The clients read concurrently, as real ones do, so the close handshake completes.
	type result struct {
		ce     websocket.CloseError
		frames []string
	}
	results := make(chan result, len(conns))
	for _, c := range conns {
		go func() {
			ce, frames, err := tryReadClose(c)
			if err != nil {
				t.Error(err)
			}
			results <- result{ce, frames}
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	lastWords := 0
	for range conns {
		r := <-results
		if r.ce.Code != websocket.StatusGoingAway || r.ce.Reason != "shutdown" {
			t.Errorf("closed with %v, want StatusGoingAway shutdown", r.ce)
		}
		if strings.Join(r.frames, ",") == `"last words"` {
			lastWords++
		}
	}
	if lastWords != 2 {
		t.Errorf("%d sockets got the frame published before Shutdown, want nova's 2", lastWords)
	}
	if st := f.Stats(); st.Connections != 0 || st.Users != 0 {
		t.Errorf("stats after Shutdown %+v, want no connections", st)
	}
	_, err = h.tryDial("token-nova")
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("a handshake after Shutdown: %v, want a 503", err)
	}
	if err := f.Shutdown(ctx); err != nil {
		t.Errorf("a second Shutdown: %v", err)
	}
}

func TestShutdownCutsSocketsThatDoNotAnswerWhenTheContextEnds(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	f, err := New(Options{Name: "test", Authenticate: authenticate})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{feed: f, srv: httptest.NewServer(f)}
	defer h.srv.Close()
	c, err := h.tryDial("token-nova") // never reads, so never answers the close frame
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	h.waitConns(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := f.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v, want the context's deadline", err)
	}
	if st := f.Stats(); st.Connections != 0 {
		t.Errorf("stats after Shutdown %+v, want no connections", st)
	}
}

func TestStatusNamesFollowTheEnvelopeStyle(t *testing.T) {
	tests := []struct {
		status int
		want   string
	}{
		{401, "invalid_token"},
		{429, "too_many_requests"},
		{500, "internal_server_error"},
		{502, "bad_gateway"},
		{503, "service_unavailable"},
		{418, "im_a_teapot"},
		{599, "error_599"},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status)+" is named "+tt.want, func(t *testing.T) {
			if got := statusName(tt.status); got != tt.want {
				t.Errorf("statusName(%d) = %q", tt.status, got)
			}
		})
	}
}
