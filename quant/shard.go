package quant

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// ShardsVersion is the version of the encoding ShardsCommitment hashes.
const ShardsVersion = 1

// shardsDomain starts the encoding of a sharding: "zkinfer.shards" read as a
// big-endian integer, so it can never be mistaken for a model encoding.
var shardsDomain = new(big.Int).SetBytes([]byte("zkinfer.shards"))

// ShardRange is a shard of a gpt2 model: blocks From..To-1.
type ShardRange struct {
	From int `json:"from"`
	To   int `json:"to"`
}

// ShardRanges splits n blocks into shards of perShard blocks (the last one
// may be shorter).
func ShardRanges(n, perShard int) ([]ShardRange, error) {
	if n < 1 || perShard < 1 {
		return nil, fmt.Errorf("%w: %d blocks in shards of %d", ErrValidation, n, perShard)
	}
	var out []ShardRange
	for a := 0; a < n; a += perShard {
		out = append(out, ShardRange{From: a, To: min(a+perShard, n)})
	}
	return out, nil
}

// Slice returns the sub-model of blocks from..to-1 of a gpt2 model: the same
// integers, scales and tables, cut from the already quantized model, so the
// shards' forward passes chained reproduce m's bit for bit. Its input and
// output are the residual stream at the model-wide residual format, except
// that the last shard keeps ln_f (and its output format) when m has one.
func (m *Model) Slice(from, to int) (*Model, error) {
	if m.Config.Architecture != ArchitectureGPT2 || m.Scales.GPT2 == nil {
		return nil, fmt.Errorf("%w: only gpt2 models split into shards, not %q", ErrValidation, m.Config.Architecture)
	}
	n := len(m.Blocks)
	if from < 0 || to > n || from >= to {
		return nil, fmt.Errorf("%w: blocks %d:%d of a model with %d blocks", ErrValidation, from, to, n)
	}
	gs := *m.Scales.GPT2
	gs.Layers = append([]LayerScales(nil), gs.Layers[from:to]...)
	last := to == n && m.LNF != nil
	if !last {
		gs.LNFFrac = 0
		gs.Formats.OutputFrac = gs.Formats.ResidualFrac
	}
	cfg := m.Config
	cfg.NLayer = to - from
	cfg.FinalLayerNorm = last
	s := &Model{
		Version:   m.Version,
		Config:    cfg,
		Scales:    Scales{GPT2: &gs},
		Blocks:    append([]Block(nil), m.Blocks[from:to]...),
		ExpTable:  m.ExpTable,
		GELUTable: m.GELUTable,
	}
	if last {
		s.LNF = m.LNF
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("blocks %d:%d: %w", from, to, err)
	}
	return s, nil
}

// ShardsCommitment is Poseidon2 (see Poseidon2) of the encoding of a
// sharding: "zkinfer.shards" as a big-endian integer, ShardsVersion, the
// number of blocks n, the number of shards k, then per shard its first
// block, its end block and its model commitment (Commit of the sub-model).
// Each shard's commitment is a public input of its proof, so a verifier
// recomputes this value from the proofs alone: it names the whole sharded
// model the way Commit names one circuit's model.
func ShardsCommitment(n int, ranges []ShardRange, commitments []fr.Element) (fr.Element, error) {
	if len(ranges) != len(commitments) {
		return fr.Element{}, fmt.Errorf("%w: %d shards and %d commitments", ErrValidation, len(ranges), len(commitments))
	}
	var e encoder
	e.big(shardsDomain)
	e.int(ShardsVersion)
	e.int(int64(n))
	e.int(int64(len(ranges)))
	for i, r := range ranges {
		e.int(int64(r.From))
		e.int(int64(r.To))
		e.out = append(e.out, commitments[i])
	}
	return Poseidon2(e.out), nil
}

// ShardVisibility is the visibility of shard i of n: the model's input for
// the first shard, the model's output for the last, and hashed (unsalted
// Poseidon2) at the boundaries between shards, so that the output of one
// shard and the input of the next are the same public value.
func ShardVisibility(v Visibility, i, n int) Visibility {
	out := Visibility{Input: VisibilityHashed, Output: VisibilityHashed, Weights: v.Weights}
	if i == 0 {
		out.Input, out.InputParts = v.Input, v.InputParts
	}
	if i == n-1 {
		out.Output, out.OutputParts = v.Output, v.OutputParts
	}
	return out
}
