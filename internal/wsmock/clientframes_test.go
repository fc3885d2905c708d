package wsmock

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
)

// clientMessage is one message a test client sends, in one frame or in several.
type clientMessage struct {
	typ    websocket.MessageType
	frames []string
}

// send writes m, one frame per element of m.frames.
func (m clientMessage) send(ctx context.Context, t *testing.T, c *websocket.Conn) {
	t.Helper()
	w, err := c.Writer(ctx, m.typ)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range m.frames {
		if _, err := w.Write([]byte(f)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func text(frames ...string) clientMessage { return clientMessage{websocket.MessageText, frames} }
func binaryMessage(frames ...string) clientMessage {
	return clientMessage{websocket.MessageBinary, frames}
}

// TestATextMessageThatIsNotUTF8ClosesItsSocketWith1007 sends text messages whose payload is not
// UTF-8, whole or split across frames: the socket closes with 1007 (invalid frame payload data,
// RFC 6455 §8.1) and the user's other socket keeps receiving. Valid text, a character split
// across frames, and binary messages of any bytes leave the socket open.
func TestATextMessageThatIsNotUTF8ClosesItsSocketWith1007(t *testing.T) {
	cases := []struct {
		name string
		msg  clientMessage
		bad  bool
	}{
		{"plain ASCII text", text(`{"action":"hello"}`), false},
		{"text with multi-byte characters", text("café ☕ 𝄞"), false},
		{"a character split across two frames", text("caf\xc3", "\xa9"), false},
		{"a four-byte character split across three frames", text("\xf0\x9d", "\x84", "\x9e"), false},
		{"an empty text message", text(""), false},
		{"binary bytes that are not UTF-8", binaryMessage("\xff\xfe\x00\xc3"), false},
		{"a byte that never starts UTF-8", text("ok \xff"), true},
		{"a lone continuation byte", text("\x80abc"), true},
		{"a character cut at the end of the message", text("caf\xc3"), true},
		{"a character cut at the end of the last of several frames", text("abc", "\xe2\x82"), true},
		{"an overlong encoding of '/'", text("\xc0\xaf"), true},
		{"a UTF-16 surrogate half", text("\xed\xa0\x80"), true},
		{"a code point past U+10FFFF", text("\xf4\x90\x80\x80"), true},
		{"a bad byte in a later frame", text("fine so far, ", "then \xfe"), true},
		{"a bad byte far into a long message", text(string(make([]byte, 10000)) + "\xff"), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			sender, other := h.dial(t, "token-nova"), h.dial(t, "token-nova")
			h.waitConns(t, 2)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			tc.msg.send(ctx, t, sender)

			if tc.bad {
				ce, _ := readClose(t, sender)
				if ce.Code != websocket.StatusInvalidFramePayloadData {
					t.Fatalf("closed with %v, want 1007 (invalid frame payload data)", ce)
				}
				h.waitConns(t, 1)
			} else {
				// The socket answers a ping sent after the message: the feed has read the message
				// and kept the socket open. A ping needs a reader on this side for its pong.
				readErr := make(chan error, 1)
				go func() { _, _, err := sender.Read(ctx); readErr <- err }()
				if err := sender.Ping(ctx); err != nil {
					t.Fatalf("the socket did not stay open: %v", err)
				}
				_ = sender.CloseNow()
				<-readErr
			}
			h.feed.Publish(userNova, []byte(`"for the other socket"`))
			if got := read(t, other); got != `"for the other socket"` {
				t.Fatalf("the user's other socket got %s", got)
			}
		})
	}
}

// chunkReader returns data in chunks whose sizes cycle through sizes (each at least 1), as a
// socket delivers a message frame by frame.
type chunkReader struct {
	data  []byte
	sizes []byte
	i     int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := 1
	if len(r.sizes) > 0 {
		n = int(r.sizes[r.i%len(r.sizes)])%7 + 1
		r.i++
	}
	n = min(n, len(p), len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

// FuzzReadUTF8 checks the feeds' chunked UTF-8 check against utf8.Valid on the whole message,
// whatever the chunk sizes and buffer size: a character cut by a chunk must neither be refused
// nor let an invalid byte through.
func FuzzReadUTF8(f *testing.F) {
	for _, seed := range []struct {
		data, sizes string
		buf         uint8
	}{
		{"plain ascii", "", 0}, {"caf\xc3\xa9", "\x03", 0}, {"\xf0\x9d\x84\x9e", "\x00\x01", 1},
		{"\xed\xa0\x80", "", 0}, {"ok \xff", "\x02", 3}, {"abc\xe2\x82", "\x04", 2}, {"\xc0\xaf", "", 5},
		{"\xf4\x90\x80\x80", "\x01", 0}, {"", "", 0}, {"\x80", "", 0},
	} {
		f.Add([]byte(seed.data), []byte(seed.sizes), seed.buf)
	}
	f.Fuzz(func(t *testing.T, data, sizes []byte, bufSize uint8) {
		buf := make([]byte, utf8.UTFMax+int(bufSize%64))
		got, err := readUTF8(&chunkReader{data: data, sizes: sizes}, buf)
		if err != nil {
			t.Fatal(err)
		}
		if want := utf8.Valid(data); got != want {
			t.Fatalf("readUTF8(%q) = %v, utf8.Valid says %v", data, got, want)
		}
	})
}

// TestAClientThatBreaksTheProtocolIsClosedWith1002 writes frames no client may send: each
// closes its socket with 1002 (protocol error), the unmasked frame included (the library refuses
// it without a close frame of its own), and the user's other socket keeps receiving.
func TestAClientThatBreaksTheProtocolIsClosedWith1002(t *testing.T) {
	cases := []struct {
		name  string
		frame []byte
	}{
		{"an unmasked frame", unmaskedFrame(0x81, []byte("hello"))},
		{"a reserved opcode", maskedFrame(0x83, []byte("x"))},
		{"RSV1 without a negotiated extension", maskedFrame(0xc1, []byte("x"))},
		{"a continuation with nothing to continue", maskedFrame(0x80, []byte("x"))},
		{"a fragmented ping", maskedFrame(0x09, []byte("x"))},
		{"a ping over 125 bytes", maskedFrame(0x89, make([]byte, 126))},
		{"a close with 1005, which no close frame may carry", maskedFrame(0x88, []byte{0x03, 0xed})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			other := h.dial(t, "token-nova")
			conn, br := rawDial(t, h.srv.Listener.Addr().String())
			defer conn.Close()
			h.waitConns(t, 2)
			if _, err := conn.Write(tc.frame); err != nil {
				t.Fatal(err)
			}
			code, err := readServerClose(br)
			if err != nil || code != 1002 {
				t.Fatalf("closed with %d (%v), want 1002", code, err)
			}
			_, _ = conn.Write(maskedFrame(0x88, []byte{0x03, 0xea})) // completes the close handshake
			h.waitConns(t, 1)
			h.feed.Publish(userNova, []byte(`"for the other socket"`))
			if got := read(t, other); got != `"for the other socket"` {
				t.Fatalf("the user's other socket got %s", got)
			}
		})
	}
}

// A client may send its first frame in the same packet as its handshake. The feed reads sockets
// through a smaller buffer than net/http's, and must not lose the bytes net/http has already
// read into its own: the ping sent with the handshake is answered.
func TestAPingSentWithTheHandshakeIsAnswered(t *testing.T) {
	h := newHarness(t, nil)
	u, err := url.Parse(h.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	// A masked ping (FIN, opcode 9) whose payload "hi" is masked with the key 1,2,3,4.
	ping := []byte{0x89, 0x82, 1, 2, 3, 4, 'h' ^ 1, 'i' ^ 2}
	handshake := fmt.Sprintf("GET /ws?accessToken=token-nova HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", u.Host)
	if _, err := c.Write(append([]byte(handshake), ping...)); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	res, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake answered %s", res.Status)
	}
	pong := make([]byte, 4)
	if _, err := io.ReadFull(r, pong); err != nil {
		t.Fatalf("no pong arrived: %v", err)
	}
	if want := []byte{0x8A, 2, 'h', 'i'}; !bytes.Equal(pong, want) {
		t.Fatalf("answered % x, want a pong % x", pong, want)
	}
}
