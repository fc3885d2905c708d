package har

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func exchange(body []byte) Exchange {
	u, _ := url.Parse("http://127.0.0.1:8090/v2/user/profile?accessToken=abc&x=1")
	return Exchange{Started: time.Now(), Method: "GET", URL: u, RequestHeader: http.Header{"Cookie": {"session=s3cr3t"}},
		Status: 200, ResponseHeader: http.Header{"Content-Type": {"application/json"}}, ResponseBody: body}
}

func TestAnArchiveIsBoundedAndSaysWhatItLeftOut(t *testing.T) {
	a := New("restream-proxy test")
	for range MaxEntries + 2 {
		a.Add(exchange([]byte(`{}`)))
	}
	path := filepath.Join(t.TempDir(), "a.har")
	if err := a.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	var h struct {
		Log struct {
			Entries []json.RawMessage
			Comment string
		}
	}
	if err := json.Unmarshal(data, &h); err != nil {
		t.Fatal(err)
	}
	if len(h.Log.Entries) != MaxEntries || !strings.HasPrefix(h.Log.Comment, "2 exchanges are not in this archive") {
		t.Fatalf("%d entries, comment %q", len(h.Log.Entries), h.Log.Comment)
	}
	if strings.Contains(string(data), "s3cr3t") || strings.Contains(string(data), "accessToken=abc") {
		t.Fatal("a credential of the query or a cookie reached the file")
	}
}

func TestBodiesAreCutOrLeftOutButNeverBreakTheFile(t *testing.T) {
	long := []byte(`{"text":"` + strings.Repeat("é", MaxBodyText) + `"}`)
	tests := []struct {
		name    string
		body    []byte
		comment string
	}{
		{"a body over the limit is cut on a character boundary", long, "cut at "},
		{"a body that is not UTF-8 is described, not kept", []byte{0xff, 0xfe, 0x00}, "3 bytes that are not UTF-8 text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := New("restream-proxy test")
			a.Add(exchange(tt.body))
			e := a.entries[0].Response.Content
			if !strings.HasPrefix(e.Comment, tt.comment) || len(e.Text) > MaxBodyText || !utf8.ValidString(e.Text) {
				t.Fatalf("content: %d bytes of text, comment %q", len(e.Text), e.Comment)
			}
		})
	}
}
