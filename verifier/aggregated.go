package verifier

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/solidity"
	"github.com/consensys/gnark/backend/witness"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
)

// AggregatedMediaType is the format of an aggregated bundle: one Groth16
// proof (prover/aggregate) that the shard proofs of a sharded bundle verify
// under their keys and chain from the model input to its output.
const AggregatedMediaType = "application/vnd.zkinfer.aggregated-bundle.v1+json"

// OuterLayout is the layout the outer verifying key's digest is taken
// with: Groth16, and no model tensors (its header's Layout, as the key file
// zkinfer aggregate writes has no visibility or shapes).
var OuterLayout = prover.Layout{Backend: prover.BackendGroth16}

// maxAggregatedProof bounds the outer proof's encoding (a Groth16 proof
// with one commitment is a few hundred bytes).
const maxAggregatedProof = 4096

// Errors of aggregated verification; each wraps ErrRejected or ErrBundle.
var (
	// ErrOuterKey: the aggregated proof was made under another outer
	// verifying key than the pinned one.
	ErrOuterKey = fmt.Errorf("%w: not the pinned outer verifying key", ErrKeyMismatch)
	// ErrShardBundle: the shard bundles carried or given are not the ones
	// the aggregated proof names (swapped, reordered, dropped, altered).
	ErrShardBundle = fmt.Errorf("%w: shard bundles are not the aggregated ones", ErrRejected)
)

// AggregatedShard names one aggregated shard: its blocks, the digest of the
// verifying key it was proven under (prover.VerifyingKeyDigest, as the keys
// manifest pins) and the SHA-256 of its single bundle's encoding
// (Bundle.Encode), by which an auditor finds and checks it.
type AggregatedShard struct {
	Index        int    `json:"index"`
	From         int    `json:"from"`
	To           int    `json:"to"`
	VKDigest     string `json:"vk_digest"`
	BundleSHA256 string `json:"bundle_sha256"`
}

// AggregatedBundle is a proof of one inference of a sharded model by a
// single Groth16 proof. Its public inputs are the first shard's input hash,
// the last shard's output hash and the shards commitment
// (quant.ShardsCommitment, as the keys manifest and the registry name the
// sharded model). Input and Output are the first shard's input tensor and
// the last shard's output tensor as the shard bundles carry them (values for
// hashed visibility, a salted commitment for private), so a verifier reads
// the output without the shards.
//
// The outer verifying key is never carried: a verifier pins it (the key file
// zkinfer aggregate wrote, or its digest), and OuterVKDigest only says which
// key the prover used, for a clear error. Sharded, when present, is the
// sharded bundle aggregated (the auditors' path: every shard re-checked);
// otherwise Shards' digests name its shard bundles.
type AggregatedBundle struct {
	MediaType        string `json:"media_type"`
	Backend          string `json:"backend"`
	Curve            string `json:"curve"`
	ModelDigest      string `json:"model_digest"`
	ModelCommitment  string `json:"model_commitment"`
	ShardsCommitment string `json:"shards_commitment"`
	// ShardsVersion is the sharded bundle's: absent for a gpt2 model cut
	// into blocks, quant.GraphShardsVersion for a layer graph cut into node
	// ranges (NLayer and the shards' From/To then count nodes, and the
	// shards commitment is quant.GraphShardsCommitment).
	ShardsVersion int              `json:"shards_version,omitempty"`
	NLayer        int              `json:"n_layer"`
	NShards       int              `json:"n_shards"`
	Visibility    quant.Visibility `json:"visibility"`
	// OuterCircuit is aggregate.CircuitID of the outer circuit.
	OuterCircuit  string `json:"outer_circuit"`
	OuterVKDigest string `json:"outer_vk_digest"`
	Setup         string `json:"setup"`
	Warning       string `json:"warning,omitempty"`
	// PublicInputs are the outer proof's: input hash, output hash, shards
	// commitment ("0x" + 64 hex each).
	PublicInputs []string          `json:"public_inputs"`
	Input        Tensor            `json:"input"`
	Output       Tensor            `json:"output"`
	Proof        []byte            `json:"proof"`
	Shards       []AggregatedShard `json:"shards"`
	Sharded      *ShardedBundle    `json:"sharded_bundle,omitempty"`
	ToolVersion  string            `json:"tool_version"`
	GnarkVersion string            `json:"gnark_version"`
	Created      time.Time         `json:"created"`
}

