package quant_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkinfer/zkinfer/quant"
)

// Chaining the shards' integer forward passes reproduces the whole model's
// output bit for bit, for every shard size and with or without ln_f.
func TestSliceChainsExactly(t *testing.T) {
	for _, lnf := range []bool{true, false} {
		cfg := quant.Config{Architecture: quant.ArchitectureGPT2, DModel: 8, DHidden: 16, SeqLen: 3, NHead: 2, NLayer: 3,
			Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5, FinalLayerNorm: lnf}
		m := quantized(t, cfg)
		for seed := uint64(0); seed < 4; seed++ {
			x, err := m.QuantizeInput(quant.RandomSamples(cfg, 1, 100+seed)[0])
			if err != nil {
				t.Fatal(err)
			}
			full, err := m.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			for k := 1; k <= 3; k++ {
				ranges, err := quant.ShardRanges(cfg.NLayer, k)
				if err != nil {
					t.Fatal(err)
				}
				cur := x
				for i, r := range ranges {
					s, err := m.Slice(r.From, r.To)
					if err != nil {
						t.Fatal(err)
					}
					last := i == len(ranges)-1
					if s.Config.FinalLayerNorm != (last && lnf) || (s.LNF != nil) != (last && lnf) {
						t.Fatalf("shard %d of %d: ln_f %v", i, len(ranges), s.LNF != nil)
					}
					if !last && s.OutputFrac() != s.InputFrac() {
						t.Fatalf("shard %d: output frac %d, residual %d", i, s.OutputFrac(), s.InputFrac())
					}
					tr, err := s.Forward(cur)
					if err != nil {
						t.Fatal(err)
					}
					for j := range tr.GPT2 {
						if !slices.EqualFunc(tr.GPT2[j].Y, full.GPT2[r.From+j].Y, slices.Equal) {
							t.Fatalf("k=%d shard %d block %d differs from the whole model's", k, i, j)
						}
					}
					cur = tr.Y
				}
				if !slices.EqualFunc(cur, full.Y, slices.Equal) {
					t.Fatalf("ln_f=%v k=%d seed %d: chained shards give %v, the model %v", lnf, k, seed, cur, full.Y)
				}
			}
		}
		whole, err := m.Slice(0, cfg.NLayer)
		if err != nil {
			t.Fatal(err)
		}
		c1, _ := quant.Commit(m)
		c2, _ := quant.Commit(whole)
		if c1 != c2 {
			t.Fatalf("ln_f=%v: the one-shard slice has another commitment than the model", lnf)
		}
	}
}

func TestSliceErrors(t *testing.T) {
	cfg := quant.Config{Architecture: quant.ArchitectureGPT2, DModel: 8, DHidden: 16, SeqLen: 2, NHead: 2, NLayer: 2,
		Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5, FinalLayerNorm: true}
	m := quantized(t, cfg)
	for _, r := range [][2]int{{-1, 1}, {1, 1}, {0, 3}, {2, 1}} {
		if _, err := m.Slice(r[0], r[1]); !errors.Is(err, quant.ErrValidation) {
			t.Errorf("Slice(%d, %d): %v, want ErrValidation", r[0], r[1], err)
		}
	}
	ffn := quantized(t, quant.Config{Architecture: quant.ArchitectureFFN, DModel: 4, DHidden: 8, SeqLen: 2, Activation: quant.ActivationReLU})
	if _, err := ffn.Slice(0, 1); !errors.Is(err, quant.ErrValidation) {
		t.Errorf("ffn Slice: %v", err)
	}
	if _, err := quant.ShardRanges(3, 0); err == nil {
		t.Error("ShardRanges(3, 0) accepted")
	}
	if r, _ := quant.ShardRanges(5, 2); !slices.Equal(r, []quant.ShardRange{{0, 2}, {2, 4}, {4, 5}}) {
		t.Errorf("ShardRanges(5, 2) = %v", r)
	}
}

