package mock_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/internal/conformance"
	"github.com/restreamkit/restreamkit/internal/guard"
	"github.com/restreamkit/restreamkit/internal/mock"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// wantRefusal checks a refusal's status and name, and that it conforms to the control spec.
func wantRefusal(t *testing.T, spec *validate.Spec, opID string, status int, h http.Header, body []byte, wantStatus int, wantName string) {
	t.Helper()
	var env struct {
		Error struct{ Name, Message string }
	}
	if err := json.Unmarshal(body, &env); err != nil || status != wantStatus || env.Error.Name != wantName {
		t.Fatalf("got %d %s, want %d %s", status, body, wantStatus, wantName)
	}
	op, ok := spec.Operation(opID)
	if !ok {
		t.Fatalf("no operation %s in the control spec", opID)
	}
	if vs := spec.CheckResponse(nil, op, status, h, body); len(vs) > 0 {
		t.Fatalf("the refusal breaks the control spec: %v", vs)
	}
}

func TestTheControlAPIAnswersOnlyLoopbackHosts(t *testing.T) {
	h := newHarness(t, mock.Options{})
	spec := conformance.ControlSpec(t)
	before := h.state()
	stats := h.srv.OAuth().Stats()

	// DNS rebinding: the page's own name is the Host. Reads and writes are refused alike.
	rebound := []struct {
		op string
		cr rawRequest
	}{
		{"exportState", rawRequest{method: "GET", path: "/__mock/state", host: "evil.example:8080"}},
		{"issueToken", rawRequest{method: "POST", path: "/__mock/tokens", host: "evil.example", body: `{"userId":2046371}`,
			header: map[string]string{"Content-Type": "application/json"}}},
		{"resetMock", rawRequest{method: "POST", path: "/__mock/reset", host: "127.0.0.1.evil.example"}},
		{"getHealth", rawRequest{method: "GET", path: "/__mock/health", host: "evil.example"}},
		{"submitConsent", rawRequest{method: "POST", path: "/__mock/consent", host: "evil.example", body: "request=x&account=2046371&decision=approve",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}},
	}
	for _, tc := range rebound {
		status, hdr, body := h.send(tc.cr)
		if bytes.Contains(body, []byte("access_token")) || bytes.Contains(body, []byte("accessToken")) {
			t.Fatalf("%s with Host %s leaked a token: %s", tc.op, tc.cr.host, body)
		}
		wantRefusal(t, spec, tc.op, status, hdr, body, http.StatusForbidden, guard.NameHostNotAllowed)
	}
	if got := h.srv.OAuth().Stats(); got != stats {
		t.Fatalf("a refused request minted tokens: %+v, before %+v", got, stats)
	}

	// The same requests with loopback Hosts pass.
	for _, host := range []string{"", "localhost", "127.0.0.1:1234", "[::1]:8080", "dashboard.localhost:5173"} {
		if status, _, body := h.send(rawRequest{method: "GET", path: "/__mock/health", host: host}); status != 200 {
			t.Fatalf("Host %q: %d %s", host, status, body)
		}
	}
	// The Restream API itself is not the control plane: it needs a token, whatever the Host.
	if status, _, body := h.send(rawRequest{method: "GET", path: "/v2/platform/all", host: "api.restream.io"}); status != 200 {
		t.Fatalf("the public API refused a Host: %d %s", status, body)
	}
	if h.state() != before {
		t.Fatal("a refused request changed the world")
	}
}

