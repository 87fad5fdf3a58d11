package discover

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Ignore holds the rules of the gitignore files read so far. It
// understands what gitignore(5) documents: blank lines and `#` comments,
// `\#` and `\!` escapes, trailing spaces (unless escaped), `!` to re-include,
// a trailing `/` for directories only, a `/` at the start or in the middle
// to anchor a pattern to its file's directory, `*`, `?`, `[...]` within a
// path segment, and `**` for any number of segments. The last rule that
// matches decides; as in git, a file inside an ignored directory cannot be
// re-included (Flakes never enters such a directory).
type Ignore struct {
	rules []rule
}

// rule is one pattern line of a gitignore file.
type rule struct {
	base     string   // the directory of the file the rule came from
	segments []string // the pattern split at "/"
	anchored bool     // matched against the whole path below base
	dirOnly  bool     // trailing "/": directories only
	negate   bool     // "!": re-include
}

// addFile reads the rules of the gitignore file at name, whose patterns are
// relative to base. A missing file adds nothing.
func (ig *Ignore) addFile(name, base string) error {
	data, err := os.ReadFile(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("%s: %w", name, unwrap(err))
	}
	ig.add(base, data)
	return nil
}

// add parses the lines of a gitignore file whose patterns are relative to
// base.
func (ig *Ignore) add(base string, data []byte) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		if r, ok := parseRule(base, sc.Text()); ok {
			ig.rules = append(ig.rules, r)
		}
	}
}

// parseRule reads one line; ok is false for blank lines and comments.
func parseRule(base, line string) (rule, bool) {
	line = strings.TrimSuffix(line, "\r")
	line = trimTrailingSpaces(line)
	if line == "" || strings.HasPrefix(line, "#") {
		return rule{}, false
	}
	r := rule{base: base}
	switch {
	case strings.HasPrefix(line, "!"):
		r.negate = true
		line = line[1:]
	case strings.HasPrefix(line, `\!`), strings.HasPrefix(line, `\#`):
		line = line[1:]
	}
	if strings.HasSuffix(line, "/") {
		r.dirOnly = true
		line = strings.TrimRight(line, "/")
	}
	if strings.HasPrefix(line, "/") {
		r.anchored = true
		line = strings.TrimLeft(line, "/")
	}
	if line == "" {
		return rule{}, false
	}
	if strings.Contains(line, "/") {
		r.anchored = true
	}
	r.segments = strings.Split(line, "/")
	return r, true
}

// trimTrailingSpaces drops trailing spaces that are not escaped with a
// backslash.
func trimTrailingSpaces(s string) string {
	for strings.HasSuffix(s, " ") && !strings.HasSuffix(s, `\ `) {
		s = s[:len(s)-1]
	}
	if strings.HasSuffix(s, `\ `) {
		s = s[:len(s)-2] + " "
	}
	return s
}

// Ignored reports whether the rules ignore p (a path in the same form as
// the directories the rules were read from); isDir says whether p is a
// directory.
func (ig *Ignore) Ignored(p string, isDir bool) bool {
	ignored := false
	for _, r := range ig.rules {
		if r.dirOnly && !isDir {
			continue
		}
		rel, err := filepath.Rel(r.base, p)
		if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			continue
		}
		if r.matches(strings.Split(filepath.ToSlash(rel), "/")) {
			ignored = !r.negate
		}
	}
	return ignored
}

// matches reports whether the rule matches the path below its base, given
// as segments.
func (r rule) matches(segs []string) bool {
	if !r.anchored {
		// A pattern without a slash matches the name at any level.
		return matchSegment(r.segments[0], segs[len(segs)-1])
	}
	return matchSegments(r.segments, segs)
}

// matchSegments matches pattern segments against path segments, `**`
// standing for any number of segments (zero included).
func matchSegments(pat, segs []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			rest := pat[1:]
			if len(rest) == 0 {
				return len(segs) > 0 // trailing "/**": everything inside, not the directory itself
			}
			for i := 0; i <= len(segs); i++ {
				if matchSegments(rest, segs[i:]) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 || !matchSegment(pat[0], segs[0]) {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}

// matchSegment matches one segment with path.Match's syntax (which is
// gitignore's within a segment); a malformed pattern matches nothing, as
// git treats it.
func matchSegment(pat, name string) bool {
	ok, err := path.Match(pat, name)
	return err == nil && ok
}
