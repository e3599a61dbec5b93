package ops

import (
	"fmt"
	"math"
	"slices"

	"github.com/zkinfer/zkinfer/quant"
)

// Softmax is softmax over the last axis (ONNX Softmax with axis −1 and its
// opset-13 semantics; any other axis is moved last by a transpose).
type Softmax struct{}

// QSoftmax is Softmax in integers, GPT-2's attention softmax
// (quant.SoftmaxRow) followed by one requantization to int8:
//
//	m = max_j x_j;  E_j = T[m − x_j] with T = quant.ExpTableFor(inFrac, 8)
//	(256 entries: round(2^16·exp(−t·2^−inFrac)), since m − x_j ∈ [0, 255]);
//	S = Σ_j E_j;  p_j = floor((E_j·2^13 + S) / (2S)) ∈ [0, 2^12] (frac 12);
//	out_j = clamp(floor((p_j + 2^4) / 2^5), 0, 127)   (frac 7)
//
// The output is int8 at the fixed fraction SoftmaxFrac = 7 with bounds
// [0, 127]: a probability of 1 saturates at 127/128. InFrac repeats the
// input's fraction (Forward sees no formats); Check pins it.
//
// With Recip (set by Quantize since 2026-12-01; files without the field
// keep the division above) the row is quant.SoftmaxRecipRow at frac 7: one
// reciprocal per row, R = floor(N/S) with N = 255·2^(t−1) − 1 and
// t = quant.RecipShift(d), then out_j = floor((E_j·R + 2^(t−1)) / 2^t),
// which lies in [0, 127] without a clamp (E_j·R ≤ S·R ≤ N; the proof is in
// quant/softmaxrecip.go). Per value in a circuit: a product, a remainder
// of t bits and a bound check instead of a division (a quotient, two
// remainders, a product) and a requantization. Accuracy on random and
// extreme rows (quant TestSoftmaxRecipAccuracy): max |out − float| 1.00
// unit of 2^−7, as the division's; at most 1 unit from it.
type QSoftmax struct {
	InFrac int  `json:"in_frac"`
	Recip  bool `json:"recip,omitempty"`
}

// Softmax formats: the exp table's index width (int8 differences) and the
// output fraction.
const (
	SoftmaxTableBits = 8
	SoftmaxFrac      = 7
	softmaxShift     = quant.ProbFrac - SoftmaxFrac
)

func init() {
	quant.RegisterOp(quant.OpInfo{
		Kind: "softmax", ID: 42,
		New:      func() quant.Op { return &QSoftmax{} },
		NewFloat: func() quant.FloatOp { return &Softmax{} },
		Doc:      "softmax over the last axis: hinted row max, a 256-entry exp table, one reciprocal per row and one product and shift per value (recip; older files: one division and one requantization per value); int8 output at frac 7",
	})
}

func (*Softmax) Kind() string                    { return "softmax" }
func (*Softmax) Params() []*quant.Param          { return nil }
func (*Softmax) OutFracs([]int, []float64) []int { return []int{SoftmaxFrac} }
func (*Softmax) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 1); err != nil {
		return nil, err
	}
	if err := softmaxShape(in[0]); err != nil {
		return nil, err
	}
	return [][]int{slices.Clone(in[0])}, nil
}

func softmaxShape(x []int) error {
	if len(x) == 0 || x[len(x)-1] > quant.MaxDim {
		return fmt.Errorf("%w: softmax over the last axis of %v: rank ≥ 1 with at most %d values per row", quant.ErrShape, x, quant.MaxDim)
	}
	return nil
}

func (*Softmax) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	x := in[0]
	_, d := quant.Rows(x.Shape)
	y := make([]float64, len(x.Data))
	for r := 0; r+d <= len(x.Data); r += d {
		row := x.Data[r : r+d]
		mx := math.Inf(-1)
		for _, v := range row {
			mx = math.Max(mx, v)
		}
		s := 0.0
		for i, v := range row {
			y[r+i] = math.Exp(v - mx)
			s += y[r+i]
		}
		for i := range row {
			y[r+i] /= s
		}
	}
	return []*quant.FloatTensor{{Shape: x.Shape, Data: y}}, nil
}

func (*Softmax) Quantize(in, out []quant.Value) (quant.Op, error) {
	out[0].Frac, out[0].Lo, out[0].Hi = SoftmaxFrac, 0, quant.Int8Max
	return &QSoftmax{InFrac: in[0].Frac, Recip: true}, nil
}

func (*QSoftmax) Kind() string { return "softmax" }

