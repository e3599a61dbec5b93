package onnx

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx/onnxpb"
)

func readCutModel(t *testing.T, path ...string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(append([]string{"..", "..", "testdata", "onnx"}, path...)...))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func cutOf(t *testing.T, data []byte, in, out []string, seq int) *quant.FloatModel {
	t.Helper()
	fm, _, err := ParseGraph(data, Options{SeqLen: seq, Cut: &Cut{Inputs: in, Outputs: out}})
	if err != nil {
		t.Fatal(err)
	}
	return fm
}

// closeTo compares float graphs to 1e-6 (the evaluators approximate erf
// differently).
func closeTo(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > 1e-6*(1+math.Abs(want[i])) {
			t.Fatalf("%s: value %d is %v, want %v", what, i, got[i], want[i])
		}
	}
}

// A cut of LeNet-5 between its first pooling and its second Tanh imports
// the nodes between them, and computes what the whole graph computes
// there: the prefix cut (outputs only) gives the values at both ends.
func TestCutLeNetMiddle(t *testing.T) {
	data := readCutModel(t, "zoo", "lenet5_op13.onnx")
	const from, to = "/2/AveragePool_output_0", "/8/Tanh_output_0"
	mid := cutOf(t, data, []string{from}, []string{to}, 0)
	if got := kinds(mid); got != "conv unary:tanh reshape avg_pool reshape linear unary:tanh" {
		t.Errorf("middle cut: %s", got)
	}
	if got := mid.Graph.Shapes[mid.Graph.Inputs[0]]; !equalInts(got, []int{1, 6, 14, 14}) {
		t.Errorf("cut input shape %v, want [1 6 14 14]", got)
	}
	head := cutOf(t, data, nil, []string{from}, 0)
	upto := cutOf(t, data, nil, []string{to}, 0)
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, 32*32)
	for i := range x {
		x[i] = rng.Float64()*2 - 1
	}
	h, err := head.Graph.Eval(x)
	if err != nil {
		t.Fatal(err)
	}
	want, err := upto.Graph.Eval(x)
	if err != nil {
		t.Fatal(err)
	}
	got, err := mid.Graph.Eval(h[head.Graph.Outputs[0]])
	if err != nil {
		t.Fatal(err)
	}
	closeTo(t, "middle cut", got[mid.Graph.Outputs[0]], want[upto.Graph.Outputs[0]])
}

