package oauth

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestAuthorizeRejectsBadRequests(t *testing.T) {
	ok := AuthorizeRequest{ResponseType: "code", ClientID: devClient.ID, RedirectURI: devRedirect, State: "s"}
	with := func(mod func(*AuthorizeRequest)) AuthorizeRequest {
		r := ok
		mod(&r)
		return r
	}
	tests := []struct {
		name    string
		req     AuthorizeRequest
		status  int
		errName string
		msg     string
	}{
		{"a missing response_type is an invalid request", with(func(r *AuthorizeRequest) { r.ResponseType = "" }),
			400, "invalid_request", "Missing parameter: `response_type`"},
		{"response_type token is unsupported", with(func(r *AuthorizeRequest) { r.ResponseType = "token" }),
			400, "unsupported_response_type", "Unsupported response type: `response_type` is not supported"},
		{"response_type is case-sensitive", with(func(r *AuthorizeRequest) { r.ResponseType = "CODE" }),
			400, "unsupported_response_type", "Unsupported response type: `response_type` is not supported"},
		{"a missing client_id is an invalid request", with(func(r *AuthorizeRequest) { r.ClientID = "" }),
			400, "invalid_request", "Missing parameter: `client_id`"},
		{"an unknown client is an invalid client", with(func(r *AuthorizeRequest) { r.ClientID = "stranger" }),
			400, "invalid_client", MsgClientInvalid},
		{"a missing redirect_uri is an invalid request", with(func(r *AuthorizeRequest) { r.RedirectURI = "" }),
			400, "invalid_request", "Missing parameter: `redirect_uri`"},
		{"a redirect URI on another host is refused", with(func(r *AuthorizeRequest) { r.RedirectURI = "http://example.com:3000/callback" }),
			400, "invalid_request", devMismatch},
		{"a trailing slash makes a different redirect URI", with(func(r *AuthorizeRequest) { r.RedirectURI = devRedirect + "/" }),
			400, "invalid_request", devMismatch},
		{"an extra query makes a different redirect URI", with(func(r *AuthorizeRequest) { r.RedirectURI = devRedirect + "?x=1" }),
			400, "invalid_request", devMismatch},
		{"another scheme makes a different redirect URI", with(func(r *AuthorizeRequest) { r.RedirectURI = "https://localhost:3000/callback" }),
			400, "invalid_request", devMismatch},
		{"a different case makes a different redirect URI", with(func(r *AuthorizeRequest) { r.RedirectURI = "http://LOCALHOST:3000/callback" }),
			400, "invalid_request", devMismatch},
		{"an unknown scope is an invalid scope", with(func(r *AuthorizeRequest) { r.Scope = "profile.read events.read" }),
			400, "invalid_scope", `Invalid scope: "events.read" is not a known scope`},
		{"scopes the client did not register are an invalid scope", with(func(r *AuthorizeRequest) { r.Scope = "studio.read,chat.write" }),
			400, "invalid_scope", "Invalid scope: none of the requested scopes is registered for the client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t)
			c, err := s.Authorize(tt.req)
			if c != nil {
				t.Fatalf("got a consent %+v", c)
			}
			wantError(t, err, tt.status, tt.errName, tt.msg)
			if st := s.Stats(); st.Pending != 0 {
				t.Fatalf("a refused request left %d pending", st.Pending)
			}
		})
	}
}

