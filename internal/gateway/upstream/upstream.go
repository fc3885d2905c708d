// Package upstream makes the calls restream-gateway's routes and tools send to the consumed API
// (Restream, or restream-mock): it fills the consumed operation from the caller's inputs, sends
// it with the API's token and a timeout, validates the call and its answer against the bundled
// spec, and shapes the answer with the call's output mappings.
package upstream

import (
	"context"
	"net/http"

	"github.com/restreamkit/restreamkit/internal/capability"
)

// Invoker runs calls. The REST facade and the MCP server share one.
type Invoker interface {
	// Invoke sends call with args, the caller's inputs by name with their JSON types (a
	// float64, string, bool, []any or map[string]any, or a json.Number), and returns the
	// answer. An answer of the upstream with a status ≥ 400 is a Result, not an error.
	//
	// The error is an *ArgError when args do not fit the call (nothing was sent), or an
	// *Error when the upstream could not be reached or answered out of bounds.
	Invoke(ctx context.Context, call *capability.Call, args map[string]any) (*Result, error)
}

// BodyInvoker is an Invoker that can skip decoding the answer into Result.Value, for a caller
// that sends Body on as it is and never reads Value (the REST facade). Decoding an answer into
// Go values is most of what a call costs the gateway, past the round trip. Client implements it;
// a caller holding an Invoker uses it when the Invoker does.
type BodyInvoker interface {
	Invoker
	// InvokeBody is Invoke, except that Result.Value is always nil.
	InvokeBody(ctx context.Context, call *capability.Call, args map[string]any) (*Result, error)
}

// InvokeBody runs call with inv, asking for the body only when inv is a BodyInvoker: for a
// caller that works from Result.Body's bytes (Value may then be nil even for a JSON answer).
func InvokeBody(ctx context.Context, inv Invoker, call *capability.Call, args map[string]any) (*Result, error) {
	if bi, ok := inv.(BodyInvoker); ok {
		return bi.InvokeBody(ctx, call, args)
	}
	return inv.Invoke(ctx, call, args)
}

// Result is the upstream's answer, shaped.
type Result struct {
	// Status is the upstream's status.
	Status int
	// Header holds the upstream's response headers worth passing on (Content-Type, Retry-After).
	Header http.Header
	// Body is the answer to send: the mapped output as JSON when Mapped, else the upstream's
	// body as it came (an error envelope, an empty 200...).
	Body   []byte
	Mapped bool
	// Value is Body decoded when it is JSON (the mapped output, or the error envelope), for MCP's
	// structuredContent; nil otherwise.
	Value any
	// Truncated says Body was cut to the size cap (and Value is nil); Body then ends with a
	// notice.
	Truncated bool
	// Violations counts how many ways the call and its answer departed from the spec.
	Violations int
}

// ArgError is a caller's input that does not fit the call: missing, of the wrong type, or out
// of the spec's bounds. Nothing was sent upstream.
type ArgError struct {
	// Field is the input's name ("id") or a JSON pointer into it ("/title").
	Field   string
	Message string
}

func (e *ArgError) Error() string { return e.Field + ": " + e.Message }

// Error is a failure to get an answer from the upstream: Status is 502 or 504 and Name the
// error envelope's name (upstream_unavailable, upstream_timeout, upstream_tls_error,
// upstream_reset, upstream_too_large, request_refused for a call enforce mode refused;
// token_unavailable and request_canceled too, see the Name constants).
type Error struct {
	Status  int
	Name    string
	Message string

	// err is the transport error behind it, if any (for errors.Is: context.Canceled...).
	err error
}

func (e *Error) Error() string { return e.Name + ": " + e.Message }

// Unwrap returns the transport error behind e, or nil.
func (e *Error) Unwrap() error { return e.err }

// TokenSource gives the bearer token of the next upstream call. A static token comes from the
// capability's bind; a refreshing source renews it before it expires.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}
