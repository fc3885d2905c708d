package wsmock

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
)

// conn is one open socket: its send queue, and the two goroutines that serve it. A goroutine
// started once the handshake is done is its writer (the handler's returns, see Feed.serve); a
// second goroutine reads and discards what the client sends, which is what makes the library
// answer pings and close frames.
type conn struct {
	f    *Feed
	user int64
	ws   *websocket.Conn // set by attach once the handshake is done, before run
	nc   net.Conn        // the hijacked connection under ws, for write deadlines; set with ws

	ctx    context.Context // ends when the socket is cut; bounds every read (a cut ends a write by closing nc)
	cancel context.CancelFunc

	mu      sync.Mutex // guards the fields below, and ws until run starts
	queue   [][]byte   // frames waiting for the writer, oldest first
	spare   [][]byte   // the writer's last batch, reused as the next queue
	closing *closeRequest
	cutOff  bool // cut has run
	readEnd bool // the reader has ended
	beat    bool // a heartbeat is due
	done    bool // the writer has returned: the heartbeat timer must not be re-armed
	// closeCode is the code of the first close frame sent or received, and closedBy who sent it
	// ("client" or "server"), for the log; closedBy is "" while none was.
	closeCode websocket.StatusCode
	closedBy  string

	// wake holds a token when the writer has something to do: frames queued, a heartbeat due, a
	// close requested, or the reader ended. One channel for all four, and the state read under
	// mu once awake, let the writer wait with a plain receive rather than a select over four
	// channels: the writer waits once per frame of every fan-out, and a select (which locks each
	// of its channels and queues on each) cost the mock about a tenth of its CPU per delivery.
	wake chan struct{}
}

// closeRequest asks the writer to close the socket.
type closeRequest struct {
	code   websocket.StatusCode
	reason string
	flush  bool // write the frames already queued first
}

// newConn returns the conn of a socket whose handshake is under way; attach completes it.
func newConn(f *Feed, user int64) *conn {
	ctx, cancel := context.WithCancel(context.Background())
	return &conn{f: f, user: user, ctx: ctx, cancel: cancel, wake: make(chan struct{}, 1)}
}

// noteClose remembers the first close frame of the socket, for the log.
func (c *conn) noteClose(code websocket.StatusCode, by string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closedBy == "" {
		c.closeCode, c.closedBy = code, by
	}
}

// closedWith returns the first close frame's code and who sent it. A socket that ended without
// one (cut, or the client went away) reports 1006, the code RFC 6455 §7.1.5 gives that case.
func (c *conn) closedWith() (websocket.StatusCode, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closedBy == "" {
		return websocket.StatusAbnormalClosure, "nobody"
	}
	return c.closeCode, c.closedBy
}

// attach gives c its accepted socket and the connection under it. It reports false when c was
// cut meanwhile.
func (c *conn) attach(ws *websocket.Conn, nc net.Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cutOff {
		return false
	}
	c.ws, c.nc = ws, nc
	return true
}

// enqueue adds a frame for the writer. It reports false, and adds nothing, when the queue is
// full. A socket already closing accepts and ignores frames.
func (c *conn) enqueue(frame []byte) bool {
	c.mu.Lock()
	if c.closing != nil {
		c.mu.Unlock()
		return true
	}
	if len(c.queue) >= c.f.opts.SendQueue {
		c.mu.Unlock()
		return false
	}
	c.queue = append(c.queue, frame)
	c.mu.Unlock()
	c.signal()
	return true
}

// signal wakes the writer, unless a token already waits for it.
func (c *conn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// take empties the queue and returns what it held.
func (c *conn) take() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	batch := c.queue
	c.queue, c.spare = c.spare, nil
	return batch
}

// next is what the writer does once woken: close (a close request wins over pending frames, so
// that a dropped socket is not written to), end because the reader did, or write the batch it
// returns, which take would have returned, then a heartbeat when beat.
func (c *conn) next() (batch [][]byte, beat, closing, readEnd bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing != nil {
		return nil, false, true, false
	}
	if c.readEnd {
		return nil, false, false, true
	}
	batch = c.queue
	c.queue, c.spare = c.spare, nil
	beat, c.beat = c.beat, false
	return batch, beat, false, false
}

