package mock_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/internal/mock"
)

func TestBearerTokensAreChecked(t *testing.T) {
	h := newHarness(t, mock.Options{})
	valid := h.token(nova)
	revoked := h.token(nova)
	h.srv.OAuth().Revoke(revoked)
	cases := []struct {
		name, auth, mention string
	}{
		{"a missing Authorization header", "", "missing"},
		{"another scheme", "Basic " + valid, ""},
		{"a bearer without a token", "Bearer ", ""},
		{"an unknown token", "Bearer 0123456789abcdef0123456789abcdef01234567", "invalid"},
		{"a revoked token", "Bearer " + revoked, "invalid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", h.url+"/v2/user/channel/all", nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body := readAll(t, res)
			wantError(t, res.StatusCode, body, 401, "invalid_token", tc.mention)
			if !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("a 401 must carry a Bearer challenge, got %q", res.Header.Get("WWW-Authenticate"))
			}
		})
	}
	t.Run("an expired token", func(t *testing.T) {
		tok := h.token(nova)
		h.do("POST", "/__mock/clock/advance", "", "application/json", []byte(`{"seconds":3601}`))
		status, _, body := h.do("GET", "/v2/user/profile", tok, "", nil)
		wantError(t, status, body, 401, "invalid_token", "expired")
	})
	t.Run("public operations need no token", func(t *testing.T) {
		if status, _, body := h.do("GET", "/v2/platform/all", "", "", nil); status != 200 {
			t.Fatalf("%d %s", status, body)
		}
	})
}

func TestScopesAreCheckedInEverySpelling(t *testing.T) {
	h := newHarness(t, mock.Options{})
	cases := []struct {
		name   string
		scopes []string
		method string
		path   string
		body   string
		want   int
	}{
		{"profile.read reads the profile", []string{"profile.read"}, "GET", "/v2/user/profile", "", 200},
		{"channels.read does not read the profile", []string{"channels.read"}, "GET", "/v2/user/profile", "", 403},
		{"channels.default.read reads channels", []string{"channels.default.read"}, "GET", "/v2/user/channel/all", "", 200},
		{"the singular channel.read reads channels", []string{"channel.read"}, "GET", "/v2/user/channel/all", "", 200},
		{"channels.read cannot patch a channel", []string{"channels.read"}, "PATCH", "/v2/user/channel/5120001", `{"active":true}`, 403},
		{"channel.write can patch a channel", []string{"channel.write"}, "PATCH", "/v2/user/channel/5120001", `{"active":true}`, 200},
		{"stream.read cannot create an event", []string{"stream.read"}, "POST", "/v2/user/events/new", `{"streamType":"encoder"}`, 403},
		{"stream.write creates an event", []string{"stream.write"}, "POST", "/v2/user/events/new", `{"streamType":"encoder"}`, 201},
		{"stream.default.read reads the stream key", []string{"stream.default.read"}, "GET", "/v2/user/streamKey", "", 200},
		{"chat.read reads the web chat URL", []string{"chat.read"}, "GET", "/v2/user/webchat/url", "", 200},
		{"storage.read lists files", []string{"storage.read"}, "GET", "/v2/user/storage/files", "", 200},
		{"stream.read does not list files", []string{"stream.read"}, "GET", "/v2/user/storage/files", "", 403},
		{"clips.read lists projects", []string{"clips.read"}, "GET", "/v2/user/clips/projects", "", 200},
		{"no scope at all", []string{}, "GET", "/v2/user/clips/projects", "", 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok := h.token(nova, tc.scopes...)
			ct := ""
			var body []byte
			if tc.body != "" {
				ct, body = "application/json", []byte(tc.body)
			}
			status, hdr, resp := h.do(tc.method, tc.path, tok, ct, body)
			if tc.want == 403 {
				wantError(t, status, resp, 403, "insufficient_scope", "Insufficient scope")
				if !strings.Contains(hdr.Get("WWW-Authenticate"), "insufficient_scope") {
					t.Fatalf("a 403 must say insufficient_scope in its challenge, got %q", hdr.Get("WWW-Authenticate"))
				}
				return
			}
			if status != tc.want {
				t.Fatalf("status %d, want %d: %s", status, tc.want, resp)
			}
		})
	}
}

