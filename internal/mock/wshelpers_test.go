package mock_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/restreamkit/restreamkit/internal/live"
	"github.com/restreamkit/restreamkit/internal/mock"
	"github.com/restreamkit/restreamkit/internal/validate"
	"github.com/restreamkit/restreamkit/openapi"
)

// This file holds the WebSocket side of the test harness: real coder/websocket clients of the
// mock's two feeds whose every frame is checked against the feed's published JSON Schema.

// waitLimit bounds every wait for a frame, a close or a condition. It is generous on purpose:
// the tests never assert durations, and a loaded CI machine must not make them fail.
const waitLimit = 5 * time.Second

// The two feeds, by their paths on the main port.
const (
	streamingFeed = "streaming"
	chatFeed      = "chat"
)

// liveOptions make the live feeds fast enough for tests: heartbeats, stream reports and script
// steps come every few milliseconds.
func liveOptions() mock.Options {
	return mock.Options{ChatHeartbeat: 20 * time.Millisecond, StreamInterval: 20 * time.Millisecond,
		ChatScriptSpacing: time.Millisecond}
}

// newLiveHarness starts a mock with liveOptions, every REST response checked against the spec.
func newLiveHarness(t *testing.T) *harness {
	t.Helper()
	return newHarness(t, liveOptions())
}

// request sends a raw request like h.do, failing t (not the harness's test, so that subtests
// can use it) when it cannot be sent.
func (h *harness) request(t *testing.T, method, path, token, contentType string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, err := newRequest(method, h.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, readAll(t, res)
}

// call sends a JSON request (body nil for none) and fails t unless the status is want. It
// returns the response body.
func (h *harness) call(t *testing.T, method, path, token string, body any, want int) []byte {
	t.Helper()
	var data []byte
	ctype := ""
	if body != nil {
		var err error
		if data, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
		ctype = "application/json"
	}
	status, _, got := h.request(t, method, path, token, ctype, data)
	if status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, got)
	}
	return got
}

// frameSchemas compiles the published frame schemas of both feeds once, as restream-proxy does.
var frameSchemas = sync.OnceValues(func() (map[string]*validate.Schema, error) {
	docs := map[string][]byte{}
	err := fs.WalkDir(openapi.FS, "schemas/ws", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		docs[p], err = fs.ReadFile(openapi.FS, p)
		return err
	})
	if err != nil {
		return nil, err
	}
	const streaming, chat = "schemas/ws/streaming-frame.json", "schemas/ws/chat-frame.json"
	compiled, err := validate.CompileDocuments(validate.JSONSchema202012, docs, streaming, chat)
	if err != nil {
		return nil, err
	}
	return map[string]*validate.Schema{streamingFeed: compiled[streaming], chatFeed: compiled[chat]}, nil
})

// feedURL is the WebSocket URL of a feed on the main port; query is added as is.
func (h *harness) feedURL(feed, query string) string {
	u := "ws" + strings.TrimPrefix(h.url, "http") + "/" + feed + "/ws"
	if query != "" {
		u += "?" + query
	}
	return u
}

// dialRaw attempts a handshake and returns what websocket.Dial returns, the refused answer's
// body read (Dial keeps up to 1 KiB of it). A socket that opened is closed when t ends.
func (h *harness) dialRaw(t *testing.T, feed, query string) (*websocket.Conn, *http.Response, []byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	conn, res, err := websocket.Dial(ctx, h.feedURL(feed, query), nil)
	if conn != nil {
		t.Cleanup(func() { _ = conn.CloseNow() })
	}
	var body []byte
	if res != nil && res.Body != nil {
		body, _ = io.ReadAll(res.Body)
		_ = res.Body.Close()
	}
	return conn, res, body, err
}

// wsFrame is one text frame a client received.
type wsFrame struct {
	raw    []byte
	action string
}

func (f wsFrame) String() string { return string(f.raw) }

// chatEnvelope is the envelope of every chat frame.
type chatEnvelope struct {
	Action    string          `json:"action"`
	Payload   json.RawMessage `json:"payload"`
	Timestamp int64           `json:"timestamp"`
}

