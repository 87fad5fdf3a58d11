// Package nixversion says which Nix will lock a flake, because which follows
// edits Nix accepts depends on it (see ../shared/NIX-NOTES.md, "Which Nix the
// edits must work on"): overrides deeper than two levels need Nix 2.30, and a
// follows whose target runs through another follows needs Nix 2.18.
package nixversion

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Version is a Nix release as major.minor; patch levels never change what
// Nix accepts in a lock, so they are not kept.
type Version struct {
	Major, Minor int
}

// Thresholds that decide which edits a Nix version can lock.
var (
	// FollowsThroughFollows is the first Nix that resolves a follows whose
	// target path runs through another follows (Nix commit 1ef8008ca7).
	FollowsThroughFollows = Version{2, 18}
	// DeepOverrides is the first Nix that honours overrides deeper than two
	// levels (inputs.A.inputs.B.inputs.C.follows; NixOS/nix#5790).
	DeepOverrides = Version{2, 30}
	// Default is assumed when neither a flag, the config file nor a nix on
	// PATH says otherwise: the oldest version that current distributions'
	// users are likely to run with flakes, and the one Lix behaves as.
	Default = Version{2, 18}
)

// String formats v as "2.18".
func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// AtLeast reports whether v is o or newer.
func (v Version) AtLeast(o Version) bool {
	return v.Major > o.Major || (v.Major == o.Major && v.Minor >= o.Minor)
}

// Parse reads a version written as "2.18", "2.18.1" or "v2.18".
func Parse(s string) (Version, error) {
	t := strings.TrimPrefix(strings.TrimSpace(s), "v")
	parts := strings.Split(t, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return Version{}, fmt.Errorf("nix version %q: want MAJOR.MINOR, e.g. 2.18", s)
	}
	var nums [3]int
	for i, p := range parts {
		// Pre-release suffixes ("2.25.0pre20241101_dirty") only matter in
		// the patch field.
		if i == 2 {
			p = leadingDigits(p)
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || p == "" {
			return Version{}, fmt.Errorf("nix version %q: want MAJOR.MINOR, e.g. 2.18", s)
		}
		nums[i] = n
	}
	return Version{nums[0], nums[1]}, nil
}

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return "0"
	}
	return s[:i]
}

// FromNixVersionOutput reads the first line printed by `nix --version`:
//
//	nix (Nix) 2.8.0                      -> 2.8
//	nix (Determinate Nix 3.4.1) 2.28.2   -> 2.28 (the Nix it is based on: the last field)
//	nix (Lix, like Nix) 2.91.0           -> 2.18 (Lix forked from Nix 2.18; its own numbers say
//	                                        nothing about the two fixes that matter here)
func FromNixVersionOutput(out string) (Version, error) {
	line := strings.TrimSpace(strings.SplitN(out, "\n", 2)[0])
	fields := strings.Fields(line)
	if len(fields) < 2 || fields[0] != "nix" {
		return Version{}, fmt.Errorf("unrecognised `nix --version` output %q", line)
	}
	if strings.Contains(line, "(Lix") {
		return Version{2, 18}, nil
	}
	v, err := Parse(fields[len(fields)-1])
	if err != nil {
		return Version{}, fmt.Errorf("unrecognised `nix --version` output %q", line)
	}
	return v, nil
}

// Source says where a target version came from, for the report.
type Source string

// The places a target version can come from, in the order they are tried.
const (
	FromFlag    Source = "--nix-version"
	FromConfig  Source = "flakedup.toml"
	FromPath    Source = "nix --version"
	FromDefault Source = "default"
)

// Target is the Nix version edits are planned for, and where it came from.
type Target struct {
	Version Version `json:"-"`
	Source  Source  `json:"source"`
}

// Detect runs `nix --version` (with a short timeout) when nix is on PATH and
// returns the version it reports; ok is false when there is no usable nix.
func Detect(ctx context.Context) (v Version, ok bool) {
	path, err := exec.LookPath("nix")
	if err != nil {
		return Version{}, false
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		return Version{}, false
	}
	v, err = FromNixVersionOutput(string(out))
	return v, err == nil
}

// Choose picks the target: the flag when given, else the config file's
// value, else the detected nix, else Default. flag and config are the raw
// strings ("" when unset); detect is called only when needed.
func Choose(flag, config string, detect func() (Version, bool)) (Target, error) {
	if flag != "" {
		v, err := Parse(flag)
		return Target{v, FromFlag}, err
	}
	if config != "" {
		v, err := Parse(config)
		if err != nil {
			return Target{}, fmt.Errorf("nix-version: %w", err)
		}
		return Target{v, FromConfig}, nil
	}
	if detect != nil {
		if v, ok := detect(); ok {
			return Target{v, FromPath}, nil
		}
	}
	return Target{Default, FromDefault}, nil
}
