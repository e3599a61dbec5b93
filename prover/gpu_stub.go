//go:build !icicle

package prover

import (
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/constraint"
)

// gpuBuilt is false: gnark's ICICLE package, without the tag, panics when
// called, so Prove refuses GPU requests before reaching it (checkGPU).
const gpuBuilt = false

func proveGPU(constraint.ConstraintSystem, *groth16bn254.ProvingKey, witness.Witness, int) (ProofData, error) {
	return nil, ErrGPUNotBuilt
}
