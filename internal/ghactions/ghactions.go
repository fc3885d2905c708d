// Package ghactions runs GitHub Actions steps on this machine the way a runner does, so that the
// tests of the workflow the README recommends and of the action this repository is can run
// their shell as written: each step in a fresh bash, the variables a step writes to GITHUB_ENV
// and the directories it writes to GITHUB_PATH passed to the steps after it, and a composite
// action's inputs put where its steps read them.
//
// It runs only `run:` steps and composite actions; other actions (checkout, setup-go, a JUnit
// reporter) are the caller's to stand in for.
package ghactions

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Runner runs the steps of one job.
type Runner struct {
	// Workspace is where steps run (GITHUB_WORKSPACE); Temp is RUNNER_TEMP.
	Workspace, Temp string
	// Env is the environment every step starts from.
	Env []string
	// Exec runs one step's script; nil runs bash --noprofile --norc -eo pipefail -c script.
	Exec func(dir string, env []string, script string) (stdout, stderr string, err error)

	exported map[string]string // from GITHUB_ENV, for the steps after
	paths    []string          // from GITHUB_PATH, newest first
	step     int
}

// Result is what a step did.
type Result struct {
	Stdout, Stderr string
	// Outputs are what the step wrote to GITHUB_OUTPUT.
	Outputs map[string]string
}

// Run runs one `run:` step with its env, and returns what it printed and its outputs.
func (r *Runner) Run(script string, env map[string]string) (Result, error) {
	r.step++
	files := map[string]string{}
	for _, name := range []string{"GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_PATH"} {
		files[name] = filepath.Join(r.Temp, fmt.Sprintf("step%d-%s", r.step, strings.ToLower(name)))
		if err := os.WriteFile(files[name], nil, 0o644); err != nil {
			return Result{}, err
		}
	}
	environ := append([]string(nil), r.Env...)
	for k, v := range r.exported {
		environ = append(environ, k+"="+v)
	}
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	for name, f := range files {
		environ = append(environ, name+"="+f)
	}
	environ = append(environ, "RUNNER_TEMP="+r.Temp, "GITHUB_WORKSPACE="+r.Workspace, "PATH="+r.path(environ))
	exec := r.Exec
	if exec == nil {
		exec = bash
	}
	stdout, stderr, runErr := exec(r.Workspace, environ, script)
	res := Result{Stdout: stdout, Stderr: stderr}
	var err error
	if res.Outputs, err = readVars(files["GITHUB_OUTPUT"]); err != nil {
		return res, err
	}
	exported, err := readVars(files["GITHUB_ENV"])
	if err != nil {
		return res, err
	}
	if r.exported == nil {
		r.exported = map[string]string{}
	}
	for k, v := range exported {
		r.exported[k] = v
	}
	added, err := os.ReadFile(files["GITHUB_PATH"])
	if err != nil {
		return res, err
	}
	for _, p := range strings.Fields(string(added)) {
		r.paths = append([]string{p}, r.paths...)
	}
	return res, runErr
}

// Exported returns what the steps so far wrote to GITHUB_ENV.
func (r *Runner) Exported() map[string]string { return r.exported }

// path returns the PATH a step gets: what steps added, before the environment's own.
func (r *Runner) path(environ []string) string {
	base := ""
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			base = v
		}
	}
	return strings.Join(append(append([]string(nil), r.paths...), base), string(os.PathListSeparator))
}

func bash(dir string, env []string, script string) (string, string, error) {
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
	cmd.Dir, cmd.Env = dir, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// readVars reads a GITHUB_ENV or GITHUB_OUTPUT file of NAME=value lines (the NAME<<DELIMITER
// form is not used by this repository's steps and is refused).
func readVars(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	vars := map[string]string{}
	lines := bufio.NewScanner(bytes.NewReader(data))
	for lines.Scan() {
		if lines.Text() == "" {
			continue
		}
		k, v, ok := strings.Cut(lines.Text(), "=")
		if !ok || strings.Contains(k, "<<") {
			return nil, fmt.Errorf("%s: %q is not NAME=value", filepath.Base(path), lines.Text())
		}
		vars[k] = v
	}
	return vars, nil
}

// Action is a composite action's definition (action.yml), the parts a runner reads.
type Action struct {
	Inputs map[string]struct {
		Default  string `yaml:"default"`
		Required bool   `yaml:"required"`
	} `yaml:"inputs"`
	Runs struct {
		Using string `yaml:"using"`
		Steps []struct {
			Name  string            `yaml:"name"`
			ID    string            `yaml:"id"`
			Shell string            `yaml:"shell"`
			Env   map[string]string `yaml:"env"`
			Run   string            `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

// LoadAction reads an action.yml; only composite actions whose steps run bash are accepted.
func LoadAction(path string) (*Action, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var a Action
	if err := yaml.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if a.Runs.Using != "composite" {
		return nil, fmt.Errorf("%s: runs.using is %q, not composite", path, a.Runs.Using)
	}
	for _, s := range a.Runs.Steps {
		if s.Run == "" || s.Shell != "bash" {
			return nil, fmt.Errorf("%s: step %q must run bash (a composite step names its shell)", path, s.Name)
		}
	}
	return &a, nil
}

var inputRef = regexp.MustCompile(`\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}`)

// RunAction runs a composite action from dir (GITHUB_ACTION_PATH) with the inputs of a step's
// `with:`, their defaults filling the rest. It returns the last step's result and stops at the
// first failing step.
func (r *Runner) RunAction(a *Action, dir string, with map[string]string) (Result, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Result{}, err
	}
	for name := range with {
		if _, ok := a.Inputs[name]; !ok {
			return Result{}, fmt.Errorf("the action has no input %q", name)
		}
	}
	var res Result
	var out strings.Builder
	for _, s := range a.Runs.Steps {
		env := map[string]string{"GITHUB_ACTION_PATH": abs}
		var missing error
		for k, v := range s.Env {
			env[k] = inputRef.ReplaceAllStringFunc(v, func(ref string) string {
				name := inputRef.FindStringSubmatch(ref)[1]
				in, declared := a.Inputs[name]
				value, given := with[name]
				switch {
				case !declared:
					missing = fmt.Errorf("step %q reads the undeclared input %q", s.Name, name)
				case given:
					return value
				case in.Required:
					missing = fmt.Errorf("the required input %q is not given", name)
				}
				return in.Default
			})
		}
		if missing != nil {
			return res, missing
		}
		res, err = r.Run(s.Run, env)
		out.WriteString(res.Stdout)
		out.WriteString(res.Stderr)
		if err != nil {
			res.Stdout = out.String()
			return res, fmt.Errorf("step %q: %w", s.Name, err)
		}
	}
	res.Stdout = out.String()
	return res, nil
}
