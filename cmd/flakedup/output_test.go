package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestUseColor(t *testing.T) {
	regular, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer regular.Close()
	envOf := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}
	tests := []struct {
		name string
		e    *env
		want bool
	}{
		{"buffer", &env{stdout: &bytes.Buffer{}, getenv: envOf(nil)}, false},
		{"regular file", &env{stdout: regular, getenv: envOf(nil)}, false},
		{"NO_COLOR wins", &env{stdout: regular, getenv: envOf(map[string]string{"NO_COLOR": "1"})}, false},
		{"TERM=dumb", &env{stdout: &bytes.Buffer{}, getenv: envOf(map[string]string{"TERM": "dumb"})}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := useColor(tt.e); got != tt.want {
				t.Errorf("useColor = %v, want %v", got, tt.want)
			}
		})
	}
	// A terminal, when the test runs on one: colour unless NO_COLOR is set.
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		defer tty.Close()
		if !useColor(&env{stdout: tty, getenv: envOf(nil)}) {
			t.Errorf("useColor(/dev/tty) = false, want true")
		}
		if useColor(&env{stdout: tty, getenv: envOf(map[string]string{"NO_COLOR": "x"})}) {
			t.Errorf("useColor(/dev/tty, NO_COLOR=x) = true, want false")
		}
	}
}

func TestPalette(t *testing.T) {
	on, off := palette{on: true}, palette{}
	tests := []struct{ got, want string }{
		{on.bold("a"), "\x1b[1ma\x1b[0m"},
		{on.dim("a"), "\x1b[2ma\x1b[0m"},
		{on.yellow("a"), "\x1b[33ma\x1b[0m"},
		{on.green("a"), "\x1b[32ma\x1b[0m"},
		{on.bold(""), ""},
		{off.bold("a"), "a"},
		{off.yellow("a"), "a"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("case %d: %q, want %q", i, tt.got, tt.want)
		}
	}
}

func TestNow(t *testing.T) {
	tests := []struct {
		value   string
		want    time.Time
		wantErr bool
	}{
		{"2024-12-01T00:00:00Z", time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC), false},
		{"2024-12-01T02:00:00+02:00", time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC), false},
		{"2024-12-01", time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC), false},
		{"1733011200", time.Time{}, true},
		{"tomorrow", time.Time{}, true},
	}
	for _, tt := range tests {
		got, err := now(&env{getenv: func(k string) string {
			if k == nowEnv {
				return tt.value
			}
			return ""
		}})
		if (err != nil) != tt.wantErr || !got.Equal(tt.want) {
			t.Errorf("now(%s=%q) = %v, %v; want %v, error %v", nowEnv, tt.value, got, err, tt.want, tt.wantErr)
		}
	}
	// Unset: the real clock.
	before := time.Now()
	got, err := now(&env{getenv: func(string) string { return "" }})
	if err != nil || got.Before(before.Add(-time.Second)) || got.After(time.Now().Add(time.Second)) {
		t.Errorf("now() unset = %v, %v; want about %v", got, err, before)
	}
}

func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	v := struct {
		B string `json:"b"`
		A []int  `json:"a"`
	}{"<&>", []int{1}}
	if err := writeJSON(&b, v); err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"b\": \"<&>\",\n  \"a\": [\n    1\n  ]\n}\n"
	if b.String() != want {
		t.Errorf("writeJSON = %q, want %q", b.String(), want)
	}
}

func TestPlural(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want string
	}{{0, "0 copies"}, {1, "1 copy"}, {2, "2 copies"}} {
		if got := plural(tt.n, "copy", "copies"); got != tt.want {
			t.Errorf("plural(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
