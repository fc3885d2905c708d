package oauth

import (
	"strings"
	"testing"
	"time"
)

const bearerChallenge = `Bearer realm="Service", error="invalid_token"`

func TestAuthenticateHeader(t *testing.T) {
	s, _ := newTestServer(t)
	p := login(t, s, orbit.ID)
	revoked := login(t, s, orbit.ID)
	s.Revoke(revoked.RefreshToken)
	tests := []struct {
		name   string
		header string
		msg    string // "" when the header authenticates
	}{
		{"a Bearer header authenticates", "Bearer " + p.AccessToken, ""},
		{"a lowercase scheme authenticates", "bearer " + p.AccessToken, ""},
		{"an uppercase scheme authenticates", "BEARER " + p.AccessToken, ""},
		{"more than one space after the scheme is allowed", "Bearer   " + p.AccessToken, ""},
		{"a missing header is a missing token", "", MsgTokenMissing},
		{"a scheme alone is malformed", "Bearer", MsgTokenMalformed},
		{"a scheme and a space alone are malformed", "Bearer ", MsgTokenMalformed},
		{"another scheme is malformed", "Basic " + p.AccessToken, MsgTokenMalformed},
		{"a token without scheme is malformed", p.AccessToken, MsgTokenMalformed},
		{"two tokens are malformed", "Bearer " + p.AccessToken + " " + p.AccessToken, MsgTokenMalformed},
		{"a tab inside the token is malformed", "Bearer abc\tdef", MsgTokenMalformed},
		{"an unknown token is invalid", "Bearer " + strings.Repeat("0", 40), MsgTokenInvalid},
		{"an overlong token is invalid", "Bearer " + strings.Repeat("0", 5000), MsgTokenInvalid},
		{"a refresh token is not an access token", "Bearer " + p.RefreshToken, MsgTokenInvalid},
		{"a revoked token is invalid", "Bearer " + revoked.AccessToken, MsgTokenInvalid},
		{"an upper-case copy of a token is invalid", "Bearer " + strings.ToUpper(p.AccessToken), MsgTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := s.AuthenticateHeader(tt.header)
			if tt.msg == "" {
				if err != nil || g.UserID != orbit.ID || g.ClientID != devClient.ID {
					t.Fatalf("got %+v, %v", g, err)
				}
				return
			}
			e := wantError(t, err, 401, "invalid_token", tt.msg)
			wantChallenge(t, e, bearerChallenge)
			if g != (Grant{}) {
				t.Fatalf("a refused header returned grant %+v", g)
			}
		})
	}
}

func TestAuthenticateToken(t *testing.T) {
	s, _ := newTestServer(t)
	p := login(t, s, nova.ID)
	for _, tt := range []struct {
		name, token, msg string
	}{
		{"a live access token authenticates", p.AccessToken, ""},
		{"an empty token is a missing token", "", MsgTokenMissing},
		{"an unknown token is invalid", "not-a-token", MsgTokenInvalid},
		{"an overlong token is invalid", strings.Repeat("a", maxSecretLen+1), MsgTokenInvalid},
		{"a token with a space around it is invalid", " " + p.AccessToken, MsgTokenInvalid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g, err := s.AuthenticateToken(tt.token)
			if tt.msg == "" {
				if err != nil || g.UserID != nova.ID {
					t.Fatalf("got %+v, %v", g, err)
				}
				return
			}
			wantChallenge(t, wantError(t, err, 401, "invalid_token", tt.msg), bearerChallenge)
		})
	}
}

