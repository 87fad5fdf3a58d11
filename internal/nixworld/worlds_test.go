package nixworld

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/testenv"
)

// forEachNix runs f as a subtest per Nix installation of testenv.Nixes,
// named after its version ("nix-2.8.0", "nix-2.34.8").
func forEachNix(t *testing.T, f func(t *testing.T, nix testenv.Nix)) {
	t.Helper()
	for _, nix := range testenv.Nixes(t) {
		t.Run("nix-"+nix.Version, func(t *testing.T) { f(t, nix) })
	}
}

// nixpkgsCopies returns the input paths of flat that are locked on their
// own to a git repository whose last path segment is nixpkgs, sorted.
func nixpkgsCopies(t *testing.T, flat map[string]Entry) []string {
	t.Helper()
	copies := []string{}
	for p, e := range flat {
		if e.IsFollows() {
			continue
		}
		var locked struct {
			URL string `json:"url"`
		}
		if err := json.Unmarshal(e.Locked, &locked); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		u, err := url.Parse(locked.URL)
		if err == nil && locked.URL != "" && path.Base(u.Path) == "nixpkgs" {
			copies = append(copies, p)
		}
	}
	sort.Strings(copies)
	return copies
}

// followsOf returns every follows of flat as input path → target path.
func followsOf(flat map[string]Entry) map[string]string {
	out := map[string]string{}
	for p, e := range flat {
		if e.IsFollows() {
			out[p] = strings.Join(e.Follows, "/")
		}
	}
	return out
}

// attr returns the string field key of the JSON object raw.
func attr(t *testing.T, raw json.RawMessage, key string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	s, _ := m[key].(string)
	return s
}

// worldCase is one world of TestWorlds and the lock Nix writes for it.
type worldCase struct {
	name    string
	build   func(*World) string
	wantErr string            // part of Nix's error when locking must fail
	fixedIn [2]int            // from this Nix on, locking wantErr's world succeeds
	copies  []string          // input paths of the nixpkgs copies
	follows map[string]string // follows input path -> target path
	check   func(t *testing.T, w *World, flat map[string]Entry)
}

