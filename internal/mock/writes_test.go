package mock_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
	"github.com/restreamkit/restreamkit/internal/mock"
)

func TestWritesShowInLaterReads(t *testing.T) {
	h := newHarness(t, mock.Options{})
	ctx := context.Background()
	c := h.client(h.token(nova))
	str := func(s string) *string { return &s }

	t.Run("disabling a channel", func(t *testing.T) {
		if r, err := c.UpdateChannelWithResponse(ctx, novaTwitch, restreamapi.ChannelUpdate{Active: false}); err != nil || r.StatusCode() != 200 {
			t.Fatal(err, r.StatusCode())
		}
		got, _ := c.GetChannelWithResponse(ctx, novaTwitch)
		list, _ := c.ListChannelsWithResponse(ctx)
		if got.JSON200.Active {
			t.Fatal("the channel is still active")
		}
		for _, ch := range *list.JSON200 {
			if ch.Id == novaTwitch && ch.Active {
				t.Fatal("the list still shows the channel active")
			}
		}
	})
	t.Run("editing channel meta", func(t *testing.T) {
		if r, _ := c.UpdateChannelMetaWithResponse(ctx, novaTwitch, restreamapi.ChannelMetaUpdate{Title: "New title", Description: str("New description")}); r.StatusCode() != 200 {
			t.Fatal(r.StatusCode())
		}
		m, _ := c.GetChannelMetaWithResponse(ctx, novaTwitch)
		if m.JSON200.Title != "New title" || m.JSON200.Description == nil || *m.JSON200.Description != "New description" {
			t.Fatalf("meta is %+v", m.JSON200)
		}
		// A title-only update keeps the description.
		c.UpdateChannelMetaWithResponse(ctx, novaTwitch, restreamapi.ChannelMetaUpdate{Title: "Only title"})
		m, _ = c.GetChannelMetaWithResponse(ctx, novaTwitch)
		if m.JSON200.Title != "Only title" || m.JSON200.Description == nil || *m.JSON200.Description != "New description" {
			t.Fatalf("meta is %+v", m.JSON200)
		}
	})
	var added int64
	t.Run("adding a channel", func(t *testing.T) {
		r, err := c.AddChannelWithResponse(ctx, restreamapi.ChannelCreate{PlatformId: 78, StreamUrl: str("srt://srt.example.net:9000?streamid=abc"), DisplayName: str("SRT relay")})
		if err != nil || r.StatusCode() != 201 {
			t.Fatal(err, string(r.Body))
		}
		added = r.JSON201.Id
		got, _ := c.GetChannelWithResponse(ctx, added)
		if got.StatusCode() != 200 || got.JSON200.StreamingPlatformId != 78 || got.JSON200.DisplayName != "SRT relay" || !got.JSON200.Active {
			t.Fatalf("the new channel reads back as %d %+v", got.StatusCode(), got.JSON200)
		}
		list, _ := c.ListChannelsWithResponse(ctx)
		if last := (*list.JSON200)[len(*list.JSON200)-1]; last.Id != added {
			t.Fatalf("the new channel must be listed last, got %+v", last)
		}
	})
	var event string
	t.Run("creating an event and adding a destination", func(t *testing.T) {
		r, err := c.CreateEventWithResponse(ctx, restreamapi.EventCreate{StreamType: restreamapi.Encoder, Title: str("Q&A")})
		if err != nil || r.StatusCode() != 201 {
			t.Fatal(err, string(r.Body))
		}
		event = r.JSON201.Id.String()
		up, _ := c.ListUpcomingEventsWithResponse(ctx, nil)
		found := false
		for _, e := range *up.JSON200 {
			if e.Id == r.JSON201.Id && e.Title == "Q&A" && len(e.Destinations) == 0 {
				found = true
			}
		}
		if !found {
			t.Fatal("the new event is not listed as upcoming")
		}
		src := restreamapi.ListUpcomingEventsParamsSource(2)
		enc, _ := c.ListUpcomingEventsWithResponse(ctx, &restreamapi.ListUpcomingEventsParams{Source: &src})
		if !containsEvent(*enc.JSON200, event) {
			t.Fatal("an encoder event must be listed under source=2")
		}
		d, err := c.AddEventDestinationWithResponse(ctx, r.JSON201.Id, restreamapi.EventDestinationCreate{ChannelId: added})
		if err != nil || d.StatusCode() != 201 {
			t.Fatal(err, string(d.Body))
		}
		e, _ := c.GetEventWithResponse(ctx, r.JSON201.Id)
		if len(e.JSON200.Destinations) != 1 || e.JSON200.Destinations[0].ChannelId != added || e.JSON200.Destinations[0].StreamingPlatformId != 78 {
			t.Fatalf("destinations are %+v", e.JSON200.Destinations)
		}
		again, _ := c.AddEventDestinationWithResponse(ctx, r.JSON201.Id, restreamapi.EventDestinationCreate{ChannelId: added})
		wantError(t, again.StatusCode(), again.Body, 409, "destination_already_exists")
	})
	t.Run("deleting a channel", func(t *testing.T) {
		r, _ := c.DeleteChannelWithResponse(ctx, added)
		if r.StatusCode() != 204 || len(r.Body) != 0 {
			t.Fatalf("delete answered %d %q", r.StatusCode(), r.Body)
		}
		got, _ := c.GetChannelWithResponse(ctx, added)
		wantError(t, got.StatusCode(), got.Body, 404, "channel_not_found")
		again, _ := c.DeleteChannelWithResponse(ctx, added)
		wantError(t, again.StatusCode(), again.Body, 404, "channel_not_found")
		e, _ := c.GetEventWithResponse(ctx, mustParseUUID(t, event))
		if len(e.JSON200.Destinations) != 0 {
			t.Fatal("a deleted channel must leave the destinations of upcoming events")
		}
	})
}

