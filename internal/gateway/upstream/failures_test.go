package upstream_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/restreamkit/restreamkit/internal/capability"
	"github.com/restreamkit/restreamkit/internal/gateway/upstream"
	"github.com/restreamkit/restreamkit/internal/report"
	"github.com/restreamkit/restreamkit/internal/validate"
)

func TestArgumentsThatDoNotFitAreRefusedBeforeAnythingIsSent(t *testing.T) {
	ts, hits := countingServer(t, func(w http.ResponseWriter, r *http.Request) {})
	c, _ := newClient(t, upstream.Options{BaseURL: mustURL(t, ts.URL+"/v2")})
	a := api(t, "tok")
	history := listEventHistory(t, a)
	update := updateChannel(t, a)
	cases := []struct {
		name  string
		call  *capability.Call
		args  map[string]any
		field string
		says  string
	}{
		{"a missing required id", update, map[string]any{"active": true}, "id", "required"},
		{"a missing required body field", update, map[string]any{"id": float64(1)}, "active", "required"},
		{"a null required id", update, map[string]any{"id": nil, "active": true}, "id", "required"},
		{"an id that is not a number", update, map[string]any{"id": "abc", "active": true}, "id", "integer"},
		{"an id with a fraction", update, map[string]any{"id": 1.5, "active": true}, "id", "integer"},
		{"an id of zero", update, map[string]any{"id": float64(0), "active": true}, "id", "at least 1"},
		{"an id past int64", update, map[string]any{"id": "99999999999999999999", "active": true}, "id", "integer"},
		{"a boolean given as text in a body", update, map[string]any{"id": float64(1), "active": "false"}, "active", "boolean"},
		{"a limit under the minimum", history, map[string]any{"limit": float64(0)}, "limit", "1"},
		{"a limit over the maximum", history, map[string]any{"limit": "101"}, "limit", "100"},
		{"a page that is an object", history, map[string]any{"page": map[string]any{"n": 1}}, "page", "integer"},
		{"a page that is a huge number", history, map[string]any{"page": 1e300}, "page", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Invoke(context.Background(), tc.call, tc.args)
			ae := argError(t, err)
			if ae.Field != tc.field || !strings.Contains(ae.Message, tc.says) {
				t.Errorf("ArgError{%q, %q}, want field %q saying %q", ae.Field, ae.Message, tc.field, tc.says)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the upstream got %d requests, want none", n)
	}
}

func TestPathValuesAreEscapedAsOneSegment(t *testing.T) {
	var got string
	ts, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) { got = r.URL.EscapedPath() })
	c, _ := newClient(t, upstream.Options{BaseURL: mustURL(t, ts.URL+"/v2")})
	id := &capability.Slot{Name: "eventId", SpecName: "id", In: "path", Required: true, Schema: map[string]any{"type": "string"}}
	call := bind("mcp get-event", op(t, api(t, "tok"), "getEvent", "/user/events/{eventId}", id))

	cases := []struct {
		value, path string
	}{
		{"plain-id", "/v2/user/events/plain-id"},
		{"a/b c?d#e%f", "/v2/user/events/a%2Fb%20c%3Fd%23e%25f"},
		{"é", "/v2/user/events/%C3%A9"},
	}
	for _, tc := range cases {
		invoke(t, c, call, map[string]any{"eventId": tc.value})
		if got != tc.path {
			t.Errorf("%q went to %s, want %s", tc.value, got, tc.path)
		}
	}
	for _, bad := range []string{"", ".", ".."} {
		_, err := c.Invoke(context.Background(), call, map[string]any{"eventId": bad})
		if ae := argError(t, err); ae.Field != "eventId" {
			t.Errorf("%q: ArgError on %q", bad, ae.Field)
		}
	}
}

func TestTemplatesAndLiteralsFillTheirSlots(t *testing.T) {
	var got *http.Request
	ts, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) { got = r })
	c, _ := newClient(t, upstream.Options{BaseURL: mustURL(t, ts.URL+"/v2")})
	page, limit := pageSlots()
	o := op(t, api(t, "tok"), "listEventHistory", "/user/events/history", page, limit)
	call := &capability.Call{Name: "rest GET /v1/events/history", Op: o, Bindings: []*capability.Binding{
		{Slot: page, Template: "{{rest.page}}"},
		{Slot: limit, Literal: float64(5)},
	}}

	invoke(t, c, call, map[string]any{"page": float64(3)})
	if q := got.URL.RawQuery; q != "limit=5&page=3" {
		t.Errorf("query %q, want limit=5&page=3", q)
	}
	invoke(t, c, call, map[string]any{})
	if q := got.URL.RawQuery; q != "limit=5" {
		t.Errorf("a template naming no input leaves its optional slot out, got query %q", q)
	}
}

