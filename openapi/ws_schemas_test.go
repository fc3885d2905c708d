package openapi_test

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/restreamkit/restreamkit/internal/validate"
	"github.com/restreamkit/restreamkit/openapi"
)

// The JSON Schemas in openapi/schemas/ws describe the text frames of Restream's two WebSocket
// feeds (facts sections 4 and 5): one file per action and a *-frame.json union of them. The
// proxy checks real frames against them with our own validator (internal/validate), and other
// tools read them as plain JSON Schema 2020-12. These tests hold both readings to the same
// verdicts: every realistic frame passes its action's file and the union in both validators,
// and every broken frame fails both in both.

const (
	// wsDir is where the frame schemas live, relative to openapi.SchemasDir.
	wsDir = "ws"
	// streamingUnion and chatUnion are the union files of the two feeds.
	streamingUnion = "ws/streaming-frame.json"
	chatUnion      = "ws/chat-frame.json"
)

// unionOf names the union file that covers the per-action file rel.
func unionOf(rel string) string {
	if strings.HasPrefix(path.Base(rel), "chat-") {
		return chatUnion
	}
	return streamingUnion
}

// frameValidators holds every ws schema compiled twice: by santhosh-tekuri/jsonschema (the
// reference reading of 2020-12, with formats asserted) and by internal/validate (what the proxy
// and the mock use).
type frameValidators struct {
	ref map[string]*jsonschema.Schema
	own map[string]*validate.Schema
}

// wsFiles lists the ws schema files as paths relative to openapi.SchemasDir ("ws/chat-frame.json").
func wsFiles(t *testing.T) []string {
	t.Helper()
	entries, err := fs.ReadDir(openapi.FS, path.Join(openapi.SchemasDir, wsDir))
	if err != nil {
		t.Fatalf("reading %s/%s: %v", openapi.SchemasDir, wsDir, err)
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") {
			out = append(out, path.Join(wsDir, e.Name()))
		}
	}
	if len(out) == 0 {
		t.Fatalf("no schema files in %s/%s", openapi.SchemasDir, wsDir)
	}
	return out
}

// compileFrameSchemas compiles every ws file with both validators; a file that does not
// compile fails the test.
func compileFrameSchemas(t *testing.T) *frameValidators {
	t.Helper()
	files := wsFiles(t)
	c := loadSchemas(t).compiler(t)
	v := &frameValidators{ref: map[string]*jsonschema.Schema{}}
	docs := map[string][]byte{}
	for _, rel := range files {
		sch, err := c.Compile(schemaBase + rel)
		if err != nil {
			t.Fatalf("%s does not compile as JSON Schema 2020-12: %v", rel, err)
		}
		v.ref[rel] = sch
		data, err := fs.ReadFile(openapi.FS, path.Join(openapi.SchemasDir, rel))
		if err != nil {
			t.Fatal(err)
		}
		docs[rel] = data
	}
	// Documents are keyed by their path under schemas/; CompileDocuments also files each one
	// under its $id, which is how the cross-file $refs resolve.
	own, err := validate.CompileDocuments(validate.JSONSchema202012, docs, files...)
	if err != nil {
		t.Fatalf("internal/validate does not compile the ws schemas: %v", err)
	}
	v.own = own
	return v
}

// verdicts validates frame against the schema rel with both validators and returns their
// errors (nil when valid). The reference error is the santhosh one; the own one lists the
// violations internal/validate found.
func (v *frameValidators) verdicts(t *testing.T, rel, frame string) (refErr, ownErr error) {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(frame))
	if err != nil {
		t.Fatalf("the test frame is not JSON: %v\n%s", err, frame)
	}
	if sch := v.ref[rel]; sch == nil {
		t.Fatalf("no compiled schema %s", rel)
	} else {
		refErr = sch.Validate(doc)
	}
	if viol := v.own[rel].Check(nil, []byte(frame), validate.ServerFrame); len(viol) > 0 {
		ownErr = fmt.Errorf("%v", viol)
	}
	return refErr, ownErr
}

func TestEveryWebSocketSchemaCompilesInBothValidators(t *testing.T) {
	v := compileFrameSchemas(t)
	for _, rel := range wsFiles(t) {
		if v.ref[rel] == nil || v.own[rel] == nil {
			t.Errorf("%s was not compiled by both validators", rel)
		}
	}
	// The unions name every per-action file of their feed, and nothing else.
	set := loadSchemas(t)
	for _, union := range []string{streamingUnion, chatUnion} {
		var named []string
		branches, _ := set.docs[union]["oneOf"].([]any)
		for _, b := range branches {
			ref, _ := b.(map[string]any)["$ref"].(string)
			named = append(named, path.Join(wsDir, ref))
		}
		var want []string
		for _, rel := range wsFiles(t) {
			if rel != union && unionOf(rel) == union {
				want = append(want, rel)
			}
		}
		slices.Sort(named)
		if !slices.Equal(named, want) {
			t.Errorf("%s names %v, want every per-action file of its feed %v", union, named, want)
		}
	}
}

// frameCase is one frame and the per-action schema file it is checked against (and the
// union of its feed).
type frameCase struct {
	name  string
	file  string // relative to openapi.SchemasDir
	frame string
}

