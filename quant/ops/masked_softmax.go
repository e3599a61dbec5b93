package ops

import (
	"fmt"
	"math"
	"slices"

	"github.com/zkinfer/zkinfer/quant"
)

// MaskedSoftmax is softmax over the last axis of scores [..., R, C] with a
// constant mask [R, C] (the same for every leading index): kept positions
// are a softmax among themselves, masked ones are exactly 0. It is what an
// export writes as Where(mask, scores, fill) → Softmax (or
// masked_fill(¬mask, fill)) with a fill so negative that exp(fill − max)
// is 0 in float (quant/onnx maps fills ≤ −1000): attention with a causal
// or any constant mask. Unlike the op-by-op form (the fill saturated to
// −128 at the scores' fraction, then softmax), a masked position never gets
// weight, so a causal mask makes row t a function of positions ≤ t only:
// what greedy completion in one pass (next_tokens) relies on.
type MaskedSoftmax struct {
	Rows int     `json:"rows"`
	Cols int     `json:"cols"`
	Keep []uint8 `json:"keep"` // [Rows·Cols], 1 kept, 0 masked
}

// QMaskedSoftmax is MaskedSoftmax in integers: QSoftmax's row (the exp
// table of the input's fraction, one division, one requantization to int8
// at frac 7; with Recip, QSoftmax's per-row reciprocal over the row's kept
// count: quant.SoftmaxRecipRow) over the kept positions of each row, 0 at
// the masked ones. Quantize sets Recip; files without it keep the division.
type QMaskedSoftmax struct {
	InFrac int     `json:"in_frac"`
	Rows   int     `json:"rows"`
	Cols   int     `json:"cols"`
	Keep   []uint8 `json:"keep"`
	Recip  bool    `json:"recip,omitempty"`
}

func init() {
	quant.RegisterOp(quant.OpInfo{
		Kind: "masked_softmax", ID: 76,
		New:      func() quant.Op { return &QMaskedSoftmax{} },
		NewFloat: func() quant.FloatOp { return &MaskedSoftmax{} },
		Doc:      "softmax over the last axis with a constant [rows, cols] mask (causal attention): masked positions are exactly 0 and cost nothing; the kept ones as softmax",
	})
}

// checkMask checks a mask against scores of shape x: x ends in [rows,
// cols], the mask holds rows·cols values in {0, 1}, every row keeps one.
func checkMask(rows, cols int, keep []uint8, x []int) error {
	if len(x) < 2 || x[len(x)-2] != rows || x[len(x)-1] != cols || cols > quant.MaxDim {
		return fmt.Errorf("%w: masked_softmax of %v with a [%d, %d] mask", quant.ErrShape, x, rows, cols)
	}
	if len(keep) != rows*cols {
		return fmt.Errorf("%w: masked_softmax mask has %d values, want %d·%d", quant.ErrValidation, len(keep), rows, cols)
	}
	for r := range rows {
		n := 0
		for _, k := range keep[r*cols : (r+1)*cols] {
			if k > 1 {
				return fmt.Errorf("%w: masked_softmax mask value %d (want 0 or 1)", quant.ErrValidation, k)
			}
			n += int(k)
		}
		if n == 0 {
			return fmt.Errorf("%w: masked_softmax mask row %d masks every position", quant.ErrValidation, r)
		}
	}
	return nil
}

func (*MaskedSoftmax) Kind() string                    { return "masked_softmax" }
func (*MaskedSoftmax) Params() []*quant.Param          { return nil }
func (*MaskedSoftmax) OutFracs([]int, []float64) []int { return []int{SoftmaxFrac} }

func (m *MaskedSoftmax) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 1); err != nil {
		return nil, err
	}
	if err := checkMask(m.Rows, m.Cols, m.Keep, in[0]); err != nil {
		return nil, err
	}
	return [][]int{slices.Clone(in[0])}, nil
}

func (m *MaskedSoftmax) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	x := in[0]
	y := make([]float64, len(x.Data))
	c := m.Cols
	for r := 0; r+c <= len(x.Data); r += c {
		keep := m.Keep[(r/c%m.Rows)*c:][:c]
		mx := math.Inf(-1)
		for j, v := range x.Data[r : r+c] {
			if keep[j] == 1 {
				mx = math.Max(mx, v)
			}
		}
		s := 0.0
		for j, v := range x.Data[r : r+c] {
			if keep[j] == 1 {
				y[r+j] = math.Exp(v - mx)
				s += y[r+j]
			}
		}
		for j := range c {
			y[r+j] /= s
		}
	}
	return []*quant.FloatTensor{{Shape: slices.Clone(x.Shape), Data: y}}, nil
}

