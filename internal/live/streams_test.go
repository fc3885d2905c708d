package live

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
	"github.com/restreamkit/restreamkit/internal/apierror"
)

// The documented fields of every streaming frame (facts §4), nested objects by dotted path.
var streamingFields = map[string]map[string][]string{
	ActionUpdateIncoming: {
		"":                  {"action", "userId", "eventId", "createdAt", "suid", "streaming"},
		"streaming":         {"fps", "keyframeInterval", "lossRate", "bitrate", "codec", "profileAndLevel", "height", "width"},
		"streaming.bitrate": {"total", "audio", "video"},
		"streaming.codec":   {"audio", "video"},
	},
	ActionDeleteIncoming: {"": {"action", "userId", "createdAt", "suid"}},
	ActionUpdateOutgoing: {
		"":          {"action", "userId", "platformId", "channelId", "createdAt", "channelIdentifier", "eventIdentifier", "streaming"},
		"streaming": {"status", "bitrate", "bufferedBytes"},
	},
	ActionDeleteOutgoing: {"": {"action", "userId", "platformId", "channelId", "createdAt"}},
	ActionUpdateStatuses: {"": {"action", "userId", "platformId", "channelId", "createdAt", "updatedAt", "channelIdentifier",
		"eventIdentifier", "channelViews", "followers", "gameTitle", "online", "streamViews", "title", "viewers"}},
}

// checkStreamingFrame checks that a frame has exactly the documented fields and decodes into
// its type without a field left over.
func checkStreamingFrame(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	f := decode(raw)
	action, _ := f["action"].(string)
	fields, ok := streamingFields[action]
	if !ok {
		t.Fatalf("unknown action %q in %s", action, raw)
	}
	for path, want := range fields {
		obj := any(f)
		if path != "" {
			for _, p := range splitPath(path) {
				obj = obj.(map[string]any)[p]
			}
		}
		if !sameKeys(obj, want...) {
			t.Errorf("%s %s has fields %v, want %v", action, path, keys(obj), want)
		}
	}
	var v any
	switch action {
	case ActionUpdateIncoming:
		v = &UpdateIncoming{}
	case ActionDeleteIncoming:
		v = &DeleteIncoming{}
	case ActionUpdateOutgoing:
		v = &UpdateOutgoing{}
	case ActionDeleteOutgoing:
		v = &DeleteOutgoing{}
	case ActionUpdateStatuses:
		v = &UpdateStatuses{}
	}
	if err := strictDecode(raw, v); err != nil {
		t.Errorf("%s does not decode into its type: %v", action, err)
	}
	return f
}

