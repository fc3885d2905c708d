package oauth

import (
	"container/list"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/restreamkit/restreamkit/internal/clock"
)

// Client is an application registered with the server, as examples/mock/oauth.json lists it.
// Its Secret is a credential: never log it.
type Client struct {
	ID           string   `json:"clientId"`
	Secret       string   `json:"clientSecret"`
	Name         string   `json:"name"`
	RedirectURIs []string `json:"redirectUris"`
	// Scopes are the permissions the application was registered with, in any spelling
	// ParseScope accepts. Grants are reported back in these spellings.
	Scopes []string `json:"scopes"`
}

// Account is someone who can sign in on the consent page: a fixture user of the mock.
type Account struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	Email    string `json:"email"`
}

// Defaults of Options. The lifetimes are Restream's documented ones; the code lifetime is not
// documented, so it is RFC 6749 §4.1.2's recommended maximum.
const (
	DefaultAccessTTL     = time.Hour
	DefaultRefreshTTL    = 365 * 24 * time.Hour
	DefaultCodeTTL       = 10 * time.Minute
	DefaultConsentAction = "/__mock/consent"
	DefaultMaxTokens     = 10000
)

// Bounds on state that only the browser flow creates. They are fixed because only a runaway
// client reaches them; limits.go adds up what they cost.
const (
	maxPending = 10000 // consent requests waiting for an answer (and maxPendingStateBytes of states)
	maxCodes   = 10000 // authorization codes, kept until CodeTTL after expiry to spot reuse
	// expiredRetention is how long an expired token pair is kept so that its tokens are
	// reported as "has expired" rather than "is invalid". MaxTokens bounds it anyway.
	expiredRetention = 24 * time.Hour
)

// Options configure a Server. Clock is required; every other field has a default.
type Options struct {
	// Clock is the one source of time; every expiry is decided by Clock.Now.
	Clock *clock.Clock
	// Clients are the registered applications, at most MaxClients. Ids must be unique, secrets
	// non-empty, redirect URIs absolute without fragment, and scopes known (see PutClient for
	// the bounds). PutClient, DeleteClient and SetClients change them later.
	Clients []Client
	// Accounts are the users who can sign in on the consent page. Ids must be non-zero and
	// unique.
	Accounts []Account
	// DefaultAccount is pre-selected on the consent page and used by auto-approval;
	// 0 means the first account.
	DefaultAccount int64
	// AutoApprove makes the mock's /login answer at once, approving as the default account,
	// instead of showing the consent page. It can be changed later with SetAutoApprove.
	AutoApprove bool
	// AccessTTL is the access token lifetime (default 1h).
	AccessTTL time.Duration
	// RefreshTTL is the refresh token lifetime (default one year).
	RefreshTTL time.Duration
	// CodeTTL is the lifetime of an authorization code and of a pending consent request
	// (default 10 minutes).
	CodeTTL time.Duration
	// ConsentAction is the form action of the consent page (default "/__mock/consent").
	ConsentAction string
	// Rand is the source of tokens, codes and request ids (default crypto/rand). Tests may
	// pass a deterministic reader; it is only read with the server's lock held.
	Rand io.Reader
	// MaxTokens bounds how many token pairs are kept (default 10000), and how many rotated
	// refresh tokens are remembered to spot their reuse. When a new pair would exceed it, the
	// oldest pairs are dropped, and their tokens stop working (see limits.go for the bytes).
	MaxTokens int
}

// Server is the OAuth authorization server. Build it with New; all methods are safe for
// concurrent use.
type Server struct {
	clock         *clock.Clock
	rand          io.Reader
	accessTTL     time.Duration
	refreshTTL    time.Duration
	codeTTL       time.Duration
	consentAction string
	maxTokens     int

	autoApprove atomic.Bool

	mu sync.RWMutex
	// clients are the registered applications. A record is never changed: replacing a client
	// stores a new record, so a handler holding the old one can tell (s.clients[id] != rec).
	clients        map[string]*clientRecord
	clientOrder    []string // registration order, for Clients
	accounts       []Account
	defaultAccount int64 // always an id in accounts, or 0 when there are none

	pending           map[digest]*pendingConsent
	pendingQ          list.List // of *pendingConsent, oldest first
	pendingStateBytes int       // the length of every pending state, at most maxPendingStateBytes

	codes  map[digest]*authCode
	codesQ list.List // of *authCode, oldest first

	access     map[digest]*tokenPair
	refresh    map[digest]*tokenPair
	pairsQ     list.List // of *tokenPair, oldest first
	families   map[uint64]*tokenPair
	nextFamily uint64

	// retired remembers refresh tokens that a rotation replaced, so that a second use is
	// recognised and revokes the family (RFC 9700 §4.14.2). Bounded like the pairs.
	retired  map[digest]*retiredRefresh
	retiredQ list.List // of *retiredRefresh, oldest first
}