// ShardBundleDigest is the SHA-256 of a shard's single bundle encoding, as
// AggregatedShard.BundleSHA256 names it.
func ShardBundleDigest(b *Bundle) (string, error) {
	data, err := b.Encode()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// NewAggregated builds the aggregated bundle of sb, proven by proof with
// statement st under the outer key vk (setup is how the key was made).
// detach leaves sb out (its shards are then named by digest only).
func NewAggregated(sb *ShardedBundle, keys *prover.KeysManifest, outerCircuit string, vk prover.VerifyingKey, setup, warning string, proof groth16.Proof, st [3]fr.Element, detach bool) (*AggregatedBundle, error) {
	if len(sb.Shards) == 0 || len(sb.Shards) != sb.NShards || len(keys.Shards) != sb.NShards {
		return nil, fmt.Errorf("%w: %d shards of %d, the keys manifest %d", ErrIncomplete, len(sb.Shards), sb.NShards, len(keys.Shards))
	}
	d, err := prover.VerifyingKeyDigest(vk, OuterLayout)
	if err != nil {
		return nil, err
	}
	var pb bytes.Buffer
	if _, err := proof.WriteTo(&pb); err != nil {
		return nil, err
	}
	ab := &AggregatedBundle{
		MediaType: AggregatedMediaType, Backend: prover.BackendGroth16, Curve: prover.CurveBN254,
		ModelDigest: sb.ModelDigest, ModelCommitment: sb.ModelCommitment, ShardsCommitment: sb.ShardsCommitment,
		ShardsVersion: sb.ShardsVersion, NLayer: sb.NLayer, NShards: sb.NShards, Visibility: sb.Visibility,
		OuterCircuit: outerCircuit, OuterVKDigest: d, Setup: setup, Warning: warning,
		PublicInputs: []string{formatElement(st[0]), formatElement(st[1]), formatElement(st[2])},
		Input:        sb.Shards[0].Bundle.PublicInputs[0], Output: sb.Shards[len(sb.Shards)-1].Bundle.PublicInputs[1],
		Proof: pb.Bytes(), ToolVersion: prover.ToolVersion, GnarkVersion: prover.GnarkVersion(), Created: time.Now().UTC(),
	}
	for i, sh := range sb.Shards {
		digest, err := ShardBundleDigest(sh.Bundle)
		if err != nil {
			return nil, err
		}
		ab.Shards = append(ab.Shards, AggregatedShard{Index: i, From: sh.From, To: sh.To, VKDigest: keys.Shards[i].VKDigest, BundleSHA256: digest})
	}
	if !detach {
		ab.Sharded = sb
	}
	return ab, nil
}

// Encode returns the aggregated bundle as indented JSON.
func (a *AggregatedBundle) Encode() ([]byte, error) { return json.MarshalIndent(a, "", "  ") }

// Write writes the aggregated bundle to path atomically.
func (a *AggregatedBundle) Write(path string) error { return writeJSON(path, a.Encode) }

// IsAggregated reports whether data is an aggregated bundle (by its media
// type).
func IsAggregated(data []byte) bool {
	mt, err := probeMediaType(data)
	return err == nil && mt == AggregatedMediaType
}

// ParseAggregated decodes an aggregated bundle strictly: its media type, no
// unknown or duplicate fields, the size limits, three well-formed public
// inputs, one entry per shard, and the carried sharded bundle parsed as one
// (ParseSharded). It checks the form only: VerifyAggregated checks the proof.
func ParseAggregated(data []byte) (*AggregatedBundle, error) {
	mediaType, err := probeMediaType(data)
	if err != nil {
		return nil, err
	}
	if mediaType != AggregatedMediaType {
		return nil, fmt.Errorf("%w: %q (this build reads %q)", ErrUnsupportedVersion, mediaType, AggregatedMediaType)
	}
	if err := checkKeys(data); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	var raw struct {
		AggregatedBundle
		Sharded json.RawMessage `json:"sharded_bundle,omitempty"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	a := raw.AggregatedBundle
	if a.Backend != prover.BackendGroth16 || a.Curve != prover.CurveBN254 {
		return nil, fmt.Errorf("%w: an aggregated proof is %s on %s, not %q on %q", ErrBundle, prover.BackendGroth16, prover.CurveBN254, a.Backend, a.Curve)
	}
	if err := a.Visibility.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	if err := prover.CheckShardCount(a.ShardsVersion, a.NLayer, a.NShards); err != nil || a.NShards > MaxShards {
		return nil, fmt.Errorf("%w: %d shards of %d %s (shards version %d)", ErrBundle, a.NShards, a.NLayer, prover.UnitName(a.ShardsVersion), a.ShardsVersion)
	}
	if len(a.Shards) != a.NShards {
		return nil, fmt.Errorf("%w: %d shard entries, the model has %d shards", ErrBundle, len(a.Shards), a.NShards)
	}
	for i, s := range a.Shards {
		if _, err := prover.ParseVKDigest(s.VKDigest); err != nil {
			return nil, fmt.Errorf("%w: shard %d: vk_digest: %v", ErrBundle, i, err)
		}
		if _, err := prover.ParseVKDigest(s.BundleSHA256); err != nil {
			return nil, fmt.Errorf("%w: shard %d: bundle_sha256: %v", ErrBundle, i, err)
		}
	}
	for _, d := range []string{a.OuterVKDigest, a.OuterCircuit} {
		if _, err := prover.ParseVKDigest(d); err != nil {
			return nil, fmt.Errorf("%w: outer key or circuit digest: %v", ErrBundle, err)
		}
	}
	for _, c := range []string{a.ModelCommitment, a.ShardsCommitment} {
		if _, err := parseCommitment(c, ""); err != nil {
			return nil, fmt.Errorf("%w: commitment: %v", ErrBundle, err)
		}
	}
	if len(a.PublicInputs) != 3 {
		return nil, fmt.Errorf("%w: %d public inputs, an aggregated proof has 3 (input hash, output hash, shards commitment)", ErrBundle, len(a.PublicInputs))
	}
	for i, s := range a.PublicInputs {
		if _, err := parseElement(s); err != nil {
			return nil, fmt.Errorf("%w: public input %d: %v", ErrBundle, i, err)
		}
	}
	for k, t := range []Tensor{a.Input, a.Output} {
		if err := checkBoundary(t); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBundle, err)
		}
		// The visibility the bundle states (and verify prints) is the
		// tensor's encoding.
		vis := []string{a.Visibility.Input, a.Visibility.Output}[k]
		enc := map[string]string{quant.VisibilityHashed: EncodingHashedInt8, quant.VisibilityPrivate: EncodingSaltedInt8}
		if len(t.Parts) > 0 {
			enc = map[string]string{quant.VisibilityHashed: EncodingHashedParts, quant.VisibilityPrivate: EncodingSaltedParts}
		}
		if want := enc[vis]; want != t.Encoding {
			return nil, fmt.Errorf("%w: tensor %q is %s, the bundle's visibility %q", ErrBundle, t.Name, t.Encoding, vis)
		}
	}
	if len(a.Proof) == 0 || len(a.Proof) > maxAggregatedProof {
		return nil, fmt.Errorf("%w: proof of %d bytes", ErrBundle, len(a.Proof))
	}
	if len(raw.Sharded) > 0 && !bytes.Equal(raw.Sharded, []byte("null")) {
		sb, err := ParseSharded(raw.Sharded)
		if err != nil {
			return nil, fmt.Errorf("sharded_bundle: %w", err)
		}
		a.Sharded = sb
	}
	return &a, nil
}

// ReadAggregated reads and parses an aggregated bundle file.
func ReadAggregated(path string) (*AggregatedBundle, error) {
	data, err := readLimited(path)
	if err != nil {
		return nil, err
	}
	a, err := ParseAggregated(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// Statement is the outer proof's public inputs: input hash, output hash,
// shards commitment (prover/aggregate.Statement.PublicInputs).
func (a *AggregatedBundle) Statement() ([3]fr.Element, error) {
	var in [3]fr.Element
	if len(a.PublicInputs) != len(in) {
		return in, fmt.Errorf("%w: %d public inputs, an aggregated proof has 3", ErrBundle, len(a.PublicInputs))
	}
	for i, s := range a.PublicInputs {
		e, err := parseElement(s)
		if err != nil {
			return in, fmt.Errorf("%w: public input %d: %v", ErrBundle, i, err)
		}
		in[i] = e
	}
	return in, nil
}

// verifyOuter verifies the outer proof (Keccak hash to field, as the EVM;
// prover/aggregate.VerifyOuter, which this package cannot import).
func verifyOuter(proof groth16.Proof, vk groth16.VerifyingKey, st [3]fr.Element) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: malformed proof: %v", ErrBundle, r)
		}
	}()
	w, err := fieldWitness(st[:])
	if err != nil {
		return err
	}
	return groth16.Verify(proof, vk, w, solidity.WithVerifierTargetSolidityVerifier(backend.GROTH16))
}

// DecodeProof decodes the outer proof.
func (a *AggregatedBundle) DecodeProof() (groth16.Proof, error) {
	p := new(groth16bn254.Proof)
	if err := prover.Decode(p, a.Proof); err != nil {
		return nil, fmt.Errorf("%w: proof: %v", ErrBundle, err)
	}
	return p, nil
}

// AggregatedResult is what VerifyAggregated checked.
type AggregatedResult struct {
	OuterVKDigest    string           `json:"outer_vk_digest"`
	OuterCircuit     string           `json:"outer_circuit"`
	ShardsCommitment string           `json:"shards_commitment"`
	InputHash        string           `json:"input_hash"`
	OutputHash       string           `json:"output_hash"`
	Visibility       quant.Visibility `json:"visibility"`
	NShards          int              `json:"n_shards"`
	// Shards is the second level: every shard re-checked against the keys
	// manifest; nil when the shard bundles were not checked.
	Shards *ShardResult `json:"shards,omitempty"`
}

// tensorElement is the public input a boundary tensor of a shard stands
// for: the hash of hashed values, or the carried salted commitment.
func tensorElement(t Tensor) (fr.Element, error) {
	switch t.Encoding {
	case EncodingHashedInt8:
		return quant.HashPacked(t.Values, nil)
	case EncodingHashedParts:
		values, err := quant.SplitParts(t.Parts, t.Values)
		if err != nil {
			return fr.Element{}, fmt.Errorf("%w: tensor %q: %v", ErrBundle, t.Name, err)
		}
		return quant.HashParts(t.Parts, values, nil)
	case EncodingSaltedInt8, EncodingSaltedParts:
		return parseElement(t.Commitment)
	}
	return fr.Element{}, fmt.Errorf("%w: tensor %q is %s: aggregated shards have hashed or private input and output", ErrBundle, t.Name, t.Encoding)
}

// VerifyAggregated checks an aggregated bundle on two levels.
//
// The outer proof, always: against outerVK, the outer verifying key the
// verifier pinned (never one from the bundle; OuterVKDigest must be its
// digest, else ErrOuterKey), with the carried input and output tensors
// hashed to the proof's first two public inputs and the third the bundle's
// shards commitment. The outer circuit fixes the shard keys, so this alone
// proves the shards verify under them and chain. commitment, when not
// empty (the pinned key header's), must be the shards commitment; keys, when
// not nil, must name the same shards commitment, ranges and shard key
// digests.
//
// The shards, when sb is not nil (a.Sharded, or the sharded bundle the
// shard digests name) and keys pins them: each shard bundle must be the one
// the aggregated bundle names at its position (ErrShardBundle), VerifySharded
// re-checks every proof against the keys manifest, the chain and the shards
// commitment, and the first input and last output hashes must be the outer
// proof's.
func VerifyAggregated(a *AggregatedBundle, outerVK prover.VerifyingKey, commitment string, keys *prover.KeysManifest, keysSource string, sb *ShardedBundle) (*AggregatedResult, error) {
	if outerVK == nil {
		return nil, ErrUnpinned
	}
	d, err := prover.VerifyingKeyDigest(outerVK, OuterLayout)
	if err != nil {
		return nil, err
	}
	if d != a.OuterVKDigest {
		return nil, fmt.Errorf("%w: the aggregated proof names outer key %s, the pinned key is %s", ErrOuterKey, a.OuterVKDigest, d)
	}
	if commitment != "" && commitment != a.ShardsCommitment {
		return nil, fmt.Errorf("%w: the pinned outer key aggregates shards committed as %s, the bundle claims %s", ErrShardsCommitment, commitment, a.ShardsCommitment)
	}
	st, err := a.Statement()
	if err != nil {
		return nil, err
	}
	sc, err := parseCommitment(a.ShardsCommitment, "")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	if !sc.Equal(&st[2]) {
		return nil, fmt.Errorf("%w: the proof's third public input %s is not the bundle's shards commitment %s", ErrShardsCommitment, a.PublicInputs[2], a.ShardsCommitment)
	}
	if keys != nil {
		if err := checkAggregatedKeys(a, keys); err != nil {
			return nil, err
		}
	}
	for k, t := range []Tensor{a.Input, a.Output} {
		e, err := tensorElement(t)
		if err != nil {
			return nil, err
		}
		if want := st[k]; !e.Equal(&want) {
			return nil, fmt.Errorf("%w: the %s tensor stands for %s, the proof's public input is %s", ErrRejected, t.Name, formatElement(e), a.PublicInputs[k])
		}
	}
	proof, err := a.DecodeProof()
	if err != nil {
		return nil, err
	}
	vk, ok := outerVK.(*groth16bn254.VerifyingKey)
	if !ok {
		return nil, fmt.Errorf("%w: the pinned outer key is %T, want a BN254 Groth16 key", ErrKeyMismatch, outerVK)
	}
	if err := verifyOuter(proof, vk, st); err != nil {
		if errors.Is(err, ErrBundle) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: aggregated proof: %v", ErrRejected, err)
	}
	res := &AggregatedResult{OuterVKDigest: d, OuterCircuit: a.OuterCircuit, ShardsCommitment: a.ShardsCommitment,
		InputHash: a.PublicInputs[0], OutputHash: a.PublicInputs[1], Visibility: a.Visibility, NShards: a.NShards}
	if sb == nil || keys == nil {
		return res, nil
	}
	if err := CheckShardBundles(a, sb); err != nil {
		return nil, err
	}
	sr, err := VerifySharded(sb, keys, keysSource)
	if err != nil {
		return nil, fmt.Errorf("shard level: %w", err)
	}
	if sr.ShardsCommitment != a.ShardsCommitment {
		return nil, fmt.Errorf("%w: the shards hash to %s, the aggregated proof's is %s", ErrShardsCommitment, sr.ShardsCommitment, a.ShardsCommitment)
	}
	first, last := sb.Shards[0].Bundle.PublicInputs[0], sb.Shards[len(sb.Shards)-1].Bundle.PublicInputs[1]
	for k, t := range []Tensor{first, last} {
		e, err := tensorElement(t)
		if err != nil {
			return nil, err
		}
		if want := st[k]; !e.Equal(&want) {
			return nil, fmt.Errorf("%w: the shards' %s hash %s is not the aggregated proof's %s", ErrShardBundle, t.Name, formatElement(e), a.PublicInputs[k])
		}
	}
	// The tensors shown are the shards' own: same name, shape, fraction,
	// encoding and values (the hash binds only the values).
	for k, pair := range [][2]Tensor{{a.Input, first}, {a.Output, last}} {
		if !sameTensor(pair[0], pair[1]) {
			return nil, fmt.Errorf("%w: the aggregated bundle's %s tensor (%q %v@frac%d %s) is not the shards' (%q %v@frac%d %s)", ErrShardBundle, [2]string{"input", "output"}[k],
				pair[0].Name, pair[0].Shape, pair[0].Frac, pair[0].Encoding, pair[1].Name, pair[1].Shape, pair[1].Frac, pair[1].Encoding)
		}
	}
	res.Shards = sr
	return res, nil
}

// checkBoundary checks the form of an aggregated bundle's input or output
// tensor, as Parse checks a bundle's: hashed values fill its shape and
// carry no commitment, a private tensor carries its commitment and no
// values (so no value is shown that the proof does not bind).
func checkBoundary(t Tensor) error {
	isParts := t.Encoding == EncodingHashedParts || t.Encoding == EncodingSaltedParts
	if len(t.Shape) > 8 || (len(t.Parts) != 0) != isParts || len(t.Elements) != 0 {
		return fmt.Errorf("tensor %q: %d dimensions, %d parts, %d elements", t.Name, len(t.Shape), len(t.Parts), len(t.Elements))
	}
	if isParts {
		// The parts a layer graph's several inputs (or index inputs) are
		// cut into (a graph sharding's first input or last output).
		if err := checkParts(t); err != nil {
			return fmt.Errorf("tensor %q: %v", t.Name, err)
		}
	}
	want := 1
	for _, s := range t.Shape {
		if s < 0 || s > MaxPublicValues {
			return fmt.Errorf("tensor %q has shape %v", t.Name, t.Shape)
		}
		if want *= s; want > MaxPublicValues {
			return fmt.Errorf("tensor %q has shape %v", t.Name, t.Shape)
		}
	}
	switch t.Encoding {
	case EncodingHashedInt8, EncodingHashedParts:
		if want != len(t.Values) || t.Commitment != "" {
			return fmt.Errorf("tensor %q: %d values for shape %v, commitment %q", t.Name, len(t.Values), t.Shape, t.Commitment)
		}
	case EncodingSaltedInt8, EncodingSaltedParts:
		if len(t.Values) != 0 {
			return fmt.Errorf("%s tensor %q carries values", t.Encoding, t.Name)
		}
		if _, err := parseElement(t.Commitment); err != nil {
			return fmt.Errorf("tensor %q: commitment: %v", t.Name, err)
		}
	default:
		return fmt.Errorf("tensor %q is %s: aggregated shards have hashed or private input and output (%s, %s, %s, %s)", t.Name, t.Encoding, EncodingHashedInt8, EncodingSaltedInt8, EncodingHashedParts, EncodingSaltedParts)
	}
	return nil
}

// sameTensor reports whether a and b are the same tensor, field by field.
func sameTensor(a, b Tensor) bool {
	return a.Name == b.Name && a.Frac == b.Frac && a.Encoding == b.Encoding && a.Commitment == b.Commitment &&
		slices.Equal(a.Shape, b.Shape) && slices.Equal(a.Values, b.Values) && slices.EqualFunc(a.Parts, b.Parts, samePart) &&
		slices.Equal(a.Elements, b.Elements)
}

func samePart(a, b PartSpec) bool {
	return a.Name == b.Name && a.DType == b.DType && a.Lo == b.Lo && a.Hi == b.Hi && a.Frac == b.Frac && slices.Equal(a.Shape, b.Shape)
}

// CheckOuterKeyHeader checks the aggregated bundle against the header of
// the outer key file the verifier pinned (zkinfer aggregate's vk.agg.key):
// the outer circuit (aggregate.CircuitID, the shard keys and ranges it
// aggregates) and the shards commitment the header names must be the
// bundle's. What a verifier reports about the outer circuit then comes from
// the pinned header, not from the bundle's outer_circuit field.
func CheckOuterKeyHeader(a *AggregatedBundle, h prover.Header) error {
	if h.CircuitDigest != "" && h.CircuitDigest != a.OuterCircuit {
		return fmt.Errorf("%w: the pinned outer key is for circuit %s, the aggregated bundle names %s", ErrOuterKey, h.CircuitDigest, a.OuterCircuit)
	}
	if h.Commitment != "" && h.Commitment != a.ShardsCommitment {
		return fmt.Errorf("%w: the pinned outer key aggregates shards committed as %s, the bundle claims %s", ErrShardsCommitment, h.Commitment, a.ShardsCommitment)
	}
	return nil
}

// CheckShardBundles checks that sb holds exactly the shard bundles a names,
// in a's order: a swapped, reordered, dropped or altered shard bundle is
// ErrShardBundle, naming the position.
func CheckShardBundles(a *AggregatedBundle, sb *ShardedBundle) error {
	if sb.ProofHash != prover.ProofHashMiMC {
		return fmt.Errorf("%w: the sharded bundle's proofs use hash %q, aggregated shards are proven with %q (prove --aggregatable)", ErrShardBundle, sb.ProofHash, prover.ProofHashMiMC)
	}
	if sb.ShardsCommitment != a.ShardsCommitment || sb.ShardsVersion != a.ShardsVersion || sb.NLayer != a.NLayer || sb.NShards != a.NShards || sb.Visibility != a.Visibility || sb.ModelCommitment != a.ModelCommitment {
		return fmt.Errorf("%w: the sharded bundle is of model %s sharded as %s (%d shards), the aggregated proof of %s sharded as %s (%d shards)", ErrShardBundle, sb.ModelCommitment, sb.ShardsCommitment, sb.NShards, a.ModelCommitment, a.ShardsCommitment, a.NShards)
	}
	if len(sb.Shards) != len(a.Shards) {
		return fmt.Errorf("%w: %d shard bundles, the aggregated proof names %d", ErrShardBundle, len(sb.Shards), len(a.Shards))
	}
	for i, sh := range sb.Shards {
		want := a.Shards[i]
		digest, err := ShardBundleDigest(sh.Bundle)
		if err != nil {
			return err
		}
		if digest != want.BundleSHA256 || sh.Index != want.Index || sh.From != want.From || sh.To != want.To {
			name := fmt.Sprintf("shard %d (blocks %d:%d, bundle %s)", sh.Index, sh.From, sh.To, digest)
			for j, o := range a.Shards {
				if o.BundleSHA256 == digest {
					return fmt.Errorf("%w: position %d holds %s, which the aggregated proof names at position %d", ErrShardBundle, i, name, j)
				}
			}
			return fmt.Errorf("%w: position %d holds %s, the aggregated proof names shard %d (blocks %d:%d, bundle %s)", ErrShardBundle, i, name, want.Index, want.From, want.To, want.BundleSHA256)
		}
	}
	return nil
}

// checkAggregatedKeys checks the aggregated bundle is of the sharded model
// and keys the keys manifest pins.
func checkAggregatedKeys(a *AggregatedBundle, keys *prover.KeysManifest) error {
	if keys.ShardsCommitment != a.ShardsCommitment || keys.ModelCommitment != a.ModelCommitment {
		return fmt.Errorf("%w: the aggregated bundle claims model %s sharded as %s, the keys manifest pins model %s sharded as %s", ErrShardsCommitment, a.ModelCommitment, a.ShardsCommitment, keys.ModelCommitment, keys.ShardsCommitment)
	}
	if keys.ShardsVersion != a.ShardsVersion || keys.NLayer != a.NLayer || len(keys.Shards) != a.NShards || keys.Visibility != a.Visibility {
		return fmt.Errorf("%w: the aggregated bundle has %d shards of %d %s (shards version %d), the keys manifest %d of %d %s (shards version %d)", ErrKeyMismatch,
			a.NShards, a.NLayer, prover.UnitName(a.ShardsVersion), a.ShardsVersion, len(keys.Shards), keys.NLayer, prover.UnitName(keys.ShardsVersion), keys.ShardsVersion)
	}
	for i, s := range a.Shards {
		e := keys.Shards[i]
		if s.Index != i || s.From != e.From || s.To != e.To || s.VKDigest != e.VKDigest {
			return fmt.Errorf("%w: aggregated shard %d (blocks %d:%d, key %s), the keys manifest pins shard %d (blocks %d:%d, key %s)", ErrKeyMismatch, s.Index, s.From, s.To, s.VKDigest, i, e.From, e.To, e.VKDigest)
		}
	}
	return nil
}

// fieldWitness is gnark's public witness of these BN254 elements.
func fieldWitness(in []fr.Element) (witness.Witness, error) {
	w, err := witness.New(ecc.BN254.ScalarField())
	if err != nil {
		return nil, err
	}
	ch := make(chan any, len(in))
	for _, x := range in {
		ch <- x
	}
	close(ch)
	if err := w.Fill(len(in), 0, ch); err != nil {
		return nil, fmt.Errorf("%w: public inputs: %v", ErrBundle, err)
	}
	return w, nil
}
