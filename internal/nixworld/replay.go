package nixworld

import (
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Replayed describes a world rebuilt by ReplayDetailed from a real lock.
type Replayed struct {
	// Root is the root flake's directory, not locked yet.
	Root string
	// Unexpressed lists, sorted by path, the follows of the real lock that
	// the replay could not declare so that Nix 2.8 stores the same follows
	// path, and what it declared instead.
	Unexpressed []Unexpressed
	// NixpkgsCopies is the number of inputs replayed as a fake nixpkgs.
	NixpkgsCopies int
	// NixpkgsRevisions is the number of distinct (owner, revision) pairs
	// among them: one fake commit each.
	NixpkgsRevisions int
	// Branches counts the replayed nixpkgs copies by "owner branch"
	// ("owner" alone for a revision pinned without a ref).
	Branches map[string]int
}

// Unexpressed is a follows of a real lock that Nix 2.8 cannot be made to
// store as it is.
type Unexpressed struct {
	// Path is the follows input's path, Target the path it follows.
	Path, Target string
	// Declared is the follows path the replay declared instead, or "" when
	// it declared a stub flake (a leaf locked on its own).
	Declared string
	// Reason says why the target cannot be declared.
	Reason string
}

// String renders u on one line.
func (u Unexpressed) String() string {
	instead := "a stub flake"
	if u.Declared != "" {
		instead = fmt.Sprintf("follows %q", u.Declared)
	}
	return fmt.Sprintf("%s follows %q: %s; replayed as %s", u.Path, u.Target, u.Reason, instead)
}

// Replay rebuilds in w a world with the same input tree as the real lock
// lockJSON and returns the directory of its root flake, ready for w.Lock.
// See ReplayDetailed.
func Replay(w *World, lockJSON []byte) (rootDir string, err error) {
	r, err := ReplayDetailed(w, lockJSON)
	if err != nil {
		return "", err
	}
	return r.Root, nil
}

// ReplayDetailed rebuilds in w a world with the same input tree as the
// real lock lockJSON:
//   - one local flake (a plain directory, path: input) per input path
//     locked on its own, with the same input names, and flake = false
//     where the lock has it;
//   - each nixpkgs input (github, gitlab, git, tarball channel, FlakeHub or
//     indirect nixpkgs) becomes a fake nixpkgs git repository of the same
//     owner (another owner than NixOS makes a fork), on the same branch
//     (the original ref, a channel name, or no ref for a pinned revision),
//     with one fake commit per distinct original revision;
//   - each follows is declared where Nix 2.8 can express it: in the flake
//     that has the input, when the target lies inside that flake's inputs,
//     or else in its parent's flake.nix as a depth-2 override
//     (inputs.c.inputs.n.follows). A target that runs through another
//     follows (refused before Nix 2.18) is resolved to the path it denotes;
//     a target that neither flake can reach becomes a stub flake. Both are
//     listed in Unexpressed.
func ReplayDetailed(w *World, lockJSON []byte) (*Replayed, error) {
	flat, err := Flatten(lockJSON)
	if err != nil {
		return nil, fmt.Errorf("nixworld: replay: %w", err)
	}
	rp := &replay{
		w:        w,
		flat:     flat,
		children: map[string][]string{},
		url:      map[string]string{},
		dirs:     map[string]string{},
		decl:     map[string][]string{},
		base:     w.Path(fmt.Sprintf("replay%d", w.replays)), // one directory per replay
		out:      Replayed{Branches: map[string]int{}},
	}
	w.replays++
	for _, p := range sortedPaths(flat) {
		parent, name := splitPath(p)
		rp.children[parent] = append(rp.children[parent], name)
	}
	if err := rp.sources(); err != nil {
		return nil, err
	}
	rp.follows()
	if err := rp.write(); err != nil {
		return nil, err
	}
	sort.Slice(rp.out.Unexpressed, func(i, j int) bool {
		return rp.out.Unexpressed[i].Path < rp.out.Unexpressed[j].Path
	})
	rp.out.Root = filepath.Join(rp.base, "root")
	return &rp.out, nil
}

// replay is the state of one ReplayDetailed call.
type replay struct {
	w        *World
	flat     map[string]Entry
	children map[string][]string // input path ("" = root) -> input names
	url      map[string]string   // input path -> URL declared for it
	dirs     map[string]string   // input path -> directory of a replayed flake
	decl     map[string][]string // flake path -> extra declaration lines
	base     string              // directory holding the replay's flakes
	out      Replayed
}

// splitPath splits "a/b/c" into "a/b" and "c"; the root's inputs have
// parent "".
func splitPath(p string) (parent, name string) {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return "", p
	}
	return p[:i], p[i+1:]
}

