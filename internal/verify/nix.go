package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/flakedup/flakedup/internal/nixversion"
)

// MinNix is the oldest Nix Verify runs with: the one its commands and
// flags (nix flake check --no-build, --no-update-lock-file,
// --extra-experimental-features, follows = "") were tested on.
var MinNix = nixversion.Version{Major: 2, Minor: 8}

// NixError reports a nix that is missing, cannot be run or is too old.
// cmd maps it to exit code 2.
type NixError struct {
	// Msg says what is needed.
	Msg string
	// Err is the underlying error, if any.
	Err error
}

func (e *NixError) Error() string { return e.Msg }

// Unwrap returns the underlying error.
func (e *NixError) Unwrap() error { return e.Err }

// experimental are the flags that enable the flake commands whatever the
// user's nix.conf says.
var experimental = []string{"--extra-experimental-features", "nix-command flakes"}

// CheckNix finds nix (the program named nix, or `nix` on PATH when it is
// "") and checks that `nix --version` is at least MinNix. It returns the
// program's path and version, or a *NixError naming what is needed.
func CheckNix(ctx context.Context, nix string, env []string) (string, nixversion.Version, error) {
	need := fmt.Sprintf("--verify needs Nix ≥ %s (the nix command, with flakes)", MinNix)
	if nix == "" {
		nix = "nix"
	}
	path, err := exec.LookPath(nix)
	if err != nil {
		return "", nixversion.Version{}, &NixError{Msg: need + ": " + nix + " is not on PATH", Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "--version")
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return "", nixversion.Version{}, &NixError{Msg: need + ": `" + path + " --version` failed: " + err.Error(), Err: err}
	}
	v, err := nixversion.FromNixVersionOutput(string(out))
	if err != nil {
		return "", nixversion.Version{}, &NixError{Msg: need + ": " + err.Error(), Err: err}
	}
	if !v.AtLeast(MinNix) {
		return "", v, &NixError{Msg: fmt.Sprintf("%s: %s is Nix %s", need, path, v)}
	}
	return path, v, nil
}

// nixRunner is the runner that calls the real nix in working copies.
type nixRunner struct {
	nix   string
	env   []string
	mode  Mode
	attrs []string
	slots []string // working copies, one per job
}

// run writes the candidate into its working copy, checks the lock and
// evaluates (and in Build mode builds) it.
func (r *nixRunner) run(ctx context.Context, slot int, flakeNix, flakeLock []byte) (Outcome, error) {
	dir := r.slots[slot]
	if err := os.WriteFile(filepath.Join(dir, "flake.nix"), flakeNix, 0o644); err != nil {
		return Outcome{}, fmt.Errorf("verify: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "flake.lock"), flakeLock, 0o644); err != nil {
		return Outcome{}, fmt.Errorf("verify: %w", err)
	}
	if stderr, err := r.cmd(ctx, dir, nil, "flake", "lock", "--no-update-lock-file"); err != nil {
		if ctx.Err() != nil {
			return Outcome{}, ctx.Err()
		}
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return Outcome{}, &NixError{Msg: "verify: running nix: " + err.Error(), Err: err}
		}
		return Outcome{}, &LockError{Message: firstErrorLine(stderr), Stderr: stderr}
	}
	out, err := r.evaluate(ctx, dir)
	if err != nil || !out.OK || r.mode != Build {
		return out, err
	}
	return r.build(ctx, dir)
}

// evaluate runs the Eval part of a candidate.
func (r *nixRunner) evaluate(ctx context.Context, dir string) (Outcome, error) {
	if len(r.attrs) == 0 {
		stderr, err := r.cmd(ctx, dir, nil, "flake", "check", "--no-build", "--no-update-lock-file", "--show-trace")
		return r.outcome(ctx, err, stderr, "")
	}
	for _, attr := range r.attrs {
		var stdout bytes.Buffer
		stderr, err := r.cmd(ctx, dir, &stdout, "eval", "--no-update-lock-file", "--show-trace", "--raw",
			".#"+attr, "--apply", `x: if builtins.isAttrs x && x ? drvPath then x.drvPath else builtins.deepSeq x "ok"`)
		if out, err := r.outcome(ctx, err, stderr, attr); err != nil || !out.OK {
			return out, err
		}
	}
	return Outcome{OK: true}, nil
}

