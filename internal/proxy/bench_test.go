package proxy_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/restreamkit/restreamkit/internal/proxy"
)

// BenchmarkReportModeExchange measures one validated exchange through the proxy (request and
// response checked in report mode, response validated as it streams) in front of a scripted
// upstream that answers a valid profile, with nobody watching the dashboard and with its live
// feed open (a reader renders every row on its own goroutine).
func BenchmarkReportModeExchange(b *testing.B) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, profile)
	}))
	defer up.Close()
	u, _ := http.NewRequest("GET", up.URL, nil)
	for _, watched := range []bool{false, true} {
		name := "no dashboard"
		if watched {
			name = "dashboard open"
		}
		b.Run(name, func(b *testing.B) {
			p, err := proxy.New(proxy.Options{Upstream: u.URL})
			if err != nil {
				b.Fatal(err)
			}
			ts := httptest.NewServer(p.Handler())
			defer ts.Close()
			defer p.Close(context.Background())
			if watched {
				res, err := http.Get(ts.URL + proxy.UIEvents)
				if err != nil || res.StatusCode != 200 {
					b.Fatalf("the feed: %v", err)
				}
				defer res.Body.Close()
				go io.Copy(io.Discard, bufio.NewReader(res.Body))
			}
			client := ts.Client()
			req, _ := http.NewRequest("GET", ts.URL+"/v2/user/profile", nil)
			req.Header.Set("Authorization", bearer)
			b.ReportAllocs()
			for b.Loop() {
				res, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					b.Fatalf("status %d", res.StatusCode)
				}
			}
			b.StopTimer()
			if n := p.Violations(); n != 0 {
				b.Fatalf("%d violations on a valid exchange", n)
			}
		})
	}
}
