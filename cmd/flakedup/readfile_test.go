package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"testing"
)

// TestReadText checks that readText returns a file's bytes exactly, mapping
// the large ones (on Linux) and releasing them through env.release.
func TestReadText(t *testing.T) {
	dir := t.TempDir()
	small := bytes.Repeat([]byte("small\n"), 10)
	large := bytes.Repeat([]byte("0123456789abcdef"), mapThreshold/16+1)
	tests := []struct {
		name   string
		data   []byte
		mapped bool
	}{
		{"empty", nil, false},
		{"small", small, false},
		{"large", large, runtime.GOOS == "linux"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name)
			if err := os.WriteFile(path, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			e := &env{}
			text, err := e.readText(path)
			if err != nil {
				t.Fatal(err)
			}
			if text != string(tt.data) {
				t.Errorf("readText returned %d bytes that differ from the file's %d", len(text), len(tt.data))
			}
			if got := len(e.release) == 1; got != tt.mapped {
				t.Errorf("mapped = %v, want %v", got, tt.mapped)
			}
			for _, release := range e.release {
				release()
			}
		})
	}
	if _, err := (&env{}).readText(filepath.Join(dir, "missing")); !os.IsNotExist(err) {
		t.Errorf("readText(missing) = %v, want a not-exist error", err)
	}
}

// TestMappedFileTruncated checks what run relies on: reading a mapped file
// that another process truncated panics (with SetPanicOnFault) with a value
// that has an Addr method, which run's recover reports as a changed file,
// instead of killing the process.
func TestMappedFileTruncated(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("files are mapped on Linux only")
	}
	path := filepath.Join(t.TempDir(), "flake.lock")
	if err := os.WriteFile(path, bytes.Repeat([]byte("x"), 2*mapThreshold), 0o644); err != nil {
		t.Fatal(err)
	}
	e := &env{}
	text, err := e.readText(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, release := range e.release {
			release()
		}
	}()
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	func() {
		defer func() {
			r := recover()
			if _, fault := r.(interface{ Addr() uintptr }); !fault {
				t.Errorf("recovered %v, want a fault with an address", r)
			}
		}()
		last := text[len(text)-1]
		t.Errorf("reading past the end of a truncated mapped file did not fault (read %q)", last)
	}()
}
