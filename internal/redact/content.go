package redact

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Body redacts a request or response body by what it holds, never by what its Content-Type
// claims: a client can send a token request as text/plain, or JSON as a form.
//
//   - A body that parses as JSON is redacted as JSON (JSON).
//   - A body shaped like a form (name=value pairs joined by &) is redacted as a form (Form).
//   - Other text (multipart, XML, free text) has no structure Body can rely on, so it is kept
//     only when it names no secret at all: no word that is or looks like a secret's name
//     (refresh_token, client_secret, code, or anything with token, secret or password in it),
//     escaped or not, and no word that looks like a bare credential (32 characters or more of
//     letters and digits mixed, as tokens and keys are). Otherwise it is withheld whole.
//     "Bearer" and "Basic" credentials in kept text are redacted (Text).
//   - Anything else (binary, invalid UTF-8) is withheld.
//
// In JSON and forms, a name or a string value that itself holds such an assignment (a form
// inside a JSON string, JSON inside a form value) is replaced by its fingerprint. contentType
// only labels a withheld binary body.
func Body(contentType string, body []byte) []byte {
	switch {
	case len(body) == 0:
		return body
	case !isText(body):
		return []byte("[" + strconv.Itoa(len(body)) + "-byte binary body withheld" + sentAs(contentType) + "]")
	}
	if out, ok := redactJSON(body); ok {
		return out
	}
	if isForm(body) {
		return Form(body)
	}
	s := string(body)
	if namesSecret(s) || hasCredentialWord(s) {
		return []byte(withheldText)
	}
	return []byte(Text(s))
}

// sentAs names the declared media type, as " (sent as image/png)", when it is a plain token: the
// only use Body makes of a Content-Type, which a client chooses freely.
func sentAs(contentType string) string {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	if mt == "" || len(mt) > 64 || strings.IndexFunc(mt, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("/.+-", r))
	}) >= 0 {
		return ""
	}
	return " (sent as " + mt + ")"
}

// withheldText replaces text that looks like it holds a secret Body cannot locate precisely.
const withheldText = "[text body withheld: it may hold a secret]"

// isText reports whether b is UTF-8 text without control characters other than tab, CR and LF.
func isText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, c := range b {
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f {
			return false
		}
	}
	return true
}

// isForm reports whether b is shaped like application/x-www-form-urlencoded data: every
// non-empty &-separated part is a name, =, and a value, both validly escaped, the name without
// spaces, quotes or brackets and the value on one line (so multipart data, JSON and free text
// with an = in them are not taken for forms).
func isForm(b []byte) bool {
	s := string(b)
	if !strings.Contains(s, "=") {
		return false
	}
	for part := range strings.SplitSeq(s, "&") {
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok || k == "" || strings.ContainsAny(k, " \t\r\n\"'{}[]<>") || strings.ContainsAny(v, "\r\n") ||
			!validEscapes(k) || !validEscapes(v) {
			return false
		}
	}
	return true
}

// validEscapes reports whether every % in s starts a two-digit hex escape.
func validEscapes(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
			i += 2
		}
	}
	return true
}

// secretWords are parts of names that mark a value as a secret even when the exact name is not
// one of secretFields (x_refresh_token, apiKey, dbPassword...). They are matched against the
// name lowercased with _, - and . removed. Free text is withheld on a match; structured bodies
// only redact by exact name (IsSecret), and use this for assignments hidden inside values.
var secretWords = []string{"token", "secret", "password", "passwd", "passphrase", "streamkey",
	"apikey", "srturl", "authorization", "cookie", "credential", "privatekey"}

