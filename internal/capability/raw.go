package capability

import (
	"reflect"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// The raw types mirror the YAML of a capability file, read leniently: every field the format
// (alpha1 or alpha2) defines is read, and each element remembers its line and the keys it did
// not know, which the loader turns into warnings. The loader, not YAML decoding, judges what the
// values mean.

// meta is what every raw element keeps besides its fields.
type meta struct {
	line    int
	unknown []string // keys the element does not define, sorted
}

// decodeElement decodes a mapping node into plain (a pointer to the element's method-less twin,
// so that decoding does not recurse into UnmarshalYAML), recording the line and unknown keys.
func decodeElement(n *yaml.Node, m *meta, plain any) error {
	m.line = n.Line
	if n.Kind == yaml.MappingNode {
		known := knownKeys(reflect.TypeOf(plain).Elem())
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if !known[k] {
				m.unknown = append(m.unknown, k)
			}
		}
		sort.Strings(m.unknown)
	}
	return n.Decode(plain)
}

var knownCache sync.Map // reflect.Type → map[string]bool

// knownKeys returns the YAML keys a struct type reads (its yaml tags).
func knownKeys(t reflect.Type) map[string]bool {
	if v, ok := knownCache.Load(t); ok {
		return v.(map[string]bool)
	}
	known := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		known[name] = true
	}
	knownCache.Store(t, known)
	return known
}

// rawDoc is a whole capability file, or a consumes file (top-level consumes).
type rawDoc struct {
	meta       `yaml:"-"`
	Naftiko    string         `yaml:"naftiko"`
	Info       *rawInfo       `yaml:"info"`
	Binds      []*rawBind     `yaml:"binds"`
	Capability *rawCapability `yaml:"capability"`
	Consumes   []*rawConsumes `yaml:"consumes"`
	Aggregates *nodeField     `yaml:"aggregates"`
	Exposes    *nodeField     `yaml:"exposes"` // a common mistake: exposes outside capability
}

func (d *rawDoc) UnmarshalYAML(n *yaml.Node) error {
	type plain rawDoc
	return decodeElement(n, &d.meta, (*plain)(d))
}

type rawInfo struct {
	meta         `yaml:"-"`
	Label        string     `yaml:"label"`
	Description  string     `yaml:"description"`
	Tags         []string   `yaml:"tags"`
	Created      string     `yaml:"created"`
	Modified     string     `yaml:"modified"`
	Stakeholders *nodeField `yaml:"stakeholders"`
}

func (d *rawInfo) UnmarshalYAML(n *yaml.Node) error {
	type plain rawInfo
	return decodeElement(n, &d.meta, (*plain)(d))
}

type rawCapability struct {
	meta     `yaml:"-"`
	Binds    []*rawBind     `yaml:"binds"`
	Exposes  []*rawExposes  `yaml:"exposes"`
	Consumes []*rawConsumes `yaml:"consumes"`
}

func (d *rawCapability) UnmarshalYAML(n *yaml.Node) error {
	type plain rawCapability
	return decodeElement(n, &d.meta, (*plain)(d))
}

type rawBind struct {
	meta        `yaml:"-"`
	Namespace   string    `yaml:"namespace"`
	Description string    `yaml:"description"`
	Location    string    `yaml:"location"`
	Keys        orderedKV `yaml:"keys"`
}

func (d *rawBind) UnmarshalYAML(n *yaml.Node) error {
	type plain rawBind
	return decodeElement(n, &d.meta, (*plain)(d))
}

// rawConsumes is a consumes entry: an HTTP API (type: http) or an import of one.
type rawConsumes struct {
	meta            `yaml:"-"`
	Type            string              `yaml:"type"`
	Namespace       string              `yaml:"namespace"`
	BaseURI         string              `yaml:"baseUri"`
	Description     string              `yaml:"description"`
	Authentication  *rawAuth            `yaml:"authentication"`
	InputParameters []*rawConsumedParam `yaml:"inputParameters"`
	Resources       []*rawResource      `yaml:"resources"`
	Import          string              `yaml:"import"`
	Location        string              `yaml:"location"`
	As              string              `yaml:"as"`
}

func (d *rawConsumes) UnmarshalYAML(n *yaml.Node) error {
	type plain rawConsumes
	return decodeElement(n, &d.meta, (*plain)(d))
}

type rawAuth struct {
	meta      `yaml:"-"`
	Type      string `yaml:"type"`
	Token     string `yaml:"token"`
	Username  string `yaml:"username"`
	Password  string `yaml:"password"`
	Key       string `yaml:"key"`
	Value     string `yaml:"value"`
	Placement string `yaml:"placement"`
}

func (d *rawAuth) UnmarshalYAML(n *yaml.Node) error {
	type plain rawAuth
	return decodeElement(n, &d.meta, (*plain)(d))
}

