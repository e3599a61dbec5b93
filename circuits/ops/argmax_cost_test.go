package ops_test

import (
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"

	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// The estimates (quant.Op.Cost, what inspect shows) of argmax, logic,
// matmul and prelu are within 15 % of the compiled counts, both backends,
// measured as the difference a node makes on 64×64 operands.
func TestIndexOpsCostWithin15Percent(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles eight 64×64 graphs")
	}
	count := func(m *quant.Model) (int, int) {
		c, _ := graph.New(m, nmIO)
		a, err := frontend.Compile(nmField, r1cs.NewBuilder, c)
		if err != nil {
			t.Fatal(err)
		}
		c2, _ := graph.New(m, nmIO)
		b, err := frontend.Compile(nmField, scs.NewBuilder, c2)
		if err != nil {
			t.Fatal(err)
		}
		return a.GetNbConstraints(), b.GetNbConstraints()
	}
	c := 0.1
	for name, op := range map[string]quant.FloatOp{
		"prelu":  &ops.PRelu{SlopeShape: []int{1}, Slope: []float64{0.25}},
		"argmax": &ops.ArgMax{Axis: -1},
		"logic":  &ops.Logic{Op: "and"},
		"mm":     &ops.MatMul{},
	} {
		r := rand.New(rand.NewPCG(1, 1))
		base := []nmNode{{"fc", nmLinear(r, 64, 64), []string{"x"}}, {"g", &ops.Compare{Op: "greater", Const: &c}, []string{"fc"}}, {"fc2", nmLinear(r, 64, 64), []string{"x"}}}
		var n nmNode
		switch name {
		case "logic":
			n = nmNode{"o", op, []string{"g", "g"}}
		case "mm":
			base = append(base, nmNode{"t", &ops.Transpose{Perm: []int{1, 0}}, []string{"fc2"}})
			n = nmNode{"o", op, []string{"fc", "t"}}
		default:
			n = nmNode{"o", op, []string{"fc"}}
		}
		r = rand.New(rand.NewPCG(1, 1))
		m0 := nmModel(t, r, []int{64, 64}, append(base, nmNode{"z", &ops.Reduce{Op: "sum", Axes: []int{0, 1}}, []string{"fc"}})...)
		r = rand.New(rand.NewPCG(1, 1))
		m1 := nmModel(t, r, []int{64, 64}, append(base, n, nmNode{"z", &ops.Reduce{Op: "sum", Axes: []int{0, 1}}, []string{"fc"}})...)
		a0, s0 := count(m0)
		a1, s1 := count(m1)
		var est quant.Cost
		for _, nd := range m1.Graph.Nodes {
			if nd.Name == "o" {
				est = nd.Op.Cost(m1.Graph.ValuesOf(nd.In), m1.Graph.ValuesOf(nd.Out))
			}
		}
		t.Logf("%s: R1CS %d (estimate %d), PLONK %d (estimate %d)", name, a1-a0, est.R1CS, s1-s0, est.SCS)
		within := func(got, want int) bool {
			return float64(want) >= 0.85*float64(got) && float64(want) <= 1.15*float64(got)
		}
		if !within(a1-a0, est.R1CS) || !within(s1-s0, est.SCS) {
			t.Errorf("%s: estimate off by more than 15 %%", name)
		}
	}
}
