package discover

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/testenv"
)

// TestFlakesAgreesWithGit builds each table tree as a real git repository
// and checks that Flakes finds exactly the flake.nix files that git does
// not ignore (`git ls-files --others --exclude-standard`, with no global
// or system configuration, so only the repository's own ignore files
// count), less the directories Flakes never walks.
func TestFlakesAgreesWithGit(t *testing.T) {
	git := testenv.RequireTools(t, "git")[0]
	trees := []map[string]string{
		{".gitignore": "build/\n/vendor\n*.bak\n", "build/flake.nix": "", "src/build/flake.nix": "", "vendor/flake.nix": "", "src/vendor/flake.nix": "", "old.bak/flake.nix": "", "hosts/flake.nix": ""},
		{".gitignore": "tmp*/\n!tmp-keep/\n", "tmp1/flake.nix": "", "tmp-keep/flake.nix": "", "pkgs/.gitignore": "**/gen/**\nlocal\n", "pkgs/a/gen/x/flake.nix": "", "pkgs/gen/flake.nix": "", "pkgs/local/flake.nix": "", "other/local/flake.nix": ""},
		{".gitignore": "flake.nix\n!/flake.nix\n", "flake.nix": "", "a/flake.nix": "", "a/b/flake.nix": ""},
		{".gitignore": "a/**\n!a/keep/\n", "a/flake.nix": "", "a/keep/flake.nix": "", "b/a/flake.nix": ""},
		{".gitignore": "[ab]*\n\\#x\nsp\\ \n", "ax/flake.nix": "", "cx/flake.nix": "", "#x/flake.nix": "", "sp /flake.nix": ""},
		{".gitignore": "deep/**/skip\n", "deep/skip/flake.nix": "", "deep/a/b/skip/flake.nix": "", "deep/a/keep/flake.nix": ""},
	}
	for i, files := range trees {
		dir := tree(t, files)
		cmd := exec.Command(git, "init", "-q", dir)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git init: %v\n%s", err, out)
		}
		cmd = exec.Command(git, "-C", dir, "ls-files", "--others", "--exclude-standard")
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("git ls-files: %v", err)
		}
		var want []string
		for _, f := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			f = unquoteGit(f)
			if filepath.Base(f) == "flake.nix" {
				want = append(want, filepath.Dir(f))
			}
		}
		sort.Strings(want)
		got, err := Flakes(dir)
		if err != nil {
			t.Fatal(err)
		}
		var rel []string
		for _, g := range got {
			r, _ := filepath.Rel(dir, g)
			rel = append(rel, r)
		}
		if strings.Join(rel, "\n") != strings.Join(want, "\n") {
			t.Errorf("tree %d: Flakes = %q, git = %q", i, rel, want)
		}
	}
}

// unquoteGit undoes git's C-style quoting of unusual file names.
func unquoteGit(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
		s = strings.ReplaceAll(s, `\"`, `"`)
		s = strings.ReplaceAll(s, `\\`, `\`)
	}
	return s
}
