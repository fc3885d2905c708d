package live

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/restreamkit/restreamkit/internal/apierror"
)

// Injection asks for one chat event. It names a connection by ConnectionIdentifier, or else
// the first connected connection of EventSourceID, or else of EventTypeID's source, or else
// the user's first connected connection that has event types. Everything not given is
// generated: an author, a text, and for Super Chats and Super Stickers the money.
type Injection struct {
	ConnectionIdentifier string
	EventSourceID        int
	// EventTypeID is 0 for the plain text type of the connection's source.
	EventTypeID int
	Author      string    // display name of the author
	Text        string    // the message; for a Super Sticker its alt text
	Donation    *Donation // Super Chat (7) and Super Sticker (8) only
}

// Injected says what was sent.
type Injected struct {
	ConnectionIdentifier string
	EventIdentifier      string
	EventSourceID        int
	EventTypeID          int
}

// InjectEvent publishes one chat event on a connection of the user. The connection must be
// connected: an event-based source has no chat before its event goes live (409). Sources with
// no documented event types (Trovo, X, Kick) take no events (400).
func (c *Chat) InjectEvent(userID int64, in Injection) (Injected, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inject(userID, in)
}

func (c *Chat) inject(uid int64, in Injection) (Injected, error) {
	cn, err := c.resolve(uid, in)
	if err != nil {
		return Injected{}, err
	}
	info := sources[cn.source]
	typeID := in.EventTypeID
	if typeID == 0 {
		if len(info.types) == 0 {
			return Injected{}, apierror.Newf(http.StatusBadRequest, "invalid_event_type",
				"InvalidEventType: no event types are documented for source %d of connection %s", cn.source, cn.ident)
		}
		typeID = info.types[0]
	}
	if !slices.Contains(info.types, typeID) {
		src, known := SourceOfEventType(typeID)
		if !known {
			return Injected{}, apierror.Newf(http.StatusBadRequest, "invalid_event_type",
				"InvalidEventType: event type %d is not one of %v", typeID, EventTypes())
		}
		return Injected{}, apierror.Newf(http.StatusBadRequest, "invalid_event_type",
			"InvalidEventType: event type %d belongs to source %d, and connection %s is source %d", typeID, src, cn.ident, cn.source)
	}
	if in.Donation != nil && typeID != TypeYouTubeSuperChat && typeID != TypeYouTubeSuperSticker {
		return Injected{}, apierror.Newf(http.StatusBadRequest, apierror.NameInvalidBodyParams,
			"Invalid body params: a donation is only for Super Chats (7) and Super Stickers (8), not type %d", typeID)
	}
	if in.Text != "" && typeID == TypeDLiveEmoji {
		return Injected{}, apierror.New(http.StatusBadRequest, apierror.NameInvalidBodyParams,
			"Invalid body params: a DLive emoji (3) has no text")
	}
	if cn.status != StatusConnected {
		return Injected{}, apierror.Newf(http.StatusConflict, FailedInErrorState,
			"ConnectionInErrorState: connection %s is %s (%s); it reads no chat", cn.ident, cn.status, cn.reason)
	}
	g := gen{c.rng}
	ev := ChatEvent{ConnectionIdentifier: cn.ident, EventIdentifier: g.eventIdentifier(cn.source),
		EventPayload:  g.payload(typeID, message{author: in.Author, text: in.Text, donation: in.Donation}),
		EventSourceID: cn.source, EventTypeID: typeID, UserID: uid}
	c.pub.Publish(uid, encodeChat(ActionEvent, ev, c.clock.Now()))
	return Injected{ConnectionIdentifier: cn.ident, EventIdentifier: ev.EventIdentifier, EventSourceID: cn.source, EventTypeID: typeID}, nil
}

// resolve finds the connection an injection names. c.mu is held.
func (c *Chat) resolve(uid int64, in Injection) (*connection, error) {
	m, ok := c.users[uid]
	if !ok {
		return nil, errUserNotFound(uid)
	}
	if in.ConnectionIdentifier != "" {
		cn := m[in.ConnectionIdentifier]
		if cn == nil {
			return nil, errConnectionNotFound(in.ConnectionIdentifier)
		}
		return cn, nil
	}
	src := in.EventSourceID
	if src == 0 && in.EventTypeID != 0 {
		var known bool
		if src, known = SourceOfEventType(in.EventTypeID); !known {
			return nil, apierror.Newf(http.StatusBadRequest, "invalid_event_type",
				"InvalidEventType: event type %d is not one of %v", in.EventTypeID, EventTypes())
		}
	}
	var first *connection
	for _, cn := range sortedConnections(m) {
		if (src != 0 && cn.source != src) || (src == 0 && len(sources[cn.source].types) == 0) {
			continue
		}
		if cn.status == StatusConnected {
			return cn, nil
		}
		if first == nil {
			first = cn
		}
	}
	if first != nil {
		return first, nil // in error: inject says why
	}
	if src != 0 {
		return nil, apierror.Newf(http.StatusNotFound, "connection_not_found",
			"ConnectionNotFound: user %d has no chat connection of source %d", uid, src)
	}
	return nil, apierror.Newf(http.StatusNotFound, "connection_not_found",
		"ConnectionNotFound: user %d has no chat connection that takes events", uid)
}

