package store

import (
	"context"
	"crypto/sha256"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/testenv"
)

func TestSourcePathForms(t *testing.T) {
	// One hash in every form SourcePath reads must give one path.
	const sri = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" // SHA-256 of ""
	forms := []string{
		sri,
		"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"sha256:0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73",
		"sha256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
	}
	want, err := SourcePath(sri)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(want, "/nix/store/") || !strings.HasSuffix(want, "-source") || len(want) != len("/nix/store/")+32+len("-source") {
		t.Fatalf("SourcePath = %q: not a store path", want)
	}
	for _, f := range forms {
		got, err := SourcePath(f)
		if err != nil || got != want {
			t.Errorf("SourcePath(%q) = %q, %v; want %q", f, got, err, want)
		}
	}
	for _, bad := range []string{"", "md5-1B2M2Y8AsgTpgAmY7PhCfg==", "sha256-abc", "sha256:xyz", "sha256:" + strings.Repeat("e", 52)} {
		if _, err := SourcePath(bad); err == nil {
			t.Errorf("SourcePath(%q) accepted", bad)
		}
	}
}

func TestNixBase32RoundTrip(t *testing.T) {
	for i := 0; i < 64; i++ {
		sum := sha256.Sum256([]byte{byte(i)})
		enc := nixBase32(sum[:])
		if len(enc) != 52 {
			t.Fatalf("len = %d", len(enc))
		}
		dec, ok := decodeNixBase32(enc, 32)
		if !ok || string(dec) != string(sum[:]) {
			t.Fatalf("round trip of %x failed: %s", sum, enc)
		}
	}
}

func TestParsePathInfo(t *testing.T) {
	const p = "/nix/store/abc-source"
	tests := []struct {
		out  string
		size int64
		ok   bool
	}{
		{`[{"path":"/nix/store/abc-source","narSize":1234}]`, 1234, true},      // Nix < 2.19
		{`{"/nix/store/abc-source":{"narSize":99,"references":[]}}`, 99, true}, // Nix >= 2.19
		{`{"/nix/store/abc-source":null}`, 0, false},                           // not valid
		{`[{"path":"/nix/store/other-source","narSize":1}]`, 0, false},
		{`not json`, 0, false},
	}
	for _, tt := range tests {
		size, ok := parsePathInfo([]byte(tt.out), p)
		if size != tt.size || ok != tt.ok {
			t.Errorf("parsePathInfo(%s) = %d, %v; want %d, %v", tt.out, size, ok, tt.size, tt.ok)
		}
	}
}

// TestAgainstNix adds a directory named "source" to a private store with
// real Nix and checks that SourcePath of its NAR hash is the path Nix
// chose, and that NarSizes reports Nix's size for it and nothing for a
// path the store lacks.
func TestAgainstNix(t *testing.T) {
	tools := testenv.RequireTools(t, "nix", "nix-store")
	nix, nixStore := tools[0], tools[1]
	tmp := t.TempDir()
	env := []string{
		"HOME=" + filepath.Join(tmp, "home"),
		"XDG_CACHE_HOME=" + filepath.Join(tmp, "cache"),
		"NIX_CONFIG=experimental-features = nix-command flakes\nstore = " + filepath.Join(tmp, "store") +
			"\nsandbox = false\nbuild-users-group =\nsubstituters =\n",
	}
	src := filepath.Join(tmp, "w", "source")
	if err := os.MkdirAll(filepath.Join(src, "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(src, "default.nix"), []byte("{ }\n"), 0o644)
	os.WriteFile(filepath.Join(src, "lib", "x.nix"), []byte("1\n"), 0o644)
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.Output()
		if err != nil {
			msg := ""
			if ee, ok := err.(*exec.ExitError); ok {
				msg = string(ee.Stderr)
			}
			t.Fatalf("%s %v: %v\n%s", name, args, err, msg)
		}
		return strings.TrimSpace(string(out))
	}
	added := run(nixStore, "--add-fixed", "--recursive", "sha256", src)
	hash := run(nix, "hash", "path", src)
	got, err := SourcePath(hash)
	if err != nil {
		t.Fatal(err)
	}
	if got != added {
		t.Fatalf("SourcePath(%s) = %s, Nix added %s", hash, got, added)
	}
	missing, _ := SourcePath("sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
	t.Setenv("NIX_CONFIG", env[2][len("NIX_CONFIG="):])
	t.Setenv("HOME", env[0][len("HOME="):])
	t.Setenv("XDG_CACHE_HOME", env[1][len("XDG_CACHE_HOME="):])
	want := run(nix, "path-info", "--json", added)
	sizes, err := NarSizes(context.Background(), nix, []string{added, missing, added})
	if err != nil {
		t.Fatal(err)
	}
	size, ok := parsePathInfo([]byte(want), added)
	if !ok || size <= 0 {
		t.Fatalf("nix path-info said %s", want)
	}
	if len(sizes) != 1 || sizes[added] != size {
		t.Errorf("NarSizes = %v, want {%s: %d}", sizes, added, size)
	}
}

func TestNarSizesWithoutNix(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if _, err := NarSizes(context.Background(), "", []string{"/nix/store/x-source"}); err != ErrNoNix {
		t.Errorf("err = %v, want ErrNoNix", err)
	}
}
