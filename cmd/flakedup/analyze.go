package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/flakedup/flakedup/internal/flake"
	"github.com/flakedup/flakedup/lockgraph"
)

// analyzeCommand is `flakedup analyze [PATH]`: it reports every duplicated
// source in a flake's lock, nixpkgs first in the headline.
func analyzeCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "analyze",
		Usage:     "report the duplicated nixpkgs copies (and other sources) in a flake's lock",
		ArgsUsage: "[PATH...]",
		Description: "PATH is a flake directory (default: the current one), its flake.nix, or a flake.lock file;\n" +
			"several PATHs, or --recursive (every flake under each PATH), report each flake and a total.\n" +
			"Revision ages are relative to now, or to " + nowEnv + " (RFC 3339 or YYYY-MM-DD) when set.\n\n" +
			"Examples:\n" +
			"   flakedup analyze                          # the flake in the current directory\n" +
			"   flakedup analyze ~/nixos-config/flake.lock\n" +
			"   flakedup analyze --verbose                # every copy, not the first 20 per source\n" +
			"   flakedup analyze --cross-branch           # what fix --cross-branch would do\n" +
			"   flakedup analyze --format json | jq '.nixpkgs.copies'\n\n" +
			"nixpkgs comes first, with every copy (forks included), then the other sources with more than\n" +
			"one copy; each lists at most 20 copies unless --verbose (JSON always has every copy). The\n" +
			"planning flags are fix's: \"could follow the root\" is what fix would do with the same flags.",
		Flags: append([]cli.Flag{
			recursiveFlag(),
			formatFlag(formatText, formatJSON),
			&cli.BoolFlag{Name: "verbose", Usage: "list every copy of every source (default: at most 20 per source)"},
		}, planFlags()...),
		Action: func(c *cli.Context) error {
			format, err := outputFormat(c, formatText, formatJSON)
			if err != nil {
				return err
			}
			clock, err := now(e)
			if err != nil {
				return err
			}
			paths, multi, err := flakePaths(c)
			if err != nil {
				return err
			}
			if multi {
				return writeMulti(c, e, "analyze", format, analyzeResults(c, e, paths, format, clock))
			}
			out, _, err := loadAndPlan(c, e, paths[0], flake.LoadOptions{ReadLock: e.readText}, false, nil)
			if err != nil {
				return badInput(err)
			}
			warnUnreadFlakeNix(e, out.Flake)
			sv := measuredSavings(c, e, paths[0], out)
			if format == formatJSON {
				doc := analyzeJSON(out)
				doc.Savings = savingsJSONOf(sv)
				return writeAnalyzeJSON(e.stdout, doc)
			}
			if err := writeAnalyzeText(e.stdout, out, clock, palette{on: useColor(e)}, c.Bool("verbose")); err != nil {
				return err
			}
			if saves(sv) {
				_, err = fmt.Fprintf(e.stdout, "fix would save: %s\n", savingsLine(sv))
			}
			return err
		},
	}
}

// loadLock reads and parses the lock that PATH names: a flake directory
// ("" means "."), its flake.nix (the lock beside it is read) or a lock file
// of any name. It returns the lock's path as shown in
// messages. Errors name that path and are one line.
// A large lock is mapped rather than read (env.readText).
func loadLock(e *env, arg string) (*lockgraph.Graph, string, error) {
	g, lockPath, _, err := loadLockText(arg, e.readText)
	return g, lockPath, err
}

// loadLockText is loadLock that reads the file with read and also returns
// its text, for the commands that may write the lock back (fix compares it
// with the file before replacing it, so it reads a private copy: a mapping
// would follow a change made in place).
func loadLockText(arg string, read func(path string) (string, error)) (*lockgraph.Graph, string, string, error) {
	if arg == "" {
		arg = "."
	}
	lockPath := arg
	if info, err := os.Stat(arg); err == nil && info.IsDir() {
		lockPath = filepath.Join(arg, "flake.lock")
	} else if filepath.Base(arg) == "flake.nix" {
		// Every command takes the flake's flake.nix too; the lock is beside it.
		lockPath = filepath.Join(filepath.Dir(arg), "flake.lock")
	}
	text, err := read(lockPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, lockPath, "", fmt.Errorf("%s: no such file (run `nix flake lock` to create it, or pass the flake directory)", lockPath)
	case err != nil:
		return nil, lockPath, "", fmt.Errorf("%s: %w", lockPath, unwrapPathError(err))
	}
	g, err := lockgraph.LoadString(text)
	if err != nil {
		return nil, lockPath, "", fmt.Errorf("%s: %w", lockPath, err)
	}
	return g, lockPath, text, nil
}

