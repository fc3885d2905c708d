package oauth

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestRedirectURIsMatchExactlyOrOnAnyLoopbackPort(t *testing.T) {
	registered := []string{
		"http://127.0.0.1/callback", "http://[::1]:8080/cb?app=1", "http://localhost:3000/callback",
		"https://app.example.com/cb", "http://example.com:8080/cb", "http://user@localhost/cb",
	}
	tests := []struct {
		name, uri, want string // want "" means no match
	}{
		{"a registered URI matches itself", "https://app.example.com/cb", "https://app.example.com/cb"},
		{"127.0.0.1 registered without a port matches any port", "http://127.0.0.1:49152/callback", "http://127.0.0.1:49152/callback"},
		{"[::1] registered with a port matches another port", "http://[::1]:5173/cb?app=1", "http://[::1]:5173/cb?app=1"},
		{"localhost registered with a port matches another port", "http://localhost:5173/callback", "http://localhost:5173/callback"},
		{"the highest port matches", "http://localhost:65535/callback", "http://localhost:65535/callback"},
		{"a loopback port does not excuse another path", "http://127.0.0.1:5000/callback/", ""},
		{"a loopback port does not excuse another query", "http://[::1]:5173/cb?app=2", ""},
		{"a loopback port does not excuse a missing query", "http://[::1]:5173/cb", ""},
		{"a loopback port does not excuse another loopback host", "http://localhost:5000/cb?app=1", ""},
		{"a loopback port does not excuse https", "https://localhost:5173/callback", ""},
		{"a loopback port does not excuse a fragment", "http://localhost:5173/callback#x", ""},
		{"a loopback port does not excuse upper case", "http://LOCALHOST:5173/callback", ""},
		{"a port past 65535 matches nothing", "http://localhost:65536/callback", ""},
		{"a port that is not a number matches nothing", "http://localhost:http/callback", ""},
		{"an empty port matches nothing", "http://localhost:/callback", ""},
		{"a host that only starts like localhost matches nothing", "http://localhost.example.com:3000/callback", ""},
		{"an address that only starts like 127.0.0.1 matches nothing", "http://127.0.0.10:3000/callback", ""},
		{"user information is no loopback host", "http://user@localhost:5173/cb", ""},
		{"another port of a non-loopback host matches nothing", "http://example.com:9090/cb", ""},
		{"no port is not any port", "http://localhost/callback", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := matchRedirect(registered, tt.uri)
			if tt.want == "" {
				if ok {
					t.Fatalf("%q matched %q, want no match", tt.uri, got)
				}
				return
			}
			if !ok || got.String() != tt.want {
				t.Fatalf("matchRedirect(%q) = %q, %v; want %q", tt.uri, got, ok, tt.want)
			}
			if !slices.Contains(registered, got.registered) {
				t.Fatalf("the match keeps %q, which is not a registered URI", got.registered)
			}
		})
	}
}

// A native app on a port the operating system picked goes through the whole flow: the browser is
// sent to that port, and the token request must repeat that very URI.
func TestTheLoopbackPortOfTheAuthorizeRequestIsWhereTheBrowserGoesAndWhatTheExchangeRepeats(t *testing.T) {
	s, _ := newTestServer(t)
	const onPort = "http://127.0.0.1:49152/callback" // devClient registered http://127.0.0.1:3000/callback
	code, u := approve(t, s, devClient, onPort, "st", 0)
	if got := u.Scheme + "://" + u.Host + u.Path; got != onPort {
		t.Fatalf("redirected to %s, want %s", u, onPort)
	}
	form := TokenForm{GrantType: "authorization_code", Code: code, RedirectURI: "http://127.0.0.1:3000/callback"}
	_, err := s.Token(basicAuth(devClient), form)
	wantError(t, err, 400, "invalid_grant", devNotTheCodes)
	form.RedirectURI = onPort
	if _, err := s.Token(basicAuth(devClient), form); err != nil {
		t.Fatalf("the exchange with the authorize request's URI: %v", err)
	}
}

// FuzzMatchRedirect checks matchRedirect against its definition: a match is either a registered
// URI itself or a loopback one with only the port changed, and never panics.
func FuzzMatchRedirect(f *testing.F) {
	for _, seed := range []string{"http://localhost:5173/callback", "http://127.0.0.1:0/callback", "http://[::1]:99999/cb",
		"http://localhost.evil/callback", "http://localhost", "http://[::1", "http://127.0.0.1:3000/callback?x#y", ""} {
		f.Add(seed)
	}
	registered := []string{"http://localhost/callback", "http://127.0.0.1:3000/callback", "http://[::1]/cb?q=1", "http://localhost"}
	f.Fuzz(func(t *testing.T, uri string) {
		got, ok := matchRedirect(registered, uri)
		if !ok {
			return
		}
		if got.String() != uri {
			t.Fatalf("matchRedirect(%q) goes on with %q, not the request's URI", uri, got)
		}
		if slices.Contains(registered, uri) {
			return
		}
		u, err := url.Parse(uri)
		if err != nil || u.Scheme != "http" || u.Port() == "" || u.User != nil {
			t.Fatalf("%q matched but is no loopback URI with a port", uri)
		}
		if !strings.Contains(got.registered, u.Hostname()) {
			t.Fatalf("%q matched %q, another host", uri, got.registered)
		}
	})
}