func errConnectionNotFound(ident string) *apierror.Error {
	return apierror.Newf(http.StatusNotFound, "connection_not_found", "ConnectionNotFound: no connection %q", ident)
}

// Scripts names the scripts RunScript plays.
func Scripts() []string { return []string{"hello", "raid", "superchat"} }

// ScriptRun describes a script that started.
type ScriptRun struct {
	Name     string
	Messages int             // how many events it plays
	Done     <-chan struct{} // closed when the last one is sent, or when the chat closes
}

// RunScript plays a short named scene on the user's connections, one event every
// ScriptSpacing, the first at once:
//
//   - "hello": two greetings on every connected connection that takes events;
//   - "superchat": a message, a Super Chat and a Super Sticker on the first connected YouTube;
//   - "raid": a burst of 20 messages from raiders on the first connected Twitch.
//
// It returns when the script has started. An event whose connection is gone by the time it
// is due is skipped.
func (c *Chat) RunScript(userID int64, name string) (ScriptRun, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ScriptRun{}, apierror.New(http.StatusServiceUnavailable, "service_unavailable", "Service Unavailable: the chat is closed")
	}
	m, ok := c.users[userID]
	if !ok {
		return ScriptRun{}, errUserNotFound(userID)
	}
	if c.playing[userID] >= MaxScriptsPerUser {
		return ScriptRun{}, apierror.Newf(http.StatusConflict, "script_limit_reached",
			"ScriptLimitReached: a user may have at most %d chat scripts playing at once", MaxScriptsPerUser)
	}
	firstOf := func(src int) (*connection, error) {
		for _, cn := range sortedConnections(m) {
			if cn.source == src && cn.status == StatusConnected {
				return cn, nil
			}
		}
		return nil, apierror.Newf(http.StatusConflict, FailedInErrorState,
			"ConnectionInErrorState: the %q script needs a connected %s connection", name, sources[src].slug)
	}
	g := gen{c.rng}
	var steps []Injection
	switch name {
	case "hello":
		for _, cn := range sortedConnections(m) {
			if cn.status != StatusConnected || len(sources[cn.source].types) == 0 {
				continue
			}
			for range 2 {
				steps = append(steps, Injection{ConnectionIdentifier: cn.ident, Text: g.pick(greetings)})
			}
		}
		if len(steps) == 0 {
			return ScriptRun{}, apierror.New(http.StatusConflict, FailedInErrorState,
				`ConnectionInErrorState: the "hello" script needs a connected connection that takes events`)
		}
	case "superchat":
		cn, err := firstOf(SourceYouTube)
		if err != nil {
			return ScriptRun{}, err
		}
		steps = []Injection{
			{ConnectionIdentifier: cn.ident, EventTypeID: TypeYouTubeText, Text: "this stream is great, here is something for the coffee"},
			{ConnectionIdentifier: cn.ident, EventTypeID: TypeYouTubeSuperChat, Text: "keep it up!", Donation: &Donation{Amount: "$10.00", CurrencyString: "USD"}},
			{ConnectionIdentifier: cn.ident, EventTypeID: TypeYouTubeSuperSticker, Donation: &Donation{Amount: "$2.00", CurrencyString: "USD"}},
		}
	case "raid":
		cn, err := firstOf(SourceTwitch)
		if err != nil {
			return ScriptRun{}, err
		}
		for range 20 {
			steps = append(steps, Injection{ConnectionIdentifier: cn.ident, EventTypeID: TypeTwitchText, Text: g.pick(raidTexts)})
		}
	default:
		return ScriptRun{}, apierror.Newf(http.StatusNotFound, "script_not_found",
			"ScriptNotFound: no script %q (scripts: %s)", name, strings.Join(Scripts(), ", "))
	}
	done := make(chan struct{})
	c.scripts.Add(1)
	c.playing[userID]++
	go c.play(userID, steps, done)
	return ScriptRun{Name: name, Messages: len(steps), Done: done}, nil
}

