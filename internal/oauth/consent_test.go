package oauth

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"html"
	"net/http"
	"strings"
	"testing"
)

func renderFor(t *testing.T, s *Server, c Client, redirect string) (*Consent, string) {
	t.Helper()
	consent, err := s.Authorize(AuthorizeRequest{ResponseType: "code", ClientID: c.ID, RedirectURI: redirect, State: "st"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := s.RenderConsent(&buf, consent); err != nil {
		t.Fatal(err)
	}
	return consent, buf.String()
}

func TestTheConsentPageShowsEverythingTheUserDecidesOn(t *testing.T) {
	s, _ := newTestServer(t, func(o *Options) { o.DefaultAccount = orbit.ID })
	consent, page := renderFor(t, s, devClient, devRedirect)

	want := []string{
		"<!DOCTYPE html>",
		"<title>Authorize Restreamkit Dev App | Restream</title>",
		"<strong>Restreamkit Dev App</strong> wants to access your Restream account",
		`<form method="post" action="/__mock/consent">`,
		`<input type="hidden" name="request" value="` + consent.RequestID + `">`,
		`<button type="submit" name="decision" value="approve" class="primary">Allow</button>`,
		`<button type="submit" name="decision" value="deny" class="secondary" formnovalidate>Deny</button>`,
		`<input type="radio" name="account" value="2046371">`,
		`<input type="radio" name="account" value="2046372" checked>`,
		"<b>nova</b> <small>nova@example.com</small>",
		"<b>orbit</b> <small>orbit@example.com</small>",
		"<code>localhost:3000</code>",
		"<code>restreamkit-dev</code>",
	}
	for _, p := range consent.Permissions {
		want = append(want, "<li><span>"+html.EscapeString(p.Description)+"</span> <code>"+p.Name+"</code></li>")
	}
	for _, w := range want {
		if !strings.Contains(page, w) {
			t.Errorf("the page lacks %q", w)
		}
	}
	if n := strings.Count(page, "<li>"); n != 9 {
		t.Errorf("the page lists %d permissions, want the dev client's 9", n)
	}
	if n := strings.Count(page, " checked"); n != 1 {
		t.Errorf("%d accounts are checked, want exactly one", n)
	}
	if strings.Contains(page, devClient.Secret) {
		t.Error("the page shows the client secret")
	}
}

func TestTheConsentPageUsesTheClientsScopeSpelling(t *testing.T) {
	s, _ := newTestServer(t)
	_, page := renderFor(t, s, readonlyClient, readonlyClient.RedirectURIs[0])
	for _, name := range readonlyClient.Scopes {
		if !strings.Contains(page, "<code>"+name+"</code>") {
			t.Errorf("the page lacks %q", name)
		}
	}
}

func TestTheConsentPagePostsToTheConfiguredAction(t *testing.T) {
	s, _ := newTestServer(t, func(o *Options) { o.ConsentAction = "/login/answer" })
	_, page := renderFor(t, s, devClient, devRedirect)
	if !strings.Contains(page, `action="/login/answer"`) {
		t.Fatal("the page does not post to the configured action")
	}
}

func TestTheConsentPageEscapesHostileStrings(t *testing.T) {
	evil := Client{
		ID: `evil"><script>alert('id')</script>`, Secret: "s",
		Name:         `<script>alert("pwned")</script>`,
		RedirectURIs: []string{"http://localhost:9/cb"},
		Scopes:       []string{"profile.read"},
	}
	mallory := Account{ID: 66, Username: `"><img src=x onerror=alert(1)>`, Email: `<b>m@example.com</b>`}
	s, _ := newTestServer(t, func(o *Options) {
		o.Clients = []Client{evil}
		o.Accounts = []Account{mallory}
	})
	_, page := renderFor(t, s, evil, evil.RedirectURIs[0])
	for _, bad := range []string{"<script>", `"><img`, "<b>m@example.com", `alert("pwned")`} {
		if strings.Contains(page, bad) {
			t.Errorf("the page contains the raw string %q", bad)
		}
	}
	for _, good := range []string{"&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;", "&lt;img src=x onerror=alert(1)&gt;", "&lt;b&gt;m@example.com&lt;/b&gt;"} {
		if !strings.Contains(page, good) {
			t.Errorf("the page lacks the escaped string %q", good)
		}
	}
}

func TestTheConsentPageSaysWhenNoAccountCanSignIn(t *testing.T) {
	s, _ := newTestServer(t, func(o *Options) { o.Accounts = nil })
	_, page := renderFor(t, s, devClient, devRedirect)
	if !strings.Contains(page, "can only be denied") || strings.Contains(page, `type="radio"`) {
		t.Fatal("the page without accounts does not say so")
	}
}

func TestTheConsentPolicyAllowsExactlyThePagesStyle(t *testing.T) {
	s, _ := newTestServer(t)
	_, page := renderFor(t, s, devClient, devRedirect)
	_, rest, ok := strings.Cut(page, "<style>")
	css, _, ok2 := strings.Cut(rest, "</style>")
	if !ok || !ok2 {
		t.Fatal("the page has no style element")
	}
	sum := sha256.Sum256([]byte(css))
	h := http.Header{}
	SetConsentHeaders(h)
	if want := "style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(h.Get("Content-Security-Policy"), want) {
		t.Fatalf("policy %q does not allow the page's style (%s)", h.Get("Content-Security-Policy"), want)
	}
	for k, v := range map[string]string{
		"Content-Type":           "text/html; charset=utf-8",
		"Cache-Control":          "no-store",
		"X-Frame-Options":        "DENY",
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "no-referrer",
	} {
		if h.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, h.Get(k), v)
		}
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "form-action") {
		t.Errorf("policy %q must forbid framing and must not restrict the form's redirect", csp)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestRenderConsentReportsFailures(t *testing.T) {
	s, _ := newTestServer(t)
	if err := s.RenderConsent(&bytes.Buffer{}, nil); err == nil {
		t.Error("a nil consent rendered")
	}
	c, err := s.Authorize(AuthorizeRequest{ResponseType: "code", ClientID: devClient.ID, RedirectURI: devRedirect})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RenderConsent(failingWriter{}, c); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("a write failure was reported as %v", err)
	}
}

func TestConsentFormReadsWhatABrowserWouldPost(t *testing.T) {
	s, _ := newTestServer(t, func(o *Options) { o.ConsentAction = "/login/answer?x=1&y=2" })
	consent, page := renderFor(t, s, devClient, devRedirect)
	action, id, ok := ConsentForm([]byte(page))
	if !ok || action != "/login/answer?x=1&y=2" || id != consent.RequestID {
		t.Fatalf("ConsentForm = %q, %q, %v; want the action and request %q", action, id, ok, consent.RequestID)
	}
	if _, _, ok := ConsentForm([]byte("<html><p>no form</p></html>")); ok {
		t.Fatal("a page without the form must not parse")
	}
}
