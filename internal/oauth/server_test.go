package oauth

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/restreamkit/restreamkit/internal/clock"
)

func TestNewRejectsBadOptions(t *testing.T) {
	withClient := func(mod func(*Client)) func(*Options) {
		return func(o *Options) {
			c := devClient
			c.RedirectURIs = slices.Clone(c.RedirectURIs)
			c.Scopes = slices.Clone(c.Scopes)
			mod(&c)
			o.Clients = []Client{c}
		}
	}
	tests := []struct {
		name    string
		mod     func(*Options)
		wantErr string
	}{
		{"a missing clock is refused", func(o *Options) { o.Clock = nil }, "Clock is required"},
		{"a client without id is refused", withClient(func(c *Client) { c.ID = "" }), "clientId is empty"},
		{"a client without secret is refused", withClient(func(c *Client) { c.Secret = "" }), "empty clientSecret"},
		{"two clients with one id are refused", func(o *Options) { o.Clients = []Client{devClient, devClient} }, "registered twice"},
		{"a client without redirect URIs is refused", withClient(func(c *Client) { c.RedirectURIs = nil }), "no redirectUris"},
		{"a relative redirect URI is refused", withClient(func(c *Client) { c.RedirectURIs = []string{"/callback"} }), "not absolute"},
		{"a redirect URI without host is refused", withClient(func(c *Client) { c.RedirectURIs = []string{"http:callback"} }), "not absolute"},
		{"a redirect URI with a fragment is refused", withClient(func(c *Client) { c.RedirectURIs = []string{"http://localhost/cb#x"} }), "fragment"},
		{"a redirect URI with an empty fragment is refused", withClient(func(c *Client) { c.RedirectURIs = []string{"http://localhost/cb#"} }), "fragment"},
		{"an unparsable redirect URI is refused", withClient(func(c *Client) { c.RedirectURIs = []string{"http://[::1"} }), "redirectUris[0]"},
		{"a client without scopes is refused", withClient(func(c *Client) { c.Scopes = nil }), "no scopes"},
		{"an unknown scope is refused", withClient(func(c *Client) { c.Scopes = []string{"events.read"} }), `scopes[0] "events.read" is not a known scope`},
		{"one scope registered in two spellings is refused", withClient(func(c *Client) { c.Scopes = []string{"channels.read", "channel.default.read"} }), "twice"},
		{"an account with id 0 is refused", func(o *Options) { o.Accounts = []Account{{ID: 0}} }, "id 0"},
		{"two accounts with one id are refused", func(o *Options) { o.Accounts = []Account{nova, nova} }, "listed twice"},
		{"a default account that is not listed is refused", func(o *Options) { o.DefaultAccount = 99 }, "not among the accounts"},
		{"a negative access lifetime is refused", func(o *Options) { o.AccessTTL = -time.Second }, "AccessTTL is negative"},
		{"a negative refresh lifetime is refused", func(o *Options) { o.RefreshTTL = -time.Second }, "RefreshTTL is negative"},
		{"a negative code lifetime is refused", func(o *Options) { o.CodeTTL = -time.Second }, "CodeTTL is negative"},
		{"a negative token bound is refused", func(o *Options) { o.MaxTokens = -1 }, "MaxTokens is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{Clock: clock.New(), Clients: []Client{devClient}, Accounts: []Account{nova}}
			tt.mod(&opts)
			_, err := New(opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error %v, want one containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), devClient.Secret) {
				t.Fatalf("the error %q reveals the client secret", err)
			}
		})
	}
}

func TestNewAppliesDefaults(t *testing.T) {
	s, _ := newTestServer(t)
	if s.accessTTL != time.Hour || s.refreshTTL != 365*24*time.Hour || s.codeTTL != 10*time.Minute ||
		s.consentAction != "/__mock/consent" || s.maxTokens != 10000 || s.AutoApprove() {
		t.Fatalf("defaults: access %v refresh %v code %v action %q max %d auto %v",
			s.accessTTL, s.refreshTTL, s.codeTTL, s.consentAction, s.maxTokens, s.AutoApprove())
	}
	if _, def := s.Accounts(); def != nova.ID {
		t.Fatalf("default account %d, want the first account %d", def, nova.ID)
	}
}

