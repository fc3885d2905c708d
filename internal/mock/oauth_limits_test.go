package mock_test

import (
	"maps"
	"net/url"
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/internal/mock"
)

// Every OAuth parameter the mock stores or looks up has a bound; past it the answer is a 400
// naming the parameter, and nothing is kept (issue 8: 10,000 logins with a 31 KB state held
// 565 MB).
func TestOverlongOAuthParametersAreRefusedByName(t *testing.T) {
	h := newHarness(t, mock.Options{})
	login := url.Values{"response_type": {"code"}, "client_id": {devClient}, "redirect_uri": {devRedirect}, "state": {"s"}}
	token := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {strings.Repeat("a", 40)},
		"client_id": {devClient}, "client_secret": {"restreamkit-dev-secret"}}
	tests := []struct {
		name     string
		endpoint string
		base     url.Values
		param    string
		length   int
	}{
		{"a state over 2048 bytes", "/login", login, "state", 2049},
		{"a state of 31 KB", "/login", login, "state", 31 << 10},
		{"a scope over 1024 bytes", "/login", login, "scope", 1025},
		{"a redirect URI over 2048 bytes", "/login", login, "redirect_uri", 2049},
		{"a client id over 256 bytes", "/login", login, "client_id", 257},
		{"a refresh token over 128 bytes", "/oauth/token", token, "refresh_token", 129},
		{"a code over 128 bytes", "/oauth/token", url.Values{"grant_type": {"authorization_code"}, "redirect_uri": {devRedirect},
			"client_id": {devClient}, "client_secret": {"restreamkit-dev-secret"}}, "code", 129},
		{"a client secret over 256 bytes", "/oauth/token", token, "client_secret", 257},
		{"a client id in the form over 256 bytes", "/oauth/token", token, "client_id", 257},
		{"a redirect URI in the form over 2048 bytes", "/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {"c"},
			"client_id": {devClient}, "client_secret": {"restreamkit-dev-secret"}}, "redirect_uri", 2049},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := maps.Clone(tt.base)
			q.Set(tt.param, strings.Repeat("x", tt.length))
			before := h.srv.OAuth().Stats()
			var status int
			var body []byte
			if tt.endpoint == "/login" {
				status, _, body = h.do("GET", "/login?"+q.Encode(), "", "", nil)
			} else {
				status, _, body = h.do("POST", tt.endpoint, "", "application/x-www-form-urlencoded", []byte(q.Encode()))
			}
			wantError(t, status, body, 400, "invalid_request", "`"+tt.param+"`", "longer than")
			if after := h.srv.OAuth().Stats(); after != before {
				t.Fatalf("a refused request changed the OAuth stores: %+v, then %+v", before, after)
			}
		})
	}
	t.Run("a state of exactly 2048 bytes is accepted", func(t *testing.T) {
		q := maps.Clone(login)
		q.Set("state", strings.Repeat("s", 2048))
		if status, _, body := h.do("GET", "/login?"+q.Encode(), "", "", nil); status != 200 {
			t.Fatalf("status %d: %s", status, body)
		}
	})
}

// Minting tokens in a loop keeps the newest MaxTokens pairs (10,000 unless set, oauth.DefaultMaxTokens):
// the oldest pair is dropped for each new one, and its tokens stop working.
func TestMintingTokensInALoopKeepsOnlyTheNewestPairs(t *testing.T) {
	const max = 50
	h := newHarness(t, mock.Options{MaxTokens: max})
	first := h.token(quiet)
	var last string
	for range max {
		last = h.token(quiet)
	}
	if st := h.srv.OAuth().Stats(); st.Pairs != max {
		t.Fatalf("%d pairs kept, want %d", st.Pairs, max)
	}
	status, _, body := h.do("GET", "/v2/user/profile", first, "", nil)
	wantError(t, status, body, 401, "invalid_token")
	if status, _, body := h.do("GET", "/v2/user/profile", last, "", nil); status != 200 {
		t.Fatalf("the newest token must work: %d %s", status, body)
	}
}
