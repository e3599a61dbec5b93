package hf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// A checkpoint as a whole language model (issue 15): token ids [1, T] (an
// index input, ids 0..V−1) → logits [1, T, V], a layer graph of the ops
// the ONNX LM path and ops.ExampleGPT2 use, node names starting with
// "embed.", "h<i>." and "head.":
//
//	gpt2:  wte (gather; packed beyond ops.MaxGatherTable values) + wpe rows
//	       0..T−1 (a constant add: affine) → per block: ln_1 → q, k, v
//	       (c_attn's column thirds) → attention (causal, scale 1/√head_dim)
//	       → c_proj → residual add; ln_2 → c_fc → GELU → c_proj → residual
//	       add → ln_f → the head: lm_head.weight when the file has it, else
//	       wteᵀ (tied), no bias.
//	llama, mistral: embed_tokens (gather) → per layer: input_layernorm
//	       (rmsnorm) → q, k, v projections → rope on q and k → attention
//	       (causal, GQA: num_key_value_heads, scale 1/√head_dim) → o_proj →
//	       residual add; post_attention_layernorm → SiLU(gate_proj)·up_proj
//	       (unary silu, binary mul) → down_proj → residual add → norm →
//	       lm_head (embed_tokensᵀ with tie_word_embeddings).
//
// RoPE rotates each head's dh values (rotate_half pairs j and j + dh/2) with
// the tables of its position: q [1, T, H·dh] is read as [1, T·H, dh] (a
// reshape, free), its rows (t, h) in order, and rope's tables are [T·H, dh]
// with row t·H + h holding position t's cos and sin; a reshape back gives
// [1, T, H·dh]. The same rotation as Llama's q·cos + rotate_half(q)·sin in
// the [B, H, T, dh] layout, without the two transposes.
//
// A vocabulary beyond quant.MaxDim (a linear's bound: GPT-2's 50257) splits
// the head into column blocks joined by a concat, as ops.ExampleGPT2 does.

// lmShape is a checkpoint's language-model shape, transformers' defaults
// filled in and every dimension bounded.
type lmShape struct {
	vocab, d, heads, kvHeads, headDim, layers, hidden, positions int
	eps, theta                                                   float64
	act                                                          string // the unary function of the MLP
	tied                                                         bool
	attnBias, mlpBias                                            bool
	scale                                                        []float64 // attention scale per layer
}

// MaxLMParams bounds the parameters config.json may describe (2^31: a
// 2 GiB file of 16-bit weights, quant.MaxModelFileSize, holds at most
// 2^30).
const MaxLMParams = 1 << 31

