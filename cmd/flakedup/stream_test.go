package main

import (
	"bytes"
	"errors"
	"testing"
)

// TestWriteAnalyzeJSONMatchesWriteJSON checks that streaming the analyze
// document gives the bytes writeJSON gives for the whole value.
func TestWriteAnalyzeJSONMatchesWriteJSON(t *testing.T) {
	copyA := analyzeCopyJS{Path: "a/nixpkgs", PathCount: 2, SamplePaths: []string{"a/nixpkgs", "b/a/nixpkgs"},
		CouldFollow: true, Branch: "rolling", Ref: "nixos-unstable", Rev: "abc", NarHash: "sha256-x", LastModified: "2024-05-01"}
	copyB := analyzeCopyJS{Path: "nixpkgs", PathCount: 1, SamplePaths: []string{}, Declared: true, Branch: "24.05"}
	odd := analyzeCopyJS{Path: "caf\u00e9/<a&b>", PathCount: 1 << 63, Saturated: true,
		SamplePaths: []string{"x\"y", "a\\b", "tab\there", "\u2028", "bad\xffutf8"}, Rev: "\x01", LastModified: "2024-01-01"}
	tests := []struct {
		name string
		doc  analyzeOutput
		size int // expected length of the output, so a test that passes on two equal wrong outputs still fails
	}{
		{"no groups", analyzeOutput{Nodes: 3, Groups: []analyzeGroupJS{}}, 443},
		{"one group", analyzeOutput{Nodes: 9, Nixpkgs: nixpkgsOutput{Copies: 2, RootDeclared: true},
			Groups: []analyzeGroupJS{{Source: "github:nixos/nixpkgs", Nixpkgs: true, Revisions: 2,
				Copies: []analyzeCopyJS{copyB, copyA}}},
			Plan: planOutput{Convention: "following this flake's convention: everything follows nixpkgs",
				Crossings: []string{"a/nixpkgs: nixos-unstable → nixpkgs (nixos-25.11)"},
				HeldBack:  []heldBackJSON{{"b/nixpkgs", "b/nixpkgs is on nixos-24.05", ""}}}}, 1633},
		{"escapes and an empty copy list", analyzeOutput{Groups: []analyzeGroupJS{
			{Source: "git:<a&b>\"\u2028", Copies: []analyzeCopyJS{}},
			{Source: "path:/x", Fork: true, Copies: []analyzeCopyJS{copyA}}}}, 1162},
		{"strings that need escaping, nil sample paths", analyzeOutput{Groups: []analyzeGroupJS{
			{Source: "s", Copies: []analyzeCopyJS{odd, {Path: "p"}}}}}, 1420},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want, got bytes.Buffer
			if err := writeJSON(&want, tt.doc); err != nil {
				t.Fatal(err)
			}
			if err := writeAnalyzeJSON(&got, tt.doc); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Errorf("writeAnalyzeJSON =\n%s\nwriteJSON =\n%s", got.String(), want.String())
			}
			if got.Len() != tt.size {
				t.Errorf("output is %d bytes, want %d", got.Len(), tt.size)
			}
		})
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// TestWriteAnalyzeJSONWriteError checks that a write error comes back
// wrapped.
func TestWriteAnalyzeJSONWriteError(t *testing.T) {
	err := writeAnalyzeJSON(failingWriter{}, analyzeOutput{Groups: []analyzeGroupJS{}})
	if err == nil || err.Error() != "writing output: disk full" {
		t.Errorf("error = %v, want writing output: disk full", err)
	}
}
