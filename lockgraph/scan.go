package lockgraph

import (
	"bytes"
	"encoding/json"
	"strings"
)

// scanner walks a JSON text that gjson.Valid has already accepted, in one
// pass, handing out strings that are views of the text (no copies) where the
// JSON needs no unescaping.
//
// Why not gjson's own ForEach: gjson finds the end of a value by scanning
// it, so iterating a nested object reads each byte once per level it is
// nested in: five passes over a flake.lock. On a 100,000-node lock that is
// most of the load time. The scanner reads every byte once; gjson still
// decides what is JSON (Load runs gjson.Valid first), which is what lets the
// scanner assume well-formed input and stay this small.
type scanner struct {
	s string
	i int
}

// ws skips whitespace.
func (sc *scanner) ws() {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

// peek skips whitespace and returns the next byte, which starts a value, a
// key, or closes a container (0 at the end of the text).
func (sc *scanner) peek() byte {
	sc.ws()
	if sc.i >= len(sc.s) {
		return 0
	}
	return sc.s[sc.i]
}

// kind names the JSON type of the value starting at the next byte, for
// messages: "an object", "a string", ...
func (sc *scanner) kind() string {
	switch sc.peek() {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// rawString consumes a string and returns its JSON text, quotes included.
func (sc *scanner) rawString() string {
	start := sc.i
	i := sc.i + 1
	for {
		j := strings.IndexByte(sc.s[i:], '"')
		if j < 0 { // unreachable on valid JSON
			sc.i = len(sc.s)
			return sc.s[start:]
		}
		i += j
		// The quote ends the string unless an odd number of backslashes
		// precede it.
		k := i - 1
		for k > start && sc.s[k] == '\\' {
			k--
		}
		if (i-1-k)%2 == 0 {
			sc.i = i + 1
			return sc.s[start:sc.i]
		}
		i++
	}
}

// str consumes a string and returns its value.
func (sc *scanner) str() string {
	raw := sc.rawString()
	body := raw[1 : len(raw)-1]
	if strings.IndexByte(body, '\\') < 0 {
		return body
	}
	var s string
	if err := json.Unmarshal([]byte(raw), &s); err != nil { // unreachable on valid JSON
		return body
	}
	return s
}

// skip consumes any value and returns its JSON text as written.
func (sc *scanner) skip() string {
	sc.ws()
	start := sc.i
	switch sc.s[sc.i] {
	case '"':
		return sc.rawString()
	case '{', '[':
		depth := 0
		for sc.i < len(sc.s) {
			switch sc.s[sc.i] {
			case '"':
				sc.rawString()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			sc.i++
			if depth == 0 {
				break
			}
		}
		return sc.s[start:sc.i]
	}
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return sc.s[start:sc.i]
		}
		sc.i++
	}
	return sc.s[start:sc.i]
}

// compact consumes any value and returns it as compact JSON text: a view of
// the input for scalars and for containers written without whitespace, a
// new string for the others.
func (sc *scanner) compact() string {
	raw := sc.skip()
	if raw[0] != '{' && raw[0] != '[' || !hasSpaceOutsideStrings(raw) {
		return raw
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(raw)); err != nil { // unreachable on valid JSON
		return raw
	}
	return buf.String()
}

// hasSpaceOutsideStrings reports whether a valid JSON text has whitespace
// between its tokens.
func hasSpaceOutsideStrings(raw string) bool {
	inString, escaped := false, false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case !inString && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return true
		}
	}
	return false
}

// fields consumes an object, calling field for each key with the scanner
// at the key's value, which field must consume. It stops at the first
// error field returns.
func (sc *scanner) fields(field func(key string) error) error {
	sc.ws()
	sc.i++ // '{'
	for {
		switch sc.peek() {
		case '}':
			sc.i++
			return nil
		case ',':
			sc.i++
			continue
		}
		key := sc.str()
		sc.ws()
		sc.i++ // ':'
		if err := field(key); err != nil {
			return err
		}
	}
}

// elements consumes an array, calling elem for each element with the
// scanner at it, which elem must consume. It stops at the first error elem
// returns.
func (sc *scanner) elements(elem func(i int) error) error {
	sc.ws()
	sc.i++ // '['
	for n := 0; ; {
		switch sc.peek() {
		case ']':
			sc.i++
			return nil
		case ',':
			sc.i++
			continue
		}
		if err := elem(n); err != nil {
			return err
		}
		n++
	}
}

// slab hands out short slices carved from large shared chunks, so that a
// lock's hundreds of thousands of small attribute sets and follows paths
// cost a few allocations instead of one each.
type slab[T any] struct {
	chunk []T
	run   int // where the slice being built by push starts in chunk
}

// A slab's first chunk holds slabFirst elements, and each next one twice
// as many as the last, up to slabChunk: a small lock costs little, a big
// one few allocations.
const (
	slabFirst = 64
	slabChunk = 8192
)

// grow starts a new chunk with room for at least n elements.
func (s *slab[T]) grow(n int) {
	size := min(slabChunk, max(slabFirst, 2*cap(s.chunk)))
	s.chunk = make([]T, 0, max(size, n))
}

// take returns a copy of items whose capacity ends with it, so that
// appending to it reallocates instead of overwriting the next slice. It
// returns a non-nil empty slice for no items.
func (s *slab[T]) take(items []T) []T {
	out := s.alloc(len(items))
	copy(out, items)
	return out
}

// alloc returns a slice of n zero values whose capacity ends with it; a
// non-nil empty slice for n == 0.
func (s *slab[T]) alloc(n int) []T {
	if n == 0 {
		return []T{}
	}
	if n > cap(s.chunk)-len(s.chunk) {
		s.grow(n)
	}
	start := len(s.chunk)
	s.chunk = s.chunk[:start+n]
	return s.chunk[start : start+n : start+n]
}

// begin starts a slice that push then grows in place, without the copy
// take makes; end returns it.
func (s *slab[T]) begin() { s.run = len(s.chunk) }

// push appends v to the slice begun last, moving it to a new chunk when the
// current one is full.
func (s *slab[T]) push(v T) {
	if len(s.chunk) == cap(s.chunk) {
		run := s.chunk[s.run:]
		s.grow(2*len(run) + 1)
		s.chunk = append(s.chunk, run...)
		s.run = 0
	}
	s.chunk = append(s.chunk, v)
}

// end returns the slice begun last, its capacity ending with it; a non-nil
// empty slice when nothing was pushed.
func (s *slab[T]) end() []T {
	if len(s.chunk) == s.run {
		return []T{}
	}
	return s.chunk[s.run:len(s.chunk):len(s.chunk)]
}
