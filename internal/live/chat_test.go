package live

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/state"
)

// testFixture gives nova a Discord channel, a Facebook profile and a Facebook group.
var testFixture = ChatFixture{
	Discord: []DiscordConnection{{UserID: nova, DiscordTarget: DiscordTarget{
		Channel: DiscordChannel{ID: "1187364528841211904", Name: "stream-chat", URL: "https://discord.com/channels/1187364528841211000/1187364528841211904"},
		Server:  &DiscordServer{ID: "1187364528841211000", Name: "Nova's Nest"},
		Owner:   &DiscordOwner{ID: "402817364528841211", Name: "nova", Avatar: "https://cdn.discordapp.com/avatars/402817364528841211/a1b2.png"}}}},
	Facebook: []FacebookConnection{
		{UserID: nova, Kind: FacebookProfile, WebsiteChannelID: 5120090, ID: "100004567890123", Name: "Nova Plays"},
		{UserID: nova, Kind: FacebookGroup, WebsiteChannelID: 5120091, ID: "2876543210987654", Name: "Speedrun Friends"},
	},
}

// withEveryChatPlatform gives nova a channel on every chat platform the fixtures lack and
// enables its Facebook page, so that every source has a connection.
func withEveryChatPlatform(w *state.World) {
	addChannel(w, nova, restreamapi.Channel{Id: 5120010, StreamingPlatformId: PlatformDLive, Identifier: "novaplays", DisplayName: "NovaPlays", Url: "https://dlive.tv/novaplays", Active: true})
	addChannel(w, nova, restreamapi.Channel{Id: 5120011, StreamingPlatformId: PlatformLinkedIn, Identifier: "90210777", DisplayName: "Nova Plays", Url: "https://www.linkedin.com/company/nova-plays", Active: true})
	// Kick and Trovo channels, whose chat is undocumented, open no connection.
	addChannel(w, nova, restreamapi.Channel{Id: 5120012, StreamingPlatformId: PlatformKick, Identifier: "novaplays", DisplayName: "novaplays", Url: "https://kick.com/novaplays", Active: true})
	addChannel(w, nova, restreamapi.Channel{Id: 5120013, StreamingPlatformId: PlatformTrovo, Identifier: "novaplays", DisplayName: "NovaPlays", Url: "https://trovo.live/s/novaplays", Active: true})
	for i := range w.Users {
		for j := range w.Users[i].Channels {
			if w.Users[i].Channels[j].Id == novaFacebook {
				w.Users[i].Channels[j].Active = true
			}
		}
	}
}

// payloadOf decodes the payload of a chat frame into v, strictly.
func payloadOf(t *testing.T, frame map[string]any, v any) {
	t.Helper()
	b, _ := json.Marshal(frame["payload"])
	if err := strictDecode(b, v); err != nil {
		t.Fatalf("%s payload %s: %v", frame["action"], b, err)
	}
}

