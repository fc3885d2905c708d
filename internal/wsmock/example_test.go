package wsmock_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/restreamkit/restreamkit/internal/wsmock"
)

// A streaming feed: frames published before a client connects are replayed to it, then live
// frames follow.
func Example() {
	feed, err := wsmock.New(wsmock.Options{
		Name:         "streaming",
		ReplayWindow: wsmock.StreamingReplayWindow,
		Authenticate: func(token string) (int64, error) {
			if token != "secret-token" {
				return 0, errors.New("unknown token") // answered as a 401 invalid_token
			}
			return 674443, nil
		},
	})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(feed)
	defer srv.Close()
	defer feed.Shutdown(context.Background())

	feed.Publish(674443, []byte(`{"action":"updateIncoming"}`))

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws?accessToken=secret-token"
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		panic(err)
	}
	defer c.CloseNow()
	for feed.Stats().Connections == 0 { // wait until the socket has subscribed
		time.Sleep(time.Millisecond)
	}
	feed.Publish(674443, []byte(`{"action":"updateOutgoing"}`))

	for range 2 {
		_, frame, err := c.Read(ctx)
		if err != nil {
			panic(err)
		}
		fmt.Println(string(frame))
	}
	// Output:
	// {"action":"updateIncoming"}
	// {"action":"updateOutgoing"}
}
