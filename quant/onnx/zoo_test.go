package onnx_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx"
	"github.com/zkinfer/zkinfer/quant/onnx/onnxpb"
)

// zooDir holds the model zoo: small real torch.onnx.export files, one op or
// one small architecture each, written with zoo.json and the NAME.input.json
// files by its export_zoo.py (the tests need no Python).
var zooDir = filepath.Join(torchDir, "zoo")

// zooMaxFileSize bounds one zoo file (LeNet-5 at its real sizes is the largest).
const zooMaxFileSize = 300 << 10

type zooValue struct {
	Name  string `json:"name"`
	DType string `json:"dtype"`
	// Shape holds ints, and strings for the dim_param of a dynamic axis.
	Shape []any `json:"shape"`
}

type zooModel struct {
	File         string         `json:"file"`
	Description  string         `json:"description"`
	Category     string         `json:"category"`
	Opset        int64          `json:"opset"`
	Bytes        int            `json:"bytes"`
	Ops          map[string]int `json:"ops"`
	Inputs       []zooValue     `json:"inputs"`
	Outputs      []zooValue     `json:"outputs"`
	InputData    [][]float64    `json:"input_data"`
	OutputShapes [][]int        `json:"output_shapes"`
	OutputData   [][]float64    `json:"output_data"`
}

type zooIndex struct {
	Torch  string     `json:"torch"`
	ONNX   string     `json:"onnx"`
	Models []zooModel `json:"models"`
}

func readZoo(t *testing.T) zooIndex {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(zooDir, "zoo.json"))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var z zooIndex
	if err := dec.Decode(&z); err != nil {
		t.Fatalf("zoo.json: %v", err)
	}
	return z
}

// shapeOf writes a value's shape as zoo.json does: dim_value, or the
// dim_param name of a dynamic axis.
func shapeOf(t *testing.T, vi *onnxpb.ValueInfoProto) (string, []any) {
	t.Helper()
	tt := vi.GetType().GetTensorType()
	if tt == nil {
		t.Fatalf("%q is not a tensor", vi.GetName())
	}
	var shape []any
	for _, d := range tt.GetShape().GetDim() {
		switch v := d.GetValue().(type) {
		case *onnxpb.TensorShapeProto_Dimension_DimValue:
			shape = append(shape, float64(v.DimValue)) // as encoding/json reads an int into any
		case *onnxpb.TensorShapeProto_Dimension_DimParam:
			shape = append(shape, v.DimParam)
		default:
			t.Fatalf("%q has an axis with neither a size nor a name", vi.GetName())
		}
	}
	if len(shape) > onnx.MaxRank {
		t.Fatalf("%q has rank %d, more than onnx.MaxRank = %d", vi.GetName(), len(shape), onnx.MaxRank)
	}
	return onnxpb.TensorProto_DataType(tt.GetElemType()).String(), shape
}

// elemSize is the bytes per element of the raw_data of the types torch writes.
var elemSize = map[onnxpb.TensorProto_DataType]int{
	onnxpb.TensorProto_FLOAT: 4, onnxpb.TensorProto_DOUBLE: 8, onnxpb.TensorProto_INT64: 8,
	onnxpb.TensorProto_INT32: 4, onnxpb.TensorProto_BOOL: 1, onnxpb.TensorProto_INT8: 1, onnxpb.TensorProto_UINT8: 1,
}

// checkTensor checks that a constant's dims are within the importer's limits
// and that its data holds exactly that many elements.
func checkTensor(t *testing.T, where string, tp *onnxpb.TensorProto) {
	t.Helper()
	if len(tp.GetDims()) > onnx.MaxRank {
		t.Fatalf("%s: rank %d, more than onnx.MaxRank", where, len(tp.GetDims()))
	}
	n := int64(1)
	for _, d := range tp.GetDims() {
		if d < 0 || d > onnx.MaxTensorElements {
			t.Fatalf("%s: dims %v", where, tp.GetDims())
		}
		n *= d
	}
	if n > onnx.MaxTensorElements {
		t.Fatalf("%s: %d elements, more than onnx.MaxTensorElements", where, n)
	}
	dt := onnxpb.TensorProto_DataType(tp.GetDataType())
	size, ok := elemSize[dt]
	if !ok {
		t.Fatalf("%s: element type %s", where, dt)
	}
	if raw := tp.GetRawData(); raw != nil {
		if int64(len(raw)) != n*int64(size) {
			t.Fatalf("%s: %d bytes of raw data for %d elements of %s", where, len(raw), n, dt)
		}
		return
	}
	got := int64(len(tp.GetFloatData()) + len(tp.GetInt64Data()) + len(tp.GetInt32Data()) + len(tp.GetDoubleData()))
	if got != n {
		t.Fatalf("%s: %d values for %d elements of %s", where, got, n, dt)
	}
}

