package ops

import (
	"math/rand/v2"

	"github.com/zkinfer/zkinfer/quant"
)

// ExampleGraph returns a small float graph that uses every op family, with
// weights drawn from seed: x [2, 8] → linear+ReLU 16 → GELU table → linear 8
// → residual add with x → transpose → reshape [16] → s = sigmoid → f·s →
// ReLU → − s. Tests of both sides and the demo use it.
func ExampleGraph(seed uint64) (*quant.FloatModel, error) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	rnd := exampleRand(rng)
	b := quant.NewGraphBuilder()
	steps := []func() error{
		func() error { return b.Input("x", []int{2, 8}) },
		func() error {
			return b.Node("fc1", NewLinear(rnd(0.5, 8, 16), rnd(0.1, 16), true), []string{"x"}, []string{"h"})
		},
		func() error { return b.Node("act", &Unary{Fn: "gelu"}, []string{"h"}, []string{"g"}) },
		func() error {
			return b.Node("fc2", NewLinear(rnd(0.5, 16, 8), rnd(0.1, 8), false), []string{"g"}, []string{"p"})
		},
		func() error { return b.Node("res", &Binary{Op: "add"}, []string{"x", "p"}, []string{"r"}) },
		func() error { return b.Node("tr", &Transpose{Perm: []int{1, 0}}, []string{"r"}, []string{"rt"}) },
		func() error { return b.Node("flat", &Reshape{Shape: []int{16}}, []string{"rt"}, []string{"f"}) },
		func() error { return b.Node("sig", &Unary{Fn: "sigmoid"}, []string{"f"}, []string{"s"}) },
		func() error { return b.Node("gate", &Binary{Op: "mul"}, []string{"f", "s"}, []string{"m"}) },
		func() error { return b.Node("relu", &ReLU{}, []string{"m"}, []string{"mr"}) },
		func() error { return b.Node("diff", &Binary{Op: "sub"}, []string{"mr", "s"}, []string{"y"}) },
		func() error { return b.Output("y") },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	g, err := b.Build()
	if err != nil {
		return nil, err
	}
	return quant.NewGraphModel(g)
}
