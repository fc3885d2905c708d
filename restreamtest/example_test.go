package restreamtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/restreamkit/restreamkit/restreamtest"
)

// Channel is the part of a Restream channel the examples print.
type Channel struct {
	ID          int64  `json:"id"`
	DisplayName string `json:"displayName"`
	Active      bool   `json:"active"`
}

func getJSON(client *http.Client, url string, v any) {
	res, err := client.Get(url)
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		log.Fatalf("GET %s: %s", url, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		log.Fatal(err)
	}
}

// An app signs in through OAuth exactly as it would with Restream, then lists the user's channels
// with the token it got. In a test, use restreamtest.NewServer(t) instead of Start and Close.
func Example() {
	rs, err := restreamtest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer rs.Close()
	ctx := context.Background()

	// The app's login: the authorization dialog, the code, the token exchange.
	tok, err := rs.SignIn(ctx, restreamtest.Nova)
	if err != nil {
		log.Fatal(err)
	}
	client := rs.OAuth2.Client(ctx, tok) // refreshes the token when it expires

	var channels []Channel
	getJSON(client, rs.URL+"/v2/user/channel/all", &channels)
	for _, c := range channels {
		fmt.Printf("%s active=%v\n", c.DisplayName, c.Active)
	}
	// Output:
	// nova_plays active=true
	// Nova Plays active=true
	// Nova Plays Gaming active=false
	// Nova backup server active=true
	// Nova Plays Live (Telegram) active=true
}

// readFrame reads one WebSocket frame as JSON.
func readFrame(ctx context.Context, c *websocket.Conn) map[string]any {
	_, data, err := c.Read(ctx)
	if err != nil {
		log.Fatal(err)
	}
	var f map[string]any
	if err := json.Unmarshal(data, &f); err != nil {
		log.Fatal(err)
	}
	return f
}

// Disabling a channel over the REST API closes its chat connection on the chat feed, as Restream
// does: the connection_closed frame carries the uuid the connection_info announced.
func Example_chatConnectionClosesWhenAChannelIsDisabled() {
	rs, err := restreamtest.Start(restreamtest.WithHeartbeat(time.Hour))
	if err != nil {
		log.Fatal(err)
	}
	defer rs.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	token := rs.Token(restreamtest.QuietNewcomer) // one Twitch channel

	chat, _, err := websocket.Dial(ctx, rs.ChatSocket(token), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer chat.CloseNow()
	info := readFrame(ctx, chat)
	payload := info["payload"].(map[string]any)
	fmt.Println(info["action"], payload["connectionIdentifier"], payload["status"])

	req, _ := http.NewRequest(http.MethodPatch, fmt.Sprintf("%s/v2/user/channel/%d", rs.URL, restreamtest.QuietNewcomerTwitchChannel), strings.NewReader(`{"active":false}`))
	req.Header.Set("Content-Type", "application/json")
	res, err := rs.Client(token).Do(req)
	if err != nil {
		log.Fatal(err)
	}
	res.Body.Close()
	fmt.Println("PATCH", res.StatusCode)

	closed := readFrame(ctx, chat)
	closedPayload := closed["payload"].(map[string]any)
	fmt.Println(closed["action"], closedPayload["reason"], closedPayload["connectionUuid"] == payload["connectionUuid"])
	// Output:
	// connection_info 4410087-twitch-quiet_newcomer connected
	// PATCH 200
	// connection_closed removed true
}

// Going live drives the streaming feed: the ingest, then each enabled channel connecting and
// connected, then viewers. Stopping finishes the event.
func Example_goLiveAndWatchTheStreamingFeed() {
	rs, err := restreamtest.Start(restreamtest.WithStreamInterval(10 * time.Millisecond))
	if err != nil {
		log.Fatal(err)
	}
	defer rs.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const quiet = restreamtest.QuietNewcomer
	feed, _, err := websocket.Dial(ctx, rs.StreamingSocket(rs.Token(quiet)), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer feed.CloseNow()

	stream, err := rs.StartStream(quiet, restreamtest.StreamOptions{})
	if err != nil {
		log.Fatal(err)
	}
	seen := map[string]bool{}
	for _, want := range []string{"updateIncoming", "updateOutgoing CONNECTING", "updateOutgoing CONNECTED", "updateStatuses"} {
		for !seen[want] {
			f := readFrame(ctx, feed)
			key := f["action"].(string)
			if s, ok := f["streaming"].(map[string]any); ok && key == "updateOutgoing" {
				key += " " + s["status"].(string)
			}
			seen[key] = true
		}
		fmt.Println(want)
	}
	if _, err := rs.StopStream(quiet, stream.EventID); err != nil {
		log.Fatal(err)
	}
	for f := readFrame(ctx, feed); f["action"] != "deleteIncoming"; f = readFrame(ctx, feed) {
	}
	fmt.Println("deleteIncoming")

	var event struct {
		Status     string `json:"status"`
		FinishedAt *int64 `json:"finishedAt"`
	}
	getJSON(rs.Client(rs.Token(quiet)), rs.URL+"/v2/user/events/"+stream.EventID, &event)
	fmt.Println("event", event.Status, event.FinishedAt != nil)
	// Output:
	// updateIncoming
	// updateOutgoing CONNECTING
	// updateOutgoing CONNECTED
	// updateStatuses
	// deleteIncoming
	// event finished true
}

// In strict mode, the default, a request of the app under test that breaks the Restream API's
// contract gets the refusal Restream would send, and is listed by Violations; under
// restreamtest.NewServer(t) the test fails at its end with the list, unless Config.Lenient.
func Example_strictMode() {
	rs, err := restreamtest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer rs.Close()
	// The app sends "active" as a string: the spec says boolean.
	url := fmt.Sprintf("%s/v2/user/channel/%d", rs.URL, restreamtest.NovaTwitchChannel)
	req, _ := http.NewRequest(http.MethodPatch, url, strings.NewReader(`{"active":"false"}`))
	req.Header.Set("Content-Type", "application/json")
	res, err := rs.Client(rs.Token(restreamtest.Nova)).Do(req)
	if err != nil {
		log.Fatal(err)
	}
	res.Body.Close()
	fmt.Println("PATCH", res.StatusCode)
	for _, v := range rs.Violations() {
		fmt.Println(v.OperationID, v.Problems[0].In, v.Problems[0].Field, v.Problems[0].Rule)
	}
	// Output:
	// PATCH 400
	// updateChannel body /active type
}