// wsClient is a client socket of one feed. A goroutine of its own reads every frame, checks it
// against the feed's schema and that it belongs to the socket's user, and queues it, so that
// waiting for a frame never cancels a read (which would close the socket). Chat heartbeats are
// counted, not queued. Its methods take the t of the (sub)test that calls them, since only that
// test's goroutine may stop it; the reader reports violations to the test that dialled.
type wsClient struct {
	t      *testing.T
	feed   string
	user   int64
	conn   *websocket.Conn
	schema *validate.Schema

	mu         sync.Mutex
	queue      []wsFrame // received and not yet taken
	heartbeats int
	err        error         // why the reader stopped, once done is closed
	wake       chan struct{} // holds a token when something changed
	done       chan struct{} // closed when the reader has stopped
}

// dial opens a socket of feed for user with token and starts reading it. The socket is closed,
// and its reader waited for, when t ends.
func (h *harness) dial(t *testing.T, feed string, user int64, token string) *wsClient {
	t.Helper()
	schemas, err := frameSchemas()
	if err != nil {
		t.Fatalf("compiling the frame schemas: %v", err)
	}
	conn, res, body, err := h.dialRaw(t, feed, "accessToken="+token)
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		t.Fatalf("dialling the %s feed: %v (status %d: %s)", feed, err, status, body)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &wsClient{t: t, feed: feed, user: user, conn: conn, schema: schemas[feed],
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	go c.read(ctx)
	t.Cleanup(func() {
		cancel()
		_ = conn.CloseNow()
		<-c.done
	})
	return c
}

// read is the client's reader goroutine.
func (c *wsClient) read(ctx context.Context) {
	defer close(c.done)
	for {
		typ, data, err := c.conn.Read(ctx)
		if err != nil {
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
			c.signal()
			return
		}
		f := c.check(typ, data)
		c.mu.Lock()
		if f.action == live.ActionHeartbeat {
			c.heartbeats++
		} else {
			c.queue = append(c.queue, f)
		}
		c.mu.Unlock()
		c.signal()
	}
}

// check validates one received frame: a text frame, valid against the feed's schema, and, when
// it names a user, naming the socket's user. Violations fail the test.
func (c *wsClient) check(typ websocket.MessageType, data []byte) wsFrame {
	if typ != websocket.MessageText {
		c.t.Errorf("%s feed of user %d: a %v frame, want text: %q", c.feed, c.user, typ, data)
	}
	if vs := c.schema.Check(nil, data, validate.ServerFrame); len(vs) > 0 {
		c.t.Errorf("%s feed of user %d: frame %s\nbreaks the frame schema: %v", c.feed, c.user, data, vs)
	}
	var head struct {
		Action  string `json:"action"`
		UserID  *int64 `json:"userId"`
		Payload struct {
			UserID *int64 `json:"userId"`
		} `json:"payload"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		c.t.Errorf("%s feed of user %d: frame is not a JSON object: %v: %s", c.feed, c.user, err, data)
	}
	owner := head.UserID
	if c.feed == chatFeed {
		owner = head.Payload.UserID
	}
	if owner != nil && *owner != c.user {
		c.t.Errorf("%s feed of user %d received a frame of user %d: %s", c.feed, c.user, *owner, data)
	}
	return wsFrame{raw: bytes.Clone(data), action: head.Action}
}

func (c *wsClient) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// await waits until ready, called under c.mu, reports true, or the reader stops, or waitLimit
// passes. It reports whether ready held.
func (c *wsClient) await(ready func() bool) bool {
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		ok := ready()
		c.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-c.wake:
		case <-c.done:
			c.mu.Lock()
			ok := ready()
			c.mu.Unlock()
			return ok
		case <-deadline.C:
			return false
		}
	}
}

// next returns the next frame (for chat, the next one that is not a heartbeat), failing the test
// when none comes within waitLimit or the socket closes first.
func (c *wsClient) next(t *testing.T) wsFrame {
	t.Helper()
	if !c.await(func() bool { return len(c.queue) > 0 }) {
		c.mu.Lock()
		err := c.err
		c.mu.Unlock()
		t.Fatalf("%s feed of user %d: no frame came (socket: %v)", c.feed, c.user, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.queue[0]
	c.queue = c.queue[1:]
	return f
}

// nextAction returns the next frame and fails the test unless it has the given action.
func (c *wsClient) nextAction(t *testing.T, action string) wsFrame {
	t.Helper()
	f := c.next(t)
	if f.action != action {
		t.Fatalf("%s feed of user %d: got %s, want a %s frame", c.feed, c.user, f, action)
	}
	return f
}

// until returns the frames up to and including the first for which match is true.
func (c *wsClient) until(t *testing.T, what string, match func(wsFrame) bool) []wsFrame {
	t.Helper()
	var got []wsFrame
	for {
		f := c.next(t)
		got = append(got, f)
		if match(f) {
			return got
		}
		if len(got) > 100_000 {
			t.Fatalf("%s feed of user %d: no %s among %d frames", c.feed, c.user, what, len(got))
		}
	}
}

// take returns the next n frames.
func (c *wsClient) take(t *testing.T, n int) []wsFrame {
	t.Helper()
	out := make([]wsFrame, 0, n)
	for range n {
		out = append(out, c.next(t))
	}
	return out
}

// pending returns the frames received and not yet taken, and takes them.
func (c *wsClient) pending() []wsFrame {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.queue
	c.queue = nil
	return out
}

// heartbeatCount returns how many heartbeats arrived so far.
func (c *wsClient) heartbeatCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.heartbeats
}

// awaitHeartbeats waits until n heartbeats have arrived in all.
func (c *wsClient) awaitHeartbeats(t *testing.T, n int) {
	t.Helper()
	if !c.await(func() bool { return c.heartbeats >= n }) {
		t.Fatalf("%s feed of user %d: %d heartbeats arrived, want %d", c.feed, c.user, c.heartbeatCount(), n)
	}
}

// awaitClose waits for the server to close the socket and returns the close error, failing the
// test when the socket is still open after waitLimit. Frames not yet taken stay queued.
func (c *wsClient) awaitClose(t *testing.T) error {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(waitLimit):
		t.Fatalf("%s feed of user %d: the socket is still open", c.feed, c.user)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// isOpen reports whether the reader still runs.
func (c *wsClient) isOpen() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// send writes a message from the client.
func (c *wsClient) send(t *testing.T, typ websocket.MessageType, data []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := c.conn.Write(ctx, typ, data); err != nil {
		t.Fatalf("writing to the %s feed: %v", c.feed, err)
	}
}

// wantCloseStatus fails the test unless err is a close frame with code (and reason, when not
// empty).
func wantCloseStatus(t *testing.T, err error, code websocket.StatusCode, reason string) {
	t.Helper()
	var ce websocket.CloseError
	if !errors.As(err, &ce) {
		t.Fatalf("the socket ended with %v, want a close frame %d", err, code)
	}
	if ce.Code != code || reason != "" && ce.Reason != reason {
		t.Fatalf("close frame %d %q, want %d %q", ce.Code, ce.Reason, code, reason)
	}
}

// decodeStrict decodes JSON into a T, refusing fields T does not have.
func decodeStrict[T any](t *testing.T, data []byte) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decoding %T: %v: %s", v, err, data)
	}
	return v
}

// chatPayload decodes the payload of a chat frame into a T, strictly.
func chatPayload[T any](t *testing.T, f wsFrame) T {
	t.Helper()
	env := decodeStrict[chatEnvelope](t, f.raw)
	return decodeStrict[T](t, env.Payload)
}

// describe lists frames one per line, for failure messages.
func describe(frames []wsFrame) string {
	var b strings.Builder
	for i, f := range frames {
		fmt.Fprintf(&b, "\n  %d: %s", i, f.raw)
	}
	return b.String()
}
