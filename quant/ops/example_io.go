package ops

import (
	"math/rand/v2"

	"github.com/zkinfer/zkinfer/quant"
)

// ExampleMultiIO returns a float graph with three inputs and two outputs,
// weights drawn from seed: a, b [2, 4] (reals) and mask [2, 4] (bool) →
// y1 = linear(a + b) [2, 3], y2 = ReLU(b · mask) [2, 4].
func ExampleMultiIO(seed uint64) (*quant.FloatModel, error) {
	rng := rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d))
	rnd := exampleRand(rng)
	b := quant.NewGraphBuilder()
	return buildExample(b,
		func() error { return b.Input("a", []int{2, 4}) },
		func() error { return b.Input("b", []int{2, 4}) },
		func() error {
			return b.TypedInput(quant.GraphInput{Name: "mask", Shape: []int{2, 4}, DType: quant.InputBool})
		},
		func() error { return b.Node("sum", &Binary{Op: "add"}, []string{"a", "b"}, []string{"s"}) },
		func() error {
			return b.Node("fc", NewLinear(rnd(0.5, 4, 3), rnd(0.1, 3), false), []string{"s"}, []string{"y1"})
		},
		func() error { return b.Node("masked", &Binary{Op: "mul"}, []string{"b", "mask"}, []string{"bm"}) },
		func() error { return b.Node("relu", &ReLU{}, []string{"bm"}, []string{"y2"}) },
		func() error { return b.Output("y1") },
		func() error { return b.Output("y2") },
	)
}

// ExampleEmbedding returns a float graph of token ids [4] (index within
// [0, 7]: the last two rows of the table are out of the ids' range) →
// embedding table [10, 6] → linear 6 → 3: y [4, 3].
func ExampleEmbedding(seed uint64) (*quant.FloatModel, error) {
	rng := rand.New(rand.NewPCG(seed, seed^0x2545f4914f6cdd1d))
	rnd := exampleRand(rng)
	b := quant.NewGraphBuilder()
	return buildExample(b,
		func() error {
			return b.TypedInput(quant.GraphInput{Name: "ids", Shape: []int{4}, DType: quant.DTypeIndex, Hi: 7})
		},
		func() error { return b.Node("embed", NewGather(rnd(1, 10, 6)), []string{"ids"}, []string{"e"}) },
		func() error {
			return b.Node("fc", NewLinear(rnd(0.5, 6, 3), rnd(0.1, 3), false), []string{"e"}, []string{"y"})
		},
		func() error { return b.Output("y") },
	)
}

// exampleRand returns a draw of tensors of uniform values in [−scale,
// scale) from rng, for the example models' weights.
func exampleRand(rng *rand.Rand) func(scale float64, shape ...int) *quant.FloatTensor {
	return func(scale float64, shape ...int) *quant.FloatTensor {
		t := &quant.FloatTensor{Shape: shape, Data: make([]float64, quant.ShapeSize(shape))}
		for i := range t.Data {
			t.Data[i] = (rng.Float64()*2 - 1) * scale
		}
		return t
	}
}

// filled is a vector of n values v.
func filled(v float64, n int) *quant.FloatTensor {
	t := &quant.FloatTensor{Shape: []int{n}, Data: make([]float64, n)}
	for i := range t.Data {
		t.Data[i] = v
	}
	return t
}

func buildExample(b *quant.GraphBuilder, steps ...func() error) (*quant.FloatModel, error) {
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
