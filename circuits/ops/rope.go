package ops

import (
	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Rope constrains ops.QRope: acc = A·x + B·x' is a linear combination of
// two inputs with constant coefficients (free in R1CS), then one
// requantization per output (its range checks pin the hinted quotient and
// the clamp bounds the output to int8).
type Rope struct{}

func init() { gadget.Register("rope", Rope{}) }

func ropeBits(q *ops.QRope) int { return fixedpoint.QuotientBits(q.AccBound(), 1, q.Shift) }

func (Rope) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	q, err := opAs[*ops.QRope](op)
	if err != nil {
		return nil, err
	}
	api := c.API
	x := in[0].V
	bits := ropeBits(q)
	y := make([]frontend.Variable, len(x))
	for p := range x {
		k, pp := q.Partner(p)
		acc := api.Add(api.Mul(x[p], q.A[k]), api.Mul(x[pp], q.B[k]))
		y[p] = c.FP.Requantize(acc, 1, q.Shift, q.Lo, q.Hi, bits)
	}
	return one(y), nil
}

func (Rope) Sites(op quant.Op, _, out []quant.Value) []fixedpoint.Site {
	q, ok := op.(*ops.QRope)
	if !ok {
		return nil
	}
	return []fixedpoint.Site{{Lo: q.Lo, Hi: q.Hi, Bits: ropeBits(q), Shift: q.Shift, Count: out[0].Size()}}
}
