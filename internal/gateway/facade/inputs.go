package facade

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/capability"
	"github.com/restreamkit/restreamkit/internal/jsontext"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// route is a capability route compiled for serving: its ServeMux pattern and its inputs by
// location, each with its schema compiled once.
type route struct {
	route   *capability.Route
	pattern string
	// path holds the path variables in template order; the i-th is the ServeMux wildcard "v<i>"
	// (capability names need not be Go identifiers, as ServeMux wildcards must).
	path  []*input
	query map[string]*input
	// queryNames are the query inputs' names, sorted, for messages.
	queryNames []string
	header     []*input
	body       map[string]*input
	bodyNames  []string
	// bodyRequired are the required body fields, in declaration order.
	bodyRequired []string
}

// input is one declared input of a route, compiled.
type input struct {
	in     *capability.Input
	schema *validate.Schema
	// items is the schema of each value of an array query parameter (the key repeated); nil
	// for a scalar.
	items *validate.Schema
}

// The locations of inputs, as capability.Input.In spells them.
const (
	inPath   = "path"
	inQuery  = "query"
	inHeader = "header"
	inBody   = "body"
)

// compileRoute checks a route of the loaded capability and compiles it.
func compileRoute(r *capability.Route) (*route, error) {
	if r.Call == nil {
		return nil, fmt.Errorf("route %s %s has no call", r.Method, r.Path)
	}
	if !validMethod(r.Method) {
		return nil, fmt.Errorf("route %s %s: the method must be an upper-case HTTP method", r.Method, r.Path)
	}
	rt := &route{route: r, query: map[string]*input{}, body: map[string]*input{}}
	byName := map[string]*input{}
	var errs []error
	for _, in := range r.Inputs {
		if _, dup := byName[in.Name]; dup {
			errs = append(errs, fmt.Errorf("input %q is declared twice", in.Name))
			continue
		}
		ci, err := compileInput(in)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		byName[in.Name] = ci
		switch in.In {
		case inPath:
		case inQuery:
			rt.query[in.Name] = ci
			rt.queryNames = append(rt.queryNames, in.Name)
		case inHeader:
			rt.header = append(rt.header, ci)
		case inBody:
			rt.body[in.Name] = ci
			rt.bodyNames = append(rt.bodyNames, in.Name)
			if in.Required {
				rt.bodyRequired = append(rt.bodyRequired, in.Name)
			}
		default:
			errs = append(errs, fmt.Errorf("input %q is in %q; want path, query, header or body", in.Name, in.In))
		}
	}
	sort.Strings(rt.queryNames)
	sort.Strings(rt.bodyNames)

	// The template: literal segments and whole-segment {name} variables, as ServeMux serves.
	if !strings.HasPrefix(r.Path, "/") || r.Path != "/" && strings.HasSuffix(r.Path, "/") {
		errs = append(errs, fmt.Errorf("the path must start with / and not end with one"))
	}
	var pattern strings.Builder
	pattern.WriteString(r.Method + " ")
	seen := map[string]bool{}
	for _, seg := range strings.Split(strings.TrimPrefix(r.Path, "/"), "/") {
		pattern.WriteByte('/')
		name, isVar := strings.CutPrefix(seg, "{")
		if isVar {
			name, isVar = strings.CutSuffix(name, "}")
		}
		switch {
		case isVar:
			in := byName[name]
			switch {
			case seen[name]:
				errs = append(errs, fmt.Errorf("path variable {%s} appears twice", name))
			case in == nil || in.in.In != inPath:
				errs = append(errs, fmt.Errorf("path variable {%s} has no path input", name))
			default:
				fmt.Fprintf(&pattern, "{v%d}", len(rt.path))
				rt.path = append(rt.path, in)
			}
			seen[name] = true
		case seg == "" && r.Path != "/", !literalSegment(seg):
			errs = append(errs, fmt.Errorf("segment %q: want letters, digits, \"-._~\", or a whole {variable}", seg))
		default:
			pattern.WriteString(seg)
		}
	}
	for _, in := range r.Inputs {
		if in.In == inPath && !seen[in.Name] {
			errs = append(errs, fmt.Errorf("path input %q is not a variable of the path", in.Name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("route %s %s: %w", r.Method, r.Path, err)
	}
	rt.pattern = pattern.String()
	return rt, nil
}

func validMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// literalSegment reports whether seg is made of URL-unreserved characters only, which a path
// carries as they are: the facade's paths are plain words.
func literalSegment(seg string) bool {
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0) {
			return false
		}
	}
	return seg != "" && seg != "." && seg != ".."
}

// compileInput compiles an input's schema. Path, query and header values arrive as text, so
// their schema must be a scalar (or, for a query parameter, an array of scalars: the key
// repeated).
func compileInput(in *capability.Input) (*input, error) {
	ci := &input{in: in}
	var err error
	if ci.schema, err = compileSchema(in.Schema); err != nil {
		return nil, fmt.Errorf("input %q: %w", in.Name, err)
	}
	if in.In == inBody {
		return ci, nil
	}
	switch t, _ := in.Schema["type"].(string); t {
	case "object":
		return nil, fmt.Errorf("input %q in %s: an object cannot be a %s parameter", in.Name, in.In, in.In)
	case "array":
		items, _ := in.Schema["items"].(map[string]any)
		if it, _ := items["type"].(string); in.In != inQuery || it == "object" || it == "array" {
			return nil, fmt.Errorf("input %q in %s: only a query parameter may be an array, of scalars", in.Name, in.In)
		}
		if ci.items, err = compileSchema(items); err != nil {
			return nil, fmt.Errorf("input %q: items: %w", in.Name, err)
		}
	}
	return ci, nil
}

// compileSchema compiles a JSON Schema of the capability (OpenAPI 3.0 dialect: the loader takes
// it from the bundled spec, $refs inlined); nil accepts anything.
func compileSchema(s map[string]any) (*validate.Schema, error) {
	if s == nil {
		s = map[string]any{}
	}
	data, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encoding the schema: %w", err)
	}
	const name = "input.json"
	compiled, err := validate.CompileDocuments(validate.OpenAPI30, map[string][]byte{name: data}, name)
	if err != nil {
		return nil, err
	}
	return compiled[name], nil
}

