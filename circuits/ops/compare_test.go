package ops_test

import (
	"math/rand/v2"
	"testing"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/quant/ops"
)

func TestCompareGadgetMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 45))
	r := rand.New(rand.NewPCG(2, 45))
	c, big := 0.3, -9.0
	for _, op := range []string{"less", "greater", "equal", "less_equal", "greater_equal"} {
		// compare of two activations at different fractions, against a
		// constant, and where over them.
		m := nmModel(t, r, []int{2, 4},
			nmNode{"fc", nmLinear(r, 4, 4), []string{"x"}},
			nmNode{"c1", &ops.Compare{Op: op}, []string{"x", "fc"}},
			nmNode{"c2", &ops.Compare{Op: op, Const: &c}, []string{"fc"}},
			nmNode{"w1", &ops.Where{}, []string{"c1", "x", "fc"}},
			nmNode{"w2", &ops.Where{}, []string{"c2", "w1", "fc"}},
			nmNode{"w3", &ops.Where{X: &c}, []string{"c1", "w2"}},
			nmNode{"w4", &ops.Where{Y: &big}, []string{"c2", "w3"}},
		)
		if q := m.Graph.Nodes[6].Op.(*ops.QWhere); q.ShiftA+q.ShiftB == 0 {
			t.Fatalf("a constant branch of %v did not make the activation shift: %+v", big, q)
		}
		nmMatches(t, m, nmInputs(rng, m, 6))
	}
	// Equal hits on the integer grid.
	m := nmModel(t, r, []int{2, 4},
		nmNode{"mx", &ops.Reduce{Op: "max", Axes: []int{1}, KeepDims: true}, []string{"x"}},
		nmNode{"eq", &ops.Compare{Op: "equal"}, []string{"x", "mx"}},
		nmNode{"w", &ops.Where{}, []string{"eq", "x", "mx"}},
	)
	nmMatches(t, m, nmInputs(rng, m, 6))
}

// The alignment's quotient in compare and where fails the prover when it lies.
func TestCompareTamperedHints(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 45))
	m := nmModel(t, r, []int{2, 4},
		nmNode{"fc", nmLinear(r, 4, 4), []string{"x"}},
		nmNode{"big", &ops.Reduce{Op: "sum", Axes: []int{1}, KeepDims: true}, []string{"x"}},
		nmNode{"lt", &ops.Compare{Op: "less"}, []string{"fc", "big"}},
		nmNode{"w", &ops.Where{}, []string{"lt", "fc", "big"}},
	)
	nmProveTampered(t, m, [][]int64{{10, -40, 100, 99}, {-128, 127, 127, 3}}, map[string]nmTamper{
		"aligned+1": {fixedpoint.DivPow2Hint, nmAdd(0, 1)},
	})
}
