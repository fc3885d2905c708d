package webui_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/restreamkit/restreamkit/internal/browsertest"
	"github.com/restreamkit/restreamkit/internal/webui"
)

type pageData struct {
	Greeting string
	N, Size  int64
	Rows     []string
}

// pageServer serves the test page in the layout at /, the assets at /assets/ and a stream at
// /events, and returns its URL and broker.
func pageServer(t *testing.T, data pageData) (string, *webui.Broker) {
	t.Helper()
	tmpl, err := webui.ParsePage(os.DirFS("testdata"), nil, "page.html")
	if err != nil {
		t.Fatal(err)
	}
	b := webui.NewBroker(webui.BrokerOptions{})
	mux := http.NewServeMux()
	mux.Handle("/assets/", http.StripPrefix("/assets/", webui.Assets()))
	mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) {
		b.Serve(w, r, webui.StreamOptions{Render: func(w io.Writer, ev webui.Event) error {
			_, err := io.WriteString(w, "<tr><td>"+ev.Value.(string)+"</td><td>new</td></tr>")
			return err
		}})
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		_ = webui.Render(w, tmpl, http.StatusOK, webui.Frame{
			Product: "test-product", Title: "Requests", Assets: "/assets/", Live: "/events",
			Nav:     []webui.Link{{Label: "Requests", Href: "/"}, {Label: "World", Href: "/world"}},
			Current: "/", Message: "channel 3 disabled", Data: data,
		})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	t.Cleanup(b.Close) // first: the browser's stream would hold srv.Close
	return srv.URL, b
}

func TestTheLayoutRendersTheSkipLinkTheNavigationAndTheSecurityHeaders(t *testing.T) {
	url, _ := pageServer(t, pageData{Greeting: `<script>alert("x")</script>`, N: 12345, Size: 1 << 20})
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	page := string(body)
	for _, want := range []string{
		`<a class="skip" href="#main">Skip to content</a>`,
		`<main id="main" tabindex="-1">`,
		`<nav aria-label="Dashboard">`,
		`<a href="/" aria-current="page">Requests</a>`,
		`<a href="/world">World</a>`,
		`<title>Requests · test-product</title>`,
		`<strong>Done:</strong> channel 3 disabled`,
		`12,345 requests, 1.0 MiB`,
		`&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`,
		`<script src="/assets/live.js" defer></script>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(page, `<script>alert`) {
		t.Error("the hostile greeting is in the page unescaped")
	}
	for k, want := range map[string]string{
		"Content-Security-Policy": "frame-ancestors 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
	} {
		if got := res.Header.Get(k); !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if csp := res.Header.Get("Content-Security-Policy"); strings.Contains(csp, "unsafe-inline") {
		t.Errorf("the CSP allows inline code: %s", csp)
	}
}

func TestTheAssetsAreServedWithTheirTypes(t *testing.T) {
	url, _ := pageServer(t, pageData{})
	for path, want := range map[string]string{"/assets/style.css": "text/css", "/assets/live.js": "javascript"} {
		res, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Type"), want) {
			t.Errorf("GET %s: %s %s, want 200 %s", path, res.Status, res.Header.Get("Content-Type"), want)
		}
	}
}

func TestInChromiumTheLayoutFitsAPhoneInBothSchemesAndTheScriptPrependsLiveRows(t *testing.T) {
	ctx := browsertest.NewBrowser(t)
	rows := make([]string, 30)
	for i := range rows {
		rows[i] = strings.Repeat("a-long-unbroken-value-", 6)
	}
	url, b := pageServer(t, pageData{Greeting: "hello", N: 3, Size: 100, Rows: rows})
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.ID("greeting"))); err != nil {
		t.Fatal(err)
	}
	// The live script connects and says so; then a published row appears at the top.
	browsertest.WaitFor(t, ctx, "the live status", `document.querySelector("[data-live-status]").textContent === "live"`)
	b.Publish(webui.Event{Name: "row", Value: "pushed &lt;b&gt;"})
	browsertest.WaitFor(t, ctx, "the published row, first", `document.querySelector("tbody tr td").textContent === "pushed <b>"`)
	// Tab from the top reaches the skip link first; Enter moves focus to the main content.
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
		t.Fatal(err)
	}
	focused, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.textContent`))
	if err != nil || focused != "Skip to content" {
		t.Fatalf("the first Tab focused %q (%v), want the skip link", focused, err)
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, "focus on the main content after the skip link", `document.activeElement.id === "main"`)
	for _, w := range []int64{1280, 375} {
		browsertest.SetViewport(t, ctx, w, 800)
		for _, scheme := range []string{"light", "dark"} {
			browsertest.ColorScheme(t, ctx, scheme)
			overflow, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.documentElement.scrollWidth - innerWidth`))
			if err != nil {
				t.Fatal(err)
			}
			if overflow > 0 {
				t.Errorf("at %d px wide the page overflows by %v px", w, overflow)
			}
			bg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundColor`))
			if err != nil {
				t.Fatal(err)
			}
			if dark := bg != "rgb(255, 255, 255)"; dark != (scheme == "dark") {
				t.Errorf("in the %s scheme the background is %s", scheme, bg)
			}
			browsertest.Screenshot(t, ctx, "webui-layout-"+scheme+"-"+map[int64]string{1280: "1280", 375: "375"}[w])
		}
	}
}
