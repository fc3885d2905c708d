// Package conformance holds the suites that prove restream-mock behaves as the spec and the
// examples say: every operation's happy path through the generated client, every example
// replayed, every refusal documented, and (Reads, Writes) what any Restream API must do for an
// account's own token. They run against a Target, so the same suites run against the mock
// directly, through restream-proxy (which must then report no violation), and, through the
// restream-check command, against the real API. They take a T: the package's tests pass their
// *testing.T, the command a recorder of its own.
package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/restreamkit/restreamkit/api/gen/controlapi"
	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// Fixture users and the dev client (examples/operations, examples/mock/oauth.json).
const (
	Nova      int64 = 2046371 // the default user: channels, events, files, clips
	Techtalks int64 = 3189024 // different data, no SRT
	Quiet     int64 = 4410087 // one channel, nothing else

	DevClient   = "restreamkit-dev"
	DevSecret   = "restreamkit-dev-secret"
	DevRedirect = "http://localhost:3000/callback"
)

// Target is a mock to test: API is where an app sends Restream API calls (the mock, or a proxy in
// front of it); Control is the mock itself, for /__mock/ calls. ControlToken, when the mock runs
// with one (--control-token), goes with every control call.
type Target struct {
	API, Control string
	ControlToken string
}

// NoRedirect is an HTTP client that returns redirects instead of following them.
var NoRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (tg Target) control(t T) *controlapi.ClientWithResponses {
	t.Helper()
	c, err := controlapi.NewClientWithResponses(tg.Control, controlapi.WithRequestEditorFn(
		func(_ context.Context, r *http.Request) error {
			if tg.ControlToken != "" {
				r.Header.Set("Authorization", "Bearer "+tg.ControlToken)
			}
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Pair mints a token pair for a user through the control API, with the dev client's scopes or the
// given ones.
func (tg Target) Pair(t T, user int64, scopes ...string) *controlapi.IssuedToken {
	t.Helper()
	body := controlapi.IssueTokenJSONRequestBody{UserId: user}
	if scopes != nil {
		body.Scopes = &scopes
	}
	res, err := tg.control(t).IssueTokenWithResponse(context.Background(), body)
	if err != nil || res.JSON201 == nil {
		t.Fatalf("issuing a token: %v %v", err, res)
	}
	return res.JSON201
}

// Token mints an access token like Pair.
func (tg Target) Token(t T, user int64, scopes ...string) string {
	t.Helper()
	return tg.Pair(t, user, scopes...).AccessToken
}

// Reset puts the mock back to its fixtures.
func (tg Target) Reset(t T) {
	t.Helper()
	res, err := tg.control(t).ResetMockWithResponse(context.Background())
	if err != nil || res.StatusCode() != http.StatusNoContent {
		t.Fatalf("reset: %v %v", err, res)
	}
}

// Client returns a generated Restream API client on the API URL that sends the token.
func (tg Target) Client(t T, token string) *restreamapi.ClientWithResponses {
	t.Helper()
	c, err := restreamapi.NewClientWithResponses(tg.API, restreamapi.WithRequestEditorFn(
		func(_ context.Context, r *http.Request) error {
			if token != "" {
				r.Header.Set("Authorization", "Bearer "+token)
			}
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Do sends a raw request to the API URL and returns the status, headers and body.
func (tg Target) Do(t T, method, path, token, contentType string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	return tg.send(t, method, path, "", h, body)
}

// send sends a request with the given headers to the API URL, or to the control URL for a
// /__mock/ path, and returns the status, headers and body. path may carry a query; host, when
// set, replaces the Host header.
func (tg Target) send(t T, method, path, host string, h http.Header, body []byte) (int, http.Header, []byte) {
	t.Helper()
	base := tg.API
	if strings.HasPrefix(path, "/__mock/") {
		base = tg.Control
	}
	req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(body) == 0 {
		req.Body = http.NoBody
	}
	req.Header = h
	if host != "" {
		req.Host = host
	}
	res, err := NoRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, MaxAnswerBytes+1))
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > MaxAnswerBytes {
		t.Fatalf("%s %s: the answer is over %d bytes", method, path, MaxAnswerBytes)
	}
	return res.StatusCode, res.Header, data
}

// MaxAnswerBytes bounds the body of an answer the suites read: no answer of the Restream API
// comes near it, and against an unknown server the suites must not read without end.
const MaxAnswerBytes = 16 << 20

// Envelope is the error envelope as a client reads it.
type Envelope struct {
	Error struct {
		StatusCode int    `json:"statusCode"`
		Status     int    `json:"status"`
		Code       int    `json:"code"`
		Message    string `json:"message"`
		Name       string `json:"name"`
	} `json:"error"`
}

// WantError checks that a response is the envelope of the given status and name, and that its
// message mentions every word of mention.
func WantError(t T, status int, body []byte, wantStatus int, wantName string, mention ...string) {
	t.Helper()
	if status != wantStatus {
		t.Fatalf("status %d, want %d: %s", status, wantStatus, body)
	}
	var e Envelope
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("the body is not the error envelope: %v: %s", err, body)
	}
	if e.Error.StatusCode != wantStatus || e.Error.Status != wantStatus || e.Error.Code != wantStatus {
		t.Fatalf("statusCode/status/code must all be %d: %s", wantStatus, body)
	}
	if e.Error.Name != wantName {
		t.Fatalf("error name %q, want %q: %s", e.Error.Name, wantName, body)
	}
	for _, m := range mention {
		if !strings.Contains(e.Error.Message, m) {
			t.Fatalf("message %q does not mention %q", e.Error.Message, m)
		}
	}
}

// Spec returns the compiled Restream spec.
func Spec(t T) *validate.Spec {
	t.Helper()
	s, err := validate.RestreamSpec()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// UserName names a fixture user for a test's name.
func UserName(user int64) string {
	switch user {
	case Nova:
		return "nova_plays"
	case Techtalks:
		return "techtalks_daily"
	case Quiet:
		return "quiet"
	}
	return strconv.FormatInt(user, 10)
}

// HasControl reports whether the target's control URL answers the mock's control API (its health
// operation): the mock does, directly or through restream-proxy; the real API does not.
func (tg Target) HasControl() bool {
	req, err := http.NewRequest(http.MethodGet, tg.Control+"/__mock/health", nil)
	if err != nil {
		return false
	}
	if tg.ControlToken != "" {
		req.Header.Set("Authorization", "Bearer "+tg.ControlToken)
	}
	res, err := NoRedirect.Do(req)
	if err != nil {
		return false
	}
	defer res.Body.Close()
	var health struct{ Status string }
	return res.StatusCode == http.StatusOK && json.NewDecoder(io.LimitReader(res.Body, 4096)).Decode(&health) == nil && health.Status != ""
}

// Snapshot exports the mock's world and settings; the function it returns imports them back, so
// that suites which reset the mock (HappyPaths, ReplayExamples) leave it as they found it.
func (tg Target) Snapshot(t T) (restore func(T)) {
	t.Helper()
	ctx := context.Background()
	ctl := tg.control(t)
	world, err := ctl.ExportStateWithResponse(ctx)
	if err != nil || world.StatusCode() != http.StatusOK {
		t.Fatalf("exporting the mock's state: %v %v", err, world)
	}
	settings, err := ctl.GetSettingsWithResponse(ctx)
	if err != nil || settings.JSON200 == nil {
		t.Fatalf("reading the mock's settings: %v %v", err, settings)
	}
	auto := settings.JSON200.AutoApprove
	return func(t T) {
		t.Helper()
		res, err := ctl.ImportStateWithBodyWithResponse(ctx, "application/json", bytes.NewReader(world.Body))
		if err != nil || res.StatusCode() != http.StatusNoContent {
			t.Fatalf("importing the mock's state back: %v %v", err, res)
		}
		tg.AutoApprove(t, auto)
	}
}

// AutoApprove turns the mock's auto-approve setting on or off. The suites expect it off, as a
// mock starts, and turn it on themselves where they need it.
func (tg Target) AutoApprove(t T, on bool) {
	t.Helper()
	res, err := tg.control(t).UpdateSettingsWithResponse(context.Background(), controlapi.SettingsUpdate{AutoApprove: &on})
	if err != nil || res.JSON200 == nil {
		t.Fatalf("setting the mock's auto-approve to %v: %v %v", on, err, res)
	}
}
