package validate_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/restreamkit/restreamkit/internal/validate"
	"github.com/restreamkit/restreamkit/openapi"
)

// This file checks the validator's OpenAPI 3.0 dialect against an independent implementation,
// kin-openapi's openapi3filter, on the bundled specs and on a small spec of the dialect's corners
// (int32 and int64 bounds, exclusive bounds, enums, booleans, nullable parameters and fields).
// Requests (path and query parameters, bodies) and response bodies must get the same verdict,
// except for the deliberate differences listed in knownDifferences.

// dialectSpec exercises what the bundled specs do not: int32, nullable parameters, exclusive bounds,
// number formats, nullable enums, arrays and objects.
const dialectSpec = `openapi: 3.0.3
info: {title: dialect, version: "1"}
servers: [{url: "https://dialect.example"}]
paths:
  /d/{i32}/{n}/{b}:
    parameters:
      - {name: i32, in: path, required: true, schema: {type: integer, format: int32, minimum: -5, maximum: 1000000}}
      - {name: n, in: path, required: true, schema: {type: number, format: double, minimum: 0, exclusiveMinimum: true}}
      - {name: b, in: path, required: true, schema: {type: boolean}}
    post:
      operationId: dialect
      parameters:
        - {name: q32, in: query, schema: {type: integer, format: int32, nullable: true}}
        - {name: q64, in: query, schema: {type: integer, format: int64, minimum: 1}}
        - {name: qe, in: query, schema: {type: integer, enum: [1, 2, 3]}}
        - {name: qs, in: query, schema: {type: string, nullable: true, enum: [a, b], maxLength: 1}}
        - {name: qb, in: query, schema: {type: boolean, nullable: true}}
        - {name: qn, in: query, schema: {type: number, maximum: 10, exclusiveMaximum: true}}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Body"}
      responses:
        "200":
          description: The same shape.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Body"}
components:
  schemas:
    Body:
      type: object
      additionalProperties: false
      properties:
        i32: {type: integer, format: int32, nullable: true}
        i64: {type: integer, format: int64, minimum: 1}
        i: {type: integer, maximum: 100, exclusiveMaximum: true}
        f: {type: number, nullable: true}
        d: {type: number, format: double, multipleOf: 0.5}
        s: {type: string, nullable: true, enum: [x, y]}
        t: {type: string, format: date-time}
        u: {type: string, format: uuid}
        b: {type: boolean, nullable: true}
        arr: {type: array, nullable: true, items: {type: integer}, maxItems: 3}
        open:
          type: object
          properties: {key: {type: string}}
        obj:
          type: object
          nullable: true
          required: [k]
          properties: {k: {type: string, minLength: 1}}
`

// referenceSpec is one spec loaded by both implementations.
type referenceSpec struct {
	name   string
	base   string // the server URL requests are sent to
	mine   *validate.Spec
	kin    *openapi3.T
	router routers.Router
}

var loadReferenceSpecs = sync.OnceValues(func() ([]*referenceSpec, error) {
	sources := []struct{ name, base, file, text string }{
		{"restream", "https://api.restream.io", openapi.RestreamSpec, ""},
		{"control", "http://127.0.0.1:8080", openapi.ControlSpec, ""},
		{"dialect", "https://dialect.example", "", dialectSpec},
	}
	var out []*referenceSpec
	for _, src := range sources {
		data := []byte(src.text)
		if src.file != "" {
			var err error
			if data, err = openapi.FS.ReadFile(src.file); err != nil {
				return nil, err
			}
		}
		mine, err := validate.LoadData(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src.name, err)
		}
		doc, err := openapi3.NewLoader().LoadFromData(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src.name, err)
		}
		router, err := gorillamux.NewRouter(doc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src.name, err)
		}
		out = append(out, &referenceSpec{name: src.name, base: src.base, mine: mine, kin: doc, router: router})
	}
	return out, nil
})

// referenceOp is one operation of one of the specs.
type referenceOp struct {
	spec *referenceSpec
	op   *validate.Operation
}

func referenceOps(t testing.TB) []referenceOp {
	t.Helper()
	specs, err := loadReferenceSpecs()
	if err != nil {
		t.Fatal(err)
	}
	var out []referenceOp
	for _, s := range specs {
		for _, op := range s.mine.Operations() {
			out = append(out, referenceOp{s, op})
		}
	}
	return out
}

