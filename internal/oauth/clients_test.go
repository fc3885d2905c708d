package oauth

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// appClient is a client a test registers at run time.
var appClient = Client{ID: "my-app", Secret: "my-app-secret", Name: "My App",
	RedirectURIs: []string{"http://localhost/callback"}, Scopes: []string{"profile.read", "chat.read"}}

func TestARegisteredClientSignsInAndItsDeletionEndsItsGrants(t *testing.T) {
	s, _ := newTestServer(t)
	created, err := s.PutClient(appClient)
	if err != nil || !created {
		t.Fatalf("PutClient = %v, %v; want created", created, err)
	}
	code, _ := approve(t, s, appClient, "http://localhost:5173/callback", "", 0)
	pair, err := s.Token(basicAuth(appClient), TokenForm{GrantType: "authorization_code", Code: code, RedirectURI: "http://localhost:5173/callback"})
	if err != nil {
		t.Fatal(err)
	}
	pending, err := s.Authorize(AuthorizeRequest{ResponseType: "code", ClientID: appClient.ID, RedirectURI: "http://localhost:1/callback"})
	if err != nil {
		t.Fatal(err)
	}
	devPair := login(t, s, nova.ID)

	if !s.DeleteClient(appClient.ID) {
		t.Fatal("DeleteClient found no client")
	}
	_, err = s.AuthenticateToken(pair.AccessToken)
	wantError(t, err, 401, "invalid_token", MsgTokenInvalid)
	_, err = s.Token(basicAuth(appClient), refreshForm(pair.RefreshToken))
	wantError(t, err, 401, "invalid_client", MsgClientInvalid)
	_, err = s.Decide(Decision{RequestID: pending.RequestID, Approve: true})
	wantError(t, err, 400, "invalid_request", "Invalid request: consent request is invalid")
	if _, err := s.AuthenticateToken(devPair.AccessToken); err != nil {
		t.Fatalf("another client's token stopped working: %v", err)
	}
	if s.DeleteClient(appClient.ID) {
		t.Fatal("a second DeleteClient found the client again")
	}
}

func TestReplacingAClientEndsItsGrantsUnlessNothingChanged(t *testing.T) {
	tests := []struct {
		name      string
		change    func(*Client)
		keepsToks bool
	}{
		{"registering the same client again keeps its tokens", func(*Client) {}, true},
		{"a new secret ends its tokens", func(c *Client) { c.Secret = "rotated" }, false},
		{"new redirect URIs end its tokens", func(c *Client) { c.RedirectURIs = []string{"http://127.0.0.1/cb"} }, false},
		{"other scopes end its tokens", func(c *Client) { c.Scopes = []string{"profile.read"} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t)
			pair := login(t, s, nova.ID)
			next := devClient
			next.RedirectURIs = slices.Clone(devClient.RedirectURIs)
			tt.change(&next)
			created, err := s.PutClient(next)
			if err != nil || created {
				t.Fatalf("PutClient = %v, %v; want a replacement", created, err)
			}
			_, err = s.AuthenticateToken(pair.AccessToken)
			if tt.keepsToks && err != nil {
				t.Fatalf("the token stopped working: %v", err)
			}
			if !tt.keepsToks && err == nil {
				t.Fatal("the token still works")
			}
			if got, _ := s.Client(devClient.ID); !sameClient(got, next) {
				t.Fatalf("the client is %+v, want %+v", got, next)
			}
		})
	}
}

func TestARefusedClientChangesNothing(t *testing.T) {
	tests := []struct {
		name   string
		client Client
		want   string
	}{
		{"a client without redirect URIs", withFields(func(c *Client) { c.RedirectURIs = nil }), "no redirectUris"},
		{"a relative redirect URI", withFields(func(c *Client) { c.RedirectURIs = []string{"/cb"} }), "redirectUris[0]"},
		{"too many redirect URIs", withFields(func(c *Client) {
			c.RedirectURIs = slices.Repeat([]string{"http://localhost/cb"}, MaxRedirectURIs+1)
		}), "at most 20"},
		{"an unknown scope", withFields(func(c *Client) { c.Scopes = []string{"chat.read", "nope"} }), "scopes[1]"},
		{"an overlong name", withFields(func(c *Client) { c.Name = strings.Repeat("n", MaxClientNameLen+1) }), "name is longer"},
		{"a replacement of the dev client without secret", Client{ID: devClient.ID, RedirectURIs: devClient.RedirectURIs, Scopes: devClient.Scopes}, "clientSecret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t)
			pair := login(t, s, nova.ID)
			before := s.Clients()
			_, err := s.PutClient(tt.client)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("PutClient error %v, want one containing %q", err, tt.want)
			}
			if after := s.Clients(); !slices.EqualFunc(before, after, sameClient) {
				t.Fatalf("clients changed from %v to %v", before, after)
			}
			if _, err := s.AuthenticateToken(pair.AccessToken); err != nil {
				t.Fatalf("a refused client ended a grant: %v", err)
			}
		})
	}
}

func withFields(mod func(*Client)) Client {
	c := appClient
	mod(&c)
	return c
}

func TestTheNumberOfClientsIsBounded(t *testing.T) {
	s, _ := newTestServer(t)
	for i := len(s.Clients()); i < MaxClients; i++ {
		c := appClient
		c.ID = fmt.Sprint("app-", i)
		if _, err := s.PutClient(c); err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
	}
	c := appClient
	c.ID = "one-too-many"
	if _, err := s.PutClient(c); !errors.Is(err, ErrTooManyClients) {
		t.Fatalf("client %d: %v, want a refusal", MaxClients+1, err)
	}
	if _, err := s.PutClient(devClient); err != nil {
		t.Fatalf("replacing a client at the bound: %v", err)
	}
}

