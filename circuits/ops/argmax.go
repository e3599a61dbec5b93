package ops

import (
	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// ArgMax constrains ops.ArgMax on every group x_0…x_(n−1) along the axis,
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
	api := c.API
	y := make([]frontend.Variable, len(groups)/n)
	g := make([]frontend.Variable, n)
	for o := range y {
		for j, p := range groups[o*n : (o+1)*n] {
			g[j] = in[0].V[p]
		}
		if n == 1 {
			y[o] = 0
			continue
		}
		res, err := api.Compiler().NewHint(ExtremeHint, n+1, append([]frontend.Variable{0}, g...)...)
		if err != nil {
			return nil, err
		}
		m, sel := res[0], res[1:]
		prods := make([]frontend.Variable, n)
		idx := make([]frontend.Variable, 0, n)
		var prefix frontend.Variable = 0
		for j, x := range g {
			api.AssertIsBoolean(sel[j])
			prods[j] = api.Mul(sel[j], x)
			prefix = api.Add(prefix, sel[j])
			c.FP.Check(api.Add(api.Sub(m, x, 1), prefix), 8)
			if j > 0 {
				idx = append(idx, api.Mul(sel[j], j))
			}
		}
		api.AssertIsEqual(prefix, 1)
		api.AssertIsEqual(api.Add(0, 0, prods...), m)
		y[o] = api.Add(0, 0, idx...)
	}
	return one(y), nil
}

func (ArgMax) Sites(_ quant.Op, in, _ []quant.Value) []fixedpoint.Site {
	return []fixedpoint.Site{rangeSite(8, in[0].Size())}
}
