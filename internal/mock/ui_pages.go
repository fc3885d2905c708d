package mock

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/restreamkit/restreamkit/api/gen/controlapi"
	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/live"
	"github.com/restreamkit/restreamkit/internal/redact"
	"github.com/restreamkit/restreamkit/internal/webui"
)

// ---- World ----

type worldPage struct {
	Users      []userOption
	User       int64
	Username   string
	StreamKey  string // masked
	Channels   []restreamapi.Channel
	Platforms  map[int]string // platform names by id, for the channels' column
	Upcoming   []restreamapi.Event
	InProgress []restreamapi.Event
	History    []restreamapi.Event
	Now        time.Time
	Error      string
}

// pickUser reads ?user=, defaulting to the sign-in default user, then the first user.
func (d *dashboard) pickUser(r *http.Request) int64 {
	if n, err := strconv.ParseInt(r.URL.Query().Get("user"), 10, 64); err == nil && d.s.store.HasUser(n) {
		return n
	}
	if def := d.s.DefaultUser(); d.s.store.HasUser(def) {
		return def
	}
	if users := d.s.store.Users(); len(users) > 0 {
		return users[0].Id
	}
	return 0
}

func (d *dashboard) world(w http.ResponseWriter, r *http.Request) {
	uid := d.pickUser(r)
	page := worldPage{Users: d.users(), User: uid, Now: d.s.clock.Now()}
	if uid != 0 {
		if p, err := d.s.store.Profile(uid); err == nil {
			page.Username = p.Username
		}
		if k, err := d.s.store.StreamKey(uid); err == nil {
			page.StreamKey = redact.Value(k.StreamKey) // a stream key is a secret: never in clear
		}
		page.Channels, _ = d.s.store.Channels(uid)
		page.Platforms = map[int]string{}
		for _, p := range d.s.store.Platforms() {
			page.Platforms[p.Id] = p.Name
		}
		page.Upcoming, _ = d.s.store.UpcomingEvents(uid, nil, nil)
		page.InProgress, _ = d.s.store.InProgressEvents(uid)
		if h, err := d.s.store.EventHistory(uid, 1, 10); err == nil {
			page.History = h.Items
		}
	}
	d.render(w, r, "world", "World", "", page)
}

// channelAction enables, disables or deletes a channel with the store methods the REST API's
// PATCH /v2/user/channel/{id} and DELETE /v2/user/channel/{channelId} call.
func (d *dashboard) channelAction(w http.ResponseWriter, r *http.Request) {
	back := UIPath + "world"
	f, err := readForm(w, r)
	if err != nil {
		d.done(w, r, back, err.Error(), true)
		return
	}
	uid := f.int64("user", "User", true)
	ch := f.int64("channel", "Channel", true)
	if uid != nil {
		back += "?user=" + strconv.FormatInt(*uid, 10)
	}
	action := f.v.Get("action")
	if err := f.err(); err != nil {
		d.done(w, r, back, err.Error(), true)
		return
	}
	var msg string
	switch action {
	case "enable", "disable":
		err = d.s.store.SetChannelActive(*uid, *ch, action == "enable")
		msg = "channel " + strconv.FormatInt(*ch, 10) + " " + action + "d"
	case "delete":
		err = d.s.store.DeleteChannel(*uid, *ch)
		msg = "channel " + strconv.FormatInt(*ch, 10) + " deleted"
	default:
		d.done(w, r, back, "action: want enable, disable or delete", true)
		return
	}
	if err != nil {
		d.done(w, r, back, errorText(err), true)
		return
	}
	d.done(w, r, back, msg, false)
}

// errorText is an error as the page shows it: the envelope's name and message when it has one.
func errorText(err error) string {
	if ae, ok := apierror.As(err); ok {
		return ae.Name + ": " + ae.Message
	}
	return err.Error()
}

// ---- Live ----

type livePage struct {
	Users      []userOption
	User       int64
	Streams    []live.StreamInfo
	EventTypes []eventTypeOption
	Scripts    []string
	Frames     []sentFrame
	FrameCount int
}

type eventTypeOption struct {
	ID   int
	Name string
}

