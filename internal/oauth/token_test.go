package oauth

import (
	"encoding/base64"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseBasic(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name   string
		header string
		want   ClientAuth
		errMsg string
	}{
		{"no header is no Basic credential", "", ClientAuth{}, ""},
		{"a Bearer header is no Basic credential", "Bearer abc", ClientAuth{}, ""},
		{"a Basic header gives id and secret", "Basic " + b64("restreamkit-dev:restreamkit-dev-secret"),
			ClientAuth{BasicID: "restreamkit-dev", BasicSecret: "restreamkit-dev-secret", HasBasic: true}, ""},
		{"the scheme is case-insensitive", "basic " + b64("a:b"), ClientAuth{BasicID: "a", BasicSecret: "b", HasBasic: true}, ""},
		{"form-encoded values are decoded as golang.org/x/oauth2 sends them",
			"Basic " + b64(url.QueryEscape("id:1 é")+":"+url.QueryEscape("s3cr+t/%")),
			ClientAuth{BasicID: "id:1 é", BasicSecret: "s3cr+t/%", HasBasic: true}, ""},
		{"a value that is not form-encoded is taken as sent", "Basic " + b64("id:100%"),
			ClientAuth{BasicID: "id", BasicSecret: "100%", HasBasic: true}, ""},
		{"the secret may contain colons", "Basic " + b64("id:a:b"), ClientAuth{BasicID: "id", BasicSecret: "a:b", HasBasic: true}, ""},
		{"bad base64 cannot be read", "Basic !!!", ClientAuth{}, MsgClientMissing},
		{"credentials without a colon cannot be read", "Basic " + b64("justanid"), ClientAuth{}, MsgClientMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseBasic(tt.header)
			if tt.errMsg != "" {
				e := wantError(t, err, 401, "invalid_client", tt.errMsg)
				wantChallenge(t, e, `Basic realm="Service"`)
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestTokenFormFromValues(t *testing.T) {
	v := url.Values{
		"grant_type": {"authorization_code"}, "code": {"c"}, "redirect_uri": {"r"},
		"refresh_token": {"rt"}, "client_id": {"id"}, "client_secret": {"sec"}, "ignored": {"x", "y"},
	}
	got, err := TokenFormFromValues(v)
	want := TokenForm{GrantType: "authorization_code", Code: "c", RedirectURI: "r", RefreshToken: "rt", ClientID: "id", ClientSecret: "sec"}
	if err != nil || got != want {
		t.Fatalf("got %+v, %v", got, err)
	}
	v["code"] = []string{"c1", "c2"}
	_, err = TokenFormFromValues(v)
	wantError(t, err, 400, "invalid_request", "Invalid request: `code` is repeated")
}

func TestTokenAuthenticatesTheClient(t *testing.T) {
	const (
		ok          = ""
		differ      = "Invalid request: client credentials in the `Authorization` header and the body differ"
		missing     = MsgClientMissing
		wrongClient = MsgClientInvalid
	)
	tests := []struct {
		name string
		auth ClientAuth
		form TokenForm // credentials only; the grant is added by the test
		want string
	}{
		{"a Basic header is accepted", basicAuth(devClient), TokenForm{}, ok},
		{"credentials in the body are accepted", ClientAuth{}, TokenForm{ClientID: devClient.ID, ClientSecret: devClient.Secret}, ok},
		{"the same credentials in both places are accepted", basicAuth(devClient), TokenForm{ClientID: devClient.ID, ClientSecret: devClient.Secret}, ok},
		{"a Basic header with only the matching id in the body is accepted", basicAuth(devClient), TokenForm{ClientID: devClient.ID}, ok},
		{"different ids in header and body are refused", basicAuth(devClient), TokenForm{ClientID: readonlyClient.ID, ClientSecret: devClient.Secret}, differ},
		{"different secrets in header and body are refused", basicAuth(devClient), TokenForm{ClientID: devClient.ID, ClientSecret: "other"}, differ},
		{"no credentials at all are refused", ClientAuth{}, TokenForm{}, missing},
		{"an id without a secret is refused", ClientAuth{}, TokenForm{ClientID: devClient.ID}, missing},
		{"a secret without an id is refused", ClientAuth{}, TokenForm{ClientSecret: devClient.Secret}, missing},
		{"an empty Basic header is refused", ClientAuth{HasBasic: true}, TokenForm{}, missing},
		{"a wrong secret in the header is refused", ClientAuth{BasicID: devClient.ID, BasicSecret: "wrong", HasBasic: true}, TokenForm{}, wrongClient},
		{"a wrong secret in the body is refused", ClientAuth{}, TokenForm{ClientID: devClient.ID, ClientSecret: "wrong"}, wrongClient},
		{"a secret with an extra character is refused", ClientAuth{}, TokenForm{ClientID: devClient.ID, ClientSecret: devClient.Secret + "x"}, wrongClient},
		{"another client's secret is refused", ClientAuth{}, TokenForm{ClientID: devClient.ID, ClientSecret: readonlyClient.Secret}, wrongClient},
		{"an unknown client is refused", ClientAuth{BasicID: "stranger", BasicSecret: "x", HasBasic: true}, TokenForm{}, wrongClient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t)
			pair := login(t, s, nova.ID)
			form := tt.form
			form.GrantType, form.RefreshToken = "refresh_token", pair.RefreshToken
			got, err := s.Token(tt.auth, form)
			switch tt.want {
			case ok:
				if err != nil || got.ClientID != devClient.ID {
					t.Fatalf("got %+v, %v", got, err)
				}
			case differ:
				wantError(t, err, 400, "invalid_request", differ)
			default:
				e := wantError(t, err, 401, "invalid_client", tt.want)
				wantChallenge(t, e, `Basic realm="Service"`)
				wantValid(t, s, pair.AccessToken) // a refused client rotates nothing
			}
		})
	}
}

func TestTokenChecksTheGrantType(t *testing.T) {
	s, _ := newTestServer(t)
	for _, tt := range []struct {
		name, grant, errName, msg string
	}{
		{"a missing grant_type is an invalid request", "", "invalid_request", "Missing parameter: `grant_type`"},
		{"the password grant is unsupported", "password", "unsupported_grant_type", "Unsupported grant type: `grant_type` is invalid"},
		{"the client credentials grant is unsupported", "client_credentials", "unsupported_grant_type", "Unsupported grant type: `grant_type` is invalid"},
		{"grant types are case-sensitive", "Refresh_Token", "unsupported_grant_type", "Unsupported grant type: `grant_type` is invalid"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Token(basicAuth(devClient), TokenForm{GrantType: tt.grant, RefreshToken: "x", Code: "y", RedirectURI: devRedirect})
			wantError(t, err, 400, tt.errName, tt.msg)
		})
	}
}

func TestTheClientIsAuthenticatedBeforeTheGrantIsRead(t *testing.T) {
	s, _ := newTestServer(t)
	_, err := s.Token(ClientAuth{}, TokenForm{})
	wantError(t, err, 401, "invalid_client", MsgClientMissing)
}

func TestACodeExchangeIssuesAPair(t *testing.T) {
	s, clk := newTestServer(t)
	code, _ := approve(t, s, readonlyClient, readonlyClient.RedirectURIs[0], "s", orbit.ID)
	clk.Advance(time.Minute)
	now := clk.Now()
	pair, err := s.Token(ClientAuth{}, TokenForm{
		GrantType: "authorization_code", Code: code, RedirectURI: readonlyClient.RedirectURIs[0],
		ClientID: readonlyClient.ID, ClientSecret: readonlyClient.Secret,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !hex40.MatchString(pair.AccessToken) || !hex40.MatchString(pair.RefreshToken) || pair.AccessToken == pair.RefreshToken {
		t.Errorf("tokens %q and %q are not two different 40-hex strings", pair.AccessToken, pair.RefreshToken)
	}
	if pair.AccessToken == code || pair.RefreshToken == code {
		t.Error("a token equals the code")
	}
	if pair.UserID != orbit.ID || pair.ClientID != readonlyClient.ID {
		t.Errorf("user %d client %q", pair.UserID, pair.ClientID)
	}
	if want := NewScopeSet(ProfileRead, ChannelsRead, StreamRead); pair.Scopes != want {
		t.Errorf("Scopes %v, want %v", pair.Scopes, want)
	}
	if !slices.Equal(pair.ScopeNames, readonlyClient.Scopes) {
		t.Errorf("ScopeNames %v, want the client's spelling %v", pair.ScopeNames, readonlyClient.Scopes)
	}
	if pair.IssuedAt.Before(now) || pair.IssuedAt.After(clk.Now()) {
		t.Errorf("IssuedAt %v is not now (%v)", pair.IssuedAt, now)
	}
	if got := pair.AccessExpiresAt.Sub(pair.IssuedAt); got != time.Hour {
		t.Errorf("access token lives %v, want 1h", got)
	}
	if got := pair.RefreshExpiresAt.Sub(pair.IssuedAt); got != 365*24*time.Hour {
		t.Errorf("refresh token lives %v, want one year", got)
	}
	g := wantValid(t, s, pair.AccessToken)
	if g.UserID != orbit.ID || g.ClientID != readonlyClient.ID || g.Scopes != pair.Scopes || !g.ExpiresAt.Equal(pair.AccessExpiresAt) {
		t.Errorf("grant %+v does not match the pair", g)
	}
}

func TestACodeExchangeRejectsBadRequests(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(form *TokenForm, auth *ClientAuth)
		advance time.Duration
		status  int
		errName string
		msg     string
	}{
		{"a missing code is an invalid request", func(f *TokenForm, _ *ClientAuth) { f.Code = "" }, 0,
			400, "invalid_request", "Missing parameter: `code`"},
		{"a missing redirect_uri is an invalid request", func(f *TokenForm, _ *ClientAuth) { f.RedirectURI = "" }, 0,
			400, "invalid_request", "Missing parameter: `redirect_uri`"},
		{"an unknown code is an invalid grant", func(f *TokenForm, _ *ClientAuth) { f.Code = strings.Repeat("a", 40) }, 0,
			400, "invalid_grant", MsgCodeInvalid},
		{"an overlong code is an invalid grant", func(f *TokenForm, _ *ClientAuth) { f.Code = strings.Repeat("a", 10000) }, 0,
			400, "invalid_grant", MsgCodeInvalid},
		{"another client's code is an invalid grant", func(_ *TokenForm, a *ClientAuth) { *a = basicAuth(readonlyClient) }, 0,
			400, "invalid_grant", MsgCodeInvalid},
		{"a code at the end of its lifetime has expired", func(*TokenForm, *ClientAuth) {}, 10 * time.Minute,
			400, "invalid_grant", MsgCodeExpired},
		{"a different registered redirect URI is an invalid grant (RFC 6749 §5.2)", func(f *TokenForm, _ *ClientAuth) { f.RedirectURI = "http://localhost:8000/callback" }, 0,
			400, "invalid_grant", devNotTheCodes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, clk := newTestServer(t)
			code, _ := approve(t, s, devClient, devRedirect, "", 0)
			form := TokenForm{GrantType: "authorization_code", Code: code, RedirectURI: devRedirect}
			auth := basicAuth(devClient)
			tt.mutate(&form, &auth)
			clk.Advance(tt.advance)
			pair, err := s.Token(auth, form)
			wantError(t, err, tt.status, tt.errName, tt.msg)
			if pair.AccessToken != "" || pair.RefreshToken != "" {
				t.Fatalf("a failed exchange returned tokens")
			}
			if st := s.Stats(); st.Pairs != 0 {
				t.Fatalf("a failed exchange stored %d pairs", st.Pairs)
			}
		})
	}
}

func TestACodeJustInsideItsLifetimeWorks(t *testing.T) {
	s, clk := newTestServer(t)
	code, _ := approve(t, s, devClient, devRedirect, "", 0)
	clk.Advance(10*time.Minute - time.Millisecond)
	if _, err := s.Token(basicAuth(devClient), TokenForm{GrantType: "authorization_code", Code: code, RedirectURI: devRedirect}); err != nil {
		t.Fatal(err)
	}
}

func TestACodeRefusedForItsRedirectURIStaysUsable(t *testing.T) {
	s, _ := newTestServer(t)
	code, _ := approve(t, s, devClient, devRedirect, "", 0)
	_, err := s.Token(basicAuth(devClient), TokenForm{GrantType: "authorization_code", Code: code, RedirectURI: "http://elsewhere/"})
	wantError(t, err, 400, "invalid_grant", devNotTheCodes)
	if _, err := s.Token(basicAuth(devClient), TokenForm{GrantType: "authorization_code", Code: code, RedirectURI: devRedirect}); err != nil {
		t.Fatalf("the code did not survive a wrong redirect_uri: %v", err)
	}
}

func TestACodeWorksOnceAndItsReuseRevokesThePair(t *testing.T) {
	s, _ := newTestServer(t)
	code, _ := approve(t, s, devClient, devRedirect, "", 0)
	form := TokenForm{GrantType: "authorization_code", Code: code, RedirectURI: devRedirect}
	pair, err := s.Token(basicAuth(devClient), form)
	if err != nil {
		t.Fatal(err)
	}
	other := login(t, s, orbit.ID)
	wantValid(t, s, pair.AccessToken)

	_, err = s.Token(basicAuth(devClient), form)
	wantError(t, err, 400, "invalid_grant", MsgCodeInvalid)
	wantRevoked(t, s, pair)
	wantValid(t, s, other.AccessToken)

	_, err = s.Token(basicAuth(devClient), form)
	wantError(t, err, 400, "invalid_grant", MsgCodeInvalid)
}

func TestACodeReusedAfterARefreshRevokesTheRotatedPair(t *testing.T) {
	s, _ := newTestServer(t)
	code, _ := approve(t, s, devClient, devRedirect, "", 0)
	form := TokenForm{GrantType: "authorization_code", Code: code, RedirectURI: devRedirect}
	first, err := s.Token(basicAuth(devClient), form)
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.Token(basicAuth(devClient), refreshForm(first.RefreshToken))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Token(basicAuth(devClient), form)
	wantError(t, err, 400, "invalid_grant", MsgCodeInvalid)
	wantRevoked(t, s, second)
}

func TestACodeReusedByAnotherClientStillRevokesThePair(t *testing.T) {
	s, _ := newTestServer(t)
	code, _ := approve(t, s, devClient, devRedirect, "", 0)
	pair, err := s.Token(basicAuth(devClient), TokenForm{GrantType: "authorization_code", Code: code, RedirectURI: devRedirect})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Token(basicAuth(readonlyClient), TokenForm{GrantType: "authorization_code", Code: code, RedirectURI: devRedirect})
	wantError(t, err, 400, "invalid_grant", MsgCodeInvalid)
	wantRevoked(t, s, pair)
}

func TestARefreshRotatesThePair(t *testing.T) {
	s, clk := newTestServer(t)
	old := login(t, s, orbit.ID)
	clk.Advance(30 * time.Minute)
	now := clk.Now()
	fresh, err := s.Token(basicAuth(devClient), refreshForm(old.RefreshToken))
	if err != nil {
		t.Fatal(err)
	}
	if fresh.AccessToken == old.AccessToken || fresh.RefreshToken == old.RefreshToken {
		t.Fatal("the refresh reused a token")
	}
	if !hex40.MatchString(fresh.AccessToken) || !hex40.MatchString(fresh.RefreshToken) {
		t.Errorf("new tokens %q, %q are not 40 hex characters", fresh.AccessToken, fresh.RefreshToken)
	}
	if fresh.UserID != old.UserID || fresh.ClientID != old.ClientID || fresh.Scopes != old.Scopes || !slices.Equal(fresh.ScopeNames, old.ScopeNames) {
		t.Errorf("new pair %+v does not keep user, client and scopes of %+v", fresh, old)
	}
	if fresh.IssuedAt.Before(now) || fresh.AccessExpiresAt.Sub(fresh.IssuedAt) != time.Hour ||
		fresh.RefreshExpiresAt.Sub(fresh.IssuedAt) != 365*24*time.Hour {
		t.Errorf("new lifetimes are not counted from the refresh: %+v", fresh)
	}
	wantAccessRevoked(t, s, old)
	wantValid(t, s, fresh.AccessToken)
	if st := s.Stats(); st.Pairs != 1 || st.Retired != 1 {
		t.Errorf("Pairs = %d, Retired = %d after a rotation, want 1 and 1", st.Pairs, st.Retired)
	}

	// The new refresh token rotates again.
	third, err := s.Token(basicAuth(devClient), refreshForm(fresh.RefreshToken))
	if err != nil {
		t.Fatal(err)
	}
	wantAccessRevoked(t, s, fresh)
	wantValid(t, s, third.AccessToken)
}

func TestReusingARotatedRefreshTokenRevokesTheFamilyOnly(t *testing.T) {
	tests := []struct {
		name  string
		reuse func(t *testing.T, s *Server, first, second TokenPair) // presents a retired token
	}{
		{"the first refresh token, by its own client", func(t *testing.T, s *Server, first, _ TokenPair) {
			_, err := s.Token(basicAuth(devClient), refreshForm(first.RefreshToken))
			wantError(t, err, 400, "invalid_grant", MsgRefreshInvalid)
		}},
		{"the first refresh token, by another client", func(t *testing.T, s *Server, first, _ TokenPair) {
			_, err := s.Token(basicAuth(readonlyClient), refreshForm(first.RefreshToken))
			wantError(t, err, 400, "invalid_grant", MsgRefreshInvalid)
		}},
		{"the second refresh token, two rotations later", func(t *testing.T, s *Server, _, second TokenPair) {
			_, err := s.Token(basicAuth(devClient), refreshForm(second.RefreshToken))
			wantError(t, err, 400, "invalid_grant", MsgRefreshInvalid)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t)
			first := login(t, s, nova.ID)
			bystander := login(t, s, nova.ID) // the same user and client, another grant
			second, err := s.Token(basicAuth(devClient), refreshForm(first.RefreshToken))
			if err != nil {
				t.Fatal(err)
			}
			third, err := s.Token(basicAuth(devClient), refreshForm(second.RefreshToken))
			if err != nil {
				t.Fatal(err)
			}
			tt.reuse(t, s, first, second)
			wantRevoked(t, s, third)
			wantValid(t, s, bystander.AccessToken)
			if _, err := s.Token(basicAuth(devClient), refreshForm(bystander.RefreshToken)); err != nil {
				t.Fatalf("another grant of the user must keep rotating: %v", err)
			}
		})
	}
}

