package jsontext

import "strings"

// EscapePointerToken escapes one reference token of a JSON pointer (RFC 6901 §4): "~" becomes
// "~0" and "/" becomes "~1". A token with neither is returned as it is, without allocating.
func EscapePointerToken(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// UnescapePointerToken reverses EscapePointerToken: "~1" becomes "/", then "~0" becomes "~",
// in that order, as RFC 6901 §4 requires.
func UnescapePointerToken(s string) string {
	if !strings.Contains(s, "~") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}
