package webui_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/webui"
)

// sseEvent is one parsed event of a stream; Comment holds a comment line's text instead.
type sseEvent struct{ Name, ID, Data, Comment string }

// stream subscribes to srv and returns a reader of its events, after the subscription is in place.
func stream(t *testing.T, url string) (*http.Response, func() sseEvent) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, res.Status)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("Content-Type %q, want text/event-stream", ct)
	}
	br := bufio.NewReader(res.Body)
	next := func() sseEvent {
		t.Helper()
		var ev sseEvent
		var data []string
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("reading the stream: %v", err)
			}
			line = strings.TrimSuffix(line, "\n")
			switch {
			case line == "":
				if ev.Comment != "" || ev.Name != "" || data != nil {
					ev.Data = strings.Join(data, "\n")
					return ev
				}
			case strings.HasPrefix(line, ":"):
				ev.Comment = strings.TrimSpace(line[1:])
			case strings.HasPrefix(line, "event: "):
				ev.Name = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				data = append(data, line[len("data: "):])
			case strings.HasPrefix(line, "id: "):
				ev.ID = line[len("id: "):]
			case strings.HasPrefix(line, "retry: "):
			default:
				t.Fatalf("a line that is no SSE field: %q", line)
			}
		}
	}
	if first := next(); first.Comment != "subscribed" {
		t.Fatalf("the stream began with %+v, want the subscribed comment", first)
	}
	return res, next
}

func serve(t *testing.T, b *webui.Broker, opts webui.StreamOptions) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { b.Serve(w, r, opts) }))
	t.Cleanup(srv.Close)
	t.Cleanup(b.Close)
	return srv.URL
}

func TestClosingTheBrokerEndsItsStreams(t *testing.T) {
	b := webui.NewBroker(webui.BrokerOptions{})
	res, _ := stream(t, serve(t, b, webui.StreamOptions{}))
	b.Close()
	if _, err := io.ReadAll(res.Body); err != nil {
		t.Fatalf("the stream did not end cleanly: %v", err)
	}
}

func TestAPublishedEventReachesTheSubscriberRenderedAndFiltered(t *testing.T) {
	b := webui.NewBroker(webui.BrokerOptions{})
	url := serve(t, b, webui.StreamOptions{
		Accept: func(ev webui.Event) bool { return ev.Value.(int)%2 == 0 },
		Render: func(w io.Writer, ev webui.Event) error { _, err := fmt.Fprintf(w, "<td>%d</td>", ev.Value); return err },
	})
	_, next := stream(t, url)
	for i := 1; i <= 4; i++ {
		b.Publish(webui.Event{Name: "row", Value: i})
	}
	for _, want := range []string{"<td>2</td>", "<td>4</td>"} {
		if ev := next(); ev.Name != "row" || ev.Data != want {
			t.Fatalf("got %+v, want a row event %q", ev, want)
		}
	}
}

func TestAPolledStreamSendsWhatPollReturnsWithItsIDsAndSaysWhatItMissed(t *testing.T) {
	b := webui.NewBroker(webui.BrokerOptions{Pace: 5 * time.Millisecond, Queue: 2, MaxSubscribers: 1})
	// The producer keeps its own history; the stream asks for it in pages of at most Queue.
	batches := make(chan []int, 2)
	batches <- []int{1, 2}
	batches <- []int{7}
	var limit atomic.Int64 // the last limit Poll was given
	url := serve(t, b, webui.StreamOptions{
		Poll: func(n int) ([]webui.Event, int64) {
			limit.Store(int64(n))
			select {
			case ids := <-batches:
				var evs []webui.Event
				for _, id := range ids {
					evs = append(evs, webui.Event{Name: "row", Value: id, ID: strconv.Itoa(id)})
				}
				return evs, int64(len(ids) % 2 * 4) // the second page says 4 went missing
			default:
				return nil, 0
			}
		},
		// Accept is not applied to a polled stream: Poll filters.
		Accept: func(webui.Event) bool { return false },
	})
	_, next := stream(t, url)
	// Publish reaches no polled stream, and does not count it as a subscriber.
	b.Publish(webui.Event{Name: "pushed", Value: 99})
	if n := b.Subscribers(); n != 0 {
		t.Errorf("Subscribers() = %d with one polled stream open, want 0 (nothing is published to it)", n)
	}
	for _, want := range []sseEvent{{Name: "row", ID: "1", Data: "1"}, {Name: "row", ID: "2", Data: "2"},
		{Name: webui.EventDropped, Data: "4"}, {Name: "row", ID: "7", Data: "7"}} {
		if ev := next(); ev != want {
			t.Fatalf("got %+v, want %+v", ev, want)
		}
	}
	if n := limit.Load(); n != 2 {
		t.Errorf("Poll was asked for %d events, want the queue's 2", n)
	}
	// A polled stream still counts against the cap.
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a second stream past a cap of 1: %s, want 503", res.Status)
	}
}

