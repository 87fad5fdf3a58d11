package rewrite

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks, for any input, that Parse does not panic (nor hit an
// internal error, which is a recovered panic), that an accepted file
// round-trips, that the tokens always concatenate to the input, and that
// an error points at a line and column inside the file.
func FuzzParse(f *testing.F) {
	inputs, _ := filepath.Glob("../fixtures/parse/*/input.nix")
	for _, in := range inputs {
		if src, err := os.ReadFile(in); err == nil {
			f.Add(src)
		}
	}
	for _, s := range []string{`"${x}"`, "''a''${b}''", `./a${b}/c`, `x: x.a or b`, `{ a, b ? 1, ... }@c: c`, "1\x00",
		`f: x: x |> f <| x`, `{ inputs.a.url = github:o/r?dir=a; inputs.a.inputs.b.follows = "/c"; inputs.c.x = -1.5; }`,
		`{ inputs.a.inputs.n.follows = "nixpkgz/a.b"; outputs = { self, nixpkgs }: { }; }`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		tokens, _ := lex(src)
		var b bytes.Buffer
		for _, tok := range tokens {
			b.Write(tok.Leading)
			b.Write(tok.Text)
		}
		if !bytes.Equal(b.Bytes(), src) {
			t.Fatalf("tokens of %q concatenate to %q", src, b.Bytes())
		}
		file, err := Parse("fuzz.nix", src)
		if err == nil {
			if !bytes.Equal(file.Bytes(), src) {
				t.Fatalf("Parse(%q).Bytes() = %q", src, file.Bytes())
			}
			// The inputs model never panics either, and its errors are
			// positioned; what it reads checks without an internal error.
			in, err := file.Inputs()
			if err != nil {
				var pe *Error
				if errors.Is(err, ErrInternal) || !errors.As(err, &pe) {
					t.Fatalf("Inputs of %q: %v", src, err)
				}
				return
			}
			if err := in.CheckFollowsTargets(); err != nil && !errors.Is(err, ErrFollowsTarget) {
				t.Fatalf("CheckFollowsTargets of %q: %v", src, err)
			}
			if js := in.JSON(); !json.Valid(js) {
				t.Fatalf("Inputs(%q).JSON() = %s, not JSON", src, js)
			}
			return
		}
		if errors.Is(err, ErrInternal) {
			t.Fatalf("Parse(%q): %v", src, err)
		}
		var pe *Error
		if !errors.As(err, &pe) {
			t.Fatalf("Parse(%q) error %v is not an *Error", src, err)
		}
		lines := bytes.Split(src, []byte("\n"))
		p := pe.Pos
		if p.Line < 1 || p.Line > len(lines) || p.Column < 1 || p.Column > len(lines[p.Line-1])+1 {
			t.Fatalf("Parse(%q) error %v: position outside the file", src, err)
		}
	})
}

// BenchmarkParseLargest parses the largest corpus flake.nix.
func BenchmarkParseLargest(b *testing.B) {
	var largest []byte
	for _, path := range corpusFiles(b) {
		src, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		if len(src) > len(largest) {
			largest = src
		}
	}
	b.SetBytes(int64(len(largest)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Parse("flake.nix", largest); err != nil {
			b.Fatal(err)
		}
	}
}
