package validate

import (
	"net/url"
	"strings"
)

// maxPathParams bounds the templated segments of one path.
const maxPathParams = 8

// PathParams holds the values of a matched path's templated segments, as spans of the path.
// It lives on the caller's stack: matching a path allocates nothing.
type PathParams struct {
	path  string
	spans [maxPathParams][2]int
	n     int
	names []string // the operation's parameter names, in template order
}

// Len returns the number of path parameters.
func (p *PathParams) Len() int { return p.n }

// Name returns the name of the i-th path parameter.
func (p *PathParams) Name(i int) string { return p.names[i] }

// Raw returns the i-th value as it appears in the path (still percent-encoded).
func (p *PathParams) Raw(i int) string { return p.path[p.spans[i][0]:p.spans[i][1]] }

// Value returns the i-th value, percent-decoded.
func (p *PathParams) Value(i int) string {
	raw := p.Raw(i)
	if strings.IndexByte(raw, '%') < 0 {
		return raw
	}
	if v, err := url.PathUnescape(raw); err == nil {
		return v
	}
	return raw
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
	pp.path = path
	pp.n = 0
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
	pp.spans[i] = [2]int{start, end}
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