func TestInitialFramesDescribeEveryChatConnectionOfTheUser(t *testing.T) {
	w := newWorld(t, worldOptions{fixture: testFixture})
	liveVideo := platformEventIdentifier(PlatformYouTube, novaLive)
	tests := []struct {
		name string
		user int64
		want []string // identifier status [reason]
	}{
		{"nova has Twitch, YouTube on the live event, Discord and Facebook, and no manual destination", nova, []string{
			"2046371-twitch-nova_plays connected", "2046371-youtube-UCq3nV7xKp2LmR8sT4wY9bZa connected",
			"2046371-discord-1187364528841211904 connected", "2046371-facebook-100004567890123 connected",
			"2046371-facebook-2876543210987654 connected"}},
		{"tech has nothing live, so YouTube and LinkedIn wait for an event while DLive reads chat; X has no documented chat", tech, []string{
			"3189024-youtube-" + techYouTubeID + " error event_not_started", "3189024-linkedin-84512763 error event_not_started",
			"3189024-dlive-techtalksdaily connected"}},
		{"quiet has Twitch", quiet, []string{"4410087-twitch-quiet_newcomer connected"}},
		{"an unknown user has none", 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			uuids := map[string]bool{}
			for _, raw := range w.chat.InitialFrames(tt.user) {
				f := decode(raw)
				if f["action"] != ActionConnectionInfo || !sameKeys(f, "action", "payload", "timestamp") {
					t.Fatalf("frame %s", raw)
				}
				var p ConnectionInfo
				payloadOf(t, f, &p)
				if !sameKeys(f["payload"], "connectionIdentifier", "connectionUuid", "eventSourceId", "reason", "status", "target", "userId") {
					t.Errorf("connection_info fields %v", keys(f["payload"]))
				}
				if p.UserID != tt.user || uuids[p.ConnectionUUID] || p.ConnectionUUID == "" {
					t.Errorf("connection_info %+v: wrong user or a repeated uuid", p)
				}
				uuids[p.ConnectionUUID] = true
				if (p.Status == StatusError) != (p.Reason != nil) {
					t.Errorf("%s: status %s with reason %v", p.ConnectionIdentifier, p.Status, p.Reason)
				}
				s := p.ConnectionIdentifier + " " + p.Status
				if p.Reason != nil {
					s += " " + *p.Reason
				}
				got = append(got, s)
			}
			if joined(got) != joined(tt.want) {
				t.Errorf("connections\n %v\nwant\n %v", got, tt.want)
			}
		})
	}
	// The YouTube target is the live broadcast.
	for _, c := range w.chat.Connections(nova) {
		if c.EventSourceID == SourceYouTube {
			yt := c.Target.(YouTubeTarget)
			if yt.Event.ID != liveVideo || yt.Event.URL != "https://www.youtube.com/watch?v="+liveVideo || yt.WebsiteChannelID != novaYouTube {
				t.Errorf("YouTube target %+v, want the broadcast %s of channel %d", yt, liveVideo, novaYouTube)
			}
		}
	}
}

// info returns the uuid of the connection_info of identifier among frames, or "".
func infoUUID(t *testing.T, frames []map[string]any, ident string) string {
	t.Helper()
	uuid := ""
	for _, f := range frames {
		if f["action"] == ActionConnectionInfo {
			var p ConnectionInfo
			payloadOf(t, f, &p)
			if p.ConnectionIdentifier == ident {
				uuid = p.ConnectionUUID
			}
		}
	}
	return uuid
}

func TestChannelChangesAnnounceClosedAndInfoFramesWithMatchingUUIDs(t *testing.T) {
	w := newWorld(t, worldOptions{})
	twitch, youtube := "2046371-twitch-nova_plays", "2046371-youtube-UCq3nV7xKp2LmR8sT4wY9bZa"
	var initial []map[string]any
	for _, raw := range w.chat.InitialFrames(nova) {
		initial = append(initial, decode(raw))
	}
	twitchUUID, youtubeUUID := infoUUID(t, initial, twitch), infoUUID(t, initial, youtube)

	steps := []struct {
		name   string
		change func() error
		want   func(t *testing.T, frames []map[string]any)
	}{
		{"disabling Twitch closes its connection as removed", func() error {
			return w.store.SetChannelActive(nova, novaTwitch, false)
		}, func(t *testing.T, frames []map[string]any) {
			var p ConnectionClosed
			if len(frames) != 1 || frames[0]["action"] != ActionConnectionClosed {
				t.Fatalf("frames %v, want one connection_closed", actions(frames))
			}
			payloadOf(t, frames[0], &p)
			if p.ConnectionUUID != twitchUUID || p.Reason != ClosedRemoved {
				t.Errorf("closed %+v, want uuid %s removed", p, twitchUUID)
			}
		}},
		{"enabling Twitch again opens a new connection", func() error {
			return w.store.SetChannelActive(nova, novaTwitch, true)
		}, func(t *testing.T, frames []map[string]any) {
			u := infoUUID(t, frames, twitch)
			if len(frames) != 1 || u == "" || u == twitchUUID {
				t.Errorf("frames %v with uuid %q, want one connection_info with a new uuid", actions(frames), u)
			}
			twitchUUID = u
		}},
		{"enabling a manual destination changes nothing", func() error {
			_, err := w.store.AddChannel(nova, restreamapi.ChannelCreate{PlatformId: 29, StreamUrl: ptr("rtmp://example.com/live")})
			return err
		}, func(t *testing.T, frames []map[string]any) {
			if len(frames) != 0 {
				t.Errorf("frames %v, want none", actions(frames))
			}
		}},
		{"deleting YouTube closes its connection as removed", func() error {
			return w.store.DeleteChannel(nova, novaYouTube)
		}, func(t *testing.T, frames []map[string]any) {
			var p ConnectionClosed
			if len(frames) != 1 {
				t.Fatalf("frames %v, want one", actions(frames))
			}
			payloadOf(t, frames[0], &p)
			if p.ConnectionUUID != youtubeUUID || p.Reason != ClosedRemoved {
				t.Errorf("closed %+v, want uuid %s removed", p, youtubeUUID)
			}
		}},
		{"a reset brings YouTube back with a new connection and leaves Twitch alone", func() error {
			w.store.Reset()
			return nil
		}, func(t *testing.T, frames []map[string]any) {
			u := infoUUID(t, frames, youtube)
			if len(frames) != 1 || u == "" || u == youtubeUUID {
				t.Errorf("frames %v, want only YouTube's connection_info with a new uuid", actions(frames))
			}
		}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			mark := w.chatPub.count()
			if err := s.change(); err != nil {
				t.Fatal(err)
			}
			s.want(t, w.chatPub.since(mark, nova))
		})
	}
}

