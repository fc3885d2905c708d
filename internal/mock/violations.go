package mock

import (
	"net/http"
	"strings"

	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/redact"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// RequestViolation is a request the server refused because the client broke the Restream API's
// contract, as opposed to a refusal a correct client meets in normal use. These are breaks:
//
//   - a path the spec does not describe (404, rule unknown-path), or a method it does not
//     describe for the path (405, rule method-not-allowed);
//   - parameters, headers or a body that fail the operation's schema, including a missing or
//     unknown parameter, a wrong Content-Type and malformed JSON (400, the validator's rules);
//   - a token without the scope the operation requires (403, rule security): the app asked for
//     too few scopes, or called an operation it was not meant to.
//
// These are not: a missing, malformed, unknown, expired or revoked token (401: an app meets it and
// refreshes or signs in again), a resource that does not exist (404 from a handler), a conflict,
// an OAuth error such as invalid_grant, an injected fault, a header or body over the mock's limits
// (431/413), and anything sent to the control API (/__mock/).
type RequestViolation struct {
	Method string
	// Path is the request path, redacted as the journal redacts it.
	Path string
	// OperationID is the operation the path and method matched; "" for an unknown path or method.
	OperationID string
	// Status is the refusal's status.
	Status int
	// Violations say what broke the contract; their messages and values are redacted.
	Violations []validate.Violation
}

// routeBreach says how a request the routes refused broke the contract: the validator's own
// routing names the unknown path or the undescribed method. Paths of the control API are not the
// Restream API's and never count.
func (s *Server) routeBreach(r *http.Request) []validate.Violation {
	if s.opts.OnRequestViolation == nil || strings.HasPrefix(r.URL.Path, "/__mock/") {
		return nil
	}
	var pp validate.PathParams
	if _, v, _ := s.spec.Find(r.Method, r.URL.EscapedPath(), &pp); v != nil {
		return []validate.Violation{*v}
	}
	// The spec describes it but echo's routes refused its shape (a doubled or trailing slash).
	return []validate.Violation{{Direction: validate.Request, In: validate.InRoute, Rule: validate.RuleUnknownPath,
		Message: "no operation is described for path " + r.URL.EscapedPath()}}
}

// reportBreach hands a refused request that broke the contract to Options.OnRequestViolation.
func (s *Server) reportBreach(r *http.Request, ri *reqInfo, err error) {
	if len(ri.breach) == 0 || s.opts.OnRequestViolation == nil {
		return
	}
	e, ok := apierror.As(err)
	if !ok {
		return
	}
	v := RequestViolation{Method: r.Method, Path: redact.Text(r.URL.Path), Status: e.Status,
		Violations: make([]validate.Violation, len(ri.breach))}
	if ri.op != nil {
		v.OperationID = ri.op.ID
	}
	for i, vi := range ri.breach {
		vi.Message, vi.Actual = redact.Text(vi.Message), redact.Text(vi.Actual)
		v.Violations[i] = vi
	}
	s.opts.OnRequestViolation(v)
}
