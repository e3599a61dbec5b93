package onnx_test

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// The zoo exports of norms, softmax and reductions import as the ops of
// quant/ops norm.go, softmax.go and reduce.go (TestGraphZoo checks their
// float outputs against torch's and that they quantize; circuits/ops
// TestZooCircuits that their circuits are bit-exact).
func TestGraphNormZoo(t *testing.T) {
	want := map[string]string{
		"op_layernorm_op13":  "layernorm", // the opset-13 decomposition, fused
		"op_layernorm_op17":  "layernorm",
		"op_softmax_op13":    "softmax",
		"op_reducesum_op13":  "reduce:sum",
		"op_reducemean_op13": "reduce:mean",
		"op_reducemax_op13":  "reduce:max",
		"op_reducemin_op13":  "reduce:min",
	}
	z := readZoo(t)
	seen := 0
	for _, m := range z.Models {
		name := strings.TrimSuffix(m.File, ".onnx")
		w, ok := want[name]
		if !ok {
			continue
		}
		seen++
		data, err := quant.ReadFileLimited(filepath.Join(zooDir, m.File), quant.MaxModelFileSize)
		if err != nil {
			t.Fatal(err)
		}
		fm, _, err := onnx.ParseGraph(data, onnx.Options{})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		var kinds []string
		for _, n := range fm.Graph.Nodes {
			k := n.Op.Kind()
			if r, ok := n.Op.(*ops.Reduce); ok {
				k += ":" + r.Op
			}
			kinds = append(kinds, k)
		}
		if got := strings.Join(kinds, " "); got != w {
			t.Errorf("%s: nodes %q, want %q", name, got, w)
		}
		// The integer graph, calibrated on the zoo's input, follows torch's
		// output within a few steps of the output's format.
		s, err := quant.Calibrate(fm, m.InputData[:1])
		if err != nil {
			t.Fatal(err)
		}
		qm, err := quant.Quantize(fm, s)
		if err != nil {
			t.Fatal(err)
		}
		x, err := qm.QuantizeInput(m.InputData[0])
		if err != nil {
			t.Fatal(err)
		}
		tr, err := qm.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		y, want := qm.DequantizeOutput(tr.Y), m.OutputData[0]
		mag, worst := 0.0, 0.0
		for k := range want {
			mag = math.Max(mag, math.Abs(want[k]))
			worst = math.Max(worst, math.Abs(y[k]-want[k]))
		}
		t.Logf("%-20s integer vs torch: max abs error %.4f (output magnitude %.3f, frac %d)", name, worst, mag, qm.OutputFrac())
		if worst > 0.08*mag {
			t.Errorf("%s: integer output off torch's by %.4f (magnitude %.3f)", name, worst, mag)
		}
	}
	if seen != len(want) {
		t.Fatalf("%d of the %d zoo models found", seen, len(want))
	}
}
