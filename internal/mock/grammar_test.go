package mock_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"

	"github.com/restreamkit/restreamkit/internal/mock"
)

// refused is one request the gate must answer with a 400 envelope naming what is wrong.
type refused struct {
	name, method, path, ct, body string
	errName, mention             string
}

// checkRefused sends each request and checks the envelope, then that the world did not change.
func checkRefused(t *testing.T, h *harness, tok string, cases []refused) {
	t.Helper()
	before := h.state()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body []byte
			if tc.body != "" {
				body = []byte(tc.body)
			}
			status, _, resp := h.do(tc.method, tc.path, tok, tc.ct, body)
			wantError(t, status, resp, 400, tc.errName, tc.mention)
		})
	}
	if h.state() != before {
		t.Fatal("a refused request changed the world")
	}
}

// TestParametersAreReadWithTheBindersGrammar: a path or query parameter is routed and read once,
// with the grammar the generated handler reads it with (strconv.ParseInt in base 10, within the
// Go type of its format), so the validator never lets through a value the handler then refuses
// with Go's error text.
func TestParametersAreReadWithTheBindersGrammar(t *testing.T) {
	h := newHarness(t, mock.Options{})
	tok := h.token(nova)
	const active = "application/json"
	checkRefused(t, h, tok, []refused{
		{"an exponent in a path integer", "PATCH", "/v2/user/channel/1e3", active, `{"active":false}`, "invalid_path_params", `"id"`},
		{"a fraction in a path integer", "GET", "/v2/user/channel/5120001.0", "", "", "invalid_path_params", `"id"`},
		{"a path integer over 64 bits", "PATCH", "/v2/user/channel/99999999999999999999", active, `{"active":false}`, "invalid_path_params", `"id"`},
		{"a path integer under 64 bits", "DELETE", "/v2/user/channels/-99999999999999999999", "", "", "invalid_path_params", `"channelId"`},
		{"a space in a path integer", "GET", "/v2/user/channel/%205120001", "", "", "invalid_path_params", `"id"`},
		{"a query integer over 64 bits", "GET", "/v2/user/events/history?page=99999999999999999999", "", "", "invalid_query_params", `"page"`},
		{"an exponent in a query integer", "GET", "/v2/user/events/history?page=1e3", "", "", "invalid_query_params", `"page"`},
		{"an int64 query integer over 64 bits", "GET", "/v2/user/events/" + novaLive.String() + "/chat/history?timestamp=9223372036854775808", "", "", "invalid_query_params", `"timestamp"`},
		{"a query value with a bad escape", "GET", "/v2/user/events/history?page=%zz", "", "", "invalid_query_params", `"page"`},
		{"a query value with a semicolon", "GET", "/v2/user/events/history?page=2;3", "", "", "invalid_query_params", `"page"`},
		{"an empty query integer", "GET", "/v2/user/events/history?page=", "", "", "invalid_query_params", `"page"`},
		{"a boolean the binder does not know", "GET", "/v2/user/events/upcoming?scheduled=yes", "", "", "invalid_query_params", `"scheduled"`},
	})

	// What the grammar accepts is read as the handler reads it: a sign and leading zeros are
	// allowed, as strconv.ParseInt allows them.
	for _, path := range []string{"/v2/user/channel/+5120001", "/v2/user/channel/005120001"} {
		status, _, body := h.do("GET", path, tok, "", nil)
		var ch struct{ ID int64 }
		if status != 200 || json.Unmarshal(body, &ch) != nil || ch.ID != 5120001 {
			t.Errorf("GET %s: %d %s, want channel 5120001", path, status, body)
		}
	}
	for _, q := range []string{"scheduled=1", "scheduled=TRUE", "scheduled=f"} {
		if status, _, body := h.do("GET", "/v2/user/events/upcoming?"+q, tok, "", nil); status != 200 {
			t.Errorf("GET upcoming?%s: %d %s, want 200 (strconv.ParseBool reads it)", q, status, body)
		}
	}
}

