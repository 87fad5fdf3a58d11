package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/flakedup/flakedup/internal/flake"
	"github.com/flakedup/flakedup/lockgraph"
)

// Formats of `flakedup check`.
const (
	formatGitHub   = "github"
	formatMarkdown = "markdown"
)

// checkCommand is `flakedup check [PATH...]`, the CI gate: exit 1 when a
// flake's lock is over its limits.
func checkCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "check",
		Usage:     "fail (exit 1) when a flake's lock carries more copies than allowed",
		ArgsUsage: "[PATH...]",
		Description: `Checks one or more flakes (directories, or their flake.nix or flake.lock; default:
the current directory) and exits 0 when every limit holds, 1 when any is exceeded
(every violation is reported, not just the first), 2 on bad input.

Without --max-nixpkgs, a nixpkgs copy that ` + "`flakedup fix`" + ` could collapse (same source and
branch as a root input, under the same rules and flakedup.toml) is a violation.

Several PATHs, or --recursive (every flake under each PATH), end the text with a total
line; under json they make one document, {"flakes": [...], "totals": {...}}.

Formats: text; json (the analyze schema plus "flake", "nix_version", "violations" and
"savings", what fix would save); github (workflow commands that annotate flake.nix at
the root input that pulls each copy in, with the follows line that fixes it);
markdown (a table for $GITHUB_STEP_SUMMARY or a pull-request comment).

Examples:
   flakedup check                                   # any collapsible copy fails
   flakedup check --max-nixpkgs 2 --max-revisions 2
   flakedup check --max-copies github:numtide/flake-utils=1 hosts/a hosts/b
   flakedup check --format github && flakedup check --format markdown >> "$GITHUB_STEP_SUMMARY"`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "max-nixpkgs", Usage: "allowed nixpkgs copies (default: fail when any copy could follow the root's)"},
			&cli.StringSliceFlag{Name: "max-copies", Usage: "allowed copies of a source, as SOURCE=N (e.g. github:numtide/flake-utils=1; repeatable)"},
			&cli.StringFlag{Name: "max-revisions", Usage: "allowed distinct nixpkgs revisions"},
			&cli.StringFlag{Name: "nix-version", Usage: "the Nix that will lock the flake (as for fix)"},
			recursiveFlag(),
			formatFlag(formatText, formatJSON, formatGitHub, formatMarkdown),
		},
		Action: func(c *cli.Context) error {
			format, err := outputFormat(c, formatText, formatJSON, formatGitHub, formatMarkdown)
			if err != nil {
				return err
			}
			limits, err := checkLimitsFrom(c)
			if err != nil {
				return badInput(err)
			}
			paths, multi, err := flakePaths(c)
			if err != nil {
				return err
			}
			p := palette{on: useColor(e)}
			if !multi {
				rep, err := checkFlake(c, e, paths[0], limits)
				if err != nil {
					return badInput(err)
				}
				switch format {
				case formatJSON:
					sv := measuredSavings(c, e, paths[0], rep.outcome)
					if err := writeJSON(e.stdout, checkJSONWithSavings(rep, sv)); err != nil {
						return badInput(err)
					}
				default:
					if err := rep.render(e.stdout, format, p, false); err != nil {
						return badInput(err)
					}
					if format == formatText && len(rep.violations) > 0 {
						if sv := measuredSavings(c, e, paths[0], rep.outcome); saves(sv) {
							fmt.Fprintf(e.stdout, "  fix would save: %s\n", savingsLine(sv))
						}
					}
				}
				if len(rep.violations) > 0 {
					return failed()
				}
				return nil
			}
			return writeMulti(c, e, "check", format, checkResults(c, e, paths, limits, format, p))
		},
	}
}

// checkLimits are the limits given on the command line.
type checkLimits struct {
	maxNixpkgs   int // -1: not given (then collapsible copies fail)
	maxRevisions int // -1: not given
	maxCopies    []sourceLimit
}

type sourceLimit struct {
	source string // a source ID, lower-cased, or "nixpkgs"
	max    int
}

