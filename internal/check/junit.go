package check

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/restreamkit/restreamkit/internal/junit"
)

// WriteJUnit writes the results as one suite per top-level check (reads, writes, ...), a case
// per result, named by the rest of its name.
func WriteJUnit(w io.Writer, program string, results []Result, now time.Time) error {
	doc := junit.Suites{Name: program}
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
			doc.Suites = append(doc.Suites, junit.Suite{Name: program + " " + group, Timestamp: now.UTC().Format(time.RFC3339)})
		}
		s := &doc.Suites[i]
		c := junit.Case{Name: rest, ClassName: program + "." + group, Time: fmt.Sprintf("%.3f", r.Duration.Seconds())}
		msg := &junit.Message{Text: strings.Join(r.Messages, "\n")}
		if len(r.Messages) > 0 {
			msg.Message = r.Messages[0]
		}
		s.Tests++
		doc.Tests++
		switch r.Outcome {
		case Failed:
			c.Failures = []junit.Message{*msg}
			s.Failures++
			doc.Failures++
		case Skipped:
			c.Skipped = msg
			s.Skipped++
			doc.Skipped++
		}
		s.Cases = append(s.Cases, c)
	}
	return junit.Write(w, doc)
}