func splitPath(p string) []string {
	var out []string
	start := 0
	for i := range len(p) {
		if p[i] == '.' {
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	return append(out, p[start:])
}

func num(v any) int64 { f, _ := v.(float64); return int64(f) }

func TestStartAndStopEmitEveryStreamingActionWithTheDocumentedFields(t *testing.T) {
	w := newWorld(t, worldOptions{})
	start := w.pub.count()
	info, err := w.streams.Start(nova, StartRequest{EventID: novaUpcoming})
	if err != nil {
		t.Fatal(err)
	}
	active := []int64{novaTwitch, novaYouTube, novaRTMP, novaTelegram}
	if joinedIDs(info.ChannelIDs) != joinedIDs(active) {
		t.Fatalf("outgoing channels %v, want the enabled ones %v", info.ChannelIDs, active)
	}
	// Wait for two rounds with every channel connected and reported.
	waitFor(t, "the stream to connect everywhere", func() bool {
		connected := map[int64]bool{}
		statuses := map[int64]int{}
		for _, f := range w.pub.since(start, nova) {
			switch f["action"] {
			case ActionUpdateOutgoing:
				if f["streaming"].(map[string]any)["status"] == OutgoingConnected {
					connected[num(f["channelId"])] = true
				}
			case ActionUpdateStatuses:
				statuses[num(f["channelId"])]++
			}
		}
		return len(connected) == 4 && statuses[novaTwitch] >= 2 && statuses[novaYouTube] >= 2
	})
	e, err := w.store.Event(nova, novaUpcoming)
	if err != nil || e.Status != restreamapi.EventStatusInProgress {
		t.Fatalf("event %+v (%v), want it in progress while streaming", e, err)
	}
	if _, err := w.streams.Stop(nova, novaUpcoming); err != nil {
		t.Fatal(err)
	}

	frames := w.pub.raw(start, nova)
	var decoded []map[string]any
	for _, raw := range frames {
		decoded = append(decoded, checkStreamingFrame(t, raw))
	}
	statusSeq := map[int64][]string{}
	for i, f := range decoded {
		if num(f["userId"]) != nova {
			t.Errorf("frame %d is for user %v", i, f["userId"])
		}
		switch f["action"] {
		case ActionUpdateIncoming:
			if f["eventId"] != novaUpcoming || f["suid"] != info.Suid || num(f["createdAt"]) != info.CreatedAt {
				t.Errorf("updateIncoming %v does not describe the stream %+v", f, info)
			}
			s := f["streaming"].(map[string]any)
			b := s["bitrate"].(map[string]any)
			if num(b["total"]) != num(b["audio"])+num(b["video"]) || s["fps"].(float64) < 29 || s["height"] != 1080.0 {
				t.Errorf("implausible ingest figures %v", s)
			}
		case ActionUpdateOutgoing:
			id := num(f["channelId"])
			statusSeq[id] = append(statusSeq[id], f["streaming"].(map[string]any)["status"].(string))
			if id == novaYouTube && f["eventIdentifier"] != platformEventIdentifier(PlatformYouTube, novaUpcoming) {
				t.Errorf("YouTube outgoing eventIdentifier %v, want the broadcast id", f["eventIdentifier"])
			}
		case ActionUpdateStatuses:
			id := num(f["channelId"])
			if id != novaTwitch && id != novaYouTube {
				t.Errorf("updateStatuses for channel %d, whose platform reports nothing", id)
			}
			if f["online"] != true || f["viewers"] == nil || f["followers"] == nil || f["channelViews"] != nil {
				t.Errorf("updateStatuses %v", f)
			}
			if id == novaTwitch && (f["gameTitle"] == nil || f["streamViews"] != nil) {
				t.Errorf("Twitch statuses %v, want a game and no stream views", f)
			}
			if id == novaYouTube && (f["gameTitle"] != nil || f["streamViews"] == nil) {
				t.Errorf("YouTube statuses %v, want stream views and no game", f)
			}
		}
	}
	for _, id := range active {
		seq := statusSeq[id]
		if len(seq) < 3 || seq[0] != OutgoingConnecting || seq[1] != OutgoingConnected {
			t.Errorf("channel %d went %v, want CONNECTING then CONNECTED from the next report", id, seq)
		}
	}
	// The stop: one deleteOutgoing per channel, then deleteIncoming, last.
	tail := decoded[len(decoded)-5:]
	if got := joined(actions(tail)); got != "deleteOutgoing,deleteOutgoing,deleteOutgoing,deleteOutgoing,deleteIncoming" {
		t.Fatalf("the stream ended with %s", got)
	}
	for i, id := range active {
		if num(tail[i]["channelId"]) != id {
			t.Errorf("deleteOutgoing %d is for channel %v, want %d", i, tail[i]["channelId"], id)
		}
	}
	if tail[4]["suid"] != info.Suid {
		t.Errorf("deleteIncoming suid %v, want %s", tail[4]["suid"], info.Suid)
	}

	e, err = w.store.Event(nova, novaUpcoming)
	if err != nil || e.Status != restreamapi.EventStatusFinished || e.FinishedAt == nil || *e.FinishedAt < *e.StartedAt {
		t.Fatalf("event %+v (%v), want it finished after its start", e, err)
	}
	h, _ := w.store.EventHistory(nova, 1, 10)
	if len(h.Items) == 0 || h.Items[0].Id.String() != novaUpcoming {
		t.Error("the finished event is not first in the history")
	}
}

func TestNoFrameFollowsAStop(t *testing.T) {
	// Virtual time (synctest): an hour of reporting intervals passes, and the count is read once
	// every goroutine of the bubble is blocked, not after a sleep a slow machine could outrun.
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, worldOptions{})
		info, err := w.streams.Start(nova, StartRequest{EventID: novaUpcoming})
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "a report", func() bool { return w.pub.count() > 0 })
		if _, err := w.streams.Stop(nova, info.EventID); err != nil {
			t.Fatal(err)
		}
		afterStop := w.pub.count()
		time.Sleep(time.Hour)
		synctest.Wait()
		if n := w.pub.count(); n != afterStop {
			t.Errorf("%d frames after Stop", n-afterStop)
		}
	})
}

func joinedIDs(ids []int64) string {
	b, _ := json.Marshal(ids)
	return string(b)
}