func TestNewAcceptsNoAccounts(t *testing.T) {
	s, _ := newTestServer(t, func(o *Options) { o.Accounts = nil })
	if accts, def := s.Accounts(); len(accts) != 0 || def != 0 {
		t.Fatalf("got %v, %d", accts, def)
	}
}

func TestTheFixtureFileShapeDecodesIntoClients(t *testing.T) {
	// The shape of examples/mock/oauth.json.
	const fixture = `{
	  "defaultUser": 2046371,
	  "clients": [
	    {"clientId": "restreamkit-readonly", "clientSecret": "restreamkit-readonly-secret", "name": "Read-only Dashboard",
	     "redirectUris": ["http://localhost:4000/callback"],
	     "scopes": ["profile.default.read","channels.default.read","stream.default.read"]}
	  ]
	}`
	var f struct {
		DefaultUser int64    `json:"defaultUser"`
		Clients     []Client `json:"clients"`
	}
	dec := json.NewDecoder(strings.NewReader(fixture))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		t.Fatal(err)
	}
	if len(f.Clients) != 1 || !equalClients(f.Clients[0], readonlyClient) || f.DefaultUser != nova.ID {
		t.Fatalf("decoded %+v", f)
	}
	if _, err := New(Options{Clock: clock.New(), Clients: f.Clients, Accounts: []Account{nova}, DefaultAccount: f.DefaultUser}); err != nil {
		t.Fatal(err)
	}
}

func equalClients(a, b Client) bool {
	return a.ID == b.ID && a.Secret == b.Secret && a.Name == b.Name &&
		slices.Equal(a.RedirectURIs, b.RedirectURIs) && slices.Equal(a.Scopes, b.Scopes)
}

func TestClientsReturnsCopiesInRegistrationOrder(t *testing.T) {
	s, _ := newTestServer(t)
	got := s.Clients()
	if len(got) != 3 || got[0].ID != devClient.ID || got[1].ID != readonlyClient.ID || got[2].ID != queryClient.ID {
		t.Fatalf("got %+v", got)
	}
	got[0].RedirectURIs[0] = "http://evil.example/"
	got[0].Scopes[0] = "studio.write"
	c, ok := s.Client(devClient.ID)
	if !ok || !equalClients(c, devClient) {
		t.Fatalf("changing a copy changed the server: %+v", c)
	}
	c.RedirectURIs[0] = "http://evil.example/"
	if again, _ := s.Client(devClient.ID); !equalClients(again, devClient) {
		t.Fatal("changing the copy from Client changed the server")
	}
	if _, ok := s.Client("nobody"); ok {
		t.Fatal("an unknown client was found")
	}
}

func TestTheServerDoesNotShareTheCallersSlices(t *testing.T) {
	clients := []Client{devClient}
	clients[0].RedirectURIs = slices.Clone(devClient.RedirectURIs)
	accounts := []Account{nova}
	s, err := New(Options{Clock: clock.New(), Clients: clients, Accounts: accounts})
	if err != nil {
		t.Fatal(err)
	}
	clients[0].RedirectURIs[0] = "http://evil.example/"
	accounts[0].Username = "mallory"
	if _, err := s.Authorize(AuthorizeRequest{ResponseType: "code", ClientID: devClient.ID, RedirectURI: "http://evil.example/"}); err == nil {
		t.Fatal("a redirect URI changed after New was accepted")
	}
	if got, _ := s.Accounts(); got[0].Username != "nova" {
		t.Fatalf("account changed to %q", got[0].Username)
	}
}

