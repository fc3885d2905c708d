// Package junit writes JUnit XML reports the way CI systems read them (Jenkins, GitLab, GitHub's
// action-junit-report): the one owner of the format for restream-proxy's contract report and
// restream-check's results.
package junit

import (
	"encoding/xml"
	"io"
)

// Suites is the document: every suite of a run.
type Suites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Name     string   `xml:"name,attr"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Skipped  int      `xml:"skipped,attr,omitempty"`
	Suites   []Suite  `xml:"testsuite"`
}

// Suite is a group of cases.
type Suite struct {
	Name      string `xml:"name,attr"`
	Tests     int    `xml:"tests,attr"`
	Failures  int    `xml:"failures,attr"`
	Skipped   int    `xml:"skipped,attr,omitempty"`
	Timestamp string `xml:"timestamp,attr"`
	Cases     []Case `xml:"testcase"`
}

// Case is one test case: passed, failed (one failure or more) or skipped.
type Case struct {
	Name      string    `xml:"name,attr"`
	ClassName string    `xml:"classname,attr"`
	Time      string    `xml:"time,attr,omitempty"`
	Failures  []Message `xml:"failure"`
	Skipped   *Message  `xml:"skipped"`
	Output    string    `xml:"system-out,omitempty"`
}

// Message is a failure or the reason of a skip.
type Message struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// Write writes doc as an indented XML document.
func Write(w io.Writer, doc Suites) error {
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
