package prover

import (
	"os"
	"runtime/debug"
	"strconv"
	"sync"
)

// compileGCPercent is the garbage collector's target (GOGC) while a circuit
// compiles. gnark's frontend allocates a great deal of short-lived memory
// (linear expressions, the constraint system's growing slices) on top of a
// live heap that keeps growing: at Go's default of 100 the heap runs up to
// twice the live peak. 50 cut the peak RSS of compile-circuit on a 534 k
// constraint circuit from 1.2 to 1.05 GiB (25: 0.95 GiB, for more CPU still)
// (benchmarks/NOTES.md, 2026-12-01 "compile peak";
// benchmarks/results/compile-memory.md). ZKINFER_COMPILE_GOGC overrides it
// (100: Go's default behaviour); a GOGC set by the user is left alone.
var compileGCPercent = 50

func init() {
	if v, err := strconv.Atoi(os.Getenv("ZKINFER_COMPILE_GOGC")); err == nil {
		compileGCPercent = v
	}
}

var compileGC struct {
	sync.Mutex
	active int
	saved  int
}

// tuneGCForCompile sets the collector's target for a compile, unless the
// user set GOGC, and returns the function that restores it (when the last
// of concurrent compiles ends).
func tuneGCForCompile() (restore func()) {
	if os.Getenv("GOGC") != "" || compileGCPercent == 100 {
		return func() {}
	}
	compileGC.Lock()
	defer compileGC.Unlock()
	if compileGC.active == 0 {
		compileGC.saved = debug.SetGCPercent(compileGCPercent)
	}
	compileGC.active++
	return func() {
		compileGC.Lock()
		defer compileGC.Unlock()
		if compileGC.active--; compileGC.active == 0 {
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
