package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/flakedup/flakedup/internal/testenv"
)

var (
	update = flag.Bool("update", false, "rewrite the expected.txt and expected.nix files of fixtures/bad")
	bugs   = flag.Bool("bugs", false, "also run the fixtures/bad cases skipped as known bugs")
)

// badDir holds one directory per bad-input case: flake.nix, flake.lock
// (absent when the case is a missing lock), runs (one flakedup command
// line per line; the flake directory is appended), and expected.txt, the
// transcript of every run (exit code, stdout, stderr, with the flake
// directory written $DIR).
const badDir = "../../fixtures/bad"

// badCase is what a case of fixtures/bad needs beyond its files.
type badCase struct {
	// names is the file (and line:column for flake.nix) every error message
	// must name, relative to the flake directory; empty for a case whose
	// input is accepted.
	names string
	// manual marks the cases where fix prints, on stdout, the lines to add
	// to flake.nix by hand.
	manual bool
	// setup runs after the files are copied into dir, before every run.
	setup func(t *testing.T, dir string)
	// unprivileged runs the binary as nobody when the tests run as root
	// (permissions do not stop root).
	unprivileged bool
	// sameAsSeed marks the cases whose setup only pads a valid lock: every
	// run must print what it prints on the unpadded files.
	sameAsSeed bool
	// maxRSSMiB, when set, bounds the peak memory of every run.
	maxRSSMiB int64
	// bug, when set, is the known defect that makes the case fail; the case
	// is skipped unless -bugs.
	bug string
}

var badCases = map[string]badCase{
	"malformed-json":           {names: "flake.lock"},
	"truncated-json":           {names: "flake.lock"},
	"empty-flake-lock":         {names: "flake.lock"},
	"unsupported-version":      {names: "flake.lock"},
	"missing-root":             {names: "flake.lock"},
	"dangling-node":            {names: "flake.lock"},
	"follows-cycle":            {names: "flake.lock"},
	"follows-to-missing-input": {names: "flake.lock"},
	"missing-flake-lock":       {names: "flake.lock"},
	"flake-nix-syntax-error":   {names: "flake.nix:5:3"}, // fix says "fix the syntax error first", no lines by hand
	"computed-inputs":          {names: "flake.nix:2:12", manual: true},
	"non-utf8-in-code":         {names: "flake.nix:5:8"},
	// Nix accepts any byte in a comment (nix-instantiate --parse does), so
	// this flake.nix is not bad input: fix edits it and keeps the byte.
	"non-utf8-in-comment": {},
	"read-only-flake-nix": {
		names:        "flake.nix",
		setup:        func(t *testing.T, dir string) { chmod(t, filepath.Join(dir, "flake.nix"), 0o444) },
		unprivileged: true,
	},
	// The same as root, who may write anything: the mode still says no.
	"read-only-flake-nix-as-root": {
		names: "flake.nix",
		setup: func(t *testing.T, dir string) { chmod(t, filepath.Join(dir, "flake.nix"), 0o444) },
	},
	// A valid lock padded to 200 MiB is still a valid lock: analyzed, not
	// rejected, with the same report as the unpadded lock.
	"huge-lock-long-string": {
		setup:      func(t *testing.T, dir string) { padLock(t, dir, paddedString) },
		sameAsSeed: true,
		maxRSSMiB:  2048,
	},
	"huge-lock-unreachable-nodes": {
		setup:      func(t *testing.T, dir string) { padLock(t, dir, unreachableNodes) },
		sameAsSeed: true,
		maxRSSMiB:  2048,
	},
	"read-only-directory": {
		names:        "flake.nix",
		setup:        func(t *testing.T, dir string) { chmod(t, dir, 0o555) },
		unprivileged: true,
	},
}

