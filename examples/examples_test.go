package examples_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/restreamkit/restreamkit/examples"
	"github.com/restreamkit/restreamkit/openapi"
)

// TestMain teaches kin-openapi to read HTML bodies before any test runs: the authorize dialog
// answers with an HTML page (`type: string` in the spec), and openapi3filter has no decoder for
// text/html, so without this every showAuthorizeDialog example would fail as "unsupported
// content type" whatever it held. Registering once here keeps the global registry free of races.
func TestMain(m *testing.M) {
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	os.Exit(m.Run())
}

// exampleFile is one operations/<operationId>.json file, decoded strictly.
type exampleFile struct {
	OperationID string    `json:"operationId"`
	Summary     string    `json:"summary"`
	Examples    []example `json:"examples"`
}

// example is one named request and response pair.
type example struct {
	Name        string     `json:"name"`
	Description string     `json:"description,omitempty"`
	User        *int64     `json:"user,omitempty"`
	Request     exRequest  `json:"request"`
	Response    exResponse `json:"response"`
}

type exRequest struct {
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Query   map[string]string `json:"query,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

type exResponse struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

// corpus is every example file, by operationId.
type corpus map[string]*exampleFile

// operationIDs returns the operation ids of c in a stable order.
func (c corpus) operationIDs() []string {
	ids := make([]string, 0, len(c))
	for id := range c {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// find returns the example of operation op called name, or nil.
func (c corpus) find(op, name string) *example {
	f := c[op]
	if f == nil {
		return nil
	}
	for i := range f.Examples {
		if f.Examples[i].Name == name {
			return &f.Examples[i]
		}
	}
	return nil
}

// clone returns a deep copy of c, so that tests can break a copy without touching the shared one.
func (c corpus) clone(t testing.TB) corpus {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var out corpus
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// decodeStrict decodes one JSON document into v, refusing unknown fields and trailing data so
// that a misspelt key in an example file is an error rather than a silently ignored field.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON document")
	}
	return nil
}

// loadCorpus reads operations/*.json from fsys. Problems with single files are returned as
// messages; files that cannot be read at all are left out of the corpus.
func loadCorpus(fsys fs.FS) (corpus, []string) {
	var problems []string
	c := corpus{}
	entries, err := fs.ReadDir(fsys, "operations")
	if err != nil {
		return c, []string{fmt.Sprintf("reading operations/: %v", err)}
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || path.Ext(name) != ".json" {
			problems = append(problems, fmt.Sprintf("operations/%s: only <operationId>.json files belong here", name))
			continue
		}
		data, err := fs.ReadFile(fsys, "operations/"+name)
		if err != nil {
			problems = append(problems, fmt.Sprintf("operations/%s: %v", name, err))
			continue
		}
		var f exampleFile
		if err := decodeStrict(data, &f); err != nil {
			problems = append(problems, fmt.Sprintf("operations/%s: %v", name, err))
			continue
		}
		c[strings.TrimSuffix(name, ".json")] = &f
	}
	return c, problems
}

var (
	sharedOnce   sync.Once
	sharedCorpus corpus
	sharedErrs   []string
)

// mustCorpus returns the embedded examples, loaded once per test binary. Callers must not modify
// it; use clone for that.
func mustCorpus(t testing.TB) corpus {
	t.Helper()
	sharedOnce.Do(func() { sharedCorpus, sharedErrs = loadCorpus(examples.FS) })
	if len(sharedErrs) > 0 {
		t.Fatalf("loading examples: %s", strings.Join(sharedErrs, "; "))
	}
	return sharedCorpus
}

// spec is the loaded OpenAPI description with its router and format checks.
type spec struct {
	doc    *openapi3.T
	router routers.Router
	ops    map[string]*openapi3.Operation // by operationId
	opts   *openapi3filter.Options
}

var loadSpecOnce = sync.OnceValues(func() (*spec, error) {
	data, err := openapi.FS.ReadFile(openapi.RestreamSpec)
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("loading the spec: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("the spec is invalid: %w", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("routing the spec: %w", err)
	}
	s := &spec{doc: doc, router: router, ops: map[string]*openapi3.Operation{}}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			s.ops[op.OperationID] = op
		}
	}
	s.opts = &openapi3filter.Options{
		IncludeResponseStatus:             true,
		RejectWhenRequestBodyNotSpecified: true,
		MultiError:                        true,
		// Tokens are not what these examples are about: any credentials pass. Which examples
		// carry a user is checked separately against each operation's security.
		AuthenticationFunc: func(context.Context, *openapi3filter.AuthenticationInput) error { return nil },
		SchemaValidationOptions: []openapi3.SchemaValidationOption{
			openapi3.WithStringFormatValidators(map[string]openapi3.StringFormatValidator{
				"uuid":  openapi3.NewCallbackValidator(checkUUIDv4),
				"uri":   openapi3.NewCallbackValidator(checkHTTPSURL),
				"email": openapi3.NewRegexpFormatValidator(`^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$`),
			}),
		},
	}
	return s, nil
})

func mustSpec(t testing.TB) *spec {
	t.Helper()
	s, err := loadSpecOnce()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// checkUUIDv4 accepts lowercase random (version 4, RFC 4122 variant) UUIDs only: the brief asks
// for v4 ids, and the spec's `format: uuid` alone would accept any version.
func checkUUIDv4(s string) error {
	if !uuidRE.MatchString(s) {
		return errors.New("not a lowercase UUID")
	}
	if s[14] != '4' || !strings.ContainsRune("89ab", rune(s[19])) {
		return errors.New("not a version 4 UUID")
	}
	return nil
}

// checkHTTPSURL accepts absolute https URLs, the only kind the examples use for `format: uri`.
func checkHTTPSURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Scheme != "https" || u.Host == "" {
		return errors.New("not an absolute https URL")
	}
	return nil
}

// buildRequest turns an example request into an HTTP request to the spec's server. A user's
// token is a dummy Bearer value; JSON bodies are sent as written and form bodies are encoded.
func buildRequest(ctx context.Context, ex *example) (*http.Request, error) {
	u := url.URL{Scheme: "https", Host: "api.restream.io", Path: ex.Request.Path}
	if len(ex.Request.Query) > 0 {
		q := url.Values{}
		for k, v := range ex.Request.Query {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
	}
	var body io.Reader
	if len(ex.Request.Body) > 0 {
		if strings.HasPrefix(ex.Request.Headers["Content-Type"], "application/x-www-form-urlencoded") {
			var fields map[string]string
			if err := decodeStrict(ex.Request.Body, &fields); err != nil {
				return nil, fmt.Errorf("a form body must be an object of strings: %w", err)
			}
			form := url.Values{}
			for k, v := range fields {
				form.Set(k, v)
			}
			body = strings.NewReader(form.Encode())
		} else {
			body = bytes.NewReader(ex.Request.Body)
		}
	}
	req, err := http.NewRequestWithContext(ctx, ex.Request.Method, u.String(), body)
	if err != nil {
		return nil, err
	}
	for k, v := range ex.Request.Headers {
		req.Header.Set(k, v)
	}
	if ex.User != nil {
		req.Header.Set("Authorization", "Bearer example-token-of-user-"+strconv.FormatInt(*ex.User, 10))
	}
	return req, nil
}

// route finds the operation an example's request reaches, with its path parameters.
func (s *spec) route(ex *example) (*routers.Route, map[string]string, error) {
	req, err := buildRequest(context.Background(), ex)
	if err != nil {
		return nil, nil, err
	}
	return s.router.FindRoute(req)
}

var paramsErrorName = regexp.MustCompile(`^invalid_(body|query|path|header)_params$`)

// expectsInvalidRequest reports whether an example documents a request the spec rejects: a 400
// named invalid_*_params. Every other example's request must pass validation.
func expectsInvalidRequest(ex *example) bool {
	if ex.Response.Status != http.StatusBadRequest {
		return false
	}
	var env struct {
		Error struct {
			Name string `json:"name"`
		} `json:"error"`
	}
	return json.Unmarshal(ex.Response.Body, &env) == nil && paramsErrorName.MatchString(env.Error.Name)
}

// usesOAuth2 reports whether the operation needs a user's access token.
func usesOAuth2(op *openapi3.Operation) bool {
	if op.Security == nil {
		return false
	}
	for _, req := range *op.Security {
		if _, ok := req["OAuth2"]; ok {
			return true
		}
	}
	return false
}

// validateExample checks one example against the spec: routing, the user rule, the request
// (parameters, body, unknown query keys), the response (status, headers, body) and, for errors,
// the envelope. It returns every problem found.
func (s *spec) validateExample(ctx context.Context, opID string, ex *example) []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	req, err := buildRequest(ctx, ex)
	if err != nil {
		return []error{fmt.Errorf("building the request: %w", err)}
	}
	route, params, err := s.router.FindRoute(req)
	if err != nil {
		return []error{fmt.Errorf("%s %s matches no operation: %w", ex.Request.Method, ex.Request.Path, err)}
	}
	op := route.Operation
	if op.OperationID != opID {
		return []error{fmt.Errorf("%s %s is operation %s, not %s", ex.Request.Method, ex.Request.Path, op.OperationID, opID)}
	}

	switch secured := usesOAuth2(op); {
	case secured && ex.User == nil:
		add("the operation needs an access token but the example has no user")
	case !secured && ex.User != nil:
		add("the operation takes no user access token but the example has user %d", *ex.User)
	}
	if ex.User != nil && ex.Request.Headers["Authorization"] != "" {
		add("the Authorization header is implied by user and must not be written")
	}

	declared := map[string]bool{}
	for _, p := range op.Parameters {
		if p.Value.In == openapi3.ParameterInQuery {
			declared[p.Value.Name] = true
		}
	}
	for k := range ex.Request.Query {
		if !declared[k] {
			add("query parameter %q is not in the spec", k)
		}
	}

	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: s.opts}
	reqErr := openapi3filter.ValidateRequest(ctx, in)
	switch invalid := expectsInvalidRequest(ex); {
	case invalid && reqErr == nil:
		add("the response says the request breaks the spec, but it validates")
	case !invalid && reqErr != nil:
		add("request: %v", reqErr)
	}

	respRef := op.Responses.Status(ex.Response.Status)
	if respRef == nil {
		add("status %d is not documented for %s", ex.Response.Status, opID)
		return errs
	}
	hasBody := len(ex.Response.Body) > 0
	contentType := ex.Response.Headers["Content-Type"]
	switch specHasBody := len(respRef.Value.Content) > 0; {
	case hasBody && !specHasBody:
		add("status %d has no body in the spec, but the example has one", ex.Response.Status)
	case !hasBody && specHasBody && !strings.HasPrefix(contentType, "text/html"):
		// Only the HTML login page may be left out of an example.
		add("status %d has a body in the spec, but the example has none", ex.Response.Status)
	case hasBody && contentType == "":
		add("the response has a body but no Content-Type")
	}

	header := http.Header{}
	for k, v := range ex.Response.Headers {
		header.Set(k, v)
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: ex.Response.Status, Header: header, Options: s.opts,
	}
	out.SetBodyBytes(ex.Response.Body)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		add("response: %v", err)
	}

	if ex.Response.Status >= 400 {
		var env struct {
			Error struct {
				StatusCode, Status, Code int
				Message, Name            string
			} `json:"error"`
		}
		if err := json.Unmarshal(ex.Response.Body, &env); err != nil {
			add("error body: %v", err)
		} else if e := env.Error; e.StatusCode != ex.Response.Status || e.Status != ex.Response.Status || e.Code != ex.Response.Status {
			add("the envelope's statusCode %d, status %d and code %d must all be the HTTP status %d",
				e.StatusCode, e.Status, e.Code, ex.Response.Status)
		} else if e.Message == "" {
			add("the envelope has an empty message")
		}
	}
	return errs
}

// checkFiles checks the file set against the spec: one file per operation, no file for an
// unknown operation, operationId and summary as in the spec, and unique, non-empty example names.
func (s *spec) checkFiles(fsys fs.FS) []string {
	c, problems := loadCorpus(fsys)
	for _, id := range c.operationIDs() {
		f := c[id]
		op, ok := s.ops[id]
		if !ok {
			problems = append(problems, fmt.Sprintf("operations/%s.json: no operation %q in the spec", id, id))
			continue
		}
		if f.OperationID != id {
			problems = append(problems, fmt.Sprintf("operations/%s.json: operationId is %q", id, f.OperationID))
		}
		if f.Summary != op.Summary {
			problems = append(problems, fmt.Sprintf("operations/%s.json: summary %q, the spec says %q", id, f.Summary, op.Summary))
		}
		if len(f.Examples) == 0 {
			problems = append(problems, fmt.Sprintf("operations/%s.json: no examples", id))
		}
		seen := map[string]bool{}
		for _, ex := range f.Examples {
			switch {
			case ex.Name == "":
				problems = append(problems, fmt.Sprintf("operations/%s.json: an example has no name", id))
			case seen[ex.Name]:
				problems = append(problems, fmt.Sprintf("operations/%s.json: example name %q is used twice", id, ex.Name))
			}
			seen[ex.Name] = true
		}
	}
	for id := range s.ops {
		if _, ok := c[id]; !ok {
			problems = append(problems, fmt.Sprintf("operations/%s.json is missing", id))
		}
	}
	slices.Sort(problems)
	return problems
}

func TestEveryOperationHasExactlyOneExampleFile(t *testing.T) {
	for _, p := range mustSpec(t).checkFiles(examples.FS) {
		t.Error(p)
	}
}

func TestEveryExampleMatchesTheSpec(t *testing.T) {
	s, c := mustSpec(t), mustCorpus(t)
	for _, id := range c.operationIDs() {
		for i := range c[id].Examples {
			ex := &c[id].Examples[i]
			t.Run(id+"/"+ex.Name, func(t *testing.T) {
				for _, err := range s.validateExample(t.Context(), id, ex) {
					t.Error(err)
				}
			})
		}
	}
}

func TestEveryIDInTheExamplesIsAVersion4UUID(t *testing.T) {
	// Ids outside `format: uuid` fields (sourceIdentifier, paths, download URLs) are checked
	// here too, by shape.
	anyUUID := regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)
	c := mustCorpus(t)
	for _, id := range c.operationIDs() {
		for _, ex := range c[id].Examples {
			texts := []string{ex.Request.Path, string(ex.Request.Body), string(ex.Response.Body)}
			for _, text := range texts {
				for _, u := range anyUUID.FindAllString(text, -1) {
					if err := checkUUIDv4(u); err != nil {
						t.Errorf("%s/%s: %s: %v", id, ex.Name, u, err)
					}
				}
			}
		}
	}
}

func TestAFileSetWithAMistakeIsReported(t *testing.T) {
	s := mustSpec(t)
	good, err := fs.ReadFile(examples.FS, "operations/getUserProfile.json")
	if err != nil {
		t.Fatal(err)
	}
	base := fstest.MapFS{}
	if err := fs.WalkDir(examples.FS, "operations", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(examples.FS, p)
		base[p] = &fstest.MapFile{Data: data}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if problems := s.checkFiles(base); len(problems) != 0 {
		t.Fatalf("the unchanged copy has problems: %v", problems)
	}
	tests := []struct {
		name   string
		change func(fstest.MapFS)
		want   string
	}{
		{"a file for an operation the spec does not have", func(m fstest.MapFS) {
			m["operations/getUserAvatar.json"] = &fstest.MapFile{Data: bytes.Replace(good, []byte(`"getUserProfile"`), []byte(`"getUserAvatar"`), 1)}
		}, `no operation "getUserAvatar"`},
		{"a missing file", func(m fstest.MapFS) { delete(m, "operations/getUserProfile.json") }, "getUserProfile.json is missing"},
		{"a summary that differs from the spec", func(m fstest.MapFS) {
			m["operations/getUserProfile.json"] = &fstest.MapFile{Data: bytes.Replace(good, []byte(`"Get User Profile"`), []byte(`"Profile"`), 1)}
		}, `summary "Profile"`},
		{"an operationId that differs from the file name", func(m fstest.MapFS) {
			m["operations/getUserProfile.json"] = &fstest.MapFile{Data: bytes.Replace(good, []byte(`"operationId": "getUserProfile"`), []byte(`"operationId": "getProfile"`), 1)}
		}, `operationId is "getProfile"`},
		{"an example name used twice", func(m fstest.MapFS) {
			m["operations/getUserProfile.json"] = &fstest.MapFile{Data: bytes.Replace(good, []byte(`"name": "techtalks"`), []byte(`"name": "nova"`), 1)}
		}, `example name "nova" is used twice`},
		{"an unknown key in a file", func(m fstest.MapFS) {
			m["operations/getUserProfile.json"] = &fstest.MapFile{Data: bytes.Replace(good, []byte(`"examples":`), []byte(`"exampels": [], "examples":`), 1)}
		}, `unknown field "exampels"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := fstest.MapFS{}
			for k, v := range base {
				m[k] = v
			}
			tt.change(m)
			problems := s.checkFiles(m)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tt.want) }) {
				t.Errorf("want a problem containing %q, got %v", tt.want, problems)
			}
		})
	}
}

