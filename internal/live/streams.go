package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/clock"
	"github.com/restreamkit/restreamkit/internal/randid"
	"github.com/restreamkit/restreamkit/internal/state"
)

// DefaultInterval is how often a simulated stream reports.
const DefaultInterval = 2 * time.Second

// MaxStreamsPerUser is how many simulated streams one user may have live at once; one more is
// a 409 stream_limit_reached. Each stream is a goroutine that reports every interval, so the
// count is bounded; ten is more than any test of concurrent events needs (UNCONFIRMED: Restream
// documents no such limit).
const MaxStreamsPerUser = 10

// MaxViewers is the largest viewer count a stream starts from or drifts to: more than any
// stream has had, and far from where the figures derived from it could overflow.
const MaxViewers = 1_000_000_000

// StreamsOptions configure Streams. Store and Publisher are required.
type StreamsOptions struct {
	Store     *state.Store
	Publisher Publisher
	// Clock stamps frames and events; nil means a clock at real time.
	Clock *clock.Clock
	// Interval is the default reporting interval, in real time; 0 means DefaultInterval.
	Interval time.Duration
	// Seed makes the generated figures repeatable; 0 picks a random seed.
	Seed uint64
	// Logger receives debug lines; nil discards them.
	Logger *slog.Logger
}

// Streams simulates users going live, one stream per event. It is safe for concurrent use.
type Streams struct {
	opts  StreamsOptions
	store *state.Store
	pub   Publisher
	clock *clock.Clock
	log   *slog.Logger

	mu       sync.Mutex // guards the fields below
	streams  map[streamKey]*stream
	reserved map[streamKey]bool // being started
	starting map[int64]int      // per user, Start calls past the cap check and not yet returned
	rng      *mrand.Rand
	closed   bool
	wg       sync.WaitGroup // one per running stream goroutine
}

type streamKey struct {
	user  int64
	event string
}

// StartRequest asks for a stream.
type StartRequest struct {
	// EventID is the event to go live with. When empty, the stream attaches to the user's most
	// recently started event in progress that has no simulated stream yet, else starts the next
	// upcoming event, else creates an instant event ("Live now", from an encoder) and starts it.
	EventID string
	// Interval is the reporting interval of this stream; 0 means the Streams default.
	Interval time.Duration
	// Viewers is the total viewer count to start from, spread over the channels whose platform
	// reports statuses; nil picks a few dozen per channel.
	Viewers *int
}

// StreamInfo describes a simulated stream.
type StreamInfo struct {
	UserID    int64
	EventID   string
	Suid      string // the streaming session id of the frames
	CreatedAt int64  // start, Unix seconds on the mock clock
	Interval  time.Duration
	// ChannelIDs are the channels with an outgoing stream, in the user's channel order.
	ChannelIDs []int64
}

