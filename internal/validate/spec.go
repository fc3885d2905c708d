// Package validate checks HTTP requests, HTTP responses and WebSocket frames against the
// project's OpenAPI description and JSON Schemas.
//
// The description is loaded and checked once with kin-openapi, then compiled into a path tree and
// into Schemas that validate raw JSON bytes in a single pass without building a document tree.
// That keeps validation cheap enough to run on every request of the mock and on every exchange
// the proxy forwards. Each failure is a Violation that names the JSON pointer, the rule and what was
// expected; a valid exchange allocates nothing.
//
// # The OpenAPI 3.0 dialect reads values as the generated Go server does
//
// restream-mock serves the description through code oapi-codegen generates, which reads
// parameters with strconv and bodies with encoding/json into Go types. So that a request the
// validator accepts is one the handler reads, and reads as the value the validator checked, the
// OpenAPI 3.0 dialect holds values to those readers where JSON Schema alone would be looser. The
// JSON Schema 2020-12 dialect (WebSocket frames) keeps JSON Schema's reading.
//
// # Parameters and form fields
//
// A path, query or header parameter, or a form field, arrives as text, read with the generated
// binder's grammar:
//
//   - integer: strconv.ParseInt in base 10, an optional sign and decimal digits. "+5", "007" and
//     "-0" are accepted and read as 5, 7 and 0; spaces, a fraction ("1.0"), an exponent ("1e3"),
//     digit separators and base prefixes are refused. The value must fit the generated Go type:
//     int32 for format int32, int64 for int64, int (64 bits) without a format.
//   - number: decimal digits with an optional sign, point and exponent, finite in the generated
//     type (float32, or float64 for format double). "Inf", "NaN" and hexadecimal floats, which
//     strconv also reads, are refused: JSON has no such numbers.
//   - boolean: strconv.ParseBool: true, false, 1, 0, t, f, T, F, TRUE, FALSE, True and False.
//   - string: any text, then minLength, maxLength, pattern, enum and format as in a body.
//
// An empty path segment is refused. A query string is split as net/url's ParseQuery splits it
// (pairs separated by "&", "+" for a space): ParseQuery silently drops a pair with an unescaped
// ";" or a bad percent-escape, so the validator reports such a pair when it names a described
// parameter (the client meant to send it; the server would not see it) and ignores it otherwise;
// a query of more than 10000 pairs, which ParseQuery refuses whole, is reported. A form body is
// parsed by ParseQuery as a whole, so any such pair in it is refused, and so are more than 10000.
// A value outside its grammar or its type's range is a violation that names the parameter.
//
// # JSON bodies
//
// An integer decodes into a Go integer, so it is written as one, without fraction or exponent
// (JSON Schema counts 1.0 and 1e3 as integers; encoding/json cannot decode them into an int),
// and fits the generated type. A number fits its float32 (float64 for format double), and any
// number anywhere fits a float64. A date-time is one time.Time reads: RFC 3339 with an upper-case
// "T" and "Z", no leap second, written without JSON escapes. In a request, a member whose name
// matches a declared property only when case is ignored is refused, since encoding/json would
// read it into that property.
package validate

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/restreamkit/restreamkit/internal/jsontext"
)

// Spec is a compiled OpenAPI description. It is immutable and safe for concurrent use.
type Spec struct {
	doc    *openapi3.T
	router router
	ops    []*Operation
	byID   map[string]*Operation
	// schemas are the compiled component schemas, by name.
	schemas map[string]*Schema
}

// Operation is one compiled operation of the description.
type Operation struct {
	ID      string
	Method  string
	Path    string // the path template, such as /v2/user/channel/{id}
	Summary string
	// Scopes are the OAuth2 scopes the operation requires; empty for public operations.
	Scopes []string
	// Security lists the alternative requirements; an empty list means public.
	Security []SecurityRequirement

	pathParams     []*param
	pathParamNames []string
	params         []*param // query, header and cookie parameters
	reqBody        *body
	responses      map[int]*response
	ranges         [6]*response // "1XX" .. "5XX"
	dflt           *response
	statuses       string // documented statuses, for messages
	statusList     []string
}

// Statuses returns the documented response statuses ("200", "4XX", "default"), sorted.
func (op *Operation) Statuses() []string { return op.statusList }

// ParamIn returns where op's parameter of the given name is: InPath, InQuery, InHeader or
// "cookie". ok is false when op describes no such parameter.
func (op *Operation) ParamIn(name string) (in Location, ok bool) {
	for _, p := range op.pathParams {
		if p.Name == name {
			return InPath, true
		}
	}
	for _, p := range op.params {
		if p.Name == name {
			return p.In, true
		}
	}
	return "", false
}

