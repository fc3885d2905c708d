package record

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/restreamkit/restreamkit/internal/redact"
)

// pseudonyms replaces secrets and personal data with stand-ins of the same shape. The stand-in of
// a value depends only on the value and the recording's salt, so the same stream key gets the
// same stand-in wherever it shows (getStreamKey, an SRT URL's passphrase, getEventSrtStreamKey),
// in this run and in the next one into the same directory: the recorded world stays consistent.
// Without the salt a stand-in cannot be traced back to its value.
type pseudonyms struct {
	salt []byte
}

// keyPrefix is the part of a stream key or SRT stream id that says whose it is (re_<user>_,
// srt_<user>_): kept, because the fixture rules tie a key to its user.
var keyPrefix = regexp.MustCompile(`^((?:re|srt)_[0-9]+_)(.+)$`)

// personal are the JSON fields that hold personal data rather than credentials.
var personal = map[string]bool{"email": true}

// value returns v, a decoded JSON value found under key, with its secrets replaced.
func (ps pseudonyms) value(key string, v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = ps.value(k, x)
		}
		return v
	case []any:
		for i, x := range v {
			v[i] = ps.value(key, x)
		}
		return v
	case string:
		switch {
		case personal[strings.ToLower(key)]:
			return ps.email(v)
		case strings.Contains(v, "://"):
			return ps.url(v, redact.IsSecret(key))
		case redact.IsSecret(key):
			return ps.secret(v)
		}
	}
	return v
}

// body returns a JSON body with its secrets replaced, or nil when it is not JSON.
func (ps pseudonyms) body(raw []byte) json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false) // URLs keep their & as written
	if enc.Encode(ps.value("", v)) != nil {
		return nil
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n"))
}

// stream returns n pseudo-random bytes for v.
func (ps pseudonyms) stream(v string, n int) []byte {
	var out []byte
	for block := byte(0); len(out) < n; block++ {
		m := hmac.New(sha256.New, ps.salt)
		m.Write([]byte{block})
		m.Write([]byte(v))
		out = m.Sum(out)
	}
	return out[:n]
}

// secret returns the stand-in of a credential: the same length and the same kinds of characters
// (a hex digit stays a hex digit), its owner's prefix kept.
func (ps pseudonyms) secret(v string) string {
	prefix, rest := "", v
	if m := keyPrefix.FindStringSubmatch(v); m != nil {
		prefix, rest = m[1], m[2]
	}
	r := ps.stream(v, len(rest))
	b := []byte(rest)
	for i, c := range b {
		switch {
		case c >= '0' && c <= '9':
			b[i] = '0' + r[i]%10
		case c >= 'a' && c <= 'f':
			b[i] = 'a' + r[i]%6
		case c >= 'g' && c <= 'z':
			b[i] = 'a' + r[i]%26
		case c >= 'A' && c <= 'F':
			b[i] = 'A' + r[i]%6
		case c >= 'G' && c <= 'Z':
			b[i] = 'A' + r[i]%26
		}
	}
	return prefix + string(b)
}

// email returns the stand-in of an e-mail address.
func (ps pseudonyms) email(v string) string {
	if v == "" {
		return v
	}
	return "user-" + hex.EncodeToString(ps.stream(v, 5)) + "@example.com"
}

// url returns a URL with the values of its secret query parameters replaced, in place, so that
// the order of the parameters (which the SRT URL rule reads) is kept. whole is set when the field
// itself is secret (srtUrl): then a URL without a query is replaced whole.
func (ps pseudonyms) url(v string, whole bool) string {
	base, query, ok := strings.Cut(v, "?")
	if !ok {
		if whole {
			return ps.secret(v)
		}
		return v
	}
	pairs := strings.Split(query, "&")
	for i, pair := range pairs {
		name, val, ok := strings.Cut(pair, "=")
		if ok && redact.IsSecret(name) {
			pairs[i] = name + "=" + ps.secret(val)
		}
	}
	return base + "?" + strings.Join(pairs, "&")
}
