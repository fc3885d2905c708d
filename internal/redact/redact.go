// Package redact hides credentials and stream secrets before anything is logged, journaled or
// reported: Authorization headers, token and key query values, and secret fields of JSON and
// form bodies. A redacted value keeps a short fingerprint (the first bytes of its SHA-256), so two
// log lines can still be seen to carry the same token without revealing it.
package redact

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"
)

// secretFields are the JSON, form and query names whose values are secrets.
var secretFields = map[string]bool{
	"access_token": true, "refresh_token": true, "accesstoken": true, "refreshtoken": true,
	"client_secret": true, "clientsecret": true, "code": true, "code_verifier": true, "token": true,
	"streamkey": true, "passphrase": true, "srturl": true, "rtmppassword": true, "password": true,
	"request": false,
}

// IsSecret reports whether a field, form or query name holds a secret. Names are compared
// without regard to case.
func IsSecret(name string) bool { return secretFields[strings.ToLower(name)] }

// secretHeaders are the headers whose values are credentials.
var secretHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key"}

// IsSecretHeader reports whether a header carries credentials (Authorization, Cookie, X-Api-Key...).
func IsSecretHeader(name string) bool {
	for _, s := range secretHeaders {
		if strings.EqualFold(s, name) {
			return true
		}
	}
	return false
}

// Field returns value as it may be shown when it was found under name, a body field, a query or
// form parameter or a header: redacted when name holds secrets, unchanged otherwise.
func Field(name, value string) string {
	switch {
	case value == "":
		return ""
	case IsSecretHeader(name):
		return HeaderValue(name, value)
	case IsSecret(name):
		return Value(value)
	}
	return value
}

// authSchemes are the credential schemes Text looks for in free text.
var authSchemes = []string{"bearer ", "basic "}

// Text redacts credentials that free text (an error message, a quoted header) may carry: every
// "Bearer <token>" and "Basic <credentials>", whatever the case of the scheme.
func Text(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		n := 0
		for _, scheme := range authSchemes {
			// Compared in place: a lower-cased copy can differ in length (invalid UTF-8, "K"),
			// and its offsets would then miss the credential in s.
			if len(s)-i >= len(scheme) && strings.EqualFold(s[i:i+len(scheme)], scheme) {
				n = len(scheme)
				break
			}
		}
		if n == 0 {
			i++
			continue
		}
		start := i + n
		end := start
		for end < len(s) && s[end] != ' ' && s[end] != '"' && s[end] != ',' && s[end] != '\'' {
			end++
		}
		if end > start {
			b.WriteString(s[last:start])
			b.WriteString(Value(s[start:end]))
			last = end
		}
		i = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// Value returns the redacted form of a secret: "[REDACTED:1a2b3c]".
func Value(secret string) string {
	if secret == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(secret))
	return "[REDACTED:" + hex.EncodeToString(sum[:3]) + "]"
}

// Authorization redacts the credentials of an Authorization header value, keeping its scheme.
func Authorization(v string) string {
	if v == "" {
		return ""
	}
	if scheme, cred, ok := strings.Cut(v, " "); ok {
		return scheme + " " + Value(cred)
	}
	return Value(v)
}

// HeaderValue returns the value of header name as it may be shown: redacted for credential
// headers (keeping an Authorization scheme), unchanged otherwise.
func HeaderValue(name, v string) string {
	switch {
	case strings.EqualFold(name, "Authorization"), strings.EqualFold(name, "Proxy-Authorization"):
		return Authorization(v)
	case IsSecretHeader(name):
		return Value(v)
	}
	return v
}

// Query redacts the secret values of a raw query string (accessToken, code, ...), and the values of
// parameters named like a credential header (cookie, x-api-key, ...): clients do send those in the
// query. The result keeps the order and the other values exactly as sent.
func Query(raw string) string {
	if raw == "" {
		return ""
	}
	parts := strings.Split(raw, "&")
	changed := false
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if ok && (IsSecret(name) || IsSecretHeader(name)) {
			dv, err := url.QueryUnescape(v)
			if err != nil {
				dv = v
			}
			parts[i] = k + "=" + url.QueryEscape(Value(dv))
			changed = true
		}
	}
	if !changed {
		return raw
	}
	return strings.Join(parts, "&")
}

// URL redacts secret query values of a URL string (a web chat URL's token, an SRT URL's
// passphrase), leaving anything else as is.
func URL(s string) string {
	i := strings.IndexByte(s, '?')
	if i < 0 {
		return s
	}
	return s[:i+1] + Query(s[i+1:])
}

// Form redacts the secret fields of an application/x-www-form-urlencoded body.
func Form(body []byte) []byte { return []byte(Query(string(body))) }

// JSON redacts the values of secret fields anywhere in a JSON document, and secret query values in
// URL strings. A document that is not valid JSON is returned as a placeholder rather than risk
// leaking part of it.
func JSON(body []byte) []byte {
	if len(bytes.TrimSpace(body)) == 0 {
		return body
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return []byte(`"[unparsable body withheld]"`)
	}
	out, err := json.Marshal(walk(doc))
	if err != nil {
		return []byte(`"[unparsable body withheld]"`)
	}
	return out
}

func walk(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if IsSecret(k) {
				switch s := val.(type) {
				case string:
					x[k] = Value(s)
				case nil:
				default:
					x[k] = "[REDACTED]"
				}
				continue
			}
			x[k] = walk(val)
		}
	case []any:
		for i := range x {
			x[i] = walk(x[i])
		}
	case string:
		if strings.Contains(x, "://") && strings.Contains(x, "?") {
			return URL(x)
		}
	}
	return v
}

// Body redacts a body by its content type: JSON, form, or (anything else) withheld.
func Body(contentType string, body []byte) []byte {
	mt, _, _ := strings.Cut(strings.ToLower(contentType), ";")
	mt = strings.TrimSpace(mt)
	switch {
	case len(body) == 0:
		return body
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		return JSON(body)
	case mt == "application/x-www-form-urlencoded":
		return Form(body)
	case strings.HasPrefix(mt, "text/"):
		return body
	}
	return []byte("[" + mt + " body withheld]")
}