// eventTypeNames are the documented chat event types (facts §5.3), as the picker lists them.
var eventTypeNames = map[int]string{
	live.TypeDiscordText: "Discord text", live.TypeDLiveText: "DLive text", live.TypeDLiveEmoji: "DLive emoji",
	live.TypeTwitchText: "Twitch text", live.TypeYouTubeText: "YouTube text", live.TypeYouTubeSuperChat: "YouTube Super Chat",
	live.TypeYouTubeSuperSticker: "YouTube Super Sticker", live.TypeFacebookProfileText: "Facebook profile text",
	live.TypeFacebookProfileSticker: "Facebook profile sticker", live.TypeFacebookPageText: "Facebook page text",
	live.TypeFacebookPageSticker: "Facebook page sticker", live.TypeFacebookGroupText: "Facebook group text",
	live.TypeFacebookGroupSticker: "Facebook group sticker", live.TypeLinkedInText: "LinkedIn text",
}

func eventTypeName(id int) string {
	if n, ok := eventTypeNames[id]; ok {
		return n
	}
	return "type " + strconv.Itoa(id)
}

func (d *dashboard) live(w http.ResponseWriter, r *http.Request) {
	uid := d.pickUser(r)
	page := livePage{Users: d.users(), User: uid, Streams: d.s.streams.Running(uid),
		Scripts: []string{string(controlapi.Hello), string(controlapi.Superchat), string(controlapi.Raid)},
		Frames:  d.frames.list(uid), FrameCount: uiFrameCount}
	for _, t := range live.EventTypes() {
		page.EventTypes = append(page.EventTypes, eventTypeOption{ID: t, Name: eventTypeName(t)})
	}
	d.render(w, r, "live", "Live", UIPath+"events?kind=frames&user="+strconv.FormatInt(uid, 10), page)
}

// liveAction goes live, stops, injects a chat event, runs a script or sends a reply, each by the
// control API operation that does it.
func (d *dashboard) liveAction(w http.ResponseWriter, r *http.Request) {
	back := UIPath + "live"
	f, err := readForm(w, r)
	if err != nil {
		d.done(w, r, back, err.Error(), true)
		return
	}
	uid := f.int64("userId", "User", true)
	if uid != nil {
		back += "?user=" + strconv.FormatInt(*uid, 10)
	}
	var path, ok string
	var fields map[string]any
	switch r.PathValue("action") {
	case "start":
		path, ok = "/__mock/streams", "went live"
		fields = map[string]any{"userId": uid, "viewers": f.int64("viewers", "Viewers", false)}
	case "stop":
		path, ok = "/__mock/streams/stop", "stream stopped"
		fields = map[string]any{"userId": uid}
	case "chat":
		path, ok = "/__mock/chat/events", "chat event sent"
		fields = map[string]any{"userId": uid, "eventTypeId": f.int64("eventTypeId", "Event type", false),
			"author": f.string("author", "Author", false), "text": f.string("text", "Text", false)}
	case "script":
		path, ok = "/__mock/chat/scripts", "script started"
		fields = map[string]any{"userId": uid, "name": f.string("name", "Script", true)}
	case "reply":
		path, ok = "/__mock/chat/replies", "reply sent"
		fields = map[string]any{"userId": uid, "text": f.string("text", "Reply", true)}
	default:
		d.notFound(w, r, "no live action "+clip(r.PathValue("action"), 40))
		return
	}
	if err := f.err(); err != nil {
		d.done(w, r, back, err.Error(), true)
		return
	}
	status, resp := d.dispatch(r, http.MethodPost, path, body(fields))
	msg, failed := result(status, resp, ok)
	d.done(w, r, back, msg, failed)
}

// ---- Faults and time ----

type faultsPage struct {
	Users   []userOption
	Now     time.Time
	Offset  time.Duration
	Faults  []controlapi.Fault
	Targets []string
}

func (d *dashboard) faults(w http.ResponseWriter, r *http.Request) {
	d.render(w, r, "faults", "Faults and time", "", faultsPage{Users: d.users(), Now: d.s.clock.Now().UTC(), Offset: d.s.clock.Offset(),
		Faults: d.s.listFaults(), Targets: []string{string(controlapi.Rest),
			string(controlapi.Streaming), string(controlapi.Chat)}})
}

