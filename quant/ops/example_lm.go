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
	rnd := exampleRand(rng)
	d := s.D
	wte := rnd(0.1, s.Vocab, d)
	b := quant.NewGraphBuilder()
	nodes := []exampleNode{
		{"embed.wte", NewGatherPacked(wte, 0), []string{"ids"}},
		{"embed.wpe", NewAffine(filled(1, 1), rnd(0.05, 1, seq, d), false), []string{"embed.wte"}},
	}
	x := "embed.wpe"
	w := 1 / math.Sqrt(float64(d))
	for i := range s.Blocks {
		p := fmt.Sprintf("h%d.", i)
		nodes = append(nodes,
			exampleNode{p + "ln_1", NewLayerNorm(filled(1, d), filled(0, d), 1e-5), []string{x}},
			exampleNode{p + "q", NewLinear(rnd(w, d, d), rnd(0.02, d), false), []string{p + "ln_1"}},
			exampleNode{p + "k", NewLinear(rnd(w, d, d), rnd(0.02, d), false), []string{p + "ln_1"}},
			exampleNode{p + "v", NewLinear(rnd(w, d, d), rnd(0.02, d), false), []string{p + "ln_1"}},
			exampleNode{p + "attn", &Attention{Heads: s.Heads, KVHeads: s.Heads, HeadDim: d / s.Heads, Scale: 1 / math.Sqrt(float64(d/s.Heads)), Mask: MaskCausal}, []string{p + "q", p + "k", p + "v"}},
			exampleNode{p + "c_proj", NewLinear(rnd(w, d, d), rnd(0.02, d), false), []string{p + "attn"}},
			exampleNode{p + "res_1", &Binary{Op: "add"}, []string{x, p + "c_proj"}},
			exampleNode{p + "ln_2", NewLayerNorm(filled(1, d), filled(0, d), 1e-5), []string{p + "res_1"}},
			exampleNode{p + "fc", NewLinear(rnd(w, d, 4*d), rnd(0.02, 4*d), false), []string{p + "ln_2"}},
			exampleNode{p + "gelu", &Unary{Fn: "gelu"}, []string{p + "fc"}},
			exampleNode{p + "proj", NewLinear(rnd(w/2, 4*d, d), rnd(0.02, d), false), []string{p + "gelu"}},
			exampleNode{p + "res_2", &Binary{Op: "add"}, []string{p + "res_1", p + "proj"}},
		)
		x = p + "res_2"
	}
	if !s.NoHead {
		nodes = append(nodes,
			exampleNode{"head.ln_f", NewLayerNorm(filled(1, d), filled(0, d), 1e-5), []string{x}},
		)
		// The tied head wteᵀ.
		nodes = append(nodes, exampleHead(s.Vocab, "head.ln_f", func(lo, hi int) *Linear {
			w := &quant.FloatTensor{Shape: []int{d, hi - lo}, Data: make([]float64, d*(hi-lo))}
			for v := lo; v < hi; v++ {
				for j := range d {
					w.Data[j*(hi-lo)+v-lo] = wte.Data[v*d+j]
				}
			}
			return NewLinear(w, filled(0, hi-lo), false)
		})...)
	}
	if err := b.TypedInput(quant.GraphInput{Name: "ids", Shape: []int{1, seq}, DType: quant.DTypeIndex, Hi: int64(s.Vocab - 1)}); err != nil {
		return nil, err
	}
	if !s.NoHead {
		x = "head.lm_head"
	}
	return buildExampleNodes(b, nodes, x)
}

// LlamaShape is the shape of ExampleLlama.
type LlamaShape struct {
	Vocab, D, Heads, KVHeads, Hidden, Blocks int
	// BlockOnly makes the model the blocks alone: a float residual stream
	// x [1, seq, D] in, the last block's residual out (no embedding, final
	// norm or head; Vocab unused).
	BlockOnly bool
}