func intOr(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

func floatOr(p *float64, def float64) float64 {
	if p == nil {
		return def
	}
	return *p
}

// isNull reports whether a raw JSON field is absent or null.
func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// lm returns the checkpoint's language-model shape at seq positions.
func (c *Config) lm(seq int) (*lmShape, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("hf: %w: %s", quant.ErrValidation, fmt.Sprintf(format, a...))
	}
	var s lmShape
	switch c.ModelType {
	case ModelGPT2:
		s = lmShape{vocab: intOr(c.VocabSize, 50257), d: c.NEmbd, heads: c.NHead, layers: c.NLayer, hidden: c.DHidden(),
			positions: c.NPositions, eps: floatOr(c.LayerNormEpsilon, 1e-5), tied: c.TieWords == nil || *c.TieWords, attnBias: true, mlpBias: true}
		if s.positions == 0 {
			s.positions = 1024 // GPT2Config's default
		}
		switch activations[c.activation()] {
		case quant.ActivationGELU:
			s.act = "gelu"
		case quant.ActivationGELUErf:
			s.act = "gelu_erf"
		default:
			return nil, bad("activation_function %q is not supported", c.activation())
		}
		if s.heads < 1 || s.d%s.heads != 0 {
			return nil, bad("n_embd = %d does not divide into n_head = %d heads", s.d, s.heads)
		}
		s.kvHeads, s.headDim = s.heads, s.d/max(s.heads, 1)
		for i := range s.layers {
			sc := 1.0
			if c.ScaleAttnWeights == nil || *c.ScaleAttnWeights {
				sc /= math.Sqrt(float64(s.headDim))
			}
			if c.ScaleByLayerIdx {
				sc /= float64(i + 1)
			}
			s.scale = append(s.scale, sc)
		}
	case ModelLlama, ModelMistral:
		posDef := 2048
		if c.ModelType == ModelMistral {
			posDef = 4096 * 32
		}
		s = lmShape{vocab: intOr(c.VocabSize, 32000), d: c.HiddenSize, heads: c.NumHeads, layers: c.NumLayers, hidden: c.Intermediate,
			positions: c.MaxPositions, eps: floatOr(c.RMSNormEps, 1e-6), theta: floatOr(c.RopeTheta, 10000), act: "silu",
			attnBias: c.AttentionBias, mlpBias: c.MLPBias}
		if s.positions == 0 {
			s.positions = posDef
		}
		if c.TieWords != nil {
			s.tied = *c.TieWords
		}
		if c.ModelType == ModelMistral && (c.AttentionBias || c.MLPBias) {
			// MistralAttention and MistralMLP are bias=False whatever the
			// config says: the file's bias tensors would not be used.
			return nil, bad("attention_bias and mlp_bias are not mistral options (transformers' Mistral has no biases); use model_type \"llama\" for a model with them")
		}
		if act := c.HiddenAct; act != nil && *act != "silu" && *act != "swish" {
			return nil, bad("hidden_act %q is not supported (supported: \"silu\": the SwiGLU MLP)", *act)
		}
		if !isNull(c.RopeScaling) {
			var rs struct {
				Type     string `json:"type"`
				RopeType string `json:"rope_type"`
			}
			if json.Unmarshal(c.RopeScaling, &rs) != nil || (rs.Type != "default" && rs.RopeType != "default") || (rs.Type != "" && rs.RopeType != "" && rs.Type != rs.RopeType) {
				return nil, bad("rope_scaling %s is not supported (plain RoPE only: null)", bytes.TrimSpace(c.RopeScaling))
			}
			// transformers v5 reads rope_scaling as rope_parameters (its
			// rope_theta and partial_rotary_factor count), v4 does not: they
			// must not change the model.
			var rx struct {
				Theta   *float64 `json:"rope_theta"`
				Partial *float64 `json:"partial_rotary_factor"`
			}
			if json.Unmarshal(c.RopeScaling, &rx) != nil || (rx.Theta != nil && *rx.Theta != s.theta) || (rx.Partial != nil && *rx.Partial != 1) {
				return nil, bad("rope_scaling %s: its rope_theta or partial_rotary_factor disagrees with rope_theta = %v over the whole head (transformers v4 and v5 read it differently)", bytes.TrimSpace(c.RopeScaling), s.theta)
			}
		}
		if !isNull(c.RopeParameters) {
			// transformers v5: {"rope_type": "default", "rope_theta": θ}.
			var rp map[string]json.RawMessage
			if json.Unmarshal(c.RopeParameters, &rp) != nil {
				return nil, bad("rope_parameters %s is not an object", bytes.TrimSpace(c.RopeParameters))
			}
			for _, k := range slices.Sorted(maps.Keys(rp)) {
				v := rp[k]
				switch k {
				case "rope_type", "type":
					var t string
					if json.Unmarshal(v, &t) != nil || t != "default" {
						return nil, bad("rope_parameters %s %s is not supported (plain RoPE only: \"default\")", k, v)
					}
				case "rope_theta":
					var th float64
					if json.Unmarshal(v, &th) != nil {
						return nil, bad("rope_parameters rope_theta %s is not a number", v)
					}
					if c.RopeTheta != nil && *c.RopeTheta != th {
						return nil, bad("rope_theta = %v and rope_parameters rope_theta = %v disagree", *c.RopeTheta, th)
					}
					s.theta = th
				case "partial_rotary_factor":
					var f float64
					if json.Unmarshal(v, &f) != nil || f != 1 {
						return nil, bad("rope_parameters partial_rotary_factor %s is not supported (RoPE over the whole head)", v)
					}
				default:
					return nil, bad("rope_parameters key %q is not supported (plain RoPE only: rope_type \"default\" and rope_theta)", k)
				}
			}
		}
		if c.PartialRotary != nil && *c.PartialRotary != 1 {
			return nil, bad("partial_rotary_factor %v is not supported (RoPE over the whole head)", *c.PartialRotary)
		}
		if s.heads < 1 {
			return nil, bad("num_attention_heads = %d, want ≥ 1", s.heads)
		}
		s.kvHeads = intOr(c.NumKVHeads, s.heads)
		if s.kvHeads < 1 || s.heads%s.kvHeads != 0 {
			return nil, bad("num_key_value_heads = %d does not divide num_attention_heads = %d", s.kvHeads, s.heads)
		}
		if c.HeadDim != nil {
			s.headDim = *c.HeadDim
		} else if s.d%s.heads != 0 {
			return nil, bad("hidden_size = %d does not divide into num_attention_heads = %d heads (and head_dim is not given)", s.d, s.heads)
		} else {
			s.headDim = s.d / s.heads
		}
		if s.headDim < 2 || s.headDim%2 != 0 || s.headDim > quant.MaxDim {
			return nil, bad("head_dim = %d, want an even number 2..%d (RoPE rotates pairs)", s.headDim, quant.MaxDim)
		}
		if math.IsNaN(s.theta) || math.IsInf(s.theta, 0) || s.theta <= 1 {
			return nil, bad("rope_theta = %v, want a finite number > 1", s.theta)
		}
		if c.SlidingWindow != nil && *c.SlidingWindow < seq {
			return nil, bad("sliding_window = %d is shorter than the %d positions: only plain causal attention is supported", *c.SlidingWindow, seq)
		}
		for range s.layers {
			s.scale = append(s.scale, 1/math.Sqrt(float64(s.headDim)))
		}
	default:
		return nil, bad("model_type %q is not supported (supported: %q, %q, %q)", c.ModelType, ModelGPT2, ModelLlama, ModelMistral)
	}
	switch {
	case s.vocab < 2 || s.vocab > quant.MaxIndex+1:
		return nil, bad("vocab_size = %d, want 2..%d", s.vocab, quant.MaxIndex+1)
	case s.d < 1 || s.d > quant.MaxGPT2Dim:
		return nil, bad("hidden size %d, want 1..%d (the norms' integer intermediates)", s.d, quant.MaxGPT2Dim)
	case s.heads > quant.MaxDim || s.heads*s.headDim > quant.MaxDim:
		return nil, bad("%d heads of %d values, at most %d values", s.heads, s.headDim, quant.MaxDim)
	case s.layers < 1 || s.layers > quant.MaxLayers:
		return nil, bad("%d layers, want 1..%d", s.layers, quant.MaxLayers)
	case s.hidden < 1 || s.hidden > quant.MaxDim:
		return nil, bad("MLP width %d, want 1..%d", s.hidden, quant.MaxDim)
	case s.positions < 1 || s.positions > 1<<24:
		return nil, bad("%d positions, want 1..%d", s.positions, 1<<24)
	case math.IsNaN(s.eps) || s.eps < 0 || s.eps > 1:
		return nil, bad("norm epsilon %v, want 0..1", s.eps)
	case int64(s.vocab)*int64(s.d) > ops.MaxPackedGatherValues:
		return nil, bad("an embedding table of %d × %d values, at most %d", s.vocab, s.d, ops.MaxPackedGatherValues)
	}
	if seq < 1 || seq > quant.MaxSeqLen {
		return nil, bad("seq_len %d, want 1..%d", seq, quant.MaxSeqLen)
	}
	if seq > s.positions {
		return nil, bad("seq_len %d exceeds the model's %d positions", seq, s.positions)
	}
	if p := s.params(c.IsGPT2()); p > MaxLMParams {
		return nil, bad("config.json describes %d parameters, at most %d", p, MaxLMParams)
	}
	return &s, nil
}

