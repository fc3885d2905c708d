package proxy_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/restreamkit/restreamkit/internal/proxy"
)

// reports is everything a proxy reports once it is closed.
type reports struct {
	lines   []string // JSON lines
	junit   string
	summary string
	metrics string
}

// boundedProxy serves a proxy with every report on, in front of an upstream that answers 404.
func boundedProxy(t *testing.T, opts proxy.Options) (p *proxy.Proxy, base string, finish func() reports) {
	t.Helper()
	dir := t.TempDir()
	if opts.Upstream == nil {
		up := newBrokenUpstream(t)
		up.answer.Store(&canned{404, "application/json", envelope})
		opts.Upstream = mustURL(t, up.url)
	}
	var summary bytes.Buffer
	opts.Report, opts.JUnit, opts.Summary = dir+"/r.jsonl", dir+"/j.xml", &summary
	p, err := proxy.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := p.HTTPServer("", p.Handler())
	base = serve(t, ts)
	return p, base, func() reports {
		_, m := send(t, base, "GET", "/__proxy/metrics", "", "", "")
		ts.Close()
		if err := p.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
		return reports{lines: readLines(t, dir+"/r.jsonl"), junit: readFile(t, dir+"/j.xml"), summary: summary.String(), metrics: string(m)}
	}
}

// proxySeries returns the proxy's own metric series (not Go's or the process's).
func proxySeries(metrics string) []string {
	var out []string
	for _, l := range strings.Split(metrics, "\n") {
		if strings.HasPrefix(l, "restream_proxy_") {
			out = append(out, l[:strings.LastIndexByte(l, ' ')]) // without the value
		}
	}
	return out
}

var testcase = regexp.MustCompile(`<testcase name="([^"]*)"`)

func TestUnknownRoutesShareOneBucketWhateverTheirPathOrMethod(t *testing.T) {
	// The same traffic shape at two volumes: the report's size must not follow the volume.
	shapes := map[int]reports{}
	for _, n := range []int{20, 2000} {
		_, base, finish := boundedProxy(t, proxy.Options{})
		for i := range n {
			method := "GET"
			switch i % 4 {
			case 1:
				method = "BREW" + strconv.Itoa(i) // a method the client made up
			case 2:
				method = "DELETE" // a method /v2/user/profile does not have
			}
			path := "/nope/" + strconv.Itoa(i)
			if method == "DELETE" {
				path = "/v2/user/profile"
			}
			if res, _ := send(t, base, method, path, "", "", bearer); res.StatusCode != 404 {
				t.Fatalf("%s %s: the upstream's 404 must reach the client, got %d", method, path, res.StatusCode)
			}
		}
		shapes[n] = finish()
	}
	small, large := shapes[20], shapes[2000]
	if got, want := len(large.lines), 2000; got != want {
		t.Fatalf("every unknown route must still be a JSON line: got %d, want %d", got, want)
	}
	var last proxy.Record
	if err := json.Unmarshal([]byte(large.lines[len(large.lines)-1]), &last); err != nil || last.Path != "/nope/1999" || last.Method != "GET" {
		t.Fatalf("a JSON line must carry the real method and path: %v %s", err, large.lines[len(large.lines)-1])
	}
	if got := testcase.FindAllStringSubmatch(large.junit, -1); len(got) != 1 || got[0][1] != proxy.UnknownOperation {
		t.Fatalf("the JUnit file must have one test case, %q, got %v", proxy.UnknownOperation, got)
	}
	if a, b := strings.Count(small.summary, "\n"), strings.Count(large.summary, "\n"); a != b || !strings.Contains(large.summary, "unknown") {
		t.Fatalf("the summary grew from %d to %d rows:\n%s", a, b, large.summary)
	}
	if a, b := proxySeries(small.metrics), proxySeries(large.metrics); len(a) != len(b) {
		t.Fatalf("the metrics grew from %d to %d series:\n%s", len(a), len(b), strings.Join(b, "\n"))
	}
	for _, want := range []string{
		`restream_proxy_requests_total{method="GET",operation="unknown",status="404"} 1000`,
		`restream_proxy_requests_total{method="OTHER",operation="unknown",status="404"} 500`,
		`restream_proxy_requests_total{method="DELETE",operation="unknown",status="404"} 500`,
		`restream_proxy_violations_total{direction="request",operation="unknown",rule="unknown-path"} 1500`,
		`restream_proxy_violations_total{direction="request",operation="unknown",rule="method-not-allowed"} 500`,
	} {
		if !strings.Contains(large.metrics, want) {
			t.Fatalf("the metrics lack %s:\n%s", want, grep(large.metrics, "restream_proxy_"))
		}
	}
}