// unwrapPathError drops the "open PATH:" prefix of an *fs.PathError, whose
// path the caller already names.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// maxShownCopies is how many copies of one source analyze lists without
// --verbose: about a screen.
const maxShownCopies = 20

// analyzeSection is one source's part of the text report: nixpkgs (every
// copy, of upstream and of forks) first, then each other duplicated source.
// A section of another source refers to its group's copies rather than
// copying them: without --verbose the report shows 20 of them.
type analyzeSection struct {
	heading string
	nix     []analyzeCopy    // the nixpkgs section's copies
	group   []lockgraph.Copy // another source's copies
	// pending holds the keys of the copies a follows flake.nix declares
	// removes once Nix re-locks (nil when there are none).
	pending map[string]bool
}

// len counts the section's copies.
func (s *analyzeSection) len() int {
	if s.group != nil {
		return len(s.group)
	}
	return len(s.nix)
}

// at returns the section's k-th copy.
func (s *analyzeSection) at(k int) analyzeCopy {
	if s.group != nil {
		c := &s.group[k]
		return analyzeCopy{Copy: c, pending: s.pending[c.Key]}
	}
	c := s.nix[k]
	c.pending = s.pending[c.Key]
	return c
}

// analyzeCopy is a copy as the text report lists it.
type analyzeCopy struct {
	*lockgraph.Copy
	// source marks a copy of a nixpkgs section with several sources that
	// is not of upstream nixpkgs: "fork github:o/nixpkgs", or the source ID.
	source string
	// pending: a follows flake.nix declares removes the copy once Nix
	// re-locks.
	pending bool
}

// analyzeSections orders the report: one nixpkgs section with every nixpkgs
// copy (the lock's groups of nixpkgs sources and the copies that are the
// only one of their source, forks marked), so that its copies are the
// headline's; then the other duplicated sources, most copies first.
func analyzeSections(out *flake.Outcome) []analyzeSection {
	rep := out.Before
	var pending map[string]bool
	for _, c := range out.Copies {
		if c.Status == flake.Pending {
			if pending == nil {
				pending = map[string]bool{}
			}
			pending[c.Key] = true
		}
	}
	var nix []analyzeCopy
	sourceOf := map[string]lockgraph.Source{}
	grouped := map[string]bool{}
	var sections []analyzeSection
	for gi := range rep.Groups {
		g := &rep.Groups[gi]
		if !g.Source.Nixpkgs {
			sections = append(sections, analyzeSection{heading: groupHeading(*g), group: g.Copies, pending: pending})
			continue
		}
		grouped[g.Source.ID] = true
		for j := range g.Copies {
			nix = append(nix, analyzeCopy{Copy: &g.Copies[j]})
			sourceOf[g.Copies[j].Key] = g.Source
		}
	}
	// Nixpkgs copies that are the only copy of their source are in no group.
	g := out.Flake.Graph
	var paths map[string]lockgraph.NodePaths
	for _, c := range out.Copies {
		if !c.Source.Nixpkgs || grouped[c.Source.ID] {
			continue
		}
		if paths == nil {
			paths = g.Paths()
		}
		cp := nodeCopy(g.Nodes[c.Key], paths[c.Key], c.Status == flake.Root)
		cp.CouldFollowRoot = c.Status == flake.Follow
		cp.Samples = g.SamplePaths(c.Key, lockgraph.SamplePathLimit)
		nix = append(nix, analyzeCopy{Copy: &cp})
		sourceOf[c.Key] = c.Source
	}
	if len(nix) == 0 {
		return sections
	}
	ids := map[string]bool{}
	for _, src := range sourceOf {
		ids[src.ID] = true
	}
	var heading string
	if len(ids) == 1 {
		src := sourceOf[nix[0].Key]
		heading = groupHeading(lockgraph.Group{Source: src, Revisions: rep.Nixpkgs.Revisions, Copies: make([]lockgraph.Copy, len(nix))})
	} else {
		forks := 0
		for _, src := range sourceOf {
			if src.Fork && ids[src.ID] {
				ids[src.ID] = false // counted
				forks++
			}
		}
		what := plural(len(ids), "source", "sources")
		if forks > 0 {
			what += ", " + plural(forks, "fork", "forks")
		}
		heading = fmt.Sprintf("nixpkgs (%s): %s, %s", what,
			plural(len(nix), "copy", "copies"), plural(rep.Nixpkgs.Revisions, "revision", "revisions"))
		for i := range nix {
			switch src := sourceOf[nix[i].Key]; {
			case src.Fork:
				nix[i].source = "fork " + src.ID
			case src.ID != upstreamNixpkgs:
				nix[i].source = src.ID
			}
		}
		sort.SliceStable(nix, func(i, j int) bool { return copyBefore(*nix[i].Copy, *nix[j].Copy) })
	}
	return append([]analyzeSection{{heading: heading, nix: nix, pending: pending}}, sections...)
}

