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

// Reduce constrains ops.QReduce. Sum and mean: the group's sum is a linear
// combination, requantized once. Max and min: per group of n values a
// hinted extreme m and one-hot selector s (ExtremeHint), pinned by
//
//	s_i·(s_i − 1) = 0,  Σ s_i = 1,  Σ s_i·x_i = m   (m is one of the x_i)
//	m − x_i ∈ [0, 2^8) for every i (x_i − m for min)  (m is the extreme)
//
// so m is within the input's bounds like every x_i.
type Reduce struct{}

// MinMax constrains ops.QMinMax: the aligned operands' difference
// d = a' − b' ∈ [−255, 255] indexes a 512-entry table of relu(d)
// (min(d, 0)), out = b' + T[d]: no hint.
type MinMax struct{}

func init() {
	gadget.Register("reduce", Reduce{})
	gadget.Register("minmax", MinMax{})
	solver.RegisterHint(ExtremeHint)
}

func reduceBits(q *ops.QReduce, n int) int {
	return fixedpoint.QuotientBits(int64(n)*(-quant.Int8Min), q.Mult, q.Shift)
}

func (Reduce) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	q, err := opAs[*ops.QReduce](op)
	if err != nil {
		return nil, err
	}
	api := c.API
	groups, n := ops.ReduceGroups(in[0].Value.Shape, q.Axes)
	x := in[0].V
	y := make([]frontend.Variable, len(groups)/n)
	g := make([]frontend.Variable, n)
	for o := range y {
		for k, p := range groups[o*n : (o+1)*n] {
			g[k] = x[p]
		}
		switch q.Op {
		case "max", "min":
			y[o] = Extreme(c, g, q.Op == "max")
		default:
			y[o] = c.FP.Requantize(api.Add(0, 0, g...), q.Mult, q.Shift, quant.Int8Min, quant.Int8Max, reduceBits(q, n))
		}
	}
	return one(y), nil
}

// Extreme returns the largest (isMax) or smallest of int8 values g, fully
// constrained (see Reduce).
func Extreme(c *gadget.Ctx, g []frontend.Variable, isMax bool) frontend.Variable {
	if len(g) == 1 {
		return g[0]
	}
	api := c.API
	mode := 0
	if !isMax {
		mode = 1
	}
	res, err := api.Compiler().NewHint(ExtremeHint, len(g)+1, append([]frontend.Variable{mode}, g...)...)
	if err != nil {
		panic(err)
	}
	m, sel := res[0], res[1:]
	prods := make([]frontend.Variable, len(g))
	for i, x := range g {
		api.AssertIsBoolean(sel[i])
		prods[i] = api.Mul(sel[i], x)
		if isMax {
			c.FP.Check(api.Sub(m, x), 8)
		} else {
			c.FP.Check(api.Sub(x, m), 8)
		}
	}
	api.AssertIsEqual(api.Add(0, 0, sel...), 1)
	api.AssertIsEqual(api.Add(0, 0, prods...), m)
	return m
}

// ExtremeHint returns the extreme of its signed inputs 1.. (inputs[0]: 0
// for the max, 1 for the min) and the one-hot selector of its first
// occurrence.
func ExtremeHint(field *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) < 2 || len(outputs) != len(inputs) {
		return fmt.Errorf("ExtremeHint: want a mode, n ≥ 1 inputs and n + 1 outputs")
	}
	half := new(big.Int).Rsh(field, 1)
	signed := func(v *big.Int) *big.Int {
		if v.Cmp(half) > 0 {
			return new(big.Int).Sub(v, field)
		}
		return v
	}
	isMax := inputs[0].Sign() == 0
	at := 0
	best := signed(inputs[1])
	for i, v := range inputs[2:] {
		s := signed(v)
		if (isMax && s.Cmp(best) > 0) || (!isMax && s.Cmp(best) < 0) {
			best, at = s, i+1
		}
	}
	outputs[0].Mod(best, field)
	for i := range outputs[1:] {
		outputs[i+1].SetUint64(0)
	}
	outputs[at+1].SetUint64(1)
	return nil
}

