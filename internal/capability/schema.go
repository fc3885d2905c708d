package capability

import (
	"net/http"
	"slices"
	"sort"
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// The JSON Schemas of a Plan are written from the bundled spec's OpenAPI 3.0 schemas, with every
// $ref inlined and no $schema, so that each is a self-contained document any MCP client reads.
// Inputs and outputs differ in one way: an input schema never has a list of types, so a
// nullable OpenAPI value becomes its plain type (a caller has no reason to send null), while an
// output schema stays faithful to what the API answers and allows null where the spec does.

// schemaMode says whether a schema describes an input or an output.
type schemaMode int

const (
	forInput schemaMode = iota
	forOutput
)

// maxSchemaDepth bounds inlining, so that a recursive schema cannot inline forever; deeper
// levels become {} (anything). The Restream spec nests four levels at most.
const maxSchemaDepth = 24

// jsonSchema converts an OpenAPI schema into a JSON Schema document.
func jsonSchema(ref *openapi3.SchemaRef, mode schemaMode) map[string]any {
	return convertSchema(ref, mode, 0)
}

func convertSchema(ref *openapi3.SchemaRef, mode schemaMode, depth int) map[string]any {
	out := map[string]any{}
	if ref == nil || ref.Value == nil || depth > maxSchemaDepth {
		return out
	}
	s := ref.Value
	if s.Type != nil && len(*s.Type) > 0 {
		types := s.Type.Slice()
		switch {
		case len(types) == 1 && s.Nullable && mode == forOutput:
			out["type"] = []any{types[0], "null"}
		case len(types) == 1:
			out["type"] = types[0]
		case mode == forInput: // a 3.1 type list: the first non-null type
			for _, t := range types {
				if t != "null" {
					out["type"] = t
					break
				}
			}
		default:
			l := make([]any, len(types))
			for i, t := range types {
				l[i] = t
			}
			out["type"] = l
		}
	}
	if s.Description != "" {
		out["description"] = s.Description
	}
	if s.Format != "" {
		out["format"] = s.Format
	}
	if len(s.Enum) > 0 {
		enum := append([]any(nil), s.Enum...)
		if s.Nullable && mode == forOutput {
			enum = append(enum, nil)
		}
		out["enum"] = enum
	}
	if s.Default != nil {
		out["default"] = s.Default
	}
	if s.Min != nil {
		if s.ExclusiveMin.Bool != nil && *s.ExclusiveMin.Bool {
			out["exclusiveMinimum"] = *s.Min
		} else {
			out["minimum"] = *s.Min
		}
	} else if s.ExclusiveMin.Value != nil {
		out["exclusiveMinimum"] = *s.ExclusiveMin.Value
	}
	if s.Max != nil {
		if s.ExclusiveMax.Bool != nil && *s.ExclusiveMax.Bool {
			out["exclusiveMaximum"] = *s.Max
		} else {
			out["maximum"] = *s.Max
		}
	} else if s.ExclusiveMax.Value != nil {
		out["exclusiveMaximum"] = *s.ExclusiveMax.Value
	}
	if s.MultipleOf != nil {
		out["multipleOf"] = *s.MultipleOf
	}
	if s.MinLength > 0 {
		out["minLength"] = s.MinLength
	}
	if s.MaxLength != nil {
		out["maxLength"] = *s.MaxLength
	}
	if s.Pattern != "" {
		out["pattern"] = s.Pattern
	}
	if s.Items != nil {
		out["items"] = convertSchema(s.Items, mode, depth+1)
	}
	if s.MinItems > 0 {
		out["minItems"] = s.MinItems
	}
	if s.MaxItems != nil {
		out["maxItems"] = *s.MaxItems
	}
	if s.UniqueItems {
		out["uniqueItems"] = true
	}
	if len(s.Properties) > 0 {
		props := map[string]any{}
		for name, p := range s.Properties {
			props[name] = convertSchema(p, mode, depth+1)
		}
		out["properties"] = props
	}
	if len(s.Required) > 0 {
		req := make([]any, len(s.Required))
		for i, r := range s.Required {
			req[i] = r
		}
		out["required"] = req
	}
	switch {
	case s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has && mode == forOutput:
		// An answer may carry fields the spec does not list yet (the real API adds them): the
		// output schema, which MCP clients and the gateway check answers against, allows them,
		// and the spec check of every answer (internal/validate) reports them instead.
	case s.AdditionalProperties.Has != nil:
		out["additionalProperties"] = *s.AdditionalProperties.Has
	case s.AdditionalProperties.Schema != nil:
		out["additionalProperties"] = convertSchema(s.AdditionalProperties.Schema, mode, depth+1)
	}
	if s.MinProps > 0 {
		out["minProperties"] = s.MinProps
	}
	if s.MaxProps != nil {
		out["maxProperties"] = *s.MaxProps
	}
	for key, refs := range map[string]openapi3.SchemaRefs{"allOf": s.AllOf, "anyOf": s.AnyOf, "oneOf": s.OneOf} {
		if len(refs) == 0 {
			continue
		}
		l := make([]any, len(refs))
		for i, r := range refs {
			l[i] = convertSchema(r, mode, depth+1)
		}
		out[key] = l
	}
	if s.Not != nil {
		out["not"] = convertSchema(s.Not, mode, depth+1)
	}
	return out
}

// specOp is what the loader reads of one operation of the bundled spec beyond what
// validate.Operation compiles: its parameters and bodies as OpenAPI schemas.
type specOp struct {
	op  *validate.Operation
	kin *openapi3.Operation
	// params are the path, query and header parameters, path-level ones included.
	params []*openapi3.Parameter
	// body is the JSON request body's schema, or nil.
	body         *openapi3.SchemaRef
	bodyRequired bool
	// okStatus and okSchema are the first documented 2xx status and its JSON schema (nil when
	// that answer has no JSON body).
	okStatus int
	okSchema *openapi3.SchemaRef
}

// lookupSpecOp finds the OpenAPI details of a compiled operation.
func lookupSpecOp(doc *openapi3.T, op *validate.Operation) *specOp {
	so := &specOp{op: op}
	item := doc.Paths.Value(op.Path)
	if item == nil {
		return so
	}
	so.kin = item.GetOperation(op.Method)
	if so.kin == nil {
		return so
	}
	seen := map[string]bool{}
	add := func(ps openapi3.Parameters) {
		for _, p := range ps {
			if p == nil || p.Value == nil || seen[p.Value.In+" "+p.Value.Name] {
				continue
			}
			seen[p.Value.In+" "+p.Value.Name] = true
			so.params = append(so.params, p.Value)
		}
	}
	add(so.kin.Parameters) // operation-level parameters override path-level ones
	add(item.Parameters)
	if rb := so.kin.RequestBody; rb != nil && rb.Value != nil {
		if mt := rb.Value.Content.Get("application/json"); mt != nil {
			so.body, so.bodyRequired = mt.Schema, rb.Value.Required
		}
	}
	if so.kin.Responses != nil {
		var codes []int
		for code := range so.kin.Responses.Map() {
			if n, err := strconv.Atoi(code); err == nil && n >= 200 && n < 300 {
				codes = append(codes, n)
			}
		}
		sort.Ints(codes)
		if len(codes) > 0 {
			so.okStatus = codes[0]
			if r := so.kin.Responses.Status(codes[0]); r != nil && r.Value != nil {
				if mt := r.Value.Content.Get("application/json"); mt != nil {
					so.okSchema = mt.Schema
				}
			}
		}
	}
	return so
}

// param returns the spec's parameter of a name and location.
func (so *specOp) param(in, name string) *openapi3.Parameter {
	for _, p := range so.params {
		if p.In == in && p.Name == name {
			return p
		}
	}
	return nil
}

// okText names the operation's success answer for messages: "200".
func (so *specOp) okText() string {
	if so.okStatus == 0 {
		return "success"
	}
	return strconv.Itoa(so.okStatus) + " " + http.StatusText(so.okStatus)
}

// schemaType returns the single non-null type of a converted schema, or "".
func schemaType(s map[string]any) string {
	switch t := s["type"].(type) {
	case string:
		return t
	case []any:
		for _, x := range t {
			if x != "null" {
				if str, ok := x.(string); ok {
					return str
				}
			}
		}
	}
	return ""
}

// nullable reports whether a converted schema allows null.
func nullable(s map[string]any) bool {
	if l, ok := s["type"].([]any); ok {
		for _, x := range l {
			if x == "null" {
				return true
			}
		}
	}
	return false
}

// nonNull returns s without null among its types.
func nonNull(s map[string]any) map[string]any {
	if !nullable(s) {
		return s
	}
	out := make(map[string]any, len(s))
	for k, v := range s {
		out[k] = v
	}
	out["type"] = schemaType(s)
	if enum, ok := s["enum"].([]any); ok {
		var kept []any
		for _, e := range enum {
			if e != nil {
				kept = append(kept, e)
			}
		}
		out["enum"] = kept
	}
	return out
}

// typeFits reports whether a value of schema type have fits the declared type want.
func typeFits(want, have string) bool {
	return want == have || want == "number" && have == "integer" || want == "integer" && have == "number"
}

// The loader keeps a nullable output value as a list of types (["integer", "null"]) while it
// derives schemas, then writes each for its reader: OpenAPI 3.0 (the REST facade's
// /openapi.json) says nullable: true, and JSON Schema for MCP says anyOf [{type}, {type: null}],
// as some MCP clients accept a single type only.

// toOpenAPI30 writes a derived schema in OpenAPI 3.0's dialect.
func toOpenAPI30(s map[string]any) map[string]any {
	return rewriteSchema(s, func(out map[string]any, t string) map[string]any {
		out["type"], out["nullable"] = t, true
		return out
	})
}

// toJSONSchema writes a derived schema as JSON Schema with one type per schema.
func toJSONSchema(s map[string]any) map[string]any {
	return rewriteSchema(s, func(out map[string]any, t string) map[string]any {
		out["type"] = t
		if enum, ok := out["enum"].([]any); ok {
			var kept []any
			for _, e := range enum {
				if e != nil {
					kept = append(kept, e)
				}
			}
			out["enum"] = kept
		}
		alt := map[string]any{"anyOf": []any{out, map[string]any{"type": "null"}}}
		if d, ok := out["description"]; ok {
			alt["description"] = d
			delete(out, "description")
		}
		return alt
	})
}

// rewriteSchema copies s, giving every schema whose type is [t, "null"] to nullable(copy, t).
// It descends into the keywords that hold schemas, never into data (enum, default, const).
func rewriteSchema(s map[string]any, nullable func(out map[string]any, t string) map[string]any) map[string]any {
	if s == nil {
		return nil
	}
	out := make(map[string]any, len(s))
	for k, v := range s {
		switch k {
		case "properties":
			if props, ok := v.(map[string]any); ok {
				np := make(map[string]any, len(props))
				for name, p := range props {
					if ps, ok := p.(map[string]any); ok {
						np[name] = rewriteSchema(ps, nullable)
					} else {
						np[name] = p
					}
				}
				v = np
			}
		case "items", "additionalProperties", "not":
			if sub, ok := v.(map[string]any); ok {
				v = rewriteSchema(sub, nullable)
			}
		case "allOf", "anyOf", "oneOf":
			if l, ok := v.([]any); ok {
				nl := make([]any, len(l))
				for i, e := range l {
					if es, ok := e.(map[string]any); ok {
						nl[i] = rewriteSchema(es, nullable)
					} else {
						nl[i] = e
					}
				}
				v = nl
			}
		}
		out[k] = v
	}
	if types, ok := out["type"].([]any); ok {
		t := schemaType(out)
		if slices.Contains(types, any("null")) && t != "" {
			return nullable(out, t)
		}
		out["type"] = t // a list of several types: keep the first non-null one
	}
	return out
}
