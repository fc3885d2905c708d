package upstream

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/capability"
	"github.com/restreamkit/restreamkit/internal/redact"
	"github.com/restreamkit/restreamkit/internal/report"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// Names of the *Error envelopes the invoker gives, besides apierror's upstream_* transport names.
const (
	// NameRequestRefused: enforce mode refused a request that breaks the spec, or the call is
	// one the plan left incomplete (an unbound path variable). Nothing was sent.
	NameRequestRefused = "request_refused"
	// NameTooLarge: the upstream's answer is over MaxResponseBytes.
	NameTooLarge = "upstream_too_large"
	// NameTokenUnavailable: the TokenSource could not give a token (a refresh failed).
	NameTokenUnavailable = "token_unavailable"
	// NameCanceled: the caller's context ended (not by its deadline) before the answer came.
	NameCanceled = "request_canceled"
)

// Mode says what the invoker does with an outgoing request that breaks the spec.
type Mode string

// The modes. Both validate every request and answer and report what breaks the spec.
const (
	// Report sends the request anyway.
	Report Mode = "report"
	// Enforce refuses it (*Error 502 request_refused) and sends nothing. Missing credentials
	// are the one violation it lets through: the upstream's own 401 envelope says more.
	Enforce Mode = "enforce"
)

// ParseMode reads a mode name.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case Report, Enforce:
		return m, nil
	}
	return "", fmt.Errorf("mode %q: want report or enforce", s)
}

// Defaults of Options.
const (
	DefaultTimeout          = 30 * time.Second
	DefaultMaxResponseBytes = 8 << 20
	// DefaultMaxResultBytes keeps an answer to a few tens of thousands of tokens of an
	// assistant's context.
	DefaultMaxResultBytes = 128 << 10
	// DefaultUserAgent is sent on every upstream request.
	DefaultUserAgent = "restream-gateway"
)

// Options configure a Client. The zero value is usable: each call goes to its API's BaseURL
// with its API's token, report mode, no report lines, the defaults below.
type Options struct {
	// BaseURL, when set, replaces every API's BaseURL (--upstream
	// http://127.0.0.1:8080/v2 for the mock): calls go to BaseURL joined with Op.Path. Nil
	// keeps each call's Op.API.BaseURL. The spec check uses Op.SpecPath, so it stays right.
	BaseURL *url.URL
	// Tokens gives the bearer token of each call to an API whose Auth.Kind is "bearer" (a
	// refreshing source). Nil: the API's static Auth.Token, which the loader resolved from the
	// environment. An empty token sends no Authorization header. APIs without auth get none.
	Tokens TokenSource
	// Spec is the OpenAPI description calls and answers are validated against. Nil: the
	// bundled Restream spec, and each call's Op.Spec (which the loader resolved in it). When
	// set, each operation is looked up in it by Op.Method and Op.SpecPath.
	Spec *validate.Spec
	// Mode is Report (the default) or Enforce; see Mode.
	Mode Mode
	// Report receives each violation as a JSON line, in restream-proxy's format (see package
	// report), with the call's name in "call". Nil: violations are counted (Result.Violations,
	// metrics) and logged, not written.
	Report *report.Reporter
	// Timeout bounds a whole call: connecting, sending, the answer's headers and body. Zero is
	// DefaultTimeout. The caller's context may end it sooner.
	Timeout time.Duration
	// MaxResponseBytes bounds the upstream body read (after any gzip decoding); over it the call
	// fails with *Error 502 upstream_too_large. Zero is DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// MaxResultBytes bounds Result.Body: a longer answer is cut, ends with a notice saying how
	// to ask for less, and is flagged Truncated (Value nil). Zero is DefaultMaxResultBytes.
	MaxResultBytes int
	// Transport sends the requests. Nil: NewTransport(). Redirects are never followed (a 3xx
	// is an answer like any other), so the token never travels to another place.
	Transport http.RoundTripper
	// Logger receives a debug line per call and a warning per failure or non-conforming call.
	// Tokens are never logged; error texts go through internal/redact. Nil discards.
	Logger *slog.Logger
	// Metrics, when set, counts calls, durations and violations (see NewMetrics).
	Metrics *Metrics
	// UserAgent is sent upstream; "" is DefaultUserAgent.
	UserAgent string
}