// params counts the parameters the checkpoint must hold (wpe whole).
func (s *lmShape) params(gpt2 bool) int64 {
	d, h, q, kv := int64(s.d), int64(s.hidden), int64(s.heads*s.headDim), int64(s.kvHeads*s.headDim)
	n := int64(s.vocab) * d
	if !s.tied {
		n *= 2
	}
	var layer int64
	if gpt2 {
		n += int64(s.positions)*d + 2*d
		layer = 4*d + 3*d*d + 3*d + d*d + d + 2*d*h + h + d
	} else {
		n += d
		layer = 2*d + d*q + 2*d*kv + q*d + 3*d*h
		if s.attnBias {
			layer += q + 2*kv + d
		}
		if s.mlpBias {
			layer += 2*h + d
		}
	}
	return n + int64(s.layers)*layer
}

// ParseLM imports a checkpoint from its config.json and model.safetensors
// bytes as a whole language model over seqLen positions (0: DefaultSeqLen).
func ParseLM(configData, weights []byte, seqLen int) (*quant.FloatModel, error) {
	c, err := ParseConfig(configData)
	if err != nil {
		return nil, err
	}
	return c.parseLM(weights, seqLen)
}

// LoadLM reads a checkpoint's config.json and model.safetensors as a whole
// language model over seqLen positions (0: DefaultSeqLen).
func LoadLM(configPath, weightsPath string, seqLen int) (*quant.FloatModel, error) {
	c, err := readConfig(configPath)
	if err != nil {
		return nil, err
	}
	if seqLen == 0 {
		seqLen = DefaultSeqLen
	}
	if _, err := c.lm(seqLen); err != nil { // before the weights are read
		return nil, fmt.Errorf("%s: %w", configPath, err)
	}
	wd, err := quant.ReadFileLimited(weightsPath, quant.MaxModelFileSize)
	if err != nil {
		return nil, err
	}
	m, err := c.parseLM(wd, seqLen)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", weightsPath, err)
	}
	return m, nil
}