// uuidPattern is the uuid format as the validator reads it (8-4-4-4-12 hexadecimal digits, any
// version); kin-openapi checks no uuid format unless given one.
var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

var kinOptions = &openapi3filter.Options{
	RejectWhenRequestBodyNotSpecified: true,
	AuthenticationFunc:                func(context.Context, *openapi3filter.AuthenticationInput) error { return nil },
	SchemaValidationOptions: []openapi3.SchemaValidationOption{
		openapi3.WithStringFormatValidators(map[string]openapi3.StringFormatValidator{
			"uuid": openapi3.NewCallbackValidator(func(s string) error {
				if !uuidPattern.MatchString(s) {
					return errors.New("not a uuid")
				}
				return nil
			}),
		}),
	},
}

// referenceInput is one fuzzed exchange: a value for every path parameter, a raw query string,
// and a body sent as the request body and checked as the response body.
type referenceInput struct {
	ro        referenceOp
	pathValue string
	rawQuery  string
	body      []byte
}

func (in referenceInput) String() string {
	return fmt.Sprintf("%s %s path value %q, query %q, body %q", in.ro.spec.name, in.ro.op.ID, in.pathValue, in.rawQuery, in.body)
}

// target fills the operation's path template with the path value, percent-encoded so that the
// value stays one segment for both routers.
func (in referenceInput) target() string {
	segs := strings.Split(in.ro.op.Path, "/")
	for i, seg := range segs {
		if strings.HasPrefix(seg, "{") {
			segs[i] = url.PathEscape(in.pathValue)
		}
	}
	t := in.ro.spec.base + strings.Join(segs, "/")
	if in.rawQuery != "" {
		t += "?" + in.rawQuery
	}
	return t
}

func (in referenceInput) request() (*http.Request, error) {
	r, err := http.NewRequest(in.ro.op.Method, in.target(), bytes.NewReader(in.body))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Authorization", "Bearer 2a407cfc9e1d4f7b8a6c5d4e3f2a1b0c9d8e7f6a")
	if ct := in.contentType(); ct != "" && len(in.body) > 0 {
		r.Header.Set("Content-Type", ct)
	}
	return r, nil
}

func (in referenceInput) contentType() string {
	if in.ro.op.FormBody() {
		return "application/x-www-form-urlencoded"
	}
	return in.ro.op.RequestMediaType("application/json", nil)
}

// verdicts are both implementations' answers for one exchange.
type verdicts struct {
	mine    []validate.Violation
	kinErr  error
	what    string // "request" or "response"
	skipped bool   // the exchange is not one both can be asked about
}

func (v verdicts) agree() bool { return (len(v.mine) == 0) == (v.kinErr == nil) }

func checkRequestVerdicts(in referenceInput) verdicts {
	v := verdicts{what: "request"}
	r, err := in.request()
	if err != nil || strings.ContainsAny(in.pathValue, "\x00") {
		v.skipped = true // not a request net/http would deliver
		return v
	}
	var pp validate.PathParams
	op, routeErr, _ := in.ro.spec.mine.Find(r.Method, r.URL.EscapedPath(), &pp)
	route, params, kinRouteErr := in.ro.spec.router.FindRoute(r)
	switch {
	case routeErr != nil || kinRouteErr != nil:
		if (routeErr == nil) != (kinRouteErr == nil) || op != nil && route.Operation.OperationID != op.ID {
			v.mine, v.kinErr, v.what = []validate.Violation{{Rule: validate.RuleUnknownPath}}, nil, "routing"
			if routeErr == nil {
				v.mine, v.kinErr = nil, kinRouteErr
			}
			return v
		}
		v.skipped = true
		return v
	}
	v.mine = in.ro.spec.mine.CheckRequest(nil, op, &pp, r, in.body, validate.CheckOptions{SkipSecurity: true})
	v.kinErr = openapi3filter.ValidateRequest(context.Background(),
		&openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: kinOptions})
	return v
}