func TestStartWithoutAnEventPicksTheLiveOneThenTheNextThenAnInstantOne(t *testing.T) {
	w := newWorld(t, worldOptions{})
	first, err := w.streams.Start(nova, StartRequest{})
	if err != nil || first.EventID != novaLive {
		t.Fatalf("first start: %+v (%v), want the event already in progress", first, err)
	}
	upcoming, _ := w.store.UpcomingEvents(nova, nil, nil)
	second, err := w.streams.Start(nova, StartRequest{})
	if err != nil || second.EventID != upcoming[0].Id.String() {
		t.Fatalf("second start: %+v (%v), want the next upcoming event %s", second, err, upcoming[0].Id)
	}
	third, err := w.streams.Start(quiet, StartRequest{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := w.store.Event(quiet, third.EventID)
	if err != nil || e.Title != "Live now" || e.Status != restreamapi.EventStatusInProgress || e.IsInstant == nil || !*e.IsInstant {
		t.Fatalf("quiet's event %+v (%v), want an instant event in progress", e, err)
	}
	if got := w.streams.Running(nova); len(got) != 2 {
		t.Errorf("nova runs %d streams, want 2", len(got))
	}
}

func TestStreamErrorsAreEnvelopesTheControlAPICanSend(t *testing.T) {
	tests := []struct {
		name       string
		run        func(w *world) error
		wantStatus int
		wantName   string
	}{
		{"a second stream for the same event is a conflict", func(w *world) error {
			if _, err := w.streams.Start(nova, StartRequest{EventID: novaLive}); err != nil {
				return err
			}
			_, err := w.streams.Start(nova, StartRequest{EventID: novaLive})
			return err
		}, http.StatusConflict, "stream_already_running"},
		{"stopping a stream that does not run is not found", func(w *world) error {
			_, err := w.streams.Stop(nova, novaLive)
			return err
		}, http.StatusNotFound, "stream_not_found"},
		{"stopping with no event and no stream is not found", func(w *world) error {
			_, err := w.streams.Stop(quiet, "")
			return err
		}, http.StatusNotFound, "stream_not_found"},
		{"stopping with no event among two streams is ambiguous", func(w *world) error {
			for range 2 {
				if _, err := w.streams.Start(nova, StartRequest{}); err != nil {
					return err
				}
			}
			_, err := w.streams.Stop(nova, "")
			return err
		}, http.StatusConflict, "ambiguous_stream"},
		{"a finished event cannot go live again", func(w *world) error {
			_, err := w.streams.Start(nova, StartRequest{EventID: novaFinished})
			return err
		}, http.StatusConflict, "event_already_finished"},
		{"an unknown event is not found", func(w *world) error {
			_, err := w.streams.Start(nova, StartRequest{EventID: "00000000-0000-0000-0000-000000000000"})
			return err
		}, http.StatusNotFound, "event_not_found"},
		{"an unknown user is not found", func(w *world) error {
			_, err := w.streams.Start(1, StartRequest{})
			return err
		}, http.StatusNotFound, "user_not_found"},
		{"a negative interval is a bad request", func(w *world) error {
			_, err := w.streams.Start(nova, StartRequest{Interval: -time.Second})
			return err
		}, http.StatusBadRequest, apierror.NameInvalidBodyParams},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, worldOptions{})
			e, ok := apierror.As(tt.run(w))
			if !ok || e.Status != tt.wantStatus || e.Name != tt.wantName {
				t.Fatalf("error %v, want %d %s", e, tt.wantStatus, tt.wantName)
			}
		})
	}
}

