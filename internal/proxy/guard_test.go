package proxy_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/internal/guard"
	"github.com/restreamkit/restreamkit/internal/proxy"
)

// sendAs sends a request with an empty body, the given Host (the URL's when empty) and headers,
// and returns the status and body.
func sendAs(t *testing.T, method, url, host string, header map[string]string) (int, string) {
	t.Helper()
	status, _, body := sendFull(t, method, url, host, header)
	return status, body
}

// sendFull is sendAs that returns the response headers too.
func sendFull(t *testing.T, method, url, host string, header map[string]string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(body)
}

// The proxy sends the upstream's own Host, so the mock behind it cannot tell a rebinding page from
// the developer: the proxy refuses such requests itself, before forwarding.
func TestTheProxyRefusesRebindingAndCrossSiteWritesToTheControlPaths(t *testing.T) {
	_, url := startProxy(t, proxy.Options{Upstream: mustURL(t, startMock(t))})
	send := func(method, path, host string, header map[string]string) (int, string) {
		t.Helper()
		return sendAs(t, method, url+path, host, header)
	}
	refused := []struct {
		name, method, path, host string
		header                   map[string]string
		want                     string
	}{
		{"the mock's state, read by a rebinding page", "GET", "/__mock/state", "evil.example:8090", nil, guard.NameHostNotAllowed},
		{"a token minted by a rebinding page", "POST", "/__mock/tokens", "evil.example", map[string]string{"Content-Type": "application/json"}, guard.NameHostNotAllowed},
		{"the proxy's metrics, read by a rebinding page", "GET", "/__proxy/metrics", "evil.example", nil, guard.NameHostNotAllowed},
		{"a cross-site reset through the proxy", "POST", "/__mock/reset", "", map[string]string{"Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"}, guard.NameCrossSiteRequest},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			status, body := send(tc.method, tc.path, tc.host, tc.header)
			if status != http.StatusForbidden || !strings.Contains(body, `"name":"`+tc.want+`"`) {
				t.Fatalf("got %d %s, want 403 %s", status, body, tc.want)
			}
		})
	}
	for _, path := range []string{"/__mock/health", "/__proxy/healthz", "/__proxy/metrics"} {
		if status, body := send("GET", path, "localhost", nil); status != 200 {
			t.Fatalf("%s with a loopback Host: %d %s", path, status, body)
		}
	}
	// The Restream API itself is forwarded whatever the Host: the real API has its own.
	if status, body := send("GET", "/v2/platform/all", "api.restream.io", nil); status != 200 {
		t.Fatalf("the public API through the proxy: %d %s", status, body)
	}
}

func TestAnAllowedHostReachesTheControlPathsThroughTheProxy(t *testing.T) {
	_, url := startProxy(t, proxy.Options{Upstream: mustURL(t, startMock(t)),
		Control: guard.Options{AllowHosts: []string{"proxy.ci.internal"}}})
	req, _ := http.NewRequest("GET", url+"/__mock/users", nil)
	req.Host = "proxy.ci.internal"
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("the allowed host got %d", res.StatusCode)
	}
}

// POST /__proxy/shutdown ends a CI run; a rebinding page or a cross-site form must not.
func TestTheShutdownEndpointAnswersOnlyLoopbackSameSiteRequests(t *testing.T) {
	p, url := startProxy(t, proxy.Options{Upstream: mustURL(t, startMock(t))})
	for _, tc := range []struct {
		name, method, host string
		header             map[string]string
		want               int
		wantShutdown       bool
	}{
		{"a rebinding page is refused", "POST", "evil.example:8090", nil, http.StatusForbidden, false},
		{"a cross-site form is refused", "POST", "", map[string]string{"Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"}, http.StatusForbidden, false},
		{"a cross-origin fetch is refused", "POST", "", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden, false},
		{"a GET is not a shutdown (it goes upstream, which has no such path)", "GET", "", nil, http.StatusNotFound, false},
		{"the CI job on loopback shuts the proxy down", "POST", "localhost", nil, http.StatusAccepted, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, body := sendAs(t, tc.method, url+"/__proxy/shutdown", tc.host, tc.header); status != tc.want {
				t.Fatalf("got %d %s, want %d", status, body, tc.want)
			}
			// The handler has run by the time the answer arrives: the channel's state is final.
			select {
			case <-p.ShutdownRequested():
				if !tc.wantShutdown {
					t.Fatal("a refused request asked for the shutdown")
				}
			default:
				if tc.wantShutdown {
					t.Fatal("the accepted request did not ask for the shutdown")
				}
			}
		})
	}
}
