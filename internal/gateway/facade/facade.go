// Package facade serves a capability's REST adapter: the routes a capability file exposes
// (GET /v1/channels/{id}, PATCH /v1/channels/{id}...), each calling one consumed Restream
// operation through an upstream.Invoker, and GET /openapi.json, the OpenAPI 3.0.3 description of
// those routes derived from the capability and the bundled Restream spec.
//
// The facade is strict about what it forwards, because each call spends the gateway's
// credential: a request's inputs are read and type-checked against their schemas before the
// invoker sees them, and anything the route does not declare (an unknown query parameter, an
// unknown body field, a body on a route that takes none) is refused with 400 naming it, rather
// than silently dropped. Every failure is Restream's error envelope (internal/apierror), and the
// facade itself never answers 5xx: a 502 or 504 only reports that the upstream could not be
// reached, and any other 5xx is the upstream's own, passed through.
package facade

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/capability"
	"github.com/restreamkit/restreamkit/internal/gateway/upstream"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// DefaultMaxBodyBytes bounds a request body when Options.MaxBodyBytes is 0: 1 MiB, as
// restream-mock's --max-body-bytes. The facade's bodies are a few small fields.
const DefaultMaxBodyBytes int64 = 1 << 20

// OpenAPIPath is where the facade serves its own description.
const OpenAPIPath = "/openapi.json"

// Options tune a Facade. The zero value is ready to use.
type Options struct {
	// MaxBodyBytes bounds a request body; a larger one is refused with 413 payload_too_large
	// before anything else is looked at. 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Spec is the bundled Restream description the routes' consumed operations come from (the
	// one the capability loader checked them against). Its ErrorEnvelope component describes
	// the facade's errors in /openapi.json and decides whether an upstream error body can be
	// passed through. nil loads the embedded description.
	Spec *validate.Spec
	// ServerURL is the facade's own base URL, for the servers entry of /openapi.json
	// ("http://127.0.0.1:8080"). "" uses the scheme and Host of the request for the document,
	// which is the address the client reached the facade at.
	ServerURL string
	// Title, Description and Version label /openapi.json's info. Title defaults to
	// "restream-gateway REST facade (<adapter namespace>)", Version to "1".
	Title, Description, Version string
	// BearerAuth says an inbound bearer token guards the facade (--auth-token; the guard that
	// checks it is wired around Handler), so that /openapi.json declares it.
	BearerAuth bool
	// Logger receives the invoker failures the facade answers with a generic 502 (an error that
	// is neither an ArgError nor an upstream.Error: a bug of the invoker). nil discards them.
	Logger *slog.Logger
}

// Facade is a REST adapter ready to serve. It is immutable and safe for concurrent use.
type Facade struct {
	adapter *capability.RESTAdapter
	inv     upstream.Invoker
	opts    Options
	log     *slog.Logger
	mux     *http.ServeMux
	routes  []*route
	// methods are the distinct methods of the routes (and GET for /openapi.json), in the order
	// an Allow header lists them.
	methods []string
	// envelope is the bundled spec's ErrorEnvelope, compiled.
	envelope *validate.Schema
	// doc is /openapi.json without its servers entry, encoded (see serveOpenAPI).
	doc []byte
}

// New builds the facade of adapter, whose routes call inv. It checks what the capability loader
// handed over (templates the router can serve, one input per path variable, schemas that
// compile) and reports every problem at once.
func New(adapter *capability.RESTAdapter, inv upstream.Invoker, opts Options) (*Facade, error) {
	if adapter == nil {
		return nil, errors.New("facade: no REST adapter")
	}
	if inv == nil {
		return nil, errors.New("facade: no invoker")
	}
	if opts.MaxBodyBytes < 0 {
		return nil, fmt.Errorf("facade: MaxBodyBytes is %d; want a positive bound, or 0 for %d", opts.MaxBodyBytes, DefaultMaxBodyBytes)
	}
	if opts.MaxBodyBytes == 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.Spec == nil {
		spec, err := validate.RestreamSpec()
		if err != nil {
			return nil, fmt.Errorf("facade: %w", err)
		}
		opts.Spec = spec
	}
	envelope, ok := opts.Spec.Schema("ErrorEnvelope")
	if !ok {
		return nil, errors.New("facade: the Restream spec has no ErrorEnvelope schema")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := &Facade{adapter: adapter, inv: inv, opts: opts, log: log, mux: http.NewServeMux(), envelope: envelope}

	var errs []error
	for _, r := range adapter.Routes {
		rt, err := compileRoute(r)
		if err != nil {
			errs = append(errs, fmt.Errorf("facade %s: %w", adapter.Namespace, err))
			continue
		}
		if err := register(f.mux, rt.pattern, f.serveRoute(rt)); err != nil {
			errs = append(errs, fmt.Errorf("facade %s: route %s %s: %w", adapter.Namespace, r.Method, r.Path, err))
			continue
		}
		f.routes = append(f.routes, rt)
		if !slices.Contains(f.methods, r.Method) {
			f.methods = append(f.methods, r.Method)
		}
	}
	if err := register(f.mux, http.MethodGet+" "+OpenAPIPath, http.HandlerFunc(f.serveOpenAPI)); err != nil {
		errs = append(errs, fmt.Errorf("facade %s: %s is the facade's own description: %w", adapter.Namespace, OpenAPIPath, err))
	}
	if !slices.Contains(f.methods, http.MethodGet) {
		f.methods = append(f.methods, http.MethodGet)
	}
	slices.SortFunc(f.methods, func(a, b string) int { return methodRank(a) - methodRank(b) })
	f.mux.Handle("/", http.HandlerFunc(f.serveUnrouted))
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	doc, err := f.document()
	if err != nil {
		return nil, fmt.Errorf("facade %s: describing the routes: %w", adapter.Namespace, err)
	}
	f.doc = doc
	return f, nil
}

// register adds a pattern to mux, turning ServeMux's panic on a pattern it cannot parse or that
// conflicts with another into an error.
func register(mux *http.ServeMux, pattern string, h http.Handler) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	mux.Handle(pattern, h)
	return nil
}

