// Package restreamtest starts a complete fake Restream inside a Go test, the way net/http/httptest
// starts an HTTP server: the REST API, OAuth 2.0, both WebSocket feeds and the control API of
// restream-mock, on free loopback ports, stopped when the test ends.
//
//	func TestDashboard(t *testing.T) {
//		rs := restreamtest.NewServer(t)
//		app := myapp.New(myapp.Config{APIBase: rs.URL, ChatSocket: rs.ChatURL, OAuth: rs.OAuth2})
//		...
//	}
//
// The server starts from the same fixtures as restream-mock (three users, their channels, events,
// keys and files), hands out a ready access token per user, and offers typed helpers over the
// control API: reset, load a state snapshot, start and stop streams, send chat events and replies,
// inject faults, move the clock and read the request journal. Every helper goes over HTTP to the
// control API, exactly as a test in another language would.
package restreamtest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/restreamkit/restreamkit/api/gen/controlapi"
	"github.com/restreamkit/restreamkit/internal/fixtures"
	"github.com/restreamkit/restreamkit/internal/mock"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// The dev OAuth client every server registers (examples/mock/oauth.json), and the redirect URI
// OAuth2 uses.
const (
	DevClientID     = "restreamkit-dev"
	DevClientSecret = "restreamkit-dev-secret"
	DevRedirectURI  = "http://localhost:3000/callback"
)

// User is a fixture user who can sign in.
type User struct {
	ID       int64
	Username string
	Email    string
}

// Server is a running fake Restream.
type Server struct {
	// URL is the base of the REST API (/v2/...), OAuth (/login, /oauth/...) and the control API
	// (/__mock/...), such as http://127.0.0.1:41234. The feeds are also served here, at
	// /streaming/ws and /chat/ws.
	URL string
	// StreamingURL and ChatURL are the WebSocket feeds on listeners of their own, in the shape of
	// Restream's: ws://127.0.0.1:41235/ws. Add ?accessToken=... (or use StreamingSocket).
	StreamingURL, ChatURL string
	// OAuth2 is the dev client's configuration, with endpoints pointing at this server.
	OAuth2 *oauth2.Config
	// DefaultUser is the user the consent page and auto-approve sign in by default.
	DefaultUser int64

	mock     *mock.Server
	servers  []*httptest.Server
	control  *controlapi.ClientWithResponses
	users    []User
	tokens   map[int64]string
	closeErr error
	once     sync.Once
}

// config is what the options set.
type config struct {
	opts       mock.Options
	fixtureErr error
	strict     func(error)
}

// Option changes how a server starts.
type Option func(*config)

// WithFixtures seeds the server from fsys, laid out like the repository's examples/ directory
// (operations/*.json, mock/oauth.json, optionally mock/chat.json), instead of the built-in fixtures.
func WithFixtures(fsys fs.FS) Option { return func(c *config) { c.opts.Fixtures = fsys } }

// WithFixturesDir is WithFixtures for a directory on disk.
func WithFixturesDir(dir string) Option {
	return func(c *config) {
		fsys, err := fixtures.Dir(dir)
		c.opts.Fixtures, c.fixtureErr = fsys, err
	}
}

// WithHeartbeat sets the chat feed's heartbeat interval (Restream's is 45 s); tests use milliseconds.
func WithHeartbeat(d time.Duration) Option { return func(c *config) { c.opts.ChatHeartbeat = d } }

// WithStreamInterval sets how often a started stream reports (2 s by default).
func WithStreamInterval(d time.Duration) Option { return func(c *config) { c.opts.StreamInterval = d } }

// WithChatScriptSpacing sets the pause between the messages of a chat script.
func WithChatScriptSpacing(d time.Duration) Option {
	return func(c *config) { c.opts.ChatScriptSpacing = d }
}

// WithAutoApprove makes the authorization dialog approve at once for the default user, as a
// browser-less CI would need; SignIn works either way.
func WithAutoApprove(on bool) Option { return func(c *config) { c.opts.AutoApprove = on } }

// WithLogger sends the server's logs to l (they are discarded by default).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.opts.Logger = l } }

// NewServer starts a server for the test and stops it, closing every socket, when the test ends.
// It fails the test if the server cannot start. Every response the server sends is checked
// against the Restream spec; a non-conforming one (a bug in the fake) fails the test.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	opts = append(opts, func(c *config) {
		c.strict = func(err error) { t.Errorf("restreamtest: %v", err) }
	})
	s, err := Start(opts...)
	if err != nil {
		t.Fatalf("restreamtest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("restreamtest: %v", err)
		}
	})
	return s
}