// ExampleLlama returns a Llama-style language model with random weights
// drawn from seed (no checkpoint: Llama's op graph, not its values): ids
// [1, seq] → embed_tokens (a gather; gather_packed beyond 2^22 values) →
// Blocks pre-norm blocks (RMSNorm → q, k, v projections without bias,
// Heads query heads and KVHeads kv heads (grouped-query attention) of
// D/Heads values → RoPE (θ 10000, rotate_half per head: reshape and
// transpose to [1, H, T, dh] and back, free) on q and k → causal
// attention → o_proj → residual; RMSNorm → SwiGLU (silu(gate)·up) of
// Hidden values → down → residual) → RMSNorm → untied head → logits
// [1, seq, Vocab]. Node names start with "embed.", "h<i>." and "head."
// (the cost split of the benchmarks).
func ExampleLlama(s LlamaShape, seq int, seed uint64) (*quant.FloatModel, error) {
	if s.D < 2 || s.Heads < 1 || s.KVHeads < 1 || s.Heads%s.KVHeads != 0 || s.D%s.Heads != 0 || (s.D/s.Heads)%2 != 0 || s.Hidden < 1 || s.Blocks < 0 || seq < 1 || (!s.BlockOnly && s.Vocab < 2) {
		return nil, fmt.Errorf("%w: Llama shape %+v at %d positions", quant.ErrValidation, s, seq)
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x2545f4914f6cdd1d))
	rnd := exampleRand(rng)
	ones := func(n int) *quant.FloatTensor { return filled(1, n) }
	zeros := func(n int) *quant.FloatTensor { return &quant.FloatTensor{Shape: []int{n}, Data: make([]float64, n)} }
	d, h, hkv := s.D, s.Heads, s.KVHeads
	dh := d / h
	cos := &quant.FloatTensor{Shape: []int{seq, dh}, Data: make([]float64, seq*dh)}
	sin := &quant.FloatTensor{Shape: []int{seq, dh}, Data: make([]float64, seq*dh)}
	for p := range seq {
		for j := range dh {
			f := float64(p) / math.Pow(10000, float64(2*(j%(dh/2)))/float64(dh))
			cos.Data[p*dh+j], sin.Data[p*dh+j] = math.Cos(f), math.Sin(f)
		}
	}
	var nodes []exampleNode
	x := "x"
	b := quant.NewGraphBuilder()
	if s.BlockOnly {
		if err := b.Input("x", []int{1, seq, d}); err != nil {
			return nil, err
		}
	} else {
		if err := b.TypedInput(quant.GraphInput{Name: "ids", Shape: []int{1, seq}, DType: quant.DTypeIndex, Hi: int64(s.Vocab - 1)}); err != nil {
			return nil, err
		}
		var emb quant.FloatOp = NewGather(rnd(1, s.Vocab, d))
		if s.Vocab*d > 1<<22 {
			emb = NewGatherPacked(rnd(1, s.Vocab, d), 0)
		}
		nodes = append(nodes, exampleNode{"embed.tokens", emb, []string{"ids"}})
		x = "embed.tokens"
	}
	w := 1 / math.Sqrt(float64(d))
	lin := func(in, out int, scale float64) *Linear { return NewLinear(rnd(scale, in, out), zeros(out), false) }
	// rope applies RoPE per head to a [1, seq, n·dh] projection.
	rope := func(p, v string, n int) string {
		nodes = append(nodes,
			exampleNode{p + v + "_heads", &Reshape{Shape: []int{1, seq, n, dh}}, []string{p + v}},
			exampleNode{p + v + "_t", &Transpose{Perm: []int{0, 2, 1, 3}}, []string{p + v + "_heads"}},
			exampleNode{p + v + "_rope", NewRope(cos, sin), []string{p + v + "_t"}},
			exampleNode{p + v + "_back", &Transpose{Perm: []int{0, 2, 1, 3}}, []string{p + v + "_rope"}},
			exampleNode{p + v + "_rot", &Reshape{Shape: []int{1, seq, n * dh}}, []string{p + v + "_back"}},
		)
		return p + v + "_rot"
	}
	for i := range s.Blocks {
		p := fmt.Sprintf("h%d.", i)
		nodes = append(nodes,
			exampleNode{p + "input_layernorm", NewRMSNorm(ones(d), 1e-5), []string{x}},
			exampleNode{p + "q", lin(d, h*dh, w), []string{p + "input_layernorm"}},
			exampleNode{p + "k", lin(d, hkv*dh, w), []string{p + "input_layernorm"}},
			exampleNode{p + "v", lin(d, hkv*dh, w), []string{p + "input_layernorm"}},
		)
		q, k := rope(p, "q", h), rope(p, "k", hkv)
		nodes = append(nodes,
			exampleNode{p + "attn", &Attention{Heads: h, KVHeads: hkv, HeadDim: dh, Scale: 1 / math.Sqrt(float64(dh)), Mask: MaskCausal}, []string{q, k, p + "v"}},
			exampleNode{p + "o_proj", lin(d, d, w), []string{p + "attn"}},
			exampleNode{p + "res_1", &Binary{Op: "add"}, []string{x, p + "o_proj"}},
			exampleNode{p + "post_attention_layernorm", NewRMSNorm(ones(d), 1e-5), []string{p + "res_1"}},
			exampleNode{p + "gate", lin(d, s.Hidden, w), []string{p + "post_attention_layernorm"}},
			exampleNode{p + "up", lin(d, s.Hidden, w), []string{p + "post_attention_layernorm"}},
			exampleNode{p + "silu", &Unary{Fn: "silu"}, []string{p + "gate"}},
			exampleNode{p + "swiglu", &Binary{Op: "mul"}, []string{p + "silu", p + "up"}},
			exampleNode{p + "down", lin(s.Hidden, d, 1/math.Sqrt(float64(s.Hidden))), []string{p + "swiglu"}},
			exampleNode{p + "res_2", &Binary{Op: "add"}, []string{p + "res_1", p + "down"}},
		)
		x = p + "res_2"
	}
	if !s.BlockOnly {
		nodes = append(nodes, exampleNode{"head.norm", NewRMSNorm(ones(d), 1e-5), []string{x}})
		nodes = append(nodes, exampleHead(s.Vocab, "head.norm", func(lo, hi int) *Linear { return lin(d, hi-lo, w) })...)
		x = "head.lm_head"
	}
	return buildExampleNodes(b, nodes, x)
}

