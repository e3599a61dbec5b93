package prover

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkinfer/zkinfer/quant"
)

// FormatShards is the media type of a shard manifest: the list of a sharded
// model's circuits and keys that compile-circuit --shard-blocks writes.
const FormatShards = "application/vnd.zkinfer.shards.v1+json"

// maxManifest bounds a manifest file.
const maxManifest = 1 << 20

// ShardManifest lists the shards of a model compiled shard by shard: each
// shard is the sub-model of blocks From..To-1 of a gpt2 model
// (quant.Model.Slice), or of nodes From..To-1 of a layer graph
// (quant.Model.GraphShard, ShardsVersion 2), with its own circuit. File names are relative to the manifest's directory.
// Shards whose circuits have the same digest share one key pair (PK, VK).
type ShardManifest struct {
	MediaType string `json:"media_type"`
	// ModelDigest and ModelCommitment name the whole quantized model.
	ModelDigest     string `json:"model_digest"`
	ModelCommitment string `json:"model_commitment"`
	// ShardsCommitment is quant.ShardsCommitment of the shards.
	ShardsCommitment string `json:"shards_commitment"`
	// ShardsVersion is absent (0) for a gpt2 model cut into block ranges
	// (quant.ShardsCommitment, v1), quant.GraphShardsVersion for a layer
	// graph cut into node ranges (quant.GraphShardsCommitment): NLayer and
	// the entries' From/To then count nodes.
	ShardsVersion int              `json:"shards_version,omitempty"`
	NLayer        int              `json:"n_layer"`
	Backend       string           `json:"backend"`
	Visibility    quant.Visibility `json:"visibility"`
	Shards        []ShardEntry     `json:"shards"`
}

// ShardEntry is one shard of a manifest.
type ShardEntry struct {
	Index         int              `json:"index"`
	From          int              `json:"from"`
	To            int              `json:"to"`
	Circuit       string           `json:"circuit"`
	CircuitDigest string           `json:"circuit_digest"`
	ModelDigest   string           `json:"model_digest"`
	Commitment    string           `json:"model_commitment"`
	Visibility    quant.Visibility `json:"visibility"`
	Constraints   int              `json:"constraints"`
	PK            string           `json:"pk"`
	VK            string           `json:"vk"`
	// Cut names the values the shard hands to the next (its outputs'
	// names; graph shardings only, informative: the circuits bind them).
	Cut []string `json:"cut,omitempty"`
}

// ShardPath inserts ".shard-N" before the extension of path:
// circuit.zkc → circuit.shard-0.zkc.
func ShardPath(path string, i int) string {
	ext := filepath.Ext(path)
	return fmt.Sprintf("%s.shard-%d%s", strings.TrimSuffix(path, ext), i, ext)
}

// ManifestPath is the manifest beside a circuit path: circuit.zkc → circuit.shards.json.
func ManifestPath(circuitPath string) string {
	return strings.TrimSuffix(circuitPath, filepath.Ext(circuitPath)) + ".shards.json"
}

// Ranges returns the manifest's shard ranges.
func (s *ShardManifest) Ranges() []quant.ShardRange {
	out := make([]quant.ShardRange, len(s.Shards))
	for i, e := range s.Shards {
		out[i] = quant.ShardRange{From: e.From, To: e.To}
	}
	return out
}

// CompileShards splits m into shards of perShard blocks and compiles each
// shard's circuit (one at a time, so memory holds one circuit), writing
// circuit i to ShardPath(circuitPath, i), each with its shard's visibility
// (quant.ShardVisibility). Shards with equal circuit digests are given the
// same key files, ShardPath(pkPath, j) and ShardPath(vkPath, j) for the
// first such shard j: with hashed weights identical blocks share one setup.
// It returns the manifest, which the caller writes.
func CompileShards(m *quant.Model, perShard int, circuitPath, pkPath, vkPath string, p Progress, opts ...CompileOption) (*ShardManifest, error) {
	ranges, err := quant.ShardRanges(len(m.Blocks), perShard)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	return compileShards(m, quant.ShardsVersion, ranges, circuitPath, pkPath, vkPath, p, opts...)
}

// CompileGraphShards cuts a layer-graph model at node boundaries bounds
// (quant.GraphShardRanges: from Model.BalancedCuts or Graph.CutsByName)
// and compiles each shard (quant.Model.GraphShard) as CompileShards does;
// the manifest has quant.GraphShardsVersion and names each cut.
func CompileGraphShards(m *quant.Model, bounds []int, circuitPath, pkPath, vkPath string, p Progress, opts ...CompileOption) (*ShardManifest, error) {
	if m.Graph == nil || m.Config.Architecture != quant.ArchitectureGraph {
		return nil, fmt.Errorf("compile: %w: cut sharding takes a layer-graph model, not %q", quant.ErrValidation, m.Config.Architecture)
	}
	ranges, err := quant.GraphShardRanges(len(m.Graph.Nodes), bounds)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	return compileShards(m, quant.GraphShardsVersion, ranges, circuitPath, pkPath, vkPath, p, opts...)
}

