package validate_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"
	"github.com/oapi-codegen/runtime"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/restreamkit/restreamkit/api/gen/controlapi"
	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
	"github.com/restreamkit/restreamkit/internal/fixtures"
	"github.com/restreamkit/restreamkit/internal/validate"
	"github.com/restreamkit/restreamkit/openapi"
)

// These tests hold the validator to the generated server: what the gate accepts, the handler can
// read, and reads as the value the gate checked. They drive oapi-codegen's runtime exactly as the
// generated wrappers and strict handlers do, with the Go types they declare (found by reflection on
// the generated interfaces, so a new operation is covered without editing this file).

// generated pairs a spec with the generated interfaces its operations are served through.
type generated struct {
	spec   *validate.Spec
	server reflect.Type // ServerInterface: path parameters and the Params struct of each operation
	strict reflect.Type // StrictServerInterface: the request object, which holds the body type
}

var loadGenerated = sync.OnceValues(func() ([]generated, error) {
	rest, err := validate.Load(openapi.FS, openapi.RestreamSpec)
	if err != nil {
		return nil, err
	}
	ctl, err := validate.Load(openapi.FS, openapi.ControlSpec)
	if err != nil {
		return nil, err
	}
	return []generated{
		{rest, reflect.TypeFor[restreamapi.ServerInterface](), reflect.TypeFor[restreamapi.StrictServerInterface]()},
		{ctl, reflect.TypeFor[controlapi.ServerInterface](), reflect.TypeFor[controlapi.StrictServerInterface]()},
	}, nil
})

func specsAndInterfaces(t testing.TB) []generated {
	t.Helper()
	g, err := loadGenerated()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// goName is the Go method name oapi-codegen gives an operationId.
func goName(id string) string { return strings.ToUpper(id[:1]) + id[1:] }

// binderParam is one path or query parameter with what the generated wrapper passes the runtime.
type binderParam struct {
	spec         *validate.Spec
	op           *validate.Operation
	name         string
	in           validate.Location
	required     bool
	typ, format  string       // BindStyledParameterOptions / BindQueryParameterOptions Type and Format
	goType       reflect.Type // the wrapper's variable (path) or Params field (query)
	stricterSpec bool         // the schema restricts the value beyond its Go type (bounds, enum, format...)
}

func (bp binderParam) String() string { return bp.op.ID + " " + string(bp.in) + " " + bp.name }

var loadParams = sync.OnceValues(func() ([]binderParam, error) {
	gens, err := loadGenerated()
	if err != nil {
		return nil, err
	}
	var out []binderParam
	for _, g := range gens {
		for _, op := range g.spec.Operations() {
			m, ok := g.server.MethodByName(goName(op.ID))
			if !ok {
				return nil, fmt.Errorf("no generated method for %s", op.ID)
			}
			item := g.spec.Doc().Paths.Value(op.Path)
			kop := item.GetOperation(op.Method)
			arg := 1 // In(0) is the echo.Context
			for _, seg := range strings.Split(op.Path, "/") {
				if !strings.HasPrefix(seg, "{") {
					continue
				}
				name := strings.Trim(seg, "{}")
				p := append(item.Parameters, kop.Parameters...).GetByInAndName("path", name)
				out = append(out, newBinderParam(g.spec, op, p.Name, validate.InPath, true, p.Schema.Value, m.Type.In(arg)))
				arg++
			}
			for _, pr := range append(item.Parameters, kop.Parameters...) {
				p := pr.Value
				if p.In != "query" {
					continue
				}
				params := m.Type.In(m.Type.NumIn() - 1)
				var field reflect.Type
				for i := range params.NumField() {
					if tag, _, _ := strings.Cut(params.Field(i).Tag.Get("form"), ","); tag == p.Name {
						field = params.Field(i).Type
					}
				}
				if field == nil {
					return nil, fmt.Errorf("%s: no Params field for query parameter %s", op.ID, p.Name)
				}
				out = append(out, newBinderParam(g.spec, op, p.Name, validate.InQuery, p.Required, p.Schema.Value, field))
			}
		}
	}
	return out, nil
})

func newBinderParam(spec *validate.Spec, op *validate.Operation, name string, in validate.Location, required bool,
	s *openapi3.Schema, goType reflect.Type) binderParam {
	bp := binderParam{spec: spec, op: op, name: name, in: in, required: required, goType: goType,
		typ: s.Type.Slice()[0], format: s.Format}
	bp.stricterSpec = len(s.Enum) > 0 || s.Min != nil || s.Max != nil || s.MultipleOf != nil || s.MinLength > 0 ||
		s.MaxLength != nil || s.Pattern != "" || bp.typ == "string" && bp.format != ""
	return bp
}

func binderParams(t testing.TB) []binderParam {
	t.Helper()
	ps, err := loadParams()
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// bind runs the generated wrapper's binding of one parameter and returns the value it read
// (nil when the parameter is absent) or its error.
func (bp binderParam) bind(pathValue string, escaped bool, rawQuery string) (any, error) {
	dest := reflect.New(bp.goType)
	var err error
	if bp.in == validate.InPath {
		err = runtime.BindStyledParameterWithOptions("simple", bp.name, pathValue, dest.Interface(), runtime.BindStyledParameterOptions{
			ParamLocation: runtime.ParamLocationPath, Explode: false, Required: true, Type: bp.typ, Format: bp.format,
			ValueIsUnescaped: !escaped})
	} else {
		values, _ := url.ParseQuery(rawQuery) // echo's QueryParams ignores the error too
		err = runtime.BindQueryParameterWithOptions("form", true, bp.required, bp.name, values, dest.Interface(),
			runtime.BindQueryParameterOptions{Type: bp.typ, Format: bp.format})
	}
	if err != nil {
		return nil, err
	}
	v := dest.Elem()
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil, nil
		}
		v = v.Elem()
	}
	switch {
	case v.Type() == reflect.TypeFor[openapi_types.UUID]():
		return v.Interface().(openapi_types.UUID), nil
	case v.CanInt():
		return v.Int(), nil
	case v.CanFloat():
		return v.Float(), nil
	case v.Kind() == reflect.Bool:
		return v.Bool(), nil
	case v.Kind() == reflect.String:
		return v.String(), nil
	}
	return nil, fmt.Errorf("unexpected Go type %s", v.Type())
}

