package onnx

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx/onnxpb"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// gg builds small ONNX graphs for the layer-graph importer's tests.
type gg struct {
	nodes []*onnxpb.NodeProto
	inits []*onnxpb.TensorProto
	rng   *rand.Rand
}

func newGG() *gg { return &gg{rng: rand.New(rand.NewPCG(1, 2))} }

func (b *gg) node(op string, ins []string, attrs ...*onnxpb.AttributeProto) string {
	out := "v" + string(rune('a'+len(b.nodes)))
	b.nodes = append(b.nodes, &onnxpb.NodeProto{Name: proto.String("/" + op + out), OpType: proto.String(op), Input: ins, Output: []string{out}, Attribute: attrs})
	return out
}

func (b *gg) ints(v ...int64) string {
	name := "c" + string(rune('a'+len(b.inits)))
	b.inits = append(b.inits, &onnxpb.TensorProto{Name: proto.String(name), DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Dims: []int64{int64(len(v))}, Int64Data: v})
	return name
}

func (b *gg) floats(dims []int64, v ...float32) string {
	name := "c" + string(rune('a'+len(b.inits)))
	if v == nil {
		n := int64(1)
		for _, d := range dims {
			n *= d
		}
		for range n {
			v = append(v, float32(b.rng.Float64()*2-1))
		}
	}
	b.inits = append(b.inits, &onnxpb.TensorProto{Name: proto.String(name), DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Dims: dims, FloatData: v})
	return name
}

// model closes the graph with input x of the given axes (int64: a size;
// string: a dynamic axis) and output out.
func (b *gg) model(out string, axes ...any) *onnxpb.ModelProto {
	var dims []*onnxpb.TensorShapeProto_Dimension
	for _, a := range axes {
		switch v := a.(type) {
		case int:
			dims = append(dims, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(v)}})
		case string:
			dims = append(dims, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: v}})
		}
	}
	vi := func(name string, d []*onnxpb.TensorShapeProto_Dimension) *onnxpb.ValueInfoProto {
		return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Shape: &onnxpb.TensorShapeProto{Dim: d}}}}}
	}
	return &onnxpb.ModelProto{IrVersion: proto.Int64(8), OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: proto.Int64(13)}},
		Graph: &onnxpb.GraphProto{Node: b.nodes, Initializer: b.inits, Input: []*onnxpb.ValueInfoProto{vi("x", dims)}, Output: []*onnxpb.ValueInfoProto{vi(out, nil)}}}
}

func kinds(fm *quant.FloatModel) string {
	var k []string
	for _, n := range fm.Graph.Nodes {
		s := n.Op.Kind()
		if l, ok := n.Op.(*ops.Linear); ok && l.ReLU {
			s += "+relu"
		}
		if a, ok := n.Op.(*ops.Affine); ok && a.ReLU {
			s += "+relu"
		}
		if u, ok := n.Op.(*ops.Unary); ok {
			s += ":" + u.Fn
		}
		k = append(k, s)
	}
	return strings.Join(k, " ")
}

// Shape arithmetic on a dynamic batch folds into constants; the layer graph
// computes what the ONNX evaluator computes, and fuses bias and Relu.
func TestGraphFoldsShapes(t *testing.T) {
	b := newGG()
	shape := b.node("Shape", []string{"x"})
	n0 := b.node("Gather", []string{shape, b.ints(0)}, intAttr("axis", 0))
	target := b.node("Concat", []string{n0, b.ints(-1)}, intAttr("axis", 0))
	flat := b.node("Reshape", []string{"x", target})
	mm := b.node("MatMul", []string{flat, b.floats([]int64{12, 5})})
	biased := b.node("Add", []string{b.floats([]int64{5}), mm})
	r := b.node("Relu", []string{biased})
	id := b.node("Identity", []string{r})
	sub := b.node("Sub", []string{b.floats([]int64{1}, 0.5), id})
	unsq := b.node("Unsqueeze", []string{sub, b.ints(1)})
	tr := b.node("Transpose", []string{unsq}, intsAttr("perm", 2, 1, 0))
	mp := b.model(tr, "batch", 3, 4)
	fm, notes, err := importGraph(mp, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := kinds(fm), "reshape linear+relu reshape affine reshape transpose"; got != want {
		t.Errorf("nodes %q, want %q", got, want)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], `the dynamic axis 0 "batch" is the batch, taken as 1`) {
		t.Errorf("notes %q", notes)
	}
	x := &tensor{dims: []int{1, 3, 4}, data: make([]float64, 12)}
	for i := range x.data {
		x.data[i] = math.Sin(float64(i))
	}
	live, used := liveNodes(mp.GetGraph())
	env, _, err := evalGraph(new(budget), mp.GetGraph(), live, used, "x", x)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := fm.Graph.Eval(x.data)
	if err != nil {
		t.Fatal(err)
	}
	got, want := vals[fm.Graph.Outputs[0]], env[tr]
	if len(got) != len(want.data) {
		t.Fatalf("%d values, want %d", len(got), len(want.data))
	}
	for i := range got {
		if math.Abs(got[i]-want.data[i]) > 1e-5 {
			t.Fatalf("value %d: %v, want %v", i, got[i], want.data[i])
		}
	}
}

