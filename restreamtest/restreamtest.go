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
// To configure the server first, as with httptest.NewUnstartedServer:
//
//	rs := restreamtest.NewUnstartedServer(t)
//	rs.Config.Heartbeat = 10 * time.Millisecond
//	rs.Config.AutoApprove = true
//	rs.Start()
//
// NewServer's options (WithHeartbeat, Lenient...) set the same Config fields.
//
// The server starts from the same fixtures as restream-mock (three users, their channels, events,
// keys and files), hands out a ready access token per user, and offers typed helpers over the
// control API: reset, load a state snapshot, start and stop streams, send chat events and replies,
// inject faults, move the clock and read the request journal. Every helper goes over HTTP to the
// control API, exactly as a test in another language would. Nova, TechTalks and QuietNewcomer
// name the fixture users, NovaTwitchChannel and the like their channels.
//
// The server is strict: a request of the app under test that breaks the Restream API's contract
// (an unknown path or method, parameters or a body the spec refuses, a token without the scope)
// fails the test when it ends, with the list of such requests; Violations returns it, and
// Config.Lenient (or the Lenient option) keeps the test passing for tests that send bad requests
// on purpose. Expired tokens, unknown ids and everything sent through the control helpers never
// count. The package's types are its own: regenerating the mock's code does not change them.
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

// Config is how a server starts. Set its fields on the Server that NewUnstartedServer returns,
// before Start; the zero value serves the built-in fixtures, in strict mode, at Restream's pace.
type Config struct {
	// Fixtures seeds the server from a tree laid out like the repository's examples/ directory
	// (operations/*.json, mock/oauth.json, mock/chat.json), laid over the built-in fixtures: it
	// may hold only some files, or only some users' examples of a file (see the README's
	// "Your own fixtures"). nil means the built-in fixtures. FixturesDir is the same for a
	// directory on disk; set one or the other.
	Fixtures    fs.FS
	FixturesDir string
	// FixturesOnly seeds from Fixtures or FixturesDir alone, without the built-in fixtures
	// under them: the tree must then hold every file the world needs.
	FixturesOnly bool
	// Heartbeat is the chat feed's heartbeat interval; 0 means Restream's 45 s. Tests use
	// milliseconds.
	Heartbeat time.Duration
	// StreamInterval is how often a started stream reports; 0 means 2 s.
	StreamInterval time.Duration
	// ChatScriptSpacing is the pause between the messages of a chat script; 0 means the default.
	ChatScriptSpacing time.Duration
	// Seed makes the stream and chat simulators repeatable, for snapshot tests: two servers
	// with the same Seed, given the same requests, send the same frames in the same order
	// (timestamps aside) and make the same event ids. 0 means a random seed. Reset does not
	// rewind the generators: start a server per snapshot.
	Seed uint64
	// AutoApprove makes the authorization dialog approve at once, without the consent page, as a
	// browser-less app under test needs: for the default user, or for the one SignIn names.
	AutoApprove bool
	// Logger receives the server's logs; nil discards them.
	Logger *slog.Logger
	// Lenient turns strict mode off: requests that break the Restream API's contract are refused
	// as always, and listed by Violations, but do not fail the test. Set it in a test that sends
	// bad requests on purpose.
	Lenient bool
}

// Server is a fake Restream, started by NewServer or Start, or built by NewUnstartedServer and
// started by its Start method.
type Server struct {
	// Config is how the server starts; changing it after Start has no effect.
	Config Config

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

	t        testing.TB // nil outside a test
	started  bool
	mock     *mock.Server
	servers  []*httptest.Server
	control  *controlapi.ClientWithResponses
	users    []User // the world's users: the first loaded of them, then those AddUser added
	loaded   int
	tokens   map[int64]string
	closeErr error
	once     sync.Once

	mu         sync.Mutex
	violations []Violation
	dropped    int // violations past maxViolations
}

// Option changes a server's Config; NewServer and Start take them.
type Option func(*Config)

// WithFixtures sets Config.Fixtures.
func WithFixtures(fsys fs.FS) Option { return func(c *Config) { c.Fixtures = fsys } }

// WithFixturesDir sets Config.FixturesDir.
func WithFixturesDir(dir string) Option { return func(c *Config) { c.FixturesDir = dir } }

// WithFixturesOnly sets Config.FixturesOnly: the fixtures are the whole set.
func WithFixturesOnly() Option { return func(c *Config) { c.FixturesOnly = true } }

// WithHeartbeat sets Config.Heartbeat.
func WithHeartbeat(d time.Duration) Option { return func(c *Config) { c.Heartbeat = d } }

// WithStreamInterval sets Config.StreamInterval.
func WithStreamInterval(d time.Duration) Option { return func(c *Config) { c.StreamInterval = d } }

// WithSeed sets Config.Seed.
func WithSeed(seed uint64) Option { return func(c *Config) { c.Seed = seed } }

// WithChatScriptSpacing sets Config.ChatScriptSpacing.
func WithChatScriptSpacing(d time.Duration) Option {
	return func(c *Config) { c.ChatScriptSpacing = d }
}

