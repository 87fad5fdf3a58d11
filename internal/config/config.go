// Package config reads flakedup.toml, the optional per-flake settings file
// that sits beside flake.nix:
//
//	# Inputs to leave pinned the way upstream pinned them: a root input name
//	# ("nixos-hardware") or an input path ("hyprland/nixpkgs").
//	ignore = ["hyprland/nixpkgs"]
//	# Let copies on other branches (nixos-24.05, forks) follow the root's nixpkgs.
//	cross-branch = false
//	# Deduplicate every source, not only nixpkgs.
//	all = false
//	# The Nix that will lock this flake; edits it cannot lock are held back.
//	nix-version = "2.18"
//	# Which root input a nixpkgs copy follows when the flake has several:
//	# "primary" (everything follows nixpkgs) or "branch" (the root input on
//	# the copy's own branch). Default: inferred from the follows flake.nix
//	# already declares.
//	policy = "branch"
//
// Command-line flags add to the ignore list and override the booleans.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// FileName is the settings file flakedup looks for beside flake.nix.
const FileName = "flakedup.toml"

// Config is the content of flakedup.toml. The zero value means "no file".
type Config struct {
	// Ignore lists root input names or input paths that fix must not touch.
	Ignore []string `toml:"ignore"`
	// CrossBranch lets copies on other branch classes follow the root's
	// nixpkgs.
	CrossBranch bool `toml:"cross-branch"`
	// All plans every duplicated source, not only nixpkgs.
	All bool `toml:"all"`
	// NixVersion is the Nix version edits must work on ("2.18").
	NixVersion string `toml:"nix-version"`
	// Policy is "primary", "branch" or "" (infer the flake's convention).
	Policy string `toml:"policy"`
	// Path is the file the settings came from, "" when there was none.
	Path string `toml:"-"`
}

// Load reads flakedup.toml from dir. A missing file is not an error: the
// zero Config is returned. Unknown keys are errors, so that a typo
// ("cross_branch") does not silently do nothing.
func Load(dir string) (Config, error) {
	path := filepath.Join(dir, FileName)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Config{}, nil
	}
	if err != nil {
		return Config{}, err
	}
	return Parse(path, data)
}

// Parse decodes the bytes of a flakedup.toml; name is used in errors.
func Parse(name string, data []byte) (Config, error) {
	var c Config
	md, err := toml.Decode(string(data), &c)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return Config{}, fmt.Errorf("%s:%d: %s", name, pe.Position.Line, pe.Message)
		}
		return Config{}, fmt.Errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "toml: "))
	}
	if extra := md.Undecoded(); len(extra) > 0 {
		keys := make([]string, len(extra))
		for i, k := range extra {
			keys[i] = k.String()
		}
		sort.Strings(keys)
		return Config{}, fmt.Errorf("%s: unknown setting %s (known: ignore, cross-branch, all, nix-version, policy)",
			name, strings.Join(keys, ", "))
	}
	for _, ig := range c.Ignore {
		if strings.TrimSpace(ig) == "" || strings.HasPrefix(ig, "/") || strings.HasSuffix(ig, "/") {
			return Config{}, fmt.Errorf("%s: ignore: %q is not an input name or input path like \"hyprland/nixpkgs\"", name, ig)
		}
	}
	switch c.Policy {
	case "", "primary", "branch":
	default:
		return Config{}, fmt.Errorf("%s: policy: %q: want \"primary\" or \"branch\"", name, c.Policy)
	}
	c.Path = name
	return c, nil
}
