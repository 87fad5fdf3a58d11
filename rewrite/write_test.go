package rewrite

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// dirEntries lists the names in dir, sorted, so tests can assert that no
// temporary file was left behind.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func TestWriteFileKeepsMode(t *testing.T) {
	for _, mode := range []os.FileMode{0o600, 0o644, 0o755, 0o640} {
		t.Run(mode.String(), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "flake.nix")
			if err := os.WriteFile(path, []byte("old\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, mode); err != nil { // not subject to umask
				t.Fatal(err)
			}
			if err := WriteFile(path, []byte("new\n"), []byte("old\n")); err != nil {
				t.Fatalf("WriteFile: %v", err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != "new\n" {
				t.Errorf("content = %q, want %q", got, "new\n")
			}
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if info.Mode() != mode {
				t.Errorf("mode = %v, want %v", info.Mode(), mode)
			}
			if names := dirEntries(t, dir); strings.Join(names, ",") != "flake.nix" {
				t.Errorf("directory holds %v, want only flake.nix", names)
			}
		})
	}
}

func TestWriteFileRefusesChangedFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "flake.nix")
	// Someone saved the file after flakedup read "old\n".
	if err := os.WriteFile(path, []byte("edited by someone\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteFile(path, []byte("new\n"), []byte("old\n"))
	if !errors.Is(err, ErrChanged) {
		t.Fatalf("WriteFile error = %v, want ErrChanged", err)
	}
	want := "write " + path + ": file changed since it was read; read it again and redo the edit"
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	got, _ := os.ReadFile(path)
	if string(got) != "edited by someone\n" {
		t.Errorf("file = %q, want it untouched", got)
	}
	if names := dirEntries(t, dir); strings.Join(names, ",") != "flake.nix" {
		t.Errorf("directory holds %v, want only flake.nix", names)
	}
}

func TestWriteFileMissing(t *testing.T) {
	dir := t.TempDir()
	err := WriteFile(filepath.Join(dir, "flake.nix"), []byte("new\n"), nil)
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("WriteFile error = %v, want one wrapping os.ErrNotExist", err)
	}
	if names := dirEntries(t, dir); len(names) != 0 {
		t.Errorf("directory holds %v, want nothing", names)
	}
}

// TestWriteFileReadOnlyDir makes the directory read-only: with chmod for
// an ordinary user, with the immutable attribute for root (whom chmod does
// not stop).
func TestWriteFileReadOnlyDir(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "flake.nix")
	if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
			t.Skipf("running as root and chattr +i failed (%v: %s): cannot make a read-only directory", err, out)
		}
		t.Cleanup(func() { exec.Command("chattr", "-i", dir).Run() })
	} else {
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
	}
	err := WriteFile(path, []byte("new\n"), []byte("old\n"))
	if err == nil {
		t.Fatal("WriteFile into a read-only directory succeeded")
	}
	if !strings.HasPrefix(err.Error(), "write "+path+": create temporary file: ") ||
		!(errors.Is(err, os.ErrPermission)) {
		t.Errorf("error = %q, want a permission error naming the file and the temporary file", err)
	}
	got, _ := os.ReadFile(path)
	if string(got) != "old\n" {
		t.Errorf("file = %q, want it untouched", got)
	}
	if names := dirEntries(t, dir); strings.Join(names, ",") != "flake.nix" {
		t.Errorf("directory holds %v, want only flake.nix", names)
	}
}

// TestWriteFileSymlink checks the documented choice: the link stays a link
// and the file it points to gets the new bytes.
func TestWriteFileSymlink(t *testing.T) {
	root := t.TempDir()
	realDir := filepath.Join(root, "real")
	linkDir := filepath.Join(root, "link")
	for _, d := range []string{realDir, linkDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	target := filepath.Join(realDir, "flake.nix")
	if err := os.WriteFile(target, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(linkDir, "flake.nix")
	if err := os.Symlink("../real/flake.nix", link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link, []byte("new\n"), []byte("old\n")); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
	if dest, err := os.Readlink(link); err != nil || dest != "../real/flake.nix" {
		t.Errorf("link now %q (%v), want it kept pointing at ../real/flake.nix", dest, err)
	}
	got, _ := os.ReadFile(target)
	if string(got) != "new\n" {
		t.Errorf("target = %q, want %q", got, "new\n")
	}
	if names := dirEntries(t, realDir); strings.Join(names, ",") != "flake.nix" {
		t.Errorf("target directory holds %v, want only flake.nix", names)
	}
	if names := dirEntries(t, linkDir); strings.Join(names, ",") != "flake.nix" {
		t.Errorf("link directory holds %v, want only flake.nix", names)
	}
}

func TestWriteFileNotRegular(t *testing.T) {
	dir := t.TempDir()
	err := WriteFile(dir, []byte("new\n"), nil)
	want := "write " + dir + ": not a regular file"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}

func TestWriteFileRefusesReadOnlyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "flake.nix")
	if err := os.WriteFile(path, []byte("{ }\n"), 0o444); err != nil {
		t.Fatal(err)
	}
	err := WriteFile(path, []byte("{ inputs = { }; }\n"), []byte("{ }\n"))
	if !errors.Is(err, ErrReadOnly) {
		t.Fatalf("WriteFile on a 0444 file: err = %v, want ErrReadOnly", err)
	}
	want := "write " + path + ": file is read-only (mode -r--r--r--); make it writable, or use --dry-run"
	if err.Error() != want {
		t.Errorf("message = %q\nwant      %q", err, want)
	}
	if got, _ := os.ReadFile(path); string(got) != "{ }\n" {
		t.Errorf("file changed: %q", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary file left behind: %v", entries)
	}
	if err := CheckWritable(path); !errors.Is(err, ErrReadOnly) {
		t.Errorf("CheckWritable = %v, want ErrReadOnly", err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckWritable(path); err != nil {
		t.Errorf("CheckWritable on 0644: %v", err)
	}
}