func TestChannelsToggledWhileLiveStartAndStopTheirOutgoingStream(t *testing.T) {
	w := newWorld(t, worldOptions{})
	if _, err := w.streams.Start(nova, StartRequest{EventID: novaLive}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first report", func() bool { return len(w.pub.since(0, nova)) > 0 })

	mark := w.pub.count()
	if err := w.store.SetChannelActive(nova, novaTwitch, false); err != nil {
		t.Fatal(err)
	}
	if err := w.store.SetChannelActive(nova, novaFacebook, true); err != nil {
		t.Fatal(err)
	}
	if err := w.store.DeleteChannel(nova, novaTelegram); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the Facebook page to connect", func() bool {
		for _, f := range w.pub.since(mark, nova) {
			if f["action"] == ActionUpdateOutgoing && num(f["channelId"]) == novaFacebook &&
				f["streaming"].(map[string]any)["status"] == OutgoingConnected {
				return true
			}
		}
		return false
	})
	deleted := map[int64]int{}
	var fbSeq []string
	twitchAfter := 0
	// A report of Twitch or Telegram may come between the mark and the change (a tick of the
	// simulator); only one after its deleteOutgoing is a report for a channel no longer streamed to.
	for _, f := range w.pub.since(mark, nova) {
		id := num(f["channelId"])
		switch f["action"] {
		case ActionDeleteOutgoing:
			deleted[id]++
		case ActionUpdateOutgoing, ActionUpdateStatuses:
			if deleted[id] > 0 && (id == novaTwitch || id == novaTelegram) {
				twitchAfter++
			}
			if id == novaFacebook && f["action"] == ActionUpdateOutgoing {
				fbSeq = append(fbSeq, f["streaming"].(map[string]any)["status"].(string))
			}
		}
	}
	if deleted[novaTwitch] != 1 || deleted[novaTelegram] != 1 || len(deleted) != 2 {
		t.Errorf("deleteOutgoing per channel %v, want one for Twitch and one for Telegram", deleted)
	}
	if twitchAfter != 0 {
		t.Errorf("%d reports for channels no longer streamed to", twitchAfter)
	}
	if len(fbSeq) < 2 || fbSeq[0] != OutgoingConnecting || fbSeq[len(fbSeq)-1] != OutgoingConnected {
		t.Errorf("the enabled Facebook page went %v, want CONNECTING then CONNECTED", fbSeq)
	}
	info := w.streams.Running(nova)[0]
	if joinedIDs(info.ChannelIDs) != joinedIDs([]int64{novaYouTube, novaRTMP, novaFacebook}) {
		t.Errorf("outgoing channels %v after the changes", info.ChannelIDs)
	}
}

func TestReplacingTheWorldEndsEveryStream(t *testing.T) {
	w := newWorld(t, worldOptions{})
	info, err := w.streams.Start(quiet, StartRequest{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a report", func() bool { return len(w.pub.since(0, quiet)) > 0 })
	mark := w.pub.count()
	w.store.Reset()
	got := w.pub.since(mark, quiet)
	var streaming []string
	for _, f := range got {
		if a := f["action"].(string); a == ActionDeleteOutgoing || a == ActionDeleteIncoming {
			streaming = append(streaming, a)
		}
	}
	if joined(streaming) != "deleteOutgoing,deleteIncoming" {
		t.Errorf("the reset published %v, want the stream's deletes", actions(got))
	}
	if n := len(w.streams.Running(quiet)); n != 0 {
		t.Errorf("%d streams still run", n)
	}
	if _, err := w.store.Event(quiet, info.EventID); err == nil {
		t.Error("the instant event survived the reset")
	}
}

func TestStartingViewersAreSpreadOverTheReportingChannelsThenDrift(t *testing.T) {
	w := newWorld(t, worldOptions{})
	viewers := 1000
	if _, err := w.streams.Start(nova, StartRequest{EventID: novaLive, Viewers: &viewers}); err != nil {
		t.Fatal(err)
	}
	var first []map[string]any
	waitFor(t, "the first statuses of both channels", func() bool {
		first = first[:0]
		for _, f := range w.pub.since(0, nova) {
			if f["action"] == ActionUpdateStatuses {
				first = append(first, f)
			}
		}
		return len(first) >= 2
	})
	sum := num(first[0]["viewers"]) + num(first[1]["viewers"])
	// 500 each, moved by at most 8% and one viewer before the first report.
	if sum < 2*(460-1) || sum > 2*(540+1) {
		t.Errorf("the first reports say %d viewers in all, want about 1000", sum)
	}
}

func TestCloseStopsEveryStreamWithoutAFrame(t *testing.T) {
	synctest.Test(t, func(t *testing.T) { // virtual time: see TestNoFrameFollowsAStop
		w := newWorld(t, worldOptions{})
		if _, err := w.streams.Start(nova, StartRequest{}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "a report", func() bool { return w.pub.count() > 0 })
		if err := w.streams.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		n := w.pub.count()
		time.Sleep(time.Hour)
		synctest.Wait()
		if w.pub.count() != n {
			t.Error("frames were published after Close")
		}
		if _, err := w.streams.Start(quiet, StartRequest{}); err == nil {
			t.Error("Start succeeded after Close")
		}
	})
}
