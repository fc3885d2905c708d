package mock

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/oauth"
	"github.com/restreamkit/restreamkit/internal/redact"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// reqInfo is what the gate learned about a request, for the handlers and the journal.
type reqInfo struct {
	header http.Header
	op     *validate.Operation
	spec   *validate.Spec // the spec that describes op
	grant  oauth.Grant
	authed bool
	body   []byte
	// breach lists how a refused request broke the Restream API's contract (see RequestViolation);
	// nil when it did not.
	breach []validate.Violation
	// violations counts what the validator found wrong with the request, for the request log.
	violations int
	// fault is set when an injected fault answered: its name is the one the test asked for
	// (the status text), not one the mock chose, so checkResponse does not hold it to the spec.
	fault bool
	// capture keeps the response: its first journalBodyLimit bytes for the journal, or all of
	// it when responses are validated (Options.OnResponseViolation).
	capture captureWriter
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

// gate runs after echo's router, as echo middleware, on every request: echo is the mock's only
// router, and the gate reads the route echo matched (see routes). In order, it: enforces the header
// limit; finds the operation of the matched route (404/405 for paths and methods the spec does not
// describe); applies injected faults; reads the body under the size limit (413); authenticates the
// bearer token and checks the operation's scope (401/403); validates parameters and body against
// the spec (400), with the grammar the generated binder reads them with. Only then does the
// handler run, on the values the gate checked. A panic is answered with a 500 envelope and logged.
// Every answered request goes to the journal and to the request log.
func (s *Server) gate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		ri := &reqInfo{}
		// The findings go into the context first, so that the error handler reads them too.
		r := c.Request().WithContext(context.WithValue(c.Request().Context(), infoKey{}, ri))
		c.SetRequest(r)
		ri.header = r.Header
		// The journal keeps the start of every response; the buffer comes from a pool and the
		// journal copies into a slot it reuses, so a request allocates nothing for it.
		respp := s.responses.Get().(*[]byte)
		ri.capture = captureWriter{ResponseWriter: c.Response().Writer, data: (*respp)[:0], limit: journalBodyLimit}
		if s.opts.OnResponseViolation != nil {
			ri.capture.limit = 0 // validation needs the whole body
		}
		c.Response().Writer = &ri.capture
		bufp := s.bodies.Get().(*[]byte)
		err := s.serve(c, r, ri, bufp, next)
		if err != nil {
			// Report before answering, so that a client that has its answer can count on the report.
			s.reportBreach(r, ri, err)
			c.Error(err)
		}
		took := time.Since(start)
		s.journal.record(r, ri, c.Response().Status, took, err)
		s.journal.logRequest(r, ri, c.Response().Status, took, err)
		if s.opts.OnResponseViolation != nil && ri.op != nil {
			s.checkResponse(ri, c.Response().Status, &ri.capture)
		}
		if cap(ri.capture.data) <= 64<<10 {
			*respp = ri.capture.data[:0]
			s.responses.Put(respp)
		}
		ri.capture.data = nil
		if cap(*bufp) <= 64<<10 { // keep small buffers only
			*bufp = (*bufp)[:0]
			s.bodies.Put(bufp)
		}
		return nil
	}
}

// serve admits the request and runs the handler. It is the last line against a handler's panic:
// the panic becomes a 500 envelope and a log line, and the server keeps serving.
func (s *Server) serve(c echo.Context, r *http.Request, ri *reqInfo, bufp *[]byte, next echo.HandlerFunc) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler { // net/http's way to abort a response: not a failure
				panic(p)
			}
			err = s.recovered(r, ri, p)
		}
	}()
	if err := s.admit(c, r, ri, bufp); err != nil {
		return err
	}
	if restore := s.canonicalContentType(r, ri.op, ri.body); restore != nil {
		defer restore()
	}
	return next(c)
}

