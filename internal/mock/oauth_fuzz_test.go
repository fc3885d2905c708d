package mock_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/internal/mock"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// newFuzzServer builds a mock whose every response is checked against the spec: a response that
// breaks it fails the fuzz run like a 5xx does.
func newFuzzServer(f *testing.F) (*mock.Server, *[]string) {
	f.Helper()
	var broken []string
	srv, err := mock.New(mock.Options{OnResponseViolation: func(op string, status int, vs []validate.Violation) {
		broken = append(broken, op+": "+vs[0].Message)
	}})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		if err := srv.Shutdown(context.Background()); err != nil {
			f.Errorf("shutting the mock down: %v", err)
		}
	})
	return srv, &broken
}

// serve runs one request through the mock's handler in process and checks the answer: never a
// 5xx, always what the spec documents.
func serve(t *testing.T, srv *mock.Server, broken *[]string, req *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	*broken = (*broken)[:0]
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("%s %s answered %d: %s", req.Method, req.URL, rec.Code, rec.Body)
	}
	if len(*broken) > 0 {
		t.Fatalf("%s %s answered %d, which breaks the spec: %v", req.Method, req.URL, rec.Code, *broken)
	}
	return rec
}

// FuzzLoginQuery sends any query string to GET /login, with auto-approve on or off: the dialog
// answers 200, 302 or a 4xx envelope, never a 5xx, and always as the spec documents.
func FuzzLoginQuery(f *testing.F) {
	good := url.Values{"response_type": {"code"}, "client_id": {devClient}, "redirect_uri": {devRedirect}, "state": {"xyz"}}
	f.Add(good.Encode(), false)
	f.Add(good.Encode()+"&scope=channels.read,chat.read", true)
	f.Add(good.Encode()+"&state=second", false)
	f.Add("response_type=token&client_id=x", false)
	f.Add("response_type=code&client_id="+devClient+"&redirect_uri=https://evil.example/cb", true)
	f.Add("state="+strings.Repeat("s", 3000)+"&response_type=code", false)
	f.Add("%zz&;&=&&scope=%00", true)
	srv, broken := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, rawQuery string, autoApprove bool) {
		srv.OAuth().SetAutoApprove(autoApprove)
		req := &http.Request{Method: "GET", URL: &url.URL{Path: "/login", RawQuery: rawQuery},
			RequestURI: "/login?" + rawQuery, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{}, Body: http.NoBody, Host: "127.0.0.1"}
		rec := serve(t, srv, broken, req)
		if rec.Code == http.StatusFound && !strings.HasPrefix(rec.Header().Get("Location"), "http://localhost") &&
			!strings.HasPrefix(rec.Header().Get("Location"), "http://127.0.0.1") {
			t.Fatalf("the dialog redirected to an unregistered place: %q", rec.Header().Get("Location"))
		}
	})
}

// FuzzTokenEndpoint sends any body, Content-Type and Authorization header to POST /oauth/token:
// the answer is a token or a 4xx envelope, never a 5xx, and always as the spec documents.
func FuzzTokenEndpoint(f *testing.F) {
	const form = "application/x-www-form-urlencoded"
	basic := "Basic cmVzdHJlYW1raXQtZGV2OnJlc3RyZWFta2l0LWRldi1zZWNyZXQ=" // restreamkit-dev:restreamkit-dev-secret
	f.Add("grant_type=refresh_token&refresh_token="+strings.Repeat("a", 40), form, basic)
	f.Add("grant_type=authorization_code&code=abc&redirect_uri="+url.QueryEscape(devRedirect)+"&client_id=restreamkit-dev&client_secret=restreamkit-dev-secret", form, "")
	f.Add("grant_type=client_credentials", form, basic)
	f.Add(`{"grant_type":"refresh_token"}`, "application/json", basic)
	f.Add("grant_type=refresh_token&refresh_token=x&refresh_token=y", form+"; charset=utf-8", "Basic !!")
	f.Add("code_verifier="+strings.Repeat("v", 129), form, "")
	f.Add("%zz", form, "Bearer x")
	srv, broken := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, body, contentType, authorization string) {
		req := &http.Request{Method: "POST", URL: &url.URL{Path: "/oauth/token"}, RequestURI: "/oauth/token",
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{}, Host: "127.0.0.1",
			Body: io.NopCloser(bytes.NewReader([]byte(body))), ContentLength: int64(len(body))}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		serve(t, srv, broken, req)
	})
}
