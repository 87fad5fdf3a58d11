package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/nixworld"
)

// verifyWorld is the demo world of internal/nixworld with the process
// environment pointed at it (run passes its environment to nix), and a
// fresh copy of its main root per call of root.
type verifyWorld struct {
	d *nixworld.Demo
	n int
}

func newVerifyWorld(t *testing.T) *verifyWorld {
	d := nixworld.BuildDemo(t)
	for _, kv := range d.W.BuildEnv() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	return &verifyWorld{d: d}
}

// root copies the root flake in from (flake.nix and flake.lock) into a
// new directory of the world and returns it with the files' contents.
func (vw *verifyWorld) root(t *testing.T, from string) (dir string, src, lock []byte) {
	t.Helper()
	var err error
	if src, err = os.ReadFile(filepath.Join(from, "flake.nix")); err != nil {
		t.Fatal(err)
	}
	if lock, err = os.ReadFile(filepath.Join(from, "flake.lock")); err != nil {
		t.Fatal(err)
	}
	vw.n++
	dir = vw.d.W.Root(fmt.Sprintf("case%d", vw.n), string(src))
	if err := os.WriteFile(filepath.Join(dir, "flake.lock"), lock, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, src, lock
}

// normalize replaces the world's paths and revisions with $DIR (the
// root), $W, $R1..$R3 (full) and $r1..$r3 (short).
func (vw *verifyWorld) normalize(s, dir string) string {
	s = strings.ReplaceAll(s, dir, "$DIR")
	s = strings.ReplaceAll(s, vw.d.W.Dir, "$W")
	for i, rev := range []string{vw.d.Rev1, vw.d.Rev2, vw.d.Rev3} {
		n := string(rune('1' + i))
		s = strings.ReplaceAll(s, rev, "$R"+n)
		s = strings.ReplaceAll(s, rev[:7], "$r"+n)
	}
	return s
}

// TestVerifyCommands runs fix and check with --verify through run() on
// the demo world (real Nix) and compares stdout with
// fixtures/verify/demo/NAME.txt (world paths and revisions normalized),
// the flake.nix written with NAME.nix: what is kept and held back, the
// evaluation counts, the common revision, --align's url, the JSON
// document.
func TestVerifyCommands(t *testing.T) {
	vw := newVerifyWorld(t)
	tests := []struct {
		name   string
		args   []string
		from   string // "broken": the root whose baseline fails; "retarget": the one with nixpkgs-unstable; "": main
		code   int
		write  bool // fix writes flake.nix (golden NAME.nix)
		relock bool // and flake.lock, which Nix must keep as it is
	}{
		{name: "fix-eval", args: []string{"fix", "--verify"}, write: true},
		{name: "fix-build", args: []string{"fix", "--verify=build", "--dry-run"}},
		{name: "fix-align", args: []string{"fix", "--verify", "--align", "--lock"}, write: true, relock: true},
		{name: "fix-drop-unused", args: []string{"fix", "--verify", "--drop-unused", "--dry-run", "--jobs", "1"}},
		{name: "fix-json", args: []string{"fix", "--verify", "--dry-run", "--format", "json"}},
		// The common revision is the primary's own: nixpkgs keeps tracking its branch.
		{name: "fix-align-own-revision", args: []string{"fix", "--verify", "--align", "--verify-attr", "packages.x86_64-linux.waybar"}, write: true},
		{name: "fix-align-json", args: []string{"fix", "--verify", "--align", "--dry-run", "--format", "json"}},
		{name: "check", args: []string{"check", "--verify"}, code: exitFailed},
		{name: "check-attr", args: []string{"check", "--verify", "--verify-attr", "packages.x86_64-linux.waybar"}, code: exitFailed},
		{name: "check-markdown", args: []string{"check", "--verify", "--format", "markdown"}, code: exitFailed},
		{name: "check-json", args: []string{"check", "--verify", "--format", "json"}, code: exitFailed},
		{name: "check-github", args: []string{"check", "--verify", "--format", "github"}, code: exitFailed},
		{name: "fix-baseline-fails", args: []string{"fix", "--verify", "--lock"}, from: "broken", code: exitFailed},
		{name: "check-baseline-fails", args: []string{"check", "--verify"}, from: "broken", code: exitFailed},
		{name: "fix-retarget", args: []string{"fix", "--verify", "--lock"}, from: "retarget", write: true, relock: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from := map[string]string{"": vw.d.Main, "broken": vw.d.Broken, "retarget": vw.d.Retarget}[tt.from]
			dir, src, lock := vw.root(t, from)
			code, stdout, stderr := runFlakedup(t, nil, append(tt.args, dir)...)
			if code != tt.code || stderr != "" {
				t.Fatalf("exit %d, want %d; stderr %q", code, tt.code, stderr)
			}
			golden := filepath.Join("../../fixtures/verify/demo", tt.name)
			checkGolden(t, golden+".txt", vw.normalize(stdout, dir))
			gotNix, _ := os.ReadFile(filepath.Join(dir, "flake.nix"))
			if tt.write {
				checkGolden(t, golden+".nix", vw.normalize(string(gotNix), dir))
			} else if string(gotNix) != string(src) {
				t.Errorf("flake.nix changed")
			}
			gotLock, _ := os.ReadFile(filepath.Join(dir, "flake.lock"))
			if !tt.relock && string(gotLock) != string(lock) {
				t.Errorf("flake.lock changed")
			}
			if tt.relock {
				if string(gotLock) == string(lock) {
					t.Errorf("flake.lock not written")
				}
				if _, err := vw.d.W.Lock(dir, "--no-update-lock-file"); err != nil {
					t.Errorf("nix does not keep the written lock: %v", err)
				}
			}
		})
	}
}

