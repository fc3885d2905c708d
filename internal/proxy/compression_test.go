package proxy_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/restreamkit/restreamkit/internal/conformance"
	"github.com/restreamkit/restreamkit/internal/proxy"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// plainClient never asks for compression on its own and never inflates: what it reads is what the
// proxy sent.
var plainClient = &http.Client{Transport: &http.Transport{DisableCompression: true}}

// encode applies content codings in order, as a server does for "Content-Encoding: a, b"
// ("raw" is DEFLATE without its zlib wrapper, which some servers send as "deflate").
func encode(t testing.TB, data []byte, codings ...string) []byte {
	t.Helper()
	for _, c := range codings {
		data = proxy.Compress(data, c)[c]
	}
	return data
}

// encodedUpstream answers with body under the given Content-Encoding and remembers the
// Accept-Encoding values it was sent.
type encodedUpstream struct {
	url            string
	acceptEncoding atomic.Pointer[[]string]
}

func newEncodedUpstream(t *testing.T, encoding string, body []byte) *encodedUpstream {
	u := &encodedUpstream{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ae := r.Header.Values("Accept-Encoding")
		u.acceptEncoding.Store(&ae)
		w.Header().Set("Content-Type", "application/json")
		if encoding != "" {
			w.Header().Set("Content-Encoding", encoding)
		}
		w.Write(body)
	}))
	t.Cleanup(ts.Close)
	u.url = ts.URL
	return u
}

// get sends a GET with the given Accept-Encoding (none when empty) through plainClient.
func get(t *testing.T, url, acceptEncoding string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", bearer)
	if acceptEncoding != "" {
		req.Header.Set("Accept-Encoding", acceptEncoding)
	}
	res, err := plainClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

func TestTheClientsAcceptEncodingIsForwardedExactly(t *testing.T) {
	for _, ae := range []string{"", "gzip", "br;q=1.0, gzip;q=0.8, *;q=0.1", "identity"} {
		t.Run("Accept-Encoding "+ae, func(t *testing.T) {
			up := newEncodedUpstream(t, "", []byte(`[]`))
			_, base := startProxy(t, proxy.Options{Upstream: mustURL(t, up.url)})
			get(t, base+"/v2/platform/all", ae)
			want := []string{}
			if ae != "" {
				want = []string{ae}
			}
			if got := *up.acceptEncoding.Load(); strings.Join(got, "|") != strings.Join(want, "|") {
				t.Fatalf("the upstream got Accept-Encoding %q, the client sent %q", got, want)
			}
		})
	}
}

// bomb is a gzip body that inflates to 128 MiB of zeros, about 130 KB on the wire: 128 gzip
// members of 1 MiB each (RFC 1952 §2.2), cheap to build even under the race detector.
var bomb = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write(make([]byte, 1<<20))
	zw.Close()
	return bytes.Repeat(b.Bytes(), 128)
})

func TestACompressionBombReachesTheClientAsSentAndIsDecodedOnlyToTheLimit(t *testing.T) {
	const limit = 1 << 20
	for _, tc := range []struct {
		name string
		opts proxy.Options
	}{
		{"while streaming", proxy.Options{}},
		{"buffered for enforce mode", proxy.Options{ResponseMode: proxy.Enforce}},
	} {
		for _, ae := range []string{"", "gzip"} {
			t.Run(tc.name+", Accept-Encoding "+ae, func(t *testing.T) {
				up := newEncodedUpstream(t, "gzip", bomb())
				opts := tc.opts
				opts.Upstream, opts.MaxValidateBytes = mustURL(t, up.url), limit
				p, base := startProxy(t, opts)
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				res, body := get(t, base+"/v2/platform/all", ae)
				runtime.ReadMemStats(&after)
				if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "gzip" || !bytes.Equal(body, bomb()) {
					t.Fatalf("the client must get the upstream's %d gzip bytes as they were: %d, %q, %d bytes",
						len(bomb()), res.StatusCode, res.Header.Get("Content-Encoding"), len(body))
				}
				// Inflating the whole body would allocate 128 MiB; decoding to the limit costs a few MiB.
				if grew := after.TotalAlloc - before.TotalAlloc; grew > 16*limit {
					t.Fatalf("the exchange allocated %d MiB: the proxy inflated past its %d-byte limit", grew>>20, limit)
				}
				rec := findRecord(t, p, validate.RuleTooLarge)
				if rec.Direction != validate.Response || !strings.Contains(rec.Message, "decodes to more than 1048576 bytes") {
					t.Fatalf("want the response recorded as too large once decoded, got %+v", rec)
				}
			})
		}
	}
}

