package mock_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/restreamkit/restreamkit/api/gen/controlapi"
	"github.com/restreamkit/restreamkit/internal/conformance"
	"github.com/restreamkit/restreamkit/internal/guard"
	"github.com/restreamkit/restreamkit/internal/mock"
)

// uiPost posts a form to the dashboard like a browser without JavaScript (same-origin), follows
// the 303 and returns the page it lands on.
func (h *harness) uiPost(t *testing.T, path string, form url.Values, header map[string]string) (int, string) {
	t.Helper()
	hdr := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"}
	for k, v := range header {
		hdr[k] = v
	}
	status, resHeader, body := h.send(rawRequest{method: http.MethodPost, path: mock.UIPath + path, body: form.Encode(), header: hdr})
	if status != http.StatusSeeOther {
		return status, string(body)
	}
	loc := resHeader.Get("Location")
	if !strings.HasPrefix(loc, mock.UIPath) {
		t.Fatalf("the form redirected to %q, want a dashboard page", loc)
	}
	get := map[string]string{}
	if c := header["Cookie"]; c != "" {
		get["Cookie"] = c
	}
	status, _, body = h.send(rawRequest{method: http.MethodGet, path: loc, header: get})
	return status, string(body)
}

// channelActive reads a channel's state over REST, as the application would.
func (h *harness) channelActive(t *testing.T, user, channel int64) bool {
	t.Helper()
	res, err := h.client(h.token(user)).GetChannelWithResponse(context.Background(), channel)
	if err != nil || res.JSON200 == nil {
		t.Fatalf("GET channel %d: %v %s", channel, err, res.Body)
	}
	return res.JSON200.Active
}

func TestTheDashboardPagesAnswerWithTheSecurityHeaders(t *testing.T) {
	h := newLiveHarness(t)
	// Something on every page: a request, a stream, a fault.
	h.do(http.MethodGet, "/v2/user/profile", "bad", "", nil)
	h.call(t, http.MethodPost, "/__mock/streams", "", map[string]any{"userId": nova}, http.StatusCreated)
	h.call(t, http.MethodPost, "/__mock/faults", "", map[string]any{"target": "rest", "operationId": "getUserProfile", "status": 503}, http.StatusCreated)
	h.call(t, http.MethodPost, "/__mock/faults", "", map[string]any{"target": "chat", "closeCode": 1011}, http.StatusCreated)
	for _, page := range []string{"", "world", "live", "faults", "requests/1"} {
		status, hdr, body := h.send(rawRequest{method: http.MethodGet, path: mock.UIPath + page})
		if status != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
			t.Fatalf("GET %s%s: %d %s", mock.UIPath, page, status, hdr.Get("Content-Type"))
		}
		if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q", page, csp)
		}
		if hdr.Get("X-Content-Type-Options") != "nosniff" || hdr.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: headers %v", page, hdr)
		}
		if !strings.Contains(string(body), `aria-current="page"`) {
			t.Errorf("%s: no current page in the navigation", page)
		}
	}
}

func TestTheDashboardRefusesAForeignHostAndACrossSiteWriteAndChangesNothing(t *testing.T) {
	h := newHarness(t, mock.Options{})
	status, _, _ := h.send(rawRequest{method: http.MethodGet, path: mock.UIPath, host: "evil.example"})
	if status != http.StatusForbidden {
		t.Fatalf("a rebinding Host got %d, want 403", status)
	}
	form := url.Values{"user": {strconv.FormatInt(nova, 10)}, "channel": {strconv.FormatInt(conformance.NovaTwitch, 10)}, "action": {"disable"}}
	status, _, body := h.send(rawRequest{method: http.MethodPost, path: mock.UIPath + "world/channel", body: form.Encode(),
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}})
	if status != http.StatusForbidden || !strings.Contains(string(body), guard.NameCrossSiteRequest) {
		t.Fatalf("a cross-site form post got %d %s, want 403 %s", status, body, guard.NameCrossSiteRequest)
	}
	if !h.channelActive(t, nova, conformance.NovaTwitch) {
		t.Fatal("the refused post disabled the channel")
	}
}