// upstreamNixpkgs is the source ID of every copy of upstream nixpkgs.
const upstreamNixpkgs = "github:nixos/nixpkgs"

// copyBefore orders copies as a group's are: root inputs first, then by
// path, shorter first, then segment by segment in byte order.
func copyBefore(a, b lockgraph.Copy) bool {
	if a.Declared != b.Declared {
		return a.Declared
	}
	if len(a.Path) != len(b.Path) {
		return len(a.Path) < len(b.Path)
	}
	for k := range a.Path {
		if a.Path[k] != b.Path[k] {
			return a.Path[k] < b.Path[k]
		}
	}
	return false
}

// shownBranches counts the distinct branches the nixpkgs section shows,
// the number the headline gives: each ref as written (nixos-unstable and
// nixpkgs-unstable are two; a FlakeHub version is its branch), each pinned
// revision, and the default branch.
func shownBranches(out *flake.Outcome) int {
	// Keyed by what the report shows for it (branchText without its
	// FlakeHub version: "branch <ref>", "pinned to <rev>", "default
	// branch"), without building the text for every copy.
	type shown struct {
		kind  byte // 'b' branch, 'p' pinned, 'd' default
		value string
	}
	seen := map[shown]bool{}
	for i := range out.Copies {
		c := &out.Copies[i]
		if !c.Source.Nixpkgs {
			continue
		}
		switch b := c.Branch; {
		case b.Ref != "":
			seen[shown{'b', b.Ref}] = true
		case b.Rev != "":
			seen[shown{'p', shortRev(b.Rev)}] = true
		default:
			seen[shown{'d', ""}] = true
		}
	}
	return len(seen)
}

