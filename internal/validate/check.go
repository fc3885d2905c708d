package validate

import (
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// CheckOptions tunes CheckRequest.
type CheckOptions struct {
	// SkipSecurity leaves credentials to the caller, which authenticates them itself (the mock
	// answers a missing token with 401, not with a validation error).
	SkipSecurity bool
	// UnknownQuery reports query parameters the operation does not describe.
	UnknownQuery bool
}

// Check validates a JSON document against s and appends the violations to dst.
func (s *Schema) Check(dst []Violation, data []byte, dir Direction) []Violation {
	return checkJSON(dst, s, data, dir)
}

// CheckRequest validates a request routed to op (see Find): security presence, path, query and
// header parameters, and the body by content type. body is the whole request body. Violations
// are appended to dst, which is returned.
func (s *Spec) CheckRequest(dst []Violation, op *Operation, pp *PathParams, r *http.Request, body []byte, opts CheckOptions) []Violation {
	if !opts.SkipSecurity && len(op.Security) > 0 && !securityPresent(op, r) {
		dst = append(dst, Violation{Direction: Request, In: InSecurity, Rule: RuleSecurity,
			Message: "credentials are missing: " + op.securityText(), Expected: op.securityText()})
	}
	for i, p := range op.pathParams {
		if i >= pp.n {
			break
		}
		v, ok := pp.value(i)
		if v == "" { // a router that matches empty segments; the generated binder refuses them
			dst = append(dst, Violation{Direction: Request, In: InPath, Name: p.Name, Rule: RuleMissingParameter,
				Message: "is empty"})
			continue
		}
		if !ok {
			dst = append(dst, Violation{Direction: Request, In: InPath, Name: p.Name, Rule: RuleEncoding,
				Message: "has an invalid percent-escape", Actual: brief(v)})
			continue
		}
		dst = checkParam(dst, Request, p, v)
	}
	dst = checkQuery(dst, op, r.URL.RawQuery, opts.UnknownQuery)
	for _, p := range op.params {
		if p.In != InHeader {
			continue
		}
		values := r.Header.Values(p.Name)
		if len(values) == 0 {
			if p.Required {
				dst = append(dst, Violation{Direction: Request, In: InHeader, Name: p.Name, Rule: RuleMissingParameter,
					Message: "required header " + strconv.Quote(p.Name) + " is missing"})
			}
			continue
		}
		dst = checkParam(dst, Request, p, values[0])
	}
	return checkRequestBody(dst, op, r.Header.Get("Content-Type"), body)
}

func checkRequestBody(dst []Violation, op *Operation, contentType string, data []byte) []Violation {
	b := op.reqBody
	if b == nil {
		if len(data) > 0 {
			dst = append(dst, Violation{Direction: Request, In: InBody, Rule: RuleUnexpectedBody,
				Message: "this operation takes no request body"})
		}
		return dst
	}
	if len(data) == 0 {
		if b.Required {
			dst = append(dst, Violation{Direction: Request, In: InBody, Rule: RuleBodyRequired,
				Message: "a request body is required", Expected: mediaList(b.media)})
		}
		return dst
	}
	m := b.mediaFor(contentType, data)
	if m == nil {
		return append(dst, contentTypeViolation(Request, b.media, contentType))
	}
	switch {
	case m.json && m.schema != nil:
		dst = checkJSON(dst, m.schema, data, Request)
	case m.form:
		dst = checkForm(dst, m.schema, data)
	}
	return dst
}

// CheckResponse validates a response of op: the status is documented, documented required headers
// are present and valid, and the body matches the documented content.
func (s *Spec) CheckResponse(dst []Violation, op *Operation, status int, h http.Header, data []byte) []Violation {
	resp := op.response(status)
	if resp == nil {
		return append(dst, Violation{Direction: Response, In: InStatus, Rule: RuleStatusNotDocumented,
			Message:  "status " + strconv.Itoa(status) + " is not documented for " + op.ID,
			Expected: op.statuses, Actual: strconv.Itoa(status)})
	}
	for _, hp := range resp.headers {
		v := h.Get(hp.Name)
		if v == "" {
			if hp.Required {
				dst = append(dst, Violation{Direction: Response, In: InHeader, Name: hp.Name, Rule: RuleMissingHeader,
					Message: "required header " + strconv.Quote(hp.Name) + " is missing"})
			}
			continue
		}
		if hp.schema != nil {
			dst = checkParam(dst, Response, hp, v)
		}
	}
	if len(resp.media) == 0 {
		if len(data) > 0 {
			dst = append(dst, Violation{Direction: Response, In: InBody, Rule: RuleUnexpectedBody,
				Message: "status " + strconv.Itoa(status) + " is documented without a body", Actual: brief(string(data))})
		}
		return dst
	}
	ct := h.Get("Content-Type")
	m := matchMedia(resp.media, ct)
	if m == nil {
		return append(dst, contentTypeViolation(Response, resp.media, ct))
	}
	if len(data) == 0 {
		if m.schema != nil && m.json {
			dst = append(dst, Violation{Direction: Response, In: InBody, Rule: RuleBodyRequired,
				Message: "the response body is empty", Expected: m.mediaType})
		}
		return dst
	}
	if m.json && m.schema != nil {
		dst = checkJSON(dst, m.schema, data, Response)
	}
	return dst
}

// securityPresent reports whether some security requirement of op has all its credentials present.
// It checks presence and form only; whether the credentials are good is the server's business.
func securityPresent(op *Operation, r *http.Request) bool {
	for _, req := range op.Security {
		ok := true
		for _, ss := range req.Schemes {
			if !schemePresent(ss, r) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func schemePresent(ss SecurityScheme, r *http.Request) bool {
	switch ss.Kind {
	case "bearer":
		return hasAuthScheme(r.Header.Get("Authorization"), "Bearer")
	case "basic":
		return hasAuthScheme(r.Header.Get("Authorization"), "Basic")
	case "apiKey-header":
		return r.Header.Get(ss.Param) != ""
	case "apiKey-query":
		_, n, _ := queryLookup(r.URL.RawQuery, ss.Param)
		return n > 0
	case "apiKey-cookie":
		_, err := r.Cookie(ss.Param)
		return err == nil
	}
	return false
}

// hasAuthScheme reports whether an Authorization value uses the scheme (case-insensitively) with
// non-empty credentials.
func hasAuthScheme(v, scheme string) bool {
	return len(v) > len(scheme)+1 && strings.EqualFold(v[:len(scheme)], scheme) && v[len(scheme)] == ' ' &&
		strings.TrimSpace(v[len(scheme)+1:]) != ""
}

func (op *Operation) securityText() string {
	var alts []string
	for _, req := range op.Security {
		var parts []string
		for _, ss := range req.Schemes {
			switch ss.Kind {
			case "bearer":
				t := "a Bearer token"
				if len(ss.Scopes) > 0 {
					t += " with scope " + strings.Join(ss.Scopes, ", ")
				}
				parts = append(parts, t)
			case "basic":
				parts = append(parts, "HTTP Basic credentials")
			default:
				parts = append(parts, "the "+ss.Param+" API key")
			}
		}
		if len(parts) == 0 {
			parts = []string{"nothing"}
		}
		alts = append(alts, strings.Join(parts, " and "))
	}
	return strings.Join(alts, ", or ")
}

// checkParam validates one parameter or header value against its schema.
func checkParam(dst []Violation, dir Direction, p *param, v string) []Violation {
	sc := scanner{dir: dir, in: p.In, name: p.Name, out: dst}
	sc.scalar(p.schema, v)
	return sc.out
}

// scalarValue is a scalar read with the grammar of its schema's type.
type scalarValue struct {
	kind typeSet // tInteger, tNumber, tBoolean, tString, or tNull
	i    int64
	f    float64
	b    bool
	s    string
}

// readScalar reads v with the grammar of s's type, the generated binder's (see "Parameters and
// form fields" in the package documentation). It reports a failure and returns false when v does
// not belong to the grammar or does not fit the type.
func (sc *scanner) readScalar(s *Schema, v string) (scalarValue, bool) {
	t := s.types
	switch {
	case t&tString != 0 || t == tAll:
		return scalarValue{kind: tString, s: v}, true
	case t&tInteger != 0 && t&tNumber == 0:
		n, err := strconv.ParseInt(v, 10, 64)
		bits := s.intBits
		if bits == 0 {
			bits = 64
		}
		switch {
		case err != nil && err.(*strconv.NumError).Err == strconv.ErrRange, err == nil && !fitsBits(n, bits):
			b := strconv.Itoa(bits)
			sc.fail(RuleFormat, "must fit in a "+b+"-bit integer, got "+strconv.Quote(v), "int"+b, strconv.Quote(v))
			return scalarValue{}, false
		case err != nil:
			sc.fail(RuleType, "must be an integer (decimal digits, optionally signed), got "+strconv.Quote(v), "integer", strconv.Quote(v))
			return scalarValue{}, false
		}
		return scalarValue{kind: tInteger, i: n}, true
	case t&tNumber != 0:
		// The binder reads a float64 and refuses one its float32 cannot hold.
		f, err := strconv.ParseFloat(v, 64)
		switch {
		case err == nil && !decimalNumber(v), err != nil && err.(*strconv.NumError).Err != strconv.ErrRange:
			sc.fail(RuleType, "must be a number (decimal, optionally signed, with a fraction or an exponent), got "+strconv.Quote(v),
				"number", strconv.Quote(v))
			return scalarValue{}, false
		case err != nil, s.floatBits == 32 && math.Abs(f) > math.MaxFloat32:
			b := "64"
			if s.floatBits == 32 {
				b = "32"
			}
			sc.fail(RuleFormat, "must fit in a "+b+"-bit floating-point number, got "+strconv.Quote(v), "float"+b, strconv.Quote(v))
			return scalarValue{}, false
		}
		if s.floatBits == 32 {
			f = float64(float32(f))
		}
		return scalarValue{kind: tNumber, f: f}, true
	case t&tBoolean != 0:
		b, err := strconv.ParseBool(v)
		if err != nil {
			sc.fail(RuleType, "must be boolean (true or false), got "+strconv.Quote(v), "boolean", strconv.Quote(v))
			return scalarValue{}, false
		}
		return scalarValue{kind: tBoolean, b: b}, true
	case t&tNull != 0:
		if v != "" && v != "null" {
			sc.fail(RuleType, "must be null", "null", strconv.Quote(v))
			return scalarValue{}, false
		}
		return scalarValue{kind: tNull}, true
	}
	sc.fail(RuleType, "must be "+t.String()+", which a parameter cannot carry", t.String(), strconv.Quote(v))
	return scalarValue{}, false
}

// decimalNumber reports whether v is written with decimal digits, signs, a point and an exponent
// only: strconv.ParseFloat also reads "Inf", "NaN", hexadecimal floats and digit separators.
func decimalNumber(v string) bool {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case '0' <= c && c <= '9', c == '+', c == '-', c == '.', c == 'e', c == 'E':
		default:
			return false
		}
	}
	return true
}

// scalar validates a string-encoded value (a parameter, header or form field) against s, reading it
// with the grammar of the type s asks for, and returns the value it read (ok is false when v does
// not read as that type; a value that reads but breaks a bound is returned, with the failure
// reported).
func (sc *scanner) scalar(s *Schema, v string) (scalarValue, bool) {
	for s != nil && s.ref != nil {
		s = s.ref
	}
	if s == nil {
		return scalarValue{kind: tString, s: v}, true
	}
	val, ok := sc.readScalar(s, v)
	if !ok {
		return val, false
	}
	switch val.kind {
	case tString:
		sc.strValue(s, []byte(v))
	case tInteger:
		sc.intBounds(s, val.i, []byte(v))
	case tNumber:
		sc.numberBounds(s, val.f, []byte(v))
	case tBoolean:
		idx := 0
		if val.b {
			idx = 1
		}
		if s.hasEnum && !s.enumBools[idx] {
			sc.enumFail(s, v)
		}
	}
	return val, true
}

// maxQueryPairs is how many pairs net/url's ParseQuery reads (its urlmaxqueryparams default):
// past it, Go servers see no parameters at all.
const maxQueryPairs = 10000

// checkQuery validates the query parameters of op against a raw query string.
func checkQuery(dst []Violation, op *Operation, raw string, unknown bool) []Violation {
	if raw != "" && strings.Count(raw, "&") >= maxQueryPairs {
		return append(dst, Violation{Direction: Request, In: InQuery, Rule: RuleEncoding,
			Message: "the query string has more than " + strconv.Itoa(maxQueryPairs) + " parameters", Expected: strconv.Itoa(maxQueryPairs)})
	}
	for _, p := range op.params {
		if p.In != InQuery {
			continue
		}
		v, n, bad := queryLookup(raw, p.Name)
		switch {
		case bad != "":
			dst = append(dst, malformedPair(InQuery, p.Name, bad))
		case n == 0:
			if p.Required {
				dst = append(dst, Violation{Direction: Request, In: InQuery, Name: p.Name, Rule: RuleMissingParameter,
					Message: "required query parameter " + strconv.Quote(p.Name) + " is missing"})
			}
		case n > 1 && !p.array:
			dst = append(dst, Violation{Direction: Request, In: InQuery, Name: p.Name, Rule: RuleDuplicateParameter,
				Message: "query parameter " + strconv.Quote(p.Name) + " is given " + strconv.Itoa(n) + " times", Expected: "once"})
		case p.array:
			items := p.schema
			for items != nil && items.ref != nil {
				items = items.ref
			}
			if items != nil {
				items = items.items
			}
			forEachQuery(raw, func(k, val string, ok bool) {
				if k == p.Name && ok {
					dst = checkParam(dst, Request, &param{Name: p.Name, In: InQuery, schema: items}, val)
				}
			})
		default:
			dst = checkParam(dst, Request, p, v)
		}
	}
	if unknown && raw != "" {
		forEachQuery(raw, func(k, _ string, _ bool) {
			for _, p := range op.params {
				if p.In == InQuery && p.Name == k {
					return
				}
			}
			dst = append(dst, Violation{Direction: Request, In: InQuery, Name: k, Rule: RuleUnknownParameter,
				Message: "query parameter " + strconv.Quote(k) + " is not described"})
		})
	}
	return dst
}

// malformedPair reports a query pair or form field that a URL query parser cannot read.
func malformedPair(in Location, name, pair string) Violation {
	why := "has an invalid percent-escape"
	if strings.IndexByte(pair, ';') >= 0 {
		why = "contains an unescaped \";\", which Go servers refuse"
	}
	return Violation{Direction: Request, In: in, Name: name, Rule: RuleEncoding,
		Message:  "is not validly URL-encoded: " + strconv.Quote(brief(pair)) + " " + why,
		Expected: "application/x-www-form-urlencoded", Actual: brief(pair)}
}

// queryPair splits one "&"-separated pair of a query string or form body the way url.ParseQuery
// does. ok is false when ParseQuery drops the pair (an unescaped ";", a bad escape); name is then
// the decoded name when it decodes, so that the caller can tell whom the pair was meant for.
func queryPair(pair string) (name, value string, ok bool) {
	rk, rv, _ := strings.Cut(pair, "=")
	name, err := unescapeQuery(rk)
	if err != nil {
		return rk, "", false
	}
	value, err = unescapeQuery(rv)
	if err != nil || strings.IndexByte(pair, ';') >= 0 {
		return name, "", false
	}
	return name, value, true
}

// queryLookup returns the first decoded value of key in a raw query, how many pairs give key a
// value, and the first pair meant for key that ParseQuery would drop. It decodes only what it
// must, so the common case allocates nothing.
func queryLookup(raw, key string) (first string, n int, malformed string) {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		rk, _, _ := strings.Cut(pair, "=")
		if rk != key && !strings.ContainsAny(rk, "%+") {
			continue
		}
		k, v, ok := queryPair(pair)
		if k != key {
			continue
		}
		if !ok {
			if malformed == "" {
				malformed = pair
			}
			continue
		}
		if n == 0 {
			first = v
		}
		n++
	}
	return first, n, malformed
}

// forEachQuery calls fn with every non-empty pair of a raw query, decoded; ok is false for a pair
// ParseQuery would drop.
func forEachQuery(raw string, fn func(k, v string, ok bool)) {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		fn(queryPair(pair))
	}
}