// pathParams gives every path parameter of the operation the same value, as a router would.
func (bp binderParam) pathParams(pathValue string, escaped bool) *validate.PathParams {
	values := make([]string, strings.Count(bp.op.Path, "{"))
	for i := range values {
		values[i] = pathValue
	}
	var pp validate.PathParams
	pp.Set(bp.op, values, escaped)
	return &pp
}

// validateParam returns the validator's violations of one parameter.
func (bp binderParam) validateParam(pathValue string, escaped bool, rawQuery string) []validate.Violation {
	pp := bp.pathParams(pathValue, escaped)
	r := &http.Request{Method: bp.op.Method, URL: &url.URL{Path: "/", RawQuery: rawQuery}, Header: http.Header{}}
	var mine []validate.Violation
	for _, v := range bp.spec.CheckRequest(nil, bp.op, pp, r, nil, validate.CheckOptions{SkipSecurity: true}) {
		if v.In == bp.in && (v.Name == bp.name || v.Name == "") {
			mine = append(mine, v)
		}
	}
	return mine
}

// allowedStricter reports whether the validator may refuse what the binder reads: only for rules
// the spec adds to the Go type (bounds, enum, length, pattern, a string format such as uuid), and
// for a query pair the binder silently drops (a bad escape, an unescaped ";") while the client
// evidently meant to send the parameter.
func (bp binderParam) allowedStricter(vs []validate.Violation) bool {
	for _, v := range vs {
		switch v.Rule {
		case validate.RuleEncoding:
		case validate.RuleMinimum, validate.RuleMaximum, validate.RuleMultipleOf, validate.RuleEnum, validate.RuleConst,
			validate.RuleMinLength, validate.RuleMaxLength, validate.RulePattern:
			if !bp.stricterSpec {
				return false
			}
		case validate.RuleFormat:
			if bp.typ != "string" {
				return false // integer and number widths are the binder's own
			}
		default:
			return false
		}
	}
	return true
}

