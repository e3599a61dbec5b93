package verifier

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
)

// ShardedMediaType is the format of a sharded bundle: the proofs of the
// shards of one gpt2 model (each a complete single bundle of its sub-model) and
// the hash chain that ties them together.
const ShardedMediaType = "application/vnd.zkinfer.sharded-bundle.v2+json"

// MaxShards bounds the shards of a sharded bundle (one block each at most).
const MaxShards = quant.MaxLayers

// Errors of sharded verification; each wraps ErrRejected or ErrBundle.
var (
	// ErrIncomplete: a shard bundle that holds only some of the shards.
	ErrIncomplete = fmt.Errorf("%w: shards missing", ErrBundle)
	// ErrShardOrder: shards out of order, or not covering the blocks exactly.
	ErrShardOrder = fmt.Errorf("%w: shards out of order", ErrRejected)
	// ErrChain: the output hash of a shard is not the input hash of the next.
	ErrChain = fmt.Errorf("%w: shard hash chain broken", ErrRejected)
	// ErrShardsCommitment: the shards' proven model commitments do not
	// hash to the bundle's sharding commitment.
	ErrShardsCommitment = fmt.Errorf("%w: shards commitment mismatch", ErrRejected)
	// ErrShardMismatch: shard bundles of different models or shardings.
	ErrShardMismatch = fmt.Errorf("%w: shard bundles do not belong together", ErrBundle)
)

// Shard is the proof of blocks From..To-1 of the model (nodes, for a
// graph sharding: ShardedBundle.ShardsVersion).
type Shard struct {
	Index  int     `json:"index"`
	From   int     `json:"from"`
	To     int     `json:"to"`
	Bundle *Bundle `json:"bundle"`
}

// ShardedBundle is a proof of one inference of a gpt2 model (or a layer
// graph, ShardsVersion 2) proven in shards. Each shard's bundle is a single bundle of its sub-model
// (quant.Model.Slice): its proof, verifying key and public inputs, with the
// shard's model commitment as its last public input. The first shard's input
// and the last shard's output are exposed as Visibility says; between shards
// the activation is exposed only as its unsalted Poseidon2 hash
// (EncodingChainHash), so the bundle carries no intermediate activation and
// the chain is checked by equality of public inputs.
//
// ModelCommitment and ModelDigest name the whole model: the prover's claim,
// which VerifyShardedModel checks against a model file. ShardsCommitment is
// quant.ShardsCommitment of the shards' ranges and proven commitments:
// VerifySharded recomputes it from the proofs.
//
// A bundle written by one machine proving some shards (zkinfer prove
// --shard N) holds those shards only (fewer than NShards); AssembleShards
// merges such bundles into a complete one.
type ShardedBundle struct {
	MediaType        string `json:"media_type"`
	ModelDigest      string `json:"model_digest"`
	ModelCommitment  string `json:"model_commitment"`
	ShardsCommitment string `json:"shards_commitment"`
	// ShardsVersion is absent for a gpt2 model cut into blocks,
	// quant.GraphShardsVersion for a layer graph cut into node ranges
	// (NLayer and the shards' From/To then count nodes, and the shards
	// commitment is quant.GraphShardsCommitment).
	ShardsVersion int              `json:"shards_version,omitempty"`
	NLayer        int              `json:"n_layer"`
	NShards       int              `json:"n_shards"`
	Visibility    quant.Visibility `json:"visibility"`
	// ProofHash is the hash to field of the shards' Groth16 commitment
	// challenges: empty for Keccak (the EVM's, the default),
	// prover.ProofHashMiMC for shards proven to be aggregated (zkinfer
	// prove --aggregatable), which verify offline and aggregate but do not
	// verify on the EVM.
	ProofHash string  `json:"proof_hash,omitempty"`
	Shards    []Shard `json:"shards"`
}

