package mock_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/restreamkit/restreamkit/internal/mock"
	"github.com/restreamkit/restreamkit/internal/oauth"
)

// BenchmarkListChannels serves one authorized GET /v2/user/channel/all through the whole stack:
// the gate (routing, token, scope, validation, journal), echo, the strict handler and the store.
func BenchmarkListChannels(b *testing.B) {
	srv, err := mock.New(mock.Options{})
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
