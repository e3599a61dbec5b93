package verifier

import (
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/consensys/gnark-crypto/ecc"
	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/witness"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
)

// Result is what Verify checked. Every field but PublicInputs and
// ModelCommitment (both proven) comes from the anchor: the pinned key's
// header (a key file, a keys manifest, a derived key), or for a bare digest
// the layout the digest covers (visibility, shapes, fractions); a digest
// says nothing of the circuit or the setup, which are then empty or
// "unknown". Only under InsecureUnpinned are they the bundle's claim, and
// IOFrom says so.
type Result struct {
	Backend string `json:"backend"`
	Curve   string `json:"curve"`
	// ModelDigest is the model the pinned key's circuit was compiled from
	// (fixed weights); with hashed or public weights the key serves every
	// model of an architecture, named by Architecture instead.
	ModelDigest  string `json:"model_digest,omitempty"`
	Architecture string `json:"architecture_digest,omitempty"`
	// ModelCommitment is proven: it is a public input of the proof.
	ModelCommitment string           `json:"model_commitment"`
	Visibility      quant.Visibility `json:"visibility"`
	CircuitDigest   string           `json:"circuit_digest"`
	Setup           string           `json:"setup"`
	SetupDigest     string           `json:"setup_digest,omitempty"`
	PublicInputs    int              `json:"public_inputs"`
	// VKDigest is the digest of the key the proof was checked against.
	VKDigest string `json:"vk_digest"`
	// Anchor is what pinned that key; nil only under InsecureUnpinned.
	Anchor *Anchor `json:"anchor"`
	// Input and Output are the shapes and fractions of the carried tensors.
	Input  *prover.TensorSpec `json:"input,omitempty"`
	Output *prover.TensorSpec `json:"output,omitempty"`
	// IOFrom is where Input and Output come from: IOFromKey (checked
	// against the pinned key's header) or IOFromBundle (not authenticated).
	IOFrom string `json:"io_from"`
}

// Where a Result's shapes and fractions come from.
const (
	IOFromKey    = "pinned key"
	IOFromBundle = "bundle (not authenticated)"
)

// Errors of anchoring.
var (
	// ErrNotProduction is returned by Verify with RequireProduction for
	// keys that do not come from a ceremony or an SRS file, or whose origin
	// the anchor cannot tell.
	ErrNotProduction = errors.New("keys from an unsafe dev setup")
	// ErrUnpinned: no anchor, and InsecureUnpinned was not given.
	ErrUnpinned = errors.New("the verifying key is not pinned")
	// ErrKeyMismatch: the bundle's key, circuit, visibility, shapes or
	// commitment are not the pinned key's.
	ErrKeyMismatch = fmt.Errorf("%w: not the pinned verifying key", ErrRejected)
)

// Option configures Verify.
type Option func(*options)

type options struct {
	production, insecure bool
	proofHash            string // prover.ProofHashMiMC for shards proven for aggregation
	// inBasis and outBasis are the basis files of a committed input and
	// output (IOBasisFiles).
	inBasis, outBasis string
}

// IOBasisFiles gives the basis files of a committed input and output
// (prover.InputBasisPath, prover.OutputBasisPath: setup writes them beside
// the verifying key): Verify reads each committed side's and checks its
// digest against the pinned layout's (the pinned key header's, or for a
// bare digest the bundle's, which that digest covers) before recomputing
// the side's public input from the carried values. Empty paths are for
// sides that are not committed.
func IOBasisFiles(input, output string) Option {
	return func(o *options) { o.inBasis, o.outBasis = input, output }
}

// RequireProduction makes Verify refuse keys that the anchor's header does
// not show were made by a ceremony or from an SRS file (ErrNotProduction),
// before any checking. A bare digest cannot show it.
func RequireProduction() Option { return func(o *options) { o.production = true } }

// InsecureUnpinned lets Verify check a proof against the bundle's own key
// when no anchor is given. The result then proves only that someone holding
// some key made a proof: nothing about a model. For debugging.
func InsecureUnpinned() Option { return func(o *options) { o.insecure = true } }

// Verify checks the bundle's proof against the anchored verifying key a:
// the bundle's embedded key must be the pinned one (ErrKeyMismatch), and
// where the anchor has a key header, the bundle's backend, visibility,
// shapes, fractions and (fixed weights) model commitment must be the
// header's. It returns an error wrapping ErrRejected when the proof does
// not verify, ErrBundle when the bundle cannot be checked at all and
// ErrUnpinned when a is nil (unless InsecureUnpinned).
//
// Nothing the bundle says about itself is believed: its setup label, its
// digests, its key. A verifier's verdict is as good as its anchor.
func Verify(b *Bundle, a *Anchor, opts ...Option) (*Result, error) {
	return verify(b, a, checkLayout, opts...)
}

