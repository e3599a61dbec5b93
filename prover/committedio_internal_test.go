package prover

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/solidity"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits"
	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/quant"
)

var committedIOVis = quant.Visibility{Input: quant.VisibilityCommitted, Output: quant.VisibilityCommitted, Weights: quant.VisibilityFixed}

// Committed input and output, the prover's side: the proof's input and
// output commitments are exactly Σ v_j·B_j over the key's bases (mask
// zero); a witness with an input value changed but the honest public
// input kept does not solve; and a prover who sets the mask μ = 1 (its own
// hint in place of gnark's) and publishes the matching hash gets a proof
// that verifies only for its own public inputs, not for the ones a
// verifier recomputes from the values.
func TestCommittedIOProver(t *testing.T) {
	m, c, keys, tr := committedDenseSetup(t, committedIOVis, 3, "input, output, lookups")
	p, err := Prove(c, keys.PK, keys.PKHeader, m, tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(keys.VK, p.Proof, p.Public); err != nil {
		t.Fatal(err)
	}
	xs, ys := flatValues(tr.InputParts()), flatValues(tr.OutputParts())
	bases := map[string][]curve.G1Affine{}
	masks := map[string]curve.G1Affine{}
	for k, side := range []string{SideInput, SideOutput} {
		kk, b, err := ioBasis(c.CS, committedIOVis, keys.PK, side)
		if err != nil || kk != k {
			t.Fatalf("%s: commitment %d, %v", side, kk, err)
		}
		bases[side] = b
		masks[side] = keys.PK.(*groth16bn254.ProvingKey).CommitmentKeys[k].Basis[len(b)]
	}
	dIn, err := IOPoint(xs, bases[SideInput])
	if err != nil {
		t.Fatal(err)
	}
	dOut, err := IOPoint(ys, bases[SideOutput])
	if err != nil {
		t.Fatal(err)
	}
	proof := p.Proof.(*groth16bn254.Proof)
	if !proof.Commitments[0].Equal(&dIn) || !proof.Commitments[1].Equal(&dOut) {
		t.Fatal("the proof's input and output commitments are not Σ v·B")
	}
	// The public inputs a verifier recomputes from the values: the
	// honest proof's, whose input and output must be CommittedValues.
	honest := func() witness.Witness {
		hi, _ := CommittedValues(xs, bases[SideInput])
		ho, _ := CommittedValues(ys, bases[SideOutput])
		v := p.Public.Vector().(fr.Vector)
		if v[0] != hi || v[1] != ho {
			t.Fatal("the honest public inputs are not CommittedValues of the values")
		}
		return p.Public
	}
	if err := Verify(keys.VK, p.Proof, honest()); err != nil {
		t.Fatalf("honest proof against the recomputed public inputs: %v", err)
	}

	prove := func(in, out fr.Element, tamper func(a *graph.Circuit), opts ...solver.Option) (*Proof, error) {
		a, err := circuits.Assignment(m, tr, committedIOVis, modelio.Salts{})
		if err != nil {
			t.Fatal(err)
		}
		ga := a.(*graph.Circuit)
		ga.IO.Input[0], ga.IO.Output[0] = in, out
		tamper(ga)
		full, err := frontend.NewWitness(a, ecc.BN254.ScalarField())
		if err != nil {
			t.Fatal(err)
		}
		pr, err := groth16.Prove(c.CS, keys.PK.(*groth16bn254.ProvingKey), full, solidity.WithProverTargetSolidityVerifier(backend.GROTH16), backend.WithSolverOptions(opts...))
		if err != nil {
			return nil, err
		}
		pub, _ := full.Public()
		return &Proof{Backend: BackendGroth16, Proof: pr, Public: pub}, nil
	}
	id, err := randomizeHintID()
	if err != nil {
		t.Fatal(err)
	}
	zero := solver.OverrideHint(id, zeroMask)
	hi, hout := CommittedModel(dIn), CommittedModel(dOut)
	if _, err := prove(hi, hout, func(*graph.Circuit) {}, zero); err != nil {
		t.Fatalf("honest witness: %v", err)
	}
	// An input value changed by one (still int8), the honest public input
	// kept: the commitment wire is another point's hash.
	if _, err := prove(hi, hout, func(a *graph.Circuit) { a.IO.X[0][0] = big.NewInt(xs[0] + 1) }, zero); err == nil {
		t.Fatal("a changed input with the honest commitment was proven")
	}
	// μ = 1 on every commitment, public inputs the hashes of the masked
	// points: the proof is valid for those, and for nothing a verifier
	// holding the values recomputes.
	one := solver.OverrideHint(id, func(_ *big.Int, _ []*big.Int, out []*big.Int) error {
		for _, o := range out {
			o.SetUint64(1)
		}
		return nil
	})
	var mIn, mOut curve.G1Affine
	bi, bo := masks[SideInput], masks[SideOutput]
	mIn.Add(&dIn, &bi)
	mOut.Add(&dOut, &bo)
	cheat, err := prove(CommittedModel(mIn), CommittedModel(mOut), func(*graph.Circuit) {}, one)
	if err != nil {
		t.Fatalf("masked witness: %v", err)
	}
	if err := Verify(keys.VK, cheat.Proof, cheat.Public); err != nil {
		t.Fatalf("masked proof against its own public inputs: %v", err)
	}
	if err := Verify(keys.VK, cheat.Proof, honest()); err == nil {
		t.Fatal("a proof with μ ≠ 0 verified against the public inputs recomputed from the values")
	}
	if CommittedModel(mIn) == hi {
		t.Fatal("masked and unmasked input commitments agree")
	}
	// The honest public inputs with μ = 1: the solver refuses.
	if _, err := prove(hi, hout, func(*graph.Circuit) {}, one); err == nil {
		t.Fatal("μ = 1 with the unmasked public inputs was proven")
	}
	// The GPU and aggregation are refused.
	if _, err := Prove(c, keys.PK, keys.PKHeader, m, tr, nil, WithAggregatable()); err == nil {
		t.Fatal("committed I/O proven for aggregation")
	}
}
