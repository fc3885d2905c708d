package proxy_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/restreamkit/restreamkit/internal/proxy"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// In front of the real API the proxy may flag only what Restream's documentation confirms. Where
// the facts (/work/shared/reference/restream-api-facts.md, "UNCONFIRMED") leave a detail open, the
// spec and the frame schemas accept every plausible answer while restream-mock sends one. The
// conformance tests hold the mock's answers to the spec; the table below holds the other plausible
// answers: for each open fact a scripted upstream sends a variant the mock does NOT send, and the
// proxy must report nothing. A few clearly undocumented answers close the table, so that it can
// fail: the proxy must still report them.

// basicDev is HTTP Basic credentials of an application, as the token endpoint takes them.
const basicDev = "Basic ZGV2LWNsaWVudDpkZXYtc2VjcmV0" // dev-client:dev-secret

// An OAuth token response with every documented field and neither of the two fields seen only in
// third-party code (scopeJson, tokenType), which restream-mock always sends.
const documentedTokenResponse = `{"access_token":"2a407cfc9e1d4f7b8a6c5d4e3f2a1b0c9d8e7f6a","expires":1520280067,"expires_in":3600,` +
	`"refresh_token":"9ca0e1e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3","scope":"profile.read channels.read chat.read stream.read","token_type":"Bearer",` +
	`"accessToken":"2a407cfc9e1d4f7b8a6c5d4e3f2a1b0c9d8e7f6a","accessTokenExpiresIn":3600,"accessTokenExpiresAt":"2018-03-05T20:01:07.215Z",` +
	`"accessTokenExpiresEpoch":1520280067,"refreshToken":"9ca0e1e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3","refreshTokenExpiresIn":31536000,` +
	`"refreshTokenExpiresAt":"2019-03-05T19:01:07.215Z","refreshTokenExpiresEpoch":1551812467}`

// errorOf is Restream's envelope for a status, message and name.
func errorOf(status, message, name string) string {
	return `{"error":{"statusCode":` + status + `,"status":` + status + `,"code":` + status + `,"message":"` + message + `","name":"` + name + `"}}`
}

// A valid streaming frame and a valid chat frame, sent after the frame under test: when the client
// has read one, the proxy has checked (and recorded) every frame before it.
const (
	streamingSentinel = `{"action":"deleteIncoming","userId":674443,"createdAt":1672574400,"suid":"sentinel"}`
	chatSentinel      = `{"action":"heartbeat","payload":{},"timestamp":1672574400}`
)

// openFact is one row of the table: an HTTP exchange (method and path set) or a frame of a feed.
type openFact struct {
	name string
	fact string // where the facts leave it open (section of restream-api-facts.md)

	method, path, ctype, body, auth string
	answer                          canned

	feed  string // "streaming" or "chat": the upstream sends frame (unless empty), then the sentinel
	frame string
	ping  bool // the upstream pings the proxy before the sentinel

	// flagged is the rule the proxy must report, for the answers that are clearly undocumented;
	// empty for a documented variant, which must give 0 violations.
	flagged validate.Rule
}