// Client is the Invoker of restream-gateway: safe for concurrent use, shared by the REST
// facade and the MCP server.
type Client struct {
	opts     Options
	spec     *validate.Spec
	http     *http.Client
	log      *slog.Logger
	idPrefix string
	seq      atomic.Uint64
	schemas  schemaCache
	opsMu    sync.Mutex
	ops      map[*capability.Op]specOp
}

// specOp is a consumed operation resolved in the spec, or the violation that says it is not.
type specOp struct {
	op     *validate.Operation
	names  []string // path parameter names, in template order
	notOps *validate.Violation
}

var _ BodyInvoker = (*Client)(nil)

// New builds a Client.
func New(opts Options) (*Client, error) {
	if opts.BaseURL != nil && opts.BaseURL.String() != "" {
		if (opts.BaseURL.Scheme != "http" && opts.BaseURL.Scheme != "https") || opts.BaseURL.Host == "" {
			return nil, fmt.Errorf("upstream %s: want an http or https URL with a host", redact.URL(opts.BaseURL.String()))
		}
	} else {
		opts.BaseURL = nil
	}
	if opts.Mode == "" {
		opts.Mode = Report
	}
	mode, err := ParseMode(string(opts.Mode))
	if err != nil {
		return nil, err
	}
	opts.Mode = mode
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxResponseBytes <= 0 {
		opts.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if opts.MaxResultBytes <= 0 {
		opts.MaxResultBytes = DefaultMaxResultBytes
	}
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	if opts.Transport == nil {
		opts.Transport = NewTransport()
	}
	c := &Client{opts: opts, spec: opts.Spec, log: opts.Logger, ops: map[*capability.Op]specOp{}}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.spec == nil {
		spec, err := validate.RestreamSpec()
		if err != nil {
			return nil, err
		}
		c.spec = spec
	}
	c.http = &http.Client{
		Transport:     opts.Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	var pfx [3]byte
	_, _ = rand.Read(pfx[:])
	c.idPrefix = "gw-" + hex.EncodeToString(pfx[:])
	return c, nil
}

// NewTransport is the default upstream transport: bounded dial and TLS handshake, a header size
// limit, and a bounded pool of connections (calls over MaxConnsPerHost wait, within their
// timeout). It asks for gzip and decodes it, so MaxResponseBytes bounds the decoded body.
func NewTransport() *http.Transport {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            dialer.DialContext,
		TLSHandshakeTimeout:    5 * time.Second,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           64,
		MaxIdleConnsPerHost:    16,
		MaxConnsPerHost:        64,
		IdleConnTimeout:        90 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
}

// CloseIdleConnections closes the transport's idle connections (on shutdown).
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// callRecord is what one invocation knows, for its report lines, metrics and log.
type callRecord struct {
	name, method, path string
	op                 *validate.Operation
	violations         int
	// prefix and seq make the request id, written out only when a report line or a log line
	// needs it (most calls need neither).
	prefix string
	seq    uint64
	id     string
}

// requestID is the call's id in report and log lines: the client's prefix and a sequence number.
func (r *callRecord) requestID() string {
	if r.id == "" {
		r.id = r.prefix + "-" + strconv.FormatUint(r.seq, 10)
	}
	return r.id
}

// Invoke implements Invoker.
func (c *Client) Invoke(ctx context.Context, call *capability.Call, args map[string]any) (*Result, error) {
	return c.run(ctx, call, args, true)
}

// InvokeBody implements BodyInvoker: Invoke, leaving Result.Value nil.
func (c *Client) InvokeBody(ctx context.Context, call *capability.Call, args map[string]any) (*Result, error) {
	return c.run(ctx, call, args, false)
}

// run makes a call; wantValue says whether Result.Value is wanted.
func (c *Client) run(ctx context.Context, call *capability.Call, args map[string]any, wantValue bool) (*Result, error) {
	start := time.Now()
	if call == nil || call.Op == nil {
		return nil, refused("the call has no operation")
	}
	rec := &callRecord{prefix: c.idPrefix, seq: c.seq.Add(1), name: call.Name, method: call.Op.Method}
	res, err := c.invoke(ctx, call, args, rec, wantValue)
	c.finish(rec, start, res, err)
	return res, err
}

func (c *Client) invoke(ctx context.Context, call *capability.Call, args map[string]any, rec *callRecord, wantValue bool) (*Result, error) {
	op := call.Op
	base := c.opts.BaseURL
	if base == nil && op.API != nil {
		base = op.API.BaseURL
	}
	if base == nil {
		return nil, refused("the call's API has no base URL")
	}
	out, err := c.build(call, args)
	if err != nil {
		return nil, err
	}
	u := *base
	u.RawQuery, u.Fragment, u.RawFragment = out.query.Encode(), "", ""
	esc := strings.TrimSuffix(base.EscapedPath(), "/") + out.path
	u.Path, err = url.PathUnescape(esc)
	if err != nil {
		return nil, refused("the call's path does not decode: " + err.Error())
	}
	u.RawPath = esc
	rec.path = u.EscapedPath()
	if u.RawQuery != "" {
		rec.path += "?" + redact.Query(u.RawQuery)
	}

	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	var body io.Reader
	if out.body != nil {
		body = bytes.NewReader(out.body)
	}
	req, err := http.NewRequestWithContext(ctx, op.Method, u.String(), body)
	if err != nil {
		return nil, refused("the call does not make an HTTP request: " + redact.Text(err.Error()))
	}
	for k, vs := range out.header {
		req.Header[k] = vs
	}
	// The gateway's own headers share one backing array: one allocation, not one per header.
	// Each is sliced to its length and capacity, so that nothing appended to one spills into
	// the next.
	own := make([]string, 4)
	set := func(i int, k, v string) {
		own[i] = v
		req.Header[k] = own[i : i+1 : i+1]
	}
	set(0, "Accept", "application/json")
	set(1, "User-Agent", c.opts.UserAgent)
	if out.body != nil {
		set(2, "Content-Type", "application/json")
	}
	if tok, err := c.token(ctx, op.API); err != nil {
		return nil, &Error{Status: http.StatusBadGateway, Name: NameTokenUnavailable,
			Message: "Bad gateway: no access token for the upstream: " + redact.Text(err.Error()), err: err}
	} else if tok != "" {
		set(3, "Authorization", "Bearer "+tok)
	}

	so := c.operation(op)
	rec.op = so.op
	vs := c.checkRequest(so, req, out)
	c.record(rec, 0, vs)
	if c.opts.Mode == Enforce {
		if v, ok := breaksContract(vs); ok {
			msg := "Bad gateway: the request breaks the contract, so it was not sent: " + report.Describe(v)
			if len(vs) > 1 {
				msg += " (and " + strconv.Itoa(len(vs)-1) + " more)"
			}
			return nil, &Error{Status: http.StatusBadGateway, Name: NameRequestRefused, Message: msg}
		}
	}

	sent := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, err)
	}
	defer resp.Body.Close()
	// The body is read into a pooled buffer: the Result gets its own copy (the shaped answer),
	// so a call costs one allocation of the answer's size rather than io.ReadAll's growth.
	buf := bodyBuffers.Get().(*[]byte)
	data, over, err := readBody(resp.Body, (*buf)[:0], resp.ContentLength, c.opts.MaxResponseBytes)
	defer putBodyBuffer(buf, data)
	if err != nil {
		return nil, c.transportError(ctx, err)
	}
	if over {
		return nil, &Error{Status: http.StatusBadGateway, Name: NameTooLarge,
			Message: fmt.Sprintf("Bad gateway: the upstream's answer is over %d bytes", c.opts.MaxResponseBytes)}
	}
	if c.opts.Metrics != nil {
		c.opts.Metrics.upstreamTime(call.Name, time.Since(sent))
	}
	if so.op != nil {
		rvs := c.spec.CheckResponse(nil, so.op, resp.StatusCode, resp.Header, data)
		c.record(rec, resp.StatusCode, rvs)
	}
	return c.shape(call, resp, data, rec.violations, wantValue), nil
}

