package ops

import (
	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/circuits/linear"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// LinearResidual constrains ops.QLinearResidual: linear's accumulation and
// requantization without its clamp, the residual added, then one clamp per
// output (linear.DenseAdd, fixedpoint.Gadget.RequantizeAdd; under witness
// weights linear.DenseWitnessAdd or, with Ctx.WitnessRows,
// linear.DenseWitnessRowsAdd). The residual is a graph value, constrained
// to int8 by the node that writes it.
type LinearResidual struct{}

func init() { gadget.Register("linear_residual", LinearResidual{}) }

func (LinearResidual) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	q, err := opAs[*ops.QLinearResidual](op)
	if err != nil {
		return nil, err
	}
	x, res := in[0].V, in[1].V
	rows := len(x) / q.In
	y := make([]frontend.Variable, 0, out[0].Size())
	if c.W != nil && c.WitnessRows {
		xs := make([][]frontend.Variable, rows)
		rs := make([][]frontend.Variable, rows)
		for r := range xs {
			xs[r], rs[r] = x[r*q.In:(r+1)*q.In], res[r*q.Out:(r+1)*q.Out]
		}
		w := linear.Weights{W: c.W[0], B: c.W[1], Mult: c.W[2]}
		for _, row := range linear.DenseWitnessRowsAdd(c.API, c.FP, &q.Dense, w, xs, rs, c.Products) {
			y = append(y, row...)
		}
		return one(y), nil
	}
	for r := 0; r < rows; r++ {
		xr, rr := x[r*q.In:(r+1)*q.In], res[r*q.Out:(r+1)*q.Out]
		if c.W != nil {
			w := linear.Weights{W: c.W[0], B: c.W[1], Mult: c.W[2]}
			y = append(y, linear.DenseWitnessAdd(c.API, c.FP, &q.Dense, w, xr, rr)...)
			continue
		}
		y = append(y, linear.DenseAdd(c.API, c.FP, &q.Dense, xr, rr)...)
	}
	return one(y), nil
}

// WitnessWeights: as linear's.
func (LinearResidual) WitnessWeights() {}

// Sites: one clamp per output of the widened bound (fixedpoint.ResidualQuotientBits).
func (LinearResidual) Sites(op quant.Op, _, out []quant.Value) []fixedpoint.Site {
	q := op.(*ops.QLinearResidual)
	return linear.ResidualSites(&q.Dense, out[0].Size()/q.Out)
}
