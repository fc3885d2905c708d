package mock_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
	"github.com/restreamkit/restreamkit/internal/live"
	"github.com/restreamkit/restreamkit/internal/mock"
	"github.com/restreamkit/restreamkit/internal/state"
)

// largeImports lets a test import worlds filled to the caps.
var largeImports = mock.Options{MaxBodyBytes: 64 << 20}

// world exports the mock's world, decoded.
func (h *harness) world() state.World {
	h.t.Helper()
	var w state.World
	if err := json.Unmarshal([]byte(h.state()), &w); err != nil {
		h.t.Fatal(err)
	}
	return w
}

// load imports a world and returns the answer.
func (h *harness) load(w state.World) (int, []byte) {
	h.t.Helper()
	status, _, body := h.do("PUT", "/__mock/state", "", "application/json", mustJSON(h.t, w))
	return status, body
}

// mustLoad imports a world that must be accepted.
func (h *harness) mustLoad(w state.World) {
	h.t.Helper()
	if status, body := h.load(w); status != 204 {
		h.t.Fatalf("import: %d %s", status, body)
	}
}

// userOf returns the world's user with the id.
func userOf(t *testing.T, w *state.World, id int64) *state.User {
	t.Helper()
	for i := range w.Users {
		if w.Users[i].Profile.Id == id {
			return &w.Users[i]
		}
	}
	t.Fatalf("no user %d in the world", id)
	return nil
}

// rtmpChannel is a Custom RTMP channel as the world holds it.
func rtmpChannel(id int64) state.Channel {
	return state.Channel{Channel: restreamapi.Channel{Id: id, StreamingPlatformId: 29, Url: "rtmp://ingest.example.net/live",
		Identifier: "manual-" + strconv.FormatInt(id, 10), DisplayName: "Relay"}, StreamURL: "rtmp://ingest.example.net/live"}
}

// pastEvents makes n finished events, the first finishing earliest.
func pastEvents(n int, firstFinish int64) []state.Event {
	out := make([]state.Event, n)
	for i := range out {
		start, end := firstFinish+int64(i)-3600, firstFinish+int64(i)
		out[i] = state.Event{Event: restreamapi.Event{Id: uuid.New(), Status: restreamapi.EventStatusFinished, Title: "Archived",
			StartedAt: &start, FinishedAt: &end, Destinations: []restreamapi.EventDestination{}}, Source: state.SourceEncoder}
	}
	return out
}

func addRTMP(h *harness, tok string) (int, []byte) {
	h.t.Helper()
	status, _, body := h.do("POST", "/v2/user/channels", tok, "application/json",
		[]byte(`{"platformId":29,"streamUrl":"rtmp://ingest.example.net/live","displayName":"Relay"}`))
	return status, body
}

// fillToTheCap sends a request that grows the world n times, each answered with ok, then once
// more: that one must be the 409 named name whose message states the cap, and change nothing.
func fillToTheCap(t *testing.T, h *harness, n, ok int, send func() (int, []byte), name string, cap int) {
	t.Helper()
	for range n {
		if status, body := send(); status != ok {
			t.Fatalf("below the cap: %d %s", status, body)
		}
	}
	before := h.state()
	status, body := send()
	wantError(t, status, body, 409, name, strconv.Itoa(cap))
	if h.state() != before {
		t.Fatal("a refused request changed the world")
	}
}

func TestAUserCannotAddChannelsPastTheCap(t *testing.T) {
	h := newHarness(t, mock.Options{})
	tok := h.token(nova)
	have := len(userOf(t, ptr(h.world()), nova).Channels)
	fillToTheCap(t, h, state.MaxChannelsPerUser-have, 201, func() (int, []byte) { return addRTMP(h, tok) },
		"channel_limit_reached", state.MaxChannelsPerUser)
	status, _, body := h.do("GET", "/v2/user/channel/all", tok, "", nil)
	var list []json.RawMessage
	if err := json.Unmarshal(body, &list); status != 200 || err != nil {
		t.Fatalf("channel/all: %d %v", status, err)
	}
	if len(list) != state.MaxChannelsPerUser {
		t.Fatalf("channel/all lists %d channels, want the cap, %d", len(list), state.MaxChannelsPerUser)
	}
}

func ptr[T any](v T) *T { return &v }

func TestAUserCannotCreateEventsPastTheCap(t *testing.T) {
	h := newHarness(t, mock.Options{})
	tok := h.token(nova)
	open := 0
	for _, e := range userOf(t, ptr(h.world()), nova).Events {
		if e.Status == restreamapi.EventStatusUpcoming || e.Status == restreamapi.EventStatusInProgress {
			open++
		}
	}
	create := func() (int, []byte) {
		status, _, body := h.do("POST", "/v2/user/events/new", tok, "application/json", []byte(`{"streamType":"encoder","title":"Again"}`))
		return status, body
	}
	fillToTheCap(t, h, state.MaxOpenEventsPerUser-open, 201, create, "event_limit_reached", state.MaxOpenEventsPerUser)
}

