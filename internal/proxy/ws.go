package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/redact"
	"github.com/restreamkit/restreamkit/internal/validate"
	"github.com/restreamkit/restreamkit/openapi"
)

// frameSchemas are the compiled JSON Schemas of the two feeds' frames.
type frameSchemas struct {
	streaming, chat *validate.Schema
}

// The frame schemas in openapi.FS: each is a oneOf of every action of its feed.
const (
	streamingFrameSchema = "schemas/ws/streaming-frame.json"
	chatFrameSchema      = "schemas/ws/chat-frame.json"
)

func loadFrameSchemas() (*frameSchemas, error) {
	docs := map[string][]byte{}
	err := fs.WalkDir(openapi.FS, "schemas/ws", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		data, err := fs.ReadFile(openapi.FS, p)
		docs[p] = data
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the frame schemas: %w", err)
	}
	compiled, err := validate.CompileDocuments(validate.JSONSchema202012, docs, streamingFrameSchema, chatFrameSchema)
	if err != nil {
		return nil, fmt.Errorf("compiling the frame schemas: %w", err)
	}
	return &frameSchemas{streaming: compiled[streamingFrameSchema], chat: compiled[chatFrameSchema]}, nil
}

// wsRegistry tracks open relays so that Close can end them with a close frame, and bounds how
// many there are: each holds two connections and up to two frames of MaxValidateBytes.
type wsRegistry struct {
	mu    sync.Mutex
	conns map[*relay]struct{}
	slots int // relays open or being set up
	max   int
	done  bool
}

// Why a WebSocket is refused before the upstream is dialled.
var (
	errWSLimit   = errors.New("the limit of relayed WebSockets is reached")
	errWSClosing = errors.New("restream-proxy is shutting down")
)

// reserve takes a slot for a relay about to be set up; release gives it back.
func (r *wsRegistry) reserve() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.done:
		return errWSClosing
	case r.slots >= r.max:
		return errWSLimit
	}
	r.slots++
	return nil
}

func (r *wsRegistry) release() {
	r.mu.Lock()
	r.slots--
	r.mu.Unlock()
}

// add registers a relay that holds a slot; false when the proxy is closing.
func (r *wsRegistry) add(rl *relay) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return false
	}
	if r.conns == nil {
		r.conns = map[*relay]struct{}{}
	}
	r.conns[rl] = struct{}{}
	return true
}

func (r *wsRegistry) remove(rl *relay) {
	r.mu.Lock()
	delete(r.conns, rl)
	r.mu.Unlock()
}

// closeAll ends every relay with StatusGoingAway and waits for them (or for ctx).
func (r *wsRegistry) closeAll(ctx context.Context) {
	r.mu.Lock()
	r.done = true
	relays := make([]*relay, 0, len(r.conns))
	for rl := range r.conns {
		relays = append(relays, rl)
	}
	r.mu.Unlock()
	for _, rl := range relays {
		go rl.shutdown() // each close waits for the peer's close frame: do them all at once
	}
	for _, rl := range relays {
		select {
		case <-rl.finished:
		case <-ctx.Done():
			return
		}
	}
}

// StreamingHandler relays the streaming-updates feed (mounted at /ws on its own listener).
func (p *Proxy) StreamingHandler() http.Handler {
	return p.wsHandler("streaming", p.opts.StreamingUpstream, p.frames.streaming)
}

// ChatHandler relays the chat feed (mounted at /ws on its own listener).
func (p *Proxy) ChatHandler() http.Handler {
	return p.wsHandler("chat", p.opts.ChatUpstream, p.frames.chat)
}

// relay is one proxied WebSocket: the client's socket and the upstream's.
type relay struct {
	feed             string
	client, upstream *websocket.Conn
	cancel           context.CancelFunc
	finished         chan struct{}
	once             sync.Once
}

func (rl *relay) shutdown() {
	rl.once.Do(func() {
		rl.client.Close(websocket.StatusGoingAway, "restream-proxy is shutting down")
		rl.upstream.Close(websocket.StatusGoingAway, "restream-proxy is shutting down")
		rl.cancel()
	})
}

