package verify

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/flakedup/flakedup/lockgraph"
)

// fakeLock is a lock whose root input nixpkgs is a path: input, so that the
// fake tests have no common revision to search.
const fakeLock = `{"nodes":{"nixpkgs":{"locked":{"path":"/np","type":"path","narHash":"sha256-x"},` +
	`"original":{"path":"/np","type":"path"}},"root":{"inputs":{"nixpkgs":"nixpkgs"}}},"root":"root","version":7}`

// fakeRunner evaluates a candidate whose flake.nix lists its follows one
// per line: it fails when one of them is in breaks (the value is the
// error), or when all the follows of a pair in together are present.
type fakeRunner struct {
	breaks   map[string]string
	together [][2]string
	mu       sync.Mutex
	runs     []string
}

func (r *fakeRunner) run(_ context.Context, _ int, flakeNix, _ []byte) (Outcome, error) {
	r.mu.Lock()
	r.runs = append(r.runs, string(flakeNix))
	r.mu.Unlock()
	lines := strings.Split(strings.TrimSuffix(string(flakeNix), "\n"), "\n")
	has := map[string]bool{}
	for _, l := range lines {
		has[l] = true
	}
	for _, l := range lines {
		if msg, ok := r.breaks[l]; ok {
			return Outcome{Attr: "packages.x86_64-linux.default", Error: msg}, nil
		}
	}
	for _, p := range r.together {
		if has[p[0]] && has[p[1]] {
			return Outcome{Attr: "checks.x86_64-linux.t", Error: "error: together"}, nil
		}
	}
	return Outcome{OK: true}, nil
}

func fakeCandidate(_ context.Context, follows []lockgraph.Follows) ([]byte, []byte, error) {
	var b strings.Builder
	for _, f := range follows {
		b.WriteString(f.String() + "\n")
	}
	return []byte(b.String()), []byte(fakeLock), nil
}

func fl(input, target string) lockgraph.Follows {
	t := []string{}
	if target != "" {
		t = strings.Split(target, "/")
	}
	return lockgraph.Follows{Input: strings.Split(input, "/"), Target: t}
}

func plan(fs ...string) []Planned {
	var out []Planned
	for _, f := range fs {
		in, target, _ := strings.Cut(f, " -> ")
		out = append(out, Planned{Follows: fl(in, target)})
	}
	return out
}

func strs(fs []lockgraph.Follows) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.String())
	}
	return out
}