// methodRank orders methods as the facade lists them in Allow: reads first.
func methodRank(m string) int {
	for i, x := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete} {
		if m == x {
			return i
		}
	}
	return 100
}

// Handler returns the facade's HTTP handler: the routes, /openapi.json, and the 404 and 405
// envelopes for everything else.
func (f *Facade) Handler() http.Handler { return http.HandlerFunc(f.serveHTTP) }

func (f *Facade) serveHTTP(w http.ResponseWriter, r *http.Request) {
	// ServeMux would redirect a path that is not clean (/v1//channels, /v1/channels/) to its
	// clean form. No route ends with a slash or has an empty segment, so such a path names
	// nothing: say so instead of redirecting.
	if p := r.URL.Path; p == "" || p[0] != '/' || path.Clean(p) != p {
		notFound(r).Write(w)
		return
	}
	f.mux.ServeHTTP(w, r)
}

// serveUnrouted answers a request no route matched: 405 with Allow when the path is a route's
// with another method, else 404.
func (f *Facade) serveUnrouted(w http.ResponseWriter, r *http.Request) {
	if allow := f.allowed(r); allow != "" {
		apierror.Newf(http.StatusMethodNotAllowed, apierror.NameMethodNotAllowed,
			"Method not allowed: %s %s (allowed: %s)", r.Method, quotePath(r.URL.Path), allow).
			WithHeader("Allow", allow).Write(w)
		return
	}
	notFound(r).Write(w)
}

// allowed lists the methods some route serves at r's path, asking the router itself, so that
// the 405's Allow and the routing can never disagree.
func (f *Facade) allowed(r *http.Request) string {
	var allow []string
	probe := *r
	for _, m := range f.methods {
		probe.Method = m
		if _, pattern := f.mux.Handler(&probe); pattern != "" && pattern != "/" {
			allow = append(allow, m)
			if m == http.MethodGet {
				allow = append(allow, http.MethodHead)
			}
		}
	}
	return strings.Join(allow, ", ")
}

func notFound(r *http.Request) *apierror.Error {
	return apierror.Newf(http.StatusNotFound, apierror.NameNotFound, "Not Found: no route for %s %s",
		quoteMethod(r.Method), quotePath(r.URL.Path))
}

// quotePath shortens a client's path for a message, so that an error stays small.
func quotePath(p string) string {
	const limit = 200
	if len(p) > limit {
		return strconv.Quote(p[:limit]) + "…"
	}
	return p
}

// quoteMethod keeps an odd method (any token is one) from bloating a message.
func quoteMethod(m string) string {
	if len(m) > 20 {
		return m[:20] + "…"
	}
	return m
}

// serveRoute answers one route: read the body (bounded), read and check every input, call the
// invoker, and send its answer.
func (f *Facade) serveRoute(rt *route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, aerr := f.readBody(w, r)
		if aerr != nil {
			aerr.Write(w)
			return
		}
		args, aerr := rt.inputs(r, body)
		if aerr != nil {
			aerr.Write(w)
			return
		}
		res, err := upstream.InvokeBody(r.Context(), f.inv, rt.route.Call, args)
		if err != nil {
			f.invokeError(r, rt, err).Write(w)
			return
		}
		f.writeResult(w, r, res)
	}
}

// readBody reads the whole request body, refusing more than MaxBodyBytes with 413, as the mock
// does before it looks at anything else.
func (f *Facade) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *apierror.Error) {
	limit := f.opts.MaxBodyBytes
	tooLarge := func() *apierror.Error {
		return apierror.Newf(http.StatusRequestEntityTooLarge, apierror.NamePayloadTooLarge,
			"Payload too large: the request body is over %d bytes", limit)
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > limit {
		return nil, tooLarge()
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, tooLarge()
	case err != nil:
		return nil, apierror.New(http.StatusBadRequest, apierror.NameInvalidRequest, "Invalid request: reading the body failed")
	}
	return body, nil
}
