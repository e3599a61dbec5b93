package ops

import (
	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// IndexMap constrains ops.QIndexMap at no cost: an output is the input's
// variable it copies (already bounded by the input's producer, within the
// output's bounds by Check) or a circuit constant (an int8 that Check
// placed within the output's bounds).
type IndexMap struct{}

func init() { gadget.Register("index_map", IndexMap{}) }

func (IndexMap) Define(_ *gadget.Ctx, op quant.Op, in []gadget.Tensor, _ []quant.Value) ([][]frontend.Variable, error) {
	q, err := opAs[*ops.QIndexMap](op)
	if err != nil {
		return nil, err
	}
	y := make([]frontend.Variable, len(q.Index))
	for k, i := range q.Index {
		if i >= 0 {
			y[k] = in[0].V[i]
		} else {
			y[k] = q.Const[-1-i]
		}
	}
	return one(y), nil
}

func (IndexMap) Sites(quant.Op, []quant.Value, []quant.Value) []fixedpoint.Site { return nil }
