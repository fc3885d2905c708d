package mock_test

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/internal/mock"
	"github.com/restreamkit/restreamkit/internal/oauth"
)

// browserAccept is the Accept header Chromium sends when it navigates to a page.
const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"

func TestLoginErrorsAreAPageForBrowsersAndTheEnvelopeForAPIClients(t *testing.T) {
	h := newHarness(t, mock.Options{}) // checks every answer, the HTML pages included, against the spec
	redirect := url.QueryEscape(devRedirect)
	refusals := []struct {
		name, query, errName, message string
	}{
		{"an unknown client", "response_type=code&client_id=nobody&redirect_uri=" + redirect, "invalid_client", oauth.MsgClientInvalid},
		{"an unregistered redirect URI", "response_type=code&client_id=" + devClient + "&redirect_uri=" + url.QueryEscape("https://evil.example/cb"),
			"invalid_request", "`redirect_uri` does not match a redirect URI registered for the client"},
		{"a response type other than code", "response_type=token&client_id=" + devClient + "&redirect_uri=" + redirect,
			"unsupported_response_type", "`response_type` is not supported"},
		{"a missing client id", "response_type=code&redirect_uri=" + redirect, "invalid_request", "client_id"},
		{"a scope Restream does not have", "response_type=code&client_id=" + devClient + "&redirect_uri=" + redirect + "&scope=0",
			"invalid_scope", `"0"`},
	}
	accepts := []struct {
		name, accept string
		html         bool
	}{
		{"no Accept", "", false},
		{"Accept */*", "*/*", false},
		{"Accept application/json", "application/json", false},
		{"JSON weighted above HTML", "text/html;q=0.5, application/json", false},
		{"a browser's Accept", browserAccept, true},
		{"Accept text/html", "text/html", true},
	}
	for _, rf := range refusals {
		for _, ac := range accepts {
			t.Run(rf.name+" with "+ac.name, func(t *testing.T) {
				rr := rawRequest{method: "GET", path: "/login?" + rf.query}
				if ac.accept != "" {
					rr.header = map[string]string{"Accept": ac.accept}
				}
				status, hdr, body := h.send(rr)
				if hdr.Get("Location") != "" {
					t.Fatalf("a refused dialog redirected to %s", hdr.Get("Location"))
				}
				if !strings.Contains(hdr.Get("Vary"), "Accept") {
					t.Errorf("Vary = %q: caches must know the answer depends on Accept", hdr.Get("Vary"))
				}
				if !ac.html {
					wantError(t, status, body, 400, rf.errName, rf.message)
					return
				}
				if status != 400 || hdr.Get("Content-Type") != "text/html; charset=utf-8" {
					t.Fatalf("got %d %s, want 400 text/html: %s", status, hdr.Get("Content-Type"), body)
				}
				text := html.UnescapeString(string(body))
				if !strings.Contains(text, rf.message) || !strings.Contains(text, rf.errName) || strings.HasPrefix(text, "{") {
					t.Errorf("the page lacks the message %q or the name %s:\n%s", rf.message, rf.errName, body)
				}
			})
		}
	}
}

// submitButtons finds the form's submit buttons in document order.
var submitButtons = regexp.MustCompile(`<button\b[^>]*>|<input\b[^>]*type="?(?:submit|image)"?[^>]*>`)

func TestTheConsentFormPutsAllowFirstSoThatEnterApproves(t *testing.T) {
	h := newHarness(t, mock.Options{})
	status, hdr, body := h.send(rawRequest{method: "GET", path: strings.TrimPrefix(devConfig(h.url).AuthCodeURL("s"), h.url),
		header: map[string]string{"Accept": browserAccept}})
	if status != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
		t.Fatalf("the consent page answered %d %s", status, hdr.Get("Content-Type"))
	}
	page := string(body)
	form := page[strings.Index(page, "<form"):strings.Index(page, "</form>")]
	buttons := submitButtons.FindAllString(form, -1)
	for _, tc := range []struct {
		name    string
		at      int
		has     []string
		hasNone []string
	}{
		{"the first submit button is Allow", 0,
			[]string{`type="submit"`, `name="` + oauth.FieldDecision + `"`, `value="` + oauth.DecisionApprove + `"`, `class="primary"`}, []string{"disabled", "formnovalidate"}},
		{"the second is Deny, exempt from validation", 1,
			[]string{`type="submit"`, `name="` + oauth.FieldDecision + `"`, `value="` + oauth.DecisionDeny + `"`, "formnovalidate"}, []string{"disabled"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if len(buttons) != 2 {
				t.Fatalf("the form has %d submit buttons, want Allow and Deny: %q", len(buttons), buttons)
			}
			for _, a := range tc.has {
				if !strings.Contains(buttons[tc.at], a) {
					t.Errorf("%s lacks %s", buttons[tc.at], a)
				}
			}
			for _, a := range tc.hasNone {
				if strings.Contains(buttons[tc.at], a) {
					t.Errorf("%s has %s", buttons[tc.at], a)
				}
			}
		})
	}
}