func checkLimitsFrom(c *cli.Context) (checkLimits, error) {
	l := checkLimits{maxNixpkgs: -1, maxRevisions: -1}
	var err error
	if l.maxNixpkgs, err = optionalCount(c, "max-nixpkgs"); err != nil {
		return l, err
	}
	if l.maxRevisions, err = optionalCount(c, "max-revisions"); err != nil {
		return l, err
	}
	for _, s := range c.StringSlice("max-copies") {
		i := strings.LastIndex(s, "=")
		if i <= 0 {
			return l, fmt.Errorf("--max-copies %q: want SOURCE=N, e.g. github:numtide/flake-utils=1", s)
		}
		n, err := strconv.Atoi(s[i+1:])
		if err != nil || n < 0 {
			return l, fmt.Errorf("--max-copies %q: %q is not a count", s, s[i+1:])
		}
		l.maxCopies = append(l.maxCopies, sourceLimit{strings.ToLower(s[:i]), n})
	}
	return l, nil
}

func optionalCount(c *cli.Context, flag string) (int, error) {
	if !c.IsSet(flag) {
		return -1, nil
	}
	n, err := strconv.Atoi(c.String(flag))
	if err != nil || n < 0 {
		return -1, fmt.Errorf("--%s %q: want a count (0 or more)", flag, c.String(flag))
	}
	return n, nil
}

// checkReport is the outcome of checking one flake.
type checkReport struct {
	outcome    *flake.Outcome
	display    string // the flake directory as given
	report     lockgraph.Report
	settings   fixSettings
	copies     []checkCopy // nixpkgs copies and copies of limited sources, by path
	violations []violation
}

// checkCopy is one copy of a checked source, with where it comes from in
// flake.nix and what would fix it.
type checkCopy struct {
	path     []string
	source   string
	nixpkgs  bool
	declared bool // the root's own input
	branch   string
	rev      string
	line     int    // line of the root input that pulls it in (1 when unknown)
	fix      string // the flake.nix line that collapses it, "" when none
	held     string // why fix leaves it alone, "" when it does not
}

// violation is one exceeded limit.
type violation struct {
	Rule    string `json:"rule"`   // collapsible | max-nixpkgs | max-revisions | max-copies
	Source  string `json:"source"` // the source ID the rule is about
	Limit   int    `json:"limit"`
	Actual  int    `json:"actual"`
	Message string `json:"message"`
}

// checkFlake loads one flake, plans as fix would, and evaluates the limits.
func checkFlake(c *cli.Context, e *env, arg string, limits checkLimits) (*checkReport, error) {
	out, settings, err := loadAndPlan(c, e, arg, flake.LoadOptions{ReadLock: e.readText}, true, func(s *fixSettings) {
		s.policy.Promote, s.policy.Deep = false, false
		for _, sl := range limits.maxCopies {
			s.sources = append(s.sources, sl.source)
		}
	})
	if err != nil {
		return nil, err
	}
	rep := &checkReport{outcome: out, display: arg, report: out.Before, settings: settings}
	if rep.display == "" {
		rep.display = "."
	}
	rep.copies = checkCopies(out, limits)

	nix := out.Before.Nixpkgs
	collapsible := out.Counts().CouldFollow
	if limits.maxNixpkgs < 0 {
		if collapsible > 0 {
			rep.violations = append(rep.violations, violation{
				Rule: "collapsible", Source: "nixpkgs", Limit: nix.Copies - collapsible, Actual: nix.Copies,
				Message: fmt.Sprintf("%s of %d could follow the root's nixpkgs: run `flakedup fix`",
					plural(collapsible, "nixpkgs copy", "nixpkgs copies"), nix.Copies),
			})
		}
	} else if nix.Copies > limits.maxNixpkgs {
		rep.violations = append(rep.violations, violation{
			Rule: "max-nixpkgs", Source: "nixpkgs", Limit: limits.maxNixpkgs, Actual: nix.Copies,
			Message: fmt.Sprintf("%s, limit %d", plural(nix.Copies, "nixpkgs copy", "nixpkgs copies"), limits.maxNixpkgs),
		})
	}
	if limits.maxRevisions >= 0 && nix.Revisions > limits.maxRevisions {
		rep.violations = append(rep.violations, violation{
			Rule: "max-revisions", Source: "nixpkgs", Limit: limits.maxRevisions, Actual: nix.Revisions,
			Message: fmt.Sprintf("%s, limit %d", plural(nix.Revisions, "nixpkgs revision", "nixpkgs revisions"), limits.maxRevisions),
		})
	}
	for _, sl := range limits.maxCopies {
		n := 0
		for _, cp := range rep.copies {
			if cp.source == sl.source || (sl.source == "nixpkgs" && cp.nixpkgs) {
				n++
			}
		}
		if n > sl.max {
			rep.violations = append(rep.violations, violation{
				Rule: "max-copies", Source: sl.source, Limit: sl.max, Actual: n,
				Message: fmt.Sprintf("%s: %s, limit %d", sl.source, plural(n, "copy", "copies"), sl.max),
			})
		}
	}
	return rep, nil
}