// checkData checks one flattened test tensor against its type and shape.
func checkData(t *testing.T, what, dtype string, shape []int, data []float64) {
	t.Helper()
	n := 1
	for _, d := range shape {
		n *= d
	}
	if len(data) != n {
		t.Fatalf("%s: %d values for shape %v", what, len(data), shape)
	}
	for i, v := range data {
		ok := !math.IsNaN(v) && !math.IsInf(v, 0)
		switch dtype {
		case "FLOAT":
			ok = ok && math.Abs(v) <= math.MaxFloat32 && isShortest32(v)
		case "INT64":
			ok = ok && v == math.Trunc(v) && math.Abs(v) < 1<<53
		case "BOOL":
			ok = v == 0 || v == 1
		default:
			t.Fatalf("%s: dtype %s", what, dtype)
		}
		if !ok {
			t.Fatalf("%s: value %d = %v is not a %s", what, i, v, dtype)
		}
	}
}

// isShortest32 reports whether v, read from JSON as a float64, is the
// shortest decimal of the float32 nearest to it (how export_zoo.py prints).
func isShortest32(v float64) bool {
	return fmt.Sprint(float32(v)) == fmt.Sprint(v)
}

// Every file of the zoo is listed in zoo.json and the other way round, and
// every listed file is a well-formed ONNX model, read with the importer's
// decoder under its limits, whose op types, opset, inputs and outputs are
// the ones zoo.json lists; the test inputs and torch's outputs fit them.
// It does not import the graphs: which of them import is the importer's tests' business.
func TestZoo(t *testing.T) {
	z := readZoo(t)
	if z.Torch != "1.13.0a0" || z.ONNX != "1.12.0" {
		t.Errorf("made with torch %s and onnx %s, want Debian bookworm's 1.13.0a0 and 1.12.0", z.Torch, z.ONNX)
	}
	if len(z.Models) < 45 {
		t.Fatalf("%d models, want at least 45", len(z.Models))
	}
	listed := map[string]bool{}
	categories := map[string]int{}
	for _, m := range z.Models {
		if listed[m.File] {
			t.Fatalf("%s is listed twice", m.File)
		}
		listed[m.File] = true
		categories[m.Category]++
	}
	if got, want := slices.Sorted(maps.Keys(categories)), []string{"attention", "cnn", "index", "mlp", "multi-io", "op", "shape"}; !slices.Equal(got, want) {
		t.Errorf("categories %v, want %v", got, want)
	}
	entries, err := os.ReadDir(zooDir)
	if err != nil {
		t.Fatal(err)
	}
	onDisk := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		onDisk[name] = true
		switch {
		case strings.HasSuffix(name, ".input.json"):
			if !listed[strings.TrimSuffix(name, ".input.json")+".onnx"] {
				t.Errorf("%s belongs to no model in zoo.json", name)
			}
		case strings.HasSuffix(name, ".onnx"):
			if !listed[name] {
				t.Errorf("%s is not listed in zoo.json", name)
			}
		case name == "zoo.json" || name == "export_zoo.py" || name == "README.md":
		default:
			t.Errorf("unexpected file %s in the zoo", name)
		}
	}
	total, imported := 0, []string(nil)
	for _, m := range z.Models {
		t.Run(strings.TrimSuffix(m.File, ".onnx"), func(t *testing.T) {
			if !onDisk[m.File] {
				t.Fatalf("%s is listed in zoo.json but missing", m.File)
			}
			if m.Description == "" || len(m.Ops) == 0 {
				t.Fatal("no description or no ops")
			}
			// The importer's reader and decoder, under its limits.
			data, err := quant.ReadFileLimited(filepath.Join(zooDir, m.File), quant.MaxModelFileSize)
			if err != nil {
				t.Fatal(err)
			}
			total += len(data)
			if len(data) != m.Bytes || len(data) > zooMaxFileSize {
				t.Fatalf("%d bytes, zoo.json says %d, at most %d", len(data), m.Bytes, zooMaxFileSize)
			}
			var mp onnxpb.ModelProto
			if err := proto.Unmarshal(data, &mp); err != nil {
				t.Fatal(err)
			}
			g := mp.GetGraph()
			if g == nil || len(g.GetNode()) == 0 || len(g.GetNode()) > onnx.MaxNodes {
				t.Fatalf("no graph, or a graph of %d nodes", len(g.GetNode()))
			}
			var opset int64
			for _, o := range mp.GetOpsetImport() {
				if o.GetDomain() == "" || o.GetDomain() == "ai.onnx" {
					opset = o.GetVersion()
				}
			}
			if opset != m.Opset || !strings.Contains(m.File, fmt.Sprintf("_op%d", m.Opset)) {
				t.Errorf("opset %d, zoo.json says %d", opset, m.Opset)
			}
			ops := map[string]int{}
			for i, n := range g.GetNode() {
				if n.GetDomain() != "" && n.GetDomain() != "ai.onnx" {
					t.Errorf("node %d %q is in domain %q", i, n.GetName(), n.GetDomain())
				}
				ops[n.GetOpType()]++
				for _, a := range n.GetAttribute() {
					if a.GetT() != nil {
						checkTensor(t, fmt.Sprintf("node %d %q attribute %s", i, n.GetName(), a.GetName()), a.GetT())
					}
				}
			}
			if !maps.Equal(ops, m.Ops) {
				t.Errorf("op types %v, zoo.json says %v", ops, m.Ops)
			}
			inits := map[string]bool{}
			for _, tp := range g.GetInitializer() {
				inits[tp.GetName()] = true
				checkTensor(t, "initializer "+tp.GetName(), tp)
			}
			var ins []*onnxpb.ValueInfoProto
			for _, vi := range g.GetInput() {
				if !inits[vi.GetName()] {
					ins = append(ins, vi)
				}
			}
			for _, io := range []struct {
				what string
				got  []*onnxpb.ValueInfoProto
				want []zooValue
				data [][]float64
			}{{"input", ins, m.Inputs, m.InputData}, {"output", g.GetOutput(), m.Outputs, m.OutputData}} {
				if len(io.got) != len(io.want) || len(io.data) != len(io.want) {
					t.Fatalf("%d %ss, zoo.json lists %d with %d data", len(io.got), io.what, len(io.want), len(io.data))
				}
				for i, vi := range io.got {
					dtype, shape := shapeOf(t, vi)
					w := io.want[i]
					if vi.GetName() != w.Name || dtype != w.DType || fmt.Sprint(shape) != fmt.Sprint(w.Shape) {
						t.Errorf("%s %d: %s %s %v, zoo.json says %s %s %v", io.what, i, vi.GetName(), dtype, shape, w.Name, w.DType, w.Shape)
					}
					// A dynamic axis of an input is the batch, 1 in the test
					// input; torch's output shapes fill the outputs' unnamed axes.
					dims := make([]int, len(shape))
					for j, d := range shape {
						if v, ok := d.(float64); ok {
							dims[j] = int(v)
						} else if io.what == "input" {
							dims[j] = 1
						} else if len(m.OutputShapes) == len(io.got) && len(m.OutputShapes[i]) == len(shape) {
							dims[j] = m.OutputShapes[i][j]
						}
					}
					if io.what == "output" && !slices.Equal(dims, m.OutputShapes[i]) {
						t.Errorf("output %d: torch's output shape %v does not fit %v", i, m.OutputShapes[i], shape)
					}
					checkData(t, fmt.Sprintf("%s %d (%s)", io.what, i, w.Name), dtype, dims, io.data[i])
				}
			}
			// The EZKL-style input file beside the model holds the same input.
			raw, err := os.ReadFile(filepath.Join(zooDir, strings.TrimSuffix(m.File, ".onnx")+".input.json"))
			if err != nil {
				t.Fatal(err)
			}
			var in struct {
				InputData [][]float64 `json:"input_data"`
			}
			if err := json.Unmarshal(raw, &in); err != nil || fmt.Sprint(in.InputData) != fmt.Sprint(m.InputData) {
				t.Errorf("the .input.json does not hold zoo.json's input_data (%v)", err)
			}
			checkZooSemantics(t, m)
			// Whatever the importer makes of the graph, it answers without panicking,
			// and a refusal is a validation or shape error.
			if _, err := onnx.Parse(data, onnx.Options{}); err == nil {
				imported = append(imported, m.File)
			} else if !errors.Is(err, quant.ErrValidation) && !errors.Is(err, quant.ErrShape) {
				t.Errorf("the importer refused it with an unclassified error: %v", err)
			}
		})
	}
	t.Logf("%d models, %d bytes, by category %v; the importer accepts %d of them: %v", len(z.Models), total, categories, len(imported), imported)
}

