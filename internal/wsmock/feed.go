package wsmock

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/clock"
	"github.com/restreamkit/restreamkit/internal/redact"
)

// Defaults of Options. The feed-specific values are what Restream documents for each socket.
const (
	// DefaultReplayLimit bounds the replay ring of one user, in frames.
	DefaultReplayLimit = 2048
	// DefaultSendQueue bounds the frames waiting to be written to one socket.
	DefaultSendQueue = 256
	// DefaultWriteTimeout bounds the write of one frame; a peer that takes longer is cut off.
	DefaultWriteTimeout = 10 * time.Second
	// DefaultReadLimit is the largest client frame accepted; larger ones close the socket with
	// StatusMessageTooBig. Clients have nothing to say on these feeds, so it can be small.
	DefaultReadLimit = 64 << 10

	// ChatHeartbeat is how often the chat socket sends a heartbeat ("about every 45 s").
	ChatHeartbeat = 45 * time.Second
	// StreamingReplayWindow is how far back the streaming socket replays on connect ("all
	// updates from roughly the last minute").
	StreamingReplayWindow = time.Minute
)

// Options configure a Feed. Authenticate is required; every other field has a default.
type Options struct {
	// Name names the feed in logs: "streaming" or "chat".
	Name string
	// Clock stamps replayed frames and heartbeats; nil means a clock at real time.
	Clock *clock.Clock
	// Authenticate turns the accessToken query parameter into a user id. An *apierror.Error it
	// returns is sent as is (a 401 invalid_token, normally); any other error is sent as a 401
	// invalid_token. It is also called with "" when the parameter is missing.
	Authenticate func(token string) (userID int64, err error)
	// OnConnect returns the frames a socket receives first, before any replay, such as the chat
	// feed's connection_info frames. It runs after the socket has subscribed, so a change that
	// happens meanwhile may be reported twice (once in these frames, once live) but never lost;
	// the chat protocol documents that duplicates may arrive. It must not block for long.
	OnConnect func(userID int64) [][]byte
	// Heartbeat is the interval between heartbeats on each socket, measured in real time from
	// the moment the socket opened; 0 sends none (the streaming feed has none).
	Heartbeat time.Duration
	// HeartbeatFrame builds a heartbeat for the mock time now. Required when Heartbeat is set.
	HeartbeatFrame func(now time.Time) []byte
	// ReplayWindow is how much mock time of a user's frames a new socket receives first; 0
	// disables replay and the ring.
	ReplayWindow time.Duration
	// ReplayLimit bounds the replay ring of each user; the oldest frames go first.
	ReplayLimit int
	// SendQueue bounds the frames waiting for each socket's writer.
	SendQueue int
	// WriteTimeout bounds the write of one frame to a socket.
	WriteTimeout time.Duration
	// ReadLimit is the largest client frame, in bytes.
	ReadLimit int64
	// Logger receives one info line per refused handshake, per opened socket and per closed
	// socket (its duration, close code and who closed it), and dropped sockets as warnings; nil
	// discards them. Tokens are never logged: the query is redacted.
	Logger *slog.Logger
}

// Stats describe a feed at one moment.
type Stats struct {
	// Connections counts open sockets, including those being closed.
	Connections int
	// Users counts the distinct users of those sockets.
	Users int
	// Dropped counts the sockets closed so far because their send queue was full.
	Dropped int
}

// Feed is one WebSocket feed: an http.Handler for its endpoint and the hub that fans frames out
// to the sockets of each user. It is safe for concurrent use.
type Feed struct {
	opts  Options
	log   *slog.Logger
	clock *clock.Clock

	mu      sync.RWMutex // guards the fields below
	hubs    map[int64]*hub
	live    map[*conn]struct{} // every socket whose goroutines still run
	closing bool
	refuse  refusal

	dropped atomic.Int64
	// wg counts the requests being served; a socket's count ends with both of its goroutines,
	// after its handler has returned.
	wg sync.WaitGroup
}

// hub is one user's subscribers and replay ring, behind a lock of its own so that users never
// wait for each other.
type hub struct {
	mu    sync.Mutex
	conns map[*conn]struct{}
	ring  ring
}

// refusal is a pending RefuseNext fault.
type refusal struct {
	status     int
	left       int
	retryAfter time.Duration
}

