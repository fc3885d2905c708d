package examples_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/restreamkit/restreamkit/examples"
)

// The seeding rules of the examples brief: the mock builds its initial world from the success
// examples, so the same user, channel, event, file or project must look the same in every
// operation that shows it, and every example must stay inside its own user's world. The checks
// below rebuild that world the way the fixture loader does and report every disagreement.

// Minimal views of the resources, for the checks. Equality between operations is checked on the
// whole JSON (canon), so these only carry the fields the rules look at.
type channelView struct {
	ID                  int64 `json:"id"`
	StreamingPlatformID int   `json:"streamingPlatformId"`
	Active              bool  `json:"active"`
}

type destinationView struct {
	ChannelID           int64 `json:"channelId"`
	StreamingPlatformID int   `json:"streamingPlatformId"`
}

type eventView struct {
	ID           string            `json:"id"`
	Status       string            `json:"status"`
	ScheduledFor *int64            `json:"scheduledFor"`
	StartedAt    *int64            `json:"startedAt"`
	FinishedAt   *int64            `json:"finishedAt"`
	Destinations []destinationView `json:"destinations"`
}

type streamKeyView struct {
	StreamKey string  `json:"streamKey"`
	SrtURL    *string `json:"srtUrl"`
}

type srtKeyView struct {
	StreamID   string `json:"streamId"`
	PassPhrase string `json:"passPhrase"`
	URL        string `json:"url"`
}

type recordingsView struct {
	PrimaryVideos, SecondaryVideos, Audio []struct {
		FileName string `json:"fileName"`
	}
}

type chatView struct {
	Messages []struct {
		Timestamp time.Time `json:"timestamp"`
	} `json:"messages"`
	NextPageToken     *string `json:"nextPageToken"`
	PreviousPageToken *string `json:"previousPageToken"`
}

type statsView struct {
	Mean             float64 `json:"mean"`
	Max              int     `json:"max"`
	PeakTime         int64   `json:"peakTime"`
	ViewersPerMinute []struct {
		Timestamp int64 `json:"timestamp"`
		Viewers   int   `json:"viewers"`
	} `json:"viewersPerMinute"`
}

type storageFileView struct {
	ID              string    `json:"id"`
	SizeBytes       *int64    `json:"sizeBytes"`
	DurationSeconds *int64    `json:"durationSeconds"`
	Status          string    `json:"status"`
	CreatedAt       time.Time `json:"createdAt"`
}

type projectView struct {
	ProjectID          string    `json:"projectId"`
	SourceTypeName     string    `json:"sourceTypeName"`
	SourceIdentifier   string    `json:"sourceIdentifier"`
	ClipsCount         int       `json:"clipsCount"`
	ClipThumbnails     []string  `json:"clipThumbnails"`
	GeneratingClipsNow bool      `json:"generatingClipsNow"`
	CreatedAt          time.Time `json:"createdAt"`
}

type projectDetailsView struct {
	GeneratingClipsNow bool `json:"generatingClipsNow"`
	Clips              []struct {
		ClipID       string `json:"clipId"`
		ThumbnailURL string `json:"thumbnailUrl"`
	} `json:"clips"`
	PostedClips []struct {
		ClipID    string `json:"clipId"`
		ChannelID int64  `json:"channelId"`
	} `json:"postedClips"`
}

type tokenView struct {
	AccessToken              string   `json:"access_token"`
	Expires                  int64    `json:"expires"`
	ExpiresIn                int64    `json:"expires_in"`
	RefreshToken             string   `json:"refresh_token"`
	Scope                    string   `json:"scope"`
	TokenType                string   `json:"token_type"`
	CamelAccessToken         string   `json:"accessToken"`
	AccessTokenExpiresIn     int64    `json:"accessTokenExpiresIn"`
	AccessTokenExpiresAt     string   `json:"accessTokenExpiresAt"`
	AccessTokenExpiresEpoch  int64    `json:"accessTokenExpiresEpoch"`
	CamelRefreshToken        string   `json:"refreshToken"`
	RefreshTokenExpiresIn    int64    `json:"refreshTokenExpiresIn"`
	RefreshTokenExpiresAt    string   `json:"refreshTokenExpiresAt"`
	RefreshTokenExpiresEpoch int64    `json:"refreshTokenExpiresEpoch"`
	ScopeJSON                []string `json:"scopeJson"`
	CamelTokenType           string   `json:"tokenType"`
}

type oauthSeed struct {
	DefaultUser int64 `json:"defaultUser"`
	Clients     []struct {
		ClientID     string   `json:"clientId"`
		ClientSecret string   `json:"clientSecret"`
		Name         string   `json:"name"`
		RedirectURIs []string `json:"redirectUris"`
		Scopes       []string `json:"scopes"`
	} `json:"clients"`
}

// errorName returns the `name` of an error envelope, or "".
func errorName(ex *example) string {
	var env struct {
		Error struct {
			Name string `json:"name"`
		} `json:"error"`
	}
	_ = json.Unmarshal(ex.Response.Body, &env)
	return env.Error.Name
}