// writeAnalyzeText renders the text report:
//
//	nixpkgs: 6 copies, 4 revisions, 3 branches; 3 could follow the root
//	15 nodes; 3 sources have more than one copy
//
//	github:nixos/nixpkgs (nixpkgs): 6 copies, 4 revisions
//	  nixpkgs (root input)
//	    branch nixos-unstable, rev 1a2b3c4, 2024-05-01, 210 days old
//	  hyprland/nixpkgs (could follow the root)
//	    also via hyprland/aquamarine/nixpkgs, hyprland/hyprutils/nixpkgs and 3 more
//	    branch nixos-unstable, rev 9f8e7d6, 2024-04-12, 229 days old
//	  … and 2 more (--verbose)
//	...
//
//	Run `flakedup fix` to make 3 copies follow the root's nixpkgs.
//
//	following this flake's convention: everything follows nixpkgs
//	1 follows crosses a branch: a/nixpkgs: nixos-unstable → nixpkgs (nixos-25.11)
//
//	1 held back:
//	  b/nixpkgs is on nixos-24.05, and no root input is: ...
//
// nixpkgs comes first, with every copy the headline counts (forks marked
// "fork" when the section has several sources), then the other duplicated
// sources. Without verbose each source lists at most maxShownCopies copies
// (root inputs first) and says how many more there are. The "Run" line
// appears only when some nixpkgs copy could follow the root, the held-back
// lines only when the plan holds some copy back (held are their reasons,
// as fix and check print them), the stale-lock lines only when flake.lock
// does not reflect flake.nix (flake.Flake.StaleLock; check fails then).
func writeAnalyzeText(w io.Writer, out *flake.Outcome, clock time.Time, p palette, verbose bool) error {
	rep := out.Before
	// Stream the report: on a big lock with --verbose it runs to megabytes.
	b := bufio.NewWriterSize(w, 64<<10)
	b.WriteString(p.bold(nixpkgsHeadline(rep.Nixpkgs, shownBranches(out))) + "\n")
	fmt.Fprintf(b, "%s; %s\n", plural(rep.Nodes, "node", "nodes"), duplicatedLine(len(rep.Groups)))
	var line []byte // reused: a big lock has hundreds of thousands of lines
	for _, sec := range analyzeSections(out) {
		b.WriteString("\n" + p.bold(sec.heading) + "\n")
		shown := sec.len()
		if !verbose && shown > maxShownCopies {
			shown = maxShownCopies
		}
		for k := range shown {
			c := sec.at(k)
			line = appendPath(append(line[:0], "  "...), c.Path)
			switch {
			case c.Declared:
				line = append(append(line, ' '), p.green("(root input)")...)
			case c.CouldFollowRoot:
				line = append(append(line, ' '), p.yellow("(could follow the root)")...)
			case c.pending:
				line = append(append(line, ' '), p.yellow("(follows in flake.nix, not locked yet)")...)
			}
			if c.source != "" {
				line = append(append(line, ' '), p.dim("("+c.source+")")...)
			}
			line = append(line, '\n')
			if also := alsoReached(*c.Copy); also != "" {
				line = append(append(append(line, "    "...), p.dim(also)...), '\n')
			}
			line = append(append(line, "    "...), branchText(c.Branch)...)
			line = append(appendRevision(append(line, ", "...), *c.Copy, clock), '\n')
			b.Write(line)
		}
		if more := sec.len() - shown; more > 0 {
			fmt.Fprintf(b, "  %s\n", p.dim(fmt.Sprintf("… and %d more (--verbose)", more)))
		}
	}
	if n := rep.Nixpkgs.CouldFollowRoot; n > 0 {
		fmt.Fprintf(b, "\n%s\n", p.yellow(fmt.Sprintf("Run `flakedup fix` to make %s follow the root's nixpkgs.",
			plural(n, "copy", "copies"))))
	}
	if summary := out.Summary().Lines(); len(summary) > 0 {
		b.WriteString("\n")
		for _, l := range summary {
			b.WriteString(l + "\n")
		}
	}
	if held := heldReasons(out); len(held) > 0 {
		fmt.Fprintf(b, "\n%d held back:\n", len(held))
		for _, r := range held {
			fmt.Fprintf(b, "  %s\n", r)
		}
	}
	if stale := out.Flake.StaleLock(); len(stale) > 0 {
		fmt.Fprintf(b, "\n%s:\n", p.yellow(staleLockMessage))
		for _, l := range stale {
			fmt.Fprintf(b, "  %s\n", l)
		}
	}
	if err := b.Flush(); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}

// nixpkgsHeadline is the first line of the report; branches counts the
// branches the report shows (shownBranches).
func nixpkgsHeadline(s lockgraph.NixpkgsSummary, branches int) string {
	if s.Copies == 0 {
		return "nixpkgs: no copies"
	}
	line := fmt.Sprintf("nixpkgs: %s, %s, %s", plural(s.Copies, "copy", "copies"),
		plural(s.Revisions, "revision", "revisions"), plural(branches, "branch", "branches"))
	if !s.RootDeclared {
		return line + "; the root declares none"
	}
	return line + fmt.Sprintf("; %d could follow the root", s.CouldFollowRoot)
}

// duplicatedLine says how many sources have more than one copy.
func duplicatedLine(groups int) string {
	switch groups {
	case 0:
		return "no source has more than one copy"
	case 1:
		return "1 source has more than one copy"
	}
	return fmt.Sprintf("%d sources have more than one copy", groups)
}

// groupHeading names a duplicated source and counts its copies.
func groupHeading(g lockgraph.Group) string {
	name := g.Source.ID
	switch {
	case g.Source.Fork:
		name += " (nixpkgs fork)"
	case g.Source.Nixpkgs:
		name += " (nixpkgs)"
	}
	return fmt.Sprintf("%s: %s, %s", name, plural(len(g.Copies), "copy", "copies"),
		plural(g.Revisions, "revision", "revisions"))
}

