package main

// Several flakes in one run: `fix`, `check` and `analyze` take several
// PATHs, and --recursive (-r) searches each PATH for flake directories
// (internal/discover). With one flake the commands print what they always
// printed; with several, the text output gives each flake its section and
// ends with a total line, and --format json is ONE document:
//
//	{
//	  "flakes": [ {"flake": "hosts/a", ...the command's per-flake document...},
//	              {"flake": "hosts/b", "error": "...", "file": ..., ...the error document...} ],
//	  "totals": {"flakes": 2, "failed": 1, "nixpkgs": {"before": 6, "after": 2},
//	             "follows_added": 4, "violations": 0, "savings": {...}}
//	}
//
// The exit code is the worst of the flakes' (2 over 1 over 0).

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/flakedup/flakedup/internal/discover"
	"github.com/flakedup/flakedup/internal/flake"
	"github.com/flakedup/flakedup/internal/savings"
)

// recursiveFlag is --recursive (-r) of fix, check and analyze.
func recursiveFlag() *cli.BoolFlag {
	return &cli.BoolFlag{Name: "recursive", Aliases: []string{"r"},
		Usage: "run on every flake under each PATH (skipping .git, node_modules, result* and what .gitignore ignores)"}
}

// flakePaths returns the flakes the command runs on: the PATHs as given
// ("." when there is none) or, with --recursive, every flake directory
// under each of them. multi is true when the run is a multi-flake run (more
// than one PATH, or --recursive), whose output has totals.
func flakePaths(c *cli.Context) (paths []string, multi bool, err error) {
	args := c.Args().Slice()
	if len(args) == 0 {
		args = []string{"."}
	}
	if !c.Bool("recursive") {
		return args, len(args) > 1, nil
	}
	for _, root := range args {
		found, err := discover.Flakes(root)
		if err != nil {
			return nil, true, badInput(fmt.Errorf("--recursive: %w", err))
		}
		if len(found) == 0 {
			return nil, true, badInput(fmt.Errorf("--recursive: %s: no flake.nix under it", root))
		}
		paths = append(paths, found...)
	}
	return paths, true, nil
}

// flakeResult is what one flake of a multi-flake run contributes.
type flakeResult struct {
	path string
	// err is set when the flake failed (exit 2): its entry is the error
	// document.
	err error
	// code is the flake's exit code when it did not fail (0 or 1).
	code int
	// doc is the per-flake JSON document.
	doc any
	// text is the per-flake text output.
	text string
	// nixBefore and nixAfter count nixpkgs copies before and after (for
	// check and analyze: after what fix would do); follows counts the
	// follows added (fix) or that fix would add; violations counts
	// check's violations.
	nixBefore, nixAfter, follows, violations int
	// savings is what fix saves (or would), measured by finishAll.
	savings savings.Savings
	// finish renders text and doc once savings is measured; an error
	// fails the flake.
	finish func(sv savings.Savings) (text string, doc any, err error)
}

// finishAll measures the savings of every flake that did not fail with
// one store query, then renders each.
func finishAll(c *cli.Context, e *env, results []flakeResult) {
	var all []*savings.Savings
	for i := range results {
		if results[i].err == nil {
			all = append(all, &results[i].savings)
		}
	}
	if err := savings.MeasureAll(c.Context, "", all); err != nil {
		// The sizes stay unknown ("unknown (not in the local store)").
		fmt.Fprintf(e.stderr, "flakedup: warning: measuring the download avoided: %s\n", oneLine(err.Error()))
	}
	for i := range results {
		r := &results[i]
		if r.err != nil || r.finish == nil {
			continue
		}
		r.text, r.doc, r.err = r.finish(r.savings)
	}
}

// multiJSON is the one document of a multi-flake run under --format json.
type multiJSON struct {
	Flakes []any      `json:"flakes"`
	Totals totalsJSON `json:"totals"`
}

// totalsJSON sums a multi-flake run.
type totalsJSON struct {
	Flakes       int         `json:"flakes"`
	Failed       int         `json:"failed"`
	Nixpkgs      beforeAfter `json:"nixpkgs"`
	FollowsAdded int         `json:"follows_added"`
	Violations   int         `json:"violations"`
	Savings      savingsJSON `json:"savings"`
}

type beforeAfter struct {
	Before int `json:"before"`
	After  int `json:"after"`
}