// The MLP half of a GPT-2 export's first block (ln_2, c_fc, GELU, c_proj
// and the residual add), cut out of the stack: its cut input's shape comes
// from evaluating the attention before it (which the layer graph does not
// import), and it computes what the ONNX evaluator computes there.
func TestCutGPT2Block(t *testing.T) {
	data := readCutModel(t, "gpt2_linear_erf_op17_dyn.onnx")
	const from, to = "/h.0/Add_output_0", "/h.0/Add_1_output_0"
	const seq = 4
	fm := cutOf(t, data, []string{from}, []string{to}, seq)
	if got := kinds(fm); !strings.Contains(got, "layernorm") || !strings.Contains(got, "linear") {
		t.Errorf("gpt2 cut: %s", got)
	}
	if got := fm.Graph.Shapes[fm.Graph.Inputs[0]]; !equalInts(got, []int{1, seq, 16}) {
		t.Errorf("cut input shape %v, want [1 %d 16]", got, seq)
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(data, &mp); err != nil {
		t.Fatal(err)
	}
	g := mp.GetGraph()
	rng := rand.New(rand.NewPCG(5, 6))
	x := &tensor{dims: []int{1, seq, 16}, data: make([]float64, seq*16)}
	for i := range x.data {
		x.data[i] = rng.Float64()*2 - 1
	}
	live, used := liveNodes(g)
	env, _, err := evalGraph(new(budget), g, live, used, "input", x)
	if err != nil {
		t.Fatal(err)
	}
	got, err := fm.Graph.Eval(env[from].data)
	if err != nil {
		t.Fatal(err)
	}
	closeTo(t, "gpt2 block cut", got[fm.Graph.Outputs[0]], env[to].data)
}

// Each way a cut can be wrong is one clear line.
func TestCutErrors(t *testing.T) {
	lenet := readCutModel(t, "zoo", "lenet5_op13.onnx")
	two := readCutModel(t, "zoo", "two_inputs_op13.onnx")
	for _, c := range []struct {
		name    string
		data    []byte
		in, out []string
		want    []string
	}{
		{"unknown output", lenet, nil, []string{"/8/tanh_output"}, []string{`no tensor "/8/tanh_output"`, `close: "/8/Tanh_output_0"`}},
		{"unknown input", lenet, []string{"/2/AvgPool_output_0"}, nil, []string{`--inputs: no tensor "/2/AvgPool_output_0"`, `"/2/AveragePool_output_0"`}},
		{"far from anything", lenet, []string{"zzzzzzzzzzzzzzzzzzzzzzzzz"}, nil, []string{"no tensor", "none is close", `e.g. "x", "/0/Conv_output_0"`}},
		{"swapped", lenet, []string{"/8/Tanh_output_0"}, []string{"/2/AveragePool_output_0"}, []string{`--outputs "/2/AveragePool_output_0" is not reachable from the inputs ["/8/Tanh_output_0"]`}},
		{"missing input", two, []string{"x"}, nil, []string{`the value "y" (needed by node "/fc2/Gemm" (op Gemm)) is not computable from the inputs ["x"]`}},
		{"unused input", lenet, []string{"x", "/2/AveragePool_output_0"}, []string{"/1/Tanh_output_0"}, []string{`--inputs "/2/AveragePool_output_0" does not feed the outputs`}},
		{"initializer", lenet, []string{"0.weight"}, nil, []string{`--inputs "0.weight" is a constant`}},
		{"twice", lenet, nil, []string{"out", "out"}, []string{`--outputs names "out" twice`}},
		{"open axis", readCutModel(t, "gpt2_linear_erf_op17_dyn.onnx"), []string{"/h.0/Add_output_0"}, nil, []string{`the shape of the cut input ["/h.0/Add_output_0"] depends on the graph input "input"'s dynamic axis 1 "seq": give its length (--seq-len)`}},
		{"in and out", lenet, []string{"/1/Tanh_output_0"}, []string{"/1/Tanh_output_0"}, []string{"both a cut input and a cut output"}},
	} {
		_, _, err := ParseGraph(c.data, Options{Cut: &Cut{Inputs: c.in, Outputs: c.out}})
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if !errors.Is(err, quant.ErrValidation) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v (want one validation line)", c.name, err)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v\nwant %q", c.name, err, w)
			}
		}
	}
}

// A cut input keeps the element type ONNX gives the tensor: an int64
// graph input stays token ids, and a boolean tensor the graph computes
// (the unsqueezed mask) becomes a boolean input, as graph inputs are read.
func TestCutInputTypes(t *testing.T) {
	ids := cutOf(t, readCutModel(t, "zoo", "int64_input_op13.onnx"), []string{"ids"}, []string{"/emb/Gather_output_0"}, 0)
	if got := ids.Graph.InputSpecs[0].DType; got != quant.DTypeIndex {
		t.Errorf("ids cut input has dtype %q, want %q", got, quant.DTypeIndex)
	}
	mixed := cutOf(t, readCutModel(t, "zoo", "mixed_dtypes_op13.onnx"), []string{"x", "ids", "/Unsqueeze_output_0"}, nil, 0)
	var got []string
	for _, s := range mixed.Graph.InputSpecs {
		got = append(got, s.Name+":"+s.DType)
	}
	if strings.Join(got, " ") != "x: ids:"+quant.DTypeIndex+" /Unsqueeze_output_0:"+quant.InputBool {
		t.Errorf("mixed cut inputs %v", got)
	}
	if sh := mixed.Graph.Shapes[mixed.Graph.Inputs[2]]; !equalInts(sh, []int{1, 4, 1}) {
		t.Errorf("mask cut input shape %v, want [1 4 1]", sh)
	}
	// A float tensor cut where the graph takes ids: read as a float input.
	fl := cutOf(t, readCutModel(t, "zoo", "int64_input_op13.onnx"), []string{"/emb/Gather_output_0"}, nil, 0)
	if got := fl.Graph.InputSpecs[0].DType; got != "" {
		t.Errorf("float cut input has dtype %q", got)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