func verify(b *Bundle, a *Anchor, layout func(*Bundle) error, opts ...Option) (*Result, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	if a == nil && !o.insecure {
		return nil, ErrUnpinned
	}
	var h *prover.Header
	if a != nil {
		h = a.Header
	}
	if o.production {
		if h == nil {
			return nil, fmt.Errorf("%w: a key pinned by %s does not show how it was made; pin the key file or a keys manifest", ErrNotProduction, anchorKind(a))
		}
		if !prover.IsProduction(h.Setup) {
			return nil, fmt.Errorf("%w: the pinned key's setup is %q; production keys come from a Groth16 ceremony (%s) or a PLONK SRS file (%s)", ErrNotProduction, h.Setup, prover.SetupGroth16MPC, prover.SetupKZGSRS)
		}
	}
	if prover.CheckBackend(b.Backend) != nil || b.Curve != prover.CurveBN254 {
		return nil, fmt.Errorf("%w: backend %q on curve %q is not supported (supported: %s or %s on %s)", ErrBundle, b.Backend, b.Curve, prover.BackendGroth16, prover.BackendPLONK, prover.CurveBN254)
	}
	if err := layout(b); err != nil {
		return nil, err
	}
	if err := checkAgainstHeader(b, h); err != nil {
		return nil, err
	}
	if a != nil && a.Commitment != "" && !sameModel(a.Commitment, b.ModelCommitment) {
		return nil, fmt.Errorf("%w: the bundle claims model %s, the anchor (%s %s) is for model %s", ErrKeyMismatch, b.ModelCommitment, a.Kind, a.Source, a.Commitment)
	}
	vk, digest, err := resolveKey(b, a)
	if err != nil {
		return nil, err
	}
	// The parts the values are read by: the pinned key's header's; for a
	// bare digest the bundle's layout, which resolveKey found to be the
	// pinned digest's.
	pinned := b.Layout()
	if h != nil {
		pinned.Input, pinned.Output = h.Input, h.Output
		pinned.InputBasis, pinned.OutputBasis = h.InputBasis, h.OutputBasis
	}
	bases, err := readIOBases(b, pinned, o)
	if err != nil {
		return nil, err
	}
	n, err := verifyProofBases(b, vk, pinned, o.proofHash, bases)
	if err != nil {
		return nil, err
	}
	res := &Result{Backend: b.Backend, Curve: b.Curve, ModelCommitment: b.ModelCommitment, Visibility: b.Visibility, PublicInputs: n, VKDigest: digest, Anchor: a, IOFrom: IOFromBundle}
	if in, ok := b.Tensor(TensorInput); ok {
		res.Input = &prover.TensorSpec{Shape: in.Shape, Frac: in.Frac, Parts: partsOf(pinned.Input)}
	}
	if out, ok := b.Tensor(TensorOutput); ok {
		res.Output = &prover.TensorSpec{Shape: out.Shape, Frac: out.Frac, Parts: partsOf(pinned.Output)}
	}
	switch {
	case h != nil:
		res.CircuitDigest, res.Setup, res.SetupDigest = h.CircuitDigest, h.Setup, h.SetupDigest
		if h.IO().Weights == quant.VisibilityFixed {
			res.ModelDigest = h.ModelDigest
		} else {
			res.Architecture = h.Architecture
		}
		if h.Input != nil && h.Output != nil {
			res.IOFrom = IOFromKey
		}
	case a != nil:
		// The digest covers the layout: shapes and fractions are pinned.
		res.Setup, res.IOFrom = "unknown (pinned by digest)", IOFromKey
	default:
		res.ModelDigest, res.CircuitDigest, res.Setup, res.SetupDigest = b.ModelDigest, b.CircuitDigest, b.Setup+" (claimed by the bundle)", b.SetupDigest
	}
	return res, nil
}

func partsOf(s *prover.TensorSpec) []prover.PartSpec {
	if s == nil {
		return nil
	}
	return s.Parts
}

func anchorKind(a *Anchor) string {
	if a == nil {
		return "nothing"
	}
	return a.Kind
}