func TestAnAccessTokenExpiresAfterOneHour(t *testing.T) {
	s, clk := newTestServer(t)
	p := login(t, s, nova.ID)
	clk.Advance(time.Hour - time.Millisecond)
	g := wantValid(t, s, p.AccessToken)
	if !g.ExpiresAt.Equal(p.AccessExpiresAt) {
		t.Fatalf("ExpiresAt %v, want %v", g.ExpiresAt, p.AccessExpiresAt)
	}
	clk.Advance(time.Millisecond)
	_, err := s.AuthenticateToken(p.AccessToken)
	wantChallenge(t, wantError(t, err, 401, "invalid_token", MsgTokenExpired), bearerChallenge)
	_, err = s.AuthenticateHeader("Bearer " + p.AccessToken)
	wantError(t, err, 401, "invalid_token", MsgTokenExpired)
}

func TestAnAccessTokenLifetimeCanBeConfigured(t *testing.T) {
	s, clk := newTestServer(t, func(o *Options) { o.AccessTTL = time.Minute })
	p := login(t, s, nova.ID)
	clk.Advance(time.Minute)
	_, err := s.AuthenticateToken(p.AccessToken)
	wantError(t, err, 401, "invalid_token", MsgTokenExpired)
}

func TestEveryErrorIsAFreshValue(t *testing.T) {
	s, _ := newTestServer(t)
	_, err1 := s.AuthenticateToken("")
	_, err2 := s.AuthenticateToken("")
	e1 := wantError(t, err1, 401, "invalid_token", MsgTokenMissing)
	e2 := wantError(t, err2, 401, "invalid_token", MsgTokenMissing)
	e1.WithHeader("X-Extra", "1")
	if e2.Header.Get("X-Extra") != "" || e1 == e2 {
		t.Fatal("two failures share one error value")
	}
}

func TestRequireChecksScopesInEverySpelling(t *testing.T) {
	s, _ := newTestServer(t)
	// The read-only client registered default spellings; queryClient the singular channel one.
	readonly, err := s.Issue(nova.ID, readonlyClient.ID, NewScopeSet(ProfileRead, ChannelsRead, StreamRead))
	if err != nil {
		t.Fatal(err)
	}
	code, _ := approve(t, s, queryClient, queryClient.RedirectURIs[0], "", 0)
	writer, err := s.Token(basicAuth(queryClient), TokenForm{GrantType: "authorization_code", Code: code, RedirectURI: queryClient.RedirectURIs[0]})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		token string
		need  string // any spelling
		ok    bool
	}{
		{"profile.default.read satisfies profile.read", readonly.AccessToken, "profile.read", true},
		{"channels.default.read satisfies channels.read", readonly.AccessToken, "channels.read", true},
		{"channels.default.read satisfies channel.read", readonly.AccessToken, "channel.read", true},
		{"stream.default.read satisfies stream.default.read", readonly.AccessToken, "stream.default.read", true},
		{"a read scope does not satisfy its write scope", readonly.AccessToken, "channels.write", false},
		{"an unrelated scope is missing", readonly.AccessToken, "chat.read", false},
		{"channel.default.write satisfies channels.write", writer.AccessToken, "channels.write", true},
		{"chat.write satisfies chat.default.write", writer.AccessToken, "chat.default.write", true},
		{"a write scope does not imply its read scope", writer.AccessToken, "channels.read", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			need, ok := ParseScope(tt.need)
			if !ok {
				t.Fatalf("%q does not parse", tt.need)
			}
			g := wantValid(t, s, tt.token)
			err := g.Require(need)
			if tt.ok {
				if err != nil {
					t.Fatalf("Require(%s) = %v", tt.need, err)
				}
				return
			}
			e := wantError(t, err, 403, "insufficient_scope", MsgInsufficientScope)
			wantChallenge(t, e, `Bearer realm="Service", error="insufficient_scope", scope="`+need.String()+`"`)
		})
	}
}

func TestRequireOfNoScopeFails(t *testing.T) {
	g := Grant{Scopes: AllScopes}
	wantError(t, g.Require(0), 403, "insufficient_scope", MsgInsufficientScope)
	if (Grant{}).Require(ProfileRead) == nil {
		t.Fatal("a grant without scopes passed")
	}
}