func TestRetiredRefreshTokensAreBoundedByMaxTokens(t *testing.T) {
	s, _ := newTestServer(t, func(o *Options) { o.MaxTokens = 3 })
	p := login(t, s, nova.ID)
	var retired []TokenPair
	for range 5 {
		retired = append(retired, p)
		var err error
		if p, err = s.Token(basicAuth(devClient), refreshForm(p.RefreshToken)); err != nil {
			t.Fatal(err)
		}
	}
	if st := s.Stats(); st.Retired != 3 || st.Pairs != 1 {
		t.Fatalf("Retired = %d, Pairs = %d; want 3 and 1", st.Retired, st.Pairs)
	}
	// The oldest records are gone: their reuse is only invalid and the family survives.
	_, err := s.Token(basicAuth(devClient), refreshForm(retired[0].RefreshToken))
	wantError(t, err, 400, "invalid_grant", MsgRefreshInvalid)
	wantValid(t, s, p.AccessToken)
	// A remembered one still revokes the family.
	_, err = s.Token(basicAuth(devClient), refreshForm(retired[4].RefreshToken))
	wantError(t, err, 400, "invalid_grant", MsgRefreshInvalid)
	wantRevoked(t, s, p)
}

func TestRetiredRefreshTokensArePrunedAfterTheyExpire(t *testing.T) {
	s, clk := newTestServer(t)
	p := login(t, s, nova.ID)
	if _, err := s.Token(basicAuth(devClient), refreshForm(p.RefreshToken)); err != nil {
		t.Fatal(err)
	}
	clk.Advance(DefaultRefreshTTL + expiredRetention)
	q := login(t, s, orbit.ID)
	if _, err := s.Token(basicAuth(devClient), refreshForm(q.RefreshToken)); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Retired != 1 {
		t.Fatalf("Retired = %d, want only the new record", st.Retired)
	}
}