func containsEvent(list []restreamapi.Event, id string) bool {
	for _, e := range list {
		if e.Id.String() == id {
			return true
		}
	}
	return false
}

func TestHistoryIsPaginated(t *testing.T) {
	h := newHarness(t, mock.Options{})
	c := h.client(h.token(nova))
	ctx := context.Background()
	seen := map[string]bool{}
	var total int
	for page := 1; ; page++ {
		limit := 4
		r, err := c.ListEventHistoryWithResponse(ctx, &restreamapi.ListEventHistoryParams{Page: &page, Limit: &limit})
		if err != nil || r.JSON200 == nil {
			t.Fatal(err)
		}
		p := r.JSON200.Pagination
		if p.Page != page || p.Limit != 4 {
			t.Fatalf("pagination echoes %+v", p)
		}
		total = p.PagesTotal
		for i, e := range r.JSON200.Items {
			if seen[e.Id.String()] {
				t.Fatalf("event %s on two pages", e.Id)
			}
			seen[e.Id.String()] = true
			if e.Status != restreamapi.EventStatusFinished && e.Status != restreamapi.EventStatusMissed {
				t.Fatalf("history holds a %s event", e.Status)
			}
			if i > 0 && historyTime(r.JSON200.Items[i-1]) < historyTime(e) {
				t.Fatal("history must be newest first")
			}
		}
		if page >= p.PagesTotal {
			if len(r.JSON200.Items) == 0 && p.PagesTotal > 0 {
				t.Fatal("the last page is empty")
			}
			break
		}
	}
	if len(seen) != 13 || total != 4 {
		t.Fatalf("want nova's 13 past events on 4 pages of 4, got %d on %d", len(seen), total)
	}
	page := 99
	r, _ := c.ListEventHistoryWithResponse(ctx, &restreamapi.ListEventHistoryParams{Page: &page})
	if r.StatusCode() != 200 || len(r.JSON200.Items) != 0 {
		t.Fatal("a page past the end must be empty, not an error")
	}
	empty, _ := h.client(h.token(quiet)).ListEventHistoryWithResponse(ctx, nil)
	if empty.JSON200.Pagination.PagesTotal != 0 || len(empty.JSON200.Items) != 0 {
		t.Fatalf("a user without history has no pages, got %+v", empty.JSON200.Pagination)
	}
}

func historyTime(e restreamapi.Event) int64 {
	switch {
	case e.FinishedAt != nil:
		return *e.FinishedAt
	case e.ScheduledFor != nil:
		return *e.ScheduledFor
	case e.StartedAt != nil:
		return *e.StartedAt
	}
	return 0
}

// TestConcurrentWritesLeaveAConsistentWorld runs 100 PATCHes of one channel at once, mixed with
// reads, meta edits and channel additions, under the race detector.
func TestConcurrentWritesLeaveAConsistentWorld(t *testing.T) {
	h := newHarness(t, mock.Options{})
	ctx := context.Background()
	c := h.client(h.token(nova))
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for i := 0; i < 100; i++ {
		wg.Add(3)
		go func() {
			defer wg.Done()
			r, err := c.UpdateChannelWithResponse(ctx, novaTwitch, restreamapi.ChannelUpdate{Active: i%2 == 0})
			if err != nil || r.StatusCode() != 200 {
				errs <- fmt.Errorf("patch %d: %v %v", i, err, r)
			}
		}()
		go func() {
			defer wg.Done()
			r, err := c.GetChannelWithResponse(ctx, novaTwitch)
			if err != nil || r.StatusCode() != 200 || r.JSON200.Id != novaTwitch {
				errs <- fmt.Errorf("get %d: %v %v", i, err, r)
			}
		}()
		go func() {
			defer wg.Done()
			title := fmt.Sprintf("title %d", i)
			r, err := c.UpdateChannelMetaWithResponse(ctx, novaTwitch, restreamapi.ChannelMetaUpdate{Title: title})
			if err != nil || r.StatusCode() != 200 {
				errs <- fmt.Errorf("meta %d: %v %v", i, err, r)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	one, _ := c.GetChannelWithResponse(ctx, novaTwitch)
	list, _ := c.ListChannelsWithResponse(ctx)
	for _, ch := range *list.JSON200 {
		if ch.Id == novaTwitch && ch != *one.JSON200 {
			t.Fatalf("the list and the channel disagree: %+v vs %+v", ch, *one.JSON200)
		}
	}
	if len(*list.JSON200) != 5 {
		t.Fatalf("concurrent writes changed the channel count to %d", len(*list.JSON200))
	}
	meta, _ := c.GetChannelMetaWithResponse(ctx, novaTwitch)
	var n int
	if _, err := fmt.Sscanf(meta.JSON200.Title, "title %d", &n); err != nil || n < 0 || n >= 100 {
		t.Fatalf("the title must be one of the written ones, got %q", meta.JSON200.Title)
	}
	// Concurrent additions get distinct ids.
	ids := make(chan int64, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			url := "rtmp://ingest.example.net/live"
			r, err := c.AddChannelWithResponse(ctx, restreamapi.ChannelCreate{PlatformId: 29, StreamUrl: &url})
			if err == nil && r.JSON201 != nil {
				ids <- r.JSON201.Id
			}
		}()
	}
	wg.Wait()
	close(ids)
	distinct := map[int64]bool{}
	for id := range ids {
		distinct[id] = true
	}
	list, _ = c.ListChannelsWithResponse(ctx)
	if len(distinct) != 50 || len(*list.JSON200) != 55 {
		t.Fatalf("50 concurrent additions gave %d distinct ids and %d channels", len(distinct), len(*list.JSON200))
	}
}