// TestVerifyNeedsNix: --verify without a usable nix is exit 2 naming
// what is needed, and nothing is written; the other flags of --verify
// need it.
func TestVerifyNeedsNix(t *testing.T) {
	const fixture = "../../fixtures/fix/flat-inputs-block"
	oldNix := filepath.Join(t.TempDir(), "old")
	if err := os.MkdirAll(oldNix, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(oldNix, "nix"), []byte("#!/bin/sh\necho 'nix (Nix) 2.3.16'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string // PATH: "" leaves it alone
		args       []string
		stderr     string
	}{
		{"missing", t.TempDir(), []string{"fix", "--verify"},
			"flakedup: --verify needs Nix ≥ 2.8 (the nix command, with flakes): nix is not on PATH\n"},
		{"too-old", oldNix, []string{"check", "--verify=build"},
			"flakedup: --verify needs Nix ≥ 2.8 (the nix command, with flakes): " + filepath.Join(oldNix, "nix") + " is Nix 2.3\n"},
		{"bad-mode", "", []string{"fix", "--verify=deep"}, "flakedup: --verify=deep: want eval or build\n"},
		{"align-alone", "", []string{"fix", "--align"}, "flakedup: --align needs --verify\n"},
		{"drop-unused-alone", "", []string{"fix", "--drop-unused=devenv"}, "flakedup: --drop-unused needs --verify\n"},
		{"jobs", "", []string{"fix", "--verify", "--jobs", "0"}, "flakedup: --jobs 0: want 1 or more\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.path != "" {
				t.Setenv("PATH", tt.path)
			}
			dir := copyFlake(t, fixture)
			before, _ := os.ReadFile(filepath.Join(dir, "flake.nix"))
			code, stdout, stderr := runFlakedup(t, nil, append(tt.args, dir)...)
			if code != exitBadUsed || stdout != "" || stderr != tt.stderr {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and %q", code, stdout, stderr, tt.stderr)
			}
			if after, _ := os.ReadFile(filepath.Join(dir, "flake.nix")); string(after) != string(before) {
				t.Errorf("flake.nix was written")
			}
		})
	}
}

func TestOptionalValue(t *testing.T) {
	tests := []struct {
		sets    []string
		set     bool
		value   string
		display string
	}{
		{nil, false, "", ""},
		{[]string{"true"}, true, "eval", "eval"},
		{[]string{"build"}, true, "build", "build"},
		{[]string{"build", "false"}, false, "", ""},
	}
	for _, tt := range tests {
		v := &optionalValue{bare: "eval"}
		for _, s := range tt.sets {
			if err := v.Set(s); err != nil {
				t.Fatal(err)
			}
		}
		if v.set != tt.set || v.value != tt.value || v.String() != tt.display || !v.IsBoolFlag() {
			t.Errorf("after %q: set %v value %q; want %v %q", tt.sets, v.set, v.value, tt.set, tt.value)
		}
	}
	// flagsFirst does not take the argument after a bare --verify as its
	// value.
	app := newApp(&env{})
	got := flagsFirst(app, []string{"flakedup", "fix", "dir", "--verify", "--format", "json"})
	if want := "flakedup fix --verify --format json dir"; strings.Join(got, " ") != want {
		t.Errorf("flagsFirst = %q, want %q", strings.Join(got, " "), want)
	}
	if f, err := os.CreateTemp(t.TempDir(), "out"); err != nil {
		t.Fatal(err)
	} else if isTerminal(f) {
		t.Errorf("a regular file is a terminal")
	}
}

// BenchmarkFixVerify times `flakedup fix --verify --dry-run` through run()
// on the demo world's main root (a culprit, then the common-revision
// search) per mode and --jobs, and with every follows accepted; it
// reports the evaluations each run made.
func BenchmarkFixVerify(b *testing.B) {
	d := nixworld.BuildDemo(b)
	for _, kv := range d.W.BuildEnv() {
		k, v, _ := strings.Cut(kv, "=")
		b.Setenv(k, v)
	}
	cases := []struct{ name, args string }{
		{"eval/jobs=1", "--verify --jobs 1"},
		{"eval/jobs=2", "--verify --jobs 2"},
		{"build/jobs=1", "--verify=build --jobs 1"},
		{"build/jobs=2", "--verify=build --jobs 2"},
		// every follows accepted: exactly two evaluations
		{"eval-attr/jobs=2", "--verify --jobs 2 --verify-attr packages.x86_64-linux.waybar"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			args := append(append([]string{"flakedup", "fix"}, strings.Fields(c.args)...), "--dry-run", "--format", "json", d.Main)
			for i := 0; i < b.N; i++ {
				var stdout, stderr bytes.Buffer
				code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr, os.Getenv, noNix)
				if code != exitOK {
					b.Fatalf("exit %d: %s", code, stderr.String())
				}
				var doc struct {
					Verify struct {
						Evaluations int `json:"evaluations"`
					} `json:"verify"`
				}
				if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(doc.Verify.Evaluations), "evaluations")
			}
		})
	}
}
