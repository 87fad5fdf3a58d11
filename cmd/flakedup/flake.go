package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/flakedup/flakedup/internal/config"
	"github.com/flakedup/flakedup/internal/flake"
	"github.com/flakedup/flakedup/internal/nixversion"
	"github.com/flakedup/flakedup/lockgraph"
)

// fixSettings is everything that steers the plan, merged from flags and
// flakedup.toml (flags win; ignore lists add up).
type fixSettings struct {
	policy lockgraph.Policy
	target nixversion.Target
	// sources are source IDs whose single copies the outcome lists too.
	sources []string
	// configIgnore counts the entries of policy.Ignore from flakedup.toml.
	configIgnore int
}

// options is the settings as internal/flake takes them.
func (s fixSettings) options() flake.Options {
	return flake.Options{Policy: s.policy, Target: s.target, Sources: s.sources, ConfigIgnore: s.configIgnore}
}

// fixSettingsFrom merges the planning flags of c (those c has; analyze has
// none) with the flakedup.toml in dir.
func fixSettingsFrom(c *cli.Context, e *env, dir string) (fixSettings, error) {
	conf, err := config.Load(dir)
	if err != nil {
		return fixSettings{}, err
	}
	target, err := nixversion.Choose(c.String("nix-version"), conf.NixVersion, e.detectNix)
	if err != nil {
		return fixSettings{}, err
	}
	policy := conf.Policy
	if c.IsSet("policy") {
		policy = c.String("policy")
	}
	targetPolicy, err := lockgraph.ParseTargetPolicy(policy)
	if err != nil {
		if c.IsSet("policy") {
			return fixSettings{}, fmt.Errorf("--%w", err)
		}
		return fixSettings{}, fmt.Errorf("%s: %w", conf.Path, err)
	}
	p := lockgraph.Policy{
		Target:      targetPolicy,
		AddInputs:   c.Bool("add-inputs"),
		Include:     c.StringSlice("include"),
		CrossBranch: conf.CrossBranch || c.Bool("cross-branch"),
		All:         conf.All || c.Bool("all"),
		Ignore:      append(append([]string(nil), conf.Ignore...), c.StringSlice("ignore")...),
		Promote:     c.Bool("promote"),
		Deep:        c.Bool("deep"),
		Nix:         target.Version,
	}
	return fixSettings{policy: p, target: target, configIgnore: len(conf.Ignore)}, nil
}

// loadAndPlan loads the flake at arg and plans it with the settings of c
// and its flakedup.toml: the one path analyze, check and fix share.
// adjust, when given, may change the settings once the flake is read, or
// refuse it.
//
// With strict (fix, check), a flake.nix that is missing or that Nix
// refuses is an error before anything is planned; a syntax error says to
// fix it first. Without (analyze), the plan is made on the lock alone and
// the caller warns.
func loadAndPlan(c *cli.Context, e *env, arg string, opts flake.LoadOptions, strict bool, adjust func(*fixSettings, *flake.Flake) error) (*flake.Outcome, fixSettings, error) {
	fl, err := flake.LoadWith(arg, opts)
	if err != nil {
		return nil, fixSettings{}, err
	}
	if err := fl.Refusal(); err != nil && strict {
		if fl.SyntaxError() && c.Command.Name == "fix" {
			return nil, fixSettings{}, fmt.Errorf("%w; fix the syntax error first", err)
		}
		return nil, fixSettings{}, err
	}
	settings, err := fixSettingsFrom(c, e, fl.Dir)
	if err != nil {
		return nil, fixSettings{}, err
	}
	if adjust != nil {
		if err := adjust(&settings, fl); err != nil {
			return nil, fixSettings{}, err
		}
	}
	out, err := fl.Plan(settings.options())
	if err != nil {
		return nil, fixSettings{}, err
	}
	return out, settings, nil
}
