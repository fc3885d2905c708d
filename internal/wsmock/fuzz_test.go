package wsmock

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fuzzReadLimit is the feed's read limit under fuzzing: small, so that fuzzed frames cross it.
const fuzzReadLimit = 512

// FuzzClientFrames writes arbitrary client frames on a real socket of a feed: any opcode, FIN
// and RSV bits, masked or not, any payload, fragmented or not, then a close frame of its own.
// Whatever they are, the feed never panics, never hangs, and ends the socket with a close frame
// whose code is one it documents: 1002 (a protocol error), 1007 (a text message that is not
// UTF-8), 1009 (a message over the read limit), or the echo of a close the client sent.
//
// The input is read as frames: a first byte (FIN, RSV1-3, opcode, as sent), a second byte
// (high bit set: unmasked; the low 7 bits give the payload's length, from 101 on in steps of
// 64 bytes), then the payload, padded when the input runs short.
func FuzzClientFrames(f *testing.F) {
	for _, seed := range [][]byte{
		frameSeed(0x81, "hello"),                                       // a text message
		frameSeed(0x81, "caf\xc3\xa9"),                                 // UTF-8 text
		frameSeed(0x81, "bad \xff"),                                    // text that is not UTF-8
		frameSeed(0x82, "\xff\xfe"),                                    // binary, any bytes
		append(frameSeed(0x01, "caf\xc3"), frameSeed(0x80, "\xa9")...), // a character across fragments
		append(frameSeed(0x01, "abc"), frameSeed(0x80, "\xc3")...),     // a character cut at the end
		frameSeed(0x89, "ping"),                                        // a ping
		frameSeed(0x8a, "pong"),                                        // an unsolicited pong
		frameSeed(0x88, "\x03\xe8bye"),                                 // a close with 1000
		frameSeed(0x88, ""),                                            // a close without a code
		frameSeed(0x88, "\x03\xed"),                                    // a close with 1005, which may not be sent
		frameSeed(0x83, "x"),                                           // a reserved opcode
		frameSeed(0xc1, "x"),                                           // RSV1 without an extension
		frameSeed(0x80, "x"),                                           // a continuation with nothing to continue
		frameSeed(0x09, "x"),                                           // a fragmented ping
		{0x81, 0x05 | 0x80, 'h', 'e', 'l', 'l', 'o'},                   // an unmasked frame
		{0x82, 0x7f},                                                   // a binary frame over the read limit
		append(frameSeed(0x02, strings.Repeat("a", 100)), bytes.Repeat(frameSeed(0x00, strings.Repeat("b", 100)), 5)...), // fragments over the limit
	} {
		f.Add(seed)
	}

	feed, err := New(Options{Name: "fuzz", Authenticate: authenticate, ReadLimit: fuzzReadLimit, WriteTimeout: 5 * time.Second})
	if err != nil {
		f.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(feed)
	var panics panicLog
	srv.Config.ErrorLog = log.New(&panics, "", 0)
	srv.Start()
	f.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := feed.Shutdown(ctx); err != nil {
			f.Errorf("Shutdown: %v", err)
		}
		srv.Close()
	})

	f.Fuzz(func(t *testing.T, data []byte) {
		frames, sentCloses := fuzzFrames(data)
		conn, br := rawDial(t, srv.Listener.Addr().String())
		defer conn.Close()
		final := maskedFrame(0x88, []byte("\x0f\xa0fuzz")) // close 4000 "fuzz"
		sentCloses = append(sentCloses, 4000)
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := conn.Write(append(frames, final...)); err != nil && !isConnGone(err) {
			t.Fatalf("writing the frames: %v", err)
		}
		code, err := readServerClose(br)
		if err != nil {
			t.Fatalf("the feed did not close the socket with a close frame: %v", err)
		}
		if !closeCodeExpected(code, sentCloses) {
			t.Fatalf("the feed closed with %d, not a code it documents (sent closes %v)", code, sentCloses)
		}
		if msg := panics.String(); msg != "" {
			t.Fatalf("the feed panicked: %s", msg)
		}
	})
}

// closeCodeExpected reports whether code is one a feed closes with when a client misbehaves,
// or the echo of a close the client sent (-1 for a close frame without a code).
func closeCodeExpected(code int, sent []int) bool {
	switch code {
	case 1002, 1007, 1009: // protocol error, invalid payload data, message too big
		return true
	}
	for _, s := range sent {
		if s == code {
			return true
		}
	}
	return false
}

