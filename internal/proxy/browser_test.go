package proxy_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/restreamkit/restreamkit/internal/browsertest"
	"github.com/restreamkit/restreamkit/internal/proxy"
)

// statusLog records the status of every dashboard request a test server answers, so that a test
// can see what the proxy did with a request the browser made on a page's behalf.
type statusLog struct {
	mu   sync.Mutex
	seen []string // "path status origin"
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int)        { r.status = code; r.ResponseWriter.WriteHeader(code) }
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (l *statusLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w, status: 200}
		if strings.HasPrefix(r.URL.Path, proxy.UIPrefix) {
			l.mu.Lock()
			l.seen = append(l.seen, fmt.Sprintf("%s %d %s", r.URL.Path, 0, r.Header.Get("Origin")))
			i := len(l.seen) - 1
			l.mu.Unlock()
			defer func() {
				l.mu.Lock()
				l.seen[i] = fmt.Sprintf("%s %d %s", r.URL.Path, rec.status, r.Header.Get("Origin"))
				l.mu.Unlock()
			}()
		}
		h.ServeHTTP(rec, r)
	})
}

// await waits until a request line with the given prefix has been answered.
func (l *statusLog) await(t *testing.T, prefix string) string {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		l.mu.Lock()
		for _, s := range l.seen {
			if strings.HasPrefix(s, prefix) {
				l.mu.Unlock()
				return s
			}
		}
		l.mu.Unlock()
	}
	t.Fatalf("no dashboard request %q was answered; seen %v", prefix, l.seen)
	return ""
}

func run(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// noOverflow checks the page is as wide as the viewport: nothing to scroll sideways.
func noOverflow(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	if w := eval[[2]int64](t, ctx, `[document.documentElement.scrollWidth, innerWidth]`); w[0] > w[1] {
		t.Errorf("%s: the page is %d px wide in a %d px viewport", what, w[0], w[1])
	}
}

func TestABadRequestAppearsLiveOnTheDashboardAndOneClickShowsItsViolation(t *testing.T) {
	ctx := browsertest.NewBrowser(t)
	p, err := proxy.New(proxy.Options{Upstream: mustURL(t, startMock(t))})
	if err != nil {
		t.Fatal(err)
	}
	var log statusLog
	ts := httptest.NewServer(log.wrap(p.Handler()))
	t.Cleanup(func() { p.CloseWebSockets(context.Background()); ts.Close(); p.Close(context.Background()) })
	base := ts.URL

	run(t, ctx, chromedp.Navigate(base+proxy.UIPrefix))
	browsertest.WaitFor(t, ctx, "the live feed", `document.querySelector("[data-live-status]").textContent === "live"`)

	// A client sends a bad request through the proxy: the row appears without a reload.
	send(t, base, "PATCH", "/v2/user/channel/1", "application/json", badChannelPatch, bearer)
	browsertest.WaitFor(t, ctx, "the bad request's row", `[...document.querySelectorAll("#exchanges tbody tr")].some(r => r.textContent.includes("/v2/user/channel/1") && r.textContent.includes("1 violation"))`)
	run(t, ctx, chromedp.Click(chromedp.CSS(`#exchanges tbody tr details summary`)))
	got := eval[[3]string](t, ctx, `(() => { const d = document.querySelector("#exchanges tbody tr details[open]");
		return d ? [d.querySelector(".pointer").textContent, d.querySelector(".expected").textContent, d.querySelector(".actual").textContent] : ["", "", ""] })()`)
	if got != [3]string{"/active", "boolean", "string"} {
		t.Fatalf("one click shows %q, want the pointer /active, expected boolean, actual string", got)
	}
	browsertest.Screenshot(t, ctx, "proxy-exchanges-light")
	browsertest.ColorScheme(t, ctx, "dark")
	browsertest.Screenshot(t, ctx, "proxy-exchanges-dark")
	browsertest.ColorScheme(t, ctx, "light")

	// A hostile path (markup and quotes) is shown as text, live and on a reload.
	send(t, base, "GET", `/v2/%3Cimg%20src=x%20onerror=%22window.pwned=1%22%3E'q`, "", "", "")
	browsertest.WaitFor(t, ctx, "the hostile row", `document.querySelector("#exchanges tbody").textContent.includes('<img src=x onerror="window.pwned=1">')`)
	run(t, ctx, chromedp.Reload())
	browsertest.WaitFor(t, ctx, "the hostile row after a reload", `document.querySelector("#exchanges tbody").textContent.includes('<img src=x onerror="window.pwned=1">')`)
	if n := eval[int](t, ctx, `document.querySelectorAll("#exchanges img").length + (window.pwned ? 100 : 0)`); n != 0 {
		t.Fatal("the hostile path became markup on the page")
	}

	// The keyboard alone reaches the skip link first, then the violation, and opens it.
	run(t, ctx, chromedp.Reload())
	browsertest.WaitFor(t, ctx, "the page", `document.querySelector("#exchanges summary") !== null`)
	run(t, ctx, chromedp.KeyEvent(kb.Tab))
	if cls := eval[string](t, ctx, `document.activeElement.className`); cls != "skip" {
		t.Fatalf("the first Tab focuses %q, want the skip link", cls)
	}
	for i := 0; i < 40 && !eval[bool](t, ctx, `document.activeElement.tagName === "SUMMARY"`); i++ {
		run(t, ctx, chromedp.KeyEvent(kb.Tab))
	}
	run(t, ctx, chromedp.KeyEvent(kb.Enter))
	if !eval[bool](t, ctx, `document.activeElement.tagName === "SUMMARY" && document.activeElement.parentElement.open`) {
		t.Fatal("Tab never reached a violation, or Enter did not open it")
	}

	// Laptop and phone widths, light and dark, without sideways scrolling.
	for _, v := range []struct {
		name          string
		width, height int64
	}{{"1280", 1280, 800}, {"375", 375, 800}} {
		browsertest.SetViewport(t, ctx, v.width, v.height)
		for _, scheme := range []string{"light", "dark"} {
			browsertest.ColorScheme(t, ctx, scheme)
			for _, pg := range []string{"", "operations"} {
				run(t, ctx, chromedp.Navigate(base+proxy.UIPrefix+pg))
				browsertest.WaitFor(t, ctx, "the page", `document.querySelector("h1") !== null`)
				noOverflow(t, ctx, pg+" at "+v.name)
				name := pg
				if name == "" {
					name = "exchanges"
				}
				browsertest.Screenshot(t, ctx, fmt.Sprintf("proxy-%s-%s-%s", name, v.name, scheme))
			}
		}
	}
	// The exchange page, at the phone's width.
	run(t, ctx, chromedp.Navigate(base+proxy.UIPrefix+"?violations=on"))
	run(t, ctx, chromedp.Navigate(eval[string](t, ctx, `document.querySelector("#exchanges tbody tr td a").href`)))
	browsertest.WaitFor(t, ctx, "the exchange page", `document.querySelector(".pointer") !== null`)
	noOverflow(t, ctx, "the exchange at 375")
	browsertest.Screenshot(t, ctx, "proxy-exchange-375-dark")

	// A page of another site cannot read the live feed: the proxy refuses its EventSource.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!DOCTYPE html><title>evil</title><script>new EventSource(%q)</script>`, base+proxy.UIEvents)
	}))
	defer evil.Close()
	run(t, ctx, chromedp.Navigate(strings.Replace(evil.URL, "127.0.0.1", "localhost", 1)))
	if line := log.await(t, proxy.UIEvents+" 403 http://localhost:"); line == "" {
		t.Fatal("unreachable")
	}
}
