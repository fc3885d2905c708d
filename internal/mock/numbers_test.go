package mock_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"testing"

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