// checkAgainstHeader checks what a pinned key's header fixes: backend,
// visibility, the shapes and fractions of input and output, and with fixed
// weights the model commitment.
func checkAgainstHeader(b *Bundle, h *prover.Header) error {
	if h == nil {
		return nil
	}
	if h.Backend != b.Backend {
		return fmt.Errorf("%w: the bundle is a %s proof, the pinned key is for %s", ErrKeyMismatch, b.Backend, h.Backend)
	}
	if h.Visibility != nil && *h.Visibility != b.Visibility {
		return fmt.Errorf("%w: the bundle's visibility is %+v, the pinned key's %+v", ErrKeyMismatch, b.Visibility, *h.Visibility)
	}
	if h.IO().Weights == quant.VisibilityFixed && h.Commitment != "" && h.Commitment != b.ModelCommitment {
		return fmt.Errorf("%w: the bundle claims model %s, the pinned key is for model %s", ErrKeyMismatch, b.ModelCommitment, h.Commitment)
	}
	for _, c := range []struct {
		name string
		spec *prover.TensorSpec
	}{{TensorInput, h.Input}, {TensorOutput, h.Output}} {
		t, ok := b.Tensor(c.name)
		if c.spec == nil || !ok {
			continue
		}
		if !slices.Equal(t.Shape, c.spec.Shape) || t.Frac != c.spec.Frac {
			return fmt.Errorf("%w: the bundle's %s is shape %v at frac %d, the pinned key's is shape %v at frac %d", ErrKeyMismatch, c.name, t.Shape, t.Frac, c.spec.Shape, c.spec.Frac)
		}
		if !sameParts(t.Parts, c.spec.Parts) {
			return fmt.Errorf("%w: the bundle's %s declares parts %s, the pinned key's are %s", ErrKeyMismatch, c.name, describeParts(t.Parts), describeParts(c.spec.Parts))
		}
	}
	return nil
}

func sameParts(a, b []prover.PartSpec) bool {
	return slices.EqualFunc(a, b, func(x, y prover.PartSpec) bool {
		return x.Name == y.Name && slices.Equal(x.Shape, y.Shape) && x.DType == y.DType && x.Lo == y.Lo && x.Hi == y.Hi && x.Frac == y.Frac
	})
}

func describeParts(p []prover.PartSpec) string {
	if len(p) == 0 {
		return "none (one int8 tensor)"
	}
	s := ""
	for i, x := range p {
		if i > 0 {
			s += ", "
		}
		dt := x.DType
		if dt == "" {
			dt = "int8"
		}
		s += fmt.Sprintf("%s %s%v [%d, %d]@frac%d", x.Name, dt, x.Shape, x.Lo, x.Hi, x.Frac)
	}
	return s
}

// verifyProof checks the proof of a bundle whose layout was checked against
// vk and the bundle's public inputs, read by the pinned layout l, and
// returns the number of public inputs.
func verifyProof(b *Bundle, vk prover.VerifyingKey, l prover.Layout, proofHash string) (int, error) {
	return verifyProofBases(b, vk, l, proofHash, nil)
}

// verifyProofBases is verifyProof with the bases of committed input and
// output (readIOBases), keyed by tensor name.
func verifyProofBases(b *Bundle, vk prover.VerifyingKey, l prover.Layout, proofHash string, bases map[string][]curve.G1Affine) (int, error) {
	proof, err := prover.NewProof(b.Backend)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	if err := prover.Decode(proof, b.Proof); err != nil {
		return 0, fmt.Errorf("%w: proof: %v", ErrBundle, err)
	}
	pub, n, err := publicWitnessBases(b, l.Input, l.Output, bases)
	if err != nil {
		return 0, err
	}
	if want := nbPublic(vk); n != want {
		return 0, fmt.Errorf("%w: %d public inputs, the verifying key expects %d", ErrBundle, n, want)
	}
	if err := prover.VerifyWithHash(vk, proof, pub, proofHash); err != nil {
		return 0, fmt.Errorf("%w: %v", ErrRejected, err)
	}
	return n, nil
}

// CheckLayout checks a single bundle's public tensors are input, output,
// [weights,] model, each encoded as the bundle's visibility says (Verify
// does; the on-chain paths must too): the layout digest covers the
// visibility, not the tensors' encodings, so without it a bundle could
// carry a hashed or committed side as a salted commitment, its public
// input then the prover's rather than recomputed from the values.
func CheckLayout(b *Bundle) error { return checkLayout(b) }