// alsoReached lists the sample paths other than the canonical one, and how
// many more paths reach the copy; "" when the canonical path is the only one.
func alsoReached(c lockgraph.Copy) string {
	if c.PathCount <= 1 && !c.Saturated {
		return "" // the canonical path is the only one
	}
	canonical := lockgraph.JoinPath(c.Path)
	var others []string
	for _, s := range c.Samples {
		if p := lockgraph.JoinPath(s); p != canonical {
			others = append(others, p)
		}
	}
	shown := uint64(len(others)) + 1
	var more string
	switch {
	case c.Saturated:
		more = "more than can be counted"
	case c.PathCount > shown:
		more = fmt.Sprintf("%d more", c.PathCount-shown)
	}
	switch {
	case len(others) == 0 && more == "":
		return ""
	case len(others) == 0 && c.Saturated:
		return "also via " + more
	case len(others) == 0:
		return "also via " + more + " paths"
	case more == "":
		return "also via " + strings.Join(others, ", ")
	}
	return "also via " + strings.Join(others, ", ") + " and " + more
}

// branchText describes the branch a copy tracks: by its name, with the
// FlakeHub version that stands for it ("branch nixpkgs-unstable (FlakeHub
// 0.1)"), or the FlakeHub version alone when it names no branch.
func branchText(b lockgraph.Branch) string {
	switch {
	case b.Version != "" && b.Ref == b.Version:
		return "FlakeHub version " + b.Version
	case b.Version != "":
		// A pinned version carries its rev ("0.2505.811770+rev-78e34d1...");
		// the rev is shown on its own.
		v, _, _ := strings.Cut(b.Version, "+")
		return "branch " + b.Ref + " (FlakeHub " + v + ")"
	case b.Ref == "" && b.Rev != "":
		return "pinned to " + shortRev(b.Rev)
	case b.Ref == "":
		return "default branch"
	case b.Class != lockgraph.ClassRolling && b.Class != b.Ref && !strings.Contains(b.Ref, b.Class):
		return "branch " + b.Ref + " (" + b.Class + ")"
	}
	return "branch " + b.Ref
}

// revisionText describes the locked revision and its age on the clock.
func revisionText(c lockgraph.Copy, clock time.Time) string {
	return string(appendRevision(nil, c, clock))
}

// appendRevision appends revisionText(c, clock) to buf.
func appendRevision(buf []byte, c lockgraph.Copy, clock time.Time) []byte {
	switch {
	case c.Rev != "":
		buf = append(append(buf, "rev "...), c.ShortRev()...)
	case c.NarHash != "":
		buf = append(append(buf, "narHash "...), shortHash(c.NarHash)...)
	default:
		buf = append(buf, "no rev"...)
	}
	if c.LastModified.IsZero() {
		return buf
	}
	buf = c.LastModified.AppendFormat(append(buf, ", "...), "2006-01-02")
	if days := int(clock.Sub(c.LastModified).Hours() / 24); days >= 0 {
		buf = strconv.AppendInt(append(buf, ", "...), int64(days), 10)
		if days == 1 {
			buf = append(buf, " day old"...)
		} else {
			buf = append(buf, " days old"...)
		}
	}
	return buf
}

// appendPath appends lockgraph.JoinPath(path) to buf.
func appendPath(buf []byte, path []string) []byte {
	for i, seg := range path {
		if i > 0 {
			buf = append(buf, '/')
		}
		buf = append(buf, seg...)
	}
	return buf
}

// shortRev shortens a git rev to 7 characters.
func shortRev(rev string) string {
	if len(rev) > 7 {
		return rev[:7]
	}
	return rev
}

// shortHash shortens an SRI hash to its algorithm and first 7 characters.
func shortHash(h string) string {
	algo, digest, ok := strings.Cut(h, "-")
	if !ok || len(digest) <= 7 {
		return h
	}
	return algo + "-" + digest[:7]
}

