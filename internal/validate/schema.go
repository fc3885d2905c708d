package validate

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"

	"github.com/restreamkit/restreamkit/internal/jsontext"
)

// typeSet is a set of JSON types, one bit each.
type typeSet uint8

const (
	tObject typeSet = 1 << iota
	tArray
	tString
	tInteger
	tNumber
	tBoolean
	tNull
	tAll = tObject | tArray | tString | tInteger | tNumber | tBoolean | tNull
)

var typeNames = [...]struct {
	bit  typeSet
	name string
}{
	{tObject, "object"}, {tArray, "array"}, {tString, "string"}, {tInteger, "integer"},
	{tNumber, "number"}, {tBoolean, "boolean"}, {tNull, "null"},
}

func (t typeSet) String() string {
	if t == tAll || t == 0 {
		return "any"
	}
	var parts []string
	for _, tn := range typeNames {
		if t&tn.bit != 0 {
			parts = append(parts, tn.name)
		}
	}
	return strings.Join(parts, " or ")
}

// allows reports whether a JSON value of type got is accepted. Integers are numbers too.
func (t typeSet) allows(got typeSet) bool {
	if t&got != 0 {
		return true
	}
	return got == tInteger && t&tNumber != 0
}

// Schema is a JSON Schema compiled for fast validation of raw JSON bytes. It covers the keywords
// the project's OpenAPI 3.0 description and JSON Schema 2020-12 documents use; Compile rejects
// schemas with keywords it would otherwise silently ignore.
type Schema struct {
	// ref, when set, is the schema this one is a bare $ref to; every other field is unused.
	ref *Schema
	// own is set when the schema has keywords besides composition, so that a value checked
	// against allOf/anyOf/oneOf branches is not scanned once more for nothing.
	own bool

	types typeSet // allowed types; tAll when the schema does not restrict them

	// strings
	minLen, maxLen int // -1 when unset
	pattern        *regexp.Regexp
	format         formatChecker
	formatName     string

	// Go decoding, in the OpenAPI 3.0 dialect only: a value the validator accepts must decode into
	// the Go type oapi-codegen generates for the schema, so that the server reads what was checked.
	openapi bool // compiled in the OpenAPI 3.0 dialect
	// intBits is the width of the generated integer type (8 to 64) of an integer schema; a value
	// must then be an integer literal (no fraction, no exponent) within that width. 0: not an integer.
	intBits int
	// floatBits is the width of the generated floating-point type (32 or 64) a number decodes into;
	// a value must then be finite in that width. 0: no Go check (the JSON Schema dialect).
	floatBits int

	// numbers
	min, max         float64
	hasMin, hasMax   bool
	exclMin, exclMax bool
	multipleOf       float64

	// enum and const (scalar values only)
	hasEnum     bool
	enumStrings map[string]struct{}
	enumNumbers []float64
	enumBools   [2]bool // [false, true] allowed
	enumNull    bool
	enumText    string // for messages
	isConst     bool   // the values come from const, not enum

	// objects
	props       map[string]*property
	required    []string // in declaration order, for messages
	requiredSet uint64   // bits of the required properties
	addl        *Schema  // schema of additional properties; nil means any value
	addlAllowed bool
	minProps    int
	maxProps    int // -1 when unset

	// arrays
	items    *Schema // nil means any value
	minItems int
	maxItems int // -1 when unset
	unique   bool

	// composition
	allOf, anyOf, oneOf []*Schema
	not                 *Schema
	// discriminator, when set, names a property whose string value picks the oneOf branch, so
	// that a frame or body is checked against one branch instead of all of them.
	discriminator string
	branches      map[string]*Schema
}

// property is a compiled object property.
type property struct {
	schema *Schema
	bit    uint64 // non-zero when the property is required
}

// newSchema returns a schema that accepts everything.
func newSchema() *Schema {
	return &Schema{types: tAll, minLen: -1, maxLen: -1, maxProps: -1, maxItems: -1, addlAllowed: true}
}

// Dialect says how to read a schema document.
type Dialect int

// The dialects Compile understands.
const (
	// OpenAPI30 reads OpenAPI 3.0 Schema Objects: a single `type`, `nullable`, boolean exclusive bounds.
	OpenAPI30 Dialect = iota
	// JSONSchema202012 reads JSON Schema 2020-12: type arrays, `const`, numeric exclusive bounds, `$defs`.
	JSONSchema202012
)