// compileShards compiles the shards of m over ranges (blocks for
// version 1, nodes for quant.GraphShardsVersion).
func compileShards(m *quant.Model, version int, ranges []quant.ShardRange, circuitPath, pkPath, vkPath string, p Progress, opts ...CompileOption) (*ShardManifest, error) {
	cfg := compileConfig{backend: DefaultBackend, visibility: quant.DefaultVisibility}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.visibility.Weights == quant.VisibilityCommitted {
		// Each shard's model commitment would be Keccak of its own
		// weights' point over its own key's basis, known only after
		// setup; the manifest's shards commitment is built here from the
		// Poseidon2 ones (see "Sharding" in committed.go).
		return nil, fmt.Errorf("compile: %w: %s weights are not supported with shards; use hashed weights", quant.ErrValidation, quant.VisibilityCommitted)
	}
	if cin, cout := cfg.visibility.CommittedIO(); cin || cout {
		// Shards chain through Poseidon2 hashes of their boundaries, and
		// the recursive aggregation takes keys with one commitment.
		return nil, fmt.Errorf("compile: %w: %s input or output is not supported with shards (shards chain through Poseidon2 boundary hashes); use hashed", quant.ErrValidation, quant.VisibilityCommitted)
	}
	// A shard's bundle exposes input, output and its Poseidon2 commitment
	// (verifier's shard layout), which the shards commitment hashes:
	// public weights add a tensor, so such shards could be set up and
	// proven but never verified.
	if w := cfg.visibility.Weights; w == quant.VisibilityPublic {
		return nil, fmt.Errorf("compile: %w: sharded models take fixed or hashed weights, not %s weights", quant.ErrValidation, w)
	}
	if len(ranges) > quant.MaxLayers {
		return nil, fmt.Errorf("compile: %w: %d shards, at most %d", quant.ErrValidation, len(ranges), quant.MaxLayers)
	}
	_, units, err := m.ShardUnits()
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	// The canonical per-part visibility (Compile records each shard's so),
	// so that the manifest's shard visibilities are the circuit headers'.
	if cfg.visibility, err = cfg.visibility.Resolve(m.InputParts(), m.OutputParts()); err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	digest, err := m.Digest()
	if err != nil {
		return nil, err
	}
	whole, err := quant.Commit(m)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	man := &ShardManifest{MediaType: FormatShards, ModelDigest: digest, ModelCommitment: quant.FormatCommitment(whole), NLayer: units, Backend: cfg.backend, Visibility: cfg.visibility}
	if version == quant.GraphShardsVersion {
		man.ShardsVersion = version
	}
	keysOf := map[string]int{}
	commits := make([]fr.Element, len(ranges))
	for i, r := range ranges {
		sub, err := m.ShardOf(version, r.From, r.To)
		if err != nil {
			return nil, fmt.Errorf("compile: shard %d: %w", i, err)
		}
		vis := quant.ShardVisibility(cfg.visibility, i, len(ranges))
		c, err := Compile(sub, p, append(append([]CompileOption{}, opts...), WithVisibility(vis))...)
		if err != nil {
			return nil, fmt.Errorf("shard %d: %w", i, err)
		}
		path := ShardPath(circuitPath, i)
		if err := WriteCircuit(path, c); err != nil {
			return nil, err
		}
		if commits[i], err = quant.Commit(sub); err != nil {
			return nil, err
		}
		k, ok := keysOf[c.Header.CircuitDigest]
		if !ok {
			k = i
			keysOf[c.Header.CircuitDigest] = i
		}
		e := ShardEntry{
			Index: i, From: r.From, To: r.To,
			Circuit: filepath.Base(path), CircuitDigest: c.Header.CircuitDigest,
			ModelDigest: c.Header.ModelDigest, Commitment: c.Header.Commitment,
			Visibility: vis, Constraints: c.Header.Constraints,
			PK: filepath.Base(ShardPath(pkPath, k)), VK: filepath.Base(ShardPath(vkPath, k)),
		}
		if version == quant.GraphShardsVersion && i < len(ranges)-1 {
			for _, part := range sub.OutputParts() {
				e.Cut = append(e.Cut, part.Name)
			}
		}
		man.Shards = append(man.Shards, e)
	}
	sc, err := quant.ShardsCommitmentOf(version, whole, units, ranges, commits)
	if err != nil {
		return nil, err
	}
	man.ShardsCommitment = quant.FormatCommitment(sc)
	return man, nil
}

