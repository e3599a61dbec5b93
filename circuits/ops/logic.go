package ops

import (
	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Logic constrains ops.Logic: not is 1 − x (free), and/or/xor one product
// each. The inputs are 0/1 (ops.Logic.Check requires producers bounding
// them to [0, 1]), so every output is 0 or 1 without further constraint.
type Logic struct{}

func init() { gadget.Register("logic", Logic{}) }

func (Logic) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	l, err := opAs[*ops.Logic](op)
	if err != nil {
		return nil, err
	}
	api := c.API
	if l.Op == "not" {
		y := make([]frontend.Variable, len(in[0].V))
		for p, v := range in[0].V {
			y[p] = api.Sub(1, v)
		}
		return one(y), nil
	}
	shape := out[0].Shape
	ia, ib := ops.BroadcastIndex(in[0].Value.Shape, shape), ops.BroadcastIndex(in[1].Value.Shape, shape)
	y := make([]frontend.Variable, len(ia))
	for p := range y {
		a, b := in[0].V[ia[p]], in[1].V[ib[p]]
		ab := api.Mul(a, b)
		switch l.Op {
		case "and":
			y[p] = ab
		case "or":
			y[p] = api.Sub(api.Add(a, b), ab)
		default:
			y[p] = api.Sub(api.Add(a, b), api.Mul(ab, 2))
		}
	}
	return one(y), nil
}

func (Logic) Sites(quant.Op, []quant.Value, []quant.Value) []fixedpoint.Site { return nil }
