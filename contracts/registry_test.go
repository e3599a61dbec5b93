package contracts

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"math/big"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/solidity"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/std/rangecheck"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/zkinfer/zkinfer/prover"
)

// multiCircuit has several public inputs (Y[i] = X² + i) and, through the
// range check, one BSB22 commitment: the shape of zkinfer's circuits, small.
// Several inputs matter here because the registry re-encodes a dynamic array
// as the verifier's uint256[N].
type multiCircuit struct {
	X frontend.Variable
	Y []frontend.Variable `gnark:",public"`
}

func (c *multiCircuit) Define(api frontend.API) error {
	sq := api.Mul(c.X, c.X)
	for i := range c.Y {
		api.AssertIsEqual(api.Add(sq, i), c.Y[i])
	}
	rangecheck.New(api).Check(c.X, 8)
	return nil
}

// groth16Fixture is a compiled verifier with one valid proof.
type groth16Fixture struct {
	comp   *Compiled
	proof  []byte
	inputs []*big.Int
	vk     groth16.VerifyingKey
	digest common.Hash
}

func newMultiCS(t testing.TB, n int) constraint.ConstraintSystem {
	t.Helper()
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &multiCircuit{Y: make([]frontend.Variable, n)})
	if err != nil {
		t.Fatal(err)
	}
	return ccs
}

