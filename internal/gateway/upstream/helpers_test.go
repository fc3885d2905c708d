package upstream_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/restreamkit/restreamkit/internal/capability"
	"github.com/restreamkit/restreamkit/internal/gateway/upstream"
	"github.com/restreamkit/restreamkit/internal/report"
	"github.com/restreamkit/restreamkit/internal/validate"
	"github.com/restreamkit/restreamkit/openapi"
	"github.com/restreamkit/restreamkit/restreamtest"
)

// TestMain fails the package when a test leaves a goroutine behind: every call ends with its
// answer, its timeout or its caller.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var loadSpec = sync.OnceValues(func() (*validate.Spec, error) {
	return validate.Load(openapi.FS, openapi.RestreamSpec)
})

// nowhere is the capability's own base URL in tests: a name that never resolves, so a call that
// ignored Options.BaseURL fails instead of reaching anything.
const nowhere = "https://api.restream.invalid/v2"

// api is a consumed API as the loader makes it: bearer auth with a token from the environment.
func api(t *testing.T, token string) *capability.API {
	t.Helper()
	return &capability.API{Namespace: "restream", BaseURL: mustURL(t, nowhere),
		Auth: capability.Auth{Kind: "bearer", Token: token, TokenVar: "RESTREAM_ACCESS_TOKEN"}}
}

// op builds a consumed operation by hand, tied to the spec's operation as the loader ties it.
func op(t *testing.T, a *capability.API, operationID, path string, slots ...*capability.Slot) *capability.Op {
	t.Helper()
	spec, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	so, ok := spec.Operation(operationID)
	if !ok {
		t.Fatalf("no operation %s in the spec", operationID)
	}
	o := &capability.Op{API: a, Ref: "restream." + operationID, Name: operationID, Method: so.Method, Path: path,
		SpecPath: so.Path, Spec: so, Slots: slots}
	a.Ops = append(a.Ops, o)
	return o
}

// The slots of the operations the tests call, with the spec's schemas.
func channelIDSlot() *capability.Slot {
	return &capability.Slot{Name: "id", SpecName: "id", In: "path", Required: true,
		Schema: map[string]any{"type": "integer", "format": "int64", "minimum": 1}}
}

func activeSlot() *capability.Slot {
	return &capability.Slot{Name: "active", SpecName: "active", In: "body", Required: true,
		Schema: map[string]any{"type": "boolean"}}
}

func pageSlots() (page, limit *capability.Slot) {
	return &capability.Slot{Name: "page", SpecName: "page", In: "query", Schema: map[string]any{"type": "integer", "minimum": 1}},
		&capability.Slot{Name: "limit", SpecName: "limit", In: "query", Schema: map[string]any{"type": "integer", "minimum": 1, "maximum": 100}}
}

// bind binds each slot of o to the caller's input of the same name.
func bind(name string, o *capability.Op, outputs ...*capability.Mapping) *capability.Call {
	c := &capability.Call{Name: name, Op: o, Outputs: outputs}
	for _, s := range o.Slots {
		c.Bindings = append(c.Bindings, &capability.Binding{Slot: s, Input: s.Name})
	}
	return c
}

// The calls of the tests, over the mock's documented operations.
func getChannel(t *testing.T, a *capability.API, outputs ...*capability.Mapping) *capability.Call {
	return bind("mcp get-channel", op(t, a, "getChannel", "/user/channel/{id}", channelIDSlot()), outputs...)
}

func updateChannel(t *testing.T, a *capability.API) *capability.Call {
	return bind("mcp update-channel", op(t, a, "updateChannel", "/user/channel/{id}", channelIDSlot(), activeSlot()))
}

func listEventHistory(t *testing.T, a *capability.API) *capability.Call {
	page, limit := pageSlots()
	return bind("mcp list-event-history", op(t, a, "listEventHistory", "/user/events/history", page, limit))
}

func listPlatforms(t *testing.T, a *capability.API, outputs ...*capability.Mapping) *capability.Call {
	return bind("rest GET /v1/platforms", op(t, a, "listPlatforms", "/platform/all"), outputs...)
}

// captured is what a client wrote to its log and its report.
type captured struct {
	log, report bytes.Buffer
}

// newClient builds a client whose debug log and report lines the test can read.
func newClient(t *testing.T, opts upstream.Options) (*upstream.Client, *captured) {
	t.Helper()
	out := &captured{}
	return newClientInto(t, opts, out), out
}

// newClientInto builds a client that logs and reports into out.
func newClientInto(t *testing.T, opts upstream.Options, out *captured) *upstream.Client {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewJSONHandler(&syncWriter{w: &out.log}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if opts.Report == nil {
		opts.Report = report.New(&syncWriter{w: &out.report})
	}
	c, err := upstream.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// newRegistry registers collectors on a registry of the test's own.
func newRegistry(t *testing.T, cs ...prometheus.Collector) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewRegistry()
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			t.Fatal(err)
		}
	}
	return reg
}

// counts gathers a counter family by its (first, second) label values.
func counts(t *testing.T, reg *prometheus.Registry, family string) map[[2]string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[[2]string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != family {
			continue
		}
		for _, m := range mf.GetMetric() {
			var k [2]string
			for i, l := range m.GetLabel() {
				if i < 2 {
					k[i] = l.GetValue()
				}
			}
			out[k] += m.GetCounter().GetValue()
		}
	}
	return out
}

// mockClient starts the fake Restream (with mockOpts, such as restreamtest.Lenient() for a test
// that sends bad requests on purpose) and a client in front of it, and returns them with the
// default user's token.
func mockClient(t *testing.T, opts upstream.Options, mockOpts ...restreamtest.Option) (*restreamtest.Server, *upstream.Client, *captured, string) {
	t.Helper()
	rs := restreamtest.NewServer(t, mockOpts...)
	opts.BaseURL = mustURL(t, rs.URL+"/v2")
	c, cap := newClient(t, opts)
	return rs, c, cap, rs.Token(rs.DefaultUser)
}

// syncWriter serializes writes of concurrent calls into one buffer.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// countingServer is an httptest server that counts the requests it gets and answers with h.
func countingServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts, &n
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// invoke calls and fails the test on an error.
func invoke(t *testing.T, c upstream.Invoker, call *capability.Call, args map[string]any) *upstream.Result {
	t.Helper()
	res, err := c.Invoke(context.Background(), call, args)
	if err != nil {
		t.Fatalf("%s: %v", call.Name, err)
	}
	return res
}

// upstreamError asserts err is an *upstream.Error and returns it.
func upstreamError(t *testing.T, err error) *upstream.Error {
	t.Helper()
	var ue *upstream.Error
	if !errors.As(err, &ue) {
		t.Fatalf("the error is %T %v, want an *upstream.Error", err, err)
	}
	return ue
}

// argError asserts err is an *upstream.ArgError and returns it.
func argError(t *testing.T, err error) *upstream.ArgError {
	t.Helper()
	var ae *upstream.ArgError
	if !errors.As(err, &ae) {
		t.Fatalf("the error is %T %v, want an *upstream.ArgError", err, err)
	}
	return ae
}
