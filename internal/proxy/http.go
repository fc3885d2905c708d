package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/drift"
	"github.com/restreamkit/restreamkit/internal/har"
	"github.com/restreamkit/restreamkit/internal/record"
	"github.com/restreamkit/restreamkit/internal/redact"
	"github.com/restreamkit/restreamkit/internal/report"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// exchange is one proxied HTTP request and what was found about it.
type exchange struct {
	id       string
	start    time.Time
	method   string
	path     string // path and redacted query, for reports
	op       *validate.Operation
	opName   string // the report bucket: operationId, UnknownOperation or a WebSocket feed
	reqFound int    // request violations
	sent     time.Time
	rec      *record.Exchange // the exchange as recorded, when recording
	har      *har.Exchange    // the exchange as archived, when writing a HAR file
	// What the dashboard's ring keeps of it (see publish).
	reqHeader http.Header
	reqBody   []byte
	reqCut    int
	vs        []Record
	moreVs    int
	published bool
}

type exchangeKey struct{}

func exchangeFrom(ctx context.Context) *exchange {
	ex, _ := ctx.Value(exchangeKey{}).(*exchange)
	return ex
}

// newExchange starts the record of an exchange: its id, method and path with the query redacted.
// The report cuts the path to a bounded size.
func newExchange(id string, r *http.Request) *exchange {
	ex := &exchange{id: id, start: time.Now(), method: r.Method, path: r.URL.Path, reqHeader: r.Header}
	if r.URL.RawQuery != "" {
		ex.path += "?" + redact.Query(r.URL.RawQuery)
	}
	return ex
}

// MockPrefix is the path prefix of restream-mock's own control API and consent form. The proxy
// forwards it without validation or reports, so that it can sit in front of the mock. MockBucket
// is what the metrics call those requests when the upstream fails them.
const (
	MockPrefix = "/__mock/"
	MockBucket = "mock control"
)

// serveHTTP validates a request, refuses it in enforce mode, and forwards it.
func (p *Proxy) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, MockPrefix) {
		p.rp.ServeHTTP(w, r)
		return
	}
	ex := newExchange(p.nextID(), r)
	var pp validate.PathParams
	op, routeErr, _ := p.spec.Find(r.Method, r.URL.EscapedPath(), &pp)
	ex.op, ex.opName = op, report.Bucket(op)
	p.seen(ex.opName)

	bufp := p.bufs.Get().(*[]byte)
	defer func() {
		if cap(*bufp) <= 256<<10 {
			*bufp = (*bufp)[:0]
			p.bufs.Put(bufp)
		}
	}()
	var vs []validate.Violation
	if p.opts.RequestMode != Off {
		body, complete, err := readPrefix(r.Body, p.opts.MaxValidateBytes, bufp)
		if err != nil {
			p.fail(w, ex, apierror.Newf(http.StatusBadRequest, apierror.NameInvalidRequest, "Invalid request: reading the body failed: %v", err))
			return
		}
		if complete {
			r.Body = bodyOf(body) // forwarded as it came, even when compressed
		} else {
			r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
		}
		t0 := time.Now()
		var undecoded *validate.Violation
		if complete && len(body) > 0 {
			body, undecoded = decodeForCheck(validate.Request, r.Header.Get("Content-Encoding"), body, p.opts.MaxValidateBytes)
		}
		switch {
		case routeErr != nil:
			vs = append(vs, *routeErr)
		case !complete || undecoded != nil:
			vs = p.spec.CheckRequest(vs, op, &pp, r, nil, validate.CheckOptions{UnknownQuery: true})
			vs = dropBodyChecks(vs)
			if undecoded == nil {
				nv := notValidated(validate.Request, p.opts.MaxValidateBytes)
				undecoded = &nv
			}
			if undecoded.Rule != validate.RuleSyntax {
				p.metrics.notValidated.WithLabelValues(string(validate.Request)).Inc()
			}
			vs = append(vs, *undecoded)
		default:
			vs = p.spec.CheckRequest(vs, op, &pp, r, body, validate.CheckOptions{UnknownQuery: true})
		}
		p.metrics.validationTime.WithLabelValues(string(validate.Request)).Observe(time.Since(t0).Seconds())
		ex.reqFound = len(vs)
		ex.keepViolations(p.record(ex, 0, vs))
		ex.reqBody, ex.reqCut = keepBody(body, true) // body is in a pooled buffer
		if p.rec != nil && op != nil && complete && undecoded == nil {
			ex.rec = recordedRequest(op, r, body)
		}
		if p.har != nil && complete {
			ex.har = archivedRequest(r, body)
		}
		if p.opts.RequestMode == Enforce && breaksContract(vs) {
			p.fail(w, ex, refusal(http.StatusBadRequest, "request_validation_failed", "the request breaks the contract", vs))
			return
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), p.opts.UpstreamTimeout)
	defer cancel()
	ex.sent = time.Now()
	// The exchange is bounded by the upstream timeout from here on, streamed response included:
	// the server's read and write deadlines (set for the whole connection) must not cut it first.
	rc := http.NewResponseController(w)
	deadline := ex.sent.Add(p.opts.UpstreamTimeout + time.Second) // a second to write a 504 envelope
	_ = rc.SetReadDeadline(deadline)
	_ = rc.SetWriteDeadline(deadline)
	p.rp.ServeHTTP(w, r.WithContext(context.WithValue(ctx, exchangeKey{}, ex)))
}

