package drift

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/restreamkit/restreamkit/internal/jsontext"
	"github.com/restreamkit/restreamkit/internal/validate"
)

// Rules restream-proxy adds to the validator's (see internal/proxy): named here by value, since
// the proxy imports this package.
const (
	ruleNotValidated    validate.Rule = "not-validated"
	ruleUnexpectedFrame validate.Rule = "unexpected-frame"
)

// Suggest says in plain words what a finding suggests changing, in the spec or elsewhere:
//
//	`PATCH /v2/user/channel/{id}` answered 204 in 12/12 exchanges; the spec documents 200: document 204?
//
// A response that departs from the spec suggests changing the spec; a request that does suggests
// fixing the client first, and the spec only if the API accepted it.
func Suggest(f Finding) string {
	op := code(Operation{ID: f.OperationID, Method: f.Method, Path: f.Path}.label())
	where := whereOf(f)
	in := f.ratio()
	ex := f.Example
	switch f.Rule {
	case validate.RuleStatusNotDocumented:
		return fmt.Sprintf("%s answered %s in %s; the spec documents %s: document %s?", op, f.Field, in, orNothing(ex.Expected), f.Field)
	case validate.RuleRequired:
		name := lastSegment(f.Field)
		if f.Direction == validate.Request {
			return fmt.Sprintf("%s %s was missing in %s; the spec requires it: fix the client, or make %s optional if the API accepted these requests.",
				op, where, in, code(name))
		}
		return fmt.Sprintf("%s %s was missing in %s; the spec requires it: make %s optional?", op, where, in, code(name))
	case validate.RuleAdditionalProperties:
		if ex.Expected != "" && !strings.HasPrefix(ex.Expected, "no additional") {
			return fmt.Sprintf("%s %s was spelled unlike the documented %s in %s: check the spelling the API uses and fix the spec or the client.",
				op, where, code(ex.Expected), in)
		}
		if f.Direction == validate.Request {
			return fmt.Sprintf("%s %s was sent, which the spec does not describe, in %s: remove it from the client, or add it to the spec if the API reads it.", op, where, in)
		}
		return fmt.Sprintf("%s %s appeared in %s; the spec does not describe it: add the property to the schema?", op, where, in)
	case validate.RuleType:
		return fmt.Sprintf("%s %s was %s in %s; the spec says %s: %s", op, where, values(f), in, orNothing(ex.Expected),
			fix(f, "widen the type (for instance allow "+firstValue(f)+")?"))
	case validate.RuleEnum, validate.RuleConst:
		return fmt.Sprintf("%s %s took %s in %s; the spec allows %s: %s", op, where, values(f), in, orNothing(ex.Expected),
			fix(f, "add the new values to the enum?"))
	case validate.RuleFormat:
		return fmt.Sprintf("%s %s was not a valid %s in %s (%s): %s", op, where, orNothing(ex.Expected), in, values(f),
			fix(f, "drop or correct the format?"))
	case validate.RuleMinimum, validate.RuleMaximum, validate.RuleMultipleOf, validate.RuleMinLength, validate.RuleMaxLength,
		validate.RulePattern, validate.RuleMinItems, validate.RuleMaxItems, validate.RuleUniqueItems,
		validate.RuleMinProperties, validate.RuleMaxProperties:
		return fmt.Sprintf("%s %s broke %s (%s) in %s with %s: %s", op, where, code(string(f.Rule)), orNothing(ex.Expected), in, values(f),
			fix(f, "relax "+code(string(f.Rule))+"?"))
	case validate.RuleOneOf, validate.RuleAnyOf, validate.RuleNot:
		return fmt.Sprintf("%s %s matched none of the documented shapes (%s) in %s: %s", op, where, code(string(f.Rule)), in,
			fix(f, "add the shape the API sends to the schema?"))
	case validate.RuleMissingHeader:
		return fmt.Sprintf("%s %s was missing in %s; the spec requires it: make it optional?", op, where, in)
	case validate.RuleContentType:
		return fmt.Sprintf("%s %s was %s in %s; the spec documents %s: %s", op, where, values(f), in, orNothing(ex.Expected),
			fix(f, "document that content type?"))
	case validate.RuleUnexpectedBody:
		if f.Direction == validate.Request {
			return fmt.Sprintf("%s requests carried a body in %s; the operation takes none: fix the client, or document the body if the API reads it.", op, in)
		}
		return fmt.Sprintf("%s answered with a body in %s where the spec documents none: document the body?", op, in)
	case validate.RuleBodyRequired:
		if f.Direction == validate.Request {
			return fmt.Sprintf("%s requests had no body in %s; the spec requires %s: fix the client, or make the body optional if the API accepted them.", op, in, orNothing(ex.Expected))
		}
		return fmt.Sprintf("%s answered with an empty body in %s; the spec documents %s: document an empty answer (such as 204) for that status?", op, in, orNothing(ex.Expected))
	case validate.RuleSyntax:
		return fmt.Sprintf("%s %s body was not well-formed in %s: check the content type the spec documents for it.", op, dirWord(f.Direction), in)
	case validate.RuleDepth:
		return fmt.Sprintf("%s %s was nested deeper than the proxy checks in %s: nothing to change in the spec, the part below was not validated.", op, where, in)
	case validate.RuleUnknownPath:
		return fmt.Sprintf("requests went to paths the spec does not describe in %s (such as %s): document the path if the API serves it, else fix the client.", in, values(f))
	case validate.RuleMethodNotAllowed:
		return fmt.Sprintf("requests used methods the spec does not describe for their path in %s (%s; documented: %s): document the method if the API serves it, else fix the client.",
			in, values(f), orNothing(ex.Expected))
	case validate.RuleMissingParameter:
		return fmt.Sprintf("%s %s was missing in %s; the spec requires it: fix the client, or make it optional if the API accepted these requests.", op, where, in)
	case validate.RuleUnknownParameter:
		return fmt.Sprintf("%s %s was sent in %s; the spec does not describe it: remove it from the client, or document it if the API reads it.", op, where, in)
	case validate.RuleDuplicateParameter:
		return fmt.Sprintf("%s %s was given more than once in %s: fix the client, or document it as an array if the API reads every value.", op, where, in)
	case validate.RuleEncoding:
		return fmt.Sprintf("%s %s could not be decoded in %s: fix the client's URL encoding.", op, where, in)
	case validate.RuleSecurity:
		return fmt.Sprintf("%s requests came without the credentials the spec requires (%s) in %s: fix the client, or make the security optional if the API answered them.",
			op, orNothing(ex.Expected), in)
	case validate.RuleTooLarge:
		return fmt.Sprintf("%s %s bodies were over the validation limit in %s and were not checked: nothing to change in the spec; raise --max-validate-bytes to check them.",
			op, dirWord(f.Direction), in)
	case ruleNotValidated:
		return fmt.Sprintf("%s %s bodies came in a coding the proxy does not decode in %s and were not checked: nothing to change in the spec.", op, dirWord(f.Direction), in)
	case ruleUnexpectedFrame:
		if f.Direction == validate.ClientFrame {
			return fmt.Sprintf("%s clients sent frames in %s; the feed is server-to-client: fix the client (nothing to change in the spec).", op, in)
		}
		return fmt.Sprintf("%s sent frames the spec does not document (binary frames) in %s: document them in the AsyncAPI spec if the feed really sends them?", op, in)
	}
	return fmt.Sprintf("%s %s broke %s in %s (%s): review the spec.", op, where, code(string(f.Rule)), in, orNothing(ex.Message))
}

