package quant

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/nlpodyssey/safetensors"
	"github.com/x448/float16"
	"gonum.org/v1/gonum/mat"
)

// GPT-2 tensor names of a feed-forward block (Conv1D layout: weight[in][out]).
const (
	TensorFCWeight   = "mlp.c_fc.weight"
	TensorFCBias     = "mlp.c_fc.bias"
	TensorProjWeight = "mlp.c_proj.weight"
	TensorProjBias   = "mlp.c_proj.bias"
)

// FloatModel is a model with float weights: the W/B fields for the ffn
// architecture, Blocks and LNF for gpt2.
type FloatModel struct {
	Config Config
	W1     *mat.Dense // d_model × d_hidden
	B1     []float64  // d_hidden
	W2     *mat.Dense // d_hidden × d_model
	B2     []float64  // d_model

	Blocks []FloatBlock
	LNF    *FloatLayerNorm

	// Graph is the layer graph of a graph model.
	Graph *FloatGraph
}

// LoadModel reads a safetensors weights file and checks it against cfg.
func LoadModel(weightsPath string, cfg Config) (*FloatModel, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	data, err := readFileLimited(weightsPath, MaxModelFileSize)
	if err != nil {
		return nil, err
	}
	m, err := ParseModel(data, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", weightsPath, err)
	}
	return m, nil
}

// ParseModel decodes safetensors bytes into a FloatModel shaped by cfg.
func ParseModel(data []byte, cfg Config) (m *FloatModel, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// The safetensors reader trusts offsets it has validated, but a parser of
	// untrusted bytes must never take the process down.
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("%w: malformed safetensors file: %v", ErrValidation, r)
		}
	}()
	st, err := DeserializeSafetensors(data)
	if err != nil {
		return nil, err
	}
	if cfg.Architecture == ArchitectureGPT2 {
		return parseGPT2(st, cfg)
	}
	if cfg.Architecture == ArchitectureGraph {
		g, err := ParseGraphSpec(cfg.Graph, st)
		if err != nil {
			return nil, err
		}
		return &FloatModel{Config: cfg, Graph: g}, nil
	}
	d, h := cfg.DModel, cfg.DHidden
	w1, err := tensor(st, TensorFCWeight, d, h)
	if err != nil {
		return nil, err
	}
	b1, err := tensor(st, TensorFCBias, h)
	if err != nil {
		return nil, err
	}
	w2, err := tensor(st, TensorProjWeight, h, d)
	if err != nil {
		return nil, err
	}
	b2, err := tensor(st, TensorProjBias, d)
	if err != nil {
		return nil, err
	}
	return &FloatModel{
		Config: cfg,
		W1:     mat.NewDense(d, h, w1),
		B1:     b1,
		W2:     mat.NewDense(h, d, w2),
		B2:     b2,
	}, nil
}

func tensor(st safetensors.SafeTensors, name string, shape ...int) ([]float64, error) {
	tv, ok := st.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("%w: tensor %q is missing (file has %v)", ErrValidation, name, st.Names())
	}
	got := tv.Shape()
	want := make([]uint64, len(shape))
	for i, s := range shape {
		want[i] = uint64(s)
	}
	if !slices.Equal(got, want) {
		return nil, fmt.Errorf("%w: tensor %q has shape %v, config wants %v", ErrShape, name, got, want)
	}
	vals, err := decodeFloats(tv)
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", name, err)
	}
	for i, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: tensor %q element %d is %v", ErrRange, name, i, v)
		}
	}
	return vals, nil
}

func decodeFloats(tv safetensors.TensorView) ([]float64, error) {
	raw := tv.Data()
	size := int(tv.DType().Size())
	if size == 0 || len(raw)%size != 0 {
		return nil, fmt.Errorf("%w: dtype %s with %d data bytes", ErrValidation, tv.DType(), len(raw))
	}
	out := make([]float64, len(raw)/size)
	for i := range out {
		b := raw[i*size : (i+1)*size]
		switch tv.DType() {
		case safetensors.F32:
			out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
		case safetensors.F64:
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b))
		case safetensors.F16:
			out[i] = float64(float16.Frombits(binary.LittleEndian.Uint16(b)).Float32())
		case safetensors.BF16:
			out[i] = float64(math.Float32frombits(uint32(binary.LittleEndian.Uint16(b)) << 16))
		default:
			return nil, fmt.Errorf("%w: dtype %s is not supported (supported: F32, F64, F16, BF16)", ErrValidation, tv.DType())
		}
	}
	return out, nil
}

// EncodeSafetensors writes a FloatModel as F32 safetensors bytes, with the
// GPT-2 tensor names. Test data and benchmarks use it to build models.
func EncodeSafetensors(m *FloatModel) ([]byte, error) {
	d, h := m.Config.DModel, m.Config.DHidden
	var tensors []namedTensor
	if m.Config.Architecture == ArchitectureGPT2 {
		tensors = gpt2Tensors(m)
	} else if m.Config.Architecture == ArchitectureGraph {
		var err error
		if _, tensors, err = m.Graph.Spec(); err != nil {
			return nil, err
		}
	} else {
		tensors = []namedTensor{
			{TensorFCWeight, m.W1.RawMatrix().Data, []int{d, h}},
			{TensorFCBias, m.B1, []int{h}},
			{TensorProjWeight, m.W2.RawMatrix().Data, []int{h, d}},
			{TensorProjBias, m.B2, []int{d}},
		}
	}
	views := map[string]safetensors.TensorView{}
	for _, t := range tensors {
		buf := make([]byte, 0, 4*len(t.vals))
		for _, v := range t.vals {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(float32(v)))
		}
		shape := make([]uint64, len(t.shape))
		for i, v := range t.shape {
			shape[i] = uint64(v)
		}
		tv, err := safetensors.NewTensorView(safetensors.F32, shape, buf)
		if err != nil {
			return nil, err
		}
		views[t.name] = tv
	}
	return safetensors.Serialize(views, map[string]string{"format": "pt"})
}

// FloatTrace holds the float activations of one input, used for accuracy reports.
type FloatTrace struct {
	Hidden *mat.Dense // seq × d_hidden, after the activation
	Proj   *mat.Dense // seq × d_model, W2·h + b2
	Output *mat.Dense // seq × d_model
}

// Forward runs the float block on x (seq × d_model, row-major).
func (m *FloatModel) Forward(x []float64) (*FloatTrace, error) {
	cfg := m.Config
	if len(x) != cfg.SeqLen*cfg.DModel {
		return nil, fmt.Errorf("%w: input has %d values, want seq_len·d_model = %d·%d = %d", ErrShape, len(x), cfg.SeqLen, cfg.DModel, cfg.SeqLen*cfg.DModel)
	}
	X := mat.NewDense(cfg.SeqLen, cfg.DModel, slices.Clone(x))
	var H mat.Dense
	H.Mul(X, m.W1)
	H.Apply(func(_, j int, v float64) float64 { return math.Max(0, v+m.B1[j]) }, &H)
	var P mat.Dense
	P.Mul(&H, m.W2)
	P.Apply(func(_, j int, v float64) float64 { return v + m.B2[j] }, &P)
	var Y mat.Dense
	Y.Add(X, &P)
	return &FloatTrace{Hidden: &H, Proj: &P, Output: &Y}, nil
}
