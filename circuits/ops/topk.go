package ops

import (
	"fmt"
	"math/big"
	"sort"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// TopK constrains ops.TopK on every group x_0…x_(n−1) (n ≤ 128) with the
// distinct keys K_j = 256·x_j + 127 − j (value first, then the smaller
// index): k one-hot selectors s^r from TopKHint,
//
//	s^r_j·(s^r_j − 1) = 0,  Σ_j s^r_j = 1,  κ_r = Σ_j s^r_j·K_j
//	κ_r − κ_(r+1) − 1 ∈ [0, 2^16)              (strictly decreasing keys)
//	κ_(k−1) − K_j − 1 + 2^16·u_j ∈ [0, 2^17)   u_j = Σ_r s^r_j
//
// Strictly decreasing keys make the k positions distinct (so u_j ∈ {0, 1});
// every unselected key is below the k-th: the selection is the top k by
// key, in order. Index i_r = Σ_j j·s^r_j, value v_r = (κ_r − 127 + i_r)/256
// (linear).
type TopK struct{}

func init() {
	gadget.Register("topk", TopK{})
	solver.RegisterHint(TopKHint)
}

// TopKHint returns k one-hot selectors (k·n outputs) of the k largest of
// its n signed inputs, ties by index (inputs: k, then the n values).
func TopKHint(field *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) < 2 || !inputs[0].IsInt64() {
		return fmt.Errorf("TopKHint: want k and the values")
	}
	k, n := int(inputs[0].Int64()), len(inputs)-1
	if k < 1 || k > n || len(outputs) != k*n {
		return fmt.Errorf("TopKHint: k %d of %d values, %d outputs", k, n, len(outputs))
	}
	half := new(big.Int).Rsh(field, 1)
	x := make([]*big.Int, n)
	for j, v := range inputs[1:] {
		x[j] = new(big.Int).Set(v)
		if v.Cmp(half) > 0 {
			x[j].Sub(v, field)
		}
	}
	order := make([]int, n)
	for j := range order {
		order[j] = j
	}
	sort.SliceStable(order, func(a, b int) bool { return x[order[a]].Cmp(x[order[b]]) > 0 })
	for i := range outputs {
		outputs[i].SetInt64(0)
	}
	for r := 0; r < k; r++ {
		outputs[r*n+order[r]].SetInt64(1)
	}
	return nil
}

func (TopK) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	t, err := opAs[*ops.TopK](op)
	if err != nil {
		return nil, err
	}
	gin, gout, n, err := t.Groups(in[0].Value.Shape)
	if err != nil {
		return nil, err
	}
	api := c.API
	k := t.K
	vals, idxs := make([]frontend.Variable, len(gout)), make([]frontend.Variable, len(gout))
	x := make([]frontend.Variable, n)
	keys := make([]frontend.Variable, n)
	inv256 := new(big.Int).ModInverse(big.NewInt(256), api.Compiler().Field())
	for o := 0; o < len(gin)/n; o++ {
		for j, p := range gin[o*n : (o+1)*n] {
			x[j] = in[0].V[p]
			keys[j] = api.Add(api.Mul(x[j], 256), 127-j)
		}
		s, err := api.Compiler().NewHint(TopKHint, k*n, append([]frontend.Variable{k}, x...)...)
		if err != nil {
			return nil, err
		}
		kappa := make([]frontend.Variable, k)
		u := make([]frontend.Variable, n)
		for j := range u {
			u[j] = frontend.Variable(0)
		}
		for r := 0; r < k; r++ {
			sr := s[r*n : (r+1)*n]
			prods := make([]frontend.Variable, n)
			idx := make([]frontend.Variable, 0, n)
			for j, v := range sr {
				api.AssertIsBoolean(v)
				prods[j] = api.Mul(v, keys[j])
				if j > 0 {
					idx = append(idx, api.Mul(v, j))
				}
				u[j] = api.Add(u[j], v)
			}
			api.AssertIsEqual(api.Add(0, 0, sr...), 1)
			kappa[r] = api.Add(0, 0, prods...)
			i := api.Add(0, 0, idx...)
			if r > 0 {
				c.FP.Check(api.Sub(kappa[r-1], kappa[r], 1), 16)
			}
			op := gout[o*k+r]
			idxs[op] = i
			vals[op] = api.Mul(api.Add(api.Sub(kappa[r], 127), i), inv256)
		}
		for j := range keys {
			c.FP.Check(api.Add(api.Sub(kappa[k-1], keys[j], 1), api.Mul(u[j], 1<<16)), 17)
		}
	}
	return [][]frontend.Variable{vals, idxs}, nil
}

func (TopK) Sites(op quant.Op, in, _ []quant.Value) []fixedpoint.Site {
	t := op.(*ops.TopK)
	n := in[0].Size()
	x := in[0].Shape
	a := t.Axis
	if a < 0 {
		a += len(x)
	}
	sites := []fixedpoint.Site{rangeSite(17, n)}
	if t.K > 1 {
		sites = append(sites, rangeSite(16, n/x[a]*(t.K-1)))
	}
	return sites
}