// play sends the steps of a script, spaced, until they are all sent or the chat closes.
func (c *Chat) play(uid int64, steps []Injection, done chan<- struct{}) {
	defer c.scripts.Done()
	defer close(done)
	defer func() {
		c.mu.Lock()
		if c.playing[uid]--; c.playing[uid] == 0 {
			delete(c.playing, uid)
		}
		c.mu.Unlock()
	}()
	t := time.NewTimer(0)
	defer t.Stop()
	for i, s := range steps {
		if i > 0 {
			t.Reset(c.spacing)
		}
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		c.mu.Lock()
		_, err := c.inject(uid, s)
		c.mu.Unlock()
		if err != nil {
			c.log.Debug("script step skipped", "user", uid, "connection", s.ConnectionIdentifier, "err", err)
		}
	}
}

// Outcomes a reply or relay can be asked for.
const (
	OutcomeConfirm = "confirm"
	OutcomeFail    = "fail"
)

// OutcomeConfirmed is the outcome reported for a connection where a reply or relay went
// through; the others report their failure reason.
const OutcomeConfirmed = "confirmed"

// ReplyRequest asks for a reply sent from Restream Chat.
type ReplyRequest struct {
	Text string
	// ConnectionIdentifiers are the targets; empty means a common reply to every connected
	// connection whose source takes replies.
	ConnectionIdentifiers []string
	// ClientReplyUUID is the id the sending client gave the reply; generated when empty.
	ClientReplyUUID string
	// Outcome is OutcomeConfirm (the default) or OutcomeFail.
	Outcome string
	// Reason is the failure reason of OutcomeFail; FailedInternal when empty.
	Reason string
}

// ReplyResult says what was sent.
type ReplyResult struct {
	ReplyUUID             string
	ClientReplyUUID       string
	ConnectionIdentifiers []string
	EventSourceID         int
	// Outcomes holds, per connection, OutcomeConfirmed or the failure reason.
	Outcomes map[string]string
}

