package oauth

import (
	"net/http"
	"strings"
	"time"

	"github.com/restreamkit/restreamkit/internal/apierror"
)

// Grant is what a valid access token allows: whose data, through which application, with
// which permissions, until when.
type Grant struct {
	UserID    int64
	ClientID  string
	Scopes    ScopeSet
	ExpiresAt time.Time // when the access token expires
}

// Require checks that the grant includes need. Every spelling of a scope is the same Scope,
// so a token granted channels.default.read passes Require(ChannelsRead). A missing scope is
// a 403 insufficient_scope error whose challenge names the scope needed (RFC 6750 §3.1).
func (g Grant) Require(need Scope) error {
	if g.Scopes.Has(need) {
		return nil
	}
	return apierror.New(http.StatusForbidden, apierror.NameInsufficientScope, MsgInsufficientScope).
		WithHeader("WWW-Authenticate", `Bearer realm="Service", error="insufficient_scope", scope="`+need.String()+`"`)
}

// AuthenticateHeader checks the Authorization header of a REST request: "Bearer <token>",
// the scheme in any case. A missing header, a header of another shape, an unknown or revoked
// token and an expired token are 401 invalid_token errors, each with a Bearer challenge.
func (s *Server) AuthenticateHeader(authorization string) (Grant, error) {
	if authorization == "" {
		return Grant{}, invalidToken(MsgTokenMissing)
	}
	scheme, token, ok := strings.Cut(authorization, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return Grant{}, invalidToken(MsgTokenMalformed)
	}
	token = strings.TrimLeft(token, " ") // RFC 6750 §2.1 allows more than one space
	if token == "" || strings.ContainsAny(token, " \t") {
		return Grant{}, invalidToken(MsgTokenMalformed)
	}
	return s.AuthenticateToken(token)
}

// AuthenticateToken checks a bare access token, as the WebSockets receive it in their
// accessToken query parameter. It runs on every request, so the success path takes a read
// lock, hashes once, looks up once and does not allocate.
func (s *Server) AuthenticateToken(token string) (Grant, error) {
	if token == "" {
		return Grant{}, invalidToken(MsgTokenMissing)
	}
	key, ok := digestOf(token)
	if !ok {
		return Grant{}, invalidToken(MsgTokenInvalid)
	}
	s.mu.RLock()
	p := s.access[key]
	var g Grant
	if p != nil {
		g = p.grant
	}
	s.mu.RUnlock()
	if p == nil {
		return Grant{}, invalidToken(MsgTokenInvalid)
	}
	if !s.clock.Now().Before(g.ExpiresAt) {
		return Grant{}, invalidToken(MsgTokenExpired)
	}
	return g, nil
}
