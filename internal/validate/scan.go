package validate

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/restreamkit/restreamkit/internal/jsontext"
)

// maxDepth bounds the nesting the validator follows, so a hostile body cannot exhaust the stack.
const maxDepth = 64

// maxViolations bounds the violations one check reports; the rest are summarised in one more.
const maxViolations = 32

// segment is one step of the path from the document root to the current value.
type segment struct {
	key     []byte // object key as written (escaped) when isIndex is false
	escaped bool
	index   int
	isIndex bool
}

// scanner validates raw JSON bytes against a Schema in one pass, without building a document
// tree. Violations are built only when something fails, so a valid document costs no allocations.
type scanner struct {
	data []byte
	pos  int

	path  []segment
	depth int

	// quiet > 0 while trying composition branches: failures are counted, not reported.
	quiet  int
	failed bool // a schema failure was seen (in quiet or loud mode)
	syntax bool // the document is not well-formed JSON; scanning stops

	dir Direction
	// openapi is set for a schema of the OpenAPI 3.0 dialect: the document is one a generated Go
	// server decodes, so every number must at least fit a float64.
	openapi bool
	in      Location // InBody, or the parameter location when checking a parameter value
	name    string   // the parameter name when checking a parameter value
	out     []Violation
	dropped int // violations over maxViolations

	scratch []byte // unescaped string buffer
}

// checkJSON validates data against s and appends the violations to dst.
func checkJSON(dst []Violation, s *Schema, data []byte, dir Direction) []Violation {
	sc := scanners.Get().(*scanner)
	defer sc.release()
	*sc = scanner{data: data, dir: dir, in: InBody, out: dst, path: sc.path[:0], scratch: sc.scratch[:0],
		openapi: s != nil && s.openapi}
	sc.value(s)
	if !sc.syntax {
		sc.ws()
		if sc.pos < len(sc.data) {
			sc.syntaxError("unexpected data after the JSON value")
		}
	}
	if sc.dropped > 0 {
		sc.out = append(sc.out, Violation{Direction: dir, In: InBody, Rule: "truncated",
			Message: strconv.Itoa(sc.dropped) + " more violations not listed"})
	}
	return sc.out
}

// scanners recycles scanners and their path and scratch buffers, so a check allocates nothing.
var scanners = sync.Pool{New: func() any { return &scanner{path: make([]segment, 0, 16)} }}

// release returns sc to the pool, dropping references to the caller's data.
func (sc *scanner) release() {
	path, scratch := sc.path[:0], sc.scratch[:0]
	if cap(scratch) > 64<<10 { // do not keep a huge buffer alive
		scratch = nil
	}
	*sc = scanner{path: path, scratch: scratch}
	scanners.Put(sc)
}

// pointer renders the current path as a JSON pointer.
func (sc *scanner) pointer() string {
	if len(sc.path) == 0 {
		return ""
	}
	var b strings.Builder
	for _, seg := range sc.path {
		b.WriteByte('/')
		if seg.isIndex {
			b.WriteString(strconv.Itoa(seg.index))
			continue
		}
		key := string(seg.key)
		if seg.escaped {
			if u, ok := unquoteBytes(seg.key, nil); ok {
				key = string(u)
			}
		}
		key = jsontext.EscapePointerToken(key)
		b.WriteString(key)
	}
	return b.String()
}

// fail records a violation at the current path (or only notes the failure in quiet mode).
func (sc *scanner) fail(rule Rule, msg, expected, actual string) {
	sc.failed = true
	if sc.quiet > 0 {
		return
	}
	if len(sc.out) >= maxViolations {
		sc.dropped++
		return
	}
	sc.out = append(sc.out, Violation{Direction: sc.dir, In: sc.in, Name: sc.name, Pointer: sc.pointer(), Rule: rule,
		Message: msg, Expected: expected, Actual: brief(actual)})
}

// failAt is fail for a child of the current value, such as a missing required property.
func (sc *scanner) failAt(child string, rule Rule, msg, expected, actual string) {
	sc.path = append(sc.path, segment{key: []byte(child)})
	sc.fail(rule, msg, expected, actual)
	sc.path = sc.path[:len(sc.path)-1]
}

