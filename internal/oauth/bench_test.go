package oauth

import (
	"testing"
)

// TestAuthenticatingALiveTokenDoesNotAllocate guards the hot path: every REST request and
// every WebSocket connection authenticates once. Allocation counts are deterministic, unlike
// timings, so this is a test and the speed is a benchmark.
func TestAuthenticatingALiveTokenDoesNotAllocate(t *testing.T) {
	s, _ := newTestServer(t)
	p := login(t, s, nova.ID)
	header := "Bearer " + p.AccessToken
	if n := testing.AllocsPerRun(100, func() {
		if _, err := s.AuthenticateToken(p.AccessToken); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("AuthenticateToken allocates %v times per call", n)
	}
	if n := testing.AllocsPerRun(100, func() {
		if _, err := s.AuthenticateHeader(header); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("AuthenticateHeader allocates %v times per call", n)
	}
}

// benchServer is a server holding many live pairs, as a busy mock would.
func benchServer(b *testing.B, pairs int) (*Server, TokenPair) {
	b.Helper()
	s, _ := newTestServer(b)
	var p TokenPair
	for range pairs {
		var err error
		if p, err = s.Issue(nova.ID, devClient.ID, AllScopes); err != nil {
			b.Fatal(err)
		}
	}
	return s, p
}

func BenchmarkAuthenticateToken(b *testing.B) {
	s, p := benchServer(b, 10000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.AuthenticateToken(p.AccessToken); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAuthenticateTokenParallel(b *testing.B) {
	s, p := benchServer(b, 10000)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.AuthenticateToken(p.AccessToken); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkAuthenticateHeader(b *testing.B) {
	s, p := benchServer(b, 10000)
	header := "Bearer " + p.AccessToken
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.AuthenticateHeader(header); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAuthenticateUnknownToken(b *testing.B) {
	s, _ := benchServer(b, 10000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.AuthenticateToken("0000000000000000000000000000000000000000"); err == nil {
			b.Fatal("an unknown token authenticated")
		}
	}
}

// BenchmarkTokenRefresh rotates one pair over and over: client authentication, two random
// tokens, two digests, map updates and pruning checks per operation.
func BenchmarkTokenRefresh(b *testing.B) {
	s, p := benchServer(b, 10000)
	auth := basicAuth(devClient)
	b.ReportAllocs()
	for b.Loop() {
		next, err := s.Token(auth, refreshForm(p.RefreshToken))
		if err != nil {
			b.Fatal(err)
		}
		p = next
	}
}
