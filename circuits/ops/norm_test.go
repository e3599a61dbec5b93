package ops_test

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/circuits/norm"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

func nmLinear(rng *rand.Rand, in, out int) quant.FloatOp {
	return ops.NewLinear(nmTensor(rng, 0.5, in, out), nmTensor(rng, 0.1, out), false)
}

func lnModel(t testing.TB, seed uint64) *quant.Model {
	rng := rand.New(rand.NewPCG(seed, 40))
	return nmModel(t, rng, []int{2, 6},
		nmNode{"fc", nmLinear(rng, 6, 6), []string{"x"}},
		nmNode{"ln", ops.NewLayerNorm(nmTensor(rng, 1, 6), nmTensor(rng, 0.5, 6), 1e-5), []string{"fc"}},
	)
}

func rmsModel(t testing.TB, seed uint64) *quant.Model {
	rng := rand.New(rand.NewPCG(seed, 41))
	return nmModel(t, rng, []int{3, 5},
		nmNode{"rms", ops.NewRMSNorm(nmTensor(rng, 1, 5), 1e-6), []string{"x"}},
	)
}

func TestLayerNormGadgetMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 40))
	for _, seed := range []uint64{1, 2} {
		nmMatches(t, lnModel(t, seed), nmInputs(rng, lnModel(t, seed), 8))
		nmMatches(t, rmsModel(t, seed), nmInputs(rng, rmsModel(t, seed), 8))
	}
}

// A tampered reciprocal square root (the only hint of both norms besides
// the requantizations' quotients) fails in the Groth16 prover.
func TestNormTamperedHints(t *testing.T) {
	tampers := map[string]nmTamper{
		"rsqrt+1":  {norm.RsqrtHint, nmAdd(0, 1)},
		"rsqrt-1":  {norm.RsqrtHint, nmAdd(0, -1)},
		"-rsqrt":   {norm.RsqrtHint, func(f *big.Int, _, out []*big.Int) { out[0].Sub(f, out[0]) }},
		"quotient": {fixedpoint.DivPow2Hint, nmAdd(0, 1)},
	}
	x := [][]int64{{3, -7, 12, 0, 5, 100}, {-128, 127, 1, 2, 3, 4}}
	nmProveTampered(t, lnModel(t, 3), x, tampers)
	nmProveTampered(t, rmsModel(t, 3), [][]int64{{3, -7, 12, 0, 5}, {-128, 127, 1, 2, 3}, {0, 0, 0, 0, 1}}, tampers)
}

// Under hashed and public weights γ, β (two int32 limbs) and the multiplier
// are witnesses bound to the commitment: the honest witness solves, a
// changed limb of β or a changed γ does not.
func TestNormWitnessWeights(t *testing.T) {
	for _, m := range []*quant.Model{lnModel(t, 4), rmsModel(t, 4)} {
		rows, width := quant.Rows(m.Graph.Input().Shape)
		x := make([][]int64, rows)
		for r := range x {
			x[r] = make([]int64, width)
			for i := range x[r] {
				x[r][i] = int64((r*7+i*13)%200 - 100)
			}
		}
		tr, err := m.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		for _, wv := range []string{quant.VisibilityHashed, quant.VisibilityPublic} {
			v := quant.Visibility{Input: quant.VisibilityHashed, Output: quant.VisibilityHashed, Weights: wv}
			circ, err := graph.New(m, v)
			if err != nil {
				t.Fatal(err)
			}
			a := graphtest.AssignAt(t, m, tr, v)
			if err := test.IsSolved(circ, a, nmField); err != nil {
				t.Fatalf("%s weights: %v", wv, err)
			}
			for k := range a.W {
				if k == 0 && len(a.W) > 4 {
					continue // the linear layer's weights
				}
				b, _ := graph.Assignment(m, tr, v, modelio.Salts{})
				b.W[k][0] = b.W[k][0].(int64) + 1
				if test.IsSolved(circ, b, nmField) == nil {
					t.Fatalf("%s weights: a changed weight (list %d) was accepted", wv, k)
				}
			}
		}
	}
}

// A hostile quantized file may give a norm any K of quant.LNKRange: at the
// floor (the fewest bits the precision knob allows) and with the largest ε
// (2^40, so that 2^K < sqrt(V) and the reciprocal square root is 0 on
// every row) as with ε = 1, the circuits of both norms still match the
// reference and reject a moved reciprocal square root; K one below the
// floor is refused by the graph's validation.
func TestNormAtTheFloorK(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 40))
	for _, eps := range []int64{1, 1 << 40} {
		for name, m := range map[string]*quant.Model{"layernorm": lnModel(t, 5), "rmsnorm": rmsModel(t, 5)} {
			var k *uint
			var d int
			var beta []int64
			switch q := m.Graph.Nodes[len(m.Graph.Nodes)-1].Op.(type) {
			case *ops.QLayerNorm:
				k, d, beta = &q.K, q.D, q.Beta
				q.Eps = eps
			case *ops.QRMSNorm:
				k, d = &q.K, q.D
				q.Eps = eps
			}
			lo, _ := quant.LNKRange(d)
			*k = lo - 1
			if err := m.Graph.Validate(); err == nil {
				t.Fatalf("%s: K %d below LNKRange accepted", name, *k)
			}
			*k = lo
			bb := int64(1) << (lo + 10)
			for i := range beta {
				beta[i] = quant.Clamp(beta[i], -bb, bb)
			}
			if err := m.Graph.Validate(); err != nil {
				t.Fatalf("%s at K %d: %v", name, lo, err)
			}
			nmMatches(t, m, nmInputs(rng, m, 2))
			x := nmInputs(rng, m, 1)[4]
			nmProveTampered(t, m, x, map[string]nmTamper{
				"rsqrt+1": {norm.RsqrtHint, nmAdd(0, 1)},
				"rsqrt-1": {norm.RsqrtHint, nmAdd(0, -1)},
			})
		}
	}
}
