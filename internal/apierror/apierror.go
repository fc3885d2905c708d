// Package apierror builds Restream's error envelope,
// {"error":{"statusCode","status","code","message","name"}}, the one shape every failure of
// the mock and the proxy takes. It is the only place the envelope is written, and the only
// place that decides, by the request's Accept header, when a page browsers open (the mock's
// /login) shows the same error as an HTML page instead (WriteNegotiated, PrefersHTML).
package apierror

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// Body is the inside of the envelope. StatusCode, Status and Code all repeat the HTTP status.
type Body struct {
	StatusCode int    `json:"statusCode"`
	Status     int    `json:"status"`
	Code       int    `json:"code"`
	Message    string `json:"message"`
	Name       string `json:"name"`
}

// Envelope is the JSON document of an error response.
type Envelope struct {
	Error Body `json:"error"`
}

// Error is an error that knows how to answer an HTTP request. Handlers return it; the server's
// error handler writes it with Write.
type Error struct {
	Status  int    // HTTP status, 4xx or 5xx
	Name    string // snake_case error name, such as "invalid_token"
	Message string // what went wrong, naming the parameter or field when there is one
	// Header holds extra response headers, such as Retry-After or WWW-Authenticate.
	Header http.Header
}

// New returns an Error with the given status, name and message.
func New(status int, name, message string) *Error {
	return &Error{Status: status, Name: name, Message: message}
}

// Newf is New with a formatted message.
func Newf(status int, name, format string, args ...any) *Error {
	return New(status, name, fmt.Sprintf(format, args...))
}

// Error implements the error interface.
func (e *Error) Error() string {
	return strconv.Itoa(e.Status) + " " + e.Name + ": " + e.Message
}

// WithHeader returns e with one more response header.
func (e *Error) WithHeader(key, value string) *Error {
	if e.Header == nil {
		e.Header = make(http.Header)
	}
	e.Header.Add(key, value)
	return e
}

// Envelope returns the JSON document of e.
func (e *Error) Envelope() Envelope {
	return Envelope{Error: Body{StatusCode: e.Status, Status: e.Status, Code: e.Status, Message: e.Message, Name: e.Name}}
}

// JSON returns the encoded envelope of e.
func (e *Error) JSON() []byte {
	b, err := json.Marshal(e.Envelope())
	if err != nil { // cannot happen: the envelope holds only strings and ints
		panic(err)
	}
	return b
}

// Write sends e as the response: its headers, the status and the JSON envelope.
func (e *Error) Write(w http.ResponseWriter) {
	e.write(w, "application/json; charset=utf-8", e.JSON())
}

// write sends e's headers, its status and body, which is of the given content type.
func (e *Error) write(w http.ResponseWriter, contentType string, body []byte) {
	h := w.Header()
	for k, vs := range e.Header {
		h[k] = append(h[k][:0:0], vs...)
	}
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}

// InvalidParams returns the 400 Restream answers for a request input that does not fit, named
// by where the input is: in is "path", "query" or "header" (invalid_path_params...), anything
// else is the body (invalid_body_params). The message is detail after a label that says the
// same ("Invalid query params: "); detail names the parameter or field.
func InvalidParams(in, detail string) *Error {
	name, label := NameInvalidBodyParams, "Invalid body params"
	switch in {
	case "path":
		name, label = NameInvalidPathParams, "Invalid path params"
	case "query":
		name, label = NameInvalidQueryParams, "Invalid query params"
	case "header":
		name, label = NameInvalidHeaderParams, "Invalid header params"
	}
	return New(http.StatusBadRequest, name, label+": "+detail)
}

// As reports whether err is or wraps an *Error, and returns it.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Common errors, named as Restream (and the OAuth library it uses) name them.
const (
	NameInvalidToken        = "invalid_token"
	NameInsufficientScope   = "insufficient_scope"
	NameInvalidRequest      = "invalid_request"
	NameInvalidClient       = "invalid_client"
	NameInvalidGrant        = "invalid_grant"
	NameUnsupportedGrant    = "unsupported_grant_type"
	NameNotFound            = "not_found"
	NameConflict            = "conflict"
	NamePayloadTooLarge     = "payload_too_large"
	NameHeadersTooLarge     = "request_header_fields_too_large"
	NameMethodNotAllowed    = "method_not_allowed"
	NameUnsupportedMedia    = "unsupported_media_type"
	NameInternal            = "internal_server_error"
	NameInvalidBodyParams   = "invalid_body_params"
	NameInvalidQueryParams  = "invalid_query_params"
	NameInvalidPathParams   = "invalid_path_params"
	NameInvalidHeaderParams = "invalid_header_params"
)

// HeadersTooLarge returns the 431 envelope when r's header block (request line and fields, as
// sent on the wire) is over max bytes, else nil. net/http's own limit answers in plain text, so
// servers set theirs higher and check this one first: every refusal then takes the envelope.
func HeadersTooLarge(r *http.Request, max int) *Error {
	size := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4 // the request line
	for k, vs := range r.Header {
		for _, v := range vs {
			size += len(k) + len(v) + 4 // "k: v\r\n"
		}
	}
	if size <= max {
		return nil
	}
	return Newf(http.StatusRequestHeaderFieldsTooLarge, NameHeadersTooLarge,
		"Request header fields too large: %d bytes, the limit is %d", size, max)
}