// validFrames are realistic frames of every action, every event type and every connection
// target shape, built from the facts' examples and corrected into the documented shapes.
var validFrames = []frameCase{
	// Streaming updates (facts section 4).
	{"an ingest stream update outside any event", "ws/streaming-update-incoming.json",
		`{"action":"updateIncoming","userId":674443,"eventId":null,"createdAt":1672574400,"suid":"abc123",
		 "streaming":{"fps":30,"keyframeInterval":2,"lossRate":0,"bitrate":{"total":5000000,"audio":128000,"video":4872000},
		 "codec":{"audio":"aac","video":"h264"},"profileAndLevel":"high/4.1","height":1080,"width":1920}}`},
	{"an ingest stream update of an event at 29.97 fps", "ws/streaming-update-incoming.json",
		`{"action":"updateIncoming","userId":674443,"eventId":"2527849f-f961-4b1d-8ae0-8eae4f068327","createdAt":1672574400,"suid":"abc123",
		 "streaming":{"fps":29.97,"keyframeInterval":2.5,"lossRate":0.01,"bitrate":{"total":2628000.5,"audio":128000,"video":2500000.5},
		 "codec":{"audio":"opus","video":"h265"},"profileAndLevel":"main/4.0","height":720,"width":1280}}`},
	{"an ingest stream end", "ws/streaming-delete-incoming.json",
		`{"action":"deleteIncoming","userId":674443,"createdAt":1672574400,"suid":"abc123"}`},
	{"an outgoing stream that is connected", "ws/streaming-update-outgoing.json",
		`{"action":"updateOutgoing","userId":674443,"platformId":5,"channelId":123,"createdAt":1672574400,
		 "channelIdentifier":"UCxxx","eventIdentifier":"yyy","streaming":{"status":"CONNECTED","bitrate":4500000,"bufferedBytes":0}}`},
	{"an outgoing stream that is still connecting", "ws/streaming-update-outgoing.json",
		`{"action":"updateOutgoing","userId":674443,"platformId":1,"channelId":124,"createdAt":1672574400,
		 "channelIdentifier":"mystream","eventIdentifier":"","streaming":{"status":"CONNECTING","bitrate":0,"bufferedBytes":65536}}`},
	{"an outgoing stream that dropped", "ws/streaming-update-outgoing.json",
		`{"action":"updateOutgoing","userId":674443,"platformId":1,"channelId":124,"createdAt":1672574400,
		 "channelIdentifier":"mystream","eventIdentifier":"","streaming":{"status":"DISCONNECTED","bitrate":0,"bufferedBytes":0}}`},
	{"an outgoing stream end", "ws/streaming-delete-outgoing.json",
		`{"action":"deleteOutgoing","userId":674443,"platformId":5,"channelId":123,"createdAt":1672574400}`},
	{"platform statuses with some figures unknown", "ws/streaming-update-statuses.json",
		`{"action":"updateStatuses","userId":674443,"platformId":1,"channelId":123,"createdAt":1672574400,"updatedAt":1672574460,
		 "channelIdentifier":"mystream","eventIdentifier":"","channelViews":null,"followers":3,"gameTitle":null,"online":true,
		 "streamViews":null,"title":"My title","viewers":4}`},
	{"platform statuses with every figure known", "ws/streaming-update-statuses.json",
		`{"action":"updateStatuses","userId":674443,"platformId":5,"channelId":123,"createdAt":1672574400,"updatedAt":1672574400,
		 "channelIdentifier":"UCxxx","eventIdentifier":"yyy","channelViews":1200,"followers":340,"gameTitle":"Just Chatting","online":false,
		 "streamViews":87,"title":"Friday stream","viewers":0}`},
	{"platform statuses with the eventId of a third-party fixture (UNCONFIRMED, optional)", "ws/streaming-update-statuses.json",
		`{"action":"updateStatuses","userId":674443,"platformId":1,"channelId":123,"createdAt":1672574400,"updatedAt":1672574460,
		 "channelIdentifier":"mystream","eventIdentifier":"","channelViews":null,"followers":3,"gameTitle":null,"online":true,
		 "streamViews":null,"title":"My title","viewers":4,"eventId":"restream-event-a"}`},

	// Chat (facts section 5): one frame per action.
	{"a heartbeat", "ws/chat-heartbeat.json", `{"action":"heartbeat","payload":{},"timestamp":1672574400}`},
	{"a connection closed because it was replaced", "ws/chat-connection-closed.json",
		`{"action":"connection_closed","payload":{"connectionUuid":"5f1c2a9e-7f3b-4c1d-9a8e-2b6f0c4d3e21","reason":"replaced"},"timestamp":1672574500}`},
	{"a connection closed before it was established", "ws/chat-connection-closed.json",
		`{"action":"connection_closed","payload":{"connectionUuid":"5f1c2a9e-7f3b-4c1d-9a8e-2b6f0c4d3e21","reason":"connection_establish_too_long"},"timestamp":1672574500}`},
	{"a common reply to two targets", "ws/chat-reply-created.json",
		`{"action":"reply_created","payload":{"clientReplyUuid":"c-1","connectionIdentifiers":["674443-twitch-abc","674443-youtube-abc"],
		 "eventSourceId":1,"replyUuid":"r-1","text":"thanks all"},"timestamp":1672574402}`},
	{"a reply to a single Twitch target", "ws/chat-reply-created.json",
		`{"action":"reply_created","payload":{"clientReplyUuid":"c-2","connectionIdentifiers":["674443-twitch-abc"],
		 "eventSourceId":2,"replyUuid":"r-2","text":"hi bob"},"timestamp":1672574402}`},
	{"a reply to a single Kick target (whether Kick takes replies is UNCONFIRMED)", "ws/chat-reply-created.json",
		`{"action":"reply_created","payload":{"clientReplyUuid":"c-4","connectionIdentifiers":["674443-kick-abc"],
		 "eventSourceId":29,"replyUuid":"r-4","text":"hi kick"},"timestamp":1672574402}`},
	{"a reply accepted", "ws/chat-reply-accepted.json",
		`{"action":"reply_accepted","payload":{"connectionIdentifier":"674443-twitch-abc","replyUuid":"r-2"},"timestamp":1672574403}`},
	{"a reply confirmed", "ws/chat-reply-confirmed.json",
		`{"action":"reply_confirmed","payload":{"connectionIdentifier":"674443-twitch-abc","replyUuid":"r-2"},"timestamp":1672574403}`},
	{"a reply failed for a documented reason", "ws/chat-reply-failed.json",
		`{"action":"reply_failed","payload":{"connectionIdentifier":"674443-discord-abc","reason":"discord_rate_limit","replyUuid":"r-3"},"timestamp":1672574404}`},
	{"a reply failed for a reason the docs do not list (the list is not exhaustive)", "ws/chat-reply-failed.json",
		`{"action":"reply_failed","payload":{"connectionIdentifier":"674443-discord-abc","reason":"kick_chat_disabled","replyUuid":"r-3"},"timestamp":1672574404}`},
	{"a relay accepted", "ws/chat-relay-accepted.json",
		`{"action":"relay_accepted","payload":{"connectionIdentifier":"674443-youtube-abc","sourceEventIdentifier":"e1"},"timestamp":1672574405}`},
	{"a relay confirmed", "ws/chat-relay-confirmed.json",
		`{"action":"relay_confirmed","payload":{"connectionIdentifier":"674443-youtube-abc","sourceEventIdentifier":"e1"},"timestamp":1672574405}`},
	{"a relay failed", "ws/chat-relay-failed.json",
		`{"action":"relay_failed","payload":{"connectionIdentifier":"674443-facebook-abc","reason":"facebook_event_not_live","sourceEventIdentifier":"e1"},"timestamp":1672574406}`},

	// connection_info: every documented target shape (facts section 5.4) and every status.
	{"a connected Twitch channel", "ws/chat-connection-info.json", connectionInfo(2, "connected", "null",
		`{"owner":{"avatar":"https://static-cdn.jtvnw.net/a.png","displayName":"Bob","id":"42","name":"bob","url":"https://twitch.tv/bob"},"websiteChannelId":123}`)},
	{"a Twitch channel whose owner gives only the required fields", "ws/chat-connection-info.json", connectionInfo(2, "connecting", "null",
		`{"owner":{"displayName":"Bob","id":"42"},"websiteChannelId":123}`)},
	{"a connected YouTube broadcast (the facts' example)", "ws/chat-connection-info.json", connectionInfo(13, "connected", "null",
		`{"websiteChannelId":12345,"owner":{"id":"UCxxx","displayName":"Test User"},"event":{"id":"vid","url":"https://youtube.com/watch?v=vid"}}`)},
	{"a YouTube broadcast whose chat ended", "ws/chat-connection-info.json", connectionInfo(13, "error", `"youtube_livechat_ended"`,
		`{"websiteChannelId":12345,"owner":{"avatar":"https://yt3.ggpht.com/a.jpg","id":"UCxxx","displayName":"Test User"},"event":{"id":"vid","title":"Live now","url":"https://youtube.com/watch?v=vid"}}`)},
	{"a Facebook personal live video", "ws/chat-connection-info.json", connectionInfo(19, "connected", "null",
		`{"liveVideo":{"id":"lv1","status":"LIVE","title":"Hello","url":"https://facebook.com/lv1"},"user":{"avatar":"https://graph.facebook.com/u1/picture","id":"u1","name":"Ann"},"websiteChannelId":200}`)},
	{"a Facebook page live video that is not live yet", "ws/chat-connection-info.json", connectionInfo(20, "error", `"facebook_event_not_live"`,
		`{"liveVideo":{"id":"lv2"},"page":{"id":"p1","name":"My Page","picture":"https://graph.facebook.com/p1/picture"},"websiteChannelId":201}`)},
	{"a Facebook group live video (target UNCONFIRMED)", "ws/chat-connection-info.json", connectionInfo(21, "connected", "null",
		`{"liveVideo":{"id":"lv3","url":"https://facebook.com/groups/g1/lv3"},"group":{"id":"g1","name":"Go Developers"},"websiteChannelId":202}`)},
	{"a DLive channel", "ws/chat-connection-info.json", connectionInfo(24, "connected", "null",
		`{"owner":{"avatar":"https://images.prd.dlivecdn.com/a.png","displayName":"Dee","url":"https://dlive.tv/dee","username":"dee"},"websiteChannelId":300}`)},
	{"a Discord channel with its owner and server", "ws/chat-connection-info.json", connectionInfo(25, "connected", "null",
		`{"channel":{"id":"9001","name":"general","url":"https://discord.com/channels/800/9001"},"owner":{"avatar":"https://cdn.discordapp.com/a.png","id":"700","name":"ann"},"server":{"icon":null,"id":"800","name":"Ann's server"}}`)},
	{"a Discord channel with a broken token and nothing optional", "ws/chat-connection-info.json", connectionInfo(25, "error", `"discord_invalid_refresh_token"`,
		`{"channel":{"id":"9001","url":"https://discord.com/channels/800/9001"}}`)},
	{"a LinkedIn post of an organization", "ws/chat-connection-info.json", connectionInfo(26, "connected", "null",
		`{"organization":{"avatarUrl":"https://media.licdn.com/o.png","id":5551,"name":"Acme"},"post":{"id":"urn:li:ugcPost:1","url":"https://www.linkedin.com/feed/update/urn:li:ugcPost:1"},"websiteChannelId":400}`)},
	{"a LinkedIn post of a member before the stream starts", "ws/chat-connection-info.json", connectionInfo(26, "error", `"event_not_started"`,
		`{"post":{"id":"urn:li:ugcPost:2"},"user":{"name":"Ann"},"websiteChannelId":401}`)},
	// Sources whose target shape is not documented (UNCONFIRMED): any object.
	{"a Trovo channel, whose target shape is not documented", "ws/chat-connection-info.json", connectionInfo(27, "connected", "null",
		`{"owner":{"displayName":"Bob","id":"42"},"websiteChannelId":123}`)},
	{"an X broadcast, whose target shape is not documented", "ws/chat-connection-info.json", connectionInfo(28, "connecting", "null",
		`{"broadcast":{"id":"1xyz"},"websiteChannelId":124}`)},
	{"a Kick channel, whose target shape is not documented", "ws/chat-connection-info.json", connectionInfo(29, "connected", "null",
		`{"channel":{"slug":"bob"},"websiteChannelId":125}`)},
	{"a Rumble stream in error, whose target shape is not documented", "ws/chat-connection-info.json", connectionInfo(33, "error", `"internal"`,
		`{}`)},

	// event: every documented event type (facts section 5.3).
	{"a Discord text", "ws/chat-event.json", chatEvent(25, 1,
		`{"author":{"avatar":null,"discriminator":"0001","id":"700","name":"ann","nickname":null,"nicknameColor":null,"roles":[{"color":"#ff0000","name":"mod"}]},"bot":false,"text":"hi"}`)},
	{"a Discord text from an author without roles", "ws/chat-event.json", chatEvent(25, 1,
		`{"author":{"avatar":"https://cdn.discordapp.com/a.png","discriminator":"0","id":"701","name":"bob","nickname":"Bobby","nicknameColor":"#00ff00","roles":null},"bot":true,"text":"beep"}`)},
	{"a DLive text", "ws/chat-event.json", chatEvent(24, 2,
		`{"author":{"avatar":"https://images.prd.dlivecdn.com/a.png","badges":["vip"],"name":"Dee","partnerStatus":"NONE","role":"None","roomRole":"Member","subscribing":false,"username":"dee"},"bot":false,"text":"yo"}`)},
	{"a DLive emoji", "ws/chat-event.json", chatEvent(24, 3,
		`{"author":{"avatar":"https://images.prd.dlivecdn.com/a.png","badges":[],"name":"Dee","partnerStatus":"AFFILIATE","role":"None","roomRole":"Owner","subscribing":true,"username":"dee"},"bot":false,"link":"https://images.prd.dlivecdn.com/emoji/1"}`)},
	{"a Twitch text (the facts' example)", "ws/chat-event.json", chatEvent(2, 4,
		`{"author":{"avatar":null,"badges":[],"color":null,"displayName":"Bob","id":"42","name":"bob","subscribedFor":null},"bot":false,"contentModifiers":{"me":false,"whisper":false},"replaces":[],"text":"hello"}`)},
	{"a Twitch text with badges and an emote", "ws/chat-event.json", chatEvent(2, 4,
		`{"author":{"avatar":"https://static-cdn.jtvnw.net/a.png","badges":[{"title":"Subscriber","imageUrl":"https://static-cdn.jtvnw.net/badges/1","clickUrl":null},{"title":"Prime","imageUrl":"https://static-cdn.jtvnw.net/badges/2","clickUrl":"https://gaming.amazon.com"}],"color":"#1E90FF","displayName":"Bob","id":"42","name":"bob","subscribedFor":6},"bot":false,"contentModifiers":{"me":true,"whisper":false},"replaces":[{"from":6,"to":13,"type":"imageUrl","payload":{"url":"https://static-cdn.jtvnw.net/emoticons/v2/25/default/dark/1.0"}}],"text":"hello Kappa"}`)},
	{"a YouTube text", "ws/chat-event.json", chatEvent(13, 5,
		`{"author":{"id":"UCyyy","avatar":"https://yt3.ggpht.com/b.jpg","displayName":"Cat","isChatModerator":false,"isChatOwner":false,"isChatSponsor":true,"isVerified":false},"bot":false,"text":"first"}`)},
	{"a YouTube Super Chat", "ws/chat-event.json", chatEvent(13, 7,
		`{"author":{"id":"UCyyy","avatar":"https://yt3.ggpht.com/b.jpg","displayName":"Cat","isChatModerator":false,"isChatOwner":false,"isChatSponsor":false,"isVerified":false},"bot":false,"donation":{"amount":"$5.00","currencyString":"USD","tier":2},"text":"great stream"}`)},
	{"a YouTube Super Sticker", "ws/chat-event.json", chatEvent(13, 8,
		`{"author":{"id":"UCyyy","avatar":"https://yt3.ggpht.com/b.jpg","displayName":"Cat","isChatModerator":false,"isChatOwner":false,"isChatSponsor":false,"isVerified":true},"bot":false,"donation":{"amount":"€2.00","currencyString":"EUR","stickerId":"sticker-1","tier":1},"text":"A cat waving"}`)},
	{"a Facebook personal text that answers a comment", "ws/chat-event.json", chatEvent(19, 11,
		`{"author":{"id":"u2","name":"Eve","picture":"https://graph.facebook.com/u2/picture"},"bot":false,"parent":{"name":"Ann"},"text":"agreed"}`)},
	{"a Facebook personal sticker", "ws/chat-event.json", chatEvent(19, 12,
		`{"author":{"name":"Eve"},"bot":false,"link":"https://scontent.xx.fbcdn.net/s1.png","text":""}`)},
	{"a Facebook page text", "ws/chat-event.json", chatEvent(20, 13,
		`{"author":{"id":"u3","name":"Joe"},"bot":false,"text":"nice"}`)},
	{"a Facebook page sticker", "ws/chat-event.json", chatEvent(20, 14,
		`{"author":{"id":"u3"},"bot":false,"link":"https://scontent.xx.fbcdn.net/s2.png","parent":{},"text":"thumbs up"}`)},
	{"a Facebook group text with an empty author", "ws/chat-event.json", chatEvent(21, 19,
		`{"author":{},"bot":false,"text":"hello group"}`)},
	{"a Facebook group sticker", "ws/chat-event.json", chatEvent(21, 20,
		`{"author":{},"bot":false,"link":"https://scontent.xx.fbcdn.net/s3.png","text":"wave"}`)},
	{"a LinkedIn text", "ws/chat-event.json", chatEvent(26, 21,
		`{"author":{"avatarUrl":"https://media.licdn.com/u.png","name":"Ann"},"bot":false,"text":"congrats"}`)},
	{"a LinkedIn text without an author", "ws/chat-event.json", chatEvent(26, 21,
		`{"bot":false,"text":"anonymous"}`)},
	{"a Kick message of a type the docs do not list (UNCONFIRMED)", "ws/chat-event.json", chatEvent(29, 40,
		`{"author":{"username":"bob"},"text":"hello kick"}`)},
}