// compiler turns decoded schema documents into Schemas, resolving $ref within and across documents.
type compiler struct {
	dialect Dialect
	docs    map[string]any     // documents by base URI (no fragment)
	done    map[string]*Schema // compiled schemas by absolute reference
	onStack map[string]bool
}

func newCompiler(d Dialect) *compiler {
	return &compiler{dialect: d, docs: map[string]any{}, done: map[string]*Schema{}, onStack: map[string]bool{}}
}

// ref compiles the schema at an absolute reference "base#pointer".
func (c *compiler) ref(abs string) (*Schema, error) {
	if s, ok := c.done[abs]; ok {
		return s, nil
	}
	base, frag, _ := strings.Cut(abs, "#")
	doc, ok := c.docs[base]
	if !ok {
		return nil, fmt.Errorf("unknown schema document %q", base)
	}
	node, err := resolvePointer(doc, frag)
	if err != nil {
		return nil, fmt.Errorf("resolving %q: %w", abs, err)
	}
	// Register before compiling so that recursive references find the node.
	s := newSchema()
	c.done[abs] = s
	if err := c.fill(s, node, base, abs); err != nil {
		return nil, err
	}
	return s, nil
}

// CompileDocuments compiles schema documents given as JSON text by name (a file name or URI) and
// returns the compiled roots of the named documents. Documents may reference each other by name,
// by relative file name, or by their $id.
func CompileDocuments(d Dialect, docs map[string][]byte, roots ...string) (map[string]*Schema, error) {
	c := newCompiler(d)
	for name, data := range docs {
		var tree any
		if err := json.Unmarshal(data, &tree); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		c.docs[name] = tree
		if m, ok := tree.(map[string]any); ok && d == JSONSchema202012 {
			if id, ok := m["$id"].(string); ok && id != name {
				c.docs[strings.TrimSuffix(id, "#")] = tree
			}
		}
	}
	out := make(map[string]*Schema, len(roots))
	for _, name := range roots {
		if _, ok := c.docs[name]; !ok {
			return nil, fmt.Errorf("no document %q", name)
		}
		s, err := c.ref(name + "#")
		if err != nil {
			return nil, err
		}
		out[name] = s
	}
	return out, nil
}

// resolvePointer follows a JSON pointer fragment ("", "/components/schemas/X") in doc.
func resolvePointer(doc any, frag string) (any, error) {
	if frag == "" || frag == "/" {
		return doc, nil
	}
	if !strings.HasPrefix(frag, "/") {
		return nil, fmt.Errorf("unsupported fragment %q (only JSON pointers)", frag)
	}
	node := doc
	for _, tok := range strings.Split(frag[1:], "/") {
		tok = jsontext.UnescapePointerToken(tok)
		switch n := node.(type) {
		case map[string]any:
			v, ok := n[tok]
			if !ok {
				return nil, fmt.Errorf("no %q", tok)
			}
			node = v
		case []any:
			var i int
			if _, err := fmt.Sscanf(tok, "%d", &i); err != nil || i < 0 || i >= len(n) {
				return nil, fmt.Errorf("bad index %q", tok)
			}
			node = n[i]
		default:
			return nil, fmt.Errorf("cannot descend into %T at %q", node, tok)
		}
	}
	return node, nil
}

// knownKeywords lists the keywords fill understands or may ignore safely (annotations).
var knownKeywords = map[string]bool{
	"type": true, "nullable": true, "enum": true, "const": true, "format": true, "pattern": true,
	"minLength": true, "maxLength": true, "minimum": true, "maximum": true, "exclusiveMinimum": true,
	"exclusiveMaximum": true, "multipleOf": true, "properties": true, "required": true,
	"additionalProperties": true, "minProperties": true, "maxProperties": true, "items": true,
	"minItems": true, "maxItems": true, "uniqueItems": true, "allOf": true, "anyOf": true, "oneOf": true,
	"not": true, "discriminator": true, "$ref": true, "$defs": true, "definitions": true, "$schema": true,
	"$id": true, "$comment": true, "title": true, "description": true, "default": true, "example": true,
	"examples": true, "readOnly": true, "writeOnly": true, "deprecated": true, "externalDocs": true,
	"xml": true, "$anchor": true,
}