// TestBadInput runs every case of fixtures/bad through the binary. A run
// that fails must exit 2 with exactly one line on stderr, starting
// "flakedup: " and naming the file, print nothing on stdout (but the lines
// to add by hand, for the manual cases), leave every file as it was (bytes,
// modes and modification times; no temporary file left), and finish within
// runTimeout. The transcript of the runs must equal expected.txt.
func TestBadInput(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(badDir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, caseDir := range dirs {
		name := filepath.Base(caseDir)
		seen[name] = true
		c, ok := badCases[name]
		if !ok {
			t.Errorf("%s: no entry in badCases", caseDir)
			continue
		}
		t.Run(name, func(t *testing.T) {
			if c.bug != "" && !*bugs {
				t.Skip("BUG: " + c.bug + " (run with -bugs to see it fail)")
			}
			if c.unprivileged && os.Geteuid() == 0 && !canDropRoot() {
				t.Skip("running as root and cannot run as nobody: permissions would not apply")
			}
			runBadCase(t, caseDir, c)
		})
	}
	for name := range badCases {
		if !seen[name] {
			t.Errorf("badCases has %q, but %s has no such directory", name, badDir)
		}
	}
}

// runBadCase runs every command line of one case on a fresh copy.
func runBadCase(t *testing.T, caseDir string, c badCase) {
	runs := strings.Split(strings.TrimSpace(string(readFile(t, filepath.Join(caseDir, "runs")))), "\n")
	var transcript strings.Builder
	origNix := readFile(t, filepath.Join(caseDir, "flake.nix"))
	var editedNix []byte // flake.nix after the last accepted run that edited it
	for _, line := range runs {
		dir := flakeCopy(t, caseDir, c.unprivileged)
		if c.setup != nil {
			c.setup(t, dir)
		}
		var before string
		if c.names != "" {
			before = snapshot(t, dir)
		}
		args := append(strings.Fields(line), dir)
		r := flakedupWith(t, runOpts{unprivileged: c.unprivileged}, args...)
		stdout := normalize(r.stdout, dir)
		stderr := normalize(r.stderr, dir)
		fmt.Fprintf(&transcript, "$ flakedup %s $DIR\nexit %d\n--- stdout\n%s--- stderr\n%s\n", line, r.code, stdout, stderr)

		if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic:") {
			t.Errorf("%s: goroutine dump on stderr:\n%s", line, r.stderr)
		}
		if c.sameAsSeed {
			seed := flakeCopy(t, caseDir, false)
			want := flakedup(t, append(strings.Fields(line), seed)...)
			if got := normalize(r.stdout, dir); got != normalize(want.stdout, seed) || r.code != want.code {
				t.Errorf("%s: exit %d and output differ from the unpadded lock's (exit %d):\n%s", line, r.code, want.code, got)
			}
		}
		if c.maxRSSMiB > 0 {
			t.Logf("%s: %.1f s, peak RSS %d MiB", line, r.elapsed.Seconds(), r.maxRSSKiB>>10)
			if r.maxRSSKiB>>10 > c.maxRSSMiB {
				t.Errorf("%s: peak RSS %d MiB, want at most %d MiB", line, r.maxRSSKiB>>10, c.maxRSSMiB)
			}
		}
		if c.names == "" { // accepted input
			if r.code != 0 || r.stderr != "" {
				t.Errorf("%s: exit %d, stderr %q; want exit 0 and nothing on stderr", line, r.code, r.stderr)
			}
			if nix := readFile(t, filepath.Join(dir, "flake.nix")); !bytes.Equal(nix, origNix) {
				editedNix = nix
			}
			continue
		}
		checkBadRun(t, line, r.code, stdout, stderr, c)
		if after := snapshot(t, dir); after != before {
			t.Errorf("%s: files changed:\nbefore:\n%s\nafter:\n%s", line, before, after)
		}
	}
	golden(t, filepath.Join(caseDir, "expected.txt"), []byte(transcript.String()))
	if editedNix != nil {
		golden(t, filepath.Join(caseDir, "expected.nix"), editedNix)
	}
}

// tempSuffix matches the random part of a temporary file's name.
var tempSuffix = regexp.MustCompile(`\.flakedup-[0-9]+`)

// normalize writes the flake directory as $DIR and temporary file names
// without their random part, so that transcripts repeat.
func normalize(out, dir string) string {
	return tempSuffix.ReplaceAllString(strings.ReplaceAll(out, dir, "$DIR"), ".flakedup-*")
}

// manualHeader is the first stdout line of fix when flake.nix cannot be
// edited.
const manualHeader = "# Add these lines to the top-level attribute set of flake.nix, after its inputs:\n"

