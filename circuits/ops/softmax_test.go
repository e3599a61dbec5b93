package ops_test

import (
	"math/rand/v2"
	"testing"

	"github.com/zkinfer/zkinfer/circuits/attention"
	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/quant/ops"
)

func TestSoftmaxGadgetMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 42))
	for _, seed := range []uint64{1, 2} {
		r := rand.New(rand.NewPCG(seed, 42))
		// linear → layernorm → softmax, and a softmax straight on the input
		// (rows of 1 and of 7).
		m := nmModel(t, r, []int{2, 6},
			nmNode{"fc", nmLinear(r, 6, 6), []string{"x"}},
			nmNode{"ln", ops.NewLayerNorm(nmTensor(r, 1, 6), nmTensor(r, 0.5, 6), 1e-5), []string{"fc"}},
			nmNode{"sm", &ops.Softmax{}, []string{"ln"}},
		)
		nmMatches(t, m, nmInputs(rng, m, 8))
		for _, w := range []int{1, 7} {
			m := nmModel(t, r, []int{3, w}, nmNode{"sm", &ops.Softmax{}, []string{"x"}})
			nmMatches(t, m, nmInputs(rng, m, 8))
		}
	}
}

// The softmax's hints (the row max, the division's quotient, the final
// requantization's quotient) fail the Groth16 prover when they lie.
func TestSoftmaxTamperedHints(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 42))
	m := nmModel(t, r, []int{2, 5}, nmNode{"sm", &ops.Softmax{}, []string{"x"}})
	nmProveTampered(t, m, [][]int64{{10, -40, 100, 99, 0}, {-128, 127, 127, 3, -5}}, map[string]nmTamper{
		"max+1":      {attention.MaxHint, nmAdd(0, 1)},
		"max-1":      {attention.MaxHint, nmAdd(0, -1)},
		"quotient+1": {fixedpoint.DivFloorHint, nmAdd(0, 1)},
		"quotient-1": {fixedpoint.DivFloorHint, nmAdd(0, -1)},
		"requant":    {fixedpoint.DivPow2Hint, nmAdd(0, 1)},
	})
}