func TestGoingLiveConnectsEventBasedSourcesAndFinishingReplacesTheirTarget(t *testing.T) {
	w := newWorld(t, worldOptions{})
	youtube := "3189024-youtube-" + techYouTubeID
	before := w.chat.Connections(tech)
	mark := w.chatPub.count()
	info, err := w.streams.Start(tech, StartRequest{})
	if err != nil {
		t.Fatal(err)
	}
	frames := w.chatPub.since(mark, tech)
	if joined(actions(frames)) != "connection_info,connection_info" {
		t.Fatalf("going live sent %v, want one connection_info for YouTube and one for LinkedIn", actions(frames))
	}
	for i, f := range frames {
		var p ConnectionInfo
		payloadOf(t, f, &p)
		if p.Status != StatusConnected || p.Reason != nil || p.ConnectionUUID != before[i].ConnectionUUID {
			t.Errorf("%s: %s with uuid %s, want connected on the same connection %s", p.ConnectionIdentifier, p.Status,
				p.ConnectionUUID, before[i].ConnectionUUID)
		}
	}

	mark = w.chatPub.count()
	if _, err := w.streams.Stop(tech, info.EventID); err != nil {
		t.Fatal(err)
	}
	frames = w.chatPub.since(mark, tech)
	// The next upcoming event is another broadcast: a new connection opens, then the old closes.
	want := "connection_info,connection_closed,connection_info,connection_closed"
	if joined(actions(frames)) != want {
		t.Fatalf("finishing sent %v, want %s", actions(frames), want)
	}
	var opened ConnectionInfo
	var closed ConnectionClosed
	payloadOf(t, frames[0], &opened)
	payloadOf(t, frames[1], &closed)
	if opened.ConnectionIdentifier != youtube || opened.Status != StatusError || opened.ConnectionUUID == before[0].ConnectionUUID ||
		closed.ConnectionUUID != before[0].ConnectionUUID || closed.Reason != ClosedReplaced {
		t.Errorf("opened %+v then closed %+v; want a new YouTube connection in error, then the old one replaced", opened, closed)
	}
}