// newGroth16Fixture runs a fresh setup for ccs (so two fixtures of the same
// circuit have different keys), proves x = 7, and compiles the verifier.
func newGroth16Fixture(t testing.TB, ctx context.Context, ccs constraint.ConstraintSystem, n int) *groth16Fixture {
	t.Helper()
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	a := &multiCircuit{X: 7, Y: make([]frontend.Variable, n)}
	for i := range a.Y {
		a.Y[i] = 49 + i
	}
	w, err := frontend.NewWitness(a, ecc.BN254.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	proof, err := groth16.Prove(ccs, pk, w, solidity.WithProverTargetSolidityVerifier(backend.GROTH16))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := w.Public()
	if err != nil {
		t.Fatal(err)
	}
	proofBytes, inputs, err := Groth16Calldata(proof, pub.Vector().(fr.Vector))
	if err != nil {
		t.Fatal(err)
	}
	var src bytes.Buffer
	if err := ExportVerifier(vk, &src); err != nil {
		t.Fatal(err)
	}
	comp, err := Compile(ctx, src.Bytes(), "Verifier")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Groth16PublicInputs(vk); err != nil || got != n {
		t.Fatalf("Groth16PublicInputs = %d, %v; want %d", got, err, n)
	}
	digest, err := VKDigest(vk, prover.Layout{})
	if err != nil {
		t.Fatal(err)
	}
	return &groth16Fixture{comp: comp, proof: proofBytes, inputs: inputs, vk: vk, digest: digest}
}

func TestRegistrySimulated(t *testing.T) {
	requireSolc(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	chain, err := NewSimulatedChain()
	if err != nil {
		t.Fatal(err)
	}
	defer chain.Close()
	testRegistry(t, ctx, chain)
}

// testRegistry runs the registry scenario on chain: deploy, register, verify
// (event decoded from the receipt and read back with eth_getLogs), every
// rejection with its custom error, ownership.
func testRegistry(t *testing.T, ctx context.Context, chain *Chain) {
	const n = 3
	ccs := newMultiCS(t, n)
	a := newGroth16Fixture(t, ctx, ccs, n)
	b := newGroth16Fixture(t, ctx, ccs, n) // same circuit, other keys

	verifierA, err := chain.DeployReceipt(ctx, a.comp)
	if err != nil {
		t.Fatal(err)
	}
	verifierB, err := chain.DeployReceipt(ctx, b.comp)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := chain.DeployRegistry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	registry := reg.ContractAddress
	t.Logf("%s: verifier deploy gas %d, registry deploy gas %d (tx %s)", chain.Name(), verifierA.GasUsed, reg.GasUsed, reg.TxHash)

	// Like zkinfer's circuits, the fixture's last public input stands for the
	// model commitment, which the registry checks.
	commitment := common.BigToHash(a.inputs[n-1])
	idA, rcpt, err := chain.RegisterModel(ctx, registry, ModelRegistration{
		Commitment: commitment, Verifier: verifierA.ContractAddress, Backend: BackendGroth16, PublicInputs: n, VKDigest: a.digest, MetadataURI: "ipfs://model-a",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: register gas %d", chain.Name(), rcpt.GasUsed)
	idB, rcptB, err := chain.RegisterModel(ctx, registry, ModelRegistration{
		Commitment: commitment, Verifier: verifierB.ContractAddress, Backend: BackendGroth16, PublicInputs: n, VKDigest: b.digest,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("register gas without URI %d", rcptB.GasUsed)
	m, err := chain.Model(ctx, registry, idA)
	if err != nil {
		t.Fatal(err)
	}
	if m.Verifier != verifierA.ContractAddress || Backend(m.Backend) != BackendGroth16 || int(m.PublicInputs) != n ||
		m.Owner != chain.From() || m.Commitment != commitment || m.VkDigest != a.digest || m.MetadataURI != "ipfs://model-a" {
		t.Fatalf("model read back as %+v", m)
	}

	ev, rcpt, err := chain.VerifyInference(ctx, registry, idA, a.proof, a.inputs)
	if err != nil {
		t.Fatal(err)
	}
	if ev.ModelId != idA || ev.Commitment != commitment || ev.VkDigest != a.digest || ev.PublicInputsHash != PublicInputsHash(a.inputs) || ev.Caller != chain.From() {
		t.Fatalf("InferenceVerified event: %+v", ev)
	}
	ok, direct, err := chain.VerifyGroth16Calldata(ctx, a.comp, verifierA.ContractAddress, a.proof, a.inputs)
	if err != nil || !ok {
		t.Fatalf("direct verify: ok=%v err=%v", ok, err)
	}
	t.Logf("%s: verify gas %d through the registry, %d direct (%d public inputs): registry overhead %d (tx %s)",
		chain.Name(), rcpt.GasUsed, direct, n, int64(rcpt.GasUsed)-int64(direct), rcpt.TxHash)

	evs, err := chain.InferenceEvents(ctx, registry, idA, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].ModelId != ev.ModelId || evs[0].PublicInputsHash != ev.PublicInputsHash || evs[0].Raw.TxHash != rcpt.TxHash {
		t.Fatalf("eth_getLogs gave %d events (%+v), want the one of the receipt", len(evs), evs)
	}

	wantRevert := func(t *testing.T, err error, name string) {
		t.Helper()
		if got := RevertName(err); got != name {
			t.Fatalf("got error %v (custom error %q), want a revert with %s", err, got, name)
		}
	}
	t.Run("tampered proof", func(t *testing.T) {
		bad := bytes.Clone(a.proof)
		// Replace A by 2·A: still a curve point, so the pairing check fails.
		var pa bn254.G1Affine
		if err := pa.X.SetBytesCanonical(bad[0:32]); err != nil {
			t.Fatal(err)
		}
		if err := pa.Y.SetBytesCanonical(bad[32:64]); err != nil {
			t.Fatal(err)
		}
		pa.Double(&pa)
		x, y := pa.X.Bytes(), pa.Y.Bytes()
		copy(bad[0:32], x[:])
		copy(bad[32:64], y[:])
		_, _, err := chain.VerifyInference(ctx, registry, idA, bad, a.inputs)
		wantRevert(t, err, "ProofRejected")
		bad = bytes.Clone(a.proof)
		bad[100] ^= 1
		_, _, err = chain.VerifyInference(ctx, registry, idA, bad, a.inputs)
		wantRevert(t, err, "ProofRejected")
	})
	t.Run("tampered public input", func(t *testing.T) {
		bad := append([]*big.Int(nil), a.inputs...)
		bad[0] = new(big.Int).Add(bad[0], big.NewInt(1))
		_, _, err := chain.VerifyInference(ctx, registry, idA, a.proof, bad)
		wantRevert(t, err, "ProofRejected")
	})
	t.Run("proof about another model", func(t *testing.T) {
		// The last public input is the model commitment: another value is
		// refused before the verifier runs.
		bad := append([]*big.Int(nil), a.inputs...)
		bad[n-1] = new(big.Int).Add(bad[n-1], big.NewInt(1))
		_, _, err := chain.VerifyInference(ctx, registry, idA, a.proof, bad)
		wantRevert(t, err, "CommitmentMismatch")
		// A valid proof of verifier A registered under another commitment.
		idC, _, err := chain.RegisterModel(ctx, registry, ModelRegistration{Commitment: common.Hash{0xcc}, Verifier: verifierA.ContractAddress, Backend: BackendGroth16, PublicInputs: n, VKDigest: a.digest})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = chain.VerifyInference(ctx, registry, idC, a.proof, a.inputs)
		wantRevert(t, err, "CommitmentMismatch")
	})
	t.Run("proof of another verifier's keys", func(t *testing.T) {
		_, _, err := chain.VerifyInference(ctx, registry, idB, a.proof, a.inputs)
		wantRevert(t, err, "ProofRejected")
	})
	t.Run("wrong model id", func(t *testing.T) {
		_, _, err := chain.VerifyInference(ctx, registry, common.Hash{1}, a.proof, a.inputs)
		wantRevert(t, err, "UnknownModel")
		_, err = chain.Model(ctx, registry, common.Hash{1})
		wantRevert(t, err, "UnknownModel")
	})
	t.Run("wrong input count", func(t *testing.T) {
		_, _, err := chain.VerifyInference(ctx, registry, idA, a.proof, a.inputs[:n-1])
		wantRevert(t, err, "PublicInputCountMismatch")
	})
	t.Run("unregistered verifier", func(t *testing.T) {
		// An address without code cannot be registered as a verifier...
		_, _, err := chain.RegisterModel(ctx, registry, ModelRegistration{
			Commitment: commitment, Verifier: common.Address{0xaa}, Backend: BackendGroth16, PublicInputs: n, VKDigest: a.digest,
		})
		wantRevert(t, err, "VerifierHasNoCode")
		// ...nor can a backend that is none, or zero inputs, or no key
		// digest, or a model twice.
		_, _, err = chain.RegisterModel(ctx, registry, ModelRegistration{Commitment: commitment, Verifier: verifierA.ContractAddress, PublicInputs: n, VKDigest: a.digest})
		wantRevert(t, err, "InvalidBackend")
		_, _, err = chain.RegisterModel(ctx, registry, ModelRegistration{Commitment: commitment, Verifier: verifierA.ContractAddress, Backend: BackendGroth16, VKDigest: a.digest})
		wantRevert(t, err, "InvalidPublicInputCount")
		_, _, err = chain.RegisterModel(ctx, registry, ModelRegistration{Commitment: commitment, Verifier: verifierA.ContractAddress, Backend: BackendGroth16, PublicInputs: n})
		wantRevert(t, err, "InvalidVkDigest")
		_, _, err = chain.RegisterModel(ctx, registry, ModelRegistration{Commitment: commitment, Verifier: verifierA.ContractAddress, Backend: BackendGroth16, PublicInputs: n, VKDigest: a.digest})
		wantRevert(t, err, "ModelExists")
		// A model registered with the wrong input count calls a function the
		// verifier does not have: rejected, never accepted.
		idWrongN, _, err := chain.RegisterModel(ctx, registry, ModelRegistration{
			Commitment: common.BigToHash(a.inputs[n-2]), Verifier: verifierA.ContractAddress, Backend: BackendGroth16, PublicInputs: n - 1, VKDigest: a.digest,
		})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = chain.VerifyInference(ctx, registry, idWrongN, a.proof, a.inputs[:n-1])
		wantRevert(t, err, "ProofRejected")
	})
	t.Run("ownership", func(t *testing.T) {
		newOwner := crypto.PubkeyToAddress(mustKey(t).PublicKey)
		if _, err := chain.TransferModelOwnership(ctx, registry, idB, common.Address{}); RevertName(err) != "InvalidOwner" {
			t.Fatalf("transfer to zero: %v", err)
		}
		if _, err := chain.TransferModelOwnership(ctx, registry, idB, newOwner); err != nil {
			t.Fatal(err)
		}
		m, err := chain.Model(ctx, registry, idB)
		if err != nil || m.Owner != newOwner {
			t.Fatalf("owner after transfer: %+v, %v", m, err)
		}
		_, err = chain.DeregisterModel(ctx, registry, idB)
		wantRevert(t, err, "NotModelOwner")
		_, err = chain.TransferModelOwnership(ctx, registry, idB, chain.From())
		wantRevert(t, err, "NotModelOwner")

		if _, err := chain.DeregisterModel(ctx, registry, idA); err != nil {
			t.Fatal(err)
		}
		_, _, err = chain.VerifyInference(ctx, registry, idA, a.proof, a.inputs)
		wantRevert(t, err, "ModelRetired")
		_, err = chain.DeregisterModel(ctx, registry, idA)
		wantRevert(t, err, "ModelRetired")
	})
}

func mustKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}
