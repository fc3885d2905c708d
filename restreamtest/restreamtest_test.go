package restreamtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/restreamkit/restreamkit/examples"
	"github.com/restreamkit/restreamkit/restreamtest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// http.DefaultClient and oauth2 clients keep idle keep-alive connections to servers
		// that have already closed; they end on their own and are not the server's.
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
	)
}

const (
	nova      = restreamtest.Nova
	techtalks = restreamtest.TechTalks
	quiet     = restreamtest.QuietNewcomer
)

func get(t *testing.T, rs *restreamtest.Server, token, path string) (int, string) {
	t.Helper()
	res, err := rs.Client(token).Get(rs.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func dialFeed(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// next reads frames until one has the action.
func next(t *testing.T, c *websocket.Conn, action string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("waiting for %s: %v", action, err)
		}
		var f map[string]any
		json.Unmarshal(data, &f)
		if f["action"] == action {
			return f
		}
	}
}

func TestTheServerServesEveryPartOnLoopback(t *testing.T) {
	rs := restreamtest.NewServer(t)
	for _, u := range []string{rs.URL, rs.StreamingURL, rs.ChatURL} {
		if !strings.Contains(u, "://127.0.0.1:") {
			t.Fatalf("%s is not on loopback", u)
		}
	}
	if len(rs.Users()) != 3 || rs.DefaultUser != nova {
		t.Fatalf("users %v, default %d", rs.Users(), rs.DefaultUser)
	}
	for _, u := range rs.Users() {
		code, body := get(t, rs, rs.Token(u.ID), "/v2/user/profile")
		if code != 200 || !strings.Contains(body, u.Username) {
			t.Fatalf("the ready token of %s: %d %s", u.Username, code, body)
		}
	}
	if rs.Token(42) != "" {
		t.Fatal("an unknown user has no token")
	}
	if rs.OAuth2.Endpoint.TokenURL != rs.URL+"/oauth/token" || rs.OAuth2.Endpoint.AuthURL != rs.URL+"/login" {
		t.Fatalf("OAuth2 endpoints %+v", rs.OAuth2.Endpoint)
	}
}

func TestTwoServersDoNotInterfere(t *testing.T) {
	a, b := restreamtest.NewServer(t), restreamtest.NewServer(t)
	req, _ := http.NewRequest(http.MethodDelete, a.URL+"/v2/user/channels/5120001", nil)
	res, err := a.Client(a.Token(nova)).Do(req)
	if err != nil || res.StatusCode != 204 {
		t.Fatal(err, res.StatusCode)
	}
	res.Body.Close()
	if code, _ := get(t, b, b.Token(nova), "/v2/user/channel/5120001"); code != 200 {
		t.Fatalf("a delete on one server reached the other: %d", code)
	}
	if code, _ := get(t, b, a.Token(nova), "/v2/user/profile"); code != 401 {
		t.Fatalf("one server's token works on the other: %d", code)
	}
	if err := a.AdvanceClock(2 * time.Hour); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, b, b.Token(nova), "/v2/user/profile"); code != 200 {
		t.Fatalf("one server's clock moved the other's: %d", code)
	}
}

func TestSignInSignsInAsTheUserAskedFor(t *testing.T) {
	for _, auto := range []bool{false, true} {
		rs := restreamtest.NewServer(t, restreamtest.WithAutoApprove(auto))
		for _, u := range rs.Users() {
			t.Run(fmt.Sprintf("%s with auto-approve %v", u.Username, auto), func(t *testing.T) {
				tok, err := rs.SignIn(context.Background(), u.ID)
				if err != nil {
					t.Fatal(err)
				}
				if code, body := get(t, rs, tok.AccessToken, "/v2/user/profile"); code != 200 || !strings.Contains(body, `"username":"`+u.Username+`"`) {
					t.Fatalf("signed in as another user: %d %s", code, body)
				}
			})
		}
		t.Run(fmt.Sprintf("an unknown user is an error with auto-approve %v", auto), func(t *testing.T) {
			if _, err := rs.SignIn(context.Background(), 42); err == nil || !strings.Contains(err.Error(), "400") {
				t.Fatalf("want the dialog's 400, got %v", err)
			}
		})
	}
}