// checkCopies lists the copies the report talks about: every nixpkgs copy
// and every copy of a source with a --max-copies limit, each with the line
// of its root input and the follows line that fix would add for it.
func checkCopies(out *flake.Outcome, limits checkLimits) []checkCopy {
	limited := map[string]bool{}
	for _, sl := range limits.maxCopies {
		limited[sl.source] = true
	}
	var copies []checkCopy
	for _, c := range out.Copies {
		if !c.Source.Nixpkgs && !limited[c.Source.ID] {
			continue
		}
		cp := checkCopy{
			path: c.Path, source: c.Source.ID, nixpkgs: c.Source.Nixpkgs, declared: c.Status == flake.Root,
			branch: branchLabel(c.Branch), rev: shortRev(c.Rev), line: c.Line, fix: c.Fix, held: c.Reason,
		}
		if cp.line == 0 {
			cp.line = 1
		}
		copies = append(copies, cp)
	}
	return copies
}

// render writes the report in one format. sep is true for the second and
// later flakes of one run.
func (r *checkReport) render(w io.Writer, format string, p palette, sep bool) error {
	switch format {
	case formatJSON:
		return writeJSON(w, r.json())
	case formatGitHub:
		return r.writeGitHub(w)
	case formatMarkdown:
		if sep {
			fmt.Fprintln(w)
		}
		return r.writeMarkdown(w)
	}
	if sep {
		fmt.Fprintln(w)
	}
	return r.writeText(w, p)
}