type rawResource struct {
	meta            `yaml:"-"`
	Name            string              `yaml:"name"`
	Path            string              `yaml:"path"`
	Label           string              `yaml:"label"`
	Description     string              `yaml:"description"`
	InputParameters []*rawConsumedParam `yaml:"inputParameters"`
	Operations      []*rawConsumedOp    `yaml:"operations"`
}

func (d *rawResource) UnmarshalYAML(n *yaml.Node) error {
	type plain rawResource
	return decodeElement(n, &d.meta, (*plain)(d))
}

type rawConsumedOp struct {
	meta             `yaml:"-"`
	Name             string              `yaml:"name"`
	Method           string              `yaml:"method"`
	Label            string              `yaml:"label"`
	Description      string              `yaml:"description"`
	InputParameters  []*rawConsumedParam `yaml:"inputParameters"`
	OutputRawFormat  string              `yaml:"outputRawFormat"`
	OutputParameters *nodeField          `yaml:"outputParameters"` // used by orchestration only
	OutputSchema     *nodeField          `yaml:"outputSchema"`
	Body             *rawBody            `yaml:"body"`
}

func (d *rawConsumedOp) UnmarshalYAML(n *yaml.Node) error {
	type plain rawConsumedOp
	return decodeElement(n, &d.meta, (*plain)(d))
}

// rawConsumedParam is a consumed inputParameter. The format allows name, in and value; the
// seed files also carry type, required and description, read as documentation.
type rawConsumedParam struct {
	meta        `yaml:"-"`
	Name        string     `yaml:"name"`
	In          string     `yaml:"in"`
	Value       *nodeField `yaml:"value"`
	Type        string     `yaml:"type"`
	Required    *bool      `yaml:"required"`
	Description string     `yaml:"description"`
}

func (d *rawConsumedParam) UnmarshalYAML(n *yaml.Node) error {
	type plain rawConsumedParam
	return decodeElement(n, &d.meta, (*plain)(d))
}

// rawBody is a consumed request body: {type, data}, or a raw string.
type rawBody struct {
	meta `yaml:"-"`
	Type string     `yaml:"type"`
	Data *nodeField `yaml:"data"`
	raw  bool       // written as a bare string
}

func (d *rawBody) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		d.line, d.raw = n.Line, true
		return nil
	}
	type plain rawBody
	return decodeElement(n, &d.meta, (*plain)(d))
}

// rawExposes is an exposes entry; its type says which of the two shapes it has.
type rawExposes struct {
	meta `yaml:"-"`
	Type string
	REST *rawREST
	MCP  *rawMCP
}

func (d *rawExposes) UnmarshalYAML(n *yaml.Node) error {
	d.line = n.Line
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "type" {
				d.Type = n.Content[i+1].Value
			}
		}
	}
	switch d.Type {
	case "rest":
		d.REST = &rawREST{}
		return n.Decode(d.REST)
	case "mcp":
		d.MCP = &rawMCP{}
		return n.Decode(d.MCP)
	}
	return nil
}

type rawREST struct {
	meta           `yaml:"-"`
	Type           string                `yaml:"type"`
	Namespace      string                `yaml:"namespace"`
	Address        string                `yaml:"address"`
	Port           int                   `yaml:"port"`
	Description    string                `yaml:"description"` // not in the format; the seed has it
	Authentication *rawAuth              `yaml:"authentication"`
	Resources      []*rawExposedResource `yaml:"resources"`
}

func (d *rawREST) UnmarshalYAML(n *yaml.Node) error {
	type plain rawREST
	return decodeElement(n, &d.meta, (*plain)(d))
}

type rawExposedResource struct {
	meta            `yaml:"-"`
	Path            string             `yaml:"path"`
	Name            string             `yaml:"name"`
	Label           string             `yaml:"label"`
	Description     string             `yaml:"description"`
	InputParameters []*rawExposedParam `yaml:"inputParameters"`
	Operations      []*rawExposedOp    `yaml:"operations"`
	Forward         *nodeField         `yaml:"forward"`
}

func (d *rawExposedResource) UnmarshalYAML(n *yaml.Node) error {
	type plain rawExposedResource
	return decodeElement(n, &d.meta, (*plain)(d))
}

type rawExposedOp struct {
	meta             `yaml:"-"`
	Method           string             `yaml:"method"`
	Name             string             `yaml:"name"`
	Label            string             `yaml:"label"`
	Description      string             `yaml:"description"`
	InputParameters  []*rawExposedParam `yaml:"inputParameters"`
	Call             string             `yaml:"call"`
	With             orderedKV          `yaml:"with"`
	OutputParameters []*rawMapped       `yaml:"outputParameters"`
	Steps            *nodeField         `yaml:"steps"`
	Mappings         *nodeField         `yaml:"mappings"`
}

func (d *rawExposedOp) UnmarshalYAML(n *yaml.Node) error {
	type plain rawExposedOp
	return decodeElement(n, &d.meta, (*plain)(d))
}

