package ops

import (
	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// ArgMax constrains ops.ArgMax on every group x_0…x_(n−1) along the axis
// (firstArgMax, next_tokens.go; a group of one value is index 0, unconstrained),
// from ExtremeHint's maximum m and one-hot selector s:
//
//	s_j·(s_j − 1) = 0,  Σ s_j = 1,  Σ s_j·x_j = m
//	m − x_j − 1 + B_j ∈ [0, 2^8) with B_j = s_0 + … + s_j (prefix sums, free)
//	index = Σ j·s_j
//
// B_j is 0 before the selected position a and 1 from it on, so the range
// check says x_j < m for j < a and x_j ≤ m for j ≥ a: m is the maximum (it
// is x_a) and a the first position holding it. The index is then within
// [0, n − 1] without a further check.
type ArgMax struct{}

func init() { gadget.Register("argmax", ArgMax{}) }

func (ArgMax) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	a, err := opAs[*ops.ArgMax](op)
	if err != nil {
		return nil, err
	}
	groups, n, err := a.Groups(in[0].Value.Shape)
	if err != nil {
		return nil, err
	}
	if n == 1 { // one value per group: the index is 0, nothing to constrain
		y := make([]frontend.Variable, len(groups))
		for o := range y {
			y[o] = 0
		}
		return one(y), nil
	}
	y, err := groupArgMax(c, in[0].V, groups, n)
	if err != nil {
		return nil, err
	}
	return one(y), nil
}

func (ArgMax) Sites(_ quant.Op, in, _ []quant.Value) []fixedpoint.Site {
	return []fixedpoint.Site{rangeSite(8, in[0].Size())}
}
