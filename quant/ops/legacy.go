package ops

import (
	"fmt"
	"slices"

	"github.com/zkinfer/zkinfer/quant"
)

// FromLegacyFFN re-expresses a legacy ffn model, y = clamp(x + Proj(ReLU(FC(x)))),
// as a layer graph over the generic ops: x [seq, d_model] → linear (c_fc,
// ReLU in its clamp) → linear (c_proj) → residual (x + ·). The layers'
// integers are shared with m (quant.Dense), so the graph's forward pass is
// m's bit for bit, its sites are the legacy circuit's, and the graph
// circuit (circuits/graph) has the legacy circuit's constraint count.
// m keeps its architecture, encoding (commitment v2) and public inputs:
// the graph is how its circuit is built, not a new model.
func FromLegacyFFN(m *quant.Model) (*quant.Graph, error) {
	c := m.Config
	if c.Architecture != quant.ArchitectureFFN {
		return nil, fmt.Errorf("%w: FromLegacyFFN of a %s model", quant.ErrValidation, c.Architecture)
	}
	s := m.Scales
	x := quant.Value{Name: "x", Shape: []int{c.SeqLen, c.DModel}, Frac: s.StreamFrac, Lo: quant.Int8Min, Hi: quant.Int8Max}
	h := quant.Value{Name: "h", Shape: []int{c.SeqLen, m.FC.Out}, Frac: s.HiddenFrac, Lo: m.FC.Lo, Hi: m.FC.Hi}
	p := quant.Value{Name: "p", Shape: []int{c.SeqLen, m.Proj.Out}, Frac: s.StreamFrac, Lo: m.Proj.Lo, Hi: m.Proj.Hi}
	y := quant.Value{Name: "y", Shape: []int{c.SeqLen, c.DModel}, Frac: s.StreamFrac, Lo: quant.Int8Min, Hi: quant.Int8Max}
	g := &quant.Graph{
		Values:  []quant.Value{x, h, p, y},
		Inputs:  []int{0},
		Outputs: []int{3},
		Nodes: []quant.Node{
			{Name: "c_fc", Op: &QLinear{Dense: m.FC}, In: []int{0}, Out: []int{1}},
			{Name: "c_proj", Op: &QLinear{Dense: m.Proj}, In: []int{1}, Out: []int{2}},
			{Name: "residual", Op: &QResidual{}, In: []int{0, 2}, Out: []int{3}},
		},
	}
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("ffn as a graph: %w", err)
	}
	return g, nil
}