// drvAttrsExpr lists the attribute paths of the derivations a flake
// outputs for the current system; %q is the flake reference.
const drvAttrsExpr = `let
  f = builtins.getFlake %q;
  sys = builtins.currentSystem;
  q = n: if builtins.match "[A-Za-z_][A-Za-z0-9_'-]*" n == null then "\"" + n + "\"" else n;
  each = out: if f ? ${out} && f.${out} ? ${sys}
    then map (n: out + "." + q sys + "." + q n) (builtins.attrNames f.${out}.${sys}) else [ ];
  one = out: if f ? ${out} && f.${out} ? ${sys} then [ (out + "." + q sys) ] else [ ];
  nixos = if f ? nixosConfigurations
    then map (n: "nixosConfigurations." + q n + ".config.system.build.toplevel") (builtins.attrNames f.nixosConfigurations)
    else [ ];
in each "packages" ++ each "checks" ++ each "devShells" ++ one "defaultPackage" ++ one "devShell" ++ nixos`

// build realises the candidate's derivations one attribute at a time.
func (r *nixRunner) build(ctx context.Context, dir string) (Outcome, error) {
	attrs := r.attrs
	if len(attrs) == 0 {
		var stdout bytes.Buffer
		stderr, err := r.cmd(ctx, dir, &stdout, "eval", "--impure", "--json", "--expr", fmt.Sprintf(drvAttrsExpr, "path:"+dir))
		if out, err := r.outcome(ctx, err, stderr, ""); err != nil || !out.OK {
			return out, err
		}
		if err := json.Unmarshal(stdout.Bytes(), &attrs); err != nil {
			return Outcome{}, fmt.Errorf("verify: listing the flake's derivations: %w", err)
		}
	}
	for _, attr := range attrs {
		stderr, err := r.cmd(ctx, dir, nil, "build", "--no-link", "--no-update-lock-file", "--show-trace", ".#"+attr)
		if out, err := r.outcome(ctx, err, stderr, attr); err != nil || !out.OK {
			return out, err
		}
	}
	return Outcome{OK: true}, nil
}

// outcome turns a nix command's result into an Outcome: a non-zero exit is
// a failed evaluation of attr (or of the attribute Nix's trace names), a
// command that could not run is an error.
func (r *nixRunner) outcome(ctx context.Context, err error, stderr, attr string) (Outcome, error) {
	if err == nil {
		return Outcome{OK: true}, nil
	}
	if ctx.Err() != nil {
		return Outcome{}, ctx.Err()
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return Outcome{}, &NixError{Msg: "verify: running nix: " + err.Error(), Err: err}
	}
	if attr == "" {
		attr = tracedAttr(stderr)
	}
	return Outcome{Attr: attr, Error: firstErrorLine(stderr)}, nil
}

// cmd runs nix with args in dir and returns its standard error (colour
// codes removed); stdout, when not nil, receives the standard output.
func (r *nixRunner) cmd(ctx context.Context, dir string, stdout io.Writer, args ...string) (string, error) {
	c := exec.CommandContext(ctx, r.nix, append(append([]string(nil), experimental...), args...)...)
	c.Dir = dir
	c.Env = r.env
	var stderr bytes.Buffer
	c.Stdout, c.Stderr = stdout, &stderr
	err := c.Run()
	return ansi().ReplaceAllString(stderr.String(), ""), err
}

// ansi matches the colour escapes Nix puts in its messages. It and traced
// are compiled on first use: only --verify runs nix.
var ansi = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]") })

// firstErrorLine is the first line of Nix's output that starts with
// "error:", else its first line that is not a warning or progress note.
func firstErrorLine(stderr string) string {
	lines := strings.Split(stderr, "\n")
	for _, l := range lines {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "error:") {
			return t
		}
	}
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t != "" && !strings.HasPrefix(t, "warning:") && t != "evaluating flake..." {
			return t
		}
	}
	return "error: nix failed without a message"
}

// traced are the trace lines of --show-trace that name the flake output
// being checked, the most precise first.
var traced = sync.OnceValue(func() []*regexp.Regexp {
	return []*regexp.Regexp{
		regexp.MustCompile(`while checking the derivation '([^']+)'`),
		regexp.MustCompile(`while checking the NixOS configuration '([^']+)'`),
		regexp.MustCompile(`while checking flake output '([^']+)'`),
	}
})

// tracedAttr is the output attribute `nix flake check --show-trace` says it
// was checking when it failed, or "".
func tracedAttr(stderr string) string {
	for _, re := range traced() {
		if m := re.FindStringSubmatch(stderr); m != nil {
			return m[1]
		}
	}
	return ""
}

// copyTree copies the flake directory src to dst: directories, regular
// files (with their permission bits) and symbolic links (as links), but no
// .git directory, so that the copy is a plain `path:` flake.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			if d.Name() == ".git" && rel != "." {
				return filepath.SkipDir
			}
			return os.MkdirAll(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.Type().IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(target, data, info.Mode().Perm()|0o200)
		}
		return nil // sockets, devices: not part of a flake
	})
}

// shortRev is the first 7 characters of a revision.
func shortRev(rev string) string {
	if len(rev) > 7 {
		return rev[:7]
	}
	return rev
}
