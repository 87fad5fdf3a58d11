package nixworld

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// v7Lock has a root key other than "root", a follows, a follows of the
// root itself ([]) and a non-flake input.
const v7Lock = `{"nodes": {
  "r": {"inputs": {"A": "A", "nixpkgs": "nixpkgs_2", "me": []}},
  "A": {"inputs": {"nixpkgs": ["nixpkgs"], "src": "src"},
        "locked": {"type": "github", "rev": "a1", "owner": "o", "repo": "A"},
        "original": {"type": "github", "owner": "o", "repo": "A"}},
  "src": {"flake": false, "locked": {"type": "path", "path": "/s"}, "original": {"type": "path", "path": "/s"}},
  "nixpkgs_2": {"locked": {"type": "github", "rev": "n1", "owner": "NixOS", "repo": "nixpkgs"},
                "original": {"type": "github", "owner": "NixOS", "repo": "nixpkgs"}}
}, "root": "r", "version": 7}`

// v5Lock stores a follows as a second edge to node "n": the breadth-first
// owner is z (depth 1), not a/n (depth 2, though "a" sorts first); "info"
// belongs to "locked".
const v5Lock = `{"nodes": {
  "root": {"inputs": {"a": "A", "z": "n"}},
  "A": {"inputs": {"n": "n"}, "locked": {"type": "path", "path": "/a"}, "original": {"type": "path", "path": "/a"}},
  "n": {"info": {"narHash": "h", "lastModified": 7}, "locked": {"type": "git", "rev": "r"}, "original": {"type": "git"}}
}, "root": "root", "version": 5}`

func TestFlatten(t *testing.T) {
	tests := []struct {
		name string
		lock string
		want map[string]Entry
	}{
		{
			name: "v7 follows, root follows, non-flake",
			lock: v7Lock,
			want: map[string]Entry{
				"A": {Flake: true,
					Locked:   json.RawMessage(`{"owner":"o","repo":"A","rev":"a1","type":"github"}`),
					Original: json.RawMessage(`{"owner":"o","repo":"A","type":"github"}`)},
				"A/nixpkgs": {Follows: []string{"nixpkgs"}},
				"A/src": {Flake: false,
					Locked:   json.RawMessage(`{"path":"/s","type":"path"}`),
					Original: json.RawMessage(`{"path":"/s","type":"path"}`)},
				"me": {Follows: []string{}},
				"nixpkgs": {Flake: true,
					Locked:   json.RawMessage(`{"owner":"NixOS","repo":"nixpkgs","rev":"n1","type":"github"}`),
					Original: json.RawMessage(`{"owner":"NixOS","repo":"nixpkgs","type":"github"}`)},
			},
		},
		{
			name: "v5 shared node, breadth first",
			lock: v5Lock,
			want: map[string]Entry{
				"a": {Flake: true,
					Locked:   json.RawMessage(`{"path":"/a","type":"path"}`),
					Original: json.RawMessage(`{"path":"/a","type":"path"}`)},
				"a/n": {Follows: []string{"z"}},
				"z": {Flake: true,
					Locked:   json.RawMessage(`{"lastModified":7,"narHash":"h","rev":"r","type":"git"}`),
					Original: json.RawMessage(`{"type":"git"}`)},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Flatten([]byte(tc.lock))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Flatten =\n%v\nwant\n%v", got, tc.want)
			}
		})
	}
}

func TestFlattenErrors(t *testing.T) {
	tests := []struct {
		name, lock, wantErr string
	}{
		{"not JSON", `{`, "nixworld: flatten: unexpected end of JSON input"},
		{"no root node", `{"nodes": {}, "root": "root", "version": 7}`,
			`nixworld: flatten: root node "root" is missing`},
		{"dangling edge", `{"nodes": {"root": {"inputs": {"a": "gone"}}}, "root": "root", "version": 7}`,
			`nixworld: flatten: node "root" input "a": no node "gone"`},
		{"bad input", `{"nodes": {"root": {"inputs": {"a": 3}}}, "root": "root", "version": 7}`,
			`nixworld: flatten: node "root" input "a": neither a node key nor a follows path: 3`},
		{"cycle of direct edges", `{"nodes": {"root": {"inputs": {"a": "x"}}, "x": {"inputs": {"b": "x"}}}, "root": "root", "version": 7}`,
			"nixworld: flatten: input path a/" + strings.Repeat("b/", 63) + "b is too deep: a cycle of direct edges?"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Flatten([]byte(tc.lock))
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("error = %v, want %s", err, tc.wantErr)
			}
		})
	}
}

