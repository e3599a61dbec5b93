package quant

import (
	"fmt"
	"math"
	"slices"

	"github.com/nlpodyssey/safetensors"
	"gonum.org/v1/gonum/mat"
)

// FloatLayerNorm holds LayerNorm's learned scale and shift.
type FloatLayerNorm struct {
	Gamma, Beta []float64
}

// FloatBlock is one GPT-2 decoder block with float weights (Conv1D layout W[in][out]).
type FloatBlock struct {
	LN1, LN2         FloatLayerNorm
	AttnW, AttnProjW *mat.Dense // d × 3d, d × d
	AttnB, AttnProjB []float64
	FCW, ProjW       *mat.Dense // d × hidden, hidden × d
	FCB, ProjB       []float64
}

// GPT-2 tensor names of block i, as in Hugging Face GPT-2 checkpoints.
func gpt2Names(i int) map[string]string { return gpt2PrefixedNames("", i) }

// gpt2PrefixedNames names block i's tensors under prefix ("transformer." in
// checkpoints saved from GPT2LMHeadModel).
func gpt2PrefixedNames(prefix string, i int) map[string]string {
	p := fmt.Sprintf("%sh.%d.", prefix, i)
	return map[string]string{
		"ln_1.weight": p + "ln_1.weight", "ln_1.bias": p + "ln_1.bias",
		"ln_2.weight": p + "ln_2.weight", "ln_2.bias": p + "ln_2.bias",
		"attn.c_attn.weight": p + "attn.c_attn.weight", "attn.c_attn.bias": p + "attn.c_attn.bias",
		"attn.c_proj.weight": p + "attn.c_proj.weight", "attn.c_proj.bias": p + "attn.c_proj.bias",
		"mlp.c_fc.weight": p + "mlp.c_fc.weight", "mlp.c_fc.bias": p + "mlp.c_fc.bias",
		"mlp.c_proj.weight": p + "mlp.c_proj.weight", "mlp.c_proj.bias": p + "mlp.c_proj.bias",
	}
}

// Names of the final LayerNorm's tensors.
const (
	TensorLNFWeight = "ln_f.weight"
	TensorLNFBias   = "ln_f.bias"
)

func parseGPT2(st safetensors.SafeTensors, cfg Config) (*FloatModel, error) {
	return parseGPT2Slice(st, cfg, "", 0)
}

// ParseGPT2Checkpoint reads cfg.NLayer blocks, starting at block first, from
// the safetensors bytes of a GPT-2 checkpoint whose tensors are named as
// Hugging Face saves them, with or without the "transformer." prefix. The
// blocks are renumbered from 0; ln_f is read when cfg.FinalLayerNorm is set.
// Other tensors (embeddings, the LM head, attention-mask buffers) are ignored.
func ParseGPT2Checkpoint(data []byte, cfg Config, first int) (m *FloatModel, err error) {
	if cfg.Architecture != ArchitectureGPT2 {
		return nil, fmt.Errorf("%w: ParseGPT2Checkpoint of a %s config", ErrValidation, cfg.Architecture)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if first < 0 || first > MaxLayers {
		return nil, fmt.Errorf("%w: first block %d, want 0..%d", ErrValidation, first, MaxLayers)
	}
	// As in ParseModel: untrusted bytes must never take the process down.
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("%w: malformed safetensors file: %v", ErrValidation, r)
		}
	}()
	st, err := DeserializeSafetensors(data)
	if err != nil {
		return nil, err
	}
	prefix := ""
	if _, ok := st.Tensor(fmt.Sprintf("h.%d.ln_1.weight", first)); !ok {
		if _, ok := st.Tensor(fmt.Sprintf("transformer.h.%d.ln_1.weight", first)); ok {
			prefix = "transformer."
		}
	}
	return parseGPT2Slice(st, cfg, prefix, first)
}

