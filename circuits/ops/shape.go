package ops

import (
	"slices"

	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Reshape and Transpose are index maps: the outputs are the inputs'
// variables, already constrained, in another order. They cost nothing.
type (
	Reshape   struct{}
	Transpose struct{}
)

func init() {
	gadget.Register("reshape", Reshape{})
	gadget.Register("transpose", Transpose{})
}

func (Reshape) Define(_ *gadget.Ctx, op quant.Op, in []gadget.Tensor, _ []quant.Value) ([][]frontend.Variable, error) {
	if _, err := opAs[*ops.Reshape](op); err != nil {
		return nil, err
	}
	return one(slices.Clone(in[0].V)), nil
}

func (Reshape) Sites(quant.Op, []quant.Value, []quant.Value) []fixedpoint.Site { return nil }

func (Transpose) Define(_ *gadget.Ctx, op quant.Op, in []gadget.Tensor, _ []quant.Value) ([][]frontend.Variable, error) {
	t, err := opAs[*ops.Transpose](op)
	if err != nil {
		return nil, err
	}
	idx := t.Index(in[0].Value.Shape)
	y := make([]frontend.Variable, len(idx))
	for k, i := range idx {
		y[k] = in[0].V[i]
	}
	return one(y), nil
}

func (Transpose) Sites(quant.Op, []quant.Value, []quant.Value) []fixedpoint.Site { return nil }
