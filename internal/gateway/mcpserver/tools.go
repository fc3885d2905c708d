package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/restreamkit/restreamkit/internal/capability"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// tool is an exposed tool, ready to list and to call.
type tool struct {
	src *capability.Tool
	sdk *mcp.Tool
	// wire is the tool as tools/list sends it.
	wire json.RawMessage
	// in validates arguments; out validates structuredContent (nil without an output schema).
	in, out *validate.Schema
	// paramHeaders is set when the input schema binds an argument to an Mcp-Param-* header
	// (x-mcp-header), which the SDK checks against the call; the fast path leaves such tools
	// to the SDK.
	paramHeaders bool
}

// toolName is the name rule of MCP's tool-name guidance that every client accepts (some
// clients refuse dots, slashes and names over 64 characters).
var toolName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// compileTool checks t against the rules clients enforce and compiles its schemas.
func compileTool(t *capability.Tool) (*tool, error) {
	if !toolName.MatchString(t.Name) {
		return nil, fmt.Errorf("tool %q: the name must match %s", t.Name, toolName)
	}
	if t.Call == nil {
		return nil, fmt.Errorf("tool %q: no call", t.Name)
	}
	input := t.InputSchema
	if input == nil {
		input = map[string]any{"type": "object"}
	}
	if err := checkClientSchema(input, true); err != nil {
		return nil, fmt.Errorf("tool %q: inputSchema: %w", t.Name, err)
	}
	// Unknown arguments are refused, and the schema sent says so, so that a client's own
	// validation agrees with ours.
	if _, set := input["additionalProperties"]; !set {
		input = maps.Clone(input)
		input["additionalProperties"] = false
	}
	ct := &tool{src: t}
	var err error
	if ct.in, err = compileSchema(t.Name+".input", input); err != nil {
		return nil, err
	}
	if data, err := json.Marshal(input); err != nil || bytes.Contains(data, []byte(`"x-mcp-header"`)) {
		ct.paramHeaders = true
	}
	if t.OutputSchema != nil {
		if err := checkClientSchema(t.OutputSchema, true); err != nil {
			return nil, fmt.Errorf("tool %q: outputSchema: %w", t.Name, err)
		}
		if ct.out, err = compileSchema(t.Name+".output", t.OutputSchema); err != nil {
			return nil, err
		}
	}

	ct.sdk = &mcp.Tool{Name: t.Name, Title: t.Title, Description: t.Description, InputSchema: input}
	if t.OutputSchema != nil {
		ct.sdk.OutputSchema = t.OutputSchema
	}
	wt := wireTool{Name: t.Name, Title: t.Title, Description: t.Description, InputSchema: input,
		OutputSchema: t.OutputSchema}
	a := wireAnnotations{Title: t.Title, ReadOnlyHint: t.Hints.ReadOnly, DestructiveHint: t.Hints.Destructive,
		IdempotentHint: t.Hints.Idempotent, OpenWorldHint: t.Hints.OpenWorld}
	if a != (wireAnnotations{}) {
		wt.Annotations = &a
	}
	if ct.wire, err = json.Marshal(wt); err != nil {
		return nil, fmt.Errorf("tool %q: %w", t.Name, err)
	}
	return ct, nil
}

// compileSchema compiles a tool schema for validation (JSON Schema 2020-12, MCP's dialect).
func compileSchema(name string, schema map[string]any) (*validate.Schema, error) {
	data, err := json.Marshal(schema)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	compiled, err := validate.CompileDocuments(validate.JSONSchema202012, map[string][]byte{name: data}, name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return compiled[name], nil
}

// checkClientSchema reports where schema breaks what every MCP client accepts: a root that is
// not an object schema (when root is set), a $ref (many clients do not resolve them), a
// $schema (some refuse dialects they do not know) or a list of types (some accept one type
// only). Values that are data rather than schemas (enum, const, default, examples) are not
// searched.
func checkClientSchema(schema map[string]any, root bool) error {
	if root && schema["type"] != "object" {
		return fmt.Errorf(`the root must be {"type": "object", ...}, got type %v`, schema["type"])
	}
	return walkSchema(schema, "")
}

func walkSchema(node any, at string) error {
	switch n := node.(type) {
	case map[string]any:
		for k, v := range n {
			switch k {
			case "$ref", "$schema", "$dynamicRef":
				return fmt.Errorf("%s at %q: inline it", k, at)
			case "type":
				if _, ok := v.(string); !ok {
					return fmt.Errorf("type at %q: want a single type name, got %v", at, v)
				}
			case "enum", "const", "default", "examples", "example":
				continue
			}
			if err := walkSchema(v, at+"/"+k); err != nil {
				return err
			}
		}
	case []any:
		for i, v := range n {
			if err := walkSchema(v, fmt.Sprintf("%s/%d", at, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// wireTool is a tool as tools/list sends it.
type wireTool struct {
	Name         string           `json:"name"`
	Title        string           `json:"title,omitempty"`
	Description  string           `json:"description,omitempty"`
	InputSchema  map[string]any   `json:"inputSchema"`
	OutputSchema map[string]any   `json:"outputSchema,omitempty"`
	Annotations  *wireAnnotations `json:"annotations,omitempty"`
}

// wireAnnotations are a tool's annotations with every hint optional: a hint the capability
// leaves unset is left out, so that the client applies MCP's default rather than a false the
// file never said. (The SDK's ToolAnnotations always sends readOnlyHint and idempotentHint.)
type wireAnnotations struct {
	Title           string `json:"title,omitempty"`
	ReadOnlyHint    *bool  `json:"readOnlyHint,omitempty"`
	DestructiveHint *bool  `json:"destructiveHint,omitempty"`
	IdempotentHint  *bool  `json:"idempotentHint,omitempty"`
	OpenWorldHint   *bool  `json:"openWorldHint,omitempty"`
}

// toolsListMiddleware has tools/list send each tool as wireTool renders it, keeping the SDK's
// paging, cache hints and _meta.
func (s *Server) toolsListMiddleware(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		res, err := next(ctx, method, req)
		if err != nil || method != "tools/list" {
			return res, err
		}
		if list, ok := res.(*mcp.ListToolsResult); ok {
			return &toolList{ListToolsResult: list, byName: s.byName}, nil
		}
		return res, nil
	}
}

// toolList is a tools/list result whose tools marshal as wireTool. It embeds the SDK's result
// so that it is still an mcp.Result and the SDK's later touches (_meta) reach it.
type toolList struct {
	*mcp.ListToolsResult
	byName map[string]*tool
}

// MarshalJSON writes the SDK's result with its tools replaced by their wire form.
func (l *toolList) MarshalJSON() ([]byte, error) {
	base, err := json.Marshal(l.ListToolsResult)
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(base, &fields); err != nil {
		return nil, err
	}
	tools := make([]json.RawMessage, 0, len(l.Tools))
	for _, t := range l.Tools {
		ct, ok := l.byName[t.Name]
		if !ok { // cannot happen: the SDK lists the tools New added
			return nil, fmt.Errorf("tools/list: unknown tool %q", t.Name)
		}
		tools = append(tools, ct.wire)
	}
	if fields["tools"], err = json.Marshal(tools); err != nil {
		return nil, err
	}
	return json.Marshal(fields)
}
