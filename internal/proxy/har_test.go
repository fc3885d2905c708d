package proxy_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/restreamkit/restreamkit/internal/clitest"
	"github.com/restreamkit/restreamkit/internal/proxy"
	"github.com/restreamkit/restreamkit/restreamtest"
)

// harFile is the part of HAR 1.2 the test reads.
type harFile struct {
	Log struct {
		Version string `json:"version"`
		Creator struct {
			Name, Version string
		} `json:"creator"`
		Entries []struct {
			StartedDateTime string  `json:"startedDateTime"`
			Time            float64 `json:"time"`
			Request         struct {
				Method, URL, HTTPVersion string
				Headers                  []struct{ Name, Value string }
				QueryString              []struct{ Name, Value string }
				PostData                 *struct{ MimeType, Text string }
			} `json:"request"`
			Response struct {
				Status  int `json:"status"`
				Content struct {
					Size     int
					MimeType string
					Text     string
				} `json:"content"`
			} `json:"response"`
			Timings struct{ Send, Wait, Receive float64 } `json:"timings"`
		} `json:"entries"`
	} `json:"log"`
}

func TestAHARFileHoldsEveryExchangeRedacted(t *testing.T) {
	rs := restreamtest.NewServer(t)
	path := filepath.Join(t.TempDir(), "run.har")
	p, err := proxy.New(proxy.Options{Upstream: mustURL(t, rs.URL), HAR: path, Version: "v9.9.9"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(p.Handler())
	token := rs.Token(restreamtest.Nova)
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/v2/user/profile", ""},
		{"GET", "/v2/user/streamKey", ""},
		{"GET", "/v2/user/events/history?page=1&limit=5", ""},
		{"POST", "/v2/user/events/new", `{"streamType":"encoder","title":"From the HAR test"}`},
	} {
		req, _ := http.NewRequest(c.method, ts.URL+c.path, strings.NewReader(c.body))
		req.Header.Set("Authorization", "Bearer "+token)
		if c.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	ts.Close()
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	key := originalStreamKey(t, rs)
	for _, secret := range []string{token, key} {
		if strings.Contains(string(data), secret) {
			t.Fatalf("the HAR file holds a secret (%.8s...)", secret)
		}
	}
	var h harFile
	if err := json.Unmarshal(data, &h); err != nil {
		t.Fatal(err)
	}
	if h.Log.Version != "1.2" || h.Log.Creator.Name != "restream-proxy" || h.Log.Creator.Version != "v9.9.9" || len(h.Log.Entries) != 4 {
		t.Fatalf("log: version %q, creator %+v, %d entries", h.Log.Version, h.Log.Creator, len(h.Log.Entries))
	}
	for _, e := range h.Log.Entries {
		if _, err := time.Parse(time.RFC3339, e.StartedDateTime); err != nil || e.Time < 0 || e.Timings.Wait != e.Time {
			t.Errorf("%s %s: started %q, time %v, timings %+v", e.Request.Method, e.Request.URL, e.StartedDateTime, e.Time, e.Timings)
		}
		if !strings.HasPrefix(e.Request.URL, ts.URL+"/v2/") || e.Request.HTTPVersion != "HTTP/1.1" {
			t.Errorf("request URL %q, version %q", e.Request.URL, e.Request.HTTPVersion)
		}
		auth := ""
		for _, hd := range e.Request.Headers {
			if hd.Name == "Authorization" {
				auth = hd.Value
			}
		}
		if !strings.HasPrefix(auth, "Bearer [REDACTED:") {
			t.Errorf("%s: Authorization %q", e.Request.URL, auth)
		}
		if e.Response.Status == 0 || e.Response.Content.MimeType == "" || e.Response.Content.Size == 0 || e.Response.Content.Text == "" {
			t.Errorf("%s: response %+v", e.Request.URL, e.Response)
		}
	}
	byPath := map[string]int{}
	for i, e := range h.Log.Entries {
		byPath[strings.TrimPrefix(e.Request.URL, ts.URL)] = i
	}
	if e := h.Log.Entries[byPath["/v2/user/events/history?page=1&limit=5"]]; len(e.Request.QueryString) != 2 || e.Request.QueryString[0].Name != "page" || e.Request.QueryString[1].Value != "5" {
		t.Errorf("query string %+v", e.Request.QueryString)
	}
	if e := h.Log.Entries[byPath["/v2/user/events/new"]]; e.Request.PostData == nil || !strings.Contains(e.Request.PostData.Text, "From the HAR test") || e.Response.Status != 201 {
		t.Errorf("the event creation: post data %+v, status %d", e.Request.PostData, e.Response.Status)
	}
	if e := h.Log.Entries[byPath["/v2/user/streamKey"]]; !strings.Contains(e.Response.Content.Text, `"streamKey":"[REDACTED:`) {
		t.Errorf("the stream key answer shows %s", e.Response.Content.Text)
	}

	// A validator we did not write reads it as HAR 1.2 (npm har-validator, its JSON Schemas).
	node := clitest.Node(t, "../..", "har-validator")
	check := `require(process.argv[1]).har(JSON.parse(require("fs").readFileSync(process.argv[2], "utf8")))
  .then(() => console.log("valid"), (e) => { console.error(JSON.stringify(e.errors || e.message)); process.exit(1) })`
	out, err := exec.Command(node, "-e", check, filepath.Join("..", "..", "node_modules", "har-validator"), path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "valid") {
		t.Fatalf("har-validator refuses the file: %v: %s", err, out)
	}
}
