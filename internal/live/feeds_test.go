package live_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/restreamkit/restreamkit/internal/clock"
	"github.com/restreamkit/restreamkit/internal/fixtures"
	"github.com/restreamkit/restreamkit/internal/live"
	"github.com/restreamkit/restreamkit/internal/state"
	"github.com/restreamkit/restreamkit/internal/wsmock"
)

// The simulators behind real feeds, wired as the mock wires them: a client of each feed sees
// what the simulators say, from the replay or the connection map onwards.
func TestSimulatorsBehindRealFeeds(t *testing.T) {
	const nova = 2046371
	seed, err := fixtures.Load(fixtures.Embedded(), fixtures.EmbeddedName)
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.New()
	st, err := state.New(seed.World, clk)
	if err != nil {
		t.Fatal(err)
	}
	auth := func(token string) (int64, error) {
		if token != "nova-token" {
			return 0, errors.New("unknown token")
		}
		return nova, nil
	}
	var chat *live.Chat
	chatFeed, err := wsmock.New(wsmock.Options{Name: "chat", Clock: clk, Authenticate: auth, Heartbeat: 20 * time.Millisecond,
		HeartbeatFrame: live.HeartbeatFrame, OnConnect: func(uid int64) [][]byte { return chat.InitialFrames(uid) }})
	if err != nil {
		t.Fatal(err)
	}
	streamFeed, err := wsmock.New(wsmock.Options{Name: "streaming", Clock: clk, Authenticate: auth, ReplayWindow: wsmock.StreamingReplayWindow})
	if err != nil {
		t.Fatal(err)
	}
	if chat, err = live.NewChat(live.ChatOptions{Store: st, Publisher: chatFeed, Clock: clk}); err != nil {
		t.Fatal(err)
	}
	streams, err := live.NewStreams(live.StreamsOptions{Store: st, Publisher: streamFeed, Clock: clk, Interval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	st.OnChange(func(ch state.Change) {
		chat.HandleChange(ch)
		streams.HandleChange(ch)
	})
	chatSrv, streamSrv := httptest.NewServer(chatFeed), httptest.NewServer(streamFeed)
	defer chatSrv.Close()
	defer streamSrv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	defer streams.Close(ctx)
	defer chat.Close(ctx)

	dial := func(srv *httptest.Server) *websocket.Conn {
		c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/ws?accessToken=nova-token", nil)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	next := func(c *websocket.Conn) map[string]any {
		t.Helper()
		for {
			_, b, err := c.Read(ctx)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			if m["action"] != live.ActionHeartbeat {
				return m
			}
		}
	}

	// Streaming: the stream starts before the client connects; the replay begins with its
	// first report, and the stop arrives live.
	info, err := streams.Start(nova, live.StartRequest{})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	sc := dial(streamSrv)
	defer sc.CloseNow()
	if f := next(sc); f["action"] != live.ActionUpdateIncoming || f["suid"] != info.Suid {
		t.Fatalf("the first streaming frame is %v, want the stream's first updateIncoming", f)
	}
	if _, err := streams.Stop(nova, info.EventID); err != nil {
		t.Fatal(err)
	}
	for f := next(sc); f["action"] != live.ActionDeleteIncoming; f = next(sc) {
	}

	// Chat: the connection map first, then an injected event.
	cc := dial(chatSrv)
	defer cc.CloseNow()
	conns := chat.Connections(nova)
	for i := range conns {
		f := next(cc)
		p, _ := f["payload"].(map[string]any)
		if f["action"] != live.ActionConnectionInfo || p["connectionUuid"] != conns[i].ConnectionUUID {
			t.Fatalf("chat frame %d is %v, want the connection_info of %s", i, f, conns[i].ConnectionIdentifier)
		}
	}
	for chatFeed.Stats().Connections == 0 {
		time.Sleep(time.Millisecond)
	}
	got, err := chat.InjectEvent(nova, live.Injection{EventSourceID: live.SourceTwitch, Text: "hello over a socket"})
	if err != nil {
		t.Fatal(err)
	}
	if f := next(cc); f["action"] != live.ActionEvent || f["payload"].(map[string]any)["eventIdentifier"] != got.EventIdentifier {
		t.Fatalf("chat frame %v, want the injected event", f)
	}

	// Shutdown: connection_closed for every connection, then the close frame.
	chat.AnnounceShutdown()
	done := make(chan error, 1)
	go func() { done <- chatFeed.Shutdown(ctx) }()
	for range conns {
		if f := next(cc); f["action"] != live.ActionConnectionClosed || f["payload"].(map[string]any)["reason"] != live.ClosedShutdown {
			t.Fatalf("chat frame %v, want connection_closed for the shutdown", f)
		}
	}
	if _, _, err := cc.Read(ctx); websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("the chat socket ended with %v, want StatusGoingAway", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	_ = sc.Close(websocket.StatusNormalClosure, "")
	if err := streamFeed.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}
