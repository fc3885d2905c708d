package facade

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// openAPIVersion is the version of the OpenAPI format /openapi.json is written in: 3.0.3, the
// dialect of the bundled Restream spec the routes' schemas come from (nullable, single types),
// which kin-openapi and internal/validate both read.
const openAPIVersion = "3.0.3"

// errorSchemaRef is where the description keeps the error envelope's schema.
const errorSchemaRef = "#/components/schemas/ErrorEnvelope"

// document builds /openapi.json without its servers entry: every route with its parameters
// (schemas from the capability's inputs), its request body (an object of the body inputs,
// nothing else allowed) and its answers (the consumed operation's 2xx statuses with the route's
// output schema, and every error status the facade can send, each with the bundled spec's
// ErrorEnvelope).
func (f *Facade) document() ([]byte, error) {
	schemas, err := f.errorSchemas()
	if err != nil {
		return nil, err
	}
	title := f.opts.Title
	if title == "" {
		title = "restream-gateway REST facade (" + f.adapter.Namespace + ")"
	}
	version := f.opts.Version
	if version == "" {
		version = "1"
	}
	description := f.opts.Description
	if description != "" {
		description += "\n\n"
	}
	description += "Each route calls one operation of the Restream API with the gateway's credential. " +
		"Inputs are checked before the call: an undeclared query parameter or body field, a body on a route " +
		"that takes none, or a value that does not fit its schema is refused with 400 naming it. " +
		"A path no route serves answers 404 `not_found`; a route's path with another method answers 405 " +
		"`method_not_allowed` with an Allow header. Every error is Restream's error envelope."

	paths := map[string]any{}
	ids := map[string]bool{}
	for _, rt := range f.routes {
		item, _ := paths[rt.route.Path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.route.Path] = item
		}
		item[strings.ToLower(rt.route.Method)] = f.operation(rt, ids)
	}
	paths[OpenAPIPath] = map[string]any{"get": map[string]any{
		"operationId": uniqueID(ids, "openapi"),
		"summary":     "This description of the facade",
		"responses": map[string]any{"200": map[string]any{
			"description": "The OpenAPI " + openAPIVersion + " description of the facade.",
			"content":     map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}},
		}},
	}}
	components := map[string]any{"schemas": schemas}
	doc := map[string]any{
		"openapi":    openAPIVersion,
		"info":       map[string]any{"title": title, "version": version, "description": description},
		"paths":      paths,
		"components": components,
	}
	if f.opts.BearerAuth {
		components["securitySchemes"] = map[string]any{"gatewayToken": map[string]any{
			"type": "http", "scheme": "bearer",
			"description": "The gateway's own token (--auth-token), not a Restream token.",
		}}
		doc["security"] = []any{map[string]any{"gatewayToken": []any{}}}
	}
	return json.Marshal(doc)
}

// errorSchemas copies the bundled spec's ErrorEnvelope and the schemas it refers to.
func (f *Facade) errorSchemas() (map[string]any, error) {
	components := f.opts.Spec.Doc().Components
	out := map[string]any{}
	todo := []string{"ErrorEnvelope"}
	for len(todo) > 0 {
		name := todo[0]
		todo = todo[1:]
		if out[name] != nil {
			continue
		}
		ref := components.Schemas[name]
		if ref == nil || ref.Value == nil {
			return nil, fmt.Errorf("the Restream spec has no schema %s", name)
		}
		data, err := json.Marshal(ref.Value)
		if err != nil {
			return nil, err
		}
		var tree any
		if err := json.Unmarshal(data, &tree); err != nil {
			return nil, err
		}
		out[name] = tree
		walkRefs(tree, func(ref string) {
			if n, ok := strings.CutPrefix(ref, "#/components/schemas/"); ok {
				todo = append(todo, n)
			}
		})
	}
	return out, nil
}

func walkRefs(node any, fn func(string)) {
	switch n := node.(type) {
	case map[string]any:
		for k, v := range n {
			if s, ok := v.(string); ok && k == "$ref" {
				fn(s)
			}
			walkRefs(v, fn)
		}
	case []any:
		for _, v := range n {
			walkRefs(v, fn)
		}
	}
}

// uniqueID returns id, or id with a number, so that operationIds stay unique.
func uniqueID(ids map[string]bool, id string) string {
	out := id
	for i := 2; ids[out]; i++ {
		out = fmt.Sprintf("%s-%d", id, i)
	}
	ids[out] = true
	return out
}