func (m *MaskedSoftmax) Quantize(in, out []quant.Value) (quant.Op, error) {
	out[0].Frac, out[0].Lo, out[0].Hi = SoftmaxFrac, 0, quant.Int8Max
	q := &QMaskedSoftmax{InFrac: in[0].Frac, Rows: m.Rows, Cols: m.Cols, Keep: slices.Clone(m.Keep), Recip: true}
	if err := q.Check(in, out); err != nil {
		return nil, err
	}
	return q, nil
}

func (*QMaskedSoftmax) Kind() string { return "masked_softmax" }

func (q *QMaskedSoftmax) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 1, 1); err != nil {
		return err
	}
	if in[0].DType != quant.DTypeInt8 {
		return fmt.Errorf("%w: masked_softmax of a %q value", quant.ErrValidation, in[0].DType)
	}
	if err := checkMask(q.Rows, q.Cols, q.Keep, in[0].Shape); err != nil {
		return err
	}
	if q.InFrac != in[0].Frac {
		return fmt.Errorf("%w: masked_softmax in_frac %d, the input is at frac %d", quant.ErrValidation, q.InFrac, in[0].Frac)
	}
	if !sameShape(in[0].Shape, out[0].Shape) {
		return fmt.Errorf("%w: masked_softmax maps %v to %v", quant.ErrShape, in[0].Shape, out[0].Shape)
	}
	if y := out[0]; y.Frac != SoftmaxFrac || y.Lo != 0 || y.Hi != quant.Int8Max {
		return fmt.Errorf("%w: masked_softmax output at frac %d in [%d, %d], want frac %d in [0, 127]", quant.ErrValidation, y.Frac, y.Lo, y.Hi, SoftmaxFrac)
	}
	return nil
}

// ExpTable is the exp table: int8 inputs at InFrac.
func (q *QMaskedSoftmax) ExpTable() []int64 { return quant.ExpTableFor(q.InFrac, SoftmaxTableBits) }

// KeepRow returns the mask row of flattened row r.
func (q *QMaskedSoftmax) KeepRow(r int) []uint8 { return q.Keep[(r%q.Rows)*q.Cols:][:q.Cols] }

func (q *QMaskedSoftmax) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	x := in[0].Data
	c := q.Cols
	t := q.ExpTable()
	sm := &QSoftmax{InFrac: q.InFrac, Recip: q.Recip}
	y := make([]int64, len(x))
	for r := 0; r+c <= len(x); r += c {
		keep := q.KeepRow(r / c)
		var sub []int64
		for j, k := range keep {
			if k == 1 {
				sub = append(sub, x[r+j])
			}
		}
		p := sm.Row(sub, t)
		for j, k := range keep {
			if k == 1 {
				y[r+j], p = p[0], p[1:]
			}
		}
	}
	return []*quant.Tensor{{Shape: out[0].Shape, Data: y}}, nil
}

// Encode: as QSoftmax's (RecipTag on the fraction under Recip), then the mask.
func (q *QMaskedSoftmax) Encode(e *quant.Encoder) error {
	e.Int(recipTagged(int64(q.InFrac), q.Recip))
	e.Int(int64(q.Rows))
	e.Int(int64(q.Cols))
	for _, k := range q.Keep {
		e.Int(int64(k))
	}
	return nil
}
func (*QMaskedSoftmax) EncodeWeights(*quant.Encoder) error { return nil }

// Kept counts the kept positions of all rows of scores of n values.
func (q *QMaskedSoftmax) Kept(n int) int {
	per := 0
	for _, k := range q.Keep {
		per += int(k)
	}
	return n / (q.Rows * q.Cols) * per
}

// Cost: softmax's per kept value (masked ones are constants), the table;
// under Recip per row of k kept values too (its shift grows with k).
func (q *QMaskedSoftmax) Cost(in, _ []quant.Value) quant.Cost {
	n := q.Kept(in[0].Size())
	if !q.Recip {
		return quant.Cost{R1CS: 20*n + 256, SCS: 67*n + 512}
	}
	c := quant.Cost{R1CS: 256, SCS: 512}
	reps := in[0].Size() / max(q.Rows*q.Cols, 1)
	for r := range q.Rows {
		k := 0
		for _, v := range q.KeepRow(r) {
			k += int(v)
		}
		v1, vs := recipValueCost(k, SoftmaxFrac)
		r1, rs := recipRowCost(k, SoftmaxFrac)
		c.R1CS += reps * (k*v1 + r1)
		c.SCS += reps * (k*vs + rs)
	}
	return c
}
