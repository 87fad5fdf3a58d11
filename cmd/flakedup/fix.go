package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/flakedup/flakedup/internal/flake"
)

// fixCommand is `flakedup fix [PATH]`: plan the follows that collapse the
// duplicated copies, patch flake.nix, print the diff and the counts.
func fixCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "fix",
		Usage:     "add the follows that collapse duplicated nixpkgs copies to flake.nix",
		ArgsUsage: "[PATH]",
		Description: `Plans the follows that make duplicated nixpkgs copies follow a root input of the
flake, writes them into flake.nix in the style the file already uses, and prints the
unified diff and the copy count before and after. PATH is a flake directory (default:
the current one), or its flake.nix or flake.lock.

A copy follows the root input on its own branch (or, when the flake's follows already
send everything to nixpkgs, nixpkgs: --policy overrides that). Copies with no root
input on their branch and forks are held back unless --cross-branch or --add-inputs;
revision pins, inputs whose binary cache needs their own nixpkgs (unless --include),
and inputs held back in flake.nix (a commented-out follows line, # flakedup: ignore, a
comment saying the input is pinned) stay too. Each held-back copy says what would
change it. Only edits the target Nix can lock are made (--nix-version; default: the
nix on PATH, else 2.18). Settings can also live in flakedup.toml beside flake.nix
(ignore, cross-branch, all, nix-version, policy).

Examples:
   flakedup fix --dry-run                 # show the diff, write nothing
   flakedup fix && nix flake lock         # patch flake.nix, then let Nix re-lock
   flakedup fix --lock                    # also write the predicted flake.lock (no nix needed)
   flakedup fix --all --ignore nixos-hardware --format json`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "print the diff and summary, write nothing"},
			&cli.BoolFlag{Name: "lock", Usage: "also write the predicted flake.lock (no network or nix needed)"},
			&cli.BoolFlag{Name: "all", Usage: "deduplicate every duplicated source, not only nixpkgs"},
			&cli.StringFlag{Name: "policy", Usage: "which root nixpkgs a copy follows: primary or branch (default: the flake's convention, from its follows)"},
			&cli.BoolFlag{Name: "cross-branch", Usage: "let copies with no root input on their branch, and forks, follow the primary nixpkgs"},
			&cli.BoolFlag{Name: "add-inputs", Usage: "add a root nixpkgs input per branch that has 2 or more copies and none"},
			&cli.StringSliceFlag{Name: "include", Usage: "collapse this root input's copies although its binary cache says not to (repeatable)"},
			&cli.StringSliceFlag{Name: "ignore", Usage: "leave this root input or input path (a/nixpkgs) alone (repeatable)"},
			&cli.BoolFlag{Name: "promote", Usage: "add an intermediate input as a root input when a deep copy needs it"},
			&cli.BoolFlag{Name: "deep", Usage: "emit overrides deeper than two levels (needs Nix >= 2.30)"},
			&cli.StringFlag{Name: "nix-version", Usage: "the Nix that will lock the flake, e.g. 2.18 (default: nix --version, else 2.18)"},
			formatFlag(formatText, formatJSON),
		},
		Action: func(c *cli.Context) error {
			format, err := outputFormat(c, formatText, formatJSON)
			if err != nil {
				return err
			}
			if c.NArg() > 1 {
				return badInput(fmt.Errorf("fix takes one PATH, got %d arguments", c.NArg()))
			}
			out, settings, err := loadAndPlan(c, e, c.Args().First(), flake.LoadOptions{ReadLock: readFileText}, true, nil)
			if err != nil {
				return badInput(err)
			}
			out.Edit()
			if out.Manual != nil {
				// flake.nix cannot be edited safely: show what to add, write
				// nothing (under --format json, the error document carries
				// the lines).
				if format != formatJSON {
					writeManualLines(e.stdout, out.ManualLines)
				}
				return refused(out.Manual, out.ManualLines)
			}
			if !c.Bool("dry-run") {
				if err := out.Write(c.Bool("lock")); err != nil {
					return badInput(err)
				}
			}
			if format == formatJSON {
				return writeJSON(e.stdout, fixJSONOf(out, settings))
			}
			return writeFixText(e.stdout, out, settings, palette{on: useColor(e)})
		},
	}
}

func writeManualLines(w io.Writer, lines []string) {
	fmt.Fprintln(w, "# Add these lines to the top-level attribute set of flake.nix, after its inputs:")
	for _, l := range lines {
		fmt.Fprintln(w, "  "+l)
	}
}

