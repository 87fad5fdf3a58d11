package lockgraph

import (
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/flakedup/flakedup/internal/testenv"
)

// nixpkgsForm names the way a node that mentions nixpkgs (or nixos.org)
// was locked, coarsely: the fetcher, the repository or host, whether a ref
// or rev is written, and for indirect and tarball references what the lock
// resolved them to. It returns "" for a node that mentions neither.
func nixpkgsForm(n *Node) string {
	var text []string
	for _, a := range [...]Attrs{n.Original, n.Locked} {
		for _, f := range a {
			text = append(text, f.Raw)
		}
	}
	if t := strings.ToLower(strings.Join(text, " ")); !strings.Contains(t, "nixpkgs") && !strings.Contains(t, "nixos.org") {
		return ""
	}
	o, l := n.Original, n.Locked
	written := func() string {
		switch {
		case o.String("ref") != "":
			return " ref"
		case o.String("rev") != "":
			return " rev"
		}
		return " no-ref"
	}
	host := func(raw string) (string, []string) {
		u, err := url.Parse(raw)
		if err != nil {
			return raw, nil
		}
		return u.Host, strings.Split(strings.Trim(u.Path, "/"), "/")
	}
	switch t := o.String("type"); t {
	case "github":
		return "github " + strings.ToLower(o.String("owner")+"/"+o.String("repo")) + written()
	case "indirect":
		return "indirect " + o.String("id") + written() + " -> " + l.String("type")
	case "git":
		h, p := host(o.String("url"))
		return "git " + h + "/" + strings.Join(p, "/") + written()
	case "tarball":
		h, p := host(o.String("url"))
		lh, lp := host(l.String("url"))
		switch {
		case h == "flakehub.com" && len(p) >= 3:
			return "tarball flakehub " + p[1] + "/" + p[2]
		case h == "github.com" && len(p) >= 3:
			return "tarball github.com/" + p[0] + "/" + p[1] + "/" + p[2]
		case len(p) >= 1 && len(lp) >= 1:
			channel := p[0]
			if strings.HasPrefix(channel, "nixos-") {
				channel = "nixos-*"
			}
			return "tarball " + h + "/" + channel + " -> " + lh + "/" + lp[0]
		}
		return "tarball " + h
	default:
		return t
	}
}

// TestCorpusNixpkgsForms surveys every node of every corpus lock that
// mentions nixpkgs and checks how each form is counted. The counts were
// taken with jq over the locked and original attributes of every node
// (see the report of the lock-forms change); the test fails when a form
// appears, disappears or is classed differently.
func TestCorpusNixpkgsForms(t *testing.T) {
	type class struct {
		count         int
		nixpkgs, fork bool
	}
	want := map[string]class{
		"github nixos/nixpkgs ref":                                                  {176, true, false},
		"github nixos/nixpkgs rev":                                                  {13, true, false},
		"github nixos/nixpkgs no-ref":                                               {4, true, false},
		"indirect nixpkgs ref -> github":                                            {9, true, false},
		"indirect nixpkgs no-ref -> github":                                         {2, true, false},
		"indirect nixpkgs no-ref -> path":                                           {2, true, false},
		"tarball channels.nixos.org/nixos-* -> releases.nixos.org/nixos":            {6, true, false},
		"tarball channels.nixos.org/nixpkgs-unstable -> releases.nixos.org/nixpkgs": {1, true, false},
		"tarball github.com/NixOS/nixpkgs/archive":                                  {1, true, false},
		"tarball flakehub NixOS/nixpkgs":                                            {3, true, false},
		"tarball flakehub DeterminateSystems/nixpkgs-weekly":                        {1, true, false},
		"git github.com/Mic92/nixpkgs ref":                                          {1, true, true},
		"github ryan4yin/nixpkgs ref":                                               {1, true, true},
		"github cachix/devenv-nixpkgs ref":                                          {1, true, true},
		// Not nixpkgs: nixpkgs's lib alone, and overlays.
		"github nix-community/nixpkgs.lib no-ref":     {18, false, false},
		"github nix-community/nixpkgs-wayland no-ref": {1, false, false},
		"github mozilla/nixpkgs-mozilla no-ref":       {1, false, false},
	}
	got := map[string]class{}
	locks := testenv.CorpusFiles(t, "flake.lock")
	for _, path := range locks {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		g, err := Load(data)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for key, n := range g.Nodes {
			if key == g.Root {
				continue
			}
			src := SourceOf(n)
			form := nixpkgsForm(n)
			if form == "" {
				if src.Nixpkgs {
					t.Errorf("%s: node %q is counted as nixpkgs but never mentions it", filepath.Base(filepath.Dir(path)), key)
				}
				continue
			}
			c, seen := got[form]
			if seen && (c.nixpkgs != src.Nixpkgs || c.fork != src.Fork) {
				t.Errorf("%s: node %q (%s) is nixpkgs=%v fork=%v, other nodes of the form are %v %v",
					filepath.Base(filepath.Dir(path)), key, form, src.Nixpkgs, src.Fork, c.nixpkgs, c.fork)
			}
			got[form] = class{c.count + 1, src.Nixpkgs, src.Fork}
		}
	}
	forms := map[string]bool{}
	for f := range want {
		forms[f] = true
	}
	for f := range got {
		forms[f] = true
	}
	var names []string
	for f := range forms {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		if got[f] != want[f] {
			t.Errorf("form %q: got %+v, want %+v", f, got[f], want[f])
		}
	}
}
