package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/clock"
	"github.com/restreamkit/restreamkit/internal/randid"
	"github.com/restreamkit/restreamkit/internal/state"
)

// DefaultScriptSpacing is the pause between the messages of a script.
const DefaultScriptSpacing = 300 * time.Millisecond

// MaxScriptsPerUser is how many chat scripts may play at once for one user; one more is a 409
// script_limit_reached. Each script is a goroutine until its last message, so the count is
// bounded (the mock's own choice).
const MaxScriptsPerUser = 10

// ChatOptions configure a Chat. Store and Publisher are required.
type ChatOptions struct {
	Store     *state.Store
	Publisher Publisher
	// Clock stamps frames; nil means a clock at real time.
	Clock *clock.Clock
	// Fixture adds Discord and Facebook profile or group connections.
	Fixture ChatFixture
	// ScriptSpacing is the real-time pause between scripted messages; 0 means
	// DefaultScriptSpacing.
	ScriptSpacing time.Duration
	// Seed makes generated authors, texts and ids (connection uuids, reply ids, event
	// identifiers) repeatable; 0 picks a random seed.
	Seed uint64
	// Logger receives debug lines; nil discards them.
	Logger *slog.Logger
}

// Chat simulates Restream's chat for every user of a store: the map of connections each user
// has, and what happens on them. It is safe for concurrent use.
//
// The map is derived from the world, never stored: each enabled channel of a platform with chat
// is a connection, plus the fixture's Discord and Facebook connections. Connections to
// event-based sources (YouTube, Facebook, LinkedIn) target the user's current event, the one
// in progress or else the next upcoming one, and are in error (reason event_not_started) until
// an event is in progress. Chat compares the map before and after every change of the world
// and announces the difference: connection_info for a new connection or a new status,
// connection_info of a new connection then connection_closed (replaced) of the old one when
// the target changed, and connection_closed (removed) for a connection that is gone.
type Chat struct {
	opts    ChatOptions
	store   *state.Store
	pub     Publisher
	clock   *clock.Clock
	log     *slog.Logger
	spacing time.Duration

	mu     sync.Mutex                       // guards the fields below; held while publishing, to keep frame order
	users  map[int64]map[string]*connection // by user, by connectionIdentifier
	rng    *mrand.Rand
	closed bool

	stop    chan struct{} // closed by Close: scripts end
	scripts sync.WaitGroup
	playing map[int64]int // per user, scripts not yet done; guarded by mu
}

// connection is one entry of a user's connection map.
type connection struct {
	ident     string
	uuid      string
	source    int
	status    string
	reason    string // set only when status is StatusError
	target    any
	targetKey string // the target's JSON, to tell a changed target
	rank      int    // position in the user's map: channels in order, then Discord, then Facebook
}

