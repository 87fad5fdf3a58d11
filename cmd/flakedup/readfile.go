package main

import (
	"os"
	"unsafe"
)

// mapThreshold is the size from which readText maps a file instead of
// reading it. Below it, reading is as quick and holds no mapping.
const mapThreshold = 1 << 20

// readText returns the contents of the file at path. A large regular file
// is mapped into memory read-only where the system allows it (mapText):
// copying a 50 MB lock into fresh memory costs more than parsing it, on
// machines where every new page is a page fault. The mapping is released
// when run returns (env.release).
//
// A mapped file that another process truncates while flakedup reads it
// would fault; run turns that fault into an ordinary error (see
// debug.SetPanicOnFault there).
func (e *env) readText(path string) (string, error) {
	if info, err := os.Stat(path); err == nil && info.Mode().IsRegular() && info.Size() >= mapThreshold {
		e.paceGC(info.Size())
		if text, unmap, ok := mapText(path, info.Size()); ok {
			e.release = append(e.release, unmap)
			return text, nil
		}
	}
	return readFileText(path)
}

// readCopy is readFileText for a lock, pacing the collector for its size
// first (paceGC); fix reads its lock with it, as a copy rather than a
// mapping.
func (e *env) readCopy(path string) (string, error) {
	if info, err := os.Stat(path); err == nil && info.Mode().IsRegular() {
		e.paceGC(info.Size())
	}
	return readFileText(path)
}

// readFileText returns a private copy of the file at path.
func readFileText(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil || len(data) == 0 {
		return "", err
	}
	// data is this function's own buffer and nothing writes to it after
	// this point, so a string may share its bytes.
	return unsafe.String(&data[0], len(data)), nil
}
