package contracts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/ethereum/go-ethereum/common"

	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/contracts"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
	"github.com/zkinfer/zkinfer/verifier"
)

// Committed weights on chain: the last public input is the committed-weights
// model commitment (Keccak of the weights' point D, contracts.ModelCommitment
// reads it as the registry's bytes32), two weight sets have two; the key has
// two BSB22 commitments (the weights', the lookups'), and the exported
// verifier checks both (multicommit.go): an honest proof verifies directly,
// through the registry and through a registry anchor; a proof for other
// weights is refused by the registry's commitment check; a tampered D, second
// commitment or proof of knowledge is refused by the verifier.
func TestCommittedWeightsOnChain(t *testing.T) {
	requireSolc(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	f := newCommittedWeights(t)
	vis, x, ma, keys := f.vis, f.x, f.ma, f.keys
	bA, proofA, inA, proofB, inB := f.bA, f.proofA, f.inA, f.proofB, f.inB
	n := len(inA)
	if len(proofA) != 256+3*64 {
		t.Fatalf("proof of %d bytes, want two commitments and a PoK (448)", len(proofA))
	}

	// The lookup commitment commits to the weights' commitment wire (the
	// weights' own range checks query them): the contract must hash the
	// first challenge into the second (multicommit.go, chained).
	if gvk := keys.VK.(*groth16bn254.VerifyingKey); !slices.Equal(gvk.PublicAndCommitmentCommitted[1], []int{n + 1}) || len(gvk.PublicAndCommitmentCommitted[0]) != 0 {
		t.Fatalf("committed wires %v: want none, then the first commitment's wire %d", gvk.PublicAndCommitmentCommitted, n+1)
	}
	var src bytes.Buffer
	if err := contracts.ExportVerifier(keys.VK.(groth16.VerifyingKey), &src); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(src.String(), "mstore(publicAndCommitmentCommittedOffset, mload(publicCommitments))") {
		t.Fatal("the exported verifier does not chain the first challenge into the second")
	}
	comp, err := contracts.Compile(ctx, src.Bytes(), "Verifier")
	if err != nil {
		t.Fatal(err)
	}
	chain, err := contracts.NewSimulatedChain()
	if err != nil {
		t.Fatal(err)
	}
	defer chain.Close()
	vrcpt, err := chain.DeployReceipt(ctx, comp)
	if err != nil {
		t.Fatal(err)
	}
	addr := vrcpt.ContractAddress
	for name, x := range map[string]struct {
		proof []byte
		in    []*big.Int
	}{"A": {proofA, inA}, "B": {proofB, inB}} {
		ok, gas, err := chain.VerifyGroth16Calldata(ctx, comp, addr, x.proof, x.in)
		if err != nil || !ok {
			t.Fatalf("honest proof %s: accepted %v, %v", name, ok, err)
		}
		t.Logf("committed weights, honest proof %s verified on chain: %d gas", name, gas)
	}

	// Gas against the same model with hashed weights (one commitment,
	// gnark's contract): logged, not asserted.
	{
		hv := vis
		hv.Weights = quant.VisibilityHashed
		hc, err := prover.Compile(ma, nil, prover.WithVisibility(hv))
		if err != nil {
			t.Fatal(err)
		}
		hk, err := prover.SetupDev(hc, nil)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := ma.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		p, err := prover.Prove(hc, hk.PK, hk.PKHeader, ma, tr, nil)
		if err != nil {
			t.Fatal(err)
		}
		var hsrc bytes.Buffer
		if err := contracts.ExportVerifier(hk.VK.(groth16.VerifyingKey), &hsrc); err != nil {
			t.Fatal(err)
		}
		// A key with at most one commitment gets gnark's contract byte for
		// byte (the two-commitment rewrite, multicommit.go, never touches it).
		var gnarks bytes.Buffer
		if err := hk.VK.(groth16.VerifyingKey).ExportSolidity(&gnarks); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(hsrc.Bytes(), gnarks.Bytes()) {
			t.Fatal("ExportVerifier changed gnark's contract for a key with one commitment")
		}
		hcomp, err := contracts.Compile(ctx, hsrc.Bytes(), "Verifier")
		if err != nil {
			t.Fatal(err)
		}
		hr, err := chain.DeployReceipt(ctx, hcomp)
		if err != nil {
			t.Fatal(err)
		}
		ok, gas, err := chain.VerifyGroth16(ctx, hcomp, hr.ContractAddress, p.Proof.(groth16.Proof), p.Public.Vector().(fr.Vector))
		if err != nil || !ok {
			t.Fatalf("hashed weights: accepted %v, %v", ok, err)
		}
		t.Logf("same model, hashed weights (%d commitment): %d gas", len(hk.VK.(*groth16bn254.VerifyingKey).CommitmentKeys), gas)
	}

	// Tampered proofs: each a valid curve point, so only the checks can
	// refuse them.
	g1 := func(b []byte) (p bn254.G1Affine) {
		p.X.SetBytes(b[:32])
		p.Y.SetBytes(b[32:64])
		return p
	}
	_, _, gen, _ := bn254.Generators()
	tamper := func(off int) []byte {
		p := g1(proofA[off : off+64])
		p.Add(&p, &gen)
		out := bytes.Clone(proofA)
		x, y := p.X.Bytes(), p.Y.Bytes()
		copy(out[off:], x[:])
		copy(out[off+32:], y[:])
		return out
	}
	// Each is refused by the proofs-of-knowledge check, before the final
	// pairing: the check covers both commitments.
	if name, err := contracts.VerifierRevertForTest(ctx, chain, comp, addr, proofA, inA); name != "" || err != nil {
		t.Fatalf("honest proof: reverted %q, %v", name, err)
	}
	for name, off := range map[string]int{"D (the weights' commitment)": 256, "the second commitment": 320, "the proof of knowledge": 384} {
		ok, _, err := chain.VerifyGroth16Calldata(ctx, comp, addr, tamper(off), inA)
		if ok || err != nil {
			t.Fatalf("tampered %s: accepted %v, %v", name, ok, err)
		}
		if rev, err := contracts.VerifierRevertForTest(ctx, chain, comp, addr, tamper(off), inA); rev != "CommitmentInvalid" || err != nil {
			t.Fatalf("tampered %s: reverted %q, %v; want CommitmentInvalid", name, rev, err)
		}
	}
	// D swapped with B's D (and B's challenge claimed): B's PoK and
	// second commitment do not go with it.
	mixed := bytes.Clone(proofA)
	copy(mixed[256:320], proofB[256:320])
	bad := append([]*big.Int(nil), inA...)
	bad[n-1] = inB[n-1]
	if ok, _, err := chain.VerifyGroth16Calldata(ctx, comp, addr, mixed, bad); ok {
		t.Fatalf("A's proof with B's D: accepted %v, %v", ok, err)
	}
	// A's proof claiming B's model commitment: the commitment is hashed
	// from D on chain, so the last input is not the prover's to choose.
	if ok, _, err := chain.VerifyGroth16Calldata(ctx, comp, addr, proofA, bad); ok {
		t.Fatalf("A's proof under B's commitment: accepted %v, %v", ok, err)
	}

	// Through the registry, registered under A's committed-weights commitment.
	digest, err := contracts.VKDigest(keys.VK, bA.Layout())
	if err != nil {
		t.Fatal(err)
	}
	commitA, err := contracts.ModelCommitment(bA.ModelCommitment)
	if err != nil {
		t.Fatal(err)
	}
	d, err := contracts.DeployModel(ctx, chain, comp, contracts.ModelRegistration{Commitment: commitA, Backend: contracts.BackendGroth16, PublicInputs: n, VKDigest: digest}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ev, rcpt, err := chain.VerifyInference(ctx, d.Registry, d.ModelID, proofA, inA)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Commitment != commitA {
		t.Fatalf("event for commitment %x, want %x", ev.Commitment, commitA)
	}
	t.Logf("committed weights verified through the registry: %d gas", rcpt.GasUsed)
	// B's honest proof (other weights, same key) for A's entry.
	if _, _, err := chain.VerifyInference(ctx, d.Registry, d.ModelID, proofB, inB); contracts.RevertName(err) != "CommitmentMismatch" {
		t.Fatalf("B's proof for model A: %v", err)
	}
	res, err := chain.VerifyBundleRegistered(ctx, d, bA, keys.VK, bA.Layout())
	if err != nil {
		t.Fatalf("bundle through the registry: %v", err)
	}
	_ = res

	// The registry anchor holds the registered field element (in the
	// Poseidon2 form: the registry does not say which weights' visibility
	// it was) and the bundle verifies against it offline: the verifier
	// compares values, the pinned digest fixes the visibility.
	a, err := chain.RegistryAnchor(ctx, d.Registry, d.ModelID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if h, err := contracts.ModelCommitment(a.Commitment); err != nil || h != commitA {
		t.Fatalf("registry anchor for model %s (%v), the bundle claims %s", a.Commitment, err, bA.ModelCommitment)
	}
	if _, err := verifier.Verify(bA, a); err != nil {
		t.Fatalf("bundle against the registry anchor: %v", err)
	}
	// B's weights registered under the same key: A's bundle does not match
	// B's anchor.
	commitB := common.BigToHash(inB[n-1])
	idB, _, err := chain.RegisterModel(ctx, d.Registry, contracts.ModelRegistration{Commitment: commitB, Verifier: d.Verifier, Backend: contracts.BackendGroth16, PublicInputs: n, VKDigest: digest})
	if err != nil {
		t.Fatal(err)
	}
	aB, err := chain.RegistryAnchor(ctx, d.Registry, idB, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verifier.Verify(bA, aB); !errors.Is(err, verifier.ErrKeyMismatch) {
		t.Fatalf("A's bundle against B's registry anchor: %v", err)
	}
}

// Committed-weights model commitments: two weight sets have two; keys the
// two-commitment verifier does not cover (three commitments, keys with
// different G) are refused by ExportVerifier.
func TestCommittedWeightsExport(t *testing.T) {
	keys := newCommittedWeights(t).keys

	// What the two-commitment verifier does not cover is refused, not
	// exported half-checked: a third commitment, keys with different G.
	vk := *keys.VK.(*groth16bn254.VerifyingKey)
	three := vk
	three.CommitmentKeys = append(slices.Clone(vk.CommitmentKeys), vk.CommitmentKeys[1])
	three.PublicAndCommitmentCommitted = append(slices.Clone(vk.PublicAndCommitmentCommitted), nil)
	var src bytes.Buffer
	if err := contracts.ExportVerifier(&three, &src); err == nil || !strings.Contains(err.Error(), "3 BSB22 commitments") {
		t.Fatalf("export of a three-commitment key: %v", err)
	}
	otherG := vk
	otherG.CommitmentKeys = slices.Clone(vk.CommitmentKeys)
	otherG.CommitmentKeys[1].G = vk.CommitmentKeys[1].GSigmaNeg
	if err := contracts.ExportVerifier(&otherG, &src); err == nil || !strings.Contains(err.Error(), "different G") {
		t.Fatalf("export of keys with different G: %v", err)
	}
}

// committedWeights is the fixture of the committed-weights tests: model A
// (one linear layer), model B (A with one weight bit flipped), A's circuit
// and dev keys, and a proof of each on x, checked to end in its model's
// committed-weights commitment; the two commitments differ.
type committedWeights struct {
	vis            quant.Visibility
	x              [][]int64
	ma             *quant.Model
	keys           *prover.Keys
	bA             *verifier.Bundle
	proofA, proofB []byte
	inA, inB       []*big.Int
}

func newCommittedWeights(t *testing.T) *committedWeights {
	t.Helper()
	f := &committedWeights{
		vis: quant.Visibility{Input: quant.VisibilityHashed, Output: quant.VisibilityHashed, Weights: quant.VisibilityCommitted},
		x:   [][]int64{{3, -7, 127, -128, 0, 55}},
	}
	rng := rand.New(rand.NewPCG(5, 5))
	f.ma = graphtest.Chain(t, rng, []int{1, 6},
		graphtest.Node{Name: "fc", Op: ops.NewLinear(graphtest.Tensor(rng, 0.5, 6, 4), graphtest.Tensor(rng, 0.1, 4), true), In: []string{"x"}})
	data, err := json.Marshal(f.ma)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := quant.ParseModelJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	mb.Graph.Nodes[0].Op.(*ops.QLinear).W[0] ^= 1

	c, err := prover.Compile(f.ma, nil, prover.WithVisibility(f.vis))
	if err != nil {
		t.Fatal(err)
	}
	if f.keys, err = prover.SetupDev(c, nil); err != nil {
		t.Fatal(err)
	}
	keys := f.keys
	proveOne := func(m *quant.Model) (*verifier.Bundle, []byte, []*big.Int) {
		tr, err := m.Forward(f.x)
		if err != nil {
			t.Fatal(err)
		}
		p, err := prover.Prove(c, keys.PK, keys.PKHeader, m, tr, nil)
		if err != nil {
			t.Fatal(err)
		}
		proof, in, err := contracts.Groth16Calldata(p.Proof.(groth16.Proof), p.Public.Vector().(fr.Vector))
		if err != nil {
			t.Fatal(err)
		}
		want, err := prover.ModelCommitmentOf(c, keys.PK, m)
		if err != nil {
			t.Fatal(err)
		}
		h, err := contracts.ModelCommitment(want)
		if err != nil {
			t.Fatal(err)
		}
		if common.BigToHash(in[len(in)-1]) != h {
			t.Fatalf("last public input %x, the model's committed-weights commitment %s", in[len(in)-1], want)
		}
		b, err := verifier.NewBundle(m, c, keys.VK, keys.VKHeader, p, tr)
		if err != nil {
			t.Fatal(err)
		}
		return b, proof, in
	}
	f.bA, f.proofA, f.inA = proveOne(f.ma)
	_, f.proofB, f.inB = proveOne(mb)
	if n := len(f.inA); f.inA[n-1].Cmp(f.inB[n-1]) == 0 {
		t.Fatal("two weight sets with one commitment")
	}
	return f
}
