package mock_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/restreamkit/restreamkit/internal/clock"
	"github.com/restreamkit/restreamkit/internal/mock"
	"github.com/restreamkit/restreamkit/internal/oauth"
)

// The browser tests drive headless Chromium at a laptop's viewport. They skip when no Chromium
// is installed, unless RESTREAM_REQUIRE_CHROMIUM=1 (CI) turns the skip into a failure.
const (
	viewportWidth, viewportHeight = 1280, 800
	browserTimeout                = 60 * time.Second
	requireChromiumEnv            = "RESTREAM_REQUIRE_CHROMIUM"
)

// chromiumPath finds the browser: Debian's /usr/bin/chromium, else the first of the usual names
// on PATH.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const why = "no Chromium: neither /usr/bin/chromium nor chromium, chromium-browser, google-chrome or headless-shell on PATH (apt-get install -y chromium)"
	if os.Getenv(requireChromiumEnv) == "1" {
		t.Fatal(why + "; " + requireChromiumEnv + "=1 requires it")
	}
	t.Skip(why)
	return ""
}

// newBrowser starts headless Chromium for one test, with a fresh profile and the 1280×800
// viewport, bounded by browserTimeout so that a stuck browser fails the test instead of hanging CI.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	profile := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.UserDataDir(profile),
		chromedp.WindowSize(viewportWidth, viewportHeight))
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(func() { bcancel(); acancel(); cancel() }) // before the profile directory is removed
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(viewportWidth, viewportHeight)); err != nil {
		t.Fatalf("starting Chromium at %s: %v", path, err)
	}
	return bctx
}

// screenshot captures the viewport into a PNG file in the test's temporary directory and checks
// it decodes as a PNG of the viewport's size. It compares no pixels: it proves the page renders.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	file := filepath.Join(t.TempDir(), name+".png")
	if err := os.WriteFile(file, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(buf))
	if err != nil {
		t.Fatalf("screenshot %s is not a PNG: %v", name, err)
	}
	if cfg.Width != viewportWidth || cfg.Height != viewportHeight {
		t.Fatalf("screenshot %s is %d×%d, want the %d×%d viewport", name, cfg.Width, cfg.Height, viewportWidth, viewportHeight)
	}
	t.Logf("screenshot: %s", file)
}

// interceptRedirect makes the browser answer requests to the redirect URI itself, with a page
// that says so, since no application listens there. It returns the URLs the browser asked for.
func interceptRedirect(t *testing.T, ctx context.Context, redirectURI string) <-chan string {
	t.Helper()
	paused := chromedp.Events(ctx, fetch.RequestPaused)
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{
		Patterns: []*fetch.RequestPattern{{URLPattern: redirectURI + "*"}},
	}); err != nil {
		t.Fatal(err)
	}
	landed := make(chan string, 8)
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			select {
			case landed <- ev.Request.URL:
			default:
			}
			_, _ = chromedp.Call(ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{
				RequestID: ev.RequestID, ResponseCode: http.StatusOK,
				ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "text/html; charset=utf-8"}},
				Body:            []byte(`<!DOCTYPE html><title>callback</title><p id="callback">the application's callback</p>`),
			})
		}
	}()
	return landed
}

