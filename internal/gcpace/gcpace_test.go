package gcpace

import (
	"math"
	"math/big"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
	"time"
)

// TestPercent: the percent whose heap goal is the budget, rounded down,
// while the live heap (counted as at least minLive) is less than half the
// budget, and the default 100 from then on.
func TestPercent(t *testing.T) {
	const mb = 1 << 20
	cases := []struct {
		live, budget uint64
		want         int
	}{
		{0, 400 * mb, 9900},                   // nothing live yet: counted as 4 MB, goal 4 × 100
		{1 * mb, 400 * mb, 9900},              // less than minLive: the same
		{10 * mb, 400 * mb, 3900},             // goal 10 MB × 40
		{80 * mb, 400 * mb, 400},              // goal 80 MB × 5
		{100 * mb, 400 * mb, 300},             // goal 100 MB × (1 + 300 %)
		{160 * mb, 400 * mb, 150},             // goal 160 MB × 2.5
		{150 * mb, 400 * mb, 166},             // 400/150 − 1 = 1.666…, rounded down
		{200 * mb, 400 * mb, 100},             // goal 2 × 200 = 400 MB, the budget exactly
		{300 * mb, 400 * mb, 100},             // past the budget: the default pace
		{3 * mb, 10 * mb, 150},                // counted as 4 MB: goal 4 MB × 2.5
		{3 * mb, 8 * mb, 100},                 // counted as 4 MB, half the budget
		{5 * mb, 0, 100},                      // no budget at all: the default pace
		{1, 1 << 62, math.MaxInt32},           // the runtime's int32 holds no more: goal 4 MB × 2^31/100, within the budget
		{1 << 40, math.MaxUint64, 1677721499}, // 100 × (2^24 − 2) + 99: no overflow on the way
	}
	for _, c := range cases {
		got := Percent(c.live, c.budget)
		if got != c.want {
			t.Errorf("Percent(%d, %d) = %d, want %d", c.live, c.budget, got, c.want)
		}
		// The goal the percent gives, from the live heap the runtime
		// counts with, never exceeds both the budget and the default's
		// goal, and never falls below the default's.
		live := new(big.Int).SetUint64(max(c.live, minLive))
		goal := new(big.Int).Mul(live, big.NewInt(int64(100+got)))
		goal.Div(goal, big.NewInt(100))
		twice := new(big.Int).Lsh(live, 1)
		ceiling := new(big.Int).SetUint64(c.budget)
		if ceiling.Cmp(twice) < 0 {
			ceiling = twice
		}
		if goal.Cmp(ceiling) > 0 || goal.Cmp(twice) < 0 {
			t.Errorf("Percent(%d, %d): heap goal %v outside [%v, max(budget, that)]", c.live, c.budget, goal, twice)
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

// TestPacerChoosesAfterEachCollection: Start sets the percent for the live
// heap at once; after each
// collection the Pacer sets the percent Percent gives for the live heap and
// the budget as Grow last raised it; Stop puts the first percent back and
// no collection after it changes anything.
func TestPacerChoosesAfterEachCollection(t *testing.T) {
	const mb = 1 << 20
	f := &fakeRuntime{percent: 100, sets: make(chan chosen, 64)}
	p := &Pacer{budget: 100 * mb, setPercent: f.setPercent, liveHeap: f.liveHeap}
	p.start()
	if got := <-f.sets; got.percent != 2400 { // nothing live: counted as 4 MB of 100
		t.Fatalf("Start set GOGC=%d, want 2400", got.percent)
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
		{0, 10 * mb, 900},
		{0, 40 * mb, 150},
		{0, 60 * mb, 100},
		{50 * mb, 60 * mb, 100}, // a smaller budget is ignored
		{600 * mb, 60 * mb, 900},
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
	f.setLive(10 * mb)
	for i := 0; i < 3; i++ {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	// A collection after Stop would choose 5900 (live 10 MB of 600).
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
	const budget = 1 << 30
	want := Percent(LiveHeap(), budget) // what Start sets, unless a collection comes between
	p := Start(budget)
	during := debug.SetGCPercent(want) // read it
	p.Stop()
	after := debug.SetGCPercent(before)
	if during != want || after != before {
		t.Errorf("GOGC during a pace %d, after %d; want %d, %d", during, after, want, before)
	}
	if want <= 100 {
		t.Errorf("Start chose GOGC=%d for a test's live heap and a 1 GB budget, want more than 100", want)
	}
}