func TestAutoApproveCanBeSwitched(t *testing.T) {
	s, _ := newTestServer(t, func(o *Options) { o.AutoApprove = true })
	if !s.AutoApprove() {
		t.Fatal("Options.AutoApprove was not applied")
	}
	s.SetAutoApprove(false)
	if s.AutoApprove() {
		t.Fatal("SetAutoApprove(false) had no effect")
	}
}

func TestSetAccountsReplacesTheAccountsAndRevokesDroppedUsers(t *testing.T) {
	s, _ := newTestServer(t)
	novaPair := login(t, s, nova.ID)
	orbitPair := login(t, s, orbit.ID)
	novaCode, _ := approve(t, s, devClient, devRedirect, "", nova.ID)

	comet := Account{ID: 7, Username: "comet", Email: "comet@example.com"}
	if err := s.SetAccounts([]Account{orbit, comet}, comet.ID); err != nil {
		t.Fatal(err)
	}
	got, def := s.Accounts()
	if !slices.Equal(got, []Account{orbit, comet}) || def != comet.ID {
		t.Fatalf("Accounts() = %v, %d", got, def)
	}
	wantRevoked(t, s, novaPair)
	wantValid(t, s, orbitPair.AccessToken)
	_, err := s.Token(basicAuth(devClient), TokenForm{GrantType: "authorization_code", Code: novaCode, RedirectURI: devRedirect})
	wantError(t, err, 400, "invalid_grant", MsgCodeInvalid)

	got[0].Username = "changed"
	if again, _ := s.Accounts(); again[0].Username != orbit.Username {
		t.Fatal("Accounts returned the server's own slice")
	}
}

func TestSetAccountsRefusesBadLists(t *testing.T) {
	s, _ := newTestServer(t)
	for _, tc := range []struct {
		name     string
		accounts []Account
		def      int64
	}{
		{"an unknown default", []Account{nova}, 99},
		{"a repeated id", []Account{nova, nova}, 0},
		{"an id of 0", []Account{{ID: 0, Username: "zero"}}, 0},
	} {
		if err := s.SetAccounts(tc.accounts, tc.def); err == nil {
			t.Errorf("%s was accepted", tc.name)
		}
	}
	if got, def := s.Accounts(); len(got) != 2 || def != nova.ID {
		t.Fatalf("a refused list changed the accounts: %v, %d", got, def)
	}
}

func TestRevokeUserRevokesOnlyThatUser(t *testing.T) {
	s, _ := newTestServer(t)
	a := login(t, s, nova.ID)
	b := login(t, s, nova.ID)
	c := login(t, s, orbit.ID)
	s.RevokeUser(nova.ID)
	wantRevoked(t, s, a)
	wantRevoked(t, s, b)
	wantValid(t, s, c.AccessToken)
}

func TestRevokeAllForgetsEverything(t *testing.T) {
	s, _ := newTestServer(t)
	a := login(t, s, nova.ID)
	code, _ := approve(t, s, devClient, devRedirect, "", orbit.ID)
	consent, err := s.Authorize(AuthorizeRequest{ResponseType: "code", ClientID: devClient.ID, RedirectURI: devRedirect})
	if err != nil {
		t.Fatal(err)
	}
	s.RevokeAll()
	if st := s.Stats(); st != (Stats{}) {
		t.Fatalf("Stats after RevokeAll = %+v", st)
	}
	wantRevoked(t, s, a)
	_, err = s.Token(basicAuth(devClient), TokenForm{GrantType: "authorization_code", Code: code, RedirectURI: devRedirect})
	wantError(t, err, 400, "invalid_grant", MsgCodeInvalid)
	_, err = s.Decide(Decision{RequestID: consent.RequestID, Approve: true})
	wantError(t, err, 400, "invalid_request", "Invalid request: consent request is invalid")
	// The server still works afterwards.
	wantValid(t, s, login(t, s, nova.ID).AccessToken)
}
