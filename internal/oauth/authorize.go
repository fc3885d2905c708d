package oauth

import (
	"container/list"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/restreamkit/restreamkit/internal/apierror"
)

// AuthorizeRequest is the query of GET /login.
type AuthorizeRequest struct {
	ResponseType string // must be "code"
	ClientID     string
	RedirectURI  string // must match a registered redirect URI (see matchRedirect)
	State        string // opaque; echoed back on approval
	Scope        string // optional; narrows the client's registered scopes
}

// Permission is one granted scope as the consent page lists it.
type Permission struct {
	Scope       Scope
	Name        string // in the client's spelling, as the redirect and token responses report it
	Description string // human sentence for the page
}

// Consent is a validated authorize request waiting for the user's answer: everything the
// consent page shows. The page posts RequestID back; Decide takes it.
type Consent struct {
	// RequestID names the pending request. It is single-use and expires at ExpiresAt; it is
	// unguessable, which also makes it the page's anti-forgery token.
	RequestID   string
	ClientID    string
	ClientName  string
	RedirectURI string
	Scopes      ScopeSet
	Permissions []Permission // Scopes in canonical order, with client spelling and description
	Accounts    []Account    // who may sign in; a copy
	// DefaultAccount is pre-selected on the page and used by auto-approval. It is 0 when the
	// server has no accounts, in which case the request cannot be approved.
	DefaultAccount int64
	State          string
	ExpiresAt      time.Time
}

// pendingConsent is the server's record of a Consent.
type pendingConsent struct {
	key      digest
	client   *clientRecord
	redirect redirect
	scopes   ScopeSet
	state    string
	expires  time.Time
	elem     *list.Element
}

// authCode is an issued authorization code. Used codes are kept until they have been expired
// for a CodeTTL, so that a second use is recognised and revokes what the first produced.
type authCode struct {
	key      digest
	clientID string
	redirect redirect
	userID   int64
	scopes   ScopeSet
	expires  time.Time
	used     bool
	family   uint64 // the token family the code produced, once used
	elem     *list.Element
}

// Authorize validates the query of GET /login and records it as a pending consent request.
// It never redirects on error: an unknown client or a redirect URI that is not registered
// must not send the browser anywhere (RFC 6749 §4.1.2.1), and the mock shows other errors
// the same way.
func (s *Server) Authorize(r AuthorizeRequest) (*Consent, error) {
	for _, p := range [...]struct{ name, value string }{
		{"response_type", r.ResponseType}, {"client_id", r.ClientID}, {"redirect_uri", r.RedirectURI},
		{"state", r.State}, {"scope", r.Scope},
	} {
		if err := checkLength(p.name, p.value); err != nil {
			return nil, err
		}
	}
	switch r.ResponseType {
	case "code":
	case "":
		return nil, missingParam("response_type")
	default:
		return nil, apierror.New(http.StatusBadRequest, NameUnsupportedResponseType,
			"Unsupported response type: `response_type` is not supported")
	}
	if r.ClientID == "" {
		return nil, missingParam("client_id")
	}
	client, ok := s.client(r.ClientID)
	if !ok {
		return nil, apierror.New(http.StatusBadRequest, apierror.NameInvalidClient, MsgClientInvalid)
	}
	if r.RedirectURI == "" {
		return nil, missingParam("redirect_uri")
	}
	redirect, ok := matchRedirect(client.RedirectURIs, r.RedirectURI)
	if !ok {
		return nil, invalidRequest(redirectMismatch(msgRedirectUnregistered, client))
	}
	scopes := client.scopes
	requested, err := ParseScopes(r.Scope)
	if err != nil {
		return nil, err
	}
	// Restream does not document a scope parameter; when one is sent it can only narrow the
	// registered set, and an empty list means "not sent".
	if !requested.Empty() {
		scopes = scopes.Intersect(requested)
		if scopes.Empty() {
			return nil, invalidScope("Invalid scope: none of the requested scopes is registered for the client")
		}
	}

	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.clients[client.ID] != client {
		// The client was deleted or replaced since it was looked up: its old registration
		// grants nothing any more.
		return nil, apierror.New(http.StatusBadRequest, apierror.NameInvalidClient, MsgClientInvalid)
	}
	s.prunePendingLocked(now, len(r.State))
	id, key, err := s.newSecretLocked(func(d digest) bool { return s.pending[d] != nil })
	if err != nil {
		return nil, err
	}
	p := &pendingConsent{
		key:      key,
		client:   client,
		redirect: redirect,
		scopes:   scopes,
		state:    strings.Clone(r.State), // not a slice of a larger request string
		expires:  now.Add(s.codeTTL),
	}
	p.elem = s.pendingQ.PushBack(p)
	s.pending[key] = p
	s.pendingStateBytes += len(p.state)

	names := client.names(scopes)
	perms := make([]Permission, 0, len(names))
	for i, sc := range scopes.List() {
		perms = append(perms, Permission{Scope: sc, Name: names[i], Description: sc.Description()})
	}
	name := client.Name
	if name == "" {
		name = client.ID
	}
	return &Consent{
		RequestID:      id,
		ClientID:       client.ID,
		ClientName:     name,
		RedirectURI:    redirect.String(),
		Scopes:         scopes,
		Permissions:    perms,
		Accounts:       slices.Clone(s.accounts),
		DefaultAccount: s.defaultAccount,
		State:          r.State,
		ExpiresAt:      p.expires,
	}, nil
}

