package ops

import (
	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/circuits/matmul"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// MatMul constrains ops.QMatMul: per batch, C = A·B through matmul.Mul
// (Auto: the randomized product check when it is cheaper and the builder
// commits, else one constraint per product), then one requantization per
// output (the quotient range-checked, the clamp to int8).
type MatMul struct{}

func init() { gadget.Register("matmul", MatMul{}) }

func matmulBits(q *ops.QMatMul, k int) int { return fixedpoint.QuotientBits(q.AccBound(k), 1, q.Shift) }

func (MatMul) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	q, err := opAs[*ops.QMatMul](op)
	if err != nil {
		return nil, err
	}
	as, bs := in[0].Value.Shape, in[1].Value.Shape
	ia, ib, err := ops.MatMulIndex(as, bs)
	if err != nil {
		return nil, err
	}
	n, k, m := as[len(as)-2], as[len(as)-1], bs[len(bs)-1]
	bits := matmulBits(q, k)
	y := make([]frontend.Variable, 0, out[0].Size())
	for t := range ia {
		a := make([][]frontend.Variable, n)
		for i := range a {
			a[i] = in[0].V[ia[t]*n*k+i*k : ia[t]*n*k+(i+1)*k]
		}
		b := make([][]frontend.Variable, k)
		for e := range b {
			b[e] = in[1].V[ib[t]*k*m+e*m : ib[t]*k*m+(e+1)*m]
		}
		for _, row := range matmul.Mul(c.API, a, b) {
			for _, acc := range row {
				y = append(y, c.FP.Requantize(acc, 1, q.Shift, quant.Int8Min, quant.Int8Max, bits))
			}
		}
	}
	return one(y), nil
}

func (MatMul) Sites(op quant.Op, in, out []quant.Value) []fixedpoint.Site {
	q := op.(*ops.QMatMul)
	as := in[0].Shape
	k := as[len(as)-1]
	return []fixedpoint.Site{{Lo: quant.Int8Min, Hi: quant.Int8Max, Bits: matmulBits(q, k), Shift: q.Shift, Count: out[0].Size()}}
}
