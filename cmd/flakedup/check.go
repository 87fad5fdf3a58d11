package main

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
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
branch as a root input, under the same rules, planning flags and flakedup.toml) is a
violation. So is a flake.lock that does not reflect flake.nix (a declared follows or root
input it lacks, a root input flake.nix no longer declares): run ` + "`nix flake lock`" + `.
--max-copies takes a SOURCE as why does: a root input name (flake-parts), owner/repo, a
source ID (github:hercules-ci/flake-parts), an input path, or nixpkgs.

With --all (flag or flakedup.toml), a copy of any source that fix --all would collapse is
a violation too.

Several PATHs, or --recursive (every flake under each PATH), end the text with a total
line; under json they make one document, {"flakes": [...], "totals": {...}}.

Formats: text; json (the analyze schema plus "flake", "nix_version", "violations" and
"savings", what fix would save; a flake that cannot be read gets {"flake", "error",
"file", "line", "column", "manual_lines"}); github (workflow commands that annotate
flake.nix at the root input that pulls each copy in, with the follows line that fixes
it; one ::error at the position of a flake.nix that does not parse); markdown (a table
for $GITHUB_STEP_SUMMARY or a pull-request comment).

Examples:
   flakedup check                                   # any collapsible copy fails
   flakedup check --max-nixpkgs 2 --max-revisions 2
   flakedup check --max-copies flake-utils=1 hosts/a hosts/b
   flakedup check --cross-branch --ignore nixos-hardware   # the policy fix is run with
   # in a GitHub workflow step: annotate, write the job summary either way, keep the status
   flakedup check --format github; s=$?; flakedup check --format markdown >> "$GITHUB_STEP_SUMMARY"; exit $s`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "max-nixpkgs", Usage: "allowed nixpkgs copies (default: fail when any copy could follow the root's)"},
			&cli.StringSliceFlag{Name: "max-copies", Usage: "allowed copies of a source, as SOURCE=N (SOURCE as for why: flake-utils, numtide/flake-utils, github:numtide/flake-utils; repeatable)"},
			&cli.StringFlag{Name: "max-revisions", Usage: "allowed distinct nixpkgs revisions"},
			recursiveFlag(),
			formatFlag(formatText, formatJSON, formatGitHub, formatMarkdown),
		}, append(planFlags(), verifyFlags(false)...)...),
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
					if format != formatText {
						if werr := writeCheckError(e.stdout, format, paths[0], err, false); werr != nil {
							return badInput(werr)
						}
					}
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

// sourceLimit is one --max-copies: the SOURCE as given and its count.
type sourceLimit struct {
	flag   string // SOURCE=N as given
	source string // SOURCE, a why query (resolveLimits)
	max    int
}

// resolvedLimit is a sourceLimit read against one flake's lock: the source
// IDs its SOURCE names there.
type resolvedLimit struct {
	sourceLimit
	ids     map[string]bool
	nixpkgs bool // SOURCE is nixpkgs: every nixpkgs copy, forks included
}

// name is how messages name the limited source: its ID when SOURCE names
// exactly one, else SOURCE as given.
func (l resolvedLimit) name() string {
	if len(l.ids) == 1 && !l.nixpkgs {
		for id := range l.ids {
			return id
		}
	}
	return l.source
}

// covers reports whether the limit counts copies of the source.
func (l resolvedLimit) covers(src lockgraph.Source) bool {
	return l.ids[src.ID] || (l.nixpkgs && src.Nixpkgs)
}

// resolveLimits reads each --max-copies SOURCE against g the way why reads
// its query (matchQuery): a SOURCE that names nothing in the lock is an
// error that suggests the closest names, never a limit that silently holds.
// nixpkgs always resolves (a lock without nixpkgs has 0 copies of it).
func resolveLimits(g *lockgraph.Graph, lockPath string, limits []sourceLimit) ([]resolvedLimit, error) {
	if len(limits) == 0 {
		return nil, nil
	}
	byID, order := copiesBySource(g, lockgraph.Report{})
	var out []resolvedLimit
	for _, l := range limits {
		r := resolvedLimit{sourceLimit: l, ids: map[string]bool{}}
		if strings.EqualFold(strings.TrimSpace(l.source), "nixpkgs") {
			r.nixpkgs = true
			out = append(out, r)
			continue
		}
		key, ids := matchQuery(g, l.source, byID)
		switch {
		case key != "":
			r.ids[sourceKey(g, key)] = true
		case len(ids) > 0:
			r.ids = ids
		default:
			return nil, unknownQueryError(g, fmt.Sprintf("--max-copies %s: %q in %s", l.flag, l.source, lockPath), l.source, order)
		}
		out = append(out, r)
	}
	return out, nil
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
		if strings.TrimSpace(s[:i]) == "" {
			return l, fmt.Errorf("--max-copies %q: want SOURCE=N, e.g. flake-utils=1", s)
		}
		l.maxCopies = append(l.maxCopies, sourceLimit{flag: s, source: s[:i], max: n})
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
	ver        *verification // --verify, nil without it
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
	line     int    // line of the root input that pulls it in (0 when unknown)
	fix      string // the flake.nix line that collapses it, "" when none
	held     string // why fix leaves it alone, "" when it does not
	pending  bool   // a follows flake.nix declares removes it once re-locked
	limited  []int  // the indexes of the --max-copies limits (as resolved) that count it
}

// violation is one exceeded limit.
type violation struct {
	Rule    string `json:"rule"`   // stale-lock | collapsible | max-nixpkgs | max-revisions | max-copies
	Source  string `json:"source"` // the source ID the rule is about ("" for stale-lock)
	Limit   int    `json:"limit"`
	Actual  int    `json:"actual"`
	Message string `json:"message"`
	// Details are the positioned findings behind the violation (stale-lock:
	// flake.nix:15:39: inputs.a.inputs.nixpkgs.follows = "nixpkgs" is not in
	// flake.lock); never null.
	Details []string `json:"details"`
	limit   int      // max-copies: the index of its limit
}

// staleLockMessage is the stale-lock violation's message.
const staleLockMessage = "flake.lock is out of date with flake.nix: run `nix flake lock`"

// checkFlake loads one flake, plans as fix would, and evaluates the limits.
func checkFlake(c *cli.Context, e *env, arg string, limits checkLimits) (*checkReport, error) {
	var resolved []resolvedLimit
	out, settings, err := loadAndPlan(c, e, arg, flake.LoadOptions{ReadLock: e.readText}, true, func(s *fixSettings, fl *flake.Flake) error {
		var err error
		if resolved, err = resolveLimits(fl.Graph, fl.LockPath, limits.maxCopies); err != nil {
			return err
		}
		for _, l := range resolved {
			for id := range l.ids {
				s.sources = append(s.sources, id)
			}
		}
		sort.Strings(s.sources)
		return nil
	})
	if err != nil {
		return nil, err
	}
	ver, err := verifyOutcome(c, e, out)
	if err != nil {
		return nil, err
	}
	out = ver.outcome(out)
	rep := &checkReport{outcome: out, display: arg, report: out.Before, settings: settings, ver: ver}
	if rep.display == "" {
		rep.display = "."
	}
	rep.copies = checkCopies(out, resolved, settings.policy.All)

	if stale := out.Flake.StaleLock(); len(stale) > 0 {
		rep.violations = append(rep.violations, violation{
			Rule: "stale-lock", Actual: len(stale), Message: staleLockMessage, Details: stale,
		})
	}

	nix := out.Before.Nixpkgs
	collapsible := out.Counts().CouldFollow
	if limits.maxNixpkgs < 0 {
		if collapsible > 0 {
			rep.violations = append(rep.violations, violation{
				Rule: "collapsible", Source: "nixpkgs", Limit: nix.Copies - collapsible, Actual: nix.Copies,
				Message: fmt.Sprintf("%s of %d could follow the root's nixpkgs: run `%s`",
					plural(collapsible, "nixpkgs copy", "nixpkgs copies"), nix.Copies, fixCommandLine(c)),
			})
		}
	}
	if limits.maxNixpkgs < 0 && settings.policy.All {
		// fix --all also collapses the other sources: each with a copy it
		// would remove is a violation too.
		removed := map[string]int{} // per source, the copies the plan removes
		for i := range out.Copies {
			if cp := &out.Copies[i]; cp.Status == flake.Follow {
				removed[cp.Source.ID]++
			}
		}
		for _, id := range allCollapsible(out) {
			n, k := out.Result.Before[id], removed[id]
			rep.violations = append(rep.violations, violation{
				Rule: "collapsible", Source: id, Limit: n - k, Actual: n,
				Message: fmt.Sprintf("%s: %s of %d could follow a root input: run `%s`",
					id, plural(k, "copy", "copies"), n, fixCommandLine(c)),
			})
		}
	}
	if limits.maxNixpkgs >= 0 && nix.Copies > limits.maxNixpkgs {
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
	for k, sl := range resolved {
		n := 0
		for _, cp := range rep.copies {
			if slices.Contains(cp.limited, k) {
				n++
			}
		}
		if n > sl.max {
			rep.violations = append(rep.violations, violation{
				Rule: "max-copies", Source: sl.name(), Limit: sl.max, Actual: n, limit: k,
				Message: fmt.Sprintf("%s: %s, limit %d", sl.name(), plural(n, "copy", "copies"), sl.max),
			})
		}
	}
	rep.violations = append(rep.violations, ver.violations()...)
	for i := range rep.violations {
		if rep.violations[i].Details == nil {
			rep.violations[i].Details = []string{}
		}
	}
	return rep, nil
}

// allCollapsible lists, in ID order, the sources other than nixpkgs with
// a copy the plan removes (under --all).
func allCollapsible(out *flake.Outcome) []string {
	seen := map[string]bool{}
	var ids []string
	for _, cp := range out.Copies {
		if !cp.Source.Nixpkgs && cp.Status == flake.Follow && !seen[cp.Source.ID] {
			seen[cp.Source.ID] = true
			ids = append(ids, cp.Source.ID)
		}
	}
	sort.Strings(ids)
	return ids
}

// checkCopies lists the copies the report talks about: every nixpkgs copy
// and every copy of a source with a --max-copies limit, each with the line
// of its root input and the follows line that fix would add for it.
func checkCopies(out *flake.Outcome, limits []resolvedLimit, all bool) []checkCopy {
	collapsible := map[string]bool{}
	if all {
		for _, id := range allCollapsible(out) {
			collapsible[id] = true
		}
	}
	var copies []checkCopy
	for _, c := range out.Copies {
		var limited []int
		for k, l := range limits {
			if l.covers(c.Source) {
				limited = append(limited, k)
			}
		}
		if !c.Source.Nixpkgs && limited == nil && !collapsible[c.Source.ID] {
			continue
		}
		copies = append(copies, checkCopy{
			path: c.Path, source: c.Source.ID, nixpkgs: c.Source.Nixpkgs, declared: c.Status == flake.Root,
			branch: branchLabel(c.Branch), rev: shortRev(c.Rev), line: c.Line, fix: c.Fix, held: c.Reason,
			pending: c.Status == flake.Pending, limited: limited,
		})
	}
	return copies
}

// render writes the report in one format. sep is true for the second and
// later flakes of one run.
func (r *checkReport) render(w io.Writer, format string, p palette, sep bool) error {
	switch format {
	case formatJSON:
		return writeJSON(w, r.ver.json(r.json()))
	case formatGitHub:
		return r.writeGitHub(w)
	case formatMarkdown:
		if sep {
			fmt.Fprintln(w)
		}
		if err := r.writeMarkdown(w); err != nil {
			return err
		}
		return r.ver.writeMarkdown(w)
	}
	if sep {
		fmt.Fprintln(w)
	}
	if err := r.writeText(w, p); err != nil {
		return err
	}
	return r.ver.writeText(w)
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
		for _, d := range v.Details {
			fmt.Fprintf(&b, "    %s\n", d)
		}
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
// ::warning for the copies it holds back (one per reason) and for other
// copies of a source over its --max-copies limit (one per root input
// line and source), ::notice for the plan's summary lines and, with
// --verify, for each line of the verify section (what was evaluated, the
// follows held back for breaking it, the common revision). Copies that a
// follows already in flake.nix removes get none (the stale-lock violation
// says to re-lock). A copy whose root input line is unknown annotates the
// file without a line. The same command is never printed twice. Nothing is
// printed when the flake passes; a flake that cannot be read gets one
// ::error at the error's position (writeCheckError).
func (r *checkReport) writeGitHub(w io.Writer) error {
	if len(r.violations) == 0 {
		return nil
	}
	file := filepath.ToSlash(filepath.Clean(r.outcome.Flake.NixPath))
	var b strings.Builder
	for _, v := range r.violations {
		msg := v.Message
		if len(v.Details) > 0 {
			msg += " (" + strings.Join(v.Details, "; ") + ")"
		}
		fmt.Fprintf(&b, "::error title=%s::%s: %s\n", ghProp("flakedup check "+v.Rule), ghData(r.display), ghData(msg))
	}
	for _, l := range r.outcome.Summary().Lines() {
		fmt.Fprintf(&b, "::notice title=%s::%s\n", ghProp("flakedup plan"), ghData(strings.TrimSpace(l)))
	}
	for _, l := range r.ver.lines() {
		fmt.Fprintf(&b, "::notice title=%s::%s\n", ghProp("flakedup verify"), ghData(l))
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
		if cp.declared || cp.pending || (!cp.nixpkgs && !r.overLimit(cp) && cp.fix == "") {
			continue // pending copies: the stale-lock violation says to re-lock
		}
		a := &annotation{level: "warning", line: cp.line, fix: cp.fix, held: cp.held}
		key := fmt.Sprintf("copy %d %s", cp.line, cp.source)
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
		where := "file=" + ghProp(file)
		if a.line > 0 {
			where += fmt.Sprintf(",line=%d", a.line)
		}
		fmt.Fprintf(&b, "::%s %s,title=%s::%s\n", a.level, where,
			ghProp("duplicate "+sourceName(first)+": "+paths[0]), ghData(msg))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// overLimit reports whether a --max-copies limit that counts cp is
// exceeded.
func (r *checkReport) overLimit(cp checkCopy) bool {
	for _, v := range r.violations {
		if v.Rule == "max-copies" && slices.Contains(cp.limited, v.limit) {
			return true
		}
	}
	return false
}

// writeCheckError reports a flake that could not be checked (the message is
// on stderr already): under json, its document carries the error (the
// error document's keys, after "flake"); under github, one ::error at the
// error's position (file, line, col when it has them); under markdown, a
// failed heading with the message. Text has only the stderr line.
func writeCheckError(w io.Writer, format, arg string, err error, sep bool) error {
	if arg == "" {
		arg = "."
	}
	doc := errorDocument(err)
	switch format {
	case formatJSON:
		return writeJSON(w, checkErrorJSON{Flake: arg, errorDoc: doc})
	case formatGitHub:
		var props []string
		if doc.File != "" {
			props = append(props, "file="+ghProp(filepath.ToSlash(filepath.Clean(doc.File))))
			if doc.Line > 0 {
				props = append(props, fmt.Sprintf("line=%d", doc.Line))
				if doc.Column > 0 {
					props = append(props, fmt.Sprintf("col=%d", doc.Column))
				}
			}
		}
		props = append(props, "title="+ghProp("flakedup check"))
		msg := doc.Error
		if m := positionPrefix().FindStringSubmatch(msg); m != nil && doc.Line > 0 {
			msg = msg[len(m[0]):] // the position is in the properties
		}
		_, err := fmt.Fprintf(w, "::error %s::%s\n", strings.Join(props, ","), ghData(msg))
		return err
	case formatMarkdown:
		if sep {
			fmt.Fprintln(w)
		}
		_, err := fmt.Fprintf(w, "### ❌ flakedup check: `%s`\n\n%s\n", arg, mdEscape(doc.Error))
		return err
	}
	return nil
}

// checkErrorJSON is the document of a flake check could not read: "flake"
// and the error document (errorDoc) of the failure.
type checkErrorJSON struct {
	Flake string `json:"flake"`
	errorDoc
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
		plural(nix.Revisions, "revision", "revisions"), plural(shownBranches(r.outcome), "branch", "branches"))
	if len(r.violations) > 0 {
		for _, v := range r.violations {
			fmt.Fprintf(&b, "- %s\n", v.Message)
			for _, d := range v.Details {
				fmt.Fprintf(&b, "  - %s\n", mdEscape(d))
			}
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
			case cp.pending:
				fix = "follows in flake.nix: run `nix flake lock`"
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
