package upstream

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/restreamkit/restreamkit/internal/capability"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// How a call's arguments become a request (the dialect the README documents):
//
//   - An Input binding takes the caller's value with its JSON type. In a JSON body the type is
//     kept (PATCH {"active":false} stays a boolean); in the path, the query or a header a number
//     or a boolean is written in canonical form (42, 1.5, true). Text given for a path, query or
//     header slot is read as the upstream reads that parameter (validate.Schema.ReadParam: "42"
//     for an integer); in a body, text stays text. The value is checked against the slot's JSON
//     Schema; a misfit is an *ArgError naming the input, and nothing is sent. (An array of text
//     for a query slot is checked as it is: the REST facade reads its items itself.)
//   - An absent (or null) input leaves its slot out: an optional query parameter is not sent, a
//     body field is omitted (a PATCH stays partial). A null is sent only in a body, for a slot
//     whose schema is nullable. An absent required input is an *ArgError.
//   - A Template binding renders {{name}} placeholders from the caller's inputs; a placeholder
//     that names no input ({{tools.id}}) is looked up without its first dotted part (id), as the
//     format's rest.x / tools.x aliases mean. When a required slot's placeholders name nothing,
//     the first is reported missing. A rendered value is text and is not checked against the
//     slot: like a Literal it is the capability file's, and the spec check of the whole request
//     (report or enforce mode) is what judges it.
//   - Path values are percent-encoded as one segment each ("/" becomes %2F); an empty value, "."
//     and ".." are refused, as they would name another resource. Header values must not hold
//     line breaks. Arrays go to the query as repeated keys, to the path and headers joined with
//     commas (OpenAPI's default styles); objects go to a body only.

// maxSchemaCache bounds the compiled slot schemas kept: slots come from a loaded plan, so the
// cache holds each once; calls built on the fly beyond the bound are checked uncached.
const maxSchemaCache = 4096

// request is a call's arguments laid out for HTTP.
type request struct {
	path       string            // Op.Path with its variables filled, percent-encoded
	pathValues map[string]string // percent-encoded values by the spec's names
	query      url.Values
	header     http.Header
	body       []byte // a JSON object, or nil when the call binds no body field
}

// schemaCache compiles slot schemas once.
type schemaCache struct {
	mu sync.Mutex
	m  map[*capability.Slot]*validate.Schema
}

// get returns the compiled schema of a slot, or nil when it has none or does not compile (the
// spec check of the request still judges the value).
func (c *schemaCache) get(slot *capability.Slot) *validate.Schema {
	if len(slot.Schema) == 0 {
		return nil
	}
	c.mu.Lock()
	s, ok := c.m[slot]
	c.mu.Unlock()
	if ok {
		return s
	}
	raw, err := json.Marshal(slot.Schema)
	if err == nil {
		var out map[string]*validate.Schema
		if out, err = validate.CompileDocuments(validate.OpenAPI30, map[string][]byte{"slot": raw}, "slot"); err == nil {
			s = out["slot"]
		}
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[*capability.Slot]*validate.Schema{}
	}
	if len(c.m) < maxSchemaCache {
		c.m[slot] = s
	}
	c.mu.Unlock()
	return s
}

