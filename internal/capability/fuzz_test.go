package capability_test

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/restreamkit/restreamkit/capabilities"
	"github.com/restreamkit/restreamkit/internal/capability"
)

// FuzzLoad loads arbitrary capability and imported files: Load must answer a plan or errors,
// never panic or hang, whatever the YAML. The seeds are our embedded files, a seed-like
// capability and every defect file of testdata.
func FuzzLoad(f *testing.F) {
	main, err := capabilities.FS.ReadFile(capabilities.Default)
	if err != nil {
		f.Fatal(err)
	}
	shared, err := capabilities.FS.ReadFile("shared/restream-api.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(main, shared)
	f.Add([]byte(capabilityFile("./shared/restream-api.yaml")), shared)
	f.Add([]byte(capabilityFile("")), []byte(consumesFile("./shared/restream-api.yaml")))
	defects, _ := filepath.Glob("testdata/defects/*.yaml")
	for _, name := range defects {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, shared)
	}
	opts := options(f)
	f.Fuzz(func(t *testing.T, main, shared []byte) {
		fsys := fstest.MapFS{
			capabilities.Default:       {Data: main},
			"shared/restream-api.yaml": {Data: shared},
		}
		plan, err := capability.Load(fsys, capabilities.Default, opts)
		if (plan == nil) == (err == nil) {
			t.Fatalf("Load gave plan %v and error %v: want exactly one", plan != nil, err)
		}
	})
}