// operation describes one route.
func (f *Facade) operation(rt *route, ids map[string]bool) map[string]any {
	r := rt.route
	id := r.Name
	if id == "" {
		id = strings.ToLower(r.Method) + strings.NewReplacer("/", "-", "{", "", "}", "").Replace(r.Path)
	}
	op := map[string]any{"operationId": uniqueID(ids, id)}
	if r.Description != "" {
		op["summary"] = r.Description
	}
	var successes []string
	if o := r.Call.Op; o != nil {
		desc := "Calls " + o.Ref + ": " + o.Method + " " + o.Path
		if o.Spec != nil {
			desc = "Calls " + o.Ref + ": " + o.Spec.Method + " " + o.Spec.Path + " (" + o.Spec.ID + ") of the Restream API."
			op["x-restream-operation"] = o.Spec.ID
			for _, st := range o.Spec.Statuses() {
				if st[0] == '2' {
					successes = append(successes, st)
				}
			}
		}
		op["description"] = desc
	}
	if len(successes) == 0 {
		successes = []string{"200"}
	}

	var params []any
	for _, in := range r.Inputs {
		if in.In == inBody {
			continue
		}
		p := map[string]any{"name": in.Name, "in": in.In, "schema": schemaOrAny(in.Schema)}
		if in.Required || in.In == inPath {
			p["required"] = true
		}
		if in.Description != "" {
			p["description"] = in.Description
		}
		params = append(params, p)
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if len(rt.body) > 0 {
		props := map[string]any{}
		for _, name := range rt.bodyNames {
			s := schemaOrAny(rt.body[name].in.Schema)
			if d := rt.body[name].in.Description; d != "" && s["description"] == nil {
				s = withDescription(s, d)
			}
			props[name] = s
		}
		body := map[string]any{"type": "object", "additionalProperties": false, "properties": props}
		if len(rt.bodyRequired) > 0 {
			body["required"] = rt.bodyRequired
		}
		op["requestBody"] = map[string]any{
			"required": len(rt.bodyRequired) > 0,
			"content":  map[string]any{"application/json": map[string]any{"schema": body}},
		}
	}

	responses := map[string]any{}
	for _, st := range successes {
		resp := map[string]any{"description": "Restream's answer, mapped by the capability."}
		if r.OutputSchema != nil {
			resp["content"] = map[string]any{"application/json": map[string]any{"schema": schemaOrAny(r.OutputSchema)}}
		} else {
			resp["description"] = "Restream's answer, which has no body."
		}
		responses[st] = resp
	}
	errResp := func(status, desc string) {
		resp := map[string]any{"description": desc,
			"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": errorSchemaRef}}}}
		if status == "429" || status[0] == '5' {
			resp["headers"] = map[string]any{"Retry-After": map[string]any{
				"description": "When to retry, in seconds or as an HTTP date, as Restream said.",
				"schema":      map[string]any{"type": "string"},
			}}
		}
		responses[status] = resp
	}
	errResp("400", "The request does not fit the route: `invalid_path_params`, `invalid_query_params`, "+
		"`invalid_header_params` or `invalid_body_params`, naming the parameter or field (an undeclared one "+
		"included); or Restream refused the call, passed through.")
	errResp("413", "The request body is over the facade's bound (`payload_too_large`).")
	if len(rt.body) > 0 {
		errResp("415", "The request body is not JSON (`unsupported_media_type`).")
	}
	if o := r.Call.Op; o != nil && o.Spec != nil {
		for _, st := range o.Spec.Statuses() {
			if len(st) != 3 || st[0] != '4' || st[1] == 'X' || responses[st] != nil {
				continue
			}
			errResp(st, upstreamErrorText(st))
		}
	}
	errResp("502", "Restream could not be reached or answered out of bounds (`upstream_unavailable`, "+
		"`upstream_tls_error`, `upstream_reset`, `upstream_too_large`, `upstream_unexpected_status`), or the "+
		"gateway's validation refused the call (`request_refused`).")
	errResp("504", "Restream did not answer in time (`upstream_timeout`).")
	errResp("4XX", "Any other refusal: Restream's, passed through with its status, or the gateway's "+
		"(a Host or Origin it does not serve, a missing or wrong inbound token).")
	errResp("5XX", "A failure of Restream, passed through with its status (`upstream_error` when Restream "+
		"sent no error envelope).")
	op["responses"] = responses
	return op
}

// upstreamErrorText describes an error status the consumed operation documents.
func upstreamErrorText(status string) string {
	switch status {
	case "401":
		return "Restream refused the gateway's access token (`invalid_token`): it is missing, expired or revoked."
	case "403":
		return "The gateway's access token lacks the scope the operation needs (`insufficient_scope`)."
	case "404":
		return "Restream has no such resource for the gateway's user (`not_found`)."
	case "429":
		return "Restream asks to slow down (`too_many_requests`)."
	}
	var code int
	_, _ = fmt.Sscanf(status, "%d", &code)
	return "Restream answered " + status + " " + http.StatusText(code) + ", passed through."
}

// schemaOrAny returns s written for OpenAPI 3.0, or the empty schema (any value) when the
// capability gave none.
func schemaOrAny(s map[string]any) map[string]any {
	if s == nil {
		return map[string]any{}
	}
	out, _ := openAPI30(s).(map[string]any)
	return out
}

// openAPI30 copies a schema, giving every array schema without items "items: {}": JSON Schema
// lets items default to anything, OpenAPI 3.0 requires it (a capability's pass-through array
// output may have none). The capability's maps are left as they are.
func openAPI30(node any) any {
	switch n := node.(type) {
	case map[string]any:
		out := make(map[string]any, len(n)+1)
		for k, v := range n {
			out[k] = openAPI30(v)
		}
		if out["type"] == "array" && out["items"] == nil {
			out["items"] = map[string]any{}
		}
		return out
	case []any:
		out := make([]any, len(n))
		for i, v := range n {
			out[i] = openAPI30(v)
		}
		return out
	}
	return node
}

// withDescription returns a copy of s with a description, leaving the capability's map as it is.
func withDescription(s map[string]any, d string) map[string]any {
	out := make(map[string]any, len(s)+1)
	for k, v := range s {
		out[k] = v
	}
	out["description"] = d
	return out
}

// serveOpenAPI answers GET /openapi.json: the document with the facade's own URL as its server.
func (f *Facade) serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	server := f.opts.ServerURL
	if server == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		server = scheme + "://" + r.Host
		if r.Host == "" {
			server = "/"
		}
	}
	url, _ := json.Marshal(server) // a string always encodes
	body := make([]byte, 0, len(f.doc)+len(url)+24)
	body = append(body, `{"servers":[{"url":`...)
	body = append(body, url...)
	body = append(body, "}],"...)
	body = append(body, f.doc[1:]...)
	h := w.Header()
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
