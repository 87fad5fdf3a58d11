package main

import "runtime/debug"

// versionString is the version flakedup reports: the -X ldflags value when
// set, else the module version recorded by `go install`, else "devel".
func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
