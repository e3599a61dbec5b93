// Package verifier defines the proof bundle and verifies it offline.
//
// A bundle is the evidence of one inference: the proof, the public inputs
// (named, with their fixed-point scales, and the input and output values as
// their visibility allows), the model commitment (itself a public input),
// and, for convenience, the verifying key with its digest and the host's
// account of the circuit and setup. The prover controls every byte of it,
// so a bundle alone proves nothing about a model: Verify checks it against
// an Anchor, a verifying key the verifier obtained itself (a key file, a
// digest, a keys manifest, or a key derived from the model file), and
// reports what the anchor says, never what the bundle says of itself.
// CheckModel ties the anchored key to a model file.
package verifier

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
)

// MediaType is the only bundle format this build reads and writes. v2
// binds tensor lengths into the input/output hashes, encodes the model
// commitment as quant.CommitmentVersion 2 and names the layout-bound
// verifying-key digest; a v1 bundle cannot verify under it.
const MediaType = "application/vnd.zkinfer.bundle.v2+json"

// v1 media types, refused with a hint to prove again.
const (
	mediaTypeV1        = "application/vnd.zkinfer.bundle.v1+json"
	shardedMediaTypeV1 = "application/vnd.zkinfer.sharded-bundle.v1+json"
)

// errV1 explains why a v1 bundle is refused.
func errV1(got, want string) error {
	return fmt.Errorf("%w: %q was written by an earlier zkinfer whose tensor hashes and model commitments this build does not use (this build reads %q): prove again", ErrUnsupportedVersion, got, want)
}

// Limits enforced while parsing a bundle.
const (
	MaxBundleSize   = 64 << 20
	MaxPublicValues = 1 << 20
)

// Errors of bundle reading and verification.
var (
	ErrBundle             = errors.New("bad bundle")
	ErrUnsupportedVersion = fmt.Errorf("%w: unsupported media type", ErrBundle)
	ErrRejected           = errors.New("proof rejected")
)

// Encodings of a tensor in public inputs, one per visibility
// (quant.Visibility), plus the model commitment's.
const (
	// EncodingPackedInt8 (public): quant.PackInt8, 31 values per field
	// element, each a public input.
	EncodingPackedInt8 = "int8-packed-31"
	// EncodingHashedInt8 (hashed): one public input, quant.HashPacked of the
	// values, which the bundle carries and the verifier hashes again.
	EncodingHashedInt8 = "poseidon2-int8-packed-31"
	// EncodingSaltedInt8 (private): one public input, quant.HashPacked with
	// a salt only the prover's host knows; the bundle carries the
	// commitment (Tensor.Commitment) and no values.
	EncodingSaltedInt8 = "poseidon2-salted-int8-packed-31"
	// EncodingCommittedInt8 (committed, Groth16): one public input,
	// Keccak256 mod r of the BSB22 commitment point Σ v_j·B_j of the
	// values over the pinned key's input (output) basis
	// (prover.CommittedValues); the bundle carries the values and the
	// verifier recomputes the point from them and the basis file of the
	// key it pinned (never one the bundle names unless the pinned digest
	// covers it).
	EncodingCommittedInt8 = "bsb22-keccak-int8"
	// EncodingChainHash (between the shards of a sharded bundle): one
	// public input, quant.HashPacked of the activation (no salt), carried
	// as Tensor.Commitment without the values; the output of one shard and
	// the input of the next must carry the same hash.
	EncodingChainHash = "poseidon2-int8-packed-31-chain"
	// EncodingChainParts (between the shards of a graph sharded bundle
	// whose boundary is several tensors or index values): one public input,
	// quant.HashParts of the values (no salt), carried as
	// Tensor.Commitment with the parts and without the values.
	EncodingChainParts = "poseidon2-parts-chain"
	// EncodingPackedParts (public, a model whose inputs or outputs are
	// parts: several graph inputs, index inputs): quant.PackParts of the
	// values, all parts one after the other, cut by the parts of the
	// pinned layout (prover.TensorSpec.Parts), never the bundle's.
	EncodingPackedParts = "parts-packed"
	// EncodingHashedParts (hashed): one public input, quant.HashParts of
	// the values (no salt), cut by the pinned parts.
	EncodingHashedParts = "poseidon2-parts"
	// EncodingSaltedParts (private): one public input, quant.HashParts with
	// a salt, carried as Tensor.Commitment without the values.
	EncodingSaltedParts = "poseidon2-salted-parts"
	// EncodingMixedParts (parts of different visibilities, quant.Visibility
	// "Per-part visibility"): the public inputs of circuits/modelio "Parts
	// of different visibilities": the public parts packed, one hash of the
	// hashed parts, one salted commitment of the private parts. The tensor
	// carries the values of the public and hashed parts, one part after
	// the other in part order (Values; the private parts' are withheld),
	// and the private group's commitment (Commitment, when a part is
	// private). Each part's visibility is the bundle's Visibility, which
	// Verify checks is the pinned key's, and the values are cut by the
	// pinned parts.
	EncodingMixedParts = "parts-mixed"
	// EncodingModelCommitment: one public input, the bundle's
	// ModelCommitment.
	EncodingModelCommitment = "model-commitment"
	// EncodingWeightElements (public weights): the weight elements of the
	// model encoding (quant.EncodeLayout: packed weights, biases,
	// multipliers, LayerNorm parameters, in encoding order), one public
	// input each, carried in Tensor.Elements.
	EncodingWeightElements = "model-weight-elements"
)