// eventFields are the fields every payload of a type must have (facts §5.3), nullable ones
// included; nested objects by name.
var eventFields = map[int]map[string][]string{
	TypeDiscordText: {"": {"author", "bot", "text"}, "author": {"avatar", "discriminator", "id", "name", "nickname", "nicknameColor", "roles"}},
	TypeDLiveText:   {"": {"author", "bot", "text"}, "author": {"avatar", "badges", "name", "partnerStatus", "role", "roomRole", "subscribing", "username"}},
	TypeDLiveEmoji:  {"": {"author", "bot", "link"}, "author": {"avatar", "badges", "name", "partnerStatus", "role", "roomRole", "subscribing", "username"}},
	TypeTwitchText: {"": {"author", "bot", "contentModifiers", "replaces", "text"},
		"author": {"avatar", "badges", "color", "displayName", "id", "name", "subscribedFor"}, "contentModifiers": {"me", "whisper"}},
	TypeYouTubeText: {"": {"author", "bot", "text"}, "author": {"id", "avatar", "displayName", "isChatModerator", "isChatOwner", "isChatSponsor", "isVerified"}},
	TypeYouTubeSuperChat: {"": {"author", "bot", "donation", "text"}, "donation": {"amount", "currencyString", "tier"},
		"author": {"id", "avatar", "displayName", "isChatModerator", "isChatOwner", "isChatSponsor", "isVerified"}},
	TypeYouTubeSuperSticker: {"": {"author", "bot", "donation", "text"}, "donation": {"amount", "currencyString", "stickerId", "tier"},
		"author": {"id", "avatar", "displayName", "isChatModerator", "isChatOwner", "isChatSponsor", "isVerified"}},
	TypeFacebookProfileText:    {"": {"author", "bot", "text"}},
	TypeFacebookProfileSticker: {"": {"author", "bot", "link", "text"}},
	TypeFacebookPageText:       {"": {"author", "bot", "text"}},
	TypeFacebookPageSticker:    {"": {"author", "bot", "link", "text"}},
	TypeFacebookGroupText:      {"": {"author", "bot", "text"}},
	TypeFacebookGroupSticker:   {"": {"author", "bot", "link", "text"}},
	TypeLinkedInText:           {"": {"bot", "text"}},
}

// payloadTypes are the Go types of each event type's payload.
var payloadTypes = map[int]func() any{
	TypeDiscordText: func() any { return &DiscordTextPayload{} }, TypeDLiveText: func() any { return &DLiveTextPayload{} },
	TypeDLiveEmoji: func() any { return &DLiveEmojiPayload{} }, TypeTwitchText: func() any { return &TwitchTextPayload{} },
	TypeYouTubeText: func() any { return &YouTubeTextPayload{} }, TypeYouTubeSuperChat: func() any { return &YouTubeSuperChatPayload{} },
	TypeYouTubeSuperSticker: func() any { return &YouTubeSuperStickerPayload{} },
	TypeFacebookProfileText: func() any { return &FacebookTextPayload{} }, TypeFacebookProfileSticker: func() any { return &FacebookStickerPayload{} },
	TypeFacebookPageText: func() any { return &FacebookTextPayload{} }, TypeFacebookPageSticker: func() any { return &FacebookStickerPayload{} },
	TypeFacebookGroupText: func() any { return &FacebookTextPayload{} }, TypeFacebookGroupSticker: func() any { return &FacebookStickerPayload{} },
	TypeLinkedInText: func() any { return &LinkedInTextPayload{} },
}

func TestInjectingEveryEventTypeSendsItsDocumentedPayload(t *testing.T) {
	w := newWorld(t, worldOptions{fixture: testFixture, edit: withEveryChatPlatform})
	conns := map[string]ConnectionInfo{}
	for _, c := range w.chat.Connections(nova) {
		conns[c.ConnectionIdentifier] = c
	}
	for _, typeID := range EventTypes() {
		t.Run(fmt.Sprintf("event type %d", typeID), func(t *testing.T) {
			mark := w.chatPub.count()
			// The clock runs: the frame's second lies between the two readings around the call.
			before := w.clock.Now().Unix()
			got, err := w.chat.InjectEvent(nova, Injection{EventTypeID: typeID})
			after := w.clock.Now().Unix()
			if err != nil {
				t.Fatal(err)
			}
			src, _ := SourceOfEventType(typeID)
			frames := w.chatPub.raw(mark, nova)
			if len(frames) != 1 {
				t.Fatalf("%d frames, want 1", len(frames))
			}
			f := decode(frames[0])
			if ts := num(f["timestamp"]); f["action"] != ActionEvent || !sameKeys(f, "action", "payload", "timestamp") || ts < before || ts > after {
				t.Fatalf("frame %s, want its timestamp within [%d, %d]", frames[0], before, after)
			}
			p := f["payload"].(map[string]any)
			if !sameKeys(p, "connectionIdentifier", "eventIdentifier", "eventPayload", "eventSourceId", "eventTypeId", "userId") {
				t.Errorf("event fields %v", keys(p))
			}
			if num(p["eventTypeId"]) != int64(typeID) || num(p["eventSourceId"]) != int64(src) || num(p["userId"]) != nova ||
				p["eventIdentifier"] == "" || p["eventIdentifier"] != got.EventIdentifier || p["connectionIdentifier"] != got.ConnectionIdentifier {
				t.Errorf("event %v, want type %d from source %d as reported %+v", p, typeID, src, got)
			}
			if c, ok := conns[got.ConnectionIdentifier]; !ok || c.EventSourceID != src {
				t.Errorf("the event came from %s, not a connection of source %d", got.ConnectionIdentifier, src)
			}
			ep := p["eventPayload"]
			for path, fields := range eventFields[typeID] {
				obj := ep
				if path != "" {
					obj = ep.(map[string]any)[path]
				}
				if missing := missingKeys(obj, fields...); len(missing) > 0 {
					t.Errorf("%s of the payload lacks %v: %v", path, missing, obj)
				}
			}
			if ep.(map[string]any)["bot"] != false {
				t.Errorf("bot = %v, want false for a viewer", ep.(map[string]any)["bot"])
			}
			b, _ := json.Marshal(ep)
			if err := strictDecode(b, payloadTypes[typeID]()); err != nil {
				t.Errorf("the payload does not decode into its type: %v", err)
			}
		})
	}
}