// NewStreams builds a stream simulator with no stream running.
func NewStreams(opts StreamsOptions) (*Streams, error) {
	if opts.Store == nil || opts.Publisher == nil {
		return nil, errors.New("live: streams need a Store and a Publisher")
	}
	if opts.Interval < 0 {
		return nil, errors.New("live: the stream interval must not be negative")
	}
	if opts.Interval == 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Clock == nil {
		opts.Clock = clock.New()
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Streams{opts: opts, store: opts.Store, pub: opts.Publisher, clock: opts.Clock, log: log.With("sim", "streams"),
		streams: map[streamKey]*stream{}, reserved: map[streamKey]bool{}, starting: map[int64]int{}, rng: randid.NewRand(opts.Seed)}, nil
}

// Start puts an event in progress and starts reporting a stream for it: at once and then every
// interval, updateIncoming for the ingest; updateOutgoing for every enabled channel, CONNECTING
// on the first report and CONNECTED from the next; and, once connected, updateStatuses for each
// channel whose platform reports (manually configured destinations do not), with viewers that
// drift. A second stream for the same event is a 409.
func (s *Streams) Start(userID int64, req StartRequest) (StreamInfo, error) {
	if req.Interval < 0 || (req.Viewers != nil && (*req.Viewers < 0 || *req.Viewers > MaxViewers)) {
		return StreamInfo{}, apierror.Newf(http.StatusBadRequest, apierror.NameInvalidBodyParams,
			"Invalid body params: interval must not be negative, and viewers must be from 0 to %d", MaxViewers)
	}
	if !s.store.HasUser(userID) {
		return StreamInfo{}, errUserNotFound(userID)
	}
	// The cap is checked before an event is picked or created, so that a refused start changes
	// nothing; the slot is held until Start returns.
	s.mu.Lock()
	if s.userStreams(userID)+s.starting[userID] >= MaxStreamsPerUser {
		s.mu.Unlock()
		return StreamInfo{}, apierror.Newf(http.StatusConflict, "stream_limit_reached",
			"StreamLimitReached: a user may have at most %d simulated streams live at once", MaxStreamsPerUser)
	}
	s.starting[userID]++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.starting[userID]--; s.starting[userID] == 0 {
			delete(s.starting, userID)
		}
		s.mu.Unlock()
	}()
	eventID := req.EventID
	if eventID == "" {
		var err error
		if eventID, err = s.pickEvent(userID); err != nil {
			return StreamInfo{}, err
		}
	}
	key := streamKey{userID, eventID}
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		return StreamInfo{}, apierror.New(http.StatusServiceUnavailable, "service_unavailable", "Service Unavailable: the stream simulator is closed")
	case s.streams[key] != nil || s.reserved[key]:
		s.mu.Unlock()
		return StreamInfo{}, apierror.Newf(http.StatusConflict, "stream_already_running",
			"StreamAlreadyRunning: event %s of user %d is already streaming", eventID, userID)
	}
	s.reserved[key] = true
	seed := s.rng.Uint64()
	s.mu.Unlock()
	// The store tells its listeners, this simulator among them, outside s.mu.
	if _, err := s.store.StartEvent(userID, eventID); err != nil {
		s.mu.Lock()
		delete(s.reserved, key)
		s.mu.Unlock()
		return StreamInfo{}, err
	}
	interval := req.Interval
	if interval == 0 {
		interval = s.opts.Interval
	}
	st := &stream{s: s, user: userID, eventID: eventID, suid: newSuid(seed), createdAt: s.clock.Now().Unix(),
		interval: interval, rng: randid.NewRand(seed), outgoing: map[int64]*outgoing{}, stop: make(chan struct{}), done: make(chan struct{})}
	// The stream is registered before its channels are read, with its lock held, so that a
	// channel change made meanwhile reaches it once the channels are in place.
	st.mu.Lock()
	s.mu.Lock()
	delete(s.reserved, key)
	if s.closed {
		s.mu.Unlock()
		st.mu.Unlock()
		return StreamInfo{}, apierror.New(http.StatusServiceUnavailable, "service_unavailable", "Service Unavailable: the stream simulator is closed")
	}
	s.streams[key] = st
	s.wg.Add(1)
	s.mu.Unlock()
	if channels, err := s.store.Channels(userID); err == nil {
		for _, ch := range channels {
			if ch.Active {
				st.addChannel(ch)
			}
		}
	}
	st.spreadViewers(req.Viewers)
	st.mu.Unlock()
	info := st.info()
	go st.run()
	s.log.Debug("stream started", "user", userID, "event", eventID, "channels", len(info.ChannelIDs))
	return info, nil
}

// userStreams counts the user's running streams; s.mu is held.
func (s *Streams) userStreams(uid int64) int {
	n := 0
	for k := range s.streams {
		if k.user == uid {
			n++
		}
	}
	return n
}

// pickEvent applies StartRequest's rule for an empty EventID.
func (s *Streams) pickEvent(uid int64) (string, error) {
	live, err := s.store.InProgressEvents(uid)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	for _, e := range live {
		if id := e.Id.String(); s.streams[streamKey{uid, id}] == nil && !s.reserved[streamKey{uid, id}] {
			s.mu.Unlock()
			return id, nil
		}
	}
	s.mu.Unlock()
	next, err := s.store.UpcomingEvents(uid, nil, nil)
	if err != nil {
		return "", err
	}
	if len(next) > 0 {
		return next[0].Id.String(), nil
	}
	title := "Live now"
	return s.store.CreateEvent(uid, restreamapi.EventCreate{Title: &title, StreamType: restreamapi.Encoder})
}

