package main

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/flakedup/flakedup/internal/flake"
	"github.com/flakedup/flakedup/internal/savings"
	"github.com/flakedup/flakedup/lockgraph"
	"github.com/flakedup/flakedup/rewrite"
)

// fixCommand is `flakedup fix [PATH]`: plan the follows that collapse the
// duplicated copies, patch flake.nix, print the diff and the counts.
func fixCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "fix",
		Usage:     "add the follows that collapse duplicated nixpkgs copies to flake.nix",
		ArgsUsage: "[PATH...]",
		Description: `Plans the follows that make duplicated nixpkgs copies follow a root input of the
flake, writes them into flake.nix in the style the file already uses, and prints the
unified diff, the copy count before and after, and what that saves. PATH is a flake
directory (default: the current one), or its flake.nix or flake.lock; several PATHs,
or --recursive (every flake under each PATH), fix each flake and end with a total.

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
   flakedup fix --all --ignore nixos-hardware --format json
   flakedup fix -n --only home-manager    # just the follows below home-manager
   flakedup fix -r .                      # every flake in this repository`,
		Flags: append([]cli.Flag{
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "print the diff and summary, write nothing"},
			&cli.BoolFlag{Name: "lock", Usage: "also write the predicted flake.lock (no network or nix needed)"},
			&cli.StringSliceFlag{Name: "only", Usage: "add only the follows below this root input (repeatable)"},
			&cli.BoolFlag{Name: "interactive", Aliases: []string{"i"}, Usage: "ask before each follows (on a terminal only)"},
			recursiveFlag(),
			formatFlag(formatText, formatJSON),
		}, append(planFlags(), verifyFlags(true)...)...),
		Action: func(c *cli.Context) error {
			format, err := outputFormat(c, formatText, formatJSON)
			if err != nil {
				return err
			}
			if c.Bool("interactive") && !(isTerminal(e.stdin) && isTerminal(e.stdout)) {
				return badInput(fmt.Errorf("--interactive needs a terminal (stdin and stdout); use --only NAME to choose follows in a script"))
			}
			if c.Bool("interactive") && format == formatJSON {
				return badInput(fmt.Errorf("--interactive asks on the terminal: it does not go with --format json"))
			}
			paths, multi, err := flakePaths(c)
			if err != nil {
				return err
			}
			if !multi {
				results := []flakeResult{fixOne(c, e, paths[0], format, false)}
				finishAll(c, e, results)
				r := results[0]
				if _, err := io.WriteString(e.stdout, r.text); err != nil {
					return badInput(err)
				}
				if r.err != nil {
					return r.err
				}
				if format == formatJSON {
					if err := writeJSON(e.stdout, r.doc); err != nil {
						return err
					}
				}
				if r.code == exitFailed {
					return failed()
				}
				return nil
			}
			if only := c.StringSlice("only"); len(only) > 0 {
				if err := checkOnlyNames(paths, only); err != nil {
					return err
				}
			}
			results := make([]flakeResult, 0, len(paths))
			for _, path := range paths {
				results = append(results, fixOne(c, e, path, format, true))
			}
			return writeMulti(c, e, "fix", format, results)
		},
	}
}

