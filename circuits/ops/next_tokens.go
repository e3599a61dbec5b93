package ops

import (
	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// NextTokens constrains ops.NextTokens: for every checked row x_0…x_(V−1)
// of the logits (rows From … From + Count − 1), as ArgMax does, from ExtremeHint's
// maximum m and one-hot selector s:
//
//	s_j·(s_j − 1) = 0,  Σ s_j = 1,  Σ s_j·x_j = m
//	m − x_j − 1 + B_j ∈ [0, 2^8) with B_j = s_0 + … + s_j (prefix sums, free)
//	out_k = Σ j·s_j
//
// B_j is 0 before the selected position a and 1 from it on, so x_j < m for
// j < a and x_j ≤ m for j ≥ a: m is the row's maximum (it is x_a) and a the
// lowest id holding it; out_k ∈ [0, V − 1] without a further check. Then
//
//	ids[From + k + 1] = out_k   for k < N − 1
//
// binds the model's own input at the next position to the argmax. The ids
// are range-checked to the vocabulary where the graph input is exposed
// (circuits/modelio), the logits by their producer; the only hint is
// ExtremeHint, every output of which is pinned above.
type NextTokens struct{}

// next_tokens_rows (ops.NextTokens with Sliced) is the same gadget on
// logits that hold the checked rows only: row k is position From + k.
func init() {
	gadget.Register("next_tokens", NextTokens{})
	gadget.Register("next_tokens_rows", NextTokens{})
}

func (NextTokens) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	n, err := opAs[*ops.NextTokens](op)
	if err != nil {
		return nil, err
	}
	api := c.API
	s := in[0].Value.Shape
	v := s[len(s)-1]
	rows := out[0].Size()
	y := make([]frontend.Variable, rows)
	for k := range y {
		r := n.Row(k)
		idx, err := firstArgMax(c, in[0].V[r*v:(r+1)*v])
		if err != nil {
			return nil, err
		}
		y[k] = idx
		if k < rows-1 {
			api.AssertIsEqual(in[1].V[n.From+k+1], y[k])
		}
	}
	return one(y), nil
}

// firstArgMax constrains the index of the first maximum of row (see
// NextTokens) and returns it.
func firstArgMax(c *gadget.Ctx, row []frontend.Variable) (frontend.Variable, error) {
	api := c.API
	res, err := api.Compiler().NewHint(ExtremeHint, len(row)+1, append([]frontend.Variable{0}, row...)...)
	if err != nil {
		return nil, err
	}
	m, sel := res[0], res[1:]
	prods := make([]frontend.Variable, len(row))
	idx := make([]frontend.Variable, 0, len(row))
	var prefix frontend.Variable = 0
	for j, x := range row {
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
	return api.Add(0, 0, idx...), nil
}

// ArgMaxIndex constrains ops.ArgMaxIndex: firstArgMax on every group along
// the axis.
type ArgMaxIndex struct{}

func init() { gadget.Register("argmax_index", ArgMaxIndex{}) }

func (ArgMaxIndex) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	a, err := opAs[*ops.ArgMaxIndex](op)
	if err != nil {
		return nil, err
	}
	groups, n, err := a.Groups(in[0].Value.Shape)
	if err != nil {
		return nil, err
	}
	y, err := groupArgMax(c, in[0].V, groups, n)
	if err != nil {
		return nil, err
	}
	return one(y), nil
}

// groupArgMax is firstArgMax on every group of n positions of x (groups as
// ReduceGroups lists them), for ArgMax and ArgMaxIndex.
func groupArgMax(c *gadget.Ctx, x []frontend.Variable, groups []int, n int) ([]frontend.Variable, error) {
	y := make([]frontend.Variable, len(groups)/n)
	g := make([]frontend.Variable, n)
	for o := range y {
		for j, p := range groups[o*n : (o+1)*n] {
			g[j] = x[p]
		}
		var err error
		if y[o], err = firstArgMax(c, g); err != nil {
			return nil, err
		}
	}
	return y, nil
}

func (ArgMaxIndex) Sites(_ quant.Op, in, _ []quant.Value) []fixedpoint.Site {
	return []fixedpoint.Site{rangeSite(8, in[0].Size())}
}

func (NextTokens) Sites(_ quant.Op, in, out []quant.Value) []fixedpoint.Site {
	s := in[0].Shape
	return []fixedpoint.Site{rangeSite(8, out[0].Size()*s[len(s)-1])}
}