var openFacts = []openFact{
	// REST success shapes.
	{name: "PATCH channel answered 204 with no body", fact: "§3.2.9",
		method: "PATCH", path: "/v2/user/channel/1", ctype: "application/json", body: `{"active":false}`, auth: bearer,
		answer: canned{status: 204}},
	{name: "PATCH channel meta answered 204 with no body", fact: "§3.2.11",
		method: "PATCH", path: "/v2/user/channel-meta/1", ctype: "application/json", body: `{"title":"New title"}`, auth: bearer,
		answer: canned{status: 204}},
	{name: "channel meta without a description", fact: "§3.2.10",
		method: "GET", path: "/v2/user/channel-meta/1", auth: bearer,
		answer: canned{200, "application/json", `{"title":"Channel Title"}`}},
	{name: "an event that carries showId and isInstant", fact: "§3.2.15 (Event object)",
		method: "GET", path: "/v2/user/events/b4d2982b-4e55-4c13-b06b-71a2ae075810", auth: bearer,
		answer: canned{200, "application/json", strings.Replace(eventDoc, `"destinations"`, `"showId":null,"isInstant":true,"destinations"`, 1)}},
	{name: "event history paged with the n8n node's default limit of 50", fact: "§3.2.18, §3.3",
		method: "GET", path: "/v2/user/events/history", auth: bearer,
		answer: canned{200, "application/json", `{"items":[],"pagination":{"pages_total":0,"page":1,"limit":50}}`}},

	// OAuth.
	{name: "a refused code exchange in RFC 6749's error body", fact: "§2.3",
		method: "POST", path: "/oauth/token", ctype: "application/x-www-form-urlencoded", auth: basicDev,
		body:   "grant_type=authorization_code&code=used-code&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb",
		answer: canned{400, "application/json", `{"error":"invalid_grant","error_description":"Invalid grant: authorization code is invalid"}`}},
	{name: "bad client credentials answered 401 in RFC 6749's error body", fact: "§2.3",
		method: "POST", path: "/oauth/token", ctype: "application/x-www-form-urlencoded", auth: basicDev,
		body:   "grant_type=authorization_code&code=abc&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb",
		answer: canned{401, "application/json", `{"error":"invalid_client","error_description":"Invalid client: client is invalid"}`}},
	{name: "bad client credentials answered 400 in the envelope", fact: "§2.3",
		method: "POST", path: "/oauth/token", ctype: "application/x-www-form-urlencoded",
		body:   "grant_type=refresh_token&refresh_token=abc&client_id=dev-client&client_secret=wrong",
		answer: canned{400, "application/json", errorOf("400", "Invalid client: client is invalid", "invalid_client")}},
	{name: "a refused refresh in RFC 6749's error body", fact: "§2.4",
		method: "POST", path: "/oauth/token", ctype: "application/x-www-form-urlencoded", auth: basicDev,
		body:   "grant_type=refresh_token&refresh_token=rotated",
		answer: canned{400, "application/json", `{"error":"invalid_grant","error_description":"Invalid grant: refresh token is invalid"}`}},
	{name: "a token response without scopeJson and tokenType", fact: "§2.3",
		method: "POST", path: "/oauth/token", ctype: "application/x-www-form-urlencoded", auth: basicDev,
		body:   "grant_type=refresh_token&refresh_token=abc",
		answer: canned{200, "application/json", documentedTokenResponse}},
	{name: "a revoke that sends client credentials", fact: "§2.5",
		method: "POST", path: "/oauth/revoke", ctype: "application/x-www-form-urlencoded",
		body:   "token=2a407cfc9e1d4f7b8a6c5d4e3f2a1b0c9d8e7f6a&client_id=dev-client&client_secret=dev-secret",
		answer: canned{status: 200}},
	{name: "a revoke that authenticates with HTTP Basic", fact: "§2.5",
		method: "POST", path: "/oauth/revoke", ctype: "application/x-www-form-urlencoded", auth: basicDev,
		body:   "token=2a407cfc9e1d4f7b8a6c5d4e3f2a1b0c9d8e7f6a&token_type_hint=access_token",
		answer: canned{status: 200}},
	{name: "a refused revoke in RFC 6749's error body", fact: "§2.5",
		method: "POST", path: "/oauth/revoke", ctype: "application/x-www-form-urlencoded",
		body:   "token=2a407cfc9e1d4f7b8a6c5d4e3f2a1b0c9d8e7f6a&token_type_hint=refresh_token",
		answer: canned{400, "application/json", `{"error":"invalid_request","error_description":"Invalid request: token is not a refresh token"}`}},
	{name: "an authorize dialog asked with a PKCE challenge", fact: "§2.1",
		method: "GET", path: "/login?response_type=code&client_id=dev-client&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&state=s1" +
			"&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
		answer: canned{200, "text/html; charset=utf-8", "<html><body>Sign in</body></html>"}},
	{name: "an authorize dialog asked with a scope", fact: "§2.1",
		method: "GET", path: "/login?response_type=code&client_id=dev-client&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&scope=profile.read",
		answer: canned{200, "text/html", "<html><body>Sign in</body></html>"}},

	// Errors of REST operations.
	{name: "an expired token with its own message", fact: "§2.8",
		method: "GET", path: "/v2/user/profile", auth: bearer,
		answer: canned{401, "application/json", errorOf("401", "Invalid token: access token has expired", "invalid_token")}},
	{name: "a missing token named unauthorized_request", fact: "§2.8",
		method: "GET", path: "/v2/user/streamKey", auth: bearer,
		answer: canned{401, "application/json", errorOf("401", "Unauthorized request: no authentication given", "unauthorized_request")}},
	{name: "a missing scope answered 401 instead of 403", fact: "§2.7, §6",
		method: "POST", path: "/v2/user/events/new", ctype: "application/json", body: `{"streamType":"encoder"}`, auth: bearer,
		answer: canned{401, "application/json", errorOf("401", "Insufficient scope: authorized scope is insufficient", "insufficient_scope")}},
	{name: "an unknown channel answered 404 Not Found", fact: "§3.2.8",
		method: "GET", path: "/v2/user/channel/999", auth: bearer,
		answer: canned{404, "application/json", errorOf("404", "Not Found", "not_found")}},
	{name: "a Custom SRT channel added with a stream key only", fact: "§3.2.12",
		method: "POST", path: "/v2/user/channels", ctype: "application/json", body: `{"platformId":78,"streamKey":"srt-key"}`, auth: bearer,
		answer: canned{201, "application/json", `{"id":123456,"platformId":78,"channelUrl":"","displayName":"Custom SRT"}`}},
	{name: "a bad stream key on channel add in the envelope", fact: "§3.2.12",
		method: "POST", path: "/v2/user/channels", ctype: "application/json", body: `{"platformId":29,"streamUrl":"rtmp://example.com/live"}`, auth: bearer,
		answer: canned{400, "application/json", errorOf("400", "InvalidStreamKey", "invalid_stream_key")}},
	{name: "a title too long on event create in the envelope", fact: "§3.2.14",
		method: "POST", path: "/v2/user/events/new", ctype: "application/json", body: `{"streamType":"studio","title":"t"}`, auth: bearer,
		answer: canned{400, "application/json", errorOf("400", "TitleTooLong", "title_too_long")}},
	{name: "a destination that already exists answered 400", fact: "§3.2.15",
		method: "POST", path: "/v2/user/events/b4d2982b-4e55-4c13-b06b-71a2ae075810/destinations", ctype: "application/json", body: `{"channelId":7}`, auth: bearer,
		answer: canned{400, "application/json", errorOf("400", "DestinationAlreadyExists", "destination_already_exists")}},
	{name: "an unknown event answered 404", fact: "§3.2.19",
		method: "GET", path: "/v2/user/events/b4d2982b-4e55-4c13-b06b-71a2ae075810", auth: bearer,
		answer: canned{404, "application/json", errorOf("404", "EventNotFound", "event_not_found")}},
	{name: "an SRT key outside the Business plan answered 404", fact: "§3.2.21",
		method: "GET", path: "/v2/user/events/b4d2982b-4e55-4c13-b06b-71a2ae075810/srt/streamKey", auth: bearer,
		answer: canned{404, "application/json", errorOf("404", "SrtNotAvailable", "srt_not_available")}},
	{name: "a recording that is not there answered 404", fact: "§3.2.23",
		method: "POST", path: "/v2/user/events/b4d2982b-4e55-4c13-b06b-71a2ae075810/recordings/download-url", ctype: "application/json",
		body: `{"fileName":"video.mp4"}`, auth: bearer,
		answer: canned{404, "application/json", errorOf("404", "StorageFileNotFound", "storage_file_not_found")}},
	{name: "an error whose content type names a charset", fact: "§6",
		method: "GET", path: "/v2/user/channel/1", auth: bearer,
		answer: canned{404, "application/json; charset=utf-8", errorOf("404", "ChannelNotFound", "channel_not_found")}},
	{name: "a rate limit answered by a gateway in plain text", fact: "§1, §6",
		method: "GET", path: "/v2/user/channel/all", auth: bearer,
		answer: canned{429, "text/plain", "Too Many Requests"}},
	{name: "a 502 from a gateway as an HTML page", fact: "§6",
		method: "GET", path: "/v2/platform/all",
		answer: canned{502, "text/html", "<html><body>Bad Gateway</body></html>"}},

	// Frames.
	{name: "platform statuses carrying eventId", fact: "§4 (updateStatuses)", feed: "streaming",
		frame: `{"action":"updateStatuses","userId":674443,"platformId":1,"channelId":123,"createdAt":1672574400,"updatedAt":1672574460,` +
			`"channelIdentifier":"mystream","eventIdentifier":"","channelViews":null,"followers":3,"gameTitle":null,"online":true,` +
			`"streamViews":null,"title":"My title","viewers":4,"eventId":"restream-event-a"}`},
	{name: "a ping on the streaming feed", fact: "§4 (heartbeat)", feed: "streaming", ping: true},
	{name: "a Trovo chat connection with its own target", fact: "§5.2, §5.4", feed: "chat",
		frame: chatConnection(27, `{"owner":{"displayName":"Bob","id":"42"},"websiteChannelId":123}`)},
	{name: "a Kick chat connection with its own target", fact: "§5.2", feed: "chat",
		frame: chatConnection(29, `{"channel":{"slug":"bob"},"websiteChannelId":125}`)},
	{name: "an X chat message of a type the docs do not list", fact: "§5.3", feed: "chat",
		frame: `{"action":"event","timestamp":1672574401,"payload":{"connectionIdentifier":"674443-x-abc","eventIdentifier":"e1",` +
			`"eventSourceId":28,"eventTypeId":40,"userId":674443,"eventPayload":{"author":{"name":"bob"},"text":"hi"}}}`},
	{name: "a reply to a Rumble chat", fact: "§5.2", feed: "chat",
		frame: `{"action":"reply_created","payload":{"clientReplyUuid":"c-1","connectionIdentifiers":["674443-rumble-abc"],` +
			`"eventSourceId":33,"replyUuid":"r-1","text":"hi"},"timestamp":1672574402}`},
	{name: "a connection identifier in another format", fact: "§5.1", feed: "chat",
		frame: `{"action":"reply_accepted","payload":{"connectionIdentifier":"twitch:abc","replyUuid":"r-1"},"timestamp":1672574403}`},

	// Clearly undocumented answers: the proxy must still report them.
	{name: "a 500 whose JSON body is not the envelope", fact: "§6",
		method: "GET", path: "/v2/user/profile", auth: bearer,
		answer: canned{500, "application/json", `{"message":"boom"}`}, flagged: validate.RuleRequired},
	{name: "a PATCH channel success that echoes the channel", fact: "§3.2.9",
		method: "PATCH", path: "/v2/user/channel/1", ctype: "application/json", body: `{"active":true}`, auth: bearer,
		answer: canned{200, "application/json", `{"id":1,"active":true}`}, flagged: validate.RuleUnexpectedBody},
	{name: "a PATCH channel meta success answered 201", fact: "§3.2.11",
		method: "PATCH", path: "/v2/user/channel-meta/1", ctype: "application/json", body: `{"title":"t"}`, auth: bearer,
		answer: canned{status: 201}, flagged: validate.RuleStatusNotDocumented},
	{name: "an OAuth error that is neither the envelope nor RFC 6749's body", fact: "§2.3",
		method: "POST", path: "/oauth/token", ctype: "application/x-www-form-urlencoded", auth: basicDev,
		body:   "grant_type=refresh_token&refresh_token=abc",
		answer: canned{400, "application/json", `{"error":true,"reason":"bad"}`}, flagged: validate.RuleOneOf},
	{name: "a profile without its e-mail", fact: "§3.2.3",
		method: "GET", path: "/v2/user/profile", auth: bearer,
		answer: canned{200, "application/json", `{"id":1,"username":"x"}`}, flagged: validate.RuleRequired},
	{name: "channels with enabled in place of the documented active (third-party claim)", fact: "§3.2.7",
		method: "GET", path: "/v2/user/channel/all", auth: bearer,
		answer:  canned{200, "application/json", `[{"id":1,"streamingPlatformId":1,"embedUrl":"","url":"","identifier":"x","displayName":"x","enabled":true}]`},
		flagged: validate.RuleRequired},
	{name: "a channel in snake_case (third-party claim)", fact: "§3.2.8",
		method: "GET", path: "/v2/user/channel/1", auth: bearer,
		answer:  canned{200, "application/json", `{"id":1,"user_id":2,"service_id":1,"channel_identifier":"x","channel_url":"","event_identifier":"","event_url":"","embed":"","active":true,"display_name":"x"}`},
		flagged: validate.RuleRequired},
	{name: "platform statuses with a numeric eventId", fact: "§4", feed: "streaming",
		frame: `{"action":"updateStatuses","userId":674443,"platformId":1,"channelId":123,"createdAt":1672574400,"updatedAt":1672574460,` +
			`"channelIdentifier":"mystream","eventIdentifier":"","channelViews":null,"followers":3,"gameTitle":null,"online":true,` +
			`"streamViews":null,"title":"My title","viewers":4,"eventId":42}`,
		flagged: validate.RuleType},
	{name: "a chat connection from a source the docs do not list", fact: "§5.2", feed: "chat",
		frame: chatConnection(30, `{"websiteChannelId":1}`), flagged: validate.RuleOneOf},
}

