package prover

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync"
	"time"
)

// compileGCPercent is the garbage collector's target (GOGC) while a circuit
// compiles. gnark's frontend allocates a great deal of short-lived memory
// (linear expressions, the constraint system's growing slices) on top of a
// live heap that keeps growing: at Go's default of 100 the heap runs up to
// twice the live peak. 50 cut the peak RSS of compile-circuit on a 534 k
// constraint circuit from 1.2 to 1.05 GiB (25: 0.95 GiB, for more CPU still)
// (benchmarks/NOTES.md, 2026-12-01 "compile peak";
// benchmarks/results/compile-memory.md). ZKINFER_COMPILE_GOGC overrides it
// (100: Go's default behaviour, and no pacer); a GOGC set by the user is
// left alone.
var compileGCPercent = 50

func init() {
	if v, err := strconv.Atoi(os.Getenv("ZKINFER_COMPILE_GOGC")); err == nil {
		compileGCPercent = v
	}
}

var compileGC struct {
	sync.Mutex
	active     int
	saved      int
	savedLimit int64
	stopPacer  func()
}

// tuneGCForCompile sets the collector's target for a compile and starts the
// compile pacer (compilePacer), unless the user set GOGC, and returns the
// function that restores both (when the last of concurrent compiles ends).
func tuneGCForCompile() (restore func()) {
	if os.Getenv("GOGC") != "" || compileGCPercent == 100 {
		return func() {}
	}
	compileGC.Lock()
	defer compileGC.Unlock()
	if compileGC.active == 0 {
		compileGC.saved = debug.SetGCPercent(compileGCPercent)
		compileGC.savedLimit = debug.SetMemoryLimit(-1)
		compileGC.stopPacer = startCompilePacer(compileGCPercent, compileGC.savedLimit)
	}
	compileGC.active++
	return func() {
		compileGC.Lock()
		defer compileGC.Unlock()
		if compileGC.active--; compileGC.active == 0 {
			compileGC.stopPacer()
			debug.SetMemoryLimit(compileGC.savedLimit)
			debug.SetGCPercent(compileGC.saved)
		}
	}
}

// releaseCompileGarbage collects what the frontend left (it is garbage once
// the lookup blueprints are detached) and returns the memory to the system,
// so that encoding the system (digest, file) does not stack on it.
func releaseCompileGarbage() {
	if os.Getenv("ZKINFER_COMPILE_FREE") == "0" {
		return
	}
	debug.FreeOSMemory()
}

// startCompilePacer starts a goroutine that, until stop is called, sets
// the soft memory limit after every collection to the GC target applied to
// the live heap (live × (100 + gcPercent) / 100, at least 64 MiB, never
// above userLimit, the limit in force before).
//
// The GC target alone bounds the heap's objects, not the process: gnark's
// constraint system grows its CallData (two thirds of the live heap near
// the end) by 1.25× at a time, and each new array, too large for any freed
// range, takes fresh pages on top of a heap whose freed pages the runtime
// keeps until its background scavenger returns them, slowly. Under a
// memory limit the allocation that crosses it returns freed pages at once
// (and the collector counts all of the runtime's memory, not only the
// heap's objects). On the block-d64-s64 compile this took peak RSS from
// 1.70 to 1.41 GB per million constraints, for 30 % more collections
// (benchmarks/NOTES.md, 2026-12-01 "compile peak memory, part 3").
// ZKINFER_COMPILE_PACER=0 turns it off.
func startCompilePacer(gcPercent int, userLimit int64) (stop func()) {
	if os.Getenv("ZKINFER_COMPILE_PACER") == "0" || gcPercent <= 0 {
		return func() {}
	}
	limitOf := func(live uint64) int64 {
		l := float64(live) * float64(100+gcPercent) / 100
		if l >= float64(userLimit) {
			return userLimit
		}
		return max(int64(l), 64<<20)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/gc/heap/live:bytes"}}
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		var cycles uint64
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			metrics.Read(s)
			if c := s[0].Value.Uint64(); c != cycles {
				cycles = c
				debug.SetMemoryLimit(limitOf(s[1].Value.Uint64()))
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}
