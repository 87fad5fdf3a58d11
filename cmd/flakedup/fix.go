package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/flakedup/flakedup/internal/config"
	"github.com/flakedup/flakedup/internal/nixversion"
	"github.com/flakedup/flakedup/lockgraph"
	"github.com/flakedup/flakedup/rewrite"
)

// fixCommand is `flakedup fix [PATH]`: plan the follows that collapse the
// duplicated copies, patch flake.nix, print the diff and the counts.
func fixCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "fix",
		Usage:     "add the follows that collapse duplicated nixpkgs copies to flake.nix",
		ArgsUsage: "[PATH]",
		Description: `Plans the fewest follows edges that make duplicated nixpkgs copies follow the root's
own nixpkgs, writes them into flake.nix in the style the file already uses, and prints
the unified diff and the copy count before and after. PATH is a flake directory
(default: the current one), or its flake.nix or flake.lock.

Copies on another branch (nixos-24.05 vs nixos-unstable) and forks are held back
unless --cross-branch. Only edits the target Nix can lock are made (--nix-version;
default: the nix on PATH, else 2.18). Settings can also live in flakedup.toml beside
flake.nix (ignore, cross-branch, all, nix-version).

Examples:
   flakedup fix --dry-run                 # show the diff, write nothing
   flakedup fix && nix flake lock         # patch flake.nix, then let Nix re-lock
   flakedup fix --lock                    # also write the predicted flake.lock (no nix needed)
   flakedup fix --all --ignore nixos-hardware --format json`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "print the diff and summary, write nothing"},
			&cli.BoolFlag{Name: "lock", Usage: "also write the predicted flake.lock (no network or nix needed)"},
			&cli.BoolFlag{Name: "all", Usage: "deduplicate every duplicated source, not only nixpkgs"},
			&cli.BoolFlag{Name: "cross-branch", Usage: "let copies on other branches and forks follow the root's nixpkgs"},
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
			fl, err := loadFlake(c.Args().First())
			if err != nil {
				return badInput(err)
			}
			settings, err := fixSettingsFrom(c, e, fl.dir)
			if err != nil {
				return badInput(err)
			}
			out, err := planFix(fl, settings)
			if err != nil {
				return badInput(err)
			}
			if out.manual != nil {
				// flake.nix cannot be edited safely: show what to add, write nothing.
				writeManualLines(e.stdout, out.manualLines)
				return badInput(out.manual)
			}
			if !c.Bool("dry-run") {
				if err := out.write(fl, c.Bool("lock")); err != nil {
					return badInput(err)
				}
			}
			if format == formatJSON {
				return writeJSON(e.stdout, out.json(fl))
			}
			return out.writeText(e.stdout, fl, palette{on: useColor(e)})
		},
	}
}

// fixSettings is everything that steers the plan, merged from flags and
// flakedup.toml (flags win; ignore lists add up).
type fixSettings struct {
	policy lockgraph.Policy
	target nixversion.Target
}

func fixSettingsFrom(c *cli.Context, e *env, dir string) (fixSettings, error) {
	conf, err := config.Load(dir)
	if err != nil {
		return fixSettings{}, err
	}
	target, err := nixversion.Choose(c.String("nix-version"), conf.NixVersion, e.detectNix)
	if err != nil {
		return fixSettings{}, err
	}
	p := lockgraph.Policy{
		CrossBranch: conf.CrossBranch || c.Bool("cross-branch"),
		All:         conf.All || c.Bool("all"),
		Ignore:      append(append([]string(nil), conf.Ignore...), c.StringSlice("ignore")...),
		Promote:     c.Bool("promote"),
		Deep:        c.Bool("deep"),
		Nix:         target.Version,
	}
	return fixSettings{policy: p, target: target}, nil
}

// fixOutcome is one run of fix: the plan, the edits and the new bytes.
type fixOutcome struct {
	settings fixSettings
	before   lockgraph.Report
	after    lockgraph.Report
	result   *lockgraph.Result
	// edits in the order they are applied: promotions, then follows.
	edits  []rewrite.Edit
	newNix []byte
	// newLock is the predicted lock in Nix's own format.
	newLock []byte
	diff    string
	// stale lists root inputs that flake.nix declares but the lock lacks.
	stale []string
	// manual is set when flake.nix cannot be edited safely; manualLines
	// are then what the user should add by hand.
	manual      error
	manualLines []string
	written     []string
}

