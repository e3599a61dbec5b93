package ops_test

import (
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// An index map (a tile with constant positions, saturating and not) is
// bit-exact in the circuit, rejects any output moved by one, and costs
// nothing beyond the layers around it.
func TestIndexMapGadget(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 3))
	rng := rand.New(rand.NewPCG(61, 4))
	x := []int{2, 4}
	out := []int{3, 4, 5}
	idx := ops.AxisIndex([]int{1, 2, 4}, out, func(a, c int) int {
		switch {
		case a == 2 && c == 4:
			return -1
		case a == 0:
			return 0
		}
		return c % []int{1, 2, 4}[a]
	})
	for k := range idx {
		if idx[k] < 0 && k%3 == 0 {
			idx[k] = -2
		}
	}
	m := nmModel(t, r, x,
		nmNode{"fc", nmLinear(r, 4, 4), []string{"x"}},
		nmNode{"rs", &ops.Reshape{Shape: []int{1, 2, 4}}, []string{"fc"}},
		nmNode{"map", &ops.IndexMap{Shape: out, Index: idx, Const: []float64{0.5, -1e4}}, []string{"rs"}},
	)
	nmMatches(t, m, nmInputs(rng, m, 4))
	base := nmModel(t, r, x, nmNode{"fc", nmLinear(r, 4, 4), []string{"x"}})
	count := func(c frontend.Circuit) int {
		ccs, err := frontend.Compile(nmField, r1cs.NewBuilder, c)
		if err != nil {
			t.Fatal(err)
		}
		return ccs.GetNbConstraints()
	}
	cm, err := graph.New(m, nmIO)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := graph.New(base, nmIO)
	if err != nil {
		t.Fatal(err)
	}
	// (public outputs cost nothing: the index map adds no constraint)
	if a, b := count(cm), count(cb); a > b {
		t.Errorf("the index map costs %d constraints", a-b)
	}
}

// Where with a constant mask of two activations (as the importer lowers
// it: both flattened, concatenated at the coarser fraction, then an index
// map) is bit-exact in the circuit.
func TestWhereMaskTwoBranchesGadget(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 5))
	rng := rand.New(rand.NewPCG(61, 6))
	idx := make([]int, 8)
	for p := range idx {
		idx[p] = p
		if p%3 == 1 {
			idx[p] = 8 + p
		}
	}
	m := nmModel(t, r, []int{2, 4},
		nmNode{"fc", nmLinear(r, 4, 4), []string{"x"}},
		nmNode{"sg", &ops.Unary{Fn: "sigmoid"}, []string{"fc"}},
		nmNode{"a", &ops.Reshape{Shape: []int{8}}, []string{"x"}},
		nmNode{"b", &ops.Reshape{Shape: []int{8}}, []string{"sg"}},
		nmNode{"ab", &ops.Concat{Axis: 0}, []string{"a", "b"}},
		nmNode{"w", &ops.IndexMap{Shape: []int{2, 4}, Index: idx}, []string{"ab"}},
	)
	nmMatches(t, m, nmInputs(rng, m, 4))
}
