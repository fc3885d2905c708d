package state_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/clock"
	"github.com/restreamkit/restreamkit/internal/fixtures"
	"github.com/restreamkit/restreamkit/internal/state"
)

// chatEvent is nova_plays' finished event with a chat history.
const chatEvent = finished

// fixtureWorld returns the embedded fixtures' world.
func fixtureWorld(t testing.TB) state.World {
	t.Helper()
	seed, err := fixtures.Load(fixtures.Embedded(), fixtures.EmbeddedName)
	if err != nil {
		t.Fatal(err)
	}
	return seed.World
}

// busyChatStore is the fixture world with a chat of 40 messages, three to a second, so that
// page tokens need their skip field.
func busyChatStore(t testing.TB) *state.Store {
	t.Helper()
	w := fixtureWorld(t)
	for ui := range w.Users {
		for ei := range w.Users[ui].Events {
			e := &w.Users[ui].Events[ei]
			if e.Id.String() != chatEvent {
				continue
			}
			base := e.Chat[0]
			e.Chat = nil
			for i := range 40 {
				m := base
				m.Timestamp = time.Unix(1_795_550_000+int64(i/3), 0).UTC()
				text := fmt.Sprintf("message %d", i)
				m.Text = &text
				e.Chat = append(e.Chat, m)
			}
		}
	}
	st, err := state.New(w, clock.New())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// wantRefusal fails unless err is the 400 envelope naming param.
func wantRefusal(t *testing.T, err error, param string) {
	t.Helper()
	e, ok := apierror.As(err)
	if !ok || e.Status != http.StatusBadRequest || !strings.Contains(e.Message, param) {
		t.Fatalf("want a 400 naming %s, got %v", param, err)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// FuzzChatPageToken checks the chat page token codec and ChatHistory with any token: decoding
// never panics, a token is accepted only in the form the store issues (so it re-encodes to
// itself), and every page served links to pages whose tokens are accepted in turn.
func FuzzChatPageToken(f *testing.F) {
	f.Add(b64(chatEvent+"|1795550251|5"), 0)
	f.Add(b64(chatEvent+"|1795550251|5|prev"), 5)
	f.Add(strings.TrimRight(b64(chatEvent+"|1795553033|100|prev"), "="), 0)
	f.Add(b64(chatEvent+"|1795550003|4|next|2"), 3)
	f.Add(b64(chatEvent+"|1795550003|4|prev|1"), 0)
	f.Add(b64(chatEvent+"|9223372036854775807|1000|next|9223372036854775807"), 1000)
	f.Add(b64(chatEvent+"|-9223372036854775808|1|prev|9999"), -1)
	f.Add(b64(chatEvent+"|0007|+5"), math.MaxInt)
	f.Add(b64("00000000-0000-4000-8000-000000000000|0|5"), 1)
	f.Add("bm9wZQ", 0)
	f.Add("", 0)
	st := busyChatStore(f)
	f.Fuzz(func(t *testing.T, raw string, size int) {
		canonical, err := state.ParseChatToken(chatEvent, raw)
		if err != nil {
			wantRefusal(t, err, "pageToken")
		} else {
			if raw != canonical && raw != strings.TrimRight(canonical, "=") {
				t.Fatalf("token %q was accepted but encodes as %q", raw, canonical)
			}
			if again, err := state.ParseChatToken(chatEvent, canonical); err != nil || again != canonical {
				t.Fatalf("the canonical token %q reads back as %q, %v", canonical, again, err)
			}
		}
		var pageSize *int
		if size != 0 {
			pageSize = &size
		}
		h, err := st.ChatHistory(nova, chatEvent, pageSize, &raw, nil)
		if err != nil {
			if e, ok := apierror.As(err); !ok || e.Status != http.StatusBadRequest {
				t.Fatalf("want a 400, got %v", err)
			}
			return
		}
		want := 100
		if size > 0 {
			want = size
		}
		if pageSize == nil {
			_, _ = fmt.Sscanf(strings.Split(mustDecode(t, canonical), "|")[2], "%d", &want)
		}
		if len(h.Messages) > want {
			t.Fatalf("a page of size %d holds %d messages", want, len(h.Messages))
		}
		for _, next := range []*string{h.NextPageToken, h.PreviousPageToken} {
			if next == nil {
				continue
			}
			if _, err := st.ChatHistory(nova, chatEvent, nil, next, nil); err != nil {
				t.Fatalf("the store refused its own token %q: %v", *next, err)
			}
		}
	})
}

func mustDecode(t *testing.T, token string) string {
	b, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// FuzzClipsCursor checks the clip project cursor like FuzzChatPageToken checks chat tokens.
func FuzzClipsCursor(f *testing.F) {
	f.Add("eyJzb3J0VmFsdWUiOiIyMDI2LTExLTIyVDExOjAyOjI3LjExOFoiLCJpZCI6IjFiNTAzZjllLTVjYjctNGY2ZC04ZmJiLTNhMWRmZDM5ZmJhYiJ9", 1)
	f.Add(b64(`{"sortValue":"2026-11-22T11:02:27.118Z","id":""}`), 2)
	f.Add(b64(`{"sortValue":"2026-11-22T11:02:27.1181Z","id":"x"}`), 100)
	f.Add(b64(`{"id":"x","sortValue":"2026-11-22T12:02:27.118+01:00"}`), 0)
	f.Add(b64(`{"sortValue":"9999-12-31T23:59:59.999Z","id":"ffffffff-ffff-ffff-ffff-ffffffffffff"}`), math.MaxInt)
	f.Add(b64(`{"SORTVALUE":"0000-01-01T00:00:00.000Z","id":"\u003c"}`), -1)
	f.Add("e30", 1)
	st := busyChatStore(f)
	f.Fuzz(func(t *testing.T, raw string, limit int) {
		canonical, err := state.ParseClipsCursor(raw)
		if err != nil {
			wantRefusal(t, err, "cursor")
		} else {
			if raw != canonical && raw != strings.TrimRight(canonical, "=") {
				t.Fatalf("cursor %q was accepted but encodes as %q", raw, canonical)
			}
			if again, err := state.ParseClipsCursor(canonical); err != nil || again != canonical {
				t.Fatalf("the canonical cursor %q reads back as %q, %v", canonical, again, err)
			}
		}
		for _, sortBy := range []string{"CreatedAt", "LastActivity"} {
			page, err := st.ClipsProjects(nova, limit, &raw, sortBy)
			if err != nil {
				if e, ok := apierror.As(err); !ok || e.Status != http.StatusBadRequest {
					t.Fatalf("want a 400, got %v", err)
				}
				continue
			}
			if len(page.Projects) > limit {
				t.Fatalf("a page of %d holds %d projects", limit, len(page.Projects))
			}
			if c := page.Pagination.NextCursor; c != nil {
				if _, err := st.ClipsProjects(nova, limit, c, sortBy); err != nil {
					t.Fatalf("the store refused its own cursor %q: %v", *c, err)
				}
			}
		}
	})
}

// FuzzImportState feeds any document to the import's parser and the store: never a panic;
// either a clean error that leaves the world as it was, or a world that exports back, passes
// its own checks, imports again unchanged and serves every list.
func FuzzImportState(f *testing.F) {
	fixture, err := json.Marshal(fixtureWorld(f))
	if err != nil {
		f.Fatal(err)
	}
	small := []byte(`{"platforms":[],"servers":[],"users":[{"profile":{"id":1,"username":"a","email":"a@example.com"},"streamKey":{"streamKey":"k"}}]}`)
	// The world each import replaces is small, so that an execution costs little beyond the import.
	base, err := state.DecodeWorld(small)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(fixture)
	f.Add(small)
	f.Add([]byte(`{"platforms":[],"servers":[],"users":[]}`))
	f.Add([]byte(`{"users":[{"profile":{"id":1,"username":"a"},"streamKey":{"streamKey":"k"},` +
		`"channels":[{"id":9223372036854775807,"streamingPlatformId":29}]}]}`))
	f.Add([]byte(`{"users":[{"profile":{"id":1,"username":"a"},"streamKey":{"streamKey":"k"},` +
		`"events":[{"id":"10aef25c-4ca7-4f92-a47d-16d6631ebda6","status":"upcoming","scheduledFor":-9223372036854775808},` +
		`{"id":"20aef25c-4ca7-4f92-a47d-16d6631ebda6","status":"finished","startedAt":1,"finishedAt":9223372036854775807}]}]}`))
	f.Add([]byte(`{"users":[{"profile":{"id":1,"username":"a"},"streamKey":{"streamKey":"k"}}]} {"users":[]}`))
	f.Add([]byte(`{"users":[{"profile":{"id":1,"username":"a"},"streamKey":{"streamKey":"k"},"extra":1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		w, err := state.DecodeWorld(data)
		if err != nil {
			return
		}
		st, err := state.New(base, clock.New())
		if err != nil {
			t.Fatal(err)
		}
		before := st.Export()
		if err := st.Import(w); err != nil {
			if err.Error() == "" {
				t.Fatal("an import was refused without a reason")
			}
			if after := st.Export(); !equalJSON(t, before, after) {
				t.Fatal("a refused import changed the world")
			}
			return
		}
		out := st.Export()
		if err := state.Check(out); err != nil {
			t.Fatalf("the imported world fails its own checks: %v", err)
		}
		doc, err := json.Marshal(out)
		if err != nil {
			t.Fatal(err)
		}
		again, err := state.DecodeWorld(doc)
		if err != nil {
			t.Fatalf("the exported world does not decode: %v", err)
		}
		if err := st.Import(again); err != nil {
			t.Fatalf("the exported world does not import: %v", err)
		}
		if !equalJSON(t, out, st.Export()) {
			t.Fatal("export, import, export is not stable")
		}
		serveEverything(t, st, out)
	})
}

func equalJSON(t *testing.T, a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(ja, jb)
}

// serveEverything reads every list of every user and adds a channel to each: nothing panics,
// and channel ids stay unique.
func serveEverything(t *testing.T, st *state.Store, w state.World) {
	ids := map[int64]bool{}
	for _, u := range w.Users {
		for _, c := range u.Channels {
			ids[c.Id] = true
		}
	}
	for _, u := range w.Users {
		uid := u.Profile.Id
		ok := func(_ any, err error) {
			if _, isAPI := apierror.As(err); err != nil && !isAPI {
				t.Fatalf("user %d: %v", uid, err)
			}
		}
		ok(st.UpcomingEvents(uid, nil, nil))
		ok(st.InProgressEvents(uid))
		for _, page := range []int{1, 2, math.MaxInt} {
			ok(st.EventHistory(uid, page, 100))
		}
		for _, e := range u.Events {
			h, err := st.ChatHistory(uid, e.Id.String(), nil, nil, nil)
			ok(h, err)
			if h.NextPageToken != nil {
				ok(st.ChatHistory(uid, e.Id.String(), nil, h.NextPageToken, nil))
			}
		}
		for _, sortBy := range []string{"CreatedAt", "LastActivity"} {
			p, err := st.ClipsProjects(uid, 1, nil, sortBy)
			ok(p, err)
			if c := p.Pagination.NextCursor; c != nil {
				if _, err := st.ClipsProjects(uid, 1, c, sortBy); err != nil {
					t.Fatalf("user %d: the store refused its own cursor %q: %v", uid, *c, err)
				}
			}
		}
		ok(st.StorageFiles(uid))
		streamURL := "rtmp://ingest.example.net/live"
		c, err := st.AddChannel(uid, restreamapi.ChannelCreate{PlatformId: 29, StreamUrl: &streamURL})
		if err != nil {
			if e, isAPI := apierror.As(err); !isAPI || e.Status != http.StatusConflict {
				t.Fatalf("user %d: adding a channel: %v", uid, err)
			}
			continue
		}
		if ids[c.Id] || c.Id < 1 || c.Id > state.MaxID {
			t.Fatalf("user %d: the new channel id %d is taken or out of range", uid, c.Id)
		}
		ids[c.Id] = true
	}
}
