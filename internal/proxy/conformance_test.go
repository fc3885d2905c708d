package proxy_test

import (
	"testing"

	"github.com/restreamkit/restreamkit/internal/conformance"
	"github.com/restreamkit/restreamkit/internal/proxy"
)

// TestTheMockConformsThroughTheProxy runs restream-mock's whole happy-path suite through the
// proxy with both directions validated, in report mode and with responses enforced: the proxy
// must record no violation and refuse nothing.
func TestTheMockConformsThroughTheProxy(t *testing.T) {
	for _, mode := range []proxy.Mode{proxy.Report, proxy.Enforce} {
		t.Run(string(mode), func(t *testing.T) {
			mockURL := startMock(t)
			p, proxyURL := startProxy(t, proxy.Options{Upstream: mustURL(t, mockURL), RequestMode: proxy.Report,
				ResponseMode: mode, AddViolationsHeader: mode == proxy.Enforce})
			tg := conformance.Target{API: proxyURL, Control: mockURL}
			conformance.HappyPaths(t, tg)
			if n := p.Violations(); n != 0 {
				t.Fatalf("the proxy recorded %d violations for the happy paths:\n%s", n, violations(t, p))
			}
		})
	}
}

// TestEveryExampleCrossesTheProxyCleanly replays every example through the proxy. Error examples
// that send a malformed request (the documented 400s) are the only violations allowed, and each
// must be a request violation.
func TestEveryExampleCrossesTheProxyCleanly(t *testing.T) {
	mockURL := startMock(t)
	p, proxyURL := startProxy(t, proxy.Options{Upstream: mustURL(t, mockURL)})
	conformance.ReplayExamples(t, conformance.Target{API: proxyURL, Control: mockURL})
	for _, rec := range p.Records() {
		if rec.Direction != "request" || rec.Status != 0 {
			t.Errorf("an example's response broke the contract through the proxy: %+v", rec)
		}
	}
}
