package store

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// fakeEnv is an environment of vars and nix.conf files (by path) for
// plainStore.
func fakeEnv(vars map[string]string, files map[string]string) env {
	return env{
		getenv: func(k string) string { return vars[k] },
		readFile: func(p string) ([]byte, error) {
			if s, ok := files[p]; ok {
				return []byte(s), nil
			}
			return nil, fs.ErrNotExist
		},
	}
}

func TestPlainStore(t *testing.T) {
	home := map[string]string{"HOME": "/home/u"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{"HOME": "/home/u"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name  string
		vars  map[string]string
		files map[string]string
		want  bool
	}{
		{"nothing configured", home, nil, true},
		{"daemon", with(map[string]string{"NIX_REMOTE": "daemon"}), nil, true},
		{"NIX_REMOTE elsewhere", with(map[string]string{"NIX_REMOTE": "ssh://builder"}), nil, false},
		{"NIX_STORE_DIR default", with(map[string]string{"NIX_STORE_DIR": "/nix/store/"}), nil, true},
		{"NIX_STORE_DIR other", with(map[string]string{"NIX_STORE_DIR": "/gnu/store"}), nil, false},
		{"NIX_STORE other", with(map[string]string{"NIX_STORE": "/opt/store"}), nil, false},
		{"NIX_CONFIG chroot store", with(map[string]string{"NIX_CONFIG": "experimental-features = nix-command\nstore = /tmp/s\n"}), nil, false},
		{"NIX_CONFIG store auto", with(map[string]string{"NIX_CONFIG": "store = auto # the default\n"}), nil, true},
		{"NIX_CONFIG other settings", with(map[string]string{"NIX_CONFIG": "substituters =\nsandbox = false"}), nil, true},
		{"commented store", home, map[string]string{"/etc/nix/nix.conf": "# store = /tmp/s\n"}, true},
		{"system nix.conf store", home, map[string]string{"/etc/nix/nix.conf": "store = local?root=/srv\n"}, false},
		{"system nix.conf include", home, map[string]string{"/etc/nix/nix.conf": "!include /etc/nix/extra.conf\n"}, false},
		{"NIX_CONF_DIR", with(map[string]string{"NIX_CONF_DIR": "/c"}), map[string]string{"/c/nix.conf": "store = /s\n", "/etc/nix/nix.conf": ""}, false},
		{"user nix.conf", home, map[string]string{"/home/u/.config/nix/nix.conf": "extra-store = /s\n"}, false},
		{"XDG_CONFIG_HOME", with(map[string]string{"XDG_CONFIG_HOME": "/x"}), map[string]string{"/x/nix/nix.conf": "store = /s\n"}, false},
		{"XDG_CONFIG_DIRS", with(map[string]string{"XDG_CONFIG_DIRS": "/a:/b"}), map[string]string{"/b/nix/nix.conf": "store = /s\n"}, false},
		{"NIX_USER_CONF_FILES replaces XDG", with(map[string]string{"NIX_USER_CONF_FILES": "/u.conf"}), map[string]string{"/home/u/.config/nix/nix.conf": "store = /s\n"}, true},
		{"NIX_USER_CONF_FILES read", with(map[string]string{"NIX_USER_CONF_FILES": "/u.conf:/v.conf"}), map[string]string{"/v.conf": "store = /s\n"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := plainStore(fakeEnv(tt.vars, tt.files)); got != tt.want {
				t.Errorf("plainStore = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestPlainStoreUnreadableConfig: a nix.conf that exists but cannot be
// read may say anything, so nix is asked.
func TestPlainStoreUnreadableConfig(t *testing.T) {
	e := fakeEnv(map[string]string{"HOME": "/h"}, nil)
	e.readFile = func(p string) ([]byte, error) {
		if p == "/etc/nix/nix.conf" {
			return nil, fs.ErrPermission
		}
		return nil, fs.ErrNotExist
	}
	if plainStore(e) {
		t.Error("plainStore = true with an unreadable /etc/nix/nix.conf")
	}
}

func TestInPlainStore(t *testing.T) {
	dir := t.TempDir()
	there := filepath.Join(dir, "aaa-source")
	if err := os.Mkdir(there, 0o755); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "bbb-source")
	if err := os.Symlink(filepath.Join(dir, "nowhere"), dangling); err != nil {
		t.Fatal(err)
	}
	got := inPlainStore([]string{there, filepath.Join(dir, "ccc-source"), dangling}, os.Lstat)
	if want := []string{there, dangling}; !slices.Equal(got, want) {
		t.Errorf("inPlainStore = %v, want %v", got, want)
	}
}

// TestNarSizesSparesNix: with the plain store and none of the paths in it,
// NarSizes answers without running nix; with a chroot store configured it
// runs nix (a fake that records its run).
func TestNarSizesSparesNix(t *testing.T) {
	tmp := t.TempDir()
	marker := filepath.Join(tmp, "ran")
	nix := filepath.Join(tmp, "nix")
	script := "#!/bin/sh\necho run >> " + marker + "\necho '{}'\n"
	if err := os.WriteFile(nix, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"NIX_REMOTE", "NIX_STORE_DIR", "NIX_STORE", "NIX_CONFIG", "NIX_USER_CONF_FILES"} {
		t.Setenv(k, "")
	}
	t.Setenv("NIX_CONF_DIR", filepath.Join(tmp, "etc"))
	t.Setenv("XDG_CONFIG_DIRS", filepath.Join(tmp, "xdg"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(tmp, "config"))
	missing, err := SourcePath("sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(missing); err == nil {
		t.Skipf("%s is in this machine's store", missing)
	}
	sizes, err := NarSizes(context.Background(), nix, []string{missing})
	if err != nil || len(sizes) != 0 {
		t.Fatalf("NarSizes = %v, %v; want no sizes, no error", sizes, err)
	}
	if _, err := os.Stat(marker); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("nix ran for a path the plain store lacks (marker: %v)", err)
	}
	t.Setenv("NIX_CONFIG", "store = "+filepath.Join(tmp, "store"))
	if _, err := NarSizes(context.Background(), nix, []string{missing}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("nix did not run with a chroot store configured: %v", err)
	}
}
