// Package gcpace paces the garbage collector of a one-shot run that reads a
// big input: it lets the heap grow to a budget before the collector runs,
// and falls back to the collector's default pace once the live heap is
// half the budget.
//
// At the default GOGC=100 the collector lets the heap grow to twice the
// live heap before it collects again. A run that builds a graph of a 50 MB
// lock grows its live heap from nothing to some 200 MB, and collects seven
// times on the way, each time marking everything built so far. A
// Pacer chooses GOGC after each collection so that the next one comes when
// the heap reaches
//
//	max(budget, 2 × live)
//
// that is, at the budget while the live heap is less than half of it, and
// at the default pace (GOGC=100) from then on. So the heap never outgrows
// both the budget and what the default would let it reach, and, unlike a
// memory limit (GOMEMLIMIT), a live heap larger than the budget does not
// make the collector run back to back: it just collects at the default
// pace.
//
// Such a run keeps most of what it allocates until it ends, so collecting
// before the heap reaches the budget buys back little memory for the
// marking it costs: on a 100,000-node lock the first collection at the
// budget made `analyze` 21 % faster than collections at five times the
// live heap, for at most 15 % more peak memory (the message of commit
// 74e8baf).
//
// A user who sets GOGC or GOMEMLIMIT has chosen: the caller checks for
// them and does not start a Pacer.
package gcpace

import (
	"math"
	"math/bits"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// minPercent is the collector's default pace, GOGC=100: the heap grows to
// twice the live heap.
const minPercent = 100

// minLive is the least live heap Percent counts with. However little is
// live, the runtime lets the heap grow to GOGC/100 × 4 MB before it
// collects (its heap minimum), so a percent computed from a smaller live
// heap would put the next collection past the budget.
const minLive = 4 << 20

// Percent returns the GOGC under which the collection after one that left
// live bytes comes when the heap reaches max(budget, 2×live): the percent
// that puts it at the budget while live is less than half the budget
// (counting live as at least minLive, rounded down so that the heap stays
// within the budget), and 100 from then on.
func Percent(live, budget uint64) int {
	live = max(live, minLive)
	if live >= budget/2 {
		return minPercent
	}
	// GOGC = 100 × (budget/live − 1), in parts that cannot overflow:
	// budget/live is at least 2 here.
	whole, rest := budget/live, budget%live
	if whole >= math.MaxInt32/100 {
		return math.MaxInt32 // the runtime keeps GOGC in an int32
	}
	// 100 × rest / live, rest < live: the product's high word is less
	// than live, as Div64 needs.
	hi, lo := bits.Mul64(rest, 100)
	frac, _ := bits.Div64(hi, lo, live)
	return int(100*(whole-1) + frac)
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
// it sets the percent for the live heap now at once and chooses again
// after every collection.
func Start(budget uint64) *Pacer {
	p := &Pacer{budget: budget, setPercent: debug.SetGCPercent, liveHeap: LiveHeap}
	p.start()
	return p
}

// start sets the first percent and arms the hook that runs after each
// collection.
func (p *Pacer) start() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.previous = p.setPercent(Percent(p.liveHeap(), p.budget))
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

// LiveHeap returns the bytes of heap objects the last collection marked
// live: what a Pacer chooses from.
func LiveHeap() uint64 {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return sample[0].Value.Uint64()
}
