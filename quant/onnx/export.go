package onnx

import (
	"encoding/binary"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"google.golang.org/protobuf/proto"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx/onnxpb"
)

// Linear-layer forms of an exported ffn block, as torch.onnx.export writes
// nn.Linear: MatMul by the transposed weight then Add of the bias (inputs of
// rank 3), or one Gemm with transB = 1 (inputs of rank 2).
const (
	FormMatMul = "matmul"
	FormGemm   = "gemm"
)

// EncodeFFN writes an ffn float model as an ONNX graph laid out the way
// PyTorch exports it (weights in nn.Linear's [out, in] layout, named
// "fc1.weight" …). Tests and the CLI's test scripts build models with it; a
// dynamic sequence axis is named "seq".
func EncodeFFN(m *quant.FloatModel, form string, dynamicSeq bool) ([]byte, error) {
	cfg := m.Config
	if cfg.Architecture != quant.ArchitectureFFN {
		return nil, fmt.Errorf("onnx: EncodeFFN of a %s model", cfg.Architecture)
	}
	d, h := cfg.DModel, cfg.DHidden
	seqDim := &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(cfg.SeqLen)}}
	if dynamicSeq {
		seqDim = &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "seq"}}
	}
	dims := []*onnxpb.TensorShapeProto_Dimension{seqDim, {Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}}}
	var nodes []*onnxpb.NodeProto
	linear := func(name, in, out string) {
		switch form {
		case FormGemm:
			nodes = append(nodes, newNode("/"+name+"/Gemm", "Gemm", []string{in, name + ".weight", name + ".bias"}, []string{out},
				&onnxpb.AttributeProto{Name: proto.String("alpha"), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(1)},
				&onnxpb.AttributeProto{Name: proto.String("beta"), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(1)},
				&onnxpb.AttributeProto{Name: proto.String("transB"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(1)},
			))
		default:
			// PyTorch stores the transposed weight as a separate initializer for MatMul.
			nodes = append(nodes,
				newNode("/"+name+"/MatMul", "MatMul", []string{in, "onnx::MatMul_" + name}, []string{"/" + name + "/MatMul_output_0"}),
				newNode("/"+name+"/Add", "Add", []string{name + ".bias", "/" + name + "/MatMul_output_0"}, []string{out}))
		}
	}
	if form != FormGemm {
		dims = append([]*onnxpb.TensorShapeProto_Dimension{{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: 1}}}, dims...)
	}
	linear("fc1", "input", "/fc1/output_0")
	nodes = append(nodes, newNode("/act/Relu", "Relu", []string{"/fc1/output_0"}, []string{"/act/Relu_output_0"}))
	linear("fc2", "/act/Relu_output_0", "/fc2/output_0")
	nodes = append(nodes, newNode("/Add", "Add", []string{"input", "/fc2/output_0"}, []string{"output"}))

	w1, w2 := m.W1.RawMatrix().Data, m.W2.RawMatrix().Data
	var inits []*onnxpb.TensorProto
	if form == FormGemm {
		inits = append(inits, floatTensor("fc1.weight", transposed(w1, d, h), h, d), floatTensor("fc2.weight", transposed(w2, h, d), d, h))
	} else {
		inits = append(inits, floatTensor("onnx::MatMul_fc1", w1, d, h), floatTensor("onnx::MatMul_fc2", w2, h, d))
	}
	inits = append(inits, floatTensor("fc1.bias", m.B1, h), floatTensor("fc2.bias", m.B2, d))
	vi := func(name string) *onnxpb.ValueInfoProto {
		return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Shape: &onnxpb.TensorShapeProto{Dim: dims}}}}}
	}
	mp := &onnxpb.ModelProto{
		IrVersion:    proto.Int64(8),
		ProducerName: proto.String("zkinfer"),
		OpsetImport:  []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(17)}},
		Graph: &onnxpb.GraphProto{
			Name: proto.String("ffn"), Node: nodes, Initializer: inits,
			Input: []*onnxpb.ValueInfoProto{vi("input")}, Output: []*onnxpb.ValueInfoProto{vi("output")},
		},
	}
	return proto.Marshal(mp)
}

func transposed(w []float64, r, c int) []float64 {
	out := make([]float64, len(w))
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			out[j*r+i] = w[i*c+j]
		}
	}
	return out
}

func floatTensor(name string, vals []float64, dims ...int) *onnxpb.TensorProto {
	raw := make([]byte, 0, 4*len(vals))
	for _, v := range vals {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(float32(v)))
	}
	ds := make([]int64, len(dims))
	for i, d := range dims {
		ds[i] = int64(d)
	}
	return &onnxpb.TensorProto{Name: proto.String(name), Dims: ds, DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), RawData: raw}
}

func newNode(name, op string, in, out []string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{Name: proto.String(name), OpType: proto.String(op), Input: in, Output: out, Attribute: attrs}
}

