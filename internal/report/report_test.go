package report_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/restreamkit/restreamkit/internal/report"
	"github.com/restreamkit/restreamkit/internal/validate"
)

func TestAWriterGetsOneRedactedJSONLinePerViolation(t *testing.T) {
	var out bytes.Buffer
	r := report.New(&out)
	v := validate.Violation{Direction: validate.Response, In: validate.InBody, Pointer: "/refresh_token", Rule: validate.RuleType,
		Message: "must be integer", Actual: "tok3n-tok3n-tok3n"}
	r.Seen("getChannel")
	r.Add("getChannel", []report.Record{
		{RequestID: "p-1", OperationID: "getChannel", Method: "GET", Path: "/v2/user/channel/1", Status: 200, Violation: v},
		{RequestID: "g-1", OperationID: "getChannel", Method: "GET", Path: "/v2/user/channel/1", Status: 200, Call: "mcp get-channel", Violation: v},
	})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || r.Total() != 2 {
		t.Fatalf("%d lines, total %d:\n%s", len(lines), r.Total(), out.String())
	}
	for i, line := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %d is not JSON: %s", i, line)
		}
		if _, has := m["call"]; has != (i == 1) {
			t.Errorf("line %d: \"call\" present %v; the proxy's lines have none, the gateway's name the call", i, has)
		}
		if strings.Contains(line, "tok3n") || m["pointer"] != "/refresh_token" || m["operationId"] != "getChannel" {
			t.Errorf("line %d: %s", i, line)
		}
	}
	r.Add("getChannel", []report.Record{{Violation: v}})
	if out.Len() != len(lines[0])+len(lines[1])+2 || r.Total() != 3 {
		t.Errorf("after Close a violation is counted (%d) but not written", r.Total())
	}
}

func TestJUnitNamesTheProgram(t *testing.T) {
	r := report.New(nil)
	r.Seen("listPlatforms")
	var out bytes.Buffer
	if err := r.WriteJUnit(&out, "restream-gateway", time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `<testsuites name="restream-gateway"`) || !strings.Contains(out.String(), `name="restream-gateway contract"`) {
		t.Errorf("%s", out.String())
	}
}

func TestJUnitAndDescribeShowOnlyWhatAViolationHas(t *testing.T) {
	cases := []struct {
		name       string
		v          validate.Violation
		want, omit []string
		describe   string
	}{
		{"nothing expected: an unknown path",
			validate.Violation{Direction: validate.Request, In: validate.InRoute, Rule: validate.RuleUnknownPath, Message: "no operation", Actual: "GET /v2/nope"},
			[]string{"\nactual: GET /v2/nope"}, []string{"expected:"}, "(actual GET /v2/nope)"},
		{"nothing actual: missing credentials, in words that are not secrets",
			validate.Violation{Direction: validate.Request, In: validate.InSecurity, Rule: validate.RuleSecurity,
				Message: "credentials are missing: a Bearer token with scope profile.read", Expected: "a Bearer token with scope profile.read"},
			[]string{"missing: a Bearer token with scope profile.read", "\nexpected: a Bearer token with scope profile.read"}, []string{"actual:", "REDACTED"},
			"(expected a Bearer token with scope profile.read)"},
		{"both",
			validate.Violation{Direction: validate.Response, In: validate.InBody, Rule: validate.RuleType, Message: "wrong type", Expected: "integer", Actual: "string"},
			[]string{"\nexpected: integer\nactual: string"}, nil, "(expected integer, actual string)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := report.New(nil)
			r.Add("op", []report.Record{{Method: "GET", Path: "/v2/x", Violation: tc.v}})
			var out bytes.Buffer
			if err := r.WriteJUnit(&out, "restream-proxy", time.Unix(0, 0)); err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Text []string `xml:"testsuite>testcase>failure"`
			}
			if err := xml.Unmarshal(out.Bytes(), &doc); err != nil || len(doc.Text) != 1 {
				t.Fatalf("%v: %s", err, out.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(doc.Text[0], w) {
					t.Errorf("the failure lacks %q:\n%s", w, doc.Text[0])
				}
			}
			for _, o := range tc.omit {
				if strings.Contains(doc.Text[0], o) {
					t.Errorf("the failure holds %q:\n%s", o, doc.Text[0])
				}
			}
			if d := report.Describe(tc.v); !strings.HasSuffix(d, tc.describe) {
				t.Errorf("Describe = %q, want it to end with %q", d, tc.describe)
			}
		})
	}
}
