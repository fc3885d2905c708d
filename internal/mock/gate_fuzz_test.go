package mock_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/restreamkit/restreamkit/internal/conformance"
	"github.com/restreamkit/restreamkit/internal/fixtures"
	"github.com/restreamkit/restreamkit/internal/mock"
	"github.com/restreamkit/restreamkit/internal/oauth"
	"github.com/restreamkit/restreamkit/internal/validate"
	"github.com/restreamkit/restreamkit/openapi"
)

// gateTarget is the mock the gate fuzz target drives, with what it needs to judge the answers.
type gateTarget struct {
	srv     *mock.Server
	handler http.Handler
	restAPI *validate.Spec
	control *validate.Spec
	ops     []*validate.Operation
	token   string
	served  int
}

func newGateTarget(t testing.TB) *gateTarget {
	t.Helper()
	srv, err := mock.New(mock.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutting the mock down: %v", err)
		}
	})
	control, err := validate.Load(openapi.FS, openapi.ControlSpec)
	if err != nil {
		t.Fatal(err)
	}
	g := &gateTarget{srv: srv, handler: srv.Handler(), restAPI: srv.Spec(), control: control}
	g.ops = append(append(g.ops, g.restAPI.Operations()...), control.Operations()...)
	g.issue(t)
	return g
}

func (g *gateTarget) issue(t testing.TB) {
	t.Helper()
	p, err := g.srv.OAuth().Issue(nova, devClient, oauth.AllScopes)
	if err != nil {
		t.Fatal(err)
	}
	g.token = p.AccessToken
}

// gateInput is one fuzzed request: an operation's path template filled with a raw segment, a raw
// query string, a body, and flags that vary the content type, the token and the method.
type gateInput struct {
	op       *validate.Operation
	segment  string
	rawQuery string
	body     []byte
	flags    uint8
}

var otherMethods = []string{"GET", "POST", "PATCH", "DELETE", "PUT", "OPTIONS", "HEAD", "TRACE"}

func (in gateInput) method() string {
	if in.flags&8 != 0 {
		return otherMethods[int(in.flags>>4)%len(otherMethods)]
	}
	return in.op.Method
}

func (in gateInput) contentType() string {
	switch in.flags & 3 {
	case 1:
		return ""
	case 2:
		return "text/plain"
	case 3:
		return "Application/JSON; charset=utf-8"
	}
	if in.op.FormBody() {
		return "application/x-www-form-urlencoded"
	}
	return "application/json"
}