// checkResponseVerdicts checks the body as the JSON body of the operation's first 2xx response.
func checkResponseVerdicts(in referenceInput) verdicts {
	v := verdicts{what: "response", skipped: true}
	r, err := in.request()
	if err != nil {
		return v
	}
	route, params, err := in.ro.spec.router.FindRoute(r)
	if err != nil {
		return v
	}
	for _, status := range in.ro.op.Statuses() {
		var code int
		if _, err := fmt.Sscanf(status, "%d", &code); err != nil || code < 200 || code > 299 {
			continue
		}
		resp := route.Operation.Responses.Status(code)
		if resp == nil || resp.Value.Content.Get("application/json") == nil {
			continue
		}
		h := http.Header{"Content-Type": {"application/json"}}
		v.skipped = false
		v.mine = in.ro.spec.mine.CheckResponse(nil, in.ro.op, code, h, in.body)
		out := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: kinOptions},
			Status:                 code, Header: h, Options: kinOptions}
		out.SetBodyBytes(in.body)
		v.kinErr = openapi3filter.ValidateResponse(context.Background(), out)
		if len(in.body) == 0 {
			v.skipped = true // kin-openapi reads an empty body as no body
		}
		return v
	}
	return v
}

// difference is one known, deliberate disagreement with kin-openapi: a refusal by the validator of
// what kin-openapi accepts. (There is none the other way round: whatever kin-openapi refuses, the
// validator refuses too.)
type difference struct {
	name, reason string
	// explains recognises one violation of the validator as this difference.
	explains func(in referenceInput, v validate.Violation) bool
}

// ruleIs recognises a violation with one of the rules and, when expected is given, one of those
// Expected values.
func ruleIs(rules []validate.Rule, expected ...string) func(referenceInput, validate.Violation) bool {
	return func(_ referenceInput, v validate.Violation) bool {
		okRule, okExp := false, len(expected) == 0
		for _, r := range rules {
			okRule = okRule || v.Rule == r
		}
		for _, e := range expected {
			okExp = okExp || v.Expected == e
		}
		return okRule && okExp
	}
}

// syntax recognises a syntax violation whose message starts with prefix.
func syntax(prefix string) func(referenceInput, validate.Violation) bool {
	return func(_ referenceInput, v validate.Violation) bool {
		return v.Rule == validate.RuleSyntax && strings.HasPrefix(v.Message, prefix)
	}
}

// knownDifferences are every deliberate difference between the validator's OpenAPI 3.0 dialect and
// kin-openapi's. The validator holds values to what the generated Go server can read; kin-openapi
// follows JSON Schema's mathematical reading.
var knownDifferences = []difference{
	{"a JSON integer written with a fraction or an exponent",
		"kin-openapi accepts 1.0 and 1e3 as integers (JSON Schema); encoding/json cannot decode them into the generated int",
		ruleIs([]validate.Rule{validate.RuleType}, "integer")},
	{"an integer beyond its Go type",
		"without a format the generated type is int (64 bits); kin-openapi checks only int32 and int64, and compares in float64, so 2^63 passes",
		ruleIs([]validate.Rule{validate.RuleFormat}, "int8", "int16", "int32", "int64")},
	{"a number beyond its Go type",
		"a number without format double is a float32 in the generated code, and any JSON number must fit a float64",
		ruleIs([]validate.Rule{validate.RuleFormat}, "float32", "float64")},
	{"a date-time Go cannot read",
		"the generated type is time.Time, which refuses a leap second (:60) and escapes in the JSON string; kin-openapi's pattern accepts both",
		ruleIs([]validate.Rule{validate.RuleFormat}, "date-time")},
	{"a query pair url.ParseQuery drops",
		"kin-openapi reads r.URL.Query(), which silently drops a pair with an unescaped ';' or a bad escape, and every pair past 10000; the validator reports them when they name a parameter",
		ruleIs([]validate.Rule{validate.RuleEncoding})},
	{"a query parameter or form field given twice",
		"kin-openapi reads the first value; the generated query binder refuses a repeated scalar, and a repeated form field is ambiguous (other servers read a list)",
		ruleIs([]validate.Rule{validate.RuleDuplicateParameter})},
	{"invalid UTF-8 in a JSON string",
		"encoding/json (so kin-openapi, and the generated server) silently replaces it with U+FFFD; JSON text must be UTF-8 (RFC 8259 §8.1), so the validator refuses the body rather than let the handler read altered text",
		syntax("invalid UTF-8")},
	{"data after the JSON value",
		"kin-openapi (like echo's binder) decodes the first JSON value and ignores what follows; a body with more is not a JSON document",
		syntax("unexpected data after the JSON value")},
	{"an undeclared field of a form body",
		"kin-openapi decodes a form body through the schema's properties, so it never sees a field the schema does not declare, even under additionalProperties: false",
		func(in referenceInput, v validate.Violation) bool {
			return in.ro.op.FormBody() && v.Rule == validate.RuleAdditionalProperties
		}},
	{"a member name that differs from a property only in case",
		"encoding/json matches names without case, so the generated server would read it into the property",
		func(_ referenceInput, v validate.Violation) bool {
			return v.Rule == validate.RuleAdditionalProperties && strings.Contains(v.Message, "only in case")
		}},
}