// build lays out args for call. The error is an *ArgError (the caller's input) or an *Error
// (a call the plan left incomplete).
func (c *Client) build(call *capability.Call, args map[string]any) (*request, error) {
	// The maps are made when a binding needs them: a call without parameters allocates none.
	req := &request{}
	var body map[string]any
	var pathVals map[string]string // by the slot's capability name
	for _, b := range call.Bindings {
		if b == nil || b.Slot == nil {
			continue
		}
		slot := b.Slot
		v, present, err := c.bindingValue(b, args)
		if err != nil {
			return nil, err
		}
		if !present {
			if slot.Required {
				return nil, &ArgError{Field: bindingField(b), Message: "is required"}
			}
			continue
		}
		if slot.In == "body" {
			if body == nil {
				body = map[string]any{}
			}
			body[specName(slot)] = v
			continue
		}
		switch slot.In {
		case "path":
			text, err := joinText(b, v)
			if err != nil {
				return nil, err
			}
			if text == "" || text == "." || text == ".." {
				return nil, &ArgError{Field: bindingField(b), Message: "must not be empty, \".\" or \"..\" (it is a path segment)"}
			}
			esc := url.PathEscape(text)
			if pathVals == nil {
				pathVals, req.pathValues = map[string]string{}, map[string]string{}
			}
			pathVals[slot.Name] = esc
			req.pathValues[specName(slot)] = esc
		case "query":
			if req.query == nil {
				req.query = url.Values{}
			}
			if list, ok := v.([]any); ok {
				for _, e := range list {
					text, err := scalarText(b, e)
					if err != nil {
						return nil, err
					}
					req.query.Add(specName(slot), text)
				}
				continue
			}
			text, err := scalarText(b, v)
			if err != nil {
				return nil, err
			}
			req.query.Set(specName(slot), text)
		case "header":
			text, err := joinText(b, v)
			if err != nil {
				return nil, err
			}
			if strings.ContainsAny(text, "\r\n\x00") {
				return nil, &ArgError{Field: bindingField(b), Message: "must not contain line breaks (it is a header value)"}
			}
			if req.header == nil {
				req.header = http.Header{}
			}
			req.header.Set(specName(slot), text)
		default:
			return nil, &Error{Status: http.StatusBadGateway, Name: NameRequestRefused,
				Message: "the call binds " + strconv.Quote(slot.Name) + " in " + strconv.Quote(slot.In) + ", which the invoker cannot send"}
		}
	}
	path, err := fillPath(call.Op, pathVals)
	if err != nil {
		return nil, err
	}
	req.path = path
	if body != nil {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(body); err != nil {
			return nil, &ArgError{Field: "body", Message: "cannot be written as JSON: " + err.Error()}
		}
		req.body = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	}
	return req, nil
}

// specName is the name the upstream knows a slot by.
func specName(s *capability.Slot) string {
	if s.SpecName != "" {
		return s.SpecName
	}
	return s.Name
}

// bindingField names a binding in an ArgError: the caller's input, else the slot.
func bindingField(b *capability.Binding) string {
	if b.Input != "" {
		return b.Input
	}
	if b.Template != "" && b.Literal == nil {
		if names, err := capability.TemplateNames(b.Template); err == nil && len(names) > 0 {
			return names[0]
		}
	}
	return b.Slot.Name
}

// bindingValue gives the value b fills its slot with; present is false when the slot is to be
// left out.
func (c *Client) bindingValue(b *capability.Binding, args map[string]any) (v any, present bool, err error) {
	slot := b.Slot
	switch {
	case b.Input != "":
		v, ok := args[b.Input]
		if !ok {
			return nil, false, nil
		}
		if v == nil {
			if slot.In == "body" && nullable(slot.Schema) {
				return nil, true, nil
			}
			return nil, false, nil
		}
		if text, ok := v.(string); ok && slot.In != "body" {
			// Text for the path, the query or a header, as a REST caller gives it: read with
			// the parameter grammar the upstream reads it with ("42" for an integer).
			if s := c.schemas.get(slot); s != nil {
				v, vs := s.ReadParam(nil, validate.Location(slot.In), b.Input, text)
				if len(vs) > 0 {
					return nil, false, argError(b.Input, vs)
				}
				return v, true, nil
			}
		}
		if err := c.check(b.Input, slot, v); err != nil {
			return nil, false, err
		}
		return v, true, nil
	case b.Literal != nil:
		return b.Literal, true, nil
	case b.Template != "":
		found := false
		out, err := capability.Render(b.Template, func(name string) (string, bool) {
			v, ok := lookup(args, name)
			if !ok || v == nil {
				return "", false
			}
			text, err := scalarText(b, v)
			if err != nil {
				return "", false
			}
			found = true
			return text, true
		})
		if err != nil {
			return nil, false, &Error{Status: http.StatusBadGateway, Name: NameRequestRefused, Message: "the call's template for " + strconv.Quote(slot.Name) + " is broken: " + err.Error()}
		}
		names, _ := capability.TemplateNames(b.Template)
		if len(names) > 0 && !found {
			return nil, false, nil // every placeholder names nothing: the slot is absent
		}
		return out, true, nil
	}
	return nil, false, nil
}

// lookup finds a template placeholder's input: by its name, else without its first dotted part
// ({{tools.id}} is the input id).
func lookup(args map[string]any, name string) (any, bool) {
	if v, ok := args[name]; ok {
		return v, true
	}
	if _, rest, ok := strings.Cut(name, "."); ok {
		v, ok := args[rest]
		return v, ok
	}
	return nil, false
}

