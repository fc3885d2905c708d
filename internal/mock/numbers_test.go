package mock_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/restreamkit/restreamkit/internal/mock"
)

// pastEvent is a finished event of nova_plays with a chat history.
const pastEvent = "95ef2be4-24d2-4d9c-8ec5-420178877913"

func TestHistoryPagesFarPastTheEndAreEmptyPagesWithTheTruePageCount(t *testing.T) {
	h := newHarness(t, mock.Options{})
	tok := h.token(nova)
	status, _, body := h.do("GET", "/v2/user/events/history?page=1&limit=100", tok, "", nil)
	if status != 200 {
		t.Fatalf("the first page: %d %s", status, body)
	}
	var first struct{ Items []json.RawMessage }
	if err := json.Unmarshal(body, &first); err != nil {
		t.Fatal(err)
	}
	past := len(first.Items)
	if past == 0 {
		t.Fatal("the fixtures must have past events")
	}
	for _, tc := range []struct {
		name        string
		page, limit int
	}{
		{"the largest page of 100", math.MaxInt64, 100},
		{"the largest page of 1", math.MaxInt64, 1},
		{"a page whose offset wraps to a negative number", 1 << 62, 4},
		{"a page whose offset wraps to exactly zero", 1<<62 + 1, 4},
		{"a page whose offset is just past int64", math.MaxInt64/100 + 2, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := h.do("GET", fmt.Sprintf("/v2/user/events/history?page=%d&limit=%d", tc.page, tc.limit), tok, "", nil)
			if status != 200 {
				t.Fatalf("status %d: %s", status, body)
			}
			var got struct {
				Items      []json.RawMessage
				Pagination struct {
					Page       int `json:"page"`
					Limit      int `json:"limit"`
					PagesTotal int `json:"pages_total"`
				}
			}
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			want := (past + tc.limit - 1) / tc.limit
			if len(got.Items) != 0 || got.Pagination.Page != tc.page || got.Pagination.Limit != tc.limit || got.Pagination.PagesTotal != want {
				t.Fatalf("got %d items and pagination %+v, want no items, page %d, limit %d, %d pages",
					len(got.Items), got.Pagination, tc.page, tc.limit, want)
			}
		})
	}
}

// chatToken builds a page token the way the mock encodes them: base64 of "|"-separated fields.
func chatToken(fields ...string) string {
	s := ""
	for i, f := range fields {
		if i > 0 {
			s += "|"
		}
		s += f
	}
	return base64.StdEncoding.EncodeToString([]byte(s))
}

func TestChatPageTokensTheMockNeverIssuedAreRefusedNamingPageToken(t *testing.T) {
	h := newHarness(t, mock.Options{})
	tok := h.token(nova)
	before := h.state()
	huge := strconv.FormatInt(math.MaxInt64, 10)
	for _, tc := range []struct{ name, token string }{
		{"a forward token that skips MaxInt64 messages", chatToken(pastEvent, "1795000000", "100", "next", huge)},
		{"a backward token that skips MaxInt64 messages", chatToken(pastEvent, "1795000000", "100", "prev", huge)},
		{"a forward token that skips more messages than an event can hold", chatToken(pastEvent, "0", "100", "next", "10001")},
		{"a page size with a plus sign", chatToken(pastEvent, "0", "+5")},
		{"a time with leading zeros", chatToken(pastEvent, "0007", "5")},
		{"a forward marker without a skip", chatToken(pastEvent, "0", "5", "next")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := h.do("GET", "/v2/user/events/"+pastEvent+"/chat/history?pageToken="+tc.token, tok, "", nil)
			wantError(t, status, body, 400, "invalid_query_params", "pageToken")
		})
	}
	if h.state() != before {
		t.Fatal("a refused request changed the world")
	}
}

func TestEventTimesOutsideUnixSecondsUpToYear9999AreRefusedNamingScheduledFor(t *testing.T) {
	h := newHarness(t, mock.Options{})
	tok := h.token(nova)
	for _, tc := range []struct {
		name, at string
		ok       bool
	}{
		{"the first second of year 1", "0001-01-01T00:00:00Z", false},
		{"the last second before 1970", "1969-12-31T23:59:59Z", false},
		{"the last second of 9999 at UTC-23:59, which is in year 10000", "9999-12-31T23:59:59-23:59", false},
		{"the first second of 1970", "1970-01-01T00:00:00Z", true},
		{"the last second of 9999", "9999-12-31T23:59:59Z", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := h.state()
			status, _, body := h.do("POST", "/v2/user/events/new", tok, "application/json",
				[]byte(`{"streamType":"encoder","title":"far away","scheduledFor":"`+tc.at+`"}`))
			if tc.ok {
				if status != 201 {
					t.Fatalf("status %d, want 201: %s", status, body)
				}
				return
			}
			wantError(t, status, body, 400, "invalid_body_params", "scheduledFor")
			if h.state() != before {
				t.Fatal("a refused request changed the world")
			}
		})
	}
}

