package ops

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// OneHot, GatherElements and IndexEqual constrain the ops of the same
// names on index values. The first two share Selector: the one-hot s of an
// index x over n positions, from OneHotHint, pinned by
//
//	s_j·(s_j − 1) = 0,  Σ s_j = 1,  Σ j·s_j = x
//
// (x is within [0, n − 1]: its bounds, checked where the index value is
// exposed, are within that by the ops' Check). IndexEqual is IsZero(x − c).
type (
	OneHot         struct{}
	GatherElements struct{}
	IndexEqual     struct{}
)

func init() {
	gadget.Register("onehot", OneHot{})
	gadget.Register("gather_elements", GatherElements{})
	gadget.Register("index_equal", IndexEqual{})
	solver.RegisterHint(OneHotHint)
}

// OneHotHint returns the one-hot of inputs[1] over inputs[0] positions.
func OneHotHint(_ *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) != 2 || !inputs[0].IsInt64() || int64(len(outputs)) != inputs[0].Int64() {
		return fmt.Errorf("OneHotHint: want n, x and n outputs")
	}
	for j, o := range outputs {
		o.SetInt64(0)
		if inputs[1].IsInt64() && inputs[1].Int64() == int64(j) {
			o.SetInt64(1)
		}
	}
	return nil
}

// Selector returns the one-hot of x over n positions, fully constrained.
func Selector(api frontend.API, x frontend.Variable, n int) ([]frontend.Variable, error) {
	s, err := api.Compiler().NewHint(OneHotHint, n, n, x)
	if err != nil {
		return nil, err
	}
	idx := make([]frontend.Variable, 0, n)
	for j, v := range s {
		api.AssertIsBoolean(v)
		if j > 0 {
			idx = append(idx, api.Mul(v, j))
		}
	}
	api.AssertIsEqual(api.Add(0, 0, s...), 1)
	api.AssertIsEqual(api.Add(0, 0, idx...), x)
	return s, nil
}

func (OneHot) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, _ []quant.Value) ([][]frontend.Variable, error) {
	o, err := opAs[*ops.OneHot](op)
	if err != nil {
		return nil, err
	}
	api := c.API
	y := make([]frontend.Variable, 0, len(in[0].V)*o.Depth)
	for _, x := range in[0].V {
		s, err := Selector(api, x, o.Depth)
		if err != nil {
			return nil, err
		}
		for _, v := range s {
			y = append(y, api.Add(o.Off, api.Mul(v, o.On-o.Off)))
		}
	}
	return one(y), nil
}

func (OneHot) Sites(quant.Op, []quant.Value, []quant.Value) []fixedpoint.Site { return nil }

func (GatherElements) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, _ []quant.Value) ([][]frontend.Variable, error) {
	g, err := opAs[*ops.GatherElements](op)
	if err != nil {
		return nil, err
	}
	base, st, n, err := g.Rows(in[0].Value.Shape, in[1].Value.Shape)
	if err != nil {
		return nil, err
	}
	api := c.API
	y := make([]frontend.Variable, len(base))
	prods := make([]frontend.Variable, n)
	for p, b := range base {
		s, err := Selector(api, in[1].V[p], n)
		if err != nil {
			return nil, err
		}
		for j := range n {
			prods[j] = api.Mul(s[j], in[0].V[b+j*st])
		}
		y[p] = api.Add(0, 0, prods...)
	}
	return one(y), nil
}

func (GatherElements) Sites(quant.Op, []quant.Value, []quant.Value) []fixedpoint.Site { return nil }

func (IndexEqual) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, _ []quant.Value) ([][]frontend.Variable, error) {
	q, err := opAs[*ops.IndexEqual](op)
	if err != nil {
		return nil, err
	}
	y := make([]frontend.Variable, len(in[0].V))
	for i, x := range in[0].V {
		y[i] = c.API.IsZero(c.API.Sub(x, q.Const))
	}
	return one(y), nil
}

func (IndexEqual) Sites(quant.Op, []quant.Value, []quant.Value) []fixedpoint.Site { return nil }