// wsHandler dials the upstream feed with the client's query (its accessToken), relays an upstream
// refusal as it is, and otherwise relays frames both ways, validating each against the feed's schema.
func (p *Proxy) wsHandler(feed string, upstream *url.URL, schema *validate.Schema) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ex := newExchange(p.nextID(), r)
		ex.opName = "websocket " + feed // never the path: it carries the client's token
		p.seen(ex.opName)
		if upstream == nil {
			apierror.New(http.StatusNotFound, apierror.NameNotFound, "Not Found: the "+feed+" feed is not proxied").Write(w)
			return
		}
		if err := p.ws.reserve(); err != nil {
			e := apierror.Newf(http.StatusServiceUnavailable, "websocket_unavailable", "Service unavailable: %v", err)
			if errors.Is(err, errWSLimit) {
				e = apierror.Newf(http.StatusServiceUnavailable, "too_many_websockets",
					"Service unavailable: %d WebSockets are relayed already, the limit is %d", p.opts.MaxWebSockets, p.opts.MaxWebSockets).
					WithHeader("Retry-After", "1")
			}
			p.fail(w, ex, e)
			return
		}
		defer p.ws.release()
		target := *upstream
		target.RawQuery = r.URL.RawQuery
		ctx, cancel := context.WithTimeout(r.Context(), p.opts.DialTimeout+p.opts.TLSHandshakeTimeout+p.opts.ResponseHeaderTimeout)
		up, res, err := websocket.Dial(ctx, wsURL(&target), &websocket.DialOptions{HTTPClient: p.client})
		cancel()
		if err != nil {
			p.refuseUpgrade(w, r, ex, res, err)
			return
		}
		client, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
		if err != nil {
			up.Close(websocket.StatusGoingAway, "the client's upgrade failed")
			return
		}
		client.SetReadLimit(p.opts.MaxValidateBytes)
		up.SetReadLimit(p.opts.MaxValidateBytes)
		rctx, rcancel := context.WithCancel(context.Background())
		rl := &relay{feed: feed, client: client, upstream: up, cancel: rcancel, finished: make(chan struct{})}
		if !p.ws.add(rl) {
			rl.shutdown()
			close(rl.finished)
			return
		}
		p.metrics.sockets.WithLabelValues(feed).Inc()
		p.metrics.request(ex.opName, ex.method, http.StatusSwitchingProtocols)
		p.publish(ex, http.StatusSwitchingProtocols, nil, nil, "relaying frames")
		defer func() {
			p.metrics.sockets.WithLabelValues(feed).Dec()
			p.ws.remove(rl)
			close(rl.finished)
		}()
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); p.pump(rctx, rl, ex, up, client, validate.ServerFrame, schema) }()
		go func() { defer wg.Done(); p.pump(rctx, rl, ex, client, up, validate.ClientFrame, nil) }()
		wg.Wait()
		rcancel()
	})
}

// wsURL turns an http(s) URL into ws(s), leaving ws(s) URLs alone.
func wsURL(u *url.URL) string {
	c := *u
	switch c.Scheme {
	case "http":
		c.Scheme = "ws"
	case "https":
		c.Scheme = "wss"
	}
	return c.String()
}

// refuseUpgrade answers a client whose upstream dial failed: with the upstream's own refusal when
// there was one (a 401 envelope for a bad token), else with a 502/504 envelope.
func (p *Proxy) refuseUpgrade(w http.ResponseWriter, r *http.Request, ex *exchange, res *http.Response, err error) {
	if res != nil && res.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
		res.Body.Close()
		for _, h := range []string{"Content-Type", "WWW-Authenticate", "Retry-After"} {
			if v := res.Header.Get(h); v != "" {
				w.Header().Set(h, v)
			}
		}
		w.WriteHeader(res.StatusCode)
		w.Write(body)
		p.metrics.request(ex.opName, ex.method, res.StatusCode)
		p.publish(ex, res.StatusCode, res.Header, body, "the upstream refused the upgrade")
		return
	}
	e, cause := classify(r, err)
	if e == nil {
		return
	}
	p.metrics.upstreamErrors.WithLabelValues(cause).Inc()
	p.fail(w, ex, e)
}

// pump relays messages from src to dst, validating each frame in its direction. It ends when either
// side closes, passing the close code on.
func (p *Proxy) pump(ctx context.Context, rl *relay, ex *exchange, src, dst *websocket.Conn, dir validate.Direction, schema *validate.Schema) {
	frames := p.metrics.frames.WithLabelValues(rl.feed, string(dir))
	var vs []validate.Violation
	for {
		typ, data, err := src.Read(ctx)
		if err != nil {
			code := websocket.CloseStatus(err)
			reason := "the other side went away"
			if code == -1 {
				code = websocket.StatusGoingAway
			}
			var ce websocket.CloseError
			if errors.As(err, &ce) {
				reason = ce.Reason
			}
			dst.Close(code, reason)
			return
		}
		frames.Inc()
		vs = vs[:0]
		if p.opts.WSMode != Off {
			t0 := time.Now()
			vs = checkFrame(vs, dir, typ, data, schema)
			p.metrics.validationTime.WithLabelValues(string(dir)).Observe(time.Since(t0).Seconds())
			p.publishFrame(ex, dir, data, p.record(ex, 0, vs))
		} else {
			p.publishFrame(ex, dir, data, nil)
		}
		if p.opts.WSMode == Enforce && len(vs) > 0 {
			continue // dropped, and recorded
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = dst.Write(wctx, typ, data)
		cancel()
		if err != nil {
			src.Close(websocket.StatusGoingAway, "the other side went away")
			return
		}
	}
}

// RuleUnexpectedFrame names frames the feeds do not document: any frame from the client (both
// feeds are server-to-client) and binary frames.
const RuleUnexpectedFrame validate.Rule = "unexpected-frame"

// checkFrame validates one frame of a feed.
func checkFrame(dst []validate.Violation, dir validate.Direction, typ websocket.MessageType, data []byte, schema *validate.Schema) []validate.Violation {
	if typ != websocket.MessageText {
		return append(dst, validate.Violation{Direction: dir, In: validate.InBody, Rule: RuleUnexpectedFrame,
			Message: "a binary frame; the feeds send JSON text frames", Actual: strconv.Itoa(len(data)) + " bytes"})
	}
	if schema == nil {
		return append(dst, validate.Violation{Direction: dir, In: validate.InBody, Rule: RuleUnexpectedFrame,
			Message: "the feed is server-to-client: Restream ignores what clients send", Actual: brief(redact.JSON(data))})
	}
	return schema.Check(dst, data, dir)
}

func brief(b []byte) string {
	if len(b) > 60 {
		return string(b[:60]) + "…"
	}
	return string(b)
}
