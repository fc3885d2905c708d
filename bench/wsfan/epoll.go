//go:build linux

package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The epoll reader is the client's default: a few goroutines, each waiting with epoll_wait on a
// share of the sockets and parsing the server's frames itself. The client is measurement
// apparatus sharing the machine's two cores with the mock (in real life the readers are on
// other machines), and a goroutine per socket reading through a WebSocket library cost it
// about 8 µs of CPU per delivery, time taken from the mock's fan-out being measured.
//
// The handshake is written here too, with its Sec-WebSocket-Accept checked (RFC 6455 §4.1),
// over a net.Conn whose descriptor is then duplicated and taken out of Go's poller. Frames from
// a server are never masked (§5.1); this reader accepts unfragmented text frames, answers pings
// with a pong, ignores pongs, and counts anything else (a close frame, binary or fragmented
// messages, a masked frame, end of stream) as the socket closing early.

// websocketGUID is the constant RFC 6455 §1.3 appends to the key to form Sec-WebSocket-Accept.
const websocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// epollSocket is one socket of the epoll reader: its descriptor, its index in the recorder, and
// the start of a frame that its last read cut.
type epollSocket struct {
	fd      int
	idx     int
	pending []byte
}

// epollReader serves sockets from a few goroutines, each with an epoll instance of its own.
type epollReader struct {
	rec     *recorder
	batch   time.Duration
	pollers []*poller
	next    atomic.Uint64 // round-robin over pollers
	wg      sync.WaitGroup
	stop    atomic.Bool
}

type poller struct {
	epfd    int
	mu      sync.Mutex // guards sockets while dialers add to it
	sockets []*epollSocket
}

func newEpollReader(rec *recorder, n int, batch time.Duration) (*epollReader, error) {
	r := &epollReader{rec: rec, batch: batch}
	for range n {
		epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			r.close()
			return nil, fmt.Errorf("epoll_create1: %w", err)
		}
		p := &poller{epfd: epfd}
		r.pollers = append(r.pollers, p)
		r.wg.Go(func() { r.loop(p) })
	}
	return r, nil
}

// add hands socket idx's descriptor to a poller, with the bytes read past the handshake. On
// failure it closes the descriptor.
func (r *epollReader) add(idx, fd int, early []byte) error {
	p := r.pollers[r.next.Add(1)%uint64(len(r.pollers))]
	s := &epollSocket{fd: fd, idx: idx}
	p.mu.Lock()
	slot := len(p.sockets)
	p.sockets = append(p.sockets, s)
	p.mu.Unlock()
	if len(early) > 0 {
		// Frames the server sent right after its 101 (connection_info): handled before the
		// descriptor is polled, so that nothing reads this socket concurrently.
		if !r.consume(s, early, time.Now()) {
			_ = syscall.Close(fd)
			s.fd = -1
			return errors.New("a frame this reader does not accept right after the handshake")
		}
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(slot)}
	if err := syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		_ = syscall.Close(fd)
		s.fd = -1
		return fmt.Errorf("epoll_ctl: %w", err)
	}
	return nil
}

// loop waits for readable sockets and reads them until the reader stops. The wait has a timeout
// only so that the loop sees stop.
//
// After a wait that found fewer sockets than it could take, the loop pauses for r.batch before
// the next: while one event fans out, frames arrive a few at a time, and waiting for each few
// cost an epoll_wait and a wake-up each, the wake-up charged to the mock's write. A frame may
// so sit in the kernel up to r.batch longer than it would have: the latency measured is at most
// that much above the mock's, never below.
func (r *epollReader) loop(p *poller) {
	events := make([]syscall.EpollEvent, 256)
	buf := make([]byte, 64<<10)
	for !r.stop.Load() {
		n, err := syscall.EpollWait(p.epfd, events, 200)
		if err != nil {
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			fmt.Fprintln(os.Stderr, "wsfan: epoll_wait:", err)
			return
		}
		if n <= 0 {
			continue
		}
		p.mu.Lock()
		sockets := p.sockets
		p.mu.Unlock()
		for _, ev := range events[:n] {
			s := sockets[ev.Fd]
			if s.fd < 0 {
				continue
			}
			r.readSocket(p, s, buf)
		}
		if n < len(events) && r.batch > 0 {
			time.Sleep(r.batch)
		}
	}
}

// readSocket reads what socket s holds, until the kernel has no more.
func (r *epollReader) readSocket(p *poller, s *epollSocket, buf []byte) {
	for {
		n, err := syscall.Read(s.fd, buf)
		now := time.Now()
		if err == syscall.EAGAIN {
			return
		}
		if err == syscall.EINTR {
			continue
		}
		if err != nil || n == 0 {
			r.fail(p, s, fmt.Sprintf("read: %v (n=%d)", err, n))
			return
		}
		if !r.consume(s, buf[:n], now) {
			r.fail(p, s, "bad frame")
			return
		}
		if n < len(buf) {
			return
		}
	}
}

// fail reports socket s as closed early (unless the run is over) and stops polling it.
func (r *epollReader) fail(p *poller, s *epollSocket, why string) {
	if !r.rec.stopping.Load() {
		r.rec.closedEarly.Add(1)
		fmt.Fprintf(os.Stderr, "wsfan: socket %d closed: %s\n", s.idx, why)
	}
	_ = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, s.fd, nil)
	_ = syscall.Close(s.fd)
	s.fd = -1
}