// token gives the bearer token of a call to api, "" for none.
func (c *Client) token(ctx context.Context, api *capability.API) (string, error) {
	if api == nil || api.Auth.Kind != "bearer" {
		return "", nil
	}
	if c.opts.Tokens != nil {
		return c.opts.Tokens.Token(ctx)
	}
	return api.Auth.Token, nil
}

// maxOpsCache bounds the resolved operations kept (one per consumed operation of a plan).
const maxOpsCache = 4096

// operation resolves a consumed operation in the spec, once.
func (c *Client) operation(op *capability.Op) specOp {
	c.opsMu.Lock()
	so, ok := c.ops[op]
	c.opsMu.Unlock()
	if ok {
		return so
	}
	tmpl := op.SpecPath
	if tmpl == "" {
		if op.API != nil && op.API.BaseURL != nil {
			tmpl = strings.TrimSuffix(op.API.BaseURL.Path, "/")
		}
		tmpl += strings.NewReplacer("{{", "{", "}}", "}").Replace(op.Path)
	}
	so.names = templateNames(tmpl)
	if op.Spec != nil && c.opts.Spec == nil {
		so.op = op.Spec
	} else {
		var pp validate.PathParams
		so.op, so.notOps, _ = c.spec.Find(op.Method, tmpl, &pp)
	}
	c.opsMu.Lock()
	if len(c.ops) < maxOpsCache {
		c.ops[op] = so
	}
	c.opsMu.Unlock()
	return so
}

