package onnx

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/zkinfer/zkinfer/quant/onnx/onnxpb"
)

// conformanceDir is where Debian's libonnx-testdata puts ONNX's node tests;
// ZKINFER_ONNX_TESTDATA overrides it.
const conformanceDir = "/usr/share/libonnx-testdata/data/node"

// TestConformance runs ONNX's own node tests for the ops the importer maps
// (MatMul, Gemm, Add, Relu) through the importer's node mapping, and checks
// that the layers it builds compute ONNX's reference outputs, or that the
// case is one the importer rejects on purpose.
func TestConformance(t *testing.T) {
	dir := os.Getenv("ZKINFER_ONNX_TESTDATA")
	if dir == "" {
		dir = conformanceDir
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("ONNX node tests not installed (apt-get install libonnx-testdata): %v", err)
	}
	// Forms torch.onnx.export does not emit for nn.Linear, rejected with an error.
	rejected := []string{"test_gemm_transposeA", "test_gemm_all_attributes", "test_gemm_default_matrix_bias", "test_matmul_3d", "test_matmul_4d"}
	cases := []string{"test_add", "test_add_bcast", "test_relu", "test_matmul_2d", "test_gemm_alpha", "test_gemm_beta",
		"test_gemm_default_no_bias", "test_gemm_default_vector_bias", "test_gemm_default_zero_bias", "test_gemm_transposeB",
		"test_gemm_default_scalar_bias", "test_gemm_default_single_elem_vector_bias"}
	for _, name := range append(cases, rejected...) {
		t.Run(name, func(t *testing.T) {
			got, want, err := runNodeTest(t, filepath.Join(dir, name))
			if slices.Contains(rejected, name) {
				if err == nil {
					t.Fatalf("accepted a form the importer should reject")
				}
				t.Logf("rejected: %v", err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d outputs, want %d", len(got), len(want))
			}
			for i := range got {
				if math.Abs(got[i]-want[i]) > 1e-4*math.Max(1, math.Abs(want[i])) {
					t.Fatalf("output %d = %v, ONNX says %v", i, got[i], want[i])
				}
			}
		})
	}
}

func readProto(t *testing.T, path string, m proto.Message) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := proto.Unmarshal(data, m); err != nil {
		t.Fatal(err)
	}
}

// runNodeTest maps the single node of a node test and evaluates the layers
// on the test's inputs: MatMul and Gemm take their first input as the
// activation and the others as constants; Add and Relu take activations.
func runNodeTest(t *testing.T, dir string) (got, want []float64, err error) {
	var mp onnxpb.ModelProto
	readProto(t, filepath.Join(dir, "model.onnx"), &mp)
	n := mp.GetGraph().GetNode()[0]
	im := &importer{consts: map[string]*tensor{}, vals: map[string]*value{}, b: new(budget)}
	acts := map[*value]*tensor{}
	for k, vi := range mp.GetGraph().GetInput() {
		var tp onnxpb.TensorProto
		readProto(t, filepath.Join(dir, "test_data_set_0", fmt.Sprintf("input_%d.pb", k)), &tp)
		ct, err := decodeTensor(new(budget), &tp)
		if err != nil {
			t.Fatal(err)
		}
		if k > 0 && (n.GetOpType() == "MatMul" || n.GetOpType() == "Gemm") {
			im.consts[vi.GetName()] = ct
			continue
		}
		v := &value{op: "input", node: vi.GetName()}
		im.vals[vi.GetName()], acts[v] = v, ct
	}
	var out onnxpb.TensorProto
	readProto(t, filepath.Join(dir, "test_data_set_0", "output_0.pb"), &out)
	wt, err := decodeTensor(new(budget), &out)
	if err != nil {
		t.Fatal(err)
	}
	if err := im.node(0, n); err != nil {
		return nil, nil, err
	}
	return eval(t, im.vals[n.GetOutput()[0]], acts).data, wt.data, nil
}

// eval computes a value tree on float tensors viewed as matrices over their
// last axis, broadcasting a shorter operand over the leading rows.
func eval(t *testing.T, v *value, acts map[*value]*tensor) *tensor {
	switch v.op {
	case "input":
		return acts[v]
	case "relu":
		x := eval(t, v.args[0], acts)
		out := &tensor{dims: x.dims, data: make([]float64, len(x.data))}
		for i, e := range x.data {
			out.data[i] = math.Max(e, 0)
		}
		return out
	case "add":
		a, b := eval(t, v.args[0], acts), eval(t, v.args[1], acts)
		if len(a.data) < len(b.data) {
			a, b = b, a
		}
		out := &tensor{dims: a.dims, data: make([]float64, len(a.data))}
		for i := range a.data {
			out.data[i] = a.data[i] + b.data[i%len(b.data)]
		}
		return out
	case "linear":
		x := eval(t, v.args[0], acts)
		in, o := v.w.dims[0], v.w.dims[1]
		rows := len(x.data) / in
		out := &tensor{dims: []int{rows, o}, data: make([]float64, rows*o)}
		for r := 0; r < rows; r++ {
			for j := 0; j < o; j++ {
				s := 0.0
				if v.b != nil {
					s = v.b[j]
				}
				for k := 0; k < in; k++ {
					s += x.data[r*in+k] * v.w.data[k*o+j]
				}
				out.data[r*o+j] = s
			}
		}
		return out
	}
	t.Fatalf("eval: op %s", v.op)
	return nil
}