// NewChat builds a chat simulator and computes every user's connections, announcing nothing.
func NewChat(opts ChatOptions) (*Chat, error) {
	if opts.Store == nil || opts.Publisher == nil {
		return nil, errors.New("live: a chat needs a Store and a Publisher")
	}
	if err := opts.Fixture.Check(); err != nil {
		return nil, err
	}
	for _, d := range opts.Fixture.Discord {
		if !opts.Store.HasUser(d.UserID) {
			return nil, fmt.Errorf("chat fixture: discord channel %s: user %d is not in the world", d.Channel.ID, d.UserID)
		}
	}
	for _, f := range opts.Fixture.Facebook {
		if !opts.Store.HasUser(f.UserID) {
			return nil, fmt.Errorf("chat fixture: facebook %s %s: user %d is not in the world", f.Kind, f.ID, f.UserID)
		}
	}
	if opts.Clock == nil {
		opts.Clock = clock.New()
	}
	if opts.ScriptSpacing <= 0 {
		opts.ScriptSpacing = DefaultScriptSpacing
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Chat{opts: opts, store: opts.Store, pub: opts.Publisher, clock: opts.Clock, log: log.With("sim", "chat"),
		spacing: opts.ScriptSpacing, users: map[int64]map[string]*connection{}, rng: randid.NewRand(opts.Seed),
		stop: make(chan struct{}), playing: map[int64]int{}}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.store.Users() {
		c.users[p.Id] = c.indexed(c.desired(p.Id))
	}
	return c, nil
}

// newUUID draws a connection uuid or reply id from the chat's generator. c.mu is held.
func (c *Chat) newUUID() string { return randid.UUID(c.rng) }

// HandleChange brings the connection maps up to date after a change of the store and
// announces the difference. The mock calls it from the store's OnChange.
func (c *Chat) HandleChange(ch state.Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch ch.Kind {
	case state.WorldReplaced:
		ids := map[int64]bool{}
		for uid := range c.users {
			ids[uid] = true
		}
		for _, p := range c.store.Users() {
			ids[p.Id] = true
		}
		sorted := make([]int64, 0, len(ids))
		for uid := range ids {
			sorted = append(sorted, uid)
		}
		slices.Sort(sorted)
		for _, uid := range sorted {
			c.recompute(uid)
		}
	case state.ChannelAdded, state.ChannelUpdated, state.ChannelRemoved, state.EventChanged:
		c.recompute(ch.UserID)
	}
}

// recompute derives the user's map again and publishes the difference. c.mu is held.
func (c *Chat) recompute(uid int64) {
	have := c.users[uid]
	want := c.desired(uid)
	now := c.clock.Now()
	var frames [][]byte
	for _, w := range want {
		old := have[w.ident]
		switch {
		case old == nil:
			w.uuid = c.newUUID()
			frames = append(frames, c.infoFrame(uid, w, now))
		case old.targetKey != w.targetKey || old.source != w.source:
			// A new connection to the target opens before the old one closes (facts §5.1).
			w.uuid = c.newUUID()
			frames = append(frames, c.infoFrame(uid, w, now),
				encodeChat(ActionConnectionClosed, ConnectionClosed{ConnectionUUID: old.uuid, Reason: ClosedReplaced}, now))
		case old.status != w.status || old.reason != w.reason:
			w.uuid = old.uuid
			frames = append(frames, c.infoFrame(uid, w, now))
		default:
			w.uuid = old.uuid
		}
	}
	next := c.indexed(want)
	for _, old := range sortedConnections(have) {
		if next[old.ident] == nil {
			frames = append(frames, encodeChat(ActionConnectionClosed, ConnectionClosed{ConnectionUUID: old.uuid, Reason: ClosedRemoved}, now))
		}
	}
	if len(next) == 0 && !c.store.HasUser(uid) {
		delete(c.users, uid)
	} else {
		c.users[uid] = next
	}
	for _, f := range frames {
		c.pub.Publish(uid, f)
	}
	if len(frames) > 0 {
		c.log.Debug("connections changed", "user", uid, "frames", len(frames))
	}
}

// indexed maps connections by identifier, giving fresh uuids to those without one.
func (c *Chat) indexed(list []*connection) map[string]*connection {
	m := make(map[string]*connection, len(list))
	for _, w := range list {
		if w.uuid == "" {
			w.uuid = c.newUUID()
		}
		m[w.ident] = w
	}
	return m
}

func sortedConnections(m map[string]*connection) []*connection {
	out := make([]*connection, 0, len(m))
	for _, cn := range m {
		out = append(out, cn)
	}
	slices.SortFunc(out, func(a, b *connection) int { return a.rank - b.rank })
	return out
}

func (c *Chat) infoFrame(uid int64, cn *connection, now time.Time) []byte {
	return encodeChat(ActionConnectionInfo, c.info(uid, cn), now)
}

func (c *Chat) info(uid int64, cn *connection) ConnectionInfo {
	var reason *string
	if cn.status == StatusError {
		r := cn.reason
		reason = &r
	}
	return ConnectionInfo{ConnectionIdentifier: cn.ident, ConnectionUUID: cn.uuid, EventSourceID: cn.source,
		Reason: reason, Status: cn.status, Target: cn.target, UserID: uid}
}

// desired derives the user's connections from the world, in rank order. An unknown user has
// none.
func (c *Chat) desired(uid int64) []*connection {
	channels, err := c.store.Channels(uid)
	if err != nil {
		return nil
	}
	current, live := c.currentEvent(uid)
	var out []*connection
	seen := map[string]bool{}
	add := func(cn *connection) {
		if seen[cn.ident] {
			return
		}
		seen[cn.ident] = true
		cn.rank = len(out)
		cn.status = StatusConnected
		if sources[cn.source].eventBased && !live {
			cn.status, cn.reason = StatusError, ReasonEventNotStarted
		}
		cn.targetKey = string(mustJSON(cn.target))
		out = append(out, cn)
	}
	for _, ch := range channels {
		src, ok := SourceOfPlatform(ch.StreamingPlatformId)
		if !ok || !ch.Active {
			continue
		}
		add(&connection{ident: connectionIdentifier(uid, src, ch.Identifier), source: src, target: channelTarget(ch, src, current)})
	}
	for _, d := range c.opts.Fixture.Discord {
		if d.UserID == uid {
			add(&connection{ident: connectionIdentifier(uid, SourceDiscord, d.Channel.ID), source: SourceDiscord, target: d.DiscordTarget})
		}
	}
	for _, f := range c.opts.Fixture.Facebook {
		if f.UserID != uid {
			continue
		}
		video := facebookVideo(f.ID, current, live)
		if f.Kind == FacebookProfile {
			add(&connection{ident: connectionIdentifier(uid, SourceFacebookProfile, f.ID), source: SourceFacebookProfile,
				target: FacebookProfileTarget{LiveVideo: video, User: FacebookUser{Avatar: f.Picture, ID: f.ID, Name: f.Name},
					WebsiteChannelID: f.WebsiteChannelID}})
		} else {
			add(&connection{ident: connectionIdentifier(uid, SourceFacebookGroup, f.ID), source: SourceFacebookGroup,
				target: FacebookGroupTarget{LiveVideo: video, Group: FacebookPage{ID: f.ID, Name: f.Name, Picture: f.Picture},
					WebsiteChannelID: f.WebsiteChannelID}})
		}
	}
	return out
}

// currentEvent returns the event event-based connections target: the most recently started
// event in progress, else the next upcoming one, else nil; and whether it is in progress.
func (c *Chat) currentEvent(uid int64) (*restreamapi.Event, bool) {
	if live, err := c.store.InProgressEvents(uid); err == nil && len(live) > 0 {
		return &live[0], true
	}
	if next, err := c.store.UpcomingEvents(uid, nil, nil); err == nil && len(next) > 0 {
		return &next[0], false
	}
	return nil, false
}

// channelTarget builds the target of a channel's connection, facts §5.4.
func channelTarget(ch restreamapi.Channel, src int, current *restreamapi.Event) any {
	eventID, title := "", ""
	if current != nil {
		eventID, title = current.Id.String(), current.Title
	}
	switch src {
	case SourceYouTube:
		ev := YouTubeEvent{URL: strings.TrimSuffix(ch.Url, "/") + "/live"}
		if eventID != "" {
			ev.ID = platformEventIdentifier(ch.StreamingPlatformId, eventID)
			ev.Title = title
			ev.URL = "https://www.youtube.com/watch?v=" + ev.ID
		}
		return YouTubeTarget{Event: ev, WebsiteChannelID: ch.Id,
			Owner: YouTubeOwner{Avatar: avatarURL("youtube", ch.Identifier), DisplayName: ch.DisplayName, ID: ch.Identifier}}
	case SourceFacebookPage:
		video := FacebookLiveVideo{}
		if eventID != "" {
			video.ID = platformEventIdentifier(ch.StreamingPlatformId, eventID)
			video.Title = title
			video.URL = "https://www.facebook.com/" + ch.Identifier + "/videos/" + video.ID + "/"
			video.Status = "SCHEDULED_LIVE"
			if current.Status == restreamapi.EventStatusInProgress {
				video.Status = "LIVE"
			}
		}
		return FacebookPageTarget{LiveVideo: video, WebsiteChannelID: ch.Id,
			Page: FacebookPage{ID: ch.Identifier, Name: ch.DisplayName, Picture: "https://graph.facebook.com/" + ch.Identifier + "/picture"}}
	case SourceLinkedIn:
		post := LinkedInPost{}
		if eventID != "" {
			post.ID = platformEventIdentifier(ch.StreamingPlatformId, eventID)
			post.URL = "https://www.linkedin.com/feed/update/" + post.ID + "/"
		}
		t := LinkedInTarget{Post: post, WebsiteChannelID: ch.Id}
		if id, err := strconv.ParseInt(ch.Identifier, 10, 64); err == nil {
			t.Organization = &LinkedInOrganization{ID: id, Name: ch.DisplayName, AvatarURL: avatarURL("linkedin", ch.Identifier)}
		} else {
			t.User = &LinkedInUser{ID: ch.Identifier, Name: ch.DisplayName, AvatarURL: avatarURL("linkedin", ch.Identifier)}
		}
		return t
	case SourceDLive:
		url := ch.Url
		if url == "" {
			url = "https://dlive.tv/" + ch.Identifier
		}
		return DLiveTarget{Owner: DLiveOwner{Avatar: avatarURL("dlive", ch.Identifier), DisplayName: ch.DisplayName, URL: url,
			Username: ch.Identifier}, WebsiteChannelID: ch.Id}
	}
	// Twitch, and with its shape (UNCONFIRMED) Trovo, X and Kick.
	return TwitchTarget{WebsiteChannelID: ch.Id, Owner: TwitchOwner{Avatar: avatarURL(sources[src].slug, ch.Identifier),
		DisplayName: ch.DisplayName, ID: derivedDigits(9, sources[src].slug, ch.Identifier), Name: ch.Identifier, URL: ch.Url}}
}

// facebookVideo is the live video of a Facebook profile or group for the current event.
func facebookVideo(targetID string, current *restreamapi.Event, live bool) FacebookLiveVideo {
	if current == nil {
		return FacebookLiveVideo{}
	}
	v := FacebookLiveVideo{ID: derivedDigits(16, "facebook", targetID, current.Id.String()), Title: current.Title,
		Status: "SCHEDULED_LIVE"}
	v.URL = "https://www.facebook.com/" + targetID + "/videos/" + v.ID + "/"
	if live {
		v.Status = "LIVE"
	}
	return v
}

// avatarURL is a stable picture URL for an account.
func avatarURL(platform, id string) string {
	d := derived("avatar", platform, id)
	switch platform {
	case "youtube":
		return "https://yt3.ggpht.com/" + youTubeVideoID(platform, id) + "=s88-c-k-c0x00ffffff-no-rj"
	case "twitch":
		return fmt.Sprintf("https://static-cdn.jtvnw.net/jtv_user_pictures/%x-profile_image-300x300.png", d[:16])
	}
	return fmt.Sprintf("https://images.restream.io/mock/%s/%x.png", platform, d[:8])
}

// InitialFrames returns the connection_info frames a chat socket receives when it opens, one
// per connection of the user; it fits wsmock.Options.OnConnect.
func (c *Chat) InitialFrames(userID int64) [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	var frames [][]byte
	for _, cn := range sortedConnections(c.users[userID]) {
		frames = append(frames, c.infoFrame(userID, cn, now))
	}
	return frames
}

// Connections returns the user's connection map as connection_info payloads, in order.
func (c *Chat) Connections(userID int64) []ConnectionInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []ConnectionInfo
	for _, cn := range sortedConnections(c.users[userID]) {
		out = append(out, c.info(userID, cn))
	}
	return out
}

// AnnounceShutdown publishes connection_closed with reason shutdown for every connection of
// every user, as a serving instance that stops does. The connections get fresh uuids, as a new
// instance would open new ones: a client that reconnects receives them in connection_info.
func (c *Chat) AnnounceShutdown() {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	for uid, m := range c.users {
		for _, cn := range sortedConnections(m) {
			c.pub.Publish(uid, ShutdownFrame(cn.uuid, now))
			cn.uuid = c.newUUID()
		}
	}
}

// Close stops running scripts and waits for them, or for ctx.
func (c *Chat) Close(ctx context.Context) error {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.stop)
	}
	c.mu.Unlock()
	done := make(chan struct{})
	go func() {
		c.scripts.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// errUserNotFound is the 404 of a user the world does not have.
func errUserNotFound(uid int64) *apierror.Error {
	return apierror.Newf(http.StatusNotFound, "user_not_found", "UserNotFound: user %d is not in the world", uid)
}