// Stop ends a stream: deleteOutgoing for every outgoing stream, deleteIncoming, and the event
// finishes (it moves to the history). An empty eventID stops the user's only stream. A stream
// that is not running is a 404.
func (s *Streams) Stop(userID int64, eventID string) (StreamInfo, error) {
	s.mu.Lock()
	if eventID == "" {
		var found []string
		for k := range s.streams {
			if k.user == userID {
				found = append(found, k.event)
			}
		}
		if len(found) > 1 {
			s.mu.Unlock()
			return StreamInfo{}, apierror.Newf(http.StatusConflict, "ambiguous_stream",
				"AmbiguousStream: user %d has %d streams; name the event", userID, len(found))
		}
		if len(found) == 1 {
			eventID = found[0]
		}
	}
	key := streamKey{userID, eventID}
	st := s.streams[key]
	delete(s.streams, key)
	s.mu.Unlock()
	if st == nil {
		return StreamInfo{}, apierror.Newf(http.StatusNotFound, "stream_not_found",
			"StreamNotFound: user %d has no stream for event %q", userID, eventID)
	}
	info := st.end(true)
	if _, err := s.store.FinishEvent(userID, eventID); err != nil {
		// The world may have been replaced meanwhile; the stream has stopped all the same.
		s.log.Debug("finishing the event of a stopped stream", "user", userID, "event", eventID, "err", err)
	}
	s.log.Debug("stream stopped", "user", userID, "event", eventID)
	return info, nil
}

// Running returns the streams of a user, by event id.
func (s *Streams) Running(userID int64) []StreamInfo {
	s.mu.Lock()
	var list []*stream
	for k, st := range s.streams {
		if k.user == userID {
			list = append(list, st)
		}
	}
	s.mu.Unlock()
	out := make([]StreamInfo, 0, len(list))
	for _, st := range list {
		out = append(out, st.info())
	}
	slices.SortFunc(out, func(a, b StreamInfo) int {
		if a.EventID < b.EventID {
			return -1
		}
		if a.EventID > b.EventID {
			return 1
		}
		return 0
	})
	return out
}

// HandleChange follows the user's channels while live: a channel enabled or added gets an
// outgoing stream (CONNECTING at once), one disabled or removed loses it (deleteOutgoing). When
// the whole world is replaced every stream ends, as if its encoder had stopped, with the
// delete frames but without touching the new world's events.
func (s *Streams) HandleChange(ch state.Change) {
	if ch.Kind == state.WorldReplaced {
		s.mu.Lock()
		list := make([]*stream, 0, len(s.streams))
		for _, st := range s.streams {
			list = append(list, st)
		}
		clear(s.streams)
		s.mu.Unlock()
		for _, st := range list {
			st.end(true)
		}
		return
	}
	if ch.Channel == nil {
		return
	}
	s.mu.Lock()
	var list []*stream
	for k, st := range s.streams {
		if k.user == ch.UserID {
			list = append(list, st)
		}
	}
	s.mu.Unlock()
	for _, st := range list {
		switch {
		case ch.Kind == state.ChannelRemoved, ch.Kind == state.ChannelUpdated && !ch.Channel.Active:
			st.dropChannel(ch.Channel.Id)
		case ch.Kind == state.ChannelAdded && ch.Channel.Active, ch.Kind == state.ChannelUpdated && ch.Channel.Active:
			st.connectChannel(*ch.Channel)
		}
	}
}

// Close stops every stream without a frame or a change to the world, and waits for their
// goroutines, or for ctx.
func (s *Streams) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	list := make([]*stream, 0, len(s.streams))
	for _, st := range s.streams {
		list = append(list, st)
	}
	clear(s.streams)
	s.mu.Unlock()
	for _, st := range list {
		st.halt()
	}
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stream is one simulated stream.
type stream struct {
	s         *Streams
	user      int64
	eventID   string
	suid      string
	createdAt int64
	interval  time.Duration

	stop     chan struct{} // closed to end run
	done     chan struct{} // closed when run has ended
	haltOnce sync.Once

	mu       sync.Mutex // guards the fields below; held while publishing, to keep frame order
	rng      *mrand.Rand
	outgoing map[int64]*outgoing
	order    []int64 // channel ids, in the order their outgoing streams started
	ended    bool
	ticks    int
}