// compareWithBinder checks one parameter value: the validator accepts exactly what the binder
// accepts (save where the spec is stricter), and both read the same value.
func compareWithBinder(t *testing.T, bp binderParam, pathValue string, escaped bool, rawQuery string) {
	t.Helper()
	mine := bp.validateParam(pathValue, escaped, rawQuery)
	got, bindErr := bp.bind(pathValue, escaped, rawQuery)
	input := fmt.Sprintf("path value %q (escaped %v)", pathValue, escaped)
	if bp.in == validate.InQuery {
		input = fmt.Sprintf("query %q", rawQuery)
	}
	switch {
	case len(mine) == 0 && bindErr != nil:
		t.Fatalf("%s, %s: the validator accepts what the binder refuses: %v", bp, input, bindErr)
	case len(mine) > 0 && bindErr == nil && !bp.allowedStricter(mine):
		t.Fatalf("%s, %s: the validator refuses what the binder reads as %#v: %v", bp, input, got, mine)
	case len(mine) == 0:
		want, ok := validate.ParamValue(bp.op, bp.name, bp.pathParams(pathValue, escaped), rawQuery)
		if !ok {
			want = nil
		}
		if id, isUUID := got.(openapi_types.UUID); isUUID {
			s, _ := want.(string)
			if parsed, err := uuid.Parse(s); err != nil || parsed != id {
				t.Fatalf("%s, %s: the binder read %v, the validator %q", bp, input, id, s)
			}
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s, %s: the binder read %#v, the validator %#v", bp, input, got, want)
		}
	}
}

// paramSeeds are values on the edges of every grammar: signs, leading zeros, exponents,
// fractions, spaces, the int32 and int64 bounds, strconv's booleans, escapes, UUID spellings.
var paramSeeds = []string{
	"", "0", "1", "-1", "+5", "007", "-0", "+0", "1e3", "1E3", "1.0", "1.", ".5", " 1", "1 ", "1_000", "0x10", "0b1",
	"2147483647", "2147483648", "-2147483648", "-2147483649", "9223372036854775807", "9223372036854775808",
	"-9223372036854775808", "-9223372036854775809", "99999999999999999999", "5120001", "+5120001",
	"true", "false", "True", "TRUE", "t", "F", "1", "yes", "on", "null", "NaN", "Inf", "-inf",
	"%31", "%zz", "%", "a%2Fb", "a/b", "a;b", "a+b", "a%20b", "%2B5", "CreatedAt", "LastActivity", "Created%41t",
	"2527849f-f961-4b1d-8ae0-8eae4f068327", "2527849F-F961-4B1D-8AE0-8EAE4F068327", "2527849ff9614b1d8ae08eae4f068327",
	"{2527849f-f961-4b1d-8ae0-8eae4f068327}", "urn:uuid:2527849f-f961-4b1d-8ae0-8eae4f068327", "2527849f-f961-4b1d-8ae0-8eae4f06832",
	"code", "client", "http://localhost:3000/callback", "é", "\x00", "\xff",
}

// querySeeds are whole query strings; %s is the parameter's name.
var querySeeds = []string{
	"%s=5", "%s=5&%s=6", "%s=", "%s", "%s=%%zz", "%s=1;2", "a;%s=1", "%s=+5", "%s=%%2B5", "%s=1&x=%%zz", "x=1",
	"%s=1e3", "%s=true&%s=true", "%s=99999999999999999999", "&&%s=3&&", "%s=a%%2Cb", "%s=a,b",
}

// TestParametersAgreeWithTheBinder runs every seed against every parameter of both specs.
func TestParametersAgreeWithTheBinder(t *testing.T) {
	for _, bp := range binderParams(t) {
		t.Run(bp.String(), func(t *testing.T) {
			for _, in := range paramInputs(bp) {
				checkParamInput(t, bp, in.value, in.flag)
			}
		})
	}
}

type paramInput struct {
	value string
	flag  bool
}