func TestARefreshWorksAfterTheAccessTokenExpired(t *testing.T) {
	s, clk := newTestServer(t)
	old := login(t, s, nova.ID)
	clk.Advance(2 * time.Hour)
	_, err := s.AuthenticateToken(old.AccessToken)
	wantError(t, err, 401, "invalid_token", MsgTokenExpired)
	fresh, err := s.Token(basicAuth(devClient), refreshForm(old.RefreshToken))
	if err != nil {
		t.Fatal(err)
	}
	wantValid(t, s, fresh.AccessToken)
}

func TestARefreshRejectsBadTokens(t *testing.T) {
	tests := []struct {
		name    string
		token   func(s *Server, p TokenPair) string
		auth    ClientAuth
		advance time.Duration
		errName string
		msg     string
	}{
		{"a missing refresh token is an invalid request", func(*Server, TokenPair) string { return "" }, basicAuth(devClient), 0,
			"invalid_request", "Missing parameter: `refresh_token`"},
		{"an unknown refresh token is an invalid grant", func(*Server, TokenPair) string { return strings.Repeat("0", 40) }, basicAuth(devClient), 0,
			"invalid_grant", MsgRefreshInvalid},
		{"an overlong refresh token is an invalid grant", func(*Server, TokenPair) string { return strings.Repeat("0", 1000) }, basicAuth(devClient), 0,
			"invalid_grant", MsgRefreshInvalid},
		{"an access token is not a refresh token", func(_ *Server, p TokenPair) string { return p.AccessToken }, basicAuth(devClient), 0,
			"invalid_grant", MsgRefreshInvalid},
		{"another client's refresh token is an invalid grant", func(_ *Server, p TokenPair) string { return p.RefreshToken }, basicAuth(readonlyClient), 0,
			"invalid_grant", MsgRefreshInvalid},
		{"a revoked refresh token is an invalid grant", func(s *Server, p TokenPair) string { s.Revoke(p.AccessToken); return p.RefreshToken }, basicAuth(devClient), 0,
			"invalid_grant", MsgRefreshInvalid},
		{"a rotated refresh token is an invalid grant", func(s *Server, p TokenPair) string {
			if _, err := s.Token(basicAuth(devClient), refreshForm(p.RefreshToken)); err != nil {
				panic(err)
			}
			return p.RefreshToken
		}, basicAuth(devClient), 0, "invalid_grant", MsgRefreshInvalid},
		{"a refresh token a year old has expired", func(_ *Server, p TokenPair) string { return p.RefreshToken }, basicAuth(devClient), 365 * 24 * time.Hour,
			"invalid_grant", MsgRefreshExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, clk := newTestServer(t)
			p := login(t, s, nova.ID)
			tok := tt.token(s, p)
			clk.Advance(tt.advance)
			_, err := s.Token(tt.auth, refreshForm(tok))
			wantError(t, err, 400, tt.errName, tt.msg)
		})
	}
}