// ratio says how often a finding occurred against how often its operation was seen: "3/40
// exchanges", or for a WebSocket feed, where the operation counts connections, "5 frames over 2
// connections".
func (f Finding) ratio() string {
	if f.Direction == validate.ClientFrame || f.Direction == validate.ServerFrame {
		return plural(f.Hits, "frame") + " over " + plural(f.Exchanges, "connection")
	}
	return strconv.Itoa(f.Hits) + "/" + plural(f.Exchanges, "exchange")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// whereOf names the place of a finding: "response `/email`", "request query parameter `limit`",
// "response header `Content-Type`", "server-frame `/payload/id`".
func whereOf(f Finding) string {
	dir := dirWord(f.Direction)
	switch f.In {
	case validate.InBody:
		if f.Field == "" || f.Field == string(validate.InBody) {
			return dir + " body"
		}
		return dir + " " + code(f.Field)
	case validate.InHeader:
		return dir + " header " + code(f.Field)
	case validate.InQuery:
		return dir + " query parameter " + code(f.Field)
	case validate.InPath:
		return dir + " path parameter " + code(f.Field)
	}
	return dir + " " + code(f.Field)
}

// dirWord is a direction in words: "request", "response", "client frame", "server frame".
func dirWord(d validate.Direction) string { return strings.ReplaceAll(string(d), "-", " ") }

// fix is the end of a type, enum or format suggestion: for a response a spec change (the API is
// the truth), for a request a client fix first.
func fix(f Finding, specChange string) string {
	if f.Direction == validate.Request || f.Direction == validate.ClientFrame {
		return "fix the client, or " + strings.TrimSuffix(specChange, "?") + " if the API accepted it."
	}
	return specChange
}

// values lists the distinct values seen, quoted as code.
func values(f Finding) string {
	if len(f.Values) == 0 {
		return "something else"
	}
	out := make([]string, len(f.Values))
	for i, v := range f.Values {
		out[i] = code(v)
	}
	s := strings.Join(out, ", ")
	if f.Count > len(f.Values) && len(f.Values) == MaxValues {
		s += ", …"
	}
	return s
}

func firstValue(f Finding) string {
	if len(f.Values) == 0 {
		return "what the API sends"
	}
	return code(f.Values[0])
}

func orNothing(s string) string {
	if s == "" {
		return "nothing"
	}
	return code(s)
}

// lastSegment is the property name at the end of a JSON pointer (RFC 6901 escapes undone).
func lastSegment(pointer string) string {
	s := pointer[strings.LastIndexByte(pointer, '/')+1:]
	return jsontext.UnescapePointerToken(s)
}

// code renders a value as a Markdown code span on one line: whatever the API or a client sent
// cannot break out of it (a table cell also escapes "|", see cell).
func code(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '`':
			return '\''
		case '\n', '\r', '\t':
			return ' '
		}
		return r
	}, s)
	return "`" + s + "`"
}
