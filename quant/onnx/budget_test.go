package onnx_test

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"
	"google.golang.org/protobuf/proto"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx"
	"github.com/zkinfer/zkinfer/quant/onnx/onnxpb"
)

// bombAlloc bounds what importing a bomb may allocate (runtime.MemStats'
// TotalAlloc, which unlike time does not depend on the machine's load).
const bombAlloc = 200 << 20

// bomb is a graph with one input x [4, 8] and one output y [4, 8] = x + a
// [4, 8] corner of the tensor its nodes compute, built the way the importer's
// fuzz inputs and hostile files are: from the generated protobuf types.
type bomb struct {
	nodes []*onnxpb.NodeProto
	inits []*onnxpb.TensorProto
}

func (b *bomb) node(op string, ins []string, attrs ...*onnxpb.AttributeProto) string {
	out := fmt.Sprintf("/%s_%d", op, len(b.nodes))
	b.nodes = append(b.nodes, &onnxpb.NodeProto{Name: proto.String(out), OpType: proto.String(op), Input: ins, Output: []string{out + "_output_0"}, Attribute: attrs})
	return out + "_output_0"
}

func (b *bomb) ints(name string, v ...int64) string {
	b.inits = append(b.inits, &onnxpb.TensorProto{Name: proto.String(name), DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)),
		Dims: []int64{int64(len(v))}, Int64Data: v})
	return name
}

// model closes the graph: y = x + t[:4, :8].
func (b *bomb) model(t string) *onnxpb.ModelProto {
	corner := b.node("Slice", []string{t, b.ints("zeros", 0, 0), b.ints("corner", 4, 8)})
	b.nodes = append(b.nodes, &onnxpb.NodeProto{Name: proto.String("/Add_y"), OpType: proto.String("Add"), Input: []string{"x", corner}, Output: []string{"y"}})
	return &onnxpb.ModelProto{IrVersion: proto.Int64(8), OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: proto.Int64(17)}},
		Graph: &onnxpb.GraphProto{Node: b.nodes, Initializer: b.inits, Input: []*onnxpb.ValueInfoProto{valueInfo("x")}, Output: []*onnxpb.ValueInfoProto{valueInfo("y")}}}
}

func valueInfo(name string) *onnxpb.ValueInfoProto {
	dim := func(v int64) *onnxpb.TensorShapeProto_Dimension {
		return &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: v}}
	}
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
		ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Shape: &onnxpb.TensorShapeProto{Dim: []*onnxpb.TensorShapeProto_Dimension{dim(4), dim(8)}}}}}}
}

func floatValue(v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String("value"), Type: onnxpb.AttributeProto_TENSOR.Enum(),
		T: &onnxpb.TensorProto{DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Dims: []int64{1}, FloatData: []float32{v}}}
}

// importAlloc imports mp and returns the error and the bytes allocated.
func importAlloc(t *testing.T, mp *onnxpb.ModelProto) (*quant.FloatModel, error, uint64) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fm, err := onnx.Import(mp, onnx.Options{})
	runtime.ReadMemStats(&after)
	return fm, err, after.TotalAlloc - before.TotalAlloc
}