func TestInjectionOverridesAuthorTextAndDonation(t *testing.T) {
	w := newWorld(t, worldOptions{})
	mark := w.chatPub.count()
	if _, err := w.chat.InjectEvent(nova, Injection{EventSourceID: SourceTwitch, Author: "Grace Hopper", Text: "nice Kappa run Kappa"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.chat.InjectEvent(nova, Injection{EventTypeID: TypeYouTubeSuperChat, Text: "for the coffee",
		Donation: &Donation{Amount: "$100.00", CurrencyString: "USD"}}); err != nil {
		t.Fatal(err)
	}
	frames := w.chatPub.raw(mark, nova)
	var tw struct{ Payload ChatEvent }
	var twitch TwitchTextPayload
	tw.Payload.EventPayload = &twitch
	if err := json.Unmarshal(frames[0], &tw); err != nil {
		t.Fatal(err)
	}
	if *twitch.Author.DisplayName != "Grace Hopper" || twitch.Author.Name != "grace_hopper" || twitch.Text != "nice Kappa run Kappa" {
		t.Errorf("Twitch author %+v text %q", twitch.Author, twitch.Text)
	}
	wantReplaces := []TwitchReplace{
		{From: 15, To: 19, Type: "imageUrl", Payload: ReplacePayload{URL: "https://static-cdn.jtvnw.net/emoticons/v2/25/default/dark/1.0"}},
		{From: 5, To: 9, Type: "imageUrl", Payload: ReplacePayload{URL: "https://static-cdn.jtvnw.net/emoticons/v2/25/default/dark/1.0"}},
	}
	if !slices.Equal(twitch.Replaces, wantReplaces) {
		t.Errorf("replaces %+v, want both emotes, last first", twitch.Replaces)
	}
	var yt struct{ Payload ChatEvent }
	var sc YouTubeSuperChatPayload
	yt.Payload.EventPayload = &sc
	if err := json.Unmarshal(frames[1], &yt); err != nil {
		t.Fatal(err)
	}
	if sc.Donation != (SuperChatDonation{Amount: "$100.00", CurrencyString: "USD", Tier: 7}) || sc.Text != "for the coffee" {
		t.Errorf("super chat %+v", sc)
	}
}

func TestInjectionsThatCannotHappenAreRefused(t *testing.T) {
	w := newWorld(t, worldOptions{})
	tests := []struct {
		name       string
		user       int64
		in         Injection
		wantStatus int
		wantName   string
	}{
		{"an unknown connection is not found", nova, Injection{ConnectionIdentifier: "2046371-twitch-nobody"}, 404, "connection_not_found"},
		{"a source the user lacks is not found", nova, Injection{EventSourceID: SourceDLive}, 404, "connection_not_found"},
		{"a type of another source is a bad request", nova, Injection{ConnectionIdentifier: "2046371-twitch-nova_plays", EventTypeID: TypeYouTubeText}, 400, "invalid_event_type"},
		{"an undocumented type is a bad request", nova, Injection{EventTypeID: 6}, 400, "invalid_event_type"},
		{"a donation on a text message is a bad request", nova, Injection{EventTypeID: TypeYouTubeText, Donation: &Donation{Amount: "$1.00"}}, 400, apierror.NameInvalidBodyParams},
		{"an event-based source before its event goes live is in error", tech, Injection{EventSourceID: SourceYouTube}, 409, FailedInErrorState},
		{"an unknown user is not found", 1, Injection{}, 404, "user_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mark := w.chatPub.count()
			_, err := w.chat.InjectEvent(tt.user, tt.in)
			e, ok := apierror.As(err)
			if !ok || e.Status != tt.wantStatus || e.Name != tt.wantName {
				t.Fatalf("error %v, want %d %s", err, tt.wantStatus, tt.wantName)
			}
			if w.chatPub.count() != mark {
				t.Error("a refused injection published a frame")
			}
		})
	}
}

func TestScriptsPlayTheirMessagesOnTheRightConnections(t *testing.T) {
	w := newWorld(t, worldOptions{fixture: testFixture})
	tests := []struct {
		script string
		want   map[string][]int // connection → event types, in order
	}{
		{"hello", map[string][]int{
			"2046371-twitch-nova_plays": {4, 4}, "2046371-youtube-UCq3nV7xKp2LmR8sT4wY9bZa": {5, 5},
			"2046371-discord-1187364528841211904": {1, 1}, "2046371-facebook-100004567890123": {11, 11},
			"2046371-facebook-2876543210987654": {19, 19}}},
		{"superchat", map[string][]int{"2046371-youtube-UCq3nV7xKp2LmR8sT4wY9bZa": {5, 7, 8}}},
		{"raid", map[string][]int{"2046371-twitch-nova_plays": slices.Repeat([]int{4}, 20)}},
	}
	for _, tt := range tests {
		t.Run("the "+tt.script+" script", func(t *testing.T) {
			mark := w.chatPub.count()
			run, err := w.chat.RunScript(nova, tt.script)
			if err != nil {
				t.Fatal(err)
			}
			select {
			case <-run.Done:
			case <-time.After(10 * time.Second):
				t.Fatal("the script did not finish")
			}
			got := map[string][]int{}
			total := 0
			for _, f := range w.chatPub.since(mark, nova) {
				var ev ChatEvent
				payloadOf(t, f, &ev)
				got[ev.ConnectionIdentifier] = append(got[ev.ConnectionIdentifier], ev.EventTypeID)
				total++
			}
			if total != run.Messages {
				t.Errorf("%d events, the script announced %d", total, run.Messages)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("events by connection %v, want %v", got, tt.want)
			}
		})
	}
	for _, bad := range []struct {
		name, script string
		user         int64
		wantStatus   int
	}{
		{"an unknown script is not found", "dance", nova, 404},
		{"a raid needs Twitch", "raid", tech, 409},
		{"a super chat needs a live YouTube", "superchat", tech, 409},
	} {
		t.Run(bad.name, func(t *testing.T) {
			_, err := w.chat.RunScript(bad.user, bad.script)
			if e, ok := apierror.As(err); !ok || e.Status != bad.wantStatus {
				t.Errorf("error %v, want %d", err, bad.wantStatus)
			}
		})
	}
}

func TestClosingTheChatStopsARunningScript(t *testing.T) {
	w := newWorld(t, worldOptions{spacing: time.Hour})
	run, err := w.chat.RunScript(nova, "raid")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first message", func() bool { return w.chatPub.count() == 1 })
	if err := w.chat.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-run.Done:
	default:
		t.Fatal("the script is still running after Close")
	}
	if n := w.chatPub.count(); n != 1 {
		t.Errorf("%d messages, want only the first of the script", n)
	}
}

