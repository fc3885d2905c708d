package restreamtest_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/restreamkit/restreamkit/restreamtest"
)

// timeKeys are the frames' fields the clock fills: a snapshot leaves them out.
var timeKeys = []string{"timestamp", "createdAt", "updatedAt"}

// withoutTimes drops the clock's fields from a decoded frame, at any depth.
func withoutTimes(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range timeKeys {
			delete(v, k)
		}
		for k, e := range v {
			v[k] = withoutTimes(e)
		}
	case []any:
		for i, e := range v {
			v[i] = withoutTimes(e)
		}
	}
	return v
}

// record reads frames, heartbeats aside, until the count-th one with the action, and appends
// each without its times to frames.
func record(t *testing.T, c *websocket.Conn, action string, count int, frames []string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for seen := 0; seen < count; {
		_, data, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("waiting for %s #%d: %v", action, seen+1, err)
		}
		var f map[string]any
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatalf("frame %s: %v", data, err)
		}
		if f["action"] == "heartbeat" {
			continue
		}
		if f["action"] == action {
			seen++
		}
		b, _ := json.Marshal(withoutTimes(f))
		frames = append(frames, string(b))
	}
	return frames
}

// snapshot drives a server started with seed through the same control actions and returns what
// its two feeds carried, times aside: the connections, a generated chat event, a chat script,
// a reply, a stream's first reports, and the event a stream makes.
func snapshot(t *testing.T, seed uint64) []string {
	t.Helper()
	rs := restreamtest.NewServer(t, restreamtest.WithSeed(seed), restreamtest.WithStreamInterval(10*time.Millisecond),
		restreamtest.WithChatScriptSpacing(time.Millisecond))
	chat := dialFeed(t, rs.ChatSocket(rs.Token(nova)))
	streaming := dialFeed(t, rs.StreamingSocket(rs.Token(nova)))
	frames := record(t, chat, "connection_info", 1, nil)
	if _, err := rs.SendChatEvent(nova, restreamtest.ChatEvent{}); err != nil {
		t.Fatal(err)
	}
	frames = record(t, chat, "event", 1, frames)
	for _, script := range []string{"raid", "superchat"} {
		n, err := rs.RunChatScript(nova, script)
		if err != nil {
			t.Fatal(err)
		}
		frames = record(t, chat, "event", n, frames)
	}
	if _, err := rs.SendChatReply(nova, restreamtest.ChatReply{Text: "thanks!"}); err != nil {
		t.Fatal(err)
	}
	frames = record(t, chat, "reply_created", 1, frames)
	stream, err := rs.StartStream(nova, restreamtest.StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	frames = append(frames, "stream "+stream.EventID+" "+stream.Suid)
	frames = record(t, streaming, "updateIncoming", 4, frames)
	// A stream for a user without an upcoming event makes one: its id comes from the seed too.
	made, err := rs.StartStream(quiet, restreamtest.StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return append(frames, "stream "+made.EventID+" "+made.Suid)
}

func TestTheSeedMakesTheFeedsRepeatable(t *testing.T) {
	for _, tc := range []struct {
		name   string
		a, b   uint64
		repeat bool
	}{
		{"the same seed gives the same frames in the same order", 42, 42, true},
		{"another seed gives other frames", 42, 43, false},
		{"no seed gives other frames on each run", 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := snapshot(t, tc.a), snapshot(t, tc.b)
			if tc.repeat {
				if i := firstDifference(a, b); i >= 0 {
					t.Fatalf("frame %d differs:\n%s\n%s", i, at(a, i), at(b, i))
				}
				return
			}
			events := func(frames []string) []string {
				return slices.DeleteFunc(slices.Clone(frames), func(f string) bool { return !json.Valid([]byte(f)) || !isEvent(f) })
			}
			if ea, eb := events(a), events(b); len(ea) == 0 || slices.Equal(ea, eb) {
				t.Fatalf("the generated chat events are the same:\n%v", ea)
			}
		})
	}
}

func isEvent(frame string) bool {
	var f struct{ Action string }
	_ = json.Unmarshal([]byte(frame), &f)
	return f.Action == "event"
}

// firstDifference is the index of the first frame that differs, or -1 when a and b are equal.
func firstDifference(a, b []string) int {
	for i := range max(len(a), len(b)) {
		if at(a, i) != at(b, i) {
			return i
		}
	}
	return -1
}

func at(frames []string, i int) string {
	if i < len(frames) {
		return frames[i]
	}
	return "(none)"
}
