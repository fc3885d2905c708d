package oauth

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/internal/apierror"
)

// Placeholders a fuzzed token request may hold; each is replaced by a live value before the
// request is read, so the fuzzer reaches the success paths as well as the refusals.
const (
	liveCode    = "LIVECODE"    // a fresh authorization code for the dev client
	liveRefresh = "LIVEREFRESH" // the refresh token of a fresh pair
	liveRetired = "LIVERETIRED" // a refresh token that a rotation replaced
)

// FuzzTokenForm drives what POST /oauth/token does with a request, from the form body and the
// Authorization header to the grant: it never panics, and every refusal is an error envelope
// with a 4xx status, never a 5xx.
func FuzzTokenForm(f *testing.F) {
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(devClient.ID+":"+devClient.Secret))
	f.Add("grant_type=authorization_code&code="+liveCode+"&redirect_uri="+url.QueryEscape(devRedirect), basic)
	f.Add("grant_type=refresh_token&refresh_token="+liveRefresh, basic)
	f.Add("grant_type=refresh_token&refresh_token="+liveRetired+"&client_id=restreamkit-dev&client_secret=restreamkit-dev-secret", "")
	f.Add("grant_type=refresh_token&refresh_token="+liveRefresh+"&refresh_token=x", basic)
	f.Add("grant_type=password&username=a&password=b", "Basic !!!")
	f.Add("grant_type=authorization_code&code="+strings.Repeat("c", 200), "Basic "+base64.StdEncoding.EncodeToString([]byte("a%zz:b")))
	f.Add("code_verifier="+strings.Repeat("v", 129)+"&grant_type=refresh_token", "bearer x")
	f.Add("%zz=1&;", "")
	s, _ := newTestServer(f)
	f.Fuzz(func(t *testing.T, body, authorization string) {
		body = strings.ReplaceAll(body, liveCode, freshCode(t, s))
		if strings.Contains(body, liveRefresh) || strings.Contains(body, liveRetired) {
			p := login(t, s, nova.ID)
			next, err := s.Token(basicAuth(devClient), refreshForm(p.RefreshToken))
			if err != nil {
				t.Fatal(err)
			}
			body = strings.ReplaceAll(strings.ReplaceAll(body, liveRetired, p.RefreshToken), liveRefresh, next.RefreshToken)
		}
		values, err := url.ParseQuery(body)
		if err != nil {
			return // the handler answers a body that is no form with its own 400
		}
		auth, err := ParseBasic(authorization)
		if err != nil {
			want4xx(t, err)
			return
		}
		form, err := TokenFormFromValues(values)
		if err != nil {
			want4xx(t, err)
			return
		}
		pair, err := s.Token(auth, form)
		if err != nil {
			want4xx(t, err)
			return
		}
		if _, err := s.AuthenticateToken(pair.AccessToken); err != nil {
			t.Fatalf("a pair just issued does not authenticate: %v", err)
		}
	})
}

// freshCode runs the dialog for the dev client and returns the code.
func freshCode(t *testing.T, s *Server) string {
	t.Helper()
	code, _ := approve(t, s, devClient, devRedirect, "st", 0)
	return code
}

func want4xx(t *testing.T, err error) {
	t.Helper()
	e, ok := apierror.As(err)
	if !ok || e.Status < 400 || e.Status > 499 {
		t.Fatalf("a refusal must be a 4xx envelope, got %v (%T)", err, err)
	}
}

// FuzzLoginAs reads any Restreamkit-Login-As value: it never panics, names a listed account or
// nothing for an empty value, and refuses everything else with a 400 envelope naming the header.
func FuzzLoginAs(f *testing.F) {
	for _, seed := range []string{"", "2046371", "42", "-1", "0", "+2046371", "02046371", "9223372036854775808", "abc", " 1"} {
		f.Add(seed)
	}
	s, _ := newTestServer(f)
	f.Fuzz(func(t *testing.T, value string) {
		id, err := s.LoginAs(value)
		switch {
		case err != nil:
			e, ok := apierror.As(err)
			if !ok || e.Status != 400 || !strings.Contains(e.Message, HeaderLoginAs) || id != 0 {
				t.Fatalf("LoginAs(%q) = %d, %v", value, id, err)
			}
		case value == "":
			if id != 0 {
				t.Fatalf("an empty value named %d", id)
			}
		case id != nova.ID && id != orbit.ID:
			t.Fatalf("LoginAs(%q) named %d, not a listed account", value, id)
		}
	})
}
