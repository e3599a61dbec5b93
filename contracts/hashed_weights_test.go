package contracts_test

import (
	"context"
	"encoding/json"
	"math/big"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/solidity"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/ethereum/go-ethereum/common"

	"github.com/zkinfer/zkinfer/circuits"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/contracts"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
)

// With hashed weights the model commitment is a real public input: one
// deployed verifier serves two weight sets registered under their two
// commitments, and a proof for weights A counts neither for model B nor
// under commitment B.
func TestOneVerifierTwoWeightSets(t *testing.T) {
	requireSolc(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	vis := quant.Visibility{Input: quant.VisibilityHashed, Output: quant.VisibilityHashed, Weights: quant.VisibilityHashed}
	cfg := quant.Config{Architecture: quant.ArchitectureFFN, DModel: 4, DHidden: 8, SeqLen: 1, Activation: quant.ActivationReLU}
	ma, err := quant.Quantize(quant.RandomModel(cfg, 11), quant.Scales{StreamFrac: 4, HiddenFrac: 4})
	if err != nil {
		t.Fatal(err)
	}
	mb := negated(t, ma)

	c, err := circuits.New(ma, vis)
	if err != nil {
		t.Fatal(err)
	}
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c)
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	proofA, inA := prove(t, ccs, pk, ma, vis)
	proofB, inB := prove(t, ccs, pk, mb, vis)
	n := len(inA)
	if inA[n-1].Cmp(inB[n-1]) == 0 {
		t.Fatal("two weight sets with one commitment")
	}
	for _, x := range []struct {
		m  *quant.Model
		in []*big.Int
	}{{ma, inA}, {mb, inB}} {
		want, err := quant.Commit(x.m)
		if err != nil {
			t.Fatal(err)
		}
		if x.in[n-1].Cmp(want.BigInt(new(big.Int))) != 0 {
			t.Fatal("last public input is not quant.Commit of the model")
		}
	}

	comp := compiledVerifier(t, ctx, vk)
	chain, err := contracts.NewSimulatedChain()
	if err != nil {
		t.Fatal(err)
	}
	defer chain.Close()
	verifier, err := chain.DeployReceipt(ctx, comp)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := chain.DeployRegistry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	digest, err := contracts.VKDigest(vk, prover.Layout{})
	if err != nil {
		t.Fatal(err)
	}
	register := func(in []*big.Int) common.Hash {
		id, _, err := chain.RegisterModel(ctx, reg.ContractAddress, contracts.ModelRegistration{
			Commitment: common.BigToHash(in[n-1]), Verifier: verifier.ContractAddress, Backend: contracts.BackendGroth16, PublicInputs: n, VKDigest: digest,
		})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	idA, idB := register(inA), register(inB)
	for name, x := range map[string]struct {
		id    common.Hash
		proof []byte
		in    []*big.Int
	}{"A": {idA, proofA, inA}, "B": {idB, proofB, inB}} {
		ev, rcpt, err := chain.VerifyInference(ctx, reg.ContractAddress, x.id, x.proof, x.in)
		if err != nil {
			t.Fatalf("model %s: %v", name, err)
		}
		if ev.Commitment != common.BigToHash(x.in[n-1]) {
			t.Fatalf("model %s: event for commitment %x", name, ev.Commitment)
		}
		t.Logf("model %s verified through the shared verifier: %d gas", name, rcpt.GasUsed)
	}
	// A's proof for model B: its commitment is A's.
	if _, _, err := chain.VerifyInference(ctx, reg.ContractAddress, idB, proofA, inA); contracts.RevertName(err) != "CommitmentMismatch" {
		t.Fatalf("A's proof for model B: %v", err)
	}
	// A's proof claimed under commitment B: the verifier rejects it.
	bad := append([]*big.Int(nil), inA...)
	bad[n-1] = inB[n-1]
	if _, _, err := chain.VerifyInference(ctx, reg.ContractAddress, idB, proofA, bad); contracts.RevertName(err) != "ProofRejected" {
		t.Fatalf("A's proof under commitment B: %v", err)
	}
}

func prove(t *testing.T, ccs constraint.ConstraintSystem, pk groth16.ProvingKey, m *quant.Model, vis quant.Visibility) ([]byte, []*big.Int) {
	t.Helper()
	x := make([][]int64, m.Config.SeqLen)
	for i := range x {
		x[i] = make([]int64, m.Config.DModel)
		for j := range x[i] {
			x[i][j] = int64(17*i+5*j)%256 - 128
		}
	}
	tr, err := m.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	a, err := circuits.Assignment(m, tr, vis, modelio.Salts{})
	if err != nil {
		t.Fatal(err)
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
	p, in, err := contracts.Groth16Calldata(proof, pub.Vector().(fr.Vector))
	if err != nil {
		t.Fatal(err)
	}
	return p, in
}

// negated returns m with its weights and biases negated: another weight set
// of the same architecture (same multipliers and shifts).
func negated(t *testing.T, m *quant.Model) *quant.Model {
	t.Helper()
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	o, err := quant.ParseModelJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []*quant.Dense{&o.FC, &o.Proj} {
		for i := range d.W {
			d.W[i] = -d.W[i]
		}
		for j := range d.B {
			d.B[j] = -d.B[j]
		}
	}
	return o
}
