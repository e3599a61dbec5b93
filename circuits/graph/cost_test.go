package graph_test

import (
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"

	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// inspect's estimate (quant.Model.EstimateCost) stays within 15 % of the
// compiled constraint count, per op family, under both backends.
func TestEstimateWithin15Percent(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	rnd := func(shape ...int) *quant.FloatTensor {
		x := &quant.FloatTensor{Shape: shape, Data: make([]float64, quant.ShapeSize(shape))}
		for i := range x.Data {
			x.Data[i] = rng.Float64()*2 - 1
		}
		return x
	}
	cases := map[string]func(b *quant.GraphBuilder) error{
		"linear": func(b *quant.GraphBuilder) error {
			return b.Node("n", ops.NewLinear(rnd(64, 64), rnd(64), false), []string{"x"}, []string{"y"})
		},
		"sigmoid": func(b *quant.GraphBuilder) error {
			return b.Node("n", &ops.Unary{Fn: "sigmoid"}, []string{"x"}, []string{"y"})
		},
		"relu": func(b *quant.GraphBuilder) error { return b.Node("n", &ops.ReLU{}, []string{"x"}, []string{"y"}) },
		"mul": func(b *quant.GraphBuilder) error {
			return b.Node("n", &ops.Binary{Op: "mul"}, []string{"x", "x"}, []string{"y"})
		},
		"add": func(b *quant.GraphBuilder) error {
			return b.Node("n", &ops.Binary{Op: "add"}, []string{"x", "x"}, []string{"y"})
		},
		"reshape": func(b *quant.GraphBuilder) error {
			return b.Node("n", &ops.Reshape{Shape: []int{64 * 64}}, []string{"x"}, []string{"y"})
		},
	}
	for name, mk := range cases {
		b := quant.NewGraphBuilder()
		if err := b.Input("x", []int{64, 64}); err != nil {
			t.Fatal(err)
		}
		if err := mk(b); err != nil {
			t.Fatal(err)
		}
		if err := b.Output("y"); err != nil {
			t.Fatal(err)
		}
		fm := graphtest.Built(t, b)
		var cal [][]float64
		for range 4 {
			cal = append(cal, rnd(64*64).Data)
		}
		m := graphtest.Quantized(t, fm, cal)
		for _, v := range []quant.Visibility{quant.DefaultVisibility} {
			c, err := graph.New(m, v)
			if err != nil {
				t.Fatal(err)
			}
			r, err := frontend.Compile(field, r1cs.NewBuilder, c)
			if err != nil {
				t.Fatal(err)
			}
			c2, err := graph.New(m, v)
			if err != nil {
				t.Fatal(err)
			}
			p, err := frontend.Compile(field, scs.NewBuilder, c2)
			if err != nil {
				t.Fatal(err)
			}
			cost := m.Graph.Cost()
			cost = m.EstimateCost(v)
			t.Logf("%-8s r1cs %7d (est %7d)  scs %7d (est %7d)", name, r.GetNbConstraints(), cost.R1CS, p.GetNbConstraints(), cost.SCS)
			for _, c := range [][2]int{{r.GetNbConstraints(), cost.R1CS}, {p.GetNbConstraints(), cost.SCS}} {
				if d := float64(c[1]-c[0]) / float64(c[0]); d > 0.15 || d < -0.15 {
					t.Errorf("%s: estimate %d for %d constraints (%+.0f %%)", name, c[1], c[0], 100*d)
				}
			}
		}
	}
}
