package main

import (
	"os"
	"syscall"
	"unsafe"
)

// mapText maps the size bytes of the file at path read-only, asking the
// kernel to fill in every page now (MAP_POPULATE) rather than on first
// touch. It returns the contents as a string, the function that unmaps
// them, and false when mapping failed (the caller then reads the file).
func mapText(path string, size int64) (text string, unmap func(), ok bool) {
	if size <= 0 || int64(int(size)) != size {
		return "", nil, false
	}
	f, err := os.Open(path)
	if err != nil {
		return "", nil, false
	}
	defer f.Close()
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED|syscall.MAP_POPULATE)
	if err != nil {
		return "", nil, false
	}
	// The mapping is read-only: nothing can write to it, so a string may
	// share its bytes.
	return unsafe.String(&data[0], len(data)), func() { _ = syscall.Munmap(data) }, true
}
