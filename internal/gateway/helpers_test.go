package gateway_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/restreamkit/restreamkit/internal/gateway"
	"github.com/restreamkit/restreamkit/restreamtest"
)

// nova is the fixture user with every kind of data: channels, events of each kind, a stream key.
const nova = 2046371

// Some of nova's fixtures: her "Nova Plays" Studio brand, a ready 94-second video in storage
// that has no clip project yet, one of her captions, one of her QR codes and a clip project.
const (
	novaBrand   = "242c20d5-0955-45a4-96d3-2910395c17c4"
	novaTrailer = "f5a5b2a7-a756-4e83-aee1-2c4b74d249a4"
	novaCaption = "a876c089-3580-4d81-b607-f00b751bac64" // "Nova", "Variety streams every Friday"
	novaMerchQR = "d1a00bfb-2e70-49e8-9834-e8cca37e18f1" // "Merch"
	novaProject = "822f8472-2e71-4e00-8c03-ab966513aee2" // a finished clip project
)

// rig is a gateway running the embedded capability in front of restream-mock, with a counting
// relay between them so a test can tell whether a request reached the upstream.
type rig struct {
	mock   *restreamtest.Server
	token  string
	rest   string // the facade's base URL
	mcp    string // the MCP endpoint's URL
	hits   atomic.Int64
	report string // the violation report's file
	gw     *gateway.Gateway
}

// rigOptions change the rig's defaults: nova's full token, the embedded capability, loopback.
type rigOptions struct {
	// user is the fixture user whose token the gateway spends (nova when 0).
	user int64
	// scopes, when set, narrow that token.
	scopes []string
	// edit adjusts the configuration last.
	edit func(*gateway.Config)
	// direct points the gateway at the mock itself, without the counting relay (benchmarks).
	direct bool
	// lenient lets the gateway break the Restream API's contract without failing the test: for
	// tests that make it do so on purpose (restreamtest's strict mode).
	lenient bool
}

// newRig starts the mock, the relay and the gateway.
func newRig(t testing.TB, o rigOptions) *rig {
	t.Helper()
	r := &rig{mock: restreamtest.NewUnstartedServer(t)}
	r.mock.Config.Heartbeat, r.mock.Config.Lenient = time.Hour, o.lenient
	r.mock.Start()
	user := cmp.Or(o.user, nova)
	r.token = r.mock.Token(user)
	if len(o.scopes) > 0 {
		var err error
		if r.token, err = r.mock.NewToken(user, o.scopes...); err != nil {
			t.Fatal(err)
		}
	}
	target, err := url.Parse(r.mock.URL)
	if err != nil {
		t.Fatal(err)
	}
	relay := httputil.NewSingleHostReverseProxy(target)
	relay.ErrorLog = log.New(io.Discard, "", 0) // a test that times a call out cancels its relay
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.hits.Add(1)
		relay.ServeHTTP(w, req)
	}))
	t.Cleanup(up.Close)
	base := up.URL
	if o.direct {
		base = r.mock.URL
	}
	r.report = filepath.Join(t.TempDir(), "violations.jsonl")
	c := gateway.Config{Upstream: base + "/v2", RESTAddr: "127.0.0.1:0", MCPAddr: "127.0.0.1:0", Mode: "report",
		Report: r.report, Version: "test",
		Getenv: func(name string) string {
			if name == "RESTREAM_ACCESS_TOKEN" {
				return r.token
			}
			return ""
		}}
	if o.edit != nil {
		o.edit(&c)
	}
	r.gw, err = c.Gateway()
	if err != nil {
		t.Fatal(err)
	}
	var servers []*http.Server
	for _, s := range r.gw.Servers() {
		ln, err := net.Listen("tcp", s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		srv := r.gw.HTTPServer(s)
		servers = append(servers, srv)
		go srv.Serve(ln)
		base := "http://" + ln.Addr().String()
		if slices.Contains(s.Kinds, "rest") {
			r.rest = base
		}
		if slices.Contains(s.Kinds, "mcp") {
			r.mcp = base + "/mcp"
		}
	}
	t.Cleanup(func() {
		for _, srv := range servers {
			srv.Close()
		}
		if err := r.gw.Close(); err != nil {
			t.Error(err)
		}
	})
	return r
}

