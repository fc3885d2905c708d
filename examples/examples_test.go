package examples_test

import (
	"errors"
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/restreamkit/restreamkit/examples"
	"github.com/restreamkit/restreamkit/internal/fixtures"
)

// The rules the examples keep (each matches the spec; together they describe one consistent
// world) are owned by internal/fixtures, which the mock loads them with, and tested there. Here
// the embedded files are held to them, plus the house style of this directory.

func TestTheExamplesKeepEveryFixtureRuleAndDocumentEverything(t *testing.T) {
	seed, err := fixtures.Load(examples.FS, fixtures.EmbeddedName)
	if err != nil {
		t.Fatal(err)
	}
	// A note is something the mock had to make up: the examples document every operation, and
	// every user in every operation that seeds a user's data.
	for _, n := range seed.Notes {
		t.Error(n)
	}
}

var anyUUID = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)

// checkUUIDv4 accepts lowercase random (version 4, RFC 4122 variant) UUIDs only.
func checkUUIDv4(s string) error {
	if strings.ToLower(s) != s {
		return errors.New("not lowercase")
	}
	if s[14] != '4' || !strings.ContainsRune("89ab", rune(s[19])) {
		return errors.New("not a version 4 UUID")
	}
	return nil
}

func TestEveryIDInTheExamplesIsALowercaseVersion4UUID(t *testing.T) {
	// The house style of these files, not a rule of fixtures in general: Restream's ids are
	// random UUIDs, so ours are too, wherever they appear (bodies, paths, download URLs).
	err := fs.WalkDir(examples.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(examples.FS, p)
		for _, u := range anyUUID.FindAllString(string(data), -1) {
			if err := checkUUIDv4(u); err != nil {
				t.Errorf("%s: %s: %v", p, u, err)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTheStyleCheckCatchesAVersion1UUID(t *testing.T) {
	if checkUUIDv4("6fa459ea-ee8a-11ca-a0f0-00a0c91e6bf6") == nil || checkUUIDv4("6FA459EA-EE8A-41CA-A0F0-00A0C91E6BF6") == nil {
		t.Fatal("a version 1 or uppercase UUID passed")
	}
	if err := checkUUIDv4("9e0f3a52-4c1b-4d8e-a2f7-6b5c3d1e0a94"); err != nil {
		t.Fatal(err)
	}
}