// connectionInfo builds a connection_info frame; reason is JSON text ("null" or a quoted code).
func connectionInfo(source int, status, reason, target string) string {
	return fmt.Sprintf(`{"action":"connection_info","timestamp":1672574400,"payload":{"connectionIdentifier":"674443-src%d-abc",
		"connectionUuid":"5f1c2a9e-7f3b-4c1d-9a8e-2b6f0c4d3e21","eventSourceId":%d,"reason":%s,"status":%q,"userId":674443,
		"target":%s}}`, source, source, reason, status, target)
}

// chatEvent builds an event frame of the given source and type around an eventPayload.
func chatEvent(source, eventType int, eventPayload string) string {
	return fmt.Sprintf(`{"action":"event","timestamp":1672574401,"payload":{"connectionIdentifier":"674443-src%d-abc",
		"eventIdentifier":"e1","eventSourceId":%d,"eventTypeId":%d,"userId":674443,"eventPayload":%s}}`,
		source, source, eventType, eventPayload)
}

// brokenFrames each break one documented rule; every one must fail its action's file and the
// union, in both validators.
var brokenFrames = []frameCase{
	// Streaming updates.
	{"an unknown streaming action", "ws/streaming-delete-incoming.json",
		`{"action":"updateSomething","userId":674443,"createdAt":1672574400,"suid":"abc123"}`},
	{"a streaming frame without action", "ws/streaming-delete-incoming.json",
		`{"userId":674443,"createdAt":1672574400,"suid":"abc123"}`},
	{"an ingest stream end without suid", "ws/streaming-delete-incoming.json",
		`{"action":"deleteIncoming","userId":674443,"createdAt":1672574400}`},
	{"an ingest stream update without eventId", "ws/streaming-update-incoming.json",
		`{"action":"updateIncoming","userId":674443,"createdAt":1672574400,"suid":"abc123",
		 "streaming":{"fps":30,"keyframeInterval":2,"lossRate":0,"bitrate":{"total":5000000,"audio":128000,"video":4872000},
		 "codec":{"audio":"aac","video":"h264"},"profileAndLevel":"high/4.1","height":1080,"width":1920}}`},
	{"an ingest stream update without codec", "ws/streaming-update-incoming.json",
		`{"action":"updateIncoming","userId":674443,"eventId":null,"createdAt":1672574400,"suid":"abc123",
		 "streaming":{"fps":30,"keyframeInterval":2,"lossRate":0,"bitrate":{"total":5000000,"audio":128000,"video":4872000},
		 "profileAndLevel":"high/4.1","height":1080,"width":1920}}`},
	{"an ingest stream update with an undocumented bitrate field", "ws/streaming-update-incoming.json",
		`{"action":"updateIncoming","userId":674443,"eventId":null,"createdAt":1672574400,"suid":"abc123",
		 "streaming":{"fps":30,"keyframeInterval":2,"lossRate":0,"bitrate":{"total":5000000,"audio":128000,"video":4872000,"peak":6000000},
		 "codec":{"audio":"aac","video":"h264"},"profileAndLevel":"high/4.1","height":1080,"width":1920}}`},
	{"an ingest stream update with a fractional height", "ws/streaming-update-incoming.json",
		`{"action":"updateIncoming","userId":674443,"eventId":null,"createdAt":1672574400,"suid":"abc123",
		 "streaming":{"fps":30,"keyframeInterval":2,"lossRate":0,"bitrate":{"total":5000000,"audio":128000,"video":4872000},
		 "codec":{"audio":"aac","video":"h264"},"profileAndLevel":"high/4.1","height":1080.5,"width":1920}}`},
	{"an outgoing stream end with a string userId", "ws/streaming-delete-outgoing.json",
		`{"action":"deleteOutgoing","userId":"674443","platformId":5,"channelId":123,"createdAt":1672574400}`},
	{"an outgoing stream end with an ISO createdAt", "ws/streaming-delete-outgoing.json",
		`{"action":"deleteOutgoing","userId":674443,"platformId":5,"channelId":123,"createdAt":"2023-01-01T12:00:00Z"}`},
	{"an outgoing stream with an undocumented status", "ws/streaming-update-outgoing.json",
		`{"action":"updateOutgoing","userId":674443,"platformId":5,"channelId":123,"createdAt":1672574400,
		 "channelIdentifier":"UCxxx","eventIdentifier":"yyy","streaming":{"status":"LIVE","bitrate":4500000,"bufferedBytes":0}}`},
	{"an outgoing stream with a lower-case status", "ws/streaming-update-outgoing.json",
		`{"action":"updateOutgoing","userId":674443,"platformId":5,"channelId":123,"createdAt":1672574400,
		 "channelIdentifier":"UCxxx","eventIdentifier":"yyy","streaming":{"status":"connected","bitrate":4500000,"bufferedBytes":0}}`},
	{"platform statuses with a numeric eventId", "ws/streaming-update-statuses.json",
		`{"action":"updateStatuses","userId":674443,"platformId":1,"channelId":123,"createdAt":1672574400,"updatedAt":1672574460,
		 "channelIdentifier":"mystream","eventIdentifier":"","channelViews":null,"followers":3,"gameTitle":null,"online":true,
		 "streamViews":null,"title":"My title","viewers":4,"eventId":42}`},
	{"platform statuses with online null", "ws/streaming-update-statuses.json",
		`{"action":"updateStatuses","userId":674443,"platformId":1,"channelId":123,"createdAt":1672574400,"updatedAt":1672574460,
		 "channelIdentifier":"mystream","eventIdentifier":"","channelViews":null,"followers":3,"gameTitle":null,"online":null,
		 "streamViews":null,"title":"My title","viewers":4}`},
	{"platform statuses with negative viewers", "ws/streaming-update-statuses.json",
		`{"action":"updateStatuses","userId":674443,"platformId":1,"channelId":123,"createdAt":1672574400,"updatedAt":1672574460,
		 "channelIdentifier":"mystream","eventIdentifier":"","channelViews":null,"followers":3,"gameTitle":null,"online":true,
		 "streamViews":null,"title":"My title","viewers":-1}`},
	{"a chat heartbeat on the streaming feed", "ws/streaming-delete-incoming.json",
		`{"action":"heartbeat","payload":{},"timestamp":1672574400}`},

	// Chat envelope and simple actions.
	{"an unknown chat action", "ws/chat-heartbeat.json", `{"action":"ping","payload":{},"timestamp":1672574400}`},
	{"a heartbeat without timestamp", "ws/chat-heartbeat.json", `{"action":"heartbeat","payload":{}}`},
	{"a heartbeat with a millisecond fraction in timestamp", "ws/chat-heartbeat.json", `{"action":"heartbeat","payload":{},"timestamp":1672574400.5}`},
	{"a heartbeat with a string timestamp", "ws/chat-heartbeat.json", `{"action":"heartbeat","payload":{},"timestamp":"1672574400"}`},
	{"a heartbeat whose payload is not empty", "ws/chat-heartbeat.json", `{"action":"heartbeat","payload":{"seq":1},"timestamp":1672574400}`},
	{"a heartbeat with a field beside the envelope", "ws/chat-heartbeat.json", `{"action":"heartbeat","payload":{},"timestamp":1672574400,"id":1}`},
	{"a streaming frame on the chat feed", "ws/chat-heartbeat.json",
		`{"action":"deleteIncoming","userId":674443,"createdAt":1672574400,"suid":"abc123"}`},
	{"a connection closed for an undocumented reason", "ws/chat-connection-closed.json",
		`{"action":"connection_closed","payload":{"connectionUuid":"5f1c","reason":"timeout"},"timestamp":1672574500}`},
	{"a connection closed without connectionUuid", "ws/chat-connection-closed.json",
		`{"action":"connection_closed","payload":{"reason":"removed"},"timestamp":1672574500}`},
	{"a reply from a single source to two targets", "ws/chat-reply-created.json",
		`{"action":"reply_created","payload":{"clientReplyUuid":"c-2","connectionIdentifiers":["674443-twitch-abc","674443-twitch-def"],
		 "eventSourceId":2,"replyUuid":"r-2","text":"hi"},"timestamp":1672574402}`},
	{"a reply to a source that takes no replies", "ws/chat-reply-created.json",
		`{"action":"reply_created","payload":{"clientReplyUuid":"c-2","connectionIdentifiers":["674443-facebook-abc"],
		 "eventSourceId":19,"replyUuid":"r-2","text":"hi"},"timestamp":1672574402}`},
	{"a reply accepted with a numeric replyUuid", "ws/chat-reply-accepted.json",
		`{"action":"reply_accepted","payload":{"connectionIdentifier":"674443-twitch-abc","replyUuid":2},"timestamp":1672574403}`},
	{"a reply confirmed without connectionIdentifier", "ws/chat-reply-confirmed.json",
		`{"action":"reply_confirmed","payload":{"replyUuid":"r-2"},"timestamp":1672574403}`},
	{"a reply failed without a reason", "ws/chat-reply-failed.json",
		`{"action":"reply_failed","payload":{"connectionIdentifier":"674443-discord-abc","replyUuid":"r-3"},"timestamp":1672574404}`},
	{"a relay accepted with a replyUuid instead of sourceEventIdentifier", "ws/chat-relay-accepted.json",
		`{"action":"relay_accepted","payload":{"connectionIdentifier":"674443-youtube-abc","replyUuid":"r-1"},"timestamp":1672574405}`},
	{"a relay confirmed with a null sourceEventIdentifier", "ws/chat-relay-confirmed.json",
		`{"action":"relay_confirmed","payload":{"connectionIdentifier":"674443-youtube-abc","sourceEventIdentifier":null},"timestamp":1672574405}`},
	{"a relay failed with an empty reason", "ws/chat-relay-failed.json",
		`{"action":"relay_failed","payload":{"connectionIdentifier":"674443-facebook-abc","reason":"","sourceEventIdentifier":"e1"},"timestamp":1672574406}`},

	// connection_info.
	{"a connection with an undocumented status", "ws/chat-connection-info.json", connectionInfo(2, "disconnected", "null",
		`{"owner":{"displayName":"Bob","id":"42"},"websiteChannelId":123}`)},
	{"a connected connection that gives a reason", "ws/chat-connection-info.json", connectionInfo(2, "connected", `"internal"`,
		`{"owner":{"displayName":"Bob","id":"42"},"websiteChannelId":123}`)},
	{"a connection in error without a reason", "ws/chat-connection-info.json", connectionInfo(2, "error", "null",
		`{"owner":{"displayName":"Bob","id":"42"},"websiteChannelId":123}`)},
	{"a YouTube connection with a Twitch target", "ws/chat-connection-info.json", connectionInfo(13, "connected", "null",
		`{"owner":{"displayName":"Bob","id":"42"},"websiteChannelId":123}`)},
	{"a Kick connection whose target is not an object", "ws/chat-connection-info.json", connectionInfo(29, "connected", "null",
		`"bob"`)},
	{"a connection from a source the chat does not list", "ws/chat-connection-info.json", connectionInfo(30, "connected", "null",
		`{"owner":{"displayName":"Bob","id":"42"},"websiteChannelId":123}`)},
	{"a YouTube target without its event", "ws/chat-connection-info.json", connectionInfo(13, "connected", "null",
		`{"websiteChannelId":12345,"owner":{"id":"UCxxx","displayName":"Test User"}}`)},
	{"a Twitch target with an undocumented field", "ws/chat-connection-info.json", connectionInfo(2, "connected", "null",
		`{"owner":{"displayName":"Bob","id":"42"},"websiteChannelId":123,"platform":"twitch"}`)},
	{"a Discord target with websiteChannelId", "ws/chat-connection-info.json", connectionInfo(25, "connected", "null",
		`{"channel":{"id":"9001","url":"https://discord.com/channels/800/9001"},"websiteChannelId":500}`)},
	{"a LinkedIn organization with a string id", "ws/chat-connection-info.json", connectionInfo(26, "connected", "null",
		`{"organization":{"id":"5551","name":"Acme"},"post":{"id":"urn:li:ugcPost:1"},"websiteChannelId":400}`)},
	{"a YouTube event url that is not a URL", "ws/chat-connection-info.json", connectionInfo(13, "connected", "null",
		`{"websiteChannelId":12345,"owner":{"id":"UCxxx","displayName":"Test User"},"event":{"id":"vid","url":"watch page"}}`)},
	{"a connection_info without userId", "ws/chat-connection-info.json",
		`{"action":"connection_info","timestamp":1672574400,"payload":{"connectionIdentifier":"674443-twitch-abc","connectionUuid":"5f1c",
		 "eventSourceId":2,"reason":null,"status":"connected","target":{"owner":{"displayName":"Bob","id":"42"},"websiteChannelId":123}}}`},

	// event.
	{"a Kick message that claims a documented type (Twitch Text)", "ws/chat-event.json", chatEvent(29, 4,
		`{"author":{"avatar":null,"badges":[],"color":null,"displayName":"Bob","id":"42","name":"bob","subscribedFor":null},"bot":false,"contentModifiers":{"me":false,"whisper":false},"replaces":[],"text":"hello"}`)},
	{"a Kick message whose payload is not an object", "ws/chat-event.json", chatEvent(29, 40, `"hello"`)},
	{"a reply to a source that the chat does not list", "ws/chat-reply-created.json",
		`{"action":"reply_created","payload":{"clientReplyUuid":"c-5","connectionIdentifiers":["674443-x-abc"],
		 "eventSourceId":30,"replyUuid":"r-5","text":"hi"},"timestamp":1672574402}`},
	{"a Twitch text from the YouTube source", "ws/chat-event.json", chatEvent(13, 4,
		`{"author":{"avatar":null,"badges":[],"color":null,"displayName":"Bob","id":"42","name":"bob","subscribedFor":null},"bot":false,"contentModifiers":{"me":false,"whisper":false},"replaces":[],"text":"hello"}`)},
	{"an undocumented event type", "ws/chat-event.json", chatEvent(13, 6,
		`{"author":{"id":"UCyyy","avatar":"a","displayName":"Cat","isChatModerator":false,"isChatOwner":false,"isChatSponsor":false,"isVerified":false},"bot":false,"text":"?"}`)},
	{"a Twitch text carrying a YouTube payload", "ws/chat-event.json", chatEvent(2, 4,
		`{"author":{"id":"UCyyy","avatar":"a","displayName":"Cat","isChatModerator":false,"isChatOwner":false,"isChatSponsor":false,"isVerified":false},"bot":false,"text":"first"}`)},
	{"a Twitch text without contentModifiers", "ws/chat-event.json", chatEvent(2, 4,
		`{"author":{"avatar":null,"badges":[],"color":null,"displayName":"Bob","id":"42","name":"bob","subscribedFor":null},"bot":false,"replaces":[],"text":"hello"}`)},
	{"a Twitch replace of an undocumented type", "ws/chat-event.json", chatEvent(2, 4,
		`{"author":{"avatar":null,"badges":[],"color":null,"displayName":"Bob","id":"42","name":"bob","subscribedFor":null},"bot":false,"contentModifiers":{"me":false,"whisper":false},"replaces":[{"from":0,"to":4,"type":"emote","payload":{"url":"https://static-cdn.jtvnw.net/e/1"}}],"text":"Kappa"}`)},
	{"a Twitch author with a string subscribedFor", "ws/chat-event.json", chatEvent(2, 4,
		`{"author":{"avatar":null,"badges":[],"color":null,"displayName":"Bob","id":"42","name":"bob","subscribedFor":"6 months"},"bot":false,"contentModifiers":{"me":false,"whisper":false},"replaces":[],"text":"hello"}`)},
	{"a YouTube Super Chat sent by a bot", "ws/chat-event.json", chatEvent(13, 7,
		`{"author":{"id":"UCyyy","avatar":"a","displayName":"Cat","isChatModerator":false,"isChatOwner":false,"isChatSponsor":false,"isVerified":false},"bot":true,"donation":{"amount":"$5.00","currencyString":"USD","tier":2},"text":"x"}`)},
	{"a YouTube Super Chat with a numeric amount", "ws/chat-event.json", chatEvent(13, 7,
		`{"author":{"id":"UCyyy","avatar":"a","displayName":"Cat","isChatModerator":false,"isChatOwner":false,"isChatSponsor":false,"isVerified":false},"bot":false,"donation":{"amount":5,"currencyString":"USD","tier":2},"text":"x"}`)},
	{"a Facebook sticker whose link is not a URL", "ws/chat-event.json", chatEvent(20, 14,
		`{"author":{},"bot":false,"link":"sticker 1","text":"x"}`)},
	{"a Facebook text with an undocumented author field", "ws/chat-event.json", chatEvent(20, 13,
		`{"author":{"id":"u3","email":"joe@example.com"},"bot":false,"text":"x"}`)},
	{"a LinkedIn author without a name", "ws/chat-event.json", chatEvent(26, 21,
		`{"author":{"avatarUrl":"https://media.licdn.com/u.png"},"bot":false,"text":"x"}`)},
	{"an event without eventIdentifier", "ws/chat-event.json",
		`{"action":"event","timestamp":1672574401,"payload":{"connectionIdentifier":"674443-src25-abc","eventSourceId":25,"eventTypeId":1,"userId":674443,
		 "eventPayload":{"author":{"avatar":null,"discriminator":"0001","id":"700","name":"ann","nickname":null,"nicknameColor":null,"roles":null},"bot":false,"text":"hi"}}}`},
	{"an event with a field beside the payload's documented ones", "ws/chat-event.json",
		`{"action":"event","timestamp":1672574401,"payload":{"connectionIdentifier":"674443-src25-abc","eventIdentifier":"e1","eventSourceId":25,"eventTypeId":1,"userId":674443,"platform":"discord",
		 "eventPayload":{"author":{"avatar":null,"discriminator":"0001","id":"700","name":"ann","nickname":null,"nicknameColor":null,"roles":null},"bot":false,"text":"hi"}}}`},
}

