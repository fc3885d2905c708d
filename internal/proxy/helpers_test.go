package proxy_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/restreamkit/restreamkit/internal/proxy"
	"github.com/restreamkit/restreamkit/restreamtest"
)

// startMock serves a fresh fake Restream and returns its URL. It is lenient: the proxy's tests send
// requests that break the contract on purpose, to see the proxy report them.
func startMock(t *testing.T) string {
	t.Helper()
	return restreamtest.NewServer(t, restreamtest.Lenient()).URL
}

// startProxy serves a proxy built from opts and returns it with its URL. It is closed, and its
// reports written, when the test ends.
func startProxy(t *testing.T, opts proxy.Options) (*proxy.Proxy, string) {
	t.Helper()
	p, err := proxy.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(p.Handler())
	t.Cleanup(func() {
		ts.Close()
		if err := p.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return p, ts.URL
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// violations renders the proxy's records, one JSON line each, for failure messages.
func violations(t *testing.T, p *proxy.Proxy) string {
	t.Helper()
	var b strings.Builder
	for _, r := range p.Records() {
		line, _ := json.Marshal(r)
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	return strings.Split(strings.TrimSpace(readFile(t, path)), "\n")
}

// atomic64 is an int64 a test handler sets and the test reads.
type atomic64 struct{ v atomic.Int64 }

func (a *atomic64) store(n int64) { a.v.Store(n) }
func (a *atomic64) load() int64   { return a.v.Load() }