// analyzeOutput is the JSON document `flakedup analyze --format json`
// writes. The schema is stable: fields are only ever added, and keys come
// out in this order.
//
//	{
//	  "nodes": 15,                      // nodes reachable from the root, root excluded
//	  "nixpkgs": {
//	    "copies": 6,                    // reachable nixpkgs nodes, forks included
//	    "revisions": 4,                 // distinct locked revs (narHash without a rev)
//	    "branches": 2,                  // distinct branch classes (text counts the refs it shows)
//	    "root_declares_nixpkgs": true,  // the root has a nixpkgs input
//	    "could_follow_root": 3,         // copies the follows `flakedup fix` adds would remove
//	    "pending": 0,                   // copies follows already in flake.nix remove once re-locked
//	    "held_back": 1                  // copies the plan leaves in place (fix lists the reasons)
//	  },
//	  "groups": [                       // sources with more than one copy, most copies first
//	    {
//	      "source": "github:nixos/nixpkgs",
//	      "nixpkgs": true,
//	      "fork": false,
//	      "revisions": 4,
//	      "copies": [                   // root inputs first, then by path
//	        {
//	          "path": "home-manager/nixpkgs",   // canonical input path
//	          "path_count": 3,                  // input paths reaching the copy
//	          "path_count_saturated": false,    // true: path_count is a lower bound
//	          "sample_paths": ["home-manager/nixpkgs", "stylix/home-manager/nixpkgs"],
//	          "declared_by_root": false,
//	          "could_follow_root": true,        // a follows `flakedup fix` adds removes it
//	          "branch": "rolling",              // rolling, YY.MM, pinned:<rev>, or the ref
//	          "ref": "nixos-unstable",          // as written, "" when none
//	          "rev": "1a2b3c4d...",             // full locked rev, "" when none
//	          "nar_hash": "sha256-...",
//	          "last_modified": "2024-05-01"     // UTC date, "" when unknown
//	        }
//	      ]
//	    }
//	  ],
//	  "plan": {                         // what `flakedup fix` plans
//	    "convention": "",               // e.g. "following this flake's convention: everything follows nixpkgs"
//	    "cross_branch": [],             // planned follows that cross a branch
//	    "held_back": [{"input": "b/nixpkgs", "reason": "...", "needs_nix": ""}]  // nixpkgs copies left in place
//	  },
//	  "savings": {"copies_removed": 3, "revisions_removed": 2, "download_bytes": 0,  // what fix would save
//	              "download_known": false, "download": "unknown (not in the local store)"}
//	}
type analyzeOutput struct {
	Nodes   int              `json:"nodes"`
	Nixpkgs nixpkgsOutput    `json:"nixpkgs"`
	Groups  []analyzeGroupJS `json:"groups"`
	Plan    planOutput       `json:"plan"`
	Savings savingsJSON      `json:"savings"`
}

// planOutput is the "plan" object of analyzeOutput: what `flakedup fix`
// (with the same flakedup.toml) plans, in the words every command uses.
type planOutput struct {
	Convention string         `json:"convention"`
	Crossings  []string       `json:"cross_branch"`
	HeldBack   []heldBackJSON `json:"held_back"`
}

// nixpkgsOutput is the "nixpkgs" object of analyzeOutput.
type nixpkgsOutput struct {
	Copies          int  `json:"copies"`
	Revisions       int  `json:"revisions"`
	Branches        int  `json:"branches"`
	RootDeclared    bool `json:"root_declares_nixpkgs"`
	CouldFollowRoot int  `json:"could_follow_root"`
	Pending         int  `json:"pending"`
	HeldBack        int  `json:"held_back"`
}

// analyzeGroupJS is one element of analyzeOutput.Groups.
type analyzeGroupJS struct {
	Source    string          `json:"source"`
	Nixpkgs   bool            `json:"nixpkgs"`
	Fork      bool            `json:"fork"`
	Revisions int             `json:"revisions"`
	Copies    []analyzeCopyJS `json:"copies"`
}

// analyzeCopyJS is one copy of a group.
type analyzeCopyJS struct {
	Path         string   `json:"path"`
	PathCount    uint64   `json:"path_count"`
	Saturated    bool     `json:"path_count_saturated"`
	SamplePaths  []string `json:"sample_paths"`
	Declared     bool     `json:"declared_by_root"`
	CouldFollow  bool     `json:"could_follow_root"`
	Branch       string   `json:"branch"`
	Ref          string   `json:"ref"`
	Rev          string   `json:"rev"`
	NarHash      string   `json:"nar_hash"`
	LastModified string   `json:"last_modified"`
}

