package mock_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/api/gen/controlapi"
	"github.com/restreamkit/restreamkit/internal/mock"
)

// The control API reads a JSON body whatever its Content-Type, as WireMock's admin API does:
// curl -d sends application/x-www-form-urlencoded. A body that is not JSON is refused as before,
// and the clock it would have moved stays where it was.
func TestTheControlAPIReadsAJSONBodyWhateverItsContentType(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		wantStatus  int
		wantOffset  float32
	}{
		{"JSON sent as curl -d sends it", "application/x-www-form-urlencoded", `{"seconds":60}`, 200, 60},
		{"JSON sent as text/plain", "text/plain; charset=utf-8", `{"seconds":60}`, 200, 60},
		{"JSON sent without a Content-Type", "", `{"seconds":60}`, 200, 60},
		{"JSON sent as application/json", "application/json", `{"seconds":60}`, 200, 60},
		{"a form body, which is not JSON", "application/x-www-form-urlencoded", `seconds=60`, 400, 0},
		{"text that is not JSON", "text/plain", `sixty seconds`, 400, 0},
		{"JSON that breaks the schema under another type", "text/plain", `{"seconds":"sixty"}`, 400, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, mock.Options{})
			status, _, body := h.do("POST", "/__mock/clock/advance", "", tt.contentType, []byte(tt.body))
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", status, tt.wantStatus, body)
			}
			clock, err := h.ctl.GetClockWithResponse(context.Background())
			if err != nil || clock.JSON200 == nil {
				t.Fatalf("reading the clock: %v", err)
			}
			if got := clock.JSON200.OffsetSeconds; got != tt.wantOffset {
				t.Fatalf("the clock is %v s ahead, want %v", got, tt.wantOffset)
			}
		})
	}
}

// Restream's own API keeps its documented Content-Types: the extension is the control API's.
func TestRestreamsAPIStillRefusesJSONUnderAFormContentType(t *testing.T) {
	h := newHarness(t, mock.Options{})
	tok := h.token(nova)
	before := h.state()
	status, _, body := h.do("PATCH", "/v2/user/channel/1000001", tok, "application/x-www-form-urlencoded", []byte(`{"active":false}`))
	if status != 400 || !strings.Contains(string(body), "Content-Type") {
		t.Fatalf("status %d, want 400 naming the Content-Type: %s", status, body)
	}
	if h.state() != before {
		t.Fatal("a refused request changed the world")
	}
}

// The journal lists the application's requests; the test's own control calls only on request.
func TestTheJournalHidesControlCallsUnlessAskedToIncludeThem(t *testing.T) {
	h := newHarness(t, mock.Options{})
	tok := h.token(nova) // a control call
	h.do("GET", "/v2/user/profile", tok, "", nil)
	h.do("POST", "/__mock/clock/advance", "", "application/json", []byte(`{"seconds":1}`))
	h.do("GET", "/__mock/no-such-thing", "", "", nil)
	tests := []struct {
		name  string
		query string
		want  []string
	}{
		{"by default", "", []string{"GET /v2/user/profile"}},
		{"with include=control", "?include=control", []string{"POST /__mock/tokens", "GET /v2/user/profile",
			"POST /__mock/clock/advance", "GET /__mock/no-such-thing", "GET /__mock/journal"}},
		{"of one control operation without include", "?operationId=advanceClock", nil},
		{"of one control operation with include=control", "?operationId=advanceClock&include=control", []string{"POST /__mock/clock/advance"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := h.do("GET", "/__mock/journal"+tt.query, "", "", nil)
			if status != 200 {
				t.Fatalf("status %d: %s", status, body)
			}
			var j controlapi.Journal
			if err := json.Unmarshal(body, &j); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range j.Entries {
				got = append(got, e.Method+" "+e.Path)
			}
			// Each read of the journal is recorded: with include=control, the earlier reads show.
			if tt.query == "?include=control" {
				got = got[:min(len(got), len(tt.want))]
			}
			if strings.Join(got, ", ") != strings.Join(tt.want, ", ") {
				t.Fatalf("entries %q, want %q", got, tt.want)
			}
		})
	}
}

// include takes only the documented value.
func TestTheJournalRefusesAnUnknownInclude(t *testing.T) {
	h := newHarness(t, mock.Options{})
	status, _, body := h.do("GET", "/__mock/journal?include=everything", "", "", nil)
	if status != 400 || !strings.Contains(string(body), "include") {
		t.Fatalf("status %d, want 400 naming include: %s", status, body)
	}
}