// New builds a feed from opts.
func New(opts Options) (*Feed, error) {
	var errs []error
	if opts.Authenticate == nil {
		errs = append(errs, errors.New("Authenticate is required"))
	}
	if opts.Heartbeat < 0 || opts.ReplayWindow < 0 || opts.ReplayLimit < 0 || opts.SendQueue < 0 ||
		opts.WriteTimeout < 0 || opts.ReadLimit < 0 {
		errs = append(errs, errors.New("durations and limits must not be negative"))
	}
	if opts.Heartbeat > 0 && opts.HeartbeatFrame == nil {
		errs = append(errs, errors.New("HeartbeatFrame is required when Heartbeat is set"))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("wsmock: feed %q: %w", opts.Name, errors.Join(errs...))
	}
	if opts.Clock == nil {
		opts.Clock = clock.New()
	}
	if opts.ReplayLimit == 0 {
		opts.ReplayLimit = DefaultReplayLimit
	}
	if opts.SendQueue == 0 {
		opts.SendQueue = DefaultSendQueue
	}
	if opts.WriteTimeout == 0 {
		opts.WriteTimeout = DefaultWriteTimeout
	}
	if opts.ReadLimit == 0 {
		opts.ReadLimit = DefaultReadLimit
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Feed{opts: opts, log: log.With("feed", opts.Name), clock: opts.Clock,
		hubs: map[int64]*hub{}, live: map[*conn]struct{}{}}, nil
}

// ServeHTTP answers a WebSocket handshake on the feed's endpoint. In order: only GET is served
// (405); a pending RefuseNext fault refuses the handshake; a feed shutting down answers 503;
// the accessToken query parameter must authenticate (401, before any upgrade, as one third-party
// client expects by reading the upgrade's status code); a valid request that is not a WebSocket
// handshake gets 426. Every refusal carries Restream's error envelope.
func (f *Feed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if r.Method != http.MethodGet {
		f.answerRefusal(w, r, start, apierror.Newf(http.StatusMethodNotAllowed, apierror.NameMethodNotAllowed,
			"Method not allowed: %s %s (allowed: GET)", r.Method, r.URL.Path).WithHeader("Allow", http.MethodGet))
		return
	}
	upgrade := headerHasToken(r.Header, "Connection", "upgrade") && headerHasToken(r.Header, "Upgrade", "websocket")
	if upgrade {
		if e := f.takeRefusal(); e != nil {
			f.answerRefusal(w, r, start, e)
			return
		}
	}
	if !f.enter() {
		f.answerRefusal(w, r, start, apierror.New(http.StatusServiceUnavailable, "service_unavailable",
			"Service Unavailable: the "+f.opts.Name+" feed is shutting down"))
		return
	}
	if !f.serve(w, r, start) {
		f.wg.Done()
	}
}

// serve is ServeHTTP past the shutdown check. It reports whether it handed the request's count
// in the wait group to a socket's writer goroutine, which ends it with the socket; when it did
// not, the caller ends it.
func (f *Feed) serve(w http.ResponseWriter, r *http.Request, start time.Time) bool {
	upgrade := headerHasToken(r.Header, "Connection", "upgrade") && headerHasToken(r.Header, "Upgrade", "websocket")
	userID, err := f.opts.Authenticate(r.URL.Query().Get("accessToken"))
	if err != nil {
		e, ok := apierror.As(err)
		if !ok {
			e = apierror.New(http.StatusUnauthorized, apierror.NameInvalidToken, "Invalid token: access token is invalid").
				WithHeader("WWW-Authenticate", `Bearer realm="Service", error="invalid_token"`)
		}
		f.answerRefusal(w, r, start, e)
		return false
	}
	if !upgrade {
		f.answerRefusal(w, r, start, apierror.New(http.StatusUpgradeRequired, "upgrade_required",
			"Upgrade Required: this endpoint speaks WebSocket only; connect with a WebSocket client").
			WithHeader("Upgrade", "websocket").WithHeader("Connection", "Upgrade"))
		return false
	}
	// The socket subscribes before the handshake completes: from the moment the client sees it
	// open, every frame published for its user is in its replay or its queue, and a close
	// reaches it. Subscribing after the 101 lost the frames published in between (the chat
	// feed has no replay) and let CloseUser miss the socket.
	c := newConn(f, userID)
	replay, ok := f.subscribe(c)
	if !ok { // Shutdown began since the request entered
		f.unsubscribe(c)
		f.answerRefusal(w, r, start, apierror.New(http.StatusServiceUnavailable, "service_unavailable",
			"Service Unavailable: the "+f.opts.Name+" feed is shutting down"))
		return false
	}
	// Any origin may connect: browser apps on their own origins use the real feeds, and the
	// mock listens on loopback by default.
	hw := &hijackWriter{ResponseWriter: w}
	ws, err := websocket.Accept(hw, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		// Accept has answered (a malformed handshake) with a status it does not report.
		f.log.LogAttrs(r.Context(), slog.LevelInfo, "websocket refused", slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.String("query", redact.Query(r.URL.RawQuery)), slog.Int64("user", userID),
			slog.Duration("duration", time.Since(start).Round(time.Microsecond)), slog.String("err", redact.Text(err.Error())))
		f.unsubscribe(c)
		return false
	}
	ws.SetReadLimit(f.opts.ReadLimit)
	if !c.attach(ws, hw.conn) { // a forced Shutdown cut the socket during the handshake
		_ = ws.CloseNow()
		f.unsubscribe(c)
		return false
	}
	f.log.LogAttrs(r.Context(), slog.LevelInfo, "websocket opened", slog.String("path", r.URL.Path),
		slog.String("query", redact.Query(r.URL.RawQuery)), slog.Int("status", http.StatusSwitchingProtocols),
		slog.Int64("user", userID), slog.Int("replayed", len(replay)))
	var initial [][]byte
	if f.opts.OnConnect != nil {
		initial = f.opts.OnConnect(userID)
	}
	// The socket is served by a goroutine of its own, and this one returns: the handler's
	// goroutine carries the deep stack net/http grew for the handshake, and keeps the request
	// alive, which an idle socket would hold for as long as it stays open. A fresh goroutine
	// starts with a small stack (see BenchmarkIdleSocketMemory).
	path := r.URL.Path
	go func() {
		defer f.wg.Done()
		c.run(append(initial, replay...))
		f.unsubscribe(c)
		code, by := c.closedWith()
		f.log.LogAttrs(context.Background(), slog.LevelInfo, "websocket closed", slog.String("path", path),
			slog.Int64("user", userID), slog.Duration("duration", time.Since(start).Round(time.Millisecond)),
			slog.Int("close_code", int(code)), slog.String("closed_by", by))
	}()
	return true
}

// hijackWriter hands websocket.Accept a smaller read buffer than net/http's: clients of these
// feeds send next to nothing, and net/http's 4 KiB bufio.Reader was a quarter of an idle
// socket's heap. It also keeps the hijacked connection, on which the writer sets its write
// deadlines.
type hijackWriter struct {
	http.ResponseWriter
	conn net.Conn
}

// socketReadBuffer is the read buffer of each socket: client frames are rare and small (pings,
// close frames), and larger ones are read through it in several calls.
const socketReadBuffer = 512

// Hijack hijacks the underlying connection and swaps net/http's read buffer for a smaller one,
// unless it holds bytes the client sent after its handshake, which must not be lost.
func (h *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.conn = nc
	if brw.Reader.Buffered() == 0 {
		brw.Reader = bufio.NewReaderSize(nc, socketReadBuffer)
	}
	return nc, brw, nil
}

// answerRefusal answers a request the feed does not upgrade with e, and logs it at info like the
// mock's other requests: method, path, query with the accessToken redacted, status, duration.
func (f *Feed) answerRefusal(w http.ResponseWriter, r *http.Request, start time.Time, e *apierror.Error) {
	e.Write(w)
	f.log.LogAttrs(r.Context(), slog.LevelInfo, "websocket refused", slog.String("method", r.Method),
		slog.String("path", r.URL.Path), slog.String("query", redact.Query(r.URL.RawQuery)), slog.Int("status", e.Status),
		slog.Duration("duration", time.Since(start).Round(time.Microsecond)), slog.String("error", e.Name))
}

// enter counts a request in the feed's wait group, unless the feed is shutting down. It holds
// f.mu, under which Shutdown sets closing, so that Shutdown waits for every request it let in.
func (f *Feed) enter() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closing {
		return false
	}
	f.wg.Add(1)
	return true
}

