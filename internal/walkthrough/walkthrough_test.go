package walkthrough_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/internal/walkthrough"
)

// doc builds a Markdown document from lines, so that line numbers in the cases are easy to count.
func doc(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

func TestFences(t *testing.T) {
	md := doc(
		"# Title",                        // 1
		"## Section",                     // 2
		"```sh walkthrough mock",         // 3
		"echo hi",                        // 4
		"```",                            // 5
		"### Sub",                        // 6
		"  ```",                          // 7
		"# not a heading inside a fence", // 8
		"```",                            // 9
		"```yaml",                        // 10
		"a: 1",                           // 11
	)
	got := walkthrough.Fences(md)
	want := []walkthrough.Fence{
		{Line: 3, Info: []string{"sh", "walkthrough", "mock"}, Heading: "Section", Lines: []string{"echo hi"}},
		{Line: 7, Info: nil, Heading: "Sub", Lines: []string{"# not a heading inside a fence"}},
		{Line: 10, Info: []string{"yaml"}, Heading: "Sub", Lines: []string{"a: 1", ""}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d fences %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Line != w.Line || !slices.Equal(g.Info, w.Info) || g.Heading != w.Heading || !slices.Equal(g.Lines, w.Lines) {
			t.Errorf("fence %d: got %+v, want %+v", i, g, w)
		}
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name string
		md   string
		// want lists each walkthrough's commands as "line: text => expectation lines".
		want    []string
		mock    []bool
		wantErr []string
	}{
		{
			name: "a block without the marker is not a walkthrough",
			md:   doc("```sh", "echo hi", "#> hi", "```"),
		},
		{
			name: "an expectation belongs to the command right above it",
			md:   doc("```sh walkthrough", "X=1", "echo $X", "#> 1", "```"),
			want: []string{"3: echo $X => 4"},
			mock: []bool{false},
		},
		{
			name: "a command includes the lines it continues with a backslash",
			md:   doc("```sh walkthrough mock", "# a step", "curl -s \\", "  -d a=b \\", "  http://x", "#> {...}", "#> second", "echo done", "```"),
			want: []string{"3: curl -s \\\n  -d a=b \\\n  http://x => 6,7"},
			mock: []bool{true},
		},
		{
			name: "each command has its own expectations",
			md:   doc("```bash walkthrough", "echo a", "#> a", "# between", "echo b", "#> b", "```"),
			want: []string{"2: echo a => 3", "5: echo b => 6"},
			mock: []bool{false},
		},
		{
			name:    "an expectation after a comment has no command",
			md:      doc("```sh walkthrough", "echo a", "# a comment", "#> a", "```"),
			wantErr: []string{`line 4: "#> a" must follow the command whose output it shows`},
		},
		{
			name:    "an expectation first in the block has no command",
			md:      doc("```sh walkthrough", "#> a", "```"),
			wantErr: []string{`line 2: "#> a" must follow the command`},
		},
		{
			name:    "an empty sample promises nothing",
			md:      doc("```sh walkthrough", "echo a", "#> ...", "```"),
			wantErr: []string{"line 3: an empty sample promises nothing"},
		},
		{
			name:    "a misspelt word after the marker is refused, not ignored",
			md:      doc("```sh walkthrough mok", "echo a", "```"),
			wantErr: []string{`line 1: unknown word "mok" after "walkthrough"`},
		},
		{
			name:    "a walkthrough runs with bash",
			md:      doc("```python walkthrough", "print(1)", "```"),
			wantErr: []string{`must start with sh or bash, not "python"`},
		},
		{
			name:    "every mistake is reported at once",
			md:      doc("```sh walkthrough", "#> a", "```", "```sh walkthrough", "echo", "#>", "```"),
			wantErr: []string{`line 1 (): line 2: "#> a" must follow`, "line 4 (): line 6: an empty sample"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			walks, err := walkthrough.Parse(tc.md)
			if tc.wantErr != nil {
				for _, want := range tc.wantErr {
					if err == nil || !strings.Contains(err.Error(), want) {
						t.Errorf("error %v, want one containing %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			var mock []bool
			for _, w := range walks {
				mock = append(mock, w.Mock)
				for _, c := range w.Commands {
					var lines []string
					for _, e := range c.Expect {
						lines = append(lines, strconv.Itoa(e.Line))
					}
					got = append(got, strconv.Itoa(c.Line)+": "+c.Text+" => "+strings.Join(lines, ","))
				}
			}
			if !slices.Equal(got, tc.want) || !slices.Equal(mock, tc.mock) {
				t.Errorf("got %q (mock %v), want %q (mock %v)", got, mock, tc.want, tc.mock)
			}
		})
	}
}

// expectation returns the expectation "#> sample" of a one-command walkthrough.
func expectation(t *testing.T, sample string) walkthrough.Expectation {
	t.Helper()
	walks, err := walkthrough.Parse(doc("```sh walkthrough", "cmd", "#> "+sample, "```"))
	if err != nil {
		t.Fatal(err)
	}
	return walks[0].Commands[0].Expect[0]
}

func TestExpectationMatches(t *testing.T) {
	for _, tc := range []struct {
		name, sample, output string
		want                 bool
	}{
		{"... stands for any text", "http://x/cb?code=...&state=xyz", "http://x/cb?code=9f2e&state=xyz\n", true},
		{"... may stand for nothing", "[...]", "[]\n", true},
		{"the rest is literal text", "code=...&state=xyz", "code=9f2e&state=abc\n", false},
		{"regexp characters are plain characters", "a.c (1+1)", "abc (11)\n", false},
		{"regexp characters match themselves", "a.c (1+1) [x]", "a.c (1+1) [x]\n", true},
		{"the whole line must look like the sample", "200", "HTTP/1.1 200 OK\n", false},
		{"any line of the output may match", "Content-Length: 0", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true},
		{"a last line without a newline counts", "401", "401", true},
		{"nothing printed matches nothing", "...x", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := expectation(t, tc.sample).Matches(tc.output); got != tc.want {
				t.Errorf("sample %q, output %q: got %v, want %v", tc.sample, tc.output, got, tc.want)
			}
		})
	}
}

func TestScriptKeepsTheBlocksLinesAndCapturesCheckedCommands(t *testing.T) {
	walks, err := walkthrough.Parse(doc(
		"intro",                 // 1
		"```sh walkthrough",     // 2
		"X=1",                   // 3
		"curl -s \\",            // 4
		"  http://x",            // 5
		"#> {...}",              // 6
		"#> second",             // 7
		"echo $X # not #> this", // 8
		"```",
	))
	if err != nil {
		t.Fatal(err)
	}
	want := "X=1\n" +
		"__walkthrough_begin 4; curl -s \\\n" +
		"  http://x\n" +
		"__walkthrough_end 4\n" +
		"#> second\n" +
		"echo $X # not #> this\n"
	if got := walks[0].Script(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(doc("```sh walkthrough mock", "curl -s \\", "  x", "#> {...}", "#> b", "echo", "#> c", "```"))
	f.Add(doc("```sh walkthrough", "#> a", "```"))
	f.Add(doc("## h", "  ```bash walkthrough x", "a\\", "#>", "``"))
	f.Fuzz(func(t *testing.T, md string) {
		walks, err := walkthrough.Parse(md)
		if err != nil {
			return
		}
		for _, w := range walks {
			script := w.Script()
			if got := strings.Count(script, "\n"); got != len(w.Lines) {
				t.Fatalf("the script has %d lines, the block %d:\n%s", got, len(w.Lines), script)
			}
			for _, c := range w.Commands {
				if len(c.Expect) == 0 || c.Line <= w.Line || c.Expect[len(c.Expect)-1].Line > w.Line+len(w.Lines) {
					t.Fatalf("command %+v outside its block at line %d (%d lines)", c, w.Line, len(w.Lines))
				}
				for _, e := range c.Expect {
					if !e.Matches(strings.ReplaceAll(e.Sample, "...", "")) {
						t.Fatalf("sample %q does not match itself without its ...", e.Sample)
					}
				}
			}
		}
	})
}