func TestARefreshTokenJustUnderAYearOldStillWorks(t *testing.T) {
	s, clk := newTestServer(t)
	p := login(t, s, nova.ID)
	clk.Advance(365*24*time.Hour - time.Second)
	if _, err := s.Token(basicAuth(devClient), refreshForm(p.RefreshToken)); err != nil {
		t.Fatal(err)
	}
}

func TestRevokeEitherTokenRevokesThePair(t *testing.T) {
	for _, tt := range []struct {
		name  string
		token func(TokenPair) string
	}{
		{"revoking the access token revokes both", func(p TokenPair) string { return p.AccessToken }},
		{"revoking the refresh token revokes both", func(p TokenPair) string { return p.RefreshToken }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t)
			p := login(t, s, nova.ID)
			other := login(t, s, nova.ID)
			s.Revoke(tt.token(p))
			wantRevoked(t, s, p)
			wantValid(t, s, other.AccessToken)
			s.Revoke(tt.token(p)) // a second revoke is a no-op
			wantValid(t, s, other.AccessToken)
		})
	}
}

func TestRevokeOfAnExpiredAccessTokenEndsTheGrant(t *testing.T) {
	s, clk := newTestServer(t)
	p := login(t, s, nova.ID)
	clk.Advance(2 * time.Hour)
	s.Revoke(p.AccessToken)
	_, err := s.Token(basicAuth(devClient), refreshForm(p.RefreshToken))
	wantError(t, err, 400, "invalid_grant", MsgRefreshInvalid)
}