// Graphs of a few bytes that ask for gigabytes or terabytes of tensors, or
// minutes of multiply-adds, are refused by the per-graph import budget
// before the node that would cross it allocates or computes anything.
func TestImportBudget(t *testing.T) {
	for _, c := range []struct {
		name  string
		build func(b *bomb) string
		want  string
	}{
		{
			// 24 ConstantOfShape([4096, 4096]) summed: a 1.3 KB graph that
			// reached 3.2 GB before the budget.
			"ConstantOfShape sum", func(b *bomb) string {
				shape := b.ints("shape", 4096, 4096)
				sum := b.node("ConstantOfShape", []string{shape}, floatValue(1))
				for range 23 {
					sum = b.node("Add", []string{sum, b.node("ConstantOfShape", []string{shape}, floatValue(1))})
				}
				return sum
			},
			`onnx: node 1 "/ConstantOfShape_1" (op ConstantOfShape): invalid input: over the import budget: 16777216 elements would bring the tensors the graph computes to 33554464, more than onnx.MaxGraphElements = 25165824`,
		},
		{
			// The most nodes a graph may have, each ConstantOfShape the
			// largest tensor allowed: 5.8 MB asking for 4 TiB.
			"ConstantOfShape chain", func(b *bomb) string {
				c := b.node("ConstantOfShape", []string{b.ints("shape", 4096, 4096)})
				for len(b.nodes) < onnx.MaxNodes-4 {
					c = b.node("ConstantOfShape", []string{b.node("Shape", []string{c})})
				}
				return c
			},
			`onnx: node 2 "/ConstantOfShape_2" (op ConstantOfShape): invalid input: over the import budget: 16777216 elements would bring the tensors the graph computes to 33554466, more than onnx.MaxGraphElements = 25165824`,
		},
		{
			"Expand chain", func(b *bomb) string {
				e := b.node("Constant", nil, floatValue(1))
				shape := b.ints("shape", 4096, 4096)
				for len(b.nodes) < onnx.MaxNodes-4 {
					e = b.node("Expand", []string{e, shape})
				}
				return e
			},
			`onnx: node 2 "/Expand_2" (op Expand): invalid input: over the import budget: 16777216 elements would bring the tensors the graph computes to 33554464, more than onnx.MaxGraphElements = 25165824`,
		},
		{
			// One tensor over the per-tensor bound: refused before the budget.
			"ConstantOfShape 2^40", func(b *bomb) string {
				return b.node("ConstantOfShape", []string{b.ints("shape", 1<<20, 1<<20)})
			},
			`onnx: node 0 "/ConstantOfShape_0" (op ConstantOfShape): invalid input: tensor of shape [1048576 1048576] is too large (at most 16777216 elements)`,
		},
		{
			// x·a·a·a·a with a 1024×1024: 223 bytes that took 90 s of CPU.
			"MatMul chain", func(b *bomb) string {
				a := b.node("ConstantOfShape", []string{b.ints("shape", 1024, 1024)}, floatValue(1./1024))
				p := a
				for range 4 {
					p = b.node("MatMul", []string{p, a})
				}
				return p
			},
			`onnx: node 3 "/MatMul_3" (op MatMul): invalid input: over the import budget: 1073741824 multiply-adds would bring the graph to 3221225472, more than onnx.MaxGraphMACs + MACsPerConstant × constants = 2147497984`,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b bomb
			mp := b.model(c.build(&b))
			_, err, alloc := importAlloc(t, mp)
			if err == nil || err.Error() != c.want {
				t.Fatalf("got %v\nwant %s", err, c.want)
			}
			if !errors.Is(err, quant.ErrValidation) {
				t.Errorf("%v does not wrap quant.ErrValidation", err)
			}
			if c.name != "ConstantOfShape 2^40" && !errors.Is(err, onnx.ErrBudget) {
				t.Errorf("%v does not wrap onnx.ErrBudget", err)
			}
			t.Logf("%d nodes, %d bytes of protobuf: refused after allocating %d MiB", len(mp.GetGraph().GetNode()), proto.Size(mp), alloc>>20)
			if alloc > bombAlloc {
				t.Errorf("allocated %d MiB before refusing, want at most %d", alloc>>20, bombAlloc>>20)
			}
		})
	}
}

// deadBomb appends nodes whose outputs reach no graph output and that
// would ask for terabytes and minutes of work if they were evaluated.
func deadBomb(g *onnxpb.GraphProto) {
	var b bomb
	b.node("ConstantOfShape", []string{b.ints("dead_huge", 1<<20, 1<<20)})
	shape := b.ints("dead_shape", 4096, 4096)
	for range 64 {
		b.node("ConstantOfShape", []string{shape})
	}
	a := b.node("ConstantOfShape", []string{b.ints("dead_square", 1024, 1024)})
	for range 8 {
		a = b.node("MatMul", []string{a, a})
	}
	g.Node = append(g.Node, b.nodes...)
	g.Initializer = append(g.Initializer, b.inits...)
}