func TestSearchCounts(t *testing.T) {
	eight := plan("a/nixpkgs -> nixpkgs", "b/nixpkgs -> nixpkgs", "c/nixpkgs -> nixpkgs", "d/nixpkgs -> nixpkgs",
		"e/nixpkgs -> nixpkgs", "f/nixpkgs -> nixpkgs", "g/nixpkgs -> nixpkgs", "h/nixpkgs -> nixpkgs")
	tests := []struct {
		name        string
		plan        []Planned
		breaks      map[string]string
		together    [][2]string
		jobs        int
		evaluations int
		accepted    []string
		culprits    []string
		tried       [][]string
	}{{
		name:        "all accepted costs two",
		plan:        eight,
		jobs:        2,
		evaluations: 2,
		accepted:    strs(followsOf(eight)),
		culprits:    []string{},
	}, {
		// baseline, whole, halves abcd efgh, ef gh, g h; {g} and {abcd, ef, h} ok:
		// abcd+ef+h is evaluated together once more.
		name:        "one culprit in eight",
		plan:        eight,
		breaks:      map[string]string{"g/nixpkgs -> nixpkgs": "error: attribute 'x' missing"},
		jobs:        2,
		evaluations: 9,
		accepted: []string{"a/nixpkgs -> nixpkgs", "b/nixpkgs -> nixpkgs", "c/nixpkgs -> nixpkgs",
			"d/nixpkgs -> nixpkgs", "e/nixpkgs -> nixpkgs", "f/nixpkgs -> nixpkgs", "h/nixpkgs -> nixpkgs"},
		culprits: []string{"g/nixpkgs breaks packages.x86_64-linux.default: error: attribute 'x' missing"},
	}, {
		// The count does not depend on jobs.
		name:        "one culprit in eight, one job",
		plan:        eight,
		breaks:      map[string]string{"g/nixpkgs -> nixpkgs": "error: attribute 'x' missing"},
		jobs:        1,
		evaluations: 9,
		accepted: []string{"a/nixpkgs -> nixpkgs", "b/nixpkgs -> nixpkgs", "c/nixpkgs -> nixpkgs",
			"d/nixpkgs -> nixpkgs", "e/nixpkgs -> nixpkgs", "f/nixpkgs -> nixpkgs", "h/nixpkgs -> nixpkgs"},
		culprits: []string{"g/nixpkgs breaks packages.x86_64-linux.default: error: attribute 'x' missing"},
	}, {
		// baseline, whole, {a}, {b}: the passing half is the accepted set (cached).
		name:        "two groups, one culprit",
		plan:        plan("a/nixpkgs -> nixpkgs", "b/nixpkgs -> nixpkgs"),
		breaks:      map[string]string{"a/nixpkgs -> nixpkgs": "error: e"},
		jobs:        2,
		evaluations: 4,
		accepted:    []string{"b/nixpkgs -> nixpkgs"},
		culprits:    []string{"a/nixpkgs breaks packages.x86_64-linux.default: error: e"},
	}, {
		// One group of three: split by follows, [x y] [z], then [x] [y].
		name:        "within one group",
		plan:        plan("s/x -> x", "s/y -> y", "s/z -> z"),
		breaks:      map[string]string{"s/y -> y": "error: y"},
		jobs:        2,
		evaluations: 7,
		accepted:    []string{"s/x -> x", "s/z -> z"},
		culprits:    []string{"s/y breaks packages.x86_64-linux.default: error: y"},
	}, {
		// Groups, not follows, are split first: [a/x a/y] vs [b/x].
		name:        "groups split first",
		plan:        plan("a/x -> x", "b/x -> x", "a/y -> y"),
		breaks:      map[string]string{"b/x -> x": "error: b"},
		jobs:        2,
		evaluations: 4,
		accepted:    []string{"a/x -> x", "a/y -> y"},
		culprits:    []string{"b/x breaks packages.x86_64-linux.default: error: b"},
	}, {
		// The culprit is retried onto its next target on top of b: one more.
		name: "retried onto the next target",
		plan: []Planned{
			{Follows: fl("a/nixpkgs", "nixpkgs"), Next: [][]string{{"nixpkgs-unstable"}}},
			{Follows: fl("b/nixpkgs", "nixpkgs")},
		},
		breaks:      map[string]string{"a/nixpkgs -> nixpkgs": "error: e"},
		jobs:        2,
		evaluations: 5,
		accepted:    []string{"a/nixpkgs -> nixpkgs-unstable", "b/nixpkgs -> nixpkgs"},
		culprits:    []string{},
	}, {
		name: "every target breaks",
		plan: []Planned{
			{Follows: fl("a/nixpkgs", "nixpkgs"), Next: [][]string{{"nixpkgs-unstable"}, {"nixpkgs-a"}}},
			{Follows: fl("b/nixpkgs", "nixpkgs")},
		},
		breaks: map[string]string{"a/nixpkgs -> nixpkgs": "error: e",
			"a/nixpkgs -> nixpkgs-unstable": "error: u", "a/nixpkgs -> nixpkgs-a": "error: n"},
		jobs:        2,
		evaluations: 6,
		accepted:    []string{"b/nixpkgs -> nixpkgs"},
		culprits:    []string{"a/nixpkgs breaks packages.x86_64-linux.default: error: e"},
		tried:       [][]string{{"nixpkgs", "nixpkgs-unstable", "nixpkgs-a"}},
	}, {
		// a and b pass alone but not together: the accepted set fails (the
		// cached [a b]), so they are added one at a time (a kept, b held
		// back), every set already evaluated.
		name:        "interaction",
		plan:        plan("a/nixpkgs -> nixpkgs", "b/nixpkgs -> nixpkgs", "c/nixpkgs -> nixpkgs"),
		breaks:      map[string]string{"c/nixpkgs -> nixpkgs": "error: c"},
		together:    [][2]string{{"a/nixpkgs -> nixpkgs", "b/nixpkgs -> nixpkgs"}},
		jobs:        2,
		evaluations: 6,
		accepted:    []string{"a/nixpkgs -> nixpkgs"},
		culprits: []string{"b/nixpkgs breaks checks.x86_64-linux.t: error: together",
			"c/nixpkgs breaks packages.x86_64-linux.default: error: c"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &fakeRunner{breaks: tc.breaks, together: tc.together}
			g, err := lockgraph.LoadString(fakeLock)
			if err != nil {
				t.Fatal(err)
			}
			var progress []Progress
			o := Options{Plan: tc.plan, Candidate: fakeCandidate, Jobs: tc.jobs, Lock: g, Mode: Eval,
				Progress: func(p Progress) { progress = append(progress, p) }}
			res, err := verify(context.Background(), o, r, []byte("baseline\n"), []byte(fakeLock))
			if err != nil {
				t.Fatal(err)
			}
			if res.Evaluations != tc.evaluations || len(r.runs) != tc.evaluations || len(progress) != tc.evaluations {
				t.Errorf("evaluations = %d (runs %d, progress %d), want %d:\n%s", res.Evaluations, len(r.runs),
					len(progress), tc.evaluations, strings.Join(r.runs, "--\n"))
			}
			if got := strs(res.Accepted); !reflect.DeepEqual(got, tc.accepted) {
				t.Errorf("accepted = %q, want %q", got, tc.accepted)
			}
			culprits := []string{}
			var tried [][]string
			for _, c := range res.Culprits {
				culprits = append(culprits, c.Reason())
				var ts []string
				for _, a := range c.Tried {
					ts = append(ts, lockgraph.JoinPath(a.Target))
				}
				tried = append(tried, ts)
			}
			if !reflect.DeepEqual(culprits, tc.culprits) {
				t.Errorf("culprits = %q, want %q", culprits, tc.culprits)
			}
			if tc.tried != nil && !reflect.DeepEqual(tried, tc.tried) {
				t.Errorf("tried = %q, want %q", tried, tc.tried)
			}
			if len(progress) > 0 && (progress[0].What != "baseline" || progress[0].N != 1 || progress[0].M != 1) {
				t.Errorf("first progress = %+v, want baseline 1 of 1", progress[0])
			}
			for i, p := range progress {
				if p.N != i+1 || p.M < p.N {
					t.Errorf("progress %d = %+v", i, p)
				}
			}
			if res.CommonRevision != nil {
				t.Errorf("common revision %+v without a nixpkgs primary", res.CommonRevision)
			}
		})
	}
}

