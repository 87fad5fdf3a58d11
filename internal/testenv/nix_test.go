package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestParseVersion reads the `nix --version` lines of the Nix flavours
// NIX-NOTES.md lists.
func TestParseVersion(t *testing.T) {
	base := []string{"nix-command", "flakes"}
	pipes := []string{"nix-command", "flakes", "pipe-operators"}
	tests := []struct {
		out, version string
		major, minor int
		features     []string
		atLeast230   bool
	}{
		{"nix (Nix) 2.8.0", "2.8.0", 2, 8, base, false},
		{"nix (Nix) 2.34.8\n", "2.34.8", 2, 34, pipes, true},
		{"nix (Nix) 2.26.3", "2.26.3", 2, 26, pipes, false},
		{"nix (Nix) 2.24.0pre20240101_abc", "2.24.0pre20240101_abc", 2, 24, pipes, false},
		{"nix (Determinate Nix 3.4.1) 2.28.2", "2.28.2", 2, 28, pipes, false},
		{"nix (Nix) 2.30", "2.30", 2, 30, pipes, true},
		{"nix (Lix, like Nix) 2.91.0", "2.91.0", 2, 18, base, false},
	}
	for _, tc := range tests {
		n, err := parseVersion(tc.out)
		if err != nil {
			t.Errorf("parseVersion(%q): %v", tc.out, err)
			continue
		}
		if n.Version != tc.version || n.Major != tc.major || n.Minor != tc.minor ||
			!reflect.DeepEqual(n.Features, tc.features) || n.AtLeast(2, 30) != tc.atLeast230 {
			t.Errorf("parseVersion(%q) = %s %d.%d %v, AtLeast(2.30) %v; want %s %d.%d %v, %v", tc.out,
				n.Version, n.Major, n.Minor, n.Features, n.AtLeast(2, 30), tc.version, tc.major, tc.minor, tc.features, tc.atLeast230)
		}
	}
	for _, out := range []string{"", "nix (Nix)", "command not found"} {
		if n, err := parseVersion(out); err == nil {
			t.Errorf("parseVersion(%q) = %+v, want an error", out, n)
		}
	}
}

// TestAtLeast checks the version comparison at its edges.
func TestAtLeast(t *testing.T) {
	n := Nix{Major: 2, Minor: 18}
	for _, tc := range []struct {
		major, minor int
		want         bool
	}{{2, 8, true}, {2, 18, true}, {2, 19, false}, {3, 0, false}, {1, 99, true}} {
		if got := n.AtLeast(tc.major, tc.minor); got != tc.want {
			t.Errorf("2.18 AtLeast(%d.%d) = %v, want %v", tc.major, tc.minor, got, tc.want)
		}
	}
	if got := n.Short(); got != "2.18" {
		t.Errorf("Short = %q", got)
	}
}

// TestEnv checks the offline environment: everything under base, the
// version's features, the empty registry.
func TestEnv(t *testing.T) {
	base := t.TempDir()
	n := Nix{Name: "new", Bin: "/opt/nix/bin", Features: []string{"nix-command", "flakes", "pipe-operators"}}
	env, err := n.Env(base)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		got[k] = v
	}
	if !strings.HasPrefix(got["PATH"], "/opt/nix/bin"+string(os.PathListSeparator)) {
		t.Errorf("PATH = %q, want the new Nix first", got["PATH"])
	}
	for _, k := range []string{"HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "NIX_CONF_DIR"} {
		if dir := got[k]; !strings.HasPrefix(dir, base+"/") {
			t.Errorf("%s = %q, want a directory under %s", k, dir, base)
		} else if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			t.Errorf("%s: %s is not a directory: %v", k, dir, err)
		}
	}
	wantConfig := "experimental-features = nix-command flakes pipe-operators\n" +
		"flake-registry = " + filepath.Join(base, "registry.json") + "\n" +
		"store = " + filepath.Join(base, "store") + "\n" +
		"sandbox = false\nbuild-users-group =\nsubstituters =\nwarn-dirty = false"
	if got["NIX_CONFIG"] != wantConfig {
		t.Errorf("NIX_CONFIG =\n%s\nwant\n%s", got["NIX_CONFIG"], wantConfig)
	}
	reg, err := os.ReadFile(filepath.Join(base, "registry.json"))
	if err != nil || string(reg) != "{\"flakes\":[],\"version\":2}\n" {
		t.Errorf("registry.json = %q, %v", reg, err)
	}
	sys := Nix{Name: "system"}
	if got := sys.PathEnv(); got != "PATH="+os.Getenv("PATH") {
		t.Errorf("system PathEnv = %q", got)
	}
}