// rangeSite describes count range checks of bits bits to the circuit's plan
// (fixedpoint.NewPlan): Lo > Hi marks a site without a clamp, which no
// clamp table serves, and Shift, the width of a remainder's range check,
// makes the plan's range-check base count these checks too.
func rangeSite(bits uint, count int) fixedpoint.Site {
	return fixedpoint.Site{Lo: 1, Hi: 0, Shift: bits, Count: count}
}

// alignSites are the range checks of aligning n values by a shift s.
func alignSites(n int, s uint) []fixedpoint.Site {
	if s == 0 {
		return nil
	}
	return []fixedpoint.Site{rangeSite(s, n), rangeSite(8, n)}
}

// Sites: for max and min, the 8-bit range check of every input value.
// For sum and mean none: a reduction's requantizations are few (one per output, n
// times fewer than the inputs, whose 8-bit range checks the plan does not
// see), so they must not choose the circuit's range-check base: measured at
// 64×64, planning them cost 25 % more constraints (the input's checks took
// two limbs each). Their clamps use a table when another node planned one.
func (Reduce) Sites(op quant.Op, in, _ []quant.Value) []fixedpoint.Site {
	if q := op.(*ops.QReduce); q.Op == "max" || q.Op == "min" {
		return []fixedpoint.Site{rangeSite(8, in[0].Size())}
	}
	return nil
}

// align returns ops.Align of every value: a hinted quotient q with
// p = v + 2^(s−1) = q·2^s + r, r ∈ [0, 2^s) and q + 128 ∈ [0, 2^8), which
// pin q (two small integers q, q' with equal p would differ by a multiple
// of 2^s in r).
func align(c *gadget.Ctx, v []frontend.Variable, s uint) []frontend.Variable {
	if s == 0 {
		return v
	}
	api := c.API
	out := make([]frontend.Variable, len(v))
	for i, x := range v {
		p := api.Add(x, quant.RoundingTerm(s))
		res, err := api.Compiler().NewHint(fixedpoint.DivPow2Hint, 1, p, s)
		if err != nil {
			panic(err)
		}
		q := res[0]
		c.FP.Check(api.Sub(p, api.Mul(q, new(big.Int).Lsh(big.NewInt(1), s))), int(s))
		c.FP.Check(api.Sub(q, quant.Int8Min), 8)
		out[i] = q
	}
	return out
}

// diffLookup aligns a and b, broadcasts them to shape and returns b' and
// T[a' − b'] for every output.
func diffLookup(c *gadget.Ctx, a, b gadget.Tensor, sa, sb uint, shape []int, table []int64) (bs, t []frontend.Variable) {
	av, bv := align(c, a.V, sa), align(c, b.V, sb)
	ia, ib := ops.BroadcastIndex(a.Value.Shape, shape), ops.BroadcastIndex(b.Value.Shape, shape)
	idx := make([]frontend.Variable, len(ia))
	bs = make([]frontend.Variable, len(ia))
	for p := range idx {
		bs[p] = bv[ib[p]]
		idx[p] = c.API.Add(c.API.Sub(av[ia[p]], bs[p]), 256)
	}
	return bs, c.Table(table).Lookup(idx...)
}

func (MinMax) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	q, err := opAs[*ops.QMinMax](op)
	if err != nil {
		return nil, err
	}
	bs, t := diffLookup(c, in[0], in[1], q.ShiftA, q.ShiftB, out[0].Shape, q.Table())
	y := make([]frontend.Variable, len(bs))
	for p := range y {
		y[p] = c.API.Add(bs[p], t[p])
	}
	return one(y), nil
}

func (MinMax) Tables(op quant.Op) [][]int64 { return [][]int64{op.(*ops.QMinMax).Table()} }

func (MinMax) Sites(op quant.Op, in, _ []quant.Value) []fixedpoint.Site {
	q := op.(*ops.QMinMax)
	return append(alignSites(in[0].Size(), q.ShiftA), alignSites(in[1].Size(), q.ShiftB)...)
}