// consume parses the frames in data, after the start of a frame left by the last read, and
// records each event frame's arrival at now. It reports false on a frame this reader does not
// accept.
func (r *epollReader) consume(s *epollSocket, data []byte, now time.Time) bool {
	if len(s.pending) > 0 {
		s.pending = append(s.pending, data...)
		data = s.pending
	}
	for {
		payload, opcode, size, ok := parseFrame(data)
		if size < 0 {
			return false
		}
		if !ok {
			break
		}
		switch opcode {
		case 0x1: // text
			r.rec.recordFrame(s.idx, payload, now)
		case 0x9: // ping: answer with a pong carrying the same payload
			_, _ = syscall.Write(s.fd, maskedFrame(0xA, payload))
		case 0xA: // pong
		default:
			return false
		}
		data = data[size:]
	}
	// Keep the incomplete frame, in memory of the socket's own: data may be the poller's buffer.
	if len(data) == 0 {
		s.pending = s.pending[:0]
	} else {
		s.pending = append(s.pending[:0:0], data...)
	}
	return true
}

// parseFrame parses the frame at the start of data (RFC 6455 §5.2). It returns ok false when
// data holds only part of it, and size -1 for a frame a server must not send or this reader does
// not accept: masked, fragmented, with reserved bits set, or over 1 MiB.
func parseFrame(data []byte) (payload []byte, opcode byte, size int, ok bool) {
	if len(data) < 2 {
		return nil, 0, 0, false
	}
	b0, b1 := data[0], data[1]
	if b0&0x80 == 0 || b0&0x70 != 0 || b1&0x80 != 0 {
		return nil, 0, -1, false
	}
	opcode = b0 & 0x0F
	head, n := 2, uint64(b1&0x7F)
	switch n {
	case 126:
		if len(data) < 4 {
			return nil, 0, 0, false
		}
		head, n = 4, uint64(binary.BigEndian.Uint16(data[2:4]))
	case 127:
		if len(data) < 10 {
			return nil, 0, 0, false
		}
		head, n = 10, binary.BigEndian.Uint64(data[2:10])
	}
	if n > 1<<20 {
		return nil, 0, -1, false
	}
	if uint64(len(data)-head) < n {
		return nil, 0, 0, false
	}
	end := head + int(n)
	return data[head:end], opcode, end, true
}

// maskedFrame builds a client frame (masked, RFC 6455 §5.3) of a control opcode; payload is at
// most 125 bytes, as a control frame's is.
func maskedFrame(opcode byte, payload []byte) []byte {
	out := make([]byte, 6+len(payload))
	out[0] = 0x80 | opcode
	out[1] = 0x80 | byte(len(payload))
	_, _ = rand.Read(out[2:6])
	for i, c := range payload {
		out[6+i] = c ^ out[2+i%4]
	}
	return out
}

// close stops the pollers and closes every socket.
func (r *epollReader) close() {
	r.rec.stopping.Store(true)
	r.stop.Store(true)
	r.wg.Wait()
	for _, p := range r.pollers {
		for _, s := range p.sockets {
			if s.fd >= 0 {
				_ = syscall.Close(s.fd)
			}
		}
		_ = syscall.Close(p.epfd)
	}
}

// handshake opens a TCP connection to target (a ws:// URL), upgrades it and returns a duplicate
// of its descriptor, out of Go's poller and non-blocking, with the bytes read past the 101.
func handshake(target *url.URL, timeout time.Duration) (fd int, early []byte, err error) {
	nc, err := net.DialTimeout("tcp", target.Host, timeout)
	if err != nil {
		return -1, nil, err
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(timeout))
	var raw [16]byte
	_, _ = rand.Read(raw[:])
	key := base64.StdEncoding.EncodeToString(raw[:])
	req := "GET " + target.RequestURI() + " HTTP/1.1\r\nHost: " + target.Host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
		"\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := nc.Write([]byte(req)); err != nil {
		return -1, nil, err
	}
	br := bufio.NewReaderSize(nc, 4096)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		return -1, nil, err
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		return -1, nil, fmt.Errorf("handshake answered %s", res.Status)
	}
	sum := sha1.Sum([]byte(key + websocketGUID))
	if got, want := res.Header.Get("Sec-WebSocket-Accept"), base64.StdEncoding.EncodeToString(sum[:]); got != want {
		return -1, nil, fmt.Errorf("Sec-WebSocket-Accept %q, want %q", got, want)
	}
	if !headerHas(res.Header, "Upgrade", "websocket") || !headerHas(res.Header, "Connection", "upgrade") {
		return -1, nil, errors.New("101 without Upgrade: websocket and Connection: Upgrade")
	}
	if n := br.Buffered(); n > 0 {
		b, _ := br.Peek(n)
		early = bytes.Clone(b)
	}
	sc, err := nc.(*net.TCPConn).SyscallConn()
	if err != nil {
		return -1, nil, err
	}
	dupErr := sc.Control(func(f uintptr) { fd, err = syscall.Dup(int(f)) })
	if dupErr != nil {
		return -1, nil, dupErr
	}
	if err != nil {
		return -1, nil, fmt.Errorf("dup: %w", err)
	}
	syscall.CloseOnExec(fd)
	// The duplicate shares the original's open file description, non-blocking already; closing
	// nc (deferred) takes the original out of Go's poller and leaves the socket open.
	if err := syscall.SetNonblock(fd, true); err != nil {
		_ = syscall.Close(fd)
		return -1, nil, err
	}
	return fd, early, nil
}

// headerHas reports whether a comma-separated header holds token, in any case.
func headerHas(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for part := range bytes.SplitSeq([]byte(v), []byte(",")) {
			if bytes.EqualFold(bytes.TrimSpace(part), []byte(token)) {
				return true
			}
		}
	}
	return false
}
