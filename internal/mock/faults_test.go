package mock_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/api/gen/controlapi"
	"github.com/restreamkit/restreamkit/internal/mock"
)

// TestAFaultInjectsOnlyStatusesItsOperationsDocument proves that no fault can make the mock
// answer outside its spec: a REST fault's status must be documented by every operation the fault
// can match, and the fault must match some operation. A refused fault is not added.
func TestAFaultInjectsOnlyStatusesItsOperationsDocument(t *testing.T) {
	h := newHarness(t, mock.Options{})
	cases := []struct {
		name    string
		fault   map[string]any
		want    int
		mention []string // words the refusal's message must contain
	}{
		{"429 by operationId, which every operation documents", map[string]any{"operationId": "listPlatforms", "status": 429}, 201, nil},
		{"any 5xx by operationId", map[string]any{"operationId": "listPlatforms", "status": 507}, 201, nil},
		{"404 for getChannel, which documents it", map[string]any{"operationId": "getChannel", "status": 404}, 201, nil},
		{"404 for an exact path of getChannel", map[string]any{"method": "GET", "path": "/v2/user/channel/5120001", "status": 404}, 201, nil},
		{"404 for a path template both of whose operations document it", map[string]any{"path": "/v2/user/channel/{id}", "status": 404}, 201, nil},
		{"404 for listPlatforms, which never answers it", map[string]any{"operationId": "listPlatforms", "status": 404},
			400, []string{`"status"`, "404", "listPlatforms", "429", "500-599"}},
		{"404 for every GET, some of which never answer it", map[string]any{"method": "GET", "status": 404},
			400, []string{`"status"`, "404", "operations the fault can match", "500-599"}},
		{"418 for both operations of a path, neither of which documents it", map[string]any{"path": "/v2/user/channel/{id}", "status": 418},
			400, []string{`"status"`, "418", "getChannel"}},
		{"a path no operation serves", map[string]any{"path": "/v2/nowhere", "status": 503},
			400, []string{`"path"`, "/v2/nowhere", "no operation"}},
		{"a method the path does not serve", map[string]any{"method": "PUT", "path": "/v2/user/profile", "status": 503},
			400, []string{`"path"`, "PUT", "no operation"}},
		{"an operation the Restream API does not have", map[string]any{"operationId": "resetMock", "status": 503},
			400, []string{`"operationId"`, "resetMock"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := h.call(t, "GET", "/__mock/faults", "", nil, 200)
			tc.fault["target"] = "rest"
			tc.fault["count"] = 1
			status, _, body := h.request(t, "POST", "/__mock/faults", "", "application/json", mustJSON(t, tc.fault))
			if tc.want == 201 {
				if status != 201 {
					t.Fatalf("status %d, want 201: %s", status, body)
				}
				h.call(t, "DELETE", "/__mock/faults", "", nil, 204)
				return
			}
			wantError(t, status, body, tc.want, "invalid_body_params", tc.mention...)
			if after := h.call(t, "GET", "/__mock/faults", "", nil, 200); string(after) != string(before) {
				t.Fatalf("a refused fault changed the list: %s, before %s", after, before)
			}
		})
	}
}

