package restreamtest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/restreamkit/restreamkit/internal/mock"
)

// Strict mode. A request of the app under test that breaks the Restream API's contract is refused
// as Restream would refuse it, and also recorded; by default the test fails at its end with the
// list. These refusals count (internal/mock's RequestViolation owns the list):
//
//   - an unknown path (404) or a method the path does not have (405);
//   - parameters, headers or a body the operation's schema refuses: a missing or unknown
//     parameter, a wrong type or format, a wrong Content-Type, malformed JSON (400);
//   - a token without the scope the operation requires (403).
//
// These do not: a missing, unknown, expired or revoked token (401, which a correct app meets and
// answers by refreshing or signing in again), a resource that does not exist (404 for an unknown
// id), a conflict, an OAuth error such as a used code, an injected fault, the mock's size limits,
// and every request to the control API, so restreamtest's own helpers never count.

// maxViolations bounds the violations a server keeps; later ones are counted only.
const maxViolations = 100

// Violation is a request of the app under test that broke the Restream API's contract.
type Violation struct {
	Method string
	// Path is the request path, with anything secret-looking redacted.
	Path string
	// OperationID is the operation the request was routed to; "" for an unknown path or method.
	OperationID string
	// Status is the refusal the app got: 400, 403, 404 or 405.
	Status int
	// Problems say what broke the contract, most important first.
	Problems []Problem
}

// Problem is one way a request departs from the contract.
type Problem struct {
	// In is where: "route", "security", "path", "query", "header" or "body".
	In string
	// Field is the parameter or header name, or the JSON pointer into the body; "" when the
	// problem is about the whole request or body.
	Field string
	// Rule is the check that failed: "unknown-path", "method-not-allowed", "security", a JSON
	// Schema keyword such as "type" or "required", "json-syntax", "content-type"...
	Rule string
	// Message says what is wrong, for people.
	Message string
}

// String renders the problem on one line.
func (p Problem) String() string {
	where := p.In
	if p.Field != "" {
		where += " " + strconv.Quote(p.Field)
	}
	return where + ": " + p.Message + " [" + p.Rule + "]"
}

// String renders the violation on one line, such as
// `PATCH /v2/user/channel/5120001 (updateChannel) → 400 Bad Request: body "/active": ...`.
func (v Violation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", v.Method, v.Path)
	if v.OperationID != "" {
		fmt.Fprintf(&b, " (%s)", v.OperationID)
	}
	fmt.Fprintf(&b, " → %d %s:", v.Status, http.StatusText(v.Status))
	for i, p := range v.Problems {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(" " + p.String())
	}
	return b.String()
}

// Violations returns the requests of the app under test that broke the Restream API's contract so
// far, oldest first (the first 100 of them), whether or not the server is strict.
func (s *Server) Violations() []Violation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Violation(nil), s.violations...)
}

// addViolation is the mock's OnRequestViolation.
func (s *Server) addViolation(rv mock.RequestViolation) {
	v := Violation{Method: rv.Method, Path: rv.Path, OperationID: rv.OperationID, Status: rv.Status}
	for _, p := range rv.Violations {
		field := p.Field()
		if field == string(p.In) {
			field = ""
		}
		v.Problems = append(v.Problems, Problem{In: string(p.In), Field: field, Rule: string(p.Rule), Message: p.Message})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.violations) == maxViolations {
		s.dropped++
		return
	}
	s.violations = append(s.violations, v)
}

// violationReport is the strict-mode failure message.
func (s *Server) violationReport(vs []Violation) string {
	s.mu.Lock()
	dropped := s.dropped
	s.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "%d request(s) of the app broke the Restream API contract (restreamtest.Lenient() allows it):", len(vs)+dropped)
	for _, v := range vs {
		b.WriteString("\n\t" + v.String())
	}
	if dropped > 0 {
		fmt.Fprintf(&b, "\n\t... and %d more", dropped)
	}
	return b.String()
}