func TestRealisticFramesPassTheirActionAndTheUnionInBothValidators(t *testing.T) {
	v := compileFrameSchemas(t)
	for _, tc := range validFrames {
		t.Run(tc.name, func(t *testing.T) {
			for _, rel := range []string{tc.file, unionOf(tc.file)} {
				refErr, ownErr := v.verdicts(t, rel, tc.frame)
				if refErr != nil {
					t.Errorf("%s rejects it (jsonschema): %v", rel, refErr)
				}
				if ownErr != nil {
					t.Errorf("%s rejects it (internal/validate): %v", rel, ownErr)
				}
			}
		})
	}
}

func TestBrokenFramesFailTheirActionAndTheUnionInBothValidators(t *testing.T) {
	v := compileFrameSchemas(t)
	for _, tc := range brokenFrames {
		t.Run(tc.name, func(t *testing.T) {
			for _, rel := range []string{tc.file, unionOf(tc.file)} {
				refErr, ownErr := v.verdicts(t, rel, tc.frame)
				if refErr == nil {
					t.Errorf("%s accepts it (jsonschema)", rel)
				}
				if ownErr == nil {
					t.Errorf("%s accepts it (internal/validate)", rel)
				}
			}
		})
	}
}

// TestValidFramesCoverEveryActionEventTypeAndTarget keeps the valid table complete: the set of
// actions, event types and connection sources it exercises must equal what the schema files
// declare, so a new branch in a schema cannot go untested.
func TestValidFramesCoverEveryActionEventTypeAndTarget(t *testing.T) {
	set := loadSchemas(t)
	wantFiles := map[string]bool{}
	for _, rel := range wsFiles(t) {
		if rel != streamingUnion && rel != chatUnion {
			wantFiles[rel] = true
		}
	}
	gotFiles := map[string]bool{}
	gotTypes, gotSources, gotStatuses := map[string]bool{}, map[string]bool{}, map[string]bool{}
	// Sources whose event types and targets the docs leave open share one catch-all branch in
	// chat-event.json, counted as the type "undocumented".
	openSources := map[string]bool{"27": true, "28": true, "29": true, "33": true}
	for _, tc := range validFrames {
		gotFiles[tc.file] = true
		var frame struct {
			Action  string `json:"action"`
			Payload struct {
				EventTypeID   json.Number `json:"eventTypeId"`
				EventSourceID json.Number `json:"eventSourceId"`
				Status        string      `json:"status"`
			} `json:"payload"`
		}
		if err := json.Unmarshal([]byte(tc.frame), &frame); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		switch frame.Action {
		case "event":
			if openSources[frame.Payload.EventSourceID.String()] {
				gotTypes["undocumented"] = true
			} else {
				gotTypes[frame.Payload.EventTypeID.String()] = true
			}
		case "connection_info":
			gotSources[frame.Payload.EventSourceID.String()] = true
			gotStatuses[frame.Payload.Status] = true
		}
	}
	if missing := slices.Sorted(maps.Keys(diff(wantFiles, gotFiles))); len(missing) > 0 {
		t.Errorf("no valid frame for %v", missing)
	}
	payloadEnum := func(rel, prop string) map[string]bool {
		e := obj(set.docs[rel], "properties", "payload", "properties", prop)["enum"]
		out := map[string]bool{}
		for _, x := range e.([]any) {
			out[fmt.Sprint(x)] = true
		}
		return out
	}
	// The event types are the consts of the payload's oneOf branches, plus the catch-all branch.
	eventTypes := map[string]bool{}
	for _, b := range obj(set.docs["ws/chat-event.json"], "properties", "payload")["oneOf"].([]any) {
		if c, ok := obj(b.(map[string]any), "properties", "eventTypeId")["const"]; ok {
			eventTypes[fmt.Sprint(c)] = true
		} else {
			eventTypes["undocumented"] = true
		}
	}
	for _, c := range []struct {
		what      string
		want, got map[string]bool
	}{
		{"event types", eventTypes, gotTypes},
		{"connection sources (target shapes)", payloadEnum("ws/chat-connection-info.json", "eventSourceId"), gotSources},
		{"connection statuses", payloadEnum("ws/chat-connection-info.json", "status"), gotStatuses},
	} {
		if missing := slices.Sorted(maps.Keys(diff(c.want, c.got))); len(missing) > 0 {
			t.Errorf("no valid frame for %s %v", c.what, missing)
		}
		if extra := slices.Sorted(maps.Keys(diff(c.got, c.want))); len(extra) > 0 {
			t.Errorf("valid frames use %s %v that the schema does not declare", c.what, extra)
		}
	}
	// Every target shape in $defs is the shape of one source whose target is documented.
	defs, _ := set.docs["ws/chat-connection-info.json"]["$defs"].(map[string]any)
	if documented := len(diff(gotSources, openSources)); len(defs) != documented {
		t.Errorf("%d target shapes in $defs but %d sources with a documented target exercised", len(defs), documented)
	}
}