func TestPastEventsBeyondTheCapDropTheOldestWhenAStreamEnds(t *testing.T) {
	h := newHarness(t, mock.Options{MaxBodyBytes: largeImports.MaxBodyBytes, StreamInterval: time.Hour})
	w := h.world()
	u := userOf(t, &w, nova)
	var kept []state.Event
	for _, e := range u.Events {
		if e.Status == restreamapi.EventStatusUpcoming || e.Status == restreamapi.EventStatusInProgress {
			kept = append(kept, e)
		}
	}
	archive := pastEvents(state.MaxPastEventsPerUser, 1_600_000_000)
	u.Events = append(kept, archive...)
	h.mustLoad(w)

	status, _, body := h.do("POST", "/__mock/streams", "", "application/json", fmt.Appendf(nil, `{"userId":%d}`, nova))
	if status != 201 {
		t.Fatalf("start: %d %s", status, body)
	}
	var started struct{ EventID string }
	json.Unmarshal(body, &struct {
		EventID *string `json:"eventId"`
	}{&started.EventID})
	if status, _, body := h.do("POST", "/__mock/streams/stop", "", "application/json", fmt.Appendf(nil, `{"userId":%d}`, nova)); status != 200 {
		t.Fatalf("stop: %d %s", status, body)
	}

	tok := h.token(nova)
	status, _, body = h.do("GET", "/v2/user/events/history?limit=100", tok, "", nil)
	var page restreamapi.EventHistory
	if err := json.Unmarshal(body, &page); status != 200 || err != nil {
		t.Fatalf("history: %d %v", status, err)
	}
	if want := state.MaxPastEventsPerUser / 100; page.Pagination.PagesTotal != want {
		t.Fatalf("the history has %d pages of 100, want the cap's %d", page.Pagination.PagesTotal, want)
	}
	if page.Items[0].Id.String() != started.EventID {
		t.Fatalf("the newest past event is %s, want the stream's event %s", page.Items[0].Id, started.EventID)
	}
	status, _, body = h.do("GET", "/v2/user/events/"+archive[0].Id.String(), tok, "", nil)
	wantError(t, status, body, 404, "event_not_found")
	if status, _, _ := h.do("GET", "/v2/user/events/"+archive[1].Id.String(), tok, "", nil); status != 200 {
		t.Fatalf("the second oldest past event must stay, got %d", status)
	}
}

func TestAUserCannotRunMoreSimulatedStreamsThanTheCap(t *testing.T) {
	h := newHarness(t, mock.Options{StreamInterval: time.Hour})
	start := func() (int, []byte) {
		status, _, body := h.do("POST", "/__mock/streams", "", "application/json", fmt.Appendf(nil, `{"userId":%d}`, nova))
		return status, body
	}
	fillToTheCap(t, h, live.MaxStreamsPerUser, 201, start, "stream_limit_reached", live.MaxStreamsPerUser)
	_, _, body := h.do("GET", fmt.Sprintf("/__mock/streams?userId=%d", nova), "", "", nil)
	var list struct{ Streams []json.RawMessage }
	if err := json.Unmarshal(body, &list); err != nil || len(list.Streams) != live.MaxStreamsPerUser {
		t.Fatalf("%d streams run, want the cap %d (%v)", len(list.Streams), live.MaxStreamsPerUser, err)
	}
}

func TestAUserCannotPlayMoreChatScriptsAtOnceThanTheCap(t *testing.T) {
	h := newHarness(t, mock.Options{ChatScriptSpacing: time.Hour}) // scripts stay playing until shutdown
	play := func() (int, []byte) {
		status, _, body := h.do("POST", "/__mock/chat/scripts", "", "application/json", fmt.Appendf(nil, `{"userId":%d,"name":"hello"}`, nova))
		return status, body
	}
	fillToTheCap(t, h, live.MaxScriptsPerUser, 202, play, "script_limit_reached", live.MaxScriptsPerUser)
	if status, _, body := h.do("POST", "/__mock/chat/scripts", "", "application/json", fmt.Appendf(nil, `{"userId":%d,"name":"hello"}`, quiet)); status != 202 {
		t.Fatalf("another user's scripts must not count: %s", body)
	}
}

