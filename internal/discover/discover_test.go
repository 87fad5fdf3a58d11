package discover

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// tree writes files (path -> content) under a new temporary directory and
// returns it. A path ending in "/" is an empty directory; "@target" content
// makes a symbolic link.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(content, "@") {
			if err := os.Symlink(content[1:], p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestFlakes(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		start string // below the tree's root; "" is the root
		want  []string
	}{
		{
			name:  "one flake at the root",
			files: map[string]string{"flake.nix": "{}"},
			want:  []string{"."},
		},
		{
			name: "nested flakes, sorted, root included",
			files: map[string]string{
				"flake.nix":           "{}",
				"hosts/b/flake.nix":   "{}",
				"hosts/a/flake.nix":   "{}",
				"hosts/a/README":      "",
				"lib/default.nix":     "{}",
				"hosts/a/x/flake.nix": "{}",
			},
			want: []string{".", "hosts/a", "hosts/a/x", "hosts/b"},
		},
		{
			name: "never walked: .git, node_modules, result links and dirs",
			files: map[string]string{
				"a/flake.nix":              "{}",
				".git/x/flake.nix":         "{}",
				"node_modules/p/flake.nix": "{}",
				"result/flake.nix":         "{}",
				"result-bin/flake.nix":     "{}",
				"results/flake.nix":        "{}", // not a result link name
				"link":                     "@a",
			},
			want: []string{"a", "results"},
		},
		{
			name: "gitignore honoured inside a git repository",
			files: map[string]string{
				".git/":                "",
				".gitignore":           "# build output\nbuild/\n/vendor\n*.bak\n",
				"build/flake.nix":      "{}",
				"src/build/flake.nix":  "{}",
				"vendor/flake.nix":     "{}",
				"src/vendor/flake.nix": "{}", // "/vendor" is anchored to the top
				"old.bak/flake.nix":    "{}",
				"hosts/flake.nix":      "{}",
			},
			want: []string{"hosts", "src/vendor"},
		},
		{
			name: "nested gitignore, negation, double star",
			files: map[string]string{
				".git/":                  "",
				".gitignore":             "tmp*/\n!tmp-keep/\n",
				"tmp1/flake.nix":         "{}",
				"tmp-keep/flake.nix":     "{}",
				"pkgs/.gitignore":        "**/gen/**\nlocal\n",
				"pkgs/a/gen/x/flake.nix": "{}",
				"pkgs/gen/flake.nix":     "{}", // inside gen/**: ignored, as git does
				"pkgs/local/flake.nix":   "{}",
				"other/local/flake.nix":  "{}", // pkgs/.gitignore does not reach here
			},
			want: []string{"other/local", "tmp-keep"},
		},
		{
			name: "info/exclude and ignore files above the start directory",
			files: map[string]string{
				".git/info/exclude":       "scratch\n",
				".gitignore":              "hosts/old/\n",
				"hosts/old/flake.nix":     "{}",
				"hosts/new/flake.nix":     "{}",
				"hosts/scratch/flake.nix": "{}",
			},
			start: "hosts",
			want:  []string{"hosts/new"},
		},
		{
			name: "outside a git repository .gitignore means nothing",
			files: map[string]string{
				".gitignore":      "build/\n",
				"build/flake.nix": "{}",
			},
			want: []string{"build"},
		},
		{
			name: "an ignored flake.nix file",
			files: map[string]string{
				".git/":       "",
				".gitignore":  "flake.nix\n",
				"flake.nix":   "{}",
				"a/flake.nix": "{}",
			},
			want: nil,
		},
		{
			name:  "flake.nix that is a directory is not a flake",
			files: map[string]string{"flake.nix/": ""},
			want:  nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tree(t, tt.files)
			start := filepath.Join(dir, filepath.FromSlash(tt.start))
			got, err := Flakes(start)
			if err != nil {
				t.Fatal(err)
			}
			var rel []string
			for _, g := range got {
				r, err := filepath.Rel(dir, g)
				if err != nil {
					t.Fatal(err)
				}
				rel = append(rel, filepath.ToSlash(r))
			}
			if !reflect.DeepEqual(rel, tt.want) {
				t.Errorf("Flakes = %q, want %q", rel, tt.want)
			}
		})
	}
}