// inputs reads the route's declared inputs from r and its body, type-checked, into the
// invoker's arguments: path variables, query parameters and headers read with the grammar of
// their schema's type (validate.Schema.ReadParam, the mock's own reading), body fields with
// their JSON types. Absent inputs stay absent. It refuses, naming them, query parameters and
// body fields the route does not declare.
func (rt *route) inputs(r *http.Request, body []byte) (map[string]any, *apierror.Error) {
	args := make(map[string]any, len(rt.route.Inputs))
	var vs []validate.Violation

	for i, in := range rt.path {
		// ServeMux matched the escaped path and unescaped the segment.
		var v any
		v, vs = in.schema.ReadParam(vs, validate.InPath, in.in.Name, r.PathValue("v"+strconv.Itoa(i)))
		args[in.in.Name] = v
	}
	vs = rt.queryInputs(vs, r.URL.RawQuery, args)
	for _, in := range rt.header {
		values := r.Header.Values(in.in.Name)
		switch {
		case len(values) == 0:
			if in.in.Required {
				vs = append(vs, validate.Violation{Direction: validate.Request, In: validate.InHeader, Name: in.in.Name,
					Rule: validate.RuleMissingParameter, Message: "required header " + strconv.Quote(in.in.Name) + " is missing"})
			}
		case len(values) > 1:
			vs = append(vs, validate.Violation{Direction: validate.Request, In: validate.InHeader, Name: in.in.Name,
				Rule: validate.RuleDuplicateParameter, Message: "header " + strconv.Quote(in.in.Name) + " is given " + strconv.Itoa(len(values)) + " times"})
		default:
			var v any
			v, vs = in.schema.ReadParam(vs, validate.InHeader, in.in.Name, values[0])
			args[in.in.Name] = v
		}
	}
	if len(vs) > 0 { // the body is looked at once the parameters are right
		return nil, violationError(vs)
	}
	if aerr := rt.bodyInputs(r, body, args); aerr != nil {
		return nil, aerr
	}
	return args, nil
}

