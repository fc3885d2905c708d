package drift_test

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/restreamkit/restreamkit/internal/drift"
	"github.com/restreamkit/restreamkit/internal/report"
	"github.com/restreamkit/restreamkit/internal/validate"
)

var (
	t0        = time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
	profile   = drift.Operation{ID: "getUserProfile", Method: "GET", Path: "/v2/user/profile"}
	update    = drift.Operation{ID: "updateChannel", Method: "PATCH", Path: "/v2/user/channel/{id}"}
	streaming = drift.Operation{ID: "websocket streaming"}
)

func rec(at time.Duration, id string, v validate.Violation) report.Record {
	return report.Record{Time: t0.Add(at), RequestID: id, Method: "GET", Path: "/v2/user/profile", Status: 200, Violation: v}
}

func TestSuggestionsSayWhatToChangeForEachRule(t *testing.T) {
	resp := func(rule validate.Rule, in validate.Location, field, expected string, values ...string) drift.Finding {
		f := drift.Finding{OperationID: profile.ID, Method: profile.Method, Path: profile.Path, Direction: validate.Response,
			In: in, Field: field, Rule: rule, Count: 3, Hits: 3, Exchanges: 40, Values: values,
			Example: drift.Example{Expected: expected}}
		if len(values) > 0 {
			f.Example.Actual = values[0]
		}
		return f
	}
	req := func(f drift.Finding) drift.Finding { f.Direction = validate.Request; return f }
	status := resp(validate.RuleStatusNotDocumented, validate.InStatus, "204", "200, 401", "204")
	status.OperationID, status.Method, status.Path, status.Hits, status.Exchanges = update.ID, update.Method, update.Path, 12, 12
	frame := resp("unexpected-frame", validate.InBody, "body", "")
	frame.OperationID, frame.Method, frame.Path, frame.Direction, frame.Hits, frame.Exchanges = streaming.ID, "", "", validate.ClientFrame, 5, 2
	for _, tc := range []struct {
		name string
		f    drift.Finding
		want string
	}{
		{"an undocumented status asks to document it", status,
			"`PATCH /v2/user/channel/{id}` answered 204 in 12/12 exchanges; the spec documents `200, 401`: document 204?"},
		{"a response's missing required property asks to make it optional", resp(validate.RuleRequired, validate.InBody, "/email", "email"),
			"`GET /v2/user/profile` response `/email` was missing in 3/40 exchanges; the spec requires it: make `email` optional?"},
		{"a request's missing required property asks to fix the client first", req(resp(validate.RuleRequired, validate.InBody, "/active", "active")),
			"`GET /v2/user/profile` request `/active` was missing in 3/40 exchanges; the spec requires it: fix the client, or make `active` optional if the API accepted these requests."},
		{"an unexpected property asks to describe it", resp(validate.RuleAdditionalProperties, validate.InBody, "/avatar", "no additional properties", "avatar"),
			"`GET /v2/user/profile` response `/avatar` appeared in 3/40 exchanges; the spec does not describe it: add the property to the schema?"},
		{"a property spelled in another case names the documented spelling", resp(validate.RuleAdditionalProperties, validate.InBody, "/Email", "email", "Email"),
			"`GET /v2/user/profile` response `/Email` was spelled unlike the documented `email` in 3/40 exchanges: check the spelling the API uses and fix the spec or the client."},
		{"a type mismatch names both types", resp(validate.RuleType, validate.InBody, "/id", "integer", "string"),
			"`GET /v2/user/profile` response `/id` was `string` in 3/40 exchanges; the spec says `integer`: widen the type (for instance allow `string`)?"},
		{"a request's type mismatch asks to fix the client", req(resp(validate.RuleType, validate.InBody, "/active", "boolean", "string")),
			"`GET /v2/user/profile` request `/active` was `string` in 3/40 exchanges; the spec says `boolean`: fix the client, or widen the type (for instance allow `string`) if the API accepted it."},
		{"an enum lists the values seen", resp(validate.RuleEnum, validate.InBody, "/status", `"live", "ended"`, `"paused"`, `"archived"`),
			"`GET /v2/user/profile` response `/status` took `\"paused\"`, `\"archived\"` in 3/40 exchanges; the spec allows `\"live\", \"ended\"`: add the new values to the enum?"},
		{"a const is an enum of one", resp(validate.RuleConst, validate.InBody, "/type", `"user"`, `"bot"`),
			"`GET /v2/user/profile` response `/type` took `\"bot\"` in 3/40 exchanges; the spec allows `\"user\"`: add the new values to the enum?"},
		{"a format names it", resp(validate.RuleFormat, validate.InBody, "/email", "email", `"ann"`),
			"`GET /v2/user/profile` response `/email` was not a valid `email` in 3/40 exchanges (`\"ann\"`): drop or correct the format?"},
		{"a bound asks to relax it", resp(validate.RuleMaxLength, validate.InBody, "/title", "140", `"long"`),
			"`GET /v2/user/profile` response `/title` broke `maxLength` (`140`) in 3/40 exchanges with `\"long\"`: relax `maxLength`?"},
		{"a shape no alternative matches asks to add it", resp(validate.RuleOneOf, validate.InBody, "/payload", "exactly one of 2 shapes", "none"),
			"`GET /v2/user/profile` response `/payload` matched none of the documented shapes (`oneOf`) in 3/40 exchanges: add the shape the API sends to the schema?"},
		{"a missing response header asks to make it optional", resp(validate.RuleMissingHeader, validate.InHeader, "Retry-After", ""),
			"`GET /v2/user/profile` response header `Retry-After` was missing in 3/40 exchanges; the spec requires it: make it optional?"},
		{"a content type names both", resp(validate.RuleContentType, validate.InHeader, "Content-Type", "application/json", "text/html"),
			"`GET /v2/user/profile` response header `Content-Type` was `text/html` in 3/40 exchanges; the spec documents `application/json`: document that content type?"},
		{"a body where none is documented asks to document it", resp(validate.RuleUnexpectedBody, validate.InBody, "body", "", `{"ok":true}`),
			"`GET /v2/user/profile` answered with a body in 3/40 exchanges where the spec documents none: document the body?"},
		{"an empty body where one is documented asks for an empty answer", resp(validate.RuleBodyRequired, validate.InBody, "body", "application/json"),
			"`GET /v2/user/profile` answered with an empty body in 3/40 exchanges; the spec documents `application/json`: document an empty answer (such as 204) for that status?"},
		{"a body that is not JSON", resp(validate.RuleSyntax, validate.InBody, "body", ""),
			"`GET /v2/user/profile` response body was not well-formed in 3/40 exchanges: check the content type the spec documents for it."},
		{"an unknown path", req(resp(validate.RuleUnknownPath, validate.InRoute, "route", "", "GET /v2/nope")),
			"requests went to paths the spec does not describe in 3/40 exchanges (such as `GET /v2/nope`): document the path if the API serves it, else fix the client."},
		{"a method the path lacks", req(resp(validate.RuleMethodNotAllowed, validate.InRoute, "route", "GET", "PUT")),
			"requests used methods the spec does not describe for their path in 3/40 exchanges (`PUT`; documented: `GET`): document the method if the API serves it, else fix the client."},
		{"an unknown query parameter", req(resp(validate.RuleUnknownParameter, validate.InQuery, "verbose", "", "1")),
			"`GET /v2/user/profile` request query parameter `verbose` was sent in 3/40 exchanges; the spec does not describe it: remove it from the client, or document it if the API reads it."},
		{"missing credentials", req(resp(validate.RuleSecurity, validate.InSecurity, "security", "a Bearer token with scope profile.read")),
			"`GET /v2/user/profile` requests came without the credentials the spec requires (`a Bearer token with scope profile.read`) in 3/40 exchanges: fix the client, or make the security optional if the API answered them."},
		{"a body over the limit is not a spec change", resp(validate.RuleTooLarge, validate.InBody, "body", ""),
			"`GET /v2/user/profile` response bodies were over the validation limit in 3/40 exchanges and were not checked: nothing to change in the spec; raise --max-validate-bytes to check them."},
		{"a client frame counts frames over connections", frame,
			"`websocket streaming` clients sent frames in 5 frames over 2 connections; the feed is server-to-client: fix the client (nothing to change in the spec)."},
		{"a rule the report does not know falls back to its message", resp("someday", validate.InBody, "/x", ""),
			"`GET /v2/user/profile` response `/x` broke `someday` in 3/40 exchanges (nothing): review the spec."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := drift.Suggest(tc.f); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// Every rule the validator names, and the two the proxy adds, gets a suggestion of its own rather
// than the fallback.
func TestEveryRuleHasItsOwnSuggestion(t *testing.T) {
	rules := []validate.Rule{validate.RuleType, validate.RuleRequired, validate.RuleEnum, validate.RuleConst,
		validate.RuleAdditionalProperties, validate.RuleFormat, validate.RuleMinimum, validate.RuleMaximum, validate.RuleMultipleOf,
		validate.RuleMinLength, validate.RuleMaxLength, validate.RulePattern, validate.RuleMinItems, validate.RuleMaxItems,
		validate.RuleUniqueItems, validate.RuleMinProperties, validate.RuleMaxProperties, validate.RuleOneOf, validate.RuleAnyOf,
		validate.RuleNot, validate.RuleDepth, validate.RuleSyntax, validate.RuleUnknownPath, validate.RuleMethodNotAllowed,
		validate.RuleMissingParameter, validate.RuleUnknownParameter, validate.RuleDuplicateParameter, validate.RuleEncoding,
		validate.RuleSecurity, validate.RuleBodyRequired, validate.RuleUnexpectedBody, validate.RuleContentType,
		validate.RuleStatusNotDocumented, validate.RuleMissingHeader, validate.RuleTooLarge, "not-validated", "unexpected-frame"}
	for _, rule := range rules {
		for _, dir := range []validate.Direction{validate.Request, validate.Response, validate.ServerFrame} {
			s := drift.Suggest(drift.Finding{OperationID: "op", Direction: dir, Rule: rule, Field: "/x", Hits: 1, Exchanges: 2})
			if strings.Contains(s, "review the spec") || s == "" {
				t.Errorf("rule %s (%s) falls back to the generic suggestion: %s", rule, dir, s)
			}
		}
	}
}

func TestFindingsCountViolationsHitsAndTimesPerOperationFieldAndRule(t *testing.T) {
	a := drift.New()
	missing := func(p string) validate.Violation {
		return validate.Violation{Direction: validate.Response, In: validate.InBody, Pointer: p, Rule: validate.RuleRequired, Expected: "displayName"}
	}
	for i := range 4 {
		a.Seen(profile.ID)
		if i == 0 {
			continue // a clean exchange still counts
		}
		// each exchange: a list of two items, both without displayName
		a.Add(profile, []report.Record{rec(time.Duration(i)*time.Second, "r"+strconv.Itoa(i), missing("/0/displayName")),
			rec(time.Duration(i)*time.Second, "r"+strconv.Itoa(i), missing("/1/displayName"))})
	}
	s := a.Summary(t0.Add(time.Hour))
	if len(s.Findings) != 1 {
		t.Fatalf("want one finding for /*/displayName, got %+v", s.Findings)
	}
	f := s.Findings[0]
	want := drift.Finding{Field: "/*/displayName", Count: 6, Hits: 3, Exchanges: 4, FirstSeen: t0.Add(time.Second), LastSeen: t0.Add(3 * time.Second)}
	if f.Field != want.Field || f.Count != want.Count || f.Hits != want.Hits || f.Exchanges != want.Exchanges ||
		!f.FirstSeen.Equal(want.FirstSeen) || !f.LastSeen.Equal(want.LastSeen) || f.Example.RequestID != "r1" {
		t.Fatalf("got %+v\nwant %+v (example of r1)", f, want)
	}
	if s.Violations != 6 || s.Exchanges[profile.ID] != 4 {
		t.Fatalf("totals: %d violations, %v exchanges", s.Violations, s.Exchanges)
	}
}

func TestFindingsAreCappedAndWhatDidNotFitIsCounted(t *testing.T) {
	a := drift.New()
	for i := range drift.MaxFindings + 25 {
		a.Add(profile, []report.Record{rec(0, "r", validate.Violation{Direction: validate.Response, In: validate.InBody,
			Pointer: "/p" + strconv.Itoa(i) + "x", Rule: validate.RuleAdditionalProperties, Actual: "p"})})
	}
	s := a.Summary(t0)
	if len(s.Findings) != drift.MaxFindings || s.Dropped != 25 || s.Violations != drift.MaxFindings+25 {
		t.Fatalf("%d findings, %d dropped, %d violations", len(s.Findings), s.Dropped, s.Violations)
	}
	var md bytes.Buffer
	if err := s.Write(&md, drift.Markdown); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "25 violations of further kinds were left out") {
		t.Fatalf("the Markdown report does not say what was dropped:\n%.500s", md.String())
	}
}

func TestExamplesAreRedactedAndCut(t *testing.T) {
	a := drift.New()
	long := strings.Repeat("x", 5000)
	a.Add(profile, []report.Record{
		rec(0, "r1", validate.Violation{Direction: validate.Response, In: validate.InBody, Pointer: "/streamKey", Rule: validate.RuleMinLength,
			Actual: `"re_42_0123456789abcdef0123456789abcdef"`}),
		rec(0, "r1", validate.Violation{Direction: validate.Response, In: validate.InBody, Pointer: "/bio", Rule: validate.RuleMaxLength,
			Message: long, Actual: long}),
	})
	s := a.Summary(t0)
	var out bytes.Buffer
	if err := s.Write(&out, drift.JSON); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "0123456789abcdef0123456789abcdef") {
		t.Fatalf("the stream key reached the report:\n%s", out.String())
	}
	for _, f := range s.Findings {
		for _, text := range append([]string{f.Example.Message, f.Example.Actual}, f.Values...) {
			if len(text) > drift.MaxExampleBytes+40 {
				t.Fatalf("an example text of %d bytes was kept", len(text))
			}
		}
	}
	var back drift.Summary
	if err := json.Unmarshal(out.Bytes(), &back); err != nil || len(back.Findings) != 2 {
		t.Fatalf("the JSON report does not read back: %v", err)
	}
}

func TestANilAggregatorIgnoresEverything(t *testing.T) {
	var a *drift.Aggregator
	a.Seen(profile.ID)
	a.Add(profile, []report.Record{rec(0, "r", validate.Violation{Rule: validate.RuleType})})
	if s := a.Summary(t0); len(s.Findings) != 0 || s.Violations != 0 {
		t.Fatalf("a nil aggregator kept %+v", s)
	}
}

func TestFoldIndexesFoldsArrayIndexesOnly(t *testing.T) {
	for in, want := range map[string]string{
		"":                 "",
		"/0/displayName":   "/*/displayName",
		"/12/items/3/id":   "/*/items/*/id",
		"/a1/0x":           "/a1/0x",
		"/channels//title": "/channels//title",
	} {
		if got := drift.FoldIndexes(in); got != want {
			t.Errorf("FoldIndexes(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseFormatNamesTheChoices(t *testing.T) {
	for in, want := range map[string]drift.Format{"": drift.Markdown, "markdown": drift.Markdown, "MD": drift.Markdown, "json": drift.JSON} {
		if got, err := drift.ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := drift.ParseFormat("html"); err == nil || !strings.Contains(err.Error(), "markdown or json") {
		t.Fatalf("an unknown format: %v", err)
	}
}

// Whatever a client or an upstream puts in a pointer or a value stays inside its table cell: each
// finding is one row of ten cells.
func FuzzMarkdownRowsStayRows(f *testing.F) {
	for _, seed := range []string{"/a", "a|b", "`x`\n| y |", "\r\n\r\n# title", "\\|", "||||"} {
		f.Add(seed, seed)
	}
	f.Fuzz(func(t *testing.T, pointer, actual string) {
		a := drift.New()
		a.Add(profile, []report.Record{rec(0, "r", validate.Violation{Direction: validate.Response, In: validate.InBody,
			Pointer: pointer, Rule: validate.RuleType, Expected: "integer", Actual: actual})})
		var md bytes.Buffer
		if err := a.Summary(t0).Write(&md, drift.Markdown); err != nil {
			t.Fatal(err)
		}
		_, table, ok := strings.Cut(md.String(), "|---|---|---|---|---:|---|---|---|---|\n")
		if !ok {
			t.Fatalf("no findings table:\n%s", md.String())
		}
		row, _, _ := strings.Cut(table, "\n")
		cells := strings.Count(row, "|") - strings.Count(row, `\|`)
		if cells != 10 {
			t.Fatalf("the row has %d cell borders, want 10: %q", cells, row)
		}
		if rest, _, _ := strings.Cut(table[len(row)+1:], "## "); strings.TrimSpace(rest) != "" {
			t.Fatalf("the finding spilled out of its row: %q", table)
		}
	})
}

func TestTheTextFindingsHoldIsBounded(t *testing.T) {
	a := drift.New()
	long := strings.Repeat("y", 4000) // cut to MaxExampleBytes, but many of them
	n := 0
	for i := range drift.MaxFindings {
		a.Add(profile, []report.Record{rec(0, "r", validate.Violation{Direction: validate.Response, In: validate.InBody,
			Pointer: "/" + strings.Repeat("k", 200) + strconv.Itoa(i), Rule: validate.RuleType, Message: long, Expected: long, Actual: long})})
		n++
	}
	s := a.Summary(t0)
	total := 0
	for _, f := range s.Findings {
		total += len(f.Field) + len(f.Example.Message) + len(f.Example.Expected) + len(f.Example.Actual) + len(f.Example.Path)
		for _, v := range f.Values {
			total += len(v)
		}
	}
	if total > drift.MaxBytes || s.Dropped == 0 || len(s.Findings)+s.Dropped != n {
		t.Fatalf("%d bytes held in %d findings, %d dropped", total, len(s.Findings), s.Dropped)
	}
}