// checkLayout checks the public tensors are input, output and model, encoded
// as the bundle's visibility says, so that a bundle cannot label a hashed
// value public or drop the model commitment.
func checkLayout(b *Bundle) error {
	enc := map[string]string{quant.VisibilityPublic: EncodingPackedInt8, quant.VisibilityHashed: EncodingHashedInt8, quant.VisibilityPrivate: EncodingSaltedInt8, quant.VisibilityCommitted: EncodingCommittedInt8}
	partsEnc := map[string]string{quant.VisibilityPublic: EncodingPackedParts, quant.VisibilityHashed: EncodingHashedParts, quant.VisibilityPrivate: EncodingSaltedParts}
	encOf := func(name, vis string) string {
		if vis == quant.VisibilityMixed {
			return EncodingMixedParts
		}
		// A parts tensor names its parts; whether the pinned layout has
		// them is checked against the anchor (checkAgainstHeader, the
		// layout digest).
		if t, ok := b.Tensor(name); ok && len(t.Parts) > 0 {
			return partsEnc[vis]
		}
		return enc[vis]
	}
	want := []struct{ name, enc string }{{TensorInput, encOf(TensorInput, b.Visibility.Input)}, {TensorOutput, encOf(TensorOutput, b.Visibility.Output)}}
	if b.Visibility.Weights == quant.VisibilityPublic {
		want = append(want, struct{ name, enc string }{TensorWeights, EncodingWeightElements})
	}
	want = append(want, struct{ name, enc string }{TensorModel, EncodingModelCommitment})
	if len(b.PublicInputs) != len(want) {
		return fmt.Errorf("%w: %d public tensors, want %d (input, output, [weights,] model)", ErrBundle, len(b.PublicInputs), len(want))
	}
	for i, w := range want {
		if t := b.PublicInputs[i]; t.Name != w.name || t.Encoding != w.enc {
			return fmt.Errorf("%w: public tensor %d is %q (%s), want %q (%s)", ErrBundle, i, t.Name, t.Encoding, w.name, w.enc)
		}
	}
	return nil
}

// nbPublic is the number of public inputs vk expects. A Groth16 key's K
// holds one point per public input, one for the constant wire and one per
// BSB22 commitment, which gnark's NbPublicWitness counts as inputs.
func nbPublic(vk prover.VerifyingKey) int {
	if g, ok := vk.(*groth16bn254.VerifyingKey); ok {
		return len(g.G1.K) - 1 - len(g.CommitmentKeys)
	}
	return vk.NbPublicWitness()
}

// Decode returns the bundle's verifying key and proof, decoded for its backend.
func Decode(b *Bundle) (prover.VerifyingKey, prover.ProofData, error) {
	vk, err := prover.NewVerifyingKey(b.Backend)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	if err := prover.Decode(vk, b.VerifyingKey); err != nil {
		return nil, nil, fmt.Errorf("%w: verifying key: %v", ErrBundle, err)
	}
	proof, _ := prover.NewProof(b.Backend)
	if err := prover.Decode(proof, b.Proof); err != nil {
		return nil, nil, fmt.Errorf("%w: proof: %v", ErrBundle, err)
	}
	return vk, proof, nil
}

// PublicWitness builds gnark's public witness from the bundle's tensors, in
// order, encoding each as the circuit exposes it: packed values are packed
// again and hashed values hashed again, so a bundle whose carried values
// differ from what was proven fails verification. Parts tensors are read by
// the bundle's own layout (Bundle.Layout), which is only as good as the
// check of that layout against a pinned digest; Verify reads them by the
// pinned key's.
func PublicWitness(b *Bundle) (witness.Witness, int, error) {
	l := b.Layout()
	return publicWitness(b, l.Input, l.Output)
}

// PublicWitnessWith is PublicWitness for a bundle with a committed input
// or output: opts give the basis files (IOBasisFiles), which are read and
// checked against the bundle's own layout (its input_basis and
// output_basis), only as good as the check of that layout against a pinned
// digest (contracts.CheckBundleKey, Verify).
func PublicWitnessWith(b *Bundle, opts ...Option) (witness.Witness, int, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	l := b.Layout()
	bases, err := readIOBases(b, l, o)
	if err != nil {
		return nil, 0, err
	}
	return publicWitnessBases(b, l.Input, l.Output, bases)
}

// publicWitness is PublicWitness with the parts of input and output taken
// from in and out (the pinned layout's).
func publicWitness(b *Bundle, in, out *prover.TensorSpec) (witness.Witness, int, error) {
	return publicWitnessBases(b, in, out, nil)
}

