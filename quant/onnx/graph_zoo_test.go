package onnx_test

import (
	"errors"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// graphZooNodes pins what some zoo models become: fusions (Linear + bias
// Add + Relu, Affine) and unary closures (the erf and tanh forms of GELU,
// SiLU) as single nodes.
var graphZooNodes = map[string]string{
	"mlp3_op13":           "linear+relu linear+relu linear",
	"mlp3_tokens_op13":    "linear+relu linear+relu linear",
	"mlp3_batch_op17_dyn": "linear+relu linear+relu linear",
	"mlp_bn_sigmoid_op13": "linear unary:sigmoid linear",
	"op_gelu_op13":        "unary:gelu_erf",
	"op_gelu_tanh_op13":   "unary:gelu",
	"op_silu_op13":        "unary:silu",
	"op_batchnorm_op13":   "affine",
	"op_sub_const_op13":   "affine",
	"op_div_const_op13":   "affine",
	"op_clip_op13":        "unary:clip",
	"op_pow_op13":         "unary:pow",
	"op_flatten_op13":     "reshape",
	"op_relu_op13":        "relu",
	// index maps, logic and index ops (graph_index.go)
	"op_expand_op13":         "index_map",
	"op_expand_sizes_op13":   "index_map",
	"op_tile_op13":           "reshape index_map",
	"op_gather_op13":         "index_map",
	"op_gather_scalar_op13":  "index_map",
	"op_trilu_op14":          "index_map",
	"mask_const_op13":        "index_map",
	"pad_edge_op13":          "index_map",
	"op_split_op13":          "slice slice",
	"op_and_op13":            "logic",
	"op_not_op13":            "logic",
	"op_matmul_act_op13":     "matmul",
	"op_div_op13":            "unary:reciprocal binary",
	"op_prelu_op13":          "prelu",
	"op_argmax_op13":         "argmax",
	"op_max_dim_op13":        "reduce argmax",
	"op_topk_op13":           "topk",
	"op_onehot_op13":         "onehot",
	"op_gatherelements_op13": "gather_elements",
	"int64_equal_op13":       "index_equal reshape",
	// attention fusion (graph_attention.go)
	"attn_gpt2_causal_op14":    "layernorm linear slice slice slice attention linear binary",
	"attn_encoder_postln_op14": "linear linear linear attention linear binary layernorm reduce linear",
	"attn_nanogpt_fill10_op14": "linear slice slice slice attention linear",
	"attn_gqa_op14":            "linear linear linear attention linear",
	"attn_mqa_op14":            "linear linear linear attention linear",
}

// Every zoo model the layer-graph importer accepts computes torch's output
// on the zoo's input (float graph, 1e-4 relative), calibrates and quantizes;
// every one it refuses is refused with a one-line validation error that
// names the node or the input. The lists below pin which is which.
func TestGraphZoo(t *testing.T) {
	z := readZoo(t)
	var accepted, refused []string
	reasons := map[string]string{}
	for _, m := range z.Models {
		name := strings.TrimSuffix(m.File, ".onnx")
		t.Run(name, func(t *testing.T) {
			data, err := quant.ReadFileLimited(filepath.Join(zooDir, m.File), quant.MaxModelFileSize)
			if err != nil {
				t.Fatal(err)
			}
			fm, notes, err := onnx.ParseGraph(data, onnx.Options{})
			if err != nil {
				refused = append(refused, name)
				reasons[name] = err.Error()
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("a refusal of several lines: %q", err)
				}
				if !errors.Is(err, quant.ErrValidation) && !errors.Is(err, quant.ErrShape) {
					t.Errorf("an unclassified refusal: %v", err)
				}
				if !strings.Contains(err.Error(), "node ") && !strings.Contains(err.Error(), "input") && !strings.Contains(err.Error(), "output") {
					t.Errorf("a refusal that names neither a node nor the input or output: %v", err)
				}
				return
			}
			accepted = append(accepted, name)
			var kinds []string
			for _, n := range fm.Graph.Nodes {
				k := n.Op.Kind()
				switch op := n.Op.(type) {
				case *ops.Unary:
					k += ":" + op.Fn
				case *ops.Linear:
					if op.ReLU {
						k += "+relu"
					}
				case *ops.Affine:
					if op.ReLU {
						k += "+relu"
					}
				}
				kinds = append(kinds, k)
			}
			if want, ok := graphZooNodes[name]; ok && strings.Join(kinds, " ") != want {
				t.Errorf("nodes %q, want %q", strings.Join(kinds, " "), want)
			}
			if strings.HasSuffix(name, "_dyn") && len(notes) == 0 {
				t.Errorf("a dynamic batch without a note")
			}
			x0 := zooSample(fm.Graph, m.InputData)
			vals, err := fm.Graph.Eval(x0)
			if err != nil {
				t.Fatal(err)
			}
			for o, id := range fm.Graph.Outputs {
				got := vals[id]
				want := m.OutputData[o]
				if len(got) != len(want) || !slices.Equal(fm.Graph.Shapes[id], m.OutputShapes[o]) {
					t.Fatalf("output %v of %d values, torch's is %v", fm.Graph.Shapes[id], len(got), m.OutputShapes[o])
				}
				scale := 1.0
				for _, w := range want {
					scale = math.Max(scale, math.Abs(w))
				}
				for k := range want {
					if math.Abs(got[k]-want[k]) > 1e-4*scale {
						t.Fatalf("output %d value %d: %v, torch's is %v", o, k, got[k], want[k])
					}
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
			if _, err := qm.Forward(x); err != nil {
				t.Fatal(err)
			}
			rep, err := quant.Accuracy(fm, qm, [][]float64{x0})
			if err != nil {
				t.Fatal(err)
			}
			out := rep.Layers[len(rep.Layers)-1]
			t.Logf("int8 output vs float: max abs %.4f, relative %.2f%%", out.MaxAbs, 100*out.Rel)
			// Floor, Ceil and Round jump by 1 where the input's quantization
			// error crosses an integer; mask_const fills −10000, which an
			// index map saturates to −128 at the input's fraction (by design:
			// ops.QIndexMap); everything else is close.
			if discontinuous := strings.Contains("op_floor_op13 op_ceil_op13 op_round_op13 mask_const_op13", name); !discontinuous && out.Rel > 0.06 {
				t.Errorf("the int8 graph's output is %.1f%% off the float one's", 100*out.Rel)
			}
		})
	}
	for name := range graphZooNodes {
		if !slices.Contains(accepted, name) {
			t.Errorf("%s is refused: %s", name, reasons[name])
		}
	}
	// New mappers raise this; none may lower it.
	if len(accepted) < 123 {
		t.Errorf("%d zoo models accepted, want at least 123", len(accepted))
	}
	t.Logf("the layer-graph importer accepts %d of %d zoo models: %v", len(accepted), len(z.Models), accepted)
	t.Logf("it refuses %d:", len(refused))
	for _, name := range refused {
		t.Logf("  %s: %s", name, reasons[name])
	}
}
