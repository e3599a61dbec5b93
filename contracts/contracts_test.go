package contracts

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/solidity"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/std/rangecheck"
)

// squareCircuit proves knowledge of a byte-sized X with X*X == Y. The range
// check is there for its side effect: it makes gnark add a BSB22 commitment,
// which is the case zkinfer's real circuits are in.
type squareCircuit struct {
	X frontend.Variable
	Y frontend.Variable `gnark:",public"`
}

func (c *squareCircuit) Define(api frontend.API) error {
	api.AssertIsEqual(api.Mul(c.X, c.X), c.Y)
	rangecheck.New(api).Check(c.X, 8)
	return nil
}

func requireSolc(t *testing.T) {
	t.Helper()
	if _, err := FindSolc(); err != nil {
		t.Fatalf("solcjs is required for these tests (run `npm ci --prefix contracts`): %v", err)
	}
}

func TestGroth16VerifierOnChain(t *testing.T) {
	requireSolc(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &squareCircuit{})
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	w, err := frontend.NewWitness(&squareCircuit{X: 7, Y: 49}, ecc.BN254.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	pub, err := w.Public()
	if err != nil {
		t.Fatal(err)
	}
	proof, err := groth16.Prove(ccs, pk, w, solidity.WithProverTargetSolidityVerifier(backend.GROTH16))
	if err != nil {
		t.Fatal(err)
	}
	if err := groth16.Verify(proof, vk, pub, solidity.WithVerifierTargetSolidityVerifier(backend.GROTH16)); err != nil {
		t.Fatalf("go verifier rejected the proof: %v", err)
	}
	if n := len(proof.(*groth16bn254.Proof).Commitments); n != 1 {
		t.Fatalf("proof has %d commitments, want 1 (the test is meant to cover BSB22)", n)
	}
	inputs, ok := pub.Vector().(fr.Vector)
	if !ok {
		t.Fatalf("public witness vector is %T", pub.Vector())
	}

	var src bytes.Buffer
	if err := ExportVerifier(vk, &src); err != nil {
		t.Fatal(err)
	}
	comp, err := Compile(ctx, src.Bytes(), "Verifier")
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	if err := WriteArtifacts(dir, comp); err != nil {
		t.Fatal(err)
	}
	binHex, err := os.ReadFile(filepath.Join(dir, "Verifier.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := hex.DecodeString(string(binHex)); !bytes.Equal(got, comp.Bin) {
		t.Fatal("Verifier.bin does not round-trip to the compiled bytecode")
	}
	if _, err := os.Stat(filepath.Join(dir, "Verifier.abi.json")); err != nil {
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
	t.Logf("verifier: %d bytes of creation code, deploy gas %d", len(comp.Bin), deployGas)

	ok, gas, err := chain.VerifyGroth16(ctx, comp, addr, proof, inputs)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Fatal("contract rejected a valid proof")
	}
	t.Logf("verifyProof gas (transaction, 1 public input, 1 BSB22 commitment): %d", gas)

	t.Run("tampered point", func(t *testing.T) {
		// A valid curve point that is the wrong one: the pairing check fails.
		bad := *proof.(*groth16bn254.Proof)
		var a bn254.G1Affine
		a.Add(&bad.Ar, &bad.Ar)
		bad.Ar = a
		ok, gas, err := chain.VerifyGroth16(ctx, comp, addr, &bad, inputs)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			t.Fatalf("contract accepted a proof with a wrong A (gas %d)", gas)
		}
	})

	t.Run("tampered commitment", func(t *testing.T) {
		bad := *proof.(*groth16bn254.Proof)
		bad.Commitments = append([]bn254.G1Affine(nil), bad.Commitments...)
		bad.Commitments[0].Add(&bad.Commitments[0], &bad.Ar)
		ok, _, err := chain.VerifyGroth16(ctx, comp, addr, &bad, inputs)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			t.Fatal("contract accepted a proof with a wrong commitment")
		}
	})

	t.Run("flipped calldata bytes", func(t *testing.T) {
		proofBytes, ins, err := Groth16Calldata(proof, inputs)
		if err != nil {
			t.Fatal(err)
		}
		// Each offset lands in a different element: A, B, C, commitment, PoK.
		// Most flips leave the point off the curve or out of the field.
		for _, off := range []int{0, 40, 100, 200, 250, 263, 300, 359} {
			bad := bytes.Clone(proofBytes)
			bad[off] ^= 0x01
			ok, _, err := chain.VerifyGroth16Calldata(ctx, comp, addr, bad, ins)
			if err != nil {
				t.Fatalf("offset %d: %v", off, err)
			}
			if ok {
				t.Fatalf("contract accepted a proof with byte %d flipped", off)
			}
		}
		// Wrong length is rejected by the contract's require, also a revert.
		ok, _, err := chain.VerifyGroth16Calldata(ctx, comp, addr, proofBytes[:len(proofBytes)-1], ins)
		if err != nil || ok {
			t.Fatalf("short proof: accepted=%v err=%v", ok, err)
		}
	})

	t.Run("tampered public input", func(t *testing.T) {
		bad := append(fr.Vector(nil), inputs...)
		var one fr.Element
		one.SetOne()
		bad[0].Add(&bad[0], &one)
		ok, _, err := chain.VerifyGroth16(ctx, comp, addr, proof, bad)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			t.Fatal("contract accepted a proof for public input y+1")
		}
	})

	t.Run("unreduced public input", func(t *testing.T) {
		proofBytes, ins, err := Groth16Calldata(proof, inputs)
		if err != nil {
			t.Fatal(err)
		}
		// y + r is the same field element but the contract must refuse it.
		ins[0] = new(big.Int).Add(ins[0], fr.Modulus())
		ok, _, err := chain.VerifyGroth16Calldata(ctx, comp, addr, proofBytes, ins)
		if err != nil || ok {
			t.Fatalf("unreduced input: accepted=%v err=%v", ok, err)
		}
	})

	t.Run("wrong input count is an error", func(t *testing.T) {
		if _, _, err := chain.VerifyGroth16(ctx, comp, addr, proof, append(inputs, inputs[0])); err == nil {
			t.Fatal("want an error for 2 public inputs to a 1-input verifier")
		}
		if _, _, err := chain.VerifyGroth16(ctx, comp, addr, proof, nil); err == nil {
			t.Fatal("want an error for 0 public inputs to a 1-input verifier")
		}
	})

	t.Run("bad arguments are errors", func(t *testing.T) {
		if _, _, err := chain.VerifyGroth16(ctx, &Compiled{Name: "X", ABI: "not json"}, addr, proof, inputs); err == nil {
			t.Fatal("want an error for a bad ABI")
		}
		if _, _, err := chain.VerifyGroth16(ctx, comp, addr, nil, inputs); err == nil {
			t.Fatal("want an error for a nil proof")
		}
		if _, _, err := chain.VerifyGroth16(ctx, nil, addr, proof, inputs); err == nil {
			t.Fatal("want an error for a nil contract")
		}
	})
}

