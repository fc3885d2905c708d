package apierror

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// chromeNavigation is the Accept header Chromium sends when it navigates to a page.
const chromeNavigation = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"

func TestPrefersHTMLOnlyWhenHTMLOutranksJSON(t *testing.T) {
	for _, tc := range []struct {
		name   string
		accept []string
		want   bool
	}{
		{"no Accept header gets JSON", nil, false},
		{"an empty Accept gets JSON", []string{""}, false},
		{"*/* gets JSON", []string{"*/*"}, false},
		{"application/json gets JSON", []string{"application/json"}, false},
		{"curl's default gets JSON", []string{"*/*"}, false},
		{"Chromium's navigation gets HTML", []string{chromeNavigation}, true},
		{"Firefox's navigation gets HTML", []string{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}, true},
		{"text/html alone gets HTML", []string{"text/html"}, true},
		{"text/* gets HTML", []string{"text/*"}, true},
		{"upper-case media types match", []string{"TEXT/HTML"}, true},
		{"a tie between HTML and JSON gets JSON", []string{"text/html, application/json"}, false},
		{"JSON weighted higher gets JSON", []string{"text/html;q=0.5, application/json"}, false},
		{"HTML weighted higher gets HTML", []string{"text/html, application/json;q=0.9"}, true},
		{"HTML at weight zero gets JSON", []string{"text/html;q=0, */*;q=0.1"}, false},
		{"the most specific range wins over a heavier wildcard", []string{"text/html;q=0.2, */*;q=1, application/json;q=0.1"}, true},
		{"a specific refusal beats a wildcard", []string{"*/*, text/html;q=0"}, false},
		{"JSON refused with anything else welcome gets HTML", []string{"*/*, application/json;q=0"}, true},
		{"values on several header lines are read together", []string{"text/html;q=0.5", "application/json;q=0.9"}, false},
		{"the heavier of two equal ranges counts", []string{"text/html;q=0.1, text/html;q=0.9, application/json;q=0.5"}, true},
		{"weights are read to three decimals", []string{"text/html;q=0.501, application/json;q=0.5"}, true},
		{"Q is case-insensitive and spaces are allowed", []string{"text/html ; Q=0.4 , application/json ; q=0.3"}, true},
		{"a weight above 1 voids its range", []string{"text/html;q=2, application/json;q=0.5"}, false},
		{"1.001 is no weight", []string{"text/html;q=1.001, application/json;q=0.5"}, false},
		{"a weight of four decimals voids its range", []string{"text/html;q=0.5000, application/json;q=0.4"}, false},
		{"a non-numeric weight voids its range", []string{"text/html;q=high"}, false},
		{"a range without a subtype is ignored", []string{"text, application/json;q=0.1"}, false},
		{"*/html is no range", []string{"*/html"}, false},
		{"other parameters do not narrow the match", []string{"text/html;level=1;q=0.7, application/json;q=0.6"}, true},
		{"a comma inside a quoted parameter does not split", []string{`application/json;x="a,text/html";q=0.4, text/html;q=0.3`}, false},
		{"accept extensions after q are ignored", []string{"text/html;q=0.9;ext=1, application/json;q=0.8"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := PrefersHTML(tc.accept); got != tc.want {
				t.Errorf("PrefersHTML(%q) = %v, want %v", tc.accept, got, tc.want)
			}
		})
	}
}

func TestWriteNegotiatedAnswersBrowsersWithAPageAndClientsWithTheEnvelope(t *testing.T) {
	e := New(http.StatusBadRequest, NameInvalidRequest, `Invalid request: <script>alert("x")</script> & more`).
		WithHeader("WWW-Authenticate", `Basic realm="Service"`)
	for _, tc := range []struct {
		name, accept string
		html         bool
	}{
		{"a browser gets the page", chromeNavigation, true},
		{"an API client gets the envelope", "application/json", false},
		{"no Accept gets the envelope", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/login", nil)
			if tc.accept != "" {
				r.Header.Set("Accept", tc.accept)
			}
			w := httptest.NewRecorder()
			e.WriteNegotiated(w, r)
			res := w.Result()
			body := w.Body.String()
			if res.StatusCode != http.StatusBadRequest {
				t.Errorf("status %d, want 400", res.StatusCode)
			}
			if got := res.Header.Get("Vary"); got != "Accept" {
				t.Errorf("Vary = %q, want Accept", got)
			}
			if got := res.Header.Get("WWW-Authenticate"); got == "" {
				t.Error("the error's own header is missing")
			}
			if !tc.html {
				var env Envelope
				if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil || env.Error.Message != e.Message {
					t.Errorf("body %q is not the envelope of %q (%v)", body, e.Message, err)
				}
				return
			}
			if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q, want text/html", ct)
			}
			if res.Header.Get("Content-Security-Policy") == "" {
				t.Error("the page has no Content-Security-Policy")
			}
			if strings.Contains(body, "<script>") {
				t.Errorf("the message is not escaped: %s", body)
			}
			want := `Invalid request: &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more`
			if !strings.Contains(body, want) || !strings.Contains(body, NameInvalidRequest) || !strings.Contains(body, "400 Bad Request") {
				t.Errorf("the page lacks the escaped message %q, the name or the status:\n%s", want, body)
			}
		})
	}
}

// FuzzPrefersHTML checks the Accept parser never panics, never prefers HTML to a JSON range at
// full weight, and reads a list the same whatever the order of its elements.
func FuzzPrefersHTML(f *testing.F) {
	for _, s := range []string{"", "*/*", "application/json", chromeNavigation, "text/html;q=0.5, application/json;q=0.6",
		`text/html;x="a,b";q=1`, "text/*;q=0.001", "text/html;q=1.000", "TEXT/HTML;Q=0.9", ";;,,/", `"\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		got := PrefersHTML([]string{accept})
		if PrefersHTML([]string{accept}) != got {
			t.Fatalf("PrefersHTML(%q) is not deterministic", accept)
		}
		if PrefersHTML([]string{accept, "application/json"}) {
			t.Fatalf("PrefersHTML(%q + application/json) chose HTML over JSON at full weight", accept)
		}
		if !strings.ContainsRune(accept, '"') {
			elems := strings.Split(accept, ",")
			for i, j := 0, len(elems)-1; i < j; i, j = i+1, j-1 {
				elems[i], elems[j] = elems[j], elems[i]
			}
			if rev := strings.Join(elems, ","); PrefersHTML([]string{rev}) != got {
				t.Fatalf("PrefersHTML(%q) = %v but reversed %q gives %v", accept, got, rev, !got)
			}
		}
	})
}
