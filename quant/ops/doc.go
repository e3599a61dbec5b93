// Package ops holds the ops of a layer graph (quant.Graph), one file per
// op family: its float reference and calibration rule (quant.FloatOp), its
// quantization, its integer reference and its commitment encoding
// (quant.Op). The gadget that constrains each op lives in circuits/ops
// under the same file name. Importing this package registers the ops.
//
// Every op's output is int8 and range-constrained by the op itself in the
// circuit (a requantization, a clamp, a table lookup, or a copy of
// constrained values), so a graph of ops keeps the invariant that every
// value is int8 within its bounds.
package ops

import (
	"fmt"

	"github.com/zkinfer/zkinfer/quant"
)

// RequantCost and RequantCostSCS are the estimated R1CS and PLONK costs of
// one requantized output, measured on 64×64 tensors (circuits/graph
// TestCostProbe): R1CS 7.3–7.7, PLONK ≈ 30 (its range checks and clamp
// selectors are not free linear combinations).
//
// Every range check a gadget declares to the plan (a Site's Shift: the
// remainder of a requantization, a range site) is counted here as if the
// circuit's range checker had base RefRangeBase (RefRangeCheck); the
// circuit-wide overhead (circuits/graph) replaces that by its cost at the
// circuit's actual base.
const (
	RequantCost    = quant.ConstraintsPerOutput
	RequantCostSCS = 30
)

func arity(in [][]int, n int) error {
	if len(in) != n {
		return fmt.Errorf("%w: %d inputs, want %d", quant.ErrValidation, len(in), n)
	}
	return nil
}

func arity2(in, out []quant.Value, nIn, nOut int) error {
	if len(in) != nIn || len(out) != nOut {
		return fmt.Errorf("%w: %d inputs and %d outputs, want %d and %d", quant.ErrValidation, len(in), len(out), nIn, nOut)
	}
	return nil
}

func shapeOf(t *quant.FloatTensor) []int {
	if t == nil {
		return nil
	}
	return t.Shape
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func keepFrac(in []int, _ []float64) []int { return []int{in[0]} }

// RefRangeBase is the range-check base the ops' estimates assume for their
// planned checks: RequantCost's 8 R1CS constraints are a clamp lookup (2),
// the 5 limbs of a 24-bit remainder padded to 25 bits and its recomposition.
const RefRangeBase = 5

// RefRequant is the R1CS cost of one requantization with a shift of shift
// bits: the clamp's lookup and the remainder's check, padded to a multiple
// of the base, at RefRangeBase (RequantCost for the usual 21–25-bit shifts).
func RefRequant(shift uint) int {
	if shift == 0 {
		return 2
	}
	bits := (int(shift) + RefRangeBase - 1) / RefRangeBase * RefRangeBase
	return 2 + RefRangeCheck(bits)
}

// RefRangeCheck is the R1CS cost of one check of bits bits at RefRangeBase
// (gnark's std/rangecheck: the limbs, the top limb's shifted copy when bits
// is not a multiple of the base, the recomposition).
func RefRangeCheck(bits int) int {
	if bits <= 1 {
		return 1
	}
	n := (bits + RefRangeBase - 1) / RefRangeBase
	if n*RefRangeBase > bits {
		n++
	}
	return n + 1
}