func TestTheTokenGoesAsABearerHeaderFromItsSource(t *testing.T) {
	var auth string
	ts, hits := countingServer(t, func(w http.ResponseWriter, r *http.Request) { auth = r.Header.Get("Authorization") })
	cases := []struct {
		name   string
		tokens upstream.TokenSource
		static string
		want   string
		err    string
	}{
		{"the API's static token", nil, "static-token", "Bearer static-token", ""},
		{"a token source wins over the static token", tokenFunc(func() (string, error) { return "fresh", nil }), "static-token", "Bearer fresh", ""},
		{"no token, no header", nil, "", "", ""},
		{"a failing source sends nothing", tokenFunc(func() (string, error) { return "", errors.New("refresh failed") }), "", "", upstream.NameTokenUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newClient(t, upstream.Options{BaseURL: mustURL(t, ts.URL+"/v2"), Tokens: tc.tokens})
			auth = "unset"
			before := hits.Load()
			_, err := c.Invoke(context.Background(), listPlatforms(t, api(t, tc.static)), nil)
			if tc.err != "" {
				if ue := upstreamError(t, err); ue.Name != tc.err || hits.Load() != before {
					t.Fatalf("%v, and %d requests sent", ue, hits.Load()-before)
				}
				return
			}
			if err != nil || auth != tc.want {
				t.Errorf("Authorization %q (%v), want %q", auth, err, tc.want)
			}
		})
	}
}

type tokenFunc func() (string, error)

func (f tokenFunc) Token(context.Context) (string, error) { return f() }

func TestTransportFailuresBecome502Or504(t *testing.T) {
	closed := func(t *testing.T) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return "http://" + addr
	}
	serve := func(h http.HandlerFunc) func(t *testing.T) string {
		return func(t *testing.T) string {
			ts := httptest.NewServer(h)
			t.Cleanup(ts.Close)
			return ts.URL
		}
	}
	tlsServer := func(t *testing.T) string {
		ts := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is the point
		ts.StartTLS()
		t.Cleanup(ts.Close)
		return ts.URL // its certificate is not trusted
	}
	cases := []struct {
		name     string
		upstream func(t *testing.T) string
		opts     upstream.Options
		status   int
		errName  string
	}{
		{"a closed port is unavailable", closed, upstream.Options{}, 502, "upstream_unavailable"},
		{"an upstream that never answers times out", serve(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }),
			upstream.Options{Timeout: 100 * time.Millisecond}, 504, "upstream_timeout"},
		{"an untrusted certificate is a TLS error", tlsServer, upstream.Options{}, 502, "upstream_tls_error"},
		{"a connection cut mid-answer is a reset", serve(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1000")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`[{"id":1`))
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
		}), upstream.Options{}, 502, "upstream_reset"},
		{"an answer over the size limit is too large", serve(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`["` + strings.Repeat("x", 2000) + `"]`))
		}), upstream.Options{MaxResponseBytes: 1000}, 502, "upstream_too_large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.BaseURL = mustURL(t, tc.upstream(t)+"/v2")
			c, _ := newClient(t, tc.opts)
			res, err := c.Invoke(context.Background(), listPlatforms(t, api(t, "tok")), nil)
			ue := upstreamError(t, err)
			if res != nil || ue.Status != tc.status || ue.Name != tc.errName || ue.Message == "" {
				t.Errorf("got %+v (result %v), want %d %s", ue, res, tc.status, tc.errName)
			}
		})
	}
}

func TestACallerThatGivesUpEndsTheCall(t *testing.T) {
	started := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done()
	}))
	t.Cleanup(ts.Close)
	c, _ := newClient(t, upstream.Options{BaseURL: mustURL(t, ts.URL+"/v2")})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	_, err := c.Invoke(ctx, listPlatforms(t, api(t, "tok")), nil)
	if ue := upstreamError(t, err); ue.Name != upstream.NameCanceled || !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want request_canceled wrapping context.Canceled", err)
	}
}