func TestRevokeIgnoresTokensItDoesNotKnow(t *testing.T) {
	s, _ := newTestServer(t)
	p := login(t, s, nova.ID)
	code, _ := approve(t, s, devClient, devRedirect, "", 0)
	for _, tok := range []string{"", "nonsense", strings.Repeat("f", 40), strings.Repeat("x", 100000), code} {
		s.Revoke(tok)
	}
	wantValid(t, s, p.AccessToken)
	if st := s.Stats(); st.Pairs != 1 || st.Codes != 2 { // login used one code, approve made another
		t.Fatalf("Stats %+v", st)
	}
}

func TestIssueMintsAPairDirectly(t *testing.T) {
	s, _ := newTestServer(t)
	scopes := NewScopeSet(ChannelsRead, StudioWrite)
	p, err := s.Issue(orbit.ID, readonlyClient.ID, scopes)
	if err != nil {
		t.Fatal(err)
	}
	if p.UserID != orbit.ID || p.ClientID != readonlyClient.ID || p.Scopes != scopes {
		t.Fatalf("pair %+v", p)
	}
	// A registered scope keeps the client's spelling; an unregistered one is canonical.
	if !slices.Equal(p.ScopeNames, []string{"channels.default.read", "studio.write"}) {
		t.Fatalf("ScopeNames %v", p.ScopeNames)
	}
	g := wantValid(t, s, p.AccessToken)
	if g.Require(StudioWrite) != nil || g.Require(ProfileRead) == nil {
		t.Fatal("the grant does not carry exactly the issued scopes")
	}
	if _, err := s.Token(basicAuth(readonlyClient), refreshForm(p.RefreshToken)); err != nil {
		t.Fatalf("an issued pair does not refresh: %v", err)
	}
}

