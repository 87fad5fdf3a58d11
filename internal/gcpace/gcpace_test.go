package gcpace

import (
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
	"time"
)

// TestPercent: GOGC=400 while five times the live heap fits in the
// budget, the default 100 once twice the live heap is past it, and in
// between the percent whose heap goal is the budget, rounded down.
func TestPercent(t *testing.T) {
	const mb = 1 << 20
	cases := []struct {
		live, budget uint64
		want         int
	}{
		{0, 400 * mb, 400},        // nothing live yet
		{10 * mb, 400 * mb, 400},  // goal 5 × 10 = 50 MB, well within
		{80 * mb, 400 * mb, 400},  // goal 5 × 80 = 400 MB, the budget exactly
		{100 * mb, 400 * mb, 300}, // goal 400 MB = 100 MB × (1 + 300 %)
		{160 * mb, 400 * mb, 150}, // goal 400 MB = 160 MB × 2.5
		{150 * mb, 400 * mb, 166}, // 400/150 − 1 = 1.666…, rounded down
		{200 * mb, 400 * mb, 100}, // goal 2 × 200 = 400 MB, the budget exactly
		{300 * mb, 400 * mb, 100}, // past the budget: the default pace
		{5 * mb, 0, 100},          // no budget at all: the default pace
		{1, 1 << 62, 400},
	}
	for _, c := range cases {
		if got := Percent(c.live, c.budget); got != c.want {
			t.Errorf("Percent(%d, %d) = %d, want %d", c.live, c.budget, got, c.want)
		}
		// The goal the percent gives never exceeds both the budget and
		// the default's goal, and never falls below the default's.
		p := uint64(Percent(c.live, c.budget))
		goal := c.live + c.live*p/100
		if goal > max(c.budget, 2*c.live) || goal < 2*c.live {
			t.Errorf("Percent(%d, %d): heap goal %d outside [%d, max(budget, that)]", c.live, c.budget, goal, 2*c.live)
		}
	}
}

// fakeRuntime stands in for debug.SetGCPercent and the live heap metric.
// The test sets the live heap for a phase; each percent set is sent on
// sets with the phase whose live heap it was chosen for (a collection the
// test triggered before changing the phase may still be choosing).
type fakeRuntime struct {
	mu        sync.Mutex
	percent   int
	live      uint64
	phase     int
	readPhase int // the phase of the last live heap read
	sets      chan chosen
}

// chosen is one percent a Pacer set and the phase it was chosen in.
type chosen struct{ percent, phase int }

func (f *fakeRuntime) setPercent(p int) int {
	f.mu.Lock()
	old := f.percent
	f.percent = p
	phase := f.readPhase
	f.mu.Unlock()
	f.sets <- chosen{p, phase}
	return old
}

func (f *fakeRuntime) liveHeap() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.readPhase = f.phase
	return f.live
}

// setLive starts a new phase with live bytes live.
func (f *fakeRuntime) setLive(live uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.live = live
	f.phase++
	f.readPhase = -1
}

// TestPacerChoosesAfterEachCollection: Start sets 400 at once; after each
// collection the Pacer sets the percent Percent gives for the live heap and
// the budget as Grow last raised it; Stop puts the first percent back and
// no collection after it changes anything.
func TestPacerChoosesAfterEachCollection(t *testing.T) {
	f := &fakeRuntime{percent: 100, sets: make(chan chosen, 64)}
	p := &Pacer{budget: 100, setPercent: f.setPercent, liveHeap: f.liveHeap}
	p.start()
	if got := <-f.sets; got.percent != 400 {
		t.Fatalf("Start set GOGC=%d, want 400", got.percent)
	}
	// after sets the live heap, collects until the Pacer has chosen for
	// it and returns the percent chosen.
	after := func(live uint64) int {
		t.Helper()
		f.setLive(live)
		f.mu.Lock()
		phase := f.phase
		f.mu.Unlock()
		deadline := time.After(30 * time.Second)
		for {
			runtime.GC()
			select {
			case got := <-f.sets:
				if got.phase == phase {
					return got.percent
				}
			case <-deadline:
				t.Fatal("no percent chosen within 30 s of collections")
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	cases := []struct {
		grow uint64 // when not 0, p.Grow(grow) first
		live uint64
		want int
	}{
		{0, 10, 400},
		{0, 40, 150},
		{0, 60, 100},
		{50, 60, 100}, // a smaller budget is ignored
		{600, 60, 400},
	}
	for _, c := range cases {
		if c.grow != 0 {
			p.Grow(c.grow)
		}
		if got := after(c.live); got != c.want {
			t.Errorf("live %d after Grow(%d): GOGC=%d, want %d", c.live, c.grow, got, c.want)
		}
	}
	p.Stop()
	p.Stop()
	f.setLive(10)
	for i := 0; i < 3; i++ {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	// A collection after Stop would choose 400 (live 10 of 600).
	f.mu.Lock()
	final := f.percent
	f.mu.Unlock()
	if final != 100 {
		t.Errorf("after Stop and three collections GOGC=%d, want the 100 from before Start", final)
	}
}

// TestStartSetsTheRealCollector: Start and Stop on the runtime itself
// leave GOGC as it was.
func TestStartSetsTheRealCollector(t *testing.T) {
	before := debug.SetGCPercent(100)
	debug.SetGCPercent(before)
	p := Start(1 << 30)
	during := debug.SetGCPercent(400) // read it; 400 is what Start set
	p.Stop()
	after := debug.SetGCPercent(before)
	if during != 400 || after != before {
		t.Errorf("GOGC during a pace %d, after %d; want 400, %d", during, after, before)
	}
}