func TestWithAControlTokenTheBrowserBringsItOnceAndKeepsItInAStrictCookie(t *testing.T) {
	const token = "s3cret-control-token"
	h := newHarness(t, mock.Options{Control: guard.Options{Token: token}})
	if status, _, _ := h.send(rawRequest{method: http.MethodGet, path: mock.UIPath}); status != http.StatusUnauthorized {
		t.Fatalf("without the token: %d, want 401", status)
	}
	if status, _, _ := h.send(rawRequest{method: http.MethodGet, path: mock.UIPath + "world?token=wrong"}); status != http.StatusUnauthorized {
		t.Fatalf("with a wrong token: %d, want 401", status)
	}
	status, hdr, _ := h.send(rawRequest{method: http.MethodGet, path: mock.UIPath + "world?user=" + strconv.FormatInt(nova, 10) + "&token=" + token})
	if status != http.StatusSeeOther || strings.Contains(hdr.Get("Location"), token) || !strings.Contains(hdr.Get("Location"), "user=") {
		t.Fatalf("with the token: %d to %q, want 303 to the same page without the token", status, hdr.Get("Location"))
	}
	res := http.Response{Header: hdr}
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		cookie = c
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Path != mock.UIPath {
		t.Fatalf("the cookie %+v: want HttpOnly, SameSite=Strict, Path=%s", cookie, mock.UIPath)
	}
	if strings.Contains(cookie.Value, token) {
		t.Fatalf("the cookie holds the control token itself")
	}
	jar := map[string]string{"Cookie": cookie.Name + "=" + cookie.Value}
	if status, _, _ := h.send(rawRequest{method: http.MethodGet, path: hdr.Get("Location"), header: jar}); status != http.StatusOK {
		t.Fatalf("with the cookie: %d, want 200", status)
	}
	form := url.Values{"user": {strconv.FormatInt(nova, 10)}, "channel": {strconv.FormatInt(conformance.NovaTwitch, 10)}, "action": {"disable"}}
	if status, page := h.uiPost(t, "world/channel", form, jar); status != http.StatusOK || !strings.Contains(page, "disabled") {
		t.Fatalf("a post with the cookie: %d", status)
	}
	// The cookie opens the dashboard only, not the control API.
	if status, _, _ := h.send(rawRequest{method: http.MethodGet, path: "/__mock/journal", header: jar}); status != http.StatusUnauthorized {
		t.Fatalf("the control API with the dashboard's cookie: %d, want 401", status)
	}
}

func TestTheWorldPageNamesEachChannelsPlatformAndMasksTheStreamKey(t *testing.T) {
	h := newLiveHarness(t)
	status, _, body := h.send(rawRequest{method: http.MethodGet, path: mock.UIPath + "world?user=" + strconv.FormatInt(nova, 10)})
	if status != http.StatusOK {
		t.Fatalf("GET world: %d", status)
	}
	page := string(body)
	for _, want := range []string{`<td class="hide-narrow">Twitch</td>`, `<td class="hide-narrow">Youtube</td>`, `<td class="hide-narrow">Facebook Page</td>`, `[REDACTED:`} {
		if !strings.Contains(page, want) {
			t.Errorf("the world page lacks %s", want)
		}
	}
	if strings.Contains(page, "re_2046371_") { // nova's fixture key, examples/operations/getStreamKey.json
		t.Errorf("the world page shows the stream key in clear")
	}
}

func TestBadFormInputIsRefusedWithAMessageNamingTheFieldAndChangesNothing(t *testing.T) {
	h := newLiveHarness(t)
	before := h.srv.Clock().Offset()
	for _, tc := range []struct {
		name, path string
		form       url.Values
		want       string
	}{
		{"a user id that is not a number", "live/start", url.Values{"userId": {"nova"}}, `userId): want a whole number, not &#34;nova&#34;`},
		{"a missing user", "live/start", url.Values{}, "User (userId) is required"},
		{"viewers out of range", "live/start", url.Values{"userId": {strconv.FormatInt(nova, 10)}, "viewers": {"-1"}}, "viewers"},
		{"a negative clock move", "faults/clock", url.Values{"seconds": {"-5"}}, "seconds"},
		{"an unknown fault target", "faults/add", url.Values{"target": {"dns"}}, "target"},
		{"an unknown channel", "world/channel", url.Values{"user": {strconv.FormatInt(nova, 10)}, "channel": {"1"}, "action": {"delete"}}, "not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			world := h.state()
			status, page := h.uiPost(t, tc.path, tc.form, nil)
			if status != http.StatusOK || !strings.Contains(page, "<strong>Refused:</strong>") || !strings.Contains(page, tc.want) {
				t.Fatalf("got %d, want a page refusing with %q:\n%s", status, tc.want, messageOf(page))
			}
			if h.state() != world || h.streamCount(t) != 0 || h.srv.Clock().Offset() != before {
				t.Fatal("the refused form changed the mock")
			}
		})
	}
}