// bodyOf returns a request body reading b, or NoBody when b is empty.
func bodyOf(b []byte) io.ReadCloser {
	if len(b) == 0 {
		return http.NoBody
	}
	return io.NopCloser(bytes.NewReader(b))
}

// readPrefix reads up to limit bytes of r into the pooled buffer. complete reports whether that
// was the whole body.
func readPrefix(r io.Reader, limit int64, bufp *[]byte) (body []byte, complete bool, err error) {
	if r == nil || r == http.NoBody {
		return nil, true, nil
	}
	buf := bytes.NewBuffer((*bufp)[:0])
	n, err := buf.ReadFrom(io.LimitReader(r, limit+1))
	*bufp = buf.Bytes()
	if err != nil {
		return nil, false, err
	}
	if n > limit {
		return buf.Bytes(), false, nil
	}
	return buf.Bytes(), true, nil
}

// notValidated is the violation recorded for a body over the validation limit.
func notValidated(dir validate.Direction, limit int64) validate.Violation {
	return validate.Violation{Direction: dir, In: validate.InBody, Rule: validate.RuleTooLarge,
		Message: "the body is over " + strconv.FormatInt(limit, 10) + " bytes and was forwarded without validation"}
}

// breaksContract reports whether vs holds a violation enforce mode refuses: anything but a body
// the proxy forwarded without checking it (too large, or in a coding it does not decode).
func breaksContract(vs []validate.Violation) bool {
	for _, v := range vs {
		if v.Rule != validate.RuleTooLarge && v.Rule != RuleNotValidated {
			return true
		}
	}
	return false
}

// dropBodyChecks removes the body violations CheckRequest finds in a body it was not given.
func dropBodyChecks(vs []validate.Violation) []validate.Violation {
	out := vs[:0]
	for _, v := range vs {
		if v.In == validate.InBody && v.Rule != validate.RuleTooLarge {
			continue
		}
		out = append(out, v)
	}
	return out
}

// record reports violations of an exchange and counts them, and returns them as records (nil
// when there are none) for the dashboard's ring.
func (p *Proxy) record(ex *exchange, status int, vs []validate.Violation) []Record {
	if len(vs) == 0 {
		return nil
	}
	recs := make([]Record, len(vs))
	now := time.Now().UTC()
	for i, v := range vs {
		recs[i] = Record{Time: now, RequestID: ex.id, OperationID: opID(ex.op), Method: ex.method, Path: ex.path, Status: status, Violation: v}
		p.metrics.violations.WithLabelValues(ex.opName, string(v.Direction), string(v.Rule)).Inc()
	}
	p.report.Add(ex.opName, recs)
	op := drift.Operation{ID: ex.opName}
	if ex.op != nil {
		op.Method, op.Path = ex.op.Method, ex.op.Path
	}
	p.drift.Add(op, recs)
	return recs
}

