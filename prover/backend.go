package prover

import (
	"fmt"
	gnarkio "github.com/consensys/gnark/io"
	"io"
	"slices"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/plonk"
	plonkbn254 "github.com/consensys/gnark/backend/plonk/bn254"
	"github.com/consensys/gnark/backend/solidity"
	"github.com/consensys/gnark/constraint"
)

// Backend names recorded in artifacts and bundles.
const (
	BackendGroth16 = "groth16"
	BackendPLONK   = "plonk"
)

// DefaultBackend is Groth16: with constant weights R1CS pays nothing for the
// additions of a matmul, which PLONK pays a gate each, so circuits are several
// times smaller and proving that much faster; proofs are smaller too. PLONK's
// advantages are a universal setup (one KZG SRS for every circuit up to its
// size) and, with many public inputs, cheaper on-chain verification.
const DefaultBackend = BackendGroth16

// Backends lists the backends this build supports, default first.
var Backends = []string{BackendGroth16, BackendPLONK}

// CheckBackend returns an error wrapping ErrUnsupportedBackend unless name is
// one of Backends.
func CheckBackend(name string) error {
	if !slices.Contains(Backends, name) {
		return fmt.Errorf("%w: %q (supported: %s, %s)", ErrUnsupportedBackend, name, BackendGroth16, BackendPLONK)
	}
	return nil
}

// ProvingKey is a BN254 groth16.ProvingKey or plonk.ProvingKey.
type ProvingKey interface {
	io.WriterTo
	io.ReaderFrom
	gnarkio.WriterRawTo
	gnarkio.UnsafeReaderFrom
}

// VerifyingKey is a BN254 groth16.VerifyingKey or plonk.VerifyingKey; both
// export a Solidity verifier.
type VerifyingKey interface {
	io.WriterTo
	io.ReaderFrom
	solidity.VerifyingKey
}

// ProofData is a BN254 groth16.Proof or plonk.Proof.
type ProofData interface {
	io.WriterTo
	io.ReaderFrom
}

// newCS returns an empty constraint system of the backend, for decoding.
func newCS(backend string) (constraint.ConstraintSystem, error) {
	switch backend {
	case BackendGroth16:
		return groth16.NewCS(ecc.BN254), nil
	case BackendPLONK:
		return plonk.NewCS(ecc.BN254), nil
	}
	return nil, CheckBackend(backend)
}

// NewProvingKey returns an empty proving key of the backend, for decoding.
func NewProvingKey(backend string) (ProvingKey, error) {
	switch backend {
	case BackendGroth16:
		return new(groth16bn254.ProvingKey), nil
	case BackendPLONK:
		return new(plonkbn254.ProvingKey), nil
	}
	return nil, CheckBackend(backend)
}

// NewVerifyingKey returns an empty verifying key of the backend, for decoding.
func NewVerifyingKey(backend string) (VerifyingKey, error) {
	switch backend {
	case BackendGroth16:
		return new(groth16bn254.VerifyingKey), nil
	case BackendPLONK:
		return new(plonkbn254.VerifyingKey), nil
	}
	return nil, CheckBackend(backend)
}

// NewProof returns an empty proof of the backend, for decoding.
func NewProof(backend string) (ProofData, error) {
	switch backend {
	case BackendGroth16:
		return new(groth16bn254.Proof), nil
	case BackendPLONK:
		return new(plonkbn254.Proof), nil
	}
	return nil, CheckBackend(backend)
}

// BackendOf names the backend of a key or proof, or returns "" for anything else.
func BackendOf(v any) string {
	switch v.(type) {
	case *groth16bn254.ProvingKey, *groth16bn254.VerifyingKey, *groth16bn254.Proof:
		return BackendGroth16
	case *plonkbn254.ProvingKey, *plonkbn254.VerifyingKey, *plonkbn254.Proof:
		return BackendPLONK
	}
	return ""
}

// checkHeaderBackend refuses an artifact of one backend where the other is
// expected, the error users get when they mix keys of two setups.
func checkHeaderBackend(what string, h Header, want string) error {
	if h.Backend != want {
		return fmt.Errorf("%w: %s is for %s, the circuit is %s", ErrBackendMismatch, what, orUnknown(h.Backend), want)
	}
	return nil
}

func orUnknown(s string) string {
	if s == "" {
		return "an unknown backend"
	}
	return s
}
