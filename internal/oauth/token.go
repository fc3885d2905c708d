package oauth

import (
	"container/list"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/restreamkit/restreamkit/internal/apierror"
)

// ClientAuth is what the Authorization header of a token request says about the client.
type ClientAuth struct {
	BasicID     string
	BasicSecret string
	HasBasic    bool // an "Authorization: Basic" header was sent
}

// ParseBasic reads the Authorization header of a token request. An empty header, or one with
// another scheme, is no Basic credential (the form may carry them). The id and secret are
// form-decoded after base64, as RFC 6749 §2.3.1 asks and golang.org/x/oauth2 sends them; a
// value that does not decode is taken as it is. A Basic header that cannot be read is a 401
// invalid_client error.
func ParseBasic(authorization string) (ClientAuth, error) {
	scheme, rest, _ := strings.Cut(authorization, " ")
	if !strings.EqualFold(scheme, "Basic") {
		return ClientAuth{}, nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
	if err != nil {
		return ClientAuth{}, invalidClient(MsgClientMissing)
	}
	id, secret, ok := strings.Cut(string(raw), ":")
	if !ok {
		return ClientAuth{}, invalidClient(MsgClientMissing)
	}
	return ClientAuth{BasicID: formDecode(id), BasicSecret: formDecode(secret), HasBasic: true}, nil
}

func formDecode(s string) string {
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return s
}

// TokenForm is the form body of POST /oauth/token.
type TokenForm struct {
	GrantType    string
	Code         string
	RedirectURI  string
	RefreshToken string
	ClientID     string
	ClientSecret string
}

// TokenFormFromValues reads a parsed form body. A parameter sent more than once, or longer
// than its bound (limits.go), is a 400 invalid_request error naming it (RFC 6749 §3.2).
// code_verifier is read only to be bounded: Restream documents no PKCE.
func TokenFormFromValues(v url.Values) (TokenForm, error) {
	var f TokenForm
	var verifier string
	for _, field := range [...]struct {
		name string
		dst  *string
	}{
		{"grant_type", &f.GrantType},
		{"code", &f.Code},
		{"redirect_uri", &f.RedirectURI},
		{"refresh_token", &f.RefreshToken},
		{"client_id", &f.ClientID},
		{"client_secret", &f.ClientSecret},
		{"code_verifier", &verifier},
	} {
		vs := v[field.name]
		if len(vs) > 1 {
			return TokenForm{}, invalidRequest("Invalid request: `" + field.name + "` is repeated")
		}
		if len(vs) == 1 {
			if err := checkLength(field.name, vs[0]); err != nil {
				return TokenForm{}, err
			}
			*field.dst = vs[0]
		}
	}
	return f, nil
}

// TokenPair is a freshly issued access and refresh token with what they grant. The tokens are
// credentials: never log them.
type TokenPair struct {
	AccessToken      string
	RefreshToken     string
	IssuedAt         time.Time
	AccessExpiresAt  time.Time
	RefreshExpiresAt time.Time
	Scopes           ScopeSet
	// ScopeNames are Scopes in the client's own spelling, for the response's scope and
	// scopeJson fields.
	ScopeNames []string
	UserID     int64
	ClientID   string
}

// tokenPair is the server's record of a TokenPair. It holds digests, not the tokens.
type tokenPair struct {
	accessKey  digest
	refreshKey digest
	grant      Grant // what the access token grants; grant.ExpiresAt is the access expiry
	issuedAt   time.Time
	refreshExp time.Time
	// family links every pair descended from one authorization code through rotations, so
	// that a reused code can revoke whichever pair is live now.
	family uint64
	elem   *list.Element
}

// retiredRefresh is a refresh token that a rotation replaced: its digest and the family it
// belonged to. Presenting it again revokes whatever pair the family has now.
type retiredRefresh struct {
	key     digest
	family  uint64
	expires time.Time // when the retired token would have expired
}

// Token answers POST /oauth/token: it authenticates the client, then exchanges an
// authorization code or rotates a refresh token.
func (s *Server) Token(auth ClientAuth, form TokenForm) (TokenPair, error) {
	client, err := s.authenticateClient(auth, form)
	if err != nil {
		return TokenPair{}, err
	}
	switch form.GrantType {
	case "authorization_code":
		return s.exchangeCode(client, form)
	case "refresh_token":
		return s.rotate(client, form)
	case "":
		return TokenPair{}, missingParam("grant_type")
	default:
		return TokenPair{}, apierror.New(http.StatusBadRequest, apierror.NameUnsupportedGrant,
			"Unsupported grant type: `grant_type` is invalid")
	}
}

// authenticateClient accepts credentials from the Basic header or the form, as Restream
// documents. When both are sent they must agree. Every secret comparison is of SHA-256
// digests with subtle.ConstantTimeCompare, so neither the secret nor its length leaks
// through timing, and an unknown client costs the same comparison as a known one.
func (s *Server) authenticateClient(auth ClientAuth, form TokenForm) (*clientRecord, error) {
	id, secret := form.ClientID, form.ClientSecret
	if auth.HasBasic {
		if (form.ClientID != "" && form.ClientID != auth.BasicID) ||
			(form.ClientSecret != "" && !secretsEqual(form.ClientSecret, auth.BasicSecret)) {
			return nil, invalidRequest("Invalid request: client credentials in the `Authorization` header and the body differ")
		}
		id, secret = auth.BasicID, auth.BasicSecret
	}
	if id == "" || secret == "" {
		return nil, invalidClient(MsgClientMissing)
	}
	given := sha256.Sum256([]byte(secret))
	client, known := s.client(id)
	want := digest{} // an unknown client is compared against nothing, in the same time
	if known {
		want = client.secret
	}
	if subtle.ConstantTimeCompare(given[:], want[:]) != 1 || !known {
		return nil, invalidClient(MsgClientInvalid)
	}
	return client, nil
}

func secretsEqual(a, b string) bool {
	da, db := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(da[:], db[:]) == 1
}

// exchangeCode redeems an authorization code. A code works once; presenting it again fails
// and revokes the pair it produced, including any pair that pair was rotated into
// (RFC 6749 §4.1.2), because a second use means the code leaked.
func (s *Server) exchangeCode(client *clientRecord, form TokenForm) (TokenPair, error) {
	if form.Code == "" {
		return TokenPair{}, missingParam("code")
	}
	if form.RedirectURI == "" {
		return TokenPair{}, missingParam("redirect_uri")
	}
	key, ok := digestOf(form.Code)
	if !ok {
		return TokenPair{}, invalidGrant(MsgCodeInvalid)
	}
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.codes[key]
	switch {
	case c == nil:
		return TokenPair{}, invalidGrant(MsgCodeInvalid)
	case c.used:
		if p := s.families[c.family]; p != nil {
			s.removePairLocked(p)
		}
		return TokenPair{}, invalidGrant(MsgCodeInvalid)
	case c.clientID != client.ID:
		return TokenPair{}, invalidGrant(MsgCodeInvalid)
	case !now.Before(c.expires):
		return TokenPair{}, invalidGrant(MsgCodeExpired)
	case form.RedirectURI != c.redirect.String():
		// RFC 6749 §4.1.3: the very URI of the authorization request, loopback port included.
		return TokenPair{}, invalidGrant(redirectMismatch(msgRedirectNotTheCodes, client))
	case s.clients[client.ID] != client:
		return TokenPair{}, invalidClient(MsgClientInvalid) // replaced or deleted meanwhile
	}
	s.nextFamily++
	pair, err := s.issueLocked(client, c.userID, c.scopes, s.nextFamily, now)
	if err != nil {
		return TokenPair{}, err
	}
	c.used, c.family = true, s.nextFamily
	return pair, nil
}

// rotate exchanges a refresh token for a new pair with the same user, client and scopes and
// fresh lifetimes. The old access and refresh tokens stop working (Restream rotates).
//
// A refresh token that a rotation already replaced is refused, and, since a second use means
// the token leaked, the pair its family holds now is revoked too (RFC 9700 §4.14.2): whoever
// holds the newer tokens, the client or the thief, must sign in again. This happens whichever
// client presents it, as for a reused authorization code. Other grants of the same user are
// not touched.
func (s *Server) rotate(client *clientRecord, form TokenForm) (TokenPair, error) {
	if form.RefreshToken == "" {
		return TokenPair{}, missingParam("refresh_token")
	}
	key, ok := digestOf(form.RefreshToken)
	if !ok {
		return TokenPair{}, invalidGrant(MsgRefreshInvalid)
	}
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.refresh[key]
	switch {
	case old == nil:
		if r := s.retired[key]; r != nil {
			if p := s.families[r.family]; p != nil {
				s.removePairLocked(p)
			}
		}
		return TokenPair{}, invalidGrant(MsgRefreshInvalid)
	case old.grant.ClientID != client.ID:
		return TokenPair{}, invalidGrant(MsgRefreshInvalid)
	case s.clients[client.ID] != client:
		return TokenPair{}, invalidClient(MsgClientInvalid) // replaced or deleted meanwhile
	case !now.Before(old.refreshExp):
		return TokenPair{}, invalidGrant(MsgRefreshExpired)
	}
	// Issue first so that a failing random source leaves the old pair working.
	pair, err := s.issueLocked(client, old.grant.UserID, old.grant.Scopes, old.family, now)
	if err != nil {
		return TokenPair{}, err
	}
	s.removePairLocked(old)
	s.retireLocked(old, now)
	return pair, nil
}

// retireLocked remembers the refresh token of a rotated pair. The record is dropped once the
// token has been expired for expiredRetention, or, beyond MaxTokens records, oldest first: a
// token retired that long ago can no longer revoke its family, and is then only "invalid".
func (s *Server) retireLocked(p *tokenPair, now time.Time) {
	for e := s.retiredQ.Front(); e != nil; e = s.retiredQ.Front() {
		r := e.Value.(*retiredRefresh)
		if now.Before(r.expires.Add(expiredRetention)) && s.retiredQ.Len() < s.maxTokens {
			break
		}
		delete(s.retired, r.key)
		s.retiredQ.Remove(e)
	}
	r := &retiredRefresh{key: p.refreshKey, family: p.family, expires: p.refreshExp}
	s.retiredQ.PushBack(r)
	s.retired[r.key] = r
}

// Issue mints a token pair directly, without the browser flow: for the control API, the
// start-up banner and the Go test package. The client must be registered and the user must
// be an account. The scopes are not limited to the client's registration, so tests can
// mint tokens with any permission (or none); unregistered scopes are reported by their
// canonical names.
func (s *Server) Issue(userID int64, clientID string, scopes ScopeSet) (TokenPair, error) {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	client, ok := s.clients[clientID]
	if !ok {
		return TokenPair{}, invalidRequest(fmt.Sprintf("Invalid request: client %q is not registered", clientID))
	}
	if _, ok := s.accountLocked(userID); !ok {
		return TokenPair{}, invalidRequest(fmt.Sprintf("Invalid request: user %d is not an account", userID))
	}
	s.nextFamily++
	return s.issueLocked(client, userID, scopes&AllScopes, s.nextFamily, now)
}

// issueLocked stores a new pair, first pruning pairs long expired and, beyond MaxTokens, the
// oldest. The caller holds s.mu.
func (s *Server) issueLocked(client *clientRecord, userID int64, scopes ScopeSet, family uint64, now time.Time) (TokenPair, error) {
	s.prunePairsLocked(now)
	inUse := func(d digest) bool { return s.access[d] != nil || s.refresh[d] != nil }
	access, accessKey, err := s.newSecretLocked(inUse)
	if err != nil {
		return TokenPair{}, err
	}
	refresh, refreshKey, err := s.newSecretLocked(func(d digest) bool { return d == accessKey || inUse(d) })
	if err != nil {
		return TokenPair{}, err
	}
	p := &tokenPair{
		accessKey:  accessKey,
		refreshKey: refreshKey,
		grant: Grant{
			UserID:    userID,
			ClientID:  client.ID,
			Scopes:    scopes,
			ExpiresAt: now.Add(s.accessTTL),
		},
		issuedAt:   now,
		refreshExp: now.Add(s.refreshTTL),
		family:     family,
	}
	p.elem = s.pairsQ.PushBack(p)
	s.access[accessKey] = p
	s.refresh[refreshKey] = p
	s.families[family] = p
	return TokenPair{
		AccessToken:      access,
		RefreshToken:     refresh,
		IssuedAt:         now,
		AccessExpiresAt:  p.grant.ExpiresAt,
		RefreshExpiresAt: p.refreshExp,
		Scopes:           scopes,
		ScopeNames:       client.names(scopes),
		UserID:           userID,
		ClientID:         client.ID,
	}, nil
}

// prunePairsLocked drops, from the oldest end, pairs whose refresh token expired more than
// expiredRetention ago, then the oldest pairs until one more fits under MaxTokens. Pairs are
// queued in issue order, which is also expiry order unless the clock was moved back, so the
// first pair still in date ends the first pass.
func (s *Server) prunePairsLocked(now time.Time) {
	for e := s.pairsQ.Front(); e != nil; e = s.pairsQ.Front() {
		p := e.Value.(*tokenPair)
		if now.Before(p.refreshExp.Add(expiredRetention)) && s.pairsQ.Len() < s.maxTokens {
			return
		}
		s.removePairLocked(p)
	}
}

// removePairLocked forgets a pair; removing one twice is harmless.
func (s *Server) removePairLocked(p *tokenPair) {
	if p.elem == nil {
		return
	}
	delete(s.access, p.accessKey)
	delete(s.refresh, p.refreshKey)
	if s.families[p.family] == p {
		delete(s.families, p.family)
	}
	s.pairsQ.Remove(p.elem)
	p.elem = nil
}

// Revoke answers POST /oauth/revoke. If token is a stored access or refresh token, the whole
// pair is revoked, even when the access token itself has expired (a client logging out with a
// stale access token means to end the grant). Anything else is ignored: the endpoint answers
// 200 whatever happens (RFC 7009 §2.2), so Revoke has no error.
func (s *Server) Revoke(token string) {
	key, ok := digestOf(token)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.access[key]
	if p == nil {
		p = s.refresh[key]
	}
	if p != nil {
		s.removePairLocked(p)
	}
}