// editJSON decodes raw, lets change edit the value and encodes it again.
func editJSON(t testing.TB, raw json.RawMessage, change func(v any) any) json.RawMessage {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(change(v))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// obj returns v as a JSON object, for mutations.
func obj(v any) map[string]any { return v.(map[string]any) }

func TestABrokenExampleIsRejected(t *testing.T) {
	s, c := mustSpec(t), mustCorpus(t)
	tests := []struct {
		name, op, example string
		breakIt           func(t *testing.T, ex *example)
	}{
		{"a response field of the wrong type", "getChannel", "nova-twitch", func(t *testing.T, ex *example) {
			ex.Response.Body = editJSON(t, ex.Response.Body, func(v any) any { obj(v)["active"] = "yes"; return v })
		}},
		{"a response without a required field", "getUserProfile", "nova", func(t *testing.T, ex *example) {
			ex.Response.Body = editJSON(t, ex.Response.Body, func(v any) any { delete(obj(v), "email"); return v })
		}},
		{"a response field the spec does not have", "listPlatforms", "all-platforms", func(t *testing.T, ex *example) {
			ex.Response.Body = editJSON(t, ex.Response.Body, func(v any) any {
				obj(v.([]any)[0])["altImage"] = map[string]any{"png": "https://restream.io/a.png"}
				return v
			})
		}},
		{"a status the operation does not document", "getChannel", "nova-twitch", func(t *testing.T, ex *example) {
			ex.Response.Status = http.StatusTeapot
		}},
		{"an event id that is a version 1 UUID", "getEvent", "nova-upcoming-1", func(t *testing.T, ex *example) {
			ex.Response.Body = editJSON(t, ex.Response.Body, func(v any) any {
				obj(v)["id"] = "6fa459ea-ee8a-11ca-a0f0-00a0c91e6bf6"
				return v
			})
		}},
		{"a relative web chat URL", "getWebchatUrl", "nova", func(t *testing.T, ex *example) {
			ex.Response.Body = json.RawMessage(`{"webchatUrl":"/embed?token=abc"}`)
		}},
		{"a request body with a field the spec does not have", "updateChannel", "disable-telegram", func(t *testing.T, ex *example) {
			ex.Request.Body = json.RawMessage(`{"active":false,"displayName":"Telegram"}`)
		}},
		{"a query value outside its enum", "listUpcomingEvents", "nova-source-1", func(t *testing.T, ex *example) {
			ex.Request.Query = map[string]string{"source": "4"}
		}},
		{"a query parameter the operation does not have", "listChannels", "nova", func(t *testing.T, ex *example) {
			ex.Request.Query = map[string]string{"page": "2"}
		}},
		{"a path that reaches another operation", "getChannel", "nova-twitch", func(t *testing.T, ex *example) {
			ex.Request.Path = "/v2/user/channel-meta/5120001"
		}},
		{"an error body that is not the envelope", "getChannel", "unknown-channel", func(t *testing.T, ex *example) {
			ex.Response.Body = json.RawMessage(`{"message":"ChannelNotFound"}`)
		}},
		{"an envelope whose codes disagree with the status", "getChannel", "unknown-channel", func(t *testing.T, ex *example) {
			ex.Response.Body = json.RawMessage(`{"error":{"statusCode":400,"status":404,"code":404,"message":"ChannelNotFound","name":"channel_not_found"}}`)
		}},
		{"an invalid request answered as a success", "updateChannel", "active-not-boolean", func(t *testing.T, ex *example) {
			ex.Response = exResponse{Status: http.StatusOK}
		}},
		{"a valid request documented as breaking the spec", "updateChannel", "active-not-boolean", func(t *testing.T, ex *example) {
			ex.Request.Body = json.RawMessage(`{"active":true}`)
		}},
		{"a body on a response the spec leaves empty", "updateChannel", "disable-telegram", func(t *testing.T, ex *example) {
			ex.Response.Headers = map[string]string{"Content-Type": "application/json"}
			ex.Response.Body = json.RawMessage(`{"ok":true}`)
		}},
		{"no body where the spec has one", "getUserProfile", "nova", func(t *testing.T, ex *example) {
			ex.Response.Body = nil
		}},
		{"a user on a public operation", "listPlatforms", "all-platforms", func(t *testing.T, ex *example) {
			u := int64(2046371)
			ex.User = &u
		}},
		{"no user on an operation that needs a token", "getUserProfile", "nova", func(t *testing.T, ex *example) {
			ex.User = nil
		}},
		{"a form body with an unknown grant type", "refreshToken", "refresh-pair", func(t *testing.T, ex *example) {
			ex.Request.Body = editJSON(t, ex.Request.Body, func(v any) any { obj(v)["grant_type"] = "password"; return v })
		}},
		{"an ingest coordinate without 8 decimals", "listServers", "all-servers", func(t *testing.T, ex *example) {
			ex.Response.Body = editJSON(t, ex.Response.Body, func(v any) any { obj(v.([]any)[1])["latitude"] = "51.5"; return v })
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := c.clone(t)
			ex := c.find(tt.op, tt.example)
			if ex == nil {
				t.Fatalf("no example %s/%s to break", tt.op, tt.example)
			}
			if errs := s.validateExample(t.Context(), tt.op, ex); len(errs) != 0 {
				t.Fatalf("the unbroken example already fails: %v", errs)
			}
			tt.breakIt(t, ex)
			errs := s.validateExample(t.Context(), tt.op, ex)
			if len(errs) == 0 {
				t.Fatal("the broken example passed validation")
			}
			t.Logf("rejected: %v", errs)
		})
	}
}

// basicClient returns the client id and secret of an HTTP Basic header value.
func basicClient(header string) (id, secret string, ok bool) {
	raw, found := strings.CutPrefix(header, "Basic ")
	if !found {
		return "", "", false
	}
	b, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return "", "", false
	}
	return strings.Cut(string(b), ":")
}