// planFix computes everything fix reports, without writing.
func planFix(fl *flake, s fixSettings) (*fixOutcome, error) {
	out := &fixOutcome{settings: s}
	g, unknown, err := applyDeclaredPromotions(fl.inputs, fl.graph)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fl.nixPath, err)
	}
	declared, stale := lockFollows(fl.inputs, g)
	out.stale = append(unknown, stale...)
	sort.Strings(out.stale)
	out.stale = dedupSorted(out.stale)

	res, err := lockgraph.Plan(g, declared, s.policy)
	var tooOld *lockgraph.NixTooOldError
	if errors.As(err, &tooOld) {
		return nil, err // already says what to do: "--deep needs Nix >= 2.30 (target is 2.18)"
	}
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	out.result = res
	out.before = lockgraph.Analyze(fl.graph)
	out.after = lockgraph.Analyze(res.Predicted)
	out.newLock = lockgraph.Marshal(res.Predicted)

	for _, p := range res.Promotions {
		url := promotionURL(res.Predicted, p)
		out.edits = append(out.edits, rewrite.AddInput{Name: p.Name, URL: url})
	}
	for _, f := range res.Follows {
		out.edits = append(out.edits, rewrite.AddFollows{Path: f.Input, Target: strings.Join(f.Target, "/")})
	}

	if fl.nixErr != nil {
		if len(out.edits) > 0 {
			out.manual = fmt.Errorf("%w; cannot edit it safely: add the lines above to flake.nix by hand", fl.nixErr)
			out.manualLines = manualLines(out.edits)
			return out, nil
		}
		out.newNix = fl.nixSrc
		return out, nil
	}
	newNix, _, err := rewrite.Apply(fl.nixSrc, fl.nixPath, out.edits...)
	if err != nil {
		out.manual = fmt.Errorf("%w; add the lines above to flake.nix by hand", err)
		out.manualLines = manualLines(out.edits)
		return out, nil
	}
	out.newNix = newNix
	out.diff = rewrite.Diff("flake.nix", fl.nixSrc, newNix)
	return out, nil
}

// promotionURL is the flake reference of a promoted root input: its locked
// ref, pinned to the revision the lock already has.
func promotionURL(pred *lockgraph.Graph, p lockgraph.Promotion) string {
	root := pred.Nodes[pred.Root]
	if in, ok := root.Inputs.Get(p.Name); ok {
		return lockgraph.FlakeRefURL(pred.Nodes[in.Target].Locked)
	}
	return ""
}