// startHeartbeat makes a heartbeat due every interval from now, until the writer returns (which
// calls the function returned). A timer that re-arms itself, rather than a ticker, wakes the
// writer through wake like everything else, and costs no goroutine between beats.
func (c *conn) startHeartbeat(interval time.Duration) (stop func()) {
	var t *time.Timer
	c.mu.Lock() // t is set before the first beat can read it
	defer c.mu.Unlock()
	t = time.AfterFunc(interval, func() {
		c.mu.Lock()
		if c.done {
			c.mu.Unlock()
			return
		}
		c.beat = true
		t.Reset(interval)
		c.mu.Unlock()
		c.signal()
	})
	return func() {
		c.mu.Lock()
		c.done = true
		t.Stop()
		c.mu.Unlock()
	}
}

// recycle returns a written batch for reuse as a queue. Large batches are let go, so that an
// idle socket does not keep the memory of a past burst.
func (c *conn) recycle(batch [][]byte) {
	if cap(batch) > 64 {
		return
	}
	clear(batch)
	c.mu.Lock()
	if c.spare == nil {
		c.spare = batch[:0]
	}
	c.mu.Unlock()
}

// requestClose asks the writer to close the socket. Only the first request counts; it reports
// whether this one did.
func (c *conn) requestClose(code websocket.StatusCode, reason string, flush bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing != nil {
		return false
	}
	c.closing = &closeRequest{code: code, reason: reason, flush: flush}
	c.signal()
	return true
}

// cut closes the socket at once, without a close handshake, and ends every blocked read and
// write.
func (c *conn) cut() {
	c.cancel()
	c.mu.Lock()
	c.cutOff = true
	ws := c.ws
	c.mu.Unlock()
	if ws != nil { // else attach refuses the socket
		_ = ws.CloseNow()
	}
}

// run serves the socket until it closes: it writes initial, then queued frames and heartbeats,
// until a close is requested or the client goes away. It returns once the reader has ended too.
func (c *conn) run(initial [][]byte) {
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		c.read()
		c.mu.Lock()
		c.readEnd = true
		c.mu.Unlock()
		c.signal()
	}()
	defer func() {
		c.cancel()
		<-readerDone
	}()

	if hb := c.f.opts.Heartbeat; hb > 0 {
		defer c.startHeartbeat(hb)()
	}
	if !c.writeAll(initial) {
		_ = c.ws.CloseNow()
		return
	}
	for range c.wake {
		batch, beat, closing, readEnd := c.next()
		if closing {
			// Also when the reader asked for it (a text message that is not UTF-8) just before it
			// ended: that close wins.
			c.finish()
			return
		}
		if readEnd {
			c.readerEnded()
			return
		}
		ok := c.writeAll(batch)
		c.recycle(batch)
		if ok && beat {
			ok = c.writeAll([][]byte{c.f.opts.HeartbeatFrame(c.f.clock.Now())})
		}
		if !ok {
			_ = c.ws.CloseNow()
			return
		}
	}
}

// readerEnded closes the socket after its reader ended without asking for a close: the client
// closed (the library has answered with its code), broke the read limit or the protocol (the
// library has sent 1009 or 1002), or went away: the close frame, if one can still go, is sent
// already. The exception is a frame the client did not mask, which the library refuses without
// a close frame: that one gets 1002 here (RFC 6455 §5.1). Close completes whichever handshake is
// left, within the library's bounds.
func (c *conn) readerEnded() {
	_ = c.ws.Close(websocket.StatusProtocolError, "")
}

// finish carries out the close request: it writes the queued frames when asked to, then sends
// the close frame and waits for the client's, as the library bounds it. A close code the
// protocol does not allow on the wire is not sent; the socket is cut instead.
func (c *conn) finish() {
	c.mu.Lock()
	req := *c.closing
	c.mu.Unlock()
	if req.flush {
		if batch := c.take(); !c.writeAll(batch) {
			_ = c.ws.CloseNow()
			return
		}
	}
	c.noteClose(req.code, "server")
	if err := c.ws.Close(req.code, req.reason); err != nil {
		_ = c.ws.CloseNow()
	}
}