// unescapeQuery decodes a query name or value, without allocating when there is nothing to decode.
func unescapeQuery(s string) (string, error) {
	if !strings.ContainsAny(s, "%+") {
		return s, nil
	}
	return url.QueryUnescape(s)
}

// checkForm validates an application/x-www-form-urlencoded body against an object schema.
func checkForm(dst []Violation, s *Schema, data []byte) []Violation {
	for s != nil && s.ref != nil {
		s = s.ref
	}
	raw := string(data)
	sc := scanner{dir: Request, in: InBody, out: dst}
	if strings.Count(raw, "&") >= maxQueryPairs {
		sc.fail(RuleEncoding, "the form body has more than "+strconv.Itoa(maxQueryPairs)+" fields",
			strconv.Itoa(maxQueryPairs), "")
		return sc.out
	}
	var seen uint64
	counts := map[string]int{}
	for rest := raw; rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		if pair == "" {
			continue
		}
		// The generated server parses the body with url.ParseQuery, which fails on such a pair.
		k, v, ok := queryPair(pair)
		if !ok {
			sc.path = append(sc.path[:0], segment{key: []byte(k)})
			sc.failed = true
			if len(sc.out) < maxViolations {
				mv := malformedPair(InBody, k, pair)
				mv.Pointer = sc.pointer()
				sc.out = append(sc.out, mv)
			}
			continue
		}
		counts[k]++
		if s == nil {
			continue
		}
		sc.path = append(sc.path[:0], segment{key: []byte(k)})
		if counts[k] == 2 {
			sc.fail(RuleDuplicateParameter, "field "+strconv.Quote(k)+" is given more than once", "once", "")
			continue
		} else if counts[k] > 2 {
			continue
		}
		if p, ok := s.props[k]; ok {
			seen |= p.bit
			sc.scalar(p.schema, v)
		} else if !s.addlAllowed && s.addl == nil {
			sc.fail(RuleAdditionalProperties, "field "+strconv.Quote(k)+" is not allowed", "no additional fields", k)
		} else if s.addl != nil {
			sc.scalar(s.addl, v)
		}
	}
	sc.path = sc.path[:0]
	if s != nil {
		if missing := s.requiredSet &^ seen; missing != 0 {
			for _, name := range s.required {
				if s.props[name].bit&missing != 0 {
					sc.failAt(name, RuleRequired, "missing required field "+strconv.Quote(name), name, "")
				}
			}
		}
	}
	return sc.out
}