// fill compiles node into s. base is the URI of the document node belongs to; at is node's own
// absolute reference, for messages.
func (c *compiler) fill(s *Schema, node any, base, at string) error {
	if b, ok := node.(bool); ok { // JSON Schema boolean schema
		if !b {
			s.not = newSchema()
		}
		return nil
	}
	s.openapi = c.dialect == OpenAPI30
	m, ok := node.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: a schema must be an object, got %T", at, node)
	}
	for k := range m {
		if !knownKeywords[k] && !strings.HasPrefix(k, "x-") {
			return fmt.Errorf("%s: unsupported keyword %q", at, k)
		}
	}
	if id, ok := m["$id"].(string); ok && c.dialect == JSONSchema202012 {
		base = strings.TrimSuffix(resolveURI(base, id), "#") // a base names a document, not a fragment
	}
	if r, ok := m["$ref"].(string); ok {
		target, err := c.ref(resolveURI(base, r))
		if err != nil {
			return fmt.Errorf("%s: %w", at, err)
		}
		if len(m) == 1 || c.dialect == OpenAPI30 { // OpenAPI 3.0 ignores siblings of $ref
			// Point at the target rather than copying it: it may still be being compiled
			// when the reference is recursive.
			s.ref = target
			return nil
		}
		s.allOf = append(s.allOf, target)
	}

	if err := c.fillType(s, m, at); err != nil {
		return err
	}
	if err := c.fillEnum(s, m, at); err != nil {
		return err
	}
	if err := fillString(s, m, at, c.dialect); err != nil {
		return err
	}
	if err := fillGoType(s, at); err != nil {
		return err
	}
	if err := c.fillNumber(s, m, at); err != nil {
		return err
	}
	if err := c.fillObject(s, m, base, at); err != nil {
		return err
	}
	if err := c.fillArray(s, m, base, at); err != nil {
		return err
	}
	if err := c.fillComposition(s, m, base, at); err != nil {
		return err
	}
	s.own = s.types != tAll || s.hasEnum || s.minLen > 0 || s.maxLen >= 0 || s.pattern != nil ||
		s.format != nil || s.hasMin || s.hasMax || s.multipleOf != 0 || s.props != nil || !s.addlAllowed ||
		s.addl != nil || s.minProps > 0 || s.maxProps >= 0 || s.items != nil || s.minItems > 0 ||
		s.maxItems >= 0 || s.unique
	return nil
}

func (c *compiler) fillType(s *Schema, m map[string]any, at string) error {
	var names []string
	switch t := m["type"].(type) {
	case nil:
	case string:
		names = []string{t}
	case []any:
		for _, x := range t {
			n, ok := x.(string)
			if !ok {
				return fmt.Errorf("%s: type entries must be strings", at)
			}
			names = append(names, n)
		}
	default:
		return fmt.Errorf("%s: bad type %v", at, t)
	}
	if len(names) > 0 {
		s.types = 0
		for _, n := range names {
			found := false
			for _, tn := range typeNames {
				if tn.name == n {
					s.types |= tn.bit
					found = true
				}
			}
			if !found {
				return fmt.Errorf("%s: unknown type %q", at, n)
			}
		}
	}
	if nb, _ := m["nullable"].(bool); nb && s.types != tAll {
		s.types |= tNull
	}
	return nil
}

func (c *compiler) fillEnum(s *Schema, m map[string]any, at string) error {
	var values []any
	if e, ok := m["enum"]; ok {
		list, ok := e.([]any)
		if !ok {
			return fmt.Errorf("%s: enum must be an array", at)
		}
		values = list
	}
	if cv, ok := m["const"]; ok {
		values = []any{cv}
		s.isConst = true
	}
	if values == nil {
		return nil
	}
	s.hasEnum = true
	texts := make([]string, 0, len(values))
	for _, v := range values {
		switch x := v.(type) {
		case string:
			if s.enumStrings == nil {
				s.enumStrings = map[string]struct{}{}
			}
			s.enumStrings[x] = struct{}{}
			texts = append(texts, fmt.Sprintf("%q", x))
		case float64:
			s.enumNumbers = append(s.enumNumbers, x)
			texts = append(texts, fmt.Sprint(x))
		case int:
			s.enumNumbers = append(s.enumNumbers, float64(x))
			texts = append(texts, fmt.Sprint(x))
		case bool:
			if x {
				s.enumBools[1] = true
			} else {
				s.enumBools[0] = true
			}
			texts = append(texts, fmt.Sprint(x))
		case nil:
			s.enumNull = true
			texts = append(texts, "null")
		default:
			return fmt.Errorf("%s: only scalar enum values are supported, got %T", at, v)
		}
	}
	// OpenAPI 3.0: a nullable enum accepts null even when null is not listed.
	if c.dialect == OpenAPI30 && s.types&tNull != 0 {
		s.enumNull = true
	}
	s.enumText = strings.Join(texts, ", ")
	return nil
}

