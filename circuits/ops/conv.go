package ops

import (
	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Conv constrains ops.QConv (conv and conv_transpose): every output is the
// conv's Dense column applied to its patch, an index map of the input
// variables (padding contributes no term): a free linear combination with
// constant weights, then one requantization.
type Conv struct{}

func init() {
	gadget.Register("conv", Conv{})
	gadget.Register("conv_transpose", Conv{})
}

func convBits(d *quant.Dense, j int) int {
	return fixedpoint.QuotientBits(d.AccBound(j), d.Mult[j], d.Shift)
}

func (Conv) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	q, err := opAs[*ops.QConv](op)
	if err != nil {
		return nil, err
	}
	api, d, x := c.API, &q.Dense, in[0].V
	bits := make([]int, d.Out)
	for j := range bits {
		bits[j] = convBits(d, j)
	}
	y := make([]frontend.Variable, out[0].Size())
	terms := make([]frontend.Variable, 0, d.In+1)
	err = q.Patches(in[0].Value.Shape, func(o, j int, idx []int) {
		terms = append(terms[:0], d.B[j])
		for i, p := range idx {
			if w := d.W[i*d.Out+j]; p >= 0 && w != 0 {
				terms = append(terms, api.Mul(x[p], int64(w)))
			}
		}
		acc := terms[0]
		if len(terms) > 1 {
			acc = api.Add(terms[0], terms[1], terms[2:]...)
		}
		y[o] = c.FP.Requantize(acc, d.Mult[j], d.Shift, d.Lo, d.Hi, bits[j])
	})
	if err != nil {
		return nil, err
	}
	return one(y), nil
}

func (Conv) Sites(op quant.Op, in, out []quant.Value) []fixedpoint.Site {
	q := op.(*ops.QConv)
	d := &q.Dense
	count := map[int]int{}
	positions := out[0].Size() / d.Out
	for j := 0; j < d.Out; j++ {
		count[convBits(d, j)] += positions
	}
	sites := make([]fixedpoint.Site, 0, len(count))
	for bits, n := range count {
		sites = append(sites, fixedpoint.Site{Lo: d.Lo, Hi: d.Hi, Bits: bits, Shift: d.Shift, Count: n})
	}
	return sites
}
