package capability

import (
	"fmt"
	"strings"

	"github.com/theory/jsonpath"
)

// Output mappings select with JSONPath (RFC 9535, through github.com/theory/jsonpath). As in the
// format's reference engine, "$" and "$." both mean the whole document. A query that can select
// at most one node (a singular query: $.a.b, $.items[0]) gives that node or nothing; any other
// query ($.items[*].id) gives the list of the nodes it selects.

// compilePath parses a mapping's JSONPath; a nil Path with no error means the whole document.
func compilePath(expr string) (*jsonpath.Path, error) {
	if isRoot(expr) {
		return nil, nil
	}
	p, err := jsonpath.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("mapping %q is not a JSONPath (RFC 9535): %w", expr, err)
	}
	return p, nil
}

func isRoot(expr string) bool {
	e := strings.TrimSpace(expr)
	return e == "$" || e == "$."
}

// Apply shapes doc (a JSON document as encoding/json decodes it) with m. present is false when
// the mapping selects nothing; a present nil is a JSON null. An object mapping with Properties
// builds an object from its properties, each mapped from the object m selected; an array mapping
// with Items maps each element; without Properties or Items the selected value passes through,
// provided it is an object (or an array). A scalar mapping passes the selected value through.
func (m *Mapping) Apply(doc any) (v any, present bool) {
	if m.HasConst {
		return m.Const, true
	}
	v, present = m.selectValue(doc)
	if !present || v == nil {
		return v, present
	}
	switch m.Type {
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, true
		}
		if len(m.Properties) == 0 {
			return obj, true
		}
		out := make(map[string]any, len(m.Properties))
		for _, p := range m.Properties {
			if pv, ok := p.Mapping.Apply(obj); ok {
				out[p.Name] = pv
			}
		}
		return out, true
	case "array":
		arr, ok := v.([]any)
		if !ok {
			return nil, true
		}
		if m.Items == nil {
			return arr, true
		}
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i], _ = m.Items.Apply(e)
		}
		return out, true
	}
	return v, true
}

// selectValue runs the mapping's JSONPath over doc.
func (m *Mapping) selectValue(doc any) (any, bool) {
	q := m.query
	if q == nil {
		if m.Path == "" || isRoot(m.Path) {
			return doc, true
		}
		var err error
		if q, err = jsonpath.Parse(m.Path); err != nil {
			return nil, false
		}
	}
	nodes := q.Select(doc)
	if q.Query().Singular() != nil {
		if len(nodes) == 0 {
			return nil, false
		}
		return nodes[0], true
	}
	return []any(nodes), true
}

// First applies the mappings in order and returns the first present, non-null value; ok is
// false when none gives one (the caller then answers with the upstream's body as it came).
func First(mappings []*Mapping, doc any) (v any, ok bool) {
	for _, m := range mappings {
		if v, present := m.Apply(doc); present && v != nil {
			return v, true
		}
	}
	return nil, false
}

// FirstIsWhole tells, from the JSON type of a document alone, what First gives for it when that
// is the document itself: kind is the type of the document's top-level value ("object",
// "array", "string", "number", "boolean" or "null"). whole is true when First(mappings, doc) is
// doc; known is false when the answer depends on more than the type (a mapping before the one
// that gives a value selects a part, builds properties or items, or is a constant), and the
// caller must then decode the document and call First. It lets a caller hand on an answer whose
// mapping is "$" without decoding it: an object or array mapping without properties or items
// passes a value of its own type, a scalar mapping any non-null value, and null is skipped.
func FirstIsWhole(mappings []*Mapping, kind string) (whole, known bool) {
	for _, m := range mappings {
		if m == nil || m.HasConst || len(m.Properties) > 0 || m.Items != nil || m.query != nil || !(m.Path == "" || isRoot(m.Path)) {
			return false, false
		}
		if kind == "null" {
			continue
		}
		switch m.Type {
		case "object", "array":
			if kind == m.Type {
				return true, true
			}
		default:
			return true, true
		}
	}
	return false, true
}
