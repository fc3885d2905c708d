package restreamtest_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/restreamkit/restreamkit/examples"
	"github.com/restreamkit/restreamkit/restreamtest"
)

func TestAnUnstartedServerStartsWithTheConfigTheTestSet(t *testing.T) {
	rs := restreamtest.NewUnstartedServer(t)
	if rs.URL != "" {
		t.Fatalf("an unstarted server has a URL: %s", rs.URL)
	}
	rs.Config.Heartbeat = 10 * time.Millisecond
	rs.Config.StreamInterval = 10 * time.Millisecond
	rs.Config.AutoApprove = true
	rs.Start()

	chat := dialFeed(t, rs.ChatSocket(rs.Token(quiet)))
	next(t, chat, "connection_info")
	next(t, chat, "heartbeat") // 45 s away without the Config
	stream, err := rs.StartStream(quiet, restreamtest.StreamOptions{})
	if err != nil || stream.Interval != 10*time.Millisecond {
		t.Fatalf("stream %+v: %v", stream, err)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Get(rs.OAuth2.AuthCodeURL("s"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("auto-approve is on: want 302, got %d", res.StatusCode)
	}
	defer func() {
		if recover() == nil {
			t.Error("a second Start must panic, as httptest's does")
		}
	}()
	rs.Start()
}

func TestOptionsAndConfigFieldsAreTheSameSettings(t *testing.T) {
	cases := []struct {
		name string
		opt  restreamtest.Option
		want restreamtest.Config
	}{
		{"WithHeartbeat", restreamtest.WithHeartbeat(time.Second), restreamtest.Config{Heartbeat: time.Second}},
		{"WithStreamInterval", restreamtest.WithStreamInterval(time.Second), restreamtest.Config{StreamInterval: time.Second}},
		{"WithChatScriptSpacing", restreamtest.WithChatScriptSpacing(time.Second), restreamtest.Config{ChatScriptSpacing: time.Second}},
		{"WithAutoApprove", restreamtest.WithAutoApprove(true), restreamtest.Config{AutoApprove: true}},
		{"WithFixturesDir", restreamtest.WithFixturesDir("dir"), restreamtest.Config{FixturesDir: "dir"}},
		{"WithFixturesOnly", restreamtest.WithFixturesOnly(), restreamtest.Config{FixturesOnly: true}},
		{"Lenient", restreamtest.Lenient(), restreamtest.Config{Lenient: true}},
	}
	for _, c := range cases {
		t.Run(c.name+" sets its field", func(t *testing.T) {
			var got restreamtest.Config
			c.opt(&got)
			if got != c.want {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestAServerWithBothFixtureFieldsDoesNotStart(t *testing.T) {
	_, err := restreamtest.Start(restreamtest.WithFixturesDir("../examples"), restreamtest.WithFixtures(examples.FS))
	if err == nil || !strings.Contains(err.Error(), "not both") {
		t.Fatalf("want a refusal, got %v", err)
	}
}

func TestTheFixtureConstantsNameTheFixtures(t *testing.T) {
	rs := restreamtest.NewServer(t)
	users := []struct {
		id       int64
		username string
		channels map[int64]bool // id → active
	}{
		{restreamtest.Nova, "nova_plays", map[int64]bool{restreamtest.NovaTwitchChannel: true, restreamtest.NovaYouTubeChannel: true,
			restreamtest.NovaFacebookChannel: false, restreamtest.NovaRTMPChannel: true, restreamtest.NovaTelegramChannel: true}},
		{restreamtest.TechTalks, "techtalks_daily", map[int64]bool{restreamtest.TechTalksYouTubeChannel: true,
			restreamtest.TechTalksLinkedInChannel: true, restreamtest.TechTalksSRTChannel: true,
			restreamtest.TechTalksSteamChannel: false, restreamtest.TechTalksXChannel: true, restreamtest.TechTalksDLiveChannel: true}},
		{restreamtest.QuietNewcomer, "quiet_newcomer", map[int64]bool{restreamtest.QuietNewcomerTwitchChannel: true}},
	}
	if rs.DefaultUser != restreamtest.Nova {
		t.Errorf("the default user is %d, not Nova", rs.DefaultUser)
	}
	for _, u := range users {
		t.Run(u.username, func(t *testing.T) {
			tok := rs.Token(u.id)
			if _, body := get(t, rs, tok, "/v2/user/profile"); !strings.Contains(body, `"username":"`+u.username+`"`) {
				t.Fatalf("user %d is not %s: %s", u.id, u.username, body)
			}
			_, all := get(t, rs, tok, "/v2/user/channel/all")
			if n := strings.Count(all, `"streamingPlatformId"`); n != len(u.channels) {
				t.Fatalf("%s has %d channels, the constants name %d", u.username, n, len(u.channels))
			}
			for id, active := range u.channels {
				code, body := get(t, rs, tok, fmt.Sprintf("/v2/user/channel/%d", id))
				if code != 200 || !strings.Contains(body, fmt.Sprintf(`"active":%v`, active)) {
					t.Errorf("channel %d of %s: %d %s", id, u.username, code, body)
				}
			}
		})
	}
}
