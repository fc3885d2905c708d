package validate

import (
	"encoding/json"
	"strconv"
)

// ReadParam reads v, the text of a path, query or header parameter, with the grammar of s's type
// (see "Parameters and form fields" in the package documentation), checks it against s, and
// returns the JSON value it stands for, so that a server which passes the value on (as JSON, or
// re-encoded in another request) sends exactly what was checked:
//
//   - an integer as a json.Number in canonical form ("+5" and "007" become "5" and "7");
//   - a number as a json.Number, the shortest form that reads back as the same float32 (format
//     float, or none) or float64 (format double);
//   - a boolean as a bool, whichever of strconv.ParseBool's spellings it came in;
//   - a string (or a value whose schema has no type) as the string itself, and null as nil.
//
// Violations name the parameter (name, at in) and are appended to dst. value is nil when v does
// not read as the type; when it reads but breaks a bound (minimum, enum, pattern...), value is
// returned together with the violation, and the caller decides.
func (s *Schema) ReadParam(dst []Violation, in Location, name, v string) (value any, out []Violation) {
	for s != nil && s.ref != nil {
		s = s.ref
	}
	sc := scanner{dir: Request, in: in, name: name, out: dst}
	val, ok := sc.scalar(s, v)
	if !ok {
		return nil, sc.out
	}
	switch val.kind {
	case tInteger:
		return json.Number(strconv.FormatInt(val.i, 10)), sc.out
	case tNumber:
		bits := 64
		if s != nil && s.floatBits == 32 {
			bits = 32
		}
		return json.Number(strconv.FormatFloat(val.f, 'g', -1, bits)), sc.out
	case tBoolean:
		return val.b, sc.out
	case tNull:
		return nil, sc.out
	}
	return val.s, sc.out
}
