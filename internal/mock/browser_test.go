package mock_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/restreamkit/restreamkit/internal/browsertest"
	"github.com/restreamkit/restreamkit/internal/clock"
	"github.com/restreamkit/restreamkit/internal/mock"
	"github.com/restreamkit/restreamkit/internal/oauth"
)

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
	ctx := browsertest.NewBrowser(t)
	h := newHarness(t, mock.Options{})
	landed := interceptRedirect(t, ctx, devRedirect)

	authorize := devConfig(h.url).AuthCodeURL("enter-state")
	if err := chromedp.Do(ctx,
		chromedp.Navigate(authorize),
		chromedp.WaitVisible(chromedp.CSS(`button[value="approve"]`)),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Screenshot(t, ctx, "consent")
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
			ctx := browsertest.NewBrowser(t)
			if err := chromedp.Do(ctx,
				chromedp.Navigate(consentServer(t, manyAccounts(tc.accounts))),
				chromedp.WaitVisible(chromedp.CSS(`button[value="approve"]`)),
			); err != nil {
				t.Fatal(err)
			}
			browsertest.Screenshot(t, ctx, "consent-"+strings.ReplaceAll(tc.name, " ", "-"))
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
			if page.Width != browsertest.Width || page.Height != browsertest.Height || page.ScrollY != 0 {
				t.Fatalf("the viewport is %v×%v scrolled to %v, want %d×%d unscrolled", page.Width, page.Height, page.ScrollY, browsertest.Width, browsertest.Height)
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
			ctx := browsertest.NewBrowser(t)
			res, err := chromedp.Run(ctx, chromedp.NavigateResponse(h.url+"/login?"+tc.query))
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != http.StatusBadRequest || !strings.HasPrefix(res.MimeType, "text/html") {
				t.Fatalf("the browser got %d %s, want 400 text/html", res.Status, res.MimeType)
			}
			browsertest.Screenshot(t, ctx, "login-error")
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
