package ghactions

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAStepSeesWhatEarlierStepsExportedAndAddedToThePath(t *testing.T) {
	r := &Runner{Workspace: t.TempDir(), Temp: t.TempDir(), Env: os.Environ()}
	tools := t.TempDir()
	os.WriteFile(filepath.Join(tools, "hello-tool"), []byte("#!/bin/sh\necho hello from the tool\n"), 0o755)
	if _, err := r.Run(`echo "GREETING=hi there" >> "$GITHUB_ENV"; echo "`+tools+`" >> "$GITHUB_PATH"; echo "answer=42" >> "$GITHUB_OUTPUT"`, nil); err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(`echo "$GREETING"; hello-tool; echo "from=$FROM"`, map[string]string{"FROM": "the step"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stdout != "hi there\nhello from the tool\nfrom=the step\n" {
		t.Fatalf("the second step printed %q", res.Stdout)
	}
	if r.Exported()["GREETING"] != "hi there" {
		t.Errorf("exported: %v", r.Exported())
	}
}

func TestAFailingStepFailsAndAnOutputFileInAnotherFormIsRefused(t *testing.T) {
	r := &Runner{Workspace: t.TempDir(), Temp: t.TempDir(), Env: os.Environ()}
	if _, err := r.Run("false", nil); err == nil {
		t.Error("a failing step succeeded")
	}
	if _, err := r.Run(`printf 'TEXT<<EOF\nmany\nEOF\n' >> "$GITHUB_ENV"`, nil); err == nil || !strings.Contains(err.Error(), "is not NAME=value") {
		t.Errorf("the multi-line form: %v", err)
	}
}

func TestAnActionGetsItsInputsAndRefusesUnknownOrMissingOnes(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "action.yml"), []byte(`
inputs:
  who: {required: true}
  greeting: {default: hello}
runs:
  using: composite
  steps:
    - name: greet
      shell: bash
      env: {WHO: "${{ inputs.who }}", GREETING: "${{ inputs.greeting }}"}
      run: echo "$GREETING, $WHO, from $(basename "$GITHUB_ACTION_PATH")"
`), 0o644)
	a, err := LoadAction(filepath.Join(dir, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	r := &Runner{Workspace: t.TempDir(), Temp: t.TempDir(), Env: os.Environ()}
	res, err := r.RunAction(a, dir, map[string]string{"who": "nova"})
	if err != nil || res.Stdout != "hello, nova, from "+filepath.Base(dir)+"\n" {
		t.Fatalf("%v %q", err, res.Stdout)
	}
	if _, err := r.RunAction(a, dir, nil); err == nil || !strings.Contains(err.Error(), `required input "who"`) {
		t.Errorf("a missing required input: %v", err)
	}
	if _, err := r.RunAction(a, dir, map[string]string{"who": "x", "colour": "red"}); err == nil || !strings.Contains(err.Error(), `no input "colour"`) {
		t.Errorf("an unknown input: %v", err)
	}
}