// canon returns raw in a canonical form (sorted keys, no spaces), for equality.
func canon(raw json.RawMessage) string {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "invalid JSON: " + err.Error()
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// seedChecker collects problems while it rebuilds the world.
type seedChecker struct {
	s        *spec
	c        corpus
	problems []string

	users     map[int64]bool
	platforms map[int]bool
	servers   map[int]bool
	srtUsers  map[int64]bool // users whose stream key has an srtUrl

	channels      map[int64]int64  // channel id -> owner
	channelJSON   map[int64]string // channel id -> canonical list item
	channelPlat   map[int64]int    // channel id -> platform
	channelActive map[int64]bool

	events       map[string]int64 // event id -> owner
	eventJSON    map[string]string
	eventView    map[string]eventView
	eventSource  map[string]string // event id -> source of the filtered lists ("" when never listed)
	historyPages map[int64]int

	recordings map[string][]string // event id -> every recorded file name
	files      map[string]int64    // storage file id -> owner
	fileJSON   map[string]string
	fileStatus map[string]string
	projects   map[string]int64 // project id -> owner
	clips      map[string]int64 // clip id -> owner
	streamKeys map[string]string
}

func (k *seedChecker) errorf(ex *example, op, format string, args ...any) {
	where := op
	if ex != nil {
		where += "/" + ex.Name
	}
	k.problems = append(k.problems, where+": "+fmt.Sprintf(format, args...))
}

// each calls f for every example of op, with its path parameters; success selects examples
// with a status below 400 (true), at or above 400 (false).
func (k *seedChecker) each(op string, success bool, f func(ex *example, params map[string]string)) {
	file := k.c[op]
	if file == nil {
		return
	}
	for i := range file.Examples {
		ex := &file.Examples[i]
		if (ex.Response.Status < 400) != success {
			continue
		}
		_, params, err := k.s.route(ex)
		if err != nil {
			continue // reported by TestEveryExampleMatchesTheSpec
		}
		f(ex, params)
	}
}

// decode decodes an example body into v, reporting a problem when it cannot.
func (k *seedChecker) decode(ex *example, op string, raw json.RawMessage, v any) bool {
	if err := json.Unmarshal(raw, v); err != nil {
		k.errorf(ex, op, "body: %v", err)
		return false
	}
	return true
}

func (k *seedChecker) user(ex *example) int64 {
	if ex.User == nil {
		return 0
	}
	return *ex.User
}

// checkSeeding runs every seeding rule on c and returns the problems, sorted.
func checkSeeding(s *spec, c corpus, fsys fs.FS) []string {
	return buildWorld(s, c, fsys).problems
}

// buildWorld rebuilds the mock's initial world from c the way the fixture loader does, checking
// every seeding rule on the way.
func buildWorld(s *spec, c corpus, fsys fs.FS) *seedChecker {
	k := &seedChecker{
		s: s, c: c,
		users: map[int64]bool{}, platforms: map[int]bool{}, servers: map[int]bool{}, srtUsers: map[int64]bool{},
		channels: map[int64]int64{}, channelJSON: map[int64]string{}, channelPlat: map[int64]int{},
		events: map[string]int64{}, eventJSON: map[string]string{}, eventView: map[string]eventView{},
		recordings: map[string][]string{}, files: map[string]int64{}, fileJSON: map[string]string{},
		fileStatus: map[string]string{}, projects: map[string]int64{}, clips: map[string]int64{},
		streamKeys: map[string]string{}, channelActive: map[int64]bool{}, eventSource: map[string]string{},
		historyPages: map[int64]int{},
	}
	k.checkPublic()
	k.checkUsers()
	k.checkChannels()
	k.checkEvents()
	k.checkEventExtras()
	k.checkStorage()
	k.checkClips()
	k.checkWrites()
	k.checkOAuth(fsys)
	slices.Sort(k.problems)
	return k
}

func (k *seedChecker) checkPublic() {
	n := 0
	k.each("listPlatforms", true, func(ex *example, _ map[string]string) {
		n++
		var ps []struct {
			ID    int `json:"id"`
			Image struct {
				PNG string `json:"png"`
				SVG string `json:"svg"`
			} `json:"image"`
		}
		if !k.decode(ex, "listPlatforms", ex.Response.Body, &ps) {
			return
		}
		for _, p := range ps {
			if k.platforms[p.ID] {
				k.errorf(ex, "listPlatforms", "platform id %d is listed twice", p.ID)
			}
			k.platforms[p.ID] = true
			base := "https://restream.io/img/api/platforms/platform-" + strconv.Itoa(p.ID)
			if p.Image.PNG != base+".png" || p.Image.SVG != base+".svg" {
				k.errorf(ex, "listPlatforms", "platform %d: logos must be %s.png and .svg", p.ID, base)
			}
		}
	})
	if n != 1 {
		k.errorf(nil, "listPlatforms", "want exactly one success example, have %d", n)
	}
	n = 0
	k.each("listServers", true, func(ex *example, _ map[string]string) {
		n++
		var ss []struct {
			ID      int    `json:"id"`
			URL     string `json:"url"`
			RtmpURL string `json:"rtmpUrl"`
		}
		if !k.decode(ex, "listServers", ex.Response.Body, &ss) {
			return
		}
		for _, sv := range ss {
			if k.servers[sv.ID] {
				k.errorf(ex, "listServers", "server id %d is listed twice", sv.ID)
			}
			k.servers[sv.ID] = true
			if sv.RtmpURL != "rtmp://"+sv.URL+"/live" {
				k.errorf(ex, "listServers", "server %d: rtmpUrl %q does not match its host %q", sv.ID, sv.RtmpURL, sv.URL)
			}
		}
	})
	if n != 1 {
		k.errorf(nil, "listServers", "want exactly one success example, have %d", n)
	}
}

// perUser checks that op has exactly one success example per user and calls f for each.
func (k *seedChecker) perUser(op string, f func(ex *example, user int64)) {
	seen := map[int64]int{}
	k.each(op, true, func(ex *example, _ map[string]string) {
		u := k.user(ex)
		seen[u]++
		if seen[u] == 2 {
			k.errorf(ex, op, "user %d has a second success example; the first one seeds", u)
		}
		if seen[u] == 1 && f != nil {
			f(ex, u)
		}
	})
	for u := range k.users {
		if seen[u] == 0 {
			k.errorf(nil, op, "user %d has no success example", u)
		}
	}
}

var streamKeyRE = regexp.MustCompile(`^re_([0-9]+)_[0-9a-f]{16,}$`)

func (k *seedChecker) checkUsers() {
	k.each("getUserProfile", true, func(ex *example, _ map[string]string) {
		var p struct {
			ID int64 `json:"id"`
		}
		if !k.decode(ex, "getUserProfile", ex.Response.Body, &p) {
			return
		}
		if p.ID != k.user(ex) {
			k.errorf(ex, "getUserProfile", "profile id %d is not the example's user %d", p.ID, k.user(ex))
		}
		if k.users[p.ID] {
			k.errorf(ex, "getUserProfile", "user %d has two profiles", p.ID)
		}
		k.users[p.ID] = true
	})
	for _, op := range k.c.operationIDs() {
		for _, ex := range k.c[op].Examples {
			if ex.User != nil && !k.users[*ex.User] {
				k.errorf(&ex, op, "user %d has no getUserProfile example", *ex.User)
			}
		}
	}
	k.perUser("getSelectedIngest", func(ex *example, _ int64) {
		var in struct {
			IngestID int `json:"ingestId"`
		}
		if k.decode(ex, "getSelectedIngest", ex.Response.Body, &in) && !k.servers[in.IngestID] {
			k.errorf(ex, "getSelectedIngest", "ingest %d is not a listed server", in.IngestID)
		}
	})
	k.perUser("getStreamKey", func(ex *example, u int64) {
		var key streamKeyView
		if !k.decode(ex, "getStreamKey", ex.Response.Body, &key) {
			return
		}
		k.checkStreamKey(ex, "getStreamKey", u, key, "user")
		if key.SrtURL != nil {
			k.srtUsers[u] = true
			k.checkSrtURL(ex, "getStreamKey", u, *key.SrtURL, key.StreamKey)
		}
	})
	k.perUser("getWebchatUrl", nil)
}

// checkStreamKey checks the shape and uniqueness of an RTMP stream key.
func (k *seedChecker) checkStreamKey(ex *example, op string, u int64, key streamKeyView, owner string) {
	m := streamKeyRE.FindStringSubmatch(key.StreamKey)
	if m == nil || m[1] != strconv.FormatInt(u, 10) {
		k.errorf(ex, op, "stream key %q is not re_%d_<hex>", key.StreamKey, u)
	}
	if prev, ok := k.streamKeys[key.StreamKey]; ok {
		k.errorf(ex, op, "stream key is also the key of %s", prev)
	}
	k.streamKeys[key.StreamKey] = owner
}

// checkSrtURL checks srt://live.restream.io:2010?streamid=srt_<user>_...&passphrase=<key>.
func (k *seedChecker) checkSrtURL(ex *example, op string, u int64, raw, passphrase string) {
	p, err := url.Parse(raw)
	if err != nil || p.Scheme != "srt" || p.Host != "live.restream.io:2010" {
		k.errorf(ex, op, "SRT URL %q is not srt://live.restream.io:2010?...", raw)
		return
	}
	if id := p.Query().Get("streamid"); !strings.HasPrefix(id, "srt_"+strconv.FormatInt(u, 10)+"_") {
		k.errorf(ex, op, "SRT stream id %q does not start with srt_%d_", id, u)
	}
	if p.Query().Get("passphrase") != passphrase {
		k.errorf(ex, op, "the SRT passphrase is not the RTMP stream key")
	}
}

func (k *seedChecker) checkChannels() {
	k.perUser("listChannels", func(ex *example, u int64) {
		var raws []json.RawMessage
		if !k.decode(ex, "listChannels", ex.Response.Body, &raws) {
			return
		}
		for _, raw := range raws {
			var ch channelView
			if !k.decode(ex, "listChannels", raw, &ch) {
				continue
			}
			if owner, ok := k.channels[ch.ID]; ok {
				k.errorf(ex, "listChannels", "channel %d is already a channel of user %d", ch.ID, owner)
				continue
			}
			if !k.platforms[ch.StreamingPlatformID] {
				k.errorf(ex, "listChannels", "channel %d: platform %d is not listed", ch.ID, ch.StreamingPlatformID)
			}
			k.channels[ch.ID], k.channelJSON[ch.ID], k.channelPlat[ch.ID] = u, canon(raw), ch.StreamingPlatformID
			k.channelActive[ch.ID] = ch.Active
		}
	})
	k.each("getChannel", true, func(ex *example, params map[string]string) {
		id := k.ownChannel(ex, "getChannel", params["id"])
		if id != 0 && canon(ex.Response.Body) != k.channelJSON[id] {
			k.errorf(ex, "getChannel", "channel %d differs from its listChannels item", id)
		}
	})
	meta := map[int64]bool{}
	k.each("getChannelMeta", true, func(ex *example, params map[string]string) {
		id := k.ownChannel(ex, "getChannelMeta", params["id"])
		if meta[id] {
			k.errorf(ex, "getChannelMeta", "channel %d has two metadata examples", id)
		}
		meta[id] = true
	})
	for id := range k.channels {
		if !meta[id] {
			k.errorf(nil, "getChannelMeta", "channel %d has no metadata example", id)
		}
	}
	for _, op := range []string{"getChannel", "getChannelMeta", "updateChannel", "updateChannelMeta", "deleteChannel"} {
		param := "id"
		if op == "deleteChannel" {
			param = "channelId"
		}
		if op != "getChannel" && op != "getChannelMeta" {
			k.each(op, true, func(ex *example, params map[string]string) { k.ownChannel(ex, op, params[param]) })
		}
		k.each(op, false, func(ex *example, params map[string]string) {
			id, _ := strconv.ParseInt(params[param], 10, 64)
			if ex.Response.Status == http.StatusNotFound && k.channels[id] == k.user(ex) {
				k.errorf(ex, op, "answers 404 for channel %d, which is the user's own", id)
			}
			if ex.Response.Status != http.StatusNotFound && k.channels[id] != k.user(ex) {
				k.errorf(ex, op, "channel %d is not the user's, so the answer would be 404", id)
			}
		})
	}
}

// ownChannel parses a channel id and reports a problem unless it is a channel of the example's user.
func (k *seedChecker) ownChannel(ex *example, op, raw string) int64 {
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		k.errorf(ex, op, "channel id %q: %v", raw, err)
		return 0
	}
	if owner, ok := k.channels[id]; !ok || owner != k.user(ex) {
		k.errorf(ex, op, "channel %d is not a channel of user %d", id, k.user(ex))
		return 0
	}
	return id
}

