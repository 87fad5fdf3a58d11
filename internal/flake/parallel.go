package flake

import (
	"runtime/debug"
	"sync"
)

// parallelNodes is the lock size from which classify runs its independent
// steps concurrently: below it, a goroutine costs more than it saves.
const parallelNodes = 4096

// concurrently runs the functions, each on a goroutine of its own but the
// first (which runs on the caller's), when parallel is set, else one after
// the other; it returns once all have. A panic in one of them (a fault
// reading a mapped lock among them, which SetPanicOnFault turns into one
// as the caller's goroutine has it) is raised again on the caller's
// goroutine, so that the program's one recover reports it.
func concurrently(parallel bool, fs ...func()) {
	if !parallel || len(fs) < 2 {
		for _, f := range fs {
			f()
		}
		return
	}
	var wg sync.WaitGroup
	panicked := make(chan any, len(fs)-1)
	for _, f := range fs[1:] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
			defer func() {
				if r := recover(); r != nil {
					panicked <- r
				}
			}()
			f()
		}()
	}
	func() {
		defer wg.Wait() // even when fs[0] panics: no goroutine outlives the call
		fs[0]()
	}()
	select {
	case r := <-panicked:
		panic(r)
	default:
	}
}
