package conformance

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/restreamkit/restreamkit/api/gen/controlapi"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// Limits are the request limits of the target, which the rejection suite crosses on purpose.
type Limits struct {
	MaxBodyBytes   int64 // mock.Options.MaxBodyBytes
	MaxHeaderBytes int   // mock.Options.MaxHeaderBytes
	// ControlGuard says the control API answers loopback Hosts only and refuses cross-origin
	// browser writes (403), and, with Target.ControlToken set, requests without the token (401).
	ControlGuard bool
}

// Rejections sends each kind of request the mock refuses before a handler runs to every
// operation of both specs, over real HTTP, and checks that the answer has the status that kind
// of refusal produces and that the operation's spec documents it, body and headers included
// (validate.Spec.CheckResponse):
//
//   - headers over the limit: 431;
//   - a body over the limit, whether or not the operation takes one: 413;
//   - a body the operation does not take, or one of an undocumented media type: 400;
//   - a malformed path or query parameter, for every parameter whose schema can be broken: 400;
//   - no access token, and a token without the operation's scope (secured operations): 401, 403;
//   - an injected fault of 429 and of 503 (Restream API operations): that status;
//   - with Limits.ControlGuard, a Host that is not loopback and a cross-origin browser write
//     (control operations): 403; and with Target.ControlToken, no control token: 401.
//
// The operations and their requests come from the specs themselves, so a new operation is
// covered as soon as it is described.
func Rejections(t T, tg Target, lim Limits) {
	specs := []struct {
		name string
		spec *validate.Spec
	}{{"restream", Spec(t)}, {"control", ControlSpec(t)}}
	token := tg.Token(t, Nova)
	for _, sp := range specs {
		for _, op := range sp.spec.Operations() {
			base := baseProbe(t, sp.spec, op)
			for _, rc := range rejectionClasses(sp.spec, op, lim, tg.ControlToken != "") {
				Run(t, sp.name+"/"+op.ID+"/"+rc.name, func(t T) {
					p := base.clone()
					switch {
					case len(op.Scopes) > 0:
						p.header.Set("Authorization", "Bearer "+token)
					case isControl(op) && tg.ControlToken != "":
						p.header.Set("Authorization", "Bearer "+tg.ControlToken)
					}
					rc.apply(t, tg, op, &p)
					if rc.fault != 0 {
						addFault(t, tg, op.ID, rc.fault)
						defer clearFaults(t, tg)
					}
					status, h, body := p.send(t, tg)
					if status != rc.want {
						t.Fatalf("%s %s answered %d, want %d: %s", p.method, p.path, status, rc.want, brief(body))
					}
					if vs := sp.spec.CheckResponse(nil, op, status, h, body); len(vs) > 0 {
						t.Fatalf("the %d of %s breaks the %s spec: %v", status, op.ID, sp.name, vs)
					}
				})
			}
		}
	}
}

// rejection is one kind of refused request: how to spoil a well-formed request, and the status
// the refusal must have.
type rejection struct {
	name  string
	want  int
	fault int // when set, a fault of this status is injected for the operation first
	apply func(t T, tg Target, op *validate.Operation, p *probe)
}