func TestSameLockAndShape(t *testing.T) {
	renamed := strings.NewReplacer(`"nixpkgs_2"`, `"zzz"`).Replace(v7Lock)
	newRev := strings.Replace(v7Lock, `"rev": "n1"`, `"rev": "n2"`, 1)
	noFollows := strings.Replace(v7Lock, `"nixpkgs": ["nixpkgs"]`, `"nixpkgs": "nixpkgs_2"`, 1)
	nonFlake := strings.Replace(v7Lock, `"flake": false, `, ``, 1)
	tests := []struct {
		name          string
		a, b          string
		lock, shape   bool
		lockDiff      string
		shapeDiffSame bool // the shape difference equals lockDiff
	}{
		{name: "renamed node key", a: v7Lock, b: renamed, lock: true, shape: true},
		{name: "other revision", a: v7Lock, b: newRev, lock: false, shape: true,
			lockDiff: `nixpkgs: a locked {"owner":"NixOS","repo":"nixpkgs","rev":"n1","type":"github"} ` +
				`from {"owner":"NixOS","repo":"nixpkgs","type":"github"}, ` +
				`b locked {"owner":"NixOS","repo":"nixpkgs","rev":"n2","type":"github"} ` +
				`from {"owner":"NixOS","repo":"nixpkgs","type":"github"}`},
		{name: "follows dropped", a: v7Lock, b: noFollows,
			lockDiff: `A/nixpkgs: a follows "nixpkgs", b locked {"owner":"NixOS","repo":"nixpkgs","rev":"n1","type":"github"} ` +
				`from {"owner":"NixOS","repo":"nixpkgs","type":"github"}`},
		{name: "flake flag", a: v7Lock, b: nonFlake,
			lockDiff: `A/src: a locked, flake = false {"path":"/s","type":"path"} from {"path":"/s","type":"path"}, ` +
				`b locked {"path":"/s","type":"path"} from {"path":"/s","type":"path"}`},
		{name: "missing path", a: v7Lock, b: v5Lock,
			lockDiff: "A: only in a (locked {\"owner\":\"o\",\"repo\":\"A\",\"rev\":\"a1\",\"type\":\"github\"} from {\"owner\":\"o\",\"repo\":\"A\",\"type\":\"github\"})\n" +
				"A/nixpkgs: only in a (follows \"nixpkgs\")\n" +
				"A/src: only in a (locked, flake = false {\"path\":\"/s\",\"type\":\"path\"} from {\"path\":\"/s\",\"type\":\"path\"})\n" +
				"a: only in b (locked {\"path\":\"/a\",\"type\":\"path\"} from {\"path\":\"/a\",\"type\":\"path\"})\n" +
				"a/n: only in b (follows \"z\")\n" +
				"me: only in a (follows \"\")\n" +
				"nixpkgs: only in a (locked {\"owner\":\"NixOS\",\"repo\":\"nixpkgs\",\"rev\":\"n1\",\"type\":\"github\"} from {\"owner\":\"NixOS\",\"repo\":\"nixpkgs\",\"type\":\"github\"})\n" +
				"z: only in b (locked {\"lastModified\":7,\"narHash\":\"h\",\"rev\":\"r\",\"type\":\"git\"} from {\"type\":\"git\"})"},
		{name: "unparsable", a: v7Lock, b: `[]`,
			lockDiff: "b: nixworld: flatten: json: cannot unmarshal array into Go value of type nixworld.lockFile"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			same, diff := SameLock([]byte(tc.a), []byte(tc.b))
			if same != tc.lock || diff != tc.lockDiff {
				t.Errorf("SameLock = %v,\n%s\nwant %v,\n%s", same, diff, tc.lock, tc.lockDiff)
			}
			same, _ = SameShape([]byte(tc.a), []byte(tc.b))
			if same != tc.shape {
				t.Errorf("SameShape = %v, want %v", same, tc.shape)
			}
		})
	}
	// The shape difference leaves the references out.
	if _, diff := SameShape([]byte(v7Lock), []byte(noFollows)); diff != `A/nixpkgs: a follows "nixpkgs", b locked` {
		t.Errorf("SameShape difference = %q", diff)
	}
}

func TestLockedRev(t *testing.T) {
	tests := []struct {
		path, want, wantErr string
	}{
		{path: "A", want: "a1"},
		{path: "A/nixpkgs", wantErr: `nixworld: input "A/nixpkgs" is a follows of "nixpkgs"`},
		{path: "A/src", wantErr: `nixworld: input "A/src" has no locked rev`},
		{path: "B", wantErr: `nixworld: no input "B" in the lock`},
	}
	for _, tc := range tests {
		got, err := LockedRev([]byte(v7Lock), tc.path)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if got != tc.want || gotErr != tc.wantErr {
			t.Errorf("LockedRev(%s) = %q, %q; want %q, %q", tc.path, got, gotErr, tc.want, tc.wantErr)
		}
	}
}

