package upstream

import (
	"bytes"
	"slices"
	"sync"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/restreamkit/restreamkit/internal/jsontext"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// An output mapping that hands on the whole answer ("$") used to cost a decode of the upstream's
// body into Go values and an encode of them back: most of the gateway's own time on a call. The
// answer it gives is the body as encoding/json writes what it reads, and that is what canonical
// computes straight from the bytes, with no Go values in between: whitespace dropped, each
// object's members sorted by key (a key given twice keeps its last value), every string
// rewritten in encoding/json's escaping (SetEscapeHTML(false): "&" and "<" as they are, \n, \t,
// \u00XX for other control characters, \u2028 and \u2029; invalid UTF-8 as U+FFFD), and numbers
// as written (UseNumber keeps 1.0, 1e400 and 12345678901234567890 exact). It checks the syntax
// as it goes, as json.Valid does, so that the body is read once. FuzzCanonical holds it to
// json.Valid and to the decode and encode it replaces, byte for byte. (It is not
// internal/validate's scanner, whose JSON is stricter: that refuses invalid UTF-8, which
// encoding/json takes and canonical must take with it.)

// maxCanonicalReorder bounds the bytes canonical moves to sort members, as a multiple of the
// document: an answer nested deep with unsorted keys at every level would cost more than
// decoding it, so canonical gives up and the caller decodes.
const maxCanonicalReorder = 4

// maxJSONDepth is encoding/json's nesting limit: a deeper document is not valid JSON to it.
const maxJSONDepth = 10000

// canonicalStatus is how a canonical run ended.
type canonicalStatus int

const (
	// canonicalDone: the answer is written.
	canonicalDone canonicalStatus = iota
	// canonicalInvalid: src is not one JSON value (json.Valid is false).
	canonicalInvalid
	// canonicalGaveUp: reordering went over its budget; src may or may not be valid.
	canonicalGaveUp
)

// canonicalizer holds the scratch space of one canonical run.
type canonicalizer struct {
	src []byte
	out []byte
	// members is a stack of the members of the objects being written, innermost last.
	members []member
	// keys holds the decoded keys that differ from their text in src (escapes, invalid UTF-8).
	keys []byte
	// str is a decoded string; tmp the members of an object being put in order.
	str, tmp []byte
	// moved counts the bytes reordering moved; budget bounds it.
	moved, budget int
	depth         int
	status        canonicalStatus
}

// member is one member of an object: its decoded key (in src, or in keys when decoding changed
// it), its place in the object, and where it was written in out.
type member struct {
	keyOff, keyLen int
	inKeys         bool
	start, end     int
}

// canonical appends to dst the bytes encoding/json's Encoder (SetEscapeHTML(false), without its
// final newline) writes for the value json.Decoder (UseNumber) reads from src: one JSON value,
// surrounding whitespace allowed. The status says whether it did, or src is not JSON, or it
// gave up (an answer deeply nested with keys out of order at many levels: the caller then
// decodes and encodes).
func canonical(dst, src []byte) ([]byte, canonicalStatus) {
	c := canonicalizers.Get().(*canonicalizer)
	defer c.release()
	c.src, c.out, c.moved, c.budget, c.depth, c.status = src, dst, 0, maxCanonicalReorder*len(src), 0, canonicalDone
	i := c.value(c.space(0))
	if c.status == canonicalDone && c.space(i) != len(src) {
		c.status = canonicalInvalid // trailing data
	}
	if c.status != canonicalDone {
		return dst, c.status
	}
	return c.out, canonicalDone
}

// canonicalizers keep their scratch space between runs; maxCanonicalScratch bounds what one
// keeps.
var canonicalizers = sync.Pool{New: func() any { return new(canonicalizer) }}

const maxCanonicalScratch = 64 << 10

func (c *canonicalizer) release() {
	if cap(c.keys) > maxCanonicalScratch || cap(c.str) > maxCanonicalScratch || cap(c.tmp) > maxCanonicalScratch ||
		cap(c.members) > maxCanonicalScratch/32 {
		return
	}
	c.src, c.out = nil, nil
	c.members, c.keys, c.str, c.tmp = c.members[:0], c.keys[:0], c.str[:0], c.tmp[:0]
	canonicalizers.Put(c)
}

// fail stops the run: src is not JSON.
func (c *canonicalizer) fail() int {
	if c.status == canonicalDone {
		c.status = canonicalInvalid
	}
	return len(c.src)
}

// space skips whitespace from i.
func (c *canonicalizer) space(i int) int {
	for i < len(c.src) {
		switch c.src[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// value writes the value at src[i] and returns the index after it.
func (c *canonicalizer) value(i int) int {
	if c.status != canonicalDone || i >= len(c.src) {
		return c.fail()
	}
	switch c.src[i] {
	case '{':
		return c.object(i)
	case '[':
		return c.array(i)
	case '"':
		end := c.stringEnd(i)
		if c.status != canonicalDone {
			return end
		}
		if raw := c.src[i:end]; safeASCII(raw[1 : len(raw)-1]) {
			c.out = append(c.out, raw...) // written as encoding/json writes it already
		} else {
			c.str = unquoteJSON(c.str[:0], raw[1:len(raw)-1])
			c.out = jsontext.AppendString(c.out, c.str)
		}
		return end
	}
	// A number (kept as written, as json.Number is) or true, false, null.
	j := i
	for j < len(c.src) && !isDelimiter(c.src[j]) {
		j++
	}
	lit := c.src[i:j]
	if !validNumber(lit) && string(lit) != "true" && string(lit) != "false" && string(lit) != "null" {
		return c.fail()
	}
	c.out = append(c.out, lit...)
	return j
}

// isDelimiter reports whether b may end a number or a literal (anything else is part of it, and
// makes it invalid).
func isDelimiter(b byte) bool {
	switch b {
	case ',', '}', ']', ':', ' ', '\t', '\n', '\r', '"', '{', '[':
		return true
	}
	return false
}

// validNumber reports whether s is exactly one JSON number.
func validNumber(s []byte) bool {
	end, ok := validate.NumberEnd(s, 0)
	return ok && end == len(s)
}

// stringEnd checks the string starting at src[i] (a quote) and returns the index after it. No
// control character; escapes are \" \\ \/ \b \f \n \r \t and \u with four hex digits; any other
// byte goes (encoding/json takes invalid UTF-8 and writes it as U+FFFD).
func (c *canonicalizer) stringEnd(i int) int {
	for j := i + 1; j < len(c.src); j++ {
		switch b := c.src[j]; {
		case b == '"':
			return j + 1
		case b < ' ':
			return c.fail()
		case b == '\\':
			if j+1 >= len(c.src) {
				return c.fail()
			}
			j++
			switch c.src[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if hex4(c.src[j-1:]) < 0 {
					return c.fail()
				}
				j += 4
			default:
				return c.fail()
			}
		}
	}
	return c.fail()
}

// enter and leave count nesting, which encoding/json bounds.
func (c *canonicalizer) enter() bool {
	c.depth++
	return c.depth <= maxJSONDepth
}

func (c *canonicalizer) array(i int) int {
	if !c.enter() {
		return c.fail()
	}
	c.out = append(c.out, '[')
	i = c.space(i + 1)
	if i < len(c.src) && c.src[i] == ']' {
		c.out = append(c.out, ']')
		c.depth--
		return i + 1
	}
	for c.status == canonicalDone {
		i = c.space(c.value(i))
		if i >= len(c.src) {
			break
		}
		switch c.src[i] {
		case ',':
			c.out = append(c.out, ',')
			i = c.space(i + 1)
			continue
		case ']':
			c.out = append(c.out, ']')
			c.depth--
			return i + 1
		}
		break
	}
	return c.fail()
}

// object writes an object's members in the order they come, noting where each went, then, when
// the keys are not already in strictly increasing order, rewrites them sorted, each key once.
func (c *canonicalizer) object(i int) int {
	if !c.enter() {
		return c.fail()
	}
	c.out = append(c.out, '{')
	region := len(c.out)
	base, keysBase := len(c.members), len(c.keys)
	i = c.space(i + 1)
	if i < len(c.src) && c.src[i] == '}' {
		c.out = append(c.out, '}')
		c.depth--
		return i + 1
	}
	for c.status == canonicalDone {
		if i >= len(c.src) || c.src[i] != '"' {
			break
		}
		end := c.stringEnd(i)
		if c.status != canonicalDone {
			break
		}
		m := member{keyOff: i + 1, keyLen: end - 1 - (i + 1)}
		if len(c.members) > base {
			c.out = append(c.out, ',')
		}
		m.start = len(c.out)
		switch raw := c.src[i+1 : end-1]; {
		case safeASCII(raw):
			c.out = append(append(append(c.out, '"'), raw...), '"')
		case plainJSONText(raw):
			c.out = jsontext.AppendString(c.out, raw)
		default:
			m.keyOff, m.inKeys = len(c.keys), true
			c.keys = unquoteJSON(c.keys, raw)
			m.keyLen = len(c.keys) - m.keyOff
			c.out = jsontext.AppendString(c.out, c.key(m))
		}
		c.out = append(c.out, ':')
		i = c.space(end)
		if i >= len(c.src) || c.src[i] != ':' {
			break
		}
		c.members = append(c.members, m)
		i = c.space(c.value(c.space(i + 1)))
		c.members[len(c.members)-1].end = len(c.out)
		if i >= len(c.src) {
			break
		}
		if c.src[i] == ',' {
			i = c.space(i + 1)
			continue
		}
		if c.src[i] == '}' {
			c.order(base, region)
			c.out = append(c.out, '}')
			c.members, c.keys = c.members[:base], c.keys[:keysBase]
			c.depth--
			return i + 1
		}
		break
	}
	return c.fail()
}

// key is a member's decoded key.
func (c *canonicalizer) key(m member) []byte {
	if m.inKeys {
		return c.keys[m.keyOff : m.keyOff+m.keyLen]
	}
	return c.src[m.keyOff : m.keyOff+m.keyLen]
}

// order puts the members written from out[region:] in encoding/json's order: sorted by key
// (bytewise, as strings.Compare), a repeated key keeping its last value, as decoding into a map
// does.
func (c *canonicalizer) order(base, region int) {
	ms := c.members[base:]
	sorted := true
	for k := 1; k < len(ms); k++ {
		if bytes.Compare(c.key(ms[k-1]), c.key(ms[k])) >= 0 {
			sorted = false
			break
		}
	}
	if sorted {
		return
	}
	c.moved += len(c.out) - region
	if c.moved > c.budget {
		c.status = canonicalGaveUp
		return
	}
	slices.SortStableFunc(ms, func(a, b member) int { return bytes.Compare(c.key(a), c.key(b)) })
	c.tmp = append(c.tmp[:0], c.out[region:]...)
	c.out = c.out[:region]
	for k, m := range ms {
		if k+1 < len(ms) && bytes.Equal(c.key(m), c.key(ms[k+1])) {
			continue // a later member has the same key: its value wins
		}
		if len(c.out) > region {
			c.out = append(c.out, ',')
		}
		c.out = append(c.out, c.tmp[m.start-region:m.end-region]...)
	}
}

// safeASCII reports whether a string's text is printable ASCII without quote or backslash:
// text encoding/json decodes and writes back byte for byte.
func safeASCII(s []byte) bool {
	for _, b := range s {
		if b < ' ' || b >= utf8.RuneSelf || b == '"' || b == '\\' {
			return false
		}
	}
	return true
}

// plainJSONText reports whether a string's text (between its quotes) decodes to itself: no
// escape and valid UTF-8, as encoding/json's unquote checks before it copies.
func plainJSONText(s []byte) bool {
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b == '\\' || b == '"' || b < ' ' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		i += size
	}
	return true
}

// unquoteJSON appends the text of a JSON string s (between its quotes, valid JSON) decoded as
// encoding/json decodes it: escapes resolved, a surrogate pair joined, a lone surrogate and each
// byte of invalid UTF-8 as U+FFFD.
func unquoteJSON(dst, s []byte) []byte {
	for r := 0; r < len(s); {
		c := s[r]
		switch {
		case c == '\\':
			if r+1 >= len(s) {
				return dst
			}
			switch s[r+1] {
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				rr := hex4(s[r:])
				if rr < 0 {
					return dst
				}
				r += 6
				if utf16.IsSurrogate(rr) {
					if dec := utf16.DecodeRune(rr, hex4(s[r:])); dec != unicode.ReplacementChar {
						r += 6
						dst = utf8.AppendRune(dst, dec)
						continue
					}
					rr = unicode.ReplacementChar
				}
				dst = utf8.AppendRune(dst, rr)
				continue
			default: // " \ / '
				dst = append(dst, s[r+1])
			}
			r += 2
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			r += size
			dst = utf8.AppendRune(dst, rr)
		}
	}
	return dst
}

// hex4 reads a \uXXXX escape at the start of s, or gives -1.
func hex4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}