func TestEnforceModeRefusesAnInvalidRequestWithoutSendingIt(t *testing.T) {
	ts, hits := countingServer(t, func(w http.ResponseWriter, r *http.Request) {})
	// The capability file, not the caller, gives active a value the spec refuses.
	build := func(t *testing.T) *capability.Call {
		o := op(t, api(t, "tok"), "updateChannel", "/user/channel/{id}", channelIDSlot(), activeSlot())
		return &capability.Call{Name: "mcp disable-channel", Op: o, Bindings: []*capability.Binding{
			{Slot: o.Slots[0], Input: "id"},
			{Slot: o.Slots[1], Literal: "no"},
		}}
	}
	cases := []struct {
		mode upstream.Mode
		sent int64
	}{
		{upstream.Enforce, 0},
		{upstream.Report, 1},
	}
	for _, tc := range cases {
		t.Run(string(tc.mode), func(t *testing.T) {
			c, out := newClient(t, upstream.Options{BaseURL: mustURL(t, ts.URL+"/v2"), Mode: tc.mode})
			before := hits.Load()
			res, err := c.Invoke(context.Background(), build(t), map[string]any{"id": float64(7)})
			if sent := hits.Load() - before; sent != tc.sent {
				t.Fatalf("%d requests reached the upstream, want %d", sent, tc.sent)
			}
			if tc.mode == upstream.Enforce {
				if ue := upstreamError(t, err); ue.Status != 502 || ue.Name != "request_refused" || !strings.Contains(ue.Message, "/active") {
					t.Errorf("got %+v", ue)
				}
			} else if err != nil || res.Violations == 0 {
				t.Errorf("report mode sends and counts the violation: %v %+v", err, res)
			}
			recs := reportLines(t, out.report.String())
			if len(recs) == 0 || recs[0].Direction != validate.Request || recs[0].Pointer != "/active" || recs[0].OperationID != "updateChannel" {
				t.Errorf("report lines %+v", recs)
			}
		})
	}
}

func TestEnforceModeLetsTheUpstreamAnswerAMissingToken(t *testing.T) {
	ts, hits := countingServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusUnauthorized) })
	c, out := newClient(t, upstream.Options{BaseURL: mustURL(t, ts.URL+"/v2"), Mode: upstream.Enforce})
	res := invoke(t, c, getChannel(t, api(t, "")), map[string]any{"id": float64(7)})
	if hits.Load() != 1 || res.Status != http.StatusUnauthorized {
		t.Fatalf("status %d after %d requests", res.Status, hits.Load())
	}
	if recs := reportLines(t, out.report.String()); len(recs) == 0 || recs[0].Rule != validate.RuleSecurity {
		t.Errorf("the missing credentials are still reported: %+v", recs)
	}
}

// reportLines parses JSON lines of a report.
func reportLines(t *testing.T, s string) []report.Record {
	t.Helper()
	var recs []report.Record
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		var r report.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("a report line is not JSON: %q", sc.Text())
		}
		recs = append(recs, r)
	}
	return recs
}