func TestFlakesRelativeRoot(t *testing.T) {
	dir := tree(t, map[string]string{".git/": "", ".gitignore": "b/\n", "a/flake.nix": "{}", "b/flake.nix": "{}"})
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(filepath.Join(dir, "a")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chdir(wd) })
	got, err := Flakes("..")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join("..", "a")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Flakes(..) = %q, want %q", got, want)
	}
}

func TestFlakesErrors(t *testing.T) {
	dir := tree(t, map[string]string{"file": "x"})
	for _, tt := range []struct{ arg, want string }{
		{filepath.Join(dir, "missing"), "missing: no such file or directory"},
		{filepath.Join(dir, "file"), "file: not a directory"},
	} {
		_, err := Flakes(tt.arg)
		if err == nil || !strings.HasSuffix(err.Error(), tt.want) {
			t.Errorf("Flakes(%s) error = %v, want suffix %q", tt.arg, err, tt.want)
		}
	}
	if os.Geteuid() != 0 { // root reads every directory
		locked := tree(t, map[string]string{"a/flake.nix": "{}"})
		if err := os.Chmod(filepath.Join(locked, "a"), 0); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(filepath.Join(locked, "a"), 0o755) })
		if _, err := Flakes(locked); err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("unreadable directory: error = %v", err)
		}
	}
}

func TestParseRule(t *testing.T) {
	tests := []struct {
		line string
		ok   bool
		want rule
	}{
		{"", false, rule{}},
		{"   ", false, rule{}},
		{"# comment", false, rule{}},
		{`\#hash`, true, rule{segments: []string{"#hash"}}},
		{`\!bang`, true, rule{segments: []string{"!bang"}}},
		{"!keep", true, rule{segments: []string{"keep"}, negate: true}},
		{"dir/", true, rule{segments: []string{"dir"}, dirOnly: true}},
		{"/top", true, rule{segments: []string{"top"}, anchored: true}},
		{"a/b", true, rule{segments: []string{"a", "b"}, anchored: true}},
		{"**/x/", true, rule{segments: []string{"**", "x"}, anchored: true, dirOnly: true}},
		{"trail   ", true, rule{segments: []string{"trail"}}},
		{`space\ `, true, rule{segments: []string{"space "}}},
		{"crlf\r", true, rule{segments: []string{"crlf"}}},
		{"/", false, rule{}},
	}
	for _, tt := range tests {
		got, ok := parseRule("", tt.line)
		if ok != tt.ok || !reflect.DeepEqual(got, tt.want) && tt.ok {
			t.Errorf("parseRule(%q) = %+v, %v; want %+v, %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}

func TestIgnored(t *testing.T) {
	ig := &Ignore{}
	ig.add("r", []byte("*.log\n!keep.log\n/root-only\ndocs/**/draft\nbuild/\n[abc]x\n"))
	tests := []struct {
		path  string
		isDir bool
		want  bool
	}{
		{"r/a.log", false, true},
		{"r/deep/b.log", false, true},
		{"r/keep.log", false, false},
		{"r/root-only", false, true},
		{"r/sub/root-only", false, false},
		{"r/docs/draft", true, true},
		{"r/docs/a/b/draft", true, true},
		{"r/docs2/draft", true, false},
		{"r/build", true, true},
		{"r/build", false, false}, // a file named build: the rule is for directories
		{"r/bx", false, true},
		{"r/dx", false, false},
		{"elsewhere/a.log", false, false}, // outside the rules' base
		{"r", true, false},
	}
	for _, tt := range tests {
		if got := ig.Ignored(tt.path, tt.isDir); got != tt.want {
			t.Errorf("Ignored(%s, dir=%v) = %v, want %v", tt.path, tt.isDir, got, tt.want)
		}
	}
}
