package main

import (
	"math"

	"github.com/flakedup/flakedup/internal/gcpace"
)

// A run that reads a big lock paces the collector (internal/gcpace): it
// first collects when the heap reaches a budget of gcBudgetPerByte times
// the largest lock read, and at the default pace once the live heap is
// half the budget. The default lets the heap peak at twice the live heap,
// about eight times the lock, so the budget lowers the number of
// collections while the heap goal stays within the larger of the budget
// and the default's: where the default peaks below the budget the peak may
// rise to it (analyze on the 100k tree: up to 15 % above the first
// pacer's, which collected at five times the live heap, for 7-21 % less
// time). Measured in docs/performance.md ("What makes it fast" and the
// 7c72487 round) and in the message of commit 74e8baf.
const (
	gcBudgetPerByte = 8
	// gcPaceMin is the lock size from which the collector is paced: below
	// it a run allocates too little for the collector to matter.
	gcPaceMin = mapThreshold
)

// paceGC paces the collector for a run that reads a lock of size bytes,
// from gcPaceMin on, unless the user has set GOGC or GOMEMLIMIT. run stops
// the pacer, and so puts GOGC back, when it returns.
func (e *env) paceGC(size int64) {
	if size < gcPaceMin || e.getenv != nil && (e.getenv("GOGC") != "" || e.getenv("GOMEMLIMIT") != "") {
		return
	}
	budget := uint64(math.MaxUint64)
	if uint64(size) <= math.MaxUint64/gcBudgetPerByte {
		budget = gcBudgetPerByte * uint64(size)
	}
	if e.pacer == nil {
		e.pacer = gcpace.Start(budget)
		return
	}
	e.pacer.Grow(budget)
}
