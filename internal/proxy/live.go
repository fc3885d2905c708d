package proxy

import (
	"net/http"
	"sync"
	"time"

	"github.com/restreamkit/restreamkit/internal/report"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// Bounds of the ring of recent exchanges the dashboard shows (/__proxy/ui/). Whichever is reached
// first evicts the oldest exchanges.
const (
	// LiveExchanges bounds the exchanges (HTTP exchanges and WebSocket frames) kept.
	LiveExchanges = 500
	// LiveBytes bounds the bytes they hold: bodies, frames, header values and violation texts.
	LiveBytes = 8 << 20
	// LiveBodyBytes bounds each body or frame kept; a longer one is cut, and the page says so.
	LiveBodyBytes = 16 << 10
	// LiveViolations bounds the violations kept per exchange; the page counts the rest.
	LiveViolations = 50
)

// The kinds of a live exchange.
const (
	kindHTTP  = "http"
	kindFrame = "frame"
)

// liveExchange is one exchange as the proxy saw it, kept raw: the producer only copies what it
// must (a pooled request body), and redaction, which parses bodies, runs when someone looks (see
// view). Nothing in a liveExchange leaves the process but through view.
type liveExchange struct {
	seq       uint64 // position in the ring; increasing, never reused
	id        string
	time      time.Time
	kind      string
	op        string // the report bucket
	method    string
	path      string // with the query redacted (newExchange)
	status    int    // 0 for a frame
	duration  time.Duration
	direction validate.Direction // of a frame
	reqHeader http.Header        // the client's; not changed after it is kept
	reqBody   []byte             // at most LiveBodyBytes
	reqCut    int                // bytes of the request body not kept
	resHeader http.Header
	resBody   []byte
	resCut    int
	note      string // what the proxy did besides forwarding ("refused", "not read to the end")
	vs        []report.Record
	moreVs    int // violations over LiveViolations
	size      int // bytes counted against LiveBytes
}

// liveRing keeps the most recent exchanges, bounded by count and bytes. Adding takes a mutex
// held for a few stores; the dashboard's live feeds poll it (since) at their own pace.
type liveRing struct {
	maxCount, maxBytes int

	mu      sync.Mutex
	buf     []*liveExchange // circular: the oldest at head
	head, n int
	bytes   int
	next    uint64 // seq of the next exchange
}

func newLiveRing(maxCount, maxBytes int) *liveRing {
	return &liveRing{maxCount: maxCount, maxBytes: maxBytes, buf: make([]*liveExchange, maxCount)}
}

// add keeps x, evicting the oldest to stay within the bounds.
func (r *liveRing) add(x *liveExchange) {
	x.size = x.bytes()
	r.mu.Lock()
	x.seq = r.next
	r.next++
	for r.n > 0 && (r.n >= r.maxCount || r.bytes+x.size > r.maxBytes) {
		old := r.buf[r.head]
		r.buf[r.head] = nil
		r.head = (r.head + 1) % r.maxCount
		r.n--
		r.bytes -= old.size
	}
	r.buf[(r.head+r.n)%r.maxCount] = x
	r.n++
	r.bytes += x.size
	r.mu.Unlock()
}

// since returns the kept exchanges with seq >= from, oldest first, at most limit of the newest,
// and the seq to ask from next time. missed counts the exchanges after from that were evicted
// (or left out by limit) before they could be read.
func (r *liveRing) since(from uint64, limit int) (xs []*liveExchange, next uint64, missed uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	oldest := r.next - uint64(r.n)
	if from < oldest {
		missed = oldest - from
		from = oldest
	}
	count := int(r.next - from)
	if count > limit {
		missed += uint64(count - limit)
		from = r.next - uint64(limit)
		count = limit
	}
	xs = make([]*liveExchange, 0, count)
	for s := from; s < r.next; s++ {
		xs = append(xs, r.buf[(r.head+int(s-oldest))%r.maxCount])
	}
	return xs, r.next, missed
}

// at returns the kept exchange with the given seq, or nil when it is not (or no longer) kept.
func (r *liveRing) at(seq uint64) *liveExchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	oldest := r.next - uint64(r.n)
	if seq < oldest || seq >= r.next {
		return nil
	}
	return r.buf[(r.head+int(seq-oldest))%r.maxCount]
}