func TestStreamViewersBeyondTheDocumentedMaximumAreRefused(t *testing.T) {
	h := newHarness(t, mock.Options{})
	for _, n := range []int64{math.MaxInt64, 1_000_000_001} {
		status, _, body := h.do("POST", "/__mock/streams", "", "application/json",
			[]byte(fmt.Sprintf(`{"userId":%d,"viewers":%d}`, nova, n)))
		wantError(t, status, body, 400, "invalid_body_params", "viewers")
	}
	status, _, body := h.do("GET", fmt.Sprintf("/__mock/streams?userId=%d", nova), "", "", nil)
	if status != 200 || string(body) != `{"streams":[]}`+"\n" {
		t.Fatalf("a refused start left streams: %d %s", status, body)
	}
}

func TestAChatPageAfterTheLastMessageIsEmptyAndLinksBackToTheLastPage(t *testing.T) {
	h := newHarness(t, mock.Options{})
	tok := h.token(nova)
	type page struct {
		Messages          []json.RawMessage
		NextPageToken     *string
		PreviousPageToken *string
	}
	get := func(query string) page {
		t.Helper()
		status, _, body := h.do("GET", "/v2/user/events/"+pastEvent+"/chat/history?"+query, tok, "", nil)
		if status != 200 {
			t.Fatalf("%s: %d %s", query, status, body)
		}
		var p page
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	all := get("pageSize=1000")
	for _, q := range []string{"timestamp=9999999999&pageSize=3", "timestamp=" + strconv.FormatInt(math.MaxInt64, 10) + "&pageSize=3"} {
		after := get(q)
		if len(after.Messages) != 0 || after.NextPageToken != nil || after.PreviousPageToken == nil {
			t.Fatalf("%s: want an empty page with only a previous page, got %+v", q, after)
		}
		last := get("pageToken=" + *after.PreviousPageToken)
		if want := all.Messages[len(all.Messages)-3:]; fmt.Sprint(last.Messages) != fmt.Sprint(want) {
			t.Fatalf("%s: the previous page holds %s, want the last three messages %s", q, last.Messages, want)
		}
	}
}

func TestControlNumbersOutsideTheirRangeAreRefusedNamingTheField(t *testing.T) {
	h := newHarness(t, mock.Options{StreamInterval: time.Hour})
	huge := strconv.FormatInt(math.MaxInt64, 10)
	const bigID, bigInt = "4503599627370496", "2147483647" // 2^52 and 2^31-1: exact in every parser
	for _, tc := range []struct {
		name, path, body string
		status           int
		errName, field   string
	}{
		{"a stream interval of 0 ms", "/__mock/streams", `{"userId":2046371,"intervalMs":0}`, 400, "invalid_body_params", "intervalMs"},
		{"a stream interval over ten minutes", "/__mock/streams", `{"userId":2046371,"intervalMs":600001}`, 400, "invalid_body_params", "intervalMs"},
		{"a stream interval of MaxInt64 ms", "/__mock/streams", `{"userId":2046371,"intervalMs":` + huge + `}`, 400, "invalid_body_params", "intervalMs"},
		{"negative viewers", "/__mock/streams", `{"userId":2046371,"viewers":-1}`, 400, "invalid_body_params", "viewers"},
		{"a user id of 0", "/__mock/streams", `{"userId":0}`, 400, "invalid_body_params", "userId"},
		{"a user id nobody has", "/__mock/streams", `{"userId":` + bigID + `}`, 404, "user_not_found", bigID},
		{"a chat event type nobody documents", "/__mock/chat/events", `{"userId":2046371,"eventTypeId":` + bigInt + `}`, 400, "invalid_event_type", bigInt},
		{"a chat source nobody documents", "/__mock/chat/events", `{"userId":2046371,"eventSourceId":` + bigInt + `}`, 404, "connection_not_found", bigInt},
		{"a fault count over a million", "/__mock/faults", `{"target":"chat","status":503,"count":1000001}`, 400, "invalid_body_params", "count"},
		{"a Retry-After over a day", "/__mock/faults", `{"target":"chat","status":503,"count":1,"retryAfterSeconds":86401}`, 400, "invalid_body_params", "retryAfterSeconds"},
		{"a close code below 1000", "/__mock/faults", `{"target":"chat","closeCode":999}`, 400, "invalid_body_params", "closeCode"},
		{"a close code over 4999", "/__mock/faults", `{"target":"chat","closeCode":` + huge + `}`, 400, "invalid_body_params", "closeCode"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := h.state()
			status, _, body := h.do("POST", tc.path, "", "application/json", []byte(tc.body))
			wantError(t, status, body, tc.status, tc.errName, tc.field)
			if h.state() != before {
				t.Fatal("a refused request changed the world")
			}
		})
	}
}