// sources creates a fake nixpkgs commit or a local directory for every
// input locked on its own, and records its URL.
func (rp *replay) sources() error {
	type revKey struct{ owner, rev string }
	commits := map[revKey]string{}
	n := 0
	for _, p := range sortedPaths(rp.flat) {
		e := rp.flat[p]
		if e.IsFollows() {
			continue
		}
		if src, ok := nixpkgsSource(e); ok && len(rp.children[p]) == 0 {
			repo := rp.w.Nixpkgs(src.owner, 0)
			branch := src.branch
			if branch == "" {
				branch = "main" // a pinned revision: reachable from the default branch
			}
			// One commit per distinct revision, on the branch that first
			// uses it; a later branch using it too starts there.
			key := revKey{src.owner, src.rev}
			rev, ok := commits[key]
			if ok {
				repo.Branch(branch, rev)
			} else {
				rev = repo.Commit(branch)
				commits[key] = rev
			}
			rp.url[p] = repo.URLRev(src.branch, rev)
			rp.out.NixpkgsCopies++
			rp.out.Branches[strings.TrimSpace(src.owner+" "+src.branch)]++
			continue
		}
		n++
		dir := filepath.Join(rp.base, fmt.Sprintf("%03d-%s", n, safeName(p)))
		rp.url[p] = "path:" + dir
		if e.Flake {
			rp.dirs[p] = dir // its flake.nix is written by write
		} else if err := writeFile(filepath.Join(dir, "README"), "not a flake: "+p+"\n"); err != nil {
			return err
		}
	}
	rp.out.NixpkgsRevisions = len(commits)
	return nil
}

// follows decides where each follows of the lock is declared.
func (rp *replay) follows() {
	for _, p := range sortedPaths(rp.flat) {
		e := rp.flat[p]
		if !e.IsFollows() {
			continue
		}
		target, reason := e.Follows, ""
		if through, ok := rp.throughFollows(target); ok {
			resolved, err := rp.resolve(target)
			if err != nil {
				rp.stub(Unexpressed{Path: p, Target: join(target), Reason: err.Error()})
				continue
			}
			reason = fmt.Sprintf("the target runs through the follows %s (needs Nix 2.18)", through)
			target = resolved
		}
		owner, name := splitPath(p)
		if rel, ok := relative(target, owner); ok {
			rp.decl[owner] = append(rp.decl[owner], fmt.Sprintf("%s.follows = %s;", nixName(name), nixString(rel)))
			rp.unexpressed(p, e.Follows, target, reason)
			continue
		}
		if owner != "" {
			grand, child := splitPath(owner)
			if rel, ok := relative(target, grand); ok {
				rp.decl[grand] = append(rp.decl[grand], fmt.Sprintf("%s.inputs.%s.follows = %s;",
					nixName(child), nixName(name), nixString(rel)))
				rp.url[p] = "path:" + filepath.Join(rp.base, "stub") // overridden, never locked
				rp.unexpressed(p, e.Follows, target, reason)
				continue
			}
		}
		if reason == "" {
			reason = fmt.Sprintf("neither %s nor its parent contains the target (a depth-3 override, needs Nix 2.30)", ownerName(owner))
		} else {
			reason += fmt.Sprintf(", and neither %s nor its parent contains %s", ownerName(owner), join(target))
		}
		rp.stub(Unexpressed{Path: p, Target: join(e.Follows), Reason: reason})
	}
}