func TestNixpkgsSource(t *testing.T) {
	const rev = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name     string
		original string
		want     source
		ok       bool
	}{
		{"github branch", `{"type":"github","owner":"NixOS","repo":"nixpkgs","ref":"nixos-unstable"}`,
			source{"NixOS", "nixos-unstable", "r"}, true},
		{"lower-case owner, no ref", `{"type":"github","owner":"nixos","repo":"nixpkgs"}`,
			source{"NixOS", "master", "r"}, true},
		{"fork", `{"type":"github","owner":"ryan4yin","repo":"nixpkgs","ref":"nixos-unstable-patched"}`,
			source{"ryan4yin", "nixos-unstable-patched", "r"}, true},
		{"pinned rev", `{"type":"github","owner":"NixOS","repo":"nixpkgs","rev":"` + rev + `"}`,
			source{"NixOS", "", "r"}, true},
		{"lib mirror", `{"type":"github","owner":"nix-community","repo":"nixpkgs.lib"}`, source{}, false},
		{"git with ref", `{"type":"git","url":"https://github.com/NixOS/nixpkgs","ref":"nixos-24.05","shallow":true}`,
			source{"NixOS", "nixos-24.05", "r"}, true},
		{"git ref in query", `{"type":"git","url":"https://github.com/NixOS/nixpkgs.git?ref=release-23.11"}`,
			source{"NixOS", "release-23.11", "r"}, true},
		{"channel", `{"type":"tarball","url":"https://channels.nixos.org/nixos-24.05/nixexprs.tar.xz"}`,
			source{"NixOS", "nixos-24.05", "r"}, true},
		{"flakehub release", `{"type":"tarball","url":"https://flakehub.com/f/NixOS/nixpkgs/0.2405.%2A.tar.gz"}`,
			source{"NixOS", "nixos-24.05", "r"}, true},
		{"flakehub unstable", `{"type":"tarball","url":"https://flakehub.com/f/NixOS/nixpkgs/0.1"}`,
			source{"NixOS", "nixos-unstable", "r"}, true},
		{"flakehub other repo", `{"type":"tarball","url":"https://flakehub.com/f/DeterminateSystems/nixpkgs-weekly/0.1"}`,
			source{}, false},
		{"github archive", `{"type":"tarball","url":"https://github.com/NixOS/nixpkgs/archive/` + rev + `.tar.gz"}`,
			source{"NixOS", "", "r"}, true},
		{"indirect", `{"type":"indirect","id":"nixpkgs"}`, source{"NixOS", "master", "r"}, true},
		{"indirect other", `{"type":"indirect","id":"home-manager"}`, source{}, false},
		{"path", `{"type":"path","path":"/nixpkgs"}`, source{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := Entry{Original: json.RawMessage(tc.original), Locked: json.RawMessage(`{"rev":"r"}`), Flake: true}
			got, ok := nixpkgsSource(e)
			if ok != tc.ok || got != tc.want {
				t.Errorf("nixpkgsSource = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
	// Without a locked rev, the narHash tells revisions apart.
	e := Entry{Original: json.RawMessage(`{"type":"tarball","url":"https://channels.nixos.org/nixos-unstable/nixexprs.tar.xz"}`),
		Locked: json.RawMessage(`{"narHash":"sha256-x"}`)}
	if got, _ := nixpkgsSource(e); got.rev != "sha256-x" {
		t.Errorf("tarball revision = %q, want its narHash", got.rev)
	}
}

func TestRelativeAndQuoting(t *testing.T) {
	rel := []struct {
		target []string
		owner  string
		want   string
		ok     bool
	}{
		{[]string{"nixpkgs"}, "", "nixpkgs", true},
		{[]string{}, "", "", true},
		{[]string{"A", "B", "x"}, "A", "B/x", true},
		{[]string{"A"}, "A", "", true},
		{[]string{"AB", "x"}, "A", "", false},
		{[]string{"nixpkgs"}, "A", "", false},
	}
	for _, tc := range rel {
		if got, ok := relative(tc.target, tc.owner); got != tc.want || ok != tc.ok {
			t.Errorf("relative(%q, %q) = %q, %v; want %q, %v", tc.target, tc.owner, got, ok, tc.want, tc.ok)
		}
	}
	quote := map[string]string{
		"nixpkgs-24.05": `"nixpkgs-24.05"`,
		`a"b\c`:         `"a\"b\\c"`,
		"${x}":          `"\${x}"`,
	}
	for in, want := range quote {
		if got := nixString(in); got != want {
			t.Errorf("nixString(%q) = %s, want %s", in, got, want)
		}
	}
}

// FuzzFlatten checks that Flatten never panics and that every lock it
// reads is the same lock and shape as itself.
func FuzzFlatten(f *testing.F) {
	f.Add([]byte(v7Lock))
	f.Add([]byte(v5Lock))
	f.Add([]byte(`{"nodes":{"root":{"inputs":{"a":["a"]}}},"root":"root","version":7}`))
	f.Fuzz(func(t *testing.T, lock []byte) {
		if _, err := Flatten(lock); err != nil {
			return
		}
		if same, diff := SameLock(lock, lock); !same {
			t.Errorf("SameLock(lock, lock) = false: %s", diff)
		}
		if same, diff := SameShape(lock, lock); !same {
			t.Errorf("SameShape(lock, lock) = false: %s", diff)
		}
	})
}
