package proxy_test

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/restreamkit/restreamkit/internal/conformance"
	"github.com/restreamkit/restreamkit/internal/proxy"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// closedPort returns the address of a port nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestUpstreamFailuresBecomeEnvelopesThatNameTheCause(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	unavailable := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer unavailable.Close()
	gatewayTimeout := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusGatewayTimeout)
	}))
	defer gatewayTimeout.Close()
	tlsOnly := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer tlsOnly.Close()
	cases := []struct {
		name     string
		upstream string
		opts     proxy.Options
		status   int
		errName  string
		mention  string
	}{
		{"a refused connection", "http://" + closedPort(t), proxy.Options{}, 502, "upstream_unavailable", "refused"},
		{"a timeout", slow.URL, proxy.Options{ResponseHeaderTimeout: 100 * time.Millisecond}, 504, "upstream_timeout", "in time"},
		{"a whole-exchange timeout", slow.URL, proxy.Options{UpstreamTimeout: 100 * time.Millisecond}, 504, "upstream_timeout", "in time"},
		{"an untrusted certificate", tlsOnly.URL, proxy.Options{}, 502, "upstream_tls_error", "TLS"},
		{"a 503", unavailable.URL, proxy.Options{}, 502, "upstream_error", "503"},
		{"a 504", gatewayTimeout.URL, proxy.Options{}, 504, "upstream_timeout", "504"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.Upstream = mustURL(t, tc.upstream)
			_, base := startProxy(t, opts)
			start := time.Now()
			res, body := send(t, base, "GET", "/v2/platform/all", "", "", "")
			conformance.WantError(t, res.StatusCode, body, tc.status, tc.errName, tc.mention)
			if time.Since(start) > 3*time.Second {
				t.Fatalf("the proxy waited %v; timeouts must bound it", time.Since(start))
			}
			if tc.name == "a 503" && res.Header.Get("Retry-After") != "30" {
				t.Fatal("the upstream's Retry-After must reach the client")
			}
			// The proxy keeps serving.
			res, _ = send(t, base, "GET", "/__proxy/healthz", "", "", "")
			if res.StatusCode != 200 {
				t.Fatalf("health after a failure: %d", res.StatusCode)
			}
		})
	}
}

// resetUpstream sends headers and half a body, then drops the connection.
func resetUpstream(t *testing.T) string {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(200)
		io.WriteString(w, `[{"id":1,"name":"Twitch"`)
		w.(http.Flusher).Flush()
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
		}
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

func TestAResetMidBodyIsReported(t *testing.T) {
	t.Run("streaming: the client sees the broken body", func(t *testing.T) {
		p, base := startProxy(t, proxy.Options{Upstream: mustURL(t, resetUpstream(t))})
		req, _ := http.NewRequest("GET", base+"/v2/platform/all", nil)
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			_, err = io.ReadAll(res.Body)
			res.Body.Close()
		}
		if err == nil {
			t.Fatal("a body cut by the upstream must not arrive complete")
		}
		if p.Violations() != 0 {
			t.Fatalf("a cut body is an upstream error, not a contract violation:\n%s", violations(t, p))
		}
		if _, body := send(t, base, "GET", "/__proxy/metrics", "", "", ""); !strings.Contains(string(body), `restream_proxy_upstream_errors_total{cause="reset"} 1`) {
			t.Fatalf("the reset is not counted:\n%s", grep(string(body), "upstream_errors"))
		}
	})
	t.Run("buffered: the client gets a 502", func(t *testing.T) {
		_, base := startProxy(t, proxy.Options{Upstream: mustURL(t, resetUpstream(t)), ResponseMode: proxy.Enforce})
		res, body := send(t, base, "GET", "/v2/platform/all", "", "", "")
		conformance.WantError(t, res.StatusCode, body, 502, "upstream_reset", "mid-response")
	})
}

func TestBodiesOverTheLimitPassUnvalidated(t *testing.T) {
	big := make([]byte, 3<<20)
	rand.Read(big)
	var got atomic64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		got.store(n)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`[`))
		for i := 0; i < 40000; i++ { // about 2.6 MB of platforms
			if i > 0 {
				w.Write([]byte(","))
			}
			w.Write([]byte(`{"id":1,"name":"Twitch","url":"https://twitch.tv","image":{"png":"https://a.io/1.png","svg":"https://a.io/1.svg"}}`))
		}
		w.Write([]byte(`]`))
	}))
	defer up.Close()
	for _, mode := range []proxy.Mode{proxy.Report, proxy.Enforce} { // not validated is not refused
		t.Run(string(mode), func(t *testing.T) {
			got.store(0)
			p, base := startProxy(t, proxy.Options{Upstream: mustURL(t, up.URL), MaxValidateBytes: 64 << 10, RequestMode: mode, ResponseMode: mode})
			body := `{"fileName":"` + strings.Repeat("a", 200<<10) + `"}`
			res, _ := send(t, base, "POST", "/v2/user/events/95ef2be4-24d2-4d9c-8ec5-420178877913/recordings/download-url", "application/json", body, bearer)
			if res.StatusCode != 200 || got.load() != int64(len(body)) {
				t.Fatalf("a large request body must reach the upstream whole: %d, %d of %d bytes", res.StatusCode, got.load(), len(body))
			}
			res2, data := send(t, base, "GET", "/v2/platform/all", "", "", "")
			if res2.StatusCode != 200 || !bytes.HasSuffix(data, []byte(`}]`)) || len(data) < 2<<20 {
				t.Fatalf("a large response must reach the client whole: %d, %d bytes", res2.StatusCode, len(data))
			}
			var tooLarge []validate.Direction
			for _, r := range p.Records() {
				if r.Rule == validate.RuleTooLarge {
					tooLarge = append(tooLarge, r.Direction)
				}
			}
			if len(tooLarge) < 2 {
				t.Fatalf("both large bodies must be recorded as not validated, got %v:\n%s", tooLarge, violations(t, p))
			}
		})
	}
}

func TestMetricsAndHealth(t *testing.T) {
	up := newBrokenUpstream(t)
	up.answer.Store(&canned{200, "application/json", `{"id":"x","username":"u","email":"e@x.io"}`})
	_, base := startProxy(t, proxy.Options{Upstream: mustURL(t, up.url)})
	send(t, base, "GET", "/v2/user/profile", "", "", bearer)
	res, body := send(t, base, "GET", "/__proxy/metrics", "", "", "")
	if res.StatusCode != 200 {
		t.Fatal(res.StatusCode)
	}
	for _, want := range []string{
		`restream_proxy_requests_total{method="GET",operation="getUserProfile",status="200"} 1`,
		`restream_proxy_violations_total{direction="response",operation="getUserProfile",rule="type"} 1`,
		`restream_proxy_upstream_duration_seconds_count{operation="getUserProfile"} 1`,
		`restream_proxy_validation_duration_seconds_count{direction="request"}`,
		`restream_proxy_validation_duration_seconds_count{direction="response"}`,
	} {
		if !strings.Contains(string(body), want) {
			t.Fatalf("metrics lack %q:\n%s", want, grep(string(body), "restream_proxy"))
		}
	}
	res, body = send(t, base, "GET", "/__proxy/healthz", "", "", "")
	if res.StatusCode != 200 || !strings.Contains(string(body), `"violations":1`) {
		t.Fatalf("healthz: %d %s", res.StatusCode, body)
	}
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
