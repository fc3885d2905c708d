package guard

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestTheHostMustNameThisMachine(t *testing.T) {
	g, err := New(Options{AllowHosts: []string{"mock.internal", "10.0.0.5:8080"}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		host string
		ok   bool
	}{
		{"127.0.0.1:8080", true},
		{"127.0.0.1", true},
		{"127.4.5.6:1", true},
		{"[::1]:8080", true},
		{"[::1]", true},
		{"localhost:8080", true},
		{"LOCALHOST", true},
		{"localhost.:8080", true},
		{"app.localhost:5173", true},
		{"mock.internal:9999", true},
		{"10.0.0.5:8080", true},
		{"10.0.0.5:8081", false}, // allowed with one port only
		{"evil.example", false},
		{"evil.example:8080", false},
		{"localhost.evil.example", false},
		{"127.0.0.1.evil.example", false},
		{"192.168.1.10:8080", false},
		{"[::ffff:127.0.0.1]:80", true}, // an IPv4-mapped loopback address is loopback
		{"0.0.0.0:8080", false},
		{"", false},
		{":8080", false},
	}
	for _, tc := range cases {
		if got := g.HostAllowed(tc.host); got != tc.ok {
			t.Errorf("HostAllowed(%q) = %v, want %v", tc.host, got, tc.ok)
		}
	}
}

func TestAStarAllowsEveryHost(t *testing.T) {
	g, err := New(Options{AllowHosts: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	if !g.HostAllowed("evil.example") {
		t.Fatal(`"*" must turn the Host check off`)
	}
}

func TestMalformedOptionsAreRefused(t *testing.T) {
	for _, opts := range []Options{
		{AllowHosts: []string{"http://mock.internal/"}},
		{TrustedOrigins: []string{"localhost:5173"}},
	} {
		if _, err := New(opts); err == nil {
			t.Errorf("New(%+v) accepted a malformed option", opts)
		}
	}
}

func TestCheckRefusesEachThreatWithItsOwnName(t *testing.T) {
	g, err := New(Options{Token: "s3cret-control-token", TrustedOrigins: []string{"http://localhost:5173"}})
	if err != nil {
		t.Fatal(err)
	}
	req := func(method, host string, headers ...string) *http.Request {
		r := httptest.NewRequest(method, "http://"+host+"/__mock/reset", strings.NewReader("x"))
		for i := 0; i+1 < len(headers); i += 2 {
			r.Header.Set(headers[i], headers[i+1])
		}
		return r
	}
	const auth = "Bearer s3cret-control-token"
	cases := []struct {
		name      string
		r         *http.Request
		needToken bool
		want      string // "" for allowed
	}{
		{"a loopback request with the token passes", req("POST", "127.0.0.1:8080", "Authorization", auth), true, ""},
		{"a rebinding page's Host is refused first", req("GET", "evil.example:8080", "Authorization", auth), true, NameHostNotAllowed},
		{"a cross-site write is refused", req("POST", "127.0.0.1:8080", "Authorization", auth, "Sec-Fetch-Site", "cross-site"), true, NameCrossSiteRequest},
		{"a same-site write from another origin is refused", req("POST", "localhost:8080", "Authorization", auth, "Sec-Fetch-Site", "same-site"), true, NameCrossSiteRequest},
		{"an Origin that is not the Host is refused without Sec-Fetch-Site", req("DELETE", "127.0.0.1:8080", "Authorization", auth, "Origin", "http://evil.example"), true, NameCrossSiteRequest},
		{"a same-origin browser write passes", req("POST", "127.0.0.1:8080", "Authorization", auth, "Sec-Fetch-Site", "same-origin"), true, ""},
		{"a trusted origin may write", req("POST", "127.0.0.1:8080", "Authorization", auth, "Sec-Fetch-Site", "cross-site", "Origin", "http://localhost:5173"), true, ""},
		{"a cross-site read is left to the browser's same-origin policy", req("GET", "127.0.0.1:8080", "Authorization", auth, "Sec-Fetch-Site", "cross-site"), true, ""},
		{"a missing token is refused", req("POST", "127.0.0.1:8080"), true, NameInvalidControlToken},
		{"a wrong token is refused", req("POST", "127.0.0.1:8080", "Authorization", "Bearer s3cret-control-tokeN"), true, NameInvalidControlToken},
		{"a token prefix is refused", req("POST", "127.0.0.1:8080", "Authorization", "Bearer s3cret"), true, NameInvalidControlToken},
		{"Basic credentials are not the token", req("POST", "127.0.0.1:8080", "Authorization", "Basic s3cret-control-token"), true, NameInvalidControlToken},
		{"an exempt endpoint needs no token", req("POST", "127.0.0.1:8080"), false, ""},
		{"an exempt endpoint still checks the Host", req("POST", "evil.example"), false, NameHostNotAllowed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := g.Check(tc.r, tc.needToken)
			switch {
			case tc.want == "" && e != nil:
				t.Fatalf("refused: %v", e)
			case tc.want != "" && e == nil:
				t.Fatalf("allowed, want %s", tc.want)
			case e != nil && e.Name != tc.want:
				t.Fatalf("refused as %s, want %s", e.Name, tc.want)
			case e != nil && strings.Contains(e.Message, "s3cret"):
				t.Fatalf("the refusal repeats the token: %s", e.Message)
			}
		})
	}
}

func TestARefusalQuotesAHugeHostShortened(t *testing.T) {
	g, _ := New(Options{})
	r := httptest.NewRequest("GET", "/__mock/state", nil)
	r.Host = strings.Repeat("a", 10000) + ".example"
	e := g.Check(r, true)
	if e == nil || len(e.Message) > 512 {
		t.Fatalf("want a short refusal, got %v", e)
	}
}

func TestListenAddressesOnLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "[::1]:0": true, "localhost:8080": true,
		":8080": false, "0.0.0.0:8080": false, "[::]:8080": false, "192.168.1.10:80": false, "nonsense": false,
	} {
		if got := IsLoopbackAddr(addr); got != want {
			t.Errorf("IsLoopbackAddr(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestStrictOriginRefusesForeignOriginsOnEveryMethod(t *testing.T) {
	g, err := New(Options{StrictOrigin: true, TrustedOrigins: []string{"http://localhost:6274"}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, method, host, origin string
		ok                         bool
	}{
		{"no Origin (a tool, not a browser)", "GET", "127.0.0.1:9080", "", true},
		{"its own origin", "POST", "127.0.0.1:9080", "http://127.0.0.1:9080", true},
		{"a trusted origin", "POST", "127.0.0.1:9080", "http://localhost:6274", true},
		{"a foreign origin reading", "GET", "127.0.0.1:9080", "http://evil.example", false},
		{"a foreign origin posting", "POST", "127.0.0.1:9080", "https://evil.example", false},
		{"another port of this machine", "GET", "127.0.0.1:9080", "http://127.0.0.1:5173", false},
		{"a sandboxed frame", "GET", "127.0.0.1:9080", "null", false},
		{"a malformed origin", "GET", "127.0.0.1:9080", "http://127.0.0.1:9080/path", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "http://"+tc.host+"/mcp", nil)
			if tc.origin != "" {
				r.Header.Set("Origin", tc.origin)
			}
			e := g.Check(r, false)
			if (e == nil) != tc.ok {
				t.Fatalf("Check = %v, want allowed %v", e, tc.ok)
			}
			if e != nil && e.Name != NameCrossSiteRequest {
				t.Fatalf("refused as %s", e.Name)
			}
		})
	}
	lax, _ := New(Options{})
	r := httptest.NewRequest("GET", "http://127.0.0.1:9080/mcp", nil)
	r.Header.Set("Origin", "http://evil.example")
	if e := lax.Check(r, false); e != nil {
		t.Fatalf("without StrictOrigin a cross-origin read is left to the browser: %v", e)
	}
}
