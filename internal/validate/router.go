package validate

import (
	"net/url"
	"strings"
)

// maxPathParams bounds the templated segments of one path.
const maxPathParams = 8

// PathParams holds the values of a matched path's templated segments. It lives on the caller's
// stack: matching a path allocates nothing. Find fills it from its own router (the proxy); Set
// fills it from another router's match (the mock routes with echo).
type PathParams struct {
	vals    [maxPathParams]string
	n       int
	names   []string // the operation's parameter names, in template order
	escaped bool     // the values are still percent-encoded
}

// Set fills p with the values another router matched for op's templated segments, in template
// order. escaped says the values are still percent-encoded, as a router that matched the raw path
// leaves them; they are then decoded the way oapi-codegen's binder decodes them (url.PathUnescape).
// Set reports false, leaving p empty, when the values do not fit op's template.
func (p *PathParams) Set(op *Operation, values []string, escaped bool) bool {
	p.n, p.names, p.escaped = 0, nil, escaped
	if len(values) != len(op.pathParamNames) || len(values) > maxPathParams {
		return false
	}
	p.n = copy(p.vals[:], values)
	p.names = op.pathParamNames
	return true
}

// Len returns the number of path parameters.
func (p *PathParams) Len() int { return p.n }

// Name returns the name of the i-th path parameter.
func (p *PathParams) Name(i int) string { return p.names[i] }

// Raw returns the i-th value as the router matched it (percent-encoded when the router matched
// the raw path).
func (p *PathParams) Raw(i int) string { return p.vals[i] }

// Value returns the i-th value, percent-decoded; a value that does not decode is returned raw.
func (p *PathParams) Value(i int) string {
	v, _ := p.value(i)
	return v
}

// value returns the i-th decoded value and whether it decoded.
func (p *PathParams) value(i int) (string, bool) {
	raw := p.vals[i]
	if !p.escaped || strings.IndexByte(raw, '%') < 0 {
		return raw, true
	}
	v, err := url.PathUnescape(raw)
	if err != nil {
		return raw, false
	}
	return v, true
}

// Get returns the decoded value of the named parameter.
func (p *PathParams) Get(name string) (string, bool) {
	for i := 0; i < p.n; i++ {
		if p.names[i] == name {
			return p.Value(i), true
		}
	}
	return "", false
}

// node is one segment position of the path tree.
type node struct {
	static map[string]*node
	param  *node
	// ops holds the operations of a path that ends at this node, by HTTP method.
	ops      map[string]*Operation
	template string
	allow    string // the methods of ops, for the Allow header
}

// router matches request paths to path templates. Literal segments win over templated ones, as
// OpenAPI requires; when a literal branch dead-ends, matching backtracks to the templated branch.
type router struct {
	root node
}

func (r *router) add(template string, op *Operation) {
	n := &r.root
	for _, seg := range strings.Split(strings.TrimPrefix(template, "/"), "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			if n.param == nil {
				n.param = &node{}
			}
			n = n.param
			continue
		}
		if n.static == nil {
			n.static = map[string]*node{}
		}
		child := n.static[seg]
		if child == nil {
			child = &node{}
			n.static[seg] = child
		}
		n = child
	}
	if n.ops == nil {
		n.ops = map[string]*Operation{}
	}
	n.template = template
	n.ops[op.Method] = op
	if n.allow != "" {
		n.allow += ", "
	}
	n.allow += op.Method
}

// match finds the node a path ends at and records the templated segments' spans.
func (r *router) match(path string, pp *PathParams) *node {
	if len(path) == 0 || path[0] != '/' {
		return nil
	}
	pp.n, pp.escaped = 0, true
	return matchFrom(&r.root, path, 1, pp)
}

func matchFrom(n *node, path string, start int, pp *PathParams) *node {
	end := strings.IndexByte(path[start:], '/')
	last := end < 0
	if last {
		end = len(path)
	} else {
		end += start
	}
	seg := path[start:end]
	if seg == "" {
		return nil
	}
	if child := n.static[seg]; child != nil {
		if last {
			if child.ops != nil {
				return child
			}
		} else if found := matchFrom(child, path, end+1, pp); found != nil {
			return found
		}
	}
	if n.param == nil || pp.n == maxPathParams {
		return nil
	}
	i := pp.n
	pp.vals[i] = seg
	pp.n++
	if last {
		if n.param.ops != nil {
			return n.param
		}
	} else if found := matchFrom(n.param, path, end+1, pp); found != nil {
		return found
	}
	pp.n = i
	return nil
}