func TestAuthorizeRecordsAConsentForTheRegisteredScopes(t *testing.T) {
	s, clk := newTestServer(t)
	before := clk.Now()
	c, err := s.Authorize(AuthorizeRequest{ResponseType: "code", ClientID: readonlyClient.ID, RedirectURI: readonlyClient.RedirectURIs[0], State: "xyz"})
	if err != nil {
		t.Fatal(err)
	}
	if !hex40.MatchString(c.RequestID) {
		t.Errorf("RequestID %q is not 40 hex characters", c.RequestID)
	}
	if c.ClientID != readonlyClient.ID || c.ClientName != readonlyClient.Name || c.RedirectURI != readonlyClient.RedirectURIs[0] || c.State != "xyz" {
		t.Errorf("consent %+v", c)
	}
	if want := NewScopeSet(ProfileRead, ChannelsRead, StreamRead); c.Scopes != want {
		t.Errorf("Scopes %v, want %v", c.Scopes, want)
	}
	want := []Permission{
		{ProfileRead, "profile.default.read", ProfileRead.Description()},
		{ChannelsRead, "channels.default.read", ChannelsRead.Description()},
		{StreamRead, "stream.default.read", StreamRead.Description()},
	}
	if !slices.Equal(c.Permissions, want) {
		t.Errorf("Permissions %+v, want %+v", c.Permissions, want)
	}
	if !slices.Equal(c.Accounts, []Account{nova, orbit}) || c.DefaultAccount != nova.ID {
		t.Errorf("accounts %v default %d", c.Accounts, c.DefaultAccount)
	}
	if c.ExpiresAt.Before(before.Add(10*time.Minute)) || c.ExpiresAt.After(clk.Now().Add(10*time.Minute)) {
		t.Errorf("ExpiresAt %v is not CodeTTL after now", c.ExpiresAt)
	}
	c.Accounts[0].Username = "changed"
	if got, _ := s.Accounts(); got[0].Username != nova.Username {
		t.Error("the consent shares the server's accounts")
	}
	if st := s.Stats(); st.Pending != 1 {
		t.Errorf("Pending = %d", st.Pending)
	}
}

func TestAuthorizeScopeNarrowsTheGrant(t *testing.T) {
	tests := []struct {
		name  string
		scope string
		want  ScopeSet
	}{
		{"no scope grants everything registered", "", NewScopeSet(ProfileRead, ChannelsRead, StreamRead)},
		{"a scope of only separators grants everything registered", " , ", NewScopeSet(ProfileRead, ChannelsRead, StreamRead)},
		{"a space-separated list narrows", "profile.read stream.read", NewScopeSet(ProfileRead, StreamRead)},
		{"a comma-separated list narrows", "profile.read,stream.read", NewScopeSet(ProfileRead, StreamRead)},
		{"any spelling narrows", "channel.read", NewScopeSet(ChannelsRead)},
		{"unregistered scopes are dropped from the intersection", "channels.read channels.write clips.read", NewScopeSet(ChannelsRead)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t)
			c, err := s.Authorize(AuthorizeRequest{ResponseType: "code", ClientID: readonlyClient.ID, RedirectURI: readonlyClient.RedirectURIs[0], Scope: tt.scope})
			if err != nil {
				t.Fatal(err)
			}
			if c.Scopes != tt.want {
				t.Fatalf("Scopes %v, want %v", c.Scopes, tt.want)
			}
		})
	}
}

func TestAuthorizeUsesTheClientIDWhenTheClientHasNoName(t *testing.T) {
	anon := Client{ID: "anon", Secret: "s", RedirectURIs: []string{"http://localhost/cb"}, Scopes: []string{"profile.read"}}
	s, _ := newTestServer(t, func(o *Options) { o.Clients = []Client{anon} })
	c, err := s.Authorize(AuthorizeRequest{ResponseType: "code", ClientID: "anon", RedirectURI: "http://localhost/cb"})
	if err != nil || c.ClientName != "anon" {
		t.Fatalf("got %+v, %v", c, err)
	}
}

