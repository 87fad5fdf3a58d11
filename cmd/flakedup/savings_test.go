package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/savings"
	"github.com/flakedup/flakedup/internal/testenv"
)

// TestSavingsFromTheLocalStore puts the source of the nixpkgs copy that
// `fix --only secrets` removes into a private Nix store, writes its real
// NAR hash into the lock, and checks that fix reports the NAR size Nix
// reports for it as the download avoided, in text and in JSON; a copy
// whose source the store lacks stays "unknown".
func TestSavingsFromTheLocalStore(t *testing.T) {
	tools := testenv.RequireTools(t, "nix", "nix-store")
	nix, nixStore := tools[0], tools[1]
	tmp := t.TempDir()
	t.Setenv("HOME", filepath.Join(tmp, "home"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(tmp, "cache"))
	t.Setenv("NIX_CONFIG", "experimental-features = nix-command flakes\nstore = "+filepath.Join(tmp, "store")+
		"\nsandbox = false\nbuild-users-group =\nsubstituters =\n")
	run := func(name string, args ...string) string {
		t.Helper()
		out, err := exec.Command(name, args...).Output()
		if err != nil {
			t.Fatalf("%s %v: %v", name, args, err)
		}
		return strings.TrimSpace(string(out))
	}
	src := filepath.Join(tmp, "w", "source")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "default.nix"), []byte(strings.Repeat("# a nixpkgs stand-in\n", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	added := run(nixStore, "--add-fixed", "--recursive", "sha256", src)
	hash := run(nix, "hash", "path", src)
	var infos []struct {
		Path    string `json:"path"`
		NarSize int64  `json:"narSize"`
	}
	if err := json.Unmarshal([]byte(run(nix, "path-info", "--json", added)), &infos); err != nil || len(infos) != 1 || infos[0].NarSize <= 0 {
		t.Fatalf("nix path-info: %+v, %v", infos, err)
	}
	size := infos[0].NarSize

	dir := copyFlake(t, "../../fixtures/fix/only-one-input")
	lockPath := filepath.Join(dir, "flake.lock")
	lock, _ := os.ReadFile(lockPath)
	var doc map[string]any
	if err := json.Unmarshal(lock, &doc); err != nil {
		t.Fatal(err)
	}
	old := doc["nodes"].(map[string]any)["nixpkgs_2"].(map[string]any)["locked"].(map[string]any)["narHash"].(string)
	if err := os.WriteFile(lockPath, []byte(strings.Replace(string(lock), old, hash, 1)), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		only, want string
	}{
		{"secrets", "savings: 1 copy and 1 revision removed; download avoided: " + savings.Size(size) + "\n"},
		{"home", "savings: 1 copy and 1 revision removed; download avoided: unknown (not in the local store)\n"},
	}
	for _, tc := range tests {
		code, stdout, stderr := runFlakedup(t, nil, "fix", "--dry-run", "--only", tc.only, dir)
		if code != exitOK || stderr != "" || !strings.Contains(stdout, "\n"+tc.want) {
			t.Errorf("--only %s: exit %d, stderr %q, want the line %q in:\n%s", tc.only, code, stderr, tc.want, stdout)
		}
	}
	code, stdout, _ := runFlakedup(t, nil, "fix", "--dry-run", "--only", "secrets", "--format", "json", dir)
	var got struct{ Savings savingsJSON }
	if err := json.Unmarshal([]byte(stdout), &got); code != exitOK || err != nil {
		t.Fatalf("exit %d, %v", code, err)
	}
	want := savingsJSON{CopiesRemoved: 1, RevisionsRemoved: 1, DownloadBytes: size, DownloadKnown: true, Download: savings.Size(size)}
	if got.Savings != want {
		t.Errorf("savings %+v, want %+v", got.Savings, want)
	}
}