// ownEvent reports a problem unless id is an event of the example's user.
func (k *seedChecker) ownEvent(ex *example, op, id string) bool {
	if owner, ok := k.events[id]; !ok || owner != k.user(ex) {
		k.errorf(ex, op, "event %s is not an event of user %d", id, k.user(ex))
		return false
	}
	return true
}

// addEvent records an event found in a list, checking it against its list's status rules.
func (k *seedChecker) addEvent(ex *example, op string, u int64, raw json.RawMessage, statuses ...string) {
	var e eventView
	if !k.decode(ex, op, raw, &e) {
		return
	}
	if owner, ok := k.events[e.ID]; ok {
		k.errorf(ex, op, "event %s is already an event of user %d", e.ID, owner)
		return
	}
	k.events[e.ID], k.eventJSON[e.ID], k.eventView[e.ID] = u, canon(raw), e
	if !slices.Contains(statuses, e.Status) {
		k.errorf(ex, op, "event %s has status %q", e.ID, e.Status)
	}
	switch e.Status {
	case "upcoming", "missed":
		if e.StartedAt != nil || e.FinishedAt != nil {
			k.errorf(ex, op, "%s event %s has startedAt or finishedAt", e.Status, e.ID)
		}
	case "in-progress":
		if e.StartedAt == nil || e.FinishedAt != nil {
			k.errorf(ex, op, "live event %s needs startedAt and no finishedAt", e.ID)
		}
	case "finished":
		if e.StartedAt == nil || e.FinishedAt == nil || *e.FinishedAt < *e.StartedAt {
			k.errorf(ex, op, "finished event %s needs startedAt <= finishedAt", e.ID)
		}
	}
	seen := map[int64]bool{}
	for _, d := range e.Destinations {
		if owner, ok := k.channels[d.ChannelID]; !ok || owner != u {
			k.errorf(ex, op, "event %s: destination channel %d is not a channel of user %d", e.ID, d.ChannelID, u)
		} else if k.channelPlat[d.ChannelID] != d.StreamingPlatformID {
			k.errorf(ex, op, "event %s: destination channel %d is on platform %d, not %d", e.ID, d.ChannelID,
				k.channelPlat[d.ChannelID], d.StreamingPlatformID)
		}
		if seen[d.ChannelID] {
			k.errorf(ex, op, "event %s: channel %d is a destination twice", e.ID, d.ChannelID)
		}
		seen[d.ChannelID] = true
	}
}

// historyKey orders past events: newest first by start, or by schedule when never started.
func historyKey(e eventView) int64 {
	switch {
	case e.StartedAt != nil:
		return *e.StartedAt
	case e.ScheduledFor != nil:
		return *e.ScheduledFor
	}
	return 0
}

func (k *seedChecker) checkEvents() {
	upcoming := map[int64][]json.RawMessage{}
	k.each("listUpcomingEvents", true, func(ex *example, _ map[string]string) {
		if len(ex.Request.Query) != 0 {
			return
		}
		u := k.user(ex)
		if _, ok := upcoming[u]; ok {
			k.errorf(ex, "listUpcomingEvents", "user %d has two examples without query parameters", u)
			return
		}
		var raws []json.RawMessage
		if !k.decode(ex, "listUpcomingEvents", ex.Response.Body, &raws) {
			return
		}
		upcoming[u] = raws
		for _, raw := range raws {
			k.addEvent(ex, "listUpcomingEvents", u, raw, "upcoming")
		}
	})
	for u := range k.users {
		if _, ok := upcoming[u]; !ok {
			k.errorf(nil, "listUpcomingEvents", "user %d has no example without query parameters (the full list)", u)
		}
	}
	// Filtered lists: every item is a listed upcoming event; sources must not overlap, and the
	// source=2 list (if any) must be exactly the events not listed under another source.
	source := map[string]string{}
	source2 := map[int64][]string{}
	var scheduled []*example
	k.each("listUpcomingEvents", true, func(ex *example, _ map[string]string) {
		if len(ex.Request.Query) == 0 {
			return
		}
		var items []eventView
		var raws []json.RawMessage
		if !k.decode(ex, "listUpcomingEvents", ex.Response.Body, &raws) || !k.decode(ex, "listUpcomingEvents", ex.Response.Body, &items) {
			return
		}
		for i, e := range items {
			if k.events[e.ID] != k.user(ex) || k.eventJSON[e.ID] != canon(raws[i]) {
				k.errorf(ex, "listUpcomingEvents", "event %s differs from the user's full upcoming list", e.ID)
			}
		}
		src, hasSource := ex.Request.Query["source"]
		if ex.Request.Query["scheduled"] != "" {
			scheduled = append(scheduled, ex)
		}
		if !hasSource {
			return
		}
		for _, e := range items {
			if prev, ok := source[e.ID]; ok && prev != src {
				k.errorf(ex, "listUpcomingEvents", "event %s is listed under source %s and %s", e.ID, prev, src)
			}
			source[e.ID] = src
			if src == "2" {
				source2[k.user(ex)] = append(source2[k.user(ex)], e.ID)
			}
		}
	})
	for id, src := range source {
		k.eventSource[id] = src
	}
	for u, got := range source2 {
		var want []string
		for _, raw := range upcoming[u] {
			var e eventView
			if json.Unmarshal(raw, &e) == nil && (source[e.ID] == "" || source[e.ID] == "2") {
				want = append(want, e.ID)
			}
		}
		if !slices.Equal(got, want) {
			k.errorf(nil, "listUpcomingEvents", "user %d: source=2 lists %v, but the encoder events are %v", u, got, want)
		}
	}
	// scheduled=true keeps the events with a scheduledFor time, in the order of the full list;
	// scheduled=false is not a filter, so it is not checked.
	for _, ex := range scheduled {
		if ex.Request.Query["scheduled"] != "true" {
			continue
		}
		var got []eventView
		k.decode(ex, "listUpcomingEvents", ex.Response.Body, &got)
		var ids, want []string
		for _, e := range got {
			ids = append(ids, e.ID)
		}
		for _, raw := range upcoming[k.user(ex)] {
			var e eventView
			if json.Unmarshal(raw, &e) == nil && e.ScheduledFor != nil {
				want = append(want, e.ID)
			}
		}
		if !slices.Equal(ids, want) {
			k.errorf(ex, "listUpcomingEvents", "scheduled=true lists %v, but the scheduled events are %v", ids, want)
		}
	}

	k.perUser("listInProgressEvents", func(ex *example, u int64) {
		var raws []json.RawMessage
		if k.decode(ex, "listInProgressEvents", ex.Response.Body, &raws) {
			for _, raw := range raws {
				k.addEvent(ex, "listInProgressEvents", u, raw, "in-progress")
			}
		}
	})

	k.checkHistory()

	k.each("getEvent", true, func(ex *example, params map[string]string) {
		if id := params["id"]; k.ownEvent(ex, "getEvent", id) && canon(ex.Response.Body) != k.eventJSON[id] {
			k.errorf(ex, "getEvent", "event %s differs from the event in the lists", id)
		}
	})
	k.each("getEvent", false, func(ex *example, params map[string]string) {
		if ex.Response.Status == http.StatusNotFound && k.events[params["id"]] == k.user(ex) {
			k.errorf(ex, "getEvent", "answers 404 for the user's own event %s", params["id"])
		}
	})
}

