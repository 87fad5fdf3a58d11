package main

import (
	"math"
	"runtime/debug"
	"testing"

	"github.com/flakedup/flakedup/internal/gcpace"
)

// TestPaceGC: a run that reads a lock of 1 MiB or more paces the
// collector (at once, at the percent gcpace.Percent gives for the live heap
// and the first lock's budget), a smaller lock's run and a user's GOGC or
// GOMEMLIMIT leave it alone, and stopping the pacer puts GOGC back.
func TestPaceGC(t *testing.T) {
	before := debug.SetGCPercent(100)
	debug.SetGCPercent(before)
	env0 := func(string) string { return "" }
	cases := []struct {
		name      string
		getenv    func(string) string
		sizes     []int64
		wantPaced bool
	}{
		{"small lock", env0, []int64{gcPaceMin - 1}, false},
		{"big lock", env0, []int64{50 << 20}, true},
		{"several locks", env0, []int64{2 << 20, 50 << 20, 10 << 20}, true},
		{"huge lock", env0, []int64{1 << 62}, true},
		{"user's GOGC", func(k string) string { return map[string]string{"GOGC": "100"}[k] }, []int64{50 << 20}, false},
		{"user's GOMEMLIMIT", func(k string) string { return map[string]string{"GOMEMLIMIT": "1GiB"}[k] }, []int64{50 << 20}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := &env{getenv: c.getenv}
			budget := uint64(math.MaxUint64)
			if first := uint64(c.sizes[0]); first <= math.MaxUint64/gcBudgetPerByte {
				budget = gcBudgetPerByte * first
			}
			want := gcpace.Percent(gcpace.LiveHeap(), budget) // unless a collection comes between
			for _, size := range c.sizes {
				e.paceGC(size)
			}
			during := debug.SetGCPercent(before)
			debug.SetGCPercent(during)
			if e.pacer != nil {
				e.pacer.Stop()
			}
			after := debug.SetGCPercent(before)
			if paced := e.pacer != nil; paced != c.wantPaced {
				t.Fatalf("paced %v, want %v", paced, c.wantPaced)
			}
			if c.wantPaced && during != want || !c.wantPaced && during != before {
				t.Errorf("GOGC during the run %d (paced %v; want %d paced, %d not)", during, c.wantPaced, want, before)
			}
			if after != before {
				t.Errorf("GOGC after the run %d, want %d back", after, before)
			}
		})
	}
}