func TestSetClientsKeepsTheGrantsOfUnchangedClientsOnly(t *testing.T) {
	s, _ := newTestServer(t)
	dev := login(t, s, nova.ID)
	ro, err := s.Issue(nova.ID, readonlyClient.ID, NewScopeSet(ProfileRead))
	if err != nil {
		t.Fatal(err)
	}
	q, err := s.Issue(nova.ID, queryClient.ID, NewScopeSet(ProfileRead))
	if err != nil {
		t.Fatal(err)
	}
	changed := readonlyClient
	changed.Secret = "other"
	if err := s.SetClients([]Client{appClient, changed, devClient}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		token string
		works bool
	}{{"an unchanged client's token", dev.AccessToken, true}, {"a changed client's token", ro.AccessToken, false},
		{"a dropped client's token", q.AccessToken, false}} {
		if _, err := s.AuthenticateToken(tt.token); (err == nil) != tt.works {
			t.Errorf("%s: works = %v, want %v", tt.name, err == nil, tt.works)
		}
	}
	var ids []string
	for _, c := range s.Clients() {
		ids = append(ids, c.ID)
	}
	if want := []string{appClient.ID, readonlyClient.ID, devClient.ID}; !slices.Equal(ids, want) {
		t.Fatalf("clients %v, want %v in that order", ids, want)
	}
}

func TestClientFlagsRegisterClientsWithEveryScope(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   []Client
	}{
		{"an id and a secret get the loopback callbacks", []string{"app:s3cret"},
			[]Client{{ID: "app", Secret: "s3cret", RedirectURIs: DefaultFlagRedirectURIs}}},
		{"redirect URIs follow the second colon, split at commas", []string{"app:s:http://localhost:5173/cb,https://app.example.com/cb?x=1"},
			[]Client{{ID: "app", Secret: "s", RedirectURIs: []string{"http://localhost:5173/cb", "https://app.example.com/cb?x=1"}}}},
		{"white space separates clients in one value, as the environment variable holds them", []string{" a:1\n\tb:2:http://[::1]/cb "},
			[]Client{{ID: "a", Secret: "1", RedirectURIs: DefaultFlagRedirectURIs}, {ID: "b", Secret: "2", RedirectURIs: []string{"http://[::1]/cb"}}}},
		{"repeated flags add up", []string{"a:1", "b:2"},
			[]Client{{ID: "a", Secret: "1", RedirectURIs: DefaultFlagRedirectURIs}, {ID: "b", Secret: "2", RedirectURIs: DefaultFlagRedirectURIs}}},
		{"an empty value is no client", []string{""}, nil},
	}
	var all []string
	for _, sc := range AllScopes.List() {
		all = append(all, sc.String())
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseClientFlags(tt.values)
			if err != nil {
				t.Fatal(err)
			}
			for i := range tt.want {
				tt.want[i].Scopes = all
			}
			if !slices.EqualFunc(got, tt.want, sameClient) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestBadClientFlagsAreRefusedWithoutShowingTheSecret(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   string
	}{
		{"an id alone", []string{"app"}, "want ID:SECRET"},
		{"an empty secret", []string{"app:"}, "empty clientSecret"},
		{"an empty id", []string{":hunter2"}, "clientId is empty"},
		{"an empty redirect URI between commas", []string{"app:hunter2:http://localhost/a,,http://localhost/b"}, "redirect URI 2"},
		{"a relative redirect URI", []string{"app:hunter2:/callback"}, "not absolute"},
		{"a redirect URI with a fragment", []string{"app:hunter2:http://localhost/cb#top"}, "fragment"},
		{"too many redirect URIs", []string{"app:hunter2:" + strings.Repeat("http://localhost/cb,", MaxRedirectURIs) + "http://localhost/cb"}, "at most 20"},
		{"one id twice", []string{"app:hunter2", "app:hunter2"}, `"app" is given twice`},
		{"more clients than the bound", func() (v []string) {
			for i := range MaxClients + 1 {
				v = append(v, fmt.Sprintf("app%d:hunter2", i))
			}
			return v
		}(), "at most 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseClientFlags(tt.values)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, %v; want an error containing %q", got, err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("the error %q shows the secret", err)
			}
		})
	}
}

// FuzzClientFlag checks that the --client parser never panics and that whatever it accepts is a
// client New registers, with the id and secret it was given.
func FuzzClientFlag(f *testing.F) {
	for _, seed := range []string{"app:secret", "app:secret:http://localhost:5173/cb,https://x.example/cb?a=1",
		"a:b c:d", ":", "app::", "app:s:", "app:s:,", "app:s:http://[::1", "app:s:http://h/#", "\x00:\x00:\x00"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		clients, err := ParseClientFlags([]string{value})
		if err != nil {
			return
		}
		if _, err := newClientRecords(clients); err != nil {
			t.Fatalf("ParseClientFlags(%q) accepted clients New refuses: %v", value, err)
		}
		for _, c := range clients {
			if !strings.Contains(value, c.ID+":"+c.Secret) {
				t.Fatalf("client %q:%q is not what %q says", c.ID, c.Secret, value)
			}
		}
	})
}
