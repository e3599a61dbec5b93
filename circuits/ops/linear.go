package ops

import (
	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/circuits/linear"
	"github.com/zkinfer/zkinfer/circuits/matmul"
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
		return one(linearRows(c, q, x, y)), nil
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

// linearRows is the witness-weight Linear under committed weights
// (gadget.Ctx.WitnessRows): every row's products constrained together by
// linear.DenseWitnessRows in matmul.Auto mode, so one row stays one
// constraint per product and several rows cost about one per weight plus
// O(rows·(In + Out)) (matmul's package doc has the soundness argument).
// The outputs are DenseWitness's, row by row.
func linearRows(c *gadget.Ctx, q *ops.QLinear, x, y []frontend.Variable) []frontend.Variable {
	w := linear.Weights{W: c.W[0], B: c.W[1], Mult: c.W[2]}
	rows := make([][]frontend.Variable, 0, len(x)/q.In)
	for r := 0; r+q.In <= len(x); r += q.In {
		rows = append(rows, x[r:r+q.In])
	}
	for _, row := range linear.DenseWitnessRows(c.API, c.FP, &q.Dense, w, rows, matmul.Auto) {
		y = append(y, row...)
	}
	return y
}

// WitnessWeights: under hashed or public weights every product is one
// constraint (linear.DenseWitness).
func (Linear) WitnessWeights() {}

func (Linear) Sites(op quant.Op, in, out []quant.Value) []fixedpoint.Site {
	q := op.(*ops.QLinear)
	return linear.Sites(&q.Dense, out[0].Size()/q.Out)
}