// WriteManifest writes a shard manifest atomically.
func WriteManifest(path string, s *ShardManifest) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := quant.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// ReadManifest reads a shard manifest strictly (media type, no unknown
// fields, shards in order covering the blocks, plain file names) and
// returns it with file names resolved against its directory.
func ReadManifest(path string) (*ShardManifest, error) {
	data, err := quant.ReadFileLimited(path, maxManifest)
	if err != nil {
		return nil, err
	}
	s, err := ParseManifest(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	dir := filepath.Dir(path)
	for i := range s.Shards {
		e := &s.Shards[i]
		e.Circuit, e.PK, e.VK = filepath.Join(dir, e.Circuit), filepath.Join(dir, e.PK), filepath.Join(dir, e.VK)
	}
	return s, nil
}

// decodeStrict decodes a JSON document of media type format into v,
// refusing other media types and unknown fields.
func decodeStrict(data []byte, format string, v any) error {
	var probe struct {
		MediaType string `json:"media_type"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return fmt.Errorf("%w: malformed JSON: %v", ErrCorrupted, err)
	}
	if probe.MediaType != format {
		return fmt.Errorf("%w: %q, want %q", ErrUnsupportedVersion, probe.MediaType, format)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupted, err)
	}
	return nil
}

// checkManifestHead checks what shard and keys manifests have in common:
// the backend, the visibility and n shards of nLayer units (ShardUnits).
func checkManifestHead(backend string, vis quant.Visibility, version, nLayer, n int) error {
	if err := CheckBackend(backend); err != nil {
		return err
	}
	if err := vis.Validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupted, err)
	}
	return CheckShardCount(version, nLayer, n)
}

// CheckShardCount checks n shards of nLayer units of a sharding of the
// given version: 0 (gpt2 blocks, up to quant.MaxLayers) or
// quant.GraphShardsVersion (graph nodes, up to quant.MaxGraphNodes, in at
// most quant.MaxLayers shards).
func CheckShardCount(version, nLayer, n int) error {
	limit := quant.MaxLayers
	switch version {
	case 0:
	case quant.GraphShardsVersion:
		limit = quant.MaxGraphNodes
	default:
		return fmt.Errorf("%w: shards_version %d (absent for gpt2 blocks, %d for graph cuts)", ErrCorrupted, version, quant.GraphShardsVersion)
	}
	if nLayer < 1 || nLayer > limit || n < 1 || n > min(nLayer, quant.MaxLayers) {
		return fmt.Errorf("%w: %d shards of %d %s", ErrCorrupted, n, nLayer, UnitName(version))
	}
	return nil
}

// UnitName is what a sharding of the given version cuts: "blocks" or "nodes".
func UnitName(version int) string {
	if version == quant.GraphShardsVersion {
		return "nodes"
	}
	return "blocks"
}

// checkShardRange checks that entry i, naming shard index with units
// from..to-1, is shard i and starts at unit next, within nLayer units.
func checkShardRange(version, i, index, from, to, next, nLayer int) error {
	if index != i || from != next || to <= from || to > nLayer {
		u := UnitName(version)
		return fmt.Errorf("%w: shard %d: index %d, %s %d:%d (want shard %d from %s %d)", ErrCorrupted, i, index, u, from, to, i, strings.TrimSuffix(u, "s"), next)
	}
	return nil
}

// ParseManifest decodes and checks a shard manifest.
func ParseManifest(data []byte) (*ShardManifest, error) {
	var s ShardManifest
	if err := decodeStrict(data, FormatShards, &s); err != nil {
		return nil, err
	}
	if err := checkManifestHead(s.Backend, s.Visibility, s.ShardsVersion, s.NLayer, len(s.Shards)); err != nil {
		return nil, err
	}
	next := 0
	for i, e := range s.Shards {
		if err := checkShardRange(s.ShardsVersion, i, e.Index, e.From, e.To, next, s.NLayer); err != nil {
			return nil, err
		}
		next = e.To
		for _, f := range []string{e.Circuit, e.PK, e.VK} {
			if f == "" || f != filepath.Base(f) || f == "." || f == ".." {
				return nil, fmt.Errorf("%w: shard %d: file name %q (want a plain name beside the manifest)", ErrCorrupted, i, f)
			}
		}
	}
	if next != s.NLayer {
		return nil, fmt.Errorf("%w: shards cover %s 0:%d of %d", ErrCorrupted, UnitName(s.ShardsVersion), next, s.NLayer)
	}
	return &s, nil
}
