package apierror

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"strings"
)

// PrefersHTML reports whether the Accept header values of a request (all its Accept lines, as
// http.Header.Values returns them) rank text/html above application/json. It is the one place
// that chooses between an HTML error page and the JSON envelope.
//
// The header is read as RFC 9110 §12.5.1 says: each media range may carry a q weight from 0 to
// 1 (default 1), and a media type takes the weight of the most specific range that matches it
// (text/html over text/* over */*; of equally specific ranges the highest weight counts). HTML
// wins only with a weight above zero and strictly above JSON's, so a request without Accept, with
// */* or with application/json gets the envelope, as API clients expect, while a browser's
// navigation (text/html,...,*/*;q=0.8) gets the page. Malformed ranges and weights are ignored,
// not guessed at. Media type parameters other than q do not narrow a match.
func PrefersHTML(accept []string) bool {
	html := preference{spec: -1}
	json := preference{spec: -1}
	for _, line := range accept {
		for _, elem := range splitQuoted(line, ',') {
			typ, sub, q, ok := parseMediaRange(elem)
			if !ok {
				continue
			}
			html.match(typ, sub, q, "text", "html")
			json.match(typ, sub, q, "application", "json")
		}
	}
	return html.q > 0 && html.q > json.q
}

// preference is the weight a media type has so far (in thousandths) and how specific the range
// that gave it was: 0 for */*, 1 for type/*, 2 for type/subtype, -1 for no match yet.
type preference struct{ q, spec int }

func (p *preference) match(typ, sub string, q int, wantType, wantSub string) {
	spec := -1
	switch {
	case typ == "*" && sub == "*":
		spec = 0
	case typ == wantType && sub == "*":
		spec = 1
	case typ == wantType && sub == wantSub:
		spec = 2
	}
	if spec < 0 || spec < p.spec {
		return
	}
	if spec > p.spec || q > p.q {
		p.q, p.spec = q, spec
	}
}

// parseMediaRange reads one element of Accept: type "/" subtype, then ";"-separated parameters,
// of which only q matters. Type and subtype are returned in lower case; q is in thousandths.
func parseMediaRange(elem string) (typ, sub string, q int, ok bool) {
	parts := splitQuoted(elem, ';')
	rng := strings.TrimSpace(parts[0])
	typ, sub, found := strings.Cut(rng, "/")
	if !found || !isToken(typ) || !isToken(sub) || typ == "*" && sub != "*" {
		return "", "", 0, false
	}
	q = 1000
	for _, p := range parts[1:] {
		name, value, found := strings.Cut(strings.TrimSpace(p), "=")
		if !found || !isToken(strings.TrimSpace(name)) {
			return "", "", 0, false
		}
		if strings.EqualFold(strings.TrimSpace(name), "q") {
			if q, ok = parseQValue(strings.TrimSpace(value)); !ok {
				return "", "", 0, false
			}
			break // what follows q are accept extensions, not media type parameters
		}
	}
	return strings.ToLower(typ), strings.ToLower(sub), q, true
}

// parseQValue reads RFC 9110's qvalue: "0" ["." 0*3DIGIT] or "1" ["." 0*3"0"], in thousandths.
func parseQValue(s string) (int, bool) {
	if s == "" || len(s) > 5 || s[0] != '0' && s[0] != '1' {
		return 0, false
	}
	whole, frac, dot := strings.Cut(s, ".")
	if len(whole) != 1 || dot && len(frac) > 3 {
		return 0, false
	}
	n := int(whole[0]-'0') * 1000
	scale := 100
	for i := 0; i < len(frac); i++ {
		c := frac[i]
		if c < '0' || c > '9' || n == 1000 && c != '0' {
			return 0, false
		}
		n += int(c-'0') * scale
		scale /= 10
	}
	return n, true
}

// splitQuoted splits s at sep outside double-quoted strings (with backslash escapes), as header
// lists with quoted parameter values need.
func splitQuoted(s string, sep byte) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == sep:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// isToken reports whether s is a non-empty RFC 9110 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// errorPageCSS is the page's only style sheet, inline and allowed by hash.
const errorPageCSS = `body{margin:0;padding:48px 16px;background:#0b1a33;font:15px/1.5 system-ui,sans-serif;color:#1d2433}
main{max-width:520px;margin:0 auto;background:#fff;border-radius:12px;padding:28px}
h1{font-size:19px;margin:0 0 12px}p{margin:0 0 10px}code{font:13px ui-monospace,monospace;background:#f2f4f8;border-radius:4px;padding:1px 4px}
.muted{color:#6b7489;font-size:13px}`

var errorPageCSP = func() string {
	sum := sha256.Sum256([]byte(errorPageCSS))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; frame-ancestors 'none'; base-uri 'none'"
}()

var errorPage = template.Must(template.New("error").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Status}} {{.StatusText}} | Restream</title>
<style>{{.CSS}}</style>
</head>
<body>
<main>
<h1>{{.Status}} {{.StatusText}}</h1>
<p id="message">{{.Message}}</p>
<p class="muted">Error <code>{{.Name}}</code>. You were not sent back to the application.</p>
</main>
</body>
</html>
`))

// HTML returns the error page of e: the status, the message and the name, each escaped.
func (e *Error) HTML() []byte {
	var buf bytes.Buffer
	err := errorPage.Execute(&buf, struct {
		Status           int
		StatusText, Name string
		Message          string
		CSS              template.CSS
	}{e.Status, http.StatusText(e.Status), e.Name, e.Message, template.CSS(errorPageCSS)})
	if err != nil { // cannot happen: the data holds only strings and ints
		panic(err)
	}
	return buf.Bytes()
}

// WriteNegotiated sends e to a page a browser opens: as the HTML page when r's Accept prefers
// text/html (PrefersHTML), else as the envelope, with the same status and headers either way.
// Vary: Accept tells caches that the body depends on it.
func (e *Error) WriteNegotiated(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Vary", "Accept")
	if !PrefersHTML(r.Header.Values("Accept")) {
		e.Write(w)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", errorPageCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	e.write(w, "text/html; charset=utf-8", e.HTML())
}