func (sc *scanner) syntaxError(msg string) {
	if sc.syntax {
		return
	}
	sc.syntax = true
	sc.failed = true
	// Syntax errors are reported even in quiet mode: the document as a whole is unusable.
	if len(sc.out) < maxViolations {
		sc.out = append(sc.out, Violation{Direction: sc.dir, In: InBody, Pointer: sc.pointer(), Rule: RuleSyntax,
			Message: msg + " at offset " + strconv.Itoa(sc.pos)})
	}
}

func (sc *scanner) ws() {
	for sc.pos < len(sc.data) {
		switch sc.data[sc.pos] {
		case ' ', '\t', '\n', '\r':
			sc.pos++
		default:
			return
		}
	}
}

// kindAt returns the JSON type of the value starting at the current position.
func (sc *scanner) kindAt() typeSet {
	if sc.pos >= len(sc.data) {
		return 0
	}
	switch c := sc.data[sc.pos]; {
	case c == '{':
		return tObject
	case c == '[':
		return tArray
	case c == '"':
		return tString
	case c == 't' || c == 'f':
		return tBoolean
	case c == 'n':
		return tNull
	case c == '-' || ('0' <= c && c <= '9'):
		return tNumber
	}
	return 0
}

// value validates the value at the current position against s and moves past it.
func (sc *scanner) value(s *Schema) {
	sc.ws()
	if sc.pos >= len(sc.data) {
		sc.syntaxError("unexpected end of JSON")
		return
	}
	for s != nil && s.ref != nil {
		s = s.ref
	}
	if s == nil {
		sc.skip()
		return
	}
	if len(s.allOf) > 0 || len(s.anyOf) > 0 || len(s.oneOf) > 0 || s.not != nil {
		sc.composite(s)
		return
	}
	sc.typed(s)
}

// composite validates a value against a schema with allOf/anyOf/oneOf/not, then against its own keywords.
func (sc *scanner) composite(s *Schema) {
	start := sc.pos
	end := -1
	rewind := func() {
		if sc.pos > end {
			end = sc.pos
		}
		sc.pos = start
	}
	for _, sub := range s.allOf {
		sc.value(sub)
		if sc.syntax {
			return
		}
		rewind()
	}
	if len(s.anyOf) > 0 {
		matched := false
		for _, sub := range s.anyOf {
			if sc.try(sub) {
				matched = true
				break
			}
			if sc.syntax {
				return
			}
			rewind()
		}
		rewind()
		if !matched {
			sc.fail(RuleAnyOf, "does not match any of the allowed shapes", "anyOf", "")
		}
	}
	if len(s.oneOf) > 0 {
		sc.oneOf(s)
		if sc.syntax {
			return
		}
		rewind()
	}
	if s.not != nil {
		if sc.try(s.not) {
			sc.fail(RuleNot, "matches a shape that is not allowed", "not", "")
		}
		if sc.syntax {
			return
		}
		rewind()
	}
	if s.own {
		sc.typed(s)
	} else {
		sc.skip()
	}
	if sc.pos < end {
		sc.pos = end
	}
}

// try reports whether the value at the current position matches s, reporting nothing.
func (sc *scanner) try(s *Schema) bool {
	failed := sc.failed
	sc.failed = false
	sc.quiet++
	sc.value(s)
	sc.quiet--
	ok := !sc.failed
	sc.failed = failed // a failed branch is not a failure of the whole; the caller decides
	return ok
}

func (sc *scanner) oneOf(s *Schema) {
	if s.discriminator != "" && sc.kindAt() == tObject {
		val, found := sc.peekStringProperty(s.discriminator)
		if found {
			if branch, ok := s.branches[string(val)]; ok {
				sc.value(branch)
				return
			}
			sc.failAt(s.discriminator, RuleEnum, strconv.Quote(s.discriminator)+" has a value no shape allows",
				"one of "+s.branchList(), string(val))
			sc.skip()
			return
		}
		// Without the discriminator no branch can match; report it as the missing field.
		sc.failAt(s.discriminator, RuleRequired, "missing required property "+strconv.Quote(s.discriminator),
			s.discriminator, "")
		sc.skip()
		return
	}
	start := sc.pos
	matches := 0
	for _, sub := range s.oneOf {
		sc.pos = start
		if sc.try(sub) {
			matches++
		}
		if sc.syntax {
			return
		}
	}
	sc.pos = start
	sc.skip()
	switch {
	case matches == 0:
		sc.fail(RuleOneOf, "does not match any of the allowed shapes", "exactly one of "+strconv.Itoa(len(s.oneOf))+" shapes", "none")
	case matches > 1:
		sc.fail(RuleOneOf, "matches more than one of the allowed shapes", "exactly one", strconv.Itoa(matches))
	}
}