// rawExposedParam is an exposed inputParameter of a REST resource or operation, or of an MCP
// tool (no `in`; `required` defaults to true).
type rawExposedParam struct {
	meta        `yaml:"-"`
	Name        string     `yaml:"name"`
	In          string     `yaml:"in"`
	Type        string     `yaml:"type"`
	Description string     `yaml:"description"`
	Pattern     string     `yaml:"pattern"`
	Value       *nodeField `yaml:"value"`
	Required    *bool      `yaml:"required"`
}

func (d *rawExposedParam) UnmarshalYAML(n *yaml.Node) error {
	type plain rawExposedParam
	return decodeElement(n, &d.meta, (*plain)(d))
}

// rawMapped is an exposed output parameter (MappedOutputParameter).
type rawMapped struct {
	meta        `yaml:"-"`
	Name        string        `yaml:"name"`
	Type        string        `yaml:"type"`
	Mapping     *string       `yaml:"mapping"`
	Const       *nodeField    `yaml:"const"`
	Value       *nodeField    `yaml:"value"` // alpha2
	Description string        `yaml:"description"`
	Properties  orderedMapped `yaml:"properties"`
	Items       *rawMapped    `yaml:"items"`
}

func (d *rawMapped) UnmarshalYAML(n *yaml.Node) error {
	type plain rawMapped
	return decodeElement(n, &d.meta, (*plain)(d))
}

// orderedMapped keeps the properties of an object output in file order.
type orderedMapped []namedMapped

type namedMapped struct {
	Name    string
	Mapping *rawMapped
}

func (o *orderedMapped) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return &yaml.TypeError{Errors: []string{lineOf(n) + "properties must be a mapping"}}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		m := &rawMapped{}
		if err := n.Content[i+1].Decode(m); err != nil {
			return err
		}
		*o = append(*o, namedMapped{Name: n.Content[i].Value, Mapping: m})
	}
	return nil
}

// orderedKV keeps a mapping's entries in file order (with, bind keys), values as YAML nodes.
type orderedKV []kv

type kv struct {
	Key   string
	Value *yaml.Node
}

func (o *orderedKV) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return &yaml.TypeError{Errors: []string{lineOf(n) + "must be a mapping"}}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		*o = append(*o, kv{Key: n.Content[i].Value, Value: n.Content[i+1]})
	}
	return nil
}

type rawMCP struct {
	meta           `yaml:"-"`
	Type           string     `yaml:"type"`
	Transport      string     `yaml:"transport"`
	Namespace      string     `yaml:"namespace"`
	Address        string     `yaml:"address"`
	Port           int        `yaml:"port"`
	Description    string     `yaml:"description"`
	Authentication *rawAuth   `yaml:"authentication"`
	Tools          []*rawTool `yaml:"tools"`
	Resources      *nodeField `yaml:"resources"`
	Prompts        *nodeField `yaml:"prompts"`
}

func (d *rawMCP) UnmarshalYAML(n *yaml.Node) error {
	type plain rawMCP
	return decodeElement(n, &d.meta, (*plain)(d))
}

type rawTool struct {
	meta             `yaml:"-"`
	Name             string             `yaml:"name"`
	Label            string             `yaml:"label"`
	Description      string             `yaml:"description"`
	Hints            *rawHints          `yaml:"hints"`
	InputParameters  []*rawExposedParam `yaml:"inputParameters"`
	Call             string             `yaml:"call"`
	With             orderedKV          `yaml:"with"`
	OutputParameters []*rawMapped       `yaml:"outputParameters"`
	Steps            *nodeField         `yaml:"steps"`
	Mappings         *nodeField         `yaml:"mappings"`
	Ref              *nodeField         `yaml:"ref"`
}

func (d *rawTool) UnmarshalYAML(n *yaml.Node) error {
	type plain rawTool
	return decodeElement(n, &d.meta, (*plain)(d))
}

type rawHints struct {
	meta        `yaml:"-"`
	ReadOnly    *bool `yaml:"readOnly"`
	Destructive *bool `yaml:"destructive"`
	Idempotent  *bool `yaml:"idempotent"`
	OpenWorld   *bool `yaml:"openWorld"`
}

func (d *rawHints) UnmarshalYAML(n *yaml.Node) error {
	type plain rawHints
	return decodeElement(n, &d.meta, (*plain)(d))
}

// nodeField keeps a value as its YAML node, for the loader to read later (yaml/v3 decodes a
// *yaml.Node struct field from a scalar only).
type nodeField struct{ *yaml.Node }

func (f *nodeField) UnmarshalYAML(n *yaml.Node) error {
	f.Node = n
	return nil
}

func lineOf(n *yaml.Node) string {
	if n == nil || n.Line == 0 {
		return ""
	}
	return "line " + itoa(n.Line) + ": "
}