// subscribe registers c as live and with its user's hub, and returns the frames to replay, both
// under the hub's lock: a frame published concurrently is either in the replay or in c's
// queue, never in both or neither. It reports false when the feed began shutting down since the
// request entered; c is then live (so that a forced shutdown can cut it) but not subscribed.
func (f *Feed) subscribe(c *conn) ([][]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.live[c] = struct{}{}
	if f.closing {
		return nil, false
	}
	h := f.hubs[c.user]
	if h == nil {
		h = &hub{conns: map[*conn]struct{}{}}
		f.hubs[c.user] = h
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.conns[c] = struct{}{}
	if f.opts.ReplayWindow <= 0 {
		return nil, true
	}
	return h.ring.since(f.clock.Now().Add(-f.opts.ReplayWindow)), true
}

// unsubscribe forgets c once its goroutines have ended.
func (f *Feed) unsubscribe(c *conn) {
	f.mu.Lock()
	delete(f.live, c)
	h := f.hubs[c.user]
	f.mu.Unlock()
	if h != nil {
		h.mu.Lock()
		delete(h.conns, c)
		h.mu.Unlock()
	}
}

// Publish sends frame to every open socket of the user and, when replay is on, keeps it in the
// user's replay ring stamped with the mock time. It never blocks on a socket: a socket whose
// queue is full is dropped and closed with StatusPolicyViolation. The frame is copied.
func (f *Feed) Publish(userID int64, frame []byte) {
	frame = bytes.Clone(frame)
	replay := f.opts.ReplayWindow > 0
	f.mu.RLock()
	h := f.hubs[userID]
	f.mu.RUnlock()
	if h == nil {
		if !replay {
			return // nobody listens and nothing is kept
		}
		f.mu.Lock()
		if h = f.hubs[userID]; h == nil {
			h = &hub{conns: map[*conn]struct{}{}}
			f.hubs[userID] = h
		}
		f.mu.Unlock()
	}
	var full []*conn
	h.mu.Lock()
	if replay {
		now := f.clock.Now()
		h.ring.push(now, frame, f.opts.ReplayLimit, now.Add(-f.opts.ReplayWindow))
	}
	for c := range h.conns {
		if !c.enqueue(frame) {
			delete(h.conns, c)
			full = append(full, c)
		}
	}
	h.mu.Unlock()
	for _, c := range full {
		if c.requestClose(websocket.StatusPolicyViolation, "send queue full", false) {
			f.dropped.Add(1)
			f.log.Warn("dropped a socket whose send queue was full", "user", userID, "queue", f.opts.SendQueue)
		}
	}
}

// refusalStatuses are the statuses a handshake can be refused with by RefuseNext.
var refusalStatuses = []int{401, 403, 429, 500, 502, 503, 504}

// RefusalStatuses lists the statuses RefuseNext accepts: those a client of a feed can meet,
// the feed's own refusals of a token (401, 403) and what an overloaded server or a gateway in
// front of it answers (429, 500, 502, 503, 504).
func RefusalStatuses() []int { return slices.Clone(refusalStatuses) }

// MaxCloseReason is the longest close reason a close frame carries, in bytes: a control frame's
// payload is at most 125 bytes, 2 of which hold the code (RFC 6455 §5.5).
const MaxCloseReason = 123

// SendableCloseCode reports whether a close frame may carry code (RFC 6455 §7.4): 1000-1003 and
// 1007-1014 of the protocol's own codes (1004 is reserved; 1005, 1006 and 1015 must never be
// sent; 1016-2999 are not assigned), and 3000-4999, for libraries and applications.
func SendableCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	}
	return code >= 3000 && code <= 4999
}