func TestAnImportPastACapIsRefusedNamingItAndChangesNothing(t *testing.T) {
	h := newHarness(t, largeImports)
	base := h.state()
	for _, tc := range []struct {
		name    string
		grow    func(w *state.World, u *state.User)
		pointer string
		cap     int
	}{
		{"more users than a world may have", func(w *state.World, u *state.User) {
			for i := len(w.Users); i <= state.MaxUsers; i++ {
				c := *u
				c.Profile.Id = int64(10_000_000 + i)
				c.Channels, c.Events = nil, nil
				w.Users = append(w.Users, c)
			}
		}, "/users", state.MaxUsers},
		{"more channels than a user may have", func(_ *state.World, u *state.User) {
			for i := len(u.Channels); i <= state.MaxChannelsPerUser; i++ {
				u.Channels = append(u.Channels, rtmpChannel(int64(90_000_000+i)))
			}
		}, "/users/0/channels", state.MaxChannelsPerUser},
		{"more upcoming events than a user may have", func(_ *state.World, u *state.User) {
			for range state.MaxOpenEventsPerUser + 1 {
				u.Events = append(u.Events, state.Event{Event: restreamapi.Event{Id: uuid.New(), Status: restreamapi.EventStatusUpcoming,
					Title: "Soon", Destinations: []restreamapi.EventDestination{}}})
			}
		}, "/users/0/events", state.MaxOpenEventsPerUser},
		{"more past events than a user may have", func(_ *state.World, u *state.User) {
			u.Events = append(u.Events, pastEvents(state.MaxPastEventsPerUser+1, 1_600_000_000)...)
		}, "/users/0/events", state.MaxPastEventsPerUser},
		{"a chat longer than an event may have", func(_ *state.World, u *state.User) {
			for i := range u.Events {
				if len(u.Events[i].Chat) > 0 {
					m := u.Events[i].Chat[0]
					for len(u.Events[i].Chat) <= state.MaxChatMessagesPerEvent {
						u.Events[i].Chat = append(u.Events[i].Chat, m)
					}
					return
				}
			}
			t.Fatal("no event with chat")
		}, "/chat", state.MaxChatMessagesPerEvent},
		{"more storage files than a user may have", func(_ *state.World, u *state.User) {
			f := u.StorageFiles[0]
			for len(u.StorageFiles) <= state.MaxStorageFilesPerUser {
				f.Id = uuid.New()
				u.StorageFiles = append(u.StorageFiles, f)
			}
		}, "/users/0/storageFiles", state.MaxStorageFilesPerUser},
		{"more clip projects than a user may have", func(_ *state.World, u *state.User) {
			p := u.Clips[0]
			for len(u.Clips) <= state.MaxClipsProjectsPerUser {
				p.ProjectId = uuid.New()
				u.Clips = append(u.Clips, p)
			}
		}, "/users/0/clipsProjects", state.MaxClipsProjectsPerUser},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w state.World
			if err := json.Unmarshal([]byte(base), &w); err != nil {
				t.Fatal(err)
			}
			if w.Users[0].Profile.Id != nova {
				t.Fatal("nova must be the first user")
			}
			tc.grow(&w, &w.Users[0])
			status, body := h.load(w)
			wantError(t, status, body, 400, "invalid_body_params", tc.pointer, strconv.Itoa(tc.cap))
			if h.state() != base {
				t.Fatal("a refused import changed the world")
			}
		})
	}
}

func TestImportedNumbersOutsideTheirBoundsAreRefusedNamingThePointer(t *testing.T) {
	h := newHarness(t, mock.Options{})
	base := h.state()
	for _, tc := range []struct {
		name    string
		change  func(u *state.User)
		pointer string // empty: accepted
	}{
		{"a channel id of MaxInt64", func(u *state.User) { u.Channels[0].Id = 1<<63 - 1 }, "/users/0/channels/0/id"},
		{"a channel id one past the import bound", func(u *state.User) { u.Channels[0].Id = state.MaxImportedChannelID + 1 }, "/users/0/channels/0/id"},
		{"a channel id at the import bound", func(u *state.User) { u.Channels[0].Id = state.MaxImportedChannelID }, ""},
		{"a user id past 2^53-1", func(u *state.User) { u.Profile.Id = state.MaxID + 1 }, "/users/0/profile/id"},
		{"a scheduledFor of MaxInt64", func(u *state.User) { u.Events[0].ScheduledFor = ptr(int64(1<<63 - 1)) }, "/users/0/events/0/scheduledFor"},
		{"a scheduledFor of MinInt64", func(u *state.User) { u.Events[0].ScheduledFor = ptr(int64(-1 << 63)) }, "/users/0/events/0/scheduledFor"},
		{"a startedAt before 1970", func(u *state.User) {
			for i := range u.Events {
				if u.Events[i].StartedAt != nil {
					u.Events[i].StartedAt = ptr(int64(-1))
					return
				}
			}
		}, "/startedAt"},
		{"a finishedAt after 9999", func(u *state.User) {
			for i := range u.Events {
				if u.Events[i].FinishedAt != nil {
					u.Events[i].FinishedAt = ptr(state.MaxEventTime.Unix() + 1)
					return
				}
			}
		}, "/finishedAt"},
		{"a clip project created in year 10000 in UTC", func(u *state.User) {
			u.Clips[0].CreatedAt = time.Date(9999, 12, 31, 23, 59, 59, 0, time.FixedZone("", -(23*3600+59*60)))
		}, "/users/0/clipsProjects/0/createdAt"},
		{"the same destination twice", func(u *state.User) {
			for i := range u.Events {
				if d := u.Events[i].Destinations; len(d) > 0 {
					u.Events[i].Destinations = append(d, d[0])
					return
				}
			}
			t.Fatal("no event with a destination")
		}, "/destinations/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w state.World
			if err := json.Unmarshal([]byte(base), &w); err != nil {
				t.Fatal(err)
			}
			u := &w.Users[0]
			// A channel id change must not leave destinations pointing at nothing.
			for i := range u.Events {
				u.Events[i].Destinations = slicesDeleteChannel(u.Events[i].Destinations, u.Channels[0].Id)
			}
			tc.change(u)
			status, body := h.load(w)
			if tc.pointer == "" {
				if status != 204 {
					t.Fatalf("import: %d %s", status, body)
				}
				if status, body := h.load(h.world()); status != 204 {
					t.Fatalf("what was exported must import again: %d %s", status, body)
				}
				h.do("POST", "/__mock/reset", "", "", nil)
				return
			}
			wantError(t, status, body, 400, "invalid_body_params", tc.pointer)
			if h.state() != base {
				t.Fatal("a refused import changed the world")
			}
		})
	}
}