// explained reports whether the verdicts differ only by known differences: kin-openapi accepts,
// and a known difference explains each of the validator's violations.
func explained(in referenceInput, v verdicts) bool {
	if v.kinErr != nil || len(v.mine) == 0 {
		return false
	}
	for _, m := range v.mine {
		if !slices.ContainsFunc(knownDifferences, func(d difference) bool { return d.explains(in, m) }) {
			return false
		}
	}
	return true
}

// compareWithKin runs both implementations on one input and fails on an unlisted disagreement.
func compareWithKin(t *testing.T, in referenceInput) {
	t.Helper()
	for _, v := range []verdicts{checkRequestVerdicts(in), checkResponseVerdicts(in)} {
		if !v.skipped && !v.agree() && !explained(in, v) {
			t.Fatalf("%s: %s verdicts differ: the validator says %v, kin-openapi says %v", in, v.what, v.mine, v.kinErr)
		}
	}
}

// referenceSeeds are exchanges on the edges of the dialect; %s stands for nothing and is removed.
var referenceSeeds = []struct {
	op, pathValue, query, body string
}{
	{"getChannel", "5120001", "", ""},
	{"getChannel", "1e3", "", ""},
	{"getChannel", "9223372036854775807", "", ""},
	{"getChannel", "9223372036854775808", "", ""},
	{"getChannel", "+5", "", ""},
	{"getChannel", "0", "", ""},
	{"listEventHistory", "", "page=2&limit=100", ""},
	{"listEventHistory", "", "page=", ""},
	{"listEventHistory", "", "page=1;2", ""},
	{"listEventHistory", "", "page=1&page=2", ""},
	{"listEventHistory", "", "page=99999999999999999999", ""},
	{"listUpcomingEvents", "", "source=2&scheduled=1", ""},
	{"listUpcomingEvents", "", "scheduled=yes", ""},
	{"listClipsProjects", "", "sortBy=CreatedAt&limit=0", ""},
	{"getEvent", "2527849f-f961-4b1d-8ae0-8eae4f068327", "", ""},
	{"getEvent", "2527849ff9614b1d8ae08eae4f068327", "", ""},
	{"updateChannel", "1", "", `{"active":true}`},
	{"updateChannel", "1", "", `{"active":1}`},
	{"addChannel", "", "", `{"platformId":29.0}`},
	{"addChannel", "", "", `{"platformId":29,"streamUrl":"rtmp://x"}`},
	{"addEventDestination", "2527849f-f961-4b1d-8ae0-8eae4f068327", "", `{"channelId":9223372036854775808}`},
	{"createEvent", "", "", `{"streamType":"studio","scheduledFor":"2030-01-01T00:00:60Z"}`},
	{"refreshToken", "", "", "grant_type=refresh_token&refresh_token=x"},
	{"refreshToken", "", "", "grant_type=refresh_token&refresh_token=a;b"},
	{"advanceClock", "", "", `{"seconds":1.0}`},
	{"advanceClock", "", "", `{"seconds":0.0}0`},
	{"addChannel", "", "", "{\"platformId\":29,\"streamUrl\":\"\x8c\"}"},
	{"getJournal", "", "limit=0", ""},
	{"dialect", "1", "q32=2147483647&q64=1&qe=2&qs=a&qb=true&qn=9.5", `{"i32":null,"i64":1,"f":null,"s":null,"b":null,"arr":null,"obj":null}`},
	{"dialect", "1", "q32=2147483648", `{"i32":2147483648}`},
	{"dialect", "0", "qn=10", `{"i":100}`},
	{"dialect", "1", "qs=c&qe=4", `{"s":"z","d":0.25}`},
	{"dialect", "1", "qb=null&qs=null", `{"arr":[1,2,3,4],"obj":{}}`},
	{"dialect", "-5", "q64=0", `{"i64":0,"u":"2527849f-f961-4b1d-8ae0-8eae4f068327","t":"2030-01-01T00:00:00Z"}`},
	{"dialect", "true", "", `{"f":3.5e38,"d":1e308}`},
	{"dialect", "1", "", `{"i32":1.5,"i64":-0,"arr":[1.0]}`},
}