// RefuseNext makes the next count WebSocket handshakes fail with status, one of
// RefusalStatuses, before authentication, as a proxy or an overloaded server in front of the
// feed would. The answer carries the error envelope and, when retryAfter is positive, a
// Retry-After header in whole seconds (rounded up). Non-handshake requests do not count. A count
// of 0 cancels the fault.
func (f *Feed) RefuseNext(status, count int, retryAfter time.Duration) error {
	if !slices.Contains(refusalStatuses, status) {
		return fmt.Errorf("wsmock: refusal status %d is not one of %v", status, refusalStatuses)
	}
	if count < 0 || retryAfter < 0 {
		return errors.New("wsmock: count and retryAfter must not be negative")
	}
	f.mu.Lock()
	f.refuse = refusal{status: status, left: count, retryAfter: retryAfter}
	f.mu.Unlock()
	return nil
}

// takeRefusal consumes one pending refusal and returns its error, or nil.
func (f *Feed) takeRefusal() *apierror.Error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refuse.left <= 0 {
		return nil
	}
	f.refuse.left--
	st := f.refuse.status
	e := apierror.New(st, statusName(st), http.StatusText(st)+": the handshake was refused by an injected fault")
	if f.refuse.retryAfter > 0 {
		e.WithHeader("Retry-After", strconv.FormatInt(int64(math.Ceil(f.refuse.retryAfter.Seconds())), 10))
	}
	return e
}

