package oauth_test

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/clock"
	"github.com/restreamkit/restreamkit/internal/oauth"
)

// seqReader makes the example's tokens predictable; a real server uses crypto/rand.
type seqReader struct{ n byte }

func (r *seqReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.n
		r.n++
	}
	return len(p), nil
}

// The whole flow as an app sees it: the authorize dialog, the code exchange, an API call,
// a refresh and a revocation.
func Example() {
	srv, err := oauth.New(oauth.Options{
		Clock: clock.New(),
		Clients: []oauth.Client{{
			ID: "restreamkit-readonly", Secret: "restreamkit-readonly-secret", Name: "Read-only Dashboard",
			RedirectURIs: []string{"http://localhost:4000/callback"},
			Scopes:       []string{"profile.default.read", "channels.default.read", "stream.default.read"},
		}},
		Accounts: []oauth.Account{{ID: 2046371, Username: "nova", Email: "nova@example.com"}},
		Rand:     &seqReader{},
	})
	if err != nil {
		panic(err)
	}

	// GET /login?response_type=code&client_id=…&redirect_uri=…&state=…
	consent, err := srv.Authorize(oauth.AuthorizeRequest{
		ResponseType: "code", ClientID: "restreamkit-readonly",
		RedirectURI: "http://localhost:4000/callback", State: "xyz",
	})
	if err != nil {
		panic(err)
	}
	// The consent page posts request, account and decision back.
	decision, err := oauth.ParseDecision(url.Values{
		oauth.FieldRequest:  {consent.RequestID},
		oauth.FieldAccount:  {"2046371"},
		oauth.FieldDecision: {oauth.DecisionApprove},
	})
	if err != nil {
		panic(err)
	}
	location, err := srv.Decide(decision)
	if err != nil {
		panic(err)
	}
	fmt.Println("302 to", location)

	// POST /oauth/token with the code and HTTP Basic client credentials.
	code, _ := url.Parse(location)
	auth, _ := oauth.ParseBasic("Basic cmVzdHJlYW1raXQtcmVhZG9ubHk6cmVzdHJlYW1raXQtcmVhZG9ubHktc2VjcmV0")
	pair, err := srv.Token(auth, oauth.TokenForm{
		GrantType: "authorization_code", Code: code.Query().Get("code"),
		RedirectURI: "http://localhost:4000/callback",
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("scope:", strings.Join(pair.ScopeNames, " "))

	// GET /v2/user/profile with the access token.
	grant, err := srv.AuthenticateHeader("Bearer " + pair.AccessToken)
	if err != nil {
		panic(err)
	}
	fmt.Println("user", grant.UserID, "profile.read:", grant.Require(oauth.ProfileRead) == nil)
	if e, ok := apierror.As(grant.Require(oauth.ChannelsWrite)); ok {
		fmt.Println(e.Status, e.Name)
	}

	// Refresh rotates the pair; the old access token stops working.
	next, err := srv.Token(auth, oauth.TokenForm{GrantType: "refresh_token", RefreshToken: pair.RefreshToken})
	if err != nil {
		panic(err)
	}
	_, err = srv.AuthenticateToken(pair.AccessToken)
	fmt.Println("old token:", err)

	// POST /oauth/revoke with either token ends the grant.
	srv.Revoke(next.RefreshToken)
	_, err = srv.AuthenticateToken(next.AccessToken)
	fmt.Println("after revoke:", err)

	// Output:
	// 302 to http://localhost:4000/callback?code=1415161718191a1b1c1d1e1f2021222324252627&scope=profile.default.read,channels.default.read,stream.default.read&state=xyz
	// scope: profile.default.read channels.default.read stream.default.read
	// user 2046371 profile.read: true
	// 403 insufficient_scope
	// old token: 401 invalid_token: Invalid token: access token is invalid
	// after revoke: 401 invalid_token: Invalid token: access token is invalid
}