func followsOf(ps []Planned) []lockgraph.Follows {
	var out []lockgraph.Follows
	for _, p := range ps {
		out = append(out, p.Follows)
	}
	return out
}

func TestBaselineFails(t *testing.T) {
	r := &fakeRunner{breaks: map[string]string{"baseline": "error: attribute 'x' missing"}}
	g, _ := lockgraph.LoadString(fakeLock)
	o := Options{Plan: plan("a/nixpkgs -> nixpkgs"), Candidate: fakeCandidate, Lock: g, Mode: Eval}
	res, err := verify(context.Background(), o, r, []byte("baseline\n"), []byte(fakeLock))
	if err != nil {
		t.Fatal(err)
	}
	want := Outcome{Attr: "packages.x86_64-linux.default", Error: "error: attribute 'x' missing"}
	if res.Baseline != want || res.Evaluations != 1 || res.Accepted != nil || res.Culprits != nil {
		t.Errorf("result = %+v, want only the failed baseline", res)
	}
}

func TestDropsFake(t *testing.T) {
	r := &fakeRunner{breaks: map[string]string{"y/treefmt-nix -> ": "error: attribute 'lib' missing"}}
	g, _ := lockgraph.LoadString(fakeLock)
	o := Options{Plan: plan("y/nixpkgs -> nixpkgs"), Candidate: fakeCandidate, Lock: g, Mode: Eval, Jobs: 2,
		Drops: []lockgraph.Follows{fl("x/flake-compat", ""), fl("y/treefmt-nix", "")}}
	res, err := verify(context.Background(), o, r, []byte("baseline\n"), []byte(fakeLock))
	if err != nil {
		t.Fatal(err)
	}
	// baseline, plan, all drops, {x/flake-compat}, {y/treefmt-nix}
	if res.Evaluations != 5 {
		t.Errorf("evaluations = %d, want 5", res.Evaluations)
	}
	if got := strs(res.Dropped); !reflect.DeepEqual(got, []string{"x/flake-compat -> "}) {
		t.Errorf("dropped = %q", got)
	}
	if len(res.KeptInputs) != 1 || res.KeptInputs[0].Reason() != "y/treefmt-nix breaks packages.x86_64-linux.default: error: attribute 'lib' missing" {
		t.Errorf("kept inputs = %+v", res.KeptInputs)
	}
}

// lockFailRunner rejects every lock but the baseline's.
type lockFailRunner struct{}

func (lockFailRunner) run(_ context.Context, _ int, flakeNix, _ []byte) (Outcome, error) {
	if string(flakeNix) == "baseline\n" {
		return Outcome{OK: true}, nil
	}
	return Outcome{}, &LockError{Message: "error: lock mismatch"}
}

