package release

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// NPMPackage is the name of the npm package users install; it runs the binary of the platform
// package npm installed next to it.
const NPMPackage = "restreamkit"

// npmPlatforms names Go's platforms as Node's process.platform and process.arch do.
var npmPlatforms = map[Target][2]string{
	{"linux", "amd64"}: {"linux", "x64"}, {"linux", "arm64"}: {"linux", "arm64"},
	{"darwin", "amd64"}: {"darwin", "x64"}, {"darwin", "arm64"}: {"darwin", "arm64"},
	{"windows", "amd64"}: {"win32", "x64"}, {"windows", "arm64"}: {"win32", "arm64"},
}

// platformPackage returns the npm package of a platform: restreamkit-linux-x64.
func platformPackage(t Target) (string, bool) {
	p, ok := npmPlatforms[t]
	return NPMPackage + "-" + p[0] + "-" + p[1], ok
}

var semverRE = regexp.MustCompile(`^v?([0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]+)?)$`)

// NPMVersion turns a release version into the semantic version npm requires: v0.1.0 → 0.1.0;
// anything else (a development build) → 0.0.0-<it, made safe>.
func NPMVersion(v string) string {
	if m := semverRE.FindStringSubmatch(v); m != nil {
		return m[1]
	}
	safe := regexp.MustCompile(`[^0-9A-Za-z-]+`).ReplaceAllString(v, "-")
	return "0.0.0-" + strings.Trim(safe, "-")
}

// launcher is the main package's bin script: it finds the binary of this platform's package
// and runs it, passing signals on and exiting with its status, so that `npx restream-mock`
// behaves like the binary itself (Ctrl-C stops it gracefully).
const launcher = `#!/usr/bin/env node
"use strict";
// Runs the restreamkit binary of this platform, installed by npm as an optional dependency.
const { spawn } = require("child_process");
const path = require("path");
const command = path.basename(__filename, ".js");
const pkg = "restreamkit-" + process.platform + "-" + process.arch;
let bin;
try {
  bin = path.join(path.dirname(require.resolve(pkg + "/package.json")), "bin", command + (process.platform === "win32" ? ".exe" : ""));
} catch (e) {
  console.error("restreamkit: no binary for " + process.platform + "-" + process.arch + ": the package " + pkg +
    " is not installed (npm skips optional dependencies with --no-optional or --omit=optional).");
  process.exit(1);
}
const child = spawn(bin, process.argv.slice(2), { stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("error", (e) => { console.error("restreamkit: " + e.message); process.exit(1); });
child.on("exit", (code, signal) => {
  if (signal) {
    process.kill(process.pid, signal);
  } else {
    process.exit(code);
  }
});
`

// NPM writes the npm packages of a release into Out/npm/: the main package and one package per
// platform of built, each as the .tgz npm pack would make. It returns the files' names.
func NPM(o Options, built []Built) ([]string, error) {
	dir := filepath.Join(o.Out, "npm")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	version := NPMVersion(o.Version)
	readme, err := os.ReadFile(filepath.Join(o.Root, "README.md"))
	if err != nil {
		return nil, err
	}
	license, err := os.ReadFile(filepath.Join(o.Root, "LICENSE"))
	if err != nil {
		return nil, err
	}
	var names []string
	optional := map[string]string{}
	for _, b := range built {
		name, ok := platformPackage(b.Target)
		if !ok {
			return nil, fmt.Errorf("npm: no Node platform for %s", b.Target)
		}
		optional[name] = version
		p := npmPlatforms[b.Target]
		manifest := map[string]any{
			"name": name, "version": version, "license": "Apache-2.0",
			"description": "The " + p[0] + "-" + p[1] + " binaries of restreamkit (restream-mock, restream-proxy, restream-gateway, restream-check); install " + NPMPackage + ", which picks this package.",
			"os":          []string{p[0]}, "cpu": []string{p[1]}, "preferUnplugged": true,
		}
		files := []file{{"LICENSE", 0o644, license}}
		for _, cmd := range o.commands() {
			data, err := os.ReadFile(filepath.Join(b.Dir, b.Target.exe(cmd)))
			if err != nil {
				return nil, err
			}
			files = append(files, file{"bin/" + b.Target.exe(cmd), 0o755, data})
		}
		n, err := writePackage(o, dir, name, version, manifest, files)
		if err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	bins := map[string]string{}
	files := []file{{"LICENSE", 0o644, license}, {"README.md", 0o644, readme}}
	for _, cmd := range o.commands() {
		bins[cmd] = "bin/" + cmd + ".js"
		files = append(files, file{"bin/" + cmd + ".js", 0o755, []byte(launcher)})
	}
	manifest := map[string]any{
		"name": NPMPackage, "version": version, "license": "Apache-2.0",
		"description":          "A stateful fake of the Restream API (restream-mock), a validating proxy (restream-proxy), a capability gateway (restream-gateway) and the conformance checks against any API (restream-check).",
		"bin":                  bins,
		"optionalDependencies": optional,
		"engines":              map[string]string{"node": ">=18"},
	}
	n, err := writePackage(o, dir, NPMPackage, version, manifest, files)
	if err != nil {
		return nil, err
	}
	return append(names, n), nil
}

// writePackage writes one npm package: its package.json and files under package/, as npm pack
// lays them out, gzipped.
func writePackage(o Options, dir, name, version string, manifest map[string]any, files []file) (string, error) {
	pj, err := json.MarshalIndent(manifest, "", "  ")
	if err != nil {
		return "", err
	}
	all := append([]file{{"package.json", 0o644, append(pj, '\n')}}, files...)
	data, err := tarGz("", prefixed("package/", all), o.Time)
	if err != nil {
		return "", err
	}
	out := name + "-" + version + ".tgz"
	return out, os.WriteFile(filepath.Join(dir, out), data, 0o644)
}

// prefixed returns files with prefix put before each name.
func prefixed(prefix string, files []file) []file {
	out := make([]file, len(files))
	for i, f := range files {
		out[i] = file{prefix + f.name, f.mode, f.data}
	}
	return out
}
