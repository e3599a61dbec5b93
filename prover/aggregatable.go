package prover

import (
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/witness"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"
)

// Hash to field of a Groth16 proof's BSB22 commitment challenge: which hash
// the prover used, and so which hash the verifier must recompute.
const (
	// ProofHashKeccak is the default: Keccak, which gnark's Solidity
	// verifier recomputes, so the proof verifies on the EVM.
	ProofHashKeccak = "keccak"
	// ProofHashMiMC is MiMC over BN254, which gnark's recursive Groth16
	// verifier (std/recursion/groth16) recomputes: the proof can be
	// aggregated (prover/aggregate), not verified on the EVM.
	ProofHashMiMC = "mimc"
)

// ErrNotAggregatable: a proof cannot be made or checked for aggregation
// (PLONK, the GPU prover).
var ErrNotAggregatable = errors.New("not aggregatable")

// WithAggregatable makes Prove derive the Groth16 commitment challenge with
// MiMC (ProofHashMiMC) instead of Keccak, so that the proof can be verified
// inside prover/aggregate's outer circuit. The keys are unchanged; the
// proof no longer verifies with the key's Solidity verifier. Groth16 on the
// CPU only.
func WithAggregatable() ProveOption {
	return func(c *proveConfig) { c.aggregatable = true }
}

// AggregatableProverOptions are gnark's prover options for a proof to be
// aggregated: the hash to field the recursive verifier recomputes (outer
// and inner field both BN254's scalar field).
func AggregatableProverOptions() backend.ProverOption {
	f := ecc.BN254.ScalarField()
	return stdgroth16.GetNativeProverOptions(f, f)
}

// AggregatableVerifierOptions verify such a proof natively.
func AggregatableVerifierOptions() backend.VerifierOption {
	f := ecc.BN254.ScalarField()
	return stdgroth16.GetNativeVerifierOptions(f, f)
}

// CheckProofHash checks that h names a known proof hash ("" is Keccak).
func CheckProofHash(h string) error {
	switch h {
	case "", ProofHashKeccak, ProofHashMiMC:
		return nil
	}
	return fmt.Errorf("%w: unknown proof hash %q (known: %s, %s)", ErrCorrupted, h, ProofHashKeccak, ProofHashMiMC)
}

// VerifyWithHash is Verify for a proof whose commitment challenge was
// derived with hash h: Verify for "" and ProofHashKeccak, the recursive
// verifier's hash for ProofHashMiMC (Groth16 only).
func VerifyWithHash(vk VerifyingKey, proof ProofData, public witness.Witness, h string) (err error) {
	if err := CheckProofHash(h); err != nil {
		return err
	}
	if h != ProofHashMiMC {
		return Verify(vk, proof, public)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrCorrupted, r)
		}
	}()
	k, ok := vk.(*groth16bn254.VerifyingKey)
	if !ok {
		return fmt.Errorf("%w: %s proofs for aggregation are Groth16 only, the key is %s", ErrNotAggregatable, ProofHashMiMC, orUnknown(BackendOf(vk)))
	}
	pr, ok := proof.(*groth16bn254.Proof)
	if !ok {
		return fmt.Errorf("%w: a %s proof for a Groth16 verifying key", ErrBackendMismatch, orUnknown(BackendOf(proof)))
	}
	return groth16.Verify(pr, k, public, AggregatableVerifierOptions())
}

// WriteVerifyingKey writes a verifying key with header h (its Format set to
// FormatVerifyingKey) atomically, readable by ReadVerifyingKey: for keys
// made outside Setup, such as prover/aggregate's outer key.
func WriteVerifyingKey(path string, h Header, vk VerifyingKey) error {
	h.Format = FormatVerifyingKey
	return writeArtifact(path, h, vk)
}
