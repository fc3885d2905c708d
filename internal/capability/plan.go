// Package capability loads Restream capability files (the Naftiko capability format, in the
// dialect the README documents) and checks them against the bundled OpenAPI description, into a
// Plan that restream-gateway runs: the consumed Restream operations, the REST facade's routes and
// the MCP server's tools, each with the JSON Schemas of its inputs and output derived from the
// spec.
//
// A Plan is immutable once loaded and safe for concurrent use. Load reports every problem of a
// file at once (errors.Join), each naming the file and the capability element.
package capability

import (
	"net/url"

	"github.com/theory/jsonpath"

	"github.com/restreamkit/restreamkit/internal/validate"
)

// Plan is a loaded and checked capability.
type Plan struct {
	Info Info
	// APIs are the consumed HTTP APIs, imports resolved, in file order.
	APIs []*API
	// REST and MCP are the exposed adapters, in file order.
	REST []*RESTAdapter
	MCP  []*MCPAdapter
	// Warnings are departures from the format the loader accepted (an alpha2 field in an alpha1
	// file, a `with` alias the format does not define...), one line each, for the start-up log.
	Warnings []string
}

// Info is the capability's label and description.
type Info struct {
	Label, Description string
}

// API is a consumed HTTP API: where it lives, how the gateway authenticates, and its operations.
type API struct {
	Namespace string
	// BaseURL is the capability's baseUri, such as https://api.restream.io/v2. The gateway may
	// replace it (--upstream) before serving.
	BaseURL *url.URL
	Auth    Auth
	Ops     []*Op
}

// Auth is how requests to an API authenticate.
type Auth struct {
	// Kind is "bearer", or "" for none.
	Kind string
	// Token is the bearer token with its binds resolved. It is a secret: never log it.
	Token string
	// TokenVar is the bind variable the token came from (RESTREAM_ACCESS_TOKEN), for messages.
	TokenVar string
}

// Op is a consumed operation, tied to the operation of the bundled spec that serves its method
// and path.
type Op struct {
	API *API
	// Ref is how exposed operations call it: "<namespace>.<name>", such as restream.get-channel.
	Ref    string
	Name   string
	Method string
	// Path is the capability's path, relative to BaseURL, with {x} (or {{x}}) templates:
	// /user/channel/{id}.
	Path string
	// SpecPath is the path the spec check routed: the baseUri's path and Path, templates
	// written {x} (/v2/user/channel/{id}). It stays right when the gateway replaces BaseURL, so
	// the invoker validates each call against the spec with it.
	SpecPath string
	// Spec is the bundled spec's operation (getChannel) the method and full path resolve to.
	Spec *validate.Operation
	// Slots are the values the operation takes, from the spec: path and query parameters and the
	// fields of a JSON request body, in that order.
	Slots []*Slot
}

// Slot is one value a consumed operation takes.
type Slot struct {
	Name string
	// SpecName is the spec's name of the value, which differs from Name only for a path
	// variable the capability names otherwise ({channelId} where the spec says {id}).
	SpecName string
	// In is "path", "query", "header" or "body" (a top-level field of the JSON request body).
	In          string
	Required    bool
	Description string
	// Schema is the spec's JSON Schema of the value, every $ref inlined, without $schema.
	Schema map[string]any
}

// Call is how one exposed route or tool calls its consumed operation.
type Call struct {
	// Name labels the call in metrics, logs and reports: "rest GET /v1/channels/{id}" or
	// "mcp update-channel".
	Name string
	Op   *Op
	// Bindings give each slot the call fills its value, in the order of Op.Slots. A slot of the
	// operation without a binding is left out of the request.
	Bindings []*Binding
	// Outputs are the output mappings, tried in order: the first that yields a value is the
	// answer; when none does, the raw upstream body is.
	Outputs []*Mapping
}

// Binding fills one slot of a call.
type Binding struct {
	Slot *Slot
	// Input, when set, is the caller's input whose value fills the slot, keeping its JSON type.
	// An absent optional input leaves the slot out (a PATCH stays partial).
	Input string
	// Template, when Input is empty and Literal is nil, is a Mustache template rendered over the
	// caller's inputs ({{id}}); the result is a string.
	Template string
	// Literal, when not nil, is a constant value (a number or a string from the file).
	Literal any
}

// Mapping shapes an upstream answer into the exposed output. Path is a JSONPath (RFC 9535, with
// "$." meaning the whole document as in the format); an object without Properties and an array
// without Items pass the selected value through.
type Mapping struct {
	// Type is string, number, integer, boolean, object or array.
	Type string
	// Path selects the value; "" when Const is set.
	Path string
	// Const is a fixed value (HasConst says it is set, as it may be null).
	Const    any
	HasConst bool
	// Properties map the fields of an object, in file order; Items maps each element of an array.
	Properties []*Property
	Items      *Mapping

	// query is Path compiled by the loader; a hand-built Mapping is compiled on use.
	query *jsonpath.Path
}

// Property is one named field of an object mapping.
type Property struct {
	Name    string
	Mapping *Mapping
}

// Input is one value a caller of a route or a tool gives.
type Input struct {
	Name string
	// In is where a REST caller puts it ("path", "query", "header" or "body": a field of the JSON
	// request body); "" for an MCP tool argument.
	In          string
	Required    bool
	Description string
	// Schema is the JSON Schema of the value: every $ref inlined, no $schema, one type (never a
	// list of types), so that every MCP client accepts it.
	Schema map[string]any
}

// RESTAdapter is an exposed REST facade.
type RESTAdapter struct {
	Namespace string
	// Address and Port are where it listens; Address defaults to 127.0.0.1.
	Address string
	Port    int
	Routes  []*Route
}

// Route is one method of one path of the REST facade.
type Route struct {
	Name, Description string
	Method            string
	// Path is the facade's template, with {x} variables: /v1/channels/{id}.
	Path   string
	Inputs []*Input
	Call   *Call
	// OutputSchema is the JSON Schema of a successful answer (the mapped output of the spec's
	// 2xx schema), or nil when the operation answers without a body. It is written in OpenAPI
	// 3.0's dialect, for the facade's /openapi.json: one type per schema, a nullable value says
	// nullable: true. Objects allow fields the spec does not list.
	OutputSchema map[string]any
}

// MCPAdapter is an exposed MCP server.
type MCPAdapter struct {
	Namespace string
	// Description is sent as the server's instructions.
	Description string
	// Transport is "http" (Streamable HTTP) or "stdio".
	Transport string
	Address   string
	Port      int
	Tools     []*Tool
}

// Tool is one MCP tool.
type Tool struct {
	// Name matches ^[A-Za-z0-9_-]{1,64}$.
	Name, Title, Description string
	Hints                    Hints
	Inputs                   []*Input
	// InputSchema is the object schema of the arguments (properties from Inputs, required
	// names), ready to send as the tool's inputSchema.
	InputSchema map[string]any
	// OutputSchema is the object schema of structuredContent, or nil when the operation answers
	// without a body. MCP's structuredContent must be an object, so an answer of any other type
	// (a list of channels) is wrapped as {"result": <answer>}, and OutputSchema says so
	// (WrapsResult). It is JSON Schema with one type per schema: a nullable value is
	// anyOf [{"type": T}, {"type": "null"}]. Objects allow fields the spec does not list.
	OutputSchema map[string]any
	// WrapsResult says the structured answer is {"result": <mapped output>}.
	WrapsResult bool
	Call        *Call
}

// Hints are a tool's MCP annotations; nil means unset, and is left out of the annotations.
type Hints struct {
	ReadOnly, Destructive, Idempotent, OpenWorld *bool
}