// NewShard turns the single bundle of shard i of n (NewBundle of the sub-model)
// into a shard: hashed boundaries between shards keep their hash only.
func NewShard(b *Bundle, i, n int, r quant.ShardRange) (Shard, error) {
	if len(b.PublicInputs) != 3 {
		return Shard{}, fmt.Errorf("shard %d: %w: %d public tensors", i, ErrBundle, len(b.PublicInputs))
	}
	for k, boundary := range []bool{i > 0, i < n-1} {
		t := &b.PublicInputs[k]
		if !boundary {
			continue
		}
		var (
			h   fr.Element
			err error
			enc = EncodingChainHash
		)
		switch t.Encoding {
		case EncodingHashedInt8:
			h, err = quant.HashPacked(t.Values, nil)
		case EncodingHashedParts:
			var values [][]int64
			if values, err = quant.SplitParts(t.Parts, t.Values); err == nil {
				h, err = quant.HashParts(t.Parts, values, nil)
			}
			enc = EncodingChainParts
		default:
			return Shard{}, fmt.Errorf("shard %d: %w: boundary %q is %s, want hashed", i, ErrBundle, t.Name, t.Encoding)
		}
		if err != nil {
			return Shard{}, fmt.Errorf("shard %d: %w", i, err)
		}
		t.Encoding, t.Values, t.Commitment = enc, []int64{}, formatElement(h)
	}
	return Shard{Index: i, From: r.From, To: r.To, Bundle: b}, nil
}

// Encode returns the sharded bundle as indented JSON.
func (s *ShardedBundle) Encode() ([]byte, error) {
	return json.MarshalIndent(s, "", "  ")
}

// Write writes the sharded bundle to path atomically.
func (s *ShardedBundle) Write(path string) error { return writeJSON(path, s.Encode) }

// IsSharded reports whether data is a sharded bundle (by its media type).
func IsSharded(data []byte) bool {
	mt, err := probeMediaType(data)
	return err == nil && mt == ShardedMediaType
}