// fixJSON is the --format json output of fix:
//
//	{
//	  "follows":    [{"input": "home-manager/nixpkgs", "follows": "nixpkgs"}],  // added by this run
//	  "promotions": [{"input": "B", "url": "github:o/b/<rev>", "from": "C/B"}],
//	  "held_back":  [{"input": "S/nixpkgs", "reason": "S/nixpkgs is on nixos-24.05", "needs_nix": ""}],
//	  "counts":     {"copies": 6, "could_follow": 4, "pending": 0, "held_back": 1, "after": 2},  // nixpkgs, as analyze and check count them
//	  "before":     {"nixpkgs": {"copies": 6, "revisions": 5}, "sources": {"github:nixos/nixpkgs": 6}},
//	  "after":      {"nixpkgs": {"copies": 2, "revisions": 2}, "sources": {"github:nixos/nixpkgs": 2}},
//	  "nix_version": {"target": "2.18", "source": "default"},
//	  "new_inputs": [{"name": "nixpkgs-2505", "url": "github:NixOS/nixpkgs/nixos-25.05", "copies": ["a/nixpkgs"]}],  // --add-inputs
//	  "convention": "following this flake's convention: everything follows nixpkgs",  // "" when nothing needed saying
//	  "cross_branch": ["sops-nix/nixpkgs: nixos-unstable → nixpkgs (nixos-25.11)"],  // follows that cross a branch
//	  "stale_inputs": [],   // root inputs in flake.nix that flake.lock lacks
//	  "warnings": [],       // problems no edit can fix (e.g. the target Nix cannot lock the flake as it is)
//	  "diff": "--- a/flake.nix\n+++ b/flake.nix\n...",
//	  "written": ["flake.nix"]  // empty with --dry-run
//	}
//
// "sources" counts the copies of every source that has more than one copy
// before or after. Keys keep this order; lists are never null.
type fixJSON struct {
	Follows    []followsJSON   `json:"follows"`
	Promotions []promotionJSON `json:"promotions"`
	HeldBack   []heldBackJSON  `json:"held_back"`
	Counts     planCountsJSON  `json:"counts"`
	Before     countsJSON      `json:"before"`
	After      countsJSON      `json:"after"`
	NixVersion nixVersionJSON  `json:"nix_version"`
	NewInputs  []newInputJSON  `json:"new_inputs"`
	Convention string          `json:"convention"`
	Crossings  []string        `json:"cross_branch"`
	Stale      []string        `json:"stale_inputs"`
	Warnings   []string        `json:"warnings"`
	Diff       string          `json:"diff"`
	Written    []string        `json:"written"`
}

type followsJSON struct {
	Input   string `json:"input"`
	Follows string `json:"follows"`
}

type promotionJSON struct {
	Input string `json:"input"`
	URL   string `json:"url"`
	From  string `json:"from"`
}

type newInputJSON struct {
	Name   string   `json:"name"`
	URL    string   `json:"url"`
	Copies []string `json:"copies"`
}

type heldBackJSON struct {
	Input    string `json:"input"`
	Reason   string `json:"reason"`
	NeedsNix string `json:"needs_nix"`
}

type countsJSON struct {
	Nixpkgs nixpkgsCountJSON `json:"nixpkgs"`
	Sources map[string]int   `json:"sources"`
}

// planCountsJSON is flake.Counts in JSON.
type planCountsJSON struct {
	Copies      int `json:"copies"`
	CouldFollow int `json:"could_follow"`
	Pending     int `json:"pending"`
	HeldBack    int `json:"held_back"`
	After       int `json:"after"`
}

type nixpkgsCountJSON struct {
	Copies    int `json:"copies"`
	Revisions int `json:"revisions"`
}

type nixVersionJSON struct {
	Target string `json:"target"`
	Source string `json:"source"`
}