// rejectionClasses lists the refusals that apply to op; controlToken says the target's control
// API needs a token.
func rejectionClasses(spec *validate.Spec, op *validate.Operation, lim Limits, controlToken bool) []rejection {
	media := bodyMedia(spec, op)
	out := []rejection{
		{name: "headers over the limit", want: http.StatusRequestHeaderFieldsTooLarge,
			apply: func(_ T, _ Target, _ *validate.Operation, p *probe) {
				p.header.Set("X-Padding", strings.Repeat("h", lim.MaxHeaderBytes))
			}},
		{name: "a body over the limit", want: http.StatusRequestEntityTooLarge,
			apply: func(_ T, _ Target, _ *validate.Operation, p *probe) {
				ct := "application/json"
				if len(media) > 0 {
					ct = media[0]
				}
				p.header.Set("Content-Type", ct)
				p.body = bytes.Repeat([]byte("b"), int(lim.MaxBodyBytes)+1)
			}},
	}
	if len(media) == 0 {
		out = append(out, rejection{name: "a body the operation does not take", want: http.StatusBadRequest,
			apply: func(_ T, _ Target, _ *validate.Operation, p *probe) {
				p.header.Set("Content-Type", "application/json")
				p.body = []byte(`{}`)
			}})
	} else {
		out = append(out, rejection{name: "a body of an undocumented media type", want: http.StatusBadRequest,
			apply: func(_ T, _ Target, _ *validate.Operation, p *probe) {
				p.header.Set("Content-Type", "application/x-undocumented")
				p.body = []byte(`x`)
			}})
	}
	for _, prm := range parameters(spec, op) {
		bad, ok := malformed(prm.Schema.Value)
		if !ok || (prm.In != openapi3.ParameterInPath && prm.In != openapi3.ParameterInQuery) {
			continue
		}
		out = append(out, rejection{name: "a malformed " + prm.In + " parameter " + prm.Name, want: http.StatusBadRequest,
			apply: func(_ T, _ Target, op *validate.Operation, p *probe) { p.set(op, prm, bad) }})
	}
	if len(op.Scopes) > 0 {
		out = append(out,
			rejection{name: "no access token", want: http.StatusUnauthorized,
				apply: func(_ T, _ Target, _ *validate.Operation, p *probe) { p.header.Del("Authorization") }},
			rejection{name: "a token without the scope", want: http.StatusForbidden,
				apply: func(t T, tg Target, op *validate.Operation, p *probe) {
					p.header.Set("Authorization", "Bearer "+tg.Token(t, Nova, AllScopesBut(op.Scopes[0])...))
				}})
	}
	if !isControl(op) {
		for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
			out = append(out, rejection{name: "an injected " + strconv.Itoa(status), want: status, fault: status,
				apply: func(T, Target, *validate.Operation, *probe) {}})
		}
		return out
	}
	if lim.ControlGuard {
		out = append(out, rejection{name: "a Host that is not loopback", want: http.StatusForbidden,
			apply: func(_ T, _ Target, _ *validate.Operation, p *probe) { p.host = "rebound.example" }})
		if op.Method != http.MethodGet {
			out = append(out, rejection{name: "a cross-origin browser write", want: http.StatusForbidden,
				apply: func(_ T, _ Target, _ *validate.Operation, p *probe) {
					p.header.Set("Sec-Fetch-Site", "cross-site")
					p.header.Set("Origin", "http://rebound.example")
				}})
		}
		if controlToken && len(op.Security) > 0 { // public operations need no token
			out = append(out, rejection{name: "no control token", want: http.StatusUnauthorized,
				apply: func(_ T, _ Target, _ *validate.Operation, p *probe) { p.header.Del("Authorization") }})
		}
	}
	return out
}

// isControl reports whether op belongs to the control API.
func isControl(op *validate.Operation) bool { return strings.HasPrefix(op.Path, "/__mock/") }

// probe is one request to send.
type probe struct {
	method, path string
	query        url.Values
	header       http.Header
	host         string // the Host header; "" for the target's own
	body         []byte
}

func (p probe) clone() probe {
	c := p
	c.query = url.Values{}
	for k, v := range p.query {
		c.query[k] = append([]string(nil), v...)
	}
	c.header = p.header.Clone()
	return c
}

// set replaces one parameter's value.
func (p *probe) set(op *validate.Operation, prm *openapi3.Parameter, value string) {
	if prm.In == openapi3.ParameterInQuery {
		p.query.Set(prm.Name, value)
		return
	}
	p.path = fillPath(op.Path, map[string]string{prm.Name: value}, p.path)
}

func (p *probe) send(t T, tg Target) (int, http.Header, []byte) {
	t.Helper()
	target := p.path
	if len(p.query) > 0 {
		target += "?" + p.query.Encode()
	}
	return tg.send(t, p.method, target, p.host, p.header.Clone(), p.body)
}

// baseProbe builds a request to op that the spec accepts as far as the parameters go: every path
// parameter and every required query parameter has a value its schema allows. Whether the
// values name anything does not matter: each rejection is decided before a handler looks.
func baseProbe(t T, spec *validate.Spec, op *validate.Operation) probe {
	t.Helper()
	p := probe{method: op.Method, query: url.Values{}, header: http.Header{}}
	values := map[string]string{}
	for _, prm := range parameters(spec, op) {
		v, ok := sample(prm.Schema.Value)
		if !ok {
			t.Fatalf("%s: no sample value for parameter %s", op.ID, prm.Name)
		}
		switch {
		case prm.In == openapi3.ParameterInPath:
			values[prm.Name] = v
		case prm.In == openapi3.ParameterInQuery && prm.Required:
			p.query.Set(prm.Name, v)
		case prm.In == openapi3.ParameterInHeader && prm.Required:
			p.header.Set(prm.Name, v)
		}
	}
	p.path = fillPath(op.Path, values, op.Path)
	return p
}