// checkBadRun checks one failing run against the rules of TestBadInput.
func checkBadRun(t *testing.T, line string, code int, stdout, stderr string, c badCase) {
	t.Helper()
	if code != 2 {
		t.Errorf("%s: exit %d, want 2", line, code)
	}
	if !strings.HasPrefix(stderr, "flakedup: ") || !strings.HasSuffix(stderr, "\n") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("%s: stderr %q, want one line starting \"flakedup: \"", line, stderr)
	}
	if named := "$DIR/" + c.names; !regexp.MustCompile(` ` + regexp.QuoteMeta(named) + `[: ]`).MatchString(stderr) {
		t.Errorf("%s: stderr %q does not name %s", line, stderr, named)
	}
	switch {
	case strings.Contains(line, "--format json"):
		// One document on stdout: the error, with the message of stderr.
		var doc struct {
			Error       string   `json:"error"`
			File        string   `json:"file"`
			Line        int      `json:"line"`
			Column      int      `json:"column"`
			ManualLines []string `json:"manual_lines"`
		}
		dec := json.NewDecoder(strings.NewReader(stdout))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&doc); err != nil || dec.More() {
			t.Errorf("%s: stdout %q, want one error document (%v)", line, stdout, err)
		} else if want := strings.TrimSuffix(strings.TrimPrefix(stderr, "flakedup: "), "\n"); doc.Error != want {
			t.Errorf("%s: error document says %q, stderr %q", line, doc.Error, want)
		}
	case c.manual && strings.HasPrefix(line, "fix"):
		if !strings.HasPrefix(stdout, manualHeader) {
			t.Errorf("%s: stdout %q, want the lines to add by hand", line, stdout)
		}
	case stdout != "":
		t.Errorf("%s: stdout %q, want nothing", line, stdout)
	}
}

// flakeCopy copies the case's flake.nix and flake.lock into a fresh
// directory that nobody can reach (and owns, when unprivileged) and
// returns it.
func flakeCopy(t *testing.T, caseDir string, unprivileged bool) string {
	t.Helper()
	base, err := os.MkdirTemp("", "flakedup-bad-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				_ = os.Chmod(p, 0o755)
			}
			return nil
		})
		_ = os.RemoveAll(base)
	})
	chmod(t, base, 0o755)
	dir := filepath.Join(base, "flake")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"flake.nix", "flake.lock"} {
		data, err := os.ReadFile(filepath.Join(caseDir, name))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		to := filepath.Join(dir, name)
		if err := os.WriteFile(to, data, 0o644); err != nil {
			t.Fatal(err)
		}
		// Back-date the files so that a rewrite within the same clock tick
		// still shows in the modification time.
		old := time.Now().Add(-time.Hour)
		if err := os.Chtimes(to, old, old); err != nil {
			t.Fatal(err)
		}
		if unprivileged {
			if err := chownNobody(to); err != nil {
				t.Fatal(err)
			}
		}
	}
	if unprivileged {
		if err := chownNobody(dir); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// snapshot describes every entry of dir and dir itself: name, mode, size,
// modification time and content.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, e := range append([]fs.DirEntry{fs.FileInfoToDirEntry(statOf(t, dir))}, entries...) {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		line := fmt.Sprintf("%s %s %d %s", e.Name(), info.Mode(), info.Size(), info.ModTime().Format(time.RFC3339Nano))
		if info.Mode().IsRegular() {
			line += fmt.Sprintf(" sha256:%x", sha256.Sum256(readFile(t, filepath.Join(dir, e.Name()))))
		}
		lines = append(lines, line)
	}
	sort.Strings(lines[1:])
	return strings.Join(lines, "\n")
}

