package junit

import (
	"bytes"
	"strings"
	"testing"
)

func TestAReportSaysOnlyWhatItHas(t *testing.T) {
	var buf bytes.Buffer
	doc := Suites{Name: "restream-proxy", Tests: 2, Failures: 1, Suites: []Suite{{Name: "contract", Tests: 2, Failures: 1, Timestamp: "2026-12-01T00:00:00Z",
		Cases: []Case{{Name: "getChannel", ClassName: "restream.contract", Failures: []Message{{Message: "response body: type", Type: "type", Text: "expected: boolean"}}},
			{Name: "listChannels", ClassName: "restream.contract", Time: "0.010", Skipped: &Message{Message: "not reached"}}}}}}
	if err := Write(&buf, doc); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{`<?xml version="1.0" encoding="UTF-8"?>`, `<testsuites name="restream-proxy" tests="2" failures="1">`,
		`<failure message="response body: type" type="type">expected: boolean</failure>`, `<testcase name="listChannels" classname="restream.contract" time="0.010">`,
		`<skipped message="not reached"></skipped>`} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, `skipped="0"`) || strings.Contains(out, `type=""`) || strings.Contains(out, `time=""`) {
		t.Errorf("empty attributes are written:\n%s", out)
	}
}
