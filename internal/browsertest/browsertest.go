// Package browsertest starts headless Chromium for tests that drive a page the way a person
// does (chromedp), and saves what it showed as screenshots.
//
// It exists so that every package with a page (the mock's consent dialog and dashboard, the
// proxy's dashboard) finds the browser, bounds it in time and keeps its screenshots the same way.
// A test skips when no Chromium is installed, unless RESTREAM_REQUIRE_CHROMIUM=1 (CI) turns the
// skip into a failure, so that a machine without a browser cannot pass CI by skipping.
package browsertest

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// Environment variables the helpers read.
const (
	// RequireChromiumEnv set to "1" makes a missing Chromium fail the test instead of skipping it.
	RequireChromiumEnv = "RESTREAM_REQUIRE_CHROMIUM"
	// ArtifactsEnv names a directory that keeps screenshots after the test; without it they go
	// to the test's temporary directory and vanish with it.
	ArtifactsEnv = "RESTREAM_ARTIFACTS"
)

// The default viewport is a laptop's; Timeout bounds one browser's whole life so that a stuck
// browser fails its test instead of hanging CI.
const (
	Width, Height = 1280, 800
	Timeout       = 90 * time.Second
)

// ChromiumPath finds the browser: Debian's /usr/bin/chromium, else the first of the usual names
// on PATH. Without one it skips tb, or fails it under RESTREAM_REQUIRE_CHROMIUM=1.
func ChromiumPath(tb testing.TB) string {
	tb.Helper()
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const why = "no Chromium: neither /usr/bin/chromium nor chromium, chromium-browser, google-chrome or headless-shell on PATH (apt-get install -y chromium)"
	if os.Getenv(RequireChromiumEnv) == "1" {
		tb.Fatal(why + "; " + RequireChromiumEnv + "=1 requires it")
	}
	tb.Skip(why)
	return ""
}

// NewBrowser starts headless Chromium for one test, with a fresh profile and the 1280×800
// viewport, bounded by Timeout. The browser ends with the test.
func NewBrowser(tb testing.TB) context.Context {
	tb.Helper()
	path := ChromiumPath(tb)
	profile := tb.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.UserDataDir(profile),
		chromedp.WindowSize(Width, Height))
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	tb.Cleanup(func() { bcancel(); acancel(); cancel() }) // before the profile directory is removed
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(Width, Height)); err != nil {
		tb.Fatalf("starting Chromium at %s: %v", path, err)
	}
	return bctx
}

// SetViewport resizes the page's viewport, as a phone (375 wide) or a laptop would show it.
func SetViewport(tb testing.TB, ctx context.Context, width, height int64) {
	tb.Helper()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, height)); err != nil {
		tb.Fatalf("viewport %d×%d: %v", width, height, err)
	}
}

// ColorScheme makes the page see prefers-color-scheme as "light" or "dark".
func ColorScheme(tb testing.TB, ctx context.Context, scheme string) {
	tb.Helper()
	_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
	})
	if err != nil {
		tb.Fatalf("color scheme %s: %v", scheme, err)
	}
}

// unsafeName matches what may not go into a file name.
var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Screenshot captures the viewport into name.png and checks that it decodes as a PNG of the
// viewport's size; it compares no pixels, it proves the page renders. The file goes to
// $RESTREAM_ARTIFACTS (prefixed with the test's name, so that parallel tests do not overwrite
// each other) when that is set, else to the test's temporary directory. It returns the path.
func Screenshot(tb testing.TB, ctx context.Context, name string) string {
	tb.Helper()
	size, err := chromedp.Run(ctx, chromedp.Evaluate[[2]int64](`[innerWidth, innerHeight]`))
	if err != nil {
		tb.Fatalf("screenshot %s: the viewport: %v", name, err)
	}
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.Fatalf("screenshot %s: %v", name, err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(buf))
	if err != nil {
		tb.Fatalf("screenshot %s is not a PNG: %v", name, err)
	}
	if int64(cfg.Width) != size[0] || int64(cfg.Height) != size[1] {
		tb.Fatalf("screenshot %s is %d×%d, want the %d×%d viewport", name, cfg.Width, cfg.Height, size[0], size[1])
	}
	file := filepath.Join(tb.TempDir(), unsafeName.ReplaceAllString(name, "-")+".png")
	if dir := os.Getenv(ArtifactsEnv); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			tb.Fatal(err)
		}
		file = filepath.Join(dir, unsafeName.ReplaceAllString(fmt.Sprintf("%s-%s", tb.Name(), name), "-")+".png")
	}
	if err := os.WriteFile(file, buf, 0o644); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("screenshot: %s", file)
	return file
}

// WaitFor polls the JavaScript expression in the page until it is truthy, up to 20 seconds,
// and fails tb with what it waited for otherwise. Tests wait on conditions, never on sleeps.
func WaitFor(tb testing.TB, ctx context.Context, what, expression string) {
	tb.Helper()
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](expression, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		tb.Fatalf("waiting for %s (%s): %v", what, expression, err)
	}
}