// outgoing is the stream to one channel.
type outgoing struct {
	ch         restreamapi.Channel
	createdAt  int64
	status     string
	eventIdent string
	reports    bool // the platform reports statuses
	title      *string
	viewers    float64
	followers  int64
	views      int64 // cumulative stream views, for YouTube
}

func newSuid(seed uint64) string {
	return fmt.Sprintf("%016x", seed)[:16]
}

func (st *stream) info() StreamInfo {
	st.mu.Lock()
	defer st.mu.Unlock()
	return StreamInfo{UserID: st.user, EventID: st.eventID, Suid: st.suid, CreatedAt: st.createdAt, Interval: st.interval,
		ChannelIDs: slices.Clone(st.order)}
}

// addChannel prepares the outgoing stream of a channel; st.mu is held.
func (st *stream) addChannel(ch restreamapi.Channel) *outgoing {
	if o := st.outgoing[ch.Id]; o != nil {
		return o
	}
	o := &outgoing{ch: ch, createdAt: st.s.clock.Now().Unix(), eventIdent: platformEventIdentifier(ch.StreamingPlatformId, st.eventID),
		reports: !state.IsManualPlatform(ch.StreamingPlatformId)}
	if meta, err := st.s.store.ChannelMeta(st.user, ch.Id); err == nil && meta.Title != "" {
		o.title = &meta.Title
	}
	d := derived("followers", ch.Identifier)
	o.followers = 150 + int64(d[0])<<8 + int64(d[1])
	o.viewers = float64(10 + st.rng.IntN(60))
	st.outgoing[ch.Id] = o
	st.order = append(st.order, ch.Id)
	return o
}

// spreadViewers sets the starting viewers of the reporting channels to add up to total.
func (st *stream) spreadViewers(total *int) {
	if total == nil {
		return
	}
	var reporting []*outgoing
	for _, id := range st.order {
		if o := st.outgoing[id]; o.reports {
			reporting = append(reporting, o)
		}
	}
	for i, o := range reporting {
		share := *total / len(reporting)
		if i < *total%len(reporting) {
			share++
		}
		o.viewers = float64(share)
	}
}

func (st *stream) run() {
	defer st.s.wg.Done()
	defer close(st.done)
	st.tick()
	t := time.NewTicker(st.interval)
	defer t.Stop()
	for {
		select {
		case <-st.stop:
			return
		case <-t.C:
			st.tick()
		}
	}
}

// tick publishes one round of reports.
func (st *stream) tick() {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.ended {
		return
	}
	now := st.s.clock.Now()
	st.ticks++
	video := int64(4_500_000 * (1 + 0.04*(st.rng.Float64()*2-1)))
	audio := int64(160_000)
	eventID := st.eventID
	loss := 0.0
	if st.rng.IntN(10) == 0 {
		loss = math.Round(st.rng.Float64()*20) / 10000
	}
	st.publish(UpdateIncoming{Action: ActionUpdateIncoming, UserID: st.user, EventID: &eventID, CreatedAt: st.createdAt,
		Suid: st.suid, Streaming: IncomingStreaming{Fps: math.Round((30+0.1*(st.rng.Float64()*2-1))*100) / 100,
			KeyframeInterval: 2, LossRate: loss, Bitrate: IncomingBitrate{Total: video + audio, Audio: audio, Video: video},
			Codec: Codec{Audio: "aac", Video: "h264"}, ProfileAndLevel: "high/4.1", Height: 1080, Width: 1920}})
	for _, id := range st.order {
		o := st.outgoing[id]
		switch o.status {
		case "":
			o.status = OutgoingConnecting
		case OutgoingConnecting:
			o.status = OutgoingConnected
		}
		st.publishOutgoing(o, video+audio)
	}
	for _, id := range st.order {
		if o := st.outgoing[id]; o.reports && o.status == OutgoingConnected {
			st.publishStatuses(o, now)
		}
	}
}

