package oauth

import (
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/internal/clock"
)

func TestAuthorizeRefusesOverlongParametersByName(t *testing.T) {
	valid := AuthorizeRequest{ResponseType: "code", ClientID: devClient.ID, RedirectURI: devRedirect}
	tests := []struct {
		param string
		set   func(*AuthorizeRequest, string)
		max   int
	}{
		{"response_type", func(r *AuthorizeRequest, v string) { r.ResponseType = v }, maxWordLen},
		{"client_id", func(r *AuthorizeRequest, v string) { r.ClientID = v }, MaxClientIDLen},
		{"redirect_uri", func(r *AuthorizeRequest, v string) { r.RedirectURI = v }, MaxRedirectURILen},
		{"state", func(r *AuthorizeRequest, v string) { r.State = v }, MaxStateLen},
		{"scope", func(r *AuthorizeRequest, v string) { r.Scope = v }, MaxScopeLen},
	}
	for _, tt := range tests {
		t.Run("a "+tt.param+" one byte over the bound is refused and nothing is kept", func(t *testing.T) {
			s, _ := newTestServer(t)
			r := valid
			tt.set(&r, strings.Repeat("x", tt.max+1))
			_, err := s.Authorize(r)
			wantError(t, err, 400, "invalid_request", fmt.Sprintf("Invalid request: `%s` is longer than %d bytes", tt.param, tt.max))
			if st := s.Stats(); st.Pending != 0 {
				t.Fatalf("Pending = %d after a refused request", st.Pending)
			}
		})
	}
	t.Run("a state of exactly the bound is kept and echoed", func(t *testing.T) {
		s, _ := newTestServer(t)
		state := strings.Repeat("s", MaxStateLen)
		_, u := approve(t, s, devClient, devRedirect, state, 0)
		if u.Query().Get("state") != state {
			t.Fatal("the state did not come back whole")
		}
	})
}

func TestTokenFormFromValuesRefusesOverlongParametersByName(t *testing.T) {
	for name, max := range paramLimits {
		if name == "response_type" || name == "state" || name == "scope" {
			continue // not parameters of the token endpoint
		}
		t.Run("a "+name+" one byte over the bound is refused", func(t *testing.T) {
			_, err := TokenFormFromValues(url.Values{name: {strings.Repeat("x", max+1)}})
			wantError(t, err, 400, "invalid_request", fmt.Sprintf("Invalid request: `%s` is longer than %d bytes", name, max))
		})
		t.Run("a "+name+" of exactly the bound is read", func(t *testing.T) {
			if _, err := TokenFormFromValues(url.Values{name: {strings.Repeat("x", max)}}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestNewRefusesClientsThatCouldNotSignInWithinTheBounds(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Client)
		want string
	}{
		{"a client id over the bound", func(c *Client) { c.ID = strings.Repeat("i", MaxClientIDLen+1) }, "clientId"},
		{"a secret over the bound", func(c *Client) { c.Secret = strings.Repeat("s", MaxClientIDLen+1) }, "clientSecret"},
		{"a redirect URI over the bound", func(c *Client) {
			c.RedirectURIs = []string{"http://localhost/" + strings.Repeat("p", MaxRedirectURILen)}
		}, "redirectUris[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := devClient
			tt.mod(&c)
			_, err := New(Options{Clock: clock.New(), Clients: []Client{c}})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "longer than") {
				t.Fatalf("New: %v, want an error about the %s's length", err, tt.want)
			}
			if c.Secret != "" && strings.Contains(err.Error(), c.Secret) {
				t.Fatal("the error shows the secret")
			}
		})
	}
}

func TestPendingStatesAreBoundedInBytes(t *testing.T) {
	s, _ := newTestServer(t)
	state := strings.Repeat("s", MaxStateLen)
	var first *Consent
	for i := range 2 * maxPendingStateBytes / MaxStateLen {
		c, err := s.Authorize(AuthorizeRequest{ResponseType: "code", ClientID: devClient.ID, RedirectURI: devRedirect, State: state})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = c
		}
	}
	if want := maxPendingStateBytes / MaxStateLen; s.Stats().Pending != want || s.pendingStateBytes != maxPendingStateBytes {
		t.Fatalf("Pending = %d holding %d bytes of state, want %d holding %d", s.Stats().Pending, s.pendingStateBytes, want, maxPendingStateBytes)
	}
	_, err := s.Decide(Decision{RequestID: first.RequestID, Approve: true})
	wantError(t, err, 400, "invalid_request", "Invalid request: consent request is invalid")
	s.RevokeAll()
	if s.pendingStateBytes != 0 {
		t.Fatalf("RevokeAll left %d bytes of state counted", s.pendingStateBytes)
	}
}

