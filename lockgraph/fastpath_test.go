package lockgraph

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestAttrsStringFastPath checks Attrs.String on values that take the fast
// path and on values that need json.Unmarshal.
func TestAttrsStringFastPath(t *testing.T) {
	tests := []struct {
		raw  string
		want string
	}{
		{`"abc"`, "abc"},
		{`""`, ""},
		{`"a b/c:d~"`, "a b/c:d~"},
		{`"a\"b"`, `a"b`},
		{`"a\\b"`, `a\b`},
		{`"\u00e9t\u00e9"`, "été"},
		{`"été"`, "été"},
		{"\"a\xffb\"", "a\uFFFDb"},
		{`"a`, ""},
		{`"`, ""},
		{`5`, ""},
		{`null`, ""},
	}
	for _, tt := range tests {
		if got := (Attrs{{Key: "k", Raw: tt.raw}}).String("k"); got != tt.want {
			t.Errorf("String(%s) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

// TestWriteValuePlainScalars checks that the values writeValue copies
// as they are come out exactly as decoding and writing them again would,
// and that the others still go through the decoder.
func TestWriteValuePlainScalars(t *testing.T) {
	tests := []struct {
		raw   string
		plain bool
		want  string
	}{
		{`"abc"`, true, `"abc"`},
		{`1700000000`, true, `1700000000`},
		{`0`, true, `0`},
		{`007`, false, `0`},
		{`-1`, false, `-1`},
		{`1.50`, false, `1.50`},
		{`"\u00e9"`, false, `"é"`},
		{`"a\/b"`, false, `"a/b"`},
		{`{"b":1,"a":"x"}`, false, "{\n  \"a\": \"x\",\n  \"b\": 1\n}"},
		{``, false, ``},
	}
	for _, tt := range tests {
		raw := json.RawMessage(tt.raw)
		if got := isPlainScalar(raw); got != tt.plain {
			t.Errorf("isPlainScalar(%s) = %v, want %v", tt.raw, got, tt.plain)
		}
		var b bytes.Buffer
		writeValue(&b, raw, 0)
		if b.String() != tt.want {
			t.Errorf("writeValue(%s) = %q, want %q", tt.raw, b.String(), tt.want)
		}
	}
}
