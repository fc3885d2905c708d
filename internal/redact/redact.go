// Package redact hides credentials and stream secrets before anything is logged, journaled or
// reported: Authorization headers, token and key query values, secret fields of JSON and form
// bodies, and secret-looking assignments in free text. Bodies are read by what they hold, never
// by the Content-Type a client declares (Body). A redacted value keeps a short fingerprint (the
// first bytes of its SHA-256), so two log lines can still be seen to carry the same token
// without revealing it. It is the only place that decides what is a secret.
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
// "Bearer <token>" and "Basic <credentials>", whatever the case of the scheme, where what follows
// the scheme looks like a credential rather than a word of prose (isCredential), and the value of
// every secret-looking assignment (refresh_token=..., "client_secret":"...", x-api-key: ...).
func Text(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		n := 0
		for _, scheme := range authSchemes {
			if hasPrefixFold(s[i:], scheme) {
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
		if !isCredential(s[start:end]) {
			i = start // "a Bearer token with scope": prose, not a credential
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(Value(s[start:end]))
		last = end
		i = end
	}
	if last > 0 {
		b.WriteString(s[last:])
		s = b.String()
	}
	return redactAssignments(s)
}

// isCredential reports whether w, the word after "Bearer " or "Basic " in free text, may be a
// credential rather than prose. Tokens, keys and Basic credentials are hex or base64-like: they
// hold digits or token punctuation ("-._~+/="), mix cases, or run longer than words do. A word of
// letters alone in one case, or capitalised, shorter than credentialWordLen ("token", "Auth",
// "HTTP"), in parentheses or followed by a sentence's punctuation, is prose and stays as written.
func isCredential(w string) bool {
	w = strings.TrimLeft(strings.TrimRight(w, ".:;!?)"), "(")
	if w == "" {
		return false
	}
	if len(w) >= credentialWordLen {
		return true
	}
	upper := 0
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case 'A' <= c && c <= 'Z':
			upper++
		case 'a' <= c && c <= 'z':
		default:
			return true // a digit, token punctuation or anything else a word lacks
		}
	}
	first := 'A' <= w[0] && w[0] <= 'Z'
	return !(upper == 0 || upper == len(w) || (upper == 1 && first))
}

// hasPrefixFold is strings.HasPrefix ignoring ASCII case; prefix is lower case.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
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
// query. The result keeps the order and the other values exactly as sent, except that a name or
// value which itself holds a secret-looking assignment (a token form smuggled into a state
// parameter) is replaced by its fingerprint.
func Query(raw string) string {
	if raw == "" {
		return ""
	}
	parts := strings.Split(raw, "&")
	changed := false
	for i, p := range parts {
		k, v, hasValue := strings.Cut(p, "=")
		name, value := unescape(k), unescape(v)
		switch {
		case hasValue && (IsSecret(name) || IsSecretHeader(name)):
			parts[i] = k + "=" + url.QueryEscape(Value(value))
		case leaks(name):
			parts[i] = url.QueryEscape(Value(p))
		case hasValue && leaks(name+"="+value): // "x;password=..." ends in a secret's name
			parts[i] = k + "=" + url.QueryEscape(Value(value))
		default:
			continue
		}
		changed = true
	}
	if !changed {
		return raw
	}
	return strings.Join(parts, "&")
}

// unescape decodes a query name or value, or returns it as sent when it is not validly escaped.
func unescape(s string) string {
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return s
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

// JSON redacts the values of secret fields anywhere in a JSON document, secret query values in
// URL strings, credentials in strings, and any name or string that itself holds a secret-looking
// assignment. A document that is not valid JSON is returned as a placeholder rather than risk
// leaking part of it.
func JSON(body []byte) []byte {
	if len(bytes.TrimSpace(body)) == 0 {
		return body
	}
	if out, ok := redactJSON(body); ok {
		return out
	}
	return []byte(`"[unparsable body withheld]"`)
}

// redactJSON is JSON for a body that parses; ok is false when it does not.
func redactJSON(body []byte) (out []byte, ok bool) {
	if !json.Valid(body) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, false
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep & and < readable in URLs and text
	if err := enc.Encode(walk(doc)); err != nil {
		return nil, false
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), true
}

func walk(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			switch {
			case IsSecret(k):
				out[k] = secretValue(val)
			case leaks(k):
				out[Value(k)] = walk(val)
			default:
				out[k] = walk(val)
			}
		}
		return out
	case []any:
		for i := range x {
			x[i] = walk(x[i])
		}
	case string:
		return redactString(x)
	}
	return v
}

// secretValue is what a secret field's value becomes: a fingerprint for a string, a plain
// marker for anything else, null kept.
func secretValue(v any) any {
	switch s := v.(type) {
	case string:
		return Value(s)
	case nil:
		return nil
	}
	return "[REDACTED]"
}

// redactString redacts a string found in a document: secret query values of a URL, Bearer and
// Basic credentials, and, when a secret-looking assignment still shows, the whole string.
func redactString(s string) string {
	r := s
	if strings.Contains(r, "://") && strings.Contains(r, "?") {
		r = URL(r)
	}
	r = Text(r)
	if leaks(r) {
		return Value(s)
	}
	return r
}
