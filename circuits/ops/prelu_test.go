package ops_test

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/ops"
	"github.com/zkinfer/zkinfer/quant"
	qops "github.com/zkinfer/zkinfer/quant/ops"
)

func preluModel(t testing.TB, seed uint64) *quant.Model {
	r := rand.New(rand.NewPCG(64, seed))
	return nmModel(t, r, []int{3, 4},
		nmNode{"p", &qops.PRelu{SlopeShape: []int{3, 1}, Slope: []float64{0.25, -0.5, 1.75}}, []string{"x"}},
		nmNode{"fc", nmLinear(r, 4, 4), []string{"p"}},
		nmNode{"p2", &qops.PRelu{SlopeShape: []int{1}, Slope: []float64{0.1}}, []string{"fc"}},
	)
}

// PRelu (per-channel and per-tensor slopes) is bit-exact in the circuit
// and rejects any output moved by one.
func TestPReluGadget(t *testing.T) {
	rng := rand.New(rand.NewPCG(64, 3))
	m := preluModel(t, 4)
	nmMatches(t, m, nmInputs(rng, m, 6))
}

// A flipped sign bit or a moved quotient fails the Groth16 prover.
func TestPReluTamperedHints(t *testing.T) {
	x := [][]int64{{-128, -1, 0, 1}, {127, -77, 5, -5}, {-3, 3, -100, 100}}
	flip := func(_ *big.Int, _, out []*big.Int) { out[0].SetInt64(1 - out[0].Int64()) }
	nmProveTampered(t, preluModel(t, 4), x, map[string]nmTamper{
		"sign flipped": {ops.NegativeHint, flip},
		"quotient":     {fixedpoint.DivPow2Hint, nmAdd(0, 1)},
	})
}

// A prover that sets the sign bit of a positive value (to output the
// negative branch, slope·x, instead of x) and claims that output fails:
// the bit's range check, not the output, catches it.
func TestPReluWrongBranchRejected(t *testing.T) {
	r := rand.New(rand.NewPCG(64, 5))
	m := nmModel(t, r, []int{1, 4}, nmNode{"p", &qops.PRelu{SlopeShape: []int{1}, Slope: []float64{0.5}}, []string{"x"}})
	tr, err := m.Forward([][]int64{{100, -4, 6, 8}})
	if err != nil {
		t.Fatal(err)
	}
	tr.Y[0][0] = 50 // 0.5·100: the negative branch on a positive value
	calls := 0
	fake := func(f *big.Int, in, out []*big.Int) error {
		if err := ops.NegativeHint(f, in, out); err != nil {
			return err
		}
		if calls++; calls == 1 {
			out[0].SetInt64(1)
		}
		return nil
	}
	claimRejected(t, m, tr, ops.NegativeHint, fake)
}

// claimRejected proves the (wrong) trace tr of m with hint h replaced by
// fake: the Groth16 prover must fail.
func claimRejected(t *testing.T, m *quant.Model, tr *quant.Trace, h solver.Hint, fake solver.Hint) {
	t.Helper()
	circ, err := graph.New(m, nmIO)
	if err != nil {
		t.Fatal(err)
	}
	ccs, err := frontend.Compile(nmField, r1cs.NewBuilder, circ)
	if err != nil {
		t.Fatal(err)
	}
	pk, _, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	w, err := frontend.NewWitness(nmAssign(t, m, tr), nmField)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := groth16.Prove(ccs, pk, w, backend.WithSolverOptions(solver.OverrideHint(solver.GetHintID(h), fake))); err == nil {
		t.Fatal("the prover accepted a wrong claim")
	}
}