// RequestMediaType returns the documented request media type (such as application/json) that a
// request body is read as, chosen as CheckRequest chooses it: by its Content-Type without
// parameters, ignoring case, through wildcards and the +json suffix, else application/json for a
// body that parses as JSON when the spec says so (JSONBodyAnyContentType). It returns "" when
// none is selected.
func (op *Operation) RequestMediaType(contentType string, body []byte) string {
	if op.reqBody == nil {
		return ""
	}
	if m := op.reqBody.mediaFor(contentType, body); m != nil {
		return m.mediaType
	}
	return ""
}

// FormBody reports whether op takes an application/x-www-form-urlencoded request body.
func (op *Operation) FormBody() bool {
	if op.reqBody == nil {
		return false
	}
	for _, m := range op.reqBody.media {
		if m.form {
			return true
		}
	}
	return false
}

// SecurityRequirement is one alternative of an operation's security: every scheme must be present.
type SecurityRequirement struct {
	Schemes []SecurityScheme
}

// SecurityScheme is how one scheme of a requirement is presented.
type SecurityScheme struct {
	Name string
	// Kind is "bearer" (OAuth2 or HTTP bearer), "basic", "apiKey-header", "apiKey-query" or "apiKey-cookie".
	Kind string
	// Param is the header, query or cookie name of an apiKey scheme.
	Param  string
	Scopes []string
}

// param is a compiled parameter.
type param struct {
	Name     string
	In       Location
	Required bool
	schema   *Schema
	array    bool // the value is an array of scalars (repeated query keys)
}

// body is a compiled request body.
type body struct {
	Required bool
	media    []mediaSchema
	// anyType is the JSON media a body that parses as JSON is read as when its Content-Type
	// selects no documented media (see JSONBodyAnyContentType); nil when the spec does not say so.
	anyType *mediaSchema
}

// JSONBodyAnyContentType is the root extension of a description whose JSON request bodies are
// read as JSON whatever the request's Content-Type, when the body parses as JSON: curl's -d sends
// application/x-www-form-urlencoded, and WireMock's admin API, which test tooling is used to,
// takes such a body as JSON. A body that does not parse as JSON still needs a documented
// Content-Type. The mock's control API says so; Restream's API does not.
const JSONBodyAnyContentType = "x-json-body-any-content-type"

// mediaFor returns the documented media a request body is read as: the one its Content-Type
// selects, else the JSON one when the spec takes JSON whatever the Content-Type and data is JSON.
func (b *body) mediaFor(contentType string, data []byte) *mediaSchema {
	if m := matchMedia(b.media, contentType); m != nil {
		return m
	}
	if b.anyType != nil && len(data) > 0 && json.Valid(data) {
		return b.anyType
	}
	return nil
}

// response is a compiled response.
type response struct {
	Status  string // "200", "4XX" or "default"
	media   []mediaSchema
	headers []*param
	// errorNames are the error names documented for the response (see ErrorNames), sorted.
	errorNames []string
}

// mediaSchema pairs a media type with its body schema (nil: any content).
type mediaSchema struct {
	mediaType string // lower case, without parameters, such as application/json
	schema    *Schema
	json      bool
	form      bool
}

