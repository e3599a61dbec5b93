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

// MaxPool constrains ops.QMaxPool. For a window x_1…x_m (padding left
// out, m ≥ 1) the prover hints y; the circuit checks y − x_i ∈ [0, 2^8) for
// every i (y ≥ every input; the inputs are int8, so an honest difference
// is below 256) and Π (y − x_i) = 0 (y is one of them, the field having no
// zero divisors). Together they pin y = max x_i; a one-input window is a copy.
type MaxPool struct{}

// AvgPool constrains ops.QAvgPool: the window's sum is a free linear
// combination, then one requantization by the window's multiplier.
type AvgPool struct{}

func init() {
	gadget.Register("max_pool", MaxPool{})
	gadget.Register("avg_pool", AvgPool{})
	solver.RegisterHint(MaxPoolHint)
}

// maxDiffBits bounds max − x for int8 values: [0, 255].
const maxDiffBits = 8

// MaxPoolHint returns the largest of its inputs, read as signed field elements.
func MaxPoolHint(field *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) == 0 || len(outputs) != 1 {
		return fmt.Errorf("MaxPoolHint: want inputs and 1 output")
	}
	half := new(big.Int).Rsh(field, 1)
	var best *big.Int
	for _, v := range inputs {
		s := new(big.Int).Set(v)
		if s.Cmp(half) > 0 {
			s.Sub(s, field)
		}
		if best == nil || s.Cmp(best) > 0 {
			best = s
		}
	}
	outputs[0].Mod(best, field)
	return nil
}

func (MaxPool) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	q, err := opAs[*ops.QMaxPool](op)
	if err != nil {
		return nil, err
	}
	api, x := c.API, in[0].V
	y := make([]frontend.Variable, out[0].Size())
	var herr error
	err = q.Windows(in[0].Value.Shape, func(o int, idx []int) {
		if len(idx) == 1 {
			y[o] = x[idx[0]]
			return
		}
		w := make([]frontend.Variable, len(idx))
		for k, i := range idx {
			w[k] = x[i]
		}
		res, err := api.Compiler().NewHint(MaxPoolHint, 1, w...)
		if err != nil {
			herr = err
			return
		}
		m := res[0]
		var prod frontend.Variable
		for k, v := range w {
			diff := api.Sub(m, v)
			c.FP.Check(diff, maxDiffBits)
			if k == 0 {
				prod = diff
			} else {
				prod = api.Mul(prod, diff)
			}
		}
		api.AssertIsEqual(prod, 0)
		y[o] = m
	})
	if err != nil {
		return nil, err
	}
	if herr != nil {
		return nil, herr
	}
	return one(y), nil
}

func (MaxPool) Sites(quant.Op, []quant.Value, []quant.Value) []fixedpoint.Site { return nil }

// Checks: one 8-bit check per window element (not planned: the plan
// predates them, and declaring them would move the circuit's base).
func (MaxPool) Checks(op quant.Op, in, out []quant.Value) []fixedpoint.Site {
	q := op.(*ops.QMaxPool)
	n := 0
	if err := q.Windows(in[0].Shape, func(_ int, idx []int) {
		if len(idx) > 1 {
			n += len(idx)
		}
	}); err != nil {
		return nil
	}
	return []fixedpoint.Site{rangeSite(maxDiffBits, n)}
}

func avgBits(q *ops.QAvgPool, count int) int {
	return fixedpoint.QuotientBits(ops.AvgAccBound(count), q.Mult(count), q.Shift)
}

func (AvgPool) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	q, err := opAs[*ops.QAvgPool](op)
	if err != nil {
		return nil, err
	}
	api, x := c.API, in[0].V
	y := make([]frontend.Variable, out[0].Size())
	lo, hi := out[0].Lo, out[0].Hi
	err = q.Windows(in[0].Value.Shape, func(o int, idx []int, count int) {
		var sum frontend.Variable = x[idx[0]]
		if len(idx) > 1 {
			rest := make([]frontend.Variable, 0, len(idx)-2)
			for _, i := range idx[2:] {
				rest = append(rest, x[i])
			}
			sum = api.Add(x[idx[0]], x[idx[1]], rest...)
		}
		y[o] = c.FP.Requantize(sum, q.Mult(count), q.Shift, lo, hi, avgBits(q, count))
	})
	if err != nil {
		return nil, err
	}
	return one(y), nil
}

func (AvgPool) Sites(op quant.Op, in, out []quant.Value) []fixedpoint.Site {
	q := op.(*ops.QAvgPool)
	count := map[int]int{}
	_ = q.Windows(in[0].Shape, func(_ int, _ []int, n int) { count[avgBits(q, n)]++ })
	sites := make([]fixedpoint.Site, 0, len(count))
	for bits, n := range count {
		sites = append(sites, fixedpoint.Site{Lo: out[0].Lo, Hi: out[0].Hi, Bits: bits, Shift: q.Shift, Count: n})
	}
	return sites
}
