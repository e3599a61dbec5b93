package ops

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/zkinfer/zkinfer/quant"
)

// GPT2Shape is the shape of ExampleGPT2: GPT-2-small is {50257, 1024, 768,
// 12, 12} (positions as many as the model reads: Seq ≤ Positions).
type GPT2Shape struct {
	Vocab, Positions, D, Heads, Blocks int
	// NoHead ends the model at the last residual (no ln_f, no LM head).
	NoHead bool
}

// GPT2Small is GPT-2-small's shape (124 M parameters).
var GPT2Small = GPT2Shape{Vocab: 50257, Positions: 1024, D: 768, Heads: 12, Blocks: 12}

// ExampleGPT2 returns a GPT-2-layout language model with random weights
// drawn from seed (no checkpoint: the shapes and the op graph are GPT-2's,
// the values are not): ids [1, seq] (an index input) → wte (gather_packed: one
// lookup per ⌈D/31⌉ values) + wpe rows 0..seq−1 (a constant add) → Blocks pre-LN
// blocks (ln_1 → q, k, v projections → causal attention → c_proj →
// residual; ln_2 → fc 4D → GELU → proj → residual) → ln_f → the tied LM
// head (wteᵀ, no bias; beyond quant.MaxDim columns, linears over column
// blocks and a concat) → logits [1, seq, Vocab]. Node names start with
// "embed.", "h<i>." and "head." (CostSplit).
func ExampleGPT2(s GPT2Shape, seq int, seed uint64) (*quant.FloatModel, error) {
	if s.Vocab < 2 || s.D < 1 || s.Heads < 1 || s.D%s.Heads != 0 || s.Blocks < 0 || seq < 1 || seq > s.Positions {
		return nil, fmt.Errorf("%w: GPT-2 shape %+v at %d positions", quant.ErrValidation, s, seq)
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	rnd := func(scale float64, shape ...int) *quant.FloatTensor {
		t := &quant.FloatTensor{Shape: shape, Data: make([]float64, quant.ShapeSize(shape))}
		for i := range t.Data {
			t.Data[i] = (rng.Float64()*2 - 1) * scale
		}
		return t
	}
	fill := func(v float64, n int) *quant.FloatTensor {
		t := &quant.FloatTensor{Shape: []int{n}, Data: make([]float64, n)}
		for i := range t.Data {
			t.Data[i] = v
		}
		return t
	}
	d := s.D
	wte := rnd(0.1, s.Vocab, d)
	b := quant.NewGraphBuilder()
	type node struct {
		name string
		op   quant.FloatOp
		in   []string
	}
	nodes := []node{
		{"embed.wte", NewGatherPacked(wte, 0), []string{"ids"}},
		{"embed.wpe", NewAffine(fill(1, 1), rnd(0.05, 1, seq, d), false), []string{"embed.wte"}},
	}
	x := "embed.wpe"
	w := 1 / math.Sqrt(float64(d))
	for i := range s.Blocks {
		p := fmt.Sprintf("h%d.", i)
		nodes = append(nodes,
			node{p + "ln_1", NewLayerNorm(fill(1, d), fill(0, d), 1e-5), []string{x}},
			node{p + "q", NewLinear(rnd(w, d, d), rnd(0.02, d), false), []string{p + "ln_1"}},
			node{p + "k", NewLinear(rnd(w, d, d), rnd(0.02, d), false), []string{p + "ln_1"}},
			node{p + "v", NewLinear(rnd(w, d, d), rnd(0.02, d), false), []string{p + "ln_1"}},
			node{p + "attn", &Attention{Heads: s.Heads, KVHeads: s.Heads, HeadDim: d / s.Heads, Scale: 1 / math.Sqrt(float64(d/s.Heads)), Mask: MaskCausal}, []string{p + "q", p + "k", p + "v"}},
			node{p + "c_proj", NewLinear(rnd(w, d, d), rnd(0.02, d), false), []string{p + "attn"}},
			node{p + "res_1", &Binary{Op: "add"}, []string{x, p + "c_proj"}},
			node{p + "ln_2", NewLayerNorm(fill(1, d), fill(0, d), 1e-5), []string{p + "res_1"}},
			node{p + "fc", NewLinear(rnd(w, d, 4*d), rnd(0.02, 4*d), false), []string{p + "ln_2"}},
			node{p + "gelu", &Unary{Fn: "gelu"}, []string{p + "fc"}},
			node{p + "proj", NewLinear(rnd(w/2, 4*d, d), rnd(0.02, d), false), []string{p + "gelu"}},
			node{p + "res_2", &Binary{Op: "add"}, []string{p + "res_1", p + "proj"}},
		)
		x = p + "res_2"
	}
	if !s.NoHead {
		nodes = append(nodes,
			node{"head.ln_f", NewLayerNorm(fill(1, d), fill(0, d), 1e-5), []string{x}},
		)
		// The tied head wteᵀ, in column blocks of at most quant.MaxDim
		// (a linear's bound) joined by a concat when the vocabulary is larger.
		parts := (s.Vocab + quant.MaxDim - 1) / quant.MaxDim
		var names []string
		for p := range parts {
			lo, hi := p*s.Vocab/parts, (p+1)*s.Vocab/parts
			w := &quant.FloatTensor{Shape: []int{d, hi - lo}, Data: make([]float64, d*(hi-lo))}
			for v := lo; v < hi; v++ {
				for j := range d {
					w.Data[j*(hi-lo)+v-lo] = wte.Data[v*d+j]
				}
			}
			name := "head.lm_head"
			if parts > 1 {
				name = fmt.Sprintf("head.lm_head.%d", p)
			}
			names = append(names, name)
			l := NewLinear(w, fill(0, hi-lo), false)
			if parts > 1 {
				l.Group = "head.lm_head" // one output fraction: the concat copies
			}
			nodes = append(nodes, node{name, l, []string{"head.ln_f"}})
		}
		if parts > 1 {
			nodes = append(nodes, node{"head.lm_head", &Concat{Axis: 2}, names})
		}
	}
	if err := b.TypedInput(quant.GraphInput{Name: "ids", Shape: []int{1, seq}, DType: quant.DTypeIndex, Hi: int64(s.Vocab - 1)}); err != nil {
		return nil, err
	}
	for _, n := range nodes {
		if err := b.Node(n.name, n.op, n.in, []string{n.name}); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.name, err)
		}
	}
	if !s.NoHead {
		x = "head.lm_head"
	}
	if err := b.Output(x); err != nil {
		return nil, err
	}
	g, err := b.Build()
	if err != nil {
		return nil, err
	}
	return quant.NewGraphModel(g)
}
