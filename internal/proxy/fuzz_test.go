package proxy_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/internal/proxy"
)

// FuzzRequestThroughTheProxy sends any method, path, query, content type, content coding and body
// through the proxy in enforce mode (what breaks the contract is refused, the rest reaches an
// upstream that answers 204): the proxy answers every one with 204, a 4xx envelope, a 502 envelope
// for what the upstream transport itself refuses to send, or ServeMux's redirect of an unclean
// path — never another 5xx, never a panic.
func FuzzRequestThroughTheProxy(f *testing.F) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	f.Cleanup(up.Close)
	u, _ := url.Parse(up.URL)
	p, err := proxy.New(proxy.Options{Upstream: u, RequestMode: proxy.Enforce, ResponseMode: proxy.Off, MaxValidateBytes: 4 << 10})
	if err != nil {
		f.Fatal(err)
	}
	h := p.Handler()
	gz := encode(f, []byte(`{"title":"x","streamType":"webcam"}`), "gzip")
	f.Add("GET", "/v2/user/profile", "", "", "", []byte(nil))
	f.Add("GET", "/v2/user/events/history", "page=9223372036854775807&limit=100", "", "", []byte(nil))
	f.Add("PATCH", "/v2/user/channel/1e3", "", "application/json", "", []byte(`{"active":true}`))
	f.Add("POST", "/oauth/token", "", "application/x-www-form-urlencoded", "", []byte("grant_type=refresh_token&refresh_token=a%zz"))
	f.Add("POST", "/v2/user/events/new", "", "application/json", "gzip", gz)
	f.Add("POST", "/v2/user/events/new", "", "application/json", "deflate, br", gz)
	f.Add("BREW", "/nope/"+strings.Repeat("x", 3000), "accessToken=abc&x-api-key=def", "", "", []byte(nil))
	f.Fuzz(func(t *testing.T, method, path, query, ctype, cenc string, body []byte) {
		if method == "" || strings.ContainsAny(method, " \t\r\n()<>@,;:\\\"/[]?={}") || !strings.HasPrefix(path, "/") ||
			strings.HasPrefix(path, proxy.MockPrefix) {
			t.Skip("not a request net/http would hand the proxy")
		}
		req := &http.Request{Method: method, URL: &url.URL{Path: path, RawQuery: query}, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{"Authorization": {bearer}}, Host: "proxy.test", RequestURI: path, RemoteAddr: "192.0.2.1:1234",
			Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body))}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if cenc != "" {
			req.Header.Set("Content-Encoding", cenc)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req.WithContext(t.Context()))
		if rec.Code/100 == 3 && rec.Header().Get("Location") != "" {
			return // net/http's ServeMux sends "/a/../b" and "/." to their clean path
		}
		if rec.Code >= 500 && rec.Code != http.StatusBadGateway {
			t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
		}
		if rec.Code != http.StatusNoContent && !bytes.HasPrefix(rec.Body.Bytes(), []byte(`{"error":{`)) {
			t.Fatalf("%s %s: a %d without the error envelope: %s", method, path, rec.Code, rec.Body)
		}
	})
}

// FuzzParseFilter feeds the dashboard's filter parser (its GET form and the live feed's query,
// reachable from the network) made-up queries: it never panics, an error names the field, and
// a filter it accepts reads back the same from its own query.
func FuzzParseFilter(f *testing.F) {
	for _, seed := range []string{"", "operation=updateChannel&status=4xx&violations=on", "status=404", "status=700",
		"status=9xx", "status=%00%00%00", "operation=%3Cscript%3E", "violations=yes", "status=4XX&status=200", "operation=websocket+chat"} {
		f.Add(seed)
	}
	known := func(s string) bool {
		return s == "updateChannel" || s == "websocket chat" || s == proxy.UnknownOperation
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		flt, err := proxy.ParseFilter(q, known)
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "operation:") && !strings.HasPrefix(msg, "status:") && !strings.HasPrefix(msg, "violations:") {
				t.Fatalf("the error names no field: %q", msg)
			}
			return
		}
		again, err := url.ParseQuery(flt.Query())
		if err != nil {
			t.Fatal(err)
		}
		if back, err := proxy.ParseFilter(again, known); err != nil || back != flt {
			t.Fatalf("%q: %+v reads back as %+v (%v)", raw, flt, back, err)
		}
	})
}