// fuzzFrames turns fuzz input into masked client frames, at most 16, and lists the codes of the
// close frames among them (-1 for one without a code).
func fuzzFrames(data []byte) (out []byte, closes []int) {
	for n := 0; len(data) > 0 && n < 16; n++ {
		b0, b1 := data[0], byte(0)
		if len(data) > 1 {
			b1 = data[1]
		}
		data = data[min(2, len(data)):]
		size := int(b1 & 0x7f)
		if size > 100 {
			size = (size - 100) * 64
		}
		payload := make([]byte, size)
		k := copy(payload, data)
		data = data[k:]
		for i := k; i < size; i++ {
			payload[i] = 'a'
		}
		if b0&0x0f == 0x8 {
			code := -1
			if len(payload) >= 2 {
				code = int(binary.BigEndian.Uint16(payload))
			}
			closes = append(closes, code)
		}
		if b1&0x80 != 0 {
			out = append(out, unmaskedFrame(b0, payload)...)
		} else {
			out = append(out, maskedFrame(b0, payload)...)
		}
	}
	return out, closes
}

// frameSeed encodes one masked frame in the fuzz input's layout.
func frameSeed(b0 byte, payload string) []byte {
	if len(payload) > 100 {
		panic("frameSeed: payloads over 100 bytes have no exact length in the input layout")
	}
	return append([]byte{b0, byte(len(payload))}, payload...)
}

// maskedFrame encodes a client frame with first byte b0, masked as RFC 6455 §5.3 requires.
func maskedFrame(b0 byte, payload []byte) []byte {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	out := frameHeader(b0, 0x80, len(payload))
	out = append(out, key[:]...)
	for i, c := range payload {
		out = append(out, c^key[i%4])
	}
	return out
}

// unmaskedFrame encodes a frame without a mask, which a server must refuse from a client.
func unmaskedFrame(b0 byte, payload []byte) []byte {
	return append(frameHeader(b0, 0, len(payload)), payload...)
}

func frameHeader(b0, maskBit byte, n int) []byte {
	switch {
	case n < 126:
		return []byte{b0, maskBit | byte(n)}
	case n <= 0xffff:
		return []byte{b0, maskBit | 126, byte(n >> 8), byte(n)}
	}
	h := []byte{b0, maskBit | 127, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint64(h[2:], uint64(n))
	return h
}

// rawDial opens a WebSocket to the feed by hand, so that the test can write any bytes after
// the handshake.
func rawDial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET /ws?accessToken=token-nova HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		conn.Close()
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		conn.Close()
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		conn.Close()
		t.Fatalf("the handshake got %d", res.StatusCode)
	}
	return conn, br
}

// readServerClose reads the feed's frames until its close frame and returns the close code (-1
// for a close frame without one).
func readServerClose(br *bufio.Reader) (int, error) {
	for {
		var h [2]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return 0, err
		}
		if h[1]&0x80 != 0 {
			return 0, errors.New("the feed sent a masked frame")
		}
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126:
			var ext [2]byte
			if _, err := io.ReadFull(br, ext[:]); err != nil {
				return 0, err
			}
			n = uint64(binary.BigEndian.Uint16(ext[:]))
		case 127:
			var ext [8]byte
			if _, err := io.ReadFull(br, ext[:]); err != nil {
				return 0, err
			}
			n = binary.BigEndian.Uint64(ext[:])
		}
		if n > 1<<20 {
			return 0, errors.New("the feed sent a frame over 1 MiB")
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(br, payload); err != nil {
			return 0, err
		}
		if h[0]&0x0f != 0x8 {
			continue // a pong, or a frame the feed published
		}
		if len(payload) < 2 {
			return -1, nil
		}
		return int(binary.BigEndian.Uint16(payload)), nil
	}
}

// isConnGone reports whether a write failed because the feed had already closed the socket,
// which it may do before reading everything the client sent.
func isConnGone(err error) bool {
	return errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), "connection reset") ||
		strings.Contains(err.Error(), "broken pipe")
}

// panicLog collects what net/http logs about panics in handlers.
type panicLog struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (p *panicLog) Write(b []byte) (int, error) {
	if bytes.Contains(b, []byte("panic")) {
		p.mu.Lock()
		p.buf.Write(b)
		p.mu.Unlock()
	}
	return len(b), nil
}

func (p *panicLog) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.buf.String()
}
