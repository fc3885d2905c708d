package validate

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/restreamkit/restreamkit/openapi"
)

var loadSpec = sync.OnceValues(func() (*Spec, error) { return Load(openapi.FS, openapi.RestreamSpec) })

func restreamSpec(t testing.TB) *Spec {
	t.Helper()
	s, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRouting(t *testing.T) {
	s := restreamSpec(t)
	cases := []struct {
		name, method, path string
		op                 string // "" when no operation matches
		rule               Rule
		params             map[string]string
	}{
		{"a literal path", "GET", "/v2/user/channel/all", "listChannels", "", nil},
		{"a templated path", "GET", "/v2/user/channel/5120001", "getChannel", "", map[string]string{"id": "5120001"}},
		{"literal segments win over templates", "GET", "/v2/user/events/upcoming", "listUpcomingEvents", "", nil},
		{"matching backtracks from a dead-end literal", "GET", "/v2/user/events/upcoming/streamKey", "getEventStreamKey", "", map[string]string{"id": "upcoming"}},
		{"two templated segments", "POST", "/v2/user/events/2527849f-f961-4b1d-8ae0-8eae4f068327/recordings/download-url", "getEventRecordingDownloadUrl", "", map[string]string{"eventId": "2527849f-f961-4b1d-8ae0-8eae4f068327"}},
		{"values are percent-decoded", "GET", "/v2/user/channel/12%33", "getChannel", "", map[string]string{"id": "123"}},
		{"the method picks the operation", "PATCH", "/v2/user/channel/1", "updateChannel", "", nil},
		{"a root path", "GET", "/login", "showAuthorizeDialog", "", nil},
		{"an undescribed method", "PUT", "/v2/user/channel/1", "", RuleMethodNotAllowed, nil},
		{"a literal path with another method", "GET", "/v2/user/events/new", "", RuleMethodNotAllowed, nil},
		{"an unknown path", "GET", "/v2/user/nothing", "", RuleUnknownPath, nil},
		{"a trailing slash is another path", "GET", "/v2/user/profile/", "", RuleUnknownPath, nil},
		{"an empty segment never matches a template", "GET", "/v2/user/channel/", "", RuleUnknownPath, nil},
		{"a path without the /v2 prefix", "GET", "/user/profile", "", RuleUnknownPath, nil},
		{"not a path", "GET", "*", "", RuleUnknownPath, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var pp PathParams
			op, v, allow := s.Find(tc.method, tc.path, &pp)
			if tc.op == "" {
				if op != nil || v == nil || v.Rule != tc.rule {
					t.Fatalf("want %s, got op=%v violation=%v", tc.rule, op, v)
				}
				if tc.rule == RuleMethodNotAllowed && allow == "" {
					t.Fatal("a method-not-allowed answer must list the allowed methods")
				}
				return
			}
			if v != nil || op == nil || op.ID != tc.op {
				t.Fatalf("want %s, got op=%v violation=%v", tc.op, op, v)
			}
			for name, want := range tc.params {
				if got, ok := pp.Get(name); !ok || got != want {
					t.Fatalf("param %s = %q, want %q", name, got, want)
				}
			}
		})
	}
}

type requestCase struct {
	name        string
	method      string
	target      string
	contentType string
	auth        string
	body        string
	rule        Rule // "" when valid
	in          Location
	field       string // Violation.Field() of the first violation
}

