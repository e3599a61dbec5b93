package ops

import (
	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Compare constrains ops.QCompare by one table lookup per output: against
// a constant, T[x + 128] = [x op Const]; of two activations, the aligned
// difference d = a' − b' indexes T[d + 256] = [d op 0]. The lookup pins the
// output to 0 or 1: no hint.
type Compare struct{}

// Where constrains ops.QWhere: out = b' + cond·(a' − b') with the aligned
// operands; cond is boolean because its value's bounds are [0, 1] (checked
// by QWhere.Check), which its producer constrains.
type Where struct{}

func init() {
	gadget.Register("compare", Compare{})
	gadget.Register("where", Where{})
}

func (Compare) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	q, err := opAs[*ops.QCompare](op)
	if err != nil {
		return nil, err
	}
	if q.Const != nil {
		idx := make([]frontend.Variable, len(in[0].V))
		for i, v := range in[0].V {
			idx[i] = c.API.Sub(v, quant.Int8Min)
		}
		return one(c.Table(q.Table()).Lookup(idx...)), nil
	}
	_, t := diffLookup(c, in[0], in[1], q.ShiftA, q.ShiftB, out[0].Shape, q.Table())
	return one(t), nil
}

func (Compare) Tables(op quant.Op) [][]int64 { return [][]int64{op.(*ops.QCompare).Table()} }

func (Compare) Sites(op quant.Op, in, _ []quant.Value) []fixedpoint.Site {
	q := op.(*ops.QCompare)
	if q.Const != nil {
		return nil
	}
	return append(alignSites(in[0].Size(), q.ShiftA), alignSites(in[1].Size(), q.ShiftB)...)
}

func (Where) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	q, err := opAs[*ops.QWhere](op)
	if err != nil {
		return nil, err
	}
	api := c.API
	shape := out[0].Shape
	ta, tb := whereBranches(q, in)
	av, bv := align(c, ta.V, q.ShiftA), align(c, tb.V, q.ShiftB)
	ic, ia, ib := ops.BroadcastIndex(in[0].Value.Shape, shape), ops.BroadcastIndex(ta.Value.Shape, shape), ops.BroadcastIndex(tb.Value.Shape, shape)
	y := make([]frontend.Variable, len(ic))
	for p := range y {
		a, b := av[ia[p]], bv[ib[p]]
		y[p] = api.Add(b, api.Mul(in[0].V[ic[p]], api.Sub(a, b)))
	}
	return one(y), nil
}

// whereBranches returns the two branches, a constant one as a scalar.
func whereBranches(q *ops.QWhere, in []gadget.Tensor) (a, b gadget.Tensor) {
	scalar := func(k int64) gadget.Tensor {
		return gadget.Tensor{Value: quant.Value{Shape: []int{}}, V: []frontend.Variable{k}}
	}
	switch {
	case q.ConstA != nil:
		return scalar(*q.ConstA), in[1]
	case q.ConstB != nil:
		return in[1], scalar(*q.ConstB)
	}
	return in[1], in[2]
}

func (Where) Sites(op quant.Op, in, out []quant.Value) []fixedpoint.Site {
	q := op.(*ops.QWhere)
	_, a, b, err := q.Operands(in, out[0].Frac)
	if err != nil {
		return nil
	}
	return append(alignSites(a.Size(), q.ShiftA), alignSites(b.Size(), q.ShiftB)...)
}
