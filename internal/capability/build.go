package capability

import (
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// This file builds the exposed adapters: the REST facade's routes and the MCP server's tools,
// each a Call of a consumed operation with its bindings, the caller's inputs and the JSON
// Schemas of both ends, derived from the bundled spec.

// maxMappingDepth bounds how deeply output mappings nest (properties in items in properties...).
const maxMappingDepth = 16

var hostName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)

// adapterCommon checks what REST and MCP adapters share: namespace, address and port. It
// returns false when the adapter cannot be built.
func (l *loader) adapterCommon(file string, line int, el, ns, address string, port int, needPort bool) (string, bool) {
	ok := true
	switch {
	case ns == "":
		l.errorf(file, line, el, "namespace is missing")
		ok = false
	case !kebabName.MatchString(ns):
		l.errorf(file, line, el, "namespace %q is not kebab-case (letters, digits and -)", ns)
		ok = false
	default:
		if prev, dup := l.namespaces[ns]; dup {
			l.errorf(file, line, el, "namespace %s is already used by %s", ns, prev)
			ok = false
		} else {
			l.namespaces[ns] = el
		}
	}
	if address == "" {
		address = "127.0.0.1"
	} else if net.ParseIP(address) == nil && !hostName.MatchString(address) {
		l.errorf(file, line, el, "address %q is not a host name or an IP address", address)
		ok = false
	}
	switch {
	case !needPort:
		if port != 0 {
			l.errorf(file, line, el, "port is set, but a stdio MCP server listens on no port")
			ok = false
		}
	case port == 0:
		l.errorf(file, line, el, "port is missing")
		ok = false
	case port < 1 || port > 65535:
		l.errorf(file, line, el, "port %d is not between 1 and 65535", port)
		ok = false
	default:
		if prev, clash := l.ports[port]; clash {
			l.errorf(file, line, el, "port %d is also the port of %s", port, prev)
			ok = false
		} else {
			l.ports[port] = el
		}
	}
	return address, ok
}

// buildREST builds a REST facade.
func (l *loader) buildREST(file string, r *rawREST, i int) *RESTAdapter {
	if r == nil {
		return nil
	}
	el := fmt.Sprintf("exposes[%d] rest", i)
	if r.Namespace != "" {
		el = "rest " + r.Namespace
	}
	l.unknownKeys(file, el, r.meta)
	if r.Description != "" {
		l.warn(file, wNotInFormat, el+": description")
	}
	address, ok := l.adapterCommon(file, r.line, el, r.Namespace, r.Address, r.Port, true)
	if r.Authentication != nil {
		l.errorf(file, r.Authentication.line, el, "authentication of callers is not read from the file: restream-gateway guards its adapters with --auth-token")
		ok = false
	}
	if len(r.Resources) == 0 {
		l.errorf(file, r.line, el, "resources is missing: a REST adapter serves at least one")
		ok = false
	}
	a := &RESTAdapter{Namespace: r.Namespace, Address: address, Port: r.Port}
	routes := map[string]string{} // "METHOD /normalised/{}" → element
	names := map[string]bool{}
	for ri, res := range r.Resources {
		if res == nil {
			continue
		}
		rel := fmt.Sprintf("%s resource[%d]", el, ri)
		if res.Path != "" {
			rel = el + " " + res.Path
		}
		l.unknownKeys(file, rel, res.meta)
		tpl, vars, err := pathTemplate(res.Path)
		switch {
		case res.Path == "":
			l.errorf(file, res.line, rel, "path is missing")
			ok = false
			continue
		case err != nil:
			l.errorf(file, res.line, rel, "%v", err)
			ok = false
			continue
		case res.Forward != nil:
			l.errorf(file, res.line, rel, "forward is not supported by restream-gateway: every route calls one declared operation")
			ok = false
			continue
		case len(res.Operations) == 0:
			l.errorf(file, res.line, rel, "operations is missing: a resource has at least one")
			ok = false
			continue
		}
		for _, o := range res.Operations {
			if o == nil {
				continue
			}
			method := strings.ToUpper(o.Method)
			oel := fmt.Sprintf("%s %s %s", el, method, tpl)
			l.unknownKeys(file, oel, o.meta)
			switch method {
			case "GET", "POST", "PUT", "PATCH", "DELETE":
			case "":
				l.errorf(file, o.line, oel, "method is missing")
				ok = false
				continue
			default:
				l.errorf(file, o.line, oel, "method %q is not one of GET, POST, PUT, PATCH, DELETE", o.Method)
				ok = false
				continue
			}
			key := method + " " + normalTemplate(tpl)
			if prev, dup := routes[key]; dup {
				l.errorf(file, o.line, oel, "%s %s is already served by %s", method, tpl, prev)
				ok = false
				continue
			}
			routes[key] = oel
			if o.Name != "" {
				if names[o.Name] {
					l.errorf(file, o.line, oel, "operation name %s is used twice in %s", o.Name, r.Namespace)
					ok = false
				}
				names[o.Name] = true
			}
			if o.Steps != nil || o.Mappings != nil {
				l.errorf(file, o.line, oel, "orchestrated operations (steps, mappings) are not supported by restream-gateway: call one operation")
				ok = false
				continue
			}
			params := append(slices.Clone(res.InputParameters), o.InputParameters...)
			route := &Route{Name: o.Name, Description: firstNonEmpty(o.Description, res.Description), Method: method, Path: tpl}
			call, inputs, output, built := l.buildCall(file, o.line, oel, o.Call, o.With, params, o.OutputParameters,
				valueCtx{adapter: "rest", namespace: r.Namespace, element: oel}, vars, method)
			if !built {
				ok = false
				continue
			}
			call.Name = "rest " + method + " " + tpl
			route.Call, route.Inputs = call, inputs
			if output != nil {
				route.OutputSchema = toOpenAPI30(output)
			}
			a.Routes = append(a.Routes, route)
		}
	}
	if !ok {
		return nil
	}
	return a
}

