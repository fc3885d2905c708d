package webui

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/restreamkit/restreamkit/internal/apierror"
)

// Defaults of BrokerOptions.
const (
	DefaultHeartbeat   = 15 * time.Second
	DefaultQueue       = 64
	DefaultSubscribers = 16
	DefaultPace        = 100 * time.Millisecond
	// NameTooManySubscribers is the error name of the 503 past the subscriber cap.
	NameTooManySubscribers = "too_many_subscribers"
	// EventDropped is the event a subscriber receives after its queue overflowed; its data is
	// the number of events it missed.
	EventDropped = "dropped"
	// maxEventBytes bounds one rendered event, so that one huge value cannot fill memory.
	maxEventBytes = 256 << 10
)

// BrokerOptions configure a Broker. The zero value takes the defaults.
type BrokerOptions struct {
	// Heartbeat is how often an idle stream gets a comment line, so that proxies and browsers
	// keep it open and a vanished reader is noticed.
	Heartbeat time.Duration
	// Queue bounds the events waiting for one subscriber; past it, events are dropped for that
	// subscriber (and only that one).
	Queue int
	// MaxSubscribers bounds the open streams; one more is refused with 503.
	MaxSubscribers int
	// Pace is how often a stream writes: every Pace it sends what its queue (or its Poll) holds,
	// at most Queue events; past that, events are dropped and counted. A stream so costs at most
	// Queue renders per Pace however busy the producer is (64 per 100 ms by default, more than a
	// person reads), and a dashboard left open under load takes little CPU from the requests.
	Pace time.Duration
}

// Event is one published value. Name is the SSE event type ("request", "frame"); Value is
// whatever the producer has, rendered into the stream's data by the subscriber's own goroutine,
// so that the producer pays for no formatting.
type Event struct {
	Name  string
	Value any
	// ID, when set, is written as the event's SSE id: a browser that reconnects sends the last
	// one it saw as Last-Event-ID, so that a polled stream resumes where it was.
	ID string
}

// Broker fans published events out to SSE subscribers. It is safe for concurrent use.
type Broker struct {
	opts  BrokerOptions
	count atomic.Int32 // subscribers Publish serves (not the polled ones), read without the lock
	mu    sync.Mutex
	subs  map[*subscriber]struct{}
	done  chan struct{} // closed by Close
	once  sync.Once
}

// subscriber is one open stream.
type subscriber struct {
	polled  bool       // reads through StreamOptions.Poll; Publish skips it
	queue   chan Event // what Publish gave a pushed stream, not yet sent
	dropped atomic.Int64
	accept  func(Event) bool
}

// take is a pushed stream's Poll: what its queue holds, at most limit, and what Publish dropped
// for it since the last call.
func (s *subscriber) take(limit int) ([]Event, int64) {
	var evs []Event
	for len(evs) < limit {
		select {
		case ev := <-s.queue:
			evs = append(evs, ev)
		default:
			return evs, s.dropped.Swap(0)
		}
	}
	return evs, s.dropped.Swap(0)
}

// NewBroker returns a broker with no subscribers.
func NewBroker(opts BrokerOptions) *Broker {
	opts.Heartbeat = cmp.Or(opts.Heartbeat, DefaultHeartbeat)
	opts.Queue = cmp.Or(opts.Queue, DefaultQueue)
	opts.MaxSubscribers = cmp.Or(opts.MaxSubscribers, DefaultSubscribers)
	opts.Pace = cmp.Or(opts.Pace, DefaultPace)
	return &Broker{opts: opts, subs: map[*subscriber]struct{}{}, done: make(chan struct{})}
}

// Close ends every open stream and refuses new ones. A server calls it when it shuts down:
// http.Server.Shutdown waits for requests to end, and a stream never ends by itself.
func (b *Broker) Close() { b.once.Do(func() { close(b.done) }) }

// Subscribers returns how many streams Publish serves (polled ones are not counted: nothing is
// published to them).
func (b *Broker) Subscribers() int { return int(b.count.Load()) }

// Publish offers ev to every subscriber whose filter accepts it. It never blocks: a subscriber
// whose queue is full loses ev and is told later. With no subscriber it is one atomic load.
func (b *Broker) Publish(ev Event) {
	if b.count.Load() == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		if s.polled || s.accept != nil && !s.accept(ev) {
			continue
		}
		select {
		case s.queue <- ev:
		default:
			s.dropped.Add(1)
		}
	}
}

// StreamOptions shape one subscriber's stream.
type StreamOptions struct {
	// Accept filters the events this subscriber sees; nil accepts all. It runs under the
	// broker's lock on the producer's goroutine, so it must be quick and must not block.
	Accept func(Event) bool
	// Render writes an event's data (HTML or JSON, one or many lines). Nil writes fmt's %v.
	Render func(w io.Writer, ev Event) error
	// Poll, when set, makes the stream pull instead of being pushed to: once per Pace it asks
	// for at most limit events (oldest first) and how many it missed, and Publish never sees
	// the stream. A producer that keeps its own bounded history (the mock's journal) then pays
	// nothing per event for an open stream, however busy it is; the stream does the copying,
	// on its own goroutine, at its own pace. Accept is not applied: Poll filters.
	Poll func(limit int) (events []Event, missed int64)
}

