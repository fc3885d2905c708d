package mock_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/restreamkit/restreamkit/internal/live"
	"github.com/restreamkit/restreamkit/internal/mock"
)

func TestTheWholeOAuthFlowWorksWithGolangOAuth2(t *testing.T) {
	h := newHarness(t, mock.Options{})
	ctx := context.Background()
	conf := devConfig(h.url)

	// 1. The authorize dialog, walked like a browser, signing in as techtalks_daily.
	loc := walkConsent(t, conf.AuthCodeURL("state-123"), techtalks, true)
	q := loc.Query()
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != devRedirect {
		t.Fatalf("redirected to %s, want %s", got, devRedirect)
	}
	if q.Get("state") != "state-123" || q.Get("code") == "" {
		t.Fatalf("the redirect lacks code or state: %s", loc)
	}
	if !strings.Contains(q.Get("scope"), ",") || strings.Contains(q.Get("scope"), " ") {
		t.Fatalf("the granted scope must be comma-separated, got %q", q.Get("scope"))
	}

	// 2. The code exchange, with x/oauth2's own client authentication.
	tok, err := conf.Exchange(ctx, q.Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	if tok.TokenType != "Bearer" || tok.RefreshToken == "" || time.Until(tok.Expiry) < 59*time.Minute {
		t.Fatalf("unexpected token %+v", tok)
	}
	for _, f := range []string{"expires", "accessToken", "accessTokenExpiresAt", "accessTokenExpiresEpoch",
		"refreshToken", "refreshTokenExpiresIn", "refreshTokenExpiresAt", "refreshTokenExpiresEpoch", "scope"} {
		if tok.Extra(f) == nil {
			t.Errorf("the token response lacks %s", f)
		}
	}
	if tok.Extra("accessToken") != tok.AccessToken || tok.Extra("refreshToken") != tok.RefreshToken {
		t.Fatal("camelCase fields must repeat the snake_case values")
	}
	if n, _ := tok.Extra("refreshTokenExpiresIn").(float64); n != 31536000 {
		t.Fatalf("refresh tokens live a year, got %v", tok.Extra("refreshTokenExpiresIn"))
	}

	// 3. The token works, for the user who signed in.
	src := conf.TokenSource(ctx, tok)
	profile := func(ts oauth2.TokenSource) (int, string) {
		res, err := oauth2.NewClient(ctx, ts).Get(h.url + "/v2/user/profile")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := profile(src); code != 200 || !strings.Contains(body, `"username":"techtalks_daily"`) {
		t.Fatalf("profile with the new token: %d %s", code, body)
	}

	// 4. Past the hour on the mock clock the access token is refused...
	h.do("POST", "/__mock/clock/advance", "", "application/json", []byte(`{"seconds":3660}`))
	status, _, body := h.do("GET", "/v2/user/profile", tok.AccessToken, "", nil)
	wantError(t, status, body, 401, "invalid_token", "expired")

	// ...and a TokenSource refreshes it. x/oauth2 reads expiry from the real clock, so the client's
	// copy of the token is moved by the same hour, as a client whose clock moved would see it.
	stale := *tok
	stale.Expiry = time.Now().Add(-time.Minute)
	src = conf.TokenSource(ctx, &stale)
	if code, body := profile(src); code != 200 {
		t.Fatalf("after refresh: %d %s", code, body)
	}
	fresh, err := src.Token()
	if err != nil {
		t.Fatal(err)
	}
	if fresh.AccessToken == tok.AccessToken || fresh.RefreshToken == tok.RefreshToken {
		t.Fatal("a refresh must rotate both tokens")
	}

	// 5. Rotation killed the old refresh token.
	if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); !isOAuthError(err, 400, "invalid_grant") {
		t.Fatalf("a rotated refresh token must be refused with invalid_grant, got %v", err)
	}

	// 6. Revoke answers 200 with an empty body and kills the pair.
	res, err := http.PostForm(h.url+"/oauth/revoke", url.Values{"token": {fresh.RefreshToken}})
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || len(rb) != 0 {
		t.Fatalf("revoke answered %d %q", res.StatusCode, rb)
	}
	status, _, body = h.do("GET", "/v2/user/profile", fresh.AccessToken, "", nil)
	wantError(t, status, body, 401, "invalid_token", "invalid")
	if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: fresh.RefreshToken}).Token(); !isOAuthError(err, 400, "invalid_grant") {
		t.Fatalf("a revoked refresh token must be refused, got %v", err)
	}
}