// analyzeJSON converts a plan's report and counts to the analyze document.
func analyzeJSON(o *flake.Outcome) analyzeOutput {
	rep, counts := o.Before, o.Counts()
	sum := o.Summary()
	plan := planOutput{Convention: sum.Convention, Crossings: sum.Crossings, HeldBack: []heldBackJSON{}}
	for _, c := range o.Copies {
		if c.Status == flake.Held && c.Source.Nixpkgs {
			plan.HeldBack = append(plan.HeldBack, heldBackJSON{lockgraph.JoinPath(c.Path), c.Reason, c.NeedsNix})
		}
	}
	out := analyzeOutput{
		Plan:  plan,
		Nodes: rep.Nodes,
		Nixpkgs: nixpkgsOutput{
			Copies:          rep.Nixpkgs.Copies,
			Revisions:       rep.Nixpkgs.Revisions,
			Branches:        rep.Nixpkgs.Branches,
			RootDeclared:    rep.Nixpkgs.RootDeclared,
			CouldFollowRoot: rep.Nixpkgs.CouldFollowRoot,
			Pending:         counts.Pending,
			HeldBack:        counts.HeldBack,
		},
		Groups: make([]analyzeGroupJS, 0, len(rep.Groups)),
	}
	for _, g := range rep.Groups {
		jg := analyzeGroupJS{
			Source:    g.Source.ID,
			Nixpkgs:   g.Source.Nixpkgs,
			Fork:      g.Source.Fork,
			Revisions: g.Revisions,
			Copies:    make([]analyzeCopyJS, len(g.Copies)),
		}
		// The group's paths and dates are written into one buffer and
		// become one string, its sample lists one slice: a big lock has
		// hundreds of thousands of copies, and a string each would be as
		// many allocations.
		var text []byte
		type span struct{ lo, hi int }
		spans := make([]span, 0, 3*len(g.Copies))
		nsamples := 0
		for _, c := range g.Copies {
			lo := len(text)
			text = appendPath(text, c.Path)
			spans = append(spans, span{lo, len(text)})
			for _, smp := range c.Samples {
				lo := len(text)
				text = appendPath(text, smp)
				spans = append(spans, span{lo, len(text)})
			}
			lo = len(text)
			if !c.LastModified.IsZero() {
				text = c.LastModified.AppendFormat(text, "2006-01-02")
			}
			spans = append(spans, span{lo, len(text)})
			nsamples += len(c.Samples)
		}
		all := string(text)
		samples := make([]string, nsamples)
		k := 0
		next := func() string { sp := spans[k]; k++; return all[sp.lo:sp.hi] }
		for j := range g.Copies {
			c := &g.Copies[j]
			path := next()
			smp := samples[:len(c.Samples):len(c.Samples)]
			samples = samples[len(c.Samples):]
			for i := range smp {
				smp[i] = next()
			}
			jg.Copies[j] = analyzeCopyJS{
				Path:         path,
				PathCount:    c.PathCount,
				Saturated:    c.Saturated,
				SamplePaths:  smp,
				Declared:     c.Declared,
				CouldFollow:  c.CouldFollowRoot,
				Branch:       c.Branch.Class,
				Ref:          c.Branch.Ref,
				Rev:          c.Rev,
				NarHash:      c.NarHash,
				LastModified: next(),
			}
		}
		out.Groups = append(out.Groups, jg)
	}
	return out
}

// writeAnalyzeJSON writes doc exactly as writeJSON would, but one copy at a
// time through a buffered writer: a report on a big lock (35 MB of JSON for
// 100,000 nodes) is never held in memory as text, let alone twice. The
// skeleton is written here; every value inside it goes through the same
// encoder settings as writeJSON's.
func writeAnalyzeJSON(w io.Writer, doc analyzeOutput) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	// value returns v encoded as it would be at this depth of the document,
	// without the encoder's trailing newline.
	value := func(indent string, v any) ([]byte, error) {
		buf.Reset()
		enc.SetIndent(indent, "  ")
		if err := enc.Encode(v); err != nil {
			return nil, fmt.Errorf("encoding JSON: %w", err)
		}
		return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
	}
	nixpkgs, err := value("  ", doc.Nixpkgs)
	if err != nil {
		return err
	}
	fmt.Fprintf(bw, "{\n  \"nodes\": %d,\n  \"nixpkgs\": %s,\n  \"groups\": [", doc.Nodes, nixpkgs)
	for i, g := range doc.Groups {
		if i > 0 {
			bw.WriteString(",")
		}
		source, err := value("", g.Source)
		if err != nil {
			return err
		}
		fmt.Fprintf(bw, "\n    {\n      \"source\": %s,\n      \"nixpkgs\": %t,\n      \"fork\": %t,\n"+
			"      \"revisions\": %d,\n      \"copies\": [", source, g.Nixpkgs, g.Fork, g.Revisions)
		for j, c := range g.Copies {
			if j > 0 {
				bw.WriteString(",")
			}
			bw.WriteString("\n        ")
			if err := writeCopyJSON(bw, c, value); err != nil {
				return err
			}
		}
		if len(g.Copies) > 0 {
			bw.WriteString("\n      ")
		}
		bw.WriteString("]\n    }")
	}
	if len(doc.Groups) > 0 {
		bw.WriteString("\n  ")
	}
	plan, err := value("  ", doc.Plan)
	if err != nil {
		return err
	}
	fmt.Fprintf(bw, "],\n  \"plan\": %s,\n", plan)
	savings, err := value("  ", doc.Savings)
	if err != nil {
		return err
	}
	fmt.Fprintf(bw, "  \"savings\": %s\n}\n", savings)
	// A bufio.Writer keeps its first write error and returns it here.
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}

