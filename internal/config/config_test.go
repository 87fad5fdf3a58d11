package config

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    Config
		wantErr string
	}{
		{"empty", "", Config{Path: "f.toml"}, ""},
		{"all keys", "# comment\nignore = [\"hyprland/nixpkgs\", 'nixos-hardware']\ncross-branch = true\nall = true\nnix-version = \"2.8\"\n",
			Config{Ignore: []string{"hyprland/nixpkgs", "nixos-hardware"}, CrossBranch: true, All: true, NixVersion: "2.8", Path: "f.toml"}, ""},
		{"multi-line array", "ignore = [\n  \"a\",\n  \"b/c\",\n]\n", Config{Ignore: []string{"a", "b/c"}, Path: "f.toml"}, ""},
		{"typo key", "cross_branch = true\n", Config{}, "f.toml: unknown setting cross_branch (known: ignore, cross-branch, all, nix-version, policy)"},
		{"wrong type", "all = \"yes\"\n", Config{}, "f.toml: line 1 (last key \"all\"): incompatible types: TOML value has type string; destination has type boolean"},
		{"syntax error line", "all = true\nignore = [\n", Config{}, "f.toml:2: unexpected EOF; expected value"},
		{"policy", "policy = \"branch\"\n", Config{Policy: "branch", Path: "f.toml"}, ""},
		{"bad policy", "policy = \"newest\"\n", Config{}, "f.toml: policy: \"newest\": want \"primary\" or \"branch\""},
		{"bad ignore entry", "ignore = [\"a/\"]\n", Config{}, "f.toml: ignore: \"a/\" is not an input name or input path like \"hyprland/nixpkgs\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("f.toml", []byte(tt.src))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v\nwant %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestLoadMissingFileIsZero(t *testing.T) {
	c, err := Load(t.TempDir())
	if err != nil || !reflect.DeepEqual(c, Config{}) {
		t.Fatalf("Load(empty dir) = %+v, %v", c, err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte("all = true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err = Load(dir)
	if err != nil || !c.All || c.Path != filepath.Join(dir, FileName) {
		t.Fatalf("Load = %+v, %v", c, err)
	}
}