// heapGrowth returns how much the live heap grew while fill ran, after a collection on each side.
func heapGrowth(fill func()) int64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fill()
	runtime.GC()
	runtime.ReadMemStats(&after)
	return int64(after.HeapAlloc) - int64(before.HeapAlloc)
}

// The worst case of each store, as limits.go adds it up, measured.
func TestTheStoresStayWithinTheirWorstCase(t *testing.T) {
	if testing.Short() {
		t.Skip("fills every store to its bound")
	}
	tests := []struct {
		name  string
		fill  func(t *testing.T, s *Server)
		bound int64
	}{
		{"pending consent requests, every state as long as the byte budget allows", func(t *testing.T, s *Server) {
			const n = maxPendingStateBytes / maxPending
			for i := range maxPending + 100 {
				state := fmt.Sprintf("%0*d", n, i) // a fresh string each time, as a request's would be
				if _, err := s.Authorize(AuthorizeRequest{ResponseType: "code", ClientID: devClient.ID, RedirectURI: devRedirect, State: state}); err != nil {
					t.Fatal(err)
				}
			}
			if st := s.Stats(); st.Pending != maxPending {
				t.Fatalf("Pending = %d, want %d", st.Pending, maxPending)
			}
		}, maxPending*pendingRecordBytes + maxPendingStateBytes*9/8},
		{"authorization codes", func(t *testing.T, s *Server) {
			for range maxCodes + 100 {
				approve(t, s, devClient, devRedirect, "st", 0)
			}
			if st := s.Stats(); st.Codes != maxCodes || st.Pending != 0 {
				t.Fatalf("Codes = %d, Pending = %d; want %d and 0", st.Codes, st.Pending, maxCodes)
			}
		}, maxCodes * codeRecordBytes},
		{"token pairs", func(t *testing.T, s *Server) {
			for range DefaultMaxTokens + 100 {
				if _, err := s.Issue(nova.ID, devClient.ID, AllScopes); err != nil {
					t.Fatal(err)
				}
			}
			if st := s.Stats(); st.Pairs != DefaultMaxTokens {
				t.Fatalf("Pairs = %d, want %d", st.Pairs, DefaultMaxTokens)
			}
		}, DefaultMaxTokens * pairRecordBytes},
		{"retired refresh tokens of one family rotated again and again", func(t *testing.T, s *Server) {
			p := login(t, s, nova.ID)
			for range DefaultMaxTokens + 100 {
				var err error
				if p, err = s.Token(basicAuth(devClient), refreshForm(p.RefreshToken)); err != nil {
					t.Fatal(err)
				}
			}
			if st := s.Stats(); st.Retired != DefaultMaxTokens || st.Pairs != 1 {
				t.Fatalf("Retired = %d, Pairs = %d; want %d and 1", st.Retired, st.Pairs, DefaultMaxTokens)
			}
		}, DefaultMaxTokens*retiredRecordBytes + pairRecordBytes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t)
			grew := heapGrowth(func() { tt.fill(t, s) })
			runtime.KeepAlive(s)
			t.Logf("%s: %d bytes (bound %d)", tt.name, grew, tt.bound)
			if grew > tt.bound {
				t.Fatalf("the store holds %d bytes, over its documented worst case of %d", grew, tt.bound)
			}
		})
	}
}
