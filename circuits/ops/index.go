package ops

import (
	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Pad, Slice and Concat are index maps: the outputs are the inputs'
// variables (already constrained) or the constant 0 (padding, within the
// output's bounds by ops.Pad's rule). They cost nothing, except that
// Concat requantizes the values of an input at a finer fraction than the
// output's (a rounding right shift and a clamp, as ops.QConcat).
type (
	Pad    struct{}
	Slice  struct{}
	Concat struct{}
)

func init() {
	gadget.Register("pad", Pad{})
	gadget.Register("slice", Slice{})
	gadget.Register("concat", Concat{})
}

func (Pad) Define(_ *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	p, err := opAs[*ops.Pad](op)
	if err != nil {
		return nil, err
	}
	idx := p.Index(in[0].Value.Shape, out[0].Shape)
	y := make([]frontend.Variable, len(idx))
	for k, i := range idx {
		if i < 0 {
			y[k] = 0
		} else {
			y[k] = in[0].V[i]
		}
	}
	return one(y), nil
}

func (Pad) Sites(quant.Op, []quant.Value, []quant.Value) []fixedpoint.Site { return nil }

func (Slice) Define(_ *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	q, err := opAs[*ops.QSlice](op)
	if err != nil {
		return nil, err
	}
	idx := q.Index(in[0].Value.Shape, out[0].Shape)
	y := make([]frontend.Variable, len(idx))
	for k, i := range idx {
		y[k] = in[0].V[i]
	}
	return one(y), nil
}

func (Slice) Sites(quant.Op, []quant.Value, []quant.Value) []fixedpoint.Site { return nil }

func concatBits(shift uint) int { return fixedpoint.QuotientBits(128, 1, shift) }

func (Concat) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	q, err := opAs[*ops.QConcat](op)
	if err != nil {
		return nil, err
	}
	shapes := make([][]int, len(in))
	for k, t := range in {
		shapes[k] = t.Value.Shape
	}
	src, pos, err := q.Sources(shapes)
	if err != nil {
		return nil, err
	}
	y := make([]frontend.Variable, len(src))
	for p := range y {
		v := in[src[p]].V[pos[p]]
		if s := q.Shifts[src[p]]; s > 0 {
			v = c.FP.Requantize(v, 1, s, out[0].Lo, out[0].Hi, concatBits(s))
		}
		y[p] = v
	}
	return one(y), nil
}

func (Concat) Sites(op quant.Op, in, out []quant.Value) []fixedpoint.Site {
	q := op.(*ops.QConcat)
	var sites []fixedpoint.Site
	for k, v := range in {
		if s := q.Shifts[k]; s > 0 {
			sites = append(sites, fixedpoint.Site{Lo: out[0].Lo, Hi: out[0].Hi, Bits: concatBits(s), Shift: s, Count: v.Size()})
		}
	}
	return sites
}
