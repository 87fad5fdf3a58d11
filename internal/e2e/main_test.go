package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flakedup/flakedup/internal/nixworld"
)

// binary is the flakedup executable TestMain builds once for every test.
var binary string

// runTimeout bounds every run of the binary: a run that hangs fails its
// test instead of the whole package.
const runTimeout = 60 * time.Second

// TestMain builds cmd/flakedup into a temporary directory, runs the tests,
// and removes the directory.
func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "flakedup-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 2
	}
	defer os.RemoveAll(tmp)
	// Readable by everyone: some runs drop root privileges (asNobody).
	if err := os.Chmod(tmp, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 2
	}
	binary = filepath.Join(tmp, "flakedup")
	build := exec.Command("go", "build", "-o", binary, "./cmd/flakedup")
	build.Dir = "../.." // the module root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: building flakedup: %v\n%s", err, out)
		return 2
	}
	return m.Run()
}

// result is one finished run of the binary.
type result struct {
	code           int
	stdout, stderr string
	elapsed        time.Duration
	// maxRSSKiB is the peak resident set size of the process.
	maxRSSKiB int64
}

// runOpts changes how the binary is started.
type runOpts struct {
	// env is added to the environment.
	env []string
	// unprivileged runs the binary as the user nobody when the tests run
	// as root, so that file permissions apply to it.
	unprivileged bool
}

// flakedup runs the binary with args in the current directory and returns
// how it ended; a run that does not finish within runTimeout, or is killed
// by a signal, fails t.
func flakedup(t *testing.T, args ...string) result {
	t.Helper()
	return flakedupWith(t, runOpts{}, args...)
}

// flakedupWith is flakedup with options.
func flakedupWith(t *testing.T, o runOpts, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(append(os.Environ(), "NO_COLOR=1"), o.env...)
	if o.unprivileged {
		asNobody(cmd)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String(), elapsed: time.Since(start)}
	if cmd.ProcessState != nil {
		r.maxRSSKiB = maxRSS(cmd.ProcessState)
	}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("flakedup %s: did not finish within %s; stderr %q", strings.Join(args, " "), runTimeout, r.stderr)
	case errors.As(err, &exit):
		if !exit.Exited() {
			t.Fatalf("flakedup %s: %v; stderr %q", strings.Join(args, " "), err, r.stderr)
		}
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("flakedup %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// mustRun is flakedup that fails t unless the run exits with want.
func mustRun(t *testing.T, want int, args ...string) result {
	t.Helper()
	r := flakedup(t, args...)
	if r.code != want {
		t.Fatalf("flakedup %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s",
			strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
	}
	return r
}

// decode unmarshals the JSON output of a run into v, failing t otherwise.
func decode(t *testing.T, r result, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
		t.Fatalf("stdout is not the JSON document expected: %v\n%s", err, r.stdout)
	}
}

// analyzeDoc is the part of `analyze --format json` the tests read.
type analyzeDoc struct {
	Nixpkgs struct {
		Copies    int `json:"copies"`
		Revisions int `json:"revisions"`
	} `json:"nixpkgs"`
	Groups []struct {
		Source  string `json:"source"`
		Nixpkgs bool   `json:"nixpkgs"`
		Copies  []struct {
			Path string `json:"path"`
		} `json:"copies"`
	} `json:"groups"`
}

// groupSizes renders the duplicate groups of an analysis as
// "source=copies" items in output order.
func (d analyzeDoc) groupSizes() []string {
	var out []string
	for _, g := range d.Groups {
		out = append(out, fmt.Sprintf("%s=%d", g.Source, len(g.Copies)))
	}
	return out
}

// fixDoc is the part of `fix --format json` the tests read.
type fixDoc struct {
	Follows []struct {
		Input   string `json:"input"`
		Follows string `json:"follows"`
	} `json:"follows"`
	Promotions []struct {
		Input string `json:"input"`
	} `json:"promotions"`
	HeldBack []struct {
		Input    string `json:"input"`
		Reason   string `json:"reason"`
		NeedsNix string `json:"needs_nix"`
	} `json:"held_back"`
	Before struct {
		Nixpkgs struct{ Copies, Revisions int } `json:"nixpkgs"`
	} `json:"before"`
	After struct {
		Nixpkgs struct{ Copies, Revisions int } `json:"nixpkgs"`
		Sources map[string]int                  `json:"sources"`
	} `json:"after"`
	NixVersion struct{ Target, Source string } `json:"nix_version"`
	Warnings   []string                        `json:"warnings"`
	Diff       string                          `json:"diff"`
	Written    []string                        `json:"written"`
}

// copyFlake copies flake.nix and flake.lock (when present) of dir into a
// fresh directory of t and returns it.
func copyFlake(t *testing.T, dir string) string {
	t.Helper()
	to := t.TempDir()
	for _, name := range []string{"flake.nix", "flake.lock"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) && name == "flake.lock" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return to
}

// readFile returns the contents of file, failing t when it cannot be read.
func readFile(t *testing.T, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// acceptedLock returns the flake.lock that `fix --lock` wrote into dir and
// checks that Nix keeps it as it is (`nix flake lock
// --no-update-lock-file` exits 0 and writes the same bytes). label, when
// not empty, starts each failure (the Nix the world runs on).
func acceptedLock(t *testing.T, w *nixworld.World, dir, label string) []byte {
	t.Helper()
	if label != "" {
		label += ": "
	}
	predicted := readFile(t, filepath.Join(dir, "flake.lock"))
	if got, err := w.Lock(dir, "--no-update-lock-file"); err != nil {
		t.Errorf("%snix flake lock --no-update-lock-file refuses the lock fix --lock wrote: %v", label, err)
	} else if !bytes.Equal(got, predicted) {
		t.Errorf("%snix flake lock --no-update-lock-file changed the lock fix --lock wrote", label)
	}
	return predicted
}
