// Package store knows the two things about the Nix store that the savings
// report needs: the store path a locked flake input is unpacked to, which
// follows from its narHash alone (no Nix needed), and how large the paths
// already in the local store are, which only `nix path-info` can tell.
package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
)

// Dir is the store directory every store path here is computed for.
const Dir = "/nix/store"

// sourceName is the name fetchers give a flake input's source tree.
const sourceName = "source"

// SourcePath returns the store path Nix unpacks a flake input with the
// given narHash to: the content-addressed path of a NAR-hashed "source"
// with no references (Nix's makeFixedOutputPath for recursive SHA-256,
// which is makeStorePath("source", hash, "source")). narHash may be in SRI
// form ("sha256-<base64>", what flake.lock holds) or "sha256:<hash>" in
// base16, Nix's base32 or base64.
func SourcePath(narHash string) (string, error) {
	digest, err := parseSHA256(narHash)
	if err != nil {
		return "", err
	}
	// makeStorePath: "<type>:sha256:<hex>:<store dir>:<name>", hashed,
	// folded to 160 bits, in Nix's base32.
	s := "source:sha256:" + hex.EncodeToString(digest) + ":" + Dir + ":" + sourceName
	sum := sha256.Sum256([]byte(s))
	return Dir + "/" + nixBase32(compress(sum[:], 20)) + "-" + sourceName, nil
}

// parseSHA256 reads a SHA-256 hash in any of the forms SourcePath accepts.
func parseSHA256(h string) ([]byte, error) {
	bad := func(why string) error { return fmt.Errorf("narHash %q: %s", h, why) }
	var enc string
	switch {
	case strings.HasPrefix(h, "sha256-"):
		b, err := base64.StdEncoding.DecodeString(h[len("sha256-"):])
		if err != nil || len(b) != sha256.Size {
			return nil, bad("not a base64 SHA-256")
		}
		return b, nil
	case strings.HasPrefix(h, "sha256:"):
		enc = h[len("sha256:"):]
	default:
		return nil, bad("not a SHA-256 hash")
	}
	switch len(enc) {
	case 64:
		b, err := hex.DecodeString(enc)
		if err != nil {
			return nil, bad("not base16")
		}
		return b, nil
	case 52:
		b, ok := decodeNixBase32(enc, sha256.Size)
		if !ok {
			return nil, bad("not Nix base32")
		}
		return b, nil
	case 44:
		b, err := base64.StdEncoding.DecodeString(enc)
		if err != nil || len(b) != sha256.Size {
			return nil, bad("not base64")
		}
		return b, nil
	}
	return nil, bad("wrong length")
}

// compress folds h to size bytes by XOR, as Nix's compressHash does.
func compress(h []byte, size int) []byte {
	out := make([]byte, size)
	for i, b := range h {
		out[i%size] ^= b
	}
	return out
}

// nixBase32Chars is Nix's base-32 alphabet (no e, o, u, t).
const nixBase32Chars = "0123456789abcdfghijklmnpqrsvwxyz"

// nixBase32 encodes b the way Nix prints hashes in base 32: the last
// 5-bit group first.
func nixBase32(b []byte) string {
	n := (len(b)*8-1)/5 + 1
	out := make([]byte, n)
	for i := 0; i < n; i++ {
		k := n - 1 - i
		bit := k * 5
		j, shift := bit/8, uint(bit%8)
		c := b[j] >> shift
		if j+1 < len(b) {
			c |= b[j+1] << (8 - shift)
		}
		out[i] = nixBase32Chars[c&0x1f]
	}
	return string(out)
}

// decodeNixBase32 is the inverse of nixBase32 for a hash of size bytes.
func decodeNixBase32(s string, size int) ([]byte, bool) {
	out := make([]byte, size)
	n := len(s)
	for i := 0; i < n; i++ {
		c := strings.IndexByte(nixBase32Chars, s[i])
		if c < 0 {
			return nil, false
		}
		k := n - 1 - i
		bit := k * 5
		j, shift := bit/8, uint(bit%8)
		if j >= size {
			if c != 0 {
				return nil, false
			}
			continue
		}
		out[j] |= byte(c << shift)
		if j+1 < size {
			out[j+1] |= byte(c >> (8 - shift))
		} else if c>>(8-shift) != 0 {
			return nil, false
		}
	}
	return out, true
}

