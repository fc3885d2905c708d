package proxy_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/restreamkit/restreamkit/internal/conformance"
	"github.com/restreamkit/restreamkit/internal/proxy"
	"github.com/restreamkit/restreamkit/internal/validate"
)

const bearer = "Bearer 2a407cfc9e1d4f7b8a6c5d4e3f2a1b0c9d8e7f6a"

// canned is what the broken upstream answers.
type canned struct {
	status int
	ctype  string
	body   string
}

// brokenUpstream answers every request with one canned response and counts the requests it gets.
type brokenUpstream struct {
	answer atomic.Pointer[canned]
	hits   atomic.Int64
	url    string
}

func newBrokenUpstream(t *testing.T) *brokenUpstream {
	u := &brokenUpstream{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.hits.Add(1)
		io.Copy(io.Discard, r.Body)
		c := u.answer.Load()
		if c.ctype != "" {
			w.Header().Set("Content-Type", c.ctype)
		}
		w.WriteHeader(c.status)
		io.WriteString(w, c.body)
	}))
	t.Cleanup(ts.Close)
	u.url = ts.URL
	return u
}

const (
	profile  = `{"id":2046371,"username":"nova_plays","email":"nova@example.com"}`
	eventDoc = `{"id":"b4d2982b-4e55-4c13-b06b-71a2ae075810","status":"in-progress","title":"t","description":"d","coverUrl":null,"scheduledFor":null,"startedAt":1795760000,"finishedAt":null,"destinations":[]}`
	envelope = `{"error":{"statusCode":404,"status":404,"code":404,"message":"ChannelNotFound","name":"channel_not_found"}}`
)

// responseCases are upstream answers that break the contract, and what the proxy must find.
var responseCases = []struct {
	name, method, path, reqBody string
	answer                      canned
	rule                        validate.Rule
	field                       string // Violation.Field()
}{
	{"a wrong type", "GET", "/v2/user/profile", "", canned{200, "application/json", strings.Replace(profile, `2046371`, `"2046371"`, 1)}, validate.RuleType, "/id"},
	{"a missing required field", "GET", "/v2/user/profile", "", canned{200, "application/json", `{"id":1,"username":"x"}`}, validate.RuleRequired, "/email"},
	{"a status that does not exist", "GET", "/v2/user/events/b4d2982b-4e55-4c13-b06b-71a2ae075810", "", canned{200, "application/json", strings.Replace(eventDoc, `in-progress`, `completed`, 1)}, validate.RuleEnum, "/status"},
	{"an undocumented field", "GET", "/v2/user/profile", "", canned{200, "application/json", strings.Replace(profile, `}`, `,"displayName":"Nova"}`, 1)}, validate.RuleAdditionalProperties, "/displayName"},
	{"a bad e-mail", "GET", "/v2/user/profile", "", canned{200, "application/json", strings.Replace(profile, `nova@example.com`, `nova`, 1)}, validate.RuleFormat, "/email"},
	{"an ISO time where seconds are documented", "GET", "/v2/user/events/b4d2982b-4e55-4c13-b06b-71a2ae075810", "", canned{200, "application/json", strings.Replace(eventDoc, `1795760000`, `"2026-11-27T07:31:42Z"`, 1)}, validate.RuleType, "/startedAt"},
	{"an undocumented status", "GET", "/v2/user/profile", "", canned{418, "application/json", envelope}, validate.RuleStatusNotDocumented, "status"},
	{"a flat error object", "GET", "/v2/user/channel/1", "", canned{404, "application/json", `{"statusCode":404,"status":404,"code":404,"message":"x","name":"y"}`}, validate.RuleAdditionalProperties, "/statusCode"},
	{"a wrong content type", "GET", "/v2/user/profile", "", canned{200, "text/plain", profile}, validate.RuleContentType, "Content-Type"},
	{"a body where none is documented", "PATCH", "/v2/user/channel/1", `{"active":true}`, canned{200, "application/json", `{"ok":true}`}, validate.RuleUnexpectedBody, "body"},
	{"an empty JSON body", "GET", "/v2/user/profile", "", canned{200, "application/json", ``}, validate.RuleBodyRequired, "body"},
	{"broken JSON", "GET", "/v2/user/profile", "", canned{200, "application/json", `{"id":1,`}, validate.RuleSyntax, "body"},
}

