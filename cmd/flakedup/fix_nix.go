package main

import (
	"github.com/flakedup/flakedup/internal/nixversion"
	"github.com/flakedup/flakedup/lockgraph"
)

// setPolicyNix passes the target Nix version to the planner.
// TODO(lead): wire to lockgraph.Policy once the planner takes a version.
func setPolicyNix(p *lockgraph.Policy, v nixversion.Version) {}

// heldBackNeeds is the Nix version that would allow a held-back copy.
func heldBackNeeds(h lockgraph.HeldBack) string { return "" }