// publicWitnessBases is publicWitness with the bases of committed sides.
func publicWitnessBases(b *Bundle, in, out *prover.TensorSpec, bases map[string][]curve.G1Affine) (witness.Witness, int, error) {
	var vals []*big.Int
	for _, t := range b.PublicInputs {
		var (
			els []*big.Int
			err error
		)
		spec := in
		if t.Name == TensorOutput {
			spec = out
		}
		switch t.Encoding {
		case EncodingMixedParts:
			els, err = mixedPublic(b, t, spec)
		case EncodingPackedParts, EncodingHashedParts:
			var values [][]int64
			if values, err = pinnedParts(t, spec); err != nil {
				break
			}
			parts := spec.Parts
			if t.Encoding == EncodingPackedParts {
				els, err = quant.PackParts(parts, values)
				break
			}
			var h fr.Element
			if h, err = quant.HashParts(parts, values, nil); err == nil {
				els = []*big.Int{h.BigInt(new(big.Int))}
			}
		case EncodingSaltedParts, EncodingChainParts:
			if _, err = pinnedParts(t, spec); err != nil {
				break
			}
			var c fr.Element
			if c, err = parseElement(t.Commitment); err == nil {
				els = []*big.Int{c.BigInt(new(big.Int))}
			}
		case EncodingPackedInt8:
			els, err = quant.PackInt8(t.Values)
		case EncodingHashedInt8:
			var h fr.Element
			if h, err = quant.HashPacked(t.Values, nil); err == nil {
				els = []*big.Int{h.BigInt(new(big.Int))}
			}
		case EncodingCommittedInt8:
			basis, ok := bases[t.Name]
			if !ok {
				err = fmt.Errorf("a %s tensor needs the pinned key's %s basis (verifier.IOBasisFiles; zkinfer verify finds it beside --vk)", quant.VisibilityCommitted, t.Name)
				break
			}
			var c fr.Element
			if c, err = prover.CommittedValues(t.Values, basis); err == nil {
				els = []*big.Int{c.BigInt(new(big.Int))}
			}
		case EncodingSaltedInt8, EncodingChainHash:
			var c fr.Element
			if c, err = parseElement(t.Commitment); err == nil {
				els = []*big.Int{c.BigInt(new(big.Int))}
			}
		case EncodingWeightElements:
			for _, e := range t.Elements {
				var c fr.Element
				if c, err = parseElement(e); err != nil {
					break
				}
				els = append(els, c.BigInt(new(big.Int)))
			}
		case EncodingModelCommitment:
			var c fr.Element
			if c, err = parseCommitment(b.ModelCommitment, b.Visibility.Weights); err == nil {
				els = []*big.Int{c.BigInt(new(big.Int))}
			}
		default:
			err = fmt.Errorf("encoding %q", t.Encoding)
		}
		if err != nil {
			return nil, 0, fmt.Errorf("%w: tensor %q: %v", ErrBundle, t.Name, err)
		}
		vals = append(vals, els...)
	}
	w, err := witness.New(ecc.BN254.ScalarField())
	if err != nil {
		return nil, 0, err
	}
	ch := make(chan any, len(vals))
	for _, v := range vals {
		ch <- v
	}
	close(ch)
	if err := w.Fill(len(vals), 0, ch); err != nil {
		return nil, 0, fmt.Errorf("%w: public inputs: %v", ErrBundle, err)
	}
	return w, len(vals), nil
}

// mixedPublic is the public inputs of a mixed tensor read by the pinned
// spec's parts, each with the visibility the bundle's Visibility gives it
// (the pinned key's: checkAgainstHeader, the layout digest): the public
// parts packed again, the hashed parts hashed again, then the private
// group's commitment.
func mixedPublic(b *Bundle, t Tensor, spec *prover.TensorSpec) ([]*big.Int, error) {
	if _, err := pinnedParts(t, spec); err != nil {
		return nil, err
	}
	vis, err := b.sideOf(t.Name, spec.Parts)
	if err != nil {
		return nil, err
	}
	if err := checkMixed(Tensor{Parts: spec.Parts, Values: t.Values, Commitment: t.Commitment}, vis); err != nil {
		return nil, err
	}
	values, err := MixedValues(t, spec.Parts, vis)
	if err != nil {
		return nil, err
	}
	pub, hashed, private := quant.PartGroups(vis)
	var out []*big.Int
	if len(pub) > 0 {
		els, err := quant.PackParts(quant.Pick(spec.Parts, pub), quant.Pick(values, pub))
		if err != nil {
			return nil, err
		}
		out = append(out, els...)
	}
	if len(hashed) > 0 {
		h, err := quant.HashParts(quant.Pick(spec.Parts, hashed), quant.Pick(values, hashed), nil)
		if err != nil {
			return nil, err
		}
		out = append(out, h.BigInt(new(big.Int)))
	}
	if len(private) > 0 {
		c, err := parseElement(t.Commitment)
		if err != nil {
			return nil, err
		}
		out = append(out, c.BigInt(new(big.Int)))
	}
	return out, nil
}

