package prover

import (
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// TestCompilePacer: while a compile's GC tuning is in force the soft memory
// limit follows the live heap (set after a collection, below the limit in
// force before); nested tunings share it, and the last restore puts back
// the limit and GC target of before.
func TestCompilePacer(t *testing.T) {
	if os.Getenv("GOGC") != "" || os.Getenv("ZKINFER_COMPILE_PACER") == "0" || compileGCPercent == 100 {
		t.Skip("GOGC, ZKINFER_COMPILE_PACER=0 or ZKINFER_COMPILE_GOGC=100: no tuning")
	}
	before := debug.SetMemoryLimit(-1)
	restore := tuneGCForCompile()
	inner := tuneGCForCompile()
	if got := debug.SetGCPercent(compileGCPercent); got != compileGCPercent {
		t.Errorf("GC target %d during the compile, want %d", got, compileGCPercent)
	}
	set := false
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		runtime.GC()
		if l := debug.SetMemoryLimit(-1); l != before && l >= 64<<20 {
			set = true
			break
		}
	}
	if !set {
		t.Error("the memory limit was never set from the live heap")
	}
	inner()
	if debug.SetMemoryLimit(-1) == before {
		t.Error("the inner restore ended the outer tuning")
	}
	restore()
	if l := debug.SetMemoryLimit(-1); l != before {
		t.Errorf("memory limit %d after the compile, %d before", l, before)
	}
	if g := debug.SetGCPercent(100); g == compileGCPercent && compileGCPercent != 100 {
		t.Errorf("GC target %d left after the compile", g)
	} else {
		debug.SetGCPercent(g)
	}
}