func (k *seedChecker) checkHistory() {
	type page struct {
		ex    *example
		page  int
		limit int
		total int
		items []json.RawMessage
	}
	pages := map[int64][]page{}
	k.each("listEventHistory", true, func(ex *example, _ map[string]string) {
		var h struct {
			Items      []json.RawMessage `json:"items"`
			Pagination struct {
				PagesTotal int `json:"pages_total"`
				Page       int `json:"page"`
				Limit      int `json:"limit"`
			} `json:"pagination"`
		}
		if !k.decode(ex, "listEventHistory", ex.Response.Body, &h) {
			return
		}
		wantPage, wantLimit := 1, 10 // the spec's defaults
		if v, ok := ex.Request.Query["page"]; ok {
			wantPage, _ = strconv.Atoi(v)
		}
		if v, ok := ex.Request.Query["limit"]; ok {
			wantLimit, _ = strconv.Atoi(v)
		}
		if h.Pagination.Page != wantPage || h.Pagination.Limit != wantLimit {
			k.errorf(ex, "listEventHistory", "pagination says page %d limit %d, the request asks page %d limit %d",
				h.Pagination.Page, h.Pagination.Limit, wantPage, wantLimit)
		}
		u := k.user(ex)
		pages[u] = append(pages[u], page{ex, h.Pagination.Page, h.Pagination.Limit, h.Pagination.PagesTotal, h.Items})
	})
	for u := range k.users {
		ps := pages[u]
		if len(ps) == 0 {
			k.errorf(nil, "listEventHistory", "user %d has no history example", u)
			continue
		}
		sort.Slice(ps, func(i, j int) bool { return ps[i].page < ps[j].page })
		k.historyPages[u] = len(ps)
		limit, total := ps[0].limit, ps[0].total
		var all []json.RawMessage
		for i, p := range ps {
			if p.limit != limit || p.total != total {
				k.errorf(p.ex, "listEventHistory", "user %d: pages disagree on limit or pages_total", u)
			}
			if p.page != i+1 {
				k.errorf(p.ex, "listEventHistory", "user %d: page %d is missing or duplicated", u, i+1)
			}
			all = append(all, p.items...)
		}
		if len(ps) != max(total, 1) {
			k.errorf(nil, "listEventHistory", "user %d: pages_total is %d but %d pages are given; their union must be the whole history", u, total, len(ps))
		}
		if want := (len(all) + limit - 1) / limit; total != want {
			k.errorf(nil, "listEventHistory", "user %d: %d events at limit %d make %d pages, not pages_total %d", u, len(all), limit, want, total)
		}
		for i, p := range ps {
			if i < len(ps)-1 && len(p.items) != limit {
				k.errorf(p.ex, "listEventHistory", "user %d: page %d is not full", u, p.page)
			}
		}
		prev := int64(math.MaxInt64)
		for _, raw := range all {
			k.addEvent(ps[0].ex, "listEventHistory", u, raw, "finished", "missed")
			var e eventView
			if json.Unmarshal(raw, &e) == nil {
				if historyKey(e) > prev {
					k.errorf(nil, "listEventHistory", "user %d: event %s is out of order (newest first)", u, e.ID)
				}
				prev = historyKey(e)
			}
		}
	}
}

// checkEventExtras checks the per-event seeds: keys, recordings, transcriptions, chat, analytics.
func (k *seedChecker) checkEventExtras() {
	keys := map[string]streamKeyView{}
	k.each("getEventStreamKey", true, func(ex *example, params map[string]string) {
		id := params["id"]
		if !k.ownEvent(ex, "getEventStreamKey", id) {
			return
		}
		var key streamKeyView
		if !k.decode(ex, "getEventStreamKey", ex.Response.Body, &key) {
			return
		}
		if _, dup := keys[id]; dup {
			k.errorf(ex, "getEventStreamKey", "event %s has two stream keys", id)
		}
		keys[id] = key
		k.checkStreamKey(ex, "getEventStreamKey", k.user(ex), key, "event "+id)
		switch {
		case key.SrtURL != nil && !k.srtUsers[k.user(ex)]:
			k.errorf(ex, "getEventStreamKey", "the user has no SRT access (srtUrl null) but the event has an SRT URL")
		case key.SrtURL != nil:
			k.checkSrtURL(ex, "getEventStreamKey", k.user(ex), *key.SrtURL, key.StreamKey)
		}
	})
	srt := map[string]bool{}
	k.each("getEventSrtStreamKey", true, func(ex *example, params map[string]string) {
		id := params["id"]
		if !k.ownEvent(ex, "getEventSrtStreamKey", id) {
			return
		}
		var key srtKeyView
		if !k.decode(ex, "getEventSrtStreamKey", ex.Response.Body, &key) {
			return
		}
		if srt[id] {
			k.errorf(ex, "getEventSrtStreamKey", "event %s has two SRT keys", id)
		}
		srt[id] = true
		if !k.srtUsers[k.user(ex)] {
			k.errorf(ex, "getEventSrtStreamKey", "the user has no SRT access but the event has an SRT key")
		}
		if want := "srt://live.restream.io:2010?streamid=" + key.StreamID + "&passphrase=" + key.PassPhrase; key.URL != want {
			k.errorf(ex, "getEventSrtStreamKey", "url %q is not built from streamId and passPhrase", key.URL)
		}
		k.checkSrtURL(ex, "getEventSrtStreamKey", k.user(ex), key.URL, key.PassPhrase)
		if rtmp, ok := keys[id]; ok && (rtmp.SrtURL == nil || *rtmp.SrtURL != key.URL) {
			k.errorf(ex, "getEventSrtStreamKey", "url differs from the srtUrl of the event's stream key")
		}
	})
	k.each("getEventSrtStreamKey", false, func(ex *example, params map[string]string) {
		if errorName(ex) == "srt_not_available" && k.srtUsers[k.user(ex)] {
			k.errorf(ex, "getEventSrtStreamKey", "srt_not_available for a user who has SRT access")
		}
	})

	k.each("listEventRecordings", true, func(ex *example, params map[string]string) {
		id := params["eventId"]
		if !k.ownEvent(ex, "listEventRecordings", id) {
			return
		}
		var r recordingsView
		if !k.decode(ex, "listEventRecordings", ex.Response.Body, &r) {
			return
		}
		if _, dup := k.recordings[id]; dup {
			k.errorf(ex, "listEventRecordings", "event %s has two recordings examples", id)
		}
		names := []string{}
		for _, list := range [][]struct {
			FileName string `json:"fileName"`
		}{r.PrimaryVideos, r.SecondaryVideos, r.Audio} {
			for _, f := range list {
				names = append(names, f.FileName)
			}
		}
		k.recordings[id] = names
		if st := k.eventView[id].Status; len(names) > 0 && st != "finished" && st != "in-progress" {
			k.errorf(ex, "listEventRecordings", "a %s event has recordings", st)
		}
	})
	for _, success := range []bool{true, false} {
		k.each("getEventRecordingDownloadUrl", success, func(ex *example, params map[string]string) {
			id := params["eventId"]
			if !k.ownEvent(ex, "getEventRecordingDownloadUrl", id) {
				return
			}
			var req struct {
				FileName string `json:"fileName"`
			}
			_ = json.Unmarshal(ex.Request.Body, &req)
			names, ok := k.recordings[id]
			switch {
			case !ok:
				k.errorf(ex, "getEventRecordingDownloadUrl", "event %s has no listEventRecordings example", id)
			case success != slices.Contains(names, req.FileName):
				k.errorf(ex, "getEventRecordingDownloadUrl", "status %d for %q, recorded files are %v", ex.Response.Status, req.FileName, names)
			}
		})
	}
	k.each("listEventTranscriptions", true, func(ex *example, params map[string]string) {
		id := params["eventId"]
		if !k.ownEvent(ex, "listEventTranscriptions", id) {
			return
		}
		var ts struct {
			Transcriptions []struct {
				FileName    string  `json:"fileName"`
				Status      string  `json:"status"`
				DownloadURL *string `json:"downloadUrl"`
			} `json:"transcriptions"`
		}
		if !k.decode(ex, "listEventTranscriptions", ex.Response.Body, &ts) {
			return
		}
		for _, tr := range ts.Transcriptions {
			if !slices.Contains(k.recordings[id], tr.FileName) {
				k.errorf(ex, "listEventTranscriptions", "%q is not a recorded file of event %s", tr.FileName, id)
			}
			if (tr.DownloadURL != nil) != (tr.Status == "Completed") {
				k.errorf(ex, "listEventTranscriptions", "%q: downloadUrl must be set exactly when Completed", tr.FileName)
			}
		}
	})
	k.checkChat()
	k.checkAnalytics()
}