func TestRequestChecks(t *testing.T) {
	s := restreamSpec(t)
	const bearer = "Bearer 2a407cfc9e1d4f7b8a6c5d4e3f2a1b0c9d8e7f6a"
	const event = "/v2/user/events/2527849f-f961-4b1d-8ae0-8eae4f068327"
	cases := []requestCase{
		{"a valid PATCH", "PATCH", "/v2/user/channel/1", "application/json", bearer, `{"active":true}`, "", "", ""},
		{"a charset parameter is fine", "PATCH", "/v2/user/channel/1", "application/json; charset=utf-8", bearer, `{"active":true}`, "", "", ""},
		{"a missing token", "GET", "/v2/user/profile", "", "", "", RuleSecurity, InSecurity, "security"},
		{"a token with another scheme", "GET", "/v2/user/profile", "", "Basic eDp5", "", RuleSecurity, InSecurity, "security"},
		{"public operations need no token", "GET", "/v2/platform/all", "", "", "", "", "", ""},
		{"a non-integer channel id", "GET", "/v2/user/channel/abc", "", bearer, "", RuleType, InPath, "id"},
		{"a channel id below 1", "GET", "/v2/user/channel/0", "", bearer, "", RuleMinimum, InPath, "id"},
		{"an event id that is not a UUID", "GET", "/v2/user/events/not-a-uuid/streamKey", "", bearer, "", RuleFormat, InPath, "id"},
		{"a page below 1", "GET", "/v2/user/events/history?page=0", "", bearer, "", RuleMinimum, InQuery, "page"},
		{"a page that is not a number", "GET", "/v2/user/events/history?page=two", "", bearer, "", RuleType, InQuery, "page"},
		{"a limit over the maximum", "GET", "/v2/user/events/history?page=1&limit=101", "", bearer, "", RuleMaximum, InQuery, "limit"},
		{"a repeated query parameter", "GET", "/v2/user/events/history?page=1&page=2", "", bearer, "", RuleDuplicateParameter, InQuery, "page"},
		{"an unknown enum value in the query", "GET", "/v2/user/events/upcoming?source=4", "", bearer, "", RuleEnum, InQuery, "source"},
		{"a boolean query parameter", "GET", "/v2/user/events/upcoming?scheduled=yes", "", bearer, "", RuleType, InQuery, "scheduled"},
		{"an encoded query value is decoded", "GET", "/v2/user/clips/projects?sortBy=Created%41t", "", bearer, "", "", "", ""},
		{"a missing body", "PATCH", "/v2/user/channel/1", "application/json", bearer, "", RuleBodyRequired, InBody, "body"},
		{"a missing content type", "PATCH", "/v2/user/channel/1", "", bearer, `{"active":true}`, RuleContentType, InHeader, "Content-Type"},
		{"a wrong content type", "PATCH", "/v2/user/channel/1", "text/plain", bearer, `{"active":true}`, RuleContentType, InHeader, "Content-Type"},
		{"a wrong field type", "PATCH", "/v2/user/channel/1", "application/json", bearer, `{"active":"yes"}`, RuleType, InBody, "/active"},
		{"an undocumented field", "PATCH", "/v2/user/channel/1", "application/json", bearer, `{"active":true,"displayName":"x"}`, RuleAdditionalProperties, InBody, "/displayName"},
		{"malformed JSON", "PATCH", "/v2/user/channel/1", "application/json", bearer, `{"active":`, RuleSyntax, InBody, "/active"},
		{"an unknown enum value in the body", "POST", "/v2/user/events/new", "application/json", bearer, `{"streamType":"webcam"}`, RuleEnum, InBody, "/streamType"},
		{"a bad date-time", "POST", "/v2/user/events/new", "application/json", bearer, `{"streamType":"studio","scheduledFor":"tomorrow"}`, RuleFormat, InBody, "/scheduledFor"},
		{"a body where none is described", "POST", "/v2/user/storage/files/2527849f-f961-4b1d-8ae0-8eae4f068327/download-url", "application/json", bearer, `{}`, RuleUnexpectedBody, InBody, "body"},
		{"a destination with a bad orientation", "POST", event + "/destinations", "application/json", bearer, `{"channelId":1,"streamingOrientation":"diagonal"}`, RuleEnum, InBody, "/streamingOrientation"},
		{"a page size over 1000", "GET", event + "/chat/history?pageSize=1001", "", bearer, "", RuleMaximum, InQuery, "pageSize"},
		{"a valid code exchange form", "POST", "/oauth/token", "application/x-www-form-urlencoded", "Basic eDp5", "grant_type=authorization_code&code=abc&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback", "", "", ""},
		{"a form without grant_type", "POST", "/oauth/token", "application/x-www-form-urlencoded", "", "code=abc", RuleRequired, InBody, "/grant_type"},
		{"a form with an unknown grant", "POST", "/oauth/token", "application/x-www-form-urlencoded", "", "grant_type=password", RuleEnum, InBody, "/grant_type"},
		{"a form with an unknown field", "POST", "/oauth/token", "application/x-www-form-urlencoded", "", "grant_type=refresh_token&refresh_token=x&username=bob", RuleAdditionalProperties, InBody, "/username"},
		{"a form field given twice", "POST", "/oauth/token", "application/x-www-form-urlencoded", "", "grant_type=refresh_token&grant_type=refresh_token", RuleDuplicateParameter, InBody, "/grant_type"},
		{"a revoke without a token", "POST", "/oauth/revoke", "application/x-www-form-urlencoded", "", "token_type_hint=access_token", RuleRequired, InBody, "/token"},
		{"the authorize dialog needs a client id", "GET", "/login?response_type=code&redirect_uri=x", "", "", "", RuleMissingParameter, InQuery, "client_id"},
		{"the authorize dialog only knows code", "GET", "/login?response_type=token&client_id=a&redirect_uri=x", "", "", "", RuleEnum, InQuery, "response_type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			var pp PathParams
			op, v, _ := s.Find(tc.method, r.URL.EscapedPath(), &pp)
			if v != nil {
				t.Fatalf("routing failed: %v", v)
			}
			got := s.CheckRequest(nil, op, &pp, r, []byte(tc.body), CheckOptions{})
			if tc.rule == "" {
				if len(got) > 0 {
					t.Fatalf("want valid, got %v", got)
				}
				return
			}
			if len(got) == 0 {
				t.Fatalf("want %s, got no violation", tc.rule)
			}
			if got[0].Rule != tc.rule || got[0].In != tc.in || got[0].Field() != tc.field || got[0].Direction != Request {
				t.Fatalf("want %s in %s at %q, got %+v", tc.rule, tc.in, tc.field, got[0])
			}
		})
	}
}