func TestAutoApproveSignsInTheUserTheLoginAsHeaderNames(t *testing.T) {
	rs := restreamtest.NewServer(t, restreamtest.WithAutoApprove(true))
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	cases := []struct {
		name   string
		header string
		status int
		user   string // whose token the code is exchanged for
	}{
		{"without the header the default user signs in", "", 302, "nova_plays"},
		{"a listed user signs in", "3189024", 302, "techtalks_daily"},
		{"an unknown user is refused", "42", 400, ""},
		{"a value that is not an id is refused", "techtalks", 400, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, rs.OAuth2.AuthCodeURL("s"), nil)
			if c.header != "" {
				req.Header.Set("Restreamkit-Login-As", c.header)
			}
			res, err := noFollow.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != c.status {
				t.Fatalf("status %d %s, want %d", res.StatusCode, body, c.status)
			}
			if c.status != 302 {
				if !strings.Contains(string(body), "Restreamkit-Login-As") {
					t.Fatalf("the refusal does not name the header: %s", body)
				}
				return
			}
			loc, _ := url.Parse(res.Header.Get("Location"))
			tok, err := rs.OAuth2.Exchange(context.Background(), loc.Query().Get("code"))
			if err != nil {
				t.Fatal(err)
			}
			if _, body := get(t, rs, tok.AccessToken, "/v2/user/profile"); !strings.Contains(body, c.user) {
				t.Fatalf("want %s, got %s", c.user, body)
			}
		})
	}
}

func TestResetAndStateSnapshots(t *testing.T) {
	rs := restreamtest.NewServer(t)
	tok := rs.Token(nova)
	req, _ := http.NewRequest(http.MethodPatch, rs.URL+"/v2/user/channel/5120001", strings.NewReader(`{"active":false}`))
	req.Header.Set("Content-Type", "application/json")
	res, _ := rs.Client(tok).Do(req)
	res.Body.Close()
	snapshot, err := rs.ExportState()
	if err != nil || !strings.Contains(string(snapshot), `"active":false`) {
		t.Fatalf("export: %v", err)
	}
	if err := rs.Reset(); err != nil {
		t.Fatal(err)
	}
	if _, body := get(t, rs, tok, "/v2/user/channel/5120001"); !strings.Contains(body, `"active":true`) {
		t.Fatalf("reset did not restore the channel: %s", body)
	}
	if err := rs.LoadState(snapshot); err != nil {
		t.Fatal(err)
	}
	if _, body := get(t, rs, tok, "/v2/user/channel/5120001"); !strings.Contains(body, `"active":false`) {
		t.Fatalf("the loaded snapshot is not served: %s", body)
	}
	err = rs.LoadState([]byte(`{"platforms":[],"servers":[],"users":[]}`))
	if !restreamtest.IsControlError(err, 400) {
		t.Fatalf("an empty world must be refused with 400, got %v", err)
	}
}

func TestTheClockExpiresTokens(t *testing.T) {
	rs := restreamtest.NewServer(t, restreamtest.Lenient()) // it checks a missing scope's 403
	before, err := rs.Now()
	if err != nil {
		t.Fatal(err)
	}
	if err := rs.AdvanceClock(61 * time.Minute); err != nil {
		t.Fatal(err)
	}
	after, _ := rs.Now()
	if after.Sub(before) < time.Hour {
		t.Fatalf("the clock moved %v", after.Sub(before))
	}
	if code, body := get(t, rs, rs.Token(nova), "/v2/user/profile"); code != 401 || !strings.Contains(body, "expired") {
		t.Fatalf("an hour later the token must be expired: %d %s", code, body)
	}
	tok, err := rs.NewToken(nova, "profile.read")
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, rs, tok, "/v2/user/profile"); code != 200 {
		t.Fatalf("a new token works: %d", code)
	}
	if code, _ := get(t, rs, tok, "/v2/user/channel/all"); code != 403 {
		t.Fatalf("a new token has only its scopes: %d", code)
	}
}