// recovered logs a handler's panic with a request id, without the request's headers, query or
// body (they may carry tokens), and returns the 500 envelope that names the same id.
func (s *Server) recovered(r *http.Request, ri *reqInfo, p any) error {
	var b [8]byte
	_, _ = crand.Read(b[:])
	id := hex.EncodeToString(b[:])
	opID := ""
	if ri.op != nil {
		opID = ri.op.ID
	}
	s.log.Error("handler panicked; answered 500", "request_id", id, "method", r.Method, "path", r.URL.Path,
		"operation", opID, "panic", redact.Text(fmt.Sprint(p)), "stack", string(debug.Stack()))
	return apierror.New(http.StatusInternalServerError, apierror.NameInternal, "Internal server error (request "+id+")")
}

// admit checks everything that must hold before a handler runs. It fills ri as it goes, so the
// journal knows the operation and the user even for a refused request.
func (s *Server) admit(c echo.Context, r *http.Request, ri *reqInfo, bufp *[]byte) error {
	if e := apierror.HeadersTooLarge(r, s.opts.MaxHeaderBytes); e != nil {
		return e
	}
	rt, err := s.routes.find(c, r)
	if err != nil {
		ri.breach = s.routeBreach(r)
		return err
	}
	op := rt.op
	ri.op, ri.spec = op, rt.spec
	if rt.spec == s.spec {
		if err := s.applyFault(r.Context(), op, r); err != nil {
			ri.fault = true
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
			ri.breach = []validate.Violation{{Direction: validate.Request, In: validate.InSecurity, Rule: validate.RuleSecurity,
				Message: "the token lacks the scope " + scope.String() + " the operation requires", Expected: scope.String()}}
			return err
		}
	}
	// The generated wrappers read path parameters as echo matched them, decoding them only when
	// echo matched the raw path; the validator reads them the same way.
	var pp validate.PathParams
	pp.Set(op, c.ParamValues(), r.URL.RawPath != "")
	var vbuf [4]validate.Violation
	if vs := rt.spec.CheckRequest(vbuf[:0], op, &pp, r, body, validate.CheckOptions{SkipSecurity: true}); len(vs) > 0 {
		ri.violations = len(vs)
		if rt.spec == s.spec && s.opts.OnRequestViolation != nil {
			ri.breach = slices.Clone(vs)
		}
		return violationError(op, vs)
	}
	if op.FormBody() {
		// The generated handler reads the form from r.Form, which ParseForm would fill from the
		// body and the query string together. Hand it the body the validator checked, alone.
		form, err := url.ParseQuery(string(body))
		if err != nil { // the validator refuses what ParseQuery refuses; this is a last line
			return apierror.New(http.StatusBadRequest, apierror.NameInvalidBodyParams, "Invalid body params: the form body is not validly URL-encoded")
		}
		r.PostForm, r.Form = form, form
	}
	return nil
}

