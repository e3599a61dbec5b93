package verifier

import (
	"fmt"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
)

// Errors of CheckModel; each wraps ErrRejected.
var (
	ErrModelMismatch   = fmt.Errorf("%w: model commitment mismatch", ErrRejected)
	ErrCircuitMismatch = fmt.Errorf("%w: circuit digest mismatch", ErrRejected)
)

// CheckModel checks that the bundle is about model m: m's commitment must be
// the bundle's, and with fixed weights the circuit compiled from m (for the
// bundle's backend and visibility) must have the bundle's circuit digest.
// Compilation is deterministic, so the digest pins the circuit, and with it
// the verifying key, to m. It compiles the circuit: as slow as
// compile-circuit.
func CheckModel(b *Bundle, m *quant.Model, p prover.Progress) error {
	commit, err := quant.CommitString(m)
	if err != nil {
		return fmt.Errorf("model: %w", err)
	}
	if commit != b.ModelCommitment {
		return fmt.Errorf("%w: the model's is %s, the bundle's %s", ErrModelMismatch, commit, b.ModelCommitment)
	}
	if b.Visibility.Weights != quant.VisibilityFixed {
		return nil
	}
	c, err := prover.Compile(m, p, prover.WithBackend(b.Backend), prover.WithVisibility(b.Visibility))
	if err != nil {
		return fmt.Errorf("model: %w", err)
	}
	if c.Header.CircuitDigest != b.CircuitDigest {
		return fmt.Errorf("%w: the model compiles to %s, the bundle names %s", ErrCircuitMismatch, c.Header.CircuitDigest, b.CircuitDigest)
	}
	return nil
}
