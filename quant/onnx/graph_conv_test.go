package onnx_test

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// cnnZoo pins what the zoo's conv, pool, pad, concat and slice exports
// become ("" = refused, with the reason's substring in cnnZooRefused).
var cnnZoo = map[string]string{
	"op_conv2d_op13":           "conv",
	"op_conv2d_padded_op13":    "conv",
	"op_conv2d_strided_op13":   "conv",
	"op_conv2d_grouped_op13":   "conv",
	"op_conv2d_depthwise_op13": "conv",
	"op_conv1d_op13":           "conv",
	"op_convtranspose_op13":    "conv_transpose",
	"bn_conv_fused_op13":       "conv+relu",
	"bn_conv_op13":             "conv+relu",
	"maxpool_op13":             "max_pool",
	"maxpool_pad_op13":         "max_pool",
	"maxpool_ceil_op13":        "max_pool",
	"maxpool1d_op13":           "max_pool",
	"adaptivemaxpool_op13":     "max_pool",
	"avgpool_op13":             "avg_pool",
	"avgpool_pad_op13":         "avg_pool",
	"avgpool_pad_include_op13": "pad avg_pool",
	"globalavgpool_op13":       "avg_pool",
	"op_concat_op13":           "concat",
	"op_slice_op13":            "slice slice",
	"lenet5_op13":              "conv unary:tanh reshape avg_pool conv unary:tanh reshape avg_pool reshape linear unary:tanh linear unary:tanh linear",
	"cnn3_op13":                "conv+relu max_pool conv+relu max_pool conv+relu reshape linear",
	"cnn3_op13_dyn":            "conv+relu max_pool conv+relu max_pool conv+relu reshape linear",
	"pad_constant_op13":        "index_map",
	"pad_edge_op13":            "index_map",
	"pad_reflect_op13":         "index_map",
}

// The pad exports compute their pads with a reversing Slice, which the
// constant folder evaluates; their value and modes are index maps.
var cnnZooRefused = map[string]string{}

// The CNN exports of the zoo import as pinned, compute torch's outputs in
// floats, quantize close to them, and (the small ones) prove in the circuit
// bit-exactly.
func TestGraphZooCNN(t *testing.T) {
	z := readZoo(t)
	seen := 0
	for _, m := range z.Models {
		name := strings.TrimSuffix(m.File, ".onnx")
		want, ok := cnnZoo[name]
		if !ok {
			continue
		}
		seen++
		t.Run(name, func(t *testing.T) {
			data, err := quant.ReadFileLimited(filepath.Join(zooDir, m.File), quant.MaxModelFileSize)
			if err != nil {
				t.Fatal(err)
			}
			fm, _, err := onnx.ParseGraph(data, onnx.Options{})
			if want == "" {
				if err == nil {
					t.Fatalf("accepted, want a refusal")
				}
				if !slices.ContainsFunc(strings.Split(cnnZooRefused[name], "|"), func(r string) bool { return strings.Contains(err.Error(), r) }) {
					t.Errorf("refusal %q does not mention %q", err, cnnZooRefused[name])
				}
				t.Logf("refused: %v", err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, n := range fm.Graph.Nodes {
				k := n.Op.Kind()
				switch op := n.Op.(type) {
				case *ops.Unary:
					k += ":" + op.Fn
				case *ops.Conv:
					if op.ReLU {
						k += "+relu"
					}
				case *ops.Linear:
					if op.ReLU {
						k += "+relu"
					}
				}
				kinds = append(kinds, k)
			}
			if got := strings.Join(kinds, " "); got != want {
				t.Errorf("nodes %q, want %q", got, want)
			}
			x0 := zooSample(fm.Graph, m.InputData)
			vals, err := fm.Graph.Eval(x0)
			if err != nil {
				t.Fatal(err)
			}
			got, ref := vals[fm.Graph.Outputs[0]], m.OutputData[0]
			scale := 1e-6
			for _, w := range ref {
				scale = math.Max(scale, math.Abs(w))
			}
			for k := range ref {
				if math.Abs(got[k]-ref[k]) > 1e-4*scale {
					t.Fatalf("float output %d: %v, torch's is %v", k, got[k], ref[k])
				}
			}
			s, err := quant.Calibrate(fm, [][]float64{x0})
			if err != nil {
				t.Fatal(err)
			}
			qm, err := quant.Quantize(fm, s)
			if err != nil {
				t.Fatal(err)
			}
			x, err := qm.QuantizeInput(x0)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := qm.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			y := quant.Flatten(tr.Y)
			frac := qm.Graph.Output().Frac
			worst := 0.0
			for k := range ref {
				worst = math.Max(worst, math.Abs(quant.DequantizeValue(y[k], frac)-ref[k]))
			}
			t.Logf("integer vs torch: max abs error %.4f (output scale %.3f, %.1f%%); cost %+v", worst, scale, 100*worst/scale, qm.Graph.Cost())
			if worst > 0.1*scale {
				t.Errorf("integer output off torch's by %.4f of %.3f", worst, scale)
			}
			if qm.Graph.Cost().R1CS > 100000 {
				return // the test engine is slow on big circuits; lenet5 is checked by the Groth16 scripts
			}
			v := quant.Visibility{Input: quant.VisibilityPublic, Output: quant.VisibilityPublic, Weights: quant.VisibilityFixed}
			circ, err := graph.New(qm, v)
			if err != nil {
				t.Fatal(err)
			}
			a, err := graph.Assignment(qm, tr, v, modelio.Salts{})
			if err != nil {
				t.Fatal(err)
			}
			if err := test.IsSolved(circ, a, ecc.BN254.ScalarField()); err != nil {
				t.Fatalf("circuit: %v", err)
			}
		})
	}
	if seen != len(cnnZoo) {
		t.Errorf("found %d of the %d pinned models in the zoo", seen, len(cnnZoo))
	}
}

// Untrusted bytes through the CNN mappers: the importer answers, never
// panics, and what it accepts calibrates and quantizes or fails with an
// error.
func FuzzParseGraphCNN(f *testing.F) {
	for _, name := range []string{"op_conv2d_padded_op13", "op_convtranspose_op13", "bn_conv_op13", "maxpool_ceil_op13", "avgpool_pad_include_op13", "op_slice_op13", "globalavgpool_op13", "op_conv1d_op13"} {
		data, err := quant.ReadFileLimited(filepath.Join(zooDir, name+".onnx"), quant.MaxModelFileSize)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fm, _, err := onnx.ParseGraph(data, onnx.Options{})
		if err != nil {
			// The importer turns a panic into this error: a mapper missed a check.
			if strings.Contains(err.Error(), "malformed graph: ") {
				t.Fatalf("a mapper panicked: %v", err)
			}
			return
		}
		if err := fm.Config.Validate(); err != nil {
			t.Fatalf("imported an invalid config: %v", err)
		}
		if fm.Graph.InputSize() > 1<<12 {
			return
		}
		s, err := quant.Calibrate(fm, [][]float64{make([]float64, fm.Graph.InputSize())})
		if err != nil {
			return
		}
		if qm, err := quant.Quantize(fm, s); err == nil {
			if err := qm.Validate(); err != nil {
				t.Fatalf("quantized an invalid model: %v", err)
			}
		}
	})
}