func TestFindSolcMissingEnv(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-solcjs")
	t.Setenv(SolcEnv, missing)
	_, err := FindSolc()
	if err == nil {
		t.Fatal("FindSolc succeeded with ZKINFER_SOLCJS pointing at a missing file")
	}
	for _, want := range []string{"contracts: ", missing, "npm ci --prefix contracts"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	requireSolc(t)
	ctx := context.Background()
	src := []byte("// SPDX-License-Identifier: MIT\npragma solidity ^0.8.0;\ncontract A { function f() external pure returns (uint) { return 1; } }\n")
	comp, err := Compile(ctx, src, "A")
	if err != nil {
		t.Fatal(err)
	}
	if comp.Name != "A" || len(comp.Bin) == 0 || !strings.Contains(comp.ABI, `"f"`) {
		t.Fatalf("unexpected result: %+v", comp)
	}
	if _, err := Compile(ctx, src, "B"); err == nil || !strings.Contains(err.Error(), `"B"`) {
		t.Fatalf("missing contract: got %v", err)
	}
	if _, err := Compile(ctx, src, "../A"); err == nil {
		t.Fatal("want an error for a contract name that is not an identifier")
	}
	if _, err := Compile(ctx, []byte("contract {"), "A"); err == nil {
		t.Fatal("want an error for a syntax error")
	}
}

func TestExportVerifierBadInput(t *testing.T) {
	var buf bytes.Buffer
	if err := ExportVerifier(nil, &buf); err == nil {
		t.Fatal("want an error for a nil key")
	}
	if err := ExportVerifier((*groth16bn254.VerifyingKey)(nil), &buf); err == nil {
		t.Fatal("want an error for a typed nil key")
	}
	if err := WriteArtifacts(t.TempDir(), &Compiled{Name: "../x"}); err == nil {
		t.Fatal("want an error for a path-like name")
	}
}

func TestWriteToolArtifacts(t *testing.T) {
	dir := t.TempDir()
	comp := &Compiled{Name: "Verifier", ABI: `[{"type":"function","name":"f","inputs":[],"outputs":[],"stateMutability":"view"}]`, Bin: []byte{0x60, 0x80}}
	foundry, hardhat, err := WriteToolArtifacts(dir, comp)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "out", "Verifier.sol", "Verifier.json"); foundry != want {
		t.Fatalf("foundry artifact at %s, want %s", foundry, want)
	}
	var f struct {
		ABI      []map[string]any `json:"abi"`
		Bytecode struct {
			Object string `json:"object"`
		} `json:"bytecode"`
	}
	readJSON(t, foundry, &f)
	if len(f.ABI) != 1 || f.Bytecode.Object != "0x6080" {
		t.Fatalf("foundry artifact: %+v", f)
	}
	var h map[string]any
	readJSON(t, hardhat, &h)
	if h["_format"] != HardhatFormat || h["contractName"] != "Verifier" || h["sourceName"] != "contracts/Verifier.sol" || h["bytecode"] != "0x6080" {
		t.Fatalf("hardhat artifact: %v", h)
	}
	if _, _, err := WriteToolArtifacts(dir, &Compiled{Name: "../x", ABI: "[]"}); err == nil {
		t.Fatal("want an error for a path-like name")
	}
	if _, _, err := WriteToolArtifacts(dir, &Compiled{Name: "X", ABI: "{"}); err == nil {
		t.Fatal("want an error for an ABI that is not JSON")
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

// The simulated chain's block gas limit is blockGasLimit; a closed chain
// answers an error.
func TestBlockGasLimit(t *testing.T) {
	c, err := NewSimulatedChain()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if got, err := c.BlockGasLimit(ctx, nil); err != nil || got != blockGasLimit {
		t.Fatalf("BlockGasLimit = %d, %v; want %d", got, err, blockGasLimit)
	}
	c.Close()
	if _, err := c.BlockGasLimit(ctx, nil); err == nil {
		t.Fatal("BlockGasLimit on a closed chain: no error")
	}
}