func (k *seedChecker) checkChat() {
	type page struct {
		ex   *example
		chat chatView
	}
	byEvent := map[string][]page{}
	k.each("getEventChatHistory", true, func(ex *example, params map[string]string) {
		id := params["eventId"]
		if !k.ownEvent(ex, "getEventChatHistory", id) {
			return
		}
		var ch chatView
		if !k.decode(ex, "getEventChatHistory", ex.Response.Body, &ch) {
			return
		}
		e := k.eventView[id]
		if e.StartedAt == nil {
			k.errorf(ex, "getEventChatHistory", "event %s never started but has chat", id)
			return
		}
		end := int64(math.MaxInt64)
		if e.FinishedAt != nil {
			end = *e.FinishedAt
		}
		for i, m := range ch.Messages {
			if s := m.Timestamp.Unix(); s < *e.StartedAt || s > end {
				k.errorf(ex, "getEventChatHistory", "message %d at %s is outside the event", i, m.Timestamp)
			}
			if i > 0 && m.Timestamp.Before(ch.Messages[i-1].Timestamp) {
				k.errorf(ex, "getEventChatHistory", "message %d is older than the one before it", i)
			}
			if v, ok := ex.Request.Query["timestamp"]; ok {
				if from, _ := strconv.ParseInt(v, 10, 64); m.Timestamp.Unix() < from {
					k.errorf(ex, "getEventChatHistory", "message %d is older than the timestamp asked for", i)
				}
			}
		}
		if v, ok := ex.Request.Query["pageSize"]; ok {
			if n, _ := strconv.Atoi(v); len(ch.Messages) > n {
				k.errorf(ex, "getEventChatHistory", "%d messages on a page of %d", len(ch.Messages), n)
			}
		}
		byEvent[id] = append(byEvent[id], page{ex, ch})
	})
	for id, pages := range byEvent {
		tokens := map[string]bool{}
		var complete *chatView
		for _, p := range pages {
			for _, t := range []*string{p.chat.NextPageToken, p.chat.PreviousPageToken} {
				if t != nil {
					tokens[*t] = true
				}
			}
			q := p.ex.Request.Query
			if q["pageToken"] == "" && q["timestamp"] == "" && p.chat.NextPageToken == nil {
				complete = &p.chat
			}
		}
		for _, p := range pages {
			if t, ok := p.ex.Request.Query["pageToken"]; ok && !tokens[t] {
				k.errorf(p.ex, "getEventChatHistory", "pageToken %q is not a token of another page of event %s", t, id)
			}
			if complete == nil {
				continue
			}
			for _, m := range p.chat.Messages {
				if !slices.ContainsFunc(complete.Messages, func(c struct {
					Timestamp time.Time `json:"timestamp"`
				}) bool {
					return c.Timestamp.Equal(m.Timestamp)
				}) {
					k.errorf(p.ex, "getEventChatHistory", "message at %s is not in the event's full chat", m.Timestamp)
				}
			}
		}
	}
}

func (k *seedChecker) checkAnalytics() {
	k.each("getEventViewerAnalytics", true, func(ex *example, params map[string]string) {
		id := params["eventId"]
		if !k.ownEvent(ex, "getEventViewerAnalytics", id) {
			return
		}
		var a struct {
			Total     statsView            `json:"total"`
			ByChannel map[string]statsView `json:"byChannel"`
		}
		if !k.decode(ex, "getEventViewerAnalytics", ex.Response.Body, &a) {
			return
		}
		e := k.eventView[id]
		if e.StartedAt == nil {
			k.errorf(ex, "getEventViewerAnalytics", "event %s never started but has analytics", id)
			return
		}
		dests := map[string]bool{}
		for _, d := range e.Destinations {
			dests[strconv.FormatInt(d.ChannelID, 10)] = true
		}
		sums := map[int64]int{}
		for cid, st := range a.ByChannel {
			if !dests[cid] {
				k.errorf(ex, "getEventViewerAnalytics", "byChannel key %s is not a destination of event %s", cid, id)
			}
			k.checkStats(ex, e, "channel "+cid, st)
			for _, p := range st.ViewersPerMinute {
				sums[p.Timestamp] += p.Viewers
			}
		}
		k.checkStats(ex, e, "total", a.Total)
		for _, p := range a.Total.ViewersPerMinute {
			if len(a.ByChannel) > 0 && sums[p.Timestamp] != p.Viewers {
				k.errorf(ex, "getEventViewerAnalytics", "total at %d is %d, the channels add up to %d", p.Timestamp, p.Viewers, sums[p.Timestamp])
			}
		}
	})
	k.each("getEventViewerAnalytics", false, func(ex *example, params map[string]string) {
		k.ownEvent(ex, "getEventViewerAnalytics", params["eventId"])
	})
}

// checkStats checks that a statistics block agrees with its own minute-by-minute points.
func (k *seedChecker) checkStats(ex *example, e eventView, what string, st statsView) {
	if len(st.ViewersPerMinute) == 0 {
		k.errorf(ex, "getEventViewerAnalytics", "%s has no points", what)
		return
	}
	maxV, sum, peakOK := 0, 0, false
	for i, p := range st.ViewersPerMinute {
		if i > 0 && p.Timestamp != st.ViewersPerMinute[i-1].Timestamp+60 {
			k.errorf(ex, "getEventViewerAnalytics", "%s: points are not one minute apart at %d", what, p.Timestamp)
		}
		if p.Timestamp < *e.StartedAt || (e.FinishedAt != nil && p.Timestamp > *e.FinishedAt) {
			k.errorf(ex, "getEventViewerAnalytics", "%s: point %d is outside the event", what, p.Timestamp)
		}
		maxV = max(maxV, p.Viewers)
		sum += p.Viewers
	}
	for _, p := range st.ViewersPerMinute {
		peakOK = peakOK || (p.Timestamp == st.PeakTime && p.Viewers == maxV)
	}
	if st.Max != maxV || !peakOK {
		k.errorf(ex, "getEventViewerAnalytics", "%s: max %d at %d, but the points peak at %d", what, st.Max, st.PeakTime, maxV)
	}
	if mean := float64(sum) / float64(len(st.ViewersPerMinute)); math.Abs(mean-st.Mean) > 0.01 {
		k.errorf(ex, "getEventViewerAnalytics", "%s: mean %.2f, the points average %.2f", what, st.Mean, mean)
	}
}

func (k *seedChecker) checkStorage() {
	k.perUser("listStorageFiles", func(ex *example, u int64) {
		var list struct {
			Files []json.RawMessage `json:"files"`
		}
		if !k.decode(ex, "listStorageFiles", ex.Response.Body, &list) {
			return
		}
		var prev time.Time
		for i, raw := range list.Files {
			var f storageFileView
			if !k.decode(ex, "listStorageFiles", raw, &f) {
				continue
			}
			if owner, ok := k.files[f.ID]; ok {
				k.errorf(ex, "listStorageFiles", "file %s is already a file of user %d", f.ID, owner)
				continue
			}
			k.files[f.ID], k.fileJSON[f.ID], k.fileStatus[f.ID] = u, canon(raw), f.Status
			if i > 0 && f.CreatedAt.After(prev) {
				k.errorf(ex, "listStorageFiles", "file %s is out of order (newest first)", f.ID)
			}
			prev = f.CreatedAt
			if ready := f.Status == "Ready"; ready != (f.SizeBytes != nil && f.DurationSeconds != nil) {
				k.errorf(ex, "listStorageFiles", "file %s is %s: size and duration must be set exactly when Ready", f.ID, f.Status)
			}
		}
	})
	own := func(ex *example, op, id string) bool {
		if owner, ok := k.files[id]; !ok || owner != k.user(ex) {
			k.errorf(ex, op, "file %s is not a file of user %d", id, k.user(ex))
			return false
		}
		return true
	}
	k.each("getStorageFile", true, func(ex *example, params map[string]string) {
		if id := params["fileId"]; own(ex, "getStorageFile", id) && canon(ex.Response.Body) != k.fileJSON[id] {
			k.errorf(ex, "getStorageFile", "file %s differs from its listStorageFiles item", id)
		}
	})
	k.each("getStorageFileDownloadUrl", true, func(ex *example, params map[string]string) {
		if id := params["fileId"]; own(ex, "getStorageFileDownloadUrl", id) && k.fileStatus[id] != "Ready" {
			k.errorf(ex, "getStorageFileDownloadUrl", "file %s is not Ready", id)
		}
	})
	for _, op := range []string{"getStorageFile", "getStorageFileDownloadUrl"} {
		k.each(op, false, func(ex *example, params map[string]string) {
			if k.files[params["fileId"]] == k.user(ex) {
				k.errorf(ex, op, "answers an error for the user's own file %s", params["fileId"])
			}
		})
	}
}

