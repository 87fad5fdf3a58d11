package store

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
)

// A machine's store is almost always the plain one: /nix/store on this
// file system, used directly or through the daemon. Then a store path that
// is not a directory entry of /nix/store is not in the store, and asking
// `nix path-info` about it (some 40 ms of process start) tells nothing new.
// NarSizes skips nix for such paths; it asks nix about every path whenever
// the configuration may name another store (a chroot store, a remote one,
// another store directory), which it cannot check without nix.

// env is what plainStore reads: the environment and the files of Nix's
// configuration. Tests give their own; NarSizes uses the process's.
type env struct {
	getenv   func(string) string
	readFile func(string) ([]byte, error)
}

// processEnv is the environment and file system of this process.
func processEnv() env { return env{getenv: os.Getenv, readFile: os.ReadFile} }

// isPlainStoreValue reports whether v, a value of Nix's `store` setting
// or of NIX_REMOTE, means the plain /nix/store (directly or through the
// daemon).
func isPlainStoreValue(v string) bool {
	switch v {
	case "", "auto", "daemon", "local":
		return true
	}
	return false
}

// plainStore reports whether the store Nix uses is surely the plain
// /nix/store: no NIX_REMOTE, NIX_STORE_DIR or NIX_STORE naming another,
// and no `store` setting other than auto, daemon or local in NIX_CONFIG or
// in any nix.conf Nix reads (NIX_CONF_DIR's, NIX_USER_CONF_FILES or the
// XDG ones). A configuration file with an include is not followed: the
// answer is then false, and nix is asked.
func plainStore(e env) bool {
	if !isPlainStoreValue(e.getenv("NIX_REMOTE")) {
		return false
	}
	if d := e.getenv("NIX_STORE_DIR"); d != "" && filepath.Clean(d) != Dir {
		return false
	}
	if d := e.getenv("NIX_STORE"); d != "" && filepath.Clean(d) != Dir {
		return false
	}
	if !plainConfig([]byte(e.getenv("NIX_CONFIG"))) {
		return false
	}
	for _, file := range configFiles(e.getenv) {
		data, err := e.readFile(file)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return false // unreadable: it may say anything
		}
		if !plainConfig(data) {
			return false
		}
	}
	return true
}

// configFiles lists the nix.conf files Nix reads, as its manual gives them
// (nix.conf(5)): $NIX_CONF_DIR/nix.conf (default /etc/nix), then either
// every file of NIX_USER_CONF_FILES or nix/nix.conf in each of
// XDG_CONFIG_DIRS (default /etc/xdg) and XDG_CONFIG_HOME (default
// ~/.config).
func configFiles(getenv func(string) string) []string {
	confDir := getenv("NIX_CONF_DIR")
	if confDir == "" {
		confDir = "/etc/nix"
	}
	files := []string{filepath.Join(confDir, "nix.conf")}
	if user := getenv("NIX_USER_CONF_FILES"); user != "" {
		for _, f := range strings.Split(user, ":") {
			if f != "" {
				files = append(files, f)
			}
		}
		return files
	}
	dirs := getenv("XDG_CONFIG_DIRS")
	if dirs == "" {
		dirs = "/etc/xdg"
	}
	for _, d := range strings.Split(dirs, ":") {
		if d != "" {
			files = append(files, filepath.Join(d, "nix", "nix.conf"))
		}
	}
	home := getenv("XDG_CONFIG_HOME")
	if home == "" {
		if h := getenv("HOME"); h != "" {
			home = filepath.Join(h, ".config")
		}
	}
	if home != "" {
		files = append(files, filepath.Join(home, "nix", "nix.conf"))
	}
	return files
}

// plainConfig reports whether the nix.conf text data leaves the store
// plain: no `store` setting with another value (an `extra-store` line is
// read the same way, to be safe), and no include that could hold one.
func plainConfig(data []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "include ") || strings.HasPrefix(line, "!include ") {
			return false
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		switch strings.TrimSpace(name) {
		case "store", "extra-store":
			if !isPlainStoreValue(strings.TrimSpace(value)) {
				return false
			}
		}
	}
	return sc.Err() == nil
}

// inPlainStore keeps the paths that are entries of the plain store
// directory (lstat, so a dangling or partial entry still counts and nix
// decides). stat names the lookup; NarSizes uses os.Lstat.
func inPlainStore(paths []string, stat func(string) (os.FileInfo, error)) []string {
	var kept []string
	for _, p := range paths {
		if _, err := stat(p); err == nil {
			kept = append(kept, p)
		}
	}
	return kept
}