func opID(op *validate.Operation) string {
	if op == nil {
		return ""
	}
	return op.ID
}

// refusal builds the envelope of a refused request or response, carrying its violations.
func refusal(status int, name, what string, vs []validate.Violation) *apierror.Error {
	first := vs[0]
	msg := fmt.Sprintf("Contract violation: %s: %s", what, report.Describe(first))
	if len(vs) > 1 {
		msg += fmt.Sprintf(" (and %d more)", len(vs)-1)
	}
	return apierror.New(status, name, msg)
}

// fail answers the client with an envelope instead of forwarding.
func (p *Proxy) fail(w http.ResponseWriter, ex *exchange, e *apierror.Error) {
	if p.opts.AddViolationsHeader {
		w.Header().Set(ViolationsHeader, strconv.Itoa(ex.reqFound))
		w.Header().Set(RequestIDHeader, ex.id)
	}
	e.Write(w)
	p.metrics.request(ex.opName, ex.method, e.Status)
	h := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	for k, vs := range e.Header {
		h[k] = vs
	}
	p.publish(ex, e.Status, h, e.JSON(), "answered by restream-proxy")
}

// modifyResponse validates the upstream's response. In enforce mode, or when the violations
// header is on, it reads the body first; otherwise it validates while the body streams through.
func (p *Proxy) modifyResponse(res *http.Response) error {
	ex := exchangeFrom(res.Request.Context())
	if ex == nil {
		return nil
	}
	p.metrics.upstreamTime.WithLabelValues(ex.opName).Observe(time.Since(ex.sent).Seconds())
	if res.StatusCode >= 500 {
		if ex.op != nil && p.opts.ResponseMode != Off {
			body, _ := io.ReadAll(io.LimitReader(res.Body, p.opts.MaxValidateBytes))
			ex.keepViolations(p.record(ex, res.StatusCode, p.spec.CheckResponse(nil, ex.op, res.StatusCode, res.Header, body)))
			p.archive(ex, res, body)
		}
		res.Body.Close()
		return &upstreamStatus{status: res.StatusCode, retryAfter: res.Header.Get("Retry-After")}
	}
	p.metrics.request(ex.opName, ex.method, res.StatusCode)
	if ex.op == nil || p.opts.ResponseMode == Off {
		p.setHeader(res, ex, 0)
		p.publish(ex, res.StatusCode, res.Header, nil, "response not validated")
		return nil
	}
	if p.opts.ResponseMode == Enforce || p.opts.AddViolationsHeader {
		return p.validateBuffered(res, ex)
	}
	res.Body = &teeValidator{body: res.Body, p: p, ex: ex, res: res, limit: p.opts.MaxValidateBytes}
	return nil
}

func (p *Proxy) setHeader(res *http.Response, ex *exchange, found int) {
	if p.opts.AddViolationsHeader {
		res.Header.Set(ViolationsHeader, strconv.Itoa(ex.reqFound+found))
		res.Header.Set(RequestIDHeader, ex.id)
	}
}

// validateBuffered reads the response body (up to the limit), validates it, and refuses it in
// enforce mode.
func (p *Proxy) validateBuffered(res *http.Response, ex *exchange) error {
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(res.Body, p.opts.MaxValidateBytes+1))
	if err != nil {
		res.Body.Close()
		return &upstreamBroken{err: err}
	}
	var vs []validate.Violation
	if n > p.opts.MaxValidateBytes {
		res.Body = readCloser{io.MultiReader(bytes.NewReader(buf.Bytes()), res.Body), res.Body}
		vs = append(vs, notValidated(validate.Response, p.opts.MaxValidateBytes))
		p.metrics.notValidated.WithLabelValues(string(validate.Response)).Inc()
	} else {
		res.Body.Close()
		res.Body = io.NopCloser(bytes.NewReader(buf.Bytes()))
		vs = p.checkResponse(vs, ex, res, buf.Bytes())
	}
	ex.keepViolations(p.record(ex, res.StatusCode, vs))
	if p.opts.ResponseMode == Enforce && breaksContract(vs) {
		res.Body.Close()
		return &invalidResponse{err: refusal(http.StatusBadGateway, "response_validation_failed", "the upstream's response breaks the contract", vs)}
	}
	p.setHeader(res, ex, len(vs))
	if n <= p.opts.MaxValidateBytes {
		p.publish(ex, res.StatusCode, res.Header, buf.Bytes(), "")
	} else {
		p.publish(ex, res.StatusCode, res.Header, nil, "over the validation limit: not kept")
	}
	return nil
}