// GELU forms of a GPT-2 export.
const (
	// GELUTanh is GPT-2's tanh approximation, decomposed into Pow, Mul, Add
	// and Tanh as torch.onnx.export writes transformers' NewGELUActivation.
	GELUTanh = "tanh"
	// GELUErf is the exact GELU decomposed (Div, Erf, Add, Mul) as
	// torch.onnx.export writes nn.GELU(); it imports as gelu_erf.
	GELUErf = "erf"
	// GELUFused uses the fused ops of newer opsets: Gelu (approximate
	// "tanh" for a gelu model, absent for gelu_erf) and LayerNormalization.
	GELUFused = "fused"
	// GELUAddmm is the tanh form with every linear layer exported as
	// transformers' Conv1D is: Reshape to [-1, in], Gemm (addmm), Reshape
	// back to [1, -1, out].
	GELUAddmm = "addmm"
)

// graphBuilder names values and initializers the way an exporter would.
type graphBuilder struct {
	nodes []*onnxpb.NodeProto
	inits []*onnxpb.TensorProto
	n     int
	addmm bool
}

func (b *graphBuilder) op(op string, ins []string, attrs ...*onnxpb.AttributeProto) string {
	b.n++
	out := fmt.Sprintf("/%s_%d_output_0", op, b.n)
	b.nodes = append(b.nodes, newNode(fmt.Sprintf("/%s_%d", op, b.n), op, ins, []string{out}, attrs...))
	return out
}

func (b *graphBuilder) c(vals []float64, dims ...int) string {
	b.n++
	name := fmt.Sprintf("onnx::Const_%d", b.n)
	b.inits = append(b.inits, floatTensor(name, vals, dims...))
	return name
}

func (b *graphBuilder) ints(vals ...int64) string {
	b.n++
	name := fmt.Sprintf("onnx::Ints_%d", b.n)
	b.inits = append(b.inits, &onnxpb.TensorProto{Name: proto.String(name), Dims: []int64{int64(len(vals))},
		DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Int64Data: vals})
	return name
}

// scalar is a 0-d int64 constant, as exporters write Gather indices.
func (b *graphBuilder) scalar(v int64) string {
	b.n++
	name := fmt.Sprintf("onnx::Scalar_%d", b.n)
	b.inits = append(b.inits, &onnxpb.TensorProto{Name: proto.String(name), DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Int64Data: []int64{v}})
	return name
}

func intsAttr(name string, v ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: v}
}

func intAttr(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(v)}
}

func (b *graphBuilder) layerNorm(x string, ln quant.FloatLayerNorm, eps float64, fused bool) string {
	d := len(ln.Gamma)
	if fused {
		return b.op("LayerNormalization", []string{x, b.c(ln.Gamma, d), b.c(ln.Beta, d)}, intAttr("axis", -1),
			&onnxpb.AttributeProto{Name: proto.String("epsilon"), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(float32(eps))})
	}
	mean := b.op("ReduceMean", []string{x}, intsAttr("axes", -1))
	xc := b.op("Sub", []string{x, mean})
	v := b.op("ReduceMean", []string{b.op("Pow", []string{xc, b.c([]float64{2})})}, intsAttr("axes", -1))
	s := b.op("Sqrt", []string{b.op("Add", []string{v, b.c([]float64{eps})})})
	y := b.op("Mul", []string{b.op("Div", []string{xc, s}), b.c(ln.Gamma, d)})
	return b.op("Add", []string{y, b.c(ln.Beta, d)})
}

func (b *graphBuilder) linear(x string, w *mat.Dense, bias []float64) string {
	r, c := w.Dims()
	if b.addmm {
		x2 := b.op("Reshape", []string{x, b.ints(-1, int64(r))})
		y := b.op("Gemm", []string{x2, b.c(w.RawMatrix().Data, r, c), b.c(bias, c)})
		return b.op("Reshape", []string{y, b.ints(1, -1, int64(c))})
	}
	return b.op("Add", []string{b.op("MatMul", []string{x, b.c(w.RawMatrix().Data, r, c)}), b.c(bias, c)})
}

