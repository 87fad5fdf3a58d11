package main

import (
	"math"
	"runtime/debug"
)

// A run that reads a big lock collects garbage less often, within a
// memory budget. At the default GOGC the heap peaks at about twice the live
// heap, which for a lock is about four times its size; so the collector
// may let the heap grow further between collections (GOGC=400) as long as
// the heap stays under gcBudgetPerByte times the lock, which the default
// reaches anyway. Measured (docs/performance.md, "Garbage collector"):
// analyze on the 100k tree 1.39 -> 1.01 s and 381 -> 368 MB, on the wide
// 100k lock 1.55 -> 1.48 s and 451 -> 440 MB, check on the 1M tree
// 20.8 -> 16.4 s and 3.68 -> 3.74 GB.
const (
	gcPercentBig    = 400
	gcBudgetPerByte = 8
	// gcBudgetMin is the lock size from which the budget applies: below
	// it a run allocates too little for the collector to matter.
	gcBudgetMin = mapThreshold
)

// budgetGC sets the collector for a run reading a lock of size bytes: from
// gcBudgetMin on, GOGC=400 and a memory limit of gcBudgetPerByte times the
// largest lock the run has read. It leaves the collector alone when the
// user sets GOGC or GOMEMLIMIT. run puts the previous settings back when it
// returns (env.restoreGC).
func (e *env) budgetGC(size int64) {
	if size < gcBudgetMin || e.getenv != nil && (e.getenv("GOGC") != "" || e.getenv("GOMEMLIMIT") != "") {
		return
	}
	limit := int64(math.MaxInt64)
	if size <= math.MaxInt64/gcBudgetPerByte {
		limit = gcBudgetPerByte * size
	}
	if limit <= e.gcLimit {
		return
	}
	if e.gcLimit == 0 {
		percent := debug.SetGCPercent(gcPercentBig)
		memLimit := debug.SetMemoryLimit(-1)
		e.restoreGC = func() {
			debug.SetGCPercent(percent)
			debug.SetMemoryLimit(memLimit)
		}
	}
	e.gcLimit = limit
	debug.SetMemoryLimit(limit)
}
