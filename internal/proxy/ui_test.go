package proxy_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/restreamkit/restreamkit/internal/guard"
	"github.com/restreamkit/restreamkit/internal/proxy"
	"github.com/restreamkit/restreamkit/internal/webui"
)

// getUI fetches a dashboard URL from loopback and returns the status, headers and body.
func getUI(t *testing.T, u string, header map[string]string) (int, http.Header, string) {
	t.Helper()
	return sendFull(t, "GET", u, "", header)
}

// waitPage fetches a dashboard page until it contains want (the proxy publishes an exchange when
// the upstream's body ends, which the client can beat), failing after a bound.
func waitPage(t *testing.T, u, want string) string {
	t.Helper()
	var body string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		var status int
		status, _, body = getUI(t, u, nil)
		if status == 200 && strings.Contains(body, want) {
			return body
		}
	}
	t.Fatalf("%s never showed %q; last page:\n%s", u, want, body)
	return ""
}

// badChannelPatch is a client bug: "active" must be a boolean.
const badChannelPatch = `{"active":"yes"}`

func TestABadRequestAppearsOnTheDashboardWithPointerExpectedAndActual(t *testing.T) {
	_, base := startProxy(t, proxy.Options{Upstream: mustURL(t, startMock(t))})
	send(t, base, "PATCH", "/v2/user/channel/1", "application/json", badChannelPatch, bearer)
	page := waitPage(t, base+proxy.UIPrefix, "/v2/user/channel/1")
	for _, want := range []string{"updateChannel", `<code class="pointer">/active</code>`, `<code class="rule">type</code>`, `<code class="expected">boolean</code>`, `<code class="actual">string</code>`, "1 violation"} {
		if !strings.Contains(page, want) {
			t.Errorf("the exchanges page lacks %q:\n%s", want, page)
		}
	}
	// The row links to the whole exchange: request and response, redacted.
	i := strings.Index(page, `href="/__proxy/ui/exchanges/`)
	if i < 0 {
		t.Fatal("no link to the exchange")
	}
	link := page[i+len(`href="`):]
	link = link[:strings.IndexByte(link, '"')]
	status, _, detail := getUI(t, base+link, nil)
	if status != 200 {
		t.Fatalf("the exchange page: %d", status)
	}
	for _, want := range []string{"Request", "Response", "PATCH /v2/user/channel/1", `<code class="expected">`, "Authorization", "[REDACTED:", `&#34;active&#34;:&#34;yes&#34;`} {
		if !strings.Contains(detail, want) {
			t.Errorf("the exchange page lacks %q", want)
		}
	}
	if token := strings.TrimPrefix(bearer, "Bearer "); strings.Contains(detail, token) || strings.Contains(page, token) {
		t.Fatal("the dashboard shows the bearer token in clear")
	}
}

func TestAHostileValueIsShownEscaped(t *testing.T) {
	_, base := startProxy(t, proxy.Options{Upstream: mustURL(t, startMock(t))})
	// A made-up path with markup and quotes, as a hostile client or page could send.
	send(t, base, "GET", "/v2/%3Cscript%3Ealert(1)%3C/script%3E%22quoted'", "", "", "")
	page := waitPage(t, base+proxy.UIPrefix, "unknown")
	if strings.Contains(page, "<script>alert") || strings.Contains(page, `"quoted'`) {
		t.Fatalf("the hostile path reached the page unescaped:\n%s", page)
	}
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;&#34;quoted&#39;") {
		t.Fatalf("the hostile path is not shown escaped:\n%s", page)
	}
}

// feed reads Server-Sent Events from the dashboard's live feed.
type feed struct {
	res *http.Response
	r   *bufio.Reader
}

func openFeed(t *testing.T, u string) *feed {
	t.Helper()
	// The feed never ends by itself: a bound on the whole request turns a missing event into a
	// failed read instead of a hung test.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close(); cancel() })
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("the feed answered %d %s: %s", res.StatusCode, res.Header.Get("Content-Type"), b)
	}
	return &feed{res: res, r: bufio.NewReader(res.Body)}
}

