// Command release builds restreamkit's release files into a directory: make release (archives
// and SHA256SUMS for every platform) and make npm (the npm packages). It is a tool of this
// repository, not a shipped command.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/restreamkit/restreamkit/internal/release"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

func run() error {
	version := flag.String("version", "", "version to stamp and name the files with, such as v0.1.0 (required)")
	out := flag.String("out", "dist", "directory to write into")
	npm := flag.Bool("npm", false, "write the npm packages (into OUT/npm) instead of the archives")
	host := flag.Bool("host", false, "build for this machine's platform only")
	flag.Parse()
	if *version == "" || flag.NArg() > 0 {
		return errors.New("usage: go run ./tools/release -version v0.1.0 [-out dist] [-npm] [-host]")
	}
	o := release.Options{Root: ".", Version: *version, Out: *out}
	if *host {
		o.Targets = []release.Target{{OS: runtime.GOOS, Arch: runtime.GOARCH}}
	}
	var err error
	if o.Time, err = sourceTime(); err != nil {
		return err
	}
	built, err := release.Build(context.Background(), o)
	if err != nil {
		return err
	}
	var names []string
	if *npm {
		names, err = release.NPM(o, built)
	} else {
		names, err = release.Archives(o, built)
	}
	for _, n := range names {
		fmt.Println(n)
	}
	return err
}

// sourceTime is the time the archives give their files: SOURCE_DATE_EPOCH when set (the
// reproducible-builds convention), else the last commit's time.
func sourceTime() (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		b, err := exec.Command("git", "log", "-1", "--format=%ct").Output()
		if err != nil {
			return time.Time{}, fmt.Errorf("the commit's time (set SOURCE_DATE_EPOCH outside a checkout): %w", err)
		}
		s = strings.TrimSpace(string(b))
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: %w", s, err)
	}
	return time.Unix(n, 0), nil
}