// diff returns the keys of a that are not in b.
func diff(a, b map[string]bool) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		if !b[k] {
			out[k] = true
		}
	}
	return out
}

// asyncAPIDoc is the AsyncAPI description of both feeds; it is not embedded (no binary reads
// it), so the test reads it from this directory.
const asyncAPIDoc = "restream-asyncapi.yml"

// loadAsyncAPI decodes the AsyncAPI document into plain maps.
func loadAsyncAPI(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(asyncAPIDoc)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s is not YAML: %v", asyncAPIDoc, err)
	}
	return doc
}

// asyncAPIProblems lists where the AsyncAPI document and the frame schemas disagree: every
// message's payload is a per-action ws file whose action const is the message's name, every
// per-action file has exactly one message, each channel carries exactly the actions of its
// feed's union, and every message example passes its payload schema in both validators. The
// AsyncAPI CLI checks the document's structure but not its examples, hence this test.
func asyncAPIProblems(t *testing.T, doc map[string]any, v *frameValidators) []string {
	t.Helper()
	set := loadSchemas(t)
	var out []string
	messages, _ := doc["components"].(map[string]any)["messages"].(map[string]any)
	fileOf := map[string]string{} // message key -> ws file
	for _, key := range slices.Sorted(maps.Keys(messages)) {
		msg, _ := messages[key].(map[string]any)
		payload, _ := msg["payload"].(map[string]any)
		ref, _ := payload["$ref"].(string)
		rel, ok := strings.CutPrefix(ref, openapi.SchemasDir+"/")
		if !ok || set.docs[rel] == nil || !strings.HasPrefix(rel, wsDir+"/") {
			out = append(out, fmt.Sprintf("message %s: payload $ref %q is not a file under %s/%s", key, ref, openapi.SchemasDir, wsDir))
			continue
		}
		props, _ := set.docs[rel]["properties"].(map[string]any)
		actionSchema, _ := props["action"].(map[string]any)
		action, ok := actionSchema["const"].(string)
		if !ok {
			out = append(out, fmt.Sprintf("message %s: payload %s is not a per-action file (no action const)", key, rel))
			continue
		}
		fileOf[key] = rel
		if name, _ := msg["name"].(string); name != action {
			out = append(out, fmt.Sprintf("message %s: name %q, but %s is action %q", key, name, rel, action))
		}
		examples, _ := msg["examples"].([]any)
		if len(examples) == 0 {
			out = append(out, fmt.Sprintf("message %s: no example", key))
		}
		for i, e := range examples {
			ex, _ := e.(map[string]any)
			frame, err := json.Marshal(ex["payload"])
			if err != nil {
				out = append(out, fmt.Sprintf("message %s example %d: %v", key, i, err))
				continue
			}
			for _, target := range []string{rel, unionOf(rel)} {
				refErr, ownErr := v.verdicts(t, target, string(frame))
				if refErr != nil || ownErr != nil {
					out = append(out, fmt.Sprintf("message %s example %d does not pass %s: %v / %v", key, i, target, refErr, ownErr))
				}
			}
		}
	}
	counted := map[string]int{}
	for _, rel := range fileOf {
		counted[rel]++
	}
	for _, rel := range wsFiles(t) {
		if rel == streamingUnion || rel == chatUnion {
			continue
		}
		if counted[rel] != 1 {
			out = append(out, fmt.Sprintf("%s is the payload of %d messages, want 1", rel, counted[rel]))
		}
	}

	// Each channel carries the actions of one feed: the branches of its union file.
	channels, _ := doc["channels"].(map[string]any)
	for _, name := range slices.Sorted(maps.Keys(channels)) {
		ch, _ := channels[name].(map[string]any)
		chMsgs, _ := ch["messages"].(map[string]any)
		var files []string
		for _, m := range chMsgs {
			ref, _ := m.(map[string]any)["$ref"].(string)
			files = append(files, fileOf[strings.TrimPrefix(ref, "#/components/messages/")])
		}
		slices.Sort(files)
		if len(files) == 0 {
			out = append(out, fmt.Sprintf("channel %s carries no message", name))
			continue
		}
		union := unionOf(files[0])
		var want []string
		for _, b := range set.docs[union]["oneOf"].([]any) {
			want = append(want, path.Join(wsDir, b.(map[string]any)["$ref"].(string)))
		}
		slices.Sort(want)
		if !slices.Equal(files, want) {
			out = append(out, fmt.Sprintf("channel %s carries %v, want the branches of %s %v", name, files, union, want))
		}
	}
	return out
}

