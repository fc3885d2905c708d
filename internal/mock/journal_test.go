package mock_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/restreamkit/restreamkit/api/gen/controlapi"
	"github.com/restreamkit/restreamkit/internal/mock"
)

// journal reads the whole journal over the control API, raw and decoded.
func (h *harness) journal(t *testing.T) ([]byte, controlapi.Journal) {
	t.Helper()
	status, _, body := h.request(t, "GET", "/__mock/journal", "", "", nil)
	if status != 200 {
		t.Fatalf("reading the journal: %d %s", status, body)
	}
	var j controlapi.Journal
	if err := json.Unmarshal(body, &j); err != nil {
		t.Fatal(err)
	}
	return body, j
}

// send sends a request with the given headers (each set once, under exactly that name) and body,
// and returns the status.
func send(h *harness, method, target string, header map[string]string, body []byte) int {
	status, _, _ := h.send(rawRequest{method: method, path: target, header: header, body: string(body)})
	return status
}

// Issue 8: a token request sent as text/plain showed its refresh token and client secret in
// clear. Bodies are redacted by what they hold, whatever their Content-Type says.
func TestTheJournalRedactsBodiesByContentNotByDeclaredType(t *testing.T) {
	h := newHarness(t, mock.Options{})
	refresh := h.pair(nova).RefreshToken
	const clientSecret = "restreamkit-dev-secret"
	form := "grant_type=refresh_token&refresh_token=" + refresh + "&client_id=restreamkit-dev&client_secret=" + clientSecret
	asJSON := `{"grant_type":"refresh_token","refresh_token":"` + refresh + `","client_secret":"` + clientSecret + `"}`
	multipart := "--b\r\nContent-Disposition: form-data; name=\"refresh_token\"\r\n\r\n" + refresh +
		"\r\n--b\r\nContent-Disposition: form-data; name=\"client_secret\"\r\n\r\n" + clientSecret + "\r\n--b--\r\n"
	tests := []struct {
		name, contentType, body string
	}{
		{"a form sent as text/plain", "text/plain", form},
		{"a form sent as application/octet-stream", "application/octet-stream", form},
		{"a form sent with no Content-Type", "", form},
		{"a form sent as application/json; charset=utf-8", "application/json; charset=utf-8", form},
		{"a form sent as text/html", "text/html", form},
		{"JSON sent as text/plain", "text/plain", asJSON},
		{"JSON sent as a form", "application/x-www-form-urlencoded", asJSON},
		{"JSON sent with no Content-Type", "", asJSON},
		{"multipart form data", "multipart/form-data; boundary=b", multipart},
		{"multipart form data sent as text/plain", "text/plain", multipart},
		{"a form inside a form value", "application/x-www-form-urlencoded", "grant_type=refresh_token&state=" + url.QueryEscape(form)},
		{"the bare refresh token", "text/plain", refresh},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.request(t, "DELETE", "/__mock/journal", "", "", nil)
			h.request(t, "POST", "/oauth/token", "", tt.contentType, []byte(tt.body))
			raw, j := h.journal(t)
			for _, secret := range []string{refresh, clientSecret} {
				if bytes.Contains(raw, []byte(secret)) {
					t.Fatalf("the journal shows a secret in clear: %s", raw)
				}
			}
			i := slices.IndexFunc(j.Entries, func(e controlapi.JournalEntry) bool { return e.OperationId == "refreshToken" })
			if i < 0 || j.Entries[i].RequestBody == nil || *j.Entries[i].RequestBody == "" {
				t.Fatalf("the token request is not journaled with a body: %s", raw)
			}
		})
	}
	t.Run("what holds no secret is kept as sent", func(t *testing.T) {
		h.request(t, "DELETE", "/__mock/journal", "", "", nil)
		h.request(t, "POST", "/oauth/token", "", "text/plain", []byte("grant_type=refresh_token&client_id=restreamkit-dev"))
		_, j := h.journal(t)
		i := slices.IndexFunc(j.Entries, func(e controlapi.JournalEntry) bool { return e.OperationId == "refreshToken" })
		if i < 0 || *j.Entries[i].RequestBody != "grant_type=refresh_token&client_id=restreamkit-dev" {
			t.Fatalf("the entry is %+v", j.Entries)
		}
	})
}

const bigHeader = 120 << 10 // a request header the gate refuses with 431