// templateNames returns the {x} names of a path template, in order.
func templateNames(tmpl string) []string {
	var names []string
	for _, seg := range strings.Split(tmpl, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			names = append(names, strings.Trim(seg, "{}"))
		}
	}
	return names
}

// checkRequest validates the outgoing request against the spec's operation.
func (c *Client) checkRequest(so specOp, req *http.Request, out *request) []validate.Violation {
	if so.op == nil {
		if so.notOps != nil {
			return []validate.Violation{*so.notOps}
		}
		return nil
	}
	var pp validate.PathParams
	vals := make([]string, len(so.names))
	for i, n := range so.names {
		vals[i] = out.pathValues[n]
	}
	pp.Set(so.op, vals, true)
	return c.spec.CheckRequest(nil, so.op, &pp, req, out.body, validate.CheckOptions{UnknownQuery: true})
}

// breaksContract returns the first violation enforce mode refuses a request for: any but
// missing credentials, which the upstream answers best (401 and its envelope).
func breaksContract(vs []validate.Violation) (validate.Violation, bool) {
	for _, v := range vs {
		if v.Rule != validate.RuleSecurity {
			return v, true
		}
	}
	return validate.Violation{}, false
}

// record reports violations of a call: one JSON line each, metrics, a warning.
func (c *Client) record(rec *callRecord, status int, vs []validate.Violation) {
	if len(vs) == 0 {
		return
	}
	rec.violations += len(vs)
	opID := ""
	if rec.op != nil {
		opID = rec.op.ID
	}
	if c.opts.Metrics != nil {
		for _, v := range vs {
			c.opts.Metrics.violation(rec.name, v)
		}
	}
	if c.opts.Report != nil {
		recs := make([]report.Record, len(vs))
		now := time.Now().UTC()
		for i, v := range vs {
			recs[i] = report.Record{Time: now, RequestID: rec.requestID(), OperationID: opID, Method: rec.method, Path: rec.path,
				Status: status, Call: rec.name, Violation: v}
		}
		c.opts.Report.Add(report.Bucket(rec.op), recs)
	}
	c.log.Warn("an upstream call breaks the spec", "call", rec.name, "request", rec.requestID(), "status", status,
		"violations", len(vs), "first", report.Describe(vs[0]))
}

