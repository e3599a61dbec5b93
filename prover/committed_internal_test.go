package prover

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/solidity"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits"
	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

var committedVis = quant.Visibility{Input: quant.VisibilityPublic, Output: quant.VisibilityPublic, Weights: quant.VisibilityCommitted}

func committedDense(t testing.TB) *quant.Model {
	t.Helper()
	rng := rand.New(rand.NewPCG(4, 4))
	return graphtest.Chain(t, rng, []int{1, 6},
		graphtest.Node{Name: "fc", Op: ops.NewLinear(graphtest.Tensor(rng, 0.5, 6, 5), graphtest.Tensor(rng, 0.1, 5), false), In: []string{"x"}})
}

// committedDenseSetup compiles committedDense with visibility vis, checks
// that the circuit has wantCommitments BSB22 commitments (what they are, for
// the message; 0 skips the check), sets up development keys and traces the
// input of extremes {1, −2, 3, 127, −128, 0}.
func committedDenseSetup(t testing.TB, vis quant.Visibility, wantCommitments int, what string) (*quant.Model, *Circuit, *Keys, *quant.Trace) {
	t.Helper()
	m := committedDense(t)
	c, err := Compile(m, nil, WithVisibility(vis))
	if err != nil {
		t.Fatal(err)
	}
	if info := c.CS.GetCommitments().(constraint.Groth16Commitments); wantCommitments != 0 && len(info) != wantCommitments {
		t.Fatalf("%d commitments, want %d (%s)", len(info), wantCommitments, what)
	}
	keys, err := SetupDev(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := m.Forward([][]int64{{1, -2, 3, 127, -128, 0}})
	if err != nil {
		t.Fatal(err)
	}
	return m, c, keys, tr
}

// The proof's weights commitment is exactly Σ w_j·B_j (mask zero), the
// circuit has the weights' commitment first and the lookups' second; a
// witness with one weight changed (the registered commitment kept) does
// not solve; gnark's random mask left in makes the honest prover fail
// (the public commitment is of the unmasked point); the blinding hint of
// the lookup commitment is not zeroed (it is not hints.Randomize).
func TestCommittedWeightsProver(t *testing.T) {
	m, c, keys, tr := committedDenseSetup(t, committedVis, 2, "weights, lookups")
	p, err := Prove(c, keys.PK, keys.PKHeader, m, tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, d, k, err := committedModel(c.CS, keys.PK, m)
	if err != nil {
		t.Fatal(err)
	}
	proof := p.Proof.(*groth16bn254.Proof)
	if !proof.Commitments[k].Equal(&d) {
		t.Fatal("the proof's weights commitment is not Σ w·B")
	}
	if lk := proof.Commitments[1]; lk.Equal(&d) || lk.IsInfinity() {
		t.Fatal("lookup commitment degenerate")
	}
	if err := Verify(keys.VK, p.Proof, p.Public); err != nil {
		t.Fatal(err)
	}

	prove := func(tamper func(a *graph.Circuit), opts ...solver.Option) error {
		a, err := circuits.Assignment(m, tr, committedVis, modelio.Salts{})
		if err != nil {
			t.Fatal(err)
		}
		e, _, _, err := committedModel(c.CS, keys.PK, m)
		if err != nil {
			t.Fatal(err)
		}
		ga := a.(*graph.Circuit)
		ga.IO.Model = e
		tamper(ga)
		full, err := frontend.NewWitness(a, ecc.BN254.ScalarField())
		if err != nil {
			t.Fatal(err)
		}
		_, err = groth16.Prove(c.CS, keys.PK.(*groth16bn254.ProvingKey), full, solidity.WithProverTargetSolidityVerifier(backend.GROTH16), backend.WithSolverOptions(opts...))
		return err
	}
	id, err := randomizeHintID()
	if err != nil {
		t.Fatal(err)
	}
	zero := solver.OverrideHint(id, zeroMask)
	if err := prove(func(*graph.Circuit) {}, zero); err != nil {
		t.Fatalf("honest witness: %v", err)
	}
	w0 := m.Graph.Nodes[0].Op.(quant.Weighted).Weights()[0].Values[0]
	if w0 == quant.Int8Max {
		w0 -= 2
	}
	// Still int8: only the commitment can refuse it.
	if prove(func(a *graph.Circuit) { a.W[0][0] = big.NewInt(w0 + 1) }, zero) == nil {
		t.Fatal("a changed weight with the registered commitment was proven")
	}
	if prove(func(*graph.Circuit) {}) == nil {
		t.Fatal("gnark's random mask left in: proven (the commitment would not be the registered point)")
	}
	if _, err := Compile(m, nil, WithVisibility(committedVis), WithBackend(BackendPLONK)); err == nil {
		t.Fatal("committed weights compiled for PLONK")
	}
}