// clientRecord is a validated Client with its scopes parsed and the client's own spelling of
// each scope kept for reporting grants back.
type clientRecord struct {
	Client
	scopes   ScopeSet
	spelling [maxScope + 1]string
	secret   digest // SHA-256 of Secret, compared in constant time whatever the input length
}

// names spells the scopes of set as the client registered them; scopes it did not register
// (possible only through Issue) get the canonical name.
func (c *clientRecord) names(set ScopeSet) []string {
	out := make([]string, 0, set.Len())
	for _, s := range set.List() {
		if n := c.spelling[s]; n != "" {
			out = append(out, n)
		} else {
			out = append(out, s.String())
		}
	}
	return out
}

// New validates opts and returns a server with no tokens.
func New(opts Options) (*Server, error) {
	if opts.Clock == nil {
		return nil, errors.New("oauth: Options.Clock is required")
	}
	s := &Server{
		clock:         opts.Clock,
		rand:          opts.Rand,
		accessTTL:     opts.AccessTTL,
		refreshTTL:    opts.RefreshTTL,
		codeTTL:       opts.CodeTTL,
		consentAction: opts.ConsentAction,
		maxTokens:     opts.MaxTokens,
		clients:       make(map[string]*clientRecord, len(opts.Clients)),
		pending:       make(map[digest]*pendingConsent),
		codes:         make(map[digest]*authCode),
		access:        make(map[digest]*tokenPair),
		refresh:       make(map[digest]*tokenPair),
		families:      make(map[uint64]*tokenPair),
		retired:       make(map[digest]*retiredRefresh),
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"AccessTTL", &s.accessTTL, DefaultAccessTTL},
		{"RefreshTTL", &s.refreshTTL, DefaultRefreshTTL},
		{"CodeTTL", &s.codeTTL, DefaultCodeTTL},
	} {
		switch {
		case *d.v < 0:
			return nil, fmt.Errorf("oauth: Options.%s is negative (%v)", d.name, *d.v)
		case *d.v == 0:
			*d.v = d.def
		}
	}
	if s.consentAction == "" {
		s.consentAction = DefaultConsentAction
	}
	switch {
	case s.maxTokens < 0:
		return nil, fmt.Errorf("oauth: Options.MaxTokens is negative (%d)", s.maxTokens)
	case s.maxTokens == 0:
		s.maxTokens = DefaultMaxTokens
	}
	recs, err := newClientRecords(opts.Clients)
	if err != nil {
		return nil, err
	}
	for _, rec := range recs {
		s.clients[rec.ID] = rec
		s.clientOrder = append(s.clientOrder, rec.ID)
	}
	accounts, def, err := checkAccounts(opts.Accounts, opts.DefaultAccount)
	if err != nil {
		return nil, err
	}
	s.accounts, s.defaultAccount = accounts, def
	s.autoApprove.Store(opts.AutoApprove)
	return s, nil
}

// newClientRecords validates a whole list of clients: at most MaxClients, unique ids.
func newClientRecords(clients []Client) ([]*clientRecord, error) {
	if len(clients) > MaxClients {
		return nil, fmt.Errorf("oauth: %d clients: at most %d can be registered", len(clients), MaxClients)
	}
	recs := make([]*clientRecord, 0, len(clients))
	seen := make(map[string]bool, len(clients))
	for i, c := range clients {
		rec, err := newClientRecord(c)
		if err != nil {
			return nil, fmt.Errorf("oauth: client %d: %w", i, err)
		}
		if seen[c.ID] {
			return nil, fmt.Errorf("oauth: client %d: client id %q is registered twice", i, c.ID)
		}
		seen[c.ID] = true
		recs = append(recs, rec)
	}
	return recs, nil
}

// CheckClient reports what is wrong with a client registration, naming the JSON field at fault
// as examples/mock/oauth.json and the control API spell it; nil when the mock would accept it.
func CheckClient(c Client) error {
	_, err := newClientRecord(c)
	return err
}

