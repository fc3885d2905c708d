package openapi_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/restreamkit/restreamkit/openapi"
)

// boundKeywords are the schema keywords that set a numeric bound or a numeric default.
var boundKeywords = []string{"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
	"minItems", "maxItems", "minProperties", "maxProperties", "multipleOf", "default"}

// confirmedBounds are the bounds Restream documents, by JSON pointer to the keyword, each with the
// section of /work/shared/reference/restream-api-facts.md (or the standard) that gives it. Every
// other numeric bound is restreamkit's assumption and must say so with x-unconfirmed.
var confirmedBounds = map[string]string{
	"/paths/~1v2~1user~1events~1{eventId}~1chat~1history/get/parameters/1/schema/minimum": "facts §3.2.25: pageSize 1–1000",
	"/paths/~1v2~1user~1events~1{eventId}~1chat~1history/get/parameters/1/schema/maximum": "facts §3.2.25: pageSize 1–1000",
	"/paths/~1v2~1user~1clips~1projects/get/parameters/0/schema/maximum":                  "facts §3.2.33: limit ≤ 100",
	"/components/schemas/ErrorBody/properties/statusCode/minimum":                         "facts §6: statusCode repeats the HTTP error status (RFC 9110 §15.5-15.6: 400-599)",
	"/components/schemas/ErrorBody/properties/statusCode/maximum":                         "facts §6: statusCode repeats the HTTP error status (RFC 9110 §15.5-15.6: 400-599)",
	"/components/schemas/ErrorBody/properties/status/minimum":                             "facts §6: status repeats the HTTP error status",
	"/components/schemas/ErrorBody/properties/status/maximum":                             "facts §6: status repeats the HTTP error status",
	"/components/schemas/ErrorBody/properties/code/minimum":                               "facts §6: code repeats the HTTP error status",
	"/components/schemas/ErrorBody/properties/code/maximum":                               "facts §6: code repeats the HTTP error status",
}

// TestEveryBoundTheSpecInventsIsMarkedUnconfirmed walks the Restream API description and requires
// every numeric bound or default that Restream does not document to carry x-unconfirmed next to
// it: true for every bound of that schema, or the list of the keywords that are assumptions. A
// reader (and a tool) then tells a documented limit from one restreamkit chose.
func TestEveryBoundTheSpecInventsIsMarkedUnconfirmed(t *testing.T) {
	data, err := openapi.FS.ReadFile(openapi.RestreamSpec)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var walk func(n *yaml.Node, ptr string)
	walk = func(n *yaml.Node, ptr string) {
		switch n.Kind {
		case yaml.DocumentNode:
			walk(n.Content[0], ptr)
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, ptr+"/"+strconv.Itoa(i))
			}
		case yaml.MappingNode:
			marked := unconfirmedKeywords(t, n, ptr)
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i].Value, n.Content[i+1]
				at := ptr + "/" + strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
				if slices.Contains(boundKeywords, k) && v.Kind == yaml.ScalarNode && (v.Tag == "!!int" || v.Tag == "!!float") {
					_, confirmed := confirmedBounds[at]
					seen[at] = true
					switch {
					case confirmed && (marked[k] || marked["*"]):
						t.Errorf("%s: %s %s is confirmed (%s) but marked x-unconfirmed", at, k, v.Value, confirmedBounds[at])
					case !confirmed && !marked[k] && !marked["*"]:
						t.Errorf("%s (line %d): %s %s is not in the facts; mark it x-unconfirmed (or list it in confirmedBounds with its §)", at, v.Line, k, v.Value)
					}
					continue
				}
				walk(v, at)
			}
		}
	}
	walk(&doc, "")
	for at := range confirmedBounds {
		if !seen[at] {
			t.Errorf("confirmedBounds lists %s, which is not a bound of the spec", at)
		}
	}
}

// unconfirmedKeywords reads a mapping's x-unconfirmed: true ("*": every bound) or a list of keywords.
func unconfirmedKeywords(t *testing.T, n *yaml.Node, ptr string) map[string]bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != "x-unconfirmed" {
			continue
		}
		v := n.Content[i+1]
		switch {
		case v.Kind == yaml.ScalarNode && v.Value == "true":
			return map[string]bool{"*": true}
		case v.Kind == yaml.SequenceNode:
			out := map[string]bool{}
			for _, c := range v.Content {
				if !slices.Contains(boundKeywords, c.Value) {
					t.Errorf("%s: x-unconfirmed lists %q, which is not a bound keyword", ptr, c.Value)
				}
				out[c.Value] = true
			}
			return out
		default:
			t.Errorf("%s: x-unconfirmed must be true or a list of keywords", ptr)
		}
	}
	return nil
}
