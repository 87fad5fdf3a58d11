package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/nixversion"
)

// readmeMarker introduces a README block whose content a test regenerates:
//
//	<!-- output of: [VAR=value ...] flakedup ARGS... [in a copy of DIR] -->
//	```
//	$ <the command as shown to the reader>
//	<stdout of the command>
//	[$ echo $?
//	<exit code>]
//	```
//
// The command runs in-process from the repository's top directory, or, with
// "in a copy of DIR", inside a fresh copy of DIR (so fix may write). VARs are
// the environment the command sees (FLAKEDUP_NOW sets the clock ages are
// counted from); nothing else of the test's environment reaches it, and no
// nix is detected (the target Nix comes from the arguments or the default).
//
// A block introduced by `<!-- same as: PATH -->` instead shows a golden file
// that another test checks against real output (the --verify session, which
// needs real Nix and a world built by the test): its body must equal the
// file's content.
var readmeMarker = regexp.MustCompile(`(?m)^<!-- (output of|same as): (.*?) -->\n`)

// readmeBlock is one regenerated block of README.md.
type readmeBlock struct {
	invocation string // the marker's text
	golden     bool   // "same as": the body is the file at invocation
	start, end int    // byte range of the block's body (after the "$" line)
	shown      string // the "$ ..." line
	body       string // what the README shows
}

