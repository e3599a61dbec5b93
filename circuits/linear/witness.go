package linear

import (
	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/matmul"
	"github.com/zkinfer/zkinfer/quant"
)

// Weights are the parameters of a dense layer held as private witnesses
// (hashed and public weight visibility): W (In·Out, row-major, int8), B (Out,
// int32) and Mult (Out, [0, quant.MaxMultiplier)). Shapes, shift and clamp
// bounds stay constants of the circuit: they are the architecture.
type Weights struct {
	W    []frontend.Variable
	B    []frontend.Variable
	Mult []frontend.Variable
}

// NewWeights allocates the witness of a layer shaped like d.
func NewWeights(d *quant.Dense) Weights {
	return Weights{
		W:    make([]frontend.Variable, d.In*d.Out),
		B:    make([]frontend.Variable, d.Out),
		Mult: make([]frontend.Variable, d.Out),
	}
}

// AssignWeights returns d's parameters as a witness.
func AssignWeights(d *quant.Dense) Weights {
	w := Weights{W: make([]frontend.Variable, len(d.W)), B: make([]frontend.Variable, len(d.B)), Mult: make([]frontend.Variable, len(d.Mult))}
	for i, v := range d.W {
		w.W[i] = int64(v)
	}
	for j := range d.B {
		w.B[j], w.Mult[j] = d.B[j], d.Mult[j]
	}
	return w
}

// CheckWeights range-checks every parameter to its width: weights to int8,
// biases to int32, multipliers to [0, quant.MaxMultiplier). The accumulator
// and quotient bounds of DenseWitness rely on these checks.
func CheckWeights(api frontend.API, fp *fixedpoint.Gadget, w Weights) {
	for _, v := range w.W {
		fp.AssertInt8(v)
	}
	for j := range w.B {
		fp.Check(api.Sub(w.B[j], quant.Int32Min), 32)
		fp.Check(w.Mult[j], 16)
	}
}

// WorstAccBound bounds |acc| for any int8 input row of length in, any int8
// weights and any int32 bias: in·128·128 + 2^31.
func WorstAccBound(in int) int64 {
	return int64(in)*128*128 + 1<<31
}

// DenseWitness applies the layer shaped like d (In, Out, Shift, Lo, Hi are
// read; W, B and Mult are not) with the witness parameters w, exactly as
// quant.Dense.Apply: each product in·w costs one constraint, and the
// requantization bounds come from WorstAccBound, so the circuit is the same
// for every weight set. w must be range-checked (CheckWeights).
func DenseWitness(api frontend.API, fp *fixedpoint.Gadget, d *quant.Dense, w Weights, in []frontend.Variable) []frontend.Variable {
	return denseWitness(api, fp, d, w, in, nil)
}

// DenseWitnessAdd is DenseWitness with res (d.Out int8 values, constrained
// by the caller) added before the one clamp (DenseAdd's semantics).
func DenseWitnessAdd(api frontend.API, fp *fixedpoint.Gadget, d *quant.Dense, w Weights, in, res []frontend.Variable) []frontend.Variable {
	return denseWitness(api, fp, d, w, in, res)
}

func denseWitness(api frontend.API, fp *fixedpoint.Gadget, d *quant.Dense, w Weights, in, res []frontend.Variable) []frontend.Variable {
	bits := fixedpoint.WorstQuotientBits(WorstAccBound(d.In), d.Shift)
	if res != nil {
		bits = fixedpoint.WorstResidualQuotientBits(WorstAccBound(d.In), d.Shift)
	}
	out := make([]frontend.Variable, d.Out)
	terms := make([]frontend.Variable, 0, d.In+1)
	for j := 0; j < d.Out; j++ {
		terms = append(terms[:0], w.B[j])
		for i := 0; i < d.In; i++ {
			terms = append(terms, api.Mul(in[i], w.W[i*d.Out+j]))
		}
		acc := api.Add(terms[0], terms[1], terms[2:]...)
		if res != nil {
			out[j] = fp.RequantizeAddVar(acc, w.Mult[j], d.Shift, res[j], d.Lo, d.Hi, bits)
			continue
		}
		out[j] = fp.RequantizeVar(acc, w.Mult[j], d.Shift, d.Lo, d.Hi, bits)
	}
	return out
}

// DenseWitnessRows is DenseWitness applied to every row of in (one row per
// token), with the products in·W of all rows constrained together as one
// matrix product by circuits/matmul: mode Direct costs one constraint per
// input, weight and row, as DenseWitness; Checked hints the accumulators and
// pins them by matmul's randomized row checks, about one constraint per
// weight (the weights times the challenge's powers) plus O(rows·(In + Out)),
// whatever the number of rows; Auto (the zero value) takes the cheaper by
// matmul.Estimate, so a single row stays Direct. The outputs are those of
// DenseWitness row by row: the accumulators are the same field elements, and
// the same requantizations follow.
func DenseWitnessRows(api frontend.API, fp *fixedpoint.Gadget, d *quant.Dense, w Weights, in [][]frontend.Variable, mode matmul.Mode) [][]frontend.Variable {
	return denseWitnessRows(api, fp, d, w, in, nil, mode)
}

// DenseWitnessRowsAdd is DenseWitnessRows with res[t] (d.Out int8 values
// per row, constrained by the caller) added before each row's clamps
// (DenseAdd's semantics).
func DenseWitnessRowsAdd(api frontend.API, fp *fixedpoint.Gadget, d *quant.Dense, w Weights, in, res [][]frontend.Variable, mode matmul.Mode) [][]frontend.Variable {
	return denseWitnessRows(api, fp, d, w, in, res, mode)
}

func denseWitnessRows(api frontend.API, fp *fixedpoint.Gadget, d *quant.Dense, w Weights, in, res [][]frontend.Variable, mode matmul.Mode) [][]frontend.Variable {
	bits := fixedpoint.WorstQuotientBits(WorstAccBound(d.In), d.Shift)
	if res != nil {
		bits = fixedpoint.WorstResidualQuotientBits(WorstAccBound(d.In), d.Shift)
	}
	wm := make([][]frontend.Variable, d.In)
	for i := range wm {
		wm[i] = w.W[i*d.Out : (i+1)*d.Out]
	}
	acc := matmul.Mul(api, in, wm, matmul.WithMode(mode))
	out := make([][]frontend.Variable, len(in))
	for t := range out {
		out[t] = make([]frontend.Variable, d.Out)
		for j := range out[t] {
			if res != nil {
				out[t][j] = fp.RequantizeAddVar(api.Add(acc[t][j], w.B[j]), w.Mult[j], d.Shift, res[t][j], d.Lo, d.Hi, bits)
				continue
			}
			out[t][j] = fp.RequantizeVar(api.Add(acc[t][j], w.B[j]), w.Mult[j], d.Shift, d.Lo, d.Hi, bits)
		}
	}
	return out
}