// checkResponse validates a complete response body, from a bounded decoded copy when it is
// compressed.
func (p *Proxy) checkResponse(dst []validate.Violation, ex *exchange, res *http.Response, body []byte) []validate.Violation {
	t0 := time.Now()
	defer func() {
		p.metrics.validationTime.WithLabelValues(string(validate.Response)).Observe(time.Since(t0).Seconds())
	}()
	if len(body) > 0 {
		plain, v := decodeForCheck(validate.Response, res.Header.Get("Content-Encoding"), body, p.opts.MaxValidateBytes)
		if v != nil {
			if v.Rule != validate.RuleSyntax {
				p.metrics.notValidated.WithLabelValues(string(validate.Response)).Inc()
			}
			return append(dst, *v)
		}
		body = plain
	}
	if ex.rec != nil {
		ex.rec.Status, ex.rec.ResponseContentType = res.StatusCode, res.Header.Get("Content-Type")
		ex.rec.ResponseBody = bytes.Clone(body)
		p.rec.Add(*ex.rec)
	}
	p.archive(ex, res, body)
	return p.spec.CheckResponse(dst, ex.op, res.StatusCode, res.Header, body)
}

// archivedRequest starts the HAR entry of an exchange from its request, as the client sent it
// (the URL it asked for, its headers); body is the decoded body, copied from its pooled buffer.
func archivedRequest(r *http.Request, body []byte) *har.Exchange {
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	if r.TLS != nil {
		u.Scheme = "https"
	}
	return &har.Exchange{Started: time.Now(), Method: r.Method, URL: &u, Proto: r.Proto,
		RequestHeader: r.Header.Clone(), RequestBody: bytes.Clone(body)}
}

// archive adds an exchange to the HAR file once its response body (decoded) is read.
func (p *Proxy) archive(ex *exchange, res *http.Response, body []byte) {
	if ex.har == nil {
		return
	}
	x := *ex.har
	x.Wait, x.Status, x.ResponseHeader, x.ResponseBody = time.Since(x.Started), res.StatusCode, res.Header.Clone(), bytes.Clone(body)
	p.har.Add(x)
}