// Issue 8: the journal kept whole header values, even of requests refused with 431, so 3,000
// requests held 758 MB. Every field of an entry is bounded, and a cut is marked.
func TestJournalEntriesAreBoundedAndSaySoWhenCut(t *testing.T) {
	h := newHarness(t, mock.Options{})
	manyHeaders := map[string]string{}
	for i := range 100 {
		manyHeaders[fmt.Sprintf("X-Header-%03d", i)] = strings.Repeat("v", 100)
	}
	longPath := "/" + strings.Repeat("p", 5000)
	tests := []struct {
		name       string
		method     string
		target     string
		header     map[string]string
		body       []byte
		wantStatus int
		wantCut    []controlapi.JournalEntryTruncated
		check      func(t *testing.T, e controlapi.JournalEntry)
	}{
		{"a 120 KB header refused with 431", "GET", "/v2/platform/all", map[string]string{"X-Big": strings.Repeat("b", bigHeader)}, nil,
			431, []controlapi.JournalEntryTruncated{controlapi.Headers}, func(t *testing.T, e controlapi.JournalEntry) {
				if v := (*e.Headers)["X-Big"]; len(v) > 256+3 || !strings.HasSuffix(v, "…") {
					t.Fatalf("the header value kept is %d bytes: %.40q...", len(v), v)
				}
			}},
		{"a 120 KB credential refused with 431", "GET", "/v2/user/profile", map[string]string{"Authorization": "Bearer " + strings.Repeat("t", bigHeader)}, nil,
			431, nil, func(t *testing.T, e controlapi.JournalEntry) {
				if v := (*e.Headers)["Authorization"]; !strings.HasPrefix(v, "Bearer [REDACTED:") || len(v) > 64 {
					t.Fatalf("the credential is kept as %.80q", v)
				}
			}},
		{"a hundred headers", "GET", "/v2/platform/all", manyHeaders, nil,
			200, []controlapi.JournalEntryTruncated{controlapi.Headers, controlapi.ResponseBody}, func(t *testing.T, e controlapi.JournalEntry) {
				if n := len(*e.Headers); n != 32 {
					t.Fatalf("%d headers kept, want 32", n)
				}
			}},
		{"a long path and its long error message", "GET", longPath, nil, nil,
			404, []controlapi.JournalEntryTruncated{controlapi.Path, controlapi.Message, controlapi.ResponseBody}, func(t *testing.T, e controlapi.JournalEntry) {
				if len(e.Path) > 2048+3 || len(*e.Message) > 1024+3 || !strings.HasPrefix(e.Path, "/ppp") {
					t.Fatalf("path %d bytes, message %d bytes", len(e.Path), len(*e.Message))
				}
			}},
		{"a long query", "GET", "/v2/platform/all?" + strings.Repeat("q", 5000) + "=1", nil, nil,
			200, []controlapi.JournalEntryTruncated{controlapi.Query, controlapi.ResponseBody}, func(t *testing.T, e controlapi.JournalEntry) {
				if len(e.Query) > 2048+3 {
					t.Fatalf("query %d bytes", len(e.Query))
				}
			}},
		{"a long body", "POST", "/oauth/revoke", map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			[]byte("token=" + strings.Repeat("t", 40) + "&note=" + strings.Repeat("é", 10000)),
			400, []controlapi.JournalEntryTruncated{controlapi.RequestBody}, func(t *testing.T, e controlapi.JournalEntry) {
				if len(*e.RequestBody) > 4096+3 || !utf8.ValidString(*e.RequestBody) || !strings.Contains(*e.RequestBody, "token=%5BREDACTED") {
					t.Fatalf("body %d bytes: %.80q", len(*e.RequestBody), *e.RequestBody)
				}
			}},
		{"a long method", strings.Repeat("M", 100), "/v2/platform/all", nil, nil,
			405, []controlapi.JournalEntryTruncated{controlapi.Method}, func(t *testing.T, e controlapi.JournalEntry) {
				if len(e.Method) > 32+3 {
					t.Fatalf("method %d bytes", len(e.Method))
				}
			}},
		// The platform list is longer than the 4 KiB of response an entry keeps.
		{"an ordinary request", "GET", "/v2/platform/all", map[string]string{"Accept": "application/json"}, nil,
			200, []controlapi.JournalEntryTruncated{controlapi.ResponseBody}, func(t *testing.T, e controlapi.JournalEntry) {
				if (*e.Headers)["Accept"] != "application/json" {
					t.Fatalf("headers %v", *e.Headers)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.request(t, "DELETE", "/__mock/journal", "", "", nil)
			if status := send(h, tt.method, tt.target, tt.header, tt.body); status != tt.wantStatus {
				t.Fatalf("status %d, want %d", status, tt.wantStatus)
			}
			_, j := h.journal(t)
			if len(j.Entries) != 1 {
				t.Fatalf("want the request alone (the clear is a control call), got %d entries", len(j.Entries))
			}
			e := j.Entries[0]
			var cut []controlapi.JournalEntryTruncated
			if e.Truncated != nil {
				cut = *e.Truncated
			}
			slices.Sort(cut)
			slices.Sort(tt.wantCut)
			if !slices.Equal(cut, tt.wantCut) {
				t.Fatalf("truncated %v, want %v", cut, tt.wantCut)
			}
			tt.check(t, e)
		})
	}
}

// liveHeap returns the live heap after collecting twice (the second frees what sync.Pools held).
func liveHeap() int64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// The journal's worst case is --journal-size × JournalEntryMaxBytes: filled with the largest
// entries requests can make, over real HTTP, it holds no more.
func TestTheJournalStaysWithinItsDocumentedSize(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a journal with the largest entries")
	}
	const size = 200
	// Headers as large as the gate lets through (32 KiB with the request line), in more headers
	// than an entry keeps, each longer than an entry keeps.
	nearLimit := map[string]string{}
	for i := range 40 {
		nearLimit[fmt.Sprintf("X-Header-%02d", i)] = strings.Repeat("h", 600)
	}
	longName := strings.Repeat("n", 1500)
	classes := []struct {
		name   string
		method string
		target string
		header map[string]string
		body   []byte
	}{
		{"refused with 431 for a 120 KB header", "GET", "/v2/platform/all", map[string]string{"X-Big": strings.Repeat("b", bigHeader)}, nil},
		{"a long unknown path with headers near the limit", "GET", "/" + strings.Repeat("p", 2200), nearLimit, nil},
		{"a token request with a long query, headers near the limit and an 8 KB body", "POST",
			"/oauth/token?" + longName + "=" + strings.Repeat("v", 700),
			withHeader(nearLimit, "Content-Type", "application/x-www-form-urlencoded"),
			[]byte("grant_type=refresh_token&note=" + strings.Repeat("x", 8<<10))},
		{"a response larger than an entry keeps, with headers near the limit", "GET", "/__mock/state", nearLimit, nil},
	}
	for _, c := range classes {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, mock.Options{JournalSize: size})
			send(h, c.method, c.target, c.header, c.body) // warm the connection and the pools
			h.request(t, "DELETE", "/__mock/journal", "", "", nil)
			before := liveHeap()
			for range size {
				send(h, c.method, c.target, c.header, c.body)
			}
			grew := liveHeap() - before
			_, _, body := h.request(t, "GET", "/__mock/journal?include=control", "", "", nil)
			var j controlapi.Journal
			if err := json.Unmarshal(body, &j); err != nil {
				t.Fatal(err)
			}
			runtime.KeepAlive(h)
			if last := j.Entries[len(j.Entries)-2]; last.Truncated == nil {
				t.Fatalf("the largest entries must be marked as cut: %+v", last)
			}
			t.Logf("%d entries: %d bytes, %d per entry (bound %d)", size, grew, grew/size, mock.JournalEntryMaxBytes)
			if grew > size*mock.JournalEntryMaxBytes {
				t.Fatalf("the journal grew by %d bytes for %d entries, over %d × JournalEntryMaxBytes", grew, size, size)
			}
		})
	}
}

