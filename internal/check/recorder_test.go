package check

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/restreamkit/restreamkit/internal/conformance"

	"github.com/restreamkit/restreamkit/internal/junit"
)

// suite is a small suite in the shape of the conformance suites: subchecks that pass, fail,
// fail fatally, skip or panic, and a closing assertion on the parent that holds only when every
// subcheck ran.
func suite(t conformance.T) {
	ran := 0
	steps := []struct {
		name string
		f    func(t conformance.T)
	}{
		{"passes", func(conformance.T) {}},
		{"errs twice", func(t conformance.T) { t.Errorf("first"); t.Errorf("second") }},
		{"fatal stops it", func(t conformance.T) { t.Fatalf("stop"); panic("not reached") }},
		{"skips", func(t conformance.T) { t.Skipf("the account has %s", "none"); panic("not reached") }},
		{"panics", func(conformance.T) { panic("boom") }},
		{"nests", func(t conformance.T) {
			conformance.Run(t, "deeper", func(t conformance.T) { t.Fatal("deep", 1) })
		}},
	}
	for _, s := range steps {
		conformance.Run(t, s.name, func(t conformance.T) { ran++; s.f(t) })
	}
	if r, ok := t.(conformance.Runner); ran != len(steps) && !(ok && r.Partial()) {
		t.Errorf("only %d steps ran", ran)
	}
}

// TestTheRecorderReportsEachCheckAsGoTestWould: one result per check without subchecks, Fatalf
// and Skipf end a check, a panic is a failure, a subcheck's failure fails its parents, and --run
// selects level by level as go test -run does.
func TestTheRecorderReportsEachCheckAsGoTestWould(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  string
		want []string // "OUTCOME name: messages"
		ok   bool
	}{
		{"everything", "", []string{
			"PASS s/passes",
			"FAIL s/errs twice: first | second",
			"FAIL s/fatal stops it: stop",
			"SKIP s/skips: the account has none",
			"FAIL s/panics: panic: boom",
			"FAIL s/nests/deeper: deep 1",
		}, false},
		{"one level selected", "s/^passes$", []string{"PASS s/passes"}, true},
		{"a skip is not a failure", "s/skips", []string{"SKIP s/skips: the account has none"}, true},
		{"a deeper level selected", "s/nests/deeper", []string{"FAIL s/nests/deeper: deep 1"}, false},
		{"another top level", "^other$", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := NewRecorder(tc.run)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			rec.OnResult = func(r Result) {
				line := string(r.Outcome) + " " + r.Name
				if len(r.Messages) > 0 {
					line += ": " + strings.Join(r.Messages, " | ")
				}
				got = append(got, line)
			}
			if ok := rec.Run("s", suite); ok != tc.ok || !slices.Equal(got, tc.want) {
				t.Fatalf("passed %v, want %v; results:\n%s\nwant:\n%s", ok, tc.ok, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestSecretsNeverReachAMessage: the run's own token, wherever a message quotes it, and any
// bearer credential are replaced by their fingerprints in the results and the JUnit file.
func TestSecretsNeverReachAMessage(t *testing.T) {
	const token = "0123456789abcdef0123456789abcdef01234567"
	rec, err := NewRecorder("", token, "")
	if err != nil {
		t.Fatal(err)
	}
	rec.Run("leak", func(t conformance.T) {
		t.Errorf("the server echoed %s", token)
		t.Errorf("header Authorization: Bearer %s", "ffffeeeeddddccccbbbbaaaa9999888877776666")
	})
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, "restream-check", rec.Results(), time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	all := fmt.Sprint(rec.Results()) + buf.String()
	for _, secret := range []string{token, "ffffeeeeddddccccbbbbaaaa9999888877776666"} {
		if strings.Contains(all, secret) {
			t.Fatalf("a secret reached the results or the JUnit file:\n%s", all)
		}
	}
	if !strings.Contains(all, "[REDACTED:") {
		t.Fatalf("the messages lost their place holders:\n%s", all)
	}
}

// TestTheJUnitFileGroupsChecksBySuite: a suite per top-level check, failures with their first
// message as the summary and all as the text, skips as skipped cases.
func TestTheJUnitFileGroupsChecksBySuite(t *testing.T) {
	results := []Result{
		{Name: "reads/listChannels", Outcome: Passed},
		{Name: "reads/getChannel", Outcome: Failed, Messages: []string{"answered 500", "body"}},
		{Name: "writes", Outcome: Skipped, Messages: []string{"needs --allow-writes"}},
	}
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, "restream-check", results, time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	var doc junit.Suites
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Tests != 3 || doc.Failures != 1 || doc.Skipped != 1 || len(doc.Suites) != 2 {
		t.Fatalf("counts or suites wrong:\n%s", buf.String())
	}
	reads, writes := doc.Suites[0], doc.Suites[1]
	if reads.Name != "restream-check reads" || len(reads.Cases) != 2 || len(reads.Cases[1].Failures) != 1 ||
		reads.Cases[1].Failures[0].Message != "answered 500" || reads.Cases[1].Failures[0].Text != "answered 500\nbody" {
		t.Fatalf("the reads suite is wrong:\n%s", buf.String())
	}
	if writes.Name != "restream-check writes" || writes.Cases[0].Name != "writes" || writes.Cases[0].Skipped == nil {
		t.Fatalf("the skipped suite is wrong:\n%s", buf.String())
	}
}
