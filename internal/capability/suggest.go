package capability

import (
	"slices"
	"strings"

	"github.com/theory/jsonpath"
	"github.com/theory/jsonpath/spec"

	"github.com/restreamkit/restreamkit/internal/validate"
)

// closestOperation returns the spec operation nearest to method and path, for a "did you mean"
// hint. Paths are compared as bags of words (split at "/" and "-", a trailing plural s dropped,
// every template one word), so that /user/channel/{id}/meta finds /user/channel-meta/{id} and
// /user/event/upcoming finds /user/events/upcoming; ties go to the same method, then to the
// smaller edit distance.
func closestOperation(ops []*validate.Operation, method, path string) *validate.Operation {
	want := pathWords(path)
	var best *validate.Operation
	bestScore := 0
	for _, op := range ops {
		score := 4 * bagDistance(want, pathWords(op.Path))
		if op.Method != method {
			score += 2
		}
		score += min(editDistance(normalTemplate(path), normalTemplate(op.Path)), 40) / 20
		if best == nil || score < bestScore {
			best, bestScore = op, score
		}
	}
	return best
}

// pathWords splits a path template into comparable words.
func pathWords(p string) []string {
	var words []string
	for _, seg := range strings.Split(p, "/") {
		if seg == "" {
			continue
		}
		if strings.HasPrefix(seg, "{") {
			words = append(words, "{}")
			continue
		}
		for _, w := range strings.Split(seg, "-") {
			w = strings.ToLower(w)
			if len(w) > 3 && strings.HasSuffix(w, "s") {
				w = w[:len(w)-1]
			}
			if w != "" {
				words = append(words, w)
			}
		}
	}
	return words
}

// bagDistance counts the words of a and b that the other lacks (multiset difference).
func bagDistance(a, b []string) int {
	rest := slices.Clone(b)
	d := 0
	for _, w := range a {
		if i := slices.Index(rest, w); i >= 0 {
			rest = slices.Delete(rest, i, i+1)
		} else {
			d++
		}
	}
	return d + len(rest)
}

// normalTemplate writes every {x} of a path as {}.
func normalTemplate(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			segs[i] = "{}"
		}
	}
	return strings.Join(segs, "/")
}

// editDistance is Levenshtein's distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// closestName returns the candidate nearest to name, when it is near enough to be a typo.
func closestName(name string, candidates []string) string {
	best, bestD := "", 0
	for _, c := range candidates {
		d := editDistance(strings.ToLower(name), strings.ToLower(c))
		if best == "" || d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" || bestD > max(2, len(name)/3) {
		return ""
	}
	return best
}

// pathSchema follows a mapping's JSONPath through the output schema of the document it reads.
// It knows name and index selectors and one wildcard over an array; for any other query known is
// false and the caller falls back to the mapping's declared type. guaranteed says every
// document the schema allows has a non-null value there.
func pathSchema(q *jsonpath.Path, root map[string]any) (schema map[string]any, guaranteed, known bool) {
	if q == nil {
		return nonNull(root), true, true
	}
	cur, guaranteed, list := root, true, false
	for _, seg := range q.Query().Segments() {
		sels := seg.Selectors()
		if seg.IsDescendant() || len(sels) != 1 {
			return nil, false, false
		}
		t := schemaType(cur)
		wasNullable := nullable(cur)
		switch sel := sels[0].(type) {
		case spec.Name:
			props, _ := cur["properties"].(map[string]any)
			next, ok := props[string(sel)].(map[string]any)
			if t != "object" || !ok {
				return nil, false, false
			}
			required := false
			if req, ok := cur["required"].([]any); ok {
				required = slices.Contains(req, any(string(sel)))
			}
			guaranteed = guaranteed && required && !wasNullable
			cur = next
		case spec.Index:
			next, ok := cur["items"].(map[string]any)
			if t != "array" || !ok {
				return nil, false, false
			}
			guaranteed = false
			cur = next
		case spec.WildcardSelector:
			next, ok := cur["items"].(map[string]any)
			if t != "array" || !ok || list {
				return nil, false, false
			}
			list, cur = true, next
		default:
			return nil, false, false
		}
	}
	if list {
		return map[string]any{"type": "array", "items": cur}, true, true
	}
	if nullable(cur) {
		guaranteed = false
	}
	return cur, guaranteed, true
}