func send(t *testing.T, base, method, path, ctype, body string, auth string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	if body == "" {
		req.Body = http.NoBody
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// findRecord returns the first record of a rule, failing the test when there is none.
//
// In report mode the proxy validates a response while it streams it, and records the verdict when
// it reads the upstream's end of body: the client can hold the whole answer (an empty body, say)
// a moment before that. So the record is waited for, up to a bound; its absence still fails.
func findRecord(t *testing.T, p *proxy.Proxy, rule validate.Rule) proxy.Record {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		for _, r := range p.Records() {
			if r.Rule == rule {
				return r
			}
		}
		if time.Now().After(deadline) {
			break
		}
	}
	t.Fatalf("no %s violation recorded; records:\n%s", rule, violations(t, p))
	return proxy.Record{}
}

func TestEveryResponseViolationIsFoundInEachMode(t *testing.T) {
	for _, mode := range []proxy.Mode{proxy.Off, proxy.Report, proxy.Enforce} {
		for _, tc := range responseCases {
			t.Run(string(mode)+"/"+tc.name, func(t *testing.T) {
				up := newBrokenUpstream(t)
				up.answer.Store(&tc.answer)
				p, base := startProxy(t, proxy.Options{Upstream: mustURL(t, up.url), ResponseMode: mode, RequestMode: proxy.Off})
				ctype := ""
				if tc.reqBody != "" {
					ctype = "application/json"
				}
				res, body := send(t, base, tc.method, tc.path, ctype, tc.reqBody, bearer)
				switch mode {
				case proxy.Off:
					if p.Violations() != 0 || res.StatusCode != tc.answer.status {
						t.Fatalf("off must pass everything and record nothing: %d, %d violations", res.StatusCode, p.Violations())
					}
					return
				case proxy.Report:
					if res.StatusCode != tc.answer.status || string(body) != tc.answer.body {
						t.Fatalf("report mode must pass the answer unchanged, got %d %s", res.StatusCode, body)
					}
				case proxy.Enforce:
					conformance.WantError(t, res.StatusCode, body, 502, "response_validation_failed", string(tc.rule), tc.field)
				}
				rec := findRecord(t, p, tc.rule)
				if rec.Direction != validate.Response || rec.Field() != tc.field || rec.Message == "" || rec.RequestID == "" {
					t.Fatalf("want a response violation at %q, got %+v", tc.field, rec)
				}
				if tc.rule != validate.RuleStatusNotDocumented && rec.OperationID == "" {
					t.Fatalf("the record must name the operation: %+v", rec)
				}
			})
		}
	}
}

// requestCases are app requests that break the contract.
var requestCases = []struct {
	name, method, path, ctype, body, auth string
	rule                                  validate.Rule
	field                                 string
}{
	{"an unknown path", "GET", "/v2/user/event/upcoming", "", "", bearer, validate.RuleUnknownPath, "route"},
	{"a method the path does not have", "PUT", "/v2/user/profile", "application/json", `{}`, bearer, validate.RuleMethodNotAllowed, "route"},
	{"no credentials", "GET", "/v2/user/profile", "", "", "", validate.RuleSecurity, "security"},
	{"a wrong body type", "PATCH", "/v2/user/channel/1", "application/json", `{"active":"yes"}`, bearer, validate.RuleType, "/active"},
	{"an undocumented body field", "PATCH", "/v2/user/channel/1", "application/json", `{"active":true,"displayName":"x"}`, bearer, validate.RuleAdditionalProperties, "/displayName"},
	{"a missing body field", "POST", "/v2/user/events/new", "application/json", `{"title":"x"}`, bearer, validate.RuleRequired, "/streamType"},
	{"an unknown enum value", "POST", "/v2/user/events/new", "application/json", `{"streamType":"webcam"}`, bearer, validate.RuleEnum, "/streamType"},
	{"a query value below its minimum", "GET", "/v2/user/events/history?page=0", "", "", bearer, validate.RuleMinimum, "page"},
	{"an undocumented query parameter", "GET", "/v2/user/channel/all?offset=10", "", "", bearer, validate.RuleUnknownParameter, "offset"},
	{"a path id of the wrong type", "GET", "/v2/user/channel/abc", "", "", bearer, validate.RuleType, "id"},
	{"a form without grant_type", "POST", "/oauth/token", "application/x-www-form-urlencoded", "refresh_token=abc", "", validate.RuleRequired, "/grant_type"},
	{"JSON where a form is documented", "POST", "/oauth/token", "application/json", `{"grant_type":"refresh_token"}`, "", validate.RuleContentType, "Content-Type"},
}

func TestEveryRequestViolationIsFoundInEachMode(t *testing.T) {
	for _, mode := range []proxy.Mode{proxy.Off, proxy.Report, proxy.Enforce} {
		for _, tc := range requestCases {
			t.Run(string(mode)+"/"+tc.name, func(t *testing.T) {
				up := newBrokenUpstream(t)
				up.answer.Store(&canned{status: 204})
				p, base := startProxy(t, proxy.Options{Upstream: mustURL(t, up.url), RequestMode: mode, ResponseMode: proxy.Off})
				res, body := send(t, base, tc.method, tc.path, tc.ctype, tc.body, tc.auth)
				switch mode {
				case proxy.Off, proxy.Report:
					if res.StatusCode != 204 || up.hits.Load() != 1 {
						t.Fatalf("%s mode must forward: %d, upstream hit %d times", mode, res.StatusCode, up.hits.Load())
					}
					if mode == proxy.Off {
						if p.Violations() != 0 {
							t.Fatalf("off must record nothing:\n%s", violations(t, p))
						}
						return
					}
				case proxy.Enforce:
					conformance.WantError(t, res.StatusCode, body, 400, "request_validation_failed", string(tc.rule))
					if up.hits.Load() != 0 {
						t.Fatal("an invalid request must never reach the upstream in enforce mode")
					}
				}
				rec := findRecord(t, p, tc.rule)
				if rec.Direction != validate.Request || rec.Field() != tc.field {
					t.Fatalf("want a request violation at %q, got %+v", tc.field, rec)
				}
			})
		}
	}
}

func TestTheViolationsHeaderCountsBothDirections(t *testing.T) {
	up := newBrokenUpstream(t)
	up.answer.Store(&canned{200, "application/json", `{"id":"x","username":"u"}`}) // 2 response violations
	_, base := startProxy(t, proxy.Options{Upstream: mustURL(t, up.url), AddViolationsHeader: true})
	res, _ := send(t, base, "GET", "/v2/user/profile?extra=1", "", "", bearer) // 1 request violation
	if got := res.Header.Get(proxy.ViolationsHeader); got != "3" {
		t.Fatalf("%s = %q, want 3", proxy.ViolationsHeader, got)
	}
	if res.Header.Get(proxy.RequestIDHeader) == "" {
		t.Fatal("the request id header is missing")
	}
}

func TestReportsGoToJSONLinesAndJUnit(t *testing.T) {
	dir := t.TempDir()
	up := newBrokenUpstream(t)
	up.answer.Store(&canned{200, "application/json", `{"id":"x","username":"u","email":"e@x.io"}`})
	report, junit := dir+"/report.jsonl", dir+"/junit.xml"
	var summary bytes.Buffer
	p, err := proxy.New(proxy.Options{Upstream: mustURL(t, up.url), Report: report, JUnit: junit, Summary: &summary})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(p.Handler())
	send(t, ts.URL, "GET", "/v2/user/profile", "", "", bearer)
	send(t, ts.URL, "GET", "/v2/platform/all", "", "", "")
	ts.Close()
	if err := p.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, report)
	if len(lines) != 2 { // the wrong type of id, and the wrong platform list
		t.Fatalf("want 2 JSON lines, got %d:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	var rec proxy.Record
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil || rec.Pointer != "/id" || rec.Rule != validate.RuleType ||
		rec.OperationID != "getUserProfile" || rec.Expected != "integer" || rec.Actual != "string" {
		t.Fatalf("the first line is %v: %s", err, lines[0])
	}
	x := readFile(t, junit)
	for _, want := range []string{`<testsuites name="restream-proxy" tests="2" failures="2">`, `<testcase name="getUserProfile"`,
		`<testcase name="listPlatforms"`, `type="type"`, `response body /id: type`} {
		if !strings.Contains(x, want) {
			t.Fatalf("the JUnit file lacks %q:\n%s", want, x)
		}
	}
	if !strings.Contains(summary.String(), "getUserProfile") || !strings.Contains(summary.String(), "TOTAL") {
		t.Fatalf("the summary table is %q", summary.String())
	}
}
