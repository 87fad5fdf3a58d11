package nixversion

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
)

// Cache remembers what `nix --version` printed for each nix binary, so that
// a command that needs the target Nix pays for running nix once per binary
// rather than once per run. An entry is keyed by the binary's resolved path
// and holds its modification time and size: an upgraded nix is a new
// binary, or the same path with another mtime or size, and is asked again.
//
// The cache is a convenience: a missing, unreadable, broken or stale file
// is ignored (nix is run and the file rewritten), and a failure to write it
// is not an error. Writes go through a temporary file and a rename, so a
// reader never sees half a file.
type Cache struct {
	// Dir holds the cache file (in the program, <user cache dir>/flakedup:
	// $XDG_CACHE_HOME/flakedup or ~/.cache/flakedup). "" disables caching.
	Dir string
}

// cacheFile is the name of the cache file in Cache.Dir.
const cacheFile = "nix-version.json"

// maxCacheEntries bounds the file: one entry per nix binary seen.
const maxCacheEntries = 16

// cacheEntry is what one nix binary printed.
type cacheEntry struct {
	ModTimeNS int64  `json:"mtime_ns"`
	Size      int64  `json:"size"`
	Output    string `json:"output"` // the first line of `nix --version`
}

// cacheDoc is the cache file: entries by resolved binary path.
type cacheDoc struct {
	Entries map[string]cacheEntry `json:"entries"`
}

// Detect returns the version of the nix on PATH, from the cache when it
// knows this binary, else by running `nix --version` and remembering the
// answer; ok is false when there is no usable nix.
func (c Cache) Detect(ctx context.Context) (Version, bool) {
	return c.detect(ctx, exec.LookPath, runVersion)
}

// detect is Detect with the PATH lookup and the run injectable for tests.
func (c Cache) detect(ctx context.Context, look func(string) (string, error),
	run func(context.Context, string) (string, error)) (Version, bool) {
	path, err := look("nix")
	if err != nil {
		return Version{}, false
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return Version{}, false
	}
	info, err := os.Stat(real)
	if err != nil {
		return Version{}, false
	}
	entry := cacheEntry{ModTimeNS: info.ModTime().UnixNano(), Size: info.Size()}
	doc := c.read()
	if hit, ok := doc.Entries[real]; ok && hit.ModTimeNS == entry.ModTimeNS && hit.Size == entry.Size {
		if v, err := FromNixVersionOutput(hit.Output); err == nil {
			return v, true
		}
	}
	out, err := run(ctx, real)
	if err != nil {
		return Version{}, false
	}
	v, err := FromNixVersionOutput(out)
	if err != nil {
		return Version{}, false
	}
	entry.Output = out
	c.write(doc, real, entry)
	return v, true
}

// read returns the cache file's entries; an empty set when there is no
// usable file.
func (c Cache) read() cacheDoc {
	doc := cacheDoc{}
	if c.Dir != "" {
		if data, err := os.ReadFile(filepath.Join(c.Dir, cacheFile)); err == nil {
			if json.Unmarshal(data, &doc) != nil {
				doc = cacheDoc{}
			}
		}
	}
	if doc.Entries == nil {
		doc.Entries = map[string]cacheEntry{}
	}
	return doc
}

// write stores doc with path's entry replaced, atomically, dropping the
// other entries beyond maxCacheEntries (in path order). Errors are ignored.
func (c Cache) write(doc cacheDoc, path string, e cacheEntry) {
	if c.Dir == "" {
		return
	}
	others := make([]string, 0, len(doc.Entries))
	for p := range doc.Entries {
		if p != path {
			others = append(others, p)
		}
	}
	sort.Strings(others)
	kept := cacheDoc{Entries: map[string]cacheEntry{path: e}}
	for _, p := range others {
		if len(kept.Entries) >= maxCacheEntries {
			break
		}
		kept.Entries[p] = doc.Entries[p]
	}
	data, err := json.MarshalIndent(kept, "", "  ")
	if err != nil {
		return
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return
	}
	tmp, err := os.CreateTemp(c.Dir, cacheFile+".*.tmp")
	if err != nil {
		return
	}
	_, werr := tmp.Write(append(data, '\n'))
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), filepath.Join(c.Dir, cacheFile)) != nil {
		os.Remove(tmp.Name())
	}
}