func TestACrossSiteBrowserWriteCannotResetTheWorld(t *testing.T) {
	h := newHarness(t, mock.Options{})
	spec := conformance.ControlSpec(t)
	c := h.client(h.token(nova))
	if r, err := c.DeleteChannelWithResponse(t.Context(), novaTwitch); err != nil || r.StatusCode() != 204 {
		t.Fatalf("deleting a channel: %v %v", err, r)
	}
	changed := h.state()
	// A form on evil.example posting text/plain needs no CORS preflight; the browser says where
	// it comes from in Sec-Fetch-Site (current browsers) or Origin (older ones).
	for _, hdr := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example", "Content-Type": "text/plain"},
		{"Origin": "http://evil.example", "Content-Type": "text/plain"},
		{"Sec-Fetch-Site": "same-site", "Origin": "http://localhost:5173"},
	} {
		status, rh, body := h.send(rawRequest{method: "POST", path: "/__mock/reset", header: hdr})
		wantRefusal(t, spec, "resetMock", status, rh, body, http.StatusForbidden, guard.NameCrossSiteRequest)
	}
	if h.state() != changed {
		t.Fatal("a cross-site write reset the world")
	}
	// The consent page's own form is same-origin, and tools send neither header.
	if status, _, body := h.send(rawRequest{method: "POST", path: "/__mock/reset", header: map[string]string{"Sec-Fetch-Site": "same-origin"}}); status != 204 {
		t.Fatalf("a same-origin write was refused: %d %s", status, body)
	}
}

func TestATrustedOriginMayWrite(t *testing.T) {
	h := newHarness(t, mock.Options{Control: guard.Options{TrustedOrigins: []string{"http://localhost:5173"}}})
	status, _, body := h.send(rawRequest{method: "POST", path: "/__mock/reset",
		header: map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost:5173"}})
	if status != 204 {
		t.Fatalf("the trusted origin was refused: %d %s", status, body)
	}
}

func TestAnAllowedHostReachesTheControlAPI(t *testing.T) {
	h := newHarness(t, mock.Options{Control: guard.Options{AllowHosts: []string{"mock.ci.internal"}}})
	if status, _, body := h.send(rawRequest{method: "GET", path: "/__mock/users", host: "mock.ci.internal:8080"}); status != 200 {
		t.Fatalf("the allowed host was refused: %d %s", status, body)
	}
	if status, _, _ := h.send(rawRequest{method: "GET", path: "/__mock/users", host: "other.ci.internal"}); status != 403 {
		t.Fatalf("a host that was not allowed got %d", status)
	}
}

func TestTheControlTokenGuardsEveryControlEndpointButConsentAndHealth(t *testing.T) {
	const tok = "ctl-4b1d9e0c7a2f"
	h := newHarness(t, mock.Options{Control: guard.Options{Token: tok}})
	spec := conformance.ControlSpec(t)
	withToken := map[string]string{"Authorization": "Bearer " + tok}
	_, _, before := h.send(rawRequest{method: "GET", path: "/__mock/state", header: withToken})
	for _, auth := range []string{"", "Bearer wrong", "Bearer " + tok + "x", "Basic " + tok} {
		hdr := map[string]string{}
		if auth != "" {
			hdr["Authorization"] = auth
		}
		status, rh, body := h.send(rawRequest{method: "POST", path: "/__mock/reset", header: hdr})
		wantRefusal(t, spec, "resetMock", status, rh, body, http.StatusUnauthorized, guard.NameInvalidControlToken)
		if !strings.HasPrefix(rh.Get("WWW-Authenticate"), "Bearer") {
			t.Fatalf("a 401 without a Bearer challenge: %v", rh)
		}
		if bytes.Contains(body, []byte(tok)) {
			t.Fatalf("the refusal repeats the token: %s", body)
		}
	}
	status, _, body := h.send(rawRequest{method: "GET", path: "/__mock/state", header: withToken})
	if status != 200 || !bytes.Equal(body, before) {
		t.Fatalf("the right token was refused, or a refused reset changed the world: %d", status)
	}
	if status, _, body := h.send(rawRequest{method: "GET", path: "/__mock/health"}); status != 200 {
		t.Fatalf("health must answer readiness probes without the token: %d %s", status, body)
	}
	// The consent form reaches its handler (which refuses the unknown request id on its own).
	status, _, body = h.send(rawRequest{method: "POST", path: "/__mock/consent", body: "request=unknown&account=2046371&decision=approve",
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
	if status == http.StatusUnauthorized || bytes.Contains(body, []byte(guard.NameInvalidControlToken)) {
		t.Fatalf("the consent form needed the control token: %d %s", status, body)
	}
}