func TestAnIdleStreamGetsHeartbeats(t *testing.T) {
	b := webui.NewBroker(webui.BrokerOptions{Heartbeat: 20 * time.Millisecond})
	_, next := stream(t, serve(t, b, webui.StreamOptions{}))
	for range 2 {
		if ev := next(); ev.Comment != "heartbeat" {
			t.Fatalf("an idle stream sent %+v, want a heartbeat comment", ev)
		}
	}
}

func TestALineBreakInsideDataCannotForgeAField(t *testing.T) {
	b := webui.NewBroker(webui.BrokerOptions{})
	_, next := stream(t, serve(t, b, webui.StreamOptions{}))
	b.Publish(webui.Event{Name: "chat", Value: "hi\revent: admin\r\ndata: x\nid: 9"})
	ev := next()
	if ev.Name != "chat" || ev.Data != "hi\nevent: admin\ndata: x\nid: 9" {
		t.Fatalf("got %+v: the data's line breaks leaked into fields", ev)
	}
}

func TestASlowReaderLosesEventsAndIsToldWithoutBlockingThePublisher(t *testing.T) {
	const queue, published = 4, 2000
	b := webui.NewBroker(webui.BrokerOptions{Queue: queue})
	big := strings.Repeat("x", 64<<10)
	url := serve(t, b, webui.StreamOptions{
		Render: func(w io.Writer, ev webui.Event) error { _, err := fmt.Fprintf(w, "%d %s", ev.Value, big); return err },
	})
	_, next := stream(t, url)
	// The reader reads nothing while 2000 events of 64 KiB each (128 MiB, far more than the
	// socket buffers hold) are published: Publish must return every time.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range published {
			b.Publish(webui.Event{Name: "row", Value: i})
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Publish blocked on a reader that does not read")
	}
	// Now the reader catches up: every event either arrived or is counted as dropped.
	received, dropped, last := 0, 0, -1
	for received+dropped < published {
		ev := next()
		switch ev.Name {
		case "row":
			n, err := strconv.Atoi(strings.Fields(ev.Data)[0])
			if err != nil || n <= last {
				t.Fatalf("row %q after %d: out of order or malformed", ev.Data[:min(len(ev.Data), 20)], last)
			}
			last = n
			received++
		case webui.EventDropped:
			n, err := strconv.Atoi(ev.Data)
			if err != nil || n <= 0 {
				t.Fatalf("dropped event %q: want a positive count", ev.Data)
			}
			dropped += n
		}
	}
	if dropped == 0 || received+dropped != published {
		t.Fatalf("received %d and was told of %d dropped, want some dropped and %d in all", received, dropped, published)
	}
}

func TestASubscriberPastTheCapGets503InTheEnvelope(t *testing.T) {
	b := webui.NewBroker(webui.BrokerOptions{MaxSubscribers: 1})
	url := serve(t, b, webui.StreamOptions{})
	first, _ := stream(t, url)
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var env apierror.Envelope
	if err := json.NewDecoder(res.Body).Decode(&env); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusServiceUnavailable || env.Error.Name != webui.NameTooManySubscribers || res.Header.Get("Retry-After") == "" {
		t.Fatalf("the second subscriber got %s %+v, want 503 %s with Retry-After", res.Status, env.Error, webui.NameTooManySubscribers)
	}
	// Closing the first frees its place.
	first.Body.Close()
	deadline := time.Now().Add(10 * time.Second)
	for b.Subscribers() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the closed stream still counts as a subscriber")
		}
		time.Sleep(5 * time.Millisecond)
	}
	stream(t, url)
}

func TestPublishingWithNoSubscriberAllocatesNothing(t *testing.T) {
	b := webui.NewBroker(webui.BrokerOptions{})
	ev := webui.Event{Name: "row", Value: 1}
	if n := testing.AllocsPerRun(100, func() { b.Publish(ev) }); n != 0 {
		t.Fatalf("Publish with nobody watching allocates %v times", n)
	}
}