func TestUsersNeverSeeEachOthersData(t *testing.T) {
	h := newHarness(t, mock.Options{})
	novaTok, techTok := h.token(nova), h.token(techtalks)
	for _, path := range []string{
		fmt.Sprintf("/v2/user/channel/%d", techtalksYT),
		fmt.Sprintf("/v2/user/channel-meta/%d", techtalksYT),
		"/v2/user/events/" + techtalksFinish1.String(),
		"/v2/user/events/" + techtalksFinish1.String() + "/streamKey",
		"/v2/user/events/" + techtalksFinish1.String() + "/recordings",
		"/v2/user/events/" + techtalksFinish1.String() + "/chat/history",
		"/v2/user/events/" + techtalksFinish1.String() + "/analytics/viewers",
	} {
		status, _, body := h.do("GET", path, novaTok, "", nil)
		if status != 404 {
			t.Errorf("nova reading %s: %d %s", path, status, body)
		}
		if status, _, body := h.do("GET", path, techTok, "", nil); status != 200 {
			t.Errorf("techtalks reading its own %s: %d %s", path, status, body)
		}
	}
	before := h.state()
	status, _, body := h.do("PATCH", fmt.Sprintf("/v2/user/channel/%d", techtalksYT), novaTok, "application/json", []byte(`{"active":false}`))
	wantError(t, status, body, 404, "channel_not_found")
	status, _, body = h.do("DELETE", fmt.Sprintf("/v2/user/channels/%d", techtalksYT), novaTok, "", nil)
	wantError(t, status, body, 404, "channel_not_found")
	if h.state() != before {
		t.Fatal("another user's refused writes changed the world")
	}
	_, _, a := h.do("GET", "/v2/user/streamKey", novaTok, "", nil)
	_, _, b := h.do("GET", "/v2/user/streamKey", techTok, "", nil)
	if string(a) == string(b) {
		t.Fatal("two users got the same stream key")
	}
}

// TestMalformedRequestsGetAnEnvelopeAndChangeNothing sends a table of bad requests. Each must get
// a 4xx envelope whose message names what is wrong, and the exported world must not change.
func TestMalformedRequestsGetAnEnvelopeAndChangeNothing(t *testing.T) {
	h := newHarness(t, mock.Options{})
	tok := h.token(nova)
	huge := `{"title":"` + strings.Repeat("x", mock.DefaultMaxBodyBytes) + `"}`
	ev := "/v2/user/events/" + novaLive.String()
	cases := []struct {
		name, method, path, ct, body string
		status                       int
		errName                      string
		mention                      string
	}{
		{"bad JSON", "PATCH", "/v2/user/channel/5120001", "application/json", `{"active":`, 400, "invalid_body_params", "active"},
		{"not JSON at all", "PATCH", "/v2/user/channel/5120001", "application/json", `active=true`, 400, "invalid_body_params", ""},
		{"a wrong type", "PATCH", "/v2/user/channel/5120001", "application/json", `{"active":1}`, 400, "invalid_body_params", "active"},
		{"an undocumented field", "PATCH", "/v2/user/channel/5120001", "application/json", `{"active":true,"displayName":"x"}`, 400, "invalid_body_params", "displayName"},
		{"a missing field", "PATCH", "/v2/user/channel-meta/5120001", "application/json", `{"description":"d"}`, 400, "invalid_body_params", "title"},
		{"an empty body", "PATCH", "/v2/user/channel/5120001", "application/json", ``, 400, "invalid_body_params", "body"},
		{"no content type", "PATCH", "/v2/user/channel/5120001", "", `{"active":true}`, 400, "invalid_header_params", "Content-Type"},
		{"a form instead of JSON", "POST", "/v2/user/events/new", "application/x-www-form-urlencoded", `streamType=studio`, 400, "invalid_header_params", "Content-Type"},
		{"an unknown enum value", "POST", "/v2/user/events/new", "application/json", `{"streamType":"webcam"}`, 400, "invalid_body_params", "streamType"},
		{"a title over the limit", "POST", "/v2/user/events/new", "application/json", `{"streamType":"studio","title":"` + strings.Repeat("t", 101) + `"}`, 400, "invalid_body_params", "title"},
		{"a bad date", "POST", "/v2/user/events/new", "application/json", `{"streamType":"studio","scheduledFor":"next friday"}`, 400, "invalid_body_params", "scheduledFor"},
		{"an unknown platform", "POST", "/v2/user/channels", "application/json", `{"platformId":1}`, 400, "invalid_body_params", "platformId"},
		{"a custom RTMP without a URL", "POST", "/v2/user/channels", "application/json", `{"platformId":29}`, 400, "invalid_url", "streamUrl"},
		{"a custom RTMP with an https URL", "POST", "/v2/user/channels", "application/json", `{"platformId":29,"streamUrl":"https://x.example/live"}`, 400, "invalid_url", "rtmp"},
		{"Steam without a key", "POST", "/v2/user/channels", "application/json", `{"platformId":49,"streamUrl":"rtmp://x.example/live"}`, 400, "invalid_stream_key", "streamKey"},
		{"a huge body", "POST", "/v2/user/events/new", "application/json", huge, 413, "payload_too_large", "1048576"},
		{"a channel id that is not a number", "GET", "/v2/user/channel/abc", "", "", 400, "invalid_path_params", "id"},
		{"a channel id of zero", "DELETE", "/v2/user/channels/0", "", "", 400, "invalid_path_params", "channelId"},
		{"an event id that is not a UUID", "GET", "/v2/user/events/12345", "", "", 400, "invalid_path_params", "id"},
		{"an unknown channel", "GET", "/v2/user/channel/99", "", "", 404, "channel_not_found", ""},
		{"an unknown event", "GET", "/v2/user/events/00000000-0000-4000-8000-000000000000", "", "", 404, "event_not_found", ""},
		{"a page of zero", "GET", "/v2/user/events/history?page=0", "", "", 400, "invalid_query_params", "page"},
		{"a limit over 100", "GET", "/v2/user/events/history?limit=500", "", "", 400, "invalid_query_params", "limit"},
		{"a source of 9", "GET", "/v2/user/events/upcoming?source=9", "", "", 400, "invalid_query_params", "source"},
		{"a forged page token", "GET", ev + "/chat/history?pageToken=bm9wZQ", "", "", 400, "invalid_query_params", "pageToken"},
		{"a page token and a timestamp", "GET", ev + "/chat/history?pageToken=x&timestamp=1", "", "", 400, "invalid_query_params", "pageToken"},
		{"a forged cursor", "GET", "/v2/user/clips/projects?cursor=e30", "", "", 400, "invalid_query_params", "cursor"},
		{"an unknown sort order", "GET", "/v2/user/clips/projects?sortBy=Name", "", "", 400, "invalid_query_params", "sortBy"},
		{"a destination on a YouTube channel", "POST", ev + "/destinations", "application/json", `{"channelId":5120002}`, 400, "platform_not_supported", ""},
		{"a destination on another user's channel", "POST", ev + "/destinations", "application/json", `{"channelId":6230013}`, 404, "channel_not_found", "6230013"},
		{"a body on a bodiless operation", "POST", "/v2/user/storage/files/" + novaFinished1.String() + "/download-url", "application/json", `{}`, 400, "invalid_body_params", "body"},
		{"an unknown path", "GET", "/v2/user/nothing", "", "", 404, "not_found", "/v2/user/nothing"},
		{"the unofficial events path", "GET", "/v2/user/event/upcoming", "", "", 404, "not_found", ""},
		{"an undescribed method", "PUT", "/v2/user/channel/5120001", "application/json", `{}`, 405, "method_not_allowed", "PATCH"},
	}
	before := h.state()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body []byte
			if tc.body != "" {
				body = []byte(tc.body)
			}
			status, hdr, resp := h.do(tc.method, tc.path, tok, tc.ct, body)
			wantError(t, status, resp, tc.status, tc.errName, tc.mention)
			if tc.status == 405 && !strings.Contains(hdr.Get("Allow"), "GET") {
				t.Fatalf("a 405 must list the allowed methods, got %q", hdr.Get("Allow"))
			}
		})
	}
	if h.state() != before {
		t.Fatal("a refused request changed the world")
	}
}

