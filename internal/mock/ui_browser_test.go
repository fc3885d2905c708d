package mock_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/restreamkit/restreamkit/internal/browsertest"
	"github.com/restreamkit/restreamkit/internal/conformance"
	"github.com/restreamkit/restreamkit/internal/mock"
)

// open navigates to a dashboard page and waits for its heading.
func open(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	res, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil || res.Status != http.StatusOK {
		t.Fatalf("opening %s: %v %v", url, res, err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("main h1"))); err != nil {
		t.Fatalf("opening %s: %v", url, err)
	}
}

// click clicks the element and waits for the page's result message.
func clickFor(t *testing.T, ctx context.Context, selector, message string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(selector))); err != nil {
		t.Fatalf("clicking %s: %v", selector, err)
	}
	browsertest.WaitFor(t, ctx, "the message "+message,
		fmt.Sprintf(`(document.querySelector("#message")?.textContent ?? "").includes(%q)`, message))
}

// waitLive waits until the page's live stream is open.
func waitLive(t *testing.T, ctx context.Context) {
	t.Helper()
	browsertest.WaitFor(t, ctx, "the live stream", `document.querySelector("[data-live-status]")?.textContent === "live"`)
}

func TestInChromiumGoLiveOnTheLivePageSendsUpdateIncomingToTheStreamingFeed(t *testing.T) {
	ctx := browsertest.NewBrowser(t)
	h := newLiveHarness(t)
	feed := h.dial(t, "streaming", nova, h.token(nova))
	open(t, ctx, h.url+mock.UIPath+"live?user="+strconv.FormatInt(nova, 10))
	clickFor(t, ctx, "#go-live", "went live")
	feed.until(t, "updateIncoming", func(f wsFrame) bool { return f.action == "updateIncoming" })
	// The page, reloaded by the form's redirect, shows the stream and, live, the frames it sends.
	waitLive(t, ctx)
	browsertest.WaitFor(t, ctx, "an updateIncoming row", `document.querySelector("#frames tbody").textContent.includes('"action":"updateIncoming"')`)
	browsertest.Screenshot(t, ctx, "mock-ui-live")
	clickFor(t, ctx, "#stop", "stream stopped")
	feed.until(t, "deleteIncoming", func(f wsFrame) bool { return f.action == "deleteIncoming" })
}

func TestInChromiumAnInjectedChatEventAppearsLiveAndAHostileTextStaysText(t *testing.T) {
	ctx := browsertest.NewBrowser(t)
	h := newLiveHarness(t)
	open(t, ctx, h.url+mock.UIPath+"live?user="+strconv.FormatInt(nova, 10))
	waitLive(t, ctx)
	// Another client injects while the page is open: the row arrives over the live stream.
	const hostile = `<script>document.title="owned"</script><img src=x onerror="document.title='owned'"> "quoted"`
	h.call(t, http.MethodPost, "/__mock/chat/events", "", map[string]any{"userId": nova, "eventTypeId": 4, "text": hostile}, http.StatusCreated)
	browsertest.WaitFor(t, ctx, "the injected event", `document.querySelector("#frames tbody").textContent.includes('<script>document.title=')`)
	got, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
		Title    string
		Elements int
	}](`({Title: document.title, Elements: document.querySelectorAll("#frames script, #frames img").length})`))
	if err != nil {
		t.Fatal(err)
	}
	if got.Elements != 0 || got.Title == "owned" {
		t.Fatalf("the hostile text became markup: %d elements, title %q", got.Elements, got.Title)
	}
	// The type picker sends the chosen documented type.
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#event-type"), strconv.Itoa(5)),
		chromedp.SendKeys(chromedp.CSS("#text"), "from the picker"),
	); err != nil {
		t.Fatal(err)
	}
	clickFor(t, ctx, "#send-chat", "chat event sent")
	browsertest.WaitFor(t, ctx, "the picked event", `document.querySelector("#frames tbody").textContent.includes('"eventTypeId":5')`)
}

func TestInChromiumTogglingAChannelOnTheWorldPageShowsInREST(t *testing.T) {
	ctx := browsertest.NewBrowser(t)
	h := newHarness(t, mock.Options{})
	open(t, ctx, h.url+mock.UIPath+"world?user="+strconv.FormatInt(nova, 10))
	row := "#channel-" + strconv.FormatInt(conformance.NovaTwitch, 10)
	clickFor(t, ctx, row+` button[value="disable"]`, "disabled")
	if h.channelActive(t, nova, conformance.NovaTwitch) {
		t.Fatal("REST still shows the channel enabled")
	}
	browsertest.WaitFor(t, ctx, "the row in its new state", `document.querySelector("`+row+` .state").textContent.trim() === "disabled"`)
	clickFor(t, ctx, row+` button[value="enable"]`, "enabled")
	if !h.channelActive(t, nova, conformance.NovaTwitch) {
		t.Fatal("REST does not show the channel enabled again")
	}
	browsertest.Screenshot(t, ctx, "mock-ui-world")
}