func (c *Config) parseLM(weights []byte, seq int) (*quant.FloatModel, error) {
	if seq == 0 {
		seq = DefaultSeqLen
	}
	s, err := c.lm(seq)
	if err != nil {
		return nil, err
	}
	// Every parameter takes at least 2 bytes: a file too short for them is
	// refused before its header is parsed.
	if p := s.params(c.IsGPT2()); 2*p > int64(len(weights)) {
		return nil, fmt.Errorf("hf: %w: config.json describes %d parameters (at least %d bytes), the weights file has %d bytes", quant.ErrValidation, p, 2*p, len(weights))
	}
	ck, err := openCheckpoint(weights)
	if err != nil {
		return nil, fmt.Errorf("hf: %w", err)
	}
	b := &lmBuilder{b: quant.NewGraphBuilder(), ck: ck, seq: seq, s: s}
	if c.IsGPT2() {
		b.gpt2()
	} else {
		b.llama()
	}
	if b.err != nil {
		return nil, fmt.Errorf("hf: %w", b.err)
	}
	g, err := b.b.Build()
	if err != nil {
		return nil, fmt.Errorf("hf: %w", err)
	}
	return quant.NewGraphModel(g)
}

// lmBuilder builds the graph; the first error stops it.
type lmBuilder struct {
	b   *quant.GraphBuilder
	ck  *checkpoint
	seq int
	s   *lmShape
	err error
}

