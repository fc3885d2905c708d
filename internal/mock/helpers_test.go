package mock_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/restreamkit/restreamkit/api/gen/controlapi"
	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
	"github.com/restreamkit/restreamkit/internal/conformance"
	"github.com/restreamkit/restreamkit/internal/mock"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// Fixture users and the dev client.
const (
	nova        = conformance.Nova
	techtalks   = conformance.Techtalks
	quiet       = conformance.Quiet
	devClient   = conformance.DevClient
	devRedirect = conformance.DevRedirect
)

// Helpers shared with the conformance suites.
var (
	devConfig    = conformance.DevConfig
	walkConsent  = conformance.WalkConsent
	isOAuthError = conformance.IsOAuthError
	wantError    = conformance.WantError
	noRedirect   = conformance.NoRedirect
)

// target is the harness as a conformance target: the app and the control API are the mock.
func (h *harness) target() conformance.Target { return conformance.Target{API: h.url, Control: h.url} }

// harness is a mock served over real HTTP, with every response checked against the spec.
type harness struct {
	t      *testing.T
	srv    *mock.Server
	ts     *httptest.Server
	url    string
	ctl    *controlapi.ClientWithResponses
	seen   map[string]bool // operations answered with a 2xx, for coverage checks
	seenMu sync.Mutex
}

// newHarness starts a mock. Any response that does not conform to the spec fails the test.
func newHarness(t *testing.T, opts mock.Options) *harness {
	t.Helper()
	h := &harness{t: t, seen: map[string]bool{}}
	opts.OnResponseViolation = func(op string, status int, vs []validate.Violation) {
		t.Errorf("the mock answered %s with a %d that breaks the spec: %v", op, status, vs)
	}
	srv, err := mock.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	h.srv = srv
	h.ts = httptest.NewServer(recordNames(srv.Handler(), srv.Spec()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutting the mock down: %v", err)
		}
		h.ts.Close()
	})
	h.url = h.ts.URL
	h.ctl, err = controlapi.NewClientWithResponses(h.url)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// token mints an access token for a user through the control API, with the dev client's scopes
// or the given ones.
func (h *harness) token(user int64, scopes ...string) string {
	h.t.Helper()
	return h.pair(user, scopes...).AccessToken
}

// pair mints a token pair like token does.
func (h *harness) pair(user int64, scopes ...string) *controlapi.IssuedToken {
	h.t.Helper()
	body := controlapi.IssueTokenJSONRequestBody{UserId: user}
	if scopes != nil {
		body.Scopes = &scopes
	}
	res, err := h.ctl.IssueTokenWithResponse(context.Background(), body)
	if err != nil || res.JSON201 == nil {
		h.t.Fatalf("issuing a token: %v %v", err, res)
	}
	return res.JSON201
}

// client returns a generated Restream API client that sends the token.
func (h *harness) client(token string) *restreamapi.ClientWithResponses {
	h.t.Helper()
	c, err := restreamapi.NewClientWithResponses(h.url, restreamapi.WithRequestEditorFn(
		func(_ context.Context, r *http.Request) error {
			if token != "" {
				r.Header.Set("Authorization", "Bearer "+token)
			}
			return nil
		}))
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// do sends a request with an optional bearer token and Content-Type and returns the status,
// headers and body.
func (h *harness) do(method, path, token, contentType string, body []byte) (int, http.Header, []byte) {
	h.t.Helper()
	header := map[string]string{}
	if token != "" {
		header["Authorization"] = "Bearer " + token
	}
	if contentType != "" {
		header["Content-Type"] = contentType
	}
	return h.send(rawRequest{method: method, path: path, body: string(body), header: header})
}

// rawRequest is one request exactly as an attacker or a tool would send it.
type rawRequest struct {
	method, path, body string
	host               string            // "" keeps the test server's own
	header             map[string]string // extra headers, each sent once under exactly this name
}

// send sends rr over real HTTP and returns the status, headers and body.
func (h *harness) send(rr rawRequest) (int, http.Header, []byte) {
	h.t.Helper()
	req, err := newRequest(rr.method, h.url+rr.path, []byte(rr.body))
	if err != nil {
		h.t.Fatal(err)
	}
	if rr.host != "" {
		req.Host = rr.host
	}
	for k, v := range rr.header {
		req.Header[k] = []string{v}
	}
	res, err := noRedirect.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return res.StatusCode, res.Header, data
}

// state exports the whole world, for before/after comparisons.
func (h *harness) state() string {
	h.t.Helper()
	status, _, body := h.do("GET", "/__mock/state", "", "", nil)
	if status != 200 {
		h.t.Fatalf("export: %d %s", status, body)
	}
	return string(body)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newRequest(method, target string, body []byte) (*http.Request, error) {
	req, err := http.NewRequest(method, target, bytes.NewReader(body))
	if err == nil && len(body) == 0 {
		req.Body = http.NoBody
	}
	return req, err
}

func readAll(t *testing.T, res *http.Response) []byte {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ioPipe() (*io.PipeReader, *io.PipeWriter) { return io.Pipe() }

func mustParseUUID(t *testing.T, s string) uuid.UUID {
	t.Helper()
	id, err := uuid.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