// queryInputs reads the query string as url.ParseQuery does, as the mock and every Go server
// read it.
func (rt *route) queryInputs(vs []validate.Violation, raw string, args map[string]any) []validate.Violation {
	if raw == "" {
		for _, name := range rt.queryNames {
			if rt.query[name].in.Required {
				vs = append(vs, missingQuery(name))
			}
		}
		return vs
	}
	values, err := url.ParseQuery(raw)
	if err != nil {
		// ParseQuery drops a pair with a bad escape or a ";" (and every pair past 10000):
		// the client meant something the facade cannot read.
		return append(vs, validate.Violation{Direction: validate.Request, In: validate.InQuery, Rule: validate.RuleEncoding,
			Message: "the query string is not validly URL-encoded (a bad %-escape, an unescaped \";\", or more than 10000 parameters)"})
	}
	var unknown []string
	for name := range values {
		if rt.query[name] == nil {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		vs = append(vs, validate.Violation{Direction: validate.Request, In: validate.InQuery, Name: unknown[0],
			Rule: validate.RuleUnknownParameter, Message: unknownMessage("query parameter", unknown, rt.queryNames)})
	}
	for _, name := range rt.queryNames {
		in := rt.query[name]
		got, ok := values[name]
		switch {
		case !ok:
			if in.in.Required {
				vs = append(vs, missingQuery(name))
			}
		case in.items != nil:
			list := make([]any, 0, len(got))
			for _, s := range got {
				var v any
				v, vs = in.items.ReadParam(vs, validate.InQuery, name, s)
				list = append(list, v)
			}
			// The array's own bounds (minItems, uniqueItems...), on the values as read.
			if data, err := json.Marshal(list); err == nil {
				for _, v := range in.schema.Check(nil, data, validate.Request) {
					v.In, v.Name, v.Pointer = validate.InQuery, name, ""
					vs = append(vs, v)
				}
			}
			args[name] = list
		case len(got) > 1:
			vs = append(vs, validate.Violation{Direction: validate.Request, In: validate.InQuery, Name: name,
				Rule: validate.RuleDuplicateParameter, Message: "query parameter " + strconv.Quote(name) + " is given " + strconv.Itoa(len(got)) + " times"})
		default:
			var v any
			v, vs = in.schema.ReadParam(vs, validate.InQuery, name, got[0])
			args[name] = v
		}
	}
	return vs
}

func missingQuery(name string) validate.Violation {
	return validate.Violation{Direction: validate.Request, In: validate.InQuery, Name: name, Rule: validate.RuleMissingParameter,
		Message: "required query parameter " + strconv.Quote(name) + " is missing"}
}

// unknownMessage names what the client sent that the route does not declare, with a hint when a
// name differs from a declared one by case only (a typo the facade would otherwise just refuse).
func unknownMessage(what string, unknown, declared []string) string {
	var b strings.Builder
	b.WriteString("unknown " + what)
	if len(unknown) > 1 {
		b.WriteString("s")
	}
	for i, name := range unknown {
		if i == 10 {
			fmt.Fprintf(&b, " and %d more", len(unknown)-i)
			break
		}
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(" " + strconv.Quote(brief(name)))
		for _, d := range declared {
			if strings.EqualFold(d, name) {
				b.WriteString(" (did you mean " + strconv.Quote(d) + "?)")
			}
		}
	}
	if len(declared) == 0 {
		b.WriteString("; this route takes none")
	} else {
		b.WriteString("; this route takes " + quoteList(declared))
	}
	return b.String()
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// brief shortens a client's name for a message.
func brief(s string) string {
	const limit = 60
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

// bodyInputs reads the body fields the route declares from a JSON object body. An empty body
// is an empty object (a route whose body fields are all optional may be called without one).
func (rt *route) bodyInputs(r *http.Request, body []byte, args map[string]any) *apierror.Error {
	if len(rt.body) == 0 {
		if len(body) > 0 {
			return apierror.New(http.StatusBadRequest, apierror.NameInvalidBodyParams,
				"Invalid body params: this route takes no request body")
		}
		return nil
	}
	if len(body) > 0 {
		if aerr := jsonContentType(r.Header.Get("Content-Type"), rt.route.Method); aerr != nil {
			return aerr
		}
	}
	fields, vs := members(body)
	if len(vs) > 0 {
		return violationError(vs)
	}
	var unknown []string
	for _, fd := range fields {
		if rt.body[fd.name] == nil {
			unknown = append(unknown, fd.name)
		}
	}
	if len(unknown) > 0 {
		return violationError([]validate.Violation{{Direction: validate.Request, In: validate.InBody, Pointer: pointer(unknown[0], ""),
			Rule: validate.RuleAdditionalProperties, Message: unknownMessage("field", unknown, rt.bodyNames)}})
	}
	for _, fd := range fields {
		in := rt.body[fd.name]
		n := len(vs)
		vs = in.schema.Check(vs, fd.value, validate.Request)
		for i := n; i < len(vs); i++ {
			vs[i].Pointer = pointer(fd.name, vs[i].Pointer)
		}
		if len(vs) > n {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(fd.value))
		dec.UseNumber() // keep the client's number as it wrote it, not a float64
		var v any
		if err := dec.Decode(&v); err != nil { // the validator read it: cannot happen
			vs = append(vs, validate.Violation{Direction: validate.Request, In: validate.InBody, Pointer: pointer(fd.name, ""),
				Rule: validate.RuleSyntax, Message: "cannot be read"})
			continue
		}
		args[fd.name] = v
	}
	for _, name := range rt.bodyRequired {
		if !slices.ContainsFunc(fields, func(fd field) bool { return fd.name == name }) {
			vs = append(vs, validate.Violation{Direction: validate.Request, In: validate.InBody, Pointer: pointer(name, ""),
				Rule: validate.RuleRequired, Message: "missing required field " + strconv.Quote(name)})
		}
	}
	if len(vs) > 0 {
		return violationError(vs)
	}
	return nil
}

// jsonContentType refuses a body that is not JSON with 415: application/json or a +json type,
// UTF-8 (RFC 8259 §8.1). A PATCH's answer says what it accepts (RFC 5789 §2.2).
func jsonContentType(ct, method string) *apierror.Error {
	mt, params, err := mime.ParseMediaType(ct)
	ok := err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
	if cs, has := params["charset"]; ok && has && !strings.EqualFold(cs, "utf-8") {
		ok = false
	}
	if ok {
		return nil
	}
	msg := "Unsupported media type: the body must be JSON (Content-Type: application/json), got "
	if ct == "" {
		msg += "no Content-Type"
	} else {
		msg += strconv.Quote(brief(ct))
	}
	e := apierror.New(http.StatusUnsupportedMediaType, apierror.NameUnsupportedMedia, msg)
	if method == http.MethodPatch {
		e = e.WithHeader("Accept-Patch", "application/json")
	}
	return e
}

// field is one member of a JSON object body, its value as written.
type field struct {
	name  string
	value json.RawMessage
}

// maxFields bounds the members of a body object the facade reads: its routes take a few.
const maxFields = 256

// members splits a JSON object body into its members, refusing anything else: a body that is
// not JSON, not an object, has trailing data, or repeats a member (encoding/json would keep the
// last, and the validator and the upstream could each see another one).
func members(body []byte) ([]field, []validate.Violation) {
	syntax := func(msg string) []validate.Violation {
		return []validate.Violation{{Direction: validate.Request, In: validate.InBody, Rule: validate.RuleSyntax, Message: msg}}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil {
		return nil, syntax("the body is not valid JSON")
	} else if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, syntax("the body must be a JSON object")
	}
	var fields []field
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, syntax("the body is not valid JSON")
		}
		name, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, syntax("the body is not valid JSON")
		}
		if slices.ContainsFunc(fields, func(fd field) bool { return fd.name == name }) {
			return nil, []validate.Violation{{Direction: validate.Request, In: validate.InBody, Pointer: pointer(name, ""),
				Rule: validate.RuleDuplicateParameter, Message: "field " + strconv.Quote(brief(name)) + " is given more than once"}}
		}
		if len(fields) == maxFields {
			return nil, syntax("the body has more than " + strconv.Itoa(maxFields) + " fields")
		}
		fields = append(fields, field{name: name, value: raw})
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, syntax("the body is not valid JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, syntax("the body has data after its JSON object")
	}
	return fields, nil
}

// pointer is the JSON pointer of a body field, or of rest inside it.
func pointer(name, rest string) string {
	return "/" + jsontext.EscapePointerToken(name) + rest
}

// violationError turns the first violation into Restream's 400 envelope, as the mock words it:
// the name says where (invalid_path_params, invalid_query_params, invalid_header_params,
// invalid_body_params) and the message names the parameter or field (a nested body field as
// "a.b"); "(and N more)" counts the rest.
func violationError(vs []validate.Violation) *apierror.Error {
	v := vs[0]
	field := v.Field()
	if v.In == validate.InBody && v.Pointer != "" {
		field = strings.ReplaceAll(strings.TrimPrefix(v.Pointer, "/"), "/", ".")
	}
	var msg string
	switch v.Rule {
	case validate.RuleSyntax, validate.RuleEncoding, validate.RuleRequired, validate.RuleMissingParameter,
		validate.RuleAdditionalProperties, validate.RuleUnknownParameter, validate.RuleDuplicateParameter:
		msg = v.Message // these messages name what they are about
	default:
		msg = strconv.Quote(brief(field)) + " " + v.Message
	}
	if len(vs) > 1 {
		msg += " (and " + strconv.Itoa(len(vs)-1) + " more)"
	}
	return apierror.InvalidParams(string(v.In), msg)
}