func statOf(t *testing.T, path string) fs.FileInfo {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func chmod(t *testing.T, path string, mode fs.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// canDropRoot reports whether a child process can be started as nobody.
func canDropRoot() bool {
	r := exec.Command("true")
	asNobody(r)
	return r.Run() == nil
}

// golden compares got with the file want, or rewrites the file with -update.
func golden(t *testing.T, want string, got []byte) {
	t.Helper()
	testenv.Golden(t, want, got, *update)
}

// lockPadding is a way to blow a valid lock up to hugeLockSize bytes.
type lockPadding int

const (
	// paddedString adds a "padding" string field to the root's nixpkgs
	// node's locked attributes (kept, as unknown fields must be).
	paddedString lockPadding = iota
	// unreachableNodes adds copies of node "A" under new keys that no
	// input reaches.
	unreachableNodes
)

// hugeLockSize is the size padLock blows a lock up to: 200 MiB.
const hugeLockSize = 200 << 20

// padLock rewrites dir/flake.lock, a lock written by Nix with a "nixpkgs_2"
// node, as a valid lock of at least hugeLockSize bytes.
func padLock(t *testing.T, dir string, how lockPadding) {
	t.Helper()
	file := filepath.Join(dir, "flake.lock")
	lock := readFile(t, file)
	var b bytes.Buffer
	b.Grow(hugeLockSize + len(lock) + 1<<20)
	switch how {
	case paddedString:
		at := bytes.Index(lock, []byte(`"nixpkgs_2": {`+"\n"+`      "locked": {`))
		if at < 0 {
			t.Fatal("padLock: no nixpkgs_2 node in the seed lock")
		}
		at = bytes.IndexByte(lock[at:], '\n') + at + 1
		at = bytes.IndexByte(lock[at:], '\n') + at + 1 // after `"locked": {`
		b.Write(lock[:at])
		b.WriteString(`        "padding": "`)
		b.Write(bytes.Repeat([]byte("x"), hugeLockSize))
		b.WriteString("\",\n")
		b.Write(lock[at:])
	case unreachableNodes:
		start := bytes.Index(lock, []byte(`    "A": {`))
		end := bytes.Index(lock, []byte(`    "nixpkgs": {`))
		if start < 0 || end < 0 {
			t.Fatal("padLock: no node A followed by node nixpkgs in the seed lock")
		}
		body := lock[start+len(`    "A"`) : end]
		b.Write(lock[:start])
		for i := 0; b.Len() < hugeLockSize; i++ {
			fmt.Fprintf(&b, `    "unreachable_%d"`, i)
			b.Write(body)
		}
		b.Write(lock[start:])
	}
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestFlakeNixChangedDuringRun edits flake.nix while fix runs, through the
// real binary: the `nix` that fix asks for its version (no --nix-version)
// is a script that appends a line to flake.nix before answering. fix must
// then refuse to write (exit 2, one line naming flake.nix), keep the
// concurrent edit, and write no flake.lock either. (The race itself is
// unit-tested in rewrite's TestWriteFileRefusesChangedFile.)
func TestFlakeNixChangedDuringRun(t *testing.T) {
	const caseDir = badDir + "/read-only-directory" // any valid flake with a duplicate
	dir := flakeCopy(t, caseDir, false)
	bin := t.TempDir()
	script := "#!/bin/sh\nprintf '# edited by someone else\\n' >> \"$E2E_FLAKE_DIR/flake.nix\"\necho 'nix (Nix) 2.8.0'\n"
	if err := os.WriteFile(filepath.Join(bin, "nix"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	nixBefore := readFile(t, filepath.Join(dir, "flake.nix"))
	lockBefore := readFile(t, filepath.Join(dir, "flake.lock"))
	r := flakedupWith(t, runOpts{env: []string{
		"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"E2E_FLAKE_DIR=" + dir,
	}}, "fix", "--lock", dir)
	stderr := normalize(r.stderr, dir)
	const want = "flakedup: write $DIR/flake.nix: file changed since it was read; read it again and redo the edit\n"
	if r.code != 2 || stderr != want || r.stdout != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 2, no stdout, stderr %q", r.code, r.stdout, stderr, want)
	}
	wantNix := append(append([]byte(nil), nixBefore...), "# edited by someone else\n"...)
	if got := readFile(t, filepath.Join(dir, "flake.nix")); !bytes.Equal(got, wantNix) {
		t.Errorf("flake.nix is now:\n%s\nwant the concurrent edit kept:\n%s", got, wantNix)
	}
	if got := readFile(t, filepath.Join(dir, "flake.lock")); !bytes.Equal(got, lockBefore) {
		t.Errorf("flake.lock was written")
	}
}