// TestWorlds locks every world with each Nix of testenv.Nixes and checks
// the copies and follows of the lock; where Nix versions differ, the case
// says from which version on (fixedIn).
func TestWorlds(t *testing.T) {
	tests := []worldCase{
		{
			name: "flat follows", build: BuildFlat,
			copies: []string{"nixpkgs"}, follows: map[string]string{"A/nixpkgs": "nixpkgs"},
		},
		{
			name: "nested follows", build: BuildNested,
			copies: []string{"nixpkgs"}, follows: map[string]string{"A/nixpkgs": "nixpkgs"},
		},
		{
			name: "top-level dotted follows", build: BuildDotted,
			copies: []string{"nixpkgs"}, follows: map[string]string{"A/nixpkgs": "nixpkgs"},
		},
		{
			name: "copy three levels deep", build: BuildDepth3,
			copies: []string{"A/B/nixpkgs", "nixpkgs"}, follows: map[string]string{},
			check: func(t *testing.T, w *World, flat map[string]Entry) {
				np := unstable(w)
				// B's own lock pinned the first commit; the root gets the tip.
				wantRevs(t, flat, map[string]string{
					"A/B/nixpkgs": np.Rev("nixos-unstable", 0),
					"nixpkgs":     np.Rev("nixos-unstable", 1),
				})
			},
		},
		{
			// NixOS/nix#5790, fixed in 2.30.
			name: "depth-3 override refused before Nix 2.30", build: BuildDeepOverride,
			wantErr: "cannot find flake 'flake:B' in the flake registries", fixedIn: [2]int{2, 30},
			copies: []string{"nixpkgs"}, follows: map[string]string{"A/B/nixpkgs": "nixpkgs"},
		},
		{
			name: "release-branch copy", build: BuildRelease,
			copies: []string{"R/nixpkgs", "nixpkgs"}, follows: map[string]string{},
			check: func(t *testing.T, w *World, flat map[string]Entry) {
				if got := attr(t, flat["R/nixpkgs"].Original, "ref"); got != "nixos-24.05" {
					t.Errorf("R/nixpkgs original ref = %q, want nixos-24.05", got)
				}
				if got := attr(t, flat["nixpkgs"].Original, "ref"); got != "nixos-unstable" {
					t.Errorf("nixpkgs original ref = %q, want nixos-unstable", got)
				}
			},
		},
		{
			name: "fork", build: BuildFork,
			copies: []string{"F/nixpkgs", "nixpkgs"}, follows: map[string]string{},
			check: func(t *testing.T, w *World, flat map[string]Entry) {
				want := map[string]string{
					"F/nixpkgs": "file://" + w.Path("someone/nixpkgs"),
					"nixpkgs":   "file://" + w.Path("NixOS/nixpkgs"),
				}
				for p, u := range want {
					if got := attr(t, flat[p].Original, "url"); got != u {
						t.Errorf("%s original url = %q, want %q", p, got, u)
					}
				}
			},
		},
		{
			name: "non-flake and path: inputs", build: BuildNonFlake,
			copies: []string{"nixpkgs"}, follows: map[string]string{},
			check: func(t *testing.T, w *World, flat map[string]Entry) {
				if flat["src"].Flake || !flat["tool"].Flake || !flat["nixpkgs"].Flake {
					t.Errorf("flake flags: src %v, tool %v, nixpkgs %v; want false, true, true",
						flat["src"].Flake, flat["tool"].Flake, flat["nixpkgs"].Flake)
				}
				if got := attr(t, flat["tool"].Locked, "type"); got != "path" {
					t.Errorf("tool locked type = %q, want path", got)
				}
			},
		},
		{
			name: "follows chain through a dependency's own follows", build: BuildChain,
			copies:  []string{"D/E/nixpkgs", "nixpkgs"},
			follows: map[string]string{"D/nixpkgs": "D/E/nixpkgs", "X/nixpkgs": "D/nixpkgs"},
		},
		{
			name: "collapse the intermediate", build: BuildCollapse,
			copies:  []string{"nixpkgs"},
			follows: map[string]string{"A/B": "B", "B/nixpkgs": "nixpkgs"},
		},
		{
			// Fixed in 2.18 by commit 1ef8008ca7.
			name: "collapse refused before Nix 2.18", build: BuildCollapseRefused,
			wantErr: "input 'A/nixpkgs' follows a non-existent input 'A/B/nixpkgs'", fixedIn: [2]int{2, 18},
			copies:  []string{"B/nixpkgs", "nixpkgs"},
			follows: map[string]string{"A/B": "B", "A/nixpkgs": "A/B/nixpkgs"},
		},
		{
			name: "promoted intermediate", build: BuildPromoted,
			copies: []string{"B/nixpkgs", "nixpkgs"}, follows: map[string]string{"A/B": "B"},
			check: func(t *testing.T, w *World, flat map[string]Entry) {
				pin := w.lockedRev("promoted/A", "B")
				wantRevs(t, flat, map[string]string{"B": pin})
				if head := w.HeadRev("promoted/B"); head == pin {
					t.Errorf("B's head %s is A's pin: the world does not show a promotion", head)
				}
			},
		},
	}
	forEachNix(t, func(t *testing.T, nix testenv.Nix) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				checkWorld(t, nix, tc)
			})
		}
	})
}

// checkWorld builds the world of tc, locks it with nix and checks the lock.
func checkWorld(t *testing.T, nix testenv.Nix, tc worldCase) {
	t.Helper()
	if tc.fixedIn != [2]int{} && nix.AtLeast(tc.fixedIn[0], tc.fixedIn[1]) {
		tc.wantErr = ""
	}
	w := NewFor(t, nix)
	dir := tc.build(w)
	lock, err := w.Lock(dir)
	if tc.wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Fatalf("Lock error = %v, want one containing %q", err, tc.wantErr)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	flat, err := Flatten(lock)
	if err != nil {
		t.Fatal(err)
	}
	if got := nixpkgsCopies(t, flat); !reflect.DeepEqual(got, tc.copies) {
		t.Errorf("nixpkgs copies = %q, want %q", got, tc.copies)
	}
	if got := followsOf(flat); !reflect.DeepEqual(got, tc.follows) {
		t.Errorf("follows = %q, want %q", got, tc.follows)
	}
	if tc.check != nil {
		tc.check(t, w, flat)
	}
	// The lock on disk is what Nix derives from flake.nix.
	again, err := w.Lock(dir, "--no-update-lock-file")
	if err != nil {
		t.Fatalf("lock does not validate: %v", err)
	}
	if !bytes.Equal(again, lock) {
		t.Error("--no-update-lock-file changed the lock")
	}
}

// wantRevs checks the locked revision of each input path.
func wantRevs(t *testing.T, flat map[string]Entry, want map[string]string) {
	t.Helper()
	for p, rev := range want {
		if got := attr(t, flat[p].Locked, "rev"); got != rev || rev == "" {
			t.Errorf("%s locked rev = %q, want %q", p, got, rev)
		}
	}
}

