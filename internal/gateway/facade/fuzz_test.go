package facade_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/internal/gateway/facade"
)

// FuzzHandler sends arbitrary methods, paths, queries, media types and bodies through the
// facade, parsed as net/http's server parses a request line and headers (what it refuses never
// reaches a handler). With an invoker that always answers, the facade must never panic, never
// answer 5xx itself, and write every error as Restream's envelope with the answer's status.
func FuzzHandler(f *testing.F) {
	for _, seed := range [][4]string{
		{"GET", "/v1/channels/42", "", ""},
		{"GET", "/v1/channels/+007?x=1", "", ""},
		{"PATCH", "/v1/channels/42", "application/json", `{"active":false}`},
		{"PATCH", "/v1/channels/42", "application/json", `{"active":true,"active":false}`},
		{"PATCH", "/v1/channels/42/meta", "application/merge-patch+json", `{"title":"T","description":null}`},
		{"PATCH", "/v1/channels/42", "text/plain", `active=false`},
		{"GET", "/v1/events/history?page=2&limit=5&limit=6", "", ""},
		{"GET", "/v1/events/history?page=%zz;x", "", ""},
		{"GET", "/v1/events/upcoming?scheduled=T&source=3", "", ""},
		{"GET", "/v1/events/0b0c5b36-3f2e-4b8e-9d55-6a1f8b5a9c11", "", ""},
		{"DELETE", "/v1/channels/1", "", ""},
		{"GET", "/v1//channels/%2e%2e", "", ""},
		{"OPTIONS", "*", "", ""},
		{"GET", "/openapi.json", "", ""},
		{"PATCH", "/v1/channels/1", "application/json", `{"active":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[true]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3])
	}
	fac, err := facade.New(testAdapter(), &fakeInvoker{}, facade.Options{Spec: bundled(), MaxBodyBytes: 4096})
	if err != nil {
		f.Fatal(err)
	}
	h := fac.Handler()
	f.Fuzz(func(t *testing.T, method, target, contentType, body string) {
		var raw strings.Builder
		raw.WriteString(method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n")
		if contentType != "" {
			raw.WriteString("Content-Type: " + contentType + "\r\n")
		}
		raw.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw.String())))
		if err != nil {
			return // the server would have refused it before any handler
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		res := rec.Result()
		if res.StatusCode >= 500 {
			t.Fatalf("%s %q answered %d: %s", method, target, res.StatusCode, rec.Body.Bytes())
		}
		if res.StatusCode < 400 {
			return
		}
		var env struct {
			Error struct {
				StatusCode int    `json:"statusCode"`
				Name       string `json:"name"`
				Message    string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.Error.StatusCode != res.StatusCode ||
			env.Error.Name == "" || env.Error.Message == "" {
			t.Fatalf("%s %q answered %d without an envelope: %q", method, target, res.StatusCode, rec.Body.Bytes())
		}
		if res.StatusCode == http.StatusMethodNotAllowed && res.Header.Get("Allow") == "" {
			t.Fatalf("%s %q: a 405 without Allow", method, target)
		}
	})
}
