package verifier

import (
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
)

// Errors of CheckModel; each wraps ErrRejected.
var (
	ErrModelMismatch   = fmt.Errorf("%w: model commitment mismatch", ErrRejected)
	ErrCircuitMismatch = fmt.Errorf("%w: circuit digest mismatch", ErrRejected)
)

// CheckModel checks that the bundle is about model m: m's commitment must be
// the bundle's, and the circuit compiled from m (for the bundle's backend and
// visibility) must have the bundle's circuit digest. Compilation is
// deterministic, so the digest pins the circuit, and with it the verifying
// key: to m with fixed weights; to m's architecture with hashed or public
// weights, where the commitment, a public input the circuit recomputes from
// the witness weights, pins the weights. It compiles the circuit: as slow as
// compile-circuit.
func CheckModel(b *Bundle, m *quant.Model, p prover.Progress) error {
	commit, err := quant.CommitString(m)
	if err != nil {
		return fmt.Errorf("model: %w", err)
	}
	if commit != b.ModelCommitment {
		return fmt.Errorf("%w: the model's is %s, the bundle's %s", ErrModelMismatch, commit, b.ModelCommitment)
	}
	c, err := prover.Compile(m, p, prover.WithBackend(b.Backend), prover.WithVisibility(b.Visibility), prover.WithRangeChecks(b.RangeChecks))
	if err != nil {
		return fmt.Errorf("model: %w", err)
	}
	if c.Header.CircuitDigest != b.CircuitDigest {
		return fmt.Errorf("%w: the model compiles to %s, the bundle names %s", ErrCircuitMismatch, c.Header.CircuitDigest, b.CircuitDigest)
	}
	return nil
}

// ErrOpening is returned by Open when values and salt do not open a private
// tensor's commitment.
var ErrOpening = fmt.Errorf("%w: commitment opening mismatch", ErrRejected)

// Open checks that values with salt (from the prover's salts file) open the
// commitment of the bundle's private tensor name: how a host reveals a
// private input or output to one auditor without a new proof.
func Open(b *Bundle, name string, values []int64, salt fr.Element) error {
	t, ok := b.Tensor(name)
	if !ok || t.Encoding != EncodingSaltedInt8 {
		return fmt.Errorf("%w: no private tensor %q", ErrBundle, name)
	}
	want, err := parseElement(t.Commitment)
	if err != nil {
		return fmt.Errorf("%w: tensor %q: %v", ErrBundle, name, err)
	}
	n := 1
	for _, s := range t.Shape {
		n *= s
	}
	if len(values) != n {
		return fmt.Errorf("%w: %d values for shape %v", ErrOpening, len(values), t.Shape)
	}
	got, err := quant.HashPacked(values, &salt)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrOpening, err)
	}
	if got != want {
		return fmt.Errorf("%w: tensor %q", ErrOpening, name)
	}
	return nil
}