// request builds the request net/http would hand the server, or nil when net/http would refuse
// the request line or redirect it (its ServeMux sends unclean paths elsewhere with a 301).
func (in gateInput) request(token string) *http.Request {
	segs := strings.Split(in.op.Path, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			segs[i] = in.segment
		}
	}
	target := strings.Join(segs, "/")
	if in.rawQuery != "" {
		target += "?" + in.rawQuery
	}
	u, err := url.ParseRequestURI(target)
	if err != nil || u.Host != "" || u.Path == "" || strings.ContainsAny(target, " \t\r\n#") {
		return nil
	}
	if clean := path.Clean(u.Path); clean != u.Path && clean+"/" != u.Path {
		return nil
	}
	r := &http.Request{Method: in.method(), URL: u, RequestURI: target, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, Host: "127.0.0.1", RemoteAddr: "127.0.0.1:40000",
		Body: io.NopCloser(bytes.NewReader(in.body)), ContentLength: int64(len(in.body))}
	if ct := in.contentType(); ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	if in.flags&4 == 0 {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

// serve sends one input through the whole stack and checks the answer: never a 5xx, an error is
// always the envelope, and the answer conforms to the spec of the operation the path names.
func (g *gateTarget) serve(t *testing.T, in gateInput) {
	t.Helper()
	r := in.request(g.token)
	if r == nil {
		return
	}
	w := httptest.NewRecorder()
	g.handler.ServeHTTP(w, r)
	status, body := w.Code, w.Body.Bytes()
	what := fmt.Sprintf("%s %s (%s, body %q)", r.Method, r.RequestURI, r.Header.Get("Content-Type"), in.body)
	if status >= 500 {
		t.Fatalf("%s: answered %d: %s", what, status, body)
	}
	if status >= 400 {
		conformance.WantError(t, status, body, status, nameOf(t, what, body))
	}
	spec := g.restAPI
	if strings.HasPrefix(r.URL.Path, "/__mock/") {
		spec = g.control
	}
	var pp validate.PathParams
	if op, v, _ := spec.Find(r.Method, r.URL.EscapedPath(), &pp); v == nil {
		for _, viol := range spec.CheckResponse(nil, op, status, w.Header(), body) {
			t.Fatalf("%s: the %d answer breaks the spec of %s: %v: %s", what, status, op.ID, viol, body)
		}
	}
	g.afterwards(t, r, status)
}

// afterwards puts the world back after a control request that changed how the mock behaves
// (faults, the clock, tokens, the imported world), and now and then, so that state stays bounded.
func (g *gateTarget) afterwards(t *testing.T, r *http.Request, status int) {
	g.served++
	if strings.HasPrefix(r.URL.Path, "/__mock/") && r.Method != http.MethodGet && status < 300 || g.served%500 == 0 {
		g.srv.Reset()
		if _, err := g.srv.OAuth().AuthenticateToken(g.token); err != nil {
			g.issue(t)
		}
	}
}

func nameOf(t *testing.T, what string, body []byte) string {
	var env struct {
		Error struct{ Name string } `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Error.Name == "" {
		t.Fatalf("%s: an error answer that is not the envelope: %s", what, body)
	}
	return env.Error.Name
}

// gateSeeds gives every operation its documented example requests (or a plain one), and adds the
// inputs the validator once let through to the binder.
func gateSeeds(t testing.TB, ops []*validate.Operation) []gateInput {
	t.Helper()
	byID := map[string]*validate.Operation{}
	for _, op := range ops {
		byID[op.ID] = op
	}
	var seeds []gateInput
	seed, err := fixtures.Load(fixtures.Embedded(), fixtures.EmbeddedName)
	if err != nil {
		t.Fatal(err)
	}
	files := seed.Files
	seen := map[string]bool{}
	for id, file := range files {
		op := byID[id]
		for _, ex := range file.Examples {
			if op == nil {
				break
			}
			seg := ""
			if i := strings.IndexByte(op.Path, '{'); i >= 0 && len(ex.Request.Path) > i {
				seg, _, _ = strings.Cut(ex.Request.Path[i:], "/")
			}
			q := url.Values{}
			for k, v := range ex.Request.Query {
				q.Set(k, v)
			}
			body := []byte(ex.Request.Body)
			var fields map[string]string
			if op.FormBody() && json.Unmarshal(body, &fields) == nil {
				form := url.Values{}
				for k, v := range fields {
					form.Set(k, v)
				}
				body = []byte(form.Encode())
			}
			seeds = append(seeds, gateInput{op: op, segment: seg, rawQuery: q.Encode(), body: body})
			seen[op.ID] = true
		}
	}
	for _, op := range ops {
		if !seen[op.ID] {
			seeds = append(seeds, gateInput{op: op, segment: "x"})
		}
	}
	extra := []struct {
		id, seg, query, body string
		flags                uint8
	}{
		{"updateChannel", "1e3", "", `{"active":true}`, 0},
		{"updateChannel", "+5120001", "", `{"active":true}`, 3},
		{"updateChannel", "99999999999999999999", "", `{"active":true}`, 0},
		{"updateChannel", "5120001", "", `{"active":true,"Active":1}`, 0},
		{"listEventHistory", "", "page=99999999999999999999&limit=100", "", 0},
		{"listEventHistory", "", "page=%zz;", "", 0},
		{"listUpcomingEvents", "", "scheduled=1&source=1", "", 0},
		{"addChannel", "", "", `{"platformId":29.0,"streamUrl":"rtmp://x.example/live"}`, 0},
		{"addEventDestination", conformance.NovaLive.String(), "", `{"channelId":1e3}`, 0},
		{"createEvent", "", "", `{"streamType":"studio","scheduledFor":"2030-01-01t00:00:00z"}`, 0},
		{"refreshToken", "", "a;b=%zz", "grant_type=refresh_token&refresh_token=x;y", 0},
		{"revokeToken", "", "", "token=%zz", 0},
		{"getUserProfile", "", "", `{}`, 1},
		{"listPlatforms", "", "", "", 8 | 5<<4},
		{"advanceClock", "", "", `{"seconds":1.0}`, 0},
		{"importState", "", "", `{"platforms":[],"servers":[],"users":[{"id":1e400}]}`, 0},
	}
	for _, e := range extra {
		if op := byID[e.id]; op != nil {
			seeds = append(seeds, gateInput{op: op, segment: e.seg, rawQuery: e.query, body: []byte(e.body), flags: e.flags})
		}
	}
	return seeds
}

// FuzzGate drives requests through the whole mock in process (routing, gate, generated binders,
// handlers, store) with arbitrary path segments, query strings and bodies: no panic, never a 5xx,
// every error the envelope, every answer one the spec documents for the operation:
// `go test -fuzz FuzzGate ./internal/mock`.
func FuzzGate(f *testing.F) {
	g := newGateTarget(f)
	index := map[*validate.Operation]int{}
	for i, op := range g.ops {
		index[op] = i
	}
	for _, s := range gateSeeds(f, g.ops) {
		f.Add(uint16(index[s.op]), s.segment, s.rawQuery, s.body, s.flags)
	}
	f.Fuzz(func(t *testing.T, which uint16, segment, rawQuery string, body []byte, flags uint8) {
		g.serve(t, gateInput{op: g.ops[int(which)%len(g.ops)], segment: segment, rawQuery: rawQuery, body: body, flags: flags})
	})
}

// TestWhatFuzzGateFound replays, over real HTTP, the requests FuzzGate found answered with a 500.
func TestWhatFuzzGateFound(t *testing.T) {
	h := newHarness(t, mock.Options{})
	tok := h.token(nova)
	t.Run("a chat history from a timestamp after the last message is an empty page", func(t *testing.T) {
		status, _, body := h.do("GET", "/v2/user/events/"+novaFinished1.String()+"/chat/history?timestamp=4102444800", tok, "", nil)
		var page struct {
			Messages []json.RawMessage `json:"messages"`
		}
		if status != 200 || json.Unmarshal(body, &page) != nil || len(page.Messages) != 0 {
			t.Fatalf("%d %s, want an empty page", status, body)
		}
	})
}