// fixOne plans, edits and (unless --dry-run) writes one flake. err is set
// (an exitError) when the flake failed, with text the lines to add by hand
// when fix refused to edit flake.nix; else finish renders the text (the
// diff and the summary; under a "flake PATH:" heading when multi) or the
// JSON document (with "flake" first when multi).
func fixOne(c *cli.Context, e *env, arg, format string, multi bool) flakeResult {
	r := flakeResult{path: arg}
	only := c.StringSlice("only")
	var leftAlone map[string]string // ignore entry -> why, for --only and declined follows
	adjust := func(*fixSettings, *flake.Flake) error { return nil }
	if len(only) > 0 {
		fl, err := flake.LoadWith(arg, flake.LoadOptions{ReadLock: e.readCopy})
		if err != nil {
			r.err = badInput(err)
			return r
		}
		var others []string
		others, err = onlyIgnores(fl, only, !multi)
		if err != nil {
			r.err = badInput(err)
			return r
		}
		leftAlone = map[string]string{}
		for _, o := range others {
			leftAlone[o] = "--only " + strings.Join(only, ", --only ")
		}
		adjust = func(s *fixSettings, _ *flake.Flake) error {
			s.policy.Ignore = append(s.policy.Ignore, others...)
			return nil
		}
	}
	out, settings, err := loadAndPlan(c, e, arg, flake.LoadOptions{ReadLock: e.readCopy}, true, adjust)
	if err != nil {
		r.err = badInput(err)
		return r
	}
	if c.Bool("interactive") && len(out.Result.Follows) > 0 {
		declined, err := askFollows(e, out)
		if err != nil {
			r.err = badInput(err)
			return r
		}
		if len(declined) > 0 {
			if leftAlone == nil {
				leftAlone = map[string]string{}
			}
			for _, d := range declined {
				leftAlone[d] = "declined"
			}
			prev := adjust
			adjust = func(s *fixSettings, fl *flake.Flake) error {
				if err := prev(s, fl); err != nil {
					return err
				}
				s.policy.Ignore = append(s.policy.Ignore, declined...)
				return nil
			}
			if out, settings, err = loadAndPlan(c, e, arg, flake.LoadOptions{ReadLock: e.readCopy}, true, adjust); err != nil {
				r.err = badInput(err)
				return r
			}
		}
	}
	relabelLeftAlone(out, leftAlone)
	commentPromotions(out)
	out.Edit()
	if out.Manual != nil {
		// flake.nix cannot be edited safely: show what to add, write
		// nothing (under --format json, the error document carries the
		// lines).
		if format != formatJSON {
			var b strings.Builder
			if multi {
				b.WriteString(palette{on: useColor(e)}.bold("flake "+arg+":") + "\n")
			}
			writeManualLines(&b, out.ManualLines)
			r.text = b.String()
		}
		r.err = refused(out.Manual, out.ManualLines)
		return r
	}
	ver, err := verifyOutcome(c, e, out)
	if err != nil {
		r.err = err
		return r
	}
	out = ver.outcome(out)
	if !c.Bool("dry-run") && ver.canWrite() {
		if err := out.Write(c.Bool("lock")); err != nil {
			r.err = badInput(err)
			return r
		}
	}
	if ver.exit() != nil {
		r.code = exitFailed // the flake as it is already fails to evaluate
	}
	r.savings = out.Savings()
	r.nixBefore, r.nixAfter, r.follows = out.Before.Nixpkgs.Copies, out.After.Copies, len(out.Result.Follows)
	r.finish = func(sv savings.Savings) (string, any, error) {
		if format == formatJSON {
			doc := fixJSONOf(out, settings, sv)
			if multi {
				return "", ver.json(struct {
					Flake string `json:"flake"`
					fixJSON
				}{arg, doc}), nil
			}
			return "", ver.json(doc), nil
		}
		var b strings.Builder
		p := palette{on: useColor(e)}
		if multi {
			b.WriteString(p.bold("flake "+arg+":") + "\n")
		}
		if err := writeFixText(&b, out, settings, sv, p); err != nil {
			return "", nil, badInput(err)
		}
		if err := ver.writeText(&b); err != nil {
			return "", nil, badInput(err)
		}
		return b.String(), nil, nil
	}
	return r
}

// promotedComment trails every root input that --promote writes.
const promotedComment = "added by flakedup: pinned to the locked revision"

// commentPromotions makes the edits that write promoted root inputs carry
// promotedComment, so that a reader of flake.nix knows where the pinned
// url came from.
func commentPromotions(o *flake.Outcome) {
	promoted := map[string]bool{}
	for _, p := range o.Result.Promotions {
		promoted[p.Name] = true
	}
	for i, ed := range o.Edits {
		if in, ok := ed.(rewrite.AddInput); ok && promoted[in.Name] {
			in.Comment = promotedComment
			o.Edits[i] = in
		}
	}
}

// onlyIgnores returns the --ignore entries that make the plan touch only
// the root inputs only names: every other root input that is not itself a
// nixpkgs (those are what copies follow). With strict, an unknown name is
// an error with a suggestion; without (a multi-flake run, whose names
// checkOnlyNames checked against every flake), it matches nothing here.
func onlyIgnores(fl *flake.Flake, only []string, strict bool) ([]string, error) {
	root := fl.Graph.Nodes[fl.Graph.Root]
	if root == nil {
		return nil, fmt.Errorf("%s: the lock has no root node", fl.LockPath)
	}
	names := root.Inputs.Names()
	want := map[string]bool{}
	for _, o := range only {
		found := false
		for _, n := range names {
			found = found || n == o
		}
		if !found && strict {
			msg := fmt.Sprintf("--only %q: flake.lock has no root input of that name", o)
			if best := closestName(o, names); best != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", best)
			}
			return nil, errors.New(msg)
		}
		want[o] = true
	}
	var others []string
	for _, n := range names {
		if want[n] {
			continue
		}
		if key, err := fl.Graph.Resolve([]string{n}); err == nil {
			if node := fl.Graph.Nodes[key]; node != nil && lockgraph.SourceOf(node).Nixpkgs {
				continue
			}
		}
		others = append(others, n)
	}
	return others, nil
}