func TestIssueRefusesUnknownClientsAndUsers(t *testing.T) {
	s, _ := newTestServer(t)
	_, err := s.Issue(nova.ID, "stranger", AllScopes)
	wantError(t, err, 400, "invalid_request", `Invalid request: client "stranger" is not registered`)
	_, err = s.Issue(999, devClient.ID, AllScopes)
	wantError(t, err, 400, "invalid_request", "Invalid request: user 999 is not an account")
}

func TestIssueDropsBitsThatAreNoScope(t *testing.T) {
	s, _ := newTestServer(t)
	p, err := s.Issue(nova.ID, devClient.ID, ScopeSet(0xffff))
	if err != nil {
		t.Fatal(err)
	}
	if p.Scopes != AllScopes || len(p.ScopeNames) != 12 {
		t.Fatalf("Scopes %v names %v", p.Scopes, p.ScopeNames)
	}
}

func TestTokenPairsAreBoundedByMaxTokens(t *testing.T) {
	s, _ := newTestServer(t, func(o *Options) { o.MaxTokens = 3 })
	var pairs []TokenPair
	for range 5 {
		p, err := s.Issue(nova.ID, devClient.ID, AllScopes)
		if err != nil {
			t.Fatal(err)
		}
		pairs = append(pairs, p)
	}
	if st := s.Stats(); st.Pairs != 3 {
		t.Fatalf("Pairs = %d, want 3", st.Pairs)
	}
	for _, p := range pairs[:2] {
		wantRevoked(t, s, p)
	}
	for _, p := range pairs[2:] {
		wantValid(t, s, p.AccessToken)
	}
}