// canonicalContentType makes the Content-Type the handler sees the documented media type the
// validator matched: echo decodes a body only under its exact, lower-case media type, while the
// validator (like Restream) also accepts "Application/JSON" or "application/merge-patch+json" for
// application/json, and the control API takes a JSON body under any Content-Type (curl -d sends
// application/x-www-form-urlencoded; see validate.JSONBodyAnyContentType). It returns a function
// that restores the client's header, for the journal.
func (s *Server) canonicalContentType(r *http.Request, op *validate.Operation, body []byte) (restore func()) {
	if len(body) == 0 {
		return nil
	}
	ct := r.Header.Get("Content-Type")
	mt := op.RequestMediaType(ct, body)
	base, params, _ := strings.Cut(ct, ";")
	if mt == "" || strings.Contains(mt, "*") || strings.TrimSpace(base) == mt {
		return nil
	}
	canon := mt
	if params != "" {
		canon += ";" + params
	}
	orig, had := r.Header["Content-Type"]
	r.Header["Content-Type"] = []string{canon}
	return func() {
		if had {
			r.Header["Content-Type"] = orig
		} else {
			delete(r.Header, "Content-Type")
		}
	}
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
	var detail string
	switch {
	case v.Rule == validate.RuleContentType || v.Rule == validate.RuleBodyRequired || v.Rule == validate.RuleUnexpectedBody ||
		v.Rule == validate.RuleSyntax && v.Pointer == "":
		detail = v.Message
	case v.Rule == validate.RuleRequired || v.Rule == validate.RuleMissingParameter || v.Rule == validate.RuleAdditionalProperties:
		detail = v.Message
	default:
		detail = strconv.Quote(field) + " " + v.Message
	}
	if len(vs) > 1 {
		detail += " (and " + strconv.Itoa(len(vs)-1) + " more)"
	}
	if isOAuthOperation(op) {
		switch {
		case v.Rule == validate.RuleEnum && field == "grant_type":
			return apierror.New(http.StatusBadRequest, apierror.NameUnsupportedGrant, "Unsupported grant type: `grant_type` is invalid")
		case v.Rule == validate.RuleEnum && field == "response_type":
			return apierror.New(http.StatusBadRequest, oauth.NameUnsupportedResponseType, "Unsupported response type: `response_type` is not supported")
		}
		return apierror.New(http.StatusBadRequest, apierror.NameInvalidRequest, "Invalid request: "+detail)
	}
	return apierror.InvalidParams(string(v.In), detail)
}

func isOAuthOperation(op *validate.Operation) bool {
	switch op.ID {
	case "refreshToken", "revokeToken", "showAuthorizeDialog", "submitConsent":
		return true
	}
	return false
}

// writeError is echo's error handler: every failure becomes the error envelope, or for the
// authorization dialog, which browsers open, the HTML page of the same error when the request
// prefers HTML (apierror decides). Errors that are not *apierror.Error are echo's own, the
// generated binder's (see bindError), or bugs (500, logged).
func (s *Server) writeError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	e, ok := apierror.As(err)
	if !ok {
		var he *echo.HTTPError
		switch {
		case errors.As(err, &he) && he.Code == http.StatusBadRequest:
			e = s.bindError(info(c.Request().Context()).op, he)
		case errors.As(err, &he) && he.Code < 500:
			e = apierror.New(he.Code, snake(http.StatusText(he.Code)), http.StatusText(he.Code)+": "+strings.TrimSpace(toString(he.Message)))
		default:
			s.log.Error("handler failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
			e = apierror.New(http.StatusInternalServerError, apierror.NameInternal, "Internal server error")
		}
	}
	if op := info(c.Request().Context()).op; op != nil && op.ID == "showAuthorizeDialog" {
		e.WriteNegotiated(c.Response(), c.Request()) // a page browsers open: they get an HTML page
		return
	}
	e.Write(c.Response())
}