// nextSeq returns the seq the next exchange will get.
func (r *liveRing) nextSeq() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.next
}

// stats returns how many exchanges are kept and the bytes they hold.
func (r *liveRing) stats() (count, bytes int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n, r.bytes
}

// bytes is what x counts against LiveBytes: the capacity of its bodies (a kept slice holds its
// whole array), header names and values, and the texts of its violations.
func (x *liveExchange) bytes() int {
	n := 256 + len(x.id) + len(x.op) + len(x.method) + len(x.path) + len(x.note) + cap(x.reqBody) + cap(x.resBody)
	for _, h := range []http.Header{x.reqHeader, x.resHeader} {
		for k, vs := range h {
			n += len(k)
			for _, v := range vs {
				n += len(v)
			}
		}
	}
	for i := range x.vs {
		v := &x.vs[i]
		n += 128 + len(v.Name) + len(v.Pointer) + len(v.Message) + len(v.Expected) + len(v.Actual) + len(v.Path)
	}
	return n
}

// keepBody returns what the ring keeps of a body and how many bytes it leaves out. shared says
// b is the caller's until it returns (a pooled buffer): it is then copied. A body that is not
// shared is kept as it is when short enough, at no cost.
func keepBody(b []byte, shared bool) ([]byte, int) {
	cut := 0
	if len(b) > LiveBodyBytes {
		b, cut, shared = b[:LiveBodyBytes], len(b)-LiveBodyBytes, true // never pin a larger array
	}
	if shared && len(b) > 0 {
		b = append([]byte(nil), b...)
	}
	return b, cut
}

// keepViolations adds the records of one check to what an exchange keeps, up to LiveViolations.
func (ex *exchange) keepViolations(recs []Record) {
	room := LiveViolations - len(ex.vs)
	if room < 0 {
		room = 0
	}
	if len(recs) > room {
		ex.moreVs += len(recs) - room
		recs = recs[:room]
	}
	ex.vs = append(ex.vs, recs...)
}

// publish hands a finished HTTP exchange to the ring, once. res is the upstream's response
// (nil for a refusal, whose envelope is given instead), body what the proxy read of it (nil
// when it streamed through unread) and shared whether body is the caller's pooled buffer.
func (p *Proxy) publish(ex *exchange, status int, resHeader http.Header, body []byte, note string) {
	if ex.published {
		return
	}
	ex.published = true
	x := &liveExchange{id: ex.id, time: ex.start, kind: kindHTTP, op: ex.opName, method: ex.method, path: ex.path,
		status: status, duration: time.Since(ex.start), reqHeader: ex.reqHeader, reqBody: ex.reqBody, reqCut: ex.reqCut,
		resHeader: resHeader, note: note, vs: ex.vs, moreVs: ex.moreVs}
	x.resBody, x.resCut = keepBody(body, false)
	p.live.add(x)
}

// publishFrame hands one relayed WebSocket frame and its violations to the ring.
func (p *Proxy) publishFrame(ex *exchange, dir validate.Direction, data []byte, recs []Record) {
	x := &liveExchange{id: ex.id, time: time.Now(), kind: kindFrame, op: ex.opName, method: ex.method, path: ex.path,
		direction: dir}
	x.resBody, x.resCut = keepBody(data, true) // the socket's read buffer may be reused
	if len(recs) > LiveViolations {
		x.moreVs, recs = len(recs)-LiveViolations, recs[:LiveViolations]
	}
	x.vs = recs
	p.live.add(x)
}