// Serve streams events to one subscriber until its request ends: text/event-stream, each event
// flushed, a heartbeat comment when idle, a "dropped" event after a queue overflow. Past the
// subscriber cap it answers 503 too_many_subscribers in the error envelope.
func (b *Broker) Serve(w http.ResponseWriter, r *http.Request, opts StreamOptions) {
	rc := http.NewResponseController(w)
	s := &subscriber{polled: opts.Poll != nil, accept: opts.Accept}
	poll := opts.Poll
	if !s.polled {
		// A pushed stream is polled from its own queue: one loop serves both kinds.
		s.queue = make(chan Event, b.opts.Queue)
		poll = s.take
	}
	if !b.add(s) {
		apierror.Newf(http.StatusServiceUnavailable, NameTooManySubscribers,
			"Service Unavailable: %d live views are open, the most this server keeps; close one", b.opts.MaxSubscribers).
			WithHeader("Retry-After", "5").Write(w)
		return
	}
	defer b.remove(s)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriter(w)
	// The first bytes tell the client the subscription is in place and how soon to come back.
	fmt.Fprint(bw, "retry: 3000\n: subscribed\n\n")
	if bw.Flush() != nil || rc.Flush() != nil {
		return
	}
	heartbeat := time.NewTicker(b.opts.Heartbeat)
	defer heartbeat.Stop()
	pace := time.NewTicker(b.opts.Pace)
	defer pace.Stop()
	var data bytes.Buffer
	// send renders ev on this goroutine, never the producer's; a value that fails to render
	// becomes an "error" event rather than ending the stream.
	send := func(ev Event) error {
		data.Reset()
		lw := &limitWriter{w: &data, n: maxEventBytes}
		var err error
		if opts.Render != nil {
			err = opts.Render(lw, ev)
		} else {
			_, err = fmt.Fprint(lw, ev.Value)
		}
		if err != nil {
			return writeEvent(bw, "error", "", []byte("rendering "+ev.Name+": "+err.Error()))
		}
		return writeEvent(bw, ev.Name, ev.ID, data.Bytes())
	}
	// Every Pace the stream sends what poll returns, after a "dropped" event when it missed
	// some; a heartbeat comment keeps an idle stream open.
	for {
		var err error
		wrote := true
		select {
		case <-r.Context().Done():
			return
		case <-b.done:
			return
		case <-heartbeat.C:
			_, err = bw.WriteString(": heartbeat\n\n")
		case <-pace.C:
			evs, missed := poll(b.opts.Queue)
			wrote = missed > 0 || len(evs) > 0
			if missed > 0 {
				err = writeEvent(bw, EventDropped, "", []byte(strconv.FormatInt(missed, 10)))
			}
			for _, ev := range evs {
				if err != nil {
					break
				}
				err = send(ev)
			}
		}
		// A large event goes past bw to w on its own, so bw being empty says nothing: flush
		// whenever something was written.
		if err == nil && wrote {
			if err = bw.Flush(); err == nil {
				err = rc.Flush()
			}
		}
		if err != nil {
			return
		}
	}
}

// add registers s unless the cap is reached.
func (b *Broker) add(s *subscriber) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.subs) >= b.opts.MaxSubscribers || isClosed(b.done) {
		return false
	}
	b.subs[s] = struct{}{}
	b.count.Store(b.pushed())
	return true
}

// isClosed reports whether done is closed.
func isClosed(done chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// remove forgets s.
func (b *Broker) remove(s *subscriber) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.subs, s)
	b.count.Store(b.pushed())
}

// pushed counts the subscribers Publish serves; b.mu is held.
func (b *Broker) pushed() int32 {
	var n int32
	for s := range b.subs {
		if !s.polled {
			n++
		}
	}
	return n
}

// fieldValue removes line breaks (and NUL, which an id must not hold) from a one-line field.
var fieldValue = strings.NewReplacer("\n", "", "\r", "", "\x00", "")

// lineBreaks turns every line break SSE knows (CRLF, CR, LF) into LF.
var lineBreaks = strings.NewReplacer("\r\n", "\n", "\r", "\n")

// writeEvent writes one SSE event; each line of data becomes a "data:" line, as the format
// requires. A line break left inside data (a CR counts, as a chat text may carry) would end the
// field and let the rest forge "event:" or "id:" lines.
func writeEvent(w *bufio.Writer, name, id string, data []byte) error {
	if name != "" && name != "message" {
		w.WriteString("event: ")
		w.WriteString(fieldValue.Replace(name))
		w.WriteByte('\n')
	}
	if id != "" {
		w.WriteString("id: ")
		w.WriteString(fieldValue.Replace(id))
		w.WriteByte('\n')
	}
	for line := range strings.Lines(lineBreaks.Replace(string(data))) {
		w.WriteString("data: ")
		w.WriteString(strings.TrimRight(line, "\r\n"))
		w.WriteByte('\n')
	}
	if len(data) == 0 {
		w.WriteString("data: \n")
	}
	_, err := w.WriteString("\n")
	return err
}

// limitWriter refuses to grow past n bytes.
type limitWriter struct {
	w io.Writer
	n int
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if len(p) > l.n {
		return 0, fmt.Errorf("the event is larger than %d bytes", maxEventBytes)
	}
	l.n -= len(p)
	return l.w.Write(p)
}