// ErrNoNix is returned by NarSizes when no nix program is on PATH: the
// sizes are then unknown, which is not an error of the flake.
var ErrNoNix = errors.New("nix is not on PATH")

// NarSizes asks the local store how large each of paths is (its NAR size
// in bytes), with `nix path-info --json`. Paths that are not in the store
// are absent from the result: their size is unknown, and callers must say
// so rather than guess. nix names the program (empty: "nix" on PATH).
// When the store is surely the plain /nix/store (plainStore), paths it
// has no entry for are not asked about, and nix is not run at all when it
// has none of them.
func NarSizes(ctx context.Context, nix string, paths []string) (map[string]int64, error) {
	if nix == "" {
		p, err := exec.LookPath("nix")
		if err != nil {
			return nil, ErrNoNix
		}
		nix = p
	}
	sizes := map[string]int64{}
	if len(paths) == 0 {
		return sizes, nil
	}
	uniq := append([]string(nil), paths...)
	sort.Strings(uniq)
	uniq = dedupSorted(uniq)
	if plainStore(processEnv()) {
		// Only what /nix/store holds can have a size: spare the nix run
		// when it holds none of them (see local.go).
		if uniq = inPlainStore(uniq, os.Lstat); len(uniq) == 0 {
			return sizes, nil
		}
	}
	// One call for all paths first; `nix path-info` fails as a whole when
	// any path is not in the store, and then each path is asked alone.
	if out, err := pathInfo(ctx, nix, uniq); err == nil {
		all := parsePathInfos(out)
		for _, p := range uniq {
			if size, ok := all[p]; ok {
				sizes[p] = size
			}
		}
		return sizes, nil
	}
	if len(uniq) > maxSingleQueries {
		return sizes, nil // every size unknown, rather than thousands of nix runs
	}
	for _, p := range uniq {
		out, err := pathInfo(ctx, nix, []string{p})
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			continue // not in this store
		}
		if size, ok := parsePathInfo(out, p); ok {
			sizes[p] = size
		}
	}
	return sizes, nil
}

// pathInfo runs `nix path-info --json` on paths.
func pathInfo(ctx context.Context, nix string, paths []string) ([]byte, error) {
	args := append([]string{"--extra-experimental-features", "nix-command", "path-info", "--offline", "--json"}, paths...)
	cmd := exec.CommandContext(ctx, nix, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("nix path-info: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// dedupSorted drops repeated elements of a sorted slice.
func dedupSorted(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// maxSingleQueries bounds the one-path-at-a-time fallback of NarSizes.
const maxSingleQueries = 64

// parsePathInfos reads every valid path's narSize from `nix path-info
// --json` output (both forms parsePathInfo reads), in one pass.
func parsePathInfos(out []byte) map[string]int64 {
	type info struct {
		Path    string `json:"path"`
		NarSize *int64 `json:"narSize"`
	}
	sizes := map[string]int64{}
	var list []info
	if json.Unmarshal(out, &list) == nil {
		for _, x := range list {
			if x.NarSize != nil {
				sizes[x.Path] = *x.NarSize
			}
		}
		return sizes
	}
	var byPath map[string]*info
	if json.Unmarshal(out, &byPath) == nil {
		for p, x := range byPath {
			if x != nil && x.NarSize != nil {
				sizes[p] = *x.NarSize
			}
		}
	}
	return sizes
}

// parsePathInfo reads the narSize of path from `nix path-info --json`
// output, which is a list of objects in Nix before 2.19 and an object
// keyed by path since.
func parsePathInfo(out []byte, path string) (int64, bool) {
	size, ok := parsePathInfos(out)[path]
	return size, ok
}