// messageOf is the result message of a dashboard page, for failure messages.
func messageOf(page string) string {
	if i := strings.Index(page, `id="message"`); i >= 0 {
		return page[i:min(len(page), i+400)]
	}
	return "(no message)"
}

func TestTheRequestsPageFiltersWithoutJavaScript(t *testing.T) {
	h := newHarness(t, mock.Options{})
	nt, tt := h.token(nova), h.token(techtalks)
	h.do(http.MethodGet, "/v2/user/profile", nt, "", nil)
	h.do(http.MethodGet, "/v2/user/channel/all", tt, "", nil)
	h.do(http.MethodGet, "/v2/user/profile", "wrong-token", "", nil)
	for _, tc := range []struct {
		query     string
		want, not []string
	}{
		{"", []string{"/v2/user/profile", "/v2/user/channel/all", "invalid_token"}, nil},
		{"user=" + strconv.FormatInt(techtalks, 10), []string{"/v2/user/channel/all"}, []string{">GET /v2/user/profile<"}},
		{"op=getUserProfile&status=4xx", []string{"invalid_token"}, []string{"/v2/user/channel/all"}},
		{"status=2xx", []string{"/v2/user/profile", "/v2/user/channel/all"}, []string{"invalid_token"}},
		{"status=9xx&user=abc", []string{"Filter not applied", "status: want one of", "user: want a user id"}, nil},
	} {
		status, _, body := h.send(rawRequest{method: http.MethodGet, path: mock.UIPath + "?" + tc.query})
		page := string(body)
		if status != http.StatusOK {
			t.Fatalf("?%s: %d", tc.query, status)
		}
		for _, w := range tc.want {
			if !strings.Contains(page, w) {
				t.Errorf("?%s: the page lacks %q", tc.query, w)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(page, n) {
				t.Errorf("?%s: the page shows %q", tc.query, n)
			}
		}
	}
}

func TestTheRequestsStreamSendsNewRequestsThatTheFilterShows(t *testing.T) {
	h := newHarness(t, mock.Options{})
	res, err := http.Get(h.url + mock.UIPath + "events?kind=requests&status=4xx")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("the stream: %s %s", res.Status, res.Header.Get("Content-Type"))
	}
	br := bufio.NewReader(res.Body)
	line, err := br.ReadString('\n')
	for err == nil && !strings.HasPrefix(line, ": subscribed") {
		line, err = br.ReadString('\n')
	}
	h.do(http.MethodGet, "/v2/user/profile", h.token(nova), "", nil)   // 200: filtered out
	h.do(http.MethodGet, "/v2/user/channel/all", "bad-token", "", nil) // 401: shown
	var event, data string
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line == "\n" && event != "" {
			break // the end of the first event
		}
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimSpace(line[len("event: "):])
		case strings.HasPrefix(line, "data: ") && event != "":
			data += line
		}
	}
	if event != "request" || !strings.Contains(data, "/v2/user/channel/all") || strings.Contains(data, "/v2/user/profile") {
		t.Fatalf("the first event is %s %q, want the 401 row", event, data)
	}
}

