package mock

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/oauth"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// reqInfo is what the gate learned about a request, for the handlers and the journal.
type reqInfo struct {
	header http.Header
	op     *validate.Operation
	grant  oauth.Grant
	authed bool
	body   []byte
}

type infoKey struct{}

// info returns the gate's findings for the request of ctx.
func info(ctx context.Context) *reqInfo {
	ri, _ := ctx.Value(infoKey{}).(*reqInfo)
	if ri == nil {
		return &reqInfo{}
	}
	return ri
}

// userID returns the signed-in user of an authenticated request.
func userID(ctx context.Context) int64 { return info(ctx).grant.UserID }

// gate runs before echo's router on every request. In order, it: enforces the header limit; routes
// the request against the spec (404/405 for paths and methods the spec does not describe); reads
// the body under the size limit (413); authenticates the bearer token and checks the operation's
// scope (401/403); validates parameters and body against the spec (400). Only then does the
// handler run. Every answered request goes to the journal.
func (s *Server) gate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		r := c.Request()
		ri := &reqInfo{header: r.Header}
		var capture *captureWriter
		if s.opts.OnResponseViolation != nil {
			capture = &captureWriter{ResponseWriter: c.Response().Writer}
			c.Response().Writer = capture
		}
		bufp := s.bodies.Get().(*[]byte)
		err := s.admit(c, r, ri, bufp)
		if err == nil {
			c.SetRequest(r.WithContext(context.WithValue(r.Context(), infoKey{}, ri)))
			err = next(c)
		}
		if err != nil {
			c.Error(err)
		}
		s.journal.record(r, ri, c.Response().Status, time.Since(start), err)
		if capture != nil && ri.op != nil {
			s.checkResponse(ri.op, c.Response().Status, capture)
		}
		if cap(*bufp) <= 64<<10 { // keep small buffers only
			*bufp = (*bufp)[:0]
			s.bodies.Put(bufp)
		}
		return nil
	}
}

// admit checks everything that must hold before a handler runs. It fills ri as it goes, so the
// journal knows the operation and the user even for a refused request.
func (s *Server) admit(c echo.Context, r *http.Request, ri *reqInfo, bufp *[]byte) error {
	if size := headerSize(r); size > s.opts.MaxHeaderBytes {
		return apierror.Newf(http.StatusRequestHeaderFieldsTooLarge, apierror.NameHeadersTooLarge,
			"Request header fields too large: %d bytes, the limit is %d", size, s.opts.MaxHeaderBytes)
	}
	spec := s.spec
	if strings.HasPrefix(r.URL.Path, "/__mock/") {
		spec = s.control
	}
	var pp validate.PathParams
	op, v, allow := spec.Find(r.Method, r.URL.EscapedPath(), &pp)
	if v != nil {
		if v.Rule == validate.RuleMethodNotAllowed {
			return apierror.Newf(http.StatusMethodNotAllowed, apierror.NameMethodNotAllowed,
				"Method not allowed: %s %s (allowed: %s)", r.Method, r.URL.Path, allow).WithHeader("Allow", allow)
		}
		return apierror.Newf(http.StatusNotFound, apierror.NameNotFound, "Not Found: no route for %s %s", r.Method, r.URL.Path)
	}
	ri.op = op
	if spec == s.spec {
		if err := s.applyFault(r.Context(), op, r); err != nil {
			return err
		}
	}
	body, err := s.readBody(r, bufp)
	if err != nil {
		return err
	}
	ri.body = body
	if scope, secured := s.scopes[op]; secured {
		g, err := s.oauth.AuthenticateHeader(r.Header.Get("Authorization"))
		if err != nil {
			return err
		}
		ri.grant, ri.authed = g, true
		if err := g.Require(scope); err != nil {
			return err
		}
	}
	var vbuf [4]validate.Violation
	if vs := spec.CheckRequest(vbuf[:0], op, &pp, r, body, validate.CheckOptions{SkipSecurity: true}); len(vs) > 0 {
		return violationError(op, vs)
	}
	return nil
}

