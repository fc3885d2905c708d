package mock_test

import (
	"bufio"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/internal/mock"
	"github.com/restreamkit/restreamkit/internal/oauth"
)

// BenchmarkListChannels serves one authorized GET /v2/user/channel/all through the whole stack:
// the gate (routing, token, scope, validation, journal), echo, the strict handler and the store.
func BenchmarkListChannels(b *testing.B) { benchListChannels(b, nil) }

// BenchmarkListChannelsLogged is BenchmarkListChannels with a logger: at warn the request log
// must cost next to nothing; at info it shows what a line costs in each format.
func BenchmarkListChannelsLogged(b *testing.B) {
	for _, bb := range []struct {
		name string
		h    slog.Handler
	}{
		{"at warn", slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn})},
		{"at info in text", slog.NewTextHandler(io.Discard, nil)},
		{"at info in JSON", slog.NewJSONHandler(io.Discard, nil)},
	} {
		b.Run(bb.name, func(b *testing.B) { benchListChannels(b, slog.New(bb.h)) })
	}
}

// BenchmarkListChannelsWithDashboardOpen is BenchmarkListChannels while a browser watches the
// Requests page: every request is also offered to the dashboard's live stream, which renders
// it on its own goroutine. Issue 12 asks for it to stay within 5% of BenchmarkListChannels.
func BenchmarkListChannelsWithDashboardOpen(b *testing.B) { benchListChannels(b, nil, watchDashboard) }

// watchDashboard opens the Requests page's live stream on srv and reads it until b ends.
func watchDashboard(b *testing.B, srv *mock.Server) {
	ts := httptest.NewServer(srv.Handler())
	res, err := http.Get(ts.URL + mock.UIPath + "events?kind=requests")
	if err != nil || res.StatusCode != http.StatusOK {
		b.Fatalf("opening the live stream: %v %v", err, res)
	}
	br := bufio.NewReader(res.Body)
	if line, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(line, "retry:") {
		b.Fatalf("the live stream began with %q, %v", line, err)
	}
	go func() { _, _ = io.Copy(io.Discard, br) }()
	b.Cleanup(func() { res.Body.Close(); ts.CloseClientConnections(); ts.Close() })
}

func benchListChannels(b *testing.B, log *slog.Logger, setup ...func(*testing.B, *mock.Server)) {
	srv, err := mock.New(mock.Options{Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range setup {
		f(b, srv)
	}
	tok := issueAll(b, srv)
	h := srv.Handler()
	req := httptest.NewRequest(http.MethodGet, "/v2/user/channel/all", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

func issueAll(b *testing.B, srv *mock.Server) string {
	b.Helper()
	p, err := srv.OAuth().Issue(nova, devClient, oauth.AllScopes)
	if err != nil {
		b.Fatal(err)
	}
	return p.AccessToken
}
