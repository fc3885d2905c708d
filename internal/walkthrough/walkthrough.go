// Package walkthrough reads the runnable shell walkthroughs of a Markdown document and the output
// they promise, so that a test can run them as a reader pastes them and check what they print.
//
// A walkthrough is a fenced block whose info string is "sh walkthrough" (GitHub highlights by the
// first word and ignores the rest), or "sh walkthrough mock" when it needs a running
// restream-mock, as after `make run`. In it, a line "#> SAMPLE" right after a command (and after
// the lines it continues with a trailing backslash) promises that the command prints a line like
// SAMPLE, where "..." stands for any text. To bash, and to a reader, "#>" lines are comments.
package walkthrough

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Marker is the info string's second word that marks a block as a walkthrough.
const Marker = "walkthrough"

// NeedsMock is the info string's word after Marker for a block that runs against a mock already
// listening on its default addresses.
const NeedsMock = "mock"

// Fence is a fenced code block of a Markdown document.
type Fence struct {
	// Line is the opening fence's line, 1-based: the block's first line is Line+1.
	Line int
	// Info holds the words of the info string ("sh", "walkthrough", "mock").
	Info []string
	// Heading is the nearest heading above the block, without its #s.
	Heading string
	// Lines is the block's content.
	Lines []string
}

// Fences returns the fenced code blocks of md (backtick fences, as this repository writes them).
// An unclosed fence runs to the end of the document, as CommonMark reads it.
func Fences(md string) []Fence {
	var fences []Fence
	var open *Fence
	heading := ""
	for i, line := range strings.Split(md, "\n") {
		line = strings.TrimSuffix(line, "\r")
		trimmed := strings.TrimLeft(line, " ")
		isFence := strings.HasPrefix(trimmed, "```") && len(line)-len(trimmed) <= 3
		switch {
		case open != nil && isFence && strings.Trim(trimmed, "`") == "":
			fences = append(fences, *open)
			open = nil
		case open != nil:
			open.Lines = append(open.Lines, line)
		case isFence:
			open = &Fence{Line: i + 1, Info: strings.Fields(strings.TrimLeft(trimmed, "`")), Heading: heading}
		case strings.HasPrefix(line, "#"):
			heading = strings.TrimSpace(strings.TrimLeft(line, "#"))
		}
	}
	if open != nil {
		fences = append(fences, *open)
	}
	return fences
}

// Walkthrough is a block marked to be run.
type Walkthrough struct {
	Fence
	// Mock says the block needs a running restream-mock (the info string's NeedsMock).
	Mock bool
	// Commands are the commands that promise output, in order.
	Commands []Command
}

// Command is a command of a walkthrough that promises output.
type Command struct {
	// Line is the document line of the command's first line; Text the command as written.
	Line int
	Text string
	// Expect lists what it promises to print.
	Expect []Expectation
}

// Expectation is a "#> SAMPLE" line: the command prints a line like SAMPLE.
type Expectation struct {
	// Line is the document line of the "#>" line; Sample what follows "#> ".
	Line   int
	Sample string
	re     *regexp.Regexp
}

// Matches reports whether a line of out looks like the sample: the same text, with "..."
// standing for any text (a carriage return ending a line, as in HTTP headers, is ignored).
func (e Expectation) Matches(out string) bool {
	for line := range strings.Lines(out) {
		if e.re.MatchString(strings.TrimRight(line, "\r\n")) {
			return true
		}
	}
	return false
}

// sampleRegexp turns a sample into an anchored regexp: literal text, "..." as any text. It fails
// only on text that is not UTF-8.
func sampleRegexp(sample string) (*regexp.Regexp, error) {
	parts := strings.Split(sample, "...")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.Compile("^" + strings.Join(parts, ".*") + "$")
}

