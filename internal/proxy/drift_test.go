package proxy_test

import (
	"context"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/restreamkit/restreamkit/internal/drift"
	"github.com/restreamkit/restreamkit/internal/proxy"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// The secrets the scripted upstream and client send: neither may appear in a drift report.
const (
	driftToken  = "tok-0123456789abcdefABCDEF"
	driftSrtURL = "rtmp://live.example/re_42_0123456789abcdef0123456789abcdef"
)

// scriptedUpstream departs from the spec in known ways, and answers some exchanges as documented
// so that the report can say "in 2/3 exchanges".
func scriptedUpstream(t *testing.T) *httptest.Server {
	t.Helper()
	var profiles atomic.Int32
	json := func(w http.ResponseWriter, status int, body string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v2/user/profile", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" { // as documented
			json(w, 401, `{"error":{"statusCode":401,"status":401,"code":401,"message":"Invalid token","name":"invalid_token"}}`)
			return
		}
		switch profiles.Add(1) {
		case 1: // as documented
			json(w, 200, `{"id":1,"username":"ann","email":"ann@example.com"}`)
		case 2: // no email
			json(w, 200, `{"id":1,"username":"ann"}`)
		default: // no email, the id as a string, and a property the spec does not describe
			json(w, 200, `{"id":"1","username":"ann","avatar":"https://cdn.example/a.png"}`)
		}
	})
	mux.HandleFunc("GET /v2/user/channel/all", func(w http.ResponseWriter, r *http.Request) {
		json(w, 200, `[{"id":1,"streamingPlatformId":5,"embedUrl":"","url":"","identifier":"ann","displayName":"Ann","active":true,"status":"online"},`+
			`{"id":2,"streamingPlatformId":5,"embedUrl":"","url":"","identifier":"ann2","active":false},`+
			`{"id":3,"streamingPlatformId":1,"embedUrl":"","url":"","identifier":"ann3","active":true}]`)
	})
	mux.HandleFunc("GET /v2/user/channel/{id}", func(w http.ResponseWriter, r *http.Request) {
		json(w, http.StatusTeapot, `{"error":{"statusCode":418,"status":418,"code":418,"message":"I'm a teapot","name":"teapot"}}`)
	})
	mux.HandleFunc("GET /v2/user/streamKey", func(w http.ResponseWriter, r *http.Request) {
		json(w, 200, `{"streamKey":"re_42_0123456789abcdef0123456789abcdef","srtUrl":"`+driftSrtURL+`"}`)
	})
	mux.HandleFunc("GET /v2/server/all", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "[]")
	})
	mux.HandleFunc("GET /v2/platform/all", func(w http.ResponseWriter, r *http.Request) { json(w, 200, `[]`) })
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

// mysteryFeed is a streaming feed that sends one frame of an action the feed does not document,
// then reports each frame the client sent (the proxy records a frame before it relays it).
func mysteryFeed(t *testing.T, got chan<- string) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := r.Context()
		if err := c.Write(ctx, websocket.MessageText, []byte(`{"action":"mystery","payload":{}}`)); err != nil {
			return
		}
		for {
			_, data, err := c.Read(ctx)
			if err != nil {
				return
			}
			got <- string(data)
		}
	}))
	t.Cleanup(ts.Close)
	return ts
}

// driftRun sends the same client calls through a proxy in front of the scripted upstream and
// returns the drift report the proxy wrote on Close, with times and the run's id prefix
// normalised.
func driftRun(t *testing.T, format drift.Format) string {
	t.Helper()
	up := scriptedUpstream(t)
	relayed := make(chan string, 2)
	feed := mysteryFeed(t, relayed)
	file := filepath.Join(t.TempDir(), "drift")
	// The violations header makes the proxy validate each response before sending it, so a
	// client that waits for its answer sees every violation recorded in order.
	p, err := proxy.New(proxy.Options{Upstream: mustURL(t, up.URL), StreamingUpstream: mustURL(t, wsURL(feed.URL)),
		DriftReport: file, DriftReportFormat: format, AddViolationsHeader: true})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(p.Handler())
	calls := []struct{ path, token string }{
		{"/v2/user/profile", ""}, // forgot the token: a request violation, answered 401 as documented
		{"/v2/user/profile", driftToken},
		{"/v2/user/profile", driftToken},
		{"/v2/user/profile", driftToken},
		{"/v2/user/channel/all", driftToken},
		{"/v2/user/channel/7", driftToken},
		{"/v2/user/channel/8", driftToken},
		{"/v2/user/streamKey", driftToken},
		{"/v2/server/all", ""},
		{"/v2/platform/all", ""},
		{"/v2/nope?accessToken=" + driftToken, ""},
	}
	for _, c := range calls {
		req, _ := http.NewRequest("GET", ts.URL+c.path, nil)
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	// The streaming feed: one undocumented server frame, and two frames from the client, which the
	// feed does not take.
	ws := dial(t, wsURL(ts.URL)+"/streaming/ws?accessToken="+driftToken)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, _, err := ws.Read(ctx); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := ws.Write(ctx, websocket.MessageText, []byte(`{"action":"ping"}`)); err != nil {
			t.Fatal(err)
		}
		<-relayed
	}
	ws.Close(websocket.StatusNormalClosure, "")
	ts.Close()
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := readFile(t, file)
	for _, secret := range []string{driftToken, driftSrtURL, "0123456789abcdef0123456789abcdef"} {
		if strings.Contains(got, secret) {
			t.Fatalf("the drift report holds the secret %q:\n%s", secret, got)
		}
	}
	return normalise(got)
}

var (
	timestamps = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)
	requestIDs = regexp.MustCompile(`\b[0-9a-f]{6}-(\d{6})\b`)
)

// normalise replaces what changes from run to run: times, and the random prefix of request ids.
func normalise(s string) string {
	s = timestamps.ReplaceAllString(s, "2026-01-02T03:04:05.000Z")
	return requestIDs.ReplaceAllString(s, "run-$1")
}

func TestTheDriftReportOfAScriptedUpstreamMatchesTheGoldenFile(t *testing.T) {
	for _, tc := range []struct {
		format drift.Format
		golden string
	}{
		{drift.Markdown, "testdata/drift.md"},
		{drift.JSON, "testdata/drift.json"},
	} {
		t.Run(string(tc.format), func(t *testing.T) {
			got := driftRun(t, tc.format)
			if *update {
				if err := os.WriteFile(tc.golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want := readFile(t, tc.golden)
			if got != want {
				t.Fatalf("the drift report differs from %s (go test -run %s -update rewrites it):\n%s", tc.golden, t.Name(), got)
			}
		})
	}
}
