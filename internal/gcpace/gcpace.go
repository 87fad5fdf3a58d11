// Package gcpace paces the garbage collector of a one-shot run that reads a
// big input: it lets the heap grow further between collections while the
// live heap is small next to a budget, and falls back to the collector's
// default pace as the live heap grows towards it.
//
// At the default GOGC=100 the collector lets the heap grow to twice the
// live heap before it collects again. A run that builds a graph of a 50 MB
// lock grows its live heap from nothing to some 200 MB, and collects seven
// times on the way, each time marking everything built so far. A
// Pacer chooses GOGC after each collection so that the next one comes when
// the heap reaches
//
//	min(5 × live, max(budget, 2 × live))
//
// that is, GOGC=400 while five times the live heap fits in the budget, and
// GOGC=100 (the default) once twice the live heap is past it. So the heap
// never outgrows both the budget and what the default would let it reach,
// and, unlike a memory limit (GOMEMLIMIT), a live heap larger than the
// budget does not make the collector run back to back: it just collects
// at the default pace.
//
// A user who sets GOGC or GOMEMLIMIT has chosen: the caller checks for
// them and does not start a Pacer.
package gcpace

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// The percents a Pacer chooses between: GOGC=400 lets the heap grow to five
// times the live heap, the default GOGC=100 to twice it.
const (
	maxPercent = 400
	minPercent = 100
)

// Percent returns the GOGC under which the collection after one that left
// live bytes comes when the heap reaches min(5×live, max(budget, 2×live)).
// It is 400 for a live heap of at most a fifth of the budget, 100 from half
// the budget on, and in between the percent that puts the next collection
// at the budget.
func Percent(live, budget uint64) int {
	if live == 0 || live <= budget/5 {
		return maxPercent
	}
	if live >= budget/2 {
		return minPercent
	}
	// budget/live is between 2 and 5 here; GOGC = 100 × (budget/live − 1),
	// rounded down so that the heap stays within the budget.
	return int(100*budget/live) - 100
}

// A Pacer sets the collector's GOGC after every collection from the live
// heap the collection left and the budget (Percent). Its methods are safe
// for concurrent use.
type Pacer struct {
	mu       sync.Mutex
	budget   uint64
	stopped  bool
	previous int // the GOGC before Start, put back by Stop

	// setPercent and liveHeap are debug.SetGCPercent and the runtime's
	// live heap metric; tests replace them to watch a Pacer.
	setPercent func(int) int
	liveHeap   func() uint64
}

// Start paces the collector for a heap budget of budget bytes until Stop:
// it sets GOGC=400 at once (the live heap is still small) and chooses again
// after every collection.
func Start(budget uint64) *Pacer {
	p := &Pacer{budget: budget, setPercent: debug.SetGCPercent, liveHeap: liveHeap}
	p.start()
	return p
}

// start sets the first percent and arms the hook that runs after each
// collection.
func (p *Pacer) start() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.previous = p.setPercent(maxPercent)
	p.arm()
}

// Grow raises the budget to budget bytes when that is more than it is (a
// run that reads several locks budgets for the largest); the new budget
// counts from the next collection on.
func (p *Pacer) Grow(budget uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if budget > p.budget {
		p.budget = budget
	}
}

// Stop puts the GOGC from before Start back and stops choosing. Stopping a
// stopped Pacer does nothing.
func (p *Pacer) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	p.stopped = true
	p.setPercent(p.previous)
}

// arm registers afterCollection to run once the collector has freed a
// fresh object, that is, after the next collection. The object is
// unreachable from the start, so the next cycle finds it.
func (p *Pacer) arm() {
	runtime.SetFinalizer(&sentinel{}, func(*sentinel) { p.afterCollection() })
}

// sentinel is the object whose finalizer tells a Pacer a collection has
// happened. It must not be zero-sized: the runtime may give all zero-size
// objects one address and never free it.
type sentinel struct{ _ [16]byte }

// afterCollection chooses the percent for the live heap the last
// collection left and arms the hook again, unless the Pacer is stopped.
func (p *Pacer) afterCollection() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	p.setPercent(Percent(p.liveHeap(), p.budget))
	p.arm()
}

// liveHeap returns the bytes of heap objects the last collection marked
// live.
func liveHeap() uint64 {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return sample[0].Value.Uint64()
}