// savingsJSON is savings.Savings in JSON: what collapsing the copies
// saves. download_bytes is what the local store reported (a lower bound
// when download_known is false); download is the sentence the text shows.
type savingsJSON struct {
	CopiesRemoved    int    `json:"copies_removed"`
	RevisionsRemoved int    `json:"revisions_removed"`
	DownloadBytes    int64  `json:"download_bytes"`
	DownloadKnown    bool   `json:"download_known"`
	Download         string `json:"download"`
}

func savingsJSONOf(s savings.Savings) savingsJSON {
	return savingsJSON{s.CopiesRemoved(), s.RevisionsRemoved(), s.Bytes, s.DownloadKnown(), s.Download()}
}

// savingsLine is the text form: "4 copies and 3 revisions removed;
// download avoided: 40.1 MB".
func savingsLine(s savings.Savings) string {
	return fmt.Sprintf("%s and %s removed; download avoided: %s",
		plural(s.CopiesRemoved(), "copy", "copies"), plural(s.RevisionsRemoved(), "revision", "revisions"), s.Download())
}

// entryDoc is what multiJSON lists for r.
func (r flakeResult) entryDoc() any {
	if r.err != nil {
		return struct {
			Flake string `json:"flake"`
			errorDoc
		}{r.path, errorDocument(r.err)}
	}
	return r.doc
}

// writeMulti prints the results of a multi-flake run of command (fix,
// check or analyze) and returns the worst exit code as an error (nil when
// every flake passed). Text sections are separated by a blank line and
// failures go to stderr as one line each; the total line ends the text.
func writeMulti(c *cli.Context, e *env, command, format string, results []flakeResult) error {
	finishAll(c, e, results)
	worst := exitOK
	tot := totalsJSON{Flakes: len(results)}
	var sv savings.Savings
	for _, r := range results {
		switch {
		case r.err != nil:
			worst = exitBadUsed
			tot.Failed++
			continue
		case r.code > worst:
			worst = r.code
		}
		tot.Nixpkgs.Before += r.nixBefore
		tot.Nixpkgs.After += r.nixAfter
		tot.FollowsAdded += r.follows
		tot.Violations += r.violations
		sv = sv.Add(r.savings)
	}
	tot.Savings = savingsJSONOf(sv)
	switch format {
	case formatJSON:
		doc := multiJSON{Flakes: []any{}, Totals: tot}
		for _, r := range results {
			doc.Flakes = append(doc.Flakes, r.entryDoc())
		}
		for _, r := range results {
			if r.err != nil {
				fmt.Fprintf(e.stderr, "flakedup: %s\n", oneLine(r.err.Error()))
			}
		}
		if err := writeJSON(e.stdout, doc); err != nil {
			return badInput(err)
		}
	default:
		var b strings.Builder
		for i, r := range results {
			if r.err != nil {
				fmt.Fprintf(e.stderr, "flakedup: %s\n", oneLine(r.err.Error()))
			}
			if r.text == "" {
				continue
			}
			if i > 0 && b.Len() > 0 && format != formatGitHub {
				b.WriteString("\n")
			}
			b.WriteString(r.text)
		}
		if format == formatText {
			if b.Len() > 0 {
				b.WriteString("\n")
			}
			b.WriteString(totalLine(command, tot) + "\n")
			if saves(sv) {
				lead := "savings: "
				if command != "fix" {
					lead = "fix would save: "
				}
				b.WriteString(lead + savingsLine(sv) + "\n")
			}
		}
		if _, err := io.WriteString(e.stdout, b.String()); err != nil {
			return badInput(err)
		}
	}
	if worst != exitOK {
		return &exitError{code: worst}
	}
	return nil
}

// totalLine is the last line of a multi-flake text run:
//
//	4 flakes: nixpkgs 61 copies → 14; 47 follows added; 1 flake failed          (fix)
//	4 flakes: nixpkgs 61 copies (14 after fix); 2 violations; 1 flake failed  (check)
//	4 flakes: nixpkgs 61 copies (14 after fix); 1 flake failed                (analyze)
func totalLine(command string, t totalsJSON) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: nixpkgs %s", plural(t.Flakes, "flake", "flakes"), plural(t.Nixpkgs.Before, "copy", "copies"))
	switch command {
	case "fix":
		fmt.Fprintf(&b, " → %d; %s added", t.Nixpkgs.After, plural(t.FollowsAdded, "follows", "follows"))
	default:
		fmt.Fprintf(&b, " (%d after fix)", t.Nixpkgs.After)
	}
	if command == "check" {
		fmt.Fprintf(&b, "; %s", plural(t.Violations, "violation", "violations"))
	}
	if t.Failed > 0 {
		fmt.Fprintf(&b, "; %s failed", plural(t.Failed, "flake", "flakes"))
	}
	return b.String()
}