func TestACodeIsSingleUseAndReusingItRevokesItsTokens(t *testing.T) {
	h := newHarness(t, mock.Options{})
	conf := devConfig(h.url)
	code := walkConsent(t, conf.AuthCodeURL("s"), nova, true).Query().Get("code")
	tok, err := conf.Exchange(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	if status, _, body := h.do("GET", "/v2/user/profile", tok.AccessToken, "", nil); status != 200 {
		t.Fatalf("the new token must work: %d %s", status, body)
	}
	if _, err := conf.Exchange(context.Background(), code); !isOAuthError(err, 400, "invalid_grant") {
		t.Fatalf("reusing a code must fail with invalid_grant, got %v", err)
	}
	status, _, body := h.do("GET", "/v2/user/profile", tok.AccessToken, "", nil)
	wantError(t, status, body, 401, "invalid_token")
}

func TestACodeExpires(t *testing.T) {
	h := newHarness(t, mock.Options{})
	conf := devConfig(h.url)
	code := walkConsent(t, conf.AuthCodeURL("s"), nova, true).Query().Get("code")
	h.do("POST", "/__mock/clock/advance", "", "application/json", []byte(`{"seconds":601}`))
	if _, err := conf.Exchange(context.Background(), code); !isOAuthError(err, 400, "invalid_grant") {
		t.Fatalf("an expired code must fail with invalid_grant, got %v", err)
	}
}

func TestDenyRedirectsWithNoParameters(t *testing.T) {
	h := newHarness(t, mock.Options{})
	loc := walkConsent(t, devConfig(h.url).AuthCodeURL("xyz"), nova, false)
	if loc.String() != devRedirect {
		t.Fatalf("deny must redirect to the bare redirect URI, got %s", loc)
	}
}

func TestAutoApproveRedirectsAtOnceForTheDefaultUser(t *testing.T) {
	h := newHarness(t, mock.Options{AutoApprove: true})
	conf := devConfig(h.url)
	res, err := noRedirect.Get(conf.AuthCodeURL("s1"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("auto-approve answered %d", res.StatusCode)
	}
	loc, _ := url.Parse(res.Header.Get("Location"))
	tok, err := conf.Exchange(context.Background(), loc.Query().Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	status, _, body := h.do("GET", "/v2/user/profile", tok.AccessToken, "", nil)
	if status != 200 || !strings.Contains(string(body), `"id":2046371`) {
		t.Fatalf("auto-approve must sign in the default user: %d %s", status, body)
	}
}

func TestTheTokenEndpointAuthenticatesClientsBothWays(t *testing.T) {
	h := newHarness(t, mock.Options{AutoApprove: true})
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		conf := devConfig(h.url)
		conf.Endpoint.AuthStyle = style
		res, err := noRedirect.Get(conf.AuthCodeURL("s"))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		loc, _ := url.Parse(res.Header.Get("Location"))
		if _, err := conf.Exchange(context.Background(), loc.Query().Get("code")); err != nil {
			t.Fatalf("auth style %v: %v", style, err)
		}
	}
	conf := devConfig(h.url)
	conf.ClientSecret = "wrong"
	conf.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	if _, err := conf.Exchange(context.Background(), "whatever"); !isOAuthError(err, 401, "invalid_client") {
		t.Fatalf("a wrong secret must be invalid_client, got %v", err)
	}
}

func TestTheDialogRefusesAnUnregisteredRedirectURI(t *testing.T) {
	h := newHarness(t, mock.Options{})
	conf := devConfig(h.url)
	conf.RedirectURL = "https://evil.example/callback"
	status, hdr, body := h.do("GET", strings.TrimPrefix(conf.AuthCodeURL("s"), h.url), "", "", nil)
	wantError(t, status, body, 400, "invalid_request", "redirect_uri")
	if hdr.Get("Location") != "" {
		t.Fatal("an unregistered redirect URI must never be redirected to")
	}
}

// RFC 9700 §4.14.2: a refresh token used twice means it leaked, so the server revokes the whole
// family, including the pair the first use rotated into.
func TestReusingARotatedRefreshTokenRevokesItsFamily(t *testing.T) {
	h := newLiveHarness(t)
	ctx := context.Background()
	conf := devConfig(h.url)
	code := walkConsent(t, conf.AuthCodeURL("s"), nova, true).Query().Get("code")
	first, err := conf.Exchange(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	other := h.token(nova) // another grant of the same user: not of the family
	socket := h.dial(t, chatFeed, nova, first.AccessToken)
	connection := chatPayload[map[string]any](t, socket.nextAction(t, live.ActionConnectionInfo))["connectionIdentifier"].(string)

	// 1. The refresh rotates the pair.
	stale := *first
	stale.Expiry = time.Now().Add(-time.Minute)
	second, err := conf.TokenSource(ctx, &stale).Token()
	if err != nil {
		t.Fatal(err)
	}
	if status, _, body := h.do("GET", "/v2/user/profile", second.AccessToken, "", nil); status != 200 {
		t.Fatalf("the rotated pair must work: %d %s", status, body)
	}

	// 2. The old refresh token comes back: refused, and the family is revoked.
	if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: first.RefreshToken}).Token(); !isOAuthError(err, 400, "invalid_grant") {
		t.Fatalf("a reused refresh token must be refused with invalid_grant, got %v", err)
	}
	status, _, body := h.do("GET", "/v2/user/profile", second.AccessToken, "", nil)
	wantError(t, status, body, 401, "invalid_token", "invalid")
	if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: second.RefreshToken}).Token(); !isOAuthError(err, 400, "invalid_grant") {
		t.Fatalf("the family's current refresh token must be revoked too, got %v", err)
	}
	if _, res, _, err := h.dialRaw(t, chatFeed, "accessToken="+second.AccessToken); err == nil || res == nil || res.StatusCode != 401 {
		t.Fatalf("a revoked token must not open a feed, got %v %v", res, err)
	}

	// 3. Nothing else of the user is touched: another grant works, and a socket already open
	// stays open (sockets are authenticated once, at the handshake, as with /oauth/revoke).
	if status, _, body := h.do("GET", "/v2/user/profile", other, "", nil); status != 200 {
		t.Fatalf("another grant of the user must keep working: %d %s", status, body)
	}
	socket.until(t, "a chat event after the revocation", isBarrier(t, h, nova, connection))
}
