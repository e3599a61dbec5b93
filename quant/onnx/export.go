package onnx

import (
	"encoding/binary"
	"fmt"
	"math"

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