// TestNixes checks the installations found: the system's first, then the
// one FLAKEDUP_NIX_NEW names (when set and it runs), each of which runs;
// and that a directory without Nix is refused.
func TestNixes(t *testing.T) {
	nixes := Nixes(t)
	if nixes[0].Name != "system" || nixes[0].Bin != "" {
		t.Errorf("first Nix = %+v, want the system's", nixes[0])
	}
	want := 1
	if bin := os.Getenv(EnvNixNew); bin != "" {
		// Under EnvNix a broken one has failed the test already; without
		// it, it is left out.
		if _, err := probeNix("new", bin, filepath.Join(bin, "nix"), filepath.Join(bin, "nix-instantiate")); err == nil {
			want = 2
		}
	}
	if len(nixes) != want {
		t.Fatalf("Nixes = %v, want %d (%s=%q)", nixes, want, EnvNixNew, os.Getenv(EnvNixNew))
	}
	for _, n := range nixes {
		out, err := runVersion(n.Nix)
		if err != nil || !strings.HasSuffix(out, " "+n.Version) {
			t.Errorf("%s: %s --version = %q, %v", n, n.Nix, out, err)
		}
	}
	if want == 2 && (nixes[1].Name != "new" || nixes[1].Nix != filepath.Join(os.Getenv(EnvNixNew), "nix")) {
		t.Errorf("second Nix = %+v, want the one in %s", nixes[1], os.Getenv(EnvNixNew))
	}
	empty := t.TempDir()
	if n, err := probeNix("new", empty, filepath.Join(empty, "nix"), filepath.Join(empty, "nix-instantiate")); err == nil {
		t.Errorf("probeNix of an empty directory = %+v, want an error", n)
	}
}

// TestPipeOperators records what each Nix of Nixes does with the pipe
// operators: 2.24 and newer parse them with FeatureArgs and refuse them
// without; older ones refuse them either way.
func TestPipeOperators(t *testing.T) {
	file := filepath.Join(t.TempDir(), "flake.nix")
	src := "{ outputs = _: { x = [ 1 ] |> map toString; y = toString <| 2; }; }\n"
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, n := range Nixes(t) {
		parse := func(flags []string) error {
			args := append(append([]string{"--store", "dummy://"}, flags...), "--parse", file)
			return exec.Command(n.Instantiate, args...).Run()
		}
		if err := parse(n.FeatureArgs()); (err == nil) != n.AtLeast(2, 24) {
			t.Errorf("%s: parse with %q: %v; want accepted = %v", n, n.FeatureArgs(), err, n.AtLeast(2, 24))
		}
		if err := parse(nil); err == nil {
			t.Errorf("%s: parsed the pipe operators without the pipe-operators feature", n)
		}
	}
}

// TestParserDifferences records where the parsers of the Nixes differ on
// flake.nix text, found by running rewrite's differential inputs (written
// for Nix 2.8) through sid's 2.34.8 and trixie's 2.26.3: from 2.26 on (the
// oldest version checked) a string with a NUL byte is an error, and an
// attribute path may be extended after or before a nested attribute set
// of the same name, which 2.8 refuses as "already defined".
func TestParserDifferences(t *testing.T) {
	tests := []struct {
		name, src             string
		accepted, newAccepted bool   // by 2.8, and from 2.26 on
		nix28Says, newSays    string // part of the error of each
	}{
		{name: "NUL in a string", src: "\"a\x00b\"\n", accepted: true,
			newSays: "cannot be represented as Nix string because it contains null bytes"},
		{name: "follows before the inputs block", accepted: false, newAccepted: true,
			src:       "{ inputs.a.inputs.b.follows = \"c\"; inputs = { a.url = \"x\"; }; outputs = _: { }; }\n",
			nix28Says: "attribute 'a' already defined"},
		{name: "url and follows before the inputs block", accepted: false, newAccepted: true,
			src:       "{ inputs.a.url = \"x\"; inputs.a.inputs.b.follows = \"c\"; inputs = { a.flake = false; }; outputs = _: { }; }\n",
			nix28Says: "attribute 'a' already defined"},
		{name: "follows after the inputs block", accepted: true, newAccepted: true,
			src: "{ inputs = { a.url = \"x\"; }; inputs.a.inputs.b.follows = \"c\"; outputs = _: { }; }\n"},
	}
	nixes := Nixes(t)
	dir := t.TempDir()
	for i, tc := range tests {
		file := filepath.Join(dir, fmt.Sprintf("case%d.nix", i))
		if err := os.WriteFile(file, []byte(tc.src), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, n := range nixes {
			args := append(append([]string{"--store", "dummy://"}, n.FeatureArgs()...), "--parse", file)
			out, err := exec.Command(n.Instantiate, args...).CombinedOutput()
			wantOK, says := tc.accepted, tc.nix28Says
			if n.AtLeast(2, 26) {
				wantOK, says = tc.newAccepted, tc.newSays
			}
			if (err == nil) != wantOK || !wantOK && !strings.Contains(string(out), says) {
				t.Errorf("%s: %s: accepted %v (%s), want accepted %v, error with %q",
					n, tc.name, err == nil, strings.TrimSpace(string(out)), wantOK, says)
			}
		}
	}
}