// TestREADMEOutputs runs every command a README block says it shows and
// compares the block with what the command prints. With -update the blocks
// are rewritten.
func TestREADMEOutputs(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := readmeBlocks(string(readme))
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) < 4 {
		t.Fatalf("README.md has %d regenerated blocks, want at least 4 (analyze, fix, check, why)", len(blocks))
	}
	out := string(readme)
	for i := len(blocks) - 1; i >= 0; i-- {
		b := blocks[i]
		var got string
		var err error
		if b.golden {
			var data []byte
			data, err = os.ReadFile(filepath.Join("../..", b.invocation))
			got = string(data)
		} else {
			got, err = runReadmeCommand(t, b.invocation)
		}
		if err != nil {
			t.Errorf("README block %q: %v", b.invocation, err)
			continue
		}
		if got != b.body {
			if *update {
				out = out[:b.start] + got + out[b.end:]
				continue
			}
			t.Errorf("README block %q is stale (go test ./cmd/flakedup -run TestREADMEOutputs -update):\n--- README\n%s\n--- now\n%s", b.invocation, b.body, got)
		}
	}
	if *update && out != string(readme) {
		if err := os.WriteFile("../../README.md", []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readmeBlocks finds the regenerated blocks of a README text.
func readmeBlocks(readme string) ([]readmeBlock, error) {
	var blocks []readmeBlock
	for _, m := range readmeMarker.FindAllStringSubmatchIndex(readme, -1) {
		rest := readme[m[1]:]
		what := readme[m[4]:m[5]]
		fence, _, ok := strings.Cut(rest, "\n")
		if !ok || !strings.HasPrefix(fence, "```") {
			return nil, fmt.Errorf("marker %q is not followed by a fenced block", what)
		}
		shown, _, _ := strings.Cut(rest[len(fence)+1:], "\n")
		if !strings.HasPrefix(shown, "$ ") {
			return nil, fmt.Errorf("block of %q does not start with a \"$ \" line", what)
		}
		start := m[1] + len(fence) + 1 + len(shown) + 1
		end := strings.Index(readme[start:], "```\n")
		if end < 0 {
			return nil, fmt.Errorf("block of %q is not closed", what)
		}
		blocks = append(blocks, readmeBlock{
			invocation: what,
			golden:     readme[m[2]:m[3]] == "same as",
			start:      start,
			end:        start + end,
			shown:      shown,
			body:       readme[start : start+end],
		})
	}
	return blocks, nil
}

// runReadmeCommand runs a marker's invocation and returns the block body it
// gives: stdout, then "$ echo $?" and the code when the code is not 0.
func runReadmeCommand(t *testing.T, invocation string) (string, error) {
	t.Helper()
	words := strings.Fields(invocation)
	vars := map[string]string{}
	for len(words) > 0 && strings.Contains(words[0], "=") {
		k, v, _ := strings.Cut(words[0], "=")
		vars[k] = v
		words = words[1:]
	}
	if len(words) == 0 || words[0] != "flakedup" {
		return "", fmt.Errorf("not a flakedup command")
	}
	dir, err := filepath.Abs("../..")
	if err != nil {
		return "", err
	}
	if n := len(words); n >= 5 && strings.Join(words[n-4:n-1], " ") == "in a copy" {
		return "", fmt.Errorf(`write "in a copy of DIR"`)
	}
	if n := len(words); n >= 5 && strings.Join(words[n-5:n-1], " ") == "in a copy of" {
		src := filepath.Join(dir, words[n-1])
		dir = filepath.Join(t.TempDir(), filepath.Base(src))
		if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
			return "", err
		}
		words = words[:n-5]
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	if err := os.Chdir(dir); err != nil {
		return "", err
	}
	defer os.Chdir(wd)
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string { return vars[k] }
	noNix := func() (nixversion.Version, bool) { return nixversion.Version{}, false }
	code := run(context.Background(), words, strings.NewReader(""), &stdout, &stderr, getenv, noNix)
	if stderr.Len() > 0 && code != exitFailed && code != exitOK {
		return "", fmt.Errorf("exit %d: %s", code, stderr.String())
	}
	body := stdout.String()
	if code != exitOK {
		body += fmt.Sprintf("$ echo $?\n%d\n", code)
	}
	return body, nil
}

// TestREADMEBlocksParse checks the block finder on a small text, so that a
// README without markers cannot pass TestREADMEOutputs by having none.
func TestREADMEBlocksParse(t *testing.T) {
	text := "intro\n<!-- output of: FLAKEDUP_NOW=2024-12-01 flakedup analyze x -->\n```\n$ flakedup analyze x\nline 1\nline 2\n```\nafter\n"
	blocks, err := readmeBlocks(text)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 1 {
		t.Fatalf("%d blocks", len(blocks))
	}
	b := blocks[0]
	if b.invocation != "FLAKEDUP_NOW=2024-12-01 flakedup analyze x" || b.shown != "$ flakedup analyze x" || b.body != "line 1\nline 2\n" {
		t.Errorf("block = %+v", b)
	}
	for _, bad := range []string{
		"<!-- output of: flakedup x -->\ntext\n",
		"<!-- output of: flakedup x -->\n```\nno dollar\n```\n",
		"<!-- output of: flakedup x -->\n```\n$ flakedup x\nunclosed\n",
	} {
		if _, err := readmeBlocks(bad); err == nil {
			t.Errorf("readmeBlocks(%q) accepted", bad)
		}
	}
}

// TestActionTagAgrees checks that the README's GitHub Actions and
// pre-commit examples name the same release tag as action.yml's and
// .pre-commit-hooks.yaml's usage comments.
func TestActionTagAgrees(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile("../../" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	uses := regexp.MustCompile(`uses: flakedup/flakedup@(v[0-9][^\s]*)`)
	rev := regexp.MustCompile(`rev: (v[0-9][^\s]*)`)
	readme := read("README.md")
	for _, c := range []struct {
		file string
		re   *regexp.Regexp
	}{{"action.yml", uses}, {".pre-commit-hooks.yaml", rev}} {
		want := c.re.FindStringSubmatch(readme)
		got := c.re.FindStringSubmatch(read(c.file))
		if want == nil || got == nil {
			t.Errorf("%s or README.md has no %s example", c.file, c.re)
			continue
		}
		if want[1] != got[1] {
			t.Errorf("README.md shows %s, %s shows %s", want[0], c.file, got[0])
		}
	}
}