func fixJSONOf(o *flake.Outcome, s fixSettings) fixJSON {
	out := fixJSON{
		Follows:    []followsJSON{},
		Promotions: []promotionJSON{},
		HeldBack:   []heldBackJSON{},
		Counts:     planCountsJSON(o.Counts()),
		Before:     countsJSON{nixpkgsCountJSON{o.Before.Nixpkgs.Copies, o.Before.Nixpkgs.Revisions}, map[string]int{}},
		After:      countsJSON{nixpkgsCountJSON{o.After.Nixpkgs.Copies, o.After.Nixpkgs.Revisions}, map[string]int{}},
		NixVersion: nixVersionJSON{s.target.Version.String(), string(s.target.Source)},
		NewInputs:  []newInputJSON{},
		Convention: o.Summary().Convention,
		Crossings:  o.Summary().Crossings,
		Stale:      append([]string{}, o.Stale...),
		Warnings:   append([]string{}, o.Result.Warnings...),
		Diff:       o.Diff,
		Written:    []string{},
	}
	for _, f := range o.Result.Follows {
		out.Follows = append(out.Follows, followsJSON{strings.Join(f.Input, "/"), strings.Join(f.Target, "/")})
	}
	for _, p := range o.Result.Promotions {
		out.Promotions = append(out.Promotions, promotionJSON{p.Name, flake.PromotionURL(o.Result.Predicted, p), strings.Join(p.Path, "/")})
	}
	for _, ni := range o.Result.NewInputs {
		copies := []string{}
		for _, c := range ni.Copies {
			copies = append(copies, strings.Join(c, "/"))
		}
		out.NewInputs = append(out.NewInputs, newInputJSON{ni.Name, ni.URL, copies})
	}
	for _, h := range o.Result.HeldBack {
		out.HeldBack = append(out.HeldBack, heldBackJSON{strings.Join(h.Path, "/"), h.Reason, h.NeedsNix})
	}
	for id, n := range o.Result.Before {
		if n > 1 || o.Result.After[id] > 1 {
			out.Before.Sources[id] = n
			out.After.Sources[id] = o.Result.After[id]
		}
	}
	for _, w := range o.Written {
		out.Written = append(out.Written, o.Flake.Rel(w))
	}
	return out
}

// writeText prints the diff, then the summary:
//
//	nixpkgs: 6 copies → 2; 4 follows added; 1 held back:
//	  simple-nixos-mailserver/nixpkgs is on nixos-24.05
//	target: Nix 2.18 (default)
//	wrote flake.nix; run `nix flake lock` to update flake.lock
func writeFixText(w io.Writer, o *flake.Outcome, s fixSettings, p palette) error {
	var b strings.Builder
	if o.Diff != "" {
		b.WriteString(colorDiff(o.Diff, p))
		b.WriteString("\n")
	}
	added := len(o.Result.Follows)
	fmt.Fprintf(&b, "%s %s → %d; %s added",
		p.bold("nixpkgs:"), plural(o.Before.Nixpkgs.Copies, "copy", "copies"), o.After.Nixpkgs.Copies,
		plural(added, "follows", "follows"))
	if n := len(o.Result.Promotions); n > 0 {
		fmt.Fprintf(&b, "; %s", plural(n, "root input promoted", "root inputs promoted"))
	}
	switch len(o.Result.HeldBack) {
	case 0:
		b.WriteString("\n")
	case 1:
		fmt.Fprintf(&b, "; 1 held back: %s\n", o.Result.HeldBack[0].Reason)
	default:
		fmt.Fprintf(&b, "; %d held back:\n", len(o.Result.HeldBack))
		for _, h := range o.Result.HeldBack {
			fmt.Fprintf(&b, "  %s\n", h.Reason)
		}
	}
	if s.policy.All {
		// Every other source that changed; nixpkgs has its line above.
		isNixpkgs := map[string]bool{}
		for _, g := range o.Before.Groups {
			isNixpkgs[g.Source.ID] = g.Source.Nixpkgs
		}
		ids := make([]string, 0, len(o.Result.Before))
		for id, n := range o.Result.Before {
			if n > 1 && o.Result.After[id] != n && !isNixpkgs[id] {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		for _, id := range ids {
			fmt.Fprintf(&b, "%s: %d → %d\n", id, o.Result.Before[id], o.Result.After[id])
		}
	}
	for _, l := range o.Summary().Lines() {
		b.WriteString(l + "\n")
	}
	fmt.Fprintf(&b, "target: %s (%s)\n", s.target.Version.Name(), s.target.Source)
	for _, w := range o.Result.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	if len(o.Stale) > 0 {
		fmt.Fprintf(&b, "note: flake.nix declares inputs flake.lock does not have yet (%s); run `nix flake lock`\n",
			strings.Join(o.Stale, ", "))
	}
	switch {
	case len(o.Written) > 0:
		names := make([]string, len(o.Written))
		for i, w := range o.Written {
			names[i] = o.Flake.Rel(w)
		}
		fmt.Fprintf(&b, "wrote %s", strings.Join(names, " and "))
		if len(o.Written) == 1 && names[0] == "flake.nix" {
			b.WriteString("; run `nix flake lock` to update flake.lock")
		}
		b.WriteString("\n")
	case o.Diff == "" && len(o.Result.Follows) == 0:
		b.WriteString("nothing to change\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
