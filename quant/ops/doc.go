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