func TestHeadersOverTheLimitGetAnEnvelope(t *testing.T) {
	h := newHarness(t, mock.Options{MaxHeaderBytes: 4096})
	req, _ := http.NewRequest("GET", h.url+"/v2/platform/all", nil)
	req.Header.Set("X-Padding", strings.Repeat("p", 5000))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	wantError(t, res.StatusCode, readAll(t, res), 431, "request_header_fields_too_large", "4096")
}

func TestAChunkedBodyOverTheLimitIsRefused(t *testing.T) {
	h := newHarness(t, mock.Options{MaxBodyBytes: 1024})
	tok := h.token(nova)
	pr, pw := ioPipe()
	go func() {
		for i := 0; i < 100; i++ {
			if _, err := pw.Write([]byte(strings.Repeat("x", 100))); err != nil {
				break
			}
		}
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", h.url+"/v2/user/events/new", pr)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	wantError(t, res.StatusCode, readAll(t, res), 413, "payload_too_large", "1024")
}

// TestRefusalsThatDependOnStateHaveTheirDocumentedNames drives the refusals that only a world in a
// given state gives: a destination added to an event that is over, a recording whose link is asked
// after it expired. Each answer's name is one the operation's x-error-names lists (the harness
// checks that), and TestMain then knows the name is sent.
func TestRefusalsThatDependOnStateHaveTheirDocumentedNames(t *testing.T) {
	finished := "/v2/user/events/" + novaFinished1.String()
	for _, tc := range []struct {
		name, method, path, body string
		advance                  int // seconds the mock clock moves first
		status                   int
		errName                  string
	}{
		{"a destination on a finished event is a conflict", "POST", finished + "/destinations", `{"channelId":5120004}`, 0, 409, "event_already_finished"},
		{"a recording asked for after it expired is gone", "POST", finished + "/recordings/download-url", `{"fileName":"video-2026-11-24-19-02-11.mp4"}`, tenYears, 404, "recording_expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, mock.Options{})
			if tc.advance > 0 {
				if status, _, body := h.do("POST", "/__mock/clock/advance", "", "application/json", fmt.Appendf(nil, `{"seconds":%d}`, tc.advance)); status != 200 {
					t.Fatalf("advancing the clock: %d %s", status, body)
				}
			}
			status, _, resp := h.do(tc.method, tc.path, h.token(nova), "application/json", []byte(tc.body))
			wantError(t, status, resp, tc.status, tc.errName)
		})
	}
}