// next returns the next event's name and data, skipping comments (the heartbeat).
func (f *feed) next(t *testing.T) (event, data string) {
	t.Helper()
	var lines []string
	for {
		line, err := f.r.ReadString('\n')
		if err != nil {
			t.Fatalf("the feed ended: %v", err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "" && event != "":
			return event, strings.Join(lines, "\n")
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			lines = append(lines, strings.TrimPrefix(line, "data: "))
		}
	}
}

func TestTheLiveFeedSendsTheExchangesThatPassItsFilter(t *testing.T) {
	_, base := startProxy(t, proxy.Options{Upstream: mustURL(t, startMock(t))})
	f := openFeed(t, base+proxy.UIEvents+"?violations=on&operation=updateChannel")
	send(t, base, "GET", "/v2/platform/all", "", "", "")                                        // no violation
	send(t, base, "PATCH", "/v2/user/channel/2", "application/json", `{"active":true}`, bearer) // valid
	send(t, base, "PATCH", "/v2/user/channel/1", "application/json", badChannelPatch, bearer)
	event, data := f.next(t)
	if event != "exchange" || !strings.Contains(data, "/v2/user/channel/1") || !strings.Contains(data, "/active") {
		t.Fatalf("the first event is %s %s; want the bad PATCH, the others filtered out", event, data)
	}
}

func TestTheLiveFeedResumesAfterThePagesNewestRowOrTheLastEventTheBrowserSaw(t *testing.T) {
	_, base := startProxy(t, proxy.Options{Upstream: mustURL(t, startMock(t))})
	for range 3 { // exchanges 0, 1 and 2
		send(t, base, "GET", "/v2/platform/all", "", "", "")
	}
	waitPage(t, base+proxy.UIPrefix, `id="x2"`)
	// A page showing exchange 0 as its newest row asks from 1: 1 and 2 follow, oldest first.
	f := openFeed(t, base+proxy.UIEvents+"?from=1")
	for _, want := range []string{`id="x1"`, `id="x2"`} {
		if _, data := f.next(t); !strings.Contains(data, want) {
			t.Fatalf("from=1: got %s, want the row %s", data, want)
		}
	}
	// A browser reconnecting sends the id of the last event it got: it wins over the page's
	// older cursor, so nothing comes twice.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+proxy.UIEvents+"?from=0", nil)
	req.Header.Set("Last-Event-ID", "2")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	again := &feed{res: res, r: bufio.NewReader(res.Body)}
	send(t, base, "GET", "/v2/platform/all", "", "", "") // exchange 3
	if _, data := again.next(t); !strings.Contains(data, `id="x3"`) {
		t.Fatalf("after Last-Event-ID 2: got %s, want the row of exchange 3", data)
	}
}

func TestTheDashboardIsGuardedLikeTheShutdownEndpoint(t *testing.T) {
	_, base := startProxy(t, proxy.Options{Upstream: mustURL(t, startMock(t))})
	for _, tc := range []struct {
		name, method, path, host string
		header                   map[string]string
		want                     int
		wantName                 string
	}{
		{"a rebinding page reading the exchanges", "GET", proxy.UIPrefix, "evil.example:8090", nil, 403, guard.NameHostNotAllowed},
		{"a rebinding page reading the feed", "GET", proxy.UIEvents, "evil.example", nil, 403, guard.NameHostNotAllowed},
		{"another origin's EventSource", "GET", proxy.UIEvents, "", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors"}, 403, guard.NameCrossSiteRequest},
		{"another origin's fetch of an exchange", "GET", proxy.UIPrefix + "exchanges/0", "", map[string]string{"Origin": "http://127.0.0.1:1"}, 403, guard.NameCrossSiteRequest},
		{"a cross-site form", "POST", proxy.UIPrefix, "", map[string]string{"Sec-Fetch-Site": "cross-site", "Content-Type": "application/x-www-form-urlencoded"}, 403, guard.NameCrossSiteRequest},
		{"a same-site write, which the dashboard does not take", "POST", proxy.UIPrefix, "", nil, 405, "method_not_allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := sendAs(t, tc.method, base+tc.path, tc.host, tc.header)
			if status != tc.want || !strings.Contains(body, `"name":"`+tc.wantName+`"`) {
				t.Fatalf("got %d %s, want %d %s", status, body, tc.want, tc.wantName)
			}
		})
	}
	status, h, _ := getUI(t, base+proxy.UIPrefix, map[string]string{"Sec-Fetch-Site": "none"})
	if status != 200 {
		t.Fatalf("the developer's own browser got %d", status)
	}
	for name, want := range map[string]string{"Content-Security-Policy": "frame-ancestors 'none'", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"} {
		if !strings.Contains(h.Get(name), want) {
			t.Errorf("%s: %q, want %q in it", name, h.Get(name), want)
		}
	}
	if csp := h.Get("Content-Security-Policy"); strings.Contains(csp, "unsafe-inline") {
		t.Errorf("the policy allows inline code: %s", csp)
	}
}

func TestABadFilterIsNamedAndChangesNothing(t *testing.T) {
	_, base := startProxy(t, proxy.Options{Upstream: mustURL(t, startMock(t))})
	send(t, base, "GET", "/v2/platform/all", "", "", "")
	waitPage(t, base+proxy.UIPrefix, "listPlatforms")
	status, _, page := getUI(t, base+proxy.UIPrefix+"?status=700&operation=listPlatforms", nil)
	if status != 400 || !strings.Contains(page, "status: &#34;700&#34; is not a status") {
		t.Fatalf("got %d, want 400 naming the status field:\n%s", status, page)
	}
	if !strings.Contains(page, "listPlatforms</td>") || strings.Contains(page, `value="listPlatforms" selected`) {
		t.Fatal("a bad filter must apply no filter at all, and keep showing every exchange")
	}
	status, _, body := getUI(t, base+proxy.UIEvents+"?operation=nope", nil)
	if status != 400 || !strings.Contains(body, "operation") {
		t.Fatalf("the feed with a bad filter: %d %s", status, body)
	}
}

func TestTheOperationsPageCountsStatusesAndViolationsAndShowsTheDrift(t *testing.T) {
	dir := t.TempDir()
	_, base := startProxy(t, proxy.Options{Upstream: mustURL(t, startMock(t)), DriftReport: filepath.Join(dir, "drift.md")})
	send(t, base, "GET", "/v2/platform/all", "", "", "")
	send(t, base, "GET", "/v2/platform/all", "", "", "")
	send(t, base, "PATCH", "/v2/user/channel/1", "application/json", badChannelPatch, bearer)
	page := waitPage(t, base+proxy.UIPrefix+"operations", "updateChannel")
	for _, want := range []string{`listPlatforms</a></th><td class="num">2</td><td class="num">0</td>`, "200 × 2", `updateChannel</a></th><td class="num">1</td><td class="num">1</td>`,
		`<td><code>/active</code></td><td><code>type</code></td>`, "Suggested change"} {
		if !strings.Contains(page, want) {
			t.Errorf("the operations page lacks %q:\n%s", want, page)
		}
	}
	_, off := startProxy(t, proxy.Options{Upstream: mustURL(t, startMock(t))})
	if _, _, page := getUI(t, off+proxy.UIPrefix+"operations", nil); !strings.Contains(page, "--drift-report FILE") {
		t.Fatal("without a drift report, the page must say how to turn it on")
	}
}

func TestFeedsOverTheCapGet503(t *testing.T) {
	_, base := startProxy(t, proxy.Options{Upstream: mustURL(t, startMock(t))})
	for range proxy.UISubscribers {
		openFeed(t, base+proxy.UIEvents)
	}
	status, _, body := getUI(t, base+proxy.UIEvents, nil)
	if status != 503 || !strings.Contains(body, webui.NameTooManySubscribers) {
		t.Fatalf("feed %d: %d %s", proxy.UISubscribers+1, status, body)
	}
}

func TestWebSocketFramesAndTheirViolationsAppearOnTheDashboard(t *testing.T) {
	feed := brokenFeed(t, wrongEnum, goodHeartbeat)
	_, base := startProxy(t, proxy.Options{Upstream: mustURL(t, "http://127.0.0.1:1"), ChatUpstream: mustURL(t, feed)})
	c := dial(t, wsURL(base)+"/chat/ws?accessToken=good")
	readUntil(t, c, "heartbeat")
	page := waitPage(t, base+proxy.UIPrefix+"?operation=websocket+chat", "frame server-frame")
	for _, want := range []string{"GET /chat/ws?accessToken=%5BREDACTED", "101", `<code class="pointer">/payload/reason</code>`, `<code class="rule">enum</code>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the feed's page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "accessToken=good") {
		t.Fatal("the feed's token is shown in clear")
	}
	// Each frame opens on its own page, its data shown redacted.
	i := strings.Index(page, `frame server-frame`)
	j := strings.LastIndex(page[:i], `href="`)
	link := page[j+len(`href="`):]
	link = link[:strings.IndexByte(link, '"')]
	if status, _, detail := getUI(t, base+link, nil); status != 200 || !strings.Contains(detail, "Frame server-frame") || !strings.Contains(detail, "heartbeat") && !strings.Contains(detail, "connection_closed") {
		t.Fatalf("the frame's page: %d\n%s", status, detail)
	}
}

func TestTheLiveFeedOutlivesTheServerTimeouts(t *testing.T) {
	opts := shortTimeouts
	opts.Upstream = mustURL(t, startMock(t))
	_, base := servedProxy(t, opts)
	f := openFeed(t, base+proxy.UIEvents)
	outlastTimeouts(t, base)
	send(t, base, "GET", "/v2/platform/all", "", "", "")
	// The connections that ran the timeouts out come first; the feed's own bound ends the wait.
	for {
		if _, data := f.next(t); strings.Contains(data, "/v2/platform/all") {
			return
		}
	}
}