// sseRead reads SSE events ("name id data") from br until n request or dropped events came.
func sseRead(t *testing.T, br *bufio.Reader, n int) []string {
	t.Helper()
	var out []string
	var name, id, data string
	for len(out) < n {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the stream after %q: %v", out, err)
		}
		switch {
		case line == "\n":
			if name == "request" || name == "dropped" {
				out = append(out, strings.Join(strings.Fields(name+" "+id+" "+data), " "))
			}
			name, id, data = "", "", ""
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimSpace(line[len("event: "):])
		case strings.HasPrefix(line, "id: "):
			id = strings.TrimSpace(line[len("id: "):])
		case strings.HasPrefix(line, "data: ") && name == "dropped":
			data = strings.TrimSpace(line[len("data: "):])
		}
	}
	return out
}

func TestTheRequestsStreamResumesAfterTheRowItWasGivenAndSaysWhatTheJournalLetGo(t *testing.T) {
	h := newHarness(t, mock.Options{JournalSize: 5})
	for range 10 { // ids 1 to 10; the journal keeps 6 to 10
		h.do(http.MethodGet, "/v2/user/channel/all", "bad-token", "", nil)
	}
	open := func(query string, header http.Header) *bufio.Reader {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, h.url+mock.UIPath+"events?kind=requests&"+query, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header = header
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("the stream: %v %v", res, err)
		}
		t.Cleanup(func() { res.Body.Close() })
		return bufio.NewReader(res.Body)
	}
	// A page whose newest row was 1: 2 to 5 are gone (4 missed), 6 to 10 follow, oldest first.
	got := sseRead(t, open("after=1", nil), 6)
	want := []string{"dropped 4", "request 6", "request 7", "request 8", "request 9", "request 10"}
	if !slices.Equal(got, want) {
		t.Errorf("after=1: %q, want %q", got, want)
	}
	// A browser reconnecting sends the last id it saw; it wins over the page's older cursor, so
	// nothing comes twice.
	br := open("after=6", http.Header{"Last-Event-ID": {"9"}})
	h.do(http.MethodGet, "/v2/user/profile", "bad-token", "", nil) // id 11
	if got := sseRead(t, br, 2); !slices.Equal(got, []string{"request 10", "request 11"}) {
		t.Errorf("after=6 with Last-Event-ID 9: %q, want 10 and 11", got)
	}
}

func FuzzRequestFilter(f *testing.F) {
	for _, seed := range []string{"", "user=1&op=getUserProfile&status=4xx", "user=-1", "user=99999999999999999999", "status=%00",
		"op=" + strings.Repeat("x", 300), "user=1e3&control=1", "user=%20%2042", "user=9007199254740992"} {
		f.Add(seed)
	}
	known := func(id string) bool { return id == "getUserProfile" || id == "listChannels" }
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		took, err := mock.ParseRequestFilter(q, known)
		if err != nil && !strings.ContainsAny(err.Error(), ":") {
			t.Fatalf("?%s: the error %q names no field", raw, err)
		}
		// What the filter took reads back as itself, without an error: the live stream's URL
		// carries it.
		q2, _ := url.ParseQuery(took)
		again, err := mock.ParseRequestFilter(q2, known)
		if err != nil || again != took {
			t.Fatalf("?%s took %q, which reads back as %q (%v)", raw, took, again, err)
		}
	})
}

// streamCount is how many simulated streams run, by the control API.
func (h *harness) streamCount(t *testing.T) int {
	t.Helper()
	res, err := h.ctl.ListStreamsWithResponse(context.Background(), &controlapi.ListStreamsParams{})
	if err != nil || res.JSON200 == nil {
		t.Fatalf("listing streams: %v", err)
	}
	return len(res.JSON200.Streams)
}

