package testenv

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// EnvNixNew names the environment variable holding the bin directory of a
// second, newer Nix (installed by scripts/install-nix.sh, e.g.
// /opt/flakedup/nix-sid/bin) that the real-Nix suites also run against.
// When it is set and that Nix does not run, Nixes fails the test under
// EnvNix (and skips it otherwise): CI never silently tests one Nix only.
const EnvNixNew = "FLAKEDUP_NIX_NEW"

// Nix is one Nix installation to test against.
type Nix struct {
	// Name is "system" for the nix on PATH, "new" for the one EnvNixNew
	// names.
	Name string
	// Bin is the directory holding Nix's commands; "" for the nix on PATH.
	Bin string
	// Nix and Instantiate are the absolute paths of nix and nix-instantiate.
	Nix, Instantiate string
	// Version is the version `nix --version` prints, e.g. "2.8.0" or
	// "2.34.8".
	Version string
	// Major and Minor are Version's first two numbers.
	Major, Minor int
	// Features are the experimental features every command of this Nix is
	// given: nix-command and flakes, and pipe-operators from 2.24 on (the
	// version that has it; older ones reject an unknown feature name).
	Features []string
}

// AtLeast reports whether n is version major.minor or newer.
func (n Nix) AtLeast(major, minor int) bool {
	return n.Major > major || n.Major == major && n.Minor >= minor
}

// Short is the version as "2.34", for flakedup's --nix-version and for
// subtest names.
func (n Nix) Short() string { return fmt.Sprintf("%d.%d", n.Major, n.Minor) }

// String names n for test logs: "nix 2.8.0 (system)".
func (n Nix) String() string { return fmt.Sprintf("nix %s (%s)", n.Version, n.Name) }

// FeatureArgs returns the command-line flags that enable n's Features,
// for a nix or nix-instantiate run outside Env (a parser check:
// `nix-instantiate --store dummy:// --parse` with these flags accepts the
// pipe operators on 2.24 and newer).
func (n Nix) FeatureArgs() []string {
	return []string{"--extra-experimental-features", strings.Join(n.Features, " ")}
}

// PathEnv returns PATH with n's bin directory first, so that a program
// that runs "nix" (flakedup's version detection) finds n.
func (n Nix) PathEnv() string {
	if n.Bin == "" {
		return "PATH=" + os.Getenv("PATH")
	}
	return "PATH=" + n.Bin + string(os.PathListSeparator) + os.Getenv("PATH")
}

// Config returns the NIX_CONFIG that runs n offline, as root, without a
// daemon, on the chroot store and state under base (a directory of its
// own per Nix: a newer Nix may upgrade the store database), with the
// flake registry file registry (an empty one: 2.8 would otherwise
// download it). See ../shared/NIX-NOTES.md ("Real Nix offline").
func (n Nix) Config(base, registry string) string {
	return strings.Join([]string{
		"experimental-features = " + strings.Join(n.Features, " "),
		"flake-registry = " + registry,
		"store = " + filepath.Join(base, "store"),
		"sandbox = false",
		"build-users-group =",
		"substituters =",
		"warn-dirty = false",
	}, "\n")
}

