package validate

import (
	"strconv"
	"strings"
)

// Direction says which part of an exchange a violation was found in.
type Direction string

// The directions a violation can have.
const (
	Request  Direction = "request"
	Response Direction = "response"
	// ClientFrame is a WebSocket frame sent by the client; ServerFrame one sent by the server.
	ClientFrame Direction = "client-frame"
	ServerFrame Direction = "server-frame"
)

// Location says where in a request or response a violation sits.
type Location string

// The locations a violation can have.
const (
	InRoute    Location = "route"    // the path or method is not described
	InSecurity Location = "security" // credentials the operation requires are missing
	InPath     Location = "path"     // a path parameter
	InQuery    Location = "query"    // a query parameter
	InHeader   Location = "header"   // a header parameter or response header
	InBody     Location = "body"     // the request or response body, or a frame
	InStatus   Location = "status"   // the response status
)

// Rule names the check that failed. Schema rules carry the JSON Schema keyword that failed.
type Rule string

// The rules a violation can name.
const (
	RuleType                 Rule = "type"
	RuleRequired             Rule = "required"
	RuleEnum                 Rule = "enum"
	RuleConst                Rule = "const"
	RuleAdditionalProperties Rule = "additionalProperties"
	RuleFormat               Rule = "format"
	RuleMinimum              Rule = "minimum"
	RuleMaximum              Rule = "maximum"
	RuleMultipleOf           Rule = "multipleOf"
	RuleMinLength            Rule = "minLength"
	RuleMaxLength            Rule = "maxLength"
	RulePattern              Rule = "pattern"
	RuleMinItems             Rule = "minItems"
	RuleMaxItems             Rule = "maxItems"
	RuleUniqueItems          Rule = "uniqueItems"
	RuleMinProperties        Rule = "minProperties"
	RuleMaxProperties        Rule = "maxProperties"
	RuleOneOf                Rule = "oneOf"
	RuleAnyOf                Rule = "anyOf"
	RuleNot                  Rule = "not"
	RuleDepth                Rule = "depth"        // nesting deeper than the validator follows
	RuleSyntax               Rule = "json-syntax"  // the body is not well-formed JSON (or form data)
	RuleUnknownPath          Rule = "unknown-path" // no path of the spec matches
	RuleMethodNotAllowed     Rule = "method-not-allowed"
	RuleMissingParameter     Rule = "missing-parameter"
	RuleUnknownParameter     Rule = "unknown-parameter"
	RuleDuplicateParameter   Rule = "duplicate-parameter"
	RuleEncoding             Rule = "url-encoding" // a query pair or form field a URL query parser cannot read
	RuleSecurity             Rule = "security"
	RuleBodyRequired         Rule = "body-required"
	RuleUnexpectedBody       Rule = "unexpected-body"
	RuleContentType          Rule = "content-type"
	RuleStatusNotDocumented  Rule = "status-not-documented"
	RuleMissingHeader        Rule = "missing-header"
	RuleTooLarge             Rule = "too-large" // the body is over the validation limit and was not checked
)

// Violation is one way a request, response or frame departs from the contract.
type Violation struct {
	Direction Direction `json:"direction"`
	In        Location  `json:"in"`
	// Name is the parameter or header name for parameter and header violations.
	Name string `json:"name,omitempty"`
	// Pointer is the JSON pointer (RFC 6901) of the offending value inside the body, "" for the root.
	Pointer  string `json:"pointer"`
	Rule     Rule   `json:"rule"`
	Message  string `json:"message"`
	Expected string `json:"expected,omitempty"`
	Actual   string `json:"actual,omitempty"`
}

// Field returns what the violation is about, for people: the parameter or header name, the body
// pointer, or the location.
func (v Violation) Field() string {
	switch {
	case v.Name != "":
		return v.Name
	case v.Pointer != "":
		return v.Pointer
	default:
		return string(v.In)
	}
}

// String renders the violation on one line.
func (v Violation) String() string {
	var b strings.Builder
	b.WriteString(string(v.Direction))
	b.WriteByte(' ')
	b.WriteString(string(v.In))
	if f := v.Field(); f != string(v.In) {
		b.WriteByte(' ')
		b.WriteString(strconv.Quote(f))
	}
	b.WriteString(": ")
	b.WriteString(v.Message)
	b.WriteString(" [")
	b.WriteString(string(v.Rule))
	b.WriteByte(']')
	return b.String()
}

// briefLimit bounds the Actual field so that reports stay small.
const briefLimit = 60

// brief shortens s to at most briefLimit bytes, marking the cut.
func brief(s string) string {
	if len(s) <= briefLimit {
		return s
	}
	cut := briefLimit
	for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…"
}
