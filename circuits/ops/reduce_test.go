package ops_test

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	circops "github.com/zkinfer/zkinfer/circuits/ops"
	"github.com/zkinfer/zkinfer/quant/ops"
)

func TestReduceGadgetMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 43))
	r := rand.New(rand.NewPCG(2, 43))
	for _, red := range []*ops.Reduce{
		{Op: "sum", Axes: []int{0, 2}}, {Op: "mean", Axes: []int{-1}, KeepDims: true}, {Op: "mean"},
		{Op: "max", Axes: []int{1}}, {Op: "min", Axes: []int{0, 2}, KeepDims: true}, {Op: "max"}, {Op: "min", Axes: []int{0}},
	} {
		m := nmModel(t, r, []int{2, 3, 4}, nmNode{"r", red, []string{"x"}})
		nmMatches(t, m, nmInputs(rng, m, 6))
	}
	// max/min of two activations at different fractions (aligned by a
	// shift), broadcast, after a reduction.
	m := nmModel(t, r, []int{3, 4},
		nmNode{"fc", nmLinear(r, 4, 4), []string{"x"}},
		nmNode{"rmax", &ops.Reduce{Op: "max", Axes: []int{1}, KeepDims: true}, []string{"fc"}},
		nmNode{"big", &ops.Reduce{Op: "sum", Axes: []int{1}, KeepDims: true}, []string{"x"}},
		nmNode{"mx", &ops.MinMax{Op: "max"}, []string{"x", "rmax"}},
		nmNode{"mn", &ops.MinMax{Op: "min"}, []string{"mx", "big"}},
	)
	q := m.Graph.Nodes[3].Op.(*ops.QMinMax)
	q2 := m.Graph.Nodes[4].Op.(*ops.QMinMax)
	if q.ShiftA+q.ShiftB == 0 || q2.ShiftA+q2.ShiftB == 0 {
		t.Logf("shifts %+v %+v: fracs %d %d %d", *q, *q2, m.Graph.Values[0].Frac, m.Graph.Values[2].Frac, m.Graph.Values[3].Frac)
		t.Fatal("the test graph aligns nothing")
	}
	nmMatches(t, m, nmInputs(rng, m, 8))
}

// ReduceMax's hint (the extreme and its one-hot selector) fails the
// Groth16 prover when it lies, even consistently (a selector on another
// value with that value as the extreme); so does the alignment's quotient.
func TestReduceTamperedHints(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 43))
	x := [][]int64{{10, -40, 100, 99}, {-128, 127, 127, 3}, {5, 5, -5, 0}}
	second := func(f *big.Int, in, out []*big.Int) {
		// Point the selector and the extreme at the first value that is
		// not the one chosen.
		at := 0
		for i, s := range out[1:] {
			if s.Sign() != 0 {
				at = i
			}
		}
		k := (at + 1) % (len(in) - 1)
		for i := range out[1:] {
			out[i+1].SetUint64(0)
		}
		out[k+1].SetUint64(1)
		out[0].Set(in[k+1])
	}
	for _, op := range []string{"max", "min"} {
		m := nmModel(t, r, []int{3, 4}, nmNode{"r", &ops.Reduce{Op: op, Axes: []int{1}}, []string{"x"}})
		nmProveTampered(t, m, x, map[string]nmTamper{
			"extreme+1":          {circops.ExtremeHint, nmAdd(0, 1)},
			"extreme-1":          {circops.ExtremeHint, nmAdd(0, -1)},
			"selector moved":     {circops.ExtremeHint, func(_ *big.Int, _, out []*big.Int) { out[1], out[2] = out[2], out[1] }},
			"selector 2":         {circops.ExtremeHint, nmAdd(1, 1)},
			"consistent non-max": {circops.ExtremeHint, second},
		})
	}
	m := nmModel(t, r, []int{3, 4},
		nmNode{"fc", nmLinear(r, 4, 4), []string{"x"}},
		nmNode{"big", &ops.Reduce{Op: "sum", Axes: []int{1}, KeepDims: true}, []string{"x"}},
		nmNode{"mx", &ops.MinMax{Op: "max"}, []string{"fc", "big"}},
	)
	if q := m.Graph.Nodes[2].Op.(*ops.QMinMax); q.ShiftA+q.ShiftB == 0 {
		t.Fatal("the test graph aligns nothing")
	}
	nmProveTampered(t, m, x, map[string]nmTamper{
		"aligned+1": {fixedpoint.DivPow2Hint, nmAdd(0, 1)},
		"aligned-1": {fixedpoint.DivPow2Hint, nmAdd(0, -1)},
	})
}