// newClientRecord validates one client. Its errors name the JSON field at fault, as
// examples/mock/oauth.json and the control API spell it, so they can be shown as they are.
func newClientRecord(c Client) (*clientRecord, error) {
	if c.ID == "" {
		return nil, errors.New("clientId is empty")
	}
	if len(c.ID) > MaxClientIDLen {
		return nil, fmt.Errorf("clientId %.40q... is longer than %d bytes", c.ID, MaxClientIDLen)
	}
	if c.Secret == "" || len(c.Secret) > MaxClientIDLen {
		// The secret itself is never put in an error message.
		return nil, fmt.Errorf("client %q has an empty clientSecret or one longer than %d bytes", c.ID, MaxClientIDLen)
	}
	if len(c.Name) > MaxClientNameLen {
		return nil, fmt.Errorf("client %q: name is longer than %d bytes", c.ID, MaxClientNameLen)
	}
	if len(c.RedirectURIs) == 0 {
		return nil, fmt.Errorf("client %q has no redirectUris", c.ID)
	}
	if len(c.RedirectURIs) > MaxRedirectURIs {
		return nil, fmt.Errorf("client %q has %d redirectUris: at most %d", c.ID, len(c.RedirectURIs), MaxRedirectURIs)
	}
	for i, raw := range c.RedirectURIs {
		if len(raw) > MaxRedirectURILen {
			return nil, fmt.Errorf("client %q: redirectUris[%d] %.40q... is longer than %d bytes", c.ID, i, raw, MaxRedirectURILen)
		}
		u, err := url.Parse(raw)
		switch {
		case err != nil:
			return nil, fmt.Errorf("client %q: redirectUris[%d] %q: %w", c.ID, i, raw, err)
		case !u.IsAbs() || u.Host == "":
			return nil, fmt.Errorf("client %q: redirectUris[%d] %q is not absolute", c.ID, i, raw)
		case strings.Contains(raw, "#"):
			// RFC 6749 §3.1.2: the redirection endpoint MUST NOT include a fragment.
			return nil, fmt.Errorf("client %q: redirectUris[%d] %q has a fragment", c.ID, i, raw)
		}
	}
	if len(c.Scopes) == 0 {
		return nil, fmt.Errorf("client %q has no scopes", c.ID)
	}
	if len(c.Scopes) > maxClientScopes {
		return nil, fmt.Errorf("client %q has %d scopes: at most %d", c.ID, len(c.Scopes), maxClientScopes)
	}
	rec := &clientRecord{Client: cloneClient(c), secret: sha256.Sum256([]byte(c.Secret))}
	for i, name := range c.Scopes {
		sc, ok := ParseScope(name)
		if !ok {
			return nil, fmt.Errorf("client %q: scopes[%d] %.40q is not a known scope", c.ID, i, name)
		}
		if prev := rec.spelling[sc]; prev != "" {
			return nil, fmt.Errorf("client %q: scopes[%d] registers scope %s twice (as %q and %q)", c.ID, i, sc, prev, name)
		}
		rec.spelling[sc] = name
		rec.scopes = rec.scopes.With(sc)
	}
	return rec, nil
}

func cloneClient(c Client) Client {
	c.RedirectURIs = slices.Clone(c.RedirectURIs)
	c.Scopes = slices.Clone(c.Scopes)
	return c
}

// checkAccounts validates a list of accounts and resolves the default id (0 → first).
func checkAccounts(accounts []Account, defaultID int64) ([]Account, int64, error) {
	seen := make(map[int64]bool, len(accounts))
	for i, a := range accounts {
		if a.ID == 0 {
			return nil, 0, fmt.Errorf("oauth: account %d has id 0", i)
		}
		if seen[a.ID] {
			return nil, 0, fmt.Errorf("oauth: account id %d is listed twice", a.ID)
		}
		seen[a.ID] = true
	}
	switch {
	case defaultID == 0 && len(accounts) > 0:
		defaultID = accounts[0].ID
	case defaultID != 0 && !seen[defaultID]:
		return nil, 0, fmt.Errorf("oauth: default account %d is not among the accounts", defaultID)
	}
	return slices.Clone(accounts), defaultID, nil
}

// AutoApprove reports whether the authorize dialog answers at once instead of showing the
// consent page. When it does, the mock's /login handler calls Authorize and then Decide with
// the returned Consent's RequestID and DefaultAccount and Approve set, and redirects (302).
func (s *Server) AutoApprove() bool { return s.autoApprove.Load() }

// SetAutoApprove turns auto-approval on or off.
func (s *Server) SetAutoApprove(on bool) { s.autoApprove.Store(on) }