// EncodeGPT2 writes a gpt2 float model as an ONNX graph laid out the way
// torch.onnx.export writes transformers' GPT-2 blocks (opset 13 forms):
// input [1, seq, d_model], LayerNorm decomposed (or fused, see GELUFused),
// attention through Split, Shape/Gather/Unsqueeze/Concat shape arithmetic,
// Reshape, Transpose, a causal mask sliced from a [1, 1, n_pos, n_pos] buffer
// and applied with Where, Softmax, and the GELU in the given form.
func EncodeGPT2(m *quant.FloatModel, gelu string) ([]byte, error) {
	cfg := m.Config
	if cfg.Architecture != quant.ArchitectureGPT2 {
		return nil, fmt.Errorf("onnx: EncodeGPT2 of a %s model", cfg.Architecture)
	}
	seq, d, nh, dh := cfg.SeqLen, cfg.DModel, cfg.NHead, cfg.HeadDim()
	fused := gelu == GELUFused
	b := &graphBuilder{addmm: gelu == GELUAddmm}
	nPos := 2 * seq
	mask := make([]float64, nPos*nPos)
	for i := range nPos {
		for j := 0; j <= i; j++ {
			mask[i*nPos+j] = 1
		}
	}
	x := "input"
	for _, blk := range m.Blocks {
		ln1 := b.layerNorm(x, blk.LN1, cfg.LayerNormEpsilon, fused)
		qkv := b.linear(ln1, blk.AttnW, blk.AttnB)
		b.n++
		q, k, v := fmt.Sprintf("/q_%d", b.n), fmt.Sprintf("/k_%d", b.n), fmt.Sprintf("/v_%d", b.n)
		b.nodes = append(b.nodes, newNode(fmt.Sprintf("/Split_%d", b.n), "Split", []string{qkv, b.ints(int64(d), int64(d), int64(d))}, []string{q, k, v}, intAttr("axis", 2)))
		// The head shape [batch, seq, n_head, head_dim] from the input's shape.
		sh := b.op("Shape", []string{q})
		bat := b.op("Unsqueeze", []string{b.op("Gather", []string{sh, b.scalar(0)}, intAttr("axis", 0)), b.ints(0)})
		sq := b.op("Unsqueeze", []string{b.op("Gather", []string{sh, b.scalar(1)}, intAttr("axis", 0)), b.ints(0)})
		heads := b.op("Concat", []string{bat, sq, b.ints(int64(nh)), b.ints(int64(dh))}, intAttr("axis", 0))
		qh := b.op("Transpose", []string{b.op("Reshape", []string{q, heads})}, intsAttr("perm", 0, 2, 1, 3))
		kh := b.op("Transpose", []string{b.op("Reshape", []string{k, heads})}, intsAttr("perm", 0, 2, 3, 1))
		vh := b.op("Transpose", []string{b.op("Reshape", []string{v, heads})}, intsAttr("perm", 0, 2, 1, 3))
		w := b.op("Div", []string{b.op("MatMul", []string{qh, kh}), b.c([]float64{math.Sqrt(float64(dh))})})
		causal := b.op("Slice", []string{b.c(mask, 1, 1, nPos, nPos), b.ints(0, 0), b.ints(int64(seq), int64(seq)), b.ints(2, 3)})
		causal = b.op("Cast", []string{causal}, intAttr("to", int64(onnxpb.TensorProto_BOOL)))
		w = b.op("Where", []string{causal, w, b.c([]float64{-math.MaxFloat32})})
		a := b.op("MatMul", []string{b.op("Softmax", []string{w}, intAttr("axis", -1)), vh})
		a = b.op("Reshape", []string{b.op("Transpose", []string{a}, intsAttr("perm", 0, 2, 1, 3)), b.ints(0, -1, int64(d))})
		hres := b.op("Add", []string{x, b.linear(a, blk.AttnProjW, blk.AttnProjB)})
		ln2 := b.layerNorm(hres, blk.LN2, cfg.LayerNormEpsilon, fused)
		fc := b.linear(ln2, blk.FCW, blk.FCB)
		var g string
		switch gelu {
		case GELUFused:
			if cfg.Activation == quant.ActivationGELUErf {
				g = b.op("Gelu", []string{fc})
			} else {
				g = b.op("Gelu", []string{fc}, &onnxpb.AttributeProto{Name: proto.String("approximate"), Type: onnxpb.AttributeProto_STRING.Enum(), S: []byte("tanh")})
			}
		case GELUErf:
			e := b.op("Erf", []string{b.op("Div", []string{fc, b.c([]float64{math.Sqrt2})})})
			g = b.op("Mul", []string{b.op("Mul", []string{fc, b.op("Add", []string{e, b.c([]float64{1})})}), b.c([]float64{0.5})})
		default:
			inner := b.op("Add", []string{fc, b.op("Mul", []string{b.c([]float64{0.044715}), b.op("Pow", []string{fc, b.c([]float64{3})})})})
			t := b.op("Tanh", []string{b.op("Mul", []string{b.c([]float64{math.Sqrt(2 / math.Pi)}), inner})})
			g = b.op("Mul", []string{b.op("Mul", []string{b.c([]float64{0.5}), fc}), b.op("Add", []string{b.c([]float64{1}), t})})
		}
		x = b.op("Add", []string{hres, b.linear(g, blk.ProjW, blk.ProjB)})
	}
	if m.LNF != nil {
		x = b.layerNorm(x, *m.LNF, cfg.LayerNormEpsilon, fused)
	}
	b.nodes = append(b.nodes, newNode("/output", "Identity", []string{x}, []string{"output"}))
	dims := []*onnxpb.TensorShapeProto_Dimension{{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: 1}},
		{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "seq"}}, {Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}}}
	vi := func(name string) *onnxpb.ValueInfoProto {
		return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Shape: &onnxpb.TensorShapeProto{Dim: dims}}}}}
	}
	return proto.Marshal(&onnxpb.ModelProto{
		IrVersion: proto.Int64(8), ProducerName: proto.String("zkinfer"),
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(17)}},
		Graph: &onnxpb.GraphProto{Name: proto.String("gpt2"), Node: b.nodes, Initializer: b.inits,
			Input: []*onnxpb.ValueInfoProto{vi("input")}, Output: []*onnxpb.ValueInfoProto{vi("output")}},
	})
}
