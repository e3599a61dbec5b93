package fixedpoint

import (
	"reflect"
	"unsafe"

	"github.com/consensys/gnark/frontend"
)

// lePacker keeps R1CS linear expressions of gnark's frontend in 8 bytes a
// term instead of 56, while they wait in the range checker.
//
// Why: gnark's R1CS builder represents a linear expression as a slice of
// terms {Coeff [6]uint64; VID int} (56 bytes). A requantization remainder
// carries its accumulator's terms (d + 2 of them for a d-wide dense layer),
// and the log checker holds one such expression per checked value from
// Define until its commit: at 64 tokens of a d-64 block, about 260 MB, the
// largest item of the compile's peak (benchmarks/NOTES.md, 2026-11-30
// "compile peak"). Packed, a term is its wire ID and the index of its
// coefficient in a table of the distinct coefficients.
//
// How: gnark's term type lives in an internal package, so the packer reads
// its layout by reflection (a struct of exactly a Coeff array of at most
// maxPackedCoeff uint64 and an int VID; any other layout, such as the PLONK
// builder's single terms, is kept as it is) and copies terms through unsafe
// pointers into and out of slices of that type, which hold no pointers.
// unpack(pack(v)) is a new slice equal to v term for term, so the circuit is
// exactly the one built from v (TestPackedLERoundTrip).
type lePacker struct {
	typ              reflect.Type // the expression type, nil until the first
	bad              bool         // the layout is not the expected one: keep expressions as they are
	size             uintptr      // of a term
	vidOff, coeffOff uintptr
	coeffLen         int
	// index finds a coefficient's entry by its first word (a uint64 map is
	// several times faster than one keyed by the whole array); others
	// holds the coefficients whose first word is taken by another.
	index  map[uint64]uint32
	others map[[maxPackedCoeff]uint64]uint32
	coeffs [][maxPackedCoeff]uint64
}

const maxPackedCoeff = 6

// packedLE is a packed linear expression: per term, the coefficient's index
// in the packer's table (high 32 bits) and the wire ID (low 32 bits).
type packedLE []uint64

func (p *lePacker) layout(t reflect.Type) bool {
	if p.typ != nil {
		return t == p.typ
	}
	if p.bad || t.Kind() != reflect.Slice {
		return false
	}
	e := t.Elem()
	if e.Kind() != reflect.Struct || e.NumField() != 2 {
		p.bad = true
		return false
	}
	coeff, okC := e.FieldByName("Coeff")
	vid, okV := e.FieldByName("VID")
	if !okC || !okV || vid.Type.Kind() != reflect.Int || coeff.Type.Kind() != reflect.Array ||
		coeff.Type.Elem().Kind() != reflect.Uint64 || coeff.Type.Len() > maxPackedCoeff {
		p.bad = true
		return false
	}
	p.typ, p.size, p.vidOff, p.coeffOff, p.coeffLen = t, e.Size(), vid.Offset, coeff.Offset, coeff.Type.Len()
	p.index = make(map[uint64]uint32)
	p.others = make(map[[maxPackedCoeff]uint64]uint32)
	return true
}

// pack returns v packed, or v itself when it is not an R1CS linear
// expression of the expected layout (constants, PLONK terms) or is short.
func (p *lePacker) pack(v frontend.Variable) frontend.Variable {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || rv.Kind() != reflect.Slice || rv.Len() < 4 || !p.layout(rv.Type()) {
		return v
	}
	n := rv.Len()
	base := rv.UnsafePointer()
	out := make(packedLE, n)
	for i := range n {
		t := unsafe.Add(base, uintptr(i)*p.size)
		vid := *(*int)(unsafe.Add(t, p.vidOff))
		if vid < 0 || vid > 1<<32-1 {
			return v
		}
		var c [maxPackedCoeff]uint64
		copy(c[:p.coeffLen], unsafe.Slice((*uint64)(unsafe.Add(t, p.coeffOff)), p.coeffLen))
		out[i] = uint64(p.coeffIndex(&c))<<32 | uint64(vid)
	}
	return out
}

func (p *lePacker) coeffIndex(c *[maxPackedCoeff]uint64) uint32 {
	k, ok := p.index[c[0]]
	if ok && p.coeffs[k] == *c {
		return k
	}
	if ok {
		if k, ok := p.others[*c]; ok {
			return k
		}
	}
	k = uint32(len(p.coeffs))
	p.coeffs = append(p.coeffs, *c)
	if ok {
		p.others[*c] = k
	} else {
		p.index[c[0]] = k
	}
	return k
}

// unpack returns the expression v was packed from (a new slice), or v
// itself when it was not packed.
func (p *lePacker) unpack(v frontend.Variable) frontend.Variable {
	pv, ok := v.(packedLE)
	if !ok {
		return v
	}
	s := reflect.MakeSlice(p.typ, len(pv), len(pv))
	base := s.UnsafePointer()
	for i, x := range pv {
		t := unsafe.Add(base, uintptr(i)*p.size)
		*(*int)(unsafe.Add(t, p.vidOff)) = int(uint32(x))
		c := &p.coeffs[x>>32]
		copy(unsafe.Slice((*uint64)(unsafe.Add(t, p.coeffOff)), p.coeffLen), c[:p.coeffLen])
	}
	return s.Interface()
}