// Load reads an OpenAPI 3.0 description from fsys, checks it with kin-openapi and compiles it.
func Load(fsys fs.FS, path string) (*Spec, error) {
	data, err := fs.ReadFile(fsys, path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return LoadData(data)
}

// LoadData is Load for a description already in memory.
func LoadData(data []byte) (*Spec, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("loading the OpenAPI description: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("the OpenAPI description is invalid: %w", err)
	}
	return compileSpec(doc)
}

// Doc returns the kin-openapi document the spec was compiled from. Callers must not modify it.
func (s *Spec) Doc() *openapi3.T { return s.doc }

// Operations returns every operation, sorted by path then method.
func (s *Spec) Operations() []*Operation { return s.ops }

// Operation returns the operation with the given operationId.
func (s *Spec) Operation(id string) (*Operation, bool) {
	op, ok := s.byID[id]
	return op, ok
}

// Schema returns the compiled component schema of the given name.
func (s *Spec) Schema(name string) (*Schema, bool) {
	sc, ok := s.schemas[name]
	return sc, ok
}

// Find returns the operation that serves method and path (the escaped path, without the query)
// and fills pp with its path parameters. When nothing matches it returns a violation with rule
// unknown-path, or method-not-allowed together with the allowed methods.
func (s *Spec) Find(method, path string, pp *PathParams) (*Operation, *Violation, string) {
	n := s.router.match(path, pp)
	if n == nil {
		return nil, &Violation{Direction: Request, In: InRoute, Rule: RuleUnknownPath,
			Message: "no operation is described for path " + strconv.Quote(path), Actual: brief(method + " " + path)}, ""
	}
	op := n.ops[method]
	if op == nil {
		return nil, &Violation{Direction: Request, In: InRoute, Rule: RuleMethodNotAllowed,
			Message: "method " + method + " is not described for " + n.template, Expected: n.allow,
			Actual: method}, n.allow
	}
	pp.names = op.pathParamNames
	return op, nil, ""
}

func compileSpec(doc *openapi3.T) (*Spec, error) {
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encoding the description: %w", err)
	}
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return nil, fmt.Errorf("decoding the description: %w", err)
	}
	c := newCompiler(OpenAPI30)
	const base = "openapi"
	c.docs[base] = tree
	s := &Spec{doc: doc, byID: map[string]*Operation{}, schemas: map[string]*Schema{}}

	if doc.Components != nil {
		names := make([]string, 0, len(doc.Components.Schemas))
		for name := range doc.Components.Schemas {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			sc, err := c.ref(base + "#/components/schemas/" + name)
			if err != nil {
				return nil, err
			}
			s.schemas[name] = sc
		}
	}

	paths := doc.Paths.InMatchingOrder()
	sort.Strings(paths)
	for _, path := range paths {
		item := doc.Paths.Value(path)
		for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete,
			http.MethodOptions, http.MethodHead, http.MethodPatch, http.MethodTrace} {
			o := item.GetOperation(method)
			if o == nil {
				continue
			}
			at := "#/paths/" + jsontext.EscapePointerToken(path) + "/" + strings.ToLower(method)
			op, err := compileOperation(c, base, at, doc, path, method, item, o)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", method, path, err)
			}
			if op.ID != "" {
				if _, dup := s.byID[op.ID]; dup {
					return nil, fmt.Errorf("duplicate operationId %q", op.ID)
				}
				s.byID[op.ID] = op
			}
			s.ops = append(s.ops, op)
			s.router.add(path, op)
		}
	}
	return s, nil
}

func compileOperation(c *compiler, base, at string, doc *openapi3.T, path, method string, item *openapi3.PathItem, o *openapi3.Operation) (*Operation, error) {
	op := &Operation{ID: o.OperationID, Method: method, Path: path, Summary: o.Summary, responses: map[int]*response{}}

	// Parameters: the operation's override the path item's of the same name and location.
	type key struct{ name, in string }
	merged := map[key]*openapi3.Parameter{}
	var order []key
	for _, list := range []openapi3.Parameters{item.Parameters, o.Parameters} {
		for _, pr := range list {
			p := pr.Value
			k := key{p.Name, p.In}
			if _, seen := merged[k]; !seen {
				order = append(order, k)
			}
			merged[k] = p
		}
	}
	byName := map[string]*param{}
	for i, k := range order {
		p := merged[k]
		cp := &param{Name: p.Name, In: Location(p.In), Required: p.Required}
		if p.Schema == nil {
			return nil, fmt.Errorf("parameter %q has no schema (content parameters are not supported)", p.Name)
		}
		sc, err := c.compileRefOrInline(base, fmt.Sprintf("%s/parameters/%d/schema", at, i), p.Schema)
		if err != nil {
			return nil, err
		}
		cp.schema = sc
		cp.array = p.Schema.Value.Type.Is("array")
		switch p.In {
		case "path":
			byName[p.Name] = cp
		case "query", "header", "cookie":
			op.params = append(op.params, cp)
		}
	}
	// Path parameters in template order.
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			name := seg[1 : len(seg)-1]
			p := byName[name]
			if p == nil {
				return nil, fmt.Errorf("path parameter %q is not described", name)
			}
			op.pathParams = append(op.pathParams, p)
			op.pathParamNames = append(op.pathParamNames, name)
		}
	}

	if rb := o.RequestBody; rb != nil && rb.Value != nil {
		b := &body{Required: rb.Value.Required}
		media, err := compileContent(c, base, at+"/requestBody/content", rb.Value.Content)
		if err != nil {
			return nil, err
		}
		b.media = media
		if on, _ := doc.Extensions[JSONBodyAnyContentType].(bool); on {
			for i := range b.media {
				if b.media[i].mediaType == "application/json" {
					b.anyType = &b.media[i]
				}
			}
		}
		op.reqBody = b
	}

	opNames, err := errorNamesByStatus(o.Extensions[ExtErrorNames])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", at, err)
	}
	var statuses []string
	for status, rr := range o.Responses.Map() {
		r := rr.Value
		resp := &response{Status: status}
		names, err := stringList(r.Extensions[ExtErrorNames])
		if err != nil {
			return nil, fmt.Errorf("%s/responses/%s: %w", at, status, err)
		}
		resp.errorNames = sortedUnion(names, opNames[status])
		delete(opNames, status)
		media, err := compileContent(c, base, at+"/responses/"+status+"/content", r.Content)
		if err != nil {
			return nil, err
		}
		resp.media = media
		hnames := make([]string, 0, len(r.Headers))
		for name := range r.Headers {
			hnames = append(hnames, name)
		}
		sort.Strings(hnames)
		for _, name := range hnames {
			h := r.Headers[name].Value
			hp := &param{Name: http.CanonicalHeaderKey(name), In: InHeader, Required: h.Required}
			if h.Schema != nil {
				sc, err := c.compileRefOrInline(base, at+"/responses/"+status+"/headers/"+name+"/schema", h.Schema)
				if err != nil {
					return nil, err
				}
				hp.schema = sc
			}
			resp.headers = append(resp.headers, hp)
		}
		statuses = append(statuses, status)
		switch {
		case status == "default":
			op.dflt = resp
		case len(status) == 3 && status[1:] == "XX" && status[0] >= '1' && status[0] <= '5':
			op.ranges[status[0]-'0'] = resp
		default:
			code, err := strconv.Atoi(status)
			if err != nil {
				return nil, fmt.Errorf("bad response status %q", status)
			}
			op.responses[code] = resp
		}
	}
	for status := range opNames {
		return nil, fmt.Errorf("%s: %s names errors of status %s, which the operation does not document", at, ExtErrorNames, status)
	}
	sort.Strings(statuses)
	op.statuses = strings.Join(statuses, ", ")
	op.statusList = statuses

	reqs := doc.Security
	if o.Security != nil {
		reqs = *o.Security
	}
	for _, req := range reqs {
		var sr SecurityRequirement
		names := make([]string, 0, len(req))
		for name := range req {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			ss, err := securityScheme(doc, name, req[name])
			if err != nil {
				return nil, err
			}
			sr.Schemes = append(sr.Schemes, ss)
			if ss.Kind == "bearer" && len(op.Scopes) == 0 {
				op.Scopes = ss.Scopes
			}
		}
		op.Security = append(op.Security, sr)
	}
	return op, nil
}