// Tensor is a named group of public values: integers held at scale 2^-Frac,
// exposed to the verifier in the given encoding.
type Tensor struct {
	Name     string  `json:"name"`
	Shape    []int   `json:"shape"`
	Frac     int     `json:"frac"`
	Encoding string  `json:"encoding"`
	Values   []int64 `json:"values"`
	// Commitment is the public input of a private tensor ("0x" + 64 hex).
	Commitment string `json:"commitment,omitempty"`
	// Elements are the field elements of public weights ("0x" + 64 hex each).
	Elements []string `json:"elements,omitempty"`
	// Parts are the parts of a parts-encoded tensor (EncodingPackedParts,
	// EncodingHashedParts, EncodingSaltedParts): what the prover says. The
	// layout digest covers them and Verify checks them against the pinned
	// key's, then reads the values by the pinned parts.
	Parts []PartSpec `json:"parts,omitempty"`
}

// PartSpec is one part of a parts-encoded tensor (prover.PartSpec).
type PartSpec = quant.IOPart

// Bundle is a self-contained proof of one inference.
type Bundle struct {
	MediaType   string `json:"media_type"`
	Backend     string `json:"backend"`
	Curve       string `json:"curve"`
	ModelDigest string `json:"model_digest"`
	// ModelCommitment is quant.CommitString of the model, also the last
	// public input: the proof fails if it is not the circuit's.
	ModelCommitment string           `json:"model_commitment"`
	Visibility      quant.Visibility `json:"visibility"`
	// SettingsDigest is the SHA-256 of the settings file the circuit was
	// compiled from, when it was compiled from one.
	SettingsDigest string `json:"settings_digest,omitempty"`
	// RangeChecks is the circuit's range-check strategy when not the
	// default (prover.RangeChecksBits): needed to recompile it.
	RangeChecks   string `json:"range_checks,omitempty"`
	CircuitDigest string `json:"circuit_digest"`
	// Setup is how the keys were made (prover.SetupDevUnsafe,
	// SetupGroth16MPC, SetupKZGSRS) and SetupDigest the digest of the
	// ceremony transcript or SRS file, for the latter two.
	Setup        string    `json:"setup"`
	SetupDigest  string    `json:"setup_digest,omitempty"`
	Warning      string    `json:"warning,omitempty"`
	ToolVersion  string    `json:"tool_version"`
	GnarkVersion string    `json:"gnark_version"`
	Created      time.Time `json:"created"`
	// PublicInputs in the circuit's order (input, output, weights under
	// public weights, model): the verifier's public witness.
	PublicInputs []Tensor `json:"public_inputs"`
	// Proof and VerifyingKey are gnark's binary encodings (base64 in JSON).
	Proof        []byte `json:"proof"`
	VerifyingKey []byte `json:"verifying_key"`
	// VKDigest names VerifyingKey (prover.VerifyingKeyDigest): what a
	// verifier compares with the digest it pinned. A bundle whose key does
	// not have this digest is rejected.
	VKDigest string `json:"vk_digest,omitempty"`
	// WeightsBasis is the key's under committed weights (part of its
	// layout, so of VKDigest): which basis the model commitment is over.
	WeightsBasis *prover.WeightsBasis `json:"weights_basis,omitempty"`
	// InputBasis and OutputBasis are the key's under committed input
	// (output), part of its layout like WeightsBasis: which basis the
	// side's public input is over.
	InputBasis  *prover.IOBasis `json:"input_basis,omitempty"`
	OutputBasis *prover.IOBasis `json:"output_basis,omitempty"`
}