// checkResults checks each flake of a multi-flake `check`. A flake's text
// (or github, markdown) report is rendered as a single run renders it; its
// JSON entry is check's per-flake document plus "savings", what fix would
// save.
func checkResults(c *cli.Context, e *env, paths []string, limits checkLimits, format string, p palette) []flakeResult {
	results := make([]flakeResult, 0, len(paths))
	for _, path := range paths {
		r := flakeResult{path: path}
		rep, err := checkFlake(c, e, path, limits)
		if err != nil {
			r.err = badInput(err)
			if format == formatGitHub || format == formatMarkdown {
				var b strings.Builder
				if werr := writeCheckError(&b, format, path, err, false); werr == nil {
					r.text = b.String()
				}
			}
			results = append(results, r)
			continue
		}
		out := rep.outcome
		r.savings = out.Savings()
		r.nixBefore, r.nixAfter, r.follows, r.violations = out.Before.Nixpkgs.Copies, out.After.Copies, len(out.Result.Follows), len(rep.violations)
		if len(rep.violations) > 0 {
			r.code = exitFailed
		}
		r.finish = func(sv savings.Savings) (string, any, error) {
			if format == formatJSON {
				return "", checkJSONWithSavings(rep, sv), nil
			}
			var b strings.Builder
			if err := rep.render(&b, format, p, false); err != nil {
				return "", nil, badInput(err)
			}
			if format == formatText && len(rep.violations) > 0 && saves(sv) {
				b.WriteString("  fix would save: " + savingsLine(sv) + "\n")
			}
			return b.String(), nil, nil
		}
		results = append(results, r)
	}
	return results
}

// analyzeResults analyzes each flake of a multi-flake `analyze`: the text
// report under a "flake PATH:" heading, the JSON entry the analyze
// document with "flake" first.
func analyzeResults(c *cli.Context, e *env, paths []string, format string, clock time.Time) []flakeResult {
	p := palette{on: useColor(e)}
	results := make([]flakeResult, 0, len(paths))
	for _, path := range paths {
		r := flakeResult{path: path}
		out, _, err := loadAndPlan(c, e, path, flake.LoadOptions{ReadLock: e.readText}, false, nil)
		if err != nil {
			r.err = badInput(err)
			results = append(results, r)
			continue
		}
		warnUnreadFlakeNix(e, out.Flake)
		r.savings = out.Savings()
		r.nixBefore, r.nixAfter, r.follows = out.Before.Nixpkgs.Copies, out.After.Copies, len(out.Result.Follows)
		r.finish = func(sv savings.Savings) (string, any, error) {
			if format == formatJSON {
				doc := analyzeJSON(out)
				doc.Savings = savingsJSONOf(sv)
				return "", struct {
					Flake string `json:"flake"`
					analyzeOutput
				}{path, doc}, nil
			}
			var b strings.Builder
			b.WriteString(p.bold("flake "+path+":") + "\n")
			if err := writeAnalyzeText(&b, out, clock, p, c.Bool("verbose")); err != nil {
				return "", nil, badInput(err)
			}
			if saves(sv) {
				b.WriteString("fix would save: " + savingsLine(sv) + "\n")
			}
			return b.String(), nil, nil
		}
		results = append(results, r)
	}
	return results
}

// measuredSavings compares out's lock with the predicted one and measures
// the download avoided in the local store; a failure to measure is a
// warning (the sizes stay unknown), never an error of the flake.
func measuredSavings(c *cli.Context, e *env, path string, out *flake.Outcome) savings.Savings {
	sv := out.Savings()
	if err := sv.Measure(c.Context, ""); err != nil {
		fmt.Fprintf(e.stderr, "flakedup: warning: %s: measuring the download avoided: %s\n", path, oneLine(err.Error()))
	}
	return sv
}

// saves reports whether s removes anything (then the savings line is
// shown).
func saves(s savings.Savings) bool { return s.CopiesRemoved() > 0 || s.RevisionsRemoved() > 0 }

// checkJSONWithSavings is check's per-flake JSON document with "savings"
// (what fix would save) filled in.
func checkJSONWithSavings(rep *checkReport, sv savings.Savings) any {
	doc := rep.json()
	doc.Savings = savingsJSONOf(sv)
	return rep.ver.json(doc)
}
