package lockgraph

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"testing"
	"unsafe"

	"github.com/flakedup/flakedup/internal/genlock"
)

// TestLoadStringFaultReachesCaller maps a big lock, truncates the file
// under the mapping and loads it: every goroutine that reads the missing
// pages faults, and the fault must come out as a panic in the caller's
// goroutine (where the caller can recover it), not kill the process. The
// file is cut where the scanner starts, in its half, and in the other
// half.
func TestLoadStringFaultReachesCaller(t *testing.T) {
	lock := genlock.Generate(bigLockNodes)
	for _, keep := range []int{4096, len(lock) / 4, len(lock) * 3 / 4} {
		t.Run(fmt.Sprint(keep), func(t *testing.T) { loadTruncated(t, lock, keep) })
	}
}

// loadTruncated loads lock from a mapping of a file cut to its first keep
// bytes.
func loadTruncated(t *testing.T, lock []byte, keep int) {
	data, path := mapLock(t, lock)
	if err := os.Truncate(path, int64(keep)); err != nil {
		t.Fatal(err)
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); !isFault(r) {
			t.Errorf("recovered %v, want a memory fault", r)
		}
	}()
	g, err := LoadString(unsafe.String(&data[0], len(data)))
	t.Errorf("LoadString returned (%v, %v) from a truncated mapping", g != nil, err)
}

// TestSourcesFaultEveryTime loads a big lock from a mapping, truncates the
// file under it and asks for the graph's table of sources twice: both
// readings fault. sync.Once counts the panicking first reading as done,
// so without the uncached second reading (sources) the second caller
// would get a nil table instead of the fault.
func TestSourcesFaultEveryTime(t *testing.T) {
	data, path := mapLock(t, genlock.Generate(bigLockNodes))
	g, err := LoadString(unsafe.String(&data[0], len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 4096); err != nil {
		t.Fatal(err)
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	for reading := 1; reading <= 2; reading++ {
		func() {
			defer func() {
				if r := recover(); !isFault(r) {
					t.Errorf("reading %d: recovered %v, want a memory fault", reading, r)
				}
			}()
			table := g.sources()
			t.Errorf("reading %d: sources returned (a nil table: %v) from a truncated mapping", reading, table == nil)
		}()
	}
}

// mapLock writes lock to a file of a temporary directory and maps it
// read-only, shared, so that truncating the file takes the pages away from
// the mapping; it returns the mapping (unmapped when the test ends) and the
// file's path.
func mapLock(t *testing.T, lock []byte) ([]byte, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "flake.lock")
	if err := os.WriteFile(path, lock, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, err := syscall.Mmap(int(f.Fd()), 0, len(lock), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		t.Skipf("mmap: %v", err)
	}
	t.Cleanup(func() { syscall.Munmap(data) })
	return data, path
}