// Start starts a server outside a test (in TestMain, or an example); call Close when done.
func Start(opts ...Option) (*Server, error) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	if c.fixtureErr != nil {
		return nil, c.fixtureErr
	}
	if c.strict != nil {
		report := c.strict
		c.opts.OnResponseViolation = func(op string, status int, vs []validate.Violation) {
			report(fmt.Errorf("the fake answered %s with a %d that breaks the Restream spec: %v", op, status, vs))
		}
	}
	m, err := mock.New(c.opts)
	if err != nil {
		return nil, err
	}
	s := &Server{mock: m, tokens: map[int64]string{}}
	main := httptest.NewServer(m.Handler())
	s.servers = append(s.servers, main)
	s.URL = main.URL
	for _, feed := range []struct {
		h   http.Handler
		dst *string
	}{{m.StreamingHandler(), &s.StreamingURL}, {m.ChatHandler(), &s.ChatURL}} {
		mux := http.NewServeMux()
		mux.Handle("/ws", feed.h)
		ts := httptest.NewServer(mux)
		s.servers = append(s.servers, ts)
		*feed.dst = "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws"
	}
	s.OAuth2 = &oauth2.Config{ClientID: DevClientID, ClientSecret: DevClientSecret, RedirectURL: DevRedirectURI,
		Endpoint: oauth2.Endpoint{AuthURL: s.URL + "/login", TokenURL: s.URL + "/oauth/token"}}
	if s.control, err = controlapi.NewClientWithResponses(s.URL); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.loadUsers(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// loadUsers reads the fixture users and mints a ready token for each.
func (s *Server) loadUsers() error {
	res, err := s.control.ListMockUsersWithResponse(context.Background())
	if err := check(res, err); err != nil {
		return err
	}
	s.DefaultUser = res.JSON200.DefaultUser
	s.users = nil
	for _, u := range res.JSON200.Users {
		s.users = append(s.users, User{ID: u.Id, Username: u.Username, Email: u.Email})
		tok, err := s.NewToken(u.Id)
		if err != nil {
			return err
		}
		s.tokens[u.Id] = tok
	}
	return nil
}

// Close shuts the server down: simulated streams end, chat clients are told their connections
// close for shutdown, every socket gets a close frame, and every listener stops.
func (s *Server) Close() error {
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.closeErr = s.mock.Shutdown(ctx)
		for _, ts := range s.servers {
			ts.Close()
		}
		s.control = nil
	})
	return s.closeErr
}

// Users returns the fixture users, in fixture order.
func (s *Server) Users() []User { return append([]User(nil), s.users...) }

// Token returns the ready access token of a fixture user, minted at start with every scope of the
// dev client. It stays valid until the mock clock moves an hour on or it is revoked; NewToken
// mints another. It returns "" for an unknown user.
func (s *Server) Token(userID int64) string { return s.tokens[userID] }

// NewToken mints an access token for a user through the dev client, with the given scopes (any
// spelling Restream uses) or, without any, all the client's scopes.
func (s *Server) NewToken(userID int64, scopes ...string) (string, error) {
	body := controlapi.IssueTokenJSONRequestBody{UserId: userID}
	if len(scopes) > 0 {
		body.Scopes = &scopes
	}
	res, err := s.control.IssueTokenWithResponse(context.Background(), body)
	if err := check(res, err); err != nil {
		return "", err
	}
	return res.JSON201.AccessToken, nil
}

// Client returns an HTTP client that sends token as a bearer token on every request.
func (s *Server) Client(token string) *http.Client {
	return oauth2.NewClient(context.Background(), oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token, TokenType: "Bearer"}))
}

// StreamingSocket returns the streaming feed's URL with the token, ready to dial.
func (s *Server) StreamingSocket(token string) string {
	return s.StreamingURL + "?accessToken=" + token
}

// ChatSocket returns the chat feed's URL with the token, ready to dial.
func (s *Server) ChatSocket(token string) string { return s.ChatURL + "?accessToken=" + token }

// responder is what every generated response has.
type responder interface{ StatusCode() int }

// check turns a control API answer that is not a success into an error that carries its body.
// Every generated response is a pointer to a struct with a Body []byte field.
func check(res responder, err error) error {
	if err != nil {
		return err
	}
	if code := res.StatusCode(); code < 200 || code > 299 {
		body := ""
		if v := reflect.ValueOf(res); v.Kind() == reflect.Pointer && !v.IsNil() {
			if f := v.Elem().FieldByName("Body"); f.IsValid() && f.Kind() == reflect.Slice {
				body = string(f.Bytes())
			}
		}
		return &ControlError{Status: code, Body: body}
	}
	return nil
}

// ControlError is a refusal of the control API, such as an unknown user or a stream that is
// already live.
type ControlError struct {
	Status int
	Body   string // the error envelope
}

func (e *ControlError) Error() string {
	return fmt.Sprintf("control API answered %d %s", e.Status, e.Body)
}

// IsControlError reports whether err is a ControlError with the given status.
func IsControlError(err error, status int) bool {
	var ce *ControlError
	return errors.As(err, &ce) && ce.Status == status
}