// faultAction adds or removes a fault, moves the clock or resets, by the control API.
func (d *dashboard) faultAction(w http.ResponseWriter, r *http.Request) {
	back := UIPath + "faults"
	f, err := readForm(w, r)
	if err != nil {
		d.done(w, r, back, err.Error(), true)
		return
	}
	method, path, ok := http.MethodPost, "", ""
	var fields map[string]any
	switch r.PathValue("action") {
	case "add":
		path, ok = "/__mock/faults", "fault added"
		fields = map[string]any{"target": f.string("target", "Target", true), "operationId": f.string("operationId", "Operation", false),
			"status": f.int64("status", "Status", false), "count": f.int64("count", "Count", false),
			"latencyMs": f.int64("latencyMs", "Latency", false), "closeCode": f.int64("closeCode", "Close code", false)}
	case "delete":
		id := f.string("id", "Fault", true)
		if id != nil {
			path = "/__mock/faults/" + url.PathEscape(*id)
		}
		method, ok = http.MethodDelete, "fault removed"
	case "clock":
		path, ok = "/__mock/clock/advance", "clock moved"
		fields = map[string]any{"seconds": f.int64("seconds", "Seconds", true)}
	case "expire":
		path, ok = "/__mock/tokens/expire", "the user's access tokens expired; their refresh tokens still work"
		fields = map[string]any{"userId": f.int64("userId", "User", true)}
	case "reset":
		path, ok = "/__mock/reset", "the mock is back to its start-up state"
	default:
		d.notFound(w, r, "no action "+clip(r.PathValue("action"), 40))
		return
	}
	if err := f.err(); err != nil {
		d.done(w, r, back, err.Error(), true)
		return
	}
	var b any
	if fields != nil {
		b = body(fields)
	}
	status, resp := d.dispatch(r, method, path, b)
	msg, failed := result(status, resp, ok)
	d.done(w, r, back, msg, failed)
}

// ---- frames the feeds sent ----

// sentFrame is one frame a feed sent to a user, cut to uiFrameBytes.
type sentFrame struct {
	At   time.Time
	Feed string
	User int64
	Data []byte
	Cut  bool
}

// Text is the frame redacted, for the page.
func (f sentFrame) Text() string {
	if f.Cut {
		return string(f.Data) + "…" // a cut frame is no JSON: show it whole-word redacted
	}
	red := redact.JSON(f.Data)
	// Re-encode without Go's \u003c escapes, so that the page shows the text a client sees;
	// html/template escapes it for the page.
	dec := json.NewDecoder(bytes.NewReader(red))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return string(red)
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return string(red)
	}
	return strings.TrimSpace(out.String())
}

// frameLog keeps the last uiFrameCount frames of each feed.
type frameLog struct {
	mu    sync.Mutex
	feeds map[string][]sentFrame
}

func (l *frameLog) add(f sentFrame) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.feeds == nil {
		l.feeds = map[string][]sentFrame{}
	}
	ring := l.feeds[f.Feed]
	if len(ring) == uiFrameCount {
		ring = slices.Delete(ring, 0, 1)
	}
	l.feeds[f.Feed] = append(ring, f)
}

// list returns a user's frames of both feeds, newest first.
func (l *frameLog) list(uid int64) []sentFrame {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []sentFrame
	for _, ring := range l.feeds {
		for _, f := range ring {
			if f.User == uid {
				out = append(out, f)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b sentFrame) int { return b.At.Compare(a.At) })
	return out
}

// tee is the publisher the simulators send through: the feed first, then the frame log and the
// live views. It copies at most uiFrameBytes of the frame.
type tee struct {
	feed interface{ Publish(int64, []byte) }
	name string
	d    *dashboard
}

func (t tee) Publish(uid int64, frame []byte) {
	t.feed.Publish(uid, frame)
	f := sentFrame{At: time.Now(), Feed: t.name, User: uid}
	if len(frame) > uiFrameBytes {
		f.Data, f.Cut = []byte(redact.Text(clip(string(frame), uiFrameBytes))), true
	} else {
		f.Data = append([]byte(nil), frame...)
	}
	t.d.frames.add(f)
	t.d.broker.Publish(webui.Event{Name: "frame", Value: f})
}