func (r *checkReport) writeText(w io.Writer, p palette) error {
	var b strings.Builder
	nix := r.report.Nixpkgs
	status := p.green("ok")
	if len(r.violations) > 0 {
		status = p.yellow("FAIL")
	}
	fmt.Fprintf(&b, "%s %s: nixpkgs: %s, %s\n", status, r.display,
		plural(nix.Copies, "copy", "copies"), plural(nix.Revisions, "revision", "revisions"))
	for _, v := range r.violations {
		fmt.Fprintf(&b, "  %s\n", v.Message)
	}
	if len(r.violations) > 0 {
		fmt.Fprintf(&b, "  %s\n", p.dim(fmt.Sprintf("(fixes planned for Nix %s, from %s)",
			r.settings.target.Version, r.settings.target.Source)))
		for _, l := range r.outcome.Summary().Lines() {
			fmt.Fprintf(&b, "  %s\n", l)
		}
		for _, cp := range r.copies {
			switch {
			case cp.declared:
			case cp.fix != "":
				fmt.Fprintf(&b, "  %s: add %s\n", lockgraph.JoinPath(cp.path), cp.fix)
			case cp.held != "":
				fmt.Fprintf(&b, "  %s: held back (%s)\n", lockgraph.JoinPath(cp.path), cp.held)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeGitHub prints, when the flake fails, one ::error per exceeded
// limit (on the job), then workflow commands that annotate flake.nix at the
// line of the root input that pulls each copy in: ::error for what `flakedup
// fix` would change (one per follows line, listing the copies it removes),
// ::warning for the copies it leaves (one per reason), ::notice for the
// plan's summary lines. The same command is never printed twice. Nothing is
// printed when the flake passes.
func (r *checkReport) writeGitHub(w io.Writer) error {
	if len(r.violations) == 0 {
		return nil
	}
	file := filepath.ToSlash(filepath.Clean(r.outcome.Flake.NixPath))
	var b strings.Builder
	for _, v := range r.violations {
		fmt.Fprintf(&b, "::error title=%s::%s: %s\n", ghProp("flakedup check "+v.Rule), ghData(r.display), ghData(v.Message))
	}
	for _, l := range r.outcome.Summary().Lines() {
		fmt.Fprintf(&b, "::notice title=%s::%s\n", ghProp("flakedup plan"), ghData(strings.TrimSpace(l)))
	}
	// annotation is one workflow command about the copies that share it.
	type annotation struct {
		level, title, fix, held string
		line                    int
		copies                  []checkCopy
	}
	var order []*annotation
	byKey := map[string]*annotation{}
	for _, cp := range r.copies {
		if cp.declared || (!cp.nixpkgs && !r.limits(cp.source)) {
			continue
		}
		a := &annotation{level: "warning", line: cp.line, fix: cp.fix, held: cp.held}
		key := "copy " + lockgraph.JoinPath(cp.path)
		switch {
		case cp.fix != "":
			a.level, key = "error", "fix "+cp.fix
		case cp.held != "":
			key = "held " + cp.held
		}
		if prev, ok := byKey[key]; ok {
			prev.copies = append(prev.copies, cp)
			continue
		}
		a.copies = []checkCopy{cp}
		byKey[key] = a
		order = append(order, a)
	}
	for _, a := range order {
		first := a.copies[0]
		var paths []string
		for _, cp := range a.copies {
			paths = append(paths, lockgraph.JoinPath(cp.path))
		}
		what := fmt.Sprintf("%s is another copy of %s (%s, %s)", paths[0], sourceName(first), first.branch, first.rev)
		if len(paths) > 1 {
			what = fmt.Sprintf("%s are other copies of %s", strings.Join(paths, ", "), sourceName(first))
		}
		var msg string
		switch {
		case a.fix != "":
			msg = fmt.Sprintf("%s. Add to flake.nix: %s", what, a.fix)
		case a.held != "":
			msg = fmt.Sprintf("%s, held back: %s", what, a.held)
		default:
			msg = what
		}
		fmt.Fprintf(&b, "::%s file=%s,line=%d,title=%s::%s\n", a.level, ghProp(file), a.line,
			ghProp("duplicate "+sourceName(first)+": "+paths[0]), ghData(msg))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *checkReport) limits(source string) bool {
	for _, v := range r.violations {
		if v.Source == source {
			return true
		}
	}
	return false
}

func sourceName(cp checkCopy) string {
	if cp.nixpkgs {
		return "nixpkgs"
	}
	return cp.source
}

// ghData escapes a workflow command's message; ghProp also escapes the
// characters that end a property.
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func ghProp(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

func (r *checkReport) writeMarkdown(w io.Writer) error {
	var b strings.Builder
	nix := r.report.Nixpkgs
	mark := "✅"
	if len(r.violations) > 0 {
		mark = "❌"
	}
	fmt.Fprintf(&b, "### %s flakedup check: `%s`\n\n", mark, r.display)
	fmt.Fprintf(&b, "nixpkgs: **%s**, %s, %s.\n\n", plural(nix.Copies, "copy", "copies"),
		plural(nix.Revisions, "revision", "revisions"), plural(nix.Branches, "branch", "branches"))
	if len(r.violations) > 0 {
		for _, v := range r.violations {
			fmt.Fprintf(&b, "- %s\n", v.Message)
		}
		for _, l := range r.outcome.Summary().Lines() {
			if strings.HasPrefix(l, "  ") {
				fmt.Fprintf(&b, "  - %s\n", mdEscape(strings.TrimSpace(l)))
			} else {
				fmt.Fprintf(&b, "- %s\n", mdEscape(l))
			}
		}
		b.WriteString("\n")
	}
	if len(r.copies) > 0 {
		b.WriteString("| Copy | Source | Branch | Rev | Fix |\n|---|---|---|---|---|\n")
		for _, cp := range r.copies {
			fix := "root input"
			switch {
			case cp.fix != "":
				fix = "`" + cp.fix + "`"
			case cp.held != "":
				fix = "held back: " + mdEscape(cp.held)
			case !cp.declared:
				fix = "—"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | `%s` | %s |\n", lockgraph.JoinPath(cp.path), mdEscape(cp.source),
				mdEscape(cp.branch), cp.rev, fix)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdEscape keeps text from breaking a markdown table cell.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "*", `\*`, "_", `\_`).Replace(s)
}

// branchLabel is the branch as written (the ref), or the class when the
// flake reference names none.
func branchLabel(b lockgraph.Branch) string {
	if b.Ref != "" {
		return b.Ref
	}
	if b.Class == lockgraph.ClassRolling {
		return "default branch"
	}
	return b.Class
}

// checkJSON is one flake's document in `check --format json`: the analyze
// schema, plus "flake" (the PATH as given), "nix_version" and "violations"
// (empty when the flake is within its limits).
type checkJSON struct {
	Flake string `json:"flake"`
	analyzeOutput
	NixVersion nixVersionJSON `json:"nix_version"`
	Violations []violation    `json:"violations"`
}

func (r *checkReport) json() checkJSON {
	out := checkJSON{
		Flake:         r.display,
		analyzeOutput: analyzeJSON(r.outcome),
		NixVersion:    nixVersionJSON{r.settings.target.Version.String(), string(r.settings.target.Source)},
		Violations:    append([]violation{}, r.violations...),
	}
	return out
}