func TestRepliesAreCreatedThenAcceptedAndConfirmedOrFailedPerConnection(t *testing.T) {
	w := newWorld(t, worldOptions{fixture: testFixture, edit: withEveryChatPlatform})
	twitch, youtube, linkedin := "2046371-twitch-nova_plays", "2046371-youtube-UCq3nV7xKp2LmR8sT4wY9bZa", "2046371-linkedin-90210777"
	tests := []struct {
		name       string
		req        ReplyRequest
		wantSource int
		wantFrames []string // action connection [reason]
	}{
		{"a common reply goes to every connection that takes replies", ReplyRequest{Text: "thanks all!"}, SourceRestream, []string{
			"reply_created",
			"reply_accepted " + twitch, "reply_confirmed " + twitch,
			"reply_accepted " + youtube, "reply_confirmed " + youtube,
			"reply_accepted 2046371-facebook-108236479512734", "reply_confirmed 2046371-facebook-108236479512734",
			"reply_accepted 2046371-dlive-novaplays", "reply_confirmed 2046371-dlive-novaplays",
			"reply_accepted 2046371-discord-1187364528841211904", "reply_confirmed 2046371-discord-1187364528841211904"}},
		{"a reply to one connection carries its source", ReplyRequest{Text: "hi", ConnectionIdentifiers: []string{youtube}}, SourceYouTube,
			[]string{"reply_created", "reply_accepted " + youtube, "reply_confirmed " + youtube}},
		{"a failure asked for carries its reason", ReplyRequest{Text: "hi", ConnectionIdentifiers: []string{twitch, youtube},
			Outcome: OutcomeFail, Reason: "discord_rate_limit"}, SourceRestream,
			[]string{"reply_created", "reply_failed " + twitch + " discord_rate_limit", "reply_failed " + youtube + " discord_rate_limit"}},
		{"among several targets, a source that cannot take replies fails in error state",
			ReplyRequest{Text: "hi", ConnectionIdentifiers: []string{linkedin, twitch}}, SourceRestream,
			[]string{"reply_created", "reply_failed " + linkedin + " connection_in_error_state", "reply_accepted " + twitch, "reply_confirmed " + twitch}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mark := w.chatPub.count()
			res, err := w.chat.Reply(nova, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range w.chatPub.since(mark, nova) {
				p := f["payload"].(map[string]any)
				s := f["action"].(string)
				if s == ActionReplyCreated {
					var rc ReplyCreated
					payloadOf(t, f, &rc)
					if rc.ReplyUUID != res.ReplyUUID || rc.ClientReplyUUID == "" || rc.EventSourceID != tt.wantSource ||
						rc.Text != tt.req.Text || !slices.Equal(rc.ConnectionIdentifiers, res.ConnectionIdentifiers) {
						t.Errorf("reply_created %+v, result %+v, want source %d", rc, res, tt.wantSource)
					}
				} else {
					if p["replyUuid"] != res.ReplyUUID {
						t.Errorf("%s for reply %v, want %s", s, p["replyUuid"], res.ReplyUUID)
					}
					s += " " + p["connectionIdentifier"].(string)
					if r, ok := p["reason"]; ok {
						s += " " + r.(string)
					}
				}
				got = append(got, s)
			}
			if joined(got) != joined(tt.wantFrames) {
				t.Errorf("frames\n %v\nwant\n %v", got, tt.wantFrames)
			}
		})
	}
	for _, bad := range []struct {
		name       string
		req        ReplyRequest
		wantStatus int
	}{
		{"an empty text is a bad request", ReplyRequest{}, 400},
		{"an unknown outcome is a bad request", ReplyRequest{Text: "x", Outcome: "maybe"}, 400},
		{"an unknown connection is not found", ReplyRequest{Text: "x", ConnectionIdentifiers: []string{"nope"}}, 404},
		{"a reply to LinkedIn alone is refused", ReplyRequest{Text: "x", ConnectionIdentifiers: []string{linkedin}}, 409},
	} {
		t.Run(bad.name, func(t *testing.T) {
			mark := w.chatPub.count()
			if _, err := w.chat.Reply(nova, bad.req); err == nil {
				t.Fatal("accepted")
			} else if e, _ := apierror.As(err); e.Status != bad.wantStatus {
				t.Errorf("status %d, want %d", e.Status, bad.wantStatus)
			}
			if w.chatPub.count() != mark {
				t.Error("a refused reply published frames")
			}
		})
	}
}