func TestLockMismatchIsAnError(t *testing.T) {
	g, _ := lockgraph.LoadString(fakeLock)
	o := Options{Plan: plan("a/nixpkgs -> nixpkgs", "b/nixpkgs -> nixpkgs"), Candidate: fakeCandidate, Lock: g, Jobs: 2}
	_, err := verify(context.Background(), o, lockFailRunner{}, []byte("baseline\n"), []byte(fakeLock))
	var le *LockError
	if !errors.As(err, &le) {
		t.Fatalf("err = %v, want a *LockError", err)
	}
	want := "flake.lock: nix flake lock --no-update-lock-file rejects the predicted lock of the candidate with " +
		"a/nixpkgs -> nixpkgs, b/nixpkgs -> nixpkgs: error: lock mismatch"
	if err.Error() != want {
		t.Errorf("err = %q\nwant  %q", err, want)
	}
}

func TestResultJSON(t *testing.T) {
	res := &Result{Mode: Eval, Baseline: Outcome{OK: true}, Evaluations: 6,
		Accepted: []lockgraph.Follows{fl("waybar/nixpkgs", "nixpkgs")},
		Culprits: []Culprit{{Input: []string{"hyprland", "nixpkgs"}, Target: []string{"nixpkgs"},
			Outcome: Outcome{Attr: "packages.x86_64-linux.default", Error: "error: attribute 'wlroots_0_18' missing"},
			Tried:   []Attempt{{Target: []string{"nixpkgs"}}}}},
		Primary:        []string{"nixpkgs"},
		CommonRevision: &Revision{Rev: "abc", Path: []string{"waybar", "nixpkgs"}, URL: "github:NixOS/nixpkgs/abc"},
	}
	got, err := res.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(got) {
		t.Fatalf("invalid JSON %s", got)
	}
	want := `{"mode":"eval","baseline":{"ok":true},"evaluations":6,"accepted":["waybar/nixpkgs -> nixpkgs"],` +
		`"culprits":[{"input":"hyprland/nixpkgs","target":"nixpkgs","attr":"packages.x86_64-linux.default",` +
		`"error":"error: attribute 'wlroots_0_18' missing","tried":["nixpkgs"]}],"dropped":[],"kept_inputs":[],` +
		`"removed_nodes":[],"common_revision":{"input":"nixpkgs","rev":"abc","from":"waybar/nixpkgs","url":"github:NixOS/nixpkgs/abc"}}`
	if string(got) != want {
		t.Errorf("json:\n%s\nwant\n%s", got, want)
	}
}

func TestParseNixOutput(t *testing.T) {
	stderr := "warning: Git tree is dirty\nevaluating flake...\nerror: attribute 'b' missing\n\n       at /x/flake.nix:1:145:\n" +
		"       … while evaluating the attribute 'packages.x86_64-linux.default'\n" +
		"       … while checking the derivation 'packages.x86_64-linux.default'\n" +
		"       … while checking flake output 'packages'\n"
	if got := firstErrorLine(stderr); got != "error: attribute 'b' missing" {
		t.Errorf("firstErrorLine = %q", got)
	}
	if got := tracedAttr(stderr); got != "packages.x86_64-linux.default" {
		t.Errorf("tracedAttr = %q", got)
	}
	if got := tracedAttr("error: x\n … while checking flake output 'lib'\n"); got != "lib" {
		t.Errorf("tracedAttr = %q", got)
	}
	if got := firstErrorLine("warning: w\nsomething odd\n"); got != "something odd" {
		t.Errorf("firstErrorLine = %q", got)
	}
	for _, tc := range []struct{ in, want string }{{"", "eval"}, {"eval", "eval"}, {"build", "build"}} {
		m, err := ParseMode(tc.in)
		if err != nil || string(m) != tc.want {
			t.Errorf("ParseMode(%q) = %q, %v", tc.in, m, err)
		}
	}
	if _, err := ParseMode("dry"); err == nil || err.Error() != "--verify=dry: want eval or build" {
		t.Errorf("ParseMode(dry) err = %v", err)
	}
}

func TestCheckNixMissing(t *testing.T) {
	_, _, err := CheckNix(context.Background(), "/nonexistent/nix", nil)
	var ne *NixError
	if !errors.As(err, &ne) {
		t.Fatalf("err = %v, want a *NixError", err)
	}
	if want := "--verify needs Nix ≥ 2.8 (the nix command, with flakes): /nonexistent/nix is not on PATH"; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
}
