package mock_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
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

func benchListChannels(b *testing.B, log *slog.Logger) {
	srv, err := mock.New(mock.Options{Logger: log})
	if err != nil {
		b.Fatal(err)
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