// recordedRequest starts the record of an exchange from its request; body is the decoded body,
// copied since it lives in a pooled buffer.
func recordedRequest(op *validate.Operation, r *http.Request, body []byte) *record.Exchange {
	x := &record.Exchange{OperationID: op.ID, Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(),
		RequestContentType: r.Header.Get("Content-Type"), RequestBody: bytes.Clone(body)}
	if len(op.Scopes) > 0 {
		x.UserToken, _ = strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	return x
}

// readCloser pairs a reader with the closer of the body it reads from.
type readCloser struct {
	io.Reader
	io.Closer
}

// teeValidator passes a response body through while keeping a copy (up to a limit), and validates
// it when the body ends. The client gets every byte as soon as the upstream sends it.
type teeValidator struct {
	body  io.ReadCloser
	p     *Proxy
	ex    *exchange
	res   *http.Response
	limit int64
	buf   []byte
	over  bool
	done  bool
}

func (t *teeValidator) Read(b []byte) (int, error) {
	n, err := t.body.Read(b)
	if n > 0 && !t.over {
		if int64(len(t.buf)+n) > t.limit {
			t.over, t.buf = true, nil
		} else {
			t.buf = append(t.buf, b[:n]...)
		}
	}
	if err != nil && !t.done {
		t.done = true
		switch {
		case errors.Is(err, io.EOF):
			t.finish()
		default:
			t.p.metrics.upstreamErrors.WithLabelValues("reset").Inc()
			t.p.log.Warn("the upstream broke off a response", "request", t.ex.id, "operation", t.ex.opName, "err", err)
		}
	}
	return n, err
}

func (t *teeValidator) finish() {
	var vs []validate.Violation
	if t.over {
		vs = append(vs, notValidated(validate.Response, t.limit))
		t.p.metrics.notValidated.WithLabelValues(string(validate.Response)).Inc()
	} else {
		vs = t.p.checkResponse(vs, t.ex, t.res, t.buf)
	}
	t.ex.keepViolations(t.p.record(t.ex, t.res.StatusCode, vs))
	if t.over {
		t.p.publish(t.ex, t.res.StatusCode, t.res.Header, nil, "over the validation limit: not kept")
	} else {
		t.p.publish(t.ex, t.res.StatusCode, t.res.Header, t.buf, "")
	}
}

// Close ends the body; an exchange whose body did not end (the client or the upstream went
// away) is published then, without it.
func (t *teeValidator) Close() error {
	t.p.publish(t.ex, t.res.StatusCode, t.res.Header, nil, "the response was not read to the end")
	return t.body.Close()
}

// upstreamStatus is a 5xx the upstream answered; the client gets a 502 or 504 envelope.
type upstreamStatus struct {
	status     int
	retryAfter string
}

func (e *upstreamStatus) Error() string { return "upstream answered " + strconv.Itoa(e.status) }

// upstreamBroken is a response whose body could not be read to the end.
type upstreamBroken struct{ err error }

func (e *upstreamBroken) Error() string { return "reading the upstream response: " + e.err.Error() }
func (e *upstreamBroken) Unwrap() error { return e.err }

// invalidResponse is a response refused in enforce mode.
type invalidResponse struct{ err *apierror.Error }

func (e *invalidResponse) Error() string { return e.err.Error() }

// upstreamError answers the client when the upstream could not be reached or its answer was
// refused: 502 or 504 with an envelope that names the cause.
func (p *Proxy) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	ex := exchangeFrom(r.Context())
	if ex == nil { // a /__mock/ request, forwarded without a record
		ex = newExchange(p.nextID(), r)
		ex.opName = MockBucket
		ex.published = true // the control API is the mock's: the dashboard shows the Restream API
	}
	e, cause := classify(r, err)
	if cause == "client-gone" {
		p.metrics.request(ex.opName, ex.method, 499)
		p.publish(ex, 499, nil, nil, "the client went away before the answer")
		return
	}
	if cause != "" {
		p.metrics.upstreamErrors.WithLabelValues(cause).Inc()
		p.log.Warn("upstream failure", "request", ex.id, "operation", ex.opName, "cause", cause, "err", err)
	}
	p.fail(w, ex, e)
}

// classify names the cause of an upstream failure and builds the envelope the client gets: a
// refused response or an upstream 5xx here, a transport failure as apierror.Transport says.
func classify(r *http.Request, err error) (*apierror.Error, string) {
	var st *upstreamStatus
	var inv *invalidResponse
	switch {
	case errors.As(err, &inv):
		return inv.err, ""
	case errors.As(err, &st):
		if st.status == http.StatusGatewayTimeout {
			return apierror.Newf(http.StatusGatewayTimeout, apierror.NameUpstreamTimeout, "Gateway timeout: the upstream answered %d %s", st.status, http.StatusText(st.status)), "status-5xx"
		}
		e := apierror.Newf(http.StatusBadGateway, apierror.NameUpstreamError, "Bad gateway: the upstream answered %d %s", st.status, http.StatusText(st.status))
		if st.retryAfter != "" {
			e = e.WithHeader("Retry-After", st.retryAfter)
		}
		return e, "status-5xx"
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil && !errors.Is(context.Cause(r.Context()), context.DeadlineExceeded):
		return nil, "client-gone"
	}
	return apierror.Transport(err)
}
