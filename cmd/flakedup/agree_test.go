package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/testenv"
)

// agreeCounts are the nixpkgs numbers one command reports.
type agreeCounts struct{ copies, couldFollow, pending, heldBack int }

// analyzeCounts runs analyze (or check, whose JSON has the analyze schema)
// and reads its nixpkgs numbers.
func analyzeCounts(t *testing.T, args ...string) agreeCounts {
	t.Helper()
	code, out, stderr := runFlakedup(t, nil, args...)
	if code != exitOK && code != exitFailed {
		t.Fatalf("%v: exit %d: %s", args, code, stderr)
	}
	var doc struct {
		Nixpkgs struct {
			Copies          int
			CouldFollowRoot int `json:"could_follow_root"`
			Pending         int
			HeldBack        int `json:"held_back"`
		}
		Violations []struct {
			Rule          string
			Limit, Actual int
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	n := doc.Nixpkgs
	return agreeCounts{n.Copies, n.CouldFollowRoot, n.Pending, n.HeldBack}
}

// TestCommandsAgree runs analyze, check and fix on every corpus pair and
// requires the same nixpkgs numbers from all three (copies, could follow,
// pending, held back), check's "collapsible" violation to say the same, and
// fix's before → after to be what the counts add up to; then, after `fix
// --lock`, analyze must report nothing left to follow.
func TestCommandsAgree(t *testing.T) {
	for _, lock := range testenv.CorpusFiles(t, "flake.lock") {
		src := filepath.Dir(lock)
		t.Run(filepath.Base(src), func(t *testing.T) {
			dir := copyFlake(t, src)
			analyze := analyzeCounts(t, "analyze", "--format", "json", dir)
			check := analyzeCounts(t, "check", "--format", "json", dir)
			code, out, stderr := runFlakedup(t, nil, "fix", "--dry-run", "--format", "json", dir)
			if code != exitOK {
				t.Fatalf("fix: exit %d: %s", code, stderr)
			}
			var doc struct {
				Follows []struct{ Input string }
				Counts  struct {
					Copies      int
					CouldFollow int `json:"could_follow"`
					Pending     int
					HeldBack    int `json:"held_back"`
					After       int
				}
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatal(err)
			}
			c := doc.Counts
			fix := agreeCounts{c.Copies, c.CouldFollow, c.Pending, c.HeldBack}
			if analyze != check || analyze != fix {
				t.Errorf("counts (copies, could follow, pending, held back) disagree: analyze %v, check %v, fix %v", analyze, check, fix)
			}
			if c.Copies-c.After != c.CouldFollow+c.Pending {
				t.Errorf("fix: %d copies → %d, but %d could follow and %d are pending", c.Copies, c.After, c.CouldFollow, c.Pending)
			}
			// A follows may also remove copies that are not nixpkgs (a
			// lib-only nixpkgs-lib), so only one way round holds.
			if c.CouldFollow > 0 && len(doc.Follows) == 0 {
				t.Errorf("fix: %d copies could follow, %d follows added", c.CouldFollow, len(doc.Follows))
			}

			// check --format github: no command twice; on flake.nix, one
			// ::error per follows line fix adds for nixpkgs copies (a
			// follows for a lib-only nixpkgs-lib is fix's too, but no
			// nixpkgs copy), a ::warning for held-back copies.
			_, gh, _ := runFlakedup(t, nil, "check", "--format", "github", dir)
			seen := map[string]bool{}
			errs, warnings := 0, 0
			for _, line := range strings.Split(strings.TrimSuffix(gh, "\n"), "\n") {
				if line == "" {
					continue
				}
				if seen[line] {
					t.Errorf("check --format github repeats %q", line)
				}
				seen[line] = true
				switch {
				case strings.HasPrefix(line, "::error file="):
					errs++
				case strings.HasPrefix(line, "::warning file="):
					warnings++
				}
			}
			if c.CouldFollow > 0 && (errs == 0 || errs > len(doc.Follows)) || c.CouldFollow == 0 && errs > 0 {
				t.Errorf("check --format github: %d ::error lines on flake.nix, fix adds %d follows for %d copies", errs, len(doc.Follows), c.CouldFollow)
			}
			if c.CouldFollow > 0 && c.HeldBack > 0 && warnings == 0 {
				t.Errorf("check --format github: %d copies held back, no ::warning", c.HeldBack)
			}

			if code, _, stderr := runFlakedup(t, nil, "fix", "--lock", dir); code != exitOK {
				t.Fatalf("fix --lock: exit %d: %s", code, stderr)
			}
			after := analyzeCounts(t, "analyze", "--format", "json", dir)
			if after.couldFollow != 0 || after.pending != 0 || after.copies != c.After {
				t.Errorf("after fix --lock, analyze reports %v; want %d copies, nothing to follow or pending", after, c.After)
			}
			if code, _, _ := runFlakedup(t, nil, "check", dir); code != exitOK {
				t.Errorf("after fix --lock, check exits %d, want 0", code)
			}
		})
	}
}