func TestDecideApproveRedirectsWithCodeScopeAndState(t *testing.T) {
	tests := []struct {
		name       string
		client     Client
		redirect   string
		state      string
		scope      string
		wantPrefix string // everything before code=
		wantScope  string
		wantQuery  []string // the query parameter names, in order
	}{
		{"the dev client gets its scopes comma-separated and the state back", devClient, devRedirect, "abc123", "",
			devRedirect + "?", "profile.read,channels.read,channels.write,stream.read,stream.write,chat.read,storage.read,clips.read,clips.write",
			[]string{"code", "scope", "state"}},
		{"the read-only client gets its own default spellings back", readonlyClient, readonlyClient.RedirectURIs[0], "s", "",
			readonlyClient.RedirectURIs[0] + "?", "profile.default.read,channels.default.read,stream.default.read",
			[]string{"code", "scope", "state"}},
		{"a request without state gets no state parameter", devClient, "http://127.0.0.1:3000/callback", "", "profile.read",
			"http://127.0.0.1:3000/callback?", "profile.read", []string{"code", "scope"}},
		{"a narrowed request reports only the narrowed scopes in client spelling", readonlyClient, readonlyClient.RedirectURIs[0], "s", "channels.read",
			readonlyClient.RedirectURIs[0] + "?", "channels.default.read", []string{"code", "scope", "state"}},
		{"the query of a registered redirect URI is kept in front", queryClient, queryClient.RedirectURIs[0], "q", "",
			"https://app.example/cb?tenant=blue&", "channel.default.write,chat.write", []string{"tenant", "code", "scope", "state"}},
		{"a state with reserved characters is escaped and comes back intact", devClient, devRedirect, "a b&c=d/é?#", "",
			devRedirect + "?", "profile.read,channels.read,channels.write,stream.read,stream.write,chat.read,storage.read,clips.read,clips.write",
			[]string{"code", "scope", "state"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t)
			c, err := s.Authorize(AuthorizeRequest{ResponseType: "code", ClientID: tt.client.ID, RedirectURI: tt.redirect, State: tt.state, Scope: tt.scope})
			if err != nil {
				t.Fatal(err)
			}
			loc, err := s.Decide(Decision{RequestID: c.RequestID, AccountID: orbit.ID, Approve: true})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(loc, tt.wantPrefix) {
				t.Fatalf("redirect %q does not start with %q", loc, tt.wantPrefix)
			}
			u, err := url.Parse(loc)
			if err != nil {
				t.Fatal(err)
			}
			if got := queryNames(u.RawQuery); !slices.Equal(got, tt.wantQuery) {
				t.Fatalf("query parameters %v, want %v (redirect %q)", got, tt.wantQuery, loc)
			}
			q := u.Query()
			if !hex40.MatchString(q.Get("code")) {
				t.Errorf("code %q is not 40 lowercase hex characters", q.Get("code"))
			}
			if q.Get("scope") != tt.wantScope {
				t.Errorf("scope %q, want %q", q.Get("scope"), tt.wantScope)
			}
			if tt.state != "" && q.Get("state") != tt.state {
				t.Errorf("state %q, want %q", q.Get("state"), tt.state)
			}
			if u.Fragment != "" {
				t.Errorf("redirect has a fragment %q", u.Fragment)
			}
		})
	}
}

// queryNames lists the parameter names of a raw query in order.
func queryNames(raw string) []string {
	var names []string
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		name, _, _ := strings.Cut(part, "=")
		names = append(names, name)
	}
	return names
}

func TestDecideDenyRedirectsToTheBareRedirectURI(t *testing.T) {
	for _, tt := range []struct {
		name     string
		client   Client
		redirect string
	}{
		{"a plain redirect URI comes back unchanged", devClient, "http://localhost:8000/callback"},
		{"a redirect URI with a query comes back unchanged", queryClient, queryClient.RedirectURIs[0]},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t)
			c, err := s.Authorize(AuthorizeRequest{ResponseType: "code", ClientID: tt.client.ID, RedirectURI: tt.redirect, State: "will-not-come-back"})
			if err != nil {
				t.Fatal(err)
			}
			loc, err := s.Decide(Decision{RequestID: c.RequestID, Approve: false})
			if err != nil {
				t.Fatal(err)
			}
			if loc != tt.redirect {
				t.Fatalf("deny redirected to %q, want exactly %q", loc, tt.redirect)
			}
			if st := s.Stats(); st.Codes != 0 || st.Pending != 0 {
				t.Fatalf("deny left %+v", st)
			}
		})
	}
}