// paramInputs are the seeds for one parameter: for a path parameter each value escaped and not;
// for a query parameter each value given to it, and each query string.
func paramInputs(bp binderParam) []paramInput {
	var out []paramInput
	for _, v := range paramSeeds {
		out = append(out, paramInput{v, false})
		if bp.in == validate.InPath {
			out = append(out, paramInput{v, true})
		}
	}
	if bp.in == validate.InQuery {
		for _, q := range querySeeds {
			out = append(out, paramInput{strings.ReplaceAll(q, "%s", bp.name), true})
		}
	}
	return out
}

// checkParamInput compares one fuzz input: for a path parameter value is its value and flag says
// it is still percent-encoded; for a query parameter value is the query string when flag is set,
// else the value given to the parameter.
func checkParamInput(t *testing.T, bp binderParam, value string, flag bool) {
	t.Helper()
	if bp.in == validate.InPath {
		compareWithBinder(t, bp, value, flag, "")
		return
	}
	q := value
	if !flag {
		q = bp.name + "=" + value
	}
	compareWithBinder(t, bp, "", false, q)
}

// FuzzParametersAgreeWithTheBinder compares, for every path and query parameter of both specs,
// the validator's verdict and reading with the generated binder's:
// `go test -fuzz FuzzParametersAgreeWithTheBinder ./internal/validate`. which picks the parameter
// (see checkParamInput for value and flag). The seed corpus gives every seed to one parameter of
// each kind; TestParametersAgreeWithTheBinder gives them to every parameter.
func FuzzParametersAgreeWithTheBinder(f *testing.F) {
	ps := binderParams(f)
	kinds := map[string]bool{}
	for i, bp := range ps {
		kind := fmt.Sprint(bp.in, bp.typ, bp.format, bp.required, bp.stricterSpec, bp.goType.Kind())
		if kinds[kind] {
			continue
		}
		kinds[kind] = true
		for _, in := range paramInputs(bp) {
			f.Add(uint16(i), in.value, in.flag)
		}
	}
	f.Fuzz(func(t *testing.T, which uint16, value string, flag bool) {
		checkParamInput(t, ps[int(which)%len(ps)], value, flag)
	})
}

// bodyOp is an operation with a request body and the Go type its strict handler decodes it into.
type bodyOp struct {
	spec   *validate.Spec
	op     *validate.Operation
	media  string
	goType reflect.Type
}

func bodyOps(t testing.TB) []bodyOp {
	t.Helper()
	var out []bodyOp
	for _, g := range specsAndInterfaces(t) {
		for _, op := range g.spec.Operations() {
			media := op.RequestMediaType("application/json", nil)
			if op.FormBody() {
				media = "application/x-www-form-urlencoded"
			}
			if media == "" {
				continue
			}
			m, ok := g.strict.MethodByName(goName(op.ID))
			if !ok {
				t.Fatalf("no strict method for %s", op.ID)
			}
			field, ok := m.Type.In(1).FieldByName("Body")
			if !ok {
				t.Fatalf("%s: the request object has no Body", op.ID)
			}
			out = append(out, bodyOp{spec: g.spec, op: op, media: media, goType: field.Type.Elem()})
		}
	}
	return out
}

// checkDecodes checks that a body the validator accepts decodes into the generated type, as the
// strict handler decodes it (encoding/json, or url.ParseQuery and runtime.BindForm).
func checkDecodes(t *testing.T, b bodyOp, body []byte) {
	t.Helper()
	r := &http.Request{Method: b.op.Method, URL: &url.URL{Path: "/"}, Header: http.Header{"Content-Type": {b.media}}}
	for _, v := range b.spec.CheckRequest(nil, b.op, &validate.PathParams{}, r, body, validate.CheckOptions{SkipSecurity: true}) {
		if v.In == validate.InBody {
			return // refused: nothing to decode
		}
	}
	dest := reflect.New(b.goType).Interface()
	if b.media == "application/json" {
		if len(body) > 0 { // echo binds nothing from an empty body
			if err := json.Unmarshal(body, dest); err != nil {
				t.Fatalf("%s: the validator accepts %q, which the generated type refuses: %v", b.op.ID, body, err)
			}
		}
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		t.Fatalf("%s: the validator accepts the form %q, which url.ParseQuery refuses: %v", b.op.ID, body, err)
	}
	if err := runtime.BindForm(dest, form, nil, nil); err != nil {
		t.Fatalf("%s: the validator accepts the form %q, which runtime.BindForm refuses: %v", b.op.ID, body, err)
	}
}

