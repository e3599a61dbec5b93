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

	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/ops"
	qops "github.com/zkinfer/zkinfer/quant/ops"
)

// ArgMax (with ties: the first index) is bit-exact in the circuit, alone
// and next to a max of the same rows, and rejects any output moved by one.
func TestArgMaxGadget(t *testing.T) {
	r := rand.New(rand.NewPCG(65, 3))
	rng := rand.New(rand.NewPCG(65, 4))
	m := nmModel(t, r, []int{3, 6},
		nmNode{"fc", nmLinear(r, 6, 6), []string{"x"}},
		nmNode{"am", &qops.ArgMax{Axis: -1}, []string{"fc"}},
	)
	inputs := nmInputs(rng, m, 4)
	inputs = append(inputs, [][]int64{{5, 5, 5, 5, 5, 5}, {-128, 127, 127, 3, 127, 0}, {0, 0, 1, 1, -1, 1}})
	nmMatches(t, m, inputs)
	m2 := nmModel(t, r, []int{3, 6},
		nmNode{"am", &qops.ArgMax{Axis: 0, KeepDims: true}, []string{"x"}},
	)
	nmMatches(t, m2, inputs)
}

// Any other selector than the first maximum's fails the Groth16 prover:
// a later tie, a smaller value, two positions, none.
func TestArgMaxTamperedHints(t *testing.T) {
	r := rand.New(rand.NewPCG(65, 5))
	m := nmModel(t, r, []int{2, 5},
		nmNode{"am", &qops.ArgMax{Axis: -1}, []string{"x"}},
	)
	// row 0: the maximum 7 at 1 and 3; row 1: the maximum at 4.
	x := [][]int64{{1, 7, -3, 7, 0}, {-5, -4, -3, -2, 9}}
	move := func(from, to int) func(*big.Int, []*big.Int, []*big.Int) {
		return func(_ *big.Int, in, out []*big.Int) {
			if in[1].Cmp(big.NewInt(1)) == 0 { // row 0 only
				out[1+from].SetInt64(0)
				out[1+to].SetInt64(1)
			}
		}
	}
	// (a later tie with the output to match: TestArgMaxLaterTieRejected)
	nmProveTampered(t, m, x, map[string]nmTamper{
		"later tie":     {ops.ExtremeHint, move(1, 3)},
		"smaller value": {ops.ExtremeHint, func(f *big.Int, in, out []*big.Int) { out[2].SetInt64(0); out[1+2].SetInt64(1) }},
		"two":           {ops.ExtremeHint, nmAdd(1, 1)},
		"none":          {ops.ExtremeHint, func(_ *big.Int, _, out []*big.Int) { out[2].SetInt64(0) }},
		"max+1":         {ops.ExtremeHint, nmAdd(0, 1)},
	})
}

// A prover claiming a later tie as the argmax, with the selector hint to
// match, fails: the first-index constraint, not the output, catches it.
func TestArgMaxLaterTieRejected(t *testing.T) {
	r := rand.New(rand.NewPCG(65, 6))
	m := nmModel(t, r, []int{1, 5}, nmNode{"am", &qops.ArgMax{Axis: -1}, []string{"x"}})
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
	tr, err := m.Forward([][]int64{{1, 7, -3, 7, 0}})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Y[0][0] != 1 {
		t.Fatalf("argmax %d, want 1", tr.Y[0][0])
	}
	tr.Y[0][0] = 3
	w, err := frontend.NewWitness(nmAssign(t, m, tr), nmField)
	if err != nil {
		t.Fatal(err)
	}
	fake := func(f *big.Int, in, out []*big.Int) error {
		if err := ops.ExtremeHint(f, in, out); err != nil {
			return err
		}
		out[2].SetInt64(0)
		out[4].SetInt64(1)
		return nil
	}
	if _, err := groth16.Prove(ccs, pk, w, backend.WithSolverOptions(solver.OverrideHint(solver.GetHintID(ops.ExtremeHint), fake))); err == nil {
		t.Fatal("a later tie was accepted as the argmax")
	}
}
