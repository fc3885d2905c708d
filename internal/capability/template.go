package capability

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// Templates are the Mustache subset capability files use: text with {{name}} placeholders,
// where name may be dotted ({{tools.id}}, {{RESTREAM_ACCESS_TOKEN}}). Sections, partials,
// comments and unescaped {{{x}}} forms have no use in a request value and are refused, so that
// a file never relies on Mustache behaviour the gateway does not have.

// maxTemplateBytes bounds a template, as a capability file's values are short.
const maxTemplateBytes = 4 << 10

var placeholderName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)

// templatePart is a run of text or one placeholder.
type templatePart struct {
	text string // the literal text, or the placeholder's name
	name bool
}

// errNotTemplate is returned for text that holds no placeholder.
var errNotTemplate = errors.New("no placeholder")

// parseTemplate splits s into text and placeholders.
func parseTemplate(s string) ([]templatePart, error) {
	if len(s) > maxTemplateBytes {
		return nil, errors.New("the template is longer than " + strconv.Itoa(maxTemplateBytes) + " bytes")
	}
	var parts []templatePart
	rest := s
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if rest != "" {
				parts = append(parts, templatePart{text: rest})
			}
			return parts, nil
		}
		if i > 0 {
			parts = append(parts, templatePart{text: rest[:i]})
		}
		rest = rest[i+2:]
		j := strings.Index(rest, "}}")
		if j < 0 {
			return nil, errors.New("a {{ placeholder is not closed")
		}
		name := strings.TrimSpace(rest[:j])
		if !placeholderName.MatchString(name) {
			return nil, errors.New("{{" + rest[:j] + "}}: only {{name}} placeholders are supported (no sections, partials, comments or {{{x}}})")
		}
		parts = append(parts, templatePart{text: name, name: true})
		rest = rest[j+2:]
	}
}

// TemplateNames returns the placeholder names of a template, in order, each once.
func TemplateNames(tmpl string) ([]string, error) {
	parts, err := parseTemplate(tmpl)
	if err != nil {
		return nil, err
	}
	var names []string
	seen := map[string]bool{}
	for _, p := range parts {
		if p.name && !seen[p.text] {
			seen[p.text] = true
			names = append(names, p.text)
		}
	}
	return names, nil
}

// Render fills a template's placeholders with value(name). A name value does not know renders
// as "", as Mustache renders a missing value; the gateway checks its inputs before rendering.
// No escaping is applied: the caller encodes the result for where it goes (a path segment, a
// query value, a JSON string).
func Render(tmpl string, value func(name string) (string, bool)) (string, error) {
	parts, err := parseTemplate(tmpl)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, p := range parts {
		if !p.name {
			b.WriteString(p.text)
			continue
		}
		if v, ok := value(p.text); ok {
			b.WriteString(v)
		}
	}
	return b.String(), nil
}

// lonePlaceholder returns the name when s is exactly one placeholder ("{{id}}").
func lonePlaceholder(parts []templatePart) (string, bool) {
	if len(parts) == 1 && parts[0].name {
		return parts[0].text, true
	}
	return "", false
}

// joinTemplate writes parts back as a template.
func joinTemplate(parts []templatePart) string {
	var b strings.Builder
	for _, p := range parts {
		if p.name {
			b.WriteString("{{" + p.text + "}}")
		} else {
			b.WriteString(p.text)
		}
	}
	return b.String()
}

func itoa(i int) string { return strconv.Itoa(i) }
