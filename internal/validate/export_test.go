package validate

// ParamValue reads op's parameter name the way CheckRequest reads it, from the path values in pp
// or from a raw query string, and returns the value it would check: an int64, float64, bool or
// string. ok is false when the parameter is absent or its value does not read. For tests that
// compare the validator's reading with the generated binder's.
func ParamValue(op *Operation, name string, pp *PathParams, rawQuery string) (v any, ok bool) {
	var p *param
	raw := ""
	for i, pathParam := range op.pathParams {
		if pathParam.Name == name {
			p = pathParam
			if raw, ok = pp.value(i); !ok {
				return nil, false
			}
		}
	}
	for _, q := range op.params {
		if q.Name == name && q.In == InQuery {
			p = q
			var n int
			if raw, n, _ = queryLookup(rawQuery, name); n == 0 {
				return nil, false
			}
		}
	}
	if p == nil {
		return nil, false
	}
	s := p.schema
	for s != nil && s.ref != nil {
		s = s.ref
	}
	sc := scanner{dir: Request, in: p.In, name: p.Name}
	val, ok := sc.readScalar(s, raw)
	if !ok {
		return nil, false
	}
	switch val.kind {
	case tInteger:
		return val.i, true
	case tNumber:
		return val.f, true
	case tBoolean:
		return val.b, true
	case tString:
		return val.s, true
	}
	return nil, true
}
