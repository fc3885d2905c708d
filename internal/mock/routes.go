package mock

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// routes maps the routes registered on echo to the operations of the specs. echo routes each
// request once; the gate reads the route echo matched (c.Path(), such as /v2/user/channel/:id)
// and the method, and finds the operation in this table, built and checked once by newRoutes.
type routes map[string]*pathRoutes

// pathRoutes are the operations of one path template.
type pathRoutes struct {
	methods map[string]route
	allow   string // the template's methods in the spec's order, for 405 answers
	slashes int    // the template's "/" count: a request path that echo matched has as many
}

// route is one operation and the spec that describes it.
type route struct {
	op   *validate.Operation
	spec *validate.Spec
}

// echoPath turns an OpenAPI path template into echo's: /v2/user/channel/{id} → /v2/user/channel/:id.
func echoPath(template string) string {
	segs := strings.Split(template, "/")
	for i, seg := range segs {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			segs[i] = ":" + seg[1:len(seg)-1]
		}
	}
	return strings.Join(segs, "/")
}

// newRoutes builds the table from the specs' operations and checks it against echo's routes:
// every operation must have exactly one echo route and every echo route one operation, so that
// the gate never lets a request through to a handler it has not validated for.
func newRoutes(registered []*echo.Route, specs ...*validate.Spec) (routes, error) {
	rs := routes{}
	for _, spec := range specs {
		for _, op := range spec.Operations() {
			p := echoPath(op.Path)
			pr := rs[p]
			if pr == nil {
				pr = &pathRoutes{methods: map[string]route{}, slashes: strings.Count(p, "/")}
				rs[p] = pr
			}
			if _, dup := pr.methods[op.Method]; dup {
				return nil, fmt.Errorf("two operations serve %s %s", op.Method, op.Path)
			}
			pr.methods[op.Method] = route{op: op, spec: spec}
			if pr.allow != "" {
				pr.allow += ", "
			}
			pr.allow += op.Method
		}
	}
	seen := map[string]bool{}
	var errs []error
	for _, er := range registered {
		key := er.Method + " " + er.Path
		if pr := rs[er.Path]; pr == nil || pr.methods[er.Method].op == nil {
			errs = append(errs, fmt.Errorf("echo route %s has no operation in the specs", key))
		} else if seen[key] {
			errs = append(errs, fmt.Errorf("echo route %s is registered twice", key))
		}
		seen[key] = true
	}
	for p, pr := range rs {
		for method, rt := range pr.methods {
			if !seen[method+" "+p] {
				errs = append(errs, fmt.Errorf("operation %s (%s %s) has no echo route", rt.op.ID, method, rt.op.Path))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("the handlers do not match the specs: %w", err)
	}
	return rs, nil
}

// find returns the route echo matched for the request, or the 404 or 405 answer. echo lets a path
// parameter that ends a template take the rest of the path, slashes included, and matches empty
// segments; the spec does neither, so a match whose path has more or fewer segments than its
// template, or an empty one, is no match.
func (rs routes) find(c echo.Context, r *http.Request) (route, error) {
	path := echo.GetPath(r) // the path echo matched: the raw one when it has escapes
	pr := rs[c.Path()]
	if pr == nil || strings.Count(path, "/") != pr.slashes || strings.Contains(path, "//") ||
		len(path) > 1 && path[len(path)-1] == '/' {
		return route{}, apierror.Newf(http.StatusNotFound, apierror.NameNotFound, "Not Found: no route for %s %s", r.Method, r.URL.Path)
	}
	rt, ok := pr.methods[r.Method]
	if !ok {
		return route{}, apierror.Newf(http.StatusMethodNotAllowed, apierror.NameMethodNotAllowed,
			"Method not allowed: %s %s (allowed: %s)", r.Method, r.URL.Path, pr.allow).WithHeader("Allow", pr.allow)
	}
	return rt, nil
}