// pinnedParts cuts a parts tensor's values by the pinned spec's parts,
// after checking the pinned layout has parts for it at all and that the
// tensor declares the same ones (a clear error rather than a failed proof).
func pinnedParts(t Tensor, spec *prover.TensorSpec) ([][]int64, error) {
	if spec == nil || len(spec.Parts) == 0 {
		return nil, fmt.Errorf("%w: a %s tensor, the pinned layout has no parts for it", ErrKeyMismatch, t.Encoding)
	}
	if !sameParts(t.Parts, spec.Parts) {
		return nil, fmt.Errorf("%w: the tensor declares parts %s, the pinned layout's are %s", ErrKeyMismatch, describeParts(t.Parts), describeParts(spec.Parts))
	}
	if t.Encoding == EncodingSaltedParts || t.Encoding == EncodingChainParts || t.Encoding == EncodingMixedParts {
		return nil, nil
	}
	return quant.SplitParts(spec.Parts, t.Values)
}

// sameModel reports whether an anchor's model commitment names the bundle's:
// the same text, or the same field element under either label. A registry
// stores the bare field element, so a registry anchor writes it in the
// Poseidon2 form (quant.FormatCommitment) whatever the weights' visibility,
// and a committed-weights bundle labels the same element bsb22-keccak:. The
// label carries no security: the pinned key's digest covers its layout,
// visibility included (resolveKey), so comparing values is as strict as
// comparing labels.
func sameModel(anchor, bundle string) bool {
	if anchor == bundle {
		return true
	}
	ae, aerr := parseAnyCommitment(anchor)
	be, berr := parseAnyCommitment(bundle)
	return aerr == nil && berr == nil && ae.Equal(&be)
}

func parseAnyCommitment(s string) (fr.Element, error) {
	for _, prefix := range []string{quant.CommitmentPrefix, prover.CommittedPrefix} {
		if h, ok := strings.CutPrefix(s, prefix); ok {
			return parseElement(h)
		}
	}
	return fr.Element{}, fmt.Errorf("%q is not a model commitment", s)
}

// readIOBases reads the basis file of each committed side of the bundle
// (the paths of IOBasisFiles) and checks it against the pinned layout's
// IOBasis: the pinned key header's or, for a bare digest, the bundle's,
// which resolveKey found that digest to cover. A side the pinned layout
// does not commit gets no basis, so a bundle that claims committed
// against a key that is not fails.
func readIOBases(b *Bundle, pinned prover.Layout, o options) (map[string][]curve.G1Affine, error) {
	var out map[string][]curve.G1Affine
	for _, s := range []struct {
		name, path string
		want       *prover.IOBasis
	}{{TensorInput, o.inBasis, pinned.InputBasis}, {TensorOutput, o.outBasis, pinned.OutputBasis}} {
		t, ok := b.Tensor(s.name)
		if !ok || t.Encoding != EncodingCommittedInt8 {
			continue
		}
		if s.want == nil {
			return nil, fmt.Errorf("%w: the bundle's %s is %s, the pinned key has no %s basis", ErrKeyMismatch, s.name, quant.VisibilityCommitted, s.name)
		}
		if s.path == "" {
			return nil, fmt.Errorf("%w: the bundle's %s is %s: the pinned key's %s basis file is needed to recompute its public input (setup wrote it beside the verifying key, vk.%s.basis)", ErrBundle, s.name, quant.VisibilityCommitted, s.name, s.name)
		}
		basis, err := prover.ReadIOBasis(s.path, s.want)
		if err != nil {
			return nil, fmt.Errorf("%w: %s basis: %v", ErrKeyMismatch, s.name, err)
		}
		if out == nil {
			out = map[string][]curve.G1Affine{}
		}
		out[s.name] = basis
	}
	return out, nil
}