func fillString(s *Schema, m map[string]any, at string, d Dialect) error {
	if v, ok := number(m["minLength"]); ok {
		s.minLen = int(v)
	}
	if v, ok := number(m["maxLength"]); ok {
		s.maxLen = int(v)
	}
	if p, ok := m["pattern"].(string); ok {
		re, err := regexp.Compile(p)
		if err != nil {
			return fmt.Errorf("%s: pattern: %w", at, err)
		}
		s.pattern = re
	}
	if f, ok := m["format"].(string); ok {
		s.formatName = f
		s.format = formats[f] // unknown formats are annotations, as JSON Schema says
		if d == OpenAPI30 && f == "date-time" {
			s.format = isGoDateTime
		}
	}
	return nil
}

// fillGoType records, in the OpenAPI 3.0 dialect, the width of the Go type oapi-codegen generates
// for a number or an integer: integer formats int8, int16, int32 and int64 give those types, any
// other (or none) gives int, 64 bits on every platform the project builds for; number gives
// float32 unless its format is double. A schema without a type decodes into interface{}, whose
// numbers are float64. Unsigned formats would need another grammar, so they are refused.
func fillGoType(s *Schema, at string) error {
	if !s.openapi {
		return nil
	}
	switch {
	case s.types&tInteger != 0 && s.types&tNumber == 0:
		switch s.formatName {
		case "int8":
			s.intBits = 8
		case "int16":
			s.intBits = 16
		case "int32":
			s.intBits = 32
		case "uint", "uint8", "uint16", "uint32", "uint64":
			return fmt.Errorf("%s: unsigned integer format %q is not supported", at, s.formatName)
		default:
			s.intBits = 64
		}
	case s.types&tNumber != 0 && s.formatName == "double", s.types == tAll:
		s.floatBits = 64
	case s.types&tNumber != 0:
		s.floatBits = 32
	}
	return nil
}

func (c *compiler) fillNumber(s *Schema, m map[string]any, at string) error {
	if v, ok := number(m["minimum"]); ok {
		s.min, s.hasMin = v, true
	}
	if v, ok := number(m["maximum"]); ok {
		s.max, s.hasMax = v, true
	}
	for _, kw := range []string{"exclusiveMinimum", "exclusiveMaximum"} {
		raw, ok := m[kw]
		if !ok {
			continue
		}
		isMin := kw == "exclusiveMinimum"
		switch x := raw.(type) {
		case bool: // OpenAPI 3.0: modifies minimum/maximum
			if isMin {
				s.exclMin = x
			} else {
				s.exclMax = x
			}
		default: // 2020-12: a bound of its own
			v, ok := number(x)
			if !ok {
				return fmt.Errorf("%s: bad %s", at, kw)
			}
			if isMin {
				if !s.hasMin || v >= s.min {
					s.min, s.hasMin, s.exclMin = v, true, true
				}
			} else if !s.hasMax || v <= s.max {
				s.max, s.hasMax, s.exclMax = v, true, true
			}
		}
	}
	if v, ok := number(m["multipleOf"]); ok {
		if v <= 0 {
			return fmt.Errorf("%s: multipleOf must be positive", at)
		}
		s.multipleOf = v
	}
	return nil
}

func (c *compiler) fillObject(s *Schema, m map[string]any, base, at string) error {
	if props, ok := m["properties"].(map[string]any); ok {
		s.props = make(map[string]*property, len(props))
		names := make([]string, 0, len(props))
		for name := range props {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			sub := newSchema()
			if err := c.fill(sub, props[name], base, at+"/properties/"+name); err != nil {
				return err
			}
			s.props[name] = &property{schema: sub}
		}
	}
	if req, ok := m["required"].([]any); ok {
		if len(req) > 64 {
			return fmt.Errorf("%s: more than 64 required properties", at)
		}
		for i, r := range req {
			name, ok := r.(string)
			if !ok {
				return fmt.Errorf("%s: required entries must be strings", at)
			}
			if s.props == nil {
				s.props = map[string]*property{}
			}
			p := s.props[name]
			if p == nil { // required but not described: any value
				p = &property{}
				s.props[name] = p
			}
			p.bit = 1 << uint(i)
			s.requiredSet |= p.bit
			s.required = append(s.required, name)
		}
	}
	switch a := m["additionalProperties"].(type) {
	case nil:
	case bool:
		s.addlAllowed = a
	default:
		sub := newSchema()
		if err := c.fill(sub, a, base, at+"/additionalProperties"); err != nil {
			return err
		}
		s.addl = sub
	}
	if v, ok := number(m["minProperties"]); ok {
		s.minProps = int(v)
	}
	if v, ok := number(m["maxProperties"]); ok {
		s.maxProps = int(v)
	}
	return nil
}