func TestInChromiumABadRequestAppearsLiveOnTheRequestsPageWithItsVerdict(t *testing.T) {
	ctx := browsertest.NewBrowser(t)
	h := newHarness(t, mock.Options{})
	open(t, ctx, h.url+mock.UIPath)
	waitLive(t, ctx)
	status, _, _ := h.do(http.MethodPatch, "/v2/user/channel/"+strconv.FormatInt(conformance.NovaTwitch, 10), h.token(nova),
		"application/json", []byte(`{"active":"yes"}`))
	if status != http.StatusBadRequest {
		t.Fatalf("the bad request got %d, want 400", status)
	}
	browsertest.WaitFor(t, ctx, "the refused request's row", `document.querySelector("#requests tbody").textContent.includes("invalid_body_params")`)
	browsertest.Screenshot(t, ctx, "mock-ui-requests")
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#requests tbody tr:first-child a`)),
		chromedp.WaitVisible(chromedp.ID("verdict")),
	); err != nil {
		t.Fatal(err)
	}
	verdict, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#verdict").textContent + "|" + document.querySelector("#request-body").textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(verdict, "invalid_body_params") || !strings.Contains(verdict, "active") || !strings.Contains(verdict, `{"active":"yes"}`) {
		t.Fatalf("the request page says %q, want the error name, a message naming the field, and the body", verdict)
	}
	browsertest.Screenshot(t, ctx, "mock-ui-request")
}

func TestKeyboardAloneReachesAndUsesTheDashboardsActions(t *testing.T) {
	ctx := browsertest.NewBrowser(t)
	h := newHarness(t, mock.Options{})
	open(t, ctx, h.url+mock.UIPath+"world?user="+strconv.FormatInt(nova, 10))
	target := "#channel-" + strconv.FormatInt(conformance.NovaTwitch, 10) + ` button[value="disable"]`
	reached := false
	for range 40 {
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
			t.Fatal(err)
		}
		on, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.activeElement === document.querySelector('`+target+`')`))
		if err != nil {
			t.Fatal(err)
		}
		if on {
			reached = true
			break
		}
	}
	if !reached {
		t.Fatal("forty Tabs did not reach the channel's Disable button")
	}
	outline, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.activeElement).outlineStyle`))
	if err != nil || outline == "none" {
		t.Fatalf("the focused button shows no outline (%q, %v)", outline, err)
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, "the result", `(document.querySelector("#message")?.textContent ?? "").includes("disabled")`)
	if h.channelActive(t, nova, conformance.NovaTwitch) {
		t.Fatal("Enter on the focused Disable button did not disable the channel")
	}
}

func TestEveryDashboardPageFitsAPhoneAndALaptopInLightAndDark(t *testing.T) {
	ctx := browsertest.NewBrowser(t)
	h := newLiveHarness(t)
	h.do(http.MethodGet, "/v2/user/profile", h.token(nova), "", nil)
	h.do(http.MethodGet, "/v2/user/profile", "bad", "", nil)
	h.call(t, http.MethodPost, "/__mock/streams", "", map[string]any{"userId": nova}, http.StatusCreated)
	h.call(t, http.MethodPost, "/__mock/faults", "", map[string]any{"target": "rest", "operationId": "getUserProfile", "status": 503}, http.StatusCreated)
	user := strconv.FormatInt(nova, 10)
	for _, page := range []string{"", "world?user=" + user, "live?user=" + user, "faults", "requests/1"} {
		open(t, ctx, h.url+mock.UIPath+page)
		for _, width := range []int64{1280, 375} {
			browsertest.SetViewport(t, ctx, width, 800)
			for _, scheme := range []string{"light", "dark"} {
				browsertest.ColorScheme(t, ctx, scheme)
				if overflow := browsertest.Overflow(t, ctx); overflow > 0 {
					t.Errorf("%s at %d px overflows by %v px", mock.UIPath+page, width, overflow)
				}
				name := strings.NewReplacer("?user="+user, "", "/", "-").Replace(page)
				if name == "" {
					name = "requests"
				}
				if width == browsertest.Width || scheme == "light" { // screenshots are slow; the checks run for all four
					browsertest.Screenshot(t, ctx, fmt.Sprintf("mock-ui-%s-%d-%s", name, width, scheme))
				}
			}
		}
		browsertest.SetViewport(t, ctx, browsertest.Width, browsertest.Height)
	}
}

func TestInChromiumACrossSiteFormPostToTheDashboardIsRefused(t *testing.T) {
	ctx := browsertest.NewBrowser(t)
	h := newHarness(t, mock.Options{})
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html><title>evil</title><form method="post" action="%s">
<input type="hidden" name="user" value="%d"><input type="hidden" name="channel" value="%d">
<button id="go" name="action" value="disable">win a prize</button></form>`,
			h.url+mock.UIPath+"world/channel", nova, conformance.NovaTwitch)
	}))
	t.Cleanup(evil.Close)
	// Another port is another origin; localhost instead of 127.0.0.1 makes it another site too.
	evilURL := strings.Replace(evil.URL, "127.0.0.1", "localhost", 1)
	if err := chromedp.Do(ctx, chromedp.Navigate(evilURL), chromedp.Click(chromedp.ID("go"))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, "the refusal", `document.body.innerText.includes("cross_site_request") || document.body.innerText.includes("Forbidden")`)
	if !h.channelActive(t, nova, conformance.NovaTwitch) {
		t.Fatal("the cross-site post disabled the channel")
	}
}