// unexpressed records a follows declared with another target than the
// lock's, when reason says why.
func (rp *replay) unexpressed(p string, target, declared []string, reason string) {
	if reason != "" {
		rp.out.Unexpressed = append(rp.out.Unexpressed,
			Unexpressed{Path: p, Target: join(target), Declared: join(declared), Reason: reason})
	}
}

// stub makes the input u.Path a leaf flake of its own and records why.
func (rp *replay) stub(u Unexpressed) {
	rp.url[u.Path] = "path:" + filepath.Join(rp.base, "stub")
	rp.out.Unexpressed = append(rp.out.Unexpressed, u)
}

// throughFollows reports the first proper prefix of target that is itself a
// follows, if any.
func (rp *replay) throughFollows(target []string) (string, bool) {
	for i := 1; i < len(target); i++ {
		prefix := join(target[:i])
		if rp.flat[prefix].IsFollows() {
			return prefix, true
		}
	}
	return "", false
}

// resolve replaces every prefix of target that is a follows by the path
// it follows, until no segment but the last is a follows.
func (rp *replay) resolve(target []string) ([]string, error) {
	cur := append([]string(nil), target...)
	for steps := 0; steps < 100; steps++ {
		changed := false
		for i := 1; i < len(cur); i++ {
			if e := rp.flat[join(cur[:i])]; e.IsFollows() {
				cur = append(append([]string(nil), e.Follows...), cur[i:]...)
				changed = true
				break
			}
		}
		if !changed {
			return cur, nil
		}
	}
	return nil, fmt.Errorf("follow cycle detected resolving %s", join(target))
}

// relative returns target relative to the flake at path owner ("" = root),
// when target lies inside it.
func relative(target []string, owner string) (string, bool) {
	t := join(target)
	switch {
	case owner == "":
		return t, true
	case t == owner:
		return "", true
	case strings.HasPrefix(t, owner+"/"):
		return strings.TrimPrefix(t, owner+"/"), true
	}
	return "", false
}

// write writes the flake.nix of the root, of every replayed flake, and of
// the stub.
func (rp *replay) write() error {
	if err := writeFile(filepath.Join(rp.base, "stub", "flake.nix"), "{ "+Outputs()+" }\n"); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(rp.base, "root", "flake.nix"), rp.flakeNix("")); err != nil {
		return err
	}
	for p, dir := range rp.dirs {
		if err := writeFile(filepath.Join(dir, "flake.nix"), rp.flakeNix(p)); err != nil {
			return err
		}
	}
	return nil
}

// flakeNix renders the flake.nix of the flake at input path p ("" = root).
func (rp *replay) flakeNix(p string) string {
	var b strings.Builder
	b.WriteString("{\n  inputs = {\n")
	for _, name := range rp.children[p] {
		child := name
		if p != "" {
			child = p + "/" + name
		}
		e := rp.flat[child]
		u, declared := rp.url[child]
		switch {
		case e.IsFollows() && !declared:
			continue // declared by the follows pass
		case !e.Flake && !e.IsFollows():
			fmt.Fprintf(&b, "    %s = { url = %s; flake = false; };\n", nixName(name), nixString(u))
		default:
			fmt.Fprintf(&b, "    %s.url = %s;\n", nixName(name), nixString(u))
		}
	}
	for _, line := range rp.decl[p] {
		b.WriteString("    " + line + "\n")
	}
	b.WriteString("  };\n  " + Outputs() + "\n}\n")
	return b.String()
}

// source is where a nixpkgs input comes from.
type source struct {
	owner  string // NixOS, or a fork's owner
	branch string // original ref or channel; "" for a pinned revision
	rev    string // locked revision (or narHash when there is none)
}

