package contracts_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"

	"github.com/zkinfer/zkinfer/contracts"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
	"github.com/zkinfer/zkinfer/verifier/verifiertest"
)

// Attacks on committed input through the on-chain paths: the prover (model
// host) controls the bundle and offers the basis file.
//
//   - Through a registry entry with no --vk (VerifyBundleRegistered with
//     pinned nil): the bundle claims other input values and names a basis
//     of its own making (input_basis digest), which it hands out as the
//     basis file; the forged basis is chosen so that Σ v'·B' is the proof's
//     commitment point. The registry's verifying-key digest pins the
//     layout (the basis digest with it), so the bundle's layout must be the
//     registered one.
//   - A committed input relabelled in the tensor's encoding (salted: the
//     public input is then taken from the bundle, not recomputed): the
//     layout digest does not cover tensor encodings, so the on-chain paths
//     must check them as Verify does.
func TestCommittedIOOnChainAttacks(t *testing.T) {
	requireSolc(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	m, tr := committedIOModel(t, 7)
	vis := quant.Visibility{Input: quant.VisibilityCommitted, Output: quant.VisibilityHashed, Weights: quant.VisibilityFixed}
	pc, keys, p := proveDev(t, m, tr, vis)
	b, err := verifier.NewBundle(m, pc, keys.VK, keys.VKHeader, p, tr)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	basisPath := filepath.Join(dir, "vk.input.basis")
	if err := prover.WriteIOBasis(basisPath, pc.CS, vis, keys.PK, prover.SideInput); err != nil {
		t.Fatal(err)
	}
	comp := compiledVerifier(t, ctx, keys.VK.(groth16.VerifyingKey))
	chain, err := contracts.NewSimulatedChain()
	if err != nil {
		t.Fatal(err)
	}
	defer chain.Close()
	opts := verifier.IOBasisFiles(basisPath, "")
	l := keys.VKHeader.Layout()

	// Registered with the key's digest (its layout, the basis digest in it).
	digest, err := contracts.VKDigest(keys.VK, l)
	if err != nil {
		t.Fatal(err)
	}
	commit, err := contracts.ModelCommitment(b.ModelCommitment)
	if err != nil {
		t.Fatal(err)
	}
	_, inputs, err := contracts.BundleCalldata(b, opts)
	if err != nil {
		t.Fatal(err)
	}
	d, err := contracts.DeployModel(ctx, chain, comp, contracts.ModelRegistration{Commitment: commit, Backend: contracts.BackendGroth16, PublicInputs: len(inputs), VKDigest: digest}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := chain.VerifyBundleRegistered(ctx, d, b, nil, prover.Layout{}, opts); err != nil || !res.Accepted {
		t.Fatalf("honest bundle through the registry: %+v, %v", res, err)
	}

	// Forged: other input values, a basis of the prover's making over which
	// they commit to the proof's point D.
	forged := verifiertest.CloneBundle(t, b)
	in, _ := forged.Tensor(verifier.TensorInput)
	for j := range in.Values {
		in.Values[j] = int64(j%7) - 3
	}
	in.Values[0] = 1
	genuine, err := prover.ReadIOBasis(basisPath, keys.VKHeader.InputBasis)
	if err != nil {
		t.Fatal(err)
	}
	gp := p.Proof.(*groth16bn254.Proof)
	fb := verifiertest.ForgeIOBasis(t, in.Values, genuine, gp.Commitments[keys.VKHeader.InputBasis.Commitment])
	forgedPath := filepath.Join(dir, "forged.input.basis")
	forged.InputBasis = &prover.IOBasis{Commitment: keys.VKHeader.InputBasis.Commitment, Values: len(fb), Digest: verifiertest.WriteIOBasisFile(t, forgedPath, fb)}
	forged.VKDigest = ""
	fopts := verifier.IOBasisFiles(forgedPath, "")
	if _, pub, err := contracts.BundleCalldata(forged, fopts); err != nil || pub[0].Cmp(inputs[0]) != 0 {
		t.Fatalf("the forged basis does not reproduce the public input (%v): the attack is not set up", err)
	}
	res, err := chain.VerifyBundleRegistered(ctx, d, forged, nil, prover.Layout{}, fopts)
	if err == nil && res.Accepted {
		t.Fatal("a bundle with other input values and the prover's own basis accepted through the registry")
	}
	if !errors.Is(err, contracts.ErrKeyMismatch) {
		t.Fatalf("forged basis through the registry: %v, want ErrKeyMismatch", err)
	}

	// Relabelled: the committed input carried as a salted commitment (the
	// prover's public input, no values to recompute it from).
	salted := verifiertest.CloneBundle(t, b)
	in, _ = salted.Tensor(verifier.TensorInput)
	var e fr.Element
	e.SetBigInt(inputs[0])
	eb := e.Bytes()
	in.Encoding, in.Values, in.Commitment = verifier.EncodingSaltedInt8, nil, fmt.Sprintf("0x%x", eb[:])
	salted = verifiertest.CloneBundle(t, salted)
	for name, verify := range map[string]func() (*contracts.BundleResult, error){
		"pinned": func() (*contracts.BundleResult, error) {
			return chain.VerifyBundle(ctx, salted, keys.VK, l, comp, opts)
		},
		"registered": func() (*contracts.BundleResult, error) {
			return chain.VerifyBundleRegistered(ctx, d, salted, nil, prover.Layout{}, opts)
		},
	} {
		res, err := verify()
		if err == nil && res.Accepted {
			t.Fatalf("%s: a committed input relabelled salted accepted on chain", name)
		}
		if !errors.Is(err, verifier.ErrBundle) {
			t.Fatalf("%s: relabelled committed input: %v, want ErrBundle", name, err)
		}
	}
}