// matchMedia finds the documented media type a Content-Type value selects.
func matchMedia(media []mediaSchema, contentType string) *mediaSchema {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.TrimSpace(mt)
	if mt == "" {
		return nil
	}
	for i := range media {
		if strings.EqualFold(media[i].mediaType, mt) {
			return &media[i]
		}
	}
	for i := range media {
		m := media[i].mediaType
		if m == "*/*" {
			return &media[i]
		}
		if prefix, ok := strings.CutSuffix(m, "/*"); ok && len(mt) > len(prefix) && strings.EqualFold(mt[:len(prefix)+1], prefix+"/") {
			return &media[i]
		}
	}
	if strings.HasSuffix(strings.ToLower(mt), "+json") {
		for i := range media {
			if media[i].mediaType == "application/json" {
				return &media[i]
			}
		}
	}
	return nil
}

func mediaList(media []mediaSchema) string {
	names := make([]string, len(media))
	for i, m := range media {
		names[i] = m.mediaType
	}
	return strings.Join(names, " or ")
}

func contentTypeViolation(dir Direction, media []mediaSchema, got string) Violation {
	msg := "Content-Type " + strconv.Quote(got) + " is not documented; expected " + mediaList(media)
	if got == "" {
		msg = "the Content-Type header is missing; expected " + mediaList(media)
	}
	return Violation{Direction: dir, In: InHeader, Name: "Content-Type", Rule: RuleContentType,
		Message: msg, Expected: mediaList(media), Actual: brief(got)}
}