// The sharding commitment depends on every range and every commitment.
func TestShardsCommitment(t *testing.T) {
	var a, b fr.Element
	a.SetUint64(1)
	b.SetUint64(2)
	r := []quant.ShardRange{{0, 1}, {1, 2}}
	base, err := quant.ShardsCommitment(2, r, []fr.Element{a, b})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []func() (fr.Element, error){
		func() (fr.Element, error) { return quant.ShardsCommitment(2, r, []fr.Element{b, a}) },
		func() (fr.Element, error) { return quant.ShardsCommitment(3, r, []fr.Element{a, b}) },
		func() (fr.Element, error) {
			return quant.ShardsCommitment(2, []quant.ShardRange{{0, 2}, {2, 2}}, []fr.Element{a, b})
		},
	} {
		got, err := c()
		if err != nil || got == base {
			t.Errorf("variant %d: %v, same commitment %v", i, err, got == base)
		}
	}
	if _, err := quant.ShardsCommitment(2, r, []fr.Element{a}); err == nil {
		t.Error("mismatched lengths accepted")
	}
}

// The graph sharding commitment (v2) names the model, the node ranges and
// the shards' commitments; version 1 dispatches to the legacy encoding,
// unchanged. The known answer pins the v2 encoding.
func TestGraphShardsCommitment(t *testing.T) {
	var a, b, m fr.Element
	a.SetUint64(1)
	b.SetUint64(2)
	m.SetUint64(3)
	r := []quant.ShardRange{{0, 1}, {1, 2}}
	base, err := quant.GraphShardsCommitment(m, 2, r, []fr.Element{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if got := quant.FormatCommitment(base); got != graphShardsKAT {
		t.Errorf("GraphShardsCommitment = %s, pinned %s", got, graphShardsKAT)
	}
	v1, _ := quant.ShardsCommitment(2, r, []fr.Element{a, b})
	for _, version := range []int{0, quant.ShardsVersion} {
		if got, err := quant.ShardsCommitmentOf(version, m, 2, r, []fr.Element{a, b}); err != nil || got != v1 {
			t.Errorf("ShardsCommitmentOf(%d) is not the v1 commitment: %v", version, err)
		}
	}
	if got, _ := quant.ShardsCommitmentOf(quant.GraphShardsVersion, m, 2, r, []fr.Element{a, b}); got != base || got == v1 {
		t.Error("ShardsCommitmentOf(2) is not GraphShardsCommitment, or equals v1")
	}
	for i, c := range []func() (fr.Element, error){
		func() (fr.Element, error) { return quant.GraphShardsCommitment(a, 2, r, []fr.Element{a, b}) },
		func() (fr.Element, error) { return quant.GraphShardsCommitment(m, 2, r, []fr.Element{b, a}) },
		func() (fr.Element, error) { return quant.GraphShardsCommitment(m, 3, r, []fr.Element{a, b}) },
		func() (fr.Element, error) {
			return quant.GraphShardsCommitment(m, 2, []quant.ShardRange{{0, 2}, {2, 2}}, []fr.Element{a, b})
		},
	} {
		got, err := c()
		if err != nil || got == base {
			t.Errorf("variant %d: %v, same commitment %v", i, err, got == base)
		}
	}
	if _, err := quant.ShardsCommitmentOf(3, m, 2, r, []fr.Element{a, b}); err == nil {
		t.Error("shards version 3 accepted")
	}
	if _, err := quant.GraphShardRanges(4, []int{2, 2}); err == nil {
		t.Error("an empty shard accepted")
	}
	if got, err := quant.GraphShardRanges(4, []int{1, 3}); err != nil || !slices.Equal(got, []quant.ShardRange{{0, 1}, {1, 3}, {3, 4}}) {
		t.Errorf("GraphShardRanges(4, [1 3]) = %v, %v", got, err)
	}
}

const graphShardsKAT = "poseidon2:0x26a7329de4bc758ff2d108ac025e7122a8c2d9dd351f2739923ec8db44c7381b"