// statusName is the snake_case error name of an HTTP status, in the envelope's style.
func statusName(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return apierror.NameInvalidToken
	case http.StatusInternalServerError:
		return apierror.NameInternal
	}
	text := http.StatusText(status)
	if text == "" {
		return "error_" + strconv.Itoa(status)
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r == ' ' || r == '-':
			return '_'
		}
		return -1
	}, text)
}

// CloseUser closes every open socket of the user with code and reason, after the frames
// already queued for it, and returns how many it closed. The sockets stop receiving new frames
// at once. reason must fit a close frame (123 bytes).
func (f *Feed) CloseUser(userID int64, code websocket.StatusCode, reason string) int {
	f.mu.RLock()
	h := f.hubs[userID]
	f.mu.RUnlock()
	if h == nil {
		return 0
	}
	return closeConns(h.detach(), code, reason)
}

// CloseAll closes every open socket of the feed as CloseUser does, and returns how many.
func (f *Feed) CloseAll(code websocket.StatusCode, reason string) int {
	n := 0
	for _, h := range f.allHubs() {
		n += closeConns(h.detach(), code, reason)
	}
	return n
}

func (f *Feed) allHubs() []*hub {
	f.mu.RLock()
	defer f.mu.RUnlock()
	hubs := make([]*hub, 0, len(f.hubs))
	for _, h := range f.hubs {
		hubs = append(hubs, h)
	}
	return hubs
}

// detach removes and returns the hub's subscribers.
func (h *hub) detach() []*conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		out = append(out, c)
	}
	clear(h.conns)
	return out
}

func closeConns(conns []*conn, code websocket.StatusCode, reason string) int {
	n := 0
	for _, c := range conns {
		if c.requestClose(code, reason, true) {
			n++
		}
	}
	return n
}

// Shutdown stops accepting sockets (new handshakes get 503), closes every open socket with
// StatusGoingAway after the frames already queued for it, and waits for all of the feed's
// goroutines to end. When ctx ends first, the remaining sockets are cut without a close
// handshake; Shutdown still waits for their goroutines, which then end at once, and returns
// ctx's error. It may be called more than once.
func (f *Feed) Shutdown(ctx context.Context) error {
	f.mu.Lock()
	f.closing = true
	f.mu.Unlock()
	for _, h := range f.allHubs() {
		closeConns(h.detach(), websocket.StatusGoingAway, "shutdown")
	}
	done := make(chan struct{})
	go func() {
		f.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	f.mu.RLock()
	for c := range f.live {
		c.cut()
	}
	f.mu.RUnlock()
	<-done
	return ctx.Err()
}

// Stats reports the open sockets, their users and the sockets dropped so far.
func (f *Feed) Stats() Stats {
	f.mu.RLock()
	defer f.mu.RUnlock()
	users := map[int64]struct{}{}
	for c := range f.live {
		users[c.user] = struct{}{}
	}
	return Stats{Connections: len(f.live), Users: len(users), Dropped: int(f.dropped.Load())}
}

// headerHasToken reports whether a comma-separated header holds token, in any case.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for part := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), token) {
				return true
			}
		}
	}
	return false
}