func TestStreamsDriveTheStreamingFeedAndTheEvent(t *testing.T) {
	rs := restreamtest.NewServer(t, restreamtest.WithStreamInterval(10*time.Millisecond))
	feed := dialFeed(t, rs.StreamingSocket(rs.Token(nova)))
	stream, err := rs.StartStream(nova, restreamtest.StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f := next(t, feed, "updateIncoming")
	if f["eventId"] != stream.EventID || int64(f["userId"].(float64)) != nova {
		t.Fatalf("updateIncoming %v for stream %+v", f, stream)
	}
	if _, err := rs.StartStream(nova, restreamtest.StreamOptions{EventID: stream.EventID}); !restreamtest.IsControlError(err, 409) {
		t.Fatalf("a second stream on the same event must be a 409, got %v", err)
	}
	if _, err := rs.StopStream(nova, stream.EventID); err != nil {
		t.Fatal(err)
	}
	next(t, feed, "deleteIncoming")
	if _, body := get(t, rs, rs.Token(nova), "/v2/user/events/"+stream.EventID); !strings.Contains(body, `"status":"finished"`) {
		t.Fatalf("the stopped stream's event: %s", body)
	}
	if _, err := rs.StopStream(nova, stream.EventID); !restreamtest.IsControlError(err, 404) {
		t.Fatalf("stopping twice must be a 404, got %v", err)
	}
}

func TestChatHelpersReachTheChatFeed(t *testing.T) {
	rs := restreamtest.NewServer(t, restreamtest.WithHeartbeat(20*time.Millisecond), restreamtest.WithChatScriptSpacing(time.Millisecond))
	chat := dialFeed(t, rs.ChatSocket(rs.Token(quiet)))
	next(t, chat, "connection_info")
	next(t, chat, "heartbeat")
	sent, err := rs.SendChatEvent(quiet, restreamtest.ChatEvent{Author: "Bob", Text: "hello there"})
	if err != nil {
		t.Fatal(err)
	}
	ev := next(t, chat, "event")
	p := ev["payload"].(map[string]any)
	if p["eventIdentifier"] != sent.EventIdentifier || p["eventTypeId"].(float64) != 4 ||
		p["eventPayload"].(map[string]any)["text"] != "hello there" {
		t.Fatalf("event %v, sent %+v", ev, sent)
	}
	n, err := rs.RunChatScript(quiet, "hello")
	if err != nil || n < 1 {
		t.Fatal(err, n)
	}
	for i := 0; i < n; i++ {
		next(t, chat, "event")
	}
	reply, err := rs.SendChatReply(quiet, restreamtest.ChatReply{Text: "thanks!", Fail: true, Reason: "discord_rate_limit"})
	if err != nil {
		t.Fatal(err)
	}
	created := next(t, chat, "reply_created")
	failed := next(t, chat, "reply_failed")
	if created["payload"].(map[string]any)["replyUuid"] != reply.ReplyUUID || failed["payload"].(map[string]any)["reason"] != "discord_rate_limit" {
		t.Fatalf("reply frames %v %v for %+v", created, failed, reply)
	}
	conns, err := rs.ChatConnections(quiet)
	if err != nil || len(conns) != 1 || conns[0]["connectionIdentifier"] != "4410087-twitch-quiet_newcomer" {
		t.Fatalf("connections %v %v", conns, err)
	}
	if _, err := rs.RunChatScript(quiet, "opera"); !restreamtest.IsControlError(err, 400) {
		t.Fatalf("an unknown script must be a 400, got %v", err)
	}
}

func TestFaultsApplyAndExpire(t *testing.T) {
	rs := restreamtest.NewServer(t)
	tok := rs.Token(nova)
	id, err := rs.AddFault(restreamtest.Fault{OperationID: "getUserProfile", Status: 503, RetryAfter: 5 * time.Second, Count: 1})
	if err != nil || id == "" {
		t.Fatal(err)
	}
	res, err := rs.Client(tok).Get(rs.URL + "/v2/user/profile")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 503 || res.Header.Get("Retry-After") != "5" {
		t.Fatalf("the fault did not apply: %d %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if code, _ := get(t, rs, tok, "/v2/user/profile"); code != 200 {
		t.Fatalf("a fault with count 1 must expire: %d", code)
	}
	if _, err := rs.AddFault(restreamtest.Fault{Target: "streaming", Status: 503, Count: 1}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, res, err := websocket.Dial(ctx, rs.StreamingSocket(tok), nil); err == nil || res.StatusCode != 503 {
		t.Fatalf("the upgrade must be refused once: %v", err)
	}
	dialFeed(t, rs.StreamingSocket(tok))
	chat := dialFeed(t, rs.ChatSocket(tok))
	if _, err := rs.AddFault(restreamtest.Fault{Target: "chat", CloseCode: 4001, CloseReason: "bye", UserID: nova}); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for {
		_, _, err := chat.Read(cctx)
		var ce websocket.CloseError
		if errors.As(err, &ce) {
			if ce.Code != 4001 || ce.Reason != "bye" {
				t.Fatalf("closed with %v", ce)
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := rs.AddFault(restreamtest.Fault{OperationID: "listChannels", Status: 500}); err != nil {
		t.Fatal(err)
	}
	if err := rs.ClearFaults(); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, rs, tok, "/v2/user/channel/all"); code != 200 {
		t.Fatalf("cleared faults must not apply: %d", code)
	}
}

func TestTheJournalRecordsWhatTheAppSent(t *testing.T) {
	rs := restreamtest.NewServer(t)
	get(t, rs, rs.Token(techtalks), "/v2/user/channel/all")
	entries, err := rs.Journal("listChannels")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("journal %+v", entries)
	}
	e := entries[0]
	if e.Method != "GET" || e.Path != "/v2/user/channel/all" || e.OperationID != "listChannels" || e.Status != 200 ||
		e.UserID != techtalks || e.ID == 0 || e.Time.IsZero() || e.Error != "" {
		t.Fatalf("journal entry %+v", e)
	}
	if auth := e.Headers["Authorization"]; auth == "" || strings.Contains(auth, rs.Token(techtalks)) {
		t.Fatalf("the Authorization header must be there, redacted: %q", auth)
	}
}

func TestFixturesCanBeReplaced(t *testing.T) {
	fsys := fstest.MapFS{}
	for _, name := range []string{"mock/oauth.json", "mock/chat.json"} {
		data, err := examples.FS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: data}
	}
	entries, _ := examples.FS.ReadDir("operations")
	for _, e := range entries {
		data, _ := examples.FS.ReadFile("operations/" + e.Name())
		if e.Name() == "getUserProfile.json" {
			data = []byte(strings.Replace(string(data), `"nova_plays"`, `"nova_renamed"`, 1))
		}
		fsys["operations/"+e.Name()] = &fstest.MapFile{Data: data}
	}
	rs := restreamtest.NewServer(t, restreamtest.WithFixtures(fsys))
	if _, body := get(t, rs, rs.Token(nova), "/v2/user/profile"); !strings.Contains(body, "nova_renamed") {
		t.Fatalf("the fixtures were not used: %s", body)
	}
	if _, err := restreamtest.Start(restreamtest.WithFixturesDir("/nonexistent")); err == nil {
		t.Fatal("a missing fixtures directory must fail to start")
	}
}

func TestFixturesMayHoldOneFileAndTheBuiltInOnesFillTheRest(t *testing.T) {
	data, err := examples.FS.ReadFile("operations/getUserProfile.json")
	if err != nil {
		t.Fatal(err)
	}
	one := fstest.MapFS{"operations/getUserProfile.json": &fstest.MapFile{Data: []byte(strings.Replace(string(data), `"nova_plays"`, `"nova_renamed"`, 1))}}
	rs := restreamtest.NewServer(t, restreamtest.WithFixtures(one))
	if _, body := get(t, rs, rs.Token(nova), "/v2/user/profile"); !strings.Contains(body, "nova_renamed") {
		t.Fatalf("the fixture file was not used: %s", body)
	}
	if _, body := get(t, rs, rs.Token(nova), "/v2/user/channel/all"); !strings.Contains(body, `"id":5120001`) {
		t.Fatalf("the built-in channels are gone: %s", body)
	}
	// On its own, one file is not a world: there are no OAuth clients.
	_, err = restreamtest.Start(restreamtest.WithFixtures(one), restreamtest.WithFixturesOnly())
	if err == nil || !strings.Contains(err.Error(), "mock/oauth.json: missing") {
		t.Fatalf("one file on its own: %v", err)
	}
}

func TestCloseSendsCloseFrames(t *testing.T) {
	rs, err := restreamtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	chat := dialFeed(t, rs.ChatSocket(rs.Token(quiet)))
	next(t, chat, "connection_info")
	if err := rs.Close(); err != nil {
		t.Fatal(err)
	}
	closed := next(t, chat, "connection_closed")
	if closed["payload"].(map[string]any)["reason"] != "shutdown" {
		t.Fatalf("want a shutdown connection_closed, got %v", closed)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _, err = chat.Read(ctx)
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.StatusGoingAway {
		t.Fatalf("want a going-away close frame, got %v", err)
	}
	if err := rs.Close(); err != nil {
		t.Fatal("Close must be safe to call twice")
	}
}

// A user added at run time gets a ready token, signs in on the consent page, sees the channels
// the test gave them, and streams on the streaming feed like a fixture user, until a reset.
func TestAddUserSetsUpAUserWhoSignsInAndStreams(t *testing.T) {
	rs := restreamtest.NewServer(t, restreamtest.WithStreamInterval(10*time.Millisecond))
	id, err := rs.AddUser(restreamtest.NewUser{Username: "fresh_face", Channels: []restreamtest.NewChannel{
		{PlatformID: 1, DisplayName: "Fresh on Twitch", Identifier: "fresh_face"},
		{PlatformID: 5, DisplayName: "Fresh on YouTube", Inactive: true},
	}})
	if err != nil {
		t.Fatal(err)
	}
	code, body := get(t, rs, rs.Token(id), "/v2/user/channel/all")
	type channel struct {
		StreamingPlatformID int    `json:"streamingPlatformId"`
		DisplayName         string `json:"displayName"`
		Identifier          string `json:"identifier"`
		Active              bool   `json:"active"`
	}
	var got []channel
	if err := json.Unmarshal([]byte(body), &got); code != 200 || err != nil {
		t.Fatalf("the added user's channels: %d %s", code, body)
	}
	want := []channel{{1, "Fresh on Twitch", "fresh_face", true}, {5, "Fresh on YouTube", "Fresh on YouTube", false}}
	if !slices.Equal(got, want) {
		t.Fatalf("the added user's channels are %+v, want %+v", got, want)
	}
	tok, err := rs.SignIn(context.Background(), id)
	if err != nil {
		t.Fatalf("the consent page does not offer the added user: %v", err)
	}
	if code, body := get(t, rs, tok.AccessToken, "/v2/user/profile"); code != 200 || !strings.Contains(body, `"username":"fresh_face"`) {
		t.Fatalf("signed in as another user: %d %s", code, body)
	}
	feed := dialFeed(t, rs.StreamingSocket(rs.Token(id)))
	stream, err := rs.StartStream(id, restreamtest.StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if f := next(t, feed, "updateIncoming"); f["eventId"] != stream.EventID || int64(f["userId"].(float64)) != id {
		t.Fatalf("updateIncoming %v for stream %+v", f, stream)
	}
	if _, err := rs.AddUser(restreamtest.NewUser{Username: "fresh_face"}); !restreamtest.IsControlError(err, 409) {
		t.Fatalf("a taken username must be a 409, got %v", err)
	}
	if _, err := rs.StopStream(id, stream.EventID); err != nil {
		t.Fatal(err)
	}
	added := rs.Token(id)
	if err := rs.Reset(); err != nil {
		t.Fatal(err)
	}
	if users := rs.Users(); len(users) != 3 || rs.Token(id) != "" {
		t.Fatalf("after a reset the helper still knows the added user: %+v", users)
	}
	if code, _ := get(t, rs, added, "/v2/user/profile"); code != 401 {
		t.Fatalf("the added user's token answered %d after a reset, want 401", code)
	}
}

// TestResetPutsTheSettingsBackToTheConfig proves Reset restores Config.AutoApprove after a test
// switched it through the control API, in both directions.
func TestResetPutsTheSettingsBackToTheConfig(t *testing.T) {
	for _, auto := range []bool{false, true} {
		t.Run(fmt.Sprintf("auto-approve %v at start", auto), func(t *testing.T) {
			rs := restreamtest.NewServer(t, restreamtest.WithAutoApprove(auto))
			settings := func(method, body string) string {
				t.Helper()
				req, err := http.NewRequest(method, rs.URL+"/__mock/settings", strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/json")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				if res.StatusCode != 200 {
					t.Fatalf("%s /__mock/settings: %d %s", method, res.StatusCode, b)
				}
				return string(b)
			}
			settings(http.MethodPatch, fmt.Sprintf(`{"autoApprove":%v}`, !auto))
			if err := rs.Reset(); err != nil {
				t.Fatal(err)
			}
			if got, want := settings(http.MethodGet, ""), fmt.Sprintf(`"autoApprove":%v`, auto); !strings.Contains(got, want) {
				t.Fatalf("after Reset the settings are %s, want %s", got, want)
			}
		})
	}
}