// Reply publishes reply_created, then for each target reply_accepted and reply_confirmed, or
// reply_failed. Whatever the requested outcome, a target whose source cannot take replies
// (Facebook profile and group, LinkedIn, X, Kick) or that is in error fails with
// connection_in_error_state, and one still connecting with connection_not_established_yet.
// eventSourceId is 1 for a common reply or several targets, else the one target's source; a
// reply to a single connection whose source cannot take replies is refused (409
// connection_in_error_state) before anything is published, as Restream Chat offers no such
// reply.
func (c *Chat) Reply(userID int64, req ReplyRequest) (ReplyResult, error) {
	if strings.TrimSpace(req.Text) == "" {
		return ReplyResult{}, apierror.New(http.StatusBadRequest, apierror.NameInvalidBodyParams, "Invalid body params: text is required")
	}
	if err := checkOutcome(req.Outcome); err != nil {
		return ReplyResult{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	targets, common, err := c.targets(userID, req.ConnectionIdentifiers, func(i sourceInfo) bool { return i.reply }, "replies")
	if err != nil {
		return ReplyResult{}, err
	}
	res := ReplyResult{ReplyUUID: c.newUUID(), ClientReplyUUID: req.ClientReplyUUID, EventSourceID: SourceRestream,
		Outcomes: map[string]string{}}
	if res.ClientReplyUUID == "" {
		res.ClientReplyUUID = c.newUUID()
	}
	for _, cn := range targets {
		res.ConnectionIdentifiers = append(res.ConnectionIdentifiers, cn.ident)
	}
	if !common && len(targets) == 1 {
		// A reply to one connection names its source, which must take replies: the documented
		// eventSourceId values of reply_created are 1 and the reply-capable sources.
		if !sources[targets[0].source].reply {
			return ReplyResult{}, apierror.Newf(http.StatusConflict, FailedInErrorState,
				"ConnectionInErrorState: source %d of connection %s takes no replies", targets[0].source, targets[0].ident)
		}
		res.EventSourceID = targets[0].source
	}
	now := c.clock.Now()
	c.pub.Publish(userID, encodeChat(ActionReplyCreated, ReplyCreated{ClientReplyUUID: res.ClientReplyUUID,
		ConnectionIdentifiers: res.ConnectionIdentifiers, EventSourceID: res.EventSourceID, ReplyUUID: res.ReplyUUID,
		Text: req.Text}, now))
	for _, cn := range targets {
		reason := failure(cn, sources[cn.source].reply, req)
		res.Outcomes[cn.ident] = reason
		if reason != OutcomeConfirmed {
			c.pub.Publish(userID, encodeChat(ActionReplyFailed, ReplyFailed{ConnectionIdentifier: cn.ident, Reason: reason,
				ReplyUUID: res.ReplyUUID}, now))
			continue
		}
		ack := ReplyAccepted{ConnectionIdentifier: cn.ident, ReplyUUID: res.ReplyUUID}
		c.pub.Publish(userID, encodeChat(ActionReplyAccepted, ack, now))
		c.pub.Publish(userID, encodeChat(ActionReplyConfirmed, ack, now))
	}
	return res, nil
}

// RelayRequest asks for an event to be relayed from Restream Chat to other connections.
type RelayRequest struct {
	// SourceEventIdentifier is the eventIdentifier of the relayed event; generated when empty.
	SourceEventIdentifier string
	// ConnectionIdentifiers are the targets; empty means every connected connection whose
	// source takes relays.
	ConnectionIdentifiers []string
	Outcome               string // OutcomeConfirm (the default) or OutcomeFail
	Reason                string // for OutcomeFail; FailedInternal when empty
}

// RelayResult says what was sent.
type RelayResult struct {
	SourceEventIdentifier string
	ConnectionIdentifiers []string
	Outcomes              map[string]string // per connection, OutcomeConfirmed or the failure reason
}

// Relay publishes, for each target, relay_accepted and relay_confirmed, or relay_failed. As
// for replies, a target whose source cannot take relays (only Twitch, YouTube, DLive and
// Discord can) or that is in error fails with connection_in_error_state.
func (c *Chat) Relay(userID int64, req RelayRequest) (RelayResult, error) {
	if err := checkOutcome(req.Outcome); err != nil {
		return RelayResult{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	targets, _, err := c.targets(userID, req.ConnectionIdentifiers, func(i sourceInfo) bool { return i.relay }, "relays")
	if err != nil {
		return RelayResult{}, err
	}
	res := RelayResult{SourceEventIdentifier: req.SourceEventIdentifier, Outcomes: map[string]string{}}
	if res.SourceEventIdentifier == "" {
		res.SourceEventIdentifier = c.newUUID()
	}
	now := c.clock.Now()
	for _, cn := range targets {
		res.ConnectionIdentifiers = append(res.ConnectionIdentifiers, cn.ident)
		reason := failure(cn, sources[cn.source].relay, ReplyRequest{Outcome: req.Outcome, Reason: req.Reason})
		res.Outcomes[cn.ident] = reason
		if reason != OutcomeConfirmed {
			c.pub.Publish(userID, encodeChat(ActionRelayFailed, RelayFailed{ConnectionIdentifier: cn.ident, Reason: reason,
				SourceEventIdentifier: res.SourceEventIdentifier}, now))
			continue
		}
		ack := RelayAccepted{ConnectionIdentifier: cn.ident, SourceEventIdentifier: res.SourceEventIdentifier}
		c.pub.Publish(userID, encodeChat(ActionRelayAccepted, ack, now))
		c.pub.Publish(userID, encodeChat(ActionRelayConfirmed, ack, now))
	}
	return res, nil
}

func checkOutcome(o string) error {
	if o != "" && o != OutcomeConfirm && o != OutcomeFail {
		return apierror.Newf(http.StatusBadRequest, apierror.NameInvalidBodyParams,
			"Invalid body params: outcome %q is neither %q nor %q", o, OutcomeConfirm, OutcomeFail)
	}
	return nil
}

// targets resolves the connections of a reply or relay; common reports that none were named.
// c.mu is held.
func (c *Chat) targets(uid int64, idents []string, takes func(sourceInfo) bool, what string) ([]*connection, bool, error) {
	m, ok := c.users[uid]
	if !ok {
		return nil, false, errUserNotFound(uid)
	}
	var out []*connection
	if len(idents) == 0 {
		for _, cn := range sortedConnections(m) {
			if cn.status == StatusConnected && takes(sources[cn.source]) {
				out = append(out, cn)
			}
		}
		if len(out) == 0 {
			return nil, true, apierror.Newf(http.StatusConflict, FailedInErrorState,
				"ConnectionInErrorState: user %d has no connected connection that takes %s", uid, what)
		}
		return out, true, nil
	}
	seen := map[string]bool{}
	for _, id := range idents {
		cn := m[id]
		if cn == nil {
			return nil, false, errConnectionNotFound(id)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, cn)
		}
	}
	return out, false, nil
}

// failure decides how a reply or relay ends on one connection: OutcomeConfirmed or a reason.
func failure(cn *connection, takes bool, req ReplyRequest) string {
	switch {
	case !takes || cn.status == StatusError:
		return FailedInErrorState
	case cn.status == StatusConnecting:
		return FailedNotEstablished
	case req.Outcome == OutcomeFail:
		if req.Reason != "" {
			return req.Reason
		}
		return FailedInternal
	}
	return OutcomeConfirmed
}
