// Package contracts turns zkinfer's Groth16 and PLONK verifying keys into Solidity
// verifier contracts, compiles them with the pinned solcjs, and checks proofs
// against them on an in-process EVM.
//
// The point of running the contract rather than trusting gnark's Go verifier
// alone is that on-chain acceptance depends on details the Go verifier does
// not exercise (hash-to-field choice for the BSB22 commitment, calldata
// layout, precompile behaviour), so the only convincing check is the EVM's.
package contracts

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/zkinfer/zkinfer/quant"
)

// ExportVerifier writes gnark's generated Solidity verifier for vk to w.
//
// Only BN254 keys are accepted because the EVM has pairing precompiles for
// that curve alone. The generated contract is named "Verifier" and uses
// Keccak for hash-to-field, so proofs must be made with
// solidity.WithProverTargetSolidityVerifier(backend.GROTH16).
func ExportVerifier(vk groth16.VerifyingKey, w io.Writer) error {
	if w == nil {
		return errors.New("contracts: export verifier: nil writer")
	}
	bvk, ok := vk.(*groth16bn254.VerifyingKey)
	if !ok {
		return fmt.Errorf("contracts: export verifier: verifying key is %T, want BN254 (*groth16bn254.VerifyingKey)", vk)
	}
	if bvk == nil {
		return errors.New("contracts: export verifier: nil verifying key")
	}
	// gnark v0.16.3's template checks the proof of knowledge of the first
	// commitment only, with the first commitment's key, and reads values
	// committed by a later commitment from past the public inputs: a
	// contract for a key with several commitments would reject honest
	// proofs and leave the later commitments unchecked. zkinfer's circuits
	// have one (std/multicommit), except under committed weights (two).
	if n := len(bvk.CommitmentKeys); n > 1 {
		return fmt.Errorf("contracts: export verifier: the key has %d BSB22 commitments and gnark's Solidity verifier supports one (committed weights are verified off chain only; use hashed weights on chain)", n)
	}
	if err := bvk.ExportSolidity(w); err != nil {
		return fmt.Errorf("contracts: export verifier: %w", err)
	}
	return nil
}

// WriteArtifacts writes <Name>.abi.json and <Name>.bin (hex, no 0x prefix,
// as solc writes it) into dir, creating dir if needed.
//
// Each file is replaced atomically so a reader never sees a half-written
// artifact next to a stale one of the other kind for long.
func WriteArtifacts(dir string, comp *Compiled) error {
	if comp == nil {
		return errors.New("contracts: write artifacts: nil compiled contract")
	}
	if comp.Name == "" || comp.Name != filepath.Base(comp.Name) || strings.ContainsAny(comp.Name, `/\`) || comp.Name == "." || comp.Name == ".." {
		return fmt.Errorf("contracts: write artifacts: invalid contract name %q", comp.Name)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("contracts: write artifacts: %w", err)
	}
	abiPath := filepath.Join(dir, comp.Name+".abi.json")
	if err := quant.WriteFile(abiPath, []byte(comp.ABI), 0o644); err != nil {
		return fmt.Errorf("contracts: write artifacts: %w", err)
	}
	binPath := filepath.Join(dir, comp.Name+".bin")
	if err := quant.WriteFile(binPath, []byte(hex.EncodeToString(comp.Bin)), 0o644); err != nil {
		return fmt.Errorf("contracts: write artifacts: %w", err)
	}
	return nil
}

// Groth16PublicInputs returns N, the number of public inputs the generated
// verifier's verifyProof(bytes, uint256[N]) takes. It is not
// vk.NbPublicWitness(): that counts the commitment wires, which the contract
// derives itself.
func Groth16PublicInputs(vk groth16.VerifyingKey) (int, error) {
	bvk, ok := vk.(*groth16bn254.VerifyingKey)
	if !ok || bvk == nil {
		return 0, fmt.Errorf("contracts: public inputs: verifying key is %T, want BN254 (*groth16bn254.VerifyingKey)", vk)
	}
	n := len(bvk.G1.K) - 1 - len(bvk.PublicAndCommitmentCommitted)
	if n < 0 {
		return 0, errors.New("contracts: public inputs: malformed verifying key")
	}
	return n, nil
}
