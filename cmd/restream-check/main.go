// Command restream-check runs restreamkit's conformance checks against any Restream API base URL
// with an access token you supply: restream-mock, the real API (https://api.restream.io), or
// restream-proxy in front of either. It prints one line per check and "N passed, M failed, K
// skipped", exits 1 when a check fails, and can write JUnit. Read-only unless --allow-writes.
package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/restreamkit/restreamkit/internal/check"
	"github.com/restreamkit/restreamkit/internal/cli"
	"github.com/restreamkit/restreamkit/internal/version"
)

const envPrefix = "RESTREAM_CHECK_"

func main() {
	ok, err := run(os.Args[1:], os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "restream-check:", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) (bool, error) {
	fs := pflag.NewFlagSet("restream-check", pflag.ContinueOnError)
	var cfg check.Config
	fs.StringVar(&cfg.BaseURL, "base-url", "https://api.restream.io", "base URL of the API to check: the real API, restream-mock, or restream-proxy in front of either")
	fs.StringVar(&cfg.Token, "token", "", "access token of the account to check (required; never printed: prefer the environment variable)")
	fs.StringVar(&cfg.ControlURL, "control-url", "", "base URL of restream-mock's control API (/__mock/), when it is not the base URL (default: the base URL)")
	fs.StringVar(&cfg.ControlToken, "control-token", "", "restream-mock's --control-token, when it has one (never printed)")
	fs.BoolVar(&cfg.AllowWrites, "allow-writes", false, "also run the checks that change state: add, change and delete a test channel; on restream-mock, the suites that reset it (its world and settings are put back)")
	fs.StringVar(&cfg.Run, "run", "", "run only the checks this go-test-style pattern selects (slash-separated regular expressions, one per level: reads/getChannel)")
	fs.StringVar(&cfg.JUnit, "junit", "", "write a JUnit report of the checks to this file")
	fs.DurationVar(&cfg.Timeout, "timeout", 30*time.Second, "longest wait for one answer (0: no limit)")
	log, done, err := cli.Parse(fs, envPrefix, version.String(), args, stdout)
	if err != nil || done {
		return err == nil, err
	}
	cfg.Logger = log
	return check.Run(cfg, stdout)
}
