// Package mock wires restream-mock together: the Restream REST API and OAuth endpoints served by
// handlers of the generated strict-server interface, the /__mock/ control API, request validation
// against the spec, authentication and scope checks, limits, and the request journal.
//
// A Server is a value built from Options: several can run in one process (the restreamtest
// package starts one per test).
package mock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/restreamkit/restreamkit/api/gen/controlapi"
	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
	"github.com/restreamkit/restreamkit/internal/clock"
	"github.com/restreamkit/restreamkit/internal/fixtures"
	"github.com/restreamkit/restreamkit/internal/guard"
	"github.com/restreamkit/restreamkit/internal/live"
	"github.com/restreamkit/restreamkit/internal/oauth"
	"github.com/restreamkit/restreamkit/internal/randid"
	"github.com/restreamkit/restreamkit/internal/state"
	"github.com/restreamkit/restreamkit/internal/validate"
	"github.com/restreamkit/restreamkit/internal/wsmock"
)

// Limits the mock enforces by default. Each can be changed through Options.
const (
	DefaultMaxBodyBytes   = 1 << 20  // request bodies over 1 MiB get 413
	DefaultMaxHeaderBytes = 32 << 10 // request headers over 32 KiB get 431
	DefaultJournalSize    = 1000     // requests kept in the journal
)

// controlPrefix is where the control API lives: the guard answers everything under it, and the
// journal lists calls under it only on request.
const controlPrefix = "/__mock/"

// Options configure a Server. The zero value serves the embedded fixtures.
type Options struct {
	// Fixtures is a directory tree laid out like examples/, laid over the embedded examples (see
	// fixtures.Overlay): it may hold only some files. nil means the embedded examples alone.
	Fixtures fs.FS
	// FixturesName is how messages about Fixtures name its root, such as the directory's path.
	FixturesName string
	// FixturesOnly seeds from Fixtures alone, without the embedded examples under it.
	FixturesOnly bool
	// Clock is the mock clock; nil means a new clock at real time.
	Clock *clock.Clock
	// Clients are OAuth clients registered on top of the fixtures' (examples/mock/oauth.json): one
	// with the id of a fixture client replaces it in place, the others follow in order. They are
	// start-up clients: a reset comes back to them (restream-mock's --client fills this).
	Clients []oauth.Client
	// AutoApprove makes GET /login approve at once for the default user, for CI without a browser.
	AutoApprove bool
	// MaxBodyBytes, MaxHeaderBytes and JournalSize default to the constants above when zero.
	// JournalSize is 1 to MaxJournalSize; each entry holds at most JournalEntryMaxBytes.
	MaxBodyBytes   int64
	MaxHeaderBytes int
	JournalSize    int
	// MaxTokens bounds the token pairs kept, however they were issued; 0 means
	// oauth.DefaultMaxTokens (10,000). Beyond it the oldest pair is dropped and stops working.
	MaxTokens int
	// Logger receives one info line per request (see the gate; WebSocket feeds log their
	// upgrades and closes), and warnings; nil discards them. Tests that want quiet output set
	// its level to warn.
	Logger *slog.Logger
	// OnResponseViolation, when set, makes the server validate every response it sends against
	// the spec and report each non-conforming one. Tests use it to prove conformance; it costs time.
	OnResponseViolation func(operationID string, status int, violations []validate.Violation)
	// OnRequestViolation, when set, is called with every request the server refuses because it
	// breaks the Restream API's contract (see RequestViolation for which refusals count), before
	// the refusal is sent. restreamtest's strict mode fails a test with them.
	OnRequestViolation func(RequestViolation)
	// ChatHeartbeat is the chat socket's heartbeat interval; 0 means Restream's 45 s.
	ChatHeartbeat time.Duration
	// StreamInterval is how often a simulated stream reports; 0 means 2 s.
	StreamInterval time.Duration
	// Seed makes the stream and chat simulators repeatable (restream-mock --seed): with the same
	// Seed and the same requests, the feeds carry the same frames in the same order, timestamps
	// aside, and the ids the store makes (events, destinations, event stream keys, Studio captions
	// and QR codes) are the same.
	// 0, the default, seeds randomly. (Not the fixtures' seed world: that is Fixtures.)
	Seed uint64
	// ChatScriptSpacing is the pause between the messages of a chat script; 0 means the default.
	ChatScriptSpacing time.Duration
	// Control guards the /__mock/ control API: the zero value answers loopback Hosts only,
	// refuses cross-origin browser writes and needs no token (see package guard).
	Control guard.Options
}