// TestEveryNumberOfAFaultIsRangeChecked sends each number of a fault request just past its
// bound: each is refused with a 400 that names the field, and nothing is injected.
func TestEveryNumberOfAFaultIsRangeChecked(t *testing.T) {
	h := newHarness(t, mock.Options{})
	rest := func(field string, v any) map[string]any {
		return map[string]any{"target": "rest", "operationId": "listChannels", "status": 503, field: v}
	}
	closing := func(field string, v any) map[string]any {
		return map[string]any{"target": "chat", "closeCode": 4000, field: v}
	}
	refusing := func(field string, v any) map[string]any {
		return map[string]any{"target": "streaming", "status": 503, "count": 1, field: v}
	}
	cases := []struct {
		name  string
		fault map[string]any
		field string
	}{
		{"a status under 400", rest("status", 399), "status"},
		{"a status over 599", rest("status", 600), "status"},
		{"a huge status", rest("status", int64(1)<<62), "status"},
		{"a negative count", rest("count", -1), "count"},
		{"a count over a million", rest("count", 1000001), "count"},
		{"a negative latency", rest("latencyMs", -1), "latencyMs"},
		{"a latency over a minute", rest("latencyMs", 60001), "latencyMs"},
		{"a probability under 0", rest("probability", -0.01), "probability"},
		{"a probability over 1", rest("probability", 1.01), "probability"},
		{"a negative Retry-After", rest("retryAfterSeconds", -1), "retryAfterSeconds"},
		{"a Retry-After over a day", rest("retryAfterSeconds", 86401), "retryAfterSeconds"},
		{"an operationId of 101 characters", rest("operationId", strings.Repeat("x", 101)), "operationId"},
		{"a path of 2049 characters", map[string]any{"target": "rest", "path": "/" + strings.Repeat("x", 2048), "status": 503}, "path"},
		{"a close code under 1000", closing("closeCode", 999), "closeCode"},
		{"a close code over 4999", closing("closeCode", 5000), "closeCode"},
		{"the reserved close code 1004", closing("closeCode", 1004), "closeCode"},
		{"1005, which no close frame may carry", closing("closeCode", 1005), "closeCode"},
		{"1006, which no close frame may carry", closing("closeCode", 1006), "closeCode"},
		{"1015, which no close frame may carry", closing("closeCode", 1015), "closeCode"},
		{"an unassigned close code of the protocol's range", closing("closeCode", 2000), "closeCode"},
		{"a close reason of 124 ASCII bytes", closing("closeReason", strings.Repeat("r", 124)), "closeReason"},
		{"a close reason of 42 three-byte characters (126 bytes)", closing("closeReason", strings.Repeat("€", 42)), "closeReason"},
		{"user 0", closing("userId", 0), "userId"},
		{"a refused upgrade of a status no feed client meets", refusing("status", 404), "status"},
		{"a refused upgrade with a count of 0", refusing("count", 0), "count"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := h.request(t, "POST", "/__mock/faults", "", "application/json", mustJSON(t, tc.fault))
			wantError(t, status, body, 400, "invalid_body_params", `"`+tc.field+`"`)
			if list := decodeStrict[controlapi.Faults](t, h.call(t, "GET", "/__mock/faults", "", nil, 200)); len(list.Faults) != 0 {
				t.Fatalf("a refused fault was added: %s", mustJSON(t, list))
			}
		})
	}
	t.Run("the largest accepted values are accepted", func(t *testing.T) {
		h.call(t, "POST", "/__mock/faults", "", map[string]any{"target": "rest", "operationId": "listChannels", "status": 599,
			"count": 1000000, "latencyMs": 60000, "probability": 1, "retryAfterSeconds": 86400}, 201)
		h.call(t, "POST", "/__mock/faults", "", map[string]any{"target": "chat", "closeCode": 4999, "closeReason": strings.Repeat("€", 41)}, 201)
		h.call(t, "DELETE", "/__mock/faults", "", nil, 204)
	})
}

// TestTheMockHoldsAtMostAThousandFaults fills the fault store: the next fault gets 409
// too_many_faults and is not added; removing one makes room for one.
func TestTheMockHoldsAtMostAThousandFaults(t *testing.T) {
	h := newHarness(t, mock.Options{})
	add := func() (int, []byte) {
		status, _, body := h.request(t, "POST", "/__mock/faults", "", "application/json",
			[]byte(`{"target":"rest","operationId":"listServers","status":503,"probability":0}`))
		return status, body
	}
	var first controlapi.Fault
	for i := range 1000 {
		status, body := add()
		if status != 201 {
			t.Fatalf("fault %d: %d %s", i+1, status, body)
		}
		if i == 0 {
			first = decodeStrict[controlapi.Fault](t, body)
		}
	}
	status, body := add()
	wantError(t, status, body, 409, "too_many_faults", "1000")
	if n := len(decodeStrict[controlapi.Faults](t, h.call(t, "GET", "/__mock/faults", "", nil, 200)).Faults); n != 1000 {
		t.Fatalf("%d faults held, want 1000", n)
	}
	h.call(t, "DELETE", "/__mock/faults/"+first.Id, "", nil, 204)
	if status, body := add(); status != 201 {
		t.Fatalf("after a removal: %d %s", status, body)
	}
	if status, body := add(); status != 409 {
		t.Fatal(fmt.Sprintf("the store grew past its cap: %d %s", status, body))
	}
}