// bodySeeds are the request bodies of the examples, and edge cases of the Go types.
func bodySeeds(t testing.TB, ops []bodyOp) map[int][]string {
	t.Helper()
	index := map[string]int{}
	for i, b := range ops {
		index[b.op.ID] = i
	}
	seeds := map[int][]string{}
	seed, err := fixtures.Load(fixtures.Embedded(), fixtures.EmbeddedName)
	if err != nil {
		t.Fatal(err)
	}
	files := seed.Files
	for id, file := range files {
		i, ok := index[id]
		for _, ex := range file.Examples {
			if ok && len(ex.Request.Body) > 0 {
				seeds[i] = append(seeds[i], exampleBody(ex.Request.Body, ops[i].media))
			}
		}
	}
	edges := map[string][]string{
		"addChannel":          {`{"platformId":29.0}`, `{"platformId":2.9e1}`, `{"platformId":29,"streamUrl":"rtmp://x","Streamurl":1}`, `{"platformId":1e400}`},
		"addEventDestination": {`{"channelId":9223372036854775807}`, `{"channelId":9223372036854775808}`, `{"channelId":-0}`, `{"channelId":1e3}`},
		"createEvent": {`{"streamType":"studio","scheduledFor":"2030-01-01t00:00:00z"}`, `{"streamType":"studio","scheduledFor":"2030-01-01T00:00:60Z"}`,
			`{"streamType":"studio","scheduledFor":"2030-01-01T00:00:00\u005a"}`, `{"streamType":"studio","scheduledFor":"2030-01-01T00:00:00.5+23:59"}`},
		"updateChannel": {`{"active":true}`, `{"active":true,"ACTIVE":1}`, `{"active":true,"\u212active":1}`, `{"active":true} x`},
		"advanceClock":  {`{"seconds":1.0}`, `{"seconds":315360000}`, `{"seconds":-0}`},
		"importState":   {`{"platforms":[],"servers":[],"users":[{"id":1e400}]}`, `{"platforms":[{"x":1e308}],"servers":[],"users":[]}`},
		"addFault":      {`{"probability":1e39}`, `{"probability":0.5}`, `{"latencyMs":1.5}`},
		"refreshToken":  {"grant_type=refresh_token&refresh_token=a;b", "grant_type=refresh_token&refresh_token=%zz", "grant_type=refresh_token&refresh_token=x"},
		"revokeToken":   {"token=a", "token=a&token=b", "token=%2", "token=a;"},
	}
	for id, bodies := range edges {
		if i, ok := index[id]; ok {
			seeds[i] = append(seeds[i], bodies...)
		}
	}
	return seeds
}

// exampleBody is an example's request body as sent: JSON as written, or for a form operation the
// example's object of string fields, form-encoded.
func exampleBody(body []byte, media string) string {
	var fields map[string]string
	if media != "application/x-www-form-urlencoded" || json.Unmarshal(body, &fields) != nil {
		return string(body)
	}
	form := url.Values{}
	for k, v := range fields {
		form.Set(k, v)
	}
	return form.Encode()
}

// FuzzBodiesDecodeIntoTheGeneratedTypes checks, for every request body of both specs, that a body
// the validator accepts decodes into the type the generated handler decodes it into:
// `go test -fuzz FuzzBodiesDecodeIntoTheGeneratedTypes ./internal/validate`.
func FuzzBodiesDecodeIntoTheGeneratedTypes(f *testing.F) {
	ops := bodyOps(f)
	for i, bodies := range bodySeeds(f, ops) {
		for _, b := range bodies {
			f.Add(uint16(i), []byte(b))
		}
	}
	f.Fuzz(func(t *testing.T, which uint16, body []byte) {
		checkDecodes(t, ops[int(which)%len(ops)], body)
	})
}
