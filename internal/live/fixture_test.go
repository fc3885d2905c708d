package live

import (
	"strconv"
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/internal/clock"
	"github.com/restreamkit/restreamkit/internal/fixtures"
	"github.com/restreamkit/restreamkit/internal/state"
)

func TestParseChatFixtureAcceptsTheDocumentedFormat(t *testing.T) {
	f, err := ParseChatFixture([]byte(`{
	  "discord": [
	    {"userId": 2046371,
	     "channel": {"id": "1187364528841211904", "name": "stream-chat", "url": "https://discord.com/channels/1187364528841211000/1187364528841211904"},
	     "server": {"id": "1187364528841211000", "name": "Nova's Nest", "icon": null},
	     "owner": {"id": "402817364528841211", "name": "nova", "avatar": "https://cdn.discordapp.com/avatars/402817364528841211/a1b2c3.png"}}
	  ],
	  "facebook": [
	    {"userId": 3189024, "kind": "group", "websiteChannelId": 6230099, "id": "2876543210987654", "name": "Go Developers"}
	  ]
	}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Discord) != 1 || f.Discord[0].Channel.Name != "stream-chat" || f.Discord[0].Server.Icon != nil ||
		len(f.Facebook) != 1 || f.Facebook[0].Kind != FacebookGroup {
		t.Errorf("parsed %+v", f)
	}
	if string(mustJSON(f.Discord[0].DiscordTarget)) != `{"channel":{"id":"1187364528841211904","name":"stream-chat",`+
		`"url":"https://discord.com/channels/1187364528841211000/1187364528841211904"},"owner":{"avatar":`+
		`"https://cdn.discordapp.com/avatars/402817364528841211/a1b2c3.png","id":"402817364528841211","name":"nova"},`+
		`"server":{"icon":null,"id":"1187364528841211000","name":"Nova's Nest"}}` {
		t.Errorf("the Discord target is not sent as written: %s", mustJSON(f.Discord[0].DiscordTarget))
	}
}

func TestParseChatFixtureRefusesBrokenFixtures(t *testing.T) {
	tests := []struct {
		name string
		json string
		want string
	}{
		{"an unknown field is refused", `{"discrod": []}`, "unknown field"},
		{"a channel without url is refused", `{"discord":[{"userId":1,"channel":{"id":"9"}}]}`, "needs an id and a url"},
		{"a user id of zero is refused", `{"discord":[{"userId":0,"channel":{"id":"9","url":"https://x"}}]}`, "userId must be positive"},
		{"a duplicate channel is refused", `{"discord":[{"userId":1,"channel":{"id":"9","url":"u"}},{"userId":1,"channel":{"id":"9","url":"u"}}]}`, "listed twice"},
		{"a Facebook kind other than profile or group is refused", `{"facebook":[{"userId":1,"kind":"page","websiteChannelId":1,"id":"1","name":"n"}]}`, "neither"},
		{"a Facebook connection without websiteChannelId is refused", `{"facebook":[{"userId":1,"kind":"group","id":"1","name":"n"}]}`, "websiteChannelId"},
		{"two documents are refused", `{} {}`, "more than one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseChatFixture([]byte(tt.json))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestNewChatRefusesAFixtureForAnUnknownUser(t *testing.T) {
	seed, err := fixtures.Load(fixtures.Embedded(), fixtures.EmbeddedName)
	if err != nil {
		t.Fatal(err)
	}
	st, err := state.New(seed.World, clock.New())
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewChat(ChatOptions{Store: st, Publisher: &fakePublisher{}, Fixture: ChatFixture{Discord: []DiscordConnection{
		{UserID: 42, DiscordTarget: DiscordTarget{Channel: DiscordChannel{ID: "1", URL: "https://discord.com/channels/1/1"}}}}}})
	if err == nil || !strings.Contains(err.Error(), "user 42") {
		t.Errorf("NewChat: %v, want an error naming user 42", err)
	}
}

func TestSuperChatTiersFollowTheAmount(t *testing.T) {
	for _, tt := range []struct {
		amount string
		tier   int
	}{
		{"$1.00", 1}, {"$2.00", 2}, {"$4.99", 2}, {"$5.00", 3}, {"$19.99", 4}, {"$20.00", 5}, {"$50", 6}, {"$100.00", 7},
		{"$1,000.00", 7}, {"€10.00", 4}, {"ten dollars", 1},
	} {
		if got := superChatTier(tt.amount); got != tt.tier {
			t.Errorf("superChatTier(%q) = %d, want %d", tt.amount, got, tt.tier)
		}
	}
}

func TestTwitchEmotesAreReplacedLastFirstByCharacterPosition(t *testing.T) {
	tests := []struct {
		name string
		text string
		want string // from-to of each replacement, in order
	}{
		{"a text without emotes has none", "hello there", ""},
		{"an emote alone spans the text", "Kappa", "0-4"},
		{"emotes are listed last first", "Kappa hi PogChamp", "9-16 0-4"},
		{"positions count characters, not bytes", "héllo LUL", "6-8"},
		{"an emote inside a word is not one", "Kappas", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range emoteReplaces(tt.text) {
				got = append(got, strings.Join([]string{itoa(r.From), itoa(r.To)}, "-"))
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("replaces %v, want %s", got, tt.want)
			}
		})
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