// TestSpellingsAgree checks that the flat, nested and top-level dotted
// spellings of one follows give the same inputs and byte-identical locks,
// on each Nix.
func TestSpellingsAgree(t *testing.T) {
	forEachNix(t, func(t *testing.T, nix testenv.Nix) {
		w := NewFor(t, nix)
		var locks, inputs [][]byte
		for _, build := range []func(*World) string{BuildFlat, BuildNested, BuildDotted} {
			dir := build(w)
			if _, err := w.Parse(dir + "/flake.nix"); err != nil {
				t.Fatal(err)
			}
			in, err := w.EvalInputs(dir)
			if err != nil {
				t.Fatal(err)
			}
			lock, err := w.Lock(dir)
			if err != nil {
				t.Fatal(err)
			}
			inputs, locks = append(inputs, in), append(locks, lock)
		}
		for i := 1; i < len(locks); i++ {
			if !bytes.Equal(inputs[i], inputs[0]) {
				t.Errorf("spelling %d evaluates to inputs %s, spelling 0 to %s", i, inputs[i], inputs[0])
			}
			if !bytes.Equal(locks[i], locks[0]) {
				t.Errorf("spelling %d locks differently from spelling 0", i)
			}
		}
		// The metadata oracle predicts the lock without writing it.
		meta, err := w.Metadata(BuildFlat(w), "--no-write-lock-file")
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			Locks json.RawMessage `json:"locks"`
		}
		if err := json.Unmarshal(meta, &m); err != nil {
			t.Fatal(err)
		}
		if same, diff := SameLock(m.Locks, locks[0]); !same {
			t.Errorf("metadata .locks differs from the lock:\n%s", diff)
		}
		var parsed map[string]struct {
			Inputs map[string]struct {
				Follows string `json:"follows"`
			} `json:"inputs"`
		}
		if err := json.Unmarshal(inputs[0], &parsed); err != nil {
			t.Fatal(err)
		}
		if got := parsed["A"].Inputs["nixpkgs"].Follows; got != "nixpkgs" {
			t.Errorf("A.inputs.nixpkgs.follows evaluates to %q, want nixpkgs", got)
		}
	})
}

// TestNixErrorsCarryStderr checks that a failing Nix command reports what
// Nix printed, on each Nix.
func TestNixErrorsCarryStderr(t *testing.T) {
	forEachNix(t, func(t *testing.T, nix testenv.Nix) {
		w := NewFor(t, nix)
		dir := w.Root("broken", "{ inputs = { B.url = \"x\" }; }\n")
		_, err := w.Parse(dir + "/flake.nix")
		if err == nil || !strings.Contains(err.Error(), "syntax error") {
			t.Errorf("Parse error = %v, want Nix's syntax error", err)
		}
		_, err = w.Lock(dir)
		if err == nil || !strings.Contains(err.Error(), "syntax error") {
			t.Errorf("Lock error = %v, want Nix's syntax error", err)
		}
	})
}

// TestURLAndFollows records a difference between the Nixes: an input with
// both a url and a follows is locked by 2.8 (the follows wins) and refused
// from 2.30 on (NIX-NOTES.md), so flakedup never writes one.
func TestURLAndFollows(t *testing.T) {
	forEachNix(t, func(t *testing.T, nix testenv.Nix) {
		w := NewFor(t, nix)
		np, a := libA(w)
		dir := w.Root("url-and-follows", fmt.Sprintf(`{
  inputs.nixpkgs.url = %q;
  inputs.A.url = %q;
  inputs.A.inputs.nixpkgs = {
    url = %q;
    follows = "nixpkgs";
  };
  %s
}
`, np.URL("nixos-unstable"), a, np.URL("nixos-unstable"), Outputs("nixpkgs", "A")))
		lock, err := w.Lock(dir)
		if nix.AtLeast(2, 30) {
			const nixSays = "flake input has both a flake reference and a follows attribute"
			if err == nil || !strings.Contains(err.Error(), nixSays) {
				t.Fatalf("Lock error = %v, want one containing %q", err, nixSays)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		flat, err := Flatten(lock)
		if err != nil {
			t.Fatal(err)
		}
		if got := followsOf(flat); !reflect.DeepEqual(got, map[string]string{"A/nixpkgs": "nixpkgs"}) {
			t.Errorf("follows = %q, want A/nixpkgs -> nixpkgs", got)
		}
	})
}