func TestARefreshAtTheBoundKeepsTheNewPair(t *testing.T) {
	s, _ := newTestServer(t, func(o *Options) { o.MaxTokens = 2 })
	a, _ := s.Issue(nova.ID, devClient.ID, AllScopes)
	b, _ := s.Issue(nova.ID, devClient.ID, AllScopes)
	// Refreshing the oldest pair at the bound prunes it while issuing; the rotation must
	// still leave exactly the new pair and b.
	fresh, err := s.Token(basicAuth(devClient), refreshForm(a.RefreshToken))
	if err != nil {
		t.Fatal(err)
	}
	wantValid(t, s, fresh.AccessToken)
	wantValid(t, s, b.AccessToken)
	wantAccessRevoked(t, s, a)
	if st := s.Stats(); st.Pairs != 2 {
		t.Fatalf("Pairs = %d", st.Pairs)
	}
}

func TestLongExpiredPairsArePrunedWhenANewPairIsIssued(t *testing.T) {
	s, clk := newTestServer(t)
	old := login(t, s, nova.ID)
	clk.Advance(365*24*time.Hour + time.Hour)
	_, err := s.Token(basicAuth(devClient), refreshForm(old.RefreshToken))
	wantError(t, err, 400, "invalid_grant", MsgRefreshExpired) // still known: reported as expired
	clk.Advance(expiredRetention)
	if _, err := s.Issue(nova.ID, devClient.ID, AllScopes); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Pairs != 1 {
		t.Fatalf("Pairs = %d, want only the new pair", st.Pairs)
	}
	_, err = s.Token(basicAuth(devClient), refreshForm(old.RefreshToken))
	wantError(t, err, 400, "invalid_grant", MsgRefreshInvalid)
}