func TestUnknownQueryParametersAreReportedOnRequest(t *testing.T) {
	s := restreamSpec(t)
	r := httptest.NewRequest("GET", "/v2/user/channel/all?cache=1", nil)
	r.Header.Set("Authorization", "Bearer x")
	var pp PathParams
	op, _, _ := s.Find("GET", "/v2/user/channel/all", &pp)
	if got := s.CheckRequest(nil, op, &pp, r, nil, CheckOptions{}); len(got) != 0 {
		t.Fatalf("by default unknown query parameters are tolerated, got %v", got)
	}
	got := s.CheckRequest(nil, op, &pp, r, nil, CheckOptions{UnknownQuery: true})
	if len(got) != 1 || got[0].Rule != RuleUnknownParameter || got[0].Name != "cache" {
		t.Fatalf("want one unknown-parameter violation, got %v", got)
	}
	if got := s.CheckRequest(nil, op, &pp, httptest.NewRequest("GET", "/v2/user/channel/all", nil), nil, CheckOptions{SkipSecurity: true}); len(got) != 0 {
		t.Fatalf("SkipSecurity must leave credentials alone, got %v", got)
	}
}

func TestResponseChecks(t *testing.T) {
	s := restreamSpec(t)
	jsonCT := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	cases := []struct {
		name   string
		op     string
		status int
		header http.Header
		body   string
		rule   Rule
		field  string
	}{
		{"a documented empty 200", "updateChannel", 200, http.Header{}, "", "", ""},
		{"a body where none is documented", "updateChannel", 200, jsonCT, `{"id":1}`, RuleUnexpectedBody, "body"},
		{"an undocumented status", "listChannels", 418, jsonCT, `{}`, RuleStatusNotDocumented, "status"},
		{"a documented error envelope", "getChannel", 404, jsonCT, `{"error":{"statusCode":404,"status":404,"code":404,"message":"ChannelNotFound","name":"channel_not_found"}}`, "", ""},
		{"a flat error object", "getChannel", 404, jsonCT, `{"statusCode":404,"status":404,"code":404,"message":"x","name":"not_found"}`, RuleAdditionalProperties, "/statusCode"},
		{"an empty JSON body", "getChannel", 200, jsonCT, ``, RuleBodyRequired, "body"},
		{"a wrong content type", "getChannel", 200, http.Header{"Content-Type": {"text/html"}}, `<p>`, RuleContentType, "Content-Type"},
		{"an ISO timestamp where Unix seconds are documented", "getEvent", 200, jsonCT,
			`{"id":"2527849f-f961-4b1d-8ae0-8eae4f068327","status":"in-progress","title":"t","description":"d","coverUrl":null,"scheduledFor":null,"startedAt":"2026-01-01T00:00:00Z","finishedAt":null,"destinations":[]}`,
			RuleType, "/startedAt"},
		{"a status that does not exist", "getEvent", 200, jsonCT,
			`{"id":"2527849f-f961-4b1d-8ae0-8eae4f068327","status":"completed","title":"t","description":"d","coverUrl":null,"scheduledFor":null,"startedAt":null,"finishedAt":null,"destinations":[]}`,
			RuleEnum, "/status"},
		{"a missing nullable field", "getStreamKey", 200, jsonCT, `{"streamKey":"re_1_abc"}`, RuleRequired, "/srtUrl"},
		{"a null nullable field", "getStreamKey", 200, jsonCT, `{"streamKey":"re_1_abc","srtUrl":null}`, "", ""},
		{"HTML for the dialog", "showAuthorizeDialog", 200, http.Header{"Content-Type": {"text/html; charset=utf-8"}}, `<html></html>`, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			op, ok := s.Operation(tc.op)
			if !ok {
				t.Fatalf("no operation %s", tc.op)
			}
			got := s.CheckResponse(nil, op, tc.status, tc.header, []byte(tc.body))
			if tc.rule == "" {
				if len(got) > 0 {
					t.Fatalf("want valid, got %v", got)
				}
				return
			}
			if len(got) == 0 || got[0].Rule != tc.rule || got[0].Field() != tc.field || got[0].Direction != Response {
				t.Fatalf("want %s at %q, got %v", tc.rule, tc.field, got)
			}
		})
	}
}

func TestEveryOperationIsCompiled(t *testing.T) {
	s := restreamSpec(t)
	want := 0
	for _, item := range s.Doc().Paths.Map() {
		want += len(item.Operations())
	}
	if n := len(s.Operations()); n != want || n < 35 {
		t.Fatalf("want the %d operations of the description, got %d", want, n)
	}
	for _, op := range s.Operations() {
		got, ok := s.Operation(op.ID)
		if !ok || got != op {
			t.Fatalf("operation %s is not found by id", op.ID)
		}
		secured := len(op.Security) > 0 && len(op.Security[0].Schemes) > 0 && op.Security[0].Schemes[0].Kind == "bearer"
		if strings.HasPrefix(op.Path, "/v2/user/") != secured || secured && len(op.Scopes) != 1 {
			t.Fatalf("%s: /v2/user operations, and only they, need a bearer token with one scope (scopes %v)", op.ID, op.Scopes)
		}
	}
}