// fillPath puts values into a path template; parameters without a value keep theirs from prev.
func fillPath(template string, values map[string]string, prev string) string {
	tsegs, psegs := strings.Split(template, "/"), strings.Split(prev, "/")
	for i, seg := range tsegs {
		if name, ok := strings.CutPrefix(seg, "{"); ok {
			if v, ok := values[strings.TrimSuffix(name, "}")]; ok {
				tsegs[i] = url.PathEscape(v)
			} else if len(psegs) == len(tsegs) {
				tsegs[i] = psegs[i]
			}
		}
	}
	return strings.Join(tsegs, "/")
}

// parameters returns op's parameters, path-level ones included, sorted by place and name.
func parameters(spec *validate.Spec, op *validate.Operation) []*openapi3.Parameter {
	item := spec.Doc().Paths.Value(op.Path)
	var out []*openapi3.Parameter
	for _, list := range []openapi3.Parameters{item.Parameters, item.GetOperation(op.Method).Parameters} {
		for _, ref := range list {
			out = append(out, ref.Value)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].In != out[j].In {
			return out[i].In < out[j].In
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// bodyMedia returns the media types of op's request body, sorted; none when it takes no body.
func bodyMedia(spec *validate.Spec, op *validate.Operation) []string {
	rb := spec.Doc().Paths.Value(op.Path).GetOperation(op.Method).RequestBody
	if rb == nil || rb.Value == nil {
		return nil
	}
	out := make([]string, 0, len(rb.Value.Content))
	for mt := range rb.Value.Content {
		out = append(out, mt)
	}
	sort.Strings(out)
	return out
}

// sample returns a value the schema accepts.
func sample(s *openapi3.Schema) (string, bool) {
	if len(s.Enum) > 0 {
		return scalarString(s.Enum[0])
	}
	switch {
	case s.Type.Is("integer"), s.Type.Is("number"):
		if s.Min != nil {
			return strconv.FormatFloat(*s.Min, 'f', -1, 64), true
		}
		return "1", true
	case s.Type.Is("boolean"):
		return "true", true
	case s.Type.Is("string"):
		if s.Format == "uuid" {
			return "00000000-0000-4000-8000-000000000000", true
		}
		if s.Pattern != "" {
			return "", false
		}
		return strings.Repeat("x", max(int(s.MinLength), 1)), true
	}
	return "", false
}

// malformed returns a value the schema refuses, when there is an obvious one.
func malformed(s *openapi3.Schema) (string, bool) {
	switch {
	case s.Type.Is("integer"), s.Type.Is("number"):
		return "not-a-number", true
	case s.Type.Is("boolean"):
		return "maybe", true
	case len(s.Enum) > 0:
		return "not-in-the-enum", true
	case s.Format == "uuid":
		return "not-a-uuid", true
	}
	return "", false
}

func scalarString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case int:
		return strconv.Itoa(v), true
	case bool:
		return strconv.FormatBool(v), true
	}
	return "", false
}

// addFault makes the next request to the operation fail with status.
func addFault(t T, tg Target, opID string, status int) {
	t.Helper()
	count := 1
	res, err := tg.control(t).AddFaultWithResponse(context.Background(), controlapi.AddFaultJSONRequestBody{
		Target: controlapi.Rest, OperationId: &opID, Status: &status, Count: &count})
	if err != nil || res.JSON201 == nil {
		t.Fatalf("injecting a %d for %s: %v %s", status, opID, err, brief(res.Body))
	}
}

func clearFaults(t T, tg Target) {
	t.Helper()
	res, err := tg.control(t).ClearFaultsWithResponse(context.Background())
	if err != nil || res.StatusCode() != http.StatusNoContent {
		t.Fatalf("clearing faults: %v %v", err, res)
	}
}

// brief shortens a body for a failure message.
func brief(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}

// ControlSpec returns the compiled control API spec.
func ControlSpec(t T) *validate.Spec {
	t.Helper()
	s, err := validate.ControlSpec()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