// SetAccounts replaces the accounts that can sign in, for instance after a state import.
// defaultID 0 means the first account. Token pairs and codes of users no longer listed are
// revoked, so a dropped user's tokens stop working at once.
func (s *Server) SetAccounts(accounts []Account, defaultID int64) error {
	list, def, err := checkAccounts(accounts, defaultID)
	if err != nil {
		return err
	}
	keep := make(map[int64]bool, len(list))
	for _, a := range list {
		keep[a.ID] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accounts, s.defaultAccount = list, def
	s.revokeWhereLocked(func(userID int64) bool { return !keep[userID] })
	return nil
}

// Accounts returns a copy of the accounts and the default account id.
func (s *Server) Accounts() ([]Account, int64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.accounts), s.defaultAccount
}

// accountLocked finds an account by id. The caller holds s.mu.
func (s *Server) accountLocked(id int64) (Account, bool) {
	for _, a := range s.accounts {
		if a.ID == id {
			return a, true
		}
	}
	return Account{}, false
}

// Clients returns copies of the registered clients in registration order. They include the
// secrets: callers must not log them.
func (s *Server) Clients() []Client {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Client, 0, len(s.clientOrder))
	for _, id := range s.clientOrder {
		out = append(out, cloneClient(s.clients[id].Client))
	}
	return out
}

// Client returns a copy of the client with the given id.
func (s *Server) Client(id string) (Client, bool) {
	rec, ok := s.client(id)
	if !ok {
		return Client{}, false
	}
	return cloneClient(rec.Client), true
}

// client returns the current record of a client.
func (s *Server) client(id string) (*clientRecord, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	rec, ok := s.clients[id]
	return rec, ok
}

// ErrTooManyClients is PutClient's refusal of a new client when MaxClients are registered.
var ErrTooManyClients = fmt.Errorf("%d clients are registered already, the limit: delete some first", MaxClients)

// PutClient registers a client, or replaces the one with the same id; created says which.
// The client is checked as New checks Options.Clients, and a server holds at most MaxClients:
// a refused client changes nothing.
//
// Replacing a client with a different registration is deleting it and registering it anew: its
// tokens, codes and pending consent requests stop working, as when an app's credentials or
// permissions change at the provider and its users sign in again. Registering a client exactly
// as it is changes nothing, so a test set-up can register its client every time.
func (s *Server) PutClient(c Client) (created bool, err error) {
	rec, err := newClientRecord(c)
	if err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, exists := s.clients[c.ID]
	switch {
	case !exists && len(s.clients) >= MaxClients:
		return false, ErrTooManyClients
	case !exists:
		s.clientOrder = append(s.clientOrder, c.ID)
	case sameClient(old.Client, c):
		return false, nil
	default:
		s.revokeClientLocked(c.ID)
	}
	s.clients[c.ID] = rec
	return !exists, nil
}

// DeleteClient removes a client; ok is false when there is none with that id. Like an app deleted
// at the provider, its tokens, codes and pending consent requests stop working at once.
func (s *Server) DeleteClient(id string) (ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.clients[id]; !ok {
		return false
	}
	s.revokeClientLocked(id)
	delete(s.clients, id)
	s.clientOrder = slices.DeleteFunc(s.clientOrder, func(o string) bool { return o == id })
	return true
}

// SetClients replaces every client at once, for a reset to the start-up clients. Clients
// registered exactly as before keep their tokens; the others, and those no longer listed, lose
// them, as PutClient and DeleteClient would do. A refused list changes nothing.
func (s *Server) SetClients(clients []Client) error {
	recs, err := newClientRecords(clients)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	next := make(map[string]*clientRecord, len(recs))
	order := make([]string, 0, len(recs))
	for _, rec := range recs {
		if old, ok := s.clients[rec.ID]; ok && sameClient(old.Client, rec.Client) {
			rec = old
		}
		next[rec.ID] = rec
		order = append(order, rec.ID)
	}
	for id, old := range s.clients {
		if next[id] != old {
			s.revokeClientLocked(id)
		}
	}
	s.clients, s.clientOrder = next, order
	return nil
}

// sameClient reports whether two registrations are identical, secret included.
func sameClient(a, b Client) bool {
	return a.ID == b.ID && secretsEqual(a.Secret, b.Secret) && a.Name == b.Name &&
		slices.Equal(a.RedirectURIs, b.RedirectURIs) && slices.Equal(a.Scopes, b.Scopes)
}

