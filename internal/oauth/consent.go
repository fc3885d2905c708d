package oauth

import (
	"bytes"
	"crypto/sha256"
	_ "embed" // the consent page template
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"regexp"
)

//go:embed consent.html
var consentHTML string

// consentCSS is the page's only style sheet. It is inline so the page needs no other
// resource, and the Content-Security-Policy allows exactly it by hash.
const consentCSS = `
*{box-sizing:border-box}
body{margin:0;padding:24px 0;height:100vh;display:flex;align-items:center;justify-content:center;
 background:#0b1a33;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2433}
.card{width:min(440px,94vw);max-height:100%;display:flex;flex-direction:column;background:#fff;
 border-radius:12px;padding:28px 28px 20px;box-shadow:0 12px 40px rgba(0,0,0,.35)}
form{display:flex;flex-direction:column;min-height:0;flex:0 1 auto}
.scroll{overflow-y:auto;min-height:80px;flex:0 1 auto}
.brand{display:flex;align-items:center;gap:8px;margin-bottom:18px}
.logo{font-weight:800;font-size:20px;color:#2d6df6;letter-spacing:-.02em}
.badge{font-size:11px;text-transform:uppercase;letter-spacing:.08em;background:#eef2ff;color:#4a5578;
 border-radius:4px;padding:1px 6px}
h1{font-size:19px;font-weight:500;margin:0 0 6px}
h2{font-size:14px;font-weight:600;margin:18px 0 8px}
.muted,footer{color:#6b7489;font-size:13px}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f2f4f8;border-radius:4px;padding:1px 4px}
.scopes{list-style:none;margin:0;padding:0}
.scopes li{display:flex;justify-content:space-between;gap:10px;padding:7px 0;border-bottom:1px solid #edf0f5}
.scopes li code{white-space:nowrap;align-self:center}
fieldset{border:1px solid #dfe3eb;border-radius:8px;margin:18px 0;padding:8px 12px}
legend{font-weight:600;font-size:14px;padding:0 4px}
.account{display:flex;gap:10px;align-items:center;padding:6px 0;cursor:pointer}
.account small{color:#6b7489;margin-left:4px}
.warn{color:#a33a00;margin:6px 0}
.actions{display:flex;justify-content:flex-end;gap:10px;padding-top:14px;border-top:1px solid #edf0f5}
button{font:inherit;font-weight:600;border-radius:8px;padding:9px 18px;cursor:pointer;border:1px solid transparent}
.primary{background:#2d6df6;color:#fff}
.primary:hover{background:#1f58d6}
.secondary{background:#fff;color:#1d2433;border-color:#cfd5e1}
footer{margin-top:18px;text-align:center}
`

var consentTemplate = template.Must(template.New("consent").Parse(consentHTML))

// consentCSP lets the page use its own inline style and nothing else, and forbids framing
// (clickjacking a consent page would grant tokens). It has no form-action directive:
// browsers apply that to the redirect that follows the post, which leaves for the client's
// origin.
var consentCSP = func() string {
	sum := sha256.Sum256([]byte(consentCSS))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; frame-ancestors 'none'; base-uri 'none'"
}()

// SetConsentHeaders sets the response headers the consent page needs: its content type, no
// caching (it holds a single-use request id), no framing and a strict content policy. The
// /login handler calls it before writing RenderConsent's output with status 200.
func SetConsentHeaders(h http.Header) {
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", consentCSP)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

// consentPage is the template's data.
type consentPage struct {
	*Consent
	CSS             template.CSS
	Action          string
	RedirectHost    string
	FieldRequest    string
	FieldAccount    string
	FieldDecision   string
	DecisionApprove string
	DecisionDeny    string
}

// RenderConsent writes the consent page for c: the application's name, the permissions it
// asks for with a description each, a choice of the accounts to sign in as (the default one
// checked), the hidden request id and Allow/Deny buttons, posting to the configured
// ConsentAction. Allow is the form's first submit button, so pressing Enter in the form (a
// browser's implicit submission) approves; Deny follows it, marked formnovalidate. The
// permissions and accounts scroll inside the card, which never grows past the viewport, so
// the buttons stay in view however many of them there are. Every value is escaped by
// html/template. The page is rendered in full before anything is written, so an error leaves
// w untouched.
func (s *Server) RenderConsent(w io.Writer, c *Consent) error {
	if c == nil {
		return errors.New("oauth: RenderConsent of a nil Consent")
	}
	page := consentPage{
		Consent:         c,
		CSS:             template.CSS(consentCSS),
		Action:          s.consentAction,
		FieldRequest:    FieldRequest,
		FieldAccount:    FieldAccount,
		FieldDecision:   FieldDecision,
		DecisionApprove: DecisionApprove,
		DecisionDeny:    DecisionDeny,
	}
	if u, err := url.Parse(c.RedirectURI); err == nil {
		page.RedirectHost = u.Host
	}
	var buf bytes.Buffer
	if err := consentTemplate.Execute(&buf, page); err != nil {
		return fmt.Errorf("oauth: render consent page: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

var (
	consentFormAction = regexp.MustCompile(`<form[^>]*\baction="([^"]+)"`)
	consentRequestID  = regexp.MustCompile(`name="` + FieldRequest + `"\s+value="([^"]+)"|value="([^"]+)"\s+name="` + FieldRequest + `"`)
)

// ConsentForm reads a rendered consent page as a browser submitting it would: the form's action
// and the pending request id to post back with FieldAccount and FieldDecision. ok is false when
// the page has no such form. Tests and restreamtest sign in through it instead of parsing the page
// each on their own.
func ConsentForm(page []byte) (action, requestID string, ok bool) {
	a := consentFormAction.FindSubmatch(page)
	r := consentRequestID.FindSubmatch(page)
	if a == nil || r == nil {
		return "", "", false
	}
	return html.UnescapeString(string(a[1])), html.UnescapeString(string(r[1]) + string(r[2])), true
}