// Nodes that do not reach the output are neither evaluated nor charged: a
// graph that is a supported model apart from them imports as that model.
func TestDeadNodesSkipped(t *testing.T) {
	ffn, err := onnx.EncodeFFN(quant.RandomModel(tiny, 3), onnx.FormGemm, false)
	if err != nil {
		t.Fatal(err)
	}
	gpt2, err := onnx.EncodeGPT2(quant.RandomModel(tinyGPT2, 3), onnx.GELUTanh)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		data []byte
		cfg  quant.Config
	}{{"ffn", ffn, tiny}, {"gpt2", gpt2, tinyGPT2}} {
		t.Run(c.name, func(t *testing.T) {
			var mp onnxpb.ModelProto
			if err := proto.Unmarshal(c.data, &mp); err != nil {
				t.Fatal(err)
			}
			want, err := onnx.Import(&mp, onnx.Options{SeqLen: 4})
			if err != nil {
				t.Fatal(err)
			}
			deadBomb(mp.GetGraph())
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			fm, err := onnx.Import(&mp, onnx.Options{SeqLen: 4})
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatal(err)
			}
			if fm.Config != c.cfg {
				t.Fatalf("imported %+v, want %+v", fm.Config, c.cfg)
			}
			if c.cfg.Architecture == quant.ArchitectureFFN && !mat.Equal(fm.W2, want.W2) ||
				c.cfg.Architecture == quant.ArchitectureGPT2 && !mat.Equal(fm.Blocks[1].ProjW, want.Blocks[1].ProjW) {
				t.Fatal("the dead nodes changed the weights picked")
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > bombAlloc {
				t.Errorf("allocated %d MiB, want at most %d", alloc>>20, bombAlloc>>20)
			}
		})
	}
}

// A dead node must still be an op the importer knows: the graph is
// validated whole, only its evaluation is pruned.
func TestDeadNodeUnsupportedOp(t *testing.T) {
	data, err := onnx.EncodeFFN(quant.RandomModel(tiny, 3), onnx.FormMatMul, false)
	if err != nil {
		t.Fatal(err)
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(data, &mp); err != nil {
		t.Fatal(err)
	}
	g := mp.GetGraph()
	g.Node = append(g.Node, &onnxpb.NodeProto{Name: proto.String("/dead"), OpType: proto.String("Tile"), Input: []string{"input"}, Output: []string{"unused"}})
	if _, err := onnx.Import(&mp, onnx.Options{}); err == nil || !strings.Contains(err.Error(), `"/dead" (op Tile): invalid input: op type Tile is not supported`) {
		t.Fatalf("got %v", err)
	}
}

// The budget admits a GPT-2 small stack (12 blocks, d_model 768, 85 M
// weights) at the sequence lengths its comment says, and no further. It
// needs ~4 GB and a minute of a few cores: set ZKINFER_ONNX_GPT2_SMALL=1.
func TestImportBudgetGPT2Small(t *testing.T) {
	if os.Getenv("ZKINFER_ONNX_GPT2_SMALL") == "" {
		t.Skip("set ZKINFER_ONNX_GPT2_SMALL=1 to import a GPT-2 small (~4 GB)")
	}
	// EncodeGPT2 writes the causal mask for cfg.SeqLen: one graph per length.
	for _, seq := range []int{12, 13} {
		cfg := quant.Config{Architecture: quant.ArchitectureGPT2, DModel: 768, DHidden: 3072, SeqLen: seq, NHead: 12, NLayer: 12,
			Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5, FinalLayerNorm: true}
		data, err := onnx.EncodeGPT2(quant.RandomModel(cfg, 1), onnx.GELUTanh)
		if err != nil {
			t.Fatal(err)
		}
		var mp onnxpb.ModelProto
		if err := proto.Unmarshal(data, &mp); err != nil {
			t.Fatal(err)
		}
		data = nil
		start := time.Now()
		fm, err := onnx.Import(&mp, onnx.Options{SeqLen: seq})
		t.Logf("seq %d: %v in %v", seq, err, time.Since(start))
		if seq == 13 {
			if !errors.Is(err, onnx.ErrBudget) || !strings.Contains(err.Error(), "MaxGraphMACs") {
				t.Fatalf("seq 13: got %v, want the multiply-add budget", err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if fm.Config != cfg {
			t.Fatalf("seq %d: %+v, want %+v", seq, fm.Config, cfg)
		}
	}
}