// writeCopyJSON writes one copy as the encoder would at the depth of a
// group's "copies" (8 spaces), field by field in the order of
// analyzeCopyJS: encoding/json's reflection was most of the time a big
// report took. Strings that are printable ASCII without '"' or '\\' (paths,
// revs, hashes, dates) are written as they are; any other string goes
// through encode, so escaping stays exactly encoding/json's.
func writeCopyJSON(bw *bufio.Writer, c analyzeCopyJS, encode func(indent string, v any) ([]byte, error)) error {
	var err error
	str := func(s string) {
		if err != nil {
			return
		}
		if isPlainASCII(s) {
			bw.WriteByte('"')
			bw.WriteString(s)
			bw.WriteByte('"')
			return
		}
		var b []byte
		if b, err = encode("", s); err == nil {
			bw.Write(b)
		}
	}
	const field = "\n          "
	bw.WriteString("{" + field + `"path": `)
	str(c.Path)
	// strconv rather than fmt: a big lock has hundreds of thousands of copies.
	var num [24]byte
	bw.WriteString("," + field + `"path_count": `)
	bw.Write(strconv.AppendUint(num[:0], c.PathCount, 10))
	bw.WriteString("," + field + `"path_count_saturated": ` + strconv.FormatBool(c.Saturated) +
		"," + field + `"sample_paths": `)
	if c.SamplePaths == nil {
		bw.WriteString("null")
	} else {
		bw.WriteByte('[')
	}
	for i, p := range c.SamplePaths {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString(field + "  ")
		str(p)
	}
	if len(c.SamplePaths) > 0 {
		bw.WriteString(field)
	}
	if c.SamplePaths != nil {
		bw.WriteByte(']')
	}
	bw.WriteString("," + field + `"declared_by_root": ` + strconv.FormatBool(c.Declared) +
		"," + field + `"could_follow_root": ` + strconv.FormatBool(c.CouldFollow) + "," + field + `"branch": `)
	for _, f := range []struct{ name, value string }{
		{"", c.Branch}, {"ref", c.Ref}, {"rev", c.Rev}, {"nar_hash", c.NarHash}, {"last_modified", c.LastModified},
	} {
		if f.name != "" {
			bw.WriteString("," + field + `"` + f.name + `": `)
		}
		str(f.value)
	}
	bw.WriteString("\n        }")
	return err
}

// isPlainASCII reports whether encoding/json writes s as it is between
// quotes: printable ASCII without '"' or '\\'. (With HTML escaping off,
// '<', '>' and '&' are written as they are too.)
func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// heldReasons are the reasons of the nixpkgs copies the plan holds back, in
// copy order (each reason names its copy).
func heldReasons(out *flake.Outcome) []string {
	var reasons []string
	for _, c := range out.Copies {
		if c.Status == flake.Held && c.Source.Nixpkgs {
			reasons = append(reasons, c.Reason)
		}
	}
	return reasons
}

// warnUnreadFlakeNix warns on stderr, for the commands that need only the
// lock (analyze, why), that flake.nix is there but could not be read: the
// plan behind "could follow" then knows nothing it declares. A missing
// flake.nix (a bare lock) is no warning.
func warnUnreadFlakeNix(e *env, fl *flake.Flake) {
	err := fl.Refusal()
	if err == nil {
		err = fl.NixErr // computed inputs: Nix reads them, flakedup cannot
	}
	if err != nil && !errors.Is(err, flake.ErrNoFlakeNix) {
		fmt.Fprintf(e.stderr, "flakedup: warning: %s (flake.nix is not read: the counts come from flake.lock alone)\n", oneLine(err.Error()))
	}
}