// Server is one running fake Restream: its state, OAuth server, specs and HTTP handler.
type Server struct {
	opts    Options
	log     *slog.Logger
	clock   *clock.Clock
	seed    *fixtures.Seed
	clients []oauth.Client // the start-up clients, which Reset restores
	store   *state.Store
	oauth   *oauth.Server
	spec    *validate.Spec // the Restream API
	control *validate.Spec // the /__mock/ API
	journal *journal
	echo    *echo.Echo
	handler http.Handler
	started time.Time

	streamingFeed, chatFeed *wsmock.Feed
	chat                    *live.Chat
	streams                 *live.Streams
	faults                  faults

	// routes maps echo's routes to the specs' operations, built and checked once.
	routes routes

	// scopes holds the scope each secured operation requires, resolved once.
	scopes map[*validate.Operation]oauth.Scope

	bodies    sync.Pool // *[]byte request body buffers
	responses sync.Pool // *[]byte response captures for the journal

	ui *dashboard // /__mock/ui/
}

// New builds a server from opts: it loads the fixtures and the specs and wires the handlers.
func New(opts Options) (*Server, error) {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxHeaderBytes <= 0 {
		opts.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if opts.JournalSize == 0 {
		opts.JournalSize = DefaultJournalSize
	}
	if opts.JournalSize < 1 || opts.JournalSize > MaxJournalSize {
		return nil, fmt.Errorf("journal size %d: want 1 to %d entries", opts.JournalSize, MaxJournalSize)
	}
	if opts.Clock == nil {
		opts.Clock = clock.New()
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{opts: opts, log: log, clock: opts.Clock, journal: newJournal(opts.JournalSize, log), started: time.Now()}

	// The two specs load while the fixtures are read: start-up time matters to CI and to tests
	// that start a server each.
	var specErr, controlErr error
	var specs sync.WaitGroup
	specs.Go(func() { s.spec, specErr = validate.RestreamSpec() })
	specs.Go(func() { s.control, controlErr = validate.ControlSpec() })
	defer specs.Wait() // on an early return too, so no goroutine outlives New

	seed, err := loadFixtures(opts)
	if err != nil {
		return nil, err
	}
	s.seed = seed
	if s.store, err = state.New(seed.World, s.clock); err != nil {
		return nil, fmt.Errorf("seeding the world: %w", err)
	}
	if opts.Seed != 0 {
		s.store.SeedIDs(randid.Derive(opts.Seed, "store"))
	}
	s.clients = overlayClients(seed.Clients, opts.Clients)
	if s.oauth, err = oauth.New(oauth.Options{Clock: s.clock, Clients: s.clients, Accounts: accounts(s.store),
		DefaultAccount: seed.DefaultUser, AutoApprove: opts.AutoApprove, MaxTokens: opts.MaxTokens}); err != nil {
		return nil, fmt.Errorf("setting up OAuth: %w", err)
	}
	specs.Wait()
	if err := errors.Join(specErr, controlErr); err != nil {
		return nil, err
	}
	s.scopes = map[*validate.Operation]oauth.Scope{}
	for _, op := range s.spec.Operations() {
		if len(op.Scopes) == 0 {
			continue
		}
		sc, ok := oauth.ParseScope(op.Scopes[0])
		if !ok {
			return nil, fmt.Errorf("operation %s requires unknown scope %q", op.ID, op.Scopes[0])
		}
		s.scopes[op] = sc
	}
	s.bodies.New = func() any { b := make([]byte, 0, 4096); return &b }
	s.responses.New = func() any { b := make([]byte, 0, journalBodyLimit); return &b }
	g, err := guard.New(opts.Control)
	if err != nil {
		return nil, err
	}
	if s.ui, err = newDashboard(s, g); err != nil {
		return nil, err
	}
	if err := s.newFeeds(seed); err != nil {
		return nil, err
	}
	s.echo = s.newEcho()
	mux := http.NewServeMux()
	mux.Handle("/streaming/ws", s.streamingFeed)
	mux.Handle("/chat/ws", s.chatFeed)
	// The consent form is posted by the browser showing the OAuth dialog, and health is what
	// readiness probes poll: neither carries the control token, both still pass the Host and
	// origin checks.
	mux.Handle(controlPrefix, g.Handler(s.echo, controlPrefix+"consent", controlPrefix+"health"))
	mux.Handle(UIPath, s.ui.handler())
	mux.Handle("/", s.echo)
	s.handler = mux
	// The gate finds each request's operation by the route echo matched: echo must serve exactly
	// the specs' operations.
	if s.routes, err = newRoutes(s.echo.Routes(), s.spec, s.control); err != nil {
		return nil, err
	}
	return s, nil
}

// loadFixtures reads the seed Options name: the embedded examples, a directory over them, or a
// directory alone.
func loadFixtures(opts Options) (*fixtures.Seed, error) {
	name := opts.FixturesName
	if name == "" {
		name = "fixtures"
	}
	switch {
	case opts.Fixtures == nil && opts.FixturesOnly:
		return nil, errors.New("FixturesOnly needs Fixtures")
	case opts.Fixtures == nil:
		return fixtures.Load(fixtures.Embedded(), fixtures.EmbeddedName)
	case opts.FixturesOnly:
		return fixtures.Load(opts.Fixtures, name)
	}
	return fixtures.Overlay(opts.Fixtures, name)
}

// newFeeds builds the two WebSocket feeds and the simulators that speak on them, and ties the
// simulators to the store's changes.
func (s *Server) newFeeds(seed *fixtures.Seed) error {
	var chatFixture live.ChatFixture
	if seed.Chat != nil {
		var err error
		if chatFixture, err = live.ParseChatFixture(seed.Chat); err != nil {
			return fmt.Errorf("mock/chat.json: %w", err)
		}
	}
	heartbeat := s.opts.ChatHeartbeat
	if heartbeat <= 0 {
		heartbeat = wsmock.ChatHeartbeat
	}
	var err error
	s.streamingFeed, err = wsmock.New(wsmock.Options{Name: "streaming", Clock: s.clock, Logger: s.log,
		Authenticate: s.feedAuth(oauth.StreamRead), ReplayWindow: wsmock.StreamingReplayWindow})
	if err != nil {
		return err
	}
	s.chatFeed, err = wsmock.New(wsmock.Options{Name: "chat", Clock: s.clock, Logger: s.log,
		Authenticate: s.feedAuth(oauth.ChatRead), Heartbeat: heartbeat, HeartbeatFrame: live.HeartbeatFrame,
		OnConnect: func(uid int64) [][]byte { return s.chat.InitialFrames(uid) }})
	if err != nil {
		return err
	}
	s.chat, err = live.NewChat(live.ChatOptions{Store: s.store, Publisher: tee{feed: s.chatFeed, name: "chat", d: s.ui}, Clock: s.clock,
		Fixture: chatFixture, ScriptSpacing: s.opts.ChatScriptSpacing, Seed: randid.Derive(s.opts.Seed, "chat"), Logger: s.log})
	if err != nil {
		return err
	}
	s.streams, err = live.NewStreams(live.StreamsOptions{Store: s.store, Publisher: tee{feed: s.streamingFeed, name: "streaming", d: s.ui}, Clock: s.clock,
		Interval: s.opts.StreamInterval, Seed: randid.Derive(s.opts.Seed, "streams"), Logger: s.log})
	if err != nil {
		return err
	}
	s.store.OnChange(func(ch state.Change) {
		s.chat.HandleChange(ch)
		s.streams.HandleChange(ch)
	})
	return nil
}

// feedAuth authenticates a WebSocket's accessToken and checks the scope its feed needs. Which
// scope Restream checks is UNCONFIRMED; clients request stream.read and chat.read for them.
func (s *Server) feedAuth(need oauth.Scope) func(string) (int64, error) {
	return func(token string) (int64, error) {
		g, err := s.oauth.AuthenticateToken(token)
		if err != nil {
			return 0, err
		}
		if err := g.Require(need); err != nil {
			return 0, err
		}
		return g.UserID, nil
	}
}

// StreamingHandler is the streaming-updates feed, for a listener of its own (mounted at /ws).
func (s *Server) StreamingHandler() http.Handler { return s.streamingFeed }

// ChatHandler is the chat feed, for a listener of its own (mounted at /ws).
func (s *Server) ChatHandler() http.Handler { return s.chatFeed }

// Shutdown ends the simulated streams, tells chat clients the connections close for shutdown,
// and closes every WebSocket with a close frame. Call it before shutting the HTTP servers down:
// they do not wait for hijacked connections.
func (s *Server) Shutdown(ctx context.Context) error {
	// Stop what publishes first, so nothing follows the shutdown announcement.
	simErr := errors.Join(s.streams.Close(ctx), s.chat.Close(ctx))
	s.ui.broker.Close() // the dashboard's live views: http.Server.Shutdown would wait for them
	s.chat.AnnounceShutdown()
	return errors.Join(simErr, s.streamingFeed.Shutdown(ctx), s.chatFeed.Shutdown(ctx))
}

// FixtureNotes says what the fixtures leave out and the mock made up (see fixtures.Seed.Notes);
// empty for the embedded examples.
func (s *Server) FixtureNotes() []string { return slices.Clone(s.seed.Notes) }

// CheckFixtures builds a server from opts as New does, without serving it, so that every rule
// the fixtures must keep is checked (the chat seed of mock/chat.json included). It returns the
// seed, or every problem found.
func CheckFixtures(ctx context.Context, opts Options) (*fixtures.Seed, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := New(opts)
	if err != nil {
		return nil, err
	}
	return s.seed, s.Shutdown(ctx)
}

// accounts lists the store's users as the OAuth server's sign-in accounts.
func accounts(st *state.Store) []oauth.Account {
	var out []oauth.Account
	for _, p := range st.Users() {
		out = append(out, oauth.Account{ID: p.Id, Username: p.Username, Email: string(p.Email)})
	}
	return out
}

// newEcho builds the HTTP API: echo routes every request once, then the gate (echo middleware, so
// it runs on the route echo matched) admits it before the generated handler runs.
func (s *Server) newEcho() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.writeError
	e.Use(s.gate)
	restreamapi.RegisterHandlers(e, restreamapi.NewStrictHandler(&restAPI{s: s}, nil))
	controlapi.RegisterHandlers(e, controlapi.NewStrictHandler(&controlAPI{s: s}, nil))
	return e
}

// Handler returns the HTTP handler of the main port: the REST API, OAuth, the control API, and
// both WebSocket feeds at /streaming/ws and /chat/ws.
func (s *Server) Handler() http.Handler { return s.handler }

// Store returns the server's world.
func (s *Server) Store() *state.Store { return s.store }

// OAuth returns the server's OAuth server.
func (s *Server) OAuth() *oauth.Server { return s.oauth }

// Clock returns the server's clock.
func (s *Server) Clock() *clock.Clock { return s.clock }

// Spec returns the compiled Restream API description the server validates against.
func (s *Server) Spec() *validate.Spec { return s.spec }

// DefaultUser returns the user the consent page and auto-approve sign in by default.
func (s *Server) DefaultUser() int64 {
	_, def := s.oauth.Accounts()
	return def
}

// HTTPServer returns an *http.Server for addr with the server's header limit and sensible
// timeouts. Headers a little over the limit get the mock's own 431 envelope; net/http refuses
// anything far beyond it.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    4 * s.opts.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// overlayClients returns base with each client of over replacing the one of base with its id,
// or appended when base has none.
func overlayClients(base, over []oauth.Client) []oauth.Client {
	out := slices.Clone(base)
	for _, c := range over {
		if i := slices.IndexFunc(out, func(b oauth.Client) bool { return b.ID == c.ID }); i >= 0 {
			out[i] = c
		} else {
			out = append(out, c)
		}
	}
	return out
}

// Reset restores the fixture world, the start-up OAuth clients, the start-up settings
// (autoApprove as Options.AutoApprove, the --auto-approve flag, gave it), real time and an empty
// journal: everything a test can change through the control API goes back to how the process
// started, as a WireMock or Prism reset does, so a test that switched a setting cannot leak it
// into the next. Tokens stay valid, except those of clients the control API added, changed or
// deleted since start-up: going back to the start-up registration ends them, as changing a
// client does.
func (s *Server) Reset() {
	s.store.Reset()
	s.oauth.SetAutoApprove(s.opts.AutoApprove)
	s.clock.SetOffset(0)
	s.journal.clear()
	s.clearFaults()
	if err := s.oauth.SetClients(s.clients); err != nil {
		s.log.Warn("resetting the OAuth clients", "err", err)
	}
	if err := s.oauth.SetAccounts(accounts(s.store), s.seed.DefaultUser); err != nil {
		s.log.Warn("resetting sign-in accounts", "err", err)
	}
}

// Import replaces the world; tokens of users who are gone stop working.
func (s *Server) Import(w state.World) error {
	if err := s.store.Import(w); err != nil {
		return err
	}
	_, def := s.oauth.Accounts()
	if !s.store.HasUser(def) {
		users := s.store.Users()
		def = 0
		if len(users) > 0 {
			def = users[0].Id
		}
	}
	if err := s.oauth.SetAccounts(accounts(s.store), def); err != nil {
		return errors.Join(errors.New("the imported users cannot sign in"), err)
	}
	return nil
}

// PrintBanner mints a token for the default user through the first registered client and prints
// it with a ready curl line, so that a developer or a CI job can call the API at once.
func (s *Server) PrintBanner(w io.Writer, baseURL string) error {
	clients := s.oauth.Clients()
	if len(clients) == 0 {
		return errors.New("no OAuth client is registered")
	}
	def := s.DefaultUser()
	var scopes oauth.ScopeSet
	for _, name := range clients[0].Scopes {
		if sc, ok := oauth.ParseScope(name); ok {
			scopes = scopes.With(sc)
		}
	}
	p, err := s.oauth.Issue(def, clients[0].ID, scopes)
	if err != nil {
		return err
	}
	prof, err := s.store.Profile(def)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "Signed in as %s (user %d) through client %s, scopes: %s\n"+
		"Access token (valid 1 h on the mock clock): %s\n"+
		"  curl -H 'Authorization: Bearer %s' %s/v2/user/profile\n",
		prof.Username, def, clients[0].ID, strings.Join(p.ScopeNames, " "), p.AccessToken, p.AccessToken, baseURL)
	return err
}