// transportError turns a failed round trip into an *Error.
func (c *Client) transportError(ctx context.Context, err error) *Error {
	if errors.Is(err, context.Canceled) && ctx.Err() != nil && !errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
		return &Error{Status: http.StatusBadGateway, Name: NameCanceled, Message: "Bad gateway: the caller gave up before the upstream answered", err: err}
	}
	e, _ := apierror.Transport(err)
	return &Error{Status: e.Status, Name: e.Name, Message: e.Message, err: err}
}

// finish counts and logs a call.
func (c *Client) finish(rec *callRecord, start time.Time, res *Result, err error) {
	took := time.Since(start)
	outcome := ""
	var ae *ArgError
	var ue *Error
	switch {
	case errors.As(err, &ae):
		outcome = "invalid_args"
		c.log.Debug("upstream call refused: bad arguments", "call", rec.name, "request", rec.requestID(), "field", ae.Field)
	case errors.As(err, &ue):
		outcome = ue.Name
		c.log.Warn("upstream call failed", "call", rec.name, "request", rec.requestID(), "method", rec.method, "path", rec.path,
			"error", ue.Name, "status", ue.Status, "cause", redactErr(ue.err), "took", took)
	case res != nil:
		outcome = statusClass(res.Status)
		// The line's arguments cost allocations on every call: built only when it is written.
		if c.log.Enabled(context.Background(), slog.LevelDebug) {
			c.log.Debug("upstream call", "call", rec.name, "request", rec.requestID(), "method", rec.method, "path", rec.path,
				"status", res.Status, "bytes", len(res.Body), "violations", res.Violations, "truncated", res.Truncated, "took", took)
		}
	}
	if c.opts.Metrics != nil {
		c.opts.Metrics.call(rec.name, outcome, took)
	}
}

func redactErr(err error) string {
	if err == nil {
		return ""
	}
	return redact.Text(err.Error())
}

// statusClass is a status as a bounded label: 2xx, 4xx...
func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return statusClasses[status/100-1]
}

var statusClasses = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

// shape builds the Result of an answer: mapped on a 2xx with outputs, else passed through, and
// cut to MaxResultBytes. data is the read buffer's: Body never shares it. Value is decoded only
// when wanted.
//
// A mapping that gives the whole answer (capability.FirstIsWhole) is applied without decoding:
// Body is canonical(data), the bytes encoding the decoded answer would give. Any other mapping
// decodes, applies and encodes.
func (c *Client) shape(call *capability.Call, resp *http.Response, data []byte, violations int, wantValue bool) *Result {
	res := &Result{Status: resp.StatusCode, Header: make(http.Header, 2), Violations: violations}
	for _, k := range [...]string{"Content-Type", "Retry-After"} {
		if v := resp.Header[k]; len(v) > 0 {
			res.Header[k] = v[:len(v):len(v)] // resp is dropped after this: no need to copy
		}
	}
	contentType := resp.Header.Get("Content-Type")
	// doc is the answer decoded (isJSON: it is JSON), once something needed it.
	var doc any
	decoded, isJSON, valued := false, false, false
	if resp.StatusCode >= 200 && resp.StatusCode < 300 && len(call.Outputs) > 0 && jsonMediaType(contentType) {
		whole, known := capability.FirstIsWhole(call.Outputs, jsonKind(data))
		slow := !known
		if known && whole {
			switch body, status := canonical(make([]byte, 0, len(data)), data); status {
			case canonicalDone:
				res.Body, res.Mapped = body, true
			case canonicalGaveUp:
				slow = true
			} // canonicalInvalid: the answer is not JSON, so nothing maps it
		}
		if slow {
			doc, isJSON = decodeJSON(contentType, data)
			decoded = true
			if v, ok := capability.First(call.Outputs, doc); isJSON && ok {
				var buf bytes.Buffer
				enc := json.NewEncoder(&buf)
				enc.SetEscapeHTML(false)
				if err := enc.Encode(v); err == nil {
					res.Body, res.Mapped = bytes.TrimSuffix(buf.Bytes(), []byte("\n")), true
					if wantValue {
						res.Value, valued = v, true
					}
				}
			}
		}
		if res.Mapped {
			res.Header["Content-Type"] = []string{"application/json"}
		}
	}
	if !res.Mapped {
		res.Body = bytes.Clone(data)
	}
	if wantValue && !valued {
		// The whole answer when it is mapped without decoding (canonical), else the body.
		if !decoded {
			doc, isJSON = decodeJSON(contentType, data)
		}
		if isJSON {
			res.Value = doc
		}
	}
	if len(res.Body) > c.opts.MaxResultBytes {
		res.Body = truncate(res.Body, c.opts.MaxResultBytes)
		res.Value, res.Truncated = nil, true
		res.Header.Set("Content-Type", "text/plain; charset=utf-8")
	}
	return res
}

