package rewrite

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrChanged reports that a file's bytes on disk are no longer the bytes
// an edit was computed from, so writing would lose someone's change.
var ErrChanged = errors.New("file changed since it was read")

// WriteFile replaces the contents of the file at path with data, atomically:
// readers see either the old or the new bytes, never a mix.
//
// original is the content data was computed from. When the file's current
// bytes differ from it, WriteFile writes nothing and returns an error that
// wraps ErrChanged. (The check and the rename are not one step: a writer
// that changes the file in between still loses its change.)
//
// WriteFile writes a temporary file in the same directory, fsyncs it, gives
// it the permission bits of the file it replaces, renames it over that file
// and fsyncs the directory. On any error before the rename the temporary
// file is removed and the original is untouched.
//
// When path is a symbolic link, the link is kept and the file it points to
// is replaced (the temporary file is made beside the target), as an editor
// would save it. The owner of the new file is the writing user; WriteFile
// does not copy the old owner.
func WriteFile(path string, data []byte, original []byte) error {
	target, info, err := writableTarget(path)
	if err != nil {
		return err
	}
	current, err := os.ReadFile(target)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if !bytes.Equal(current, original) {
		return fmt.Errorf("write %s: %w; read it again and redo the edit", path, ErrChanged)
	}
	if err := replaceFile(target, data, info.Mode()); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// ErrReadOnly reports a file that its mode marks read-only. WriteFile
// refuses it even where it could replace it (renaming over a file needs
// only a writable directory, and root may write anything): a read-only
// flake.nix is a user's decision, not an obstacle.
var ErrReadOnly = errors.New("file is read-only")

// CheckWritable reports whether WriteFile may replace the file at path:
// a regular file (or a link to one) whose mode has a write bit and that the
// current user may open for writing. Callers that write several files check
// them all first, so that they write all or none.
func CheckWritable(path string) error {
	_, _, err := writableTarget(path)
	return err
}

// writableTarget resolves path through symbolic links and checks that the
// file it names may be replaced (see CheckWritable). Errors name path.
func writableTarget(path string) (string, os.FileInfo, error) {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", nil, fmt.Errorf("write %s: %w", path, err)
	}
	info, err := os.Stat(target)
	if err != nil {
		return "", nil, fmt.Errorf("write %s: %w", path, err)
	}
	if !info.Mode().IsRegular() {
		return "", nil, fmt.Errorf("write %s: not a regular file", path)
	}
	if info.Mode().Perm()&0o222 == 0 {
		return "", nil, fmt.Errorf("write %s: %w (mode %v); make it writable, or use --dry-run", path, ErrReadOnly, info.Mode().Perm())
	}
	// Opening for writing (without truncating) asks the OS about this
	// user's permission; nothing is written.
	f, err := os.OpenFile(target, os.O_WRONLY, 0)
	if err != nil {
		return "", nil, fmt.Errorf("write %s: %w: %v", path, ErrReadOnly, unwrapPath(err))
	}
	return target, info, f.Close()
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// replaceFile writes data to a temporary file beside target and renames it
// over target; mode is the mode to give the new file.
func replaceFile(target string, data []byte, mode os.FileMode) (err error) {
	dir := filepath.Dir(target)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".flakedup-*")
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	renamed := false
	defer func() {
		if err != nil && !renamed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write temporary file: %w", err)
	}
	// CreateTemp makes the file 0600; Chmod on the open file is not
	// subject to the umask, so the new file gets exactly the old bits.
	if err := tmp.Chmod(mode & (os.ModePerm | os.ModeSetuid | os.ModeSetgid | os.ModeSticky)); err != nil {
		return fmt.Errorf("set mode of temporary file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync temporary file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close temporary file: %w", err)
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return fmt.Errorf("replace file: %w", err)
	}
	renamed = true
	// The new content is in place; a failed directory sync only means the
	// rename might not survive a crash, and the caller should know.
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("file replaced, but sync of its directory failed: %w", err)
	}
	return nil
}

// syncDir fsyncs a directory so that a rename in it survives a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