func (k *seedChecker) checkClips() {
	projectJSON := map[string]string{}
	projects := map[string]projectView{}
	cursors := map[int64]map[string]bool{}
	type cursorUse struct {
		ex     *example
		cursor string
	}
	var uses []cursorUse
	k.each("listClipsProjects", true, func(ex *example, _ map[string]string) {
		u := k.user(ex)
		var page struct {
			Projects   []json.RawMessage `json:"projects"`
			Pagination struct {
				NextCursor *string `json:"nextCursor"`
				HasMore    bool    `json:"hasMore"`
			} `json:"pagination"`
		}
		if !k.decode(ex, "listClipsProjects", ex.Response.Body, &page) {
			return
		}
		if (page.Pagination.NextCursor != nil) != page.Pagination.HasMore {
			k.errorf(ex, "listClipsProjects", "hasMore must be true exactly when nextCursor is set")
		}
		if cursors[u] == nil {
			cursors[u] = map[string]bool{}
		}
		if page.Pagination.NextCursor != nil {
			cursors[u][*page.Pagination.NextCursor] = true
		}
		if c, ok := ex.Request.Query["cursor"]; ok {
			uses = append(uses, cursorUse{ex, c})
		}
		limit := 20
		if v, ok := ex.Request.Query["limit"]; ok {
			limit, _ = strconv.Atoi(v)
		}
		if len(page.Projects) > limit {
			k.errorf(ex, "listClipsProjects", "%d projects on a page of %d", len(page.Projects), limit)
		}
		var prev time.Time
		for i, raw := range page.Projects {
			var p projectView
			if !k.decode(ex, "listClipsProjects", raw, &p) {
				continue
			}
			if i > 0 && p.CreatedAt.After(prev) {
				k.errorf(ex, "listClipsProjects", "project %s is out of order (newest first)", p.ProjectID)
			}
			prev = p.CreatedAt
			if owner, ok := k.projects[p.ProjectID]; ok {
				if owner != u || projectJSON[p.ProjectID] != canon(raw) {
					k.errorf(ex, "listClipsProjects", "project %s differs between pages or users", p.ProjectID)
				}
				continue
			}
			k.projects[p.ProjectID], projectJSON[p.ProjectID], projects[p.ProjectID] = u, canon(raw), p
			switch p.SourceTypeName {
			case "Event":
				if k.events[p.SourceIdentifier] != u {
					k.errorf(ex, "listClipsProjects", "project %s: source %s is not an event of user %d", p.ProjectID, p.SourceIdentifier, u)
				}
			case "VideoStorageFile":
				if k.files[p.SourceIdentifier] != u {
					k.errorf(ex, "listClipsProjects", "project %s: source %s is not a storage file of user %d", p.ProjectID, p.SourceIdentifier, u)
				}
			default:
				k.errorf(ex, "listClipsProjects", "project %s: unknown source type %q", p.ProjectID, p.SourceTypeName)
			}
		}
	})
	for _, use := range uses {
		if !cursors[k.user(use.ex)][use.cursor] {
			k.errorf(use.ex, "listClipsProjects", "cursor %q is not the nextCursor of another page", use.cursor)
		}
	}
	for u := range k.users {
		if cursors[u] == nil {
			k.errorf(nil, "listClipsProjects", "user %d has no example", u)
		}
	}
	details := map[string]bool{}
	k.each("getClipsProject", true, func(ex *example, params map[string]string) {
		id := params["projectId"]
		if owner, ok := k.projects[id]; !ok || owner != k.user(ex) {
			k.errorf(ex, "getClipsProject", "project %s is not a project of user %d", id, k.user(ex))
			return
		}
		if details[id] {
			k.errorf(ex, "getClipsProject", "project %s has two examples", id)
		}
		details[id] = true
		var d projectDetailsView
		if !k.decode(ex, "getClipsProject", ex.Response.Body, &d) {
			return
		}
		p := projects[id]
		if p.ClipsCount != len(d.Clips) || p.GeneratingClipsNow != d.GeneratingClipsNow {
			k.errorf(ex, "getClipsProject", "project %s: clipsCount or generatingClipsNow differ from the list", id)
		}
		thumbs := map[string]bool{}
		ids := map[string]bool{}
		for _, c := range d.Clips {
			thumbs[c.ThumbnailURL], ids[c.ClipID] = true, true
			if owner, ok := k.clips[c.ClipID]; ok {
				k.errorf(ex, "getClipsProject", "clip %s is already a clip of user %d", c.ClipID, owner)
			}
			k.clips[c.ClipID] = k.user(ex)
		}
		for _, t := range p.ClipThumbnails {
			if !thumbs[t] {
				k.errorf(ex, "getClipsProject", "project %s: thumbnail %s is not one of its clips'", id, t)
			}
		}
		for _, pc := range d.PostedClips {
			if !ids[pc.ClipID] {
				k.errorf(ex, "getClipsProject", "posted clip %s is not a clip of the project", pc.ClipID)
			}
			if k.channels[pc.ChannelID] != k.user(ex) {
				k.errorf(ex, "getClipsProject", "posted clip %s: channel %d is not a channel of user %d", pc.ClipID, pc.ChannelID, k.user(ex))
			}
		}
	})
	for id := range k.projects {
		if !details[id] {
			k.errorf(nil, "getClipsProject", "project %s has no example", id)
		}
	}
	k.each("getClipDownloadUrl", true, func(ex *example, params map[string]string) {
		if k.clips[params["clipId"]] != k.user(ex) {
			k.errorf(ex, "getClipDownloadUrl", "clip %s is not a clip of user %d", params["clipId"], k.user(ex))
		}
	})
	k.each("getClipDownloadUrl", false, func(ex *example, params map[string]string) {
		if k.clips[params["clipId"]] == k.user(ex) {
			k.errorf(ex, "getClipDownloadUrl", "answers an error for the user's own clip")
		}
	})
}

// manualPlatforms are the platforms addEventDestination accepts: the manually configured ones
// (spec description of addEventDestination; Facebook Group and Instagram have their own pages).
var manualPlatforms = []int{29, 49, 60, 61, 68, 72, 74, 78, 79, 80, 81, 82}

// checkWrites checks that write examples describe calls the seeded world would answer that way.
func (k *seedChecker) checkWrites() {
	k.each("addChannel", true, func(ex *example, _ map[string]string) {
		var req struct {
			PlatformID  int    `json:"platformId"`
			DisplayName string `json:"displayName"`
		}
		var resp struct {
			ID          int64  `json:"id"`
			PlatformID  int    `json:"platformId"`
			DisplayName string `json:"displayName"`
		}
		if !k.decode(ex, "addChannel", ex.Request.Body, &req) || !k.decode(ex, "addChannel", ex.Response.Body, &resp) {
			return
		}
		if resp.PlatformID != req.PlatformID || (req.DisplayName != "" && resp.DisplayName != req.DisplayName) {
			k.errorf(ex, "addChannel", "the answer does not echo platformId and displayName")
		}
		if _, taken := k.channels[resp.ID]; taken {
			k.errorf(ex, "addChannel", "new channel id %d is already taken", resp.ID)
		}
	})
	k.each("createEvent", true, func(ex *example, _ map[string]string) {
		var resp struct {
			ID string `json:"id"`
		}
		if k.decode(ex, "createEvent", ex.Response.Body, &resp) && k.events[resp.ID] != 0 {
			k.errorf(ex, "createEvent", "new event id %s is already taken", resp.ID)
		}
	})
	for _, success := range []bool{true, false} {
		k.each("addEventDestination", success, func(ex *example, params map[string]string) {
			id := params["eventId"]
			if !k.ownEvent(ex, "addEventDestination", id) {
				return
			}
			var req struct {
				ChannelID int64 `json:"channelId"`
			}
			_ = json.Unmarshal(ex.Request.Body, &req)
			if k.channels[req.ChannelID] != k.user(ex) {
				if success || ex.Response.Status != http.StatusNotFound {
					k.errorf(ex, "addEventDestination", "channel %d is not a channel of user %d", req.ChannelID, k.user(ex))
				}
				return
			}
			already := slices.ContainsFunc(k.eventView[id].Destinations, func(d destinationView) bool { return d.ChannelID == req.ChannelID })
			manual := slices.Contains(manualPlatforms, k.channelPlat[req.ChannelID])
			switch name := errorName(ex); {
			case success && (already || !manual):
				k.errorf(ex, "addEventDestination", "succeeds for channel %d, which is already a destination or not manual", req.ChannelID)
			case name == "destination_already_exists" && !already:
				k.errorf(ex, "addEventDestination", "channel %d is not a destination of event %s yet", req.ChannelID, id)
			case name == "platform_not_supported" && manual:
				k.errorf(ex, "addEventDestination", "channel %d is on a manual platform", req.ChannelID)
			}
		})
	}
}