// prunePendingLocked drops expired requests from the front of the queue, then the oldest ones
// until one more request, with a state of stateLen bytes, fits under both bounds: maxPending
// requests and maxPendingStateBytes of states.
func (s *Server) prunePendingLocked(now time.Time, stateLen int) {
	for e := s.pendingQ.Front(); e != nil; e = s.pendingQ.Front() {
		p := e.Value.(*pendingConsent)
		if now.Before(p.expires) && s.pendingQ.Len() < maxPending && s.pendingStateBytes+stateLen <= maxPendingStateBytes {
			return
		}
		s.removePendingLocked(p)
	}
}

func (s *Server) removePendingLocked(p *pendingConsent) {
	if p.elem == nil {
		return
	}
	delete(s.pending, p.key)
	s.pendingQ.Remove(p.elem)
	s.pendingStateBytes -= len(p.state)
	p.elem = nil
}

// Names of the consent form's fields and the values of its decision buttons. The page and
// ParseDecision use them, and so should the handler and its tests.
const (
	FieldRequest    = "request"
	FieldAccount    = "account"
	FieldDecision   = "decision"
	DecisionApprove = "approve"
	DecisionDeny    = "deny"
)

// Decision is the user's answer on the consent page.
type Decision struct {
	RequestID string
	AccountID int64 // who signs in; 0 means the default account
	Approve   bool
}

// ParseDecision reads the posted consent form. Each field may appear once; a missing account
// means the default account.
func ParseDecision(form url.Values) (Decision, error) {
	for _, f := range []string{FieldRequest, FieldAccount, FieldDecision} {
		if len(form[f]) > 1 {
			return Decision{}, invalidRequest("Invalid request: `" + f + "` is repeated")
		}
	}
	d := Decision{RequestID: form.Get(FieldRequest)}
	if d.RequestID == "" {
		return Decision{}, missingParam(FieldRequest)
	}
	switch form.Get(FieldDecision) {
	case DecisionApprove:
		d.Approve = true
	case DecisionDeny:
	case "":
		return Decision{}, missingParam(FieldDecision)
	default:
		return Decision{}, invalidRequest("Invalid request: `decision` must be approve or deny")
	}
	if a := form.Get(FieldAccount); a != "" {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil {
			return Decision{}, invalidRequest("Invalid request: `account` is invalid")
		}
		d.AccountID = id
	}
	return d, nil
}

