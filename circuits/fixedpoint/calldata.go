package fixedpoint

import (
	"os"
	"reflect"
	"runtime/debug"
	"unsafe"

	"github.com/consensys/gnark/frontend"
)

// callDataRoom returns a function that reports the length and capacity of
// the CallData (gnark's one []uint32 of every instruction's operands) of
// the constraint system api's builder is writing, or nil where that system
// cannot be found.
//
// gnark's R1CS and SCS builders keep the system in an unexported field cs
// (an interface holding a pointer to a struct that embeds
// constraint.System); it is read by reflection, through unsafe for the
// unexported field, and only read: any other layout gives nil.
func callDataRoom(api frontend.API) func() (n, c int) {
	v := reflect.ValueOf(api.Compiler())
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	f := v.Elem().FieldByName("cs")
	if !f.IsValid() || f.Kind() != reflect.Interface || !f.CanAddr() {
		return nil
	}
	sys := reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
	if sys.IsNil() || sys.Elem().Kind() != reflect.Pointer || sys.Elem().Elem().Kind() != reflect.Struct {
		return nil
	}
	cd := sys.Elem().Elem().FieldByName("CallData")
	if !cd.IsValid() || cd.Type() != reflect.TypeOf([]uint32(nil)) {
		return nil
	}
	return func() (int, int) { return cd.Len(), cd.Cap() }
}

// growthCollector collects garbage just before gnark's CallData is about
// to grow.
//
// The CallData grows by 1.25× at a time; the new array (near the end of a
// large compile, 207 MB beside the old 166 MB) is allocated on top of
// whatever garbage the heap holds at that moment, up to half the live heap
// at the compile's GC target, so the peak RSS of a compile varied by that
// much from run to run (benchmarks/NOTES.md, 2026-12-01 "compile peak
// memory, part 3"). Collecting (and returning the freed pages) when the
// next step's words (the caller's estimate) may not fit puts the growth on
// a clean heap; collecting again after a step that grew it frees the old
// array at once (the collection the new array's allocation started saw the
// old one, still being copied, as live, and the next would only come at the
// GC target above both). Twice per growth, only while the CallData is
// larger than growthCollectMin words. ZKINFER_COMPILE_PREGROW=0 turns it
// off.
type growthCollector struct {
	room      func() (n, c int)
	c         int // the capacity before the step
	collected int // the capacity at the last collection
}

// growthCollectMin is the CallData size (words) below which the collector
// does nothing: 16 Mi words, 64 MiB.
const growthCollectMin = 1 << 24

func newGrowthCollector(api frontend.API) *growthCollector {
	if os.Getenv("ZKINFER_COMPILE_PREGROW") == "0" {
		return &growthCollector{}
	}
	return &growthCollector{room: callDataRoom(api)}
}

// before is called before a step that appends about words words to the
// CallData: it collects if they may not fit.
func (g *growthCollector) before(words int) {
	if g.room == nil {
		return
	}
	n, c := g.room()
	g.c = c
	if c >= growthCollectMin && c-n < words+words/4 && c != g.collected {
		g.collected = c
		debug.FreeOSMemory()
	}
}

// after is called after the step: it collects if the step grew the
// CallData.
func (g *growthCollector) after() {
	if g.room == nil {
		return
	}
	if _, c := g.room(); c != g.c && c >= growthCollectMin {
		debug.FreeOSMemory()
	}
}

// terms is the number of terms of v as the R1CS builder holds it (a linear
// expression, a slice of terms), 1 for anything else.
func terms(v frontend.Variable) int {
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice {
		return rv.Len()
	}
	return 1
}