// WithAutoApprove sets Config.AutoApprove.
func WithAutoApprove(on bool) Option { return func(c *Config) { c.AutoApprove = on } }

// WithLogger sets Config.Logger.
func WithLogger(l *slog.Logger) Option { return func(c *Config) { c.Logger = l } }

// Lenient sets Config.Lenient: the test does not fail for requests that break the contract.
func Lenient() Option { return func(c *Config) { c.Lenient = true } }

// NewServer starts a server for the test with the options applied to its Config, and stops it,
// closing every socket, when the test ends. It is NewUnstartedServer followed by Start.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := NewUnstartedServer(t)
	for _, o := range opts {
		o(&s.Config)
	}
	s.Start()
	return s
}

// NewUnstartedServer returns a server for the test that is not started yet: set its Config, then
// call Start. When the test ends the server stops, and in strict mode (unless Config.Lenient) the
// test fails with every request of the app under test that broke the Restream API's contract.
// Every response the server sends is checked against the Restream spec too; a non-conforming one
// (a bug in the fake) fails the test whatever the mode.
func NewUnstartedServer(t testing.TB) *Server {
	s := &Server{t: t, tokens: map[int64]string{}}
	t.Cleanup(func() {
		if !s.started {
			return
		}
		if err := s.Close(); err != nil {
			t.Errorf("restreamtest: %v", err)
		}
		if vs := s.Violations(); !s.Config.Lenient && len(vs) > 0 {
			t.Errorf("restreamtest: %s", s.violationReport(vs))
		}
	})
	return s
}

// Start starts a server from NewUnstartedServer with its Config. It fails the test if the server
// cannot start, and panics if the server has already started.
func (s *Server) Start() {
	if s.started {
		panic("restreamtest: Server already started")
	}
	if s.t == nil {
		panic("restreamtest: Start on a server not made by NewUnstartedServer; use the package's Start")
	}
	s.t.Helper()
	if err := s.start(); err != nil {
		s.t.Fatalf("restreamtest: %v", err)
	}
}

// Start starts a server outside a test (in TestMain, or an example) with the options applied to
// its Config; call Close when done. Without a test to fail, strict mode only collects: read
// Violations before Close.
func Start(opts ...Option) (*Server, error) {
	s := &Server{tokens: map[int64]string{}}
	for _, o := range opts {
		o(&s.Config)
	}
	if err := s.start(); err != nil {
		return nil, err
	}
	return s, nil
}

// start builds the mock from the Config and serves it on loopback listeners.
func (s *Server) start() error {
	s.started = true
	c := s.Config
	opts := mock.Options{Fixtures: c.Fixtures, FixturesOnly: c.FixturesOnly, ChatHeartbeat: c.Heartbeat, StreamInterval: c.StreamInterval,
		ChatScriptSpacing: c.ChatScriptSpacing, Seed: c.Seed, AutoApprove: c.AutoApprove, Logger: c.Logger,
		OnRequestViolation: s.addViolation}
	if c.FixturesDir != "" {
		if c.Fixtures != nil {
			return errors.New("set Config.Fixtures or Config.FixturesDir, not both")
		}
		fsys, err := fixtures.Dir(c.FixturesDir)
		if err != nil {
			return err
		}
		opts.Fixtures, opts.FixturesName = fsys, c.FixturesDir
	}
	if t := s.t; t != nil {
		opts.OnResponseViolation = func(op string, status int, vs []validate.Violation) {
			t.Errorf("restreamtest: the fake answered %s with a %d that breaks the Restream spec: %v", op, status, vs)
		}
	}
	m, err := mock.New(opts)
	if err != nil {
		return err
	}
	s.mock = m
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
		return err
	}
	if err := s.loadUsers(); err != nil {
		s.Close()
		return err
	}
	return nil
}

// loadUsers reads the fixture users and mints a ready token for each.
func (s *Server) loadUsers() error {
	res, err := s.control.ListMockUsersWithResponse(context.Background())
	if err := check(res, err); err != nil {
		return err
	}
	s.DefaultUser = res.JSON200.DefaultUser
	s.users = nil
	s.loaded = len(res.JSON200.Users)
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
		if s.mock == nil { // never started, or the mock failed to build: nothing listens
			return
		}
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

// Users returns the fixture users, in fixture order, then those AddUser added.
func (s *Server) Users() []User { return append([]User(nil), s.users...) }

// Token returns the ready access token of a fixture user (minted at start) or of a user AddUser
// added (minted then), with every scope of the dev client. It stays valid until the mock clock moves an hour on or it is revoked; NewToken
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

// Error says the status and the envelope.
func (e *ControlError) Error() string {
	return fmt.Sprintf("control API answered %d %s", e.Status, e.Body)
}

// IsControlError reports whether err is a ControlError with the given status.
func IsControlError(err error, status int) bool {
	var ce *ControlError
	return errors.As(err, &ce) && ce.Status == status
}