var (
	tokenRE = regexp.MustCompile(`^[0-9a-f]{40}$`)
	isoMsRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
)

func (k *seedChecker) checkOAuth(fsys fs.FS) {
	data, err := fs.ReadFile(fsys, "mock/oauth.json")
	if err != nil {
		k.errorf(nil, "mock/oauth.json", "%v", err)
		return
	}
	var seed oauthSeed
	if err := decodeStrict(data, &seed); err != nil {
		k.errorf(nil, "mock/oauth.json", "%v", err)
		return
	}
	if !k.users[seed.DefaultUser] {
		k.errorf(nil, "mock/oauth.json", "defaultUser %d has no profile", seed.DefaultUser)
	}
	specScopes := map[string]bool{}
	if scheme := k.s.doc.Components.SecuritySchemes["OAuth2"]; scheme != nil && scheme.Value.Flows != nil {
		for sc := range scheme.Value.Flows.AuthorizationCode.Scopes {
			specScopes[sc] = true
		}
	}
	type client struct {
		secret    string
		redirects []string
		scopes    []string
	}
	clients := map[string]client{}
	for _, c := range seed.Clients {
		if _, dup := clients[c.ClientID]; dup || c.ClientID == "" || c.ClientSecret == "" {
			k.errorf(nil, "mock/oauth.json", "client %q is duplicated or lacks an id or secret", c.ClientID)
		}
		for _, sc := range c.Scopes {
			if !specScopes[strings.Replace(sc, ".default.", ".", 1)] {
				k.errorf(nil, "mock/oauth.json", "client %s: scope %q is not in the spec", c.ClientID, sc)
			}
		}
		for _, r := range c.RedirectURIs {
			if u, err := url.Parse(r); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
				k.errorf(nil, "mock/oauth.json", "client %s: redirect URI %q is not absolute", c.ClientID, r)
			}
		}
		clients[c.ClientID] = client{c.ClientSecret, c.RedirectURIs, c.Scopes}
	}
	k.each("showAuthorizeDialog", true, func(ex *example, _ map[string]string) {
		c, ok := clients[ex.Request.Query["client_id"]]
		if !ok || !slices.Contains(c.redirects, ex.Request.Query["redirect_uri"]) {
			k.errorf(ex, "showAuthorizeDialog", "client_id and redirect_uri must be a registered pair")
		}
	})
	refreshTokens := map[string]bool{}
	k.each("refreshToken", true, func(ex *example, _ map[string]string) {
		var form map[string]string
		var tok tokenView
		if !k.decode(ex, "refreshToken", ex.Request.Body, &form) || !k.decode(ex, "refreshToken", ex.Response.Body, &tok) {
			return
		}
		id, secret, basic := basicClient(ex.Request.Headers["Authorization"])
		if !basic {
			id, secret = form["client_id"], form["client_secret"]
		}
		c, ok := clients[id]
		if !ok || c.secret != secret {
			k.errorf(ex, "refreshToken", "the client credentials are not a registered client's")
		}
		switch form["grant_type"] {
		case "authorization_code":
			if !slices.Contains(c.redirects, form["redirect_uri"]) {
				k.errorf(ex, "refreshToken", "redirect_uri %q is not registered", form["redirect_uri"])
			}
		case "refresh_token":
			if !refreshTokens[form["refresh_token"]] {
				k.errorf(ex, "refreshToken", "refresh_token is not one an earlier example issued")
			}
		}
		refreshTokens[tok.RefreshToken] = true
		k.checkToken(ex, tok, c.scopes)
	})
}

// checkToken checks that the fields of a token response agree with each other.
func (k *seedChecker) checkToken(ex *example, tok tokenView, allowed []string) {
	bad := func(format string, args ...any) { k.errorf(ex, "refreshToken", format, args...) }
	if !tokenRE.MatchString(tok.AccessToken) || !tokenRE.MatchString(tok.RefreshToken) {
		bad("tokens must be 40 lowercase hex characters")
	}
	if tok.AccessToken != tok.CamelAccessToken || tok.RefreshToken != tok.CamelRefreshToken ||
		tok.TokenType != "Bearer" || tok.CamelTokenType != "Bearer" {
		bad("snake_case and camelCase token fields differ")
	}
	if tok.ExpiresIn != 3600 || tok.AccessTokenExpiresIn != 3600 || tok.RefreshTokenExpiresIn != 31536000 {
		bad("lifetimes must be 3600 and 31536000 seconds")
	}
	if tok.Expires != tok.AccessTokenExpiresEpoch || tok.RefreshTokenExpiresEpoch-tok.Expires != 31536000-3600 {
		bad("expires, accessTokenExpiresEpoch and refreshTokenExpiresEpoch disagree")
	}
	for _, at := range []struct {
		iso   string
		epoch int64
	}{{tok.AccessTokenExpiresAt, tok.AccessTokenExpiresEpoch}, {tok.RefreshTokenExpiresAt, tok.RefreshTokenExpiresEpoch}} {
		t, err := time.Parse(time.RFC3339Nano, at.iso)
		if !isoMsRE.MatchString(at.iso) || err != nil || t.Unix() != at.epoch {
			bad("%q is not the ISO form (milliseconds, Z) of %d", at.iso, at.epoch)
		}
	}
	if tok.Scope != strings.Join(tok.ScopeJSON, " ") {
		bad("scope and scopeJson differ")
	}
	for _, sc := range tok.ScopeJSON {
		if !slices.Contains(allowed, sc) {
			bad("scope %q is not one of the client's", sc)
		}
	}
}

func TestTheSeedDataIsConsistent(t *testing.T) {
	for _, p := range checkSeeding(mustSpec(t), mustCorpus(t), examples.FS) {
		t.Error(p)
	}
}

func TestTheFixtureUsersCoverWhatTheMockTestsNeed(t *testing.T) {
	// The mock's tests rely on these properties of the seed (isolation, pagination, filters,
	// empty lists); they are the brief's requirements, stated as minimums where it gives one.
	k := buildWorld(mustSpec(t), mustCorpus(t), examples.FS)
	if len(k.problems) != 0 {
		t.Fatalf("the seed is inconsistent: %v", k.problems)
	}
	type summary struct {
		channels, inactive, studio, encoder, scheduled, unscheduled int
		upcoming, live, liveWithDestinations, finished, missed      int
		historyPages, files, processing, projects                   int
		srt                                                         bool
	}
	of := func(u int64) summary {
		var s summary
		for id, owner := range k.channels {
			if owner == u {
				s.channels++
				if !k.channelActive[id] {
					s.inactive++
				}
			}
		}
		for id, owner := range k.events {
			if owner != u {
				continue
			}
			e := k.eventView[id]
			switch e.Status {
			case "upcoming":
				s.upcoming++
				if k.eventSource[id] == "1" {
					s.studio++
				} else if k.eventSource[id] == "" || k.eventSource[id] == "2" {
					s.encoder++
				}
				if e.ScheduledFor != nil {
					s.scheduled++
				} else {
					s.unscheduled++
				}
			case "in-progress":
				s.live++
				if len(e.Destinations) > 0 {
					s.liveWithDestinations++
				}
			case "finished":
				s.finished++
			case "missed":
				s.missed++
			}
		}
		for id, owner := range k.files {
			if owner == u {
				s.files++
				if k.fileStatus[id] == "Processing" {
					s.processing++
				}
			}
		}
		for _, owner := range k.projects {
			if owner == u {
				s.projects++
			}
		}
		s.historyPages, s.srt = k.historyPages[u], k.srtUsers[u]
		return s
	}
	tests := []struct {
		name string
		user int64
		ok   func(s summary) bool
	}{
		{"nova_plays has channels with one inactive, SRT, and every kind of event", 2046371, func(s summary) bool {
			return s.channels >= 5 && s.inactive >= 1 && s.srt &&
				s.upcoming >= 2 && s.studio >= 1 && s.encoder >= 1 && s.scheduled >= 1 && s.unscheduled >= 1 &&
				s.live == 1 && s.liveWithDestinations == 1 && s.finished+s.missed >= 12 && s.missed >= 2 && s.historyPages >= 2
		}},
		{"nova_plays has storage files, one still processing, and clip projects", 2046371, func(s summary) bool {
			return s.files >= 3 && s.processing >= 1 && s.projects >= 2
		}},
		{"techtalks_daily has its own channels and events but no SRT", 3189024, func(s summary) bool {
			return s.channels >= 1 && s.upcoming+s.finished+s.missed >= 1 && !s.srt
		}},
		{"quiet_newcomer has one channel and nothing else", 4410087, func(s summary) bool {
			return s.channels == 1 && s.upcoming+s.live+s.finished+s.missed == 0 && s.files == 0 && s.projects == 0
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s := of(tt.user); !tt.ok(s) {
				t.Errorf("user %d: %+v", tt.user, s)
			}
		})
	}
}