func dedupSorted(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// write saves flake.nix (and, with lock, the predicted flake.lock)
// atomically; each file is refused when it changed since it was read.
func (o *fixOutcome) write(fl *flake, lock bool) error {
	writeNix := !bytes.Equal(o.newNix, fl.nixSrc)
	writeLock := lock && string(o.newLock) != fl.lockSrc
	// Check both files before writing either, so that fix writes all or none.
	if writeNix {
		if err := rewrite.CheckWritable(fl.nixPath); err != nil {
			return err
		}
	}
	if writeLock {
		if err := rewrite.CheckWritable(fl.lockPath); err != nil {
			return err
		}
	}
	if writeNix {
		if err := rewrite.WriteFile(fl.nixPath, o.newNix, fl.nixSrc); err != nil {
			return err
		}
		o.written = append(o.written, fl.nixPath)
	}
	if writeLock {
		if len(o.stale) > 0 {
			return fmt.Errorf("%s: not written: flake.nix declares inputs the lock does not have (%s); run `nix flake lock` instead",
				fl.lockPath, strings.Join(o.stale, ", "))
		}
		if err := rewrite.WriteFile(fl.lockPath, o.newLock, []byte(fl.lockSrc)); err != nil {
			if len(o.written) > 0 {
				return fmt.Errorf("%w (flake.nix was written; run `nix flake lock` to update the lock)", err)
			}
			return err
		}
		o.written = append(o.written, fl.lockPath)
	}
	return nil
}

// manualLines renders edits as the lines a user adds to the top-level
// attribute set of flake.nix by hand.
func manualLines(edits []rewrite.Edit) []string {
	var lines []string
	for _, e := range edits {
		switch e := e.(type) {
		case rewrite.AddInput:
			lines = append(lines, fmt.Sprintf("inputs.%s.url = %s;", nixAttrName(e.Name), nixString(e.URL)))
		case rewrite.AddFollows:
			var b strings.Builder
			for i, seg := range e.Path {
				if i > 0 {
					b.WriteString(".")
				}
				b.WriteString("inputs.")
				b.WriteString(nixAttrName(seg))
			}
			lines = append(lines, fmt.Sprintf("%s.follows = %s;", b.String(), nixString(e.Target)))
		}
	}
	return lines
}

func writeManualLines(w io.Writer, lines []string) {
	fmt.Fprintln(w, "# Add these lines to the top-level attribute set of flake.nix, after its inputs:")
	for _, l := range lines {
		fmt.Fprintln(w, "  "+l)
	}
}

// nixAttrName quotes an attribute name when it is not a plain identifier
// (or is a keyword).
func nixAttrName(s string) string {
	switch s {
	case "if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or", "":
		return nixString(s)
	}
	for i, r := range s {
		ok := r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') ||
			(i > 0 && (r >= '0' && r <= '9' || r == '\'' || r == '-'))
		if !ok {
			return nixString(s)
		}
	}
	return s
}

// nixString writes s as a double-quoted Nix string.
func nixString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "${", `\${`, "\n", `\n`, "\r", `\r`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}

// fixJSON is the --format json output of fix:
//
//	{
//	  "follows":    [{"input": "home-manager/nixpkgs", "follows": "nixpkgs"}],  // added by this run
//	  "promotions": [{"input": "B", "url": "github:o/b/<rev>", "from": "C/B"}],
//	  "held_back":  [{"input": "S/nixpkgs", "reason": "S/nixpkgs is on nixos-24.05", "needs_nix": ""}],
//	  "before":     {"nixpkgs": {"copies": 6, "revisions": 5}, "sources": {"github:nixos/nixpkgs": 6}},
//	  "after":      {"nixpkgs": {"copies": 2, "revisions": 2}, "sources": {"github:nixos/nixpkgs": 2}},
//	  "nix_version": {"target": "2.18", "source": "default"},
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
	Before     countsJSON      `json:"before"`
	After      countsJSON      `json:"after"`
	NixVersion nixVersionJSON  `json:"nix_version"`
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

type heldBackJSON struct {
	Input    string `json:"input"`
	Reason   string `json:"reason"`
	NeedsNix string `json:"needs_nix"`
}

type countsJSON struct {
	Nixpkgs nixpkgsCountJSON `json:"nixpkgs"`
	Sources map[string]int   `json:"sources"`
}

type nixpkgsCountJSON struct {
	Copies    int `json:"copies"`
	Revisions int `json:"revisions"`
}

type nixVersionJSON struct {
	Target string `json:"target"`
	Source string `json:"source"`
}