var (
	channelRe  = regexp.MustCompile(`(?:channels\.nixos\.org|nixos\.org/channels|releases\.nixos\.org/nixos)/([^/]+)`)
	flakehubRe = regexp.MustCompile(`flakehub\.com/f/(?:pinned/)?([^/]+)/nixpkgs/0(?:\.(\d+))?`)
	hexRevRe   = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// nixpkgsSource tells whether e is a nixpkgs input and where it comes
// from, by the rules of NIX-NOTES.md ("Where nixpkgs comes from").
func nixpkgsSource(e Entry) (source, bool) {
	var o, l map[string]any
	_ = json.Unmarshal(e.Original, &o)
	_ = json.Unmarshal(e.Locked, &l)
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	src := source{branch: str(o, "ref"), rev: str(l, "rev")}
	if src.rev == "" {
		src.rev = str(l, "narHash")
	}
	pinned := str(o, "rev") != ""
	switch str(o, "type") {
	case "github", "gitlab", "sourcehut":
		if !strings.EqualFold(str(o, "repo"), "nixpkgs") {
			return source{}, false
		}
		src.owner = str(o, "owner")
	case "git":
		u, err := url.Parse(str(o, "url"))
		if err != nil {
			return source{}, false
		}
		segs := strings.Split(strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), ".git"), "/")
		if len(segs) < 2 || !strings.EqualFold(segs[len(segs)-1], "nixpkgs") {
			return source{}, false
		}
		src.owner = segs[len(segs)-2]
		if src.branch == "" {
			src.branch = u.Query().Get("ref")
		}
	case "tarball", "file":
		u := str(o, "url")
		if m := flakehubRe.FindStringSubmatch(u); m != nil {
			src.owner, src.branch = m[1], "nixos-unstable"
			if len(m[2]) == 4 { // 0.2405 is nixos-24.05; 0.1 (and 0) unstable
				src.branch = "nixos-" + m[2][:2] + "." + m[2][2:]
			}
		} else if m := channelRe.FindStringSubmatch(u); m != nil {
			src.owner, src.branch = "NixOS", m[1]
		} else if gu, err := url.Parse(u); err == nil && strings.EqualFold(gu.Host, "github.com") {
			segs := strings.Split(strings.Trim(gu.Path, "/"), "/")
			if len(segs) < 4 || !strings.EqualFold(segs[1], "nixpkgs") || segs[2] != "archive" {
				return source{}, false
			}
			src.owner = segs[0]
			src.branch = strings.TrimSuffix(strings.TrimSuffix(segs[3], ".tar.gz"), ".zip")
			if hexRevRe.MatchString(src.branch) {
				src.branch = ""
			}
		} else {
			return source{}, false
		}
	case "indirect":
		if str(o, "id") != "nixpkgs" {
			return source{}, false
		}
		src.owner = "NixOS"
	default:
		return source{}, false
	}
	if strings.EqualFold(src.owner, "NixOS") {
		src.owner = "NixOS"
	}
	src.owner = safeName(src.owner)
	if src.branch == "" && !pinned && str(o, "type") != "tarball" && str(o, "type") != "file" {
		src.branch = "master" // the default branch of a ref-less reference
	}
	return src, true
}

// sortedPaths returns the input paths of flat in sorted order.
func sortedPaths(flat map[string]Entry) []string {
	paths := make([]string, 0, len(flat))
	for p := range flat {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

var unsafeRe = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// safeName turns an input path or owner into a directory name.
func safeName(s string) string {
	s = unsafeRe.ReplaceAllString(s, "_")
	if len(s) > 60 {
		s = s[:60]
	}
	return s
}

// nixString quotes s as a Nix string literal.
func nixString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "${", `\${`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// nixName quotes an input name as a Nix attribute name.
func nixName(s string) string { return nixString(s) }

func join(p []string) string { return strings.Join(p, "/") }

func ownerName(p string) string {
	if p == "" {
		return "the root"
	}
	return p
}