// FuzzDialectAgainstKinOpenAPI compares the validator's verdicts with kin-openapi's openapi3filter
// on requests and response bodies of the bundled specs and the dialect spec:
// `go test -fuzz FuzzDialectAgainstKinOpenAPI ./internal/validate`.
func FuzzDialectAgainstKinOpenAPI(f *testing.F) {
	ops := referenceOps(f)
	index := map[string]int{}
	for i, ro := range ops {
		index[ro.op.ID] = i
	}
	for _, s := range referenceSeeds {
		i, ok := index[s.op]
		if !ok {
			f.Fatalf("no operation %s", s.op)
		}
		f.Add(uint16(i), s.pathValue, s.query, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, which uint16, pathValue, rawQuery string, body []byte) {
		compareWithKin(t, referenceInput{ro: ops[int(which)%len(ops)], pathValue: pathValue, rawQuery: rawQuery, body: body})
	})
}

// TestTheKnownDifferencesAreReal keeps the table honest: each difference is shown by an exchange
// where the verdicts do differ, and the table recognises it.
func TestTheKnownDifferencesAreReal(t *testing.T) {
	ops := referenceOps(t)
	find := func(id string) referenceOp {
		for _, ro := range ops {
			if ro.op.ID == id {
				return ro
			}
		}
		t.Fatalf("no operation %s", id)
		return referenceOp{}
	}
	cases := map[string]referenceInput{
		"a JSON integer written with a fraction or an exponent":   {ro: find("dialect"), pathValue: "1", body: []byte(`{"i64":1.0}`)},
		"an integer beyond its Go type":                           {ro: find("dialect"), pathValue: "1", body: []byte(`{"i64":9223372036854775808}`)},
		"a number beyond its Go type":                             {ro: find("dialect"), pathValue: "1", body: []byte(`{"f":1e39}`)},
		"a date-time Go cannot read":                              {ro: find("dialect"), pathValue: "1", body: []byte(`{"t":"2030-06-30T23:59:60Z"}`)},
		"a query pair url.ParseQuery drops":                       {ro: find("dialect"), pathValue: "1", rawQuery: "qe=1;2", body: []byte(`{}`)},
		"a query parameter or form field given twice":             {ro: find("dialect"), pathValue: "1", rawQuery: "qe=1&qe=2", body: []byte(`{}`)},
		"invalid UTF-8 in a JSON string":                          {ro: find("dialect"), pathValue: "1", body: []byte("{\"open\":{\"key\":\"\x8c\"}}")},
		"data after the JSON value":                               {ro: find("dialect"), pathValue: "1", body: []byte(`{}0`)},
		"an undeclared field of a form body":                      {ro: find("refreshToken"), body: []byte("grant_type=refresh_token&refresh_token=x&extra=1")},
		"a member name that differs from a property only in case": {ro: find("dialect"), pathValue: "1", body: []byte(`{"open":{"KEY":1}}`)},
	}
	for _, d := range knownDifferences {
		t.Run(d.name, func(t *testing.T) {
			in, ok := cases[d.name]
			if !ok {
				t.Fatal("no exchange shows this difference")
			}
			v := checkRequestVerdicts(in)
			if v.skipped || v.agree() {
				t.Fatalf("%s: the verdicts agree (validator %v, kin-openapi %v): the difference is gone, remove it", in, v.mine, v.kinErr)
			}
			if v.kinErr != nil || len(v.mine) != 1 || !d.explains(in, v.mine[0]) {
				t.Fatalf("%s: the table does not recognise the difference: validator %v, kin-openapi %v", in, v.mine, v.kinErr)
			}
		})
	}
}