// An elementwise subgraph that is no known function stays op by op.
func TestGraphClosureUnknown(t *testing.T) {
	b := newGG()
	two := b.node("Mul", []string{"x", b.floats([]int64{}, 2)})
	s := b.node("Sigmoid", []string{two})
	y := b.node("Mul", []string{"x", s})
	fm, _, err := importGraph(b.model(y, 1, 8), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := kinds(fm), "affine unary:sigmoid binary"; got != want {
		t.Errorf("nodes %q, want %q", got, want)
	}
	// An intermediate read outside the closure keeps it open.
	b = newGG()
	s = b.node("Sigmoid", []string{"x"})
	m := b.node("Mul", []string{"x", s})
	y = b.node("Add", []string{m, s})
	fm, _, err = importGraph(b.model(y, 1, 8), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := kinds(fm), "unary:sigmoid binary binary"; got != want {
		t.Errorf("nodes %q, want %q", got, want)
	}
}

// What the layer-graph importer refuses, it refuses with one line that names
// the node and says why.
func TestGraphRefuses(t *testing.T) {
	for _, c := range []struct {
		name  string
		build func(b *gg) *onnxpb.ModelProto
		want  string
	}{
		{"matmul of activations", func(b *gg) *onnxpb.ModelProto {
			r := b.node("Relu", []string{"x"})
			return b.model(b.node("MatMul", []string{"x", r}), 4)
		}, `node 1 "/MatMulvb" (op MatMul): invalid input: product of activations of shapes [4] and [4]: both need rank ≥ 2`},
		{"division by zero", func(b *gg) *onnxpb.ModelProto {
			return b.model(b.node("Div", []string{"x", b.floats([]int64{2}, 1, 0)}), 4, 2)
		}, "division by a constant that holds a 0"},
		{"widening constant", func(b *gg) *onnxpb.ModelProto {
			return b.model(b.node("Add", []string{"x", b.floats([]int64{3, 4})}), 4)
		}, "a constant operand of shape [3 4] widens the activation [4]"},
		{"unsupported op", func(b *gg) *onnxpb.ModelProto {
			return b.model(b.node("Hardmax", []string{"x"}), 1, 4)
		}, `node 0 "/Hardmaxva" (op Hardmax): invalid input: op type Hardmax on activations is not supported by the layer-graph importer (supported: Abs, Add,`},
		{"transA", func(b *gg) *onnxpb.ModelProto {
			return b.model(b.node("Gemm", []string{"x", b.floats([]int64{4, 4})}, intAttr("transA", 1)), 4, 4)
		}, "transA = 1"},
		{"dynamic axis", func(b *gg) *onnxpb.ModelProto {
			return b.model(b.node("Relu", []string{"x"}), "batch", "seq", 4)
		}, `input "x" has a dynamic axis 1 "seq": give its length (--seq-len)`},
		{"constant output", func(b *gg) *onnxpb.ModelProto {
			return b.model(b.node("Identity", []string{b.floats([]int64{4})}), 4)
		}, "is a constant: it does not depend on the input"},
		{"rank", func(b *gg) *onnxpb.ModelProto {
			return b.model(b.node("Relu", []string{"x"}), 1, 1, 1, 1, 1, 1, 2)
		}, `input "x" has rank 7, want 1..6`},
		{"huge input", func(b *gg) *onnxpb.ModelProto {
			return b.model(b.node("Relu", []string{"x"}), 1<<20, 1<<20)
		}, "more than"},
		{"huge reshape", func(b *gg) *onnxpb.ModelProto {
			return b.model(b.node("Reshape", []string{"x", b.ints(1<<40, -1)}), 4)
		}, "Reshape of [4]"},
		{"pow of an activation", func(b *gg) *onnxpb.ModelProto {
			r := b.node("Relu", []string{"x"})
			return b.model(b.node("Pow", []string{"x", r}), 4)
		}, "only a constant scalar exponent"},
		{"domain", func(b *gg) *onnxpb.ModelProto {
			b.node("Relu", []string{"x"})
			b.nodes[0].Domain = proto.String("com.microsoft")
			return b.model(b.nodes[0].Output[0], 4)
		}, `operator domain "com.microsoft"`},
	} {
		_, _, err := importGraph(c.build(newGG()), Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") ||
			!errors.Is(err, quant.ErrValidation) && !errors.Is(err, quant.ErrShape) && !errors.Is(err, quant.ErrRange) {
			t.Errorf("%s: got %v, want one line containing %q", c.name, err, c.want)
		}
	}
}

// Untrusted bytes: the layer-graph importer answers, never panics, and what
// it accepts is a valid model.
func FuzzParseGraph(f *testing.F) {
	for _, name := range []string{"mlp3_op13", "op_gelu_op13", "op_batchnorm_op13", "op_reshape_op13"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "onnx", "zoo", name+".onnx"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)*2/3])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fm, _, err := ParseGraph(data, Options{})
		if err == nil {
			if err := fm.Config.Validate(); err != nil {
				t.Fatalf("imported an invalid config: %v", err)
			}
		}
	})
}