// Env returns the environment for running n offline and isolated under
// base: its own HOME, XDG directories, Nix configuration directory and
// chroot store (Config), created here, with the empty flake registry
// base/registry.json. Git configuration is the caller's.
func (n Nix) Env(base string) ([]string, error) {
	for _, d := range []string{"home", "cache", "config", "data", "state", "store", "etc"} {
		if err := os.MkdirAll(filepath.Join(base, d), 0o755); err != nil {
			return nil, fmt.Errorf("testenv: %w", err)
		}
	}
	registry := filepath.Join(base, "registry.json")
	if err := os.WriteFile(registry, []byte(`{"flakes":[],"version":2}`+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	return []string{
		n.PathEnv(),
		"HOME=" + filepath.Join(base, "home"),
		"XDG_CACHE_HOME=" + filepath.Join(base, "cache"),
		"XDG_CONFIG_HOME=" + filepath.Join(base, "config"),
		"XDG_DATA_HOME=" + filepath.Join(base, "data"),
		"XDG_STATE_HOME=" + filepath.Join(base, "state"),
		"NIX_CONF_DIR=" + filepath.Join(base, "etc"),
		"TZ=UTC",
		"LC_ALL=C",
		"NIX_CONFIG=" + n.Config(base, registry),
	}, nil
}

// Nixes returns the Nix installations to test against: the system's (nix
// and nix-instantiate on PATH) and, when EnvNixNew is set, the one in that
// directory, in that order. A missing system Nix skips tb (fails it under
// EnvNix); a broken new one fails tb under EnvNix and is left out (with a
// log line) otherwise.
func Nixes(tb testing.TB) []Nix {
	tb.Helper()
	paths := RequireTools(tb, "nix", "nix-instantiate")
	sys, err := probeNix("system", "", paths[0], paths[1])
	if err != nil {
		if os.Getenv(EnvNix) != "" {
			tb.Fatalf("%v (and %s is set)", err, EnvNix)
		}
		tb.Skipf("%v (set %s to make this a failure)", err, EnvNix)
	}
	nixes := []Nix{sys}
	if bin := os.Getenv(EnvNixNew); bin != "" {
		n, err := probeNix("new", bin, filepath.Join(bin, "nix"), filepath.Join(bin, "nix-instantiate"))
		switch {
		case err != nil && os.Getenv(EnvNix) != "":
			tb.Fatalf("%s=%s: %v (and %s is set)", EnvNixNew, bin, err, EnvNix)
		case err != nil:
			tb.Logf("%s=%s: %v: testing the system's Nix only", EnvNixNew, bin, err)
		default:
			nixes = append(nixes, n)
		}
	}
	return nixes
}

// NewestNix returns the newest of Nixes(tb) when it is at least
// major.minor, and otherwise skips tb (fails it under EnvNix when EnvNixNew
// is set, since CI's new Nix is then too old).
func NewestNix(tb testing.TB, major, minor int) Nix {
	tb.Helper()
	nixes := Nixes(tb)
	n := nixes[len(nixes)-1]
	if !n.AtLeast(major, minor) {
		msg := fmt.Sprintf("needs Nix %d.%d or newer; have %s", major, minor, n)
		if os.Getenv(EnvNix) != "" && os.Getenv(EnvNixNew) != "" {
			tb.Fatal(msg)
		}
		tb.Skip(msg + " (set " + EnvNixNew + ")")
	}
	return n
}

// versionRe finds the version in `nix --version`: the last number, since
// Determinate Nix prints "nix (Determinate Nix 3.4.1) 2.28.2".
var versionRe = regexp.MustCompile(`(\d+)\.(\d+)(?:\.(\d+))?\S*\s*$`)

// probeNix runs `nix --version` and `nix-instantiate --version` and builds
// the Nix they describe.
func probeNix(name, bin, nix, inst string) (Nix, error) {
	out, err := runVersion(nix)
	if err != nil {
		return Nix{}, err
	}
	n, err := parseVersion(out)
	if err != nil {
		return Nix{}, fmt.Errorf("%s --version: %w", nix, err)
	}
	if _, err := runVersion(inst); err != nil {
		return Nix{}, err
	}
	n.Name, n.Bin, n.Nix, n.Instantiate = name, bin, nix, inst
	return n, nil
}

// parseVersion reads what `nix --version` printed: the version, its first
// two numbers (2.18 for Lix), and the experimental features to enable.
func parseVersion(out string) (Nix, error) {
	m := versionRe.FindStringSubmatch(out)
	if m == nil {
		return Nix{}, fmt.Errorf("no version in %q", out)
	}
	n := Nix{Version: strings.Fields(m[0])[0]}
	n.Major, _ = strconv.Atoi(m[1])
	n.Minor, _ = strconv.Atoi(m[2])
	n.Features = []string{"nix-command", "flakes"}
	if strings.Contains(out, "Lix") {
		// Lix forked Nix 2.18 and numbers its own releases (2.90 and up):
		// what it can lock is 2.18's (NIX-NOTES.md); its pipe operator
		// has a flag of its own, not given here.
		n.Major, n.Minor = 2, 18
		return n, nil
	}
	if n.AtLeast(2, 24) {
		n.Features = append(n.Features, "pipe-operators")
	}
	return n, nil
}

// runVersion runs `prog --version` with a timeout and returns its output,
// trimmed.
func runVersion(prog string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, prog, "--version")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s --version: %w: %s", prog, err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}