func TestARelayToAConnectionInErrorFails(t *testing.T) {
	w := newWorld(t, worldOptions{})
	techYT, techLI := "3189024-youtube-"+techYouTubeID, "3189024-linkedin-84512763"
	mark := w.chatPub.count()
	res, err := w.chat.Relay(tech, RelayRequest{SourceEventIdentifier: "msg-1", ConnectionIdentifiers: []string{techYT, techLI}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range w.chatPub.since(mark, tech) {
		var rf RelayFailed
		payloadOf(t, f, &rf)
		got = append(got, f["action"].(string)+" "+rf.ConnectionIdentifier+" "+rf.Reason+" "+rf.SourceEventIdentifier)
	}
	want := []string{"relay_failed " + techYT + " connection_in_error_state msg-1", "relay_failed " + techLI + " connection_in_error_state msg-1"}
	if joined(got) != joined(want) || res.Outcomes[techYT] != FailedInErrorState {
		t.Errorf("frames %v (outcomes %v), want %v", got, res.Outcomes, want)
	}
	// The common relay of nova goes to Twitch and YouTube, the relay-capable connections.
	mark = w.chatPub.count()
	res, err = w.chat.Relay(nova, RelayRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(w.chatPub.since(mark, nova)); joined(got) != "relay_accepted,relay_confirmed,relay_accepted,relay_confirmed" ||
		len(res.ConnectionIdentifiers) != 2 || res.SourceEventIdentifier == "" {
		t.Errorf("frames %v, result %+v", got, res)
	}
}

func TestAnnouncingShutdownClosesEveryConnectionAndRenewsTheirUUIDs(t *testing.T) {
	w := newWorld(t, worldOptions{})
	before := w.chat.Connections(nova)
	mark := w.chatPub.count()
	w.chat.AnnounceShutdown()
	frames := w.chatPub.since(mark, nova)
	if len(frames) != len(before) {
		t.Fatalf("%d frames for %d connections", len(frames), len(before))
	}
	after := w.chat.Connections(nova)
	for i, f := range frames {
		var p ConnectionClosed
		payloadOf(t, f, &p)
		if p.ConnectionUUID != before[i].ConnectionUUID || p.Reason != ClosedShutdown || after[i].ConnectionUUID == before[i].ConnectionUUID {
			t.Errorf("closed %+v for %+v; want shutdown of the old uuid and a new one after", p, before[i])
		}
	}
}

func TestChatFramesAreStampedWithTheMockClock(t *testing.T) {
	w := newWorld(t, worldOptions{})
	w.clock.Advance(36 * time.Hour)
	before := w.clock.Now().Unix() // the clock runs on from there
	frame := decode(w.chat.InitialFrames(quiet)[0])
	if ts, after := num(frame["timestamp"]), w.clock.Now().Unix(); ts < before || ts > after {
		t.Errorf("timestamp %v, want the mock now, within [%d, %d]", frame["timestamp"], before, after)
	}
	hb := string(HeartbeatFrame(time.Unix(1672574400, 0)))
	if hb != `{"action":"heartbeat","payload":{},"timestamp":1672574400}` {
		t.Errorf("heartbeat %s", hb)
	}
}

func TestConnectionIdentifiersFollowTheThirdPartyFormat(t *testing.T) {
	for _, c := range []struct {
		source int
		id     string
		want   string
	}{
		{SourceTwitch, "nova_plays", "2046371-twitch-nova_plays"},
		{SourceYouTube, "UCabc", "2046371-youtube-UCabc"},
		{SourceDiscord, "118", "2046371-discord-118"},
		{SourceFacebookPage, "1082", "2046371-facebook-1082"},
	} {
		if got := connectionIdentifier(nova, c.source, c.id); got != c.want {
			t.Errorf("connectionIdentifier(%d, %q) = %q, want %q", c.source, c.id, got, c.want)
		}
	}
	if !strings.HasPrefix(platformEventIdentifier(PlatformLinkedIn, novaLive), "urn:li:ugcPost:") ||
		len(platformEventIdentifier(PlatformYouTube, novaLive)) != 11 || platformEventIdentifier(PlatformTwitch, novaLive) != "" ||
		platformEventIdentifier(PlatformYouTube, novaLive) != platformEventIdentifier(PlatformYouTube, novaLive) {
		t.Error("platform event identifiers are not stable and shaped per platform")
	}
}
