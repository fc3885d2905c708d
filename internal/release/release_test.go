package release

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/restreamkit/restreamkit/internal/clitest"
)

// root is the repository's root, from this package's directory.
const root = "../.."

// host is this machine's platform.
var host = Target{runtime.GOOS, runtime.GOARCH}

// buildOnce builds restream-mock for this machine once per test binary, stamped v0.0.1-test:
// the tests below share it.
var buildOnce = sync.OnceValues(func() (Options, error) {
	dir, err := os.MkdirTemp("", "release-test-")
	if err != nil {
		return Options{}, err
	}
	o := Options{Root: root, Version: "v0.0.1-test", Out: dir, Targets: []Target{host},
		Commands: []string{"restream-mock"}, Time: time.Unix(1795000000, 0)}
	_, err = Build(context.Background(), o)
	return o, err
})

func built(t *testing.T) (Options, []Built) {
	t.Helper()
	o, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	return o, []Built{{Target: host, Dir: filepath.Join(o.Out, "bin", host.String())}}
}

func TestAReleaseIsTheSameBytesWhenBuiltTwice(t *testing.T) {
	o, first := built(t)
	again := o
	again.Out = t.TempDir()
	second, err := Build(context.Background(), again)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(first[0].Dir, "restream-mock"))
	b, _ := os.ReadFile(filepath.Join(second[0].Dir, "restream-mock"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatalf("two builds of the same commit differ (%d and %d bytes)", len(a), len(b))
	}
	for _, oo := range []Options{o, again} {
		if _, err := Archives(oo, []Built{{Target: host, Dir: filepath.Join(oo.Out, "bin", host.String())}}); err != nil {
			t.Fatal(err)
		}
	}
	sumsA, _ := os.ReadFile(filepath.Join(o.Out, "SHA256SUMS"))
	sumsB, _ := os.ReadFile(filepath.Join(again.Out, "SHA256SUMS"))
	if len(sumsA) == 0 || !bytes.Equal(sumsA, sumsB) {
		t.Fatalf("the archives differ:\n%s\n%s", sumsA, sumsB)
	}
}

func TestTheStampedVersionIsWhatTheBinarySays(t *testing.T) {
	_, b := built(t)
	out, err := exec.Command(filepath.Join(b[0].Dir, "restream-mock"), "--version").Output()
	if err != nil || strings.TrimSpace(string(out)) != "restream-mock v0.0.1-test" {
		t.Fatalf("--version: %v %q", err, out)
	}
}

func TestArchivesHoldTheBinariesLicenseAndReadmeAndTheirSums(t *testing.T) {
	o, b := built(t)
	o.Out = t.TempDir()
	// The same binaries packed for Windows too, to read the zip layout (the name is all that
	// differs for the packing).
	win := Target{"windows", "amd64"}
	winDir := filepath.Join(o.Out, "win")
	os.MkdirAll(winDir, 0o755)
	data, _ := os.ReadFile(filepath.Join(b[0].Dir, "restream-mock"))
	os.WriteFile(filepath.Join(winDir, "restream-mock.exe"), data, 0o755)
	names, err := Archives(o, []Built{b[0], {Target: win, Dir: winDir}})
	if err != nil {
		t.Fatal(err)
	}
	tgz := "restreamkit_v0.0.1-test_" + host.String() + ".tar.gz"
	zipName := "restreamkit_v0.0.1-test_windows_amd64.zip"
	if len(names) != 2 {
		t.Fatalf("archives %v", names)
	}
	want := func(dir, exe string) []string {
		return []string{dir + "/LICENSE", dir + "/README.md", dir + "/" + exe}
	}
	if got := tarNames(t, filepath.Join(o.Out, tgz)); strings.Join(got, ",") != strings.Join(want(strings.TrimSuffix(tgz, ".tar.gz"), "restream-mock"), ",") {
		t.Errorf("%s holds %v", tgz, got)
	}
	if got := zipNames(t, filepath.Join(o.Out, zipName)); strings.Join(got, ",") != strings.Join(want(strings.TrimSuffix(zipName, ".zip"), "restream-mock.exe"), ",") {
		t.Errorf("%s holds %v", zipName, got)
	}
	sums, _ := os.ReadFile(filepath.Join(o.Out, "SHA256SUMS"))
	for _, n := range names {
		data, _ := os.ReadFile(filepath.Join(o.Out, n))
		sum := sha256.Sum256(data)
		if !strings.Contains(string(sums), hex.EncodeToString(sum[:])+"  "+n+"\n") {
			t.Errorf("SHA256SUMS lacks %s:\n%s", n, sums)
		}
	}
}

