package verifier

import (
	"fmt"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
)

// Kinds of trust anchor: where the verifier got the verifying key it checks
// a proof against. A bundle's own key is never one of them.
const (
	// AnchorVKFile: a verifying key file the verifier holds (its own setup,
	// or one it audited with ceremony audit). Its header says which circuit
	// the key is for and how it was made.
	AnchorVKFile = "vk-file"
	// AnchorVKDigest: a verifying-key digest the verifier obtained out of
	// band (prover.VerifyingKeyDigest). It pins the key, and says nothing
	// about its circuit or how it was made.
	AnchorVKDigest = "vk-digest"
	// AnchorKeysManifest: one shard's entry of a keys manifest
	// (prover.KeysManifest) the verifier trusts.
	AnchorKeysManifest = "keys-manifest"
	// AnchorDerived: a PLONK verifying key the verifier computed itself from
	// the model file (deterministic compilation) and an SRS file it trusts.
	AnchorDerived = "derived"
)

// Anchor is a verifying key (or its digest) that the verifier obtained
// itself. Verify checks a bundle's proof against it: the bundle's embedded
// key must be this key, or the bundle is rejected.
type Anchor struct {
	Kind string `json:"kind"`
	// Source names where the anchor came from: a file, or the digest.
	Source   string `json:"source"`
	VKDigest string `json:"vk_digest"`
	// Commitment, when set, is the model commitment the anchor is for (a
	// registry entry's): the proven commitment must be it.
	Commitment string `json:"model_commitment,omitempty"`
	// Header is the pinned key's header (nil for a bare digest): the
	// circuit, visibility, shapes and setup a verifier reports.
	Header *prover.Header `json:"-"`
	key    prover.VerifyingKey
}

// PinKey anchors verification to vk with its header h (from a key file the
// verifier holds, or a key it derived).
func PinKey(kind, source string, vk prover.VerifyingKey, h prover.Header) (*Anchor, error) {
	if h.Format != prover.FormatVerifyingKey || prover.BackendOf(vk) != h.Backend {
		return nil, fmt.Errorf("pin: %s: a %s header for a %s key, want a verifying key header of its backend", source, h.Format, prover.BackendOf(vk))
	}
	// Without the circuit's visibility the header cannot tell a salted
	// commitment from packed values (both one public input): a relabelled
	// tensor would verify, and the key would pin no more than its digest.
	if h.Visibility == nil {
		return nil, fmt.Errorf("pin: %s: %w: the key's header does not record its circuit's visibility (written by an older zkinfer); compile and set up again", source, prover.ErrUnsupportedVersion)
	}
	d, err := prover.VerifyingKeyDigest(vk, h.Layout())
	if err != nil {
		return nil, err
	}
	return &Anchor{Kind: kind, Source: source, VKDigest: d, Header: &h, key: vk}, nil
}

// PinKeyFile anchors verification to the verifying key file at path.
func PinKeyFile(path string) (*Anchor, error) {
	vk, h, err := prover.ReadVerifyingKey(path)
	if err != nil {
		return nil, err
	}
	return PinKey(AnchorVKFile, path, vk, h)
}

// PinDigest anchors verification to a verifying-key digest.
func PinDigest(digest string) (*Anchor, error) {
	d, err := prover.ParseVKDigest(digest)
	if err != nil {
		return nil, fmt.Errorf("pin: %w", err)
	}
	return &Anchor{Kind: AnchorVKDigest, Source: d, VKDigest: d}, nil
}

// PinManifestEntry anchors the verification of one shard to its entry in a
// keys manifest read from source.
func PinManifestEntry(e prover.KeyEntry, source string) *Anchor {
	h := e.Key
	return &Anchor{Kind: AnchorKeysManifest, Source: fmt.Sprintf("%s (shard %d)", source, e.Index), VKDigest: e.VKDigest, Header: &h}
}

// DeriveKey computes the PLONK verifying key of model m from scratch:
// it compiles m's circuit (deterministic) with the given visibility and
// range checks and runs PLONK's setup (deterministic) on srs, an SRS file
// the verifier trusts. The result pins the key to the model itself: a
// proof that verifies against it is a proof about m (fixed weights) or m's
// architecture (hashed or public weights). As slow as compile-circuit and
// setup together.
func DeriveKey(m *quant.Model, vis quant.Visibility, rangeChecks string, srs *prover.SRS, p prover.Progress) (*Anchor, error) {
	c, err := prover.Compile(m, p, prover.WithBackend(prover.BackendPLONK), prover.WithVisibility(vis), prover.WithRangeChecks(rangeChecks))
	if err != nil {
		return nil, fmt.Errorf("derive: %w", err)
	}
	keys, err := prover.SetupPLONK(c, srs, p)
	if err != nil {
		return nil, fmt.Errorf("derive: %w", err)
	}
	return PinKey(AnchorDerived, fmt.Sprintf("model %s with SRS %s", keys.VKHeader.Commitment, srs.Digest), keys.VK, keys.VKHeader)
}

// Layout is the layout of public inputs the bundle claims: its backend,
// visibility, and the shapes and fractions of its input and output.
// Verify compares the digest of the bundle's key with this layout to the
// pinned digest, so a relabelled visibility, shape or fraction is not the
// pinned key.
func (b *Bundle) Layout() prover.Layout {
	vis := b.Visibility
	l := prover.Layout{Backend: b.Backend, Visibility: &vis, WeightsBasis: b.WeightsBasis, InputBasis: b.InputBasis, OutputBasis: b.OutputBasis}
	if t, ok := b.Tensor(TensorInput); ok {
		l.Input = &prover.TensorSpec{Shape: t.Shape, Frac: t.Frac, Parts: t.Parts}
	}
	if t, ok := b.Tensor(TensorOutput); ok {
		l.Output = &prover.TensorSpec{Shape: t.Shape, Frac: t.Frac, Parts: t.Parts}
	}
	return l
}

// resolveKey decodes the bundle's verifying key and checks it, with the
// bundle's layout, is the anchored one; it returns the key to verify with (the anchor's own when it
// has one) and the bundle key's digest.
func resolveKey(b *Bundle, a *Anchor) (prover.VerifyingKey, string, error) {
	vk, err := prover.NewVerifyingKey(b.Backend)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrBundle, err)
	}
	if err := prover.Decode(vk, b.VerifyingKey); err != nil {
		return nil, "", fmt.Errorf("%w: verifying key: %v", ErrBundle, err)
	}
	d, err := prover.VerifyingKeyDigest(vk, b.Layout())
	if err != nil {
		return nil, "", fmt.Errorf("%w: verifying key: %v", ErrBundle, err)
	}
	if a != nil && d != a.VKDigest {
		return nil, "", fmt.Errorf("%w: the bundle's verifying key is %s, the pinned key (%s %s) is %s", ErrKeyMismatch, d, a.Kind, a.Source, a.VKDigest)
	}
	if b.VKDigest != "" && b.VKDigest != d {
		return nil, "", fmt.Errorf("%w: the bundle names verifying key %s but carries %s", ErrBundle, b.VKDigest, d)
	}
	if a == nil {
		return vk, d, nil
	}
	if a.key != nil {
		return a.key, d, nil
	}
	return vk, d, nil
}