// TestBodiesAreReadAsTheyWereValidated: a JSON body the validator accepts decodes into the
// generated Go types, so an integer is written as one and fits its type, and a date-time is one Go
// reads; a form body is read from the body alone, never from the query string.
func TestBodiesAreReadAsTheyWereValidated(t *testing.T) {
	h := newHarness(t, mock.Options{})
	tok := h.token(nova)
	const js = "application/json"
	dest := "/v2/user/events/" + novaLive.String() + "/destinations"
	checkRefused(t, h, tok, []refused{
		{"an integer with a fraction", "POST", "/v2/user/channels", js, `{"platformId":29.0,"streamUrl":"rtmp://x.example/live","streamKey":"k"}`, "invalid_body_params", "platformId"},
		{"an integer with an exponent", "POST", "/v2/user/channels", js, `{"platformId":2.9e1,"streamUrl":"rtmp://x.example/live","streamKey":"k"}`, "invalid_body_params", "platformId"},
		{"an int64 with an exponent", "POST", dest, js, `{"channelId":5.120004e6}`, "invalid_body_params", "channelId"},
		{"an int64 of 1e30", "POST", dest, js, `{"channelId":1e30}`, "invalid_body_params", "channelId"},
		{"an int64 just over 64 bits", "POST", dest, js, `{"channelId":9223372036854775808}`, "invalid_body_params", "channelId"},
		{"a control integer with a fraction", "POST", "/__mock/clock/advance", js, `{"seconds":1.0}`, "invalid_body_params", "seconds"},
		{"a date-time with a lower-case t", "POST", "/v2/user/events/new", js, `{"streamType":"encoder","scheduledFor":"2030-01-01t10:00:00Z"}`, "invalid_body_params", "scheduledFor"},
		{"a date-time with a leap second", "POST", "/v2/user/events/new", js, `{"streamType":"encoder","scheduledFor":"2030-06-30T23:59:60Z"}`, "invalid_body_params", "scheduledFor"},
		{"a date-time written with escapes", "POST", "/v2/user/events/new", js, `{"streamType":"encoder","scheduledFor":"2030-01-01T10:00:00\u005a"}`, "invalid_body_params", "scheduledFor"},
		{"a case variant of a field", "PATCH", "/v2/user/channel/5120001", js, `{"active":true,"Active":"no"}`, "invalid_body_params", "Active"},
		{"a form value with a semicolon", "POST", "/oauth/revoke", "application/x-www-form-urlencoded", "token=a;b", "invalid_request", "token"},
	})

	t.Run("a JSON media type in another case or with +json is read as JSON", func(t *testing.T) {
		for i, ct := range []string{"Application/JSON", "application/merge-patch+json; charset=utf-8"} {
			want := i%2 == 0
			status, _, body := h.do("PATCH", fmt.Sprintf("/v2/user/channel/%d", novaTwitch), tok, ct, []byte(fmt.Sprintf(`{"active":%v}`, want)))
			if status != 200 {
				t.Fatalf("PATCH as %s: %d %s", ct, status, body)
			}
			_, _, body = h.do("GET", fmt.Sprintf("/v2/user/channel/%d", novaTwitch), tok, "", nil)
			var ch struct{ Active bool }
			if json.Unmarshal(body, &ch) != nil || ch.Active != want {
				t.Fatalf("after PATCH as %s the channel reads %s", ct, body)
			}
		}
	})

	t.Run("a form body is read without the query string", func(t *testing.T) {
		p := h.pair(nova)
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {p.RefreshToken}}.Encode()
		// Client credentials belong in the body or in Basic auth, never in the URL (RFC 6749 §2.3.1).
		query := url.Values{"client_id": {devClient}, "client_secret": {"restreamkit-dev-secret"}}.Encode()
		status, _, body := h.do("POST", "/oauth/token?"+query, "", "application/x-www-form-urlencoded", []byte(form))
		wantError(t, status, body, 401, "invalid_client")
	})

	t.Run("a malformed query string does not break a form operation", func(t *testing.T) {
		p := h.pair(nova)
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {p.RefreshToken},
			"client_id": {devClient}, "client_secret": {"restreamkit-dev-secret"}}.Encode()
		if status, _, body := h.do("POST", "/oauth/token?a;b=%zz", "", "application/x-www-form-urlencoded", []byte(form)); status != 200 {
			t.Fatalf("a refresh with a malformed, unused query string: %d %s", status, body)
		}
	})
}