// A long chain of constant sums merges into one affine op, after linear
// work; a redefined value is refused.
func TestGraphHostileChains(t *testing.T) {
	b := newGG()
	c := b.floats([]int64{1}, 0.5)
	v := "x"
	for k := range quant.MaxGraphNodes + 10 {
		b.node("Add", []string{v, c})
		v = fmt.Sprintf("h%d", k)
		b.nodes[len(b.nodes)-1].Output[0] = v
	}
	fm, _, err := importGraph(b.model(v, 1, 4), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds(fm); got != "affine" {
		t.Errorf("chain: nodes %q", got)
	}
	vals, err := fm.Graph.Eval([]float64{0, 1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := vals[fm.Graph.Outputs[0]][3], 3+0.5*float64(quant.MaxGraphNodes+10); got != want {
		t.Errorf("chain: %v, want %v", got, want)
	}
	b = newGG()
	value := func(v float32) *onnxpb.AttributeProto {
		return &onnxpb.AttributeProto{Name: proto.String("value"), Type: onnxpb.AttributeProto_TENSOR.Enum(),
			T: &onnxpb.TensorProto{DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Dims: []int64{1}, FloatData: []float32{v}}}
	}
	b.node("Constant", nil, value(1))
	b.node("Constant", nil, value(2))
	b.nodes[1].Output[0] = b.nodes[0].Output[0]
	b.node("Add", []string{"x", b.nodes[0].Output[0]})
	if _, _, err := importGraph(b.model(b.nodes[2].Output[0], 1, 4), Options{}); err == nil || !strings.Contains(err.Error(), "is defined twice") {
		t.Errorf("redefinition: %v", err)
	}
}

// A long chain of nonlinear elementwise ops: every prefix is a closed cone,
// none a known function; the import still ends at the node limit.
func TestGraphSigmoidChain(t *testing.T) {
	b := newGG()
	v := "x"
	for k := range quant.MaxGraphNodes + 10 {
		b.node("Sigmoid", []string{v})
		v = fmt.Sprintf("s%d", k)
		b.nodes[len(b.nodes)-1].Output[0] = v
	}
	if _, _, err := importGraph(b.model(v, 1, 4), Options{}); err == nil || !strings.Contains(err.Error(), "more than 4096 nodes") {
		t.Errorf("chain: %v", err)
	}
}

// HardSwish at opset 13 (x·HardSigmoid(x), alpha 1/6) and a relu6 written as
// Min(Max(x, 0), 6) become one table each.
func TestGraphClosureForms(t *testing.T) {
	b := newGG()
	hs := b.node("HardSigmoid", []string{"x"}, &onnxpb.AttributeProto{Name: proto.String("alpha"), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(1.0 / 6)})
	y := b.node("Mul", []string{"x", hs})
	fm, _, err := importGraph(b.model(y, 1, 8), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := kinds(fm), "unary:hard_swish"; got != want {
		t.Errorf("nodes %q, want %q", got, want)
	}
	b = newGG()
	lo := b.node("Max", []string{"x", b.floats([]int64{}, 0)})
	y = b.node("Min", []string{lo, b.floats([]int64{}, 6)})
	fm, _, err = importGraph(b.model(y, 1, 8), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := kinds(fm), "unary:clip unary:clip"; got != want {
		t.Errorf("nodes %q, want %q", got, want)
	}
	vals, err := fm.Graph.Eval([]float64{-3, -0.5, 0, 0.5, 3, 5.5, 6.5, 100})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(vals[fm.Graph.Outputs[0]]); got != "[0 0 0 0.5 3 5.5 6 6]" {
		t.Errorf("relu6: %s", got)
	}
}

// Constant sums and products after one another, and a BatchNorm, merge into
// one affine op that computes what the chain computes.
func TestGraphAffineChain(t *testing.T) {
	b := newGG()
	v := b.node("Sub", []string{"x", b.floats([]int64{1, 3, 1})})
	v = b.node("Div", []string{v, b.floats([]int64{1}, 4)})
	bn := b.node("BatchNormalization", []string{v, b.floats([]int64{3}), b.floats([]int64{3}), b.floats([]int64{3}), b.floats([]int64{3}, 1, 2, 3)})
	v = b.node("Sub", []string{b.floats([]int64{5}), bn})
	v = b.node("Relu", []string{v})
	mp := b.model(v, 1, 3, 5)
	fm, _, err := importGraph(mp, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := kinds(fm), "affine+relu"; got != want {
		t.Errorf("nodes %q, want %q", got, want)
	}
	x := &tensor{dims: []int{1, 3, 5}, data: make([]float64, 15)}
	for i := range x.data {
		x.data[i] = math.Cos(float64(i)) * 3
	}
	vals, err := fm.Graph.Eval(x.data)
	if err != nil {
		t.Fatal(err)
	}
	c := func(k, i int) float64 { return float64(b.inits[k].FloatData[i]) }
	for i, g := range vals[fm.Graph.Outputs[0]] {
		ch := i / 5
		u := (x.data[i] - c(0, ch)) / 4
		u = (u-c(4, ch))/math.Sqrt(c(5, ch)+1e-5)*c(2, ch) + c(3, ch)
		if w := math.Max(c(6, i%5)-u, 0); math.Abs(g-w) > 1e-5 {
			t.Fatalf("value %d: %v, want %v", i, g, w)
		}
	}
}

// Input normalization before a linear layer (per input column) folds into
// its weights and bias: one node, computing what the graph computes.
func TestGraphAffineIntoLinear(t *testing.T) {
	b := newGG()
	v := b.node("Sub", []string{"x", b.floats([]int64{6})})
	v = b.node("Mul", []string{v, b.floats([]int64{1, 6})})
	v = b.node("MatMul", []string{v, b.floats([]int64{6, 4})})
	v = b.node("Add", []string{v, b.floats([]int64{4})})
	mp := b.model(v, 2, 6)
	fm, _, err := importGraph(mp, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := kinds(fm), "linear"; got != want {
		t.Errorf("nodes %q, want %q", got, want)
	}
	x := &tensor{dims: []int{2, 6}, data: make([]float64, 12)}
	for i := range x.data {
		x.data[i] = math.Sin(float64(3 * i))
	}
	live, used := liveNodes(mp.GetGraph())
	env, _, err := evalGraph(new(budget), mp.GetGraph(), live, used, "x", x)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := fm.Graph.Eval(x.data)
	if err != nil {
		t.Fatal(err)
	}
	for i, g := range vals[fm.Graph.Outputs[0]] {
		if w := env[v].data[i]; math.Abs(g-w) > 1e-5 {
			t.Fatalf("value %d: %v, want %v", i, g, w)
		}
	}
	// Per-row constants (varying along another axis) do not fold.
	b = newGG()
	v = b.node("Mul", []string{"x", b.floats([]int64{2, 1})})
	v = b.node("MatMul", []string{v, b.floats([]int64{6, 4})})
	if fm, _, err = importGraph(b.model(v, 2, 6), Options{}); err != nil {
		t.Fatal(err)
	}
	if got, want := kinds(fm), "affine linear"; got != want {
		t.Errorf("nodes %q, want %q", got, want)
	}
}