// ParseSharded decodes a sharded bundle strictly: unknown media types and
// fields are rejected, each shard's bundle is parsed as a single bundle (Parse),
// and the size limits hold for the whole file.
func ParseSharded(data []byte) (*ShardedBundle, error) {
	mediaType, err := probeMediaType(data)
	if err != nil {
		return nil, err
	}
	if mediaType == shardedMediaTypeV1 {
		return nil, errV1(mediaType, ShardedMediaType)
	}
	if mediaType != ShardedMediaType {
		return nil, fmt.Errorf("%w: %q (this build reads %q)", ErrUnsupportedVersion, mediaType, ShardedMediaType)
	}
	if err := checkKeys(data); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	type rawShard struct {
		Index  int             `json:"index"`
		From   int             `json:"from"`
		To     int             `json:"to"`
		Bundle json.RawMessage `json:"bundle"`
	}
	var raw struct {
		ShardedBundle
		Shards []rawShard `json:"shards"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	s := raw.ShardedBundle
	if err := s.Visibility.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	if s.ProofHash != "" && s.ProofHash != prover.ProofHashMiMC {
		return nil, fmt.Errorf("%w: proof_hash %q (empty for Keccak, or %q)", ErrBundle, s.ProofHash, prover.ProofHashMiMC)
	}
	if err := prover.CheckShardCount(s.ShardsVersion, s.NLayer, s.NShards); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	if len(raw.Shards) < 1 || len(raw.Shards) > s.NShards {
		return nil, fmt.Errorf("%w: %d shards, the model has %d", ErrBundle, len(raw.Shards), s.NShards)
	}
	for _, c := range []string{s.ModelCommitment, s.ShardsCommitment} {
		if _, err := parseCommitment(c, ""); err != nil {
			return nil, fmt.Errorf("%w: commitment: %v", ErrBundle, err)
		}
	}
	s.Shards = make([]Shard, len(raw.Shards))
	for i, r := range raw.Shards {
		b, err := Parse(r.Bundle)
		if err != nil {
			return nil, fmt.Errorf("shard %d: %w", i, err)
		}
		s.Shards[i] = Shard{Index: r.Index, From: r.From, To: r.To, Bundle: b}
	}
	return &s, nil
}

// ReadSharded reads and parses a sharded bundle file.
func ReadSharded(path string) (*ShardedBundle, error) {
	data, err := readLimited(path)
	if err != nil {
		return nil, err
	}
	s, err := ParseSharded(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxBundleSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, nil
}

// ShardResult is what VerifySharded checked.
type ShardResult struct {
	// ModelCommitment is the whole model's: the keys manifest's (checked
	// equal); VerifyShardedModel ties it to a model file.
	ModelCommitment string `json:"model_commitment"`
	// ShardsCommitment is proven: recomputed from the shards' proofs.
	ShardsCommitment string           `json:"shards_commitment"`
	Visibility       quant.Visibility `json:"visibility"`
	// ShardsVersion is the bundle's: absent for gpt2 blocks,
	// quant.GraphShardsVersion for graph node ranges.
	ShardsVersion int `json:"shards_version,omitempty"`
	// Pinned: every shard was checked against a keys manifest.
	Pinned bool `json:"pinned"`
	// ProofHash is the bundle's: prover.ProofHashMiMC when the shards were
	// proven to be aggregated.
	ProofHash string       `json:"proof_hash,omitempty"`
	Shards    []ShardCheck `json:"shards"`
}

// ShardCheck is the result of one shard's checks.
type ShardCheck struct {
	Index int `json:"index"`
	From  int `json:"from"`
	To    int `json:"to"`
	*Result
}

// VerifySharded checks a complete sharded bundle against keys, a keys
// manifest the verifier trusts (read from source): every shard's proof
// against the key the manifest pins for it (Verify, with the shard's
// layout), the shards' order and coverage of the model's blocks (the
// manifest's), the hash chain (each shard's output hash is the next
// shard's input hash), the sharding commitment recomputed from the proven
// shard commitments, and that commitment and the whole model's against the
// manifest's. The first shard's input and the last shard's output are
// checked against the carried values by their proofs. Errors name the shard
// and the check. keys nil is ErrUnpinned, unless InsecureUnpinned, when
// each shard is checked against its own embedded key.
func VerifySharded(s *ShardedBundle, keys *prover.KeysManifest, source string, opts ...Option) (*ShardResult, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	if keys == nil && !o.insecure {
		return nil, ErrUnpinned
	}
	if len(s.Shards) != s.NShards {
		have := make([]int, len(s.Shards))
		for i, sh := range s.Shards {
			have[i] = sh.Index
		}
		return nil, fmt.Errorf("%w: the bundle holds shards %v of %d; assemble the shard bundles into one (zkinfer assemble)", ErrIncomplete, have, s.NShards)
	}
	// The structure first, so that a missing or misplaced shard is named
	// as such rather than as the next shard's failure.
	unit := prover.UnitName(s.ShardsVersion)
	next := 0
	for i, sh := range s.Shards {
		if sh.Index != i || sh.From != next || sh.To <= sh.From || sh.To > s.NLayer {
			return nil, fmt.Errorf("%w: position %d holds shard %d with %s %d:%d, want shard %d starting at %s %d", ErrShardOrder, i, sh.Index, unit, sh.From, sh.To, i, strings.TrimSuffix(unit, "s"), next)
		}
		next = sh.To
	}
	if next != s.NLayer {
		return nil, fmt.Errorf("%w: the shards cover %s 0:%d of %d", ErrShardOrder, unit, next, s.NLayer)
	}
	if keys != nil {
		if err := checkKeysManifest(s, keys); err != nil {
			return nil, err
		}
	}
	res := &ShardResult{ModelCommitment: s.ModelCommitment, Visibility: s.Visibility, ShardsVersion: s.ShardsVersion, Pinned: keys != nil, ProofHash: s.ProofHash}
	if s.ProofHash != "" {
		opts = append(slices.Clip(opts), withProofHash(s.ProofHash))
	}
	ranges := make([]quant.ShardRange, len(s.Shards))
	commits := make([]fr.Element, len(s.Shards))
	for i, sh := range s.Shards {
		name := fmt.Sprintf("shard %d (%s %d:%d)", i, unit, sh.From, sh.To)
		b := sh.Bundle
		if want := quant.ShardVisibility(s.Visibility, i, s.NShards); b.Visibility != want {
			return nil, fmt.Errorf("%s: %w: visibility %+v, want %+v", name, ErrBundle, b.Visibility, want)
		}
		var a *Anchor
		if keys != nil {
			a = PinManifestEntry(keys.Shards[i], source)
		}
		r, err := verify(b, a, func(b *Bundle) error { return shardLayout(b, i, s.NShards) }, opts...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if i > 0 {
			prev := s.Shards[i-1].Bundle.PublicInputs[1]
			in := b.PublicInputs[0]
			if prev.Encoding != in.Encoding || prev.Commitment != in.Commitment || !slices.Equal(prev.Shape, in.Shape) || !sameParts(prev.Parts, in.Parts) {
				return nil, fmt.Errorf("%s: %w: its input hash %s is not shard %d's output hash %s", name, ErrChain, in.Commitment, i-1, prev.Commitment)
			}
		}
		if commits[i], err = parseCommitment(b.ModelCommitment, ""); err != nil {
			return nil, fmt.Errorf("%s: %w: %v", name, ErrBundle, err)
		}
		ranges[i] = quant.ShardRange{From: sh.From, To: sh.To}
		res.Shards = append(res.Shards, ShardCheck{Index: i, From: sh.From, To: sh.To, Result: r})
	}
	var model fr.Element
	if s.ShardsVersion == quant.GraphShardsVersion {
		var err error
		if model, err = parseCommitment(s.ModelCommitment, s.Visibility.Weights); err != nil {
			return nil, fmt.Errorf("%w: model commitment: %v", ErrBundle, err)
		}
	}
	sc, err := quant.ShardsCommitmentOf(s.ShardsVersion, model, s.NLayer, ranges, commits)
	if err != nil {
		return nil, err
	}
	res.ShardsCommitment = quant.FormatCommitment(sc)
	if res.ShardsCommitment != s.ShardsCommitment {
		return nil, fmt.Errorf("%w: the shards' proven commitments hash to %s, the bundle names %s", ErrShardsCommitment, res.ShardsCommitment, s.ShardsCommitment)
	}
	return res, nil
}

// withProofHash verifies the shard proofs with hash h to field.
func withProofHash(h string) Option { return func(o *options) { o.proofHash = h } }

// checkKeysManifest checks that a structurally sound sharded bundle is
// sharded as the keys manifest says, for the model it names.
func checkKeysManifest(s *ShardedBundle, keys *prover.KeysManifest) error {
	if keys.ShardsVersion != s.ShardsVersion || keys.NLayer != s.NLayer || len(keys.Shards) != s.NShards || keys.Visibility != s.Visibility {
		return fmt.Errorf("%w: the bundle has %d shards of %d %s with visibility %+v, the keys manifest %d of %d %s with %+v", ErrKeyMismatch, s.NShards, s.NLayer, prover.UnitName(s.ShardsVersion), s.Visibility, len(keys.Shards), keys.NLayer, prover.UnitName(keys.ShardsVersion), keys.Visibility)
	}
	if keys.ModelCommitment != s.ModelCommitment || keys.ShardsCommitment != s.ShardsCommitment {
		return fmt.Errorf("%w: the bundle claims model %s sharded as %s, the keys manifest pins model %s sharded as %s", ErrKeyMismatch, s.ModelCommitment, s.ShardsCommitment, keys.ModelCommitment, keys.ShardsCommitment)
	}
	for i, sh := range s.Shards {
		if e := keys.Shards[i]; e.From != sh.From || e.To != sh.To {
			return fmt.Errorf("%w: shard %d covers %s %d:%d, the keys manifest's %d:%d", ErrShardOrder, i, prover.UnitName(s.ShardsVersion), sh.From, sh.To, e.From, e.To)
		}
	}
	return nil
}

// shardLayout checks the public tensors of shard i of n, whose boundaries
// with other shards carry chain hashes instead of values.
func shardLayout(b *Bundle, i, n int) error {
	enc := map[string]string{quant.VisibilityPublic: EncodingPackedInt8, quant.VisibilityHashed: EncodingHashedInt8, quant.VisibilityPrivate: EncodingSaltedInt8}
	partsEnc := map[string]string{quant.VisibilityPublic: EncodingPackedParts, quant.VisibilityHashed: EncodingHashedParts, quant.VisibilityPrivate: EncodingSaltedParts}
	// A tensor that declares parts is encoded as parts; whether the pinned
	// layout has them is checked against the anchor (the layout digest).
	encOf := func(name, vis string, chain bool) string {
		t, ok := b.Tensor(name)
		parts := ok && len(t.Parts) > 0
		switch {
		case chain && parts:
			return EncodingChainParts
		case chain:
			return EncodingChainHash
		case vis == quant.VisibilityMixed:
			// The first shard's input, the last shard's output.
			return EncodingMixedParts
		case parts:
			return partsEnc[vis]
		}
		return enc[vis]
	}
	want := []struct{ name, enc string }{{TensorInput, encOf(TensorInput, b.Visibility.Input, i > 0)}, {TensorOutput, encOf(TensorOutput, b.Visibility.Output, i < n-1)}, {TensorModel, EncodingModelCommitment}}
	if len(b.PublicInputs) != len(want) {
		return fmt.Errorf("%w: %d public tensors, want %d (input, output, model)", ErrBundle, len(b.PublicInputs), len(want))
	}
	for k, w := range want {
		if t := b.PublicInputs[k]; t.Name != w.name || t.Encoding != w.enc {
			return fmt.Errorf("%w: public tensor %d is %q (%s), want %q (%s)", ErrBundle, k, t.Name, t.Encoding, w.name, w.enc)
		}
	}
	return nil
}

// VerifyShardedModel checks that a sharded bundle, verified against keys
// (VerifySharded), is about model m: m's commitment is the bundle's and the
// manifest's, and each shard's sub-model (m.Slice of its blocks) has the
// shard's proven commitment and compiles to the circuit the manifest's key
// is for. It compiles every shard: as slow as compile-circuit.
func VerifyShardedModel(s *ShardedBundle, keys *prover.KeysManifest, m *quant.Model, p prover.Progress) error {
	if keys == nil {
		return ErrUnpinned
	}
	commit, err := quant.CommitString(m)
	if err != nil {
		return fmt.Errorf("model: %w", err)
	}
	if commit != s.ModelCommitment || commit != keys.ModelCommitment {
		return fmt.Errorf("%w: the model's is %s, the bundle's %s, the keys manifest's %s", ErrModelMismatch, commit, s.ModelCommitment, keys.ModelCommitment)
	}
	version, units, err := m.ShardUnits()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrModelMismatch, err)
	}
	if version != max(s.ShardsVersion, quant.ShardsVersion) || units != s.NLayer {
		return fmt.Errorf("%w: the model has %d %s, the bundle %d %s", ErrModelMismatch, units, prover.UnitName(version), s.NLayer, prover.UnitName(s.ShardsVersion))
	}
	for i, sh := range s.Shards {
		sub, err := m.ShardOf(version, sh.From, sh.To)
		if err != nil {
			return fmt.Errorf("shard %d: %w", i, err)
		}
		var sp prover.Progress
		if p != nil {
			sp = shardProgress{p, fmt.Sprintf("shard %d: ", i)}
		}
		if err := CheckModel(sh.Bundle, PinManifestEntry(keys.Shards[i], "keys manifest"), sub, sp); err != nil {
			return fmt.Errorf("shard %d (%s %d:%d): %w", i, prover.UnitName(s.ShardsVersion), sh.From, sh.To, err)
		}
	}
	return nil
}

// shardProgress names the stages of p after a shard.
type shardProgress struct {
	p      prover.Progress
	prefix string
}

func (s shardProgress) Start(stage string) func() { return s.p.Start(s.prefix + stage) }

// AssembleShards merges shard bundles proved separately (each holding some
// shards of one sharded model) into one bundle with the shards in order.
// The parts must agree on the model, the sharding and the visibility; a
// shard present twice must be the same proof. The result is not verified:
// call VerifySharded.
func AssembleShards(parts []*ShardedBundle) (*ShardedBundle, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("%w: no shard bundles", ErrIncomplete)
	}
	out := *parts[0]
	out.Shards = nil
	byIndex := map[int]Shard{}
	for k, p := range parts {
		if p.ModelDigest != out.ModelDigest || p.ModelCommitment != out.ModelCommitment || p.ShardsCommitment != out.ShardsCommitment ||
			p.ShardsVersion != out.ShardsVersion || p.NLayer != out.NLayer || p.NShards != out.NShards || p.Visibility != out.Visibility || p.ProofHash != out.ProofHash {
			return nil, fmt.Errorf("%w: part %d is for model %s sharded as %s (%d shards), part 0 for %s sharded as %s (%d shards)",
				ErrShardMismatch, k, p.ModelCommitment, p.ShardsCommitment, p.NShards, out.ModelCommitment, out.ShardsCommitment, out.NShards)
		}
		for _, sh := range p.Shards {
			if sh.Index < 0 || sh.Index >= out.NShards {
				return nil, fmt.Errorf("%w: part %d holds shard %d of %d", ErrShardOrder, k, sh.Index, out.NShards)
			}
			if prev, ok := byIndex[sh.Index]; ok {
				a, _ := prev.Bundle.Encode()
				b, _ := sh.Bundle.Encode()
				if prev.From != sh.From || prev.To != sh.To || !bytes.Equal(a, b) {
					return nil, fmt.Errorf("%w: shard %d appears twice with different proofs", ErrShardMismatch, sh.Index)
				}
				continue
			}
			byIndex[sh.Index] = sh
		}
	}
	var missing []int
	for i := 0; i < out.NShards; i++ {
		sh, ok := byIndex[i]
		if !ok {
			missing = append(missing, i)
			continue
		}
		out.Shards = append(out.Shards, sh)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: shards %v are missing", ErrIncomplete, missing)
	}
	return &out, nil
}