func (c *compiler) fillArray(s *Schema, m map[string]any, base, at string) error {
	if it, ok := m["items"]; ok {
		sub := newSchema()
		if err := c.fill(sub, it, base, at+"/items"); err != nil {
			return err
		}
		s.items = sub
	}
	if v, ok := number(m["minItems"]); ok {
		s.minItems = int(v)
	}
	if v, ok := number(m["maxItems"]); ok {
		s.maxItems = int(v)
	}
	s.unique, _ = m["uniqueItems"].(bool)
	return nil
}

func (c *compiler) fillComposition(s *Schema, m map[string]any, base, at string) error {
	for _, kw := range []string{"allOf", "anyOf", "oneOf"} {
		raw, ok := m[kw]
		if !ok {
			continue
		}
		list, ok := raw.([]any)
		if !ok || len(list) == 0 {
			return fmt.Errorf("%s: %s must be a non-empty array", at, kw)
		}
		subs := make([]*Schema, len(list))
		for i, item := range list {
			subs[i] = newSchema()
			if err := c.fill(subs[i], item, base, fmt.Sprintf("%s/%s/%d", at, kw, i)); err != nil {
				return err
			}
		}
		switch kw {
		case "allOf":
			s.allOf = append(s.allOf, subs...)
		case "anyOf":
			s.anyOf = subs
		case "oneOf":
			s.oneOf = subs
		}
	}
	if n, ok := m["not"]; ok {
		s.not = newSchema()
		if err := c.fill(s.not, n, base, at+"/not"); err != nil {
			return err
		}
	}
	if len(s.oneOf) > 0 {
		s.discriminator, s.branches = findDiscriminator(s.oneOf)
	}
	return nil
}

// findDiscriminator looks for a property that every oneOf branch requires with a distinct constant
// string value (the "action" of a WebSocket frame, for instance). When there is one, validation picks
// the branch by that value instead of trying every branch.
func findDiscriminator(branches []*Schema) (string, map[string]*Schema) {
	first := flatten(branches[0])
	if first == nil {
		return "", nil
	}
	for name, p := range first.props {
		if p.bit == 0 || p.schema == nil || len(p.schema.enumStrings) != 1 {
			continue
		}
		byValue := make(map[string]*Schema, len(branches))
		for _, b := range branches {
			fb := flatten(b)
			if fb == nil {
				return "", nil
			}
			bp := fb.props[name]
			if bp == nil || bp.bit == 0 || bp.schema == nil || len(bp.schema.enumStrings) != 1 {
				byValue = nil
				break
			}
			for v := range bp.schema.enumStrings {
				if _, dup := byValue[v]; dup {
					byValue = nil
				} else if byValue != nil {
					byValue[v] = b
				}
			}
			if byValue == nil {
				break
			}
		}
		if byValue != nil {
			return name, byValue
		}
	}
	return "", nil
}

// flatten returns the schema that holds the properties of s, following a lone allOf reference.
func flatten(s *Schema) *Schema {
	for s != nil && s.props == nil && (s.ref != nil || len(s.allOf) == 1) {
		if s.ref != nil {
			s = s.ref
		} else {
			s = s.allOf[0]
		}
	}
	if s == nil || s.props == nil {
		return nil
	}
	return s
}

// number reads a JSON number (or a Go int, from YAML) as float64.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	}
	return 0, false
}

// resolveURI resolves ref against base for the simple URIs schema documents use: fragments,
// absolute URIs, and relative file names.
func resolveURI(base, ref string) string {
	switch {
	case strings.HasPrefix(ref, "#"):
		return base + ref
	case strings.Contains(ref, "://") || strings.HasPrefix(ref, "urn:"):
		if !strings.Contains(ref, "#") {
			return ref + "#"
		}
		return ref
	}
	dir := base
	if i := strings.LastIndex(base, "/"); i >= 0 {
		dir = base[:i+1]
	} else {
		dir = ""
	}
	out := dir + ref
	if !strings.Contains(out, "#") {
		out += "#"
	}
	return out
}

// isIntegral reports whether f has no fractional part.
func isIntegral(f float64) bool { return f == math.Trunc(f) && !math.IsInf(f, 0) }
