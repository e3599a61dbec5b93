package ops

import (
	"fmt"

	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Affine constrains ops.QAffine: acc = x·w + b is a linear combination of
// one input with constants (free in R1CS), then one requantization per
// output. An output whose weight is 0 does not depend on the input: it is
// the constant the reference computes. Under hashed or public weights
// (Ctx.W: W, B, Mult, range-checked by the graph circuit) every product is
// one constraint and the requantization bounds are the worst case of any
// int8 weight and int32 bias, so the circuit is the same for every weight set.
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
	if c.W != nil {
		if len(c.W) != 3 || len(c.W[0]) != len(q.W) || len(c.W[1]) != len(q.B) || len(c.W[2]) != 1 {
			return nil, fmt.Errorf("affine: witness weights do not match the op's shapes")
		}
		bits := fixedpoint.WorstQuotientBits(affineWorstAcc, q.Shift)
		y := make([]frontend.Variable, len(in[0].V))
		for p, x := range in[0].V {
			acc := api.Add(api.Mul(x, c.W[0][iw[p]]), c.W[1][ib[p]])
			y[p] = c.FP.RequantizeVar(acc, c.W[2][0], q.Shift, q.Lo, q.Hi, bits)
		}
		return one(y), nil
	}
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

// affineWorstAcc bounds |x·w + b| for any int8 x and w and int32 b.
const affineWorstAcc = 128*128 + 1<<31

// WitnessWeights: Define reads only the op's shapes, shift and bounds when
// Ctx.W holds the parameters.
func (Affine) WitnessWeights() {}

func (Affine) Sites(op quant.Op, _, out []quant.Value) []fixedpoint.Site {
	q := op.(*ops.QAffine)
	return []fixedpoint.Site{{Lo: q.Lo, Hi: q.Hi, Bits: affineBits(q), Shift: q.Shift, Count: out[0].Size()}}
}