// bindError turns a 400 of the generated code (a parameter or a body it could not read) into the
// envelope, naming the parameter or field without Go's error text. The gate validates with the
// binder's grammar, so this is a last line: it is logged, as a validator that let through what the
// binder refuses is a bug.
func (s *Server) bindError(op *validate.Operation, he *echo.HTTPError) *apierror.Error {
	opID := ""
	if op != nil {
		opID = op.ID
	}
	s.log.Warn("the generated binder refused a request the gate had validated", "operation", opID,
		"err", redact.Text(fmt.Sprint(he.Message)))
	body := func(msg string) *apierror.Error {
		return apierror.New(http.StatusBadRequest, apierror.NameInvalidBodyParams, "Invalid body params: "+msg)
	}
	var ute *json.UnmarshalTypeError
	var se *json.SyntaxError
	var te *time.ParseError
	switch {
	case errors.As(he.Internal, &ute):
		field := ute.Field
		if field == "" {
			field = "body"
		}
		return body(strconv.Quote(field) + " must be " + jsonKind(ute.Type) + ", got " + ute.Value)
	case errors.As(he.Internal, &se):
		return body("the body is not valid JSON (at offset " + strconv.FormatInt(se.Offset, 10) + ")")
	case errors.As(he.Internal, &te):
		return body(strconv.Quote(shorten(te.Value)) + " is not a date-time the server can read")
	case he.Internal != nil:
		return body("the body does not fit the operation's fields")
	}
	msg := toString(he.Message)
	if rest, ok := strings.CutPrefix(msg, "Invalid format for parameter "); ok && op != nil {
		name, _, _ := strings.Cut(rest, ":")
		if in, ok := op.ParamIn(name); ok {
			errName, label := apierror.NameInvalidQueryParams, "Invalid query params"
			switch {
			case isOAuthOperation(op):
				errName, label = apierror.NameInvalidRequest, "Invalid request"
			case in == validate.InPath:
				errName, label = apierror.NameInvalidPathParams, "Invalid path params"
			case in == validate.InHeader:
				errName, label = apierror.NameInvalidHeaderParams, "Invalid header params"
			}
			return apierror.New(http.StatusBadRequest, errName, label+": "+strconv.Quote(name)+" has a value the server cannot read")
		}
	}
	return apierror.New(http.StatusBadRequest, apierror.NameInvalidRequest, "Invalid request: the server cannot read it")
}

// jsonKind names the JSON type a Go type decodes from, for messages.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer that fits " + t.Kind().String()
	case reflect.Float32, reflect.Float64:
		return "a number that fits " + t.Kind().String()
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// shorten cuts a client's value quoted in a message to 60 bytes, on a character boundary.
func shorten(s string) string { return clip(s, 60) }

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

// captureWriter keeps a copy of the response: its first limit bytes for the journal, or all of
// it (limit 0) for validation when OnResponseViolation is set. total counts every byte written.
type captureWriter struct {
	http.ResponseWriter
	status int
	data   []byte
	limit  int
	total  int
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
	w.total += len(b)
	if w.limit <= 0 {
		w.data = append(w.data, b...)
	} else if room := w.limit - len(w.data); room > 0 {
		w.data = append(w.data, b[:min(room, len(b))]...)
	}
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

func (s *Server) checkResponse(ri *reqInfo, status int, w *captureWriter) {
	vs := ri.spec.CheckResponse(nil, ri.op, status, w.Header(), w.data)
	// Error names are listed for the Restream API only; the control API's are the mock's own.
	if v, ok := undocumentedErrorName(ri, status, w.data); ok && ri.spec == s.spec {
		vs = append(vs, v)
	}
	if len(vs) > 0 {
		s.opts.OnResponseViolation(ri.op.ID, status, vs)
	}
}

// undocumentedErrorName reports an error envelope whose name the spec does not list for the
// operation and status (validate.ExtErrorNames). The mock holds itself to the list, so that every
// name it can send is documented; the validator does not, since the real API's names are not
// published. A fault's answer is exempt: its name is the status text the test chose.
func undocumentedErrorName(ri *reqInfo, status int, body []byte) (validate.Violation, bool) {
	if status < 400 || ri.fault {
		return validate.Violation{}, false
	}
	var env apierror.Envelope
	if json.Unmarshal(body, &env) != nil || env.Error.Name == "" {
		return validate.Violation{}, false // not the envelope: CheckResponse judges the body
	}
	names := ri.op.ErrorNames(status)
	if slices.Contains(names, env.Error.Name) {
		return validate.Violation{}, false
	}
	return validate.Violation{Direction: validate.Response, In: validate.InBody, Pointer: "/error/name", Rule: validate.RuleEnum,
		Message:  "error name " + strconv.Quote(env.Error.Name) + " is not in the spec's " + validate.ExtErrorNames + " for " + strconv.Itoa(status),
		Expected: strings.Join(names, ", "), Actual: env.Error.Name}, true
}