// Parse returns the walkthroughs of md, or every mistake in their marking at once: an
// expectation with no command right above it, an empty sample, a walkthrough that is not a
// shell block, an unknown word after the marker.
func Parse(md string) ([]Walkthrough, error) {
	var walks []Walkthrough
	var errs []error
	for _, f := range Fences(md) {
		if len(f.Info) < 2 || f.Info[1] != Marker {
			continue
		}
		w, err := parseFence(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		walks = append(walks, w)
	}
	return walks, errors.Join(errs...)
}

func parseFence(f Fence) (Walkthrough, error) {
	w := Walkthrough{Fence: f}
	var errs []error
	fail := func(line int, format string, args ...any) {
		errs = append(errs, fmt.Errorf("line %d: %s", line, fmt.Sprintf(format, args...)))
	}
	if lang := f.Info[0]; lang != "sh" && lang != "bash" {
		fail(f.Line, "a walkthrough runs with bash: its info string must start with sh or bash, not %q", lang)
	}
	for _, word := range f.Info[2:] {
		if word != NeedsMock {
			fail(f.Line, "unknown word %q after %q (only %q)", word, Marker, NeedsMock)
			continue
		}
		w.Mock = true
	}
	for i := 0; i < len(f.Lines); i++ {
		sample, ok := expectation(f.Lines[i])
		if !ok {
			continue
		}
		last := i - 1 // the command's last line
		if last < 0 || isBlankOrComment(f.Lines[last]) {
			fail(f.Line+1+i, "%q must follow the command whose output it shows", strings.TrimSpace(f.Lines[i]))
			for i+1 < len(f.Lines) && isExpectation(f.Lines[i+1]) {
				i++
			}
			continue
		}
		start := last
		for start > 0 && strings.HasSuffix(f.Lines[start-1], "\\") {
			start--
		}
		cmd := Command{Line: f.Line + 1 + start, Text: strings.Join(f.Lines[start:last+1], "\n")}
		for ; i < len(f.Lines); i++ {
			sample, ok = expectation(f.Lines[i])
			if !ok {
				break
			}
			if strings.Trim(sample, ". ") == "" {
				fail(f.Line+1+i, "an empty sample promises nothing")
			}
			re, err := sampleRegexp(sample)
			if err != nil {
				fail(f.Line+1+i, "the sample: %v", err)
			}
			cmd.Expect = append(cmd.Expect, Expectation{Line: f.Line + 1 + i, Sample: sample, re: re})
		}
		i-- // the loop's i++ visits the line after the last expectation
		w.Commands = append(w.Commands, cmd)
	}
	if err := errors.Join(errs...); err != nil {
		return w, fmt.Errorf("the walkthrough at line %d (%s): %w", f.Line, f.Heading, err)
	}
	return w, nil
}

// expectation returns the sample of a "#> SAMPLE" line.
func expectation(line string) (string, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(line), "#>")
	if !ok {
		return "", false
	}
	return strings.TrimSpace(rest), true
}

func isExpectation(line string) bool {
	_, ok := expectation(line)
	return ok
}

func isBlankOrComment(line string) bool {
	t := strings.TrimSpace(line)
	return t == "" || strings.HasPrefix(t, "#")
}

// Prelude is the bash the test sources before a walkthrough's Script. It defines what Script
// calls: $WALKTHROUGH_OUT is the directory for each checked command's output (one file per
// command, named by its document line), and a failing command reports its document line
// ($WALKTHROUGH_LINE is the fence's line, so the block's line N is the document's N+LINE).
const Prelude = `trap 'echo "walkthrough: README.md:$((LINENO + WALKTHROUGH_LINE)): exit $?: $BASH_COMMAND" >&2' ERR
__walkthrough_begin() { exec {__walkthrough_fd}>&1 >"$WALKTHROUGH_OUT/$1"; }
__walkthrough_end() { exec >&"$__walkthrough_fd" {__walkthrough_fd}>&-; cat "$WALKTHROUGH_OUT/$1"; }
`

// Script returns the block as the test runs it, line for line (so bash's line numbers are the
// block's): each command that promises output starts with a call that sends its standard output
// to a file named by its document line, and its first "#>" line becomes the call that restores
// standard output and prints what the command printed. Prelude defines both calls.
func (w Walkthrough) Script() string {
	lines := append([]string(nil), w.Lines...)
	for _, c := range w.Commands {
		i := c.Line - w.Line - 1
		lines[i] = "__walkthrough_begin " + strconv.Itoa(c.Line) + "; " + lines[i]
		lines[c.Expect[0].Line-w.Line-1] = "__walkthrough_end " + strconv.Itoa(c.Line)
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	return b.String()
}
