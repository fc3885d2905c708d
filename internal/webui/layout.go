package webui

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
)

//go:embed layout.html assets
var files embed.FS

// Link is one entry of a dashboard's navigation.
type Link struct {
	Label string
	Href  string
}

// Frame is what the layout shows around a page: the product and page names, the navigation
// with the current entry marked, a result message, and where the assets and the live stream
// are. The page's own values are in Data, which its "content" template receives as .Data.
type Frame struct {
	Product string // "restream-mock", shown in the header and the title
	Title   string // the page's name, its <h1>
	Nav     []Link
	Current string // Href of the current Nav entry (aria-current="page")
	Assets  string // URL prefix where Assets is mounted, ending in "/"
	// Live is the URL of the page's SSE stream; empty leaves the script out.
	Live string
	// Message is the result of the last action (after a POST and its 303), Failed marks it as
	// a refusal; both are shown in words, never by colour alone.
	Message string
	Failed  bool
	Data    any
}

// base holds the layout, parsed once.
var base = template.Must(template.New("layout.html").Funcs(Funcs()).ParseFS(files, "layout.html"))

// ParsePage returns the layout with one page's templates added from fsys. The page must define
// "content"; it may use the formatting Funcs and any extra funcs given.
func ParsePage(fsys fs.FS, extra template.FuncMap, patterns ...string) (*template.Template, error) {
	t, err := base.Clone()
	if err != nil {
		return nil, err
	}
	return t.Funcs(extra).ParseFS(fsys, patterns...)
}

// SetHeaders sets the headers every dashboard response carries: a Content-Security-Policy that
// allows only this origin's script and style (no inline script, so an escaped-but-odd value can
// never run), no framing, no sniffing, no referrer, no caching.
func SetHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
}

// Render executes the page's layout with f into memory first, so that a template error becomes
// a 500 instead of half a page, then writes it with status and the dashboard headers.
func Render(w http.ResponseWriter, t *template.Template, status int, f Frame) error {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", f); err != nil {
		http.Error(w, "rendering the page failed: "+err.Error(), http.StatusInternalServerError)
		return err
	}
	SetHeaders(w.Header())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// Assets serves the stylesheet (style.css) and the live script (live.js); mount it under the
// Frame's Assets prefix with http.StripPrefix.
func Assets() http.Handler {
	sub, err := fs.Sub(files, "assets")
	if err != nil {
		panic(err) // cannot happen: the directory is embedded
	}
	fsrv := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		SetHeaders(w.Header())
		w.Header().Set("Cache-Control", "no-cache")
		fsrv.ServeHTTP(w, r)
	})
}