func parseGPT2Slice(st safetensors.SafeTensors, cfg Config, prefix string, first int) (*FloatModel, error) {
	d, h := cfg.DModel, cfg.DHidden
	m := &FloatModel{Config: cfg}
	for i := 0; i < cfg.NLayer; i++ {
		n := gpt2PrefixedNames(prefix, first+i)
		var b FloatBlock
		var err error
		get := func(key string, shape ...int) []float64 {
			if err != nil {
				return nil
			}
			var v []float64
			v, err = tensor(st, n[key], shape...)
			return v
		}
		b.LN1 = FloatLayerNorm{Gamma: get("ln_1.weight", d), Beta: get("ln_1.bias", d)}
		b.LN2 = FloatLayerNorm{Gamma: get("ln_2.weight", d), Beta: get("ln_2.bias", d)}
		attnW := get("attn.c_attn.weight", d, 3*d)
		b.AttnB = get("attn.c_attn.bias", 3*d)
		projW := get("attn.c_proj.weight", d, d)
		b.AttnProjB = get("attn.c_proj.bias", d)
		fcW := get("mlp.c_fc.weight", d, h)
		b.FCB = get("mlp.c_fc.bias", h)
		mlpProjW := get("mlp.c_proj.weight", h, d)
		b.ProjB = get("mlp.c_proj.bias", d)
		if err != nil {
			return nil, err
		}
		b.AttnW, b.AttnProjW = mat.NewDense(d, 3*d, attnW), mat.NewDense(d, d, projW)
		b.FCW, b.ProjW = mat.NewDense(d, h, fcW), mat.NewDense(h, d, mlpProjW)
		m.Blocks = append(m.Blocks, b)
	}
	if cfg.FinalLayerNorm {
		g, err := tensor(st, prefix+TensorLNFWeight, d)
		if err != nil {
			return nil, err
		}
		b, err := tensor(st, prefix+TensorLNFBias, d)
		if err != nil {
			return nil, err
		}
		m.LNF = &FloatLayerNorm{Gamma: g, Beta: b}
	}
	return m, nil
}

// gpt2Tensors lists the float tensors of a GPT-2 model by name, for encoding.
func gpt2Tensors(m *FloatModel) []namedTensor {
	d, h := m.Config.DModel, m.Config.DHidden
	var out []namedTensor
	for i, b := range m.Blocks {
		n := gpt2Names(i)
		out = append(out,
			namedTensor{n["ln_1.weight"], b.LN1.Gamma, []int{d}}, namedTensor{n["ln_1.bias"], b.LN1.Beta, []int{d}},
			namedTensor{n["attn.c_attn.weight"], b.AttnW.RawMatrix().Data, []int{d, 3 * d}}, namedTensor{n["attn.c_attn.bias"], b.AttnB, []int{3 * d}},
			namedTensor{n["attn.c_proj.weight"], b.AttnProjW.RawMatrix().Data, []int{d, d}}, namedTensor{n["attn.c_proj.bias"], b.AttnProjB, []int{d}},
			namedTensor{n["ln_2.weight"], b.LN2.Gamma, []int{d}}, namedTensor{n["ln_2.bias"], b.LN2.Beta, []int{d}},
			namedTensor{n["mlp.c_fc.weight"], b.FCW.RawMatrix().Data, []int{d, h}}, namedTensor{n["mlp.c_fc.bias"], b.FCB, []int{h}},
			namedTensor{n["mlp.c_proj.weight"], b.ProjW.RawMatrix().Data, []int{h, d}}, namedTensor{n["mlp.c_proj.bias"], b.ProjB, []int{d}},
		)
	}
	if m.LNF != nil {
		out = append(out, namedTensor{TensorLNFWeight, m.LNF.Gamma, []int{d}}, namedTensor{TensorLNFBias, m.LNF.Beta, []int{d}})
	}
	return out
}

type namedTensor struct {
	name  string
	vals  []float64
	shape []int
}

// GELU is GPT-2's tanh approximation.
func GELU(x float64) float64 {
	return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
}

// GELUErf is the exact GELU, x/2·(1 + erf(x/√2)).
func GELUErf(x float64) float64 {
	return 0.5 * x * (1 + math.Erf(x/math.Sqrt2))
}

// geluFunc is the float function of a gpt2 config's activation.
func geluFunc(activation string) func(float64) float64 {
	if activation == ActivationGELUErf {
		return GELUErf
	}
	return GELU
}

// GPT2FloatTrace holds the float activations of every sub-layer, per block,
// for calibration and accuracy reports. Each tensor is seq × width.
type GPT2FloatTrace struct {
	Blocks []GPT2FloatBlockTrace
	// Final is ln_f's output, or the last residual when there is no ln_f.
	Final *mat.Dense
}

// GPT2FloatBlockTrace is the float activations of one block.
type GPT2FloatBlockTrace struct {
	LN1, QKV, Logits, Attn, AttnProj, H, LN2, FC, GELU, Proj, Y *mat.Dense
	// Logits are the scaled scores QKᵀ/sqrt(head_dim), seq·n_head × seq, with
	// masked (future) positions set to 0.
}

