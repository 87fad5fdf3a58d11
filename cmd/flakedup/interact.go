package main

// Pieces of fix's terminal-facing output: the coloured diff and the
// questions of --interactive. Both only ever run on a terminal; on a pipe
// the diff is plain and --interactive is refused.

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/flakedup/flakedup/internal/flake"
	"github.com/flakedup/flakedup/lockgraph"
)

// colorDiff colours a unified diff the way git does: file headers bold,
// hunk headers cyan, removed lines red, added lines green. With colour off
// it returns diff unchanged.
func colorDiff(diff string, p palette) string {
	if !p.on || diff == "" {
		return diff
	}
	var b strings.Builder
	for _, line := range strings.SplitAfter(diff, "\n") {
		body := strings.TrimSuffix(line, "\n")
		nl := line[len(body):]
		switch {
		case strings.HasPrefix(body, "+++ "), strings.HasPrefix(body, "--- "):
			b.WriteString(p.bold(body))
		case strings.HasPrefix(body, "@@"):
			b.WriteString(p.wrap("36", body))
		case strings.HasPrefix(body, "+"):
			b.WriteString(p.green(body))
		case strings.HasPrefix(body, "-"):
			b.WriteString(p.wrap("31", body))
		default:
			b.WriteString(body)
		}
		b.WriteString(nl)
	}
	return b.String()
}

// question is one follows that --interactive offers: what it does, the
// line it adds to flake.nix, and why flakedup proposes it.
type question struct {
	What string // "hyprland/nixpkgs -> nixpkgs"
	Line string // `inputs.hyprland.inputs.nixpkgs.follows = "nixpkgs";`
	Why  string // "same branch (nixos-unstable) as the root's nixpkgs"
}

// ask puts each question to the user and returns which were accepted.
// Answers: y (yes), n (no), a (yes to this and every remaining one),
// q (no to this and every remaining one); an empty answer or anything
// else asks again. The end of input answers q, so a closed terminal never
// adds a follows nobody agreed to.
func ask(in io.Reader, out io.Writer, qs []question, p palette) ([]bool, error) {
	accepted := make([]bool, len(qs))
	r := bufio.NewReader(in)
	for i := 0; i < len(qs); i++ {
		q := qs[i]
		fmt.Fprintf(out, "%s (%d of %d)\n  %s\n", p.bold(q.What), i+1, len(qs), p.green("+ "+q.Line))
		if q.Why != "" {
			fmt.Fprintf(out, "  %s\n", p.dim("why: "+q.Why))
		}
		for {
			fmt.Fprint(out, "Add this follows? [y,n,a,q] ")
			answer, err := r.ReadString('\n')
			if err != nil && err != io.EOF {
				return nil, fmt.Errorf("reading the answer: %w", err)
			}
			if err == io.EOF && answer == "" {
				fmt.Fprintln(out)
				return accepted, nil
			}
			switch strings.ToLower(strings.TrimSpace(answer)) {
			case "y", "yes":
				accepted[i] = true
			case "n", "no":
			case "a", "all":
				for j := i; j < len(qs); j++ {
					accepted[j] = true
				}
				return accepted, nil
			case "q", "quit":
				return accepted, nil
			default:
				if err == io.EOF {
					fmt.Fprintln(out)
					return accepted, nil
				}
				fmt.Fprintln(out, "  y: add it, n: skip it, a: add it and all the rest, q: skip it and all the rest")
				continue
			}
			break
		}
	}
	return accepted, nil
}

// isTerminal reports whether f (a file, or a countingWriter around one)
// is a terminal.
func isTerminal(f any) bool {
	if c, ok := f.(*countingWriter); ok {
		f = c.w
	}
	file, ok := f.(*os.File)
	return ok && fileIsTerminal(file)
}

// followsQuestions turns the plan's follows into the questions of
// --interactive: the follows, its flake.nix line, and why it is proposed
// (the branch it keeps, or the branch it crosses).
func followsQuestions(o *flake.Outcome) []question {
	crossing := map[string]string{}
	for _, cb := range o.Result.CrossBranch {
		crossing[lockgraph.JoinPath(cb.Input)] = fmt.Sprintf("crosses a branch: %s is on %s, %s on %s", lockgraph.JoinPath(cb.Input), cb.From, cb.Target, cb.To)
	}
	branch := map[string]string{}
	for _, c := range o.Copies {
		branch[lockgraph.JoinPath(c.Path)] = branchText(c.Branch)
	}
	qs := make([]question, 0, len(o.Result.Follows))
	for _, f := range o.Result.Follows {
		in, target := lockgraph.JoinPath(f.Input), lockgraph.JoinPath(f.Target)
		why := crossing[in]
		if why == "" && branch[in] != "" {
			why = fmt.Sprintf("%s is on %s, as %s is", in, branch[in], target)
		}
		qs = append(qs, question{What: f.String(), Line: flake.FollowsLine(f.Input, target), Why: why})
	}
	return qs
}

// askFollows asks about each follows of o on the terminal and returns the
// input paths of those the user declined (as --ignore entries).
func askFollows(e *env, o *flake.Outcome) ([]string, error) {
	fmt.Fprintf(e.stdout, "%s:\n", o.Flake.NixPath)
	qs := followsQuestions(o)
	accepted, err := ask(e.stdin, e.stdout, qs, palette{on: useColor(e)})
	if err != nil {
		return nil, err
	}
	var declined []string
	for i, ok := range accepted {
		if !ok {
			declined = append(declined, lockgraph.JoinPath(o.Result.Follows[i].Input))
		}
	}
	return declined, nil
}