// withHeader returns a copy of h with one more header.
func withHeader(h map[string]string, k, v string) map[string]string {
	out := maps.Clone(h)
	out[k] = v
	return out
}

func TestTheJournalKeepsTheStartOfEachResponseRedacted(t *testing.T) {
	h := newHarness(t, mock.Options{})
	pair := h.pair(nova)
	form := "grant_type=refresh_token&refresh_token=" + pair.RefreshToken + "&client_id=" + devClient + "&client_secret=restreamkit-dev-secret"
	if status := send(h, "POST", "/oauth/token", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, []byte(form)); status != 200 {
		t.Fatalf("refreshing: %d", status)
	}
	send(h, "GET", "/v2/user/profile", map[string]string{"Authorization": "Bearer bad"}, nil)
	send(h, "GET", "/__mock/state", nil, nil)
	status, _, body := h.request(t, "GET", "/__mock/journal?include=control", "", "", nil)
	var j controlapi.Journal
	if err := json.Unmarshal(body, &j); status != 200 || err != nil {
		t.Fatalf("reading the journal: %d %v", status, err)
	}
	byPath := map[string]controlapi.JournalEntry{}
	for _, e := range j.Entries {
		byPath[e.Path] = e
	}
	tok := byPath["/oauth/token"]
	if tok.ResponseBody == nil || !strings.Contains(*tok.ResponseBody, `"access_token":"[REDACTED:`) {
		t.Fatalf("the token response is kept as %v, want it with the tokens redacted", tok.ResponseBody)
	}
	for _, e := range j.Entries {
		if e.ResponseBody != nil && strings.Contains(*e.ResponseBody, pair.RefreshToken) {
			t.Fatalf("%s %s: the journal shows a token in clear", e.Method, e.Path)
		}
	}
	if e := byPath["/v2/user/profile"]; e.ResponseBody == nil || !strings.Contains(*e.ResponseBody, `"name":"invalid_token"`) {
		t.Fatalf("the 401's body is kept as %v, want its envelope", e.ResponseBody)
	}
	big := byPath["/__mock/state"]
	if big.ResponseBody == nil || len(*big.ResponseBody) > 4<<10+len("…") || big.Truncated == nil ||
		!slices.Contains(*big.Truncated, controlapi.ResponseBody) {
		t.Fatalf("the large response is kept as %d bytes, truncated %v: want at most 4 KiB, marked", len(deref(big.ResponseBody)), big.Truncated)
	}
}
