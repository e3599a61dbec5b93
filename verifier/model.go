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

// CheckModel checks that the bundle, verified against anchor a (Verify),
// is about model m: m's commitment must be the bundle's proven one, and the
// circuit compiled from m (for the bundle's backend and visibility) must be
// the circuit the anchored key is for. Compilation is deterministic, so
// with a key the verifier holds (or derived) this pins the proof to m with
// fixed weights, and to m's architecture with hashed or public weights,
// where the commitment, a public input the circuit recomputes from the
// witness weights, pins the weights. A bare digest names no circuit, so it
// cannot be checked against a model (ErrUnpinned). It compiles the circuit:
// as slow as compile-circuit; a derived anchor was compiled from the model
// already, so only the commitment is compared.
func CheckModel(b *Bundle, a *Anchor, m *quant.Model, p prover.Progress) error {
	if a == nil || a.Header == nil {
		return fmt.Errorf("%w: a key pinned by %s names no circuit to compile the model against; pin the key file (--vk) or a keys manifest", ErrUnpinned, anchorKind(a))
	}
	if a.Header.IO().Weights == quant.VisibilityCommitted {
		return fmt.Errorf("%w: a committed-weights model commitment is over the key's weights basis: use CheckModelBasis (verify --weights-basis)", ErrBundle)
	}
	commit, err := quant.CommitString(m)
	if err != nil {
		return fmt.Errorf("model: %w", err)
	}
	return checkModel(b, a, m, commit, p)
}

// CheckModelBasis is CheckModel for committed weights: the model's
// commitment is recomputed from m and the basis file at basisPath, which
// must be the one the pinned key's header names (its digest).
func CheckModelBasis(b *Bundle, a *Anchor, m *quant.Model, basisPath string, p prover.Progress) error {
	if a == nil || a.Header == nil {
		return fmt.Errorf("%w: a key pinned by %s names no circuit to compile the model against; pin the key file (--vk) or a keys manifest", ErrUnpinned, anchorKind(a))
	}
	basis, err := prover.ReadWeightsBasis(basisPath, a.Header.WeightsBasis)
	if err != nil {
		return fmt.Errorf("model: %w", err)
	}
	commit, err := prover.CommittedCommitment(m, basis)
	if err != nil {
		return fmt.Errorf("model: %w", err)
	}
	return checkModel(b, a, m, commit, p)
}

func checkModel(b *Bundle, a *Anchor, m *quant.Model, commit string, p prover.Progress) error {
	if commit != b.ModelCommitment {
		return fmt.Errorf("%w: the model's is %s, the bundle's %s", ErrModelMismatch, commit, b.ModelCommitment)
	}
	if a.Kind == AnchorDerived {
		return nil
	}
	c, err := prover.Compile(m, p, prover.WithBackend(a.Header.Backend), prover.WithVisibility(a.Header.IO()), prover.WithRangeChecks(a.Header.RangeChecks))
	if err != nil {
		return fmt.Errorf("model: %w", err)
	}
	if c.Header.CircuitDigest != a.Header.CircuitDigest {
		return fmt.Errorf("%w: the model compiles to %s, the pinned key (%s) is for %s", ErrCircuitMismatch, c.Header.CircuitDigest, a.Source, a.Header.CircuitDigest)
	}
	return nil
}

// ErrOpening is returned by Open when values and salt do not open a private
// tensor's commitment.
var ErrOpening = fmt.Errorf("%w: commitment opening mismatch", ErrRejected)

// Open checks that values with salt (from the prover's salts file) open the
// commitment of the bundle's private tensor name: how a host reveals a
// private input or output to one auditor without a new proof. For a mixed
// tensor (EncodingMixedParts) values are the private parts' only, one
// after the other in part order.
func Open(b *Bundle, name string, values []int64, salt fr.Element) error {
	t, ok := b.Tensor(name)
	if ok && t.Encoding == EncodingMixedParts && t.Commitment != "" {
		return openMixed(b, t, values, salt)
	}
	if !ok || (t.Encoding != EncodingSaltedInt8 && t.Encoding != EncodingSaltedParts) {
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
	var got fr.Element
	if t.Encoding == EncodingSaltedParts {
		// The bundle's parts: verify checks them against the pinned key.
		var parts [][]int64
		if parts, err = quant.SplitParts(t.Parts, values); err == nil {
			got, err = quant.HashParts(t.Parts, parts, &salt)
		}
	} else {
		got, err = quant.HashPacked(values, &salt)
	}
	if err != nil {
		return fmt.Errorf("%w: %v", ErrOpening, err)
	}
	if got != want {
		return fmt.Errorf("%w: tensor %q", ErrOpening, name)
	}
	return nil
}

// openMixed is Open for the private group of a mixed tensor: values, the
// private parts' values in part order, with salt must hash (quant.HashParts
// of the private parts) to the tensor's commitment.
func openMixed(b *Bundle, t *Tensor, values []int64, salt fr.Element) error {
	want, err := parseElement(t.Commitment)
	if err != nil {
		return fmt.Errorf("%w: tensor %q: %v", ErrBundle, t.Name, err)
	}
	vis, err := b.sideOf(t.Name, t.Parts)
	if err != nil {
		return fmt.Errorf("%w: tensor %q: %v", ErrBundle, t.Name, err)
	}
	_, _, private := quant.PartGroups(vis)
	parts := quant.Pick(t.Parts, private)
	cut, err := quant.SplitParts(parts, values)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrOpening, err)
	}
	got, err := quant.HashParts(parts, cut, &salt)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrOpening, err)
	}
	if got != want {
		return fmt.Errorf("%w: tensor %q", ErrOpening, t.Name)
	}
	return nil
}