// get decodes a tensor (nil after an error).
func (l *lmBuilder) get(name string, shape ...int) *quant.FloatTensor {
	if l.err != nil {
		return nil
	}
	t, err := l.ck.tensor(name, shape...)
	if err != nil {
		l.err = err
	}
	return t
}

// bias decodes a bias vector, or zeros when the model has none.
func (l *lmBuilder) bias(has bool, name string, n int) *quant.FloatTensor {
	if !has {
		return zeros(n)
	}
	return l.get(name, n)
}

// node adds a node writing the value of its own name, and returns the name.
func (l *lmBuilder) node(name string, op quant.FloatOp, in ...string) string {
	if l.err == nil {
		l.err = l.b.Node(name, op, in, []string{name})
	}
	return name
}

func (l *lmBuilder) input() {
	if l.err == nil {
		l.err = l.b.TypedInput(quant.GraphInput{Name: "ids", Shape: []int{1, l.seq}, DType: quant.DTypeIndex, Hi: int64(l.s.vocab - 1)})
	}
}

// head adds the LM head after the final norm: logits = x·Eᵀ for E [V, d]
// (wte, embed_tokens or lm_head.weight, as stored), no bias, in column
// blocks of at most quant.MaxDim joined by a concat; each block's [d, n]
// weight is cut from E directly (no transposed copy of the whole table).
// The blocks form one calibration group (ops.Linear.Group): one output
// fraction, so the concat copies them without requantizing, as the ONNX
// importer's wide heads.
func (l *lmBuilder) head(x string, e *quant.FloatTensor) string {
	if l.err != nil {
		return x
	}
	v, d := l.s.vocab, l.s.d
	block := func(lo, hi int) *quant.FloatTensor {
		n := hi - lo
		w := &quant.FloatTensor{Shape: []int{d, n}, Data: make([]float64, d*n)}
		for r := lo; r < hi; r++ {
			for j := range d {
				w.Data[j*n+r-lo] = e.Data[r*d+j]
			}
		}
		return w
	}
	parts := (v + quant.MaxDim - 1) / quant.MaxDim
	if parts == 1 {
		return l.node("head.lm_head", ops.NewLinear(block(0, v), zeros(v), false), x)
	}
	var names []string
	for p := range parts {
		lo, hi := p*v/parts, (p+1)*v/parts
		blk := ops.NewLinear(block(lo, hi), zeros(hi-lo), false)
		blk.Group = "head.lm_head" // one output fraction: the concat copies
		names = append(names, l.node(fmt.Sprintf("head.lm_head.%d", p), blk, x))
	}
	return l.node("head.lm_head", &ops.Concat{Axis: 2}, names...)
}

// headWeights returns the head's [V, d] table as transformers uses it:
// the embedding emb (named embName) when tie_word_embeddings, else
// lm_head.weight. A tied file that also saved lm_head.weight must hold the
// embedding's values there: transformers ties the head to the embedding,
// and which of two different tables it ended with would depend on its
// version's loading order.
func (l *lmBuilder) headWeights(emb *quant.FloatTensor, embName string) *quant.FloatTensor {
	if l.err != nil {
		return nil
	}
	if !l.s.tied {
		return l.get("lm_head.weight", l.s.vocab, l.s.d)
	}
	if l.ck.has("lm_head.weight") {
		hw := l.get("lm_head.weight", l.s.vocab, l.s.d)
		if l.err != nil {
			return nil
		}
		for i, v := range hw.Data {
			if v != emb.Data[i] {
				l.err = fmt.Errorf("%w: tie_word_embeddings is true but lm_head.weight differs from %s (element %d: %v, %v): set tie_word_embeddings false to use lm_head.weight as the head", quant.ErrValidation, embName, i, v, emb.Data[i])
				return nil
			}
		}
	}
	return emb
}

func (l *lmBuilder) finish(out string) {
	if l.err == nil {
		l.err = l.b.Output(out)
	}
}

func ones(n int) *quant.FloatTensor {
	t := zeros(n)
	for i := range t.Data {
		t.Data[i] = 1
	}
	return t
}

