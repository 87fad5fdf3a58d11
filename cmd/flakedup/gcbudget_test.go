package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// collector returns the collector's GOGC and memory limit, leaving them
// as they are.
func collector() (percent int, limit int64) {
	percent = debug.SetGCPercent(100)
	debug.SetGCPercent(percent)
	return percent, debug.SetMemoryLimit(-1)
}

// TestBudgetGC: a run that reads a big lock sets GOGC=400 and a memory
// limit of eight times its largest lock, leaves a small lock's run and a
// user's GOGC or GOMEMLIMIT alone, and puts the collector back with
// restoreGC.
func TestBudgetGC(t *testing.T) {
	percent0, limit0 := collector()
	env0 := func(string) string { return "" }
	cases := []struct {
		name        string
		getenv      func(string) string
		sizes       []int64
		wantPercent int
		wantLimit   int64
	}{
		{"small lock", env0, []int64{gcBudgetMin - 1}, percent0, limit0},
		{"big lock", env0, []int64{50 << 20}, 400, 400 << 20},
		{"the largest of several", env0, []int64{2 << 20, 50 << 20, 10 << 20}, 400, 400 << 20},
		{"huge", env0, []int64{math.MaxInt64 / 4}, 400, math.MaxInt64},
		{"user's GOGC", func(k string) string { return map[string]string{"GOGC": "100"}[k] }, []int64{50 << 20}, percent0, limit0},
		{"user's GOMEMLIMIT", func(k string) string { return map[string]string{"GOMEMLIMIT": "1GiB"}[k] }, []int64{50 << 20}, percent0, limit0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := &env{getenv: c.getenv}
			for _, size := range c.sizes {
				e.budgetGC(size)
			}
			percent, limit := collector()
			if e.restoreGC != nil {
				e.restoreGC()
			}
			if percent != c.wantPercent || limit != c.wantLimit {
				t.Errorf("during the run: GOGC %d, limit %d; want %d, %d", percent, limit, c.wantPercent, c.wantLimit)
			}
			if p, l := collector(); p != percent0 || l != limit0 {
				t.Errorf("after the run: GOGC %d, limit %d; want them back at %d, %d", p, l, percent0, limit0)
			}
		})
	}
}