func layerNormFloat(x *mat.Dense, ln FloatLayerNorm, eps float64) *mat.Dense {
	r, c := x.Dims()
	out := mat.NewDense(r, c, nil)
	for i := 0; i < r; i++ {
		row := x.RawRowView(i)
		mean := 0.0
		for _, v := range row {
			mean += v
		}
		mean /= float64(c)
		vr := 0.0
		for _, v := range row {
			vr += (v - mean) * (v - mean)
		}
		vr /= float64(c)
		inv := 1 / math.Sqrt(vr+eps)
		for j, v := range row {
			out.Set(i, j, (v-mean)*inv*ln.Gamma[j]+ln.Beta[j])
		}
	}
	return out
}

func affine(x, w *mat.Dense, b []float64) *mat.Dense {
	var out mat.Dense
	out.Mul(x, w)
	out.Apply(func(_, j int, v float64) float64 { return v + b[j] }, &out)
	return &out
}

// forwardGPT2 runs the float GPT-2 stack on x (seq × d_model).
func (m *FloatModel) forwardGPT2(X *mat.Dense) *GPT2FloatTrace {
	cfg := m.Config
	seq, d, nh, dh := cfg.SeqLen, cfg.DModel, cfg.NHead, cfg.HeadDim()
	tr := &GPT2FloatTrace{}
	x := X
	for _, b := range m.Blocks {
		var bt GPT2FloatBlockTrace
		bt.LN1 = layerNormFloat(x, b.LN1, cfg.LayerNormEpsilon)
		bt.QKV = affine(bt.LN1, b.AttnW, b.AttnB)
		bt.Logits = mat.NewDense(seq*nh, seq, nil)
		bt.Attn = mat.NewDense(seq, d, nil)
		for hd := 0; hd < nh; hd++ {
			for i := 0; i < seq; i++ {
				logits := make([]float64, i+1)
				mx := math.Inf(-1)
				for j := 0; j <= i; j++ {
					s := 0.0
					for e := 0; e < dh; e++ {
						s += bt.QKV.At(i, hd*dh+e) * bt.QKV.At(j, d+hd*dh+e)
					}
					logits[j] = s / math.Sqrt(float64(dh))
					bt.Logits.Set(i*nh+hd, j, logits[j])
					mx = math.Max(mx, logits[j])
				}
				sum := 0.0
				for j := range logits {
					logits[j] = math.Exp(logits[j] - mx)
					sum += logits[j]
				}
				for e := 0; e < dh; e++ {
					o := 0.0
					for j := range logits {
						o += logits[j] / sum * bt.QKV.At(j, 2*d+hd*dh+e)
					}
					bt.Attn.Set(i, hd*dh+e, o)
				}
			}
		}
		bt.AttnProj = affine(bt.Attn, b.AttnProjW, b.AttnProjB)
		bt.H = mat.NewDense(seq, d, nil)
		bt.H.Add(x, bt.AttnProj)
		bt.LN2 = layerNormFloat(bt.H, b.LN2, cfg.LayerNormEpsilon)
		bt.FC = affine(bt.LN2, b.FCW, b.FCB)
		bt.GELU = mat.DenseCopyOf(bt.FC)
		gelu := geluFunc(cfg.Activation)
		bt.GELU.Apply(func(_, _ int, v float64) float64 { return gelu(v) }, bt.GELU)
		bt.Proj = affine(bt.GELU, b.ProjW, b.ProjB)
		bt.Y = mat.NewDense(seq, d, nil)
		bt.Y.Add(bt.H, bt.Proj)
		tr.Blocks = append(tr.Blocks, bt)
		x = bt.Y
	}
	tr.Final = x
	if m.LNF != nil {
		tr.Final = layerNormFloat(x, *m.LNF, cfg.LayerNormEpsilon)
	}
	return tr
}

// ForwardGPT2 runs the float GPT-2 stack on one sample (seq_len·d_model values, row-major).
func (m *FloatModel) ForwardGPT2(x []float64) (*GPT2FloatTrace, error) {
	cfg := m.Config
	if cfg.Architecture != ArchitectureGPT2 {
		return nil, fmt.Errorf("%w: ForwardGPT2 on a %s model", ErrValidation, cfg.Architecture)
	}
	if len(x) != cfg.SeqLen*cfg.DModel {
		return nil, fmt.Errorf("%w: input has %d values, want seq_len·d_model = %d·%d = %d", ErrShape, len(x), cfg.SeqLen, cfg.DModel, cfg.SeqLen*cfg.DModel)
	}
	return m.forwardGPT2(mat.NewDense(cfg.SeqLen, cfg.DModel, slices.Clone(x))), nil
}