// checkOnlyNames checks, for a multi-flake run, that each --only name is
// a root input of at least one of the flakes (a flake that cannot be read
// fails on its own later): a name none has is an error with a suggestion.
func checkOnlyNames(paths, only []string) error {
	var names []string
	has := map[string]bool{}
	for _, p := range paths {
		fl, err := flake.LoadWith(p, flake.LoadOptions{ReadLock: readFileText})
		if err != nil {
			continue
		}
		if root := fl.Graph.Nodes[fl.Graph.Root]; root != nil {
			for _, n := range root.Inputs.Names() {
				if !has[n] {
					has[n] = true
					names = append(names, n)
				}
			}
		}
	}
	sort.Strings(names)
	for _, o := range only {
		if !has[o] {
			msg := fmt.Sprintf("--only %q: no flake of the %d has a root input of that name", o, len(paths))
			if best := closestName(o, names); best != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", best)
			}
			return badInput(errors.New(msg))
		}
	}
	return nil
}

// relabelLeftAlone rewrites the held-back reasons that the ignore entries
// of --only and of declined follows produce ("x is ignored (--ignore x)")
// so they name what the user did instead of a flag they never gave.
func relabelLeftAlone(o *flake.Outcome, leftAlone map[string]string) {
	if len(leftAlone) == 0 {
		return
	}
	fix := func(reason string) string {
		for entry, why := range leftAlone {
			if suffix := " is ignored (--ignore " + entry + ")"; strings.HasSuffix(reason, suffix) {
				return strings.TrimSuffix(reason, suffix) + " is left alone (" + why + ")"
			}
		}
		return reason
	}
	for i := range o.Result.HeldBack {
		o.Result.HeldBack[i].Reason = fix(o.Result.HeldBack[i].Reason)
	}
	for i := range o.Copies {
		o.Copies[i].Reason = fix(o.Copies[i].Reason)
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
//	  "written": ["flake.nix"],  // empty with --dry-run
//	  "savings": {"copies_removed": 4, "revisions_removed": 3, "download_bytes": 0,
//	              "download_known": false, "download": "unknown (not in the local store)"}
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
	Savings    savingsJSON     `json:"savings"`
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

func fixJSONOf(o *flake.Outcome, s fixSettings, sv savings.Savings) fixJSON {
	out := fixJSON{
		Follows:    []followsJSON{},
		Promotions: []promotionJSON{},
		HeldBack:   []heldBackJSON{},
		Counts:     planCountsJSON(o.Counts()),
		Before:     countsJSON{nixpkgsCountJSON{o.Before.Nixpkgs.Copies, o.Before.Nixpkgs.Revisions}, map[string]int{}},
		After:      countsJSON{nixpkgsCountJSON{o.After.Copies, o.After.Revisions}, map[string]int{}},
		NixVersion: nixVersionJSON{s.target.Version.String(), string(s.target.Source)},
		NewInputs:  []newInputJSON{},
		Convention: o.Summary().Convention,
		Crossings:  o.Summary().Crossings,
		Stale:      append([]string{}, o.Stale...),
		Warnings:   append([]string{}, o.Result.Warnings...),
		Diff:       o.Diff,
		Written:    []string{},
		Savings:    savingsJSONOf(sv),
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
//	savings: 4 copies and 3 revisions removed; download avoided: unknown (not in the local store)
//	target: Nix 2.18 (default)
//	wrote flake.nix; run `nix flake lock` to update flake.lock
func writeFixText(w io.Writer, o *flake.Outcome, s fixSettings, sv savings.Savings, p palette) error {
	var b strings.Builder
	if o.Diff != "" {
		b.WriteString(colorDiff(o.Diff, p))
		b.WriteString("\n")
	}
	added := len(o.Result.Follows)
	fmt.Fprintf(&b, "%s %s → %d; %s added",
		p.bold("nixpkgs:"), plural(o.Before.Nixpkgs.Copies, "copy", "copies"), o.After.Copies,
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
	if saves(sv) {
		fmt.Fprintf(&b, "savings: %s\n", savingsLine(sv))
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