func TestAsyncAPIDocumentAgreesWithTheFrameSchemas(t *testing.T) {
	v := compileFrameSchemas(t)
	for _, p := range asyncAPIProblems(t, loadAsyncAPI(t), v) {
		t.Error(p)
	}
}

func TestAsyncAPICheckReportsADocumentThatDisagrees(t *testing.T) {
	v := compileFrameSchemas(t)
	message := func(d map[string]any, key string) map[string]any {
		return obj(d, "components", "messages", key)
	}
	tests := []struct {
		name   string
		mutate func(d map[string]any)
		want   string
	}{
		{"an example with an undocumented status", func(d map[string]any) {
			ex := message(d, "updateOutgoing")["examples"].([]any)[0].(map[string]any)
			obj(ex, "payload", "streaming")["status"] = "LIVE"
		}, "example 0 does not pass"},
		{"a message named unlike its action", func(d map[string]any) {
			message(d, "connectionInfo")["name"] = "connectionInfo"
		}, `is action "connection_info"`},
		{"an action without a message", func(d map[string]any) {
			delete(obj(d, "components", "messages"), "relayFailed")
			delete(obj(d, "channels", "chat", "messages"), "relayFailed")
		}, "chat-relay-failed.json is the payload of 0 messages"},
		{"a chat message on the streaming channel", func(d map[string]any) {
			obj(d, "channels", "streamingUpdates", "messages")["heartbeat"] = map[string]any{"$ref": "#/components/messages/heartbeat"}
		}, "channel streamingUpdates carries"},
		{"a payload outside the ws schemas", func(d map[string]any) {
			message(d, "heartbeat")["payload"] = map[string]any{"$ref": "schemas/channel.json"}
		}, "is not a file under"},
		{"a union as a message payload", func(d map[string]any) {
			message(d, "heartbeat")["payload"] = map[string]any{"$ref": "schemas/ws/chat-frame.json"}
		}, "is not a per-action file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := loadAsyncAPI(t)
			tt.mutate(doc)
			got := asyncAPIProblems(t, doc, v)
			if !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, tt.want) }) {
				t.Errorf("problems %q do not mention %q", got, tt.want)
			}
		})
	}
}