// jsonMediaType reports whether a Content-Type names JSON (application/json or a +json type);
// an absent one is taken as JSON when the body parses.
func jsonMediaType(contentType string) bool {
	if contentType == "" || contentType == "application/json" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// jsonKind is the JSON type of a valid document's top-level value.
func jsonKind(data []byte) string {
	for _, b := range data {
		switch b {
		case ' ', '\t', '\n', '\r':
			continue
		case '{':
			return "object"
		case '[':
			return "array"
		case '"':
			return "string"
		case 't', 'f':
			return "boolean"
		case 'n':
			return "null"
		}
		return "number"
	}
	return ""
}

// decodeJSON decodes a JSON body (numbers kept exact as json.Number). ok is false for an empty
// body, another media type or malformed JSON.
func decodeJSON(contentType string, data []byte) (any, bool) {
	if len(bytes.TrimSpace(data)) == 0 || !jsonMediaType(contentType) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false // trailing data
	}
	return doc, true
}

// bodyBuffers holds read buffers of upstream answers; maxPooledBody bounds the ones kept, so a
// rare large answer does not stay in memory.
var bodyBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

const maxPooledBody = 256 << 10

func putBodyBuffer(buf *[]byte, data []byte) {
	if cap(data) <= maxPooledBody {
		*buf = data[:0]
		bodyBuffers.Put(buf)
	}
}

// readBody appends r's content to buf, up to limit bytes; over is true when r holds more. size
// is the announced length (-1 when unknown), used to size buf once.
func readBody(r io.Reader, buf []byte, size, limit int64) (data []byte, over bool, err error) {
	if size >= 0 && size <= limit {
		buf = slices.Grow(buf, int(size)+1) // +1: room to read the end without growing
	}
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, 512)
		}
		room := buf[len(buf):cap(buf)]
		if left := limit + 1 - int64(len(buf)); int64(len(room)) > left {
			room = room[:left]
		}
		n, err := r.Read(room)
		buf = buf[:len(buf)+n]
		switch {
		case int64(len(buf)) > limit:
			return buf, true, nil
		case err == io.EOF:
			return buf, false, nil
		case err != nil:
			return buf, false, err
		}
	}
}

// truncate cuts an answer to limit bytes, on a UTF-8 boundary, and appends the notice. The
// notice fits in the limit's slack: the whole body stays under limit + 200 bytes.
func truncate(body []byte, limit int) []byte {
	cut := limit
	for cut > 0 && !utf8.RuneStart(body[cut]) {
		cut--
	}
	notice := fmt.Sprintf("\n…[truncated: the answer is %d bytes, over the %d-byte limit; ask for less, with a smaller page size (limit) or another page]", len(body), limit)
	out := make([]byte, 0, cut+len(notice))
	out = append(out, body[:cut]...)
	return append(out, notice...)
}
