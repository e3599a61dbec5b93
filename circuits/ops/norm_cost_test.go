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

// The estimate of every new op (quant.Model.EstimateCost, as inspect shows
// it) stays within 15 % of the compiled constraint count at 64×64, under
// both backends: circuits/graph's TestEstimateWithin15Percent, for these ops.
func TestNormCostProbe(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles 64×64 graphs")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	c := 0.1
	cases := []struct {
		name  string
		nodes []nmNode
	}{
		{"layernorm", []nmNode{{"y", ops.NewLayerNorm(nmTensor(rng, 1, 64), nmTensor(rng, 0.3, 64), 1e-5), []string{"x"}}}},
		{"rmsnorm", []nmNode{{"y", ops.NewRMSNorm(nmTensor(rng, 1, 64), 1e-6), []string{"x"}}}},
		{"softmax", []nmNode{{"y", &ops.Softmax{}, []string{"x"}}}},
		{"reduce_mean", []nmNode{{"y", &ops.Reduce{Op: "mean", Axes: []int{1}}, []string{"x"}}}},
		{"reduce_sum", []nmNode{{"y", &ops.Reduce{Op: "sum", Axes: []int{0}, KeepDims: true}, []string{"x"}}}},
		{"reduce_max", []nmNode{{"y", &ops.Reduce{Op: "max", Axes: []int{1}}, []string{"x"}}}},
		{"reduce_min", []nmNode{{"y", &ops.Reduce{Op: "min", Axes: []int{0}}, []string{"x"}}}},
		{"max", []nmNode{{"t", &ops.Transpose{Perm: []int{1, 0}}, []string{"x"}}, {"y", &ops.MinMax{Op: "max"}, []string{"x", "t"}}}},
		{"min_shift", []nmNode{
			{"s", &ops.Reduce{Op: "sum", Axes: []int{1}, KeepDims: true}, []string{"x"}},
			{"y", &ops.MinMax{Op: "min"}, []string{"x", "s"}},
		}},
		{"less", []nmNode{{"t", &ops.Transpose{Perm: []int{1, 0}}, []string{"x"}}, {"y", &ops.Compare{Op: "less"}, []string{"x", "t"}}}},
		{"greater_const", []nmNode{{"y", &ops.Compare{Op: "greater", Const: &c}, []string{"x"}}}},
		{"where", []nmNode{
			{"c", &ops.Compare{Op: "greater", Const: &c}, []string{"x"}},
			{"t", &ops.Transpose{Perm: []int{1, 0}}, []string{"x"}},
			{"y", &ops.Where{}, []string{"c", "x", "t"}},
		}},
	}
	for _, tc := range cases {
		m := nmModel(t, rng, []int{64, 64}, tc.nodes...)
		v := quant.DefaultVisibility
		circ, err := graph.New(m, v)
		if err != nil {
			t.Fatal(err)
		}
		r, err := frontend.Compile(nmField, r1cs.NewBuilder, circ)
		if err != nil {
			t.Fatal(err)
		}
		circ, err = graph.New(m, v)
		if err != nil {
			t.Fatal(err)
		}
		p, err := frontend.Compile(nmField, scs.NewBuilder, circ)
		if err != nil {
			t.Fatal(err)
		}
		cost := m.EstimateCost(v)
		// The nodes alone: the compiled count less the estimate of exposing the input and output.
		in, out := quant.IOCost(m.Graph.Input().Size(), v.Input, true), quant.IOCost(m.Graph.Output().Size(), v.Output, false)
		nodes := m.Graph.Cost()
		t.Logf("%-13s r1cs %7d (est %7d; nodes ≈ %6d, est %6d)  scs %7d (est %7d; nodes ≈ %6d, est %6d)", tc.name,
			r.GetNbConstraints(), cost.R1CS, r.GetNbConstraints()-in.R1CS-out.R1CS, nodes.R1CS,
			p.GetNbConstraints(), cost.SCS, p.GetNbConstraints()-in.SCS-out.SCS, nodes.SCS)
		for _, c := range [][2]int{{r.GetNbConstraints(), cost.R1CS}, {p.GetNbConstraints(), cost.SCS}} {
			if d := float64(c[1]-c[0]) / float64(c[0]); d > 0.15 || d < -0.15 {
				t.Errorf("%s: estimate %d for %d constraints (%+.0f %%)", tc.name, c[1], c[0], 100*d)
			}
		}
	}
}
