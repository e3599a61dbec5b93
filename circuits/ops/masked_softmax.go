package ops

import (
	"math/bits"

	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/attention"
	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// MaskedSoftmax constrains ops.QMaskedSoftmax: Softmax's constraints
// (circuits/attention.Softmax, then one requantization to int8 at frac 7)
// on the kept positions of every row; the masked outputs are the constant
// 0, so no hint or witness can give them weight. Under
// ops.QMaskedSoftmax.Recip the kept positions of a row are
// attention.SoftmaxRecip at frac 7 (no requantization).
type MaskedSoftmax struct{}

func init() { gadget.Register("masked_softmax", MaskedSoftmax{}) }

func (MaskedSoftmax) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	q, err := opAs[*ops.QMaskedSoftmax](op)
	if err != nil {
		return nil, err
	}
	t := c.PackedTable(q.ExpTable())
	x := in[0].V
	y := make([]frontend.Variable, len(x))
	b := softmaxBits()
	for r := 0; r+q.Cols <= len(x); r += q.Cols {
		keep := q.KeepRow(r / q.Cols)
		var sub []frontend.Variable
		for j, k := range keep {
			y[r+j] = 0
			if k == 1 {
				sub = append(sub, x[r+j])
			}
		}
		if q.Recip {
			p := attention.SoftmaxRecip(c.API, c.FP, t, sub, ops.SoftmaxFrac)
			for j, k := range keep {
				if k == 1 {
					y[r+j], p = p[0], p[1:]
				}
			}
			continue
		}
		p := attention.Softmax(c.API, c.FP, t, sub)
		for j, k := range keep {
			if k == 1 {
				y[r+j], p = c.FP.Requantize(p[0], 1, softmaxShift, 0, quant.Int8Max, b), p[1:]
			}
		}
	}
	return one(y), nil
}

func (MaskedSoftmax) Sites(op quant.Op, in, _ []quant.Value) []fixedpoint.Site {
	q, ok := op.(*ops.QMaskedSoftmax)
	if !ok {
		return nil
	}
	n := q.Kept(in[0].Size())
	if q.Recip {
		// Rows by kept count: each count its shift and bounds.
		reps := in[0].Size() / max(q.Rows*q.Cols, 1)
		var sites []fixedpoint.Site
		for r := range q.Rows {
			k := 0
			for _, v := range q.KeepRow(r) {
				k += int(v)
			}
			sites = append(sites, recipSites(k, reps, ops.SoftmaxFrac)...)
		}
		return sites
	}
	denBits := quant.ExpBits + 1 + bits.Len(uint(q.Cols))
	return []fixedpoint.Site{
		{Lo: 0, Hi: quant.Int8Max, Bits: softmaxBits(), Shift: softmaxShift, Count: n},
		rangeSite(uint(denBits), 2*n), rangeSite(quant.ProbFrac+1, n),
	}
}