// secretLooking reports whether a name found in free text looks like it names a secret.
func secretLooking(name string) bool {
	if IsSecret(name) {
		return true
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_' || c == '-' || c == '.':
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	compact := b.String()
	if IsSecret(compact) || compact == "codeverifier" {
		return true
	}
	for _, w := range secretWords {
		if strings.Contains(compact, w) {
			return true
		}
	}
	return false
}

// leaks reports whether s holds a secret-looking assignment: a secret-looking name, then = or :
// (with optional quotes and spaces around), then a value that is not already a redaction
// marker. Percent and \u escapes are decoded too, so that an escaped name is found.
func leaks(s string) bool { return decodedAny(s, assigns) }

// namesSecret reports whether s, or s with its escapes decoded, holds a word (a run of letters,
// digits, _, - and .) that is or looks like a secret's name.
func namesSecret(s string) bool { return decodedAny(s, hasSecretWord) }

// hasSecretWord is namesSecret without decoding.
func hasSecretWord(s string) bool {
	for i := 0; i < len(s); {
		if !isNameByte(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isNameByte(s[j]) {
			j++
		}
		if secretLooking(s[i:j]) {
			return true
		}
		i = j
	}
	return false
}

// decodedAny reports whether check holds for s or for s with its escapes decoded, up to an
// escape of an escape of an escape.
func decodedAny(s string, check func(string) bool) bool {
	for range 3 {
		if check(s) {
			return true
		}
		d, changed := unescapeLenient(s)
		if !changed {
			return false
		}
		s = d
	}
	return check(s)
}

// assigns is leaks without decoding.
func assigns(s string) bool {
	found := false
	eachAssignment(s, func(_, _ int) bool { found = true; return false })
	return found
}

// eachAssignment calls yield with the span of the value of every secret-looking assignment in s,
// in order, until yield returns false. An assignment is a secret-looking name, then = or : with
// optional quotes, backslashes (escaped quotes) and spaces around, then a value that is not
// already a redaction marker; the value ends at a space, a quote or a separator. A field named
// by a name attribute (name="client_secret", as multipart and HTML forms do) counts too, its
// value being the name itself, since what follows it has no delimiter to rely on.
func eachAssignment(s string, yield func(start, end int) bool) {
	for i := 0; i < len(s); i++ {
		if s[i] != '=' && s[i] != ':' {
			continue
		}
		end := i
		for end > 0 && isSpaceOrQuote(s[end-1]) {
			end--
		}
		start := end
		for start > 0 && isNameByte(s[start-1]) {
			start--
		}
		if start == end {
			continue
		}
		v := i + 1
		for v < len(s) && isSpaceOrQuote(s[v]) {
			v++
		}
		if v == len(s) || isMarker(s[v:]) {
			continue
		}
		ve := v
		for ve < len(s) && !isValueEnd(s[ve]) {
			ve++
		}
		switch {
		case secretLooking(s[start:end]):
		case strings.EqualFold(s[start:end], "name") && secretLooking(s[v:ve]):
		default:
			continue
		}
		if ve == v {
			ve = v + 1 // a value that starts with a separator: flag it, cover one byte
		}
		if !yield(v, ve) {
			return
		}
		i = ve - 1
	}
}

// isValueEnd reports whether c ends the value of an assignment in free text.
func isValueEnd(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '"', '\'', '\\', '&', ';', ',', '}', ']', ')', '<', '>':
		return true
	}
	return false
}

// redactAssignments replaces the value of every secret-looking assignment of free text by its
// fingerprint. A value given as a Bearer or Basic credential keeps its scheme (Text redacts it).
func redactAssignments(s string) string {
	var b strings.Builder
	last := 0
	eachAssignment(s, func(start, end int) bool {
		if hasPrefixFold(s[start:], "bearer ") || hasPrefixFold(s[start:], "basic ") {
			return true
		}
		b.WriteString(s[last:start])
		b.WriteString(Value(s[start:end]))
		last = end
		return true
	})
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// credentialWordLen is the shortest run of token characters taken for a bare credential: shorter
// than any token, key or secret the mock or Restream issues (40 characters), longer than words.
const credentialWordLen = 32

// hasCredentialWord reports whether s holds a run of at least credentialWordLen characters that
// tokens, keys and base64 are made of, with both letters and digits in it.
func hasCredentialWord(s string) bool {
	n, letters, digits := 0, false, false
	for i := 0; i <= len(s); i++ {
		if i < len(s) && isTokenByte(s[i]) {
			c := s[i]
			n++
			letters = letters || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
			digits = digits || ('0' <= c && c <= '9')
			continue
		}
		if n >= credentialWordLen && letters && digits {
			return true
		}
		n, letters, digits = 0, false, false
	}
	return false
}

func isTokenByte(c byte) bool {
	return isNameByte(c) || c == '~' || c == '+' || c == '/' || c == '='
}

// isMarker reports whether s starts with a redaction marker, raw or query-escaped.
func isMarker(s string) bool {
	return strings.HasPrefix(s, "[REDACTED") || strings.HasPrefix(s, "%5BREDACTED")
}

func isSpaceOrQuote(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '"' || c == '\'' || c == '\\'
}

func isNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// unescapeLenient decodes every valid %XX and \uXXXX escape of s and leaves anything else as it
// is, so that text no strict decoder accepts is still read the way a person would.
func unescapeLenient(s string) (string, bool) {
	if !strings.ContainsAny(s, `%\`) {
		return s, false
	}
	var b strings.Builder
	changed := false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			n, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b.WriteByte(byte(n))
			i += 2
			changed = true
		case s[i] == '\\' && i+5 < len(s) && s[i+1] == 'u' && isHex(s[i+2]) && isHex(s[i+3]) && isHex(s[i+4]) && isHex(s[i+5]):
			n, _ := strconv.ParseUint(s[i+2:i+6], 16, 16)
			b.WriteRune(rune(n))
			i += 5
			changed = true
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), changed
}
