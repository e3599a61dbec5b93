package ops

import (
	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/circuits/linear"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Linear constrains ops.QLinear: linear.Dense on every row of the last
// axis (constant weights: the accumulators are free linear combinations,
// each output one requantization).
type Linear struct{}

func init() { gadget.Register("linear", Linear{}) }

func (Linear) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	q, err := opAs[*ops.QLinear](op)
	if err != nil {
		return nil, err
	}
	x := in[0].V
	y := make([]frontend.Variable, 0, out[0].Size())
	if c.W != nil && c.WitnessRows {
		rows := make([][]frontend.Variable, 0, len(x)/q.In)
		for r := 0; r+q.In <= len(x); r += q.In {
			rows = append(rows, x[r:r+q.In])
		}
		w := linear.Weights{W: c.W[0], B: c.W[1], Mult: c.W[2]}
		for _, row := range linear.DenseWitnessRows(c.API, c.FP, &q.Dense, w, rows, c.Products) {
			y = append(y, row...)
		}
		return one(y), nil
	}
	for r := 0; r+q.In <= len(x); r += q.In {
		if c.W != nil {
			w := linear.Weights{W: c.W[0], B: c.W[1], Mult: c.W[2]}
			y = append(y, linear.DenseWitness(c.API, c.FP, &q.Dense, w, x[r:r+q.In])...)
			continue
		}
		y = append(y, linear.Dense(c.API, c.FP, &q.Dense, x[r:r+q.In])...)
	}
	return one(y), nil
}

// WitnessWeights: under hashed or public weights every product is one
// constraint (linear.DenseWitness), or, with Ctx.WitnessRows, the rows'
// products are one matrix product (linear.DenseWitnessRows).
func (Linear) WitnessWeights() {}

func (Linear) Sites(op quant.Op, in, out []quant.Value) []fixedpoint.Site {
	q := op.(*ops.QLinear)
	return linear.Sites(&q.Dense, out[0].Size()/q.Out)
}