// buildMCP builds an MCP server.
func (l *loader) buildMCP(file string, m *rawMCP, i int) *MCPAdapter {
	if m == nil {
		return nil
	}
	el := fmt.Sprintf("exposes[%d] mcp", i)
	if m.Namespace != "" {
		el = "mcp " + m.Namespace
	}
	l.unknownKeys(file, el, m.meta)
	transport := m.Transport
	ok := true
	switch transport {
	case "", "http":
		transport = "http"
	case "stdio":
	default:
		l.errorf(file, m.line, el, "transport %q is not http or stdio", m.Transport)
		ok = false
	}
	address, fine := l.adapterCommon(file, m.line, el, m.Namespace, m.Address, m.Port, transport != "stdio")
	ok = ok && fine
	if m.Authentication != nil {
		l.errorf(file, m.Authentication.line, el, "authentication of callers is not read from the file: restream-gateway guards its adapters with --auth-token")
		ok = false
	}
	if m.Resources != nil {
		l.errorf(file, m.Resources.Line, el, "MCP resources are not supported by restream-gateway (tools are)")
		ok = false
	}
	if m.Prompts != nil {
		l.errorf(file, m.Prompts.Line, el, "MCP prompts are not supported by restream-gateway (tools are)")
		ok = false
	}
	if len(m.Tools) == 0 {
		l.errorf(file, m.line, el, "tools is missing: an MCP server has at least one")
		ok = false
	}
	a := &MCPAdapter{Namespace: m.Namespace, Description: strings.TrimSpace(m.Description), Transport: transport, Address: address, Port: m.Port}
	if transport == "stdio" {
		a.Address = ""
	}
	names := map[string]bool{}
	for ti, t := range m.Tools {
		if t == nil {
			continue
		}
		tel := fmt.Sprintf("%s tool[%d]", el, ti)
		if t.Name != "" {
			tel = el + " tool " + t.Name
		}
		l.unknownKeys(file, tel, t.meta)
		switch {
		case t.Name == "":
			l.errorf(file, t.line, tel, "name is missing")
			ok = false
			continue
		case !toolName.MatchString(t.Name):
			l.errorf(file, t.line, tel, "name %q does not match ^[A-Za-z0-9_-]{1,64}$, which every MCP client accepts", t.Name)
			ok = false
			continue
		case names[t.Name]:
			l.errorf(file, t.line, tel, "tool name %s is used twice", t.Name)
			ok = false
			continue
		}
		names[t.Name] = true
		if strings.TrimSpace(t.Description) == "" {
			l.errorf(file, t.line, tel, "description is missing: the format requires one, and it is what a model reads to choose the tool")
			ok = false
		}
		if t.Steps != nil || t.Mappings != nil || t.Ref != nil {
			l.errorf(file, t.line, tel, "orchestrated or referenced tools (steps, mappings, ref) are not supported by restream-gateway: call one operation")
			ok = false
			continue
		}
		tool := &Tool{Name: t.Name, Title: t.Label, Description: strings.TrimSpace(t.Description)}
		if t.Hints != nil {
			l.unknownKeys(file, tel+" hints", t.Hints.meta)
			if l.alpha1(file) {
				l.warn(file, wAlpha2, "hints")
			}
			tool.Hints = Hints{ReadOnly: t.Hints.ReadOnly, Destructive: t.Hints.Destructive, Idempotent: t.Hints.Idempotent, OpenWorld: t.Hints.OpenWorld}
		}
		call, inputs, output, built := l.buildCall(file, t.line, tel, t.Call, t.With, t.InputParameters, t.OutputParameters,
			valueCtx{adapter: "mcp", namespace: m.Namespace, element: tel}, nil, "")
		if !built {
			ok = false
			continue
		}
		call.Name = "mcp " + t.Name
		tool.Call, tool.Inputs = call, inputs
		tool.InputSchema = objectSchema(inputs)
		if output != nil {
			if schemaType(output) != "object" {
				tool.WrapsResult = true
				output = map[string]any{"type": "object", "properties": map[string]any{"result": output}, "required": []any{"result"}}
			}
			tool.OutputSchema = toJSONSchema(output)
		}
		a.Tools = append(a.Tools, tool)
	}
	if !ok {
		return nil
	}
	return a
}

