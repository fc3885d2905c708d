package capability

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v3"

	"github.com/restreamkit/restreamkit/internal/validate"
)

// Options configure Load.
type Options struct {
	// Spec is the bundled Restream description every consumed operation is checked against
	// (validate.RestreamSpec()). Required.
	Spec *validate.Spec
	// Env reads the environment variables binds name; nil means os.LookupEnv.
	Env func(name string) (string, bool)
	// Provided lists bind variables another source fills (RESTREAM_ACCESS_TOKEN when the gateway
	// refreshes its own token): a missing environment variable is then no error, and an Auth
	// whose token comes from one is left with an empty Token for that source to fill.
	Provided []string
	// Warn, when set, receives each warning of Plan.Warnings, also when the file fails to load.
	Warn func(warning string)
}

// Error is one problem of a capability file: which file, where, which element and what.
type Error struct {
	// File is the file's path in the fsys given to Load, or joined to the directory of the
	// file given to LoadFile.
	File string
	// Line is the line of the element, or 0 when unknown.
	Line int
	// Element names the capability element ("mcp multistream-management-mcp tool
	// update-channel"), or "" for the file as a whole.
	Element string
	Message string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Element != "" {
		b.WriteString(e.Element + ": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Limits of what Load reads, so that a hostile or broken file costs a bounded amount.
const (
	maxFileBytes   = 1 << 20
	maxImportDepth = 8
)

// Versions are the format versions Load reads ("naftiko:"). Alpha3 has alpha2's schema.
var Versions = []string{"1.0.0-alpha1", "1.0.0-alpha2", "1.0.0-alpha3"}

var (
	kebabName = regexp.MustCompile(`^[a-zA-Z0-9-]+$`)
	bindVar   = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
	bindKey   = regexp.MustCompile(`^[a-zA-Z0-9_*-]+$`)
	toolName  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	inputName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,63}$`)
	callRef   = regexp.MustCompile(`^([a-zA-Z0-9-]+)\.([a-zA-Z0-9-]+)$`)
	dottedRef = regexp.MustCompile(`^([A-Za-z0-9-]+)\.([A-Za-z_][A-Za-z0-9_-]*)$`)
)

// LoadFile loads a capability file from disk. Its imports are resolved relative to it and must
// stay inside its directory.
func LoadFile(name string, opts Options) (*Plan, error) {
	dir, base := filepath.Split(filepath.Clean(name))
	if dir == "" {
		dir = "."
	}
	return load(os.DirFS(dir), base, opts, dir)
}

// Load reads the capability file at name in fsys, resolves its imports (relative to the
// importing file, inside fsys) and binds, checks every consumed operation against opts.Spec and
// builds the Plan. Every problem found is returned at once, joined (errors.Join), each an *Error.
func Load(fsys fs.FS, name string, opts Options) (*Plan, error) {
	return load(fsys, name, opts, "")
}

// load is Load; messages name files under dir (LoadFile's directory, "" for Load), so that
// they point at the files the user gave.
func load(fsys fs.FS, name string, opts Options, dir string) (*Plan, error) {
	if opts.Spec == nil {
		return nil, errors.New("capability: Options.Spec is required")
	}
	if opts.Env == nil {
		opts.Env = os.LookupEnv
	}
	l := &loader{fsys: fsys, opts: opts, doc: opts.Spec.Doc(), binds: map[string]*bindVal{},
		apis: map[string]*apiState{}, namespaces: map[string]string{}, versions: map[string]string{},
		warnings: map[string]*warning{}, ports: map[int]string{}, dir: dir}
	plan := l.load(name)
	warns := l.warningLines()
	if opts.Warn != nil {
		for _, w := range warns {
			opts.Warn(w)
		}
	}
	if len(l.errs) > 0 {
		return nil, errors.Join(l.errs...)
	}
	plan.Warnings = warns
	return plan, nil
}

// loader holds the state of one Load.
type loader struct {
	fsys       fs.FS
	opts       Options
	doc        *openapi3.T
	errs       []error
	binds      map[string]*bindVal
	bindNS     map[string]bool
	apis       map[string]*apiState
	apiOrder   []*apiState
	namespaces map[string]string // namespace → the element that declared it
	versions   map[string]string // file → naftiko version
	warnings   map[string]*warning
	warnOrder  []string
	ports      map[int]string
	exposing   map[string]bool // namespaces of exposed adapters
	importing  []string        // files being imported, for cycles
	dir        string          // where LoadFile found the capability, for messages
}

// show names a file of fsys as messages write it: under LoadFile's directory.
func (l *loader) show(file string) string {
	if l.dir == "" || l.dir == "." || l.dir == "./" {
		return file
	}
	return filepath.Join(l.dir, filepath.FromSlash(file))
}

type bindVal struct {
	file, element, provider string
	line                    int
	value                   string
	provided                bool
}

type apiState struct {
	api      *API
	file     string
	basePath string
	ops      map[string]*opState
	opNames  []string
}

type opState struct {
	op      *Op
	file    string
	element string
	line    int
	spec    *specOp // nil when the operation did not resolve against the spec
	slots   map[string]*Slot
	// consumed are the values the consumed operation itself gives its slots (inputParameters
	// and body data), by slot name.
	consumed map[string]*bindSpec
}

// bindSpec is a parsed value: one input, a template over inputs, or a literal.
type bindSpec struct {
	input      string
	template   string
	names      []string
	literal    any
	hasLiteral bool
}

// pendingAPI is a consumes entry found while reading files, built once binds are resolved.
type pendingAPI struct {
	file      string
	namespace string
	raw       *rawConsumes
}

func (l *loader) errorf(file string, line int, element, format string, args ...any) {
	l.errs = append(l.errs, &Error{File: l.show(file), Line: line, Element: element, Message: fmt.Sprintf(format, args...)})
}

// load runs the whole load and returns the plan (meaningful only without errors).
func (l *loader) load(name string) *Plan {
	plan := &Plan{}
	l.importing = []string{name} // an import of the capability itself is a cycle too
	doc, ok := l.readDoc(name)
	if !ok {
		return plan
	}
	if doc.Info != nil {
		plan.Info = Info{Label: doc.Info.Label, Description: strings.TrimSpace(doc.Info.Description)}
	}
	l.unknownKeys(name, "", doc.meta)
	if doc.Exposes != nil {
		l.errorf(name, doc.Exposes.Line, "", "exposes must sit under capability")
	}
	if doc.Capability == nil {
		if len(doc.Consumes) > 0 {
			l.errorf(name, doc.line, "", "the file has consumes but no capability: a consumes file is imported by a capability, not run")
		} else {
			l.errorf(name, doc.line, "", "the file has no capability")
		}
		return plan
	}
	cap := doc.Capability
	l.unknownKeys(name, "capability", cap.meta)
	l.addBinds(name, append(slices.Clone(doc.Binds), cap.Binds...))
	var pending []pendingAPI
	for i, c := range cap.Consumes {
		pending = append(pending, l.consume(name, c, i, 0)...)
	}
	if len(cap.Exposes) == 0 {
		l.errorf(name, cap.line, "capability", "exposes no adapter: nothing to serve")
	}
	l.resolveBinds()
	for _, p := range pending {
		l.buildAPI(p)
	}
	for _, st := range l.apiOrder {
		plan.APIs = append(plan.APIs, st.api)
	}
	l.exposing = map[string]bool{}
	for _, e := range cap.Exposes {
		ns := ""
		switch {
		case e.REST != nil:
			ns = e.REST.Namespace
		case e.MCP != nil:
			ns = e.MCP.Namespace
		}
		if ns != "" {
			l.exposing[ns] = true
		}
	}
	for i, e := range cap.Exposes {
		switch e.Type {
		case "rest":
			if a := l.buildREST(name, e.REST, i); a != nil {
				plan.REST = append(plan.REST, a)
			}
		case "mcp":
			if a := l.buildMCP(name, e.MCP, i); a != nil {
				plan.MCP = append(plan.MCP, a)
			}
		case "":
			l.errorf(name, e.line, fmt.Sprintf("exposes[%d]", i), "type is missing (rest or mcp)")
		case "skill":
			l.errorf(name, e.line, fmt.Sprintf("exposes[%d]", i), "skill adapters are not supported by restream-gateway (rest and mcp are)")
		default:
			l.errorf(name, e.line, fmt.Sprintf("exposes[%d]", i), "unknown adapter type %q (rest or mcp)", e.Type)
		}
	}
	return plan
}

// readDoc reads and decodes one file and checks its version.
func (l *loader) readDoc(name string) (*rawDoc, bool) {
	f, err := l.fsys.Open(name)
	if err != nil {
		l.errorf(name, 0, "", "cannot read the file: %v", unwrapPathError(err))
		return nil, false
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		l.errorf(name, 0, "", "cannot read the file: %v", unwrapPathError(err))
		return nil, false
	}
	if len(data) > maxFileBytes {
		l.errorf(name, 0, "", "the file is larger than %d bytes", maxFileBytes)
		return nil, false
	}
	doc := &rawDoc{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	err = dec.Decode(doc)
	var typeErr *yaml.TypeError
	switch {
	case errors.Is(err, io.EOF):
		l.errorf(name, 0, "", "the file is empty")
		return nil, false
	case errors.As(err, &typeErr):
		for _, e := range typeErr.Errors {
			l.errorf(name, 0, "", "%s", strings.TrimPrefix(e, "yaml: "))
		}
	case err != nil:
		l.errorf(name, 0, "", "not a YAML document: %s", strings.TrimPrefix(err.Error(), "yaml: "))
		return nil, false
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		l.errorf(name, extra.Line, "", "the file holds more than one YAML document")
	}
	switch {
	case doc.Naftiko == "":
		l.errorf(name, doc.line, "", "naftiko (the format version) is missing; restream-gateway reads %s", strings.Join(Versions, ", "))
	case !slices.Contains(Versions, doc.Naftiko):
		l.errorf(name, doc.line, "", "naftiko %q is not a version restream-gateway reads (%s)", doc.Naftiko, strings.Join(Versions, ", "))
	}
	l.versions[name] = doc.Naftiko
	return doc, true
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// alpha1 reports whether a file declares 1.0.0-alpha1, which lacks the alpha2 additions.
func (l *loader) alpha1(file string) bool { return l.versions[file] == "1.0.0-alpha1" }

// addBinds records the bind variables a file declares.
func (l *loader) addBinds(file string, binds []*rawBind) {
	if l.bindNS == nil {
		l.bindNS = map[string]bool{}
	}
	for i, b := range binds {
		if b == nil {
			continue
		}
		el := fmt.Sprintf("binds[%d]", i)
		if b.Namespace != "" {
			el = "bind " + b.Namespace
		}
		l.unknownKeys(file, el, b.meta)
		switch {
		case b.Namespace == "":
			l.errorf(file, b.line, el, "namespace is missing")
		case !kebabName.MatchString(b.Namespace):
			l.errorf(file, b.line, el, "namespace %q is not kebab-case (letters, digits and -)", b.Namespace)
		default:
			l.bindNS[b.Namespace] = true
		}
		if b.Location != "" {
			l.errorf(file, b.line, el, "binds with a location are not supported by restream-gateway: omit location and set the variables in the environment")
			continue
		}
		if len(b.Keys) == 0 {
			l.errorf(file, b.line, el, "keys is missing: a bind names at least one variable")
		}
		for _, k := range b.Keys {
			line := k.Value.Line
			provider := k.Value.Value
			switch {
			case !bindVar.MatchString(k.Key):
				l.errorf(file, line, el, "variable %q is not UPPER_SNAKE_CASE", k.Key)
				continue
			case k.Value.Kind != yaml.ScalarNode || !bindKey.MatchString(provider):
				l.errorf(file, line, el, "variable %s: the environment variable name %q is not valid", k.Key, provider)
				continue
			}
			if prev, ok := l.binds[k.Key]; ok {
				if prev.provider != provider {
					l.errorf(file, line, el, "variable %s is bound to %s here and to %s in %s", k.Key, provider, prev.provider, prev.file)
				}
				continue
			}
			l.binds[k.Key] = &bindVal{file: file, element: el, provider: provider, line: line}
		}
	}
}

// resolveBinds reads every bind variable from the environment. A missing one is an error that
// names the variable, never a value.
func (l *loader) resolveBinds() {
	names := make([]string, 0, len(l.binds))
	for n := range l.binds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b := l.binds[n]
		if slices.Contains(l.opts.Provided, n) {
			b.provided = true
			continue
		}
		v, ok := l.opts.Env(b.provider)
		switch {
		case !ok:
			l.errorf(b.file, b.line, b.element, "variable %s: the environment variable %s is not set", n, b.provider)
		case v == "":
			l.errorf(b.file, b.line, b.element, "variable %s: the environment variable %s is empty", n, b.provider)
		default:
			b.value = v
		}
	}
}

// consume reads one consumes entry of file: an HTTP API, or an import of one from another file.
func (l *loader) consume(file string, c *rawConsumes, i, depth int) []pendingAPI {
	if c == nil {
		return nil
	}
	el := fmt.Sprintf("consumes[%d]", i)
	if c.Import != "" || c.Location != "" {
		return l.importAPI(file, c, el, depth)
	}
	if c.Namespace != "" {
		el = "consumes " + c.Namespace
	}
	switch c.Type {
	case "http":
	case "":
		l.errorf(file, c.line, el, "type is missing (http, or import + location)")
		return nil
	default:
		l.errorf(file, c.line, el, "consumes type %q is not supported (http)", c.Type)
		return nil
	}
	return []pendingAPI{{file: file, namespace: c.Namespace, raw: c}}
}

// importAPI resolves an import: the namespace c.Import among the consumes of the file at
// c.Location, relative to file.
func (l *loader) importAPI(file string, c *rawConsumes, el string, depth int) []pendingAPI {
	if c.Import != "" {
		el = "import " + c.Import
	}
	l.unknownKeys(file, el, c.meta)
	switch {
	case c.Import == "":
		l.errorf(file, c.line, el, "import (the namespace to take from %s) is missing", c.Location)
		return nil
	case c.Location == "":
		l.errorf(file, c.line, el, "location (the file to import from) is missing")
		return nil
	}
	if c.Description != "" && l.alpha1(file) {
		l.warn(file, wAlpha2, el+": description")
	}
	loc := c.Location
	if strings.Contains(loc, "://") || strings.HasPrefix(loc, "/") {
		l.errorf(file, c.line, el, "location %q must be a path relative to the importing file", loc)
		return nil
	}
	target := path.Join(path.Dir(file), loc)
	if !fs.ValidPath(target) || strings.HasPrefix(target, "../") || target == ".." {
		l.errorf(file, c.line, el, "location %q leaves the capability's directory", loc)
		return nil
	}
	if slices.Contains(l.importing, target) || target == file {
		l.errorf(file, c.line, el, "location %q closes an import cycle (%s → %s)", loc, strings.Join(l.importing, " → "), target)
		return nil
	}
	if depth >= maxImportDepth {
		l.errorf(file, c.line, el, "imports nest deeper than %d files", maxImportDepth)
		return nil
	}
	doc, ok := l.readDoc(target)
	if !ok {
		return nil
	}
	l.importing = append(l.importing, target)
	defer func() { l.importing = l.importing[:len(l.importing)-1] }()
	l.unknownKeys(target, "", doc.meta)
	binds := slices.Clone(doc.Binds)
	consumes := doc.Consumes
	if doc.Capability != nil {
		binds = append(binds, doc.Capability.Binds...)
		if len(doc.Consumes) == 0 && len(doc.Capability.Consumes) > 0 {
			consumes = doc.Capability.Consumes
			l.warn(target, wImportFromCapability, "")
		}
		if len(doc.Capability.Exposes) > 0 {
			l.warn(target, wImportedExposes, strconv.Itoa(len(doc.Capability.Exposes)))
		}
	}
	l.addBinds(target, binds)
	var found []pendingAPI
	var names []string
	for j, cc := range consumes {
		if cc == nil {
			continue
		}
		ns := cc.Namespace
		if cc.Import != "" {
			ns = cc.Import
			if cc.As != "" {
				ns = cc.As
			}
		}
		names = append(names, ns)
		if ns != c.Import {
			continue
		}
		for _, p := range l.consume(target, cc, j, depth+1) {
			if c.As != "" {
				p.namespace = c.As
			}
			found = append(found, p)
		}
	}
	if len(found) == 0 && len(consumes) > 0 || len(consumes) == 0 {
		has := "none"
		if len(names) > 0 {
			has = strings.Join(names, ", ")
		}
		l.errorf(file, c.line, el, "%s has no consumes of namespace %q (it has: %s)", target, c.Import, has)
	}
	return found
}

// buildAPI turns a consumes entry into an API and its operations.
func (l *loader) buildAPI(p pendingAPI) {
	c, file := p.raw, p.file
	el := "consumes " + p.namespace
	l.unknownKeys(file, el, c.meta)
	switch {
	case p.namespace == "":
		l.errorf(file, c.line, "consumes", "namespace is missing")
		return
	case !kebabName.MatchString(p.namespace):
		l.errorf(file, c.line, el, "namespace %q is not kebab-case (letters, digits and -)", p.namespace)
		return
	}
	if prev, dup := l.namespaces[p.namespace]; dup {
		l.errorf(file, c.line, el, "namespace %s is already used by %s", p.namespace, prev)
		return
	}
	if l.bindNS[p.namespace] {
		l.errorf(file, c.line, el, "namespace %s is also a bind namespace; the format keeps them apart", p.namespace)
	}
	l.namespaces[p.namespace] = el
	st := &apiState{api: &API{Namespace: p.namespace}, file: file, ops: map[string]*opState{}}
	st.basePath = l.baseURI(st.api, file, c, el)
	st.api.Auth = l.auth(file, el, c.Authentication)
	l.apis[p.namespace] = st
	l.apiOrder = append(l.apiOrder, st)
	resNames := map[string]bool{}
	for ri, r := range c.Resources {
		if r == nil {
			continue
		}
		rel := fmt.Sprintf("%s resource[%d]", el, ri)
		if r.Name != "" {
			rel = el + " resource " + r.Name
		}
		l.unknownKeys(file, rel, r.meta)
		switch {
		case r.Name == "":
			l.errorf(file, r.line, rel, "name is missing")
		case resNames[r.Name]:
			l.errorf(file, r.line, rel, "resource name %s is used twice", r.Name)
		}
		resNames[r.Name] = true
		if len(r.Operations) == 0 {
			l.errorf(file, r.line, rel, "operations is missing: a consumed resource has at least one")
		}
		for _, o := range r.Operations {
			if o != nil {
				l.buildOp(st, c, r, o)
			}
		}
	}
}

// baseURI checks the API's baseUri and returns its path, without a trailing slash.
func (l *loader) baseURI(api *API, file string, c *rawConsumes, el string) string {
	if c.BaseURI == "" {
		l.errorf(file, c.line, el, "baseUri is missing")
		return ""
	}
	u, err := url.Parse(c.BaseURI)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" || strings.Contains(c.BaseURI, "{") {
		l.errorf(file, c.line, el, "baseUri %q is not an http(s) URL with an optional base path (no credentials, query, fragment or template)", c.BaseURI)
		return ""
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	api.BaseURL = u
	return u.Path
}

// auth reads how the gateway authenticates to an API; the token's binds are resolved here.
func (l *loader) auth(file, el string, a *rawAuth) Auth {
	if a == nil {
		return Auth{}
	}
	el += " authentication"
	l.unknownKeys(file, el, a.meta)
	if a.Type != "bearer" {
		l.errorf(file, a.line, el, "authentication type %q is not supported by restream-gateway (bearer is)", a.Type)
		return Auth{}
	}
	if a.Token == "" {
		l.errorf(file, a.line, el, "token is missing")
		return Auth{}
	}
	parts, err := parseTemplate(a.Token)
	if err != nil {
		l.errorf(file, a.line, el, "token: %v", err)
		return Auth{}
	}
	out := Auth{Kind: "bearer"}
	var b strings.Builder
	for _, p := range parts {
		if !p.name {
			b.WriteString(p.text)
			continue
		}
		name := p.text
		if ns, v, ok := strings.Cut(name, "."); ok && l.bindNS[ns] {
			name = v
		}
		bv, ok := l.binds[name]
		if !ok {
			l.errorf(file, a.line, el, "unbound {{%s}}: no bind declares %s", p.text, name)
			return Auth{}
		}
		out.TokenVar = name
		if bv.provided {
			return Auth{Kind: "bearer", TokenVar: name}
		}
		b.WriteString(bv.value)
	}
	out.Token = b.String()
	return out
}

// pathTemplate parses a path whose variables are whole segments written {x} or {{x}}. It
// returns the path with every variable written {x}, and the variable names.
func pathTemplate(p string) (string, []string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", nil, fmt.Errorf("path %q does not start with /", p)
	}
	if strings.ContainsAny(p, "?#") {
		return "", nil, fmt.Errorf("path %q has a query or fragment; parameters belong in inputParameters", p)
	}
	segs := strings.Split(p, "/")
	var vars []string
	for i, s := range segs {
		if !strings.ContainsAny(s, "{}") {
			continue
		}
		name := ""
		switch {
		case strings.HasPrefix(s, "{{") && strings.HasSuffix(s, "}}"):
			name = strings.TrimSpace(s[2 : len(s)-2])
		case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
			name = strings.TrimSpace(s[1 : len(s)-1])
		}
		if !inputName.MatchString(name) {
			return "", nil, fmt.Errorf("path %q: segment %q is not a whole-segment variable {name}", p, s)
		}
		if slices.Contains(vars, name) {
			return "", nil, fmt.Errorf("path %q names {%s} twice", p, name)
		}
		vars = append(vars, name)
		segs[i] = "{" + name + "}"
	}
	return strings.Join(segs, "/"), vars, nil
}

// buildOp checks one consumed operation against the spec and records its slots and values.
func (l *loader) buildOp(st *apiState, c *rawConsumes, r *rawResource, o *rawConsumedOp) {
	file := st.file
	ns := st.api.Namespace
	el := fmt.Sprintf("consumes %s operation %s", ns, o.Name)
	l.unknownKeys(file, el, o.meta)
	if o.Name == "" {
		l.errorf(file, o.line, el, "name is missing")
		return
	}
	if _, dup := st.ops[o.Name]; dup {
		l.errorf(file, o.line, el, "operation name %s is used twice in %s", o.Name, ns)
		return
	}
	method := strings.ToUpper(o.Method)
	tpl, _, err := pathTemplate(r.Path)
	os := &opState{file: file, line: o.line, slots: map[string]*Slot{}, consumed: map[string]*bindSpec{},
		op: &Op{API: st.api, Ref: ns + "." + o.Name, Name: o.Name, Method: method, Path: tpl}}
	st.ops[o.Name] = os
	st.opNames = append(st.opNames, o.Name)
	os.element = fmt.Sprintf("%s (%s %s)", el, method, r.Path)
	el = os.element
	switch method {
	case "GET", "POST", "PUT", "PATCH", "DELETE":
	case "":
		l.errorf(file, o.line, el, "method is missing")
		return
	default:
		l.errorf(file, o.line, el, "method %q is not one of GET, POST, PUT, PATCH, DELETE", o.Method)
		return
	}
	if err != nil {
		l.errorf(file, r.line, el, "%v", err)
		return
	}
	if st.api.BaseURL == nil {
		return // the baseUri error is reported
	}
	full := st.basePath + tpl
	os.op.SpecPath = full
	var pp validate.PathParams
	vop, _, allow := l.opts.Spec.Find(method, full, &pp)
	if vop == nil {
		near := closestOperation(l.opts.Spec.Operations(), method, full)
		what := "is not an operation of the Restream API"
		if allow != "" {
			what = "is not an operation of the Restream API (that path has " + allow + ")"
		}
		hint := ""
		if near != nil {
			hint = fmt.Sprintf("; did you mean %s %s (%s)?", near.Method, near.Path, near.ID)
		}
		l.errorf(file, o.line, el, "%s %s %s%s", method, full, what, hint)
		return
	}
	os.spec = lookupSpecOp(l.doc, vop)
	os.op.Spec = vop
	l.slots(os, &pp)
	var params []*rawConsumedParam
	params = append(params, c.InputParameters...)
	params = append(params, r.InputParameters...)
	params = append(params, o.InputParameters...)
	for _, p := range params {
		if p != nil {
			l.consumedParam(os, p)
		}
	}
	if o.Body != nil {
		l.consumedBody(os, o.Body)
	}
	switch o.OutputRawFormat {
	case "", "json":
	default:
		l.errorf(file, o.line, el, "outputRawFormat %q is not supported (json)", o.OutputRawFormat)
	}
	if o.OutputSchema != nil && l.alpha1(file) {
		l.warn(file, wAlpha2, el+": outputSchema")
	}
}

// slots lists the values a consumed operation takes, from the spec: its path variables (named
// as the capability's template names them), query and header parameters, and the top-level
// fields of its JSON body.
func (l *loader) slots(os *opState, pp *validate.PathParams) {
	add := func(s *Slot) {
		if _, dup := os.slots[s.Name]; dup {
			return // a query parameter and a body field of one name: the first wins
		}
		os.slots[s.Name] = s
		os.op.Slots = append(os.op.Slots, s)
	}
	for i := range pp.Len() {
		raw := pp.Raw(i)
		if !strings.HasPrefix(raw, "{") {
			continue // a literal where the spec has a variable: not the caller's to fill
		}
		name := strings.Trim(raw, "{}")
		s := &Slot{Name: name, SpecName: pp.Name(i), In: "path", Required: true}
		if p := os.spec.param("path", pp.Name(i)); p != nil {
			s.Description, s.Schema = p.Description, jsonSchema(p.Schema, forInput)
		}
		add(s)
	}
	for _, in := range []string{"query", "header"} {
		for _, p := range os.spec.params {
			if p.In != in {
				continue
			}
			add(&Slot{Name: p.Name, SpecName: p.Name, In: in, Required: p.Required, Description: p.Description,
				Schema: jsonSchema(p.Schema, forInput)})
		}
	}
	if os.spec.body != nil {
		body := jsonSchema(os.spec.body, forInput)
		props, _ := body["properties"].(map[string]any)
		names := make([]string, 0, len(props))
		for n := range props {
			names = append(names, n)
		}
		sort.Strings(names)
		req, _ := body["required"].([]any)
		for _, n := range names {
			sch, _ := props[n].(map[string]any)
			desc, _ := sch["description"].(string)
			add(&Slot{Name: n, SpecName: n, In: "body", Required: os.spec.bodyRequired && slices.Contains(req, any(n)),
				Description: desc, Schema: sch})
		}
	}
}

// slotList names an operation's slots for messages: "id, active".
func slotList(op *Op) string {
	if len(op.Slots) == 0 {
		return "none"
	}
	names := make([]string, len(op.Slots))
	for i, s := range op.Slots {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}

// consumedParam reads a consumed inputParameter: which slot it fills and with what.
func (l *loader) consumedParam(os *opState, p *rawConsumedParam) {
	el := os.element + " inputParameter " + p.Name
	l.unknownKeys(os.file, el, p.meta)
	if p.Type != "" || p.Required != nil || p.Description != "" {
		l.warn(os.file, wConsumedParamDocs, os.op.Name+"."+p.Name)
	}
	if p.Name == "" {
		l.errorf(os.file, p.line, os.element, "an inputParameter has no name")
		return
	}
	slot := os.slots[p.Name]
	if slot == nil {
		l.errorf(os.file, p.line, el, "%s is not a parameter of %s (it takes: %s)", p.Name, os.op.Spec.ID, slotList(os.op))
		return
	}
	switch p.In {
	case "path", "query", "header", "body":
		if p.In != slot.In {
			l.errorf(os.file, p.line, el, "%s is a %s value of %s, not %s", p.Name, slot.In, os.op.Spec.ID, p.In)
			return
		}
	case "":
		l.errorf(os.file, p.line, el, "in is missing (%s)", slot.In)
		return
	default:
		l.errorf(os.file, p.line, el, "in: %s is not supported by restream-gateway", p.In)
		return
	}
	if p.Type != "" {
		if t := schemaType(slot.Schema); t != "" && !typeFits(p.Type, t) {
			l.warn(os.file, wTypeDiffers, fmt.Sprintf("%s.%s (%s, the spec says %s)", os.op.Name, p.Name, p.Type, t))
		}
	}
	if p.Value == nil {
		os.consumed[slot.Name] = &bindSpec{input: slot.Name}
		return
	}
	bs, err := l.parseValue(os.file, p.Value.Node, valueCtx{})
	if err != nil {
		l.errorf(os.file, p.line, el, "value: %v", err)
		return
	}
	os.consumed[slot.Name] = bs
}

// consumedBody reads a consumed JSON body's data: each key a body field of the spec.
func (l *loader) consumedBody(os *opState, b *rawBody) {
	el := os.element + " body"
	l.unknownKeys(os.file, el, b.meta)
	switch {
	case b.raw:
		l.errorf(os.file, b.line, el, "a raw string body is not supported: write type: json and data as a mapping")
		return
	case b.Type != "json":
		l.errorf(os.file, b.line, el, "body type %q is not supported (json)", b.Type)
		return
	case os.spec.body == nil:
		l.errorf(os.file, b.line, el, "%s takes no JSON body", os.op.Spec.ID)
		return
	case b.Data == nil || b.Data.Kind != yaml.MappingNode:
		l.errorf(os.file, b.line, el, "data must be a mapping of the body's fields")
		return
	}
	var fields []string
	for _, s := range os.op.Slots {
		if s.In == "body" {
			fields = append(fields, s.Name)
		}
	}
	for i := 0; i+1 < len(b.Data.Content); i += 2 {
		key, val := b.Data.Content[i].Value, b.Data.Content[i+1]
		slot := os.slots[key]
		if slot == nil || slot.In != "body" {
			l.errorf(os.file, b.Data.Content[i].Line, el, "%s is not a field of %s's request body (it has: %s)", key, os.op.Spec.ID, strings.Join(fields, ", "))
			continue
		}
		bs, err := l.parseValue(os.file, val, valueCtx{})
		if err != nil {
			l.errorf(os.file, val.Line, el, "%s: %v", key, err)
			continue
		}
		os.consumed[key] = bs
	}
}

// valueCtx says where a value is read: in a consumed operation (zero value), or in a REST
// operation or MCP tool of the adapter namespace.
type valueCtx struct {
	adapter   string // "rest" or "mcp"; "" for a consumed operation
	namespace string
	element   string
}

// parseValue reads a value of with, a consumed inputParameter or body data: a number or boolean
// literal, a reference to a caller's input (<namespace>.x, the rest.x/tools.x aliases, or a lone
// {{x}}), a template over inputs, or a literal string.
func (l *loader) parseValue(file string, n *yaml.Node, ctx valueCtx) (*bindSpec, error) {
	if n.Kind != yaml.ScalarNode {
		return nil, errors.New("must be a string or a number")
	}
	switch n.Tag {
	case "!!null":
		return nil, errors.New("has no value")
	case "!!int", "!!float", "!!bool":
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, err
		}
		return &bindSpec{literal: v, hasLiteral: true}, nil
	}
	s := n.Value
	if strings.Contains(s, "{{") {
		parts, err := parseTemplate(s)
		if err != nil {
			return nil, err
		}
		var names []string
		for i, p := range parts {
			if !p.name {
				continue
			}
			in, err := l.inputRef(file, p.text, ctx, true)
			if err != nil {
				return nil, err
			}
			parts[i].text = in
			if !slices.Contains(names, in) {
				names = append(names, in)
			}
		}
		if in, ok := lonePlaceholder(parts); ok {
			return &bindSpec{input: in}, nil
		}
		return &bindSpec{template: joinTemplate(parts), names: names}, nil
	}
	if m := dottedRef.FindStringSubmatch(s); m != nil {
		if in, err := l.inputRef(file, s, ctx, false); err != nil || in != "" {
			if err != nil {
				return nil, err
			}
			return &bindSpec{input: in}, nil
		}
	}
	return &bindSpec{literal: s, hasLiteral: true}, nil
}

// inputRef reads a reference to a caller's input: name, <namespace>.name or an alias. In a
// placeholder (braced) an upper-case name is a bind variable, which fills authentication only.
// Outside braces a dotted string that names no namespace is a literal ("" and no error).
func (l *loader) inputRef(file, ref string, ctx valueCtx, braced bool) (string, error) {
	prefix, name, dotted := strings.Cut(ref, ".")
	if !dotted {
		if bindVar.MatchString(ref) {
			if _, ok := l.binds[ref]; ok {
				return "", fmt.Errorf("{{%s}} is a bind variable: binds fill authentication only, never a request value", ref)
			}
			return "", fmt.Errorf("unbound {{%s}}: no bind declares it", ref)
		}
		if !inputName.MatchString(ref) {
			return "", fmt.Errorf("{{%s}} is not a valid input name", ref)
		}
		return ref, nil
	}
	if strings.Contains(name, ".") || !inputName.MatchString(name) {
		if braced {
			return "", fmt.Errorf("{{%s}} is not an input reference (<namespace>.name)", ref)
		}
		return "", nil
	}
	switch {
	case prefix == ctx.namespace && ctx.namespace != "":
		return name, nil
	case ctx.adapter == "" && l.exposing[prefix]:
		return name, nil // a consumed value names the inputs of whichever adapter calls
	case prefix == "rest" || prefix == "tools":
		want := map[string]string{"rest": "rest", "mcp": "tools"}[ctx.adapter]
		if ctx.adapter != "" && prefix != want {
			return "", fmt.Errorf("%s refers to %s inputs, but this is %s %s: write %s.%s", ref,
				map[string]string{"rest": "REST", "tools": "MCP"}[prefix], map[string]string{"rest": "a REST operation", "mcp": "an MCP tool"}[ctx.adapter], ctx.namespace, ctx.namespace, name)
		}
		l.warn(file, wAlias, ref)
		return name, nil
	case l.bindNS[prefix]:
		if _, ok := l.binds[name]; ok {
			return "", fmt.Errorf("{{%s}} is a bind variable: binds fill authentication only, never a request value", ref)
		}
		return "", fmt.Errorf("unbound {{%s}}: bind %s declares no %s", ref, prefix, name)
	case l.exposing[prefix] || l.apis[prefix] != nil:
		return "", fmt.Errorf("%s refers to the inputs of %s, not of %s", ref, prefix, cmpOr(ctx.namespace, "the calling adapter"))
	}
	if braced {
		return "", fmt.Errorf("{{%s}}: %s is not this adapter's namespace (%s) nor an alias (rest, tools)", ref, prefix, cmpOr(ctx.namespace, "none"))
	}
	return "", nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// unknownKeys warns about keys an element does not define.
func (l *loader) unknownKeys(file, el string, m meta) {
	for _, k := range m.unknown {
		if el == "" {
			l.warn(file, wUnknownKey, k)
		} else {
			l.warn(file, wUnknownKey, el+": "+k)
		}
	}
}
