package prover

import (
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/constraint"
	cs "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/std/rangecheck"
)

// setupTestCircuit has public and secret inputs, unused wires (points at
// infinity), std/rangecheck's lookup commitment and a second commitment of
// its own: every part of the key layout.
type setupTestCircuit struct {
	X      frontend.Variable `gnark:",public"`
	Y      frontend.Variable `gnark:",public"`
	A      [8]frontend.Variable
	Unused frontend.Variable
}

func (c *setupTestCircuit) Define(api frontend.API) error {
	rc := rangecheck.New(api)
	acc := c.X
	for i := range c.A {
		rc.Check(c.A[i], 12)
		acc = api.Add(api.Mul(acc, c.A[i]), i)
	}
	api.AssertIsEqual(acc, c.Y)
	cmt, err := api.(frontend.Committer).Commit(c.A[0], c.A[1], c.X)
	if err != nil {
		return err
	}
	api.AssertIsDifferent(cmt, 0)
	return nil
}

func setupTestAssignment(x uint64) *setupTestCircuit {
	w := &setupTestCircuit{X: x, Unused: 5}
	y := x
	for i := range w.A {
		a := uint64(i*37+11) % 4096
		w.A[i] = a
		y = y*a + uint64(i)
	}
	w.Y = y
	return w
}

func TestGroth16SetupMatchesGnark(t *testing.T) {
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &setupTestCircuit{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ccs.(*cs.R1CS).CommitmentInfo.(constraint.Groth16Commitments)); n < 2 {
		t.Fatalf("test circuit has %d commitments, want 2 or more", n)
	}
	pk, vk, err := setupGroth16(ccs.(*cs.R1CS))
	if err != nil {
		t.Fatal(err)
	}
	gpk, gvk := groth16.NewProvingKey(ecc.BN254).(*groth16bn254.ProvingKey), groth16.NewVerifyingKey(ecc.BN254).(*groth16bn254.VerifyingKey)
	if err := groth16bn254.Setup(ccs.(*cs.R1CS), gpk, gvk); err != nil {
		t.Fatal(err)
	}

	// The layout is gnark's.
	eq := func(what string, got, want int) {
		t.Helper()
		if got != want {
			t.Errorf("%s: %d, gnark's setup %d", what, got, want)
		}
	}
	eq("G1.A", len(pk.G1.A), len(gpk.G1.A))
	eq("G1.B", len(pk.G1.B), len(gpk.G1.B))
	eq("G1.Z", len(pk.G1.Z), len(gpk.G1.Z))
	eq("G1.K", len(pk.G1.K), len(gpk.G1.K))
	eq("G2.B", len(pk.G2.B), len(gpk.G2.B))
	eq("vk G1.K", len(vk.G1.K), len(gvk.G1.K))
	eq("NbInfinityA", int(pk.NbInfinityA), int(gpk.NbInfinityA))
	eq("NbInfinityB", int(pk.NbInfinityB), int(gpk.NbInfinityB))
	eq("domain", int(pk.Domain.Cardinality), int(gpk.Domain.Cardinality))
	eq("commitment keys", len(pk.CommitmentKeys), len(gpk.CommitmentKeys))
	for i := range pk.CommitmentKeys {
		eq("commitment basis", len(pk.CommitmentKeys[i].Basis), len(gpk.CommitmentKeys[i].Basis))
		eq("commitment basis·σ", len(pk.CommitmentKeys[i].BasisExpSigma), len(gpk.CommitmentKeys[i].BasisExpSigma))
	}
	for i := range pk.InfinityA {
		if pk.InfinityA[i] != gpk.InfinityA[i] || pk.InfinityB[i] != gpk.InfinityB[i] {
			t.Fatalf("infinity markers differ from gnark's at wire %d", i)
		}
	}
	if len(vk.PublicAndCommitmentCommitted) != len(gvk.PublicAndCommitmentCommitted) {
		t.Fatal("PublicAndCommitmentCommitted differs from gnark's")
	}
	for i := range vk.PublicAndCommitmentCommitted {
		if len(vk.PublicAndCommitmentCommitted[i]) != len(gvk.PublicAndCommitmentCommitted[i]) {
			t.Fatal("PublicAndCommitmentCommitted differs from gnark's")
		}
	}
	if pk.Domain.Generator != gpk.Domain.Generator {
		t.Fatal("domain differs from gnark's")
	}

	// Each commitment key has its own σ, and BasisExpSigma = σ·Basis:
	// e(σ·B, G)·e(B, -σ·G) = 1.
	for i, k := range pk.CommitmentKeys {
		for j := range k.Basis {
			ok, err := curve.PairingCheck([]curve.G1Affine{k.BasisExpSigma[j], k.Basis[j]}, []curve.G2Affine{vk.CommitmentKeys[i].G, vk.CommitmentKeys[i].GSigmaNeg})
			if err != nil || !ok {
				t.Fatalf("commitment key %d, basis %d: BasisExpSigma is not σ·Basis", i, j)
			}
		}
		if i > 0 && vk.CommitmentKeys[i].GSigmaNeg.Equal(&vk.CommitmentKeys[0].GSigmaNeg) {
			t.Fatal("two commitment keys share σ")
		}
	}

	// Proofs with the keys verify, on the verifier's own public inputs only.
	w, err := frontend.NewWitness(setupTestAssignment(3), ecc.BN254.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	pub, err := w.Public()
	if err != nil {
		t.Fatal(err)
	}
	proof, err := groth16.Prove(ccs, pk, w)
	if err != nil {
		t.Fatal(err)
	}
	if err := groth16.Verify(proof, vk, pub); err != nil {
		t.Fatalf("proof with the keys: %v", err)
	}
	other, err := frontend.NewWitness(setupTestAssignment(4), ecc.BN254.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	otherPub, err := other.Public()
	if err != nil {
		t.Fatal(err)
	}
	if err := groth16.Verify(proof, vk, otherPub); err == nil {
		t.Fatal("proof verified against other public inputs")
	}
	if err := groth16.Verify(proof, gvk, pub); err == nil {
		t.Fatal("proof verified with another setup's key")
	}
	// A wrong witness does not prove.
	bad := setupTestAssignment(3)
	bad.Y = 1
	wb, err := frontend.NewWitness(bad, ecc.BN254.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := groth16.Prove(ccs, pk, wb); err == nil {
		t.Fatal("a wrong witness proved")
	}
}

// BenchmarkSetupSmall compares setupGroth16 with gnark's Setup on a small
// circuit (~6 k constraints), where the window tables weigh most.
func BenchmarkSetupSmall(b *testing.B) {
	c := &bigCircuit{}
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d constraints", ccs.GetNbConstraints())
	b.Run("zkinfer", func(b *testing.B) {
		for range b.N {
			if _, _, err := setupGroth16(ccs.(*cs.R1CS)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gnark", func(b *testing.B) {
		for range b.N {
			if _, _, err := groth16.Setup(ccs); err != nil {
				b.Fatal(err)
			}
		}
	})
}

type bigCircuit struct {
	X frontend.Variable `gnark:",public"`
	A [2000]frontend.Variable
}

func (c *bigCircuit) Define(api frontend.API) error {
	acc := c.X
	for i := range c.A {
		acc = api.Mul(acc, c.A[i])
		acc = api.Mul(acc, acc)
		acc = api.Add(acc, api.Mul(c.A[i], c.A[i]))
	}
	api.AssertIsDifferent(acc, 0)
	return nil
}