func TestDecideRejectsBadDecisions(t *testing.T) {
	s, clk := newTestServer(t)
	authorize := func() *Consent {
		t.Helper()
		c, err := s.Authorize(AuthorizeRequest{ResponseType: "code", ClientID: devClient.ID, RedirectURI: devRedirect})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	const invalid = "Invalid request: consent request is invalid"

	t.Run("an unknown request id is invalid", func(t *testing.T) {
		_, err := s.Decide(Decision{RequestID: "0000000000000000000000000000000000000000", Approve: true})
		wantError(t, err, 400, "invalid_request", invalid)
	})
	t.Run("an empty request id is invalid", func(t *testing.T) {
		_, err := s.Decide(Decision{Approve: true})
		wantError(t, err, 400, "invalid_request", invalid)
	})
	t.Run("an overlong request id is invalid", func(t *testing.T) {
		_, err := s.Decide(Decision{RequestID: string(make([]byte, 4096)), Approve: true})
		wantError(t, err, 400, "invalid_request", invalid)
	})
	t.Run("an approved request cannot be answered again", func(t *testing.T) {
		c := authorize()
		if _, err := s.Decide(Decision{RequestID: c.RequestID, Approve: true}); err != nil {
			t.Fatal(err)
		}
		_, err := s.Decide(Decision{RequestID: c.RequestID, Approve: true})
		wantError(t, err, 400, "invalid_request", invalid)
	})
	t.Run("a denied request cannot be approved afterwards", func(t *testing.T) {
		c := authorize()
		if _, err := s.Decide(Decision{RequestID: c.RequestID}); err != nil {
			t.Fatal(err)
		}
		_, err := s.Decide(Decision{RequestID: c.RequestID, Approve: true})
		wantError(t, err, 400, "invalid_request", invalid)
	})
	t.Run("a request older than the code lifetime has expired", func(t *testing.T) {
		c := authorize()
		clk.Advance(10 * time.Minute)
		_, err := s.Decide(Decision{RequestID: c.RequestID, Approve: true})
		wantError(t, err, 400, "invalid_request", "Invalid request: consent request has expired")
		_, err = s.Decide(Decision{RequestID: c.RequestID, Approve: true})
		wantError(t, err, 400, "invalid_request", invalid)
	})
	t.Run("a request just inside the code lifetime still works", func(t *testing.T) {
		c := authorize()
		clk.Advance(10*time.Minute - time.Millisecond)
		if _, err := s.Decide(Decision{RequestID: c.RequestID, Approve: true}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("an unknown account is refused and the request stays answerable", func(t *testing.T) {
		c := authorize()
		_, err := s.Decide(Decision{RequestID: c.RequestID, AccountID: 42, Approve: true})
		wantError(t, err, 400, "invalid_request", "Invalid request: `account` is not a known account")
		if _, err := s.Decide(Decision{RequestID: c.RequestID, AccountID: orbit.ID, Approve: true}); err != nil {
			t.Fatalf("the request did not survive a bad account: %v", err)
		}
	})
}

func TestDecideSignsInAsTheChosenOrDefaultAccount(t *testing.T) {
	for _, tt := range []struct {
		name    string
		account int64
		want    int64
	}{
		{"account 0 means the default account", 0, nova.ID},
		{"a chosen account is the one signed in", orbit.ID, orbit.ID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t)
			code, _ := approve(t, s, devClient, devRedirect, "", tt.account)
			pair, err := s.Token(basicAuth(devClient), TokenForm{GrantType: "authorization_code", Code: code, RedirectURI: devRedirect})
			if err != nil {
				t.Fatal(err)
			}
			if pair.UserID != tt.want {
				t.Fatalf("UserID %d, want %d", pair.UserID, tt.want)
			}
		})
	}
}

func TestDecideCannotApproveWithoutAccounts(t *testing.T) {
	s, _ := newTestServer(t, func(o *Options) { o.Accounts = nil })
	c, err := s.Authorize(AuthorizeRequest{ResponseType: "code", ClientID: devClient.ID, RedirectURI: devRedirect})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Decide(Decision{RequestID: c.RequestID, Approve: true})
	wantError(t, err, 400, "invalid_request", "Invalid request: `account` is not a known account")
	if loc, err := s.Decide(Decision{RequestID: c.RequestID}); err != nil || loc != devRedirect {
		t.Fatalf("deny gave %q, %v", loc, err)
	}
}

func TestPendingRequestsAreBounded(t *testing.T) {
	s, _ := newTestServer(t)
	var first, last *Consent
	for i := range maxPending + 5 {
		c, err := s.Authorize(AuthorizeRequest{ResponseType: "code", ClientID: devClient.ID, RedirectURI: devRedirect, State: strconv.Itoa(i)})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = c
		}
		last = c
	}
	if st := s.Stats(); st.Pending != maxPending {
		t.Fatalf("Pending = %d, want %d", st.Pending, maxPending)
	}
	_, err := s.Decide(Decision{RequestID: first.RequestID, Approve: true})
	wantError(t, err, 400, "invalid_request", "Invalid request: consent request is invalid")
	if _, err := s.Decide(Decision{RequestID: last.RequestID, Approve: true}); err != nil {
		t.Fatalf("the newest request was pruned: %v", err)
	}
}

func TestExpiredPendingRequestsArePrunedByTheNextRequest(t *testing.T) {
	s, clk := newTestServer(t)
	req := AuthorizeRequest{ResponseType: "code", ClientID: devClient.ID, RedirectURI: devRedirect}
	for range 3 {
		if _, err := s.Authorize(req); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(10 * time.Minute)
	if _, err := s.Authorize(req); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Pending != 1 {
		t.Fatalf("Pending = %d, want only the new request", st.Pending)
	}
}

func TestParseDecision(t *testing.T) {
	const id = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name string
		form url.Values
		want Decision
		msg  string // error message; "" for success
	}{
		{"approve with an account", url.Values{"request": {id}, "account": {"2046372"}, "decision": {"approve"}},
			Decision{RequestID: id, AccountID: 2046372, Approve: true}, ""},
		{"deny without an account", url.Values{"request": {id}, "decision": {"deny"}},
			Decision{RequestID: id}, ""},
		{"approve without an account means the default", url.Values{"request": {id}, "decision": {"approve"}},
			Decision{RequestID: id, Approve: true}, ""},
		{"a missing request is refused", url.Values{"decision": {"approve"}}, Decision{}, "Missing parameter: `request`"},
		{"a missing decision is refused", url.Values{"request": {id}}, Decision{}, "Missing parameter: `decision`"},
		{"an unknown decision is refused", url.Values{"request": {id}, "decision": {"maybe"}}, Decision{},
			"Invalid request: `decision` must be approve or deny"},
		{"a non-numeric account is refused", url.Values{"request": {id}, "decision": {"approve"}, "account": {"nova"}}, Decision{},
			"Invalid request: `account` is invalid"},
		{"a repeated decision is refused", url.Values{"request": {id}, "decision": {"deny", "approve"}}, Decision{},
			"Invalid request: `decision` is repeated"},
		{"a repeated request is refused", url.Values{"request": {id, id}, "decision": {"approve"}}, Decision{},
			"Invalid request: `request` is repeated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDecision(tt.form)
			if tt.msg != "" {
				wantError(t, err, 400, "invalid_request", tt.msg)
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestAppendQueryKeepsTheRegisteredQuery(t *testing.T) {
	for _, tt := range []struct{ name, uri, want string }{
		{"a URI without query gets one", "http://h/cb", "http://h/cb?code=1"},
		{"a URI with a query gets the parameters after it", "http://h/cb?a=b", "http://h/cb?a=b&code=1"},
		{"a URI ending in an empty query gets the parameters right after it", "http://h/cb?", "http://h/cb?code=1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := appendQuery(tt.uri, "code=1"); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}