func (o *fixOutcome) json(fl *flake) fixJSON {
	out := fixJSON{
		Follows:    []followsJSON{},
		Promotions: []promotionJSON{},
		HeldBack:   []heldBackJSON{},
		Before:     countsJSON{nixpkgsCountJSON{o.before.Nixpkgs.Copies, o.before.Nixpkgs.Revisions}, map[string]int{}},
		After:      countsJSON{nixpkgsCountJSON{o.after.Nixpkgs.Copies, o.after.Nixpkgs.Revisions}, map[string]int{}},
		NixVersion: nixVersionJSON{o.settings.target.Version.String(), string(o.settings.target.Source)},
		Stale:      append([]string{}, o.stale...),
		Warnings:   append([]string{}, o.result.Warnings...),
		Diff:       o.diff,
		Written:    []string{},
	}
	for _, f := range o.result.Follows {
		out.Follows = append(out.Follows, followsJSON{strings.Join(f.Input, "/"), strings.Join(f.Target, "/")})
	}
	for _, p := range o.result.Promotions {
		out.Promotions = append(out.Promotions, promotionJSON{p.Name, promotionURL(o.result.Predicted, p), strings.Join(p.Path, "/")})
	}
	for _, h := range o.result.HeldBack {
		out.HeldBack = append(out.HeldBack, heldBackJSON{strings.Join(h.Path, "/"), h.Reason, h.NeedsNix})
	}
	for id, n := range o.result.Before {
		if n > 1 || o.result.After[id] > 1 {
			out.Before.Sources[id] = n
			out.After.Sources[id] = o.result.After[id]
		}
	}
	for _, w := range o.written {
		out.Written = append(out.Written, relToFlake(fl, w))
	}
	return out
}

// writeText prints the diff, then the summary:
//
//	nixpkgs: 6 copies → 2; 4 follows added; 1 held back:
//	  simple-nixos-mailserver/nixpkgs is on nixos-24.05
//	target: Nix 2.18 (default)
//	wrote flake.nix; run `nix flake lock` to update flake.lock
func (o *fixOutcome) writeText(w io.Writer, fl *flake, p palette) error {
	var b strings.Builder
	if o.diff != "" {
		b.WriteString(o.diff)
		b.WriteString("\n")
	}
	added := len(o.result.Follows)
	fmt.Fprintf(&b, "%s %s → %d; %s added",
		p.bold("nixpkgs:"), plural(o.before.Nixpkgs.Copies, "copy", "copies"), o.after.Nixpkgs.Copies,
		plural(added, "follows", "follows"))
	if n := len(o.result.Promotions); n > 0 {
		fmt.Fprintf(&b, "; %s", plural(n, "root input promoted", "root inputs promoted"))
	}
	switch len(o.result.HeldBack) {
	case 0:
		b.WriteString("\n")
	case 1:
		fmt.Fprintf(&b, "; 1 held back: %s\n", o.result.HeldBack[0].Reason)
	default:
		fmt.Fprintf(&b, "; %d held back:\n", len(o.result.HeldBack))
		for _, h := range o.result.HeldBack {
			fmt.Fprintf(&b, "  %s\n", h.Reason)
		}
	}
	if o.settings.policy.All {
		// Every other source that changed; nixpkgs has its line above.
		isNixpkgs := map[string]bool{}
		for _, g := range o.before.Groups {
			isNixpkgs[g.Source.ID] = g.Source.Nixpkgs
		}
		ids := make([]string, 0, len(o.result.Before))
		for id, n := range o.result.Before {
			if n > 1 && o.result.After[id] != n && !isNixpkgs[id] {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		for _, id := range ids {
			fmt.Fprintf(&b, "%s: %d → %d\n", id, o.result.Before[id], o.result.After[id])
		}
	}
	fmt.Fprintf(&b, "target: Nix %s (%s)\n", o.settings.target.Version, o.settings.target.Source)
	for _, w := range o.result.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	if len(o.stale) > 0 {
		fmt.Fprintf(&b, "note: flake.nix declares inputs flake.lock does not have yet (%s); run `nix flake lock`\n",
			strings.Join(o.stale, ", "))
	}
	switch {
	case len(o.written) > 0:
		names := make([]string, len(o.written))
		for i, w := range o.written {
			names[i] = relToFlake(fl, w)
		}
		fmt.Fprintf(&b, "wrote %s", strings.Join(names, " and "))
		if len(o.written) == 1 && names[0] == "flake.nix" {
			b.WriteString("; run `nix flake lock` to update flake.lock")
		}
		b.WriteString("\n")
	case o.diff == "" && len(o.result.Follows) == 0:
		b.WriteString("nothing to change\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// relToFlake names a file the way the summary shows it: relative to the
// flake directory.
func relToFlake(fl *flake, path string) string {
	switch path {
	case fl.nixPath:
		return "flake.nix"
	case fl.lockPath:
		return "flake.lock"
	}
	return path
}
