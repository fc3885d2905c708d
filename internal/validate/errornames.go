package validate

import (
	"fmt"
	"slices"
)

// ExtErrorNames is the extension that documents the error names (the envelope's `name`) a
// response may carry. On a response object (inline or a component) it is a list of names; on an
// operation it is a map from a response status ("404", "5XX") to more names, for operations
// whose responses are shared components. An operation's names for a status are the union of both.
//
// The names are documentation and a promise restream-mock keeps (it checks every error it sends
// against them), not a rule CheckResponse enforces: Restream does not publish its error names, so
// a name the real API sends that the list lacks is no violation, and the proxy must not flag it.
const ExtErrorNames = "x-error-names"

// ErrorNames returns the error names documented for a response of op with the given status (the
// status's own response, else its range, else default), sorted; nil when none are.
func (op *Operation) ErrorNames(status int) []string {
	if resp := op.response(status); resp != nil {
		return resp.errorNames
	}
	return nil
}

// response returns the response documented for a status: its own, else its range's, else the
// default; nil when none is.
func (op *Operation) response(status int) *response {
	resp := op.responses[status]
	if resp == nil && status >= 100 && status < 600 {
		resp = op.ranges[status/100]
	}
	if resp == nil {
		resp = op.dflt
	}
	return resp
}

// stringList reads an x-error-names list as kin-openapi decodes it.
func stringList(v any) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	items, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s must be a list of names, not %T", ExtErrorNames, v)
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, ok := it.(string)
		if !ok || s == "" {
			return nil, fmt.Errorf("%s holds %v, which is not a name", ExtErrorNames, it)
		}
		out = append(out, s)
	}
	return out, nil
}

// errorNamesByStatus reads an operation's x-error-names map.
func errorNamesByStatus(v any) (map[string][]string, error) {
	if v == nil {
		return map[string][]string{}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s on an operation must map response statuses to names, not %T", ExtErrorNames, v)
	}
	out := make(map[string][]string, len(m))
	for status, names := range m {
		l, err := stringList(names)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", ExtErrorNames, status, err)
		}
		out[status] = l
	}
	return out, nil
}

// sortedUnion returns the names of a and b, sorted, each once; nil when there are none.
func sortedUnion(a, b []string) []string {
	if len(a)+len(b) == 0 {
		return nil
	}
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}