// objectSchema is the inputSchema of a tool: an object of its inputs.
func objectSchema(inputs []*Input) map[string]any {
	props := map[string]any{}
	var req []any
	for _, in := range inputs {
		props[in.Name] = in.Schema
		if in.Required {
			req = append(req, in.Name)
		}
	}
	s := map[string]any{"type": "object", "properties": props}
	if len(req) > 0 {
		s["required"] = req
	}
	return s
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x = strings.TrimSpace(x); x != "" {
			return x
		}
	}
	return ""
}

// target resolves a call reference "<namespace>.<operation>". It returns nil when the reference
// is wrong (reported) or when the operation itself failed its checks (reported there).
func (l *loader) target(file string, line int, el, ref string) *opState {
	if ref == "" {
		l.errorf(file, line, el, "call is missing (<namespace>.<operation> of a consumed API)")
		return nil
	}
	m := callRef.FindStringSubmatch(ref)
	if m == nil {
		l.errorf(file, line, el, "call %q is not <namespace>.<operation>", ref)
		return nil
	}
	st := l.apis[m[1]]
	if st == nil {
		var have []string
		for _, s := range l.apiOrder {
			have = append(have, s.api.Namespace)
		}
		l.errorf(file, line, el, "unknown call target %s: no consumed API has namespace %s (consumed: %s)", ref, m[1], cmpOr(strings.Join(have, ", "), "none"))
		return nil
	}
	os := st.ops[m[2]]
	if os == nil {
		hint := ""
		if near := closestName(m[2], st.opNames); near != "" {
			hint = fmt.Sprintf("; did you mean %s.%s?", m[1], near)
		}
		l.errorf(file, line, el, "unknown call target %s: %s has no operation %s%s", ref, m[1], m[2], hint)
		return nil
	}
	if os.spec == nil {
		return nil
	}
	return os
}

// inputUse is how a call uses one caller input.
type inputUse struct {
	name string
	// slot is the slot the input fills as it is (keeping its JSON type), or nil when it only
	// appears in templates.
	slot     *Slot
	required bool
}

