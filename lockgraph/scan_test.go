package lockgraph

import (
	"fmt"
	"strings"
	"testing"
)

// TestScannerStrings checks where a string ends and what it holds, for the
// quotes and backslashes that make that subtle.
func TestScannerStrings(t *testing.T) {
	tests := []struct {
		in, raw, value string
	}{
		{`"abc",`, `"abc"`, "abc"},
		{`"",`, `""`, ""},
		{`"a\"b",`, `"a\"b"`, `a"b`},
		{`"a\\",`, `"a\\"`, `a\`},
		{`"a\\\"b",`, `"a\\\"b"`, `a\"b`},
		{`"\\\\"x`, `"\\\\"`, `\\`},
		{`"\u00e9t\u00e9" `, `"\u00e9t\u00e9"`, "été"},
	}
	for _, tt := range tests {
		sc := &scanner{s: tt.in}
		if raw := sc.rawString(); raw != tt.raw {
			t.Errorf("rawString(%s) = %s, want %s", tt.in, raw, tt.raw)
		}
		sc = &scanner{s: tt.in}
		if v := sc.str(); v != tt.value || sc.i != len(tt.raw) {
			t.Errorf("str(%s) = %q ending at %d, want %q ending at %d", tt.in, v, sc.i, tt.value, len(tt.raw))
		}
	}
}

// TestScannerCompact checks that values come out as compact JSON, and as
// views of the input when they already are.
func TestScannerCompact(t *testing.T) {
	tests := []struct{ in, want string }{
		{`12 ,`, `12`},
		{`-1.5e3}`, `-1.5e3`},
		{`true]`, `true`},
		{`"a b" ,`, `"a b"`},
		{`[]`, `[]`},
		{`[ 1, "x y", {"a" : [ ]} ] ,`, `[1,"x y",{"a":[]}]`},
		{`{"k":"v"}`, `{"k":"v"}`},
	}
	for _, tt := range tests {
		sc := &scanner{s: tt.in}
		if got := sc.compact(); got != tt.want {
			t.Errorf("compact(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestSlab checks that slices carved from a slab are separate (appending to
// one never overwrites the next), that a slice being pushed survives a new
// chunk, and that empty slices are not nil.
func TestSlab(t *testing.T) {
	var s slab[string]
	var all [][]string
	for i := 0; i < 3*slabChunk/10; i++ {
		if i%2 == 0 {
			all = append(all, s.take([]string{fmt.Sprint(i), "x"}))
			continue
		}
		s.begin()
		for j := 0; j < i%23; j++ {
			s.push(fmt.Sprint(i, ".", j))
		}
		all = append(all, s.end())
	}
	for _, sl := range all {
		_ = append(sl, "appended") // must reallocate: capacity ends with the slice
	}
	for i, sl := range all {
		if sl == nil {
			t.Fatalf("slice %d is nil", i)
		}
		var want []string
		if i%2 == 0 {
			want = []string{fmt.Sprint(i), "x"}
		} else {
			for j := 0; j < i%23; j++ {
				want = append(want, fmt.Sprint(i, ".", j))
			}
		}
		if strings.Join(sl, ",") != strings.Join(want, ",") {
			t.Fatalf("slice %d = %q, want %q", i, sl, want)
		}
	}
	if got := s.alloc(0); got == nil || len(got) != 0 {
		t.Errorf("alloc(0) = %#v, want an empty non-nil slice", got)
	}
}
