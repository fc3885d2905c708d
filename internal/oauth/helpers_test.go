package oauth

import (
	"net/url"
	"regexp"
	"testing"

	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/clock"
)

// The two clients of examples/mock/oauth.json, plus one whose redirect URI has a query.
var (
	devClient = Client{
		ID: "restreamkit-dev", Secret: "restreamkit-dev-secret", Name: "Restreamkit Dev App",
		RedirectURIs: []string{"http://localhost:3000/callback", "http://127.0.0.1:3000/callback", "http://localhost:8000/callback"},
		Scopes:       []string{"profile.read", "channels.read", "channels.write", "stream.read", "stream.write", "chat.read", "storage.read", "clips.read", "clips.write"},
	}
	readonlyClient = Client{
		ID: "restreamkit-readonly", Secret: "restreamkit-readonly-secret", Name: "Read-only Dashboard",
		RedirectURIs: []string{"http://localhost:4000/callback"},
		Scopes:       []string{"profile.default.read", "channels.default.read", "stream.default.read"},
	}
	queryClient = Client{
		ID: "query-app", Secret: "query-app-secret", Name: "Query App",
		RedirectURIs: []string{"https://app.example/cb?tenant=blue"},
		Scopes:       []string{"channel.default.write", "chat.write"},
	}
	nova  = Account{ID: 2046371, Username: "nova", Email: "nova@example.com"}
	orbit = Account{ID: 2046372, Username: "orbit", Email: "orbit@example.com"}
)

const devRedirect = "http://localhost:3000/callback"

// The redirect mismatches of devClient, naming its registered URIs.
var (
	devRegistered  = ` (client "restreamkit-dev" registered: http://localhost:3000/callback, http://127.0.0.1:3000/callback, http://localhost:8000/callback)`
	devMismatch    = "Invalid request: `redirect_uri` does not match a redirect URI registered for the client" + devRegistered
	devNotTheCodes = "Invalid grant: `redirect_uri` is not the one the code was issued for" + devRegistered
)

// newTestServer returns a server with the fixture clients and accounts on a clock the test
// can move; mods adjust the options first.
func newTestServer(t testing.TB, mods ...func(*Options)) (*Server, *clock.Clock) {
	t.Helper()
	clk := clock.New()
	opts := Options{
		Clock:    clk,
		Clients:  []Client{devClient, readonlyClient, queryClient},
		Accounts: []Account{nova, orbit},
	}
	for _, m := range mods {
		m(&opts)
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s, clk
}

func basicAuth(c Client) ClientAuth {
	return ClientAuth{BasicID: c.ID, BasicSecret: c.Secret, HasBasic: true}
}

// approve runs the dialog for client and returns the code and the parsed redirect.
func approve(t testing.TB, s *Server, c Client, redirect, state string, account int64) (string, *url.URL) {
	t.Helper()
	consent, err := s.Authorize(AuthorizeRequest{ResponseType: "code", ClientID: c.ID, RedirectURI: redirect, State: state})
	if err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	loc, err := s.Decide(Decision{RequestID: consent.RequestID, AccountID: account, Approve: true})
	if err != nil {
		t.Fatalf("Decide: %v", err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatalf("redirect %q does not parse: %v", loc, err)
	}
	return u.Query().Get("code"), u
}

// login runs the whole browser flow for the dev client and returns the first token pair.
func login(t testing.TB, s *Server, account int64) TokenPair {
	t.Helper()
	code, _ := approve(t, s, devClient, devRedirect, "st", account)
	pair, err := s.Token(basicAuth(devClient), TokenForm{GrantType: "authorization_code", Code: code, RedirectURI: devRedirect})
	if err != nil {
		t.Fatalf("Token(authorization_code): %v", err)
	}
	return pair
}

func refreshForm(rt string) TokenForm {
	return TokenForm{GrantType: "refresh_token", RefreshToken: rt}
}

var hex40 = regexp.MustCompile(`^[0-9a-f]{40}$`)

// wantError checks that err is an *apierror.Error with the given status, name and message.
func wantError(t testing.TB, err error, status int, name, message string) *apierror.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %d %s %q", status, name, message)
	}
	e, ok := apierror.As(err)
	if !ok {
		t.Fatalf("error %v (%T) is not an *apierror.Error", err, err)
	}
	if e.Status != status || e.Name != name || e.Message != message {
		t.Fatalf("got %d %s %q, want %d %s %q", e.Status, e.Name, e.Message, status, name, message)
	}
	return e
}

// wantChallenge checks the WWW-Authenticate header of an error.
func wantChallenge(t testing.TB, e *apierror.Error, want string) {
	t.Helper()
	if got := e.Header.Values("WWW-Authenticate"); len(got) != 1 || got[0] != want {
		t.Fatalf("WWW-Authenticate = %q, want [%q]", got, want)
	}
}

func wantValid(t testing.TB, s *Server, access string) Grant {
	t.Helper()
	g, err := s.AuthenticateToken(access)
	if err != nil {
		t.Fatalf("AuthenticateToken: %v", err)
	}
	return g
}

// wantRevoked checks that neither token of p works. Presenting the refresh token of a rotated
// pair revokes its family, so tests of rotation check the old access token alone
// (wantAccessRevoked) while the new pair must stay valid.
func wantRevoked(t testing.TB, s *Server, p TokenPair) {
	t.Helper()
	wantAccessRevoked(t, s, p)
	_, err := s.Token(ClientAuth{BasicID: p.ClientID, BasicSecret: secretOf(p.ClientID), HasBasic: true}, refreshForm(p.RefreshToken))
	wantError(t, err, 400, "invalid_grant", MsgRefreshInvalid)
}

func wantAccessRevoked(t testing.TB, s *Server, p TokenPair) {
	t.Helper()
	_, err := s.AuthenticateToken(p.AccessToken)
	wantError(t, err, 401, "invalid_token", MsgTokenInvalid)
}

func secretOf(clientID string) string {
	for _, c := range []Client{devClient, readonlyClient, queryClient} {
		if c.ID == clientID {
			return c.Secret
		}
	}
	return ""
}
