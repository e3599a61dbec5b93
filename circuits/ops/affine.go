package ops

import (
	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Affine constrains ops.QAffine: acc = x·w + b is a linear combination of
// one input with constants (free in R1CS), then one requantization per
// output. An output whose weight is 0 does not depend on the input: it is
// the constant the reference computes.
type Affine struct{}

func init() { gadget.Register("affine", Affine{}) }

func affineBits(q *ops.QAffine) int {
	return fixedpoint.QuotientBits(q.AccBound(), q.Mult, q.Shift)
}

func (Affine) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	q, err := opAs[*ops.QAffine](op)
	if err != nil {
		return nil, err
	}
	api := c.API
	iw, ib := q.Index(in[0].Value.Shape)
	bits := affineBits(q)
	y := make([]frontend.Variable, len(in[0].V))
	for p, x := range in[0].V {
		w, b := int64(q.W[iw[p]]), q.B[ib[p]]
		if w == 0 {
			y[p] = quant.Requantize(b, q.Mult, q.Shift, q.Lo, q.Hi)
			continue
		}
		y[p] = c.FP.Requantize(api.Add(api.Mul(x, w), b), q.Mult, q.Shift, q.Lo, q.Hi, bits)
	}
	return one(y), nil
}

func (Affine) Sites(op quant.Op, _, out []quant.Value) []fixedpoint.Site {
	q := op.(*ops.QAffine)
	return []fixedpoint.Site{{Lo: q.Lo, Hi: q.Hi, Bits: affineBits(q), Shift: q.Shift, Count: out[0].Size()}}
}
