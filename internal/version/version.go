// Package version says which version of restreamkit a binary is. It is a leaf: the commands
// read it without linking anything else (restream-proxy used to import the whole mock for it).
//
// A release build sets it with -ldflags "-X github.com/restreamkit/restreamkit/internal/version.set=v1.2.3".
// Without that, `go install github.com/restreamkit/restreamkit/cmd/restream-mock@v1.2.3` still
// reports v1.2.3, from the module version Go records in the binary; a build from a checkout
// reports the commit it was built from (and "-dirty" for uncommitted changes), and "dev" when Go
// recorded nothing.
package version

import (
	"runtime/debug"
	"sync"
)

// set is the version a release build stamps in with -ldflags -X.
var set string

// String returns the binary's version.
func String() string { return resolved() }

var resolved = sync.OnceValue(func() string {
	info, _ := debug.ReadBuildInfo()
	return from(set, info)
})

// from picks the version: the stamped one, else the module's, else the commit's, else "dev".
func from(stamped string, info *debug.BuildInfo) string {
	if stamped != "" {
		return stamped
	}
	if info == nil {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified == "true" {
		rev += "-dirty"
	}
	return "dev-" + rev
}