// exampleNode is a node of the example language models: its one output
// value bears its name.
type exampleNode struct {
	name string
	op   quant.FloatOp
	in   []string
}

// exampleHead is an LM head over the value in: one linear of vocab columns
// or, beyond quant.MaxDim (a linear's bound), linears over column blocks
// (one output group: the concat copies) joined by a concat; part(lo, hi)
// makes the linear of columns lo..hi−1, called in column order. Its output
// is "head.lm_head".
func exampleHead(vocab int, in string, part func(lo, hi int) *Linear) []exampleNode {
	var nodes []exampleNode
	parts := (vocab + quant.MaxDim - 1) / quant.MaxDim
	var names []string
	for p := range parts {
		lo, hi := p*vocab/parts, (p+1)*vocab/parts
		name := "head.lm_head"
		if parts > 1 {
			name = fmt.Sprintf("head.lm_head.%d", p)
		}
		l := part(lo, hi)
		if parts > 1 {
			l.Group = "head.lm_head"
		}
		names = append(names, name)
		nodes = append(nodes, exampleNode{name, l, []string{in}})
	}
	if parts > 1 {
		nodes = append(nodes, exampleNode{"head.lm_head", &Concat{Axis: 2}, names})
	}
	return nodes
}

// buildExampleNodes adds nodes to b (its inputs declared), marks out the
// output and builds the float model.
func buildExampleNodes(b *quant.GraphBuilder, nodes []exampleNode, out string) (*quant.FloatModel, error) {
	for _, n := range nodes {
		if err := b.Node(n.name, n.op, n.in, []string{n.name}); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.name, err)
		}
	}
	if err := b.Output(out); err != nil {
		return nil, err
	}
	g, err := b.Build()
	if err != nil {
		return nil, err
	}
	return quant.NewGraphModel(g)
}
