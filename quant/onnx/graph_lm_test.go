package onnx_test

import (
	"encoding/json"
	"github.com/zkinfer/zkinfer/quant/onnx/onnxpb"
	"google.golang.org/protobuf/proto"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx"
)

var lmDir = filepath.Join("..", "..", "testdata", "onnx", "lm")

// lmSample is an export's input.json: the sample at the export's length
// and torch's float outputs for it.
type lmSample struct {
	InputData  [][]float64 `json:"input_data"`
	OutputData [][]float64 `json:"output_data"`
}

func readLM(t *testing.T, name string, seq int) (*quant.FloatModel, lmSample) {
	t.Helper()
	data, err := quant.ReadFileLimited(filepath.Join(lmDir, name+".onnx"), quant.MaxModelFileSize)
	if err != nil {
		t.Fatal(err)
	}
	fm, _, err := onnx.ParseGraph(data, onnx.Options{SeqLen: seq})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := quant.ReadFileLimited(filepath.Join(lmDir, name+".input.json"), quant.MaxJSONFileSize)
	if err != nil {
		t.Fatal(err)
	}
	var s lmSample
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	return fm, s
}

// lmCalibration returns n random samples of token ids (and token types for
// a second input) for fm, plus the export's own sample.
func lmCalibration(rng *rand.Rand, fm *quant.FloatModel, own []float64, n int) [][]float64 {
	cal := [][]float64{own}
	for range n {
		var x []float64
		for _, in := range fm.Graph.InputSpecs {
			hi := in.Hi
			for range quant.ShapeSize(in.Shape) {
				x = append(x, float64(rng.Int64N(hi+1)))
			}
		}
		cal = append(cal, x)
	}
	return cal
}

// The tiny LM exports (testdata/onnx/lm/export_lm.py) import as layer
// graphs with token-id inputs: nanoGPT's and BERT's attention fuse into the
// attention op; Llama's (RoPE in the head layout) stays op by op with its
// causal mask (masked_fill −1e4) a masked_softmax, Llama's written-out RMSNorm one rmsnorm and its rotary
// embedding one rope per q and k, BERT's positions (a constant Gather)
// a constant add; the integer logits follow torch's.
func TestLMExportsImport(t *testing.T) {
	for _, c := range []struct {
		name  string
		seq   int
		kinds map[string]int // op kind → count
	}{
		{"nanogpt_op14", 8, map[string]int{"gather": 1, "attention": 2, "layernorm": 5, "matmul": 0}}, // fused (graph_attention.go)
		{"llama_op14", 8, map[string]int{"gather": 1, "masked_softmax": 1, "rmsnorm": 3, "rope": 2, "softmax": 0}},
		{"bert_op14", 0, map[string]int{"gather": 2, "masked_softmax": 0, "reduce": 1}}, // its attention fuses (graph_attention.go)
	} {
		t.Run(c.name, func(t *testing.T) {
			fm, s := readLM(t, c.name, c.seq)
			var own []float64
			for _, in := range s.InputData {
				own = append(own, in...)
			}
			cal := lmCalibration(rand.New(rand.NewPCG(15, 1)), fm, own, 32)
			st, err := quant.Calibrate(fm, cal)
			if err != nil {
				t.Fatal(err)
			}
			m, err := quant.Quantize(fm, st)
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[string]int{}
			for _, n := range m.Graph.Nodes {
				kinds[n.Op.Kind()]++
			}
			for k, want := range c.kinds {
				if kinds[k] != want {
					t.Errorf("%d %s nodes, want %d (%v)", kinds[k], k, want, kinds)
				}
			}
			x, err := m.QuantizeInput(own)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := m.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			got, ref := m.OutputValues(tr), s.OutputData[0]
			if len(got) != len(ref) {
				t.Fatalf("%d outputs, torch has %d", len(got), len(ref))
			}
			worst, mag := 0.0, 0.0
			for k := range ref {
				mag = math.Max(mag, math.Abs(ref[k]))
				worst = math.Max(worst, math.Abs(got[k]-ref[k]))
			}
			if worst > 0.1*math.Max(mag, 0.5) {
				t.Errorf("integer outputs off torch's by %.3f (magnitude %.3f)", worst, mag)
			}
			// Top-1 agreement with torch, per position (the LMs' logits).
			shape := m.OutputShape()
			v := shape[len(shape)-1]
			agree := 0
			for r := 0; r+v <= len(ref); r += v {
				if argmax(got[r:r+v]) == argmax(ref[r:r+v]) {
					agree++
				}
			}
			t.Logf("%s: %d nodes, estimate %d R1CS; integer vs torch: worst %.3f (magnitude %.3f), top-1 agreement %d of %d rows", c.name, len(m.Graph.Nodes), m.Graph.Cost().R1CS, worst, mag, agree, len(ref)/v)
		})
	}
}

