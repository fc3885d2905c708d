package validate

import (
	"bytes"
	"net/mail"
	"net/url"
	"unicode/utf8"
)

// formatChecker reports whether a string value (raw, unescaped bytes) has the format.
type formatChecker func([]byte) bool

// formats are the string formats validation enforces. Other formats are annotations only, as JSON
// Schema specifies. Integer formats (int32, int64) are checked with numbers, not here.
var formats = map[string]formatChecker{
	"uuid":      isUUID,
	"date-time": isDateTime,
	"date":      isDate,
	"email":     isEmail,
	"uri":       isURI,
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// isUUID accepts the 8-4-4-4-12 hexadecimal form of RFC 4122.
func isUUID(b []byte) bool {
	if len(b) != 36 {
		return false
	}
	for i, c := range b {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

func digits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

func atoi2(b []byte) int { return int(b[0]-'0')*10 + int(b[1]-'0') }

// isDate accepts RFC 3339 full-date: YYYY-MM-DD with a real month and day.
func isDate(b []byte) bool {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' || !digits(b[:4]) || !digits(b[5:7]) || !digits(b[8:10]) {
		return false
	}
	year := int(b[0]-'0')*1000 + int(b[1]-'0')*100 + atoi2(b[2:4])
	month, day := atoi2(b[5:7]), atoi2(b[8:10])
	if month < 1 || month > 12 || day < 1 {
		return false
	}
	days := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[month-1]
	if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		days = 29
	}
	return day <= days
}

// isDateTime accepts RFC 3339 date-time: full-date "T" time, optional fraction, "Z" or an offset.
func isDateTime(b []byte) bool {
	if len(b) < 20 || !isDate(b[:10]) || (b[10] != 'T' && b[10] != 't') {
		return false
	}
	t := b[11:]
	if len(t) < 9 || t[2] != ':' || t[5] != ':' || !digits(t[:2]) || !digits(t[3:5]) || !digits(t[6:8]) {
		return false
	}
	if atoi2(t[:2]) > 23 || atoi2(t[3:5]) > 59 || atoi2(t[6:8]) > 60 {
		return false
	}
	rest := t[8:]
	if rest[0] == '.' {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 1 {
			return false
		}
		rest = rest[i:]
	}
	switch {
	case len(rest) == 1 && (rest[0] == 'Z' || rest[0] == 'z'):
		return true
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' && digits(rest[1:3]) && digits(rest[4:6]):
		return atoi2(rest[1:3]) <= 23 && atoi2(rest[4:6]) <= 59
	}
	return false
}

// isGoDateTime is the date-time format of the OpenAPI 3.0 dialect: an RFC 3339 date-time that Go's
// time.Time also reads, since the generated server decodes date-time fields into time.Time. It is
// isDateTime without the spellings Go refuses: a lower-case "t" or "z", and a leap second (":60").
func isGoDateTime(b []byte) bool {
	if !isDateTime(b) || b[10] != 'T' || b[len(b)-1] == 'z' {
		return false
	}
	return atoi2(b[17:19]) <= 59
}

// isEmail accepts an RFC 5322 address without a display name.
func isEmail(b []byte) bool {
	if !utf8.Valid(b) || bytes.ContainsAny(b, "<> ") {
		return false
	}
	a, err := mail.ParseAddress(string(b))
	return err == nil && a.Name == "" && bytes.IndexByte(b, '@') > 0
}

// isURI accepts an absolute URI: a scheme and something after it.
func isURI(b []byte) bool {
	i := bytes.IndexByte(b, ':')
	if i < 1 || i == len(b)-1 || bytes.ContainsAny(b, " \t\r\n") {
		return false
	}
	for j, c := range b[:i] {
		alpha := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !alpha && (j == 0 || !('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	_, err := url.Parse(string(b))
	return err == nil
}