func TestUsedAndExpiredCodesArePrunedAfterAGracePeriod(t *testing.T) {
	s, clk := newTestServer(t)
	for range 3 {
		approve(t, s, devClient, devRedirect, "", 0)
	}
	used, _ := approve(t, s, devClient, devRedirect, "", 0)
	if _, err := s.Token(basicAuth(devClient), TokenForm{GrantType: "authorization_code", Code: used, RedirectURI: devRedirect}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(10 * time.Minute)
	approve(t, s, devClient, devRedirect, "", 0)
	if st := s.Stats(); st.Codes != 5 {
		t.Fatalf("Codes = %d; codes expired less than a CodeTTL ago must be kept", st.Codes)
	}
	clk.Advance(10 * time.Minute)
	approve(t, s, devClient, devRedirect, "", 0)
	if st := s.Stats(); st.Codes != 2 {
		t.Fatalf("Codes = %d, want the two recent codes", st.Codes)
	}
}

func TestCodesAreBounded(t *testing.T) {
	s, _ := newTestServer(t)
	first, _ := approve(t, s, devClient, devRedirect, "", 0)
	for range maxCodes {
		approve(t, s, devClient, devRedirect, "", 0)
	}
	if st := s.Stats(); st.Codes != maxCodes {
		t.Fatalf("Codes = %d, want %d", st.Codes, maxCodes)
	}
	_, err := s.Token(basicAuth(devClient), TokenForm{GrantType: "authorization_code", Code: first, RedirectURI: devRedirect})
	wantError(t, err, 400, "invalid_grant", MsgCodeInvalid)
}

// counterReader is a deterministic Rand: every read returns the next byte values.
type counterReader struct{ n byte }

func (r *counterReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.n
		r.n++
	}
	return len(p), nil
}

// constReader repeats itself forever.
type constReader struct{}

func (constReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("entropy exhausted") }

func TestTokensComeFromTheConfiguredRandomSource(t *testing.T) {
	s, _ := newTestServer(t, func(o *Options) { o.Rand = &counterReader{} })
	p, err := s.Issue(nova.ID, devClient.ID, AllScopes)
	if err != nil {
		t.Fatal(err)
	}
	if p.AccessToken != "000102030405060708090a0b0c0d0e0f10111213" || p.RefreshToken != "1415161718191a1b1c1d1e1f2021222324252627" {
		t.Fatalf("tokens %q, %q do not come from Rand", p.AccessToken, p.RefreshToken)
	}
}

func TestARandomSourceThatRepeatsItselfIsAnInternalError(t *testing.T) {
	s, _ := newTestServer(t, func(o *Options) { o.Rand = constReader{} })
	_, err := s.Issue(nova.ID, devClient.ID, AllScopes) // the refresh token would equal the access token
	wantError(t, err, 500, "internal_server_error", "Internal error: the random source repeats itself")
	if st := s.Stats(); st.Pairs != 0 {
		t.Fatalf("a failed issue stored %d pairs", st.Pairs)
	}
}

func TestAFailingRandomSourceIsAnInternalError(t *testing.T) {
	s, _ := newTestServer(t, func(o *Options) { o.Rand = failingReader{} })
	const msg = "Internal error: the random source failed"
	_, err := s.Issue(nova.ID, devClient.ID, AllScopes)
	wantError(t, err, 500, "internal_server_error", msg)
	_, err = s.Authorize(AuthorizeRequest{ResponseType: "code", ClientID: devClient.ID, RedirectURI: devRedirect})
	wantError(t, err, 500, "internal_server_error", msg)
}

func TestARefreshThatCannotIssueLeavesTheOldPairWorking(t *testing.T) {
	rnd := &switchReader{}
	s, _ := newTestServer(t, func(o *Options) { o.Rand = rnd })
	p, err := s.Issue(nova.ID, devClient.ID, AllScopes)
	if err != nil {
		t.Fatal(err)
	}
	rnd.fail = true
	_, err = s.Token(basicAuth(devClient), refreshForm(p.RefreshToken))
	wantError(t, err, 500, "internal_server_error", "Internal error: the random source failed")
	wantValid(t, s, p.AccessToken)
	rnd.fail = false
	if _, err := s.Token(basicAuth(devClient), refreshForm(p.RefreshToken)); err != nil {
		t.Fatal(err)
	}
}

// switchReader counts like counterReader until told to fail. The server reads it only with its
// lock held, and the test switches it between calls, so it needs no lock of its own.
type switchReader struct {
	counterReader
	fail bool
}

func (r *switchReader) Read(p []byte) (int, error) {
	if r.fail {
		return 0, errors.New("entropy exhausted")
	}
	return r.counterReader.Read(p)
}