// buildCall builds the call of a route or tool: its bindings, the caller's inputs and the
// schema of its mapped output (nil when the operation answers without a body). pathVars and
// method are the REST route's; nil and "" for a tool.
func (l *loader) buildCall(file string, line int, el, ref string, with orderedKV, declared []*rawExposedParam,
	outputs []*rawMapped, ctx valueCtx, pathVars []string, method string) (*Call, []*Input, map[string]any, bool) {
	os := l.target(file, line, el, ref)
	mappings, mapOK := l.outputs(file, el, outputs)
	if os == nil || !mapOK {
		return nil, nil, nil, false
	}
	ok := true
	call := &Call{Op: os.op}
	withSpecs := map[string]*bindSpec{}
	for _, e := range with {
		slot := os.slots[e.Key]
		if slot == nil {
			l.errorf(file, e.Value.Line, el, "with %s: %s is not a value of %s (it takes: %s)", e.Key, e.Key, os.op.Spec.ID, slotList(os.op))
			ok = false
			continue
		}
		if _, dup := withSpecs[e.Key]; dup {
			l.errorf(file, e.Value.Line, el, "with %s is given twice", e.Key)
			ok = false
			continue
		}
		bs, err := l.parseValue(file, e.Value, ctx)
		if err != nil {
			l.errorf(file, e.Value.Line, el, "with %s: %v", e.Key, err)
			ok = false
			continue
		}
		withSpecs[e.Key] = bs
	}
	var uses []*inputUse
	// use records that input name fills slot s, as it is (direct) or through a template; it is
	// required when a slot it fills is.
	use := func(name string, s *Slot, direct bool) {
		u := &inputUse{name: name}
		if i := slices.IndexFunc(uses, func(u *inputUse) bool { return u.name == name }); i >= 0 {
			u = uses[i]
		} else {
			uses = append(uses, u)
		}
		if direct && u.slot == nil {
			u.slot = s
		}
		u.required = u.required || s.Required
	}
	for _, s := range os.op.Slots {
		bs := withSpecs[s.Name]
		if bs == nil {
			bs = os.consumed[s.Name]
		}
		if bs == nil {
			bs = &bindSpec{input: s.Name}
		}
		b := &Binding{Slot: s}
		switch {
		case bs.hasLiteral:
			if msg := literalFits(bs.literal, s); msg != "" {
				l.errorf(file, line, el, "%s: %s", s.Name, msg)
				ok = false
			}
			b.Literal = bs.literal
		case bs.input != "":
			b.Input = bs.input
			use(bs.input, s, true)
		default:
			if t := schemaType(s.Schema); s.In == "body" && t != "" && t != "string" {
				l.errorf(file, line, el, "%s: a template renders a string, but the spec's %s is %s; write {{name}} alone to keep the input's type", s.Name, s.Name, t)
				ok = false
			}
			b.Template = bs.template
			for _, n := range bs.names {
				use(n, s, false)
			}
		}
		call.Bindings = append(call.Bindings, b)
	}
	inputs, inOK := l.callInputs(file, line, el, os, uses, declared, ctx.adapter == "rest", pathVars, method)
	ok = ok && inOK
	var output map[string]any
	if os.spec.okSchema == nil {
		if len(mappings) > 0 {
			l.warn(file, wNoBody, fmt.Sprintf("%s (%s answers %s without a body)", el, os.op.Spec.ID, os.spec.okText()))
		}
	} else {
		call.Outputs = mappings
		var outOK bool
		output, outOK = l.outputSchema(file, line, el, os, mappings)
		ok = ok && outOK
	}
	if !ok {
		return nil, nil, nil, false
	}
	return call, inputs, output, true
}