// TestEvalConformance runs ONNX's node tests for every op the evaluator
// knows. A case may be refused (an attribute or element type the evaluator
// does not take, such as Softmax over a middle axis), never answered wrongly.
func TestEvalConformance(t *testing.T) {
	dir := os.Getenv("ZKINFER_ONNX_TESTDATA")
	if dir == "" {
		dir = conformanceDir
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Skipf("ONNX node tests not installed (apt-get install libonnx-testdata): %v", err)
	}
	prefixes := map[string]string{}
	for _, op := range evalOps {
		prefixes["test_"+strings.ToLower(op)] = op
	}
	prefixes["test_layer_normalization"] = "LayerNormalization"
	prefixes["test_reduce_mean"] = "ReduceMean"
	passed, refused := map[string]int{}, map[string]int{}
	for _, e := range entries {
		op := ""
		for p, o := range prefixes {
			if e.Name() == p || strings.HasPrefix(e.Name(), p+"_") {
				op = o
			}
		}
		if op == "" {
			continue
		}
		got, want, err := evalNodeTest(t, filepath.Join(dir, e.Name()))
		if err != nil {
			refused[op]++
			t.Logf("%s: refused: %v", e.Name(), err)
			continue
		}
		for k := range want {
			if !slices.Equal(got[k].dims, want[k].dims) && len(got[k].data) != len(want[k].data) {
				t.Errorf("%s: output %d has shape %v, ONNX says %v", e.Name(), k, got[k].dims, want[k].dims)
				continue
			}
			for i := range want[k].data {
				g, w := got[k].data[i], want[k].data[i]
				if !(math.Abs(g-w) <= 1e-4*math.Max(1, math.Abs(w)) || math.IsNaN(g) && math.IsNaN(w)) {
					t.Errorf("%s: output %d element %d = %v, ONNX says %v", e.Name(), k, i, g, w)
					break
				}
			}
		}
		passed[op]++
	}
	t.Logf("passed per op: %v", passed)
	t.Logf("refused per op: %v", refused)
	for _, op := range []string{"MatMul", "Softmax", "Transpose", "Reshape", "LayerNormalization", "Gather", "Concat", "Slice", "Split", "Where", "Pow", "Sqrt", "Div", "Erf", "Tanh", "ReduceMean", "Unsqueeze", "Shape"} {
		if passed[op] == 0 {
			t.Errorf("no conformance case of %s passed", op)
		}
	}
}

// evalNodeTest runs a node test's graph (one node, or an expanded function)
// on its inputs and returns its outputs and ONNX's.
func evalNodeTest(t *testing.T, dir string) (got, want []*tensor, err error) {
	var mp onnxpb.ModelProto
	readProto(t, filepath.Join(dir, "model.onnx"), &mp)
	g := mp.GetGraph()
	env := map[string]*tensor{}
	b := new(budget)
	for _, init := range g.GetInitializer() {
		if env[init.GetName()], err = decodeTensor(b, init); err != nil {
			return nil, nil, err
		}
	}
	for k, vi := range g.GetInput() {
		var tp onnxpb.TensorProto
		path := filepath.Join(dir, "test_data_set_0", fmt.Sprintf("input_%d.pb", k))
		if _, err := os.Stat(path); err != nil {
			return nil, nil, err
		}
		readProto(t, path, &tp)
		if env[vi.GetName()], err = decodeTensor(new(budget), &tp); err != nil {
			return nil, nil, err
		}
	}
	for _, n := range g.GetNode() {
		outs, err := evalNode(b, n, env)
		if err != nil {
			return nil, nil, err
		}
		for k, o := range n.GetOutput() {
			if k < len(outs) {
				env[o] = outs[k]
			}
		}
	}
	for k, vo := range g.GetOutput() {
		var tp onnxpb.TensorProto
		readProto(t, filepath.Join(dir, "test_data_set_0", fmt.Sprintf("output_%d.pb", k)), &tp)
		w, err := decodeTensor(new(budget), &tp)
		if err != nil {
			return nil, nil, err
		}
		if env[vo.GetName()] == nil {
			if k > 0 {
				// Optional outputs (LayerNormalization's Mean, InvStdDev).
				continue
			}
			return nil, nil, fmt.Errorf("output %q not computed", vo.GetName())
		}
		got, want = append(got, env[vo.GetName()]), append(want, w)
	}
	return got, want, nil
}