// check validates an input's value against its slot's schema.
func (c *Client) check(input string, slot *capability.Slot, v any) error {
	s := c.schemas.get(slot)
	if s == nil {
		return nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return &ArgError{Field: input, Message: "is not a JSON value: " + err.Error()}
	}
	if vs := s.Check(nil, raw, validate.Request); len(vs) > 0 {
		return argError(input, vs)
	}
	return nil
}

// argError names the first violation of an input's value.
func argError(input string, vs []validate.Violation) *ArgError {
	field := input
	if p := vs[0].Pointer; p != "" {
		field = "/" + input + p
	}
	msg := vs[0].Message
	if len(vs) > 1 {
		msg += " (and " + strconv.Itoa(len(vs)-1) + " more)"
	}
	return &ArgError{Field: field, Message: msg}
}

// schemaType is the JSON type a schema names, leaving null aside ("" for none or several).
func schemaType(schema map[string]any) string {
	switch t := schema["type"].(type) {
	case string:
		return t
	case []any:
		var found string
		for _, x := range t {
			if s, ok := x.(string); ok && s != "null" {
				if found != "" {
					return ""
				}
				found = s
			}
		}
		return found
	}
	return ""
}

// nullable reports whether a schema accepts null (OpenAPI 3.0's nullable, or a type list).
func nullable(schema map[string]any) bool {
	if b, _ := schema["nullable"].(bool); b {
		return true
	}
	if list, ok := schema["type"].([]any); ok {
		for _, x := range list {
			if x == "null" {
				return true
			}
		}
	}
	return false
}

// jsonNumber writes a finite float as encoding/json does: 42, 1.5, 1e+21; never 4.2e+01.
func jsonNumber(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

// quoteBrief quotes a caller's value for a message, cut to a few dozen bytes.
func quoteBrief(s string) string {
	const limit = 40
	if len(s) > limit {
		cut := limit
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		return strconv.Quote(s[:cut]) + "…"
	}
	return strconv.Quote(s)
}

// scalarText writes a scalar as the path, query or a header carries it.
func scalarText(b *capability.Binding, v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case json.Number:
		if !json.Valid([]byte(x)) {
			return "", &ArgError{Field: bindingField(b), Message: "is not a valid number: " + quoteBrief(string(x))}
		}
		return string(x), nil
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return "", &ArgError{Field: bindingField(b), Message: "is not a finite number"}
		}
		return jsonNumber(x), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	}
	return "", &ArgError{Field: bindingField(b), Message: "must be a single value (a string, number or boolean) here"}
}

// joinText writes a value for the path or a header: a scalar, or an array joined with commas.
func joinText(b *capability.Binding, v any) (string, error) {
	list, ok := v.([]any)
	if !ok {
		return scalarText(b, v)
	}
	parts := make([]string, len(list))
	for i, e := range list {
		var err error
		if parts[i], err = scalarText(b, e); err != nil {
			return "", err
		}
	}
	return strings.Join(parts, ","), nil
}

// fillPath fills Op.Path's {x} and {{x}} variables with percent-encoded values, found by the
// slot's capability name or its spec name.
func fillPath(op *capability.Op, vals map[string]string) (string, error) {
	var b strings.Builder
	rest := op.Path
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		rest = rest[i:]
		open, closing := "{", "}"
		if strings.HasPrefix(rest, "{{") {
			open, closing = "{{", "}}"
		}
		j := strings.Index(rest, closing)
		if j < 0 {
			return "", refused("the operation's path " + strconv.Quote(op.Path) + " has an unclosed variable")
		}
		name := strings.TrimSpace(rest[len(open):j])
		rest = rest[j+len(closing):]
		v, ok := vals[name]
		if !ok {
			for _, s := range op.Slots {
				if s.In == "path" && (s.SpecName == name || s.Name == name) {
					v, ok = vals[s.Name]
					break
				}
			}
		}
		if !ok {
			return "", refused("the call does not bind the path variable {" + name + "} of " + op.Path)
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

// refused is the error of a call the plan left incomplete: nothing is sent.
func refused(msg string) *Error {
	return &Error{Status: http.StatusBadGateway, Name: NameRequestRefused, Message: msg}
}
