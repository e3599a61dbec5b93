package contracts

import (
	"bytes"
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/plonk"
	"github.com/consensys/gnark/backend/solidity"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/scs"
	"github.com/consensys/gnark/test/unsafekzg"
	"github.com/ethereum/go-ethereum/common"

	"github.com/zkinfer/zkinfer/prover"
)

func TestPlonkVerifierOnChain(t *testing.T) {
	requireSolc(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), scs.NewBuilder, &squareCircuit{})
	if err != nil {
		t.Fatal(err)
	}
	srs, lagrange, err := unsafekzg.NewSRS(ccs)
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := plonk.Setup(ccs, srs, lagrange)
	if err != nil {
		t.Fatal(err)
	}
	w, err := frontend.NewWitness(&squareCircuit{X: 7, Y: 49}, ecc.BN254.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := w.Public()
	proof, err := plonk.Prove(ccs, pk, w, solidity.WithProverTargetSolidityVerifier(backend.PLONK))
	if err != nil {
		t.Fatal(err)
	}
	if err := plonk.Verify(proof, vk, pub, solidity.WithVerifierTargetSolidityVerifier(backend.PLONK)); err != nil {
		t.Fatalf("go verifier rejected the proof: %v", err)
	}
	inputs := pub.Vector().(fr.Vector)

	var src bytes.Buffer
	if err := ExportPlonkVerifier(vk, &src); err != nil {
		t.Fatal(err)
	}
	comp, err := Compile(ctx, src.Bytes(), PlonkContract)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := NewSimulatedChain()
	if err != nil {
		t.Fatal(err)
	}
	defer chain.Close()
	addr, deployGas, err := chain.Deploy(ctx, comp)
	if err != nil {
		t.Fatal(err)
	}
	ok, gas, err := chain.VerifyPLONK(ctx, comp, addr, proof, inputs)
	if err != nil || !ok {
		t.Fatalf("contract rejected a valid proof: ok=%v err=%v", ok, err)
	}
	t.Logf("PLONK verifier: deploy gas %d, verifyProof gas (transaction, 1 public input) %d", deployGas, gas)

	proofBytes, ins, err := PlonkCalldata(proof, inputs)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := chain.CallPlonkVerify(ctx, comp, addr, proofBytes, ins); err != nil || !ok {
		t.Fatalf("Verify on a valid proof: %v %v", ok, err)
	}

	t.Run("wrong public input", func(t *testing.T) {
		bad := append(fr.Vector(nil), inputs...)
		var one fr.Element
		one.SetOne()
		bad[0].Add(&bad[0], &one)
		// gnark's Verify returns false without reverting: the bool must be read.
		_, badIns, _ := PlonkCalldata(proof, bad)
		ok, err := chain.CallPlonkVerify(ctx, comp, addr, proofBytes, badIns)
		if err != nil || ok {
			t.Fatalf("Verify: ok=%v err=%v, want false without error", ok, err)
		}
		// The wrapper users call reverts.
		ok, _, err = chain.VerifyPLONK(ctx, comp, addr, proof, bad)
		if err != nil || ok {
			t.Fatalf("verifyProof accepted input y+1: ok=%v err=%v", ok, err)
		}
	})

	t.Run("flipped proof bytes", func(t *testing.T) {
		for _, off := range []int{0, 33, 100, 300, len(proofBytes) / 2, len(proofBytes) - 1} {
			bad := bytes.Clone(proofBytes)
			bad[off] ^= 0x01
			ok, _, err := chain.VerifyPLONKCalldata(ctx, comp, addr, bad, ins)
			if err != nil || ok {
				t.Fatalf("offset %d: accepted=%v err=%v", off, ok, err)
			}
		}
		ok, _, err := chain.VerifyPLONKCalldata(ctx, comp, addr, proofBytes[:len(proofBytes)-1], ins)
		if err != nil || ok {
			t.Fatalf("short proof: accepted=%v err=%v", ok, err)
		}
	})

	// The registry calls gnark's Verify and requires true: a PLONK false
	// must revert there as ProofRejected, never pass silently.
	t.Run("registry", func(t *testing.T) {
		reg, err := chain.DeployRegistry(ctx)
		if err != nil {
			t.Fatal(err)
		}
		digest, err := VKDigest(vk, prover.Layout{})
		if err != nil {
			t.Fatal(err)
		}
		id, _, err := chain.RegisterModel(ctx, reg.ContractAddress, ModelRegistration{Commitment: common.BigToHash(ins[len(ins)-1]), Verifier: addr, Backend: BackendPlonk, PublicInputs: len(ins), VKDigest: digest})
		if err != nil {
			t.Fatal(err)
		}
		ev, rcpt, err := chain.VerifyInference(ctx, reg.ContractAddress, id, proofBytes, ins)
		if err != nil {
			t.Fatalf("registry rejected a valid PLONK proof: %v", err)
		}
		if ev.ModelId != id || ev.VkDigest != digest {
			t.Fatalf("event for model %x, want %x", ev.ModelId, id)
		}
		t.Logf("PLONK verifyInference gas %d", rcpt.GasUsed)
		// The fixture's only public input is what the registry reads as the
		// commitment. A model registered under a wrong input's value lets that
		// input past the commitment check, so the verifier itself must refuse
		// it: gnark's Verify returns false, and the registry must revert.
		bad := []*big.Int{new(big.Int).Add(ins[0], big.NewInt(1))}
		idBad, _, err := chain.RegisterModel(ctx, reg.ContractAddress, ModelRegistration{Commitment: common.BigToHash(bad[0]), Verifier: addr, Backend: BackendPlonk, PublicInputs: 1, VKDigest: digest})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := chain.VerifyInference(ctx, reg.ContractAddress, idBad, proofBytes, bad); RevertName(err) != "ProofRejected" {
			t.Fatalf("wrong public input through the registry: %v, want ProofRejected", err)
		}
	})

	t.Run("bad arguments are errors", func(t *testing.T) {
		if _, _, err := chain.VerifyPLONK(ctx, comp, addr, nil, inputs); err == nil {
			t.Fatal("want an error for a nil proof")
		}
		if _, _, err := chain.VerifyPLONK(ctx, nil, addr, proof, inputs); err == nil {
			t.Fatal("want an error for a nil contract")
		}
		if err := ExportPlonkVerifier(nil, &src); err == nil {
			t.Fatal("want an error for a nil key")
		}
	})
}
