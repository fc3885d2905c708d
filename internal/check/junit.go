package check

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

// JUnit types, as CI systems read them. internal/report's are for contract violations (one case
// per operation, no skips); a check run needs a case per check and skipped cases.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure"`
	Skipped   *junitMessage `xml:"skipped"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the results as one suite per top-level check (reads, writes, ...), a case
// per result, named by the rest of its name.
func WriteJUnit(w io.Writer, program string, results []Result, now time.Time) error {
	doc := junitSuites{Name: program}
	index := map[string]int{}
	for _, r := range results {
		group, rest, _ := strings.Cut(r.Name, "/")
		if rest == "" {
			rest = group
		}
		i, ok := index[group]
		if !ok {
			i = len(doc.Suites)
			index[group] = i
			doc.Suites = append(doc.Suites, junitSuite{Name: program + " " + group, Timestamp: now.UTC().Format(time.RFC3339)})
		}
		s := &doc.Suites[i]
		c := junitCase{Name: rest, ClassName: program + "." + group, Time: fmt.Sprintf("%.3f", r.Duration.Seconds())}
		msg := &junitMessage{Text: strings.Join(r.Messages, "\n")}
		if len(r.Messages) > 0 {
			msg.Message = r.Messages[0]
		}
		s.Tests++
		doc.Tests++
		switch r.Outcome {
		case Failed:
			c.Failure = msg
			s.Failures++
			doc.Failures++
		case Skipped:
			c.Skipped = msg
			s.Skipped++
			doc.Skipped++
		}
		s.Cases = append(s.Cases, c)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
