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
	// closeCode is the code of the first close frame sent or received, and closedBy who sent it
	// ("client" or "server"), for the log; closedBy is "" while none was.
	closeCode websocket.StatusCode
	closedBy  string

	wake chan struct{} // holds a token when the queue may be non-empty
	kill chan struct{} // closed when closing is set
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
	return &conn{f: f, user: user, ctx: ctx, cancel: cancel,
		wake: make(chan struct{}, 1), kill: make(chan struct{})}
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
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return true
}

// take empties the queue and returns what it held.
func (c *conn) take() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	batch := c.queue
	c.queue, c.spare = c.spare, nil
	return batch
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
	close(c.kill)
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
	go c.read(readerDone)
	defer func() {
		c.cancel()
		<-readerDone
	}()

	var tick <-chan time.Time
	if hb := c.f.opts.Heartbeat; hb > 0 {
		t := time.NewTicker(hb)
		defer t.Stop()
		tick = t.C
	}
	if !c.writeAll(initial) {
		_ = c.ws.CloseNow()
		return
	}
	for {
		// A close request wins over pending frames: a dropped socket must not be written to.
		select {
		case <-c.kill:
			c.finish()
			return
		default:
		}
		var ok bool
		select {
		case <-c.kill:
			c.finish()
			return
		case <-readerDone:
			// The reader may have asked for a close (a text message that is not UTF-8) just before
			// it ended: that close wins.
			select {
			case <-c.kill:
				c.finish()
				return
			default:
			}
			// The client closed (the library has answered with its code), broke the read limit or
			// the protocol (the library has sent 1009 or 1002), or went away: the close frame, if
			// one can still go, is sent already. The exception is a frame the client did not mask,
			// which the library refuses without a close frame: that one gets 1002 here (RFC 6455
			// §5.1). Close completes whichever handshake is left, within the library's bounds.
			_ = c.ws.Close(websocket.StatusProtocolError, "")
			return
		case <-c.wake:
			batch := c.take()
			ok = c.writeAll(batch)
			c.recycle(batch)
		case <-tick:
			ok = c.writeAll([][]byte{c.f.opts.HeartbeatFrame(c.f.clock.Now())})
		}
		if !ok {
			_ = c.ws.CloseNow()
			return
		}
	}
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
func (c *conn) read(done chan<- struct{}) {
	defer close(done)
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
