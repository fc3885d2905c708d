package live

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
	"github.com/restreamkit/restreamkit/internal/clock"
	"github.com/restreamkit/restreamkit/internal/fixtures"
	"github.com/restreamkit/restreamkit/internal/state"
)

// TestMain fails the run if a stream or a script goroutine is left behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Fixture users, channels and events (examples/).
const (
	nova  int64 = 2046371 // Twitch, YouTube, a disabled Facebook page, two manual destinations; one event live
	tech  int64 = 3189024 // YouTube, LinkedIn, X, DLive and two manual destinations; nothing live
	quiet int64 = 4410087 // Twitch only; no events

	novaTwitch   int64 = 5120001
	novaYouTube  int64 = 5120002
	novaFacebook int64 = 5120003 // disabled
	novaRTMP     int64 = 5120004 // Custom RTMP
	novaTelegram int64 = 5120005 // manual destination

	novaLive            = "b4d2982b-4e55-4c13-b06b-71a2ae075810" // in progress
	novaUpcoming        = "10aef25c-4ca7-4f92-a47d-16d6631ebda6"
	novaFinished        = "95ef2be4-24d2-4d9c-8ec5-420178877913"
	techYouTubeID       = "UCt7Hd2Lw9QxZr4Nf1Kp8VmE"
	techDLive     int64 = 6230019 // the fixtures' only DLive channel
)

// published is one frame a fake publisher received.
type published struct {
	user  int64
	frame []byte
}

// fakePublisher records every frame, in order.
type fakePublisher struct {
	mu     sync.Mutex
	frames []published
}

func (p *fakePublisher) Publish(userID int64, frame []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.frames = append(p.frames, published{userID, bytes.Clone(frame)})
}

// since returns the frames of user published after the first n frames of the publisher, decoded.
func (p *fakePublisher) since(n int, user int64) []map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []map[string]any
	for _, f := range p.frames[min(n, len(p.frames)):] {
		if f.user == user {
			out = append(out, decode(f.frame))
		}
	}
	return out
}

func (p *fakePublisher) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.frames)
}

// raw returns the frames of user after the first n, undecoded.
func (p *fakePublisher) raw(n int, user int64) [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out [][]byte
	for _, f := range p.frames[min(n, len(p.frames)):] {
		if f.user == user {
			out = append(out, f.frame)
		}
	}
	return out
}

func decode(b []byte) map[string]any {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		panic(err)
	}
	return m
}

// waitFor polls cond until it holds, failing the test after a while.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// world is a store of the fixture world and the simulators wired to it as the mock wires them.
type world struct {
	store   *state.Store
	clock   *clock.Clock
	pub     *fakePublisher // the streaming feed
	chatPub *fakePublisher // the chat feed
	chat    *Chat
	streams *Streams
}

type worldOptions struct {
	fixture ChatFixture
	edit    func(w *state.World) // changes the seed world first
	spacing time.Duration
}

func newWorld(t *testing.T, o worldOptions) *world {
	t.Helper()
	seed, err := fixtures.Load(fixtures.Embedded(), fixtures.EmbeddedName)
	if err != nil {
		t.Fatal(err)
	}
	w := seed.World
	if o.edit != nil {
		o.edit(&w)
	}
	clk := clock.New()
	st, err := state.New(w, clk)
	if err != nil {
		t.Fatal(err)
	}
	pub, chatPub := &fakePublisher{}, &fakePublisher{}
	if o.spacing == 0 {
		o.spacing = time.Millisecond
	}
	chat, err := NewChat(ChatOptions{Store: st, Publisher: chatPub, Clock: clk, Fixture: o.fixture, ScriptSpacing: o.spacing, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	streams, err := NewStreams(StreamsOptions{Store: st, Publisher: pub, Clock: clk, Interval: 5 * time.Millisecond, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	st.OnChange(func(ch state.Change) {
		chat.HandleChange(ch)
		streams.HandleChange(ch)
	})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := streams.Close(ctx); err != nil {
			t.Errorf("closing the streams: %v", err)
		}
		if err := chat.Close(ctx); err != nil {
			t.Errorf("closing the chat: %v", err)
		}
	})
	return &world{store: st, clock: clk, pub: pub, chatPub: chatPub, chat: chat, streams: streams}
}

// addChannel adds a channel to a user of a seed world, as a platform integration would.
func addChannel(w *state.World, user int64, ch restreamapi.Channel) {
	for i := range w.Users {
		if w.Users[i].Profile.Id == user {
			w.Users[i].Channels = append(w.Users[i].Channels, state.Channel{Channel: ch, Meta: restreamapi.ChannelMeta{Title: ch.DisplayName}})
		}
	}
}

// keys returns the sorted keys of a JSON object.
func keys(v any) []string {
	m, _ := v.(map[string]any)
	return slices.Sorted(maps.Keys(m))
}

// sameKeys reports whether obj has exactly the keys want.
func sameKeys(obj any, want ...string) bool {
	sort.Strings(want)
	return slices.Equal(keys(obj), want)
}

// hasKeys reports the keys of want that obj lacks.
func missingKeys(obj any, want ...string) []string {
	m, _ := obj.(map[string]any)
	var out []string
	for _, k := range want {
		if _, ok := m[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}

// strictDecode decodes b into v, refusing fields v does not have.
func strictDecode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// actions lists the action of each frame.
func actions(frames []map[string]any) []string {
	out := make([]string, len(frames))
	for i, f := range frames {
		out[i], _ = f["action"].(string)
	}
	return out
}

func joined(s []string) string { return strings.Join(s, ",") }