func TestANonConformingAnswerIsReportedAndStillReturned(t *testing.T) {
	ts, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"seven","displayName":"x","active":"yes"}`)
	})
	c, out := newClient(t, upstream.Options{BaseURL: mustURL(t, ts.URL+"/v2")})

	res := invoke(t, c, getChannel(t, api(t, "tok"), channelSummary()), map[string]any{"id": float64(7)})

	if res.Status != 200 || res.Violations == 0 {
		t.Fatalf("status %d with %d violations", res.Status, res.Violations)
	}
	recs := reportLines(t, out.report.String())
	pointers := map[string]bool{}
	for _, r := range recs {
		if r.Direction != validate.Response || r.OperationID != "getChannel" || r.Call != "mcp get-channel" ||
			r.Status != 200 || r.Method != "GET" || r.Path != "/v2/user/channel/7" || r.RequestID == "" {
			t.Errorf("report line %+v", r)
		}
		pointers[r.Pointer] = true
	}
	if len(recs) != res.Violations || !pointers["/id"] || !pointers["/active"] {
		t.Errorf("%d violations, report lines %+v", res.Violations, recs)
	}
}

func TestALargeAnswerIsTruncatedWithANotice(t *testing.T) {
	_, c, _, _ := mockClient(t, upstream.Options{MaxResultBytes: 300})
	res := invoke(t, c, listPlatforms(t, api(t, "")), nil)
	if !res.Truncated || res.Value != nil || res.Status != 200 {
		t.Fatalf("truncated %v, value %v, status %d", res.Truncated, res.Value != nil, res.Status)
	}
	if len(res.Body) > 300+200 || !strings.Contains(string(res.Body), "truncated") || !strings.Contains(string(res.Body), "limit") {
		t.Errorf("%d bytes: %s", len(res.Body), res.Body)
	}
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("a cut answer is no longer JSON, yet Content-Type is %q", res.Header.Get("Content-Type"))
	}
}

func TestTokensNeverReachTheLogOrTheReport(t *testing.T) {
	const token = "s3cr3t-gateway-token-1234567890"
	// An upstream that quotes the credential back where violations and errors pick text up.
	ts, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/v2/user/channel/1" {
			w.WriteHeader(http.StatusUnauthorized)
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"id": r.Header.Get("Authorization"), "access_token": token})
	})
	for _, mode := range []upstream.Mode{upstream.Report, upstream.Enforce} {
		out := &captured{}
		c := newClientInto(t, upstream.Options{BaseURL: mustURL(t, ts.URL+"/v2"), Mode: mode}, out)
		a := api(t, token)
		for _, id := range []float64{1, 2} {
			_, _ = c.Invoke(context.Background(), getChannel(t, a, channelSummary()), map[string]any{"id": id})
		}
		_, _ = c.Invoke(context.Background(), getChannel(t, a), map[string]any{"id": "Bearer " + token})
		failing := newClientInto(t, upstream.Options{BaseURL: mustURL(t, "http://127.0.0.1:1/v2"), Mode: mode}, out)
		_, _ = failing.Invoke(context.Background(), getChannel(t, a), map[string]any{"id": float64(3)})
		if out.log.Len() == 0 || out.report.Len() == 0 {
			t.Fatalf("%s: nothing was logged or reported, the test proves nothing", mode)
		}
		for what, text := range map[string]string{"log": out.log.String(), "report": out.report.String()} {
			if strings.Contains(text, token) || strings.Contains(text, token[:12]) {
				t.Errorf("%s mode: the token is in the %s:\n%s", mode, what, text)
			}
		}
	}
}

func TestMetricsCountCallsByNameAndOutcome(t *testing.T) {
	m := upstream.NewMetrics([]string{"mcp get-channel", "rest GET /v1/platforms"})
	reg := newRegistry(t, m)
	ts, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasPrefix(r.URL.Path, "/v2/user/channel/") {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"error":{"statusCode":404,"status":404,"code":404,"message":"no","name":"not_found"}}`)
			return
		}
		_, _ = io.WriteString(w, `[]`)
	})
	c, _ := newClient(t, upstream.Options{BaseURL: mustURL(t, ts.URL+"/v2"), Metrics: m})
	a := api(t, "tok")
	invoke(t, c, listPlatforms(t, a), nil)
	invoke(t, c, getChannel(t, a), map[string]any{"id": float64(1)})
	_, _ = c.Invoke(context.Background(), getChannel(t, a), map[string]any{"id": "x"})
	unlisted := listPlatforms(t, a)
	unlisted.Name = "rest GET /v1/made-up"
	invoke(t, c, unlisted, nil)

	want := map[[2]string]float64{
		{"rest GET /v1/platforms", "2xx"}:   1,
		{"mcp get-channel", "4xx"}:          1,
		{"mcp get-channel", "invalid_args"}: 1,
		{upstream.OtherCall, "2xx"}:         1,
	}
	got := counts(t, reg, "restream_gateway_upstream_calls_total")
	for k, n := range want {
		if got[k] != n {
			t.Errorf("calls_total%v = %v, want %v (all: %v)", k, got[k], n, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("series %v, want only %v", got, want)
	}
}

func TestNewRefusesOptionsItCannotHonour(t *testing.T) {
	cases := []struct {
		name string
		opts upstream.Options
	}{
		{"an upstream without a scheme it speaks", upstream.Options{BaseURL: mustURL(t, "ftp://example.com/v2")}},
		{"an upstream without a host", upstream.Options{BaseURL: mustURL(t, "http:///v2")}},
		{"an unknown mode", upstream.Options{Mode: "strict"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := upstream.New(tc.opts); err == nil {
				t.Error("New accepted it")
			}
		})
	}
}

func TestWithoutAnOverrideEachCallGoesToItsAPIsBaseURL(t *testing.T) {
	var got string
	ts, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) { got = r.URL.Path })
	c, _ := newClient(t, upstream.Options{Mode: "Enforce"})
	a := api(t, "tok")
	a.BaseURL = mustURL(t, ts.URL+"/v2/")
	invoke(t, c, listPlatforms(t, a), nil)
	if got != "/v2/platform/all" {
		t.Errorf("the call went to %q", got)
	}
}