// zooExact are ops whose torch outputs the test recomputes exactly in float32
// from the test inputs, so the data in zoo.json is known to line up with the
// graphs' inputs and outputs.
var zooExact = map[string]func(in [][]float64, i int) float64{
	"op_relu_op13":  func(in [][]float64, i int) float64 { return math.Max(in[0][i], 0) },
	"op_abs_op13":   func(in [][]float64, i int) float64 { return math.Abs(in[0][i]) },
	"op_neg_op13":   func(in [][]float64, i int) float64 { return -in[0][i] },
	"op_floor_op13": func(in [][]float64, i int) float64 { return math.Floor(in[0][i]) },
	"op_ceil_op13":  func(in [][]float64, i int) float64 { return math.Ceil(in[0][i]) },
	"op_round_op13": func(in [][]float64, i int) float64 { return math.RoundToEven(in[0][i]) },
	"op_clip_op13":  func(in [][]float64, i int) float64 { return math.Min(math.Max(in[0][i], -1), 2) },
	"op_add_op13":   func(in [][]float64, i int) float64 { return float64(float32(in[0][i]) + float32(in[1][i])) },
	"op_sub_op13":   func(in [][]float64, i int) float64 { return float64(float32(in[0][i]) - float32(in[1][i])) },
	"op_mul_op13":   func(in [][]float64, i int) float64 { return float64(float32(in[0][i]) * float32(in[1][i])) },
	"op_div_op13":   func(in [][]float64, i int) float64 { return float64(float32(in[0][i]) / float32(in[1][i])) },
	"op_max_op13":   func(in [][]float64, i int) float64 { return math.Max(in[0][i], in[1][i]) },
	"op_min_op13":   func(in [][]float64, i int) float64 { return math.Min(in[0][i], in[1][i]) },
	"op_sign_op13": func(in [][]float64, i int) float64 {
		if in[0][i] == 0 {
			return 0
		}
		return math.Copysign(1, in[0][i])
	},
	"op_less_op13":    func(in [][]float64, i int) float64 { return b2f(in[0][i] < in[1][i]) },
	"op_greater_op13": func(in [][]float64, i int) float64 { return b2f(in[0][i] > in[1][i]) },
	"op_equal_op13":   func(in [][]float64, i int) float64 { return b2f(in[0][i] == in[1][i]) },
	"op_not_op13":     func(in [][]float64, i int) float64 { return 1 - in[0][i] },
	"op_and_op13":     func(in [][]float64, i int) float64 { return in[0][i] * in[1][i] },
	"op_or_op13":      func(in [][]float64, i int) float64 { return math.Max(in[0][i], in[1][i]) },
	"op_xor_op13":     func(in [][]float64, i int) float64 { return b2f(in[0][i] != in[1][i]) },
	"op_where_op13": func(in [][]float64, i int) float64 {
		if in[0][i] != 0 {
			return in[1][i]
		}
		return in[2][i]
	},
	"int64_equal_op13": func(in [][]float64, i int) float64 { return b2f(in[0][i] == 3) },
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func checkZooSemantics(t *testing.T, m zooModel) {
	t.Helper()
	f, ok := zooExact[strings.TrimSuffix(m.File, ".onnx")]
	if !ok {
		return
	}
	for i, want := range m.OutputData[0] {
		// Both sides read as float32: the JSON holds float32 values as their shortest decimal.
		if got := f(m.InputData, i); float32(got) != float32(want) {
			t.Fatalf("output %d: %v from the inputs, torch's is %v", i, got, want)
		}
	}
}

// Every exact check names a model of the zoo.
func TestZooExactChecksNameModels(t *testing.T) {
	z := readZoo(t)
	names := map[string]bool{}
	for _, m := range z.Models {
		names[strings.TrimSuffix(m.File, ".onnx")] = true
	}
	for name := range zooExact {
		if !names[name] {
			t.Errorf("zooExact names %s, not in zoo.json", name)
		}
	}
}