func securityScheme(doc *openapi3.T, name string, scopes []string) (SecurityScheme, error) {
	if doc.Components == nil || doc.Components.SecuritySchemes[name] == nil {
		return SecurityScheme{}, fmt.Errorf("unknown security scheme %q", name)
	}
	def := doc.Components.SecuritySchemes[name].Value
	ss := SecurityScheme{Name: name, Scopes: scopes}
	switch {
	case def.Type == "oauth2" || def.Type == "openIdConnect" || def.Type == "http" && strings.EqualFold(def.Scheme, "bearer"):
		ss.Kind = "bearer"
	case def.Type == "http" && strings.EqualFold(def.Scheme, "basic"):
		ss.Kind = "basic"
	case def.Type == "apiKey":
		ss.Kind = "apiKey-" + def.In
		ss.Param = def.Name
	default:
		return ss, fmt.Errorf("unsupported security scheme %q", name)
	}
	return ss, nil
}

// compileRefOrInline compiles a schema of the description: a reference to a component, or an
// inline schema (whose own nested references resolve against the description).
func (c *compiler) compileRefOrInline(base, at string, ref *openapi3.SchemaRef) (*Schema, error) {
	if ref.Ref != "" && strings.HasPrefix(ref.Ref, "#/") {
		return c.ref(base + ref.Ref)
	}
	raw, err := json.Marshal(ref.Value)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", at, err)
	}
	var node any
	if err := json.Unmarshal(raw, &node); err != nil {
		return nil, fmt.Errorf("%s: %w", at, err)
	}
	s := newSchema()
	if err := c.fill(s, node, base, base+at); err != nil {
		return nil, err
	}
	return s, nil
}

func compileContent(c *compiler, base, at string, content openapi3.Content) ([]mediaSchema, error) {
	types := make([]string, 0, len(content))
	for mt := range content {
		types = append(types, mt)
	}
	sort.Strings(types)
	var out []mediaSchema
	for _, mt := range types {
		m := mediaSchema{mediaType: strings.ToLower(mt)}
		m.json = m.mediaType == "application/json" || strings.HasSuffix(m.mediaType, "+json")
		m.form = m.mediaType == "application/x-www-form-urlencoded"
		if sr := content[mt].Schema; sr != nil {
			sc, err := c.compileRefOrInline(base, at+"/"+strings.ReplaceAll(mt, "/", "~1")+"/schema", sr)
			if err != nil {
				return nil, err
			}
			m.schema = sc
		}
		out = append(out, m)
	}
	return out, nil
}