func (q *QSoftmax) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 1, 1); err != nil {
		return err
	}
	if err := softmaxShape(in[0].Shape); err != nil {
		return err
	}
	if q.InFrac != in[0].Frac {
		return fmt.Errorf("%w: softmax in_frac %d, the input is at frac %d", quant.ErrValidation, q.InFrac, in[0].Frac)
	}
	if !sameShape(in[0].Shape, out[0].Shape) {
		return fmt.Errorf("%w: softmax maps %v to %v", quant.ErrShape, in[0].Shape, out[0].Shape)
	}
	if y := out[0]; y.Frac != SoftmaxFrac || y.Lo != 0 || y.Hi != quant.Int8Max {
		return fmt.Errorf("%w: softmax output at frac %d in [%d, %d], want frac %d in [0, 127]", quant.ErrValidation, y.Frac, y.Lo, y.Hi, SoftmaxFrac)
	}
	return nil
}

// ExpTable is the exp table of the softmax: int8 inputs at InFrac.
func (q *QSoftmax) ExpTable() []int64 { return quant.ExpTableFor(q.InFrac, SoftmaxTableBits) }

// Row returns the int8 probabilities of one row (see QSoftmax).
func (q *QSoftmax) Row(x, table []int64) []int64 {
	if q.Recip {
		p, _ := quant.SoftmaxRecipRow(x, table, SoftmaxFrac)
		return p
	}
	p, _, _, _ := quant.SoftmaxRow(x, table)
	for j := range p {
		p[j] = quant.Requantize(p[j], 1, softmaxShift, 0, quant.Int8Max)
	}
	return p
}

func (q *QSoftmax) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	x := in[0].Data
	_, d := quant.Rows(out[0].Shape)
	t := q.ExpTable()
	y := make([]int64, 0, len(x))
	for r := 0; r+d <= len(x); r += d {
		y = append(y, q.Row(x[r:r+d], t)...)
	}
	return []*quant.Tensor{{Shape: out[0].Shape, Data: y}}, nil
}

// Encode: the input fraction, plus RecipTag under Recip (the same length:
// older encodings unchanged, and no recip node encodes as a division one).
func (q *QSoftmax) Encode(e *quant.Encoder) error {
	e.Int(recipTagged(int64(q.InFrac), q.Recip))
	return nil
}

// RecipTag marks a recip softmax in an op's encoding: it is added to a
// small field (a fraction), so that the encoding keeps its length and
// differs from the division's.
const RecipTag = int64(1) << 32

func recipTagged(v int64, recip bool) int64 {
	if recip {
		return v + RecipTag
	}
	return v
}
func (*QSoftmax) EncodeWeights(*quant.Encoder) error { return nil }

// Cost: per value a lookup, a product of the max check, the division's
// three range checks and the requantization; the table's 256 entries.
// Measured on 64×64 (circuits/ops TestNormCostProbe): 67.4 PLONK
// constraints per value; the R1CS rate counts the planned range checks at
// ops.RefRangeBase (the circuit-wide overhead moves them to the circuit's
// base): 34.6 per value in all at 64×64.
//
// Recip: per value the lookup, the max's product, the product E·R, the
// t-bit remainder and the output's bound (at RefRangeBase); per row the
// division's product and three range checks.
func (q *QSoftmax) Cost(_, out []quant.Value) quant.Cost {
	n := out[0].Size()
	if q.Recip {
		_, d := quant.Rows(out[0].Shape)
		return recipCost(n, n/max(d, 1), d)
	}
	return quant.Cost{R1CS: 26*n + 256, SCS: 67*n + 512}
}

// recipCost estimates a recip softmax of n values in rows of d (a
// 256-entry table).
func recipCost(n, rows, d int) quant.Cost {
	r1, sc := recipValueCost(d, SoftmaxFrac)
	rr, rs := recipRowCost(d, SoftmaxFrac)
	return quant.Cost{R1CS: r1*n + rr*rows + 256, SCS: sc*n + rs*rows + 512}
}

// recipValueCost is the estimated cost of one value of a recip softmax row
// of n values at frac (quant.SoftmaxRecipRow): the packed exp lookup, the
// max's product, the product E·R (3 R1CS), the t-bit remainder and the
// output's bound at RefRangeBase. PLONK: measured on circuits/ops
// TestNormCostProbe (64×64) and TestAttentionCost.
func recipValueCost(n, frac int) (r1cs, scs int) {
	t := int(quant.RecipShift(n))
	scs = recipValueSCS
	if frac > SoftmaxFrac {
		scs = recipValueSCSWide
	}
	return 3 + RefRangeCheck(t) + RefRangeCheck(frac), scs
}

// recipRowCost is the per-row part: the product R·S and the division's
// three range checks (R's bound, the remainder and its complement).
func recipRowCost(n, frac int) (r1cs, scs int) {
	rb, db := quant.RecipBits(n, frac)
	return 1 + RefRangeCheck(rb) + 2*RefRangeCheck(db), recipRowSCS
}

// PLONK per value at frac 7 (softmax 64×64: 34 puts the estimate 6 % under
// the compiled count) and at frac 12 (attention at 16 tokens: 52), per row.
const (
	recipValueSCS     = 34
	recipValueSCSWide = 52
	recipRowSCS       = 40
)