// writeAll writes frames, each within the write timeout.
func (c *conn) writeAll(frames [][]byte) bool {
	if len(frames) == 0 {
		return true
	}
	// The deadline goes away after the batch, so that it cannot cut a later close handshake.
	defer func() { _ = c.nc.SetWriteDeadline(time.Time{}) }()
	for _, fr := range frames {
		if !c.write(fr) {
			return false
		}
	}
	return true
}

// write sends one text frame within the write timeout; writeAll clears the deadline it sets. On
// failure the caller closes the connection. The timeout is a deadline on the connection rather
// than a context: a context with a timeout costs a timer and the library's own AfterFunc on every
// frame, over a third of the writer's time when one event fans out to thousands of sockets. A
// cut ends a blocked write by closing the connection.
func (c *conn) write(frame []byte) bool {
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.f.opts.WriteTimeout))
	if err := c.ws.Write(context.Background(), websocket.MessageText, frame); err != nil {
		c.f.log.Debug("write failed", "user", c.user, "err", err)
		return false
	}
	return true
}

// read reads and discards client messages until the socket fails or closes. The feeds are
// one-way (documented for chat; assumed for streaming), so nothing a client says has an effect,
// but reading is what answers pings and close frames and enforces the read limit. A text
// message must still be UTF-8: one that is not closes the socket with 1007 (RFC 6455 §8.1).
func (c *conn) read() {
	for {
		typ, r, err := c.ws.Reader(c.ctx)
		valid := true
		if err == nil {
			// The buffer is borrowed for one message only: an idle socket holds none.
			buf := readBuffers.Get().(*[readBufferSize]byte)
			if typ == websocket.MessageText {
				valid, err = readUTF8(r, buf[:])
			} else {
				_, err = io.CopyBuffer(io.Discard, r, buf[:])
			}
			readBuffers.Put(buf)
		}
		if err != nil {
			if code := websocket.CloseStatus(err); code != -1 {
				c.noteClose(code, "client")
			}
			if !errors.Is(err, context.Canceled) && websocket.CloseStatus(err) == -1 {
				c.f.log.Debug("read ended", "user", c.user, "err", err)
			}
			return
		}
		if !valid {
			c.f.log.Debug("closing a socket that sent a text message that is not UTF-8", "user", c.user)
			c.requestClose(websocket.StatusInvalidFramePayloadData, "text message is not valid UTF-8", false)
			return
		}
	}
}

// readBufferSize is the size of the buffers client messages are read through.
const readBufferSize = 4096

// readBuffers holds the buffers client messages are read through, shared by every socket.
var readBuffers = sync.Pool{New: func() any { return new([readBufferSize]byte) }}

// readUTF8 reads a text message to its end through buf and reports whether it is valid UTF-8.
// It reads in chunks, carrying the bytes of a character cut by a chunk's end over to the next,
// so that it needs no more memory than buf whatever the message's size. It stops at the first
// invalid byte.
func readUTF8(r io.Reader, buf []byte) (bool, error) {
	carry := 0 // bytes at the start of buf: the beginning of a character cut by the last chunk
	for {
		n, err := r.Read(buf[carry:])
		end := carry + n
		if err == io.EOF {
			return utf8.Valid(buf[:end]), nil
		}
		if err != nil {
			return false, err
		}
		// Hold back a character the chunk cuts: its first byte is among the last UTFMax-1.
		cut := end
		for i := end - 1; i >= 0 && i > end-utf8.UTFMax; i-- {
			if utf8.RuneStart(buf[i]) {
				if !utf8.FullRune(buf[i:end]) {
					cut = i
				}
				break
			}
		}
		if !utf8.Valid(buf[:cut]) {
			return false, nil
		}
		carry = copy(buf, buf[cut:end])
	}
}