func argmax(x []float64) int {
	best := 0
	for j := range x {
		if x[j] > x[best] {
			best = j
		}
	}
	return best
}

// A mask filled with a value that still gives masked positions weight in
// float (−10, as some exports write) stays a Where and a softmax: the
// model is not strictly causal, and the importer does not pretend it is.
func TestLMFiniteFillNotMasked(t *testing.T) {
	data, err := quant.ReadFileLimited(filepath.Join(lmDir, "nanogpt_op14.onnx"), quant.MaxModelFileSize)
	if err != nil {
		t.Fatal(err)
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(data, &mp); err != nil {
		t.Fatal(err)
	}
	fills := 0
	for _, n := range mp.GetGraph().GetNode() {
		if n.GetOpType() != "Where" {
			continue
		}
		fill := n.GetInput()[1]
		for _, c := range mp.GetGraph().GetNode() {
			if c.GetOpType() == "Constant" && c.GetOutput()[0] == fill {
				tp := c.GetAttribute()[0].GetT()
				tp.RawData = nil
				tp.FloatData = []float32{-10}
				tp.DataType = proto.Int32(int32(onnxpb.TensorProto_FLOAT))
				fills++
			}
		}
	}
	if fills != 2 {
		t.Fatalf("%d fills changed, want 2", fills)
	}
	if data, err = proto.Marshal(&mp); err != nil {
		t.Fatal(err)
	}
	fm, _, err := onnx.ParseGraph(data, onnx.Options{SeqLen: 8, Unfused: true}) // op by op: the attention fusion takes any fill
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, n := range fm.Graph.Nodes {
		kinds[n.Op.Kind()]++
	}
	if kinds["masked_softmax"] != 0 || kinds["softmax"] != 2 || kinds["index_map"] != 2 {
		t.Fatalf("a −10 fill: %v, want Where (index_map) and softmax", kinds)
	}
}

// ArgMax over a vocabulary-sized axis (300 > 128) imports as argmax_index
// with an index output; over 128 or fewer it stays argmax (int8 index).
func TestArgMaxOverVocabulary(t *testing.T) {
	for _, c := range []struct {
		n    int
		kind string
	}{{300, "argmax_index"}, {100, "argmax"}} {
		dim := func(v int64) *onnxpb.TensorShapeProto_Dimension {
			return &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: v}}
		}
		vi := func(name string, et onnxpb.TensorProto_DataType, dims ...int64) *onnxpb.ValueInfoProto {
			var ds []*onnxpb.TensorShapeProto_Dimension
			for _, d := range dims {
				ds = append(ds, dim(d))
			}
			return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
				ElemType: proto.Int32(int32(et)), Shape: &onnxpb.TensorShapeProto{Dim: ds}}}}}
		}
		mp := &onnxpb.ModelProto{IrVersion: proto.Int64(8), OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: proto.Int64(13)}},
			Graph: &onnxpb.GraphProto{
				Name: proto.String("argmax"),
				Node: []*onnxpb.NodeProto{{OpType: proto.String("ArgMax"), Name: proto.String("am"), Input: []string{"logits"}, Output: []string{"id"},
					Attribute: []*onnxpb.AttributeProto{
						{Name: proto.String("axis"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(-1)},
						{Name: proto.String("keepdims"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(0)}}}},
				Input:  []*onnxpb.ValueInfoProto{vi("logits", onnxpb.TensorProto_FLOAT, 2, int64(c.n))},
				Output: []*onnxpb.ValueInfoProto{vi("id", onnxpb.TensorProto_INT64, 2)},
			}}
		data, err := proto.Marshal(mp)
		if err != nil {
			t.Fatal(err)
		}
		fm, _, err := onnx.ParseGraph(data, onnx.Options{})
		if err != nil {
			t.Fatalf("n %d: %v", c.n, err)
		}
		if k := fm.Graph.Nodes[0].Op.Kind(); k != c.kind {
			t.Fatalf("n %d: %s, want %s", c.n, k, c.kind)
		}
		rng := rand.New(rand.NewPCG(1, uint64(c.n)))
		var cal [][]float64
		for range 4 {
			x := make([]float64, 2*c.n)
			for i := range x {
				x[i] = rng.Float64()*2 - 1
			}
			cal = append(cal, x)
		}
		s, err := quant.Calibrate(fm, cal)
		if err != nil {
			t.Fatal(err)
		}
		m, err := quant.Quantize(fm, s)
		if err != nil {
			t.Fatal(err)
		}
		out := m.Graph.Values[m.Graph.Outputs[0]]
		if (out.DType == quant.DTypeIndex) != (c.kind == "argmax_index") {
			t.Fatalf("n %d: output %q", c.n, out.DType)
		}
	}
}
