package contracts

import (
	"bytes"
	"context"
	"errors"
	"strings"
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
	"github.com/consensys/gnark/std/rangecheck"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
)

// outerShaped has the public interface of prover/aggregate's outer circuit
// (input hash, output hash, shards commitment) and, like it, one BSB22
// commitment (from a range check), so its Solidity verifier is the same
// contract shape and costs the same gas; the outer circuit itself takes a
// 30-minute setup (TestAggregatePipeline in cmd/zkinfer, ZKINFER_AGG=1,
// runs it on chain). This tests the contracts path of aggregated bundles:
// the pinned outer key, the registration under the shards commitment.
type outerShaped struct {
	In, Out, SC frontend.Variable `gnark:",public"`
	X           frontend.Variable
}

func (c *outerShaped) Define(api frontend.API) error {
	rangecheck.New(api).Check(c.X, 8)
	api.AssertIsDifferent(api.Add(c.In, c.Out, c.SC, c.X), 0)
	return nil
}

// aggregatedFixture returns an aggregated bundle whose outer proof is a
// proof of outerShaped under vk, for shards commitment sc.
func aggregatedFixture(t *testing.T, o *outerKeyPair, sc fr.Element) *verifier.AggregatedBundle {
	t.Helper()
	var in, out fr.Element
	in.SetUint64(11)
	out.SetUint64(22)
	w, err := frontend.NewWitness(&outerShaped{In: in, Out: out, SC: sc, X: 9}, ecc.BN254.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	proof, err := groth16.Prove(o.ccs, o.pk, w, solidity.WithProverTargetSolidityVerifier(backend.GROTH16))
	if err != nil {
		t.Fatal(err)
	}
	var pb bytes.Buffer
	if _, err := proof.WriteTo(&pb); err != nil {
		t.Fatal(err)
	}
	d, err := prover.VerifyingKeyDigest(o.vk, verifier.OuterLayout)
	if err != nil {
		t.Fatal(err)
	}
	hex := func(e fr.Element) string {
		return strings.TrimPrefix(quant.FormatCommitment(e), quant.CommitmentPrefix)
	}
	return &verifier.AggregatedBundle{
		MediaType: verifier.AggregatedMediaType, Backend: prover.BackendGroth16, Curve: prover.CurveBN254,
		ShardsCommitment: quant.FormatCommitment(sc), OuterVKDigest: d, NShards: 3, NLayer: 3,
		PublicInputs: []string{hex(in), hex(out), hex(sc)}, Proof: pb.Bytes(),
	}
}

type outerKeyPair struct {
	ccs constraint.ConstraintSystem
	pk  groth16.ProvingKey
	vk  groth16.VerifyingKey
}

func newOuterKeyPair(t *testing.T) *outerKeyPair {
	t.Helper()
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &outerShaped{})
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	return &outerKeyPair{ccs, pk, vk}
}

// TestAggregatedOnChain: an aggregated bundle is verified by the pinned outer
// key's verifier and through a registry entry whose commitment is the shards
// commitment; a foreign outer key is refused before anything is sent, and a
// bundle of other shards reverts with CommitmentMismatch.
func TestAggregatedOnChain(t *testing.T) {
	requireSolc(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	o, foreign := newOuterKeyPair(t), newOuterKeyPair(t)
	var sc, other fr.Element
	sc.SetUint64(1234567)
	sc.Square(&sc)
	other.SetUint64(7654321)
	ab := aggregatedFixture(t, o, sc)

	chain, err := NewSimulatedChain()
	if err != nil {
		t.Fatal(err)
	}
	defer chain.Close()
	if _, err := chain.VerifyAggregated(ctx, ab, foreign.vk, nil); !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("foreign outer key: %v, want ErrKeyMismatch", err)
	}
	if _, err := chain.VerifyAggregated(ctx, ab, nil, nil); !errors.Is(err, ErrNotPinned) {
		t.Fatalf("no outer key: %v, want ErrNotPinned", err)
	}
	src, err := ExportSolidity(o.vk)
	if err != nil {
		t.Fatal(err)
	}
	comp, err := Compile(ctx, src, PlonkContract)
	if err != nil {
		t.Fatal(err)
	}
	res, err := chain.VerifyAggregated(ctx, ab, o.vk, comp)
	if err != nil || !res.Accepted {
		t.Fatalf("VerifyAggregated: %+v, %v", res, err)
	}
	t.Logf("outer-shaped verifier (3 public inputs, 1 commitment): verifyProof %d gas, registry verifyInference %d gas, deploy %d gas", res.VerifyGas, res.RegistryVerifyGas, res.DeployGas)

	// deploy-evm --vk vk.agg.key: the outer verifier registered under the
	// shards commitment.
	digest, err := CheckAggregatedKey(ab, o.vk)
	if err != nil {
		t.Fatal(err)
	}
	commitment, err := ModelCommitment(ab.ShardsCommitment)
	if err != nil {
		t.Fatal(err)
	}
	d, err := DeployModel(ctx, chain, comp, ModelRegistration{Commitment: commitment, Backend: BackendGroth16, PublicInputs: 3, VKDigest: digest}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err = chain.VerifyAggregatedRegistered(ctx, d, ab, o.vk)
	if err != nil || !res.Accepted {
		t.Fatalf("VerifyAggregatedRegistered: %+v, %v", res, err)
	}
	// Another aggregation, valid under the same key, of other shards.
	_, err = chain.VerifyAggregatedRegistered(ctx, d, aggregatedFixture(t, o, other), o.vk)
	if RevertName(err) != "CommitmentMismatch" {
		t.Fatalf("other shards commitment: %v, want CommitmentMismatch", err)
	}
	// The statement changed under the proof.
	bad := *ab
	bad.PublicInputs = append([]string{ab.PublicInputs[1]}, ab.PublicInputs[1:]...)
	res, err = chain.VerifyAggregatedRegistered(ctx, d, &bad, o.vk)
	if err != nil || res.Accepted {
		t.Fatalf("changed input hash: %+v, %v, want rejected", res, err)
	}
	if _, err := chain.VerifyAggregatedRegistered(ctx, d, ab, foreign.vk); !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("registered path with a foreign pinned key: %v", err)
	}
}