// FromLegacyGPT2 re-expresses a legacy gpt2 model (a stack of pre-LN
// decoder blocks, then ln_f when the model has it) as a layer graph over the
// generic ops. Per block, on x [seq, d_model]:
//
//	ln_1 (layernorm) → c_attn (linear, [seq, 3d]) → q, k, v (slices, free)
//	→ attn (attention: causal, the block's Logit and AttnOut
//	requantizations, the model's logit format) → attn_c_proj (linear)
//	→ h = residual(x, ·) → ln_2 (layernorm) → c_fc (linear) → gelu (unary,
//	the model's GELU table) → mlp_c_proj (linear) → residual(h, ·)
//
// The layers' integers are shared with m (quant.Dense, quant.LayerNorm), so
// the graph's forward pass is m's bit for bit (attention: TestAttentionMatchesLegacy),
// and its circuit (circuits/graph, with the legacy gpt2 circuit's choices:
// the log-derivative range checker, c_fc's clamp fused with GELU, the
// batched witness products) has the legacy circuit's constraint count.
// m keeps its architecture, encoding (commitment v2) and public inputs: the
// graph is how its circuit is built, not a new model. c_attn's three
// thirds have their own fractions (q, k, v); the graph's values carry q's on
// all three (fractions are metadata here: no integer op reads them).
//
// WithRecipAttention gives the attention nodes the per-row reciprocal
// softmax (QAttention.Recip): a different integer semantics, so the graph is
// no longer m's forward pass (its reference is the graph's own Forward), for
// benchmarks and experiments on the legacy block's circuit.
func FromLegacyGPT2(m *quant.Model, opts ...LegacyOption) (*quant.Graph, error) {
	var o legacyOptions
	for _, f := range opts {
		f(&o)
	}
	c := m.Config
	if c.Architecture != quant.ArchitectureGPT2 || m.Scales.GPT2 == nil {
		return nil, fmt.Errorf("%w: FromLegacyGPT2 of a %s model", quant.ErrValidation, c.Architecture)
	}
	gs := m.Scales.GPT2
	f := gs.Formats
	if len(gs.Layers) != len(m.Blocks) {
		return nil, fmt.Errorf("%w: %d blocks, %d layer scales", quant.ErrValidation, len(m.Blocks), len(gs.Layers))
	}
	if !slices.Equal(m.ExpTable, quant.ExpTableFor(f.LogitFrac, f.LogitBits)) {
		return nil, fmt.Errorf("%w: the model's exp table is not the one of its logit format", quant.ErrValidation)
	}
	seq, d := c.SeqLen, c.DModel
	g := &quant.Graph{}
	value := func(name string, width, frac int, lo, hi int64) int {
		g.Values = append(g.Values, quant.Value{Name: name, Shape: []int{seq, width}, Frac: frac, Lo: lo, Hi: hi})
		return len(g.Values) - 1
	}
	node := func(name string, op quant.Op, in []int, out int) {
		g.Nodes = append(g.Nodes, quant.Node{Name: name, Op: op, In: in, Out: []int{out}})
	}
	cur := value("x", d, f.ResidualFrac, quant.Int8Min, quant.Int8Max)
	g.Inputs = []int{cur}
	for l := range m.Blocks {
		b, ls := &m.Blocks[l], gs.Layers[l]
		p := fmt.Sprintf("h.%d.", l)
		ln1 := value(p+"ln_1", d, ls.LN1, quant.Int8Min, quant.Int8Max)
		node(p+"ln_1", &QLayerNorm{LayerNorm: b.LN1}, []int{cur}, ln1)
		qkv := value(p+"c_attn", 3*d, ls.Q, b.QKV.Lo, b.QKV.Hi)
		node(p+"c_attn", &QLinear{Dense: b.QKV}, []int{ln1}, qkv)
		var parts [3]int
		for k, name := range []string{"q", "k", "v"} {
			parts[k] = value(p+name, d, ls.Q, b.QKV.Lo, b.QKV.Hi)
			node(p+name, &QSlice{Starts: []int{0, k * d}, Steps: []int{1, 1}}, []int{qkv}, parts[k])
		}
		attn := value(p+"attn", d, ls.Attn, quant.Int8Min, quant.Int8Max)
		node(p+"attn", &QAttention{Heads: c.NHead, KVHeads: c.NHead, HeadDim: c.HeadDim(), Mask: MaskCausal,
			LogitFrac: f.LogitFrac, LogitBits: f.LogitBits, Logit: b.Logit, Out: b.AttnOut, Recip: o.recip}, parts[:], attn)
		ap := value(p+"attn.c_proj", d, f.ResidualFrac, b.AttnProj.Lo, b.AttnProj.Hi)
		node(p+"attn.c_proj", &QLinear{Dense: b.AttnProj}, []int{attn}, ap)
		h := value(p+"attn.residual", d, f.ResidualFrac, quant.Int8Min, quant.Int8Max)
		node(p+"attn.residual", &QResidual{}, []int{cur, ap}, h)
		ln2 := value(p+"ln_2", d, ls.LN2, quant.Int8Min, quant.Int8Max)
		node(p+"ln_2", &QLayerNorm{LayerNorm: b.LN2}, []int{h}, ln2)
		fc := value(p+"mlp.c_fc", b.FC.Out, f.GELUInFrac, b.FC.Lo, b.FC.Hi)
		node(p+"mlp.c_fc", &QLinear{Dense: b.FC}, []int{ln2}, fc)
		gl := value(p+"mlp.gelu", b.FC.Out, f.GELUOutFrac, quant.Int8Min, quant.Int8Max)
		node(p+"mlp.gelu", &QUnary{Fn: "gelu", Table: m.GELUTable}, []int{fc}, gl)
		pr := value(p+"mlp.c_proj", d, f.ResidualFrac, b.Proj.Lo, b.Proj.Hi)
		node(p+"mlp.c_proj", &QLinear{Dense: b.Proj}, []int{gl}, pr)
		y := value(p+"mlp.residual", d, f.ResidualFrac, quant.Int8Min, quant.Int8Max)
		node(p+"mlp.residual", &QResidual{}, []int{h, pr}, y)
		cur = y
	}
	if m.LNF != nil {
		y := value("ln_f", d, gs.LNFFrac, quant.Int8Min, quant.Int8Max)
		node("ln_f", &QLayerNorm{LayerNorm: *m.LNF}, []int{cur}, y)
		cur = y
	}
	g.Outputs = []int{cur}
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("gpt2 as a graph: %w", err)
	}
	return g, nil
}

// LegacyOption changes what FromLegacyGPT2 builds.
type LegacyOption func(*legacyOptions)

type legacyOptions struct{ recip bool }

// WithRecipAttention makes FromLegacyGPT2's attention nodes use the per-row
// reciprocal softmax (QAttention.Recip).
func WithRecipAttention() LegacyOption { return func(o *legacyOptions) { o.recip = true } }