func tarNames(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if gz.Name != "" || !gz.ModTime.IsZero() {
		t.Errorf("gzip records a name %q or a time %v", gz.Name, gz.ModTime)
	}
	tr := tar.NewReader(gz)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			names = append(names, h.Name)
			if strings.HasSuffix(h.Name, "restream-mock") && h.Mode&0o111 == 0 {
				t.Errorf("%s is not executable", h.Name)
			}
		}
	}
}

func zipNames(t *testing.T, path string) []string {
	t.Helper()
	r, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var names []string
	for _, f := range r.File {
		names = append(names, f.Name)
	}
	return names
}

func TestNPMVersionsAreSemantic(t *testing.T) {
	for in, want := range map[string]string{"v0.1.0": "0.1.0", "1.2.3-rc.1": "1.2.3-rc.1", "dev-0123456789ab-dirty": "0.0.0-dev-0123456789ab-dirty", "dev": "0.0.0-dev"} {
		if got := NPMVersion(in); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

var bannerURL = regexp.MustCompile(`REST, OAuth and control API on (http://\S+)`)

func TestTheNPMPackagesInstallOfflineAndRunTheMock(t *testing.T) {
	npm := clitest.NPM(t)
	o, b := built(t)
	o.Out = t.TempDir()
	// Every platform of a release, the others with stand-in files: the main package then lists
	// all six as optional dependencies, as the published one does.
	other := filepath.Join(o.Out, "other")
	all := b
	for _, tg := range Targets {
		if tg == host {
			continue
		}
		os.MkdirAll(other, 0o755)
		os.WriteFile(filepath.Join(other, tg.exe("restream-mock")), []byte("not this platform's"), 0o755)
		all = append(all, Built{Target: tg, Dir: other})
	}
	names, err := NPM(o, all)
	if err != nil {
		t.Fatal(err)
	}
	platform, _ := platformPackage(host)
	if len(names) != 7 || names[6] != "restreamkit-0.0.1-test.tgz" {
		t.Fatalf("packages %v", names)
	}
	project := t.TempDir()
	os.WriteFile(filepath.Join(project, "package.json"), []byte(`{"name":"an-app","version":"1.0.0","private":true}`), 0o644)
	// Offline, with this platform's package at hand: npm skips the other optional platforms.
	args := []string{"install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts",
		filepath.Join(o.Out, "npm", "restreamkit-0.0.1-test.tgz"), filepath.Join(o.Out, "npm", platform+"-0.0.1-test.tgz")}
	cmd := exec.Command(npm, args...)
	cmd.Dir = project
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm install: %v\n%s", err, out)
	}
	npx := filepath.Join(project, "node_modules", ".bin", "restream-mock")
	out, err := exec.Command(npx, "--version").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "restream-mock v0.0.1-test" {
		t.Fatalf("restream-mock --version through npm: %v %q", err, out)
	}

	// The launcher serves as the binary does, and Ctrl-C (here SIGTERM) reaches it.
	mock := exec.Command(npx, "--addr", "127.0.0.1:0", "--streaming-addr", "", "--chat-addr", "")
	stdout, _ := mock.StdoutPipe()
	if err := mock.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mock.Process.Kill(); mock.Wait() })
	base := ""
	lines := bufio.NewScanner(stdout)
	for base == "" && lines.Scan() {
		if m := bannerURL.FindStringSubmatch(lines.Text()); m != nil {
			base = m[1]
		}
	}
	go io.Copy(io.Discard, stdout)
	if base == "" {
		t.Fatal("the mock run through npm printed no address")
	}
	res, err := http.Get(base + "/v2/platform/all")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET /v2/platform/all through the npm-installed mock: %d", res.StatusCode)
	}
	mock.Process.Signal(syscall.SIGTERM)
	if err := mock.Wait(); err != nil {
		t.Fatalf("the launcher did not stop the mock gracefully: %v", err)
	}
}