func TestTheFaultsPageExpiresAUsersTokensAndMovesTheClock(t *testing.T) {
	h := newHarness(t, mock.Options{})
	tok := h.token(nova)
	status, page := h.uiPost(t, "faults/expire", url.Values{"userId": {strconv.FormatInt(nova, 10)}}, nil)
	if status != http.StatusOK || !strings.Contains(page, "access tokens expired") {
		t.Fatalf("expiring from the page: %d %s", status, messageOf(page))
	}
	if status, _, _ := h.do(http.MethodGet, "/v2/user/profile", tok, "", nil); status != http.StatusUnauthorized {
		t.Fatalf("the token after the expiry: %d, want 401", status)
	}
	before := h.srv.Clock().Now()
	if status, page := h.uiPost(t, "faults/clock", url.Values{"seconds": {"3600"}}, nil); status != http.StatusOK || !strings.Contains(page, "clock moved") {
		t.Fatalf("moving the clock from the page: %d %s", status, messageOf(page))
	}
	if moved := h.srv.Clock().Now().Sub(before); moved < time.Hour {
		t.Fatalf("the clock moved %v, want an hour", moved)
	}
	h.call(t, http.MethodPost, "/__mock/faults", "", map[string]any{"target": "rest", "operationId": "getUserProfile", "status": 503}, http.StatusCreated)
	if status, page := h.uiPost(t, "faults/delete", url.Values{"id": {"fault-1"}}, nil); status != http.StatusOK || !strings.Contains(page, "fault removed") {
		t.Fatalf("removing the fault from the page: %d %s", status, messageOf(page))
	}
	if status, page := h.uiPost(t, "faults/reset", nil, nil); status != http.StatusOK || !strings.Contains(page, "start-up state") || h.srv.Clock().Offset() != 0 {
		t.Fatalf("resetting from the page: %d %s", status, messageOf(page))
	}
}

func FuzzDashboardForms(f *testing.F) {
	srv, err := mock.New(liveOptions())
	if err != nil {
		f.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	f.Cleanup(func() { _ = srv.Shutdown(context.Background()); ts.Close() })
	user := strconv.FormatInt(nova, 10)
	for _, seed := range [][2]string{
		{"live/start", "userId=" + user + "&viewers=5"}, {"live/stop", "userId=" + user}, {"live/chat", "userId=" + user + "&eventTypeId=4&text=%3Cb%3E"},
		{"live/script", "userId=" + user + "&name=raid"}, {"live/reply", "userId=" + user + "&text="}, {"faults/clock", "seconds=-1"},
		{"faults/add", "target=rest&status=abc"}, {"faults/delete", "id=..%2F..%2Freset"}, {"faults/expire", "userId=99999999999999999999"},
		{"world/channel", "user=x&channel=1&action=delete"}, {"world/channel", "user=" + user + "&channel=5120001&action=%00"},
		{"live/start", "userId=1&userId=2&%zz"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, action, form string) {
		req, err := http.NewRequest(http.MethodPost, ts.URL+mock.UIPath+action, strings.NewReader(form))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Fatalf("POST %s %q: %d", action, form, res.StatusCode)
		}
		if res.StatusCode == http.StatusSeeOther && !strings.HasPrefix(res.Header.Get("Location"), mock.UIPath) {
			t.Fatalf("POST %s %q redirected to %q, off the dashboard", action, form, res.Header.Get("Location"))
		}
	})
}

func TestTheLivePageRunsAScriptAndSendsAReplyThroughTheControlAPI(t *testing.T) {
	h := newLiveHarness(t)
	user := strconv.FormatInt(nova, 10)
	chat := h.dial(t, "chat", nova, h.token(nova))
	status, page := h.uiPost(t, "live/script", url.Values{"userId": {user}, "name": {"hello"}}, nil)
	if status != http.StatusOK || !strings.Contains(page, "script started") {
		t.Fatalf("running a script from the page: %d %s", status, messageOf(page))
	}
	chat.until(t, "an event frame of the script", func(f wsFrame) bool { return f.action == "event" })
	status, page = h.uiPost(t, "live/reply", url.Values{"userId": {user}, "text": {"thanks for watching"}}, nil)
	if status != http.StatusOK || !strings.Contains(page, "reply sent") {
		t.Fatalf("sending a reply from the page: %d %s", status, messageOf(page))
	}
	chat.until(t, "the reply's frame", func(f wsFrame) bool { return strings.Contains(string(f.raw), "thanks for watching") })
	// Both went through the control API: the journal lists them among its control calls.
	status, _, body := h.request(t, http.MethodGet, "/__mock/journal?include=control", "", "", nil)
	if status != http.StatusOK || !strings.Contains(string(body), `"operationId":"runChatScript"`) || !strings.Contains(string(body), `"operationId":"sendChatReply"`) {
		t.Fatalf("the journal does not list the dashboard's control calls: %d", status)
	}
}
