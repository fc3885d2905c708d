// Package release builds what users download: the commands for each platform, packed with the
// LICENSE and README into one archive per platform, a SHA256SUMS file, and npm packages that
// carry the binaries the way esbuild and biome ship theirs (make release, make npm).
//
// Everything is reproducible: the same commit and toolchain give the same bytes. The binaries
// are static (CGO_ENABLED=0), built with -trimpath and an empty build id; the archives list their
// files in name order, with one owner and one time (the commit's, SOURCE_DATE_EPOCH), and gzip
// records no name or time.
package release

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Commands are the binaries a release holds.
var Commands = []string{"restream-mock", "restream-proxy", "restream-gateway", "restream-check"}

// Target is a platform to build for.
type Target struct{ OS, Arch string }

// Targets are the platforms of a release.
var Targets = []Target{
	{"linux", "amd64"}, {"linux", "arm64"},
	{"darwin", "amd64"}, {"darwin", "arm64"},
	{"windows", "amd64"}, {"windows", "arm64"},
}

// String returns "linux_amd64".
func (t Target) String() string { return t.OS + "_" + t.Arch }

// exe returns a command's file name on the target.
func (t Target) exe(cmd string) string {
	if t.OS == "windows" {
		return cmd + ".exe"
	}
	return cmd
}

// Options say what to build.
type Options struct {
	// Root is the repository's root directory.
	Root string
	// Version is stamped into the binaries and names the archives, such as v0.1.0.
	Version string
	// Out is the directory the files are written to.
	Out string
	// Targets are the platforms; nil means Targets.
	Targets []Target
	// Time is the time the archives give every file (the commit's time for reproducible
	// archives).
	Time time.Time
	// Commands are the commands to build and pack; nil means Commands.
	Commands []string
	// Go is the go command; "" means "go" on PATH.
	Go string
}

// commands returns the commands o builds.
func (o Options) commands() []string {
	if o.Commands == nil {
		return Commands
	}
	return o.Commands
}

// Built is one platform's binaries, in a directory.
type Built struct {
	Target Target
	Dir    string
}

// Build builds every command for every target into Out/bin/<target>/.
func Build(ctx context.Context, o Options) ([]Built, error) {
	goCmd := o.Go
	if goCmd == "" {
		goCmd = "go"
	}
	targets := o.Targets
	if targets == nil {
		targets = Targets
	}
	var out []Built
	for _, t := range targets {
		dir := filepath.Join(o.Out, "bin", t.String())
		for _, cmd := range o.commands() {
			c := exec.CommandContext(ctx, goCmd, "build", "-trimpath", "-buildvcs=false",
				"-ldflags", "-s -w -buildid= -X github.com/restreamkit/restreamkit/internal/version.set="+o.Version,
				"-o", filepath.Join(dir, t.exe(cmd)), "./cmd/"+cmd)
			c.Dir = o.Root
			c.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+t.OS, "GOARCH="+t.Arch, "GOFLAGS=-mod=readonly")
			if msg, err := c.CombinedOutput(); err != nil {
				return nil, fmt.Errorf("building %s for %s: %v: %s", cmd, t, err, msg)
			}
		}
		out = append(out, Built{Target: t, Dir: dir})
	}
	return out, nil
}

// file is one file of an archive.
type file struct {
	name string
	mode int64
	data []byte
}

// contents returns what a platform's archive holds: its binaries, LICENSE and README.md, in name
// order.
func contents(o Options, b Built) ([]file, error) {
	var files []file
	for _, cmd := range o.commands() {
		data, err := os.ReadFile(filepath.Join(b.Dir, b.Target.exe(cmd)))
		if err != nil {
			return nil, err
		}
		files = append(files, file{b.Target.exe(cmd), 0o755, data})
	}
	for _, doc := range []string{"LICENSE", "README.md"} {
		data, err := os.ReadFile(filepath.Join(o.Root, doc))
		if err != nil {
			return nil, err
		}
		files = append(files, file{doc, 0o644, data})
	}
	slices.SortFunc(files, func(a, b file) int { return strings.Compare(a.name, b.name) })
	return files, nil
}

// Archives packs each platform's binaries (a .zip for Windows, a .tar.gz otherwise, everything
// under one directory named like the archive) and writes SHA256SUMS. It returns the archives'
// file names.
func Archives(o Options, built []Built) ([]string, error) {
	var names []string
	sums := map[string]string{}
	for _, b := range built {
		files, err := contents(o, b)
		if err != nil {
			return nil, err
		}
		base := "restreamkit_" + o.Version + "_" + b.Target.String()
		var data []byte
		var name string
		if b.Target.OS == "windows" {
			name = base + ".zip"
			data, err = zipOf(base, files, o.Time)
		} else {
			name = base + ".tar.gz"
			data, err = tarGz(base+"/", files, o.Time)
		}
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(o.Out, name), data, 0o644); err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		sums[name] = hex.EncodeToString(sum[:])
		names = append(names, name)
	}
	slices.Sort(names)
	var buf bytes.Buffer
	for _, n := range names {
		fmt.Fprintf(&buf, "%s  %s\n", sums[n], n)
	}
	return names, os.WriteFile(filepath.Join(o.Out, "SHA256SUMS"), buf.Bytes(), 0o644)
}

// tarGz packs files under prefix, reproducibly.
func tarGz(prefix string, files []file, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	gz, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	gz.ModTime = time.Time{} // gzip records no time and no name
	tw := tar.NewWriter(gz)
	if prefix != "" {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: prefix, Mode: 0o755, ModTime: mtime.UTC(), Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
	}
	for _, f := range files {
		h := &tar.Header{Typeflag: tar.TypeReg, Name: prefix + f.name, Mode: f.mode, Size: int64(len(f.data)),
			ModTime: mtime.UTC(), Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// zipOf packs files under the directory dir, reproducibly.
func zipOf(dir string, files []file, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		h := &zip.FileHeader{Name: dir + "/" + f.name, Method: zip.Deflate, Modified: mtime.UTC()}
		h.SetMode(os.FileMode(f.mode))
		w, err := zw.CreateHeader(h)
		if err != nil {
			return nil, err
		}
		if _, err := io.Copy(w, bytes.NewReader(f.data)); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
