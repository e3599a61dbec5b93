package contracts

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/solidity"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/ethereum/go-ethereum/common"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/verifier"
)

// forgedCircuit has the public inputs of a zkinfer circuit with hashed input
// and output (input hash, output hash, model commitment) and proves nothing
// about them: any values with a known sum satisfy it.
type forgedCircuit struct {
	In    frontend.Variable `gnark:",public"`
	Out   frontend.Variable `gnark:",public"`
	Model frontend.Variable `gnark:",public"`
	S     frontend.Variable
}

func (c *forgedCircuit) Define(api frontend.API) error {
	api.AssertIsEqual(api.Add(c.In, c.Out, c.Model), c.S)
	return nil
}

// forgedBundle is a bundle that claims output for input under the model
// commitment, proven with the forged circuit and its own setup, the key
// embedded as a bundle's always is.
func forgedBundle(t *testing.T, commitment fr.Element, input, output []int64) (*verifier.Bundle, groth16.VerifyingKey) {
	t.Helper()
	hIn, err := quant.HashPacked(input, nil)
	if err != nil {
		t.Fatal(err)
	}
	hOut, err := quant.HashPacked(output, nil)
	if err != nil {
		t.Fatal(err)
	}
	var s fr.Element
	s.Add(&hIn, &hOut).Add(&s, &commitment)
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &forgedCircuit{})
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	w, err := frontend.NewWitness(&forgedCircuit{In: hIn, Out: hOut, Model: commitment, S: s}, ecc.BN254.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	proof, err := groth16.Prove(ccs, pk, w, solidity.WithProverTargetSolidityVerifier(backend.GROTH16))
	if err != nil {
		t.Fatal(err)
	}
	var pb, vb bytes.Buffer
	if _, err := proof.WriteTo(&pb); err != nil {
		t.Fatal(err)
	}
	if _, err := vk.WriteTo(&vb); err != nil {
		t.Fatal(err)
	}
	b := &verifier.Bundle{
		MediaType: verifier.MediaType, Backend: prover.BackendGroth16, Curve: "bn254",
		ModelCommitment: quant.FormatCommitment(commitment),
		Visibility:      quant.Visibility{Input: quant.VisibilityHashed, Output: quant.VisibilityHashed, Weights: quant.VisibilityFixed},
		PublicInputs: []verifier.Tensor{
			{Name: "input", Shape: []int{len(input)}, Encoding: verifier.EncodingHashedInt8, Values: input},
			{Name: "output", Shape: []int{len(output)}, Encoding: verifier.EncodingHashedInt8, Values: output},
			{Name: "model", Encoding: verifier.EncodingModelCommitment},
		},
		Proof: pb.Bytes(), VerifyingKey: vb.Bytes(),
	}
	return b, vk
}

// TestForgedBundleOnChain is the attack of issue 13 on verify-evm: a bundle
// whose embedded key belongs to a trivial circuit with the demo's public
// inputs. Built from the bundle's own key, the Solidity verifier accepts it
// and the registry records it under the model's commitment; pinned to the
// model's real key, it is refused before anything is deployed.
func TestForgedBundleOnChain(t *testing.T) {
	requireSolc(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const n = 3
	real := newGroth16Fixture(t, ctx, newMultiCS(t, n), n) // the model's real key: 3 public inputs too
	var commitment fr.Element
	commitment.SetBigInt(real.inputs[n-1])
	b, forgedVK := forgedBundle(t, commitment, []int64{1, 2, 3, 4}, []int64{42, -7})

	chain, err := NewSimulatedChain()
	if err != nil {
		t.Fatal(err)
	}
	defer chain.Close()

	t.Run("pinned to the real key: refused before deploying", func(t *testing.T) {
		nonce, err := chain.client.PendingNonceAt(ctx, chain.From())
		if err != nil {
			t.Fatal(err)
		}
		_, err = chain.VerifyBundle(ctx, b, real.vk, b.Layout(), real.comp)
		if !errors.Is(err, ErrKeyMismatch) || !errors.Is(err, verifier.ErrRejected) {
			t.Fatalf("got %v, want ErrKeyMismatch", err)
		}
		_, err = chain.VerifyBundle(ctx, b, nil, b.Layout(), nil)
		if !errors.Is(err, ErrNotPinned) {
			t.Fatalf("got %v, want ErrNotPinned", err)
		}
		if after, err := chain.client.PendingNonceAt(ctx, chain.From()); err != nil || after != nonce {
			t.Fatalf("%d transactions sent for a refused bundle (%v)", after-nonce, err)
		}
	})

	t.Run("unpinned (the bundle's own key): the attack is real", func(t *testing.T) {
		// What verify-evm did without --vk: trust the key the bundle carries.
		res, err := chain.VerifyBundle(ctx, b, forgedVK, b.Layout(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Accepted || res.RegistryVerifyGas == 0 {
			t.Fatalf("the forged bundle was not accepted on its own key: %+v", res)
		}
		// ...and the registry recorded it under the model's commitment.
		evs, err := chain.InferenceEvents(ctx, common.HexToAddress(res.Registry), common.HexToHash(res.ModelID), 0)
		if err != nil || len(evs) != 1 || evs[0].Commitment != common.BigToHash(real.inputs[n-1]) {
			t.Fatalf("events %+v, %v; want one InferenceVerified for the real commitment", evs, err)
		}
		// The forged key's digest is recorded, which is how a relying party
		// that knows the real key's digest tells the two apart.
		want, _ := VKDigest(forgedVK, b.Layout())
		if res.VKDigest != FormatVKDigest(want) || evs[0].VkDigest != want || want == real.digest {
			t.Fatalf("vk digest %s (event %x), want the forged key's %x", res.VKDigest, evs[0].VkDigest, want)
		}
	})

	t.Run("a bundle carrying the real key passes the pin", func(t *testing.T) {
		rb := *b
		var vb bytes.Buffer
		if _, err := real.vk.WriteTo(&vb); err != nil {
			t.Fatal(err)
		}
		rb.VerifyingKey = vb.Bytes()
		if _, err := CheckBundleKey(&rb, real.vk, rb.Layout()); err != nil {
			t.Fatalf("the real key is refused: %v", err)
		}
	})
}