// gpt2 builds GPT2LMHeadModel; tensor names with or without the
// "transformer." prefix.
func (l *lmBuilder) gpt2() {
	s, seq := l.s, l.seq
	d, h := s.d, s.hidden
	p := ""
	if l.ck.has("transformer.wte.weight") {
		p = "transformer."
	}
	l.input()
	wte := l.get(p+"wte.weight", s.vocab, d)
	wpe := l.get(p+"wpe.weight", s.positions, d)
	if l.err != nil {
		return
	}
	pos := &quant.FloatTensor{Shape: []int{1, seq, d}, Data: wpe.Data[:seq*d]}
	x := l.node("embed.wte", ops.NewGather(wte), "ids")
	x = l.node("embed.wpe", ops.NewAffine(ones(1), pos, false), x)
	for i := range s.layers {
		n := fmt.Sprintf("%sh.%d.", p, i)
		g := fmt.Sprintf("h%d.", i)
		ln := func(name, key string, in string) string {
			return l.node(g+name, ops.NewLayerNorm(l.get(n+key+".weight", d), l.get(n+key+".bias", d), s.eps), in)
		}
		a := ln("ln_1", "ln_1", x)
		cw, cb := l.get(n+"attn.c_attn.weight", d, 3*d), l.get(n+"attn.c_attn.bias", 3*d)
		if l.err != nil {
			return
		}
		q := l.node(g+"q", ops.NewLinear(columns(cw, 0, d), slice1(cb, 0, d), false), a)
		k := l.node(g+"k", ops.NewLinear(columns(cw, d, 2*d), slice1(cb, d, 2*d), false), a)
		v := l.node(g+"v", ops.NewLinear(columns(cw, 2*d, 3*d), slice1(cb, 2*d, 3*d), false), a)
		att := l.node(g+"attn", &ops.Attention{Heads: s.heads, KVHeads: s.heads, HeadDim: s.headDim, Scale: s.scale[i], Mask: ops.MaskCausal}, q, k, v)
		o := l.node(g+"c_proj", ops.NewLinear(l.get(n+"attn.c_proj.weight", d, d), l.get(n+"attn.c_proj.bias", d), false), att)
		r1 := l.node(g+"res_1", &ops.Binary{Op: "add"}, x, o)
		m := ln("ln_2", "ln_2", r1)
		m = l.node(g+"fc", ops.NewLinear(l.get(n+"mlp.c_fc.weight", d, h), l.get(n+"mlp.c_fc.bias", h), false), m)
		m = l.node(g+"gelu", &ops.Unary{Fn: s.act}, m)
		m = l.node(g+"proj", ops.NewLinear(l.get(n+"mlp.c_proj.weight", h, d), l.get(n+"mlp.c_proj.bias", d), false), m)
		x = l.node(g+"res_2", &ops.Binary{Op: "add"}, r1, m)
	}
	x = l.node("head.ln_f", ops.NewLayerNorm(l.get(p+"ln_f.weight", d), l.get(p+"ln_f.bias", d), s.eps), x)
	l.finish(l.head(x, l.headWeights(wte, p+"wte.weight")))
}

// ropeTables returns the cos and sin tables [seq·heads, dh] of RoPE with
// base theta: row t·heads + h holds position t's cos(t·θ_j), sin(t·θ_j),
// θ_j = theta^(−2(j mod dh/2)/dh), as transformers' rotary embedding
// (inv_freq, cat(freqs, freqs)) computes them.
func ropeTables(seq, heads, dh int, theta float64) (cos, sin *quant.FloatTensor) {
	cos = &quant.FloatTensor{Shape: []int{seq * heads, dh}, Data: make([]float64, seq*heads*dh)}
	sin = &quant.FloatTensor{Shape: []int{seq * heads, dh}, Data: make([]float64, seq*heads*dh)}
	for t := range seq {
		for h := range heads {
			row := (t*heads + h) * dh
			for j := range dh {
				invFreq := 1 / math.Pow(theta, float64(2*(j%(dh/2)))/float64(dh))
				cos.Data[row+j], sin.Data[row+j] = math.Cos(float64(t)*invFreq), math.Sin(float64(t)*invFreq)
			}
		}
	}
	return cos, sin
}

