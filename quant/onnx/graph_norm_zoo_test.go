package onnx_test

import (
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
	}
	if seen != len(want) {
		t.Fatalf("%d of the %d zoo models found", seen, len(want))
	}
}