// violations returns the report's lines so far (the gateway writes each line as it finds it).
func (r *rig) violations(t testing.TB) []string {
	t.Helper()
	data, err := os.ReadFile(r.report)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// exchange is one HTTP request and its answer.
type exchange struct {
	req    *http.Request
	status int
	header http.Header
	body   []byte
}

// do sends a request to the gateway and reads the whole answer.
func do(t *testing.T, method, url, body string, header map[string]string) exchange {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Body = io.NopCloser(strings.NewReader(body))
	}
	return exchange{req: req, status: res.StatusCode, header: res.Header, body: data}
}

// errorName is the name of a Restream error envelope, or "" when the body is not one.
func errorName(body []byte) string {
	var env struct {
		Error struct {
			Name string `json:"name"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &env)
	return env.Error.Name
}

// facadeSpec is the facade's own /openapi.json, read with kin-openapi: an independent check that
// the facade answers as it describes itself.
type facadeSpec struct {
	router routers.Router
	doc    *openapi3.T
	// answered holds "METHOD /path" of every operation of the description an exchange checked
	// against it answered with a success.
	answered map[string]bool
}

func loadFacadeSpec(t *testing.T, rest string) *facadeSpec {
	t.Helper()
	ex := do(t, http.MethodGet, rest+"/openapi.json", "", nil)
	if ex.status != http.StatusOK {
		t.Fatalf("/openapi.json: %d %s", ex.status, ex.body)
	}
	doc, err := openapi3.NewLoader().LoadFromData(ex.body)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("/openapi.json is not a valid OpenAPI document: %v", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &facadeSpec{router: router, doc: doc, answered: map[string]bool{}}
}

// unanswered lists the operations of the description no checked exchange succeeded on.
func (s *facadeSpec) unanswered() []string {
	var out []string
	for path, item := range s.doc.Paths.Map() {
		for method := range item.Operations() {
			if op := method + " " + path; !s.answered[op] {
				out = append(out, op)
			}
		}
	}
	slices.Sort(out)
	return out
}

// check validates an exchange against the description: the request, then the response.
func (s *facadeSpec) check(t *testing.T, ex exchange) {
	t.Helper()
	route, params, err := s.router.FindRoute(ex.req)
	if err != nil {
		t.Errorf("%s %s: not in /openapi.json: %v", ex.req.Method, ex.req.URL.Path, err)
		return
	}
	if ex.status < 300 {
		s.answered[route.Method+" "+route.Path] = true
	}
	opts := &openapi3filter.Options{AuthenticationFunc: func(context.Context, *openapi3filter.AuthenticationInput) error { return nil }}
	in := &openapi3filter.RequestValidationInput{Request: ex.req, PathParams: params, Route: route, Options: opts}
	if ex.status < 400 {
		if err := openapi3filter.ValidateRequest(t.Context(), in); err != nil {
			t.Errorf("%s %s: the request breaks /openapi.json: %v", ex.req.Method, ex.req.URL, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: ex.status, Header: ex.header,
		Body: io.NopCloser(bytes.NewReader(ex.body)), Options: opts}
	if err := openapi3filter.ValidateResponse(t.Context(), out); err != nil {
		t.Errorf("%s %s → %d: the answer breaks /openapi.json: %v", ex.req.Method, ex.req.URL, ex.status, err)
	}
}

// connect opens a Go SDK client session on the gateway's MCP endpoint in a protocol version.
func connect(t *testing.T, endpoint, version string, client *http.Client) *mcp.ClientSession {
	t.Helper()
	c := mcp.NewClient(&mcp.Implementation{Name: "gateway-test", Version: "1"}, nil)
	cs, err := c.Connect(t.Context(), &mcp.StreamableClientTransport{Endpoint: endpoint, HTTPClient: client, MaxRetries: -1},
		&mcp.ClientSessionOptions{ProtocolVersion: version})
	if err != nil {
		t.Fatalf("connecting in %s: %v", version, err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// call runs a tool and decodes its structured content.
func call(t *testing.T, cs *mcp.ClientSession, tool string, args map[string]any) (*mcp.CallToolResult, map[string]any) {
	t.Helper()
	res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	var sc map[string]any
	if res.StructuredContent != nil {
		data, err := json.Marshal(res.StructuredContent)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &sc); err != nil {
			t.Fatal(err)
		}
	}
	return res, sc
}

// text is a tool result's text content.
func text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}
