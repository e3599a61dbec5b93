package ops_test

import (
	"math/rand/v2"
	"testing"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/matmul"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// A product of two activations (2-D, and batched with a broadcast operand)
// is bit-exact in the circuit and rejects any output moved by one.
func TestMatMulActGadget(t *testing.T) {
	r := rand.New(rand.NewPCG(63, 1))
	rng := rand.New(rand.NewPCG(63, 2))
	m := nmModel(t, r, []int{4, 6},
		nmNode{"fc", nmLinear(r, 6, 6), []string{"x"}},
		nmNode{"xt", &ops.Transpose{Perm: []int{1, 0}}, []string{"x"}},
		nmNode{"mm", &ops.MatMul{}, []string{"fc", "xt"}},
	)
	nmMatches(t, m, nmInputs(rng, m, 4))
	b := nmModel(t, r, []int{4, 6},
		nmNode{"fc", nmLinear(r, 6, 6), []string{"x"}},
		nmNode{"r3", &ops.Reshape{Shape: []int{2, 2, 6}}, []string{"fc"}},
		nmNode{"xt", &ops.Transpose{Perm: []int{1, 0}}, []string{"x"}},
		nmNode{"mm", &ops.MatMul{}, []string{"r3", "xt"}},
	)
	nmMatches(t, b, nmInputs(rng, b, 4))
}

// The products' hint (the randomized check) and the requantization's
// quotients fail the Groth16 prover when they lie.
func TestMatMulActTamperedHints(t *testing.T) {
	r := rand.New(rand.NewPCG(63, 3))
	m := nmModel(t, r, []int{4, 6},
		nmNode{"fc", nmLinear(r, 6, 6), []string{"x"}},
		nmNode{"xt", &ops.Transpose{Perm: []int{1, 0}}, []string{"x"}},
		nmNode{"mm", &ops.MatMul{}, []string{"fc", "xt"}},
	)
	x := [][]int64{{10, -40, 100, 99, 3, -7}, {-128, 127, 127, 3, 0, 1}, {5, 6, 7, 8, 9, 10}, {-1, -2, -3, -4, -5, -6}}
	nmProveTampered(t, m, x, map[string]nmTamper{
		"product+1":  {matmul.ProductHint, nmAdd(0, 1)},
		"product[5]": {matmul.ProductHint, nmAdd(5, -1)},
		"quotient":   {fixedpoint.DivPow2Hint, nmAdd(0, 1)},
	})
}