// headerSize approximates the request's header bytes as sent: names, values and separators.
func headerSize(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + 12
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// readBody reads the whole request body into the pooled buffer, refusing more than the limit, and
// puts it back on the request for the handler.
func (s *Server) readBody(r *http.Request, bufp *[]byte) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	limit := s.opts.MaxBodyBytes
	tooLarge := apierror.Newf(http.StatusRequestEntityTooLarge, apierror.NamePayloadTooLarge,
		"Payload too large: the request body is over %d bytes", limit)
	if r.ContentLength > limit {
		return nil, tooLarge
	}
	buf := bytes.NewBuffer((*bufp)[:0])
	n, err := buf.ReadFrom(io.LimitReader(r.Body, limit+1))
	*bufp = buf.Bytes()
	if err != nil {
		return nil, apierror.Newf(http.StatusBadRequest, apierror.NameInvalidRequest, "Invalid request: reading the body failed: %v", err)
	}
	if n > limit {
		return nil, tooLarge
	}
	body := buf.Bytes()
	r.Body = io.NopCloser(bytes.NewReader(body))
	if n == 0 {
		return nil, nil
	}
	return body, nil
}

// violationError turns validation failures into the 400 envelope. The name says where the failure
// is (invalid_body_params, invalid_query_params...) and the message names the field; OAuth endpoints
// answer with OAuth error names instead.
func violationError(op *validate.Operation, vs []validate.Violation) error {
	v := vs[0]
	field := v.Field()
	if v.In == validate.InBody && v.Pointer != "" {
		field = strings.ReplaceAll(strings.TrimPrefix(v.Pointer, "/"), "/", ".")
	}
	name, label := apierror.NameInvalidBodyParams, "Invalid body params"
	switch v.In {
	case validate.InPath:
		name, label = apierror.NameInvalidPathParams, "Invalid path params"
	case validate.InQuery:
		name, label = apierror.NameInvalidQueryParams, "Invalid query params"
	case validate.InHeader:
		name, label = apierror.NameInvalidHeaderParams, "Invalid header params"
	}
	msg := label + ": "
	switch {
	case v.Rule == validate.RuleContentType || v.Rule == validate.RuleBodyRequired || v.Rule == validate.RuleUnexpectedBody ||
		v.Rule == validate.RuleSyntax && v.Pointer == "":
		msg += v.Message
	case v.Rule == validate.RuleRequired || v.Rule == validate.RuleMissingParameter || v.Rule == validate.RuleAdditionalProperties:
		msg += v.Message
	default:
		msg += strconv.Quote(field) + " " + v.Message
	}
	if len(vs) > 1 {
		msg += " (and " + strconv.Itoa(len(vs)-1) + " more)"
	}
	if isOAuthOperation(op) {
		name = apierror.NameInvalidRequest
		if v.Rule == validate.RuleEnum && field == "grant_type" {
			name = apierror.NameUnsupportedGrant
			msg = "Unsupported grant type: `grant_type` is invalid"
		} else if v.Rule == validate.RuleEnum && field == "response_type" {
			name = oauth.NameUnsupportedResponseType
			msg = "Unsupported response type: `response_type` is not supported"
		} else {
			msg = "Invalid request: " + strings.TrimPrefix(msg, label+": ")
		}
	}
	return apierror.New(http.StatusBadRequest, name, msg)
}

func isOAuthOperation(op *validate.Operation) bool {
	switch op.ID {
	case "refreshToken", "revokeToken", "showAuthorizeDialog", "submitConsent":
		return true
	}
	return false
}

// writeError is echo's error handler: every failure becomes the error envelope. Errors that are not
// *apierror.Error are echo's own (a 404 of an unrouted path) or bugs (500, logged).
func (s *Server) writeError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	e, ok := apierror.As(err)
	if !ok {
		var he *echo.HTTPError
		switch {
		case errors.As(err, &he) && he.Code < 500:
			e = apierror.New(he.Code, snake(http.StatusText(he.Code)), http.StatusText(he.Code)+": "+strings.TrimSpace(toString(he.Message)))
		default:
			s.log.Error("handler failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
			e = apierror.New(http.StatusInternalServerError, apierror.NameInternal, "Internal server error")
		}
	}
	e.Write(c.Response())
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if err, ok := v.(error); ok {
		return err.Error()
	}
	return ""
}

// snake turns "Not Found" into "not_found".
func snake(s string) string {
	return strings.ReplaceAll(strings.ToLower(s), " ", "_")
}

// captureWriter keeps a copy of the response for validation (only when OnResponseViolation is set).
type captureWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *captureWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *captureWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

// Flush lets streaming handlers flush through the capture.
func (w *captureWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController access to the underlying writer.
func (w *captureWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) checkResponse(op *validate.Operation, status int, w *captureWriter) {
	spec := s.spec
	if strings.HasPrefix(op.Path, "/__mock/") {
		spec = s.control
	}
	if vs := spec.CheckResponse(nil, op, status, w.Header(), w.body.Bytes()); len(vs) > 0 {
		s.opts.OnResponseViolation(op.ID, status, vs)
	}
}
