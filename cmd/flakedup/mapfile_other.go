//go:build !linux

package main

// mapText is not available here: readText reads the file.
func mapText(path string, size int64) (text string, unmap func(), ok bool) {
	return "", nil, false
}