// chatConnection is a connection_info frame of a source around a target.
func chatConnection(source int, target string) string {
	s := strings.NewReplacer("SOURCE", strconv.Itoa(source), "TARGET", target)
	return s.Replace(`{"action":"connection_info","timestamp":1672574400,"payload":{"connectionIdentifier":"674443-srcSOURCE-abc",` +
		`"connectionUuid":"5f1c2a9e-7f3b-4c1d-9a8e-2b6f0c4d3e21","eventSourceId":SOURCE,"reason":null,"status":"connected",` +
		`"userId":674443,"target":TARGET}}`)
}

// scriptedFeed is a WebSocket upstream that sends frames (and a ping, when asked) then waits.
func scriptedFeed(t *testing.T, ping bool, frames ...string) string {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := c.CloseRead(r.Context()) // reads (and answers pongs) until the client goes
		if ping {
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := c.Ping(pctx)
			cancel()
			if err != nil {
				return
			}
		}
		for _, f := range frames {
			if err := c.Write(ctx, websocket.MessageText, []byte(f)); err != nil {
				return
			}
		}
		<-ctx.Done()
	}))
	t.Cleanup(ts.Close)
	return wsURL(ts.URL)
}

func TestDocumentedVariantsOfOpenFactsAreNotViolations(t *testing.T) {
	for _, tc := range openFacts {
		t.Run(tc.name+" ("+tc.fact+")", func(t *testing.T) {
			opts := proxy.Options{RequestMode: proxy.Report, ResponseMode: proxy.Report, WSMode: proxy.Report}
			if tc.feed == "" {
				up := newBrokenUpstream(t)
				up.answer.Store(&tc.answer)
				opts.Upstream = mustURL(t, up.url)
				p, base := startProxy(t, opts)
				res, _ := send(t, base, tc.method, tc.path, tc.ctype, tc.body, tc.auth)
				want := tc.answer.status
				if want >= 500 && want != http.StatusGatewayTimeout {
					want = http.StatusBadGateway // the proxy answers an upstream 5xx with its own 502
				}
				if res.StatusCode != want || up.hits.Load() != 1 {
					t.Fatalf("the answer must pass: got %d, want %d; upstream hit %d times", res.StatusCode, want, up.hits.Load())
				}
				checkOpenFact(t, p, tc)
				return
			}
			frames, sentinel := []string{}, chatSentinel
			if tc.feed == "streaming" {
				sentinel = streamingSentinel
			}
			if tc.frame != "" {
				frames = append(frames, tc.frame)
			}
			feed := scriptedFeed(t, tc.ping, append(frames, sentinel)...)
			opts.Upstream = mustURL(t, "http://127.0.0.1:1")
			opts.StreamingUpstream, opts.ChatUpstream = mustURL(t, feed), mustURL(t, feed)
			p, base := startProxy(t, opts)
			c := dial(t, wsURL(base)+"/"+tc.feed+"/ws?accessToken=good")
			got := readUntil(t, c, actionOf(t, sentinel))
			if len(got) != len(frames)+1 {
				t.Fatalf("the client got %d frames, want %d", len(got), len(frames)+1)
			}
			checkOpenFact(t, p, tc)
		})
	}
}

// checkOpenFact wants no violation for a documented variant, and a violation of the expected rule
// for an undocumented answer.
func checkOpenFact(t *testing.T, p *proxy.Proxy, tc openFact) {
	t.Helper()
	if tc.flagged == "" {
		if n := p.Violations(); n != 0 {
			t.Fatalf("a documented variant gave %d violations:\n%s", n, violations(t, p))
		}
		return
	}
	findRecord(t, p, tc.flagged)
}

// actionOf reads the action of a frame.
func actionOf(t *testing.T, frame string) string {
	t.Helper()
	_, rest, ok := strings.Cut(frame, `"action":"`)
	action, _, ok2 := strings.Cut(rest, `"`)
	if !ok || !ok2 {
		t.Fatalf("no action in %s", frame)
	}
	return action
}