func TestPressingEnterOnTheConsentPageApprovesInChromium(t *testing.T) {
	ctx := newBrowser(t)
	h := newHarness(t, mock.Options{})
	landed := interceptRedirect(t, ctx, devRedirect)

	authorize := devConfig(h.url).AuthCodeURL("enter-state")
	if err := chromedp.Do(ctx,
		chromedp.Navigate(authorize),
		chromedp.WaitVisible(chromedp.CSS(`button[value="approve"]`)),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "consent")
	// The user only looks at the page and presses Enter, with the account choice focused.
	if err := chromedp.Do(ctx,
		chromedp.Focus(chromedp.CSS(`input[name="account"]:checked`)),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.ID("callback")),
	); err != nil {
		t.Fatal(err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Scheme + "://" + u.Host + u.Path; got != devRedirect {
		t.Fatalf("Enter took the browser to %s, want the redirect URI %s", loc, devRedirect)
	}
	if q := u.Query(); q.Get("code") == "" || q.Get("state") != "enter-state" {
		t.Fatalf("Enter did not approve: the browser landed on %s, without a code and the state (a denial)", loc)
	}
	select {
	case first := <-landed:
		if first != loc {
			t.Errorf("the browser asked for %s first, then showed %s", first, loc)
		}
	default:
		t.Error("the browser did not ask for the redirect URI")
	}
	// The code is a real one: the application can exchange it.
	if _, err := devConfig(h.url).Exchange(context.Background(), u.Query().Get("code")); err != nil {
		t.Fatalf("exchanging the code Enter produced: %v", err)
	}
}

// manyAccounts are more sign-in accounts than fit on a screen.
func manyAccounts(n int) []oauth.Account {
	accounts := make([]oauth.Account, n)
	for i := range accounts {
		accounts[i] = oauth.Account{ID: int64(1000 + i), Username: fmt.Sprintf("streamer_%02d", i), Email: fmt.Sprintf("streamer_%02d@example.com", i)}
	}
	return accounts
}

// consentServer serves the consent page of an OAuth server with every scope and many accounts
// at /, as the mock's /login does.
func consentServer(t *testing.T, accounts []oauth.Account) string {
	t.Helper()
	srv, err := oauth.New(oauth.Options{
		Clock: clock.New(),
		Clients: []oauth.Client{{ID: "many", Secret: "many-secret", Name: "An application that asks for everything",
			RedirectURIs: []string{"http://localhost:3000/callback"}, Scopes: allScopeNames()}},
		Accounts: accounts, DefaultAccount: accounts[len(accounts)/2].ID,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := srv.Authorize(oauth.AuthorizeRequest{ResponseType: "code", ClientID: "many", RedirectURI: "http://localhost:3000/callback"})
		if err != nil {
			t.Error(err)
			return
		}
		oauth.SetConsentHeaders(w.Header())
		if err := srv.RenderConsent(w, c); err != nil {
			t.Error(err)
		}
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// allScopeNames lists every scope the mock knows, in its own spelling.
func allScopeNames() []string {
	var names []string
	for _, s := range oauth.AllScopes.List() {
		names = append(names, s.String())
	}
	return names
}

// box is an element's bounding box as the page reports it.
type box struct{ Left, Top, Right, Bottom float64 }

func TestTheConsentButtonsAreInViewAt1280x800WithManyAccountsAndScopes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		accounts int
	}{
		{"with one account", 1},
		{"with sixty accounts", 60},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := newBrowser(t)
			if err := chromedp.Do(ctx,
				chromedp.Navigate(consentServer(t, manyAccounts(tc.accounts))),
				chromedp.WaitVisible(chromedp.CSS(`button[value="approve"]`)),
			); err != nil {
				t.Fatal(err)
			}
			screenshot(t, ctx, "consent-"+strings.ReplaceAll(tc.name, " ", "-"))
			page, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
				Width, Height, ScrollY float64
				Scopes, Accounts       int
				Buttons                map[string]box
			}](`(() => {
				const boxes = {};
				for (const b of document.querySelectorAll("button")) {
					const r = b.getBoundingClientRect();
					boxes[b.value] = {Left: r.left, Top: r.top, Right: r.right, Bottom: r.bottom};
				}
				return {Width: innerWidth, Height: innerHeight, ScrollY: scrollY,
					Scopes: document.querySelectorAll(".scopes li").length,
					Accounts: document.querySelectorAll('input[name="account"]').length, Buttons: boxes};
			})()`))
			if err != nil {
				t.Fatal(err)
			}
			if page.Width != viewportWidth || page.Height != viewportHeight || page.ScrollY != 0 {
				t.Fatalf("the viewport is %v×%v scrolled to %v, want %d×%d unscrolled", page.Width, page.Height, page.ScrollY, viewportWidth, viewportHeight)
			}
			if page.Scopes != len(allScopeNames()) || page.Accounts != tc.accounts {
				t.Fatalf("the page lists %d scopes and %d accounts, want %d and %d", page.Scopes, page.Accounts, len(allScopeNames()), tc.accounts)
			}
			for _, name := range []string{oauth.DecisionApprove, oauth.DecisionDeny} {
				b, ok := page.Buttons[name]
				if !ok {
					t.Fatalf("no %s button", name)
				}
				if b.Left < 0 || b.Top < 0 || b.Right > page.Width || b.Bottom > page.Height || b.Right <= b.Left || b.Bottom <= b.Top {
					t.Errorf("the %s button at %+v is not inside the %v×%v viewport", name, b, page.Width, page.Height)
				}
			}
		})
	}
}

func TestChromiumShowsLoginErrorsAsAPage(t *testing.T) {
	h := newHarness(t, mock.Options{})
	for _, tc := range []struct {
		name, query, message string
	}{
		{"an unknown client", "response_type=code&client_id=nobody&redirect_uri=" + url.QueryEscape(devRedirect), oauth.MsgClientInvalid},
		{"an unregistered redirect URI", "response_type=code&client_id=" + devClient + "&redirect_uri=" + url.QueryEscape("https://evil.example/cb"),
			"`redirect_uri` does not match a redirect URI registered for the client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := newBrowser(t)
			res, err := chromedp.Run(ctx, chromedp.NavigateResponse(h.url+"/login?"+tc.query))
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != http.StatusBadRequest || !strings.HasPrefix(res.MimeType, "text/html") {
				t.Fatalf("the browser got %d %s, want 400 text/html", res.Status, res.MimeType)
			}
			screenshot(t, ctx, "login-error")
			page, err := chromedp.Run(ctx, chromedp.Evaluate[struct{ ContentType, URL, Heading, Message, Text string }](
				`({ContentType: document.contentType, URL: location.href,
				  Heading: document.querySelector("h1")?.innerText ?? "", Message: document.querySelector("#message")?.innerText ?? "",
				  Text: document.body.innerText})`))
			if err != nil {
				t.Fatal(err)
			}
			if page.ContentType != "text/html" || strings.HasPrefix(strings.TrimSpace(page.Text), "{") {
				t.Fatalf("the browser shows %s, not an HTML page: %q", page.ContentType, page.Text)
			}
			if !strings.HasPrefix(page.URL, h.url+"/login?") {
				t.Errorf("the browser left /login for %s: a refused dialog must not redirect", page.URL)
			}
			if !strings.Contains(page.Heading, "400") || !strings.Contains(page.Message, tc.message) {
				t.Errorf("the page says %q / %q, want the status and %q", page.Heading, page.Message, tc.message)
			}
		})
	}
}
