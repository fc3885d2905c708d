package facade

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/gateway/upstream"
	"github.com/restreamkit/restreamkit/internal/redact"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// Error names the facade adds to the upstream package's: an upstream error answer that is not
// Restream's envelope, and an upstream status a REST client cannot be handed (1xx, 3xx).
const (
	NameUpstreamError            = "upstream_error"
	NameUpstreamUnexpectedStatus = "upstream_unexpected_status"
	nameUpstreamUnavailable      = "upstream_unavailable"
	nameUpstreamTooLarge         = "upstream_too_large"
)

// invokeError answers an invoker's failure: an ArgError is the caller's (400, named by where the
// input came from), an upstream.Error says why Restream gave no answer (502 or 504).
func (f *Facade) invokeError(r *http.Request, rt *route, err error) *apierror.Error {
	var ae *upstream.ArgError
	var ue *upstream.Error
	switch {
	case errors.As(err, &ae):
		field := strings.TrimPrefix(ae.Field, "/")
		top, _, _ := strings.Cut(field, "/")
		detail := strconv.Quote(strings.ReplaceAll(field, "/", ".")) + " " + ae.Message
		for _, in := range rt.route.Inputs {
			if in.Name == top {
				return apierror.InvalidParams(in.In, detail)
			}
		}
		// A value the call fills from a template or a constant: not one the client names.
		return apierror.New(http.StatusBadRequest, apierror.NameInvalidRequest, "Invalid request: "+detail)
	case errors.As(err, &ue):
		status, name := ue.Status, ue.Name
		if status != http.StatusBadGateway && status != http.StatusGatewayTimeout {
			f.log.Error("the invoker reported an upstream failure with a status outside 502 and 504",
				"call", rt.route.Call.Name, "status", status, "name", name)
			status = http.StatusBadGateway
		}
		if name == "" {
			name = nameUpstreamUnavailable
		}
		return apierror.New(status, name, ue.Message)
	}
	if r.Context().Err() == nil || !errors.Is(err, context.Canceled) {
		f.log.Error("the invoker failed without saying why", "call", rt.route.Call.Name, "err", redact.Text(err.Error()))
	}
	return apierror.New(http.StatusBadGateway, nameUpstreamUnavailable, "Bad gateway: the call to Restream failed")
}

// writeResult sends the invoker's answer: a 2xx with its body as it is (the mapped JSON, or
// Restream's body when nothing was mapped; an empty body stays empty); an error with Restream's
// envelope and status, or, when Restream's body is not its envelope, an envelope of the facade
// with the same status; an answer the invoker truncated as a 502. Retry-After is passed on.
func (f *Facade) writeResult(w http.ResponseWriter, r *http.Request, res *upstream.Result) {
	if res == nil {
		f.log.Error("the invoker returned neither an answer nor an error", "path", r.URL.Path)
		apierror.New(http.StatusBadGateway, nameUpstreamUnavailable, "Bad gateway: the call to Restream gave no answer").Write(w)
		return
	}
	retryAfter := res.Header.Get("Retry-After")
	st := res.Status
	switch {
	case res.Truncated:
		// A body cut to the invoker's cap is no longer the JSON (or the envelope) it was; a
		// REST client is better told than handed half a document under its media type.
		apierror.Newf(http.StatusBadGateway, nameUpstreamTooLarge,
			"Bad gateway: Restream's %d answer is over the gateway's size cap", st).Write(w)
	case st >= 400 && st <= 599:
		if isJSON(res.Header.Get("Content-Type")) && len(res.Body) > 0 && len(f.envelope.Check(nil, res.Body, validate.Response)) == 0 {
			f.write(w, st, "application/json; charset=utf-8", retryAfter, res.Body)
			return
		}
		e := apierror.Newf(st, NameUpstreamError, "Restream answered %d %s without its error envelope", st, http.StatusText(st))
		if retryAfter != "" {
			e = e.WithHeader("Retry-After", retryAfter)
		}
		e.Write(w)
	case st >= 200 && st <= 299:
		ct := res.Header.Get("Content-Type")
		switch {
		case len(res.Body) == 0 || st == http.StatusNoContent:
			ct = ""
		case res.Mapped:
			ct = "application/json"
		case ct == "":
			ct = "application/octet-stream"
		}
		f.write(w, st, ct, retryAfter, res.Body)
	default:
		apierror.Newf(http.StatusBadGateway, NameUpstreamUnexpectedStatus,
			"Bad gateway: Restream answered with status %d, which the facade cannot pass on", st).Write(w)
	}
}

// write sends an answer. Answers may carry stream keys, so no cache keeps them, and no browser
// sniffs a type the facade did not declare.
func (f *Facade) write(w http.ResponseWriter, status int, contentType, retryAfter string, body []byte) {
	// The headers share one backing array (one allocation, not one per header), each sliced to
	// its length and capacity so that an Add to one never spills into the next.
	h := w.Header()
	own := make([]string, 5)
	set := func(i int, k, v string) {
		own[i] = v
		h[k] = own[i : i+1 : i+1]
	}
	set(0, "Cache-Control", "no-store")
	set(1, "X-Content-Type-Options", "nosniff")
	if retryAfter != "" {
		set(2, "Retry-After", retryAfter)
	}
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	if contentType != "" {
		set(3, "Content-Type", contentType)
	}
	set(4, "Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// isJSON reports whether a Content-Type is application/json or a +json type.
func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}