func slicesDeleteChannel(ds []restreamapi.EventDestination, id int64) []restreamapi.EventDestination {
	var out []restreamapi.EventDestination
	for _, d := range ds {
		if d.ChannelId != id {
			out = append(out, d)
		}
	}
	return out
}

func TestChannelIdsRunOutWithARefusalInsteadOfWrapping(t *testing.T) {
	h := newHarness(t, mock.Options{})
	w := h.world()
	u := userOf(t, &w, nova)
	u.Channels = []state.Channel{rtmpChannel(state.MaxImportedChannelID)}
	for i := range u.Events {
		u.Events[i].Destinations = nil
	}
	h.mustLoad(w)
	tok := h.token(nova)
	ids := map[int64]bool{state.MaxImportedChannelID: true}
	var last int64
	add := func() (int, []byte) {
		status, body := addRTMP(h, tok)
		if status == 201 {
			var c restreamapi.ChannelCreated
			if err := json.Unmarshal(body, &c); err != nil {
				t.Fatal(err)
			}
			if ids[c.Id] || c.Id > state.MaxID {
				t.Fatalf("channel id %d was handed out twice or is past %d", c.Id, state.MaxID)
			}
			ids[c.Id], last = true, c.Id
		}
		return status, body
	}
	// The reserve above the largest imported id lets the user fill their cap...
	for range state.MaxChannelsPerUser - 1 {
		if status, body := add(); status != 201 {
			t.Fatalf("adding a channel in the reserve: %d %s", status, body)
		}
	}
	// ...and every id up to 2^53-1 is used, once.
	for last < state.MaxID {
		if status, _, body := h.do("DELETE", fmt.Sprintf("/v2/user/channels/%d", last), tok, "", nil); status != 204 {
			t.Fatalf("delete: %d %s", status, body)
		}
		if status, body := add(); status != 201 {
			t.Fatalf("adding a channel while ids remain: %d %s", status, body)
		}
	}
	if status, _, body := h.do("DELETE", fmt.Sprintf("/v2/user/channels/%d", last), tok, "", nil); status != 204 {
		t.Fatalf("delete: %d %s", status, body)
	}
	before := h.state()
	status, body := add()
	wantError(t, status, body, 409, "channel_ids_exhausted", strconv.FormatInt(state.MaxID, 10))
	if h.state() != before {
		t.Fatal("a refused channel changed the world")
	}
	// A reset gives the fixtures' ids back their room.
	h.do("POST", "/__mock/reset", "", "", nil)
	if status, body := add(); status != 201 {
		t.Fatalf("adding a channel after a reset: %d %s", status, body)
	}
}

func TestAnImportedUserWithoutAnEmailIsRefusedNamingIt(t *testing.T) {
	h := newHarness(t, mock.Options{})
	before := h.state()
	status, _, body := h.do("PUT", "/__mock/state", "", "application/json",
		[]byte(`{"platforms":[],"servers":[],"users":[{"profile":{"id":1,"username":"nomail"},"streamKey":{"streamKey":"k"}}]}`))
	wantError(t, status, body, 400, "invalid_body_params", "/users/0/profile", "mail")
	if h.state() != before {
		t.Fatal("a refused import changed the world")
	}
}