// Encode returns the bundle as indented JSON.
func (b *Bundle) Encode() ([]byte, error) {
	return json.MarshalIndent(b, "", "  ")
}

// Write writes the bundle to path atomically.
func (b *Bundle) Write(path string) error { return writeJSON(path, b.Encode) }

// writeJSON writes what encode returns, with a final newline, to path
// atomically.
func writeJSON(path string, encode func() ([]byte, error)) error {
	data, err := encode()
	if err != nil {
		return err
	}
	if err := quant.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// probeMediaType reads only the media type of a bundle file of any kind,
// after checking its size (the limit holds for every kind).
func probeMediaType(data []byte) (string, error) {
	if len(data) > MaxBundleSize {
		return "", fmt.Errorf("%w: %d bytes, at most %d", ErrBundle, len(data), MaxBundleSize)
	}
	var probe struct {
		MediaType string `json:"media_type"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return "", fmt.Errorf("%w: malformed JSON: %v", ErrBundle, err)
	}
	return probe.MediaType, nil
}

// Parse decodes a bundle, rejecting unknown media types and fields and
// enforcing the size limits.
func Parse(data []byte) (*Bundle, error) {
	mediaType, err := probeMediaType(data)
	if err != nil {
		return nil, err
	}
	if mediaType == mediaTypeV1 {
		return nil, errV1(mediaType, MediaType)
	}
	if mediaType != MediaType {
		return nil, fmt.Errorf("%w: %q (this build reads %q)", ErrUnsupportedVersion, mediaType, MediaType)
	}
	if err := checkKeys(data); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var b Bundle
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	if err := b.Visibility.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	n := 0
	for _, t := range b.PublicInputs {
		n += len(t.Values)
		if n > MaxPublicValues {
			return nil, fmt.Errorf("%w: more than %d public values", ErrBundle, MaxPublicValues)
		}
		if len(t.Shape) > 8 {
			return nil, fmt.Errorf("%w: tensor %q has %d dimensions", ErrBundle, t.Name, len(t.Shape))
		}
		want := 1
		for _, s := range t.Shape {
			if s < 0 || s > MaxPublicValues {
				return nil, fmt.Errorf("%w: tensor %q has shape %v", ErrBundle, t.Name, t.Shape)
			}
			want *= s
			if want > MaxPublicValues {
				return nil, fmt.Errorf("%w: tensor %q has shape %v", ErrBundle, t.Name, t.Shape)
			}
		}
		isParts := t.Encoding == EncodingPackedParts || t.Encoding == EncodingHashedParts || t.Encoding == EncodingSaltedParts || t.Encoding == EncodingChainParts || t.Encoding == EncodingMixedParts
		if isParts {
			if err := checkParts(t); err != nil {
				return nil, fmt.Errorf("%w: tensor %q: %v", ErrBundle, t.Name, err)
			}
		} else if len(t.Parts) != 0 {
			return nil, fmt.Errorf("%w: tensor %q: a %s tensor has no parts", ErrBundle, t.Name, t.Encoding)
		}
		switch t.Encoding {
		case EncodingPackedParts, EncodingHashedParts:
			if want != len(t.Values) {
				return nil, fmt.Errorf("%w: tensor %q has %d values for shape %v", ErrBundle, t.Name, len(t.Values), t.Shape)
			}
		case EncodingMixedParts:
			vis, err := b.sideOf(t.Name, t.Parts)
			if err != nil {
				return nil, fmt.Errorf("%w: tensor %q: %v", ErrBundle, t.Name, err)
			}
			if err := checkMixed(t, vis); err != nil {
				return nil, fmt.Errorf("%w: tensor %q: %v", ErrBundle, t.Name, err)
			}
		case EncodingSaltedParts, EncodingChainParts:
			if len(t.Values) != 0 {
				return nil, fmt.Errorf("%w: %s tensor %q carries values", ErrBundle, t.Encoding, t.Name)
			}
			if _, err := parseElement(t.Commitment); err != nil {
				return nil, fmt.Errorf("%w: tensor %q: commitment: %v", ErrBundle, t.Name, err)
			}
		case EncodingPackedInt8, EncodingHashedInt8, EncodingCommittedInt8:
			if want != len(t.Values) {
				return nil, fmt.Errorf("%w: tensor %q has %d values for shape %v", ErrBundle, t.Name, len(t.Values), t.Shape)
			}
		case EncodingSaltedInt8, EncodingChainHash:
			if len(t.Values) != 0 {
				return nil, fmt.Errorf("%w: %s tensor %q carries values", ErrBundle, t.Encoding, t.Name)
			}
			if _, err := parseElement(t.Commitment); err != nil {
				return nil, fmt.Errorf("%w: tensor %q: commitment: %v", ErrBundle, t.Name, err)
			}
		case EncodingModelCommitment:
			if len(t.Values) != 0 || len(t.Shape) != 0 {
				return nil, fmt.Errorf("%w: tensor %q: a model commitment has no values", ErrBundle, t.Name)
			}
		case EncodingWeightElements:
			if len(t.Values) != 0 || len(t.Shape) != 1 || t.Shape[0] != len(t.Elements) || len(t.Elements) == 0 || len(t.Elements) > quant.MaxPublicWeights {
				return nil, fmt.Errorf("%w: tensor %q: %d weight elements for shape %v (at least 1, at most %d)", ErrBundle, t.Name, len(t.Elements), t.Shape, quant.MaxPublicWeights)
			}
			for k, e := range t.Elements {
				if _, err := parseElement(e); err != nil {
					return nil, fmt.Errorf("%w: tensor %q: element %d: %v", ErrBundle, t.Name, k, err)
				}
			}
		default:
			return nil, fmt.Errorf("%w: tensor %q has encoding %q (supported: %q, %q, %q, %q, %q, %q, %q, %q, %q, %q, %q, %q)", ErrBundle, t.Name, t.Encoding, EncodingPackedInt8, EncodingHashedInt8, EncodingCommittedInt8, EncodingSaltedInt8, EncodingPackedParts, EncodingHashedParts, EncodingSaltedParts, EncodingMixedParts, EncodingChainHash, EncodingChainParts, EncodingWeightElements, EncodingModelCommitment)
		}
	}
	if _, err := parseCommitment(b.ModelCommitment, b.Visibility.Weights); err != nil {
		return nil, fmt.Errorf("%w: model commitment: %v", ErrBundle, err)
	}
	return &b, nil
}

// sideOf is the visibility of each of parts of the bundle's tensor name
// (input or output) under the bundle's visibility.
func (b *Bundle) sideOf(name string, parts []PartSpec) ([]string, error) {
	switch name {
	case TensorInput:
		return b.Visibility.InputsOf(parts)
	case TensorOutput:
		return b.Visibility.OutputsOf(parts)
	}
	return nil, fmt.Errorf("a %s tensor is the input or the output", EncodingMixedParts)
}

// checkMixed checks a mixed tensor against its parts' visibilities vis:
// the public and hashed parts' values, and a commitment exactly when a
// part is private.
func checkMixed(t Tensor, vis []string) error {
	if quant.Uniform(vis) {
		return fmt.Errorf("a %s tensor whose parts are all %s", EncodingMixedParts, vis[0])
	}
	n, private := 0, false
	for i, p := range t.Parts {
		if vis[i] == quant.VisibilityPrivate {
			private = true
			continue
		}
		n += p.Size()
	}
	if len(t.Values) != n {
		return fmt.Errorf("%d values, its public and hashed parts have %d", len(t.Values), n)
	}
	if !private {
		if t.Commitment != "" {
			return fmt.Errorf("a commitment, and no private part")
		}
		return nil
	}
	if _, err := parseElement(t.Commitment); err != nil {
		return fmt.Errorf("commitment: %v", err)
	}
	return nil
}

// MixedValues cuts the values of a mixed tensor (EncodingMixedParts) by
// parts, whose visibilities are vis: one slice per part, nil for a private
// part (its values are not carried).
func MixedValues(t Tensor, parts []PartSpec, vis []string) ([][]int64, error) {
	if len(vis) != len(parts) {
		return nil, fmt.Errorf("%d visibilities for %d parts", len(vis), len(parts))
	}
	_, _, private := quant.PartGroups(vis)
	var carried []int
	for i := range parts {
		if vis[i] != quant.VisibilityPrivate {
			carried = append(carried, i)
		}
	}
	cut, err := quant.SplitParts(quant.Pick(parts, carried), t.Values)
	if err != nil {
		return nil, err
	}
	out := make([][]int64, len(parts))
	for k, i := range carried {
		out[i] = cut[k]
	}
	if len(private) == 0 && t.Commitment != "" {
		return nil, fmt.Errorf("a commitment, and no private part")
	}
	return out, nil
}

// checkParts checks a parts tensor's declared parts: 1 to quant.MaxGraphIO
// valid parts whose sizes add up to its shape [n].
func checkParts(t Tensor) error {
	if len(t.Parts) == 0 || len(t.Parts) > quant.MaxGraphIO {
		return fmt.Errorf("%d parts, want 1..%d", len(t.Parts), quant.MaxGraphIO)
	}
	n := 0
	for _, p := range t.Parts {
		if err := p.Check(); err != nil {
			return err
		}
		n += p.Size()
		if n > MaxPublicValues {
			return fmt.Errorf("parts of more than %d values", MaxPublicValues)
		}
	}
	if len(t.Shape) != 1 || t.Shape[0] != n || t.Frac != 0 {
		return fmt.Errorf("shape %v at frac %d for parts of %d values, want [%d] at frac 0", t.Shape, t.Frac, n, n)
	}
	return nil
}

// checkKeys refuses JSON whose object keys are not all distinct and made of
// lowercase ASCII letters, digits and underscores, as every key of the
// bundle formats is. encoding/json matches keys to fields case-insensitively
// (folding "ſ" to "s" and "K" to "k" too) and keeps the last of duplicate
// keys, so without this a bundle could carry "values" that other JSON
// readers show and "Values" that Go verifies.
func checkKeys(data []byte) error {
	type frame struct {
		obj, wantKey bool
		seen         map[string]bool
	}
	var stack []*frame
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("malformed JSON: %v", err)
		}
		if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].wantKey {
			if k, ok := tok.(string); ok {
				top := stack[n-1]
				for _, r := range k {
					if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
						return fmt.Errorf("object key %q is not one of the format's (lowercase ASCII)", k)
					}
				}
				if top.seen[k] {
					return fmt.Errorf("duplicate object key %q", k)
				}
				top.seen[k], top.wantKey = true, false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{obj: true, wantKey: true, seen: map[string]bool{}})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value ended: the enclosing object expects a key next.
		if n := len(stack); n > 0 && stack[n-1].obj {
			stack[n-1].wantKey = true
		}
	}
}

// Read reads and parses a bundle file.
func Read(path string) (*Bundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxBundleSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	b, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// Tensor returns the public tensor with the given name.
func (b *Bundle) Tensor(name string) (*Tensor, bool) {
	for i := range b.PublicInputs {
		if b.PublicInputs[i].Name == name {
			return &b.PublicInputs[i], true
		}
	}
	return nil, false
}

// parseElement reads "0x" + 64 hex digits, a canonical BN254 scalar.
func parseElement(s string) (fr.Element, error) {
	var e fr.Element
	h, ok := strings.CutPrefix(s, "0x")
	if !ok || len(h) != 2*fr.Bytes {
		return e, fmt.Errorf("%q is not 0x and %d hex digits", s, 2*fr.Bytes)
	}
	raw, err := hex.DecodeString(h)
	if err != nil {
		return e, fmt.Errorf("%q: %v", s, err)
	}
	if err := e.SetBytesCanonical(raw); err != nil {
		return e, fmt.Errorf("%q: %v", s, err)
	}
	if fmt.Sprintf("0x%x", raw) != s {
		return e, fmt.Errorf("%q: use lowercase hex", s)
	}
	return e, nil
}

// parseCommitment reads a model commitment: quant.FormatCommitment, or
// prover.FormatCommitted under committed weights.
func parseCommitment(s, weights string) (fr.Element, error) {
	prefix := quant.CommitmentPrefix
	if weights == quant.VisibilityCommitted {
		prefix = prover.CommittedPrefix
	}
	h, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return fr.Element{}, fmt.Errorf("%q does not start with %q (%s weights)", s, prefix, weights)
	}
	return parseElement(h)
}

func formatElement(e fr.Element) string {
	b := e.Bytes()
	return fmt.Sprintf("0x%x", b[:])
}