func TestAnInconsistentSeedIsReported(t *testing.T) {
	s, shared := mustSpec(t), mustCorpus(t)
	if problems := checkSeeding(s, shared.clone(t), examples.FS); len(problems) != 0 {
		t.Fatalf("the unchanged copy has problems: %v", problems)
	}
	tests := []struct {
		name   string
		change func(t *testing.T, c corpus)
		want   string
	}{
		{"a getChannel that differs from its list item", func(t *testing.T, c corpus) {
			ex := c.find("getChannel", "nova-twitch")
			ex.Response.Body = editJSON(t, ex.Response.Body, func(v any) any { obj(v)["displayName"] = "Nova"; return v })
		}, "differs from its listChannels item"},
		{"a channel id used by two users", func(t *testing.T, c corpus) {
			ex := c.find("listChannels", "quiet")
			ex.Response.Body = editJSON(t, ex.Response.Body, func(v any) any { obj(v.([]any)[0])["id"] = 5120001; return v })
		}, "channel 5120001 is already a channel of user"},
		{"a destination on another user's channel", func(t *testing.T, c corpus) {
			ex := c.find("listUpcomingEvents", "nova")
			ex.Response.Body = editJSON(t, ex.Response.Body, func(v any) any {
				d := obj(obj(v.([]any)[0])["destinations"].([]any)[0])
				d["channelId"], d["streamingPlatformId"] = 6230011, 5
				return v
			})
		}, "destination channel 6230011 is not a channel of user 2046371"},
		{"a destination with the wrong platform", func(t *testing.T, c corpus) {
			ex := c.find("listInProgressEvents", "nova")
			ex.Response.Body = editJSON(t, ex.Response.Body, func(v any) any {
				obj(obj(v.([]any)[0])["destinations"].([]any)[0])["streamingPlatformId"] = 5
				return v
			})
		}, "is on platform 1, not 5"},
		{"a missing history page", func(t *testing.T, c corpus) {
			f := c["listEventHistory"]
			f.Examples = slices.DeleteFunc(f.Examples, func(ex example) bool { return ex.Name == "nova-page-2" })
		}, "pages_total is 2 but 1 pages are given"},
		{"a history page with the wrong pages_total", func(t *testing.T, c corpus) {
			for _, n := range []string{"nova-page-1", "nova-page-2"} {
				ex := c.find("listEventHistory", n)
				ex.Response.Body = editJSON(t, ex.Response.Body, func(v any) any { obj(obj(v)["pagination"])["pages_total"] = 3; return v })
			}
		}, "make 2 pages, not pages_total 3"},
		{"a getEvent that differs from the lists", func(t *testing.T, c corpus) {
			ex := c.find("getEvent", "nova-live-1")
			ex.Response.Body = editJSON(t, ex.Response.Body, func(v any) any { obj(v)["title"] = "Another title"; return v })
		}, "differs from the event in the lists"},
		{"an event id used by two users", func(t *testing.T, c corpus) {
			var novaID any
			_ = json.Unmarshal(editJSON(t, c.find("listInProgressEvents", "nova").Response.Body, func(v any) any { return obj(v.([]any)[0])["id"] }), &novaID)
			ex := c.find("listUpcomingEvents", "techtalks")
			ex.Response.Body = editJSON(t, ex.Response.Body, func(v any) any { obj(v.([]any)[0])["id"] = novaID; return v })
		}, "is already an event of user"},
		{"a scheduled=true list that leaves out a scheduled event", func(t *testing.T, c corpus) {
			ex := c.find("listUpcomingEvents", "nova-scheduled")
			ex.Response.Body = editJSON(t, ex.Response.Body, func(v any) any { return v.([]any)[:1] })
		}, "scheduled=true lists"},
		{"a source=2 list that leaves out an encoder event", func(t *testing.T, c corpus) {
			ex := c.find("listUpcomingEvents", "nova-source-2")
			ex.Response.Body = editJSON(t, ex.Response.Body, func(v any) any { return v.([]any)[:1] })
		}, "source=2 lists"},
		{"a getStorageFile that differs from its list item", func(t *testing.T, c corpus) {
			ex := c.find("getStorageFile", "nova-file-2")
			ex.Response.Body = editJSON(t, ex.Response.Body, func(v any) any { obj(v)["sizeBytes"] = 1; return v })
		}, "differs from its listStorageFiles item"},
		{"an event stream key with another user's id", func(t *testing.T, c corpus) {
			ex := c.find("getEventStreamKey", "nova-live-1")
			ex.Response.Body = editJSON(t, ex.Response.Body, func(v any) any {
				obj(v)["streamKey"] = strings.Replace(obj(v)["streamKey"].(string), "re_2046371_", "re_3189024_", 1)
				return v
			})
		}, "is not re_2046371_<hex>"},
		{"an SRT key that disagrees with the event's stream key", func(t *testing.T, c corpus) {
			ex := c.find("getEventSrtStreamKey", "nova-live-1")
			ex.Response.Body = editJSON(t, ex.Response.Body, func(v any) any {
				obj(v)["passPhrase"] = "re_2046371_00000000000000000000"
				obj(v)["url"] = "srt://live.restream.io:2010?streamid=" + obj(v)["streamId"].(string) + "&passphrase=re_2046371_00000000000000000000"
				return v
			})
		}, "url differs from the srtUrl of the event's stream key"},
		{"a token response whose expiries disagree", func(t *testing.T, c corpus) {
			ex := c.find("refreshToken", "exchange-code")
			ex.Response.Body = editJSON(t, ex.Response.Body, func(v any) any { obj(v)["expires"] = 1795770001; return v })
		}, "expires, accessTokenExpiresEpoch and refreshTokenExpiresEpoch disagree"},
		{"a 404 for the user's own channel", func(t *testing.T, c corpus) {
			c.find("getChannel", "unknown-channel").Request.Path = "/v2/user/channel/5120001"
		}, "answers 404 for channel 5120001, which is the user's own"},
		{"a clip posted to another user's channel", func(t *testing.T, c corpus) {
			ex := c.find("getClipsProject", "nova-project-1")
			ex.Response.Body = editJSON(t, ex.Response.Body, func(v any) any {
				obj(obj(v)["postedClips"].([]any)[0])["channelId"] = 6230011
				return v
			})
		}, "channel 6230011 is not a channel of user 2046371"},
		{"analytics whose peak disagrees with the points", func(t *testing.T, c corpus) {
			ex := c.find("getEventViewerAnalytics", "nova-finished-1")
			ex.Response.Body = editJSON(t, ex.Response.Body, func(v any) any { obj(obj(v)["total"])["max"] = 1; return v })
		}, "max 1 at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := shared.clone(t)
			tt.change(t, c)
			problems := checkSeeding(s, c, examples.FS)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tt.want) }) {
				t.Errorf("want a problem containing %q, got %v", tt.want, problems)
			}
		})
	}
}