// literalFits checks a literal from the file against the slot's type; "" when it fits.
func literalFits(v any, s *Slot) string {
	t := schemaType(s.Schema)
	switch x := v.(type) {
	case string:
		switch t {
		case "integer":
			if _, err := strconv.ParseInt(x, 10, 64); err != nil {
				return fmt.Sprintf("%q is not an integer, as the spec's %s is", x, s.Name)
			}
		case "number":
			if _, err := strconv.ParseFloat(x, 64); err != nil {
				return fmt.Sprintf("%q is not a number, as the spec's %s is", x, s.Name)
			}
		case "boolean":
			if x != "true" && x != "false" {
				return fmt.Sprintf("%q is not a boolean, as the spec's %s is", x, s.Name)
			}
		case "object", "array":
			return fmt.Sprintf("a string cannot fill %s, which is an %s", s.Name, t)
		}
	case bool:
		if t != "" && t != "boolean" && t != "string" {
			return fmt.Sprintf("%v is a boolean, but the spec's %s is %s", x, s.Name, t)
		}
	default: // a number
		if t != "" && t != "integer" && t != "number" && t != "string" {
			return fmt.Sprintf("%v is a number, but the spec's %s is %s", x, s.Name, t)
		}
	}
	return ""
}

// callInputs lists the inputs a caller gives: declared inputParameters, the REST route's path
// variables, and every input the bindings use, each typed from the slot it fills.
func (l *loader) callInputs(file string, line int, el string, os *opState, uses []*inputUse, declared []*rawExposedParam,
	rest bool, pathVars []string, method string) ([]*Input, bool) {
	ok := true
	decl := map[string]*rawExposedParam{}
	for _, p := range declared {
		if p == nil {
			continue
		}
		pel := el + " inputParameter " + p.Name
		l.unknownKeys(file, pel, p.meta)
		switch {
		case p.Name == "":
			l.errorf(file, p.line, el, "an inputParameter has no name")
			ok = false
			continue
		case !inputName.MatchString(p.Name):
			l.errorf(file, p.line, pel, "%q is not a valid input name (letters, digits, _ and -)", p.Name)
			ok = false
			continue
		case p.Value != nil:
			l.errorf(file, p.line, pel, "value on an exposed inputParameter is not supported by restream-gateway: fill the consumed value with `with`")
			ok = false
			continue
		}
		if decl[p.Name] != nil && !rest {
			l.errorf(file, p.line, pel, "input %s is declared twice", p.Name)
			ok = false
		}
		decl[p.Name] = p // an operation's declaration overrides its resource's
		switch p.Type {
		case "", "string", "number", "integer", "boolean", "array", "object":
		default:
			l.errorf(file, p.line, pel, "type %q is not string, number, integer, boolean, array or object", p.Type)
			ok = false
		}
		if rest {
			switch p.In {
			case "path":
				if !slices.Contains(pathVars, p.Name) {
					l.errorf(file, p.line, pel, "in: path, but the path has no {%s}", p.Name)
					ok = false
				}
			case "query", "header", "body":
			case "":
				l.errorf(file, p.line, pel, "in is missing (path, query, header or body)")
				ok = false
			default:
				l.errorf(file, p.line, pel, "in: %s is not supported (path, query, header or body)", p.In)
				ok = false
			}
		}
	}
	byName := map[string]*inputUse{}
	for _, u := range uses {
		byName[u.name] = u
	}
	var names []string
	if rest {
		for _, v := range pathVars {
			if byName[v] == nil {
				l.errorf(file, line, el, "the path's {%s} fills no value of %s (it takes: %s); bind it with `with`", v, os.op.Spec.ID, slotList(os.op))
				ok = false
			}
			names = append(names, v)
		}
	}
	for _, u := range uses {
		if !slices.Contains(names, u.name) {
			names = append(names, u.name)
		}
	}
	for _, p := range declared {
		if p != nil && decl[p.Name] == p && byName[p.Name] == nil {
			l.errorf(file, p.line, el+" inputParameter "+p.Name, "%s fills no value of %s (it takes: %s)", p.Name, os.op.Spec.ID, slotList(os.op))
			ok = false
		}
	}
	var inputs []*Input
	for _, n := range names {
		u := byName[n]
		if u == nil {
			continue // an unused path variable, reported
		}
		in := &Input{Name: n, Required: u.required}
		schema := map[string]any{"type": "string"}
		if u.slot != nil {
			in.Description = u.slot.Description
			schema = cloneMap(u.slot.Schema)
		}
		if rest {
			switch {
			case slices.Contains(pathVars, n):
				in.In, in.Required = "path", true
			case u.slot != nil && u.slot.In != "path":
				in.In = u.slot.In
			default:
				in.In = "query"
			}
		}
		if p := decl[n]; p != nil {
			if p.Description != "" {
				in.Description = strings.TrimSpace(p.Description)
			}
			if p.Type != "" {
				if t := schemaType(schema); u.slot != nil && t != "" && !typeFits(p.Type, t) {
					l.errorf(file, p.line, el+" inputParameter "+n, "type %s, but the spec's %s is %s", p.Type, u.slot.Name, t)
					ok = false
				} else if u.slot == nil {
					schema = map[string]any{"type": p.Type}
				}
			}
			if rest && p.In != "" {
				if in.In == "path" && p.In != "path" {
					l.errorf(file, p.line, el+" inputParameter "+n, "in: %s, but {%s} is a variable of the path", p.In, n)
					ok = false
				}
				in.In = p.In
			}
			switch {
			case p.Required != nil:
				in.Required = *p.Required
			case !rest:
				in.Required = true // the format's default for a tool's inputParameter
			}
			if u.required && !in.Required {
				l.errorf(file, p.line, el+" inputParameter "+n, "%s is declared optional, but %s requires it", n, os.op.Spec.ID)
				ok = false
			}
		}
		if rest && in.In == "body" && (method == "GET" || method == "DELETE") {
			l.errorf(file, line, el, "%s is a body field of %s, but a %s route takes no body; declare it in: query", n, os.op.Spec.ID, method)
			ok = false
		}
		if rest && in.In != "body" {
			if t := schemaType(schema); t == "object" || t == "array" && in.In != "query" {
				l.errorf(file, line, el, "%s is an %s and cannot be a %s parameter", n, t, in.In)
				ok = false
			}
		}
		if in.Description != "" {
			schema["description"] = in.Description
		}
		in.Schema = schema
		inputs = append(inputs, in)
	}
	return inputs, ok
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// outputs reads a route's or tool's outputParameters.
func (l *loader) outputs(file, el string, raw []*rawMapped) ([]*Mapping, bool) {
	ok := true
	var out []*Mapping
	for i, r := range raw {
		if r == nil {
			continue
		}
		m, good := l.mapping(file, fmt.Sprintf("%s outputParameters[%d]", el, i), r, 0, true)
		if good {
			out = append(out, m)
		}
		ok = ok && good
	}
	return out, ok
}

// mapping reads one mapped output parameter.
func (l *loader) mapping(file, el string, r *rawMapped, depth int, top bool) (*Mapping, bool) {
	l.unknownKeys(file, el, r.meta)
	if depth > maxMappingDepth {
		l.errorf(file, r.line, el, "output mappings nest deeper than %d levels", maxMappingDepth)
		return nil, false
	}
	m := &Mapping{Type: r.Type}
	switch r.Type {
	case "string", "number", "integer", "boolean", "object", "array":
	case "":
		l.errorf(file, r.line, el, "type is missing (string, number, integer, boolean, object or array)")
		return nil, false
	default:
		l.errorf(file, r.line, el, "type %q is not string, number, integer, boolean, object or array", r.Type)
		return nil, false
	}
	ok := true
	fixed := r.Const
	if r.Value != nil {
		if l.alpha1(file) {
			l.warn(file, wAlpha2, "outputParameters value")
		}
		if r.Value.Kind == yaml.ScalarNode && strings.Contains(r.Value.Value, "{{") {
			l.errorf(file, r.line, el, "value templates are not supported by restream-gateway: map the answer with mapping")
			return nil, false
		}
		fixed = r.Value
	}
	switch {
	case r.Mapping != nil && fixed != nil:
		l.errorf(file, r.line, el, "mapping and const (or value) are both set; give one")
		return nil, false
	case fixed != nil:
		var v any
		if err := fixed.Decode(&v); err != nil {
			l.errorf(file, r.line, el, "const: %v", err)
			return nil, false
		}
		m.Const, m.HasConst = v, true
	case r.Mapping != nil:
		m.Path = *r.Mapping
		q, err := compilePath(m.Path)
		if err != nil {
			l.errorf(file, r.line, el, "%v", err)
			return nil, false
		}
		m.query = q
	case top && len(r.Properties) == 0:
		l.errorf(file, r.line, el, "mapping (a JSONPath such as $.title) is missing")
		return nil, false
	default:
		m.Path = "$" // an object built from its properties reads the current node
	}
	if len(r.Properties) > 0 {
		if r.Type != "object" {
			l.errorf(file, r.line, el, "properties belong to an object, not a %s", r.Type)
			ok = false
		}
		seen := map[string]bool{}
		for _, p := range r.Properties {
			if seen[p.Name] {
				l.errorf(file, p.Mapping.line, el, "property %s is mapped twice", p.Name)
				ok = false
				continue
			}
			seen[p.Name] = true
			pm, good := l.mapping(file, el+"."+p.Name, p.Mapping, depth+1, false)
			if good {
				m.Properties = append(m.Properties, &Property{Name: p.Name, Mapping: pm})
			}
			ok = ok && good
		}
	}
	if r.Items != nil {
		if r.Type != "array" {
			l.errorf(file, r.line, el, "items belong to an array, not a %s", r.Type)
			ok = false
		}
		im, good := l.mapping(file, el+"[]", r.Items, depth+1, false)
		m.Items = im
		ok = ok && good
	}
	return m, ok
}

// outputSchema derives the schema of a call's mapped answer from the spec's success schema.
func (l *loader) outputSchema(file string, line int, el string, os *opState, mappings []*Mapping) (map[string]any, bool) {
	root := jsonSchema(os.spec.okSchema, forOutput)
	if len(mappings) == 0 {
		return nonNull(root), true // the answer passes as it came
	}
	var alts []any
	ok := true
	for i, m := range mappings {
		s, _, msg := mappingSchema(m, root)
		if msg != "" {
			l.errorf(file, line, fmt.Sprintf("%s outputParameters[%d]", el, i), "%s of %s's %s answer", msg, os.op.Spec.ID, os.spec.okText())
			ok = false
			continue
		}
		alts = append(alts, nonNull(s))
	}
	if len(alts) == 1 {
		return alts[0].(map[string]any), ok
	}
	return map[string]any{"anyOf": alts}, ok
}

// mappingSchema is the schema of what m yields from a document of schema src. guaranteed says
// every document src allows yields a value; msg, when set, says why m cannot fit src.
func mappingSchema(m *Mapping, src map[string]any) (s map[string]any, guaranteed bool, msg string) {
	if m.HasConst {
		return map[string]any{"type": m.Type, "enum": []any{m.Const}}, true, ""
	}
	q := m.query
	if q == nil && m.Path != "" && !isRoot(m.Path) {
		var err error
		if q, err = compilePath(m.Path); err != nil {
			return nil, false, err.Error()
		}
	}
	sel, guaranteed, known := pathSchema(q, src)
	if !known {
		sel, guaranteed = map[string]any{"type": m.Type}, false
	} else if t := schemaType(sel); t != "" && !typeFits(m.Type, t) {
		return nil, false, fmt.Sprintf("mapping %s is typed %s, but selects %s %s", m.Path, m.Type, article(t), t)
	}
	switch {
	case m.Type == "object" && len(m.Properties) > 0:
		props := map[string]any{}
		var req []any
		from := nonNull(sel)
		for _, p := range m.Properties {
			ps, pg, pmsg := mappingSchema(p.Mapping, from)
			if pmsg != "" {
				return nil, false, p.Name + ": " + pmsg
			}
			props[p.Name] = ps
			if pg {
				req = append(req, p.Name)
			}
		}
		out := map[string]any{"type": "object", "properties": props}
		if len(req) > 0 {
			out["required"] = req
		}
		if d, ok := sel["description"]; ok {
			out["description"] = d
		}
		return out, guaranteed, ""
	case m.Type == "array" && m.Items != nil:
		items, _ := nonNull(sel)["items"].(map[string]any)
		if items == nil {
			items = map[string]any{}
		}
		is, _, imsg := mappingSchema(m.Items, items)
		if imsg != "" {
			return nil, false, "items: " + imsg
		}
		return map[string]any{"type": "array", "items": is}, guaranteed, ""
	}
	return sel, guaranteed, ""
}

func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}