// Decide answers a pending consent request and returns where the browser goes next (the
// handler answers 302 with it as Location).
//
// Approval issues an authorization code bound to the client, redirect URI, account and scopes
// and returns <redirect_uri>?code=…&scope=…&state=…, with the granted scopes comma-separated
// in the client's spelling and state left out when the request had none; a query the
// registered redirect URI already has is kept in front. Denial returns the redirect URI
// exactly as registered, with no query parameters added, as Restream documents.
//
// The request is single-use: once answered, or once expired, its id is invalid. An unknown
// account leaves the request pending so the page can be sent again.
func (s *Server) Decide(d Decision) (string, error) {
	now := s.clock.Now()
	key, ok := digestOf(d.RequestID)
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pending[key]
	if !ok || p == nil {
		return "", invalidRequest("Invalid request: consent request is invalid")
	}
	if !now.Before(p.expires) {
		s.removePendingLocked(p)
		return "", invalidRequest("Invalid request: consent request has expired")
	}
	if !d.Approve {
		s.removePendingLocked(p)
		return p.redirect.String(), nil
	}
	userID := d.AccountID
	if userID == 0 {
		userID = s.defaultAccount
	}
	if _, ok := s.accountLocked(userID); !ok {
		return "", invalidRequest("Invalid request: `account` is not a known account")
	}

	s.pruneCodesLocked(now)
	code, codeKey, err := s.newSecretLocked(func(d digest) bool { return s.codes[d] != nil })
	if err != nil {
		return "", err
	}
	c := &authCode{
		key:      codeKey,
		clientID: p.client.ID,
		redirect: p.redirect,
		userID:   userID,
		scopes:   p.scopes,
		expires:  now.Add(s.codeTTL),
	}
	c.elem = s.codesQ.PushBack(c)
	s.codes[codeKey] = c
	s.removePendingLocked(p)

	var q strings.Builder
	q.WriteString("code=")
	q.WriteString(code)
	q.WriteString("&scope=")
	for i, name := range p.client.names(p.scopes) {
		if i > 0 {
			q.WriteByte(',') // Restream documents a comma-separated list here
		}
		q.WriteString(url.QueryEscape(name))
	}
	if p.state != "" {
		q.WriteString("&state=")
		q.WriteString(url.QueryEscape(p.state))
	}
	return appendQuery(p.redirect.String(), q.String()), nil
}

// appendQuery adds an encoded query to a redirect URI, after any query it already has.
// Registered redirect URIs have no fragment (New checks), so plain string work is exact.
func appendQuery(uri, query string) string {
	switch {
	case strings.HasSuffix(uri, "?"):
		return uri + query
	case strings.Contains(uri, "?"):
		return uri + "&" + query
	default:
		return uri + "?" + query
	}
}

// pruneCodesLocked drops codes that expired more than a CodeTTL ago from the front of the
// queue, and the oldest beyond the bound, leaving room for one more.
func (s *Server) pruneCodesLocked(now time.Time) {
	for e := s.codesQ.Front(); e != nil; e = s.codesQ.Front() {
		c := e.Value.(*authCode)
		if now.Before(c.expires.Add(s.codeTTL)) && s.codesQ.Len() < maxCodes {
			return
		}
		s.removeCodeLocked(c)
	}
}

func (s *Server) removeCodeLocked(c *authCode) {
	if c.elem == nil {
		return
	}
	delete(s.codes, c.key)
	s.codesQ.Remove(c.elem)
	c.elem = nil
}

// HeaderLoginAs names the account auto-approval signs in, on GET /login: a user id. Without it
// auto-approval signs in the default account. It is the mock's own header (Restream has no
// auto-approval), honoured only when auto-approval is on, and grants nothing the consent page does
// not: there, too, any listed account can be picked without a password. restreamtest's SignIn
// sends it, so that signing in as a user means that user whether auto-approval is on or off.
const HeaderLoginAs = "Restreamkit-Login-As"

// LoginAs returns the account a HeaderLoginAs value names: 0 when the value is empty, and an
// invalid_request error when it is not the id of a listed account.
func (s *Server) LoginAs(value string) (int64, error) {
	if value == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(value, 10, 64)
	s.mu.RLock()
	_, ok := s.accountLocked(id)
	s.mu.RUnlock()
	if err != nil || !ok {
		return 0, invalidRequest("Invalid request: the " + HeaderLoginAs + " header is not the id of a known account")
	}
	return id, nil
}