// revokeClientLocked forgets every token pair, code and pending consent request of a client.
func (s *Server) revokeClientLocked(id string) {
	for e := s.pairsQ.Front(); e != nil; {
		next := e.Next()
		if p := e.Value.(*tokenPair); p.grant.ClientID == id {
			s.removePairLocked(p)
		}
		e = next
	}
	for e := s.codesQ.Front(); e != nil; {
		next := e.Next()
		if c := e.Value.(*authCode); c.clientID == id {
			s.removeCodeLocked(c)
		}
		e = next
	}
	for e := s.pendingQ.Front(); e != nil; {
		next := e.Next()
		if p := e.Value.(*pendingConsent); p.client.ID == id {
			s.removePendingLocked(p)
		}
		e = next
	}
}

// Stats counts what the server holds, for the control API and for tests of the bounds.
type Stats struct {
	Pending int // consent requests waiting for an answer
	Codes   int // authorization codes kept, used or not
	Pairs   int // token pairs kept, expired or not
	Retired int // rotated refresh tokens remembered to spot their reuse
}

// Stats returns the current counts.
func (s *Server) Stats() Stats {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return Stats{Pending: len(s.pending), Codes: len(s.codes), Pairs: len(s.access), Retired: len(s.retired)}
}

// RevokeAll forgets every token pair, authorization code and pending consent request.
func (s *Server) RevokeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.pending)
	s.pendingQ.Init()
	s.pendingStateBytes = 0
	clear(s.codes)
	s.codesQ.Init()
	clear(s.access)
	clear(s.refresh)
	clear(s.families)
	s.pairsQ.Init()
	clear(s.retired)
	s.retiredQ.Init()
}

// ExpireUser ends the access tokens of one user now, on the mock clock, as if their lifetime had
// run out; their refresh tokens stay valid. It returns how many were still valid.
func (s *Server) ExpireUser(userID int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	n := 0
	for e := s.pairsQ.Front(); e != nil; e = e.Next() {
		if p := e.Value.(*tokenPair); p.grant.UserID == userID && now.Before(p.grant.ExpiresAt) {
			p.grant.ExpiresAt = now
			n++
		}
	}
	return n
}

// RevokeUser revokes every token pair and authorization code of one user.
func (s *Server) RevokeUser(userID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revokeWhereLocked(func(id int64) bool { return id == userID })
}

// revokeWhereLocked removes the pairs and codes of users for which match is true.
func (s *Server) revokeWhereLocked(match func(userID int64) bool) {
	for e := s.pairsQ.Front(); e != nil; {
		next := e.Next()
		if p := e.Value.(*tokenPair); match(p.grant.UserID) {
			s.removePairLocked(p)
		}
		e = next
	}
	for e := s.codesQ.Front(); e != nil; {
		next := e.Next()
		if c := e.Value.(*authCode); match(c.userID) {
			s.removeCodeLocked(c)
		}
		e = next
	}
}

// digest is the SHA-256 of a token, code or request id: the only form in which they are
// used as map keys, so that the raw secrets are not kept.
type digest [sha256.Size]byte

// maxSecretLen bounds the tokens digestOf hashes from a stack buffer. Everything the server
// mints is 40 characters; anything longer than this cannot be one of them.
const maxSecretLen = 128

// digestOf hashes s without allocating: it copies s to a stack buffer, because converting a
// 40-byte string to []byte would otherwise allocate on every authenticated request.
// ok is false when s is too long to be a secret of this server.
func digestOf(s string) (d digest, ok bool) {
	if len(s) > maxSecretLen {
		return d, false
	}
	var buf [maxSecretLen]byte
	n := copy(buf[:], s)
	return sha256.Sum256(buf[:n]), true
}

// secretBytes is the entropy of a token, code or request id: 160 bits, 40 hex characters,
// the shape of Restream's tokens.
const secretBytes = 20

// newSecretLocked returns a fresh random secret and its digest, retrying if the digest is
// already used (only a broken or deterministic Rand can repeat). The caller holds s.mu.
func (s *Server) newSecretLocked(used func(digest) bool) (string, digest, error) {
	var raw [secretBytes]byte
	for range 8 {
		if _, err := io.ReadFull(s.rand, raw[:]); err != nil {
			return "", digest{}, internalError("Internal error: the random source failed")
		}
		tok := hex.EncodeToString(raw[:])
		d, _ := digestOf(tok)
		if !used(d) {
			return tok, d, nil
		}
	}
	return "", digest{}, internalError("Internal error: the random source repeats itself")
}
