package mock_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/restreamkit/restreamkit/api/gen/controlapi"
	"github.com/restreamkit/restreamkit/internal/mock"
)

const tenYears = 315360000 // seconds: the largest single move

// clockNow reads the mock clock over the control API.
func (h *harness) clockNow() controlapi.ClockState {
	h.t.Helper()
	r, err := h.ctl.GetClockWithResponse(context.Background())
	if err != nil || r.JSON200 == nil {
		h.t.Fatalf("reading the clock: %v %v", err, r)
	}
	return *r.JSON200
}

func TestTheClockNeverWrapsAndExpiredTokensStayExpired(t *testing.T) {
	h := newHarness(t, mock.Options{})
	tok := h.token(nova)
	// Thirty moves of ten years would carry a time.Duration offset past its ~292 years and
	// wrap it to the past. The first ten reach the hundred-year bound; the rest are refused.
	var prev int64 = h.clockNow().Now
	for i := 1; i <= 30; i++ {
		status, _, body := h.do("POST", "/__mock/clock/advance", "", "application/json", fmt.Appendf(nil, `{"seconds":%d}`, tenYears))
		after := h.clockNow()
		if i <= 10 {
			if status != 200 {
				t.Fatalf("move %d: %d %s, want 200 up to a hundred years", i, status, body)
			}
		} else {
			wantError(t, status, body, 400, "invalid_body_params", "seconds")
		}
		if after.Now < prev {
			t.Fatalf("move %d took the clock back from %d to %d", i, prev, after.Now)
		}
		prev = after.Now
		status, _, body = h.do("GET", "/v2/user/profile", tok, "", nil)
		wantError(t, status, body, 401, "invalid_token", "expired")
	}
	if got := h.clockNow().OffsetSeconds; got < 10*tenYears*0.999 || got > 10*tenYears*1.001 {
		t.Fatalf("offset %v s, want the hundred-year bound", got)
	}
}

func TestAClockMoveOutOfRangeIsRefusedAndChangesNothing(t *testing.T) {
	h := newHarness(t, mock.Options{})
	tests := []struct {
		name, body string
	}{
		{"a negative move", `{"seconds":-1}`},
		{"a move of ten years and a second", fmt.Sprintf(`{"seconds":%d}`, tenYears+1)},
		{"the largest int64", `{"seconds":9223372036854775807}`},
		{"a number past int64", `{"seconds":99999999999999999999}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.clockNow().OffsetSeconds
			status, _, body := h.do("POST", "/__mock/clock/advance", "", "application/json", []byte(tt.body))
			wantError(t, status, body, 400, "invalid_body_params", "seconds")
			if after := h.clockNow().OffsetSeconds; after != before {
				t.Fatalf("a refused move changed the offset from %v to %v", before, after)
			}
		})
	}
	t.Run("a move past the total bound names seconds and says why", func(t *testing.T) {
		for range 10 {
			h.do("POST", "/__mock/clock/advance", "", "application/json", fmt.Appendf(nil, `{"seconds":%d}`, tenYears))
		}
		before := h.clockNow().OffsetSeconds
		status, _, body := h.do("POST", "/__mock/clock/advance", "", "application/json", []byte(`{"seconds":1}`))
		wantError(t, status, body, 400, "invalid_body_params", "seconds", "hundred years")
		if after := h.clockNow().OffsetSeconds; after != before {
			t.Fatalf("a refused move changed the offset from %v to %v", before, after)
		}
		// Reset is the way back.
		h.do("POST", "/__mock/reset", "", "", nil)
		if got := h.clockNow().OffsetSeconds; got != 0 {
			t.Fatalf("after reset the offset is %v", got)
		}
	})
}
