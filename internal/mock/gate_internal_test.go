package mock

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/restreamkit/restreamkit/internal/oauth"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// lockedBuffer is a log sink the server's goroutines and the test can share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newTestServer(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutting down: %v", err)
		}
	})
	return s
}

// TestAPanickingHandlerIsAnswered500AndTheServerKeepsServing replaces one handler with a panicking
// one (only this test does so; no other test relies on the recover). The gate answers the 500
// envelope with a request id, logs the panic under the same id without the request's token, and
// serves the next requests.
func TestAPanickingHandlerIsAnswered500AndTheServerKeepsServing(t *testing.T) {
	var logs lockedBuffer
	s := newTestServer(t, Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	pair, err := s.OAuth().Issue(s.DefaultUser(), "restreamkit-dev", oauth.AllScopes)
	if err != nil {
		t.Fatal(err)
	}
	tok := pair.AccessToken
	// echo replaces the handler of an existing route; the gate still runs around it.
	s.echo.GET("/v2/user/profile", func(echo.Context) error { panic("boom with Bearer " + tok) })
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()

	get := func(path string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, ts.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, body
	}
	for range 2 {
		status, body := get("/v2/user/profile?access_token=" + tok)
		var env struct {
			Error struct {
				StatusCode int    `json:"statusCode"`
				Name       string `json:"name"`
				Message    string `json:"message"`
			} `json:"error"`
		}
		if status != 500 || json.Unmarshal(body, &env) != nil || env.Error.StatusCode != 500 || env.Error.Name != "internal_server_error" {
			t.Fatalf("a panicking handler: %d %s, want the 500 envelope", status, body)
		}
		_, id, ok := strings.Cut(env.Error.Message, "(request ")
		id = strings.TrimSuffix(id, ")")
		if !ok || len(id) != 16 {
			t.Fatalf("the 500 must name a request id: %q", env.Error.Message)
		}
		if !strings.Contains(logs.String(), `"request_id":"`+id+`"`) {
			t.Fatalf("no log line names request %s: %s", id, logs.String())
		}
		if status, body := get("/v2/user/channel/all"); status != 200 {
			t.Fatalf("after the panic, another operation: %d %s", status, body)
		}
	}
	if strings.Contains(logs.String(), tok) {
		t.Fatalf("the log holds the access token: %s", logs.String())
	}
	if !strings.Contains(logs.String(), "handler panicked") || !strings.Contains(logs.String(), "getUserProfile") {
		t.Fatalf("the log must say which operation panicked: %s", logs.String())
	}
}

// TestTheRoutesMustMatchTheSpecs: New refuses handlers that do not serve exactly the specs'
// operations, one echo route each.
func TestTheRoutesMustMatchTheSpecs(t *testing.T) {
	s := newTestServer(t, Options{})
	all := s.echo.Routes()
	if _, err := newRoutes(all, s.spec, s.control); err != nil {
		t.Fatalf("the real routes: %v", err)
	}
	missing := all[1:]
	if _, err := newRoutes(missing, s.spec, s.control); err == nil || !strings.Contains(err.Error(), "has no echo route") {
		t.Fatalf("an operation without a route must be refused, got %v", err)
	}
	extra := append(append([]*echo.Route{}, all...), &echo.Route{Method: http.MethodGet, Path: "/v2/user/secret"})
	if _, err := newRoutes(extra, s.spec, s.control); err == nil || !strings.Contains(err.Error(), "no operation") {
		t.Fatalf("a route without an operation must be refused, got %v", err)
	}
}

// routeBoth routes one request with echo (through the gate's table) and with the spec's own router,
// as the gate did before echo became the only router, and reports any difference.
func routeBoth(t *testing.T, s *Server, method, target string) {
	t.Helper()
	u, err := url.ParseRequestURI(target)
	if err != nil || u.Path == "" || u.Path[0] != '/' || u.Host != "" || strings.ContainsAny(target, " \t") {
		return // net/http refuses it before any router
	}
	if u.RawPath != "" && u.EscapedPath() != u.RawPath {
		// A raw path with bytes that should have been escaped (say "é%2F"): the spec's router
		// re-escapes the decoded path, turning %2F into a separator, while echo keeps the raw
		// path and the %2F inside its segment. The mock now follows echo; the proxy still the
		// spec's router.
		return
	}
	r := &http.Request{Method: method, URL: u, RequestURI: target, Header: http.Header{}}
	c := s.echo.NewContext(r, httptest.NewRecorder())
	s.echo.Router().Find(method, echo.GetPath(r), c)
	got, gotErr := s.routes.find(c, r)

	spec := s.spec
	if strings.HasPrefix(r.URL.Path, "/__mock/") {
		spec = s.control
	}
	var pp validate.PathParams
	want, v, allow := spec.Find(method, r.URL.EscapedPath(), &pp)
	switch {
	case v != nil && v.Rule == validate.RuleMethodNotAllowed:
		if gotErr == nil || !strings.Contains(gotErr.Error(), "allowed: "+allow+")") {
			t.Fatalf("%s %s: the spec's router answers 405 (allow %s), the gate %v %v", method, target, allow, got.op, gotErr)
		}
	case v != nil:
		if gotErr == nil || !strings.Contains(gotErr.Error(), "no route") {
			t.Fatalf("%s %s: the spec's router answers 404, the gate %v %v", method, target, got.op, gotErr)
		}
	default:
		if gotErr != nil || got.op != want {
			t.Fatalf("%s %s: the spec's router finds %s, the gate %v %v", method, target, want.ID, got.op, gotErr)
		}
		var echoPP validate.PathParams
		echoPP.Set(got.op, c.ParamValues(), r.URL.RawPath != "")
		for i := range pp.Len() {
			if a, b := pp.Value(i), echoPP.Value(i); a != b {
				t.Fatalf("%s %s: parameter %s is %q by the spec's router, %q by echo", method, target, pp.Name(i), a, b)
			}
		}
	}
}

var routingSeeds = []struct{ method, target string }{
	{"GET", "/v2/user/channel/all"}, {"GET", "/v2/user/channel/5120001"}, {"PATCH", "/v2/user/channel/1"},
	{"DELETE", "/v2/user/channel/1"}, {"OPTIONS", "/v2/user/channel/1"}, {"HEAD", "/v2/user/profile"},
	{"GET", "/v2/user/channel/1/2"}, {"DELETE", "/v2/user/channel/1/2"}, {"GET", "/v2/user/channel/"},
	{"GET", "/v2/user/channel/all/x"}, {"GET", "/v2/user/events//streamKey"}, {"GET", "/v2/user/events/upcoming/streamKey"},
	{"GET", "/v2/user/events/x/srt/streamKey"}, {"GET", "/v2/user/events/x/srt"}, {"GET", "/v2/user/profile/"},
	{"GET", "/v2/user/channel/a%2Fb"}, {"GET", "/v2/user/channel/%61ll"}, {"GET", "/v2/user/channel/a%20b"},
	{"GET", "/v2/user/clips/projects/x/y"}, {"DELETE", "/__mock/faults/a/b"}, {"DELETE", "/__mock/faults/"},
	{"GET", "/__mock/journal"}, {"POST", "/__mock/journal"}, {"GET", "/__mock/nothing"}, {"GET", "/"},
	{"GET", "/login"}, {"POST", "/oauth/token"}, {"GET", "/oauth/token"}, {"FOO", "/v2/user/profile"},
	{"POST", "/v2/user/storage/files/x/download-url"}, {"GET", "/V2/user/profile"}, {"GET", "//v2/user/profile"},
}

// TestEchoRoutesAsTheSpecDoes: echo, the mock's only router, reaches the verdict the spec's own
// router reaches (the one the proxy uses): the same operation and parameters, or 404, or 405 with
// the same Allow list.
func TestEchoRoutesAsTheSpecDoes(t *testing.T) {
	s := newTestServer(t, Options{})
	for _, op := range append(s.spec.Operations(), s.control.Operations()...) {
		target := strings.NewReplacer("{", "", "}", "").Replace(op.Path)
		routeBoth(t, s, op.Method, target)
	}
	for _, seed := range routingSeeds {
		routeBoth(t, s, seed.method, seed.target)
	}
}

// FuzzEchoRoutesAsTheSpecDoes is TestEchoRoutesAsTheSpecDoes on arbitrary methods and targets:
// `go test -fuzz FuzzEchoRoutesAsTheSpecDoes ./internal/mock`.
func FuzzEchoRoutesAsTheSpecDoes(f *testing.F) {
	for _, seed := range routingSeeds {
		f.Add(seed.method, seed.target)
	}
	s := newTestServer(f, Options{})
	f.Fuzz(func(t *testing.T, method, target string) {
		if method == "" || strings.ContainsAny(method, " \t\r\n/") {
			return // not a method net/http delivers
		}
		routeBoth(t, s, method, target)
	})
}

// TestBinderErrorsBecomeTheEnvelope: should the generated binder refuse a request the gate let
// through (the fuzz targets prove it does not), the answer is still a 400 envelope that names the
// parameter or field, without Go's error text.
func TestBinderErrorsBecomeTheEnvelope(t *testing.T) {
	s := newTestServer(t, Options{})
	op := func(id string) *validate.Operation {
		o, ok := s.spec.Operation(id)
		if !ok {
			t.Fatalf("no operation %s", id)
		}
		return o
	}
	typeErr := json.Unmarshal([]byte(`{"PlatformId":29.0}`), &struct{ PlatformId int }{})
	syntaxErr := json.Unmarshal([]byte(`{"a":`), &struct{}{})
	_, timeErr := time.Parse(time.RFC3339, "2030-01-01T00:00:60Z")
	cases := []struct {
		name     string
		op       *validate.Operation
		err      *echo.HTTPError
		errName  string
		mentions []string
	}{
		{"a path parameter", op("updateChannel"), echo.NewHTTPError(400, "Invalid format for parameter id: error binding string parameter: strconv.ParseInt: parsing \"1e3\": invalid syntax"),
			"invalid_path_params", []string{`"id"`}},
		{"a query parameter", op("listEventHistory"), echo.NewHTTPError(400, "Invalid format for parameter page: strconv.ParseInt: value out of range"),
			"invalid_query_params", []string{`"page"`}},
		{"a query parameter of the authorize dialog", op("showAuthorizeDialog"), echo.NewHTTPError(400, "Invalid format for parameter state: x"),
			"invalid_request", []string{`"state"`}},
		{"a field of the wrong type", op("addChannel"), echo.NewHTTPError(400, "Unmarshal type error").SetInternal(typeErr),
			"invalid_body_params", []string{`"PlatformId"`, "integer"}},
		{"a body that is not JSON", op("addChannel"), echo.NewHTTPError(400, "Syntax error").SetInternal(syntaxErr),
			"invalid_body_params", []string{"not valid JSON"}},
		{"a date-time Go cannot read", op("createEvent"), echo.NewHTTPError(400, "parsing time").SetInternal(timeErr),
			"invalid_body_params", []string{"2030-01-01T00:00:60Z"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r = r.WithContext(context.WithValue(r.Context(), infoKey{}, &reqInfo{op: tc.op}))
			w := httptest.NewRecorder()
			s.writeError(tc.err, s.echo.NewContext(r, w))
			var env struct {
				Error struct {
					StatusCode    int
					Name, Message string
				} `json:"error"`
			}
			if w.Code != 400 || json.Unmarshal(w.Body.Bytes(), &env) != nil || env.Error.Name != tc.errName {
				t.Fatalf("%d %s, want a 400 %s envelope", w.Code, w.Body, tc.errName)
			}
			for _, m := range tc.mentions {
				if !strings.Contains(env.Error.Message, m) {
					t.Fatalf("%q does not mention %s", env.Error.Message, m)
				}
			}
			if strings.Contains(env.Error.Message, "strconv") || strings.Contains(env.Error.Message, "Unmarshal") {
				t.Fatalf("the message carries Go's error text: %q", env.Error.Message)
			}
		})
	}
}