// rope rotates x [1, T, heads·dh] head by head.
func (l *lmBuilder) rope(name, x string, heads int) string {
	dh := l.s.headDim
	cos, sin := ropeTables(l.seq, heads, dh, l.s.theta)
	r := l.node(name+"_rows", &ops.Reshape{Shape: []int{1, l.seq * heads, dh}}, x)
	r = l.node(name+"_rope", ops.NewRope(cos, sin), r)
	return l.node(name+"_rot", &ops.Reshape{Shape: []int{1, l.seq, heads * dh}}, r)
}

// llama builds LlamaForCausalLM (and MistralForCausalLM, the same layout);
// tensor names with or without the "model." prefix.
func (l *lmBuilder) llama() {
	s := l.s
	d, h, qd, kvd := s.d, s.hidden, s.heads*s.headDim, s.kvHeads*s.headDim
	p := ""
	if l.ck.has("model.embed_tokens.weight") {
		p = "model."
	}
	l.input()
	emb := l.get(p+"embed_tokens.weight", s.vocab, d)
	x := l.node("embed.tokens", ops.NewGather(emb), "ids")
	// proj is an nn.Linear: weight [out, in].
	proj := func(name, key string, in, out int, hasBias bool, x string) string {
		w := l.get(key+".weight", out, in)
		b := l.bias(hasBias, key+".bias", out)
		if l.err != nil {
			return name
		}
		return l.node(name, ops.NewLinear(transposed(w), b, false), x)
	}
	for i := range s.layers {
		n := fmt.Sprintf("%slayers.%d.", p, i)
		g := fmt.Sprintf("h%d.", i)
		a := l.node(g+"input_layernorm", ops.NewRMSNorm(l.get(n+"input_layernorm.weight", d), s.eps), x)
		q := proj(g+"q_proj", n+"self_attn.q_proj", d, qd, s.attnBias, a)
		k := proj(g+"k_proj", n+"self_attn.k_proj", d, kvd, s.attnBias, a)
		v := proj(g+"v_proj", n+"self_attn.v_proj", d, kvd, s.attnBias, a)
		q = l.rope(g+"q", q, s.heads)
		k = l.rope(g+"k", k, s.kvHeads)
		att := l.node(g+"attn", &ops.Attention{Heads: s.heads, KVHeads: s.kvHeads, HeadDim: s.headDim, Scale: s.scale[i], Mask: ops.MaskCausal}, q, k, v)
		o := proj(g+"o_proj", n+"self_attn.o_proj", qd, d, s.attnBias, att)
		r1 := l.node(g+"res_1", &ops.Binary{Op: "add"}, x, o)
		m := l.node(g+"post_attention_layernorm", ops.NewRMSNorm(l.get(n+"post_attention_layernorm.weight", d), s.eps), r1)
		gate := proj(g+"gate_proj", n+"mlp.gate_proj", d, h, s.mlpBias, m)
		gate = l.node(g+"silu", &ops.Unary{Fn: s.act}, gate)
		up := proj(g+"up_proj", n+"mlp.up_proj", d, h, s.mlpBias, m)
		m = l.node(g+"swiglu", &ops.Binary{Op: "mul"}, gate, up)
		m = proj(g+"down_proj", n+"mlp.down_proj", h, d, s.mlpBias, m)
		x = l.node(g+"res_2", &ops.Binary{Op: "add"}, r1, m)
	}
	x = l.node("head.norm", ops.NewRMSNorm(l.get(p+"norm.weight", d), s.eps), x)
	l.finish(l.head(x, l.headWeights(emb, p+"embed_tokens.weight")))
}