func TestEveryReportedFieldIsCutToABoundedSize(t *testing.T) {
	long := strings.Repeat("x", 20<<10) // under the header limit, far over what a report keeps
	cases := []struct {
		name, method, path, ctype, body string
	}{
		{"a long unknown path", "GET", "/nope/" + long, "", ""},
		{"a long undocumented query parameter", "GET", "/v2/user/profile?" + long + "=1", "", ""},
		{"a long query value next to a token", "GET", "/nope?accessToken=abc&q=" + long, "", ""},
		{"a long method", "X" + strings.ToUpper(long[:8<<10]), "/v2/user/profile", "", ""},
		{"a long undocumented property", "PATCH", "/v2/user/channel/1", "application/json", `{"` + long + `":true}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, base, finish := boundedProxy(t, proxy.Options{})
			send(t, base, tc.method, tc.path, tc.ctype, tc.body, bearer)
			r := finish()
			if len(r.lines) == 0 || r.lines[0] == "" {
				t.Fatal("the request must be reported")
			}
			cut := false
			for _, l := range r.lines {
				if len(l) > 8<<10 {
					t.Fatalf("a %d-byte JSON line: %.300s", len(l), l)
				}
				cut = cut || strings.Contains(l, "more bytes cut")
			}
			if !cut {
				t.Fatalf("no JSON line says what was cut:\n%s", strings.Join(r.lines, "\n"))
			}
			if len(r.junit) > 16<<10 {
				t.Fatalf("the JUnit file is %d bytes for one violation", len(r.junit))
			}
		})
	}
}

func TestWebSocketViolationsAreFiledUnderTheirFeedWithoutTheToken(t *testing.T) {
	mockURL, token := mockWithFeeds(t)
	_, base, finish := boundedProxy(t, proxy.Options{Upstream: mustURL(t, mockURL), ChatUpstream: mustURL(t, wsURL(mockURL)+"/chat/ws")})
	chat := dial(t, wsURL(base)+"/chat/ws?accessToken="+token)
	if err := chat.Write(t.Context(), websocket.MessageText, []byte(`{"action":"reply","text":"hi"}`)); err != nil {
		t.Fatal(err)
	}
	// Close returns once the proxy has read the close frame, so the frame before it was checked.
	if err := chat.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Fatal(err)
	}
	r := finish()
	if got := testcase.FindAllStringSubmatch(r.junit, -1); len(got) != 1 || got[0][1] != "websocket chat" {
		t.Fatalf("the JUnit file must file the frame under %q, got %v", "websocket chat", got)
	}
	if !strings.Contains(r.metrics, `restream_proxy_violations_total{direction="client-frame",operation="websocket chat",rule="unexpected-frame"} 1`) {
		t.Fatalf("the metrics must file the frame under the feed:\n%s", grep(r.metrics, "violations_total"))
	}
	for name, out := range map[string]string{"junit": r.junit, "summary": r.summary, "metrics": r.metrics, "report": strings.Join(r.lines, "\n")} {
		if strings.Contains(out, token[:10]) {
			t.Errorf("the %s shows the token:\n%s", name, out)
		}
		if (name == "summary" || name == "metrics") && strings.Contains(out, "/ws") {
			t.Errorf("the %s names the socket by its path:\n%s", name, out)
		}
	}
	if !strings.Contains(r.summary, "websocket chat") {
		t.Fatalf("the summary lacks the feed:\n%s", r.summary)
	}
}