func (s *Schema) branchList() string {
	keys := make([]string, 0, len(s.branches))
	for k := range s.branches {
		keys = append(keys, strconv.Quote(k))
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

// peekStringProperty finds the string value of a top-level property of the object at the current
// position without moving. It returns found=false when the property is absent or not a string.
func (sc *scanner) peekStringProperty(name string) ([]byte, bool) {
	save, quiet := sc.pos, sc.quiet
	sc.quiet = 1 // skipping must not report
	defer func() { sc.pos, sc.quiet = save, quiet }()
	var val []byte
	found := false
	sc.members(func(key []byte, esc bool) bool {
		if esc || string(key) != name || sc.kindAt() != tString {
			return sc.skipQuiet()
		}
		v, vesc, ok := sc.rawString()
		if ok && vesc {
			v, ok = unquoteBytes(v, nil)
		}
		val, found = v, ok
		return false // stop: the rest of the object is the validation's business
	})
	return val, found
}

// typed validates the value at the current position against the non-composite keywords of s.
func (sc *scanner) typed(s *Schema) {
	got := sc.kindAt()
	if got == 0 {
		sc.syntaxError("invalid character " + strconv.QuoteRune(rune(sc.data[sc.pos])) + " looking for a value")
		return
	}
	if got == tNumber {
		sc.number(s)
		return
	}
	if !s.types.allows(got) {
		sc.fail(RuleType, "must be "+s.types.String()+", got "+got.String(), s.types.String(), got.String())
		sc.skip()
		return
	}
	switch got {
	case tObject:
		if s.hasEnum { // enum and const values are scalars: no object matches
			sc.enumFail(s, "an object")
		}
		sc.object(s)
	case tArray:
		if s.hasEnum {
			sc.enumFail(s, "an array")
		}
		sc.array(s)
	case tString:
		sc.str(s)
	case tBoolean:
		sc.boolean(s)
	case tNull:
		if !sc.literal("null") {
			return
		}
		if s.hasEnum && !s.enumNull {
			sc.enumFail(s, "null")
		}
	}
}

func (sc *scanner) literal(lit string) bool {
	if !bytes.HasPrefix(sc.data[sc.pos:], []byte(lit)) {
		sc.syntaxError("invalid literal")
		return false
	}
	sc.pos += len(lit)
	return true
}

func (sc *scanner) boolean(s *Schema) {
	v := sc.data[sc.pos] == 't'
	lit := "false"
	if v {
		lit = "true"
	}
	if !sc.literal(lit) {
		return
	}
	if s.hasEnum {
		idx := 0
		if v {
			idx = 1
		}
		if !s.enumBools[idx] {
			sc.enumFail(s, lit)
		}
	}
}

// members walks the members of the object at the current position (which must be '{'), leaving
// the position after its '}'. For each member it calls fn with the name, still escaped, and the
// position at the value, which fn must consume; fn returns false to stop early. members reports
// false on a syntax error, after recording it.
func (sc *scanner) members(fn func(key []byte, escaped bool) bool) bool {
	sc.pos++ // {
	sc.ws()
	if sc.pos < len(sc.data) && sc.data[sc.pos] == '}' {
		sc.pos++
		return true
	}
	for {
		sc.ws()
		if sc.pos >= len(sc.data) || sc.data[sc.pos] != '"' {
			sc.syntaxError("expected a property name")
			return false
		}
		key, esc, ok := sc.rawString()
		if !ok {
			return false
		}
		sc.ws()
		if sc.pos >= len(sc.data) || sc.data[sc.pos] != ':' {
			sc.syntaxError("expected ':' after a property name")
			return false
		}
		sc.pos++
		sc.ws()
		if !fn(key, esc) || sc.syntax {
			return !sc.syntax
		}
		sc.ws()
		if sc.pos >= len(sc.data) {
			sc.syntaxError("unexpected end of JSON in an object")
			return false
		}
		switch sc.data[sc.pos] {
		case ',':
			sc.pos++
		case '}':
			sc.pos++
			return true
		default:
			sc.syntaxError("expected ',' or '}' in an object")
			return false
		}
	}
}

// elements walks the elements of the array at the current position (which must be '['), leaving
// the position after its ']'. fn gets each element's index with the position at the element, which
// it must consume. elements reports false on a syntax error, after recording it.
func (sc *scanner) elements(fn func(i int)) bool {
	sc.pos++ // [
	sc.ws()
	if sc.pos < len(sc.data) && sc.data[sc.pos] == ']' {
		sc.pos++
		return true
	}
	for i := 0; ; i++ {
		fn(i)
		if sc.syntax {
			return false
		}
		sc.ws()
		if sc.pos >= len(sc.data) {
			sc.syntaxError("unexpected end of JSON in an array")
			return false
		}
		switch sc.data[sc.pos] {
		case ',':
			sc.pos++
		case ']':
			sc.pos++
			return true
		default:
			sc.syntaxError("expected ',' or ']' in an array")
			return false
		}
	}
}

func (sc *scanner) object(s *Schema) {
	if sc.depth >= maxDepth {
		sc.fail(RuleDepth, "nested deeper than "+strconv.Itoa(maxDepth)+" levels", "", "")
		sc.skip()
		return
	}
	sc.depth++
	defer func() { sc.depth-- }()
	var seen uint64
	count := 0
	ok := sc.members(func(key []byte, esc bool) bool {
		lookup := key
		if esc {
			u, ok := unquoteBytes(key, nil)
			if !ok {
				sc.syntaxError("invalid escape in a property name")
				return false
			}
			lookup = u
		}
		sc.path = append(sc.path, segment{key: key, escaped: esc})
		if p, known := s.props[string(lookup)]; known {
			seen |= p.bit
			sc.value(p.schema)
		} else if name, folded := sc.foldedProperty(s, lookup); folded {
			sc.fail(RuleAdditionalProperties, "property "+strconv.Quote(string(lookup))+" differs from "+
				strconv.Quote(name)+" only in case", name, string(lookup))
			sc.skip()
		} else if s.addlAllowed || s.addl != nil {
			sc.value(s.addl)
		} else {
			sc.fail(RuleAdditionalProperties, "property "+strconv.Quote(string(lookup))+" is not allowed",
				"no additional properties", string(lookup))
			sc.skip()
		}
		sc.path = sc.path[:len(sc.path)-1]
		count++
		return true
	})
	if !ok {
		return
	}
	if missing := s.requiredSet &^ seen; missing != 0 {
		for _, name := range s.required {
			if s.props[name].bit&missing != 0 {
				sc.failAt(name, RuleRequired, "missing required property "+strconv.Quote(name), name, "")
			}
		}
	}
	if count < s.minProps {
		sc.fail(RuleMinProperties, "must have at least "+strconv.Itoa(s.minProps)+" properties",
			strconv.Itoa(s.minProps), strconv.Itoa(count))
	}
	if s.maxProps >= 0 && count > s.maxProps {
		sc.fail(RuleMaxProperties, "must have at most "+strconv.Itoa(s.maxProps)+" properties",
			strconv.Itoa(s.maxProps), strconv.Itoa(count))
	}
}

// foldedProperty finds, for a request body of the OpenAPI 3.0 dialect, the declared property a
// member name matches only when case is ignored. encoding/json matches names that way, so the
// generated server would read such a member into the property the validator did not check it
// against; the validator refuses it instead.
func (sc *scanner) foldedProperty(s *Schema, key []byte) (string, bool) {
	if !sc.openapi || sc.dir != Request || len(s.props) == 0 {
		return "", false
	}
	for name := range s.props {
		if bytes.EqualFold([]byte(name), key) {
			return name, true
		}
	}
	return "", false
}

func (sc *scanner) array(s *Schema) {
	if sc.depth >= maxDepth {
		sc.fail(RuleDepth, "nested deeper than "+strconv.Itoa(maxDepth)+" levels", "", "")
		sc.skip()
		return
	}
	sc.depth++
	defer func() { sc.depth-- }()
	start := sc.pos
	n := 0
	if !sc.elements(func(i int) {
		sc.path = append(sc.path, segment{index: i, isIndex: true})
		sc.value(s.items)
		sc.path = sc.path[:len(sc.path)-1]
		n++
	}) {
		return
	}
	if n < s.minItems {
		sc.fail(RuleMinItems, "must have at least "+strconv.Itoa(s.minItems)+" items", strconv.Itoa(s.minItems), strconv.Itoa(n))
	}
	if s.maxItems >= 0 && n > s.maxItems {
		sc.fail(RuleMaxItems, "must have at most "+strconv.Itoa(s.maxItems)+" items", strconv.Itoa(s.maxItems), strconv.Itoa(n))
	}
	if s.unique && n > 1 {
		var items []any // rare keyword: decode to compare values, not spellings
		if json.Unmarshal(sc.data[start:sc.pos], &items) == nil {
			for i := range items {
				for j := i + 1; j < len(items); j++ {
					if reflect.DeepEqual(items[i], items[j]) {
						sc.fail(RuleUniqueItems, "items "+strconv.Itoa(i)+" and "+strconv.Itoa(j)+" are equal", "unique items", "")
						return
					}
				}
			}
		}
	}
}

func (sc *scanner) str(s *Schema) {
	raw, esc, ok := sc.rawString()
	if !ok {
		return
	}
	v := raw
	if esc && s.openapi && s.formatName == "date-time" {
		// time.Time decodes the string as written, escapes included (golang.org/issue/47353).
		sc.fail(RuleFormat, "must be a date-time written without escapes", "date-time", string(raw))
		return
	}
	if esc {
		u, ok := unquoteBytes(raw, sc.scratch[:0])
		if !ok {
			sc.syntaxError("invalid escape in a string")
			return
		}
		sc.scratch = u
		v = u
	}
	sc.strValue(s, v)
}

// strValue applies the string keywords of s to an unescaped string value.
func (sc *scanner) strValue(s *Schema, v []byte) {
	if s.hasEnum {
		if _, ok := s.enumStrings[string(v)]; !ok {
			sc.enumFail(s, strconv.Quote(string(v)))
		}
	}
	if s.minLen > 0 || s.maxLen >= 0 {
		n := utf8.RuneCount(v)
		if n < s.minLen {
			sc.fail(RuleMinLength, "must be at least "+strconv.Itoa(s.minLen)+" characters long",
				strconv.Itoa(s.minLen), strconv.Itoa(n))
		}
		if s.maxLen >= 0 && n > s.maxLen {
			sc.fail(RuleMaxLength, "must be at most "+strconv.Itoa(s.maxLen)+" characters long",
				strconv.Itoa(s.maxLen), strconv.Itoa(n))
		}
	}
	if s.pattern != nil && !s.pattern.Match(v) {
		sc.fail(RulePattern, "must match the pattern "+s.pattern.String(), s.pattern.String(), strconv.Quote(string(v)))
	}
	if s.format != nil && !s.format(v) {
		sc.fail(RuleFormat, "must be a valid "+s.formatName, s.formatName, strconv.Quote(string(v)))
	}
}

func (sc *scanner) number(s *Schema) {
	start := sc.pos
	if !sc.skipNumber() {
		return
	}
	lit := sc.data[start:sc.pos]
	if s.intBits != 0 {
		sc.goInteger(s, lit)
		return
	}
	f, ok := parseNumber(lit)
	if !ok {
		sc.syntaxError("invalid number")
		return
	}
	got := tNumber
	if isIntegral(f) {
		got = tInteger
	}
	if !s.types.allows(got) {
		sc.fail(RuleType, "must be "+s.types.String()+", got "+got.String(), s.types.String(), string(lit))
		return
	}
	if s.floatBits != 0 && !fitsFloat(lit, s.floatBits) {
		sc.fail(RuleFormat, "must fit in a "+strconv.Itoa(s.floatBits)+"-bit floating-point number", "float"+strconv.Itoa(s.floatBits), string(lit))
		return
	}
	if got == tInteger && s.types&tNumber == 0 {
		switch s.formatName {
		case "int32":
			if f < math.MinInt32 || f > math.MaxInt32 {
				sc.fail(RuleFormat, "must fit in a 32-bit integer", "int32", string(lit))
			}
		case "int64":
			if f < math.MinInt64 || f >= math.MaxInt64 {
				sc.fail(RuleFormat, "must fit in a 64-bit integer", "int64", string(lit))
			}
		}
	}
	sc.numberBounds(s, f, lit)
}

// goInteger checks a number against an integer schema of the OpenAPI 3.0 dialect. The value
// decodes into a Go integer (encoding/json reads it with strconv.ParseInt), so it must be written
// as an integer, without fraction or exponent ("1.0" and "1e3" are refused, though JSON Schema
// counts them as integers), and fit the generated type's width.
func (sc *scanner) goInteger(s *Schema, lit []byte) {
	n, integer, inRange := parseIntLiteral(lit)
	if !integer {
		sc.fail(RuleType, "must be an integer written without a fraction or an exponent, got "+string(lit), "integer", string(lit))
		return
	}
	if !inRange || !fitsBits(n, s.intBits) {
		bits := strconv.Itoa(s.intBits)
		sc.fail(RuleFormat, "must fit in a "+bits+"-bit integer", "int"+bits, string(lit))
		return
	}
	sc.intBounds(s, n, lit)
}

// parseIntLiteral reads a JSON number literal (already well-formed) as an int64. integer is false
// when the literal has a fraction or an exponent; inRange is false when it does not fit 64 bits.
// Unlike strconv.ParseInt on a converted string, it allocates nothing, even when it fails.
func parseIntLiteral(lit []byte) (n int64, integer, inRange bool) {
	digits := lit
	neg := len(digits) > 0 && digits[0] == '-'
	if neg {
		digits = digits[1:]
	}
	var u uint64
	inRange = true
	for i, c := range digits {
		if c < '0' || c > '9' {
			return 0, false, false
		}
		d := uint64(c - '0')
		if i >= 18 && u > (math.MaxUint64-d)/10 { // 18 digits cannot overflow: check only beyond
			inRange = false
			continue
		}
		u = u*10 + d
	}
	limit := uint64(math.MaxInt64)
	if neg {
		limit++
	}
	if !inRange || u > limit {
		return 0, true, false
	}
	if neg {
		return int64(-u), true, true // -u wraps to MinInt64 for u == 1<<63, as intended
	}
	return int64(u), true, true
}

// fitsBits reports whether n fits a signed integer of the given width.
func fitsBits(n int64, bits int) bool {
	if bits >= 64 {
		return true
	}
	return n >= -1<<(bits-1) && n <= 1<<(bits-1)-1
}

// fitsFloat reports whether a well-formed number literal is finite as a float of the given width,
// as encoding/json requires when it decodes the number into a Go float32, float64 or interface{}.
// A literal can only overflow with an exponent or with hundreds of digits, so the common case is
// decided without converting anything.
func fitsFloat(lit []byte, bits int) bool {
	if len(lit) < 39 && bytes.IndexAny(lit, "eE") < 0 {
		return true // under 10^38 < MaxFloat32
	}
	_, err := strconv.ParseFloat(string(lit), bits)
	return err == nil
}

// intBounds applies enum, minimum, maximum and multipleOf to an integer read exactly. lit is the
// value as written; it is copied only into violations.
func (sc *scanner) intBounds(s *Schema, n int64, lit []byte) {
	if !s.hasEnum && !s.hasMin && !s.hasMax && s.multipleOf == 0 {
		return
	}
	if s.hasEnum {
		found := false
		for _, e := range s.enumNumbers {
			if cmpIntFloat(n, e) == 0 {
				found = true
				break
			}
		}
		if !found {
			sc.enumFail(s, string(lit))
		}
	}
	if s.hasMin {
		if c := cmpIntFloat(n, s.min); c < 0 || s.exclMin && c == 0 {
			op := "at least "
			if s.exclMin {
				op = "greater than "
			}
			sc.fail(RuleMinimum, "must be "+op+fmtNum(s.min), fmtNum(s.min), string(lit))
		}
	}
	if s.hasMax {
		if c := cmpIntFloat(n, s.max); c > 0 || s.exclMax && c == 0 {
			op := "at most "
			if s.exclMax {
				op = "less than "
			}
			sc.fail(RuleMaximum, "must be "+op+fmtNum(s.max), fmtNum(s.max), string(lit))
		}
	}
	if s.multipleOf > 0 {
		q := float64(n) / s.multipleOf
		if !isIntegral(q) && math.Abs(q-math.Round(q)) > 1e-9 {
			sc.fail(RuleMultipleOf, "must be a multiple of "+fmtNum(s.multipleOf), fmtNum(s.multipleOf), string(lit))
		}
	}
}

// cmpIntFloat compares an int64 with a float64 exactly: -1, 0 or +1 as n is below, equal to or
// above f. (Converting n to float64 would round integers beyond 2^53.)
func cmpIntFloat(n int64, f float64) int {
	switch {
	case math.IsNaN(f):
		return 1
	case f >= 1<<63:
		return -1
	case f < -1<<63:
		return 1
	}
	t := math.Trunc(f)
	ti := int64(t)
	switch {
	case n < ti:
		return -1
	case n > ti:
		return 1
	case f > t:
		return -1
	case f < t:
		return 1
	}
	return 0
}

// enumFail reports a value outside an enum, or different from a const.
func (sc *scanner) enumFail(s *Schema, actual string) {
	if s.isConst {
		sc.fail(RuleConst, "must be "+s.enumText, s.enumText, actual)
		return
	}
	sc.fail(RuleEnum, "must be one of "+s.enumText, s.enumText, actual)
}

// numberBounds applies enum, minimum, maximum and multipleOf to a number.
// lit is the number as written; it is copied only into violations.
func (sc *scanner) numberBounds(s *Schema, f float64, lit []byte) {
	if s.hasEnum {
		found := false
		for _, e := range s.enumNumbers {
			if e == f {
				found = true
				break
			}
		}
		if !found {
			sc.enumFail(s, string(lit))
		}
	}
	if s.hasMin && (f < s.min || s.exclMin && f == s.min) {
		op := "at least "
		if s.exclMin {
			op = "greater than "
		}
		sc.fail(RuleMinimum, "must be "+op+fmtNum(s.min), fmtNum(s.min), string(lit))
	}
	if s.hasMax && (f > s.max || s.exclMax && f == s.max) {
		op := "at most "
		if s.exclMax {
			op = "less than "
		}
		sc.fail(RuleMaximum, "must be "+op+fmtNum(s.max), fmtNum(s.max), string(lit))
	}
	if s.multipleOf > 0 {
		q := f / s.multipleOf
		if !isIntegral(q) && math.Abs(q-math.Round(q)) > 1e-9 {
			sc.fail(RuleMultipleOf, "must be a multiple of "+fmtNum(s.multipleOf), fmtNum(s.multipleOf), string(lit))
		}
	}
}

// parseNumber converts a well-formed JSON number literal. Integers of up to 15 digits, by far the
// most common numbers in API bodies, are converted without allocating.
func parseNumber(lit []byte) (float64, bool) {
	digits := lit
	neg := len(digits) > 0 && digits[0] == '-'
	if neg {
		digits = digits[1:]
	}
	if len(digits) > 0 && len(digits) <= 15 {
		var n int64
		simple := true
		for _, c := range digits {
			if c < '0' || c > '9' {
				simple = false
				break
			}
			n = n*10 + int64(c-'0')
		}
		if simple {
			if neg {
				n = -n
			}
			return float64(n), true
		}
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	return f, err == nil || isRangeErr(err)
}

func fmtNum(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// rawString reads a JSON string at the current position and returns its content without the
// quotes, still escaped, and whether it contains escapes.
func (sc *scanner) rawString() (raw []byte, escaped, ok bool) {
	sc.pos++ // opening quote
	start := sc.pos
	for sc.pos < len(sc.data) {
		c := sc.data[sc.pos]
		switch {
		case c == '"':
			raw = sc.data[start:sc.pos]
			sc.pos++
			if !escaped && !utf8.Valid(raw) {
				sc.syntaxError("invalid UTF-8 in a string")
				return nil, false, false
			}
			return raw, escaped, true
		case c == '\\':
			escaped = true
			sc.pos += 2
		case c < 0x20:
			sc.syntaxError("control character in a string")
			return nil, false, false
		default:
			sc.pos++
		}
	}
	sc.syntaxError("unterminated string")
	return nil, false, false
}

// skip moves past the value at the current position, checking only that it is well-formed.
func (sc *scanner) skip() {
	sc.skipQuiet()
}

func (sc *scanner) skipQuiet() bool {
	sc.ws()
	if sc.depth >= maxDepth*2 {
		sc.syntaxError("nested too deeply")
		return false
	}
	switch sc.kindAt() {
	case tObject:
		sc.depth++
		defer func() { sc.depth-- }()
		return sc.members(func([]byte, bool) bool { return sc.skipQuiet() })
	case tArray:
		sc.depth++
		defer func() { sc.depth-- }()
		return sc.elements(func(int) { sc.skipQuiet() })
	case tString:
		raw, esc, ok := sc.rawString()
		if ok && esc {
			if _, ok2 := unquoteBytes(raw, sc.scratch[:0]); !ok2 {
				sc.syntaxError("invalid escape in a string")
				return false
			}
		}
		return ok
	case tBoolean:
		if sc.data[sc.pos] == 't' {
			return sc.literal("true")
		}
		return sc.literal("false")
	case tNull:
		return sc.literal("null")
	case tNumber:
		start := sc.pos
		if !sc.skipNumber() {
			return false
		}
		if sc.openapi && !fitsFloat(sc.data[start:sc.pos], 64) {
			sc.fail(RuleFormat, "must fit in a 64-bit floating-point number", "float64", string(sc.data[start:sc.pos]))
		}
		return true
	}
	if sc.pos >= len(sc.data) {
		sc.syntaxError("unexpected end of JSON")
	} else {
		sc.syntaxError("invalid character " + strconv.QuoteRune(rune(sc.data[sc.pos])) + " looking for a value")
	}
	return false
}

// skipNumber moves past a number literal, following the JSON grammar exactly.
func (sc *scanner) skipNumber() bool {
	end, ok := NumberEnd(sc.data, sc.pos)
	sc.pos = end
	if !ok {
		sc.syntaxError("invalid number")
	}
	return ok
}

// NumberEnd reads the JSON number starting at d[i] (RFC 8259: -?(0|[1-9][0-9]*)(.[0-9]+)?
// ([eE][+-]?[0-9]+)?) and returns the index after it; when there is none, ok is false and end is
// where the grammar failed. It is the one reading of the number grammar: the scanner's, and the
// gateway's when it rewrites an answer without decoding it.
func NumberEnd(d []byte, i int) (end int, ok bool) {
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && '1' <= d[i] && d[i] <= '9':
		for i < len(d) && '0' <= d[i] && d[i] <= '9' {
			i++
		}
	default:
		return i, false
	}
	if i < len(d) && d[i] == '.' {
		i++
		j := i
		for i < len(d) && '0' <= d[i] && d[i] <= '9' {
			i++
		}
		if i == j {
			return i, false
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := i
		for i < len(d) && '0' <= d[i] && d[i] <= '9' {
			i++
		}
		if i == j {
			return i, false
		}
	}
	return i, true
}

// unquoteBytes decodes the escapes of a JSON string's content into dst.
func unquoteBytes(s, dst []byte) ([]byte, bool) {
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		if i+1 >= len(s) {
			return nil, false
		}
		switch s[i+1] {
		case '"', '\\', '/':
			dst = append(dst, s[i+1])
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
			r, ok := hex4(s[i+2:])
			if !ok {
				return nil, false
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if len(s) >= i+6 && s[i] == '\\' && s[i+1] == 'u' {
					if r2, ok := hex4(s[i+2:]); ok {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							i += 6
							dst = utf8.AppendRune(dst, dec)
							continue
						}
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default:
			return nil, false
		}
		i += 2
	}
	if !utf8.Valid(dst) {
		return nil, false
	}
	return dst, true
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		r <<= 4
		switch {
		case '0' <= c && c <= '9':
			r |= rune(c - '0')
		case 'a' <= c && c <= 'f':
			r |= rune(c - 'a' + 10)
		case 'A' <= c && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}