// profileWithStringID breaks getUserProfile: its id must be an integer.
const profileWithStringID = `{"id":"2046371","username":"nova_plays","email":"nova@example.com"}`

func TestCompressedBodiesAreValidatedFromADecodedCopy(t *testing.T) {
	cases := []struct {
		name, header string // the Content-Encoding sent
		codings      []string
		rule         validate.Rule
		field        string
	}{
		{"gzip", "gzip", []string{"gzip"}, validate.RuleType, "/id"},
		{"x-gzip", "x-gzip", []string{"gzip"}, validate.RuleType, "/id"},
		{"deflate (zlib)", "deflate", []string{"deflate"}, validate.RuleType, "/id"},
		{"deflate sent raw", "deflate", []string{"raw"}, validate.RuleType, "/id"},
		{"two codings", "deflate, gzip", []string{"deflate", "gzip"}, validate.RuleType, "/id"},
		{"a coding the proxy does not decode", "br", nil, proxy.RuleNotValidated, "body"},
		{"a broken gzip body", "gzip", []string{"broken"}, validate.RuleSyntax, "body"},
	}
	for _, mode := range []proxy.Mode{proxy.Report, proxy.Enforce} {
		for _, tc := range cases {
			t.Run(string(mode)+"/"+tc.name, func(t *testing.T) {
				wire := []byte(profileWithStringID)
				switch {
				case len(tc.codings) == 1 && tc.codings[0] == "broken":
					wire = append(encode(t, wire, "gzip")[:20], "not gzip at all"...)
				case tc.codings != nil:
					wire = encode(t, wire, tc.codings...)
				}
				up := newEncodedUpstream(t, tc.header, wire)
				p, base := startProxy(t, proxy.Options{Upstream: mustURL(t, up.url), ResponseMode: mode})
				res, body := get(t, base+"/v2/user/profile", "gzip, deflate, br")
				refused := mode == proxy.Enforce && tc.rule != proxy.RuleNotValidated
				switch {
				case refused:
					conformance.WantError(t, res.StatusCode, body, 502, "response_validation_failed", string(tc.rule))
				case res.StatusCode != 200 || !bytes.Equal(body, wire) || res.Header.Get("Content-Encoding") != tc.header:
					t.Fatalf("the body must pass as it came: %d %q, %d of %d bytes", res.StatusCode, res.Header.Get("Content-Encoding"), len(body), len(wire))
				}
				rec := findRecord(t, p, tc.rule)
				if rec.Direction != validate.Response || rec.Field() != tc.field {
					t.Fatalf("want a response %s at %s, got %+v", tc.rule, tc.field, rec)
				}
			})
		}
	}
}

func TestACompressedRequestBodyIsValidatedAndForwardedAsSent(t *testing.T) {
	var got atomic.Pointer[[]byte]
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.Store(&b)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer up.Close()
	p, base := startProxy(t, proxy.Options{Upstream: mustURL(t, up.URL), ResponseMode: proxy.Off})
	wire := encode(t, []byte(`{"title":"x"}`), "gzip") // streamType is missing
	req, _ := http.NewRequest("POST", base+"/v2/user/events/new", bytes.NewReader(wire))
	req.Header.Set("Authorization", bearer)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	res, err := plainClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 204 || !bytes.Equal(*got.Load(), wire) {
		t.Fatalf("the upstream must get the compressed body as sent: %d", res.StatusCode)
	}
	if rec := findRecord(t, p, validate.RuleRequired); rec.Pointer != "/streamType" {
		t.Fatalf("want the missing /streamType found inside the gzip body, got %+v", rec)
	}
}