func (st *stream) publishOutgoing(o *outgoing, bitrate int64) {
	var buffered int64
	if o.status == OutgoingConnected {
		buffered = int64(st.rng.IntN(32 << 10))
	}
	st.publish(UpdateOutgoing{Action: ActionUpdateOutgoing, UserID: st.user, PlatformID: o.ch.StreamingPlatformId,
		ChannelID: o.ch.Id, CreatedAt: o.createdAt, ChannelIdentifier: o.ch.Identifier, EventIdentifier: o.eventIdent,
		Streaming: OutgoingStreaming{Status: o.status, Bitrate: int64(float64(bitrate) * (0.97 + 0.03*st.rng.Float64())),
			BufferedBytes: buffered}})
}

// publishStatuses reports what the platform says, with viewers that drift by a few percent.
// Which fields a platform fills is the mock's choice: followers and viewers everywhere,
// a game on the gaming platforms, cumulative views on YouTube, channel views nowhere.
func (st *stream) publishStatuses(o *outgoing, now time.Time) {
	o.viewers = min(max(0, o.viewers*(1+0.08*(st.rng.Float64()*2-1))+float64(st.rng.IntN(3)-1)), MaxViewers)
	if st.rng.IntN(4) == 0 {
		o.followers++
	}
	viewers := int64(math.Round(o.viewers))
	o.views += viewers / 4
	followers := o.followers
	u := UpdateStatuses{Action: ActionUpdateStatuses, UserID: st.user, PlatformID: o.ch.StreamingPlatformId, ChannelID: o.ch.Id,
		CreatedAt: o.createdAt, UpdatedAt: now.Unix(), ChannelIdentifier: o.ch.Identifier, EventIdentifier: o.eventIdent,
		Followers: &followers, Online: true, Title: o.title, Viewers: &viewers}
	switch o.ch.StreamingPlatformId {
	case PlatformTwitch, PlatformKick, PlatformTrovo, PlatformDLive:
		game := "Just Chatting"
		u.GameTitle = &game
	case PlatformYouTube:
		views := o.views
		u.StreamViews = &views
	}
	st.publish(u)
}

func (st *stream) publish(frame any) { st.s.pub.Publish(st.user, mustJSON(frame)) }

// connectChannel starts the outgoing stream of a channel enabled or added while live.
func (st *stream) connectChannel(ch restreamapi.Channel) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.ended || st.outgoing[ch.Id] != nil {
		return
	}
	o := st.addChannel(ch)
	o.status = OutgoingConnecting
	st.publishOutgoing(o, 4_660_000)
}

// dropChannel ends the outgoing stream of a channel disabled or removed while live.
func (st *stream) dropChannel(id int64) {
	st.mu.Lock()
	defer st.mu.Unlock()
	o := st.outgoing[id]
	if st.ended || o == nil {
		return
	}
	delete(st.outgoing, id)
	st.order = slices.DeleteFunc(st.order, func(x int64) bool { return x == id })
	st.publish(DeleteOutgoing{Action: ActionDeleteOutgoing, UserID: st.user, PlatformID: o.ch.StreamingPlatformId,
		ChannelID: id, CreatedAt: o.createdAt})
}

// halt stops the goroutine and waits for it.
func (st *stream) halt() {
	st.haltOnce.Do(func() { close(st.stop) })
	<-st.done
}

// end stops the stream and, when announce is set, publishes its deletes. It returns the
// stream's last description.
func (st *stream) end(announce bool) StreamInfo {
	st.halt()
	info := st.info()
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.ended {
		return info
	}
	st.ended = true
	if announce {
		for _, id := range st.order {
			o := st.outgoing[id]
			st.publish(DeleteOutgoing{Action: ActionDeleteOutgoing, UserID: st.user, PlatformID: o.ch.StreamingPlatformId,
				ChannelID: id, CreatedAt: o.createdAt})
		}
		st.publish(DeleteIncoming{Action: ActionDeleteIncoming, UserID: st.user, CreatedAt: st.createdAt, Suid: st.suid})
	}
	return info
}
