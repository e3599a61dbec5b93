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

func attrI(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), I: proto.Int64(v), Type: onnxpb.AttributeProto_INT.Enum()}
}

func attrS(name, v string) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), S: []byte(v), Type: onnxpb.AttributeProto_STRING.Enum()}
}

// Hostile forms of the index mappers are refused with one classified line
// naming the node, never by a recovered panic, and before any allocation
// by a hostile size.
func TestIndexMappersRefuse(t *testing.T) {
	for _, c := range []struct {
		name  string
		build func(b *gg) *onnxpb.ModelProto
		want  string
	}{
		{"tile by 0", func(b *gg) *onnxpb.ModelProto {
			return b.model(b.node("Tile", []string{"x", b.ints(1, 0)}), 2, 4)
		}, "every repeat must be at least 1"},
		{"huge tile", func(b *gg) *onnxpb.ModelProto {
			return b.model(b.node("Tile", []string{"x", b.ints(1<<20, 1<<20)}), 2, 4)
		}, "more than"},
		{"huge expand", func(b *gg) *onnxpb.ModelProto {
			return b.model(b.node("Expand", []string{"x", b.ints(1<<40, 4)}), 1, 4)
		}, "Expand to dimension"},
		{"expand that does not broadcast", func(b *gg) *onnxpb.ModelProto {
			return b.model(b.node("Expand", []string{"x", b.ints(3, 3)}), 2, 4)
		}, "do not broadcast"},
		{"gather out of range", func(b *gg) *onnxpb.ModelProto {
			return b.model(b.node("Gather", []string{"x", b.ints(0, 4)}, attrI("axis", 1)), 2, 4)
		}, "out of range"},
		{"gather axis", func(b *gg) *onnxpb.ModelProto {
			return b.model(b.node("Gather", []string{"x", b.ints(0)}, attrI("axis", 5)), 2, 4)
		}, "Gather axis 5"},
		{"gather elements rank", func(b *gg) *onnxpb.ModelProto {
			return b.model(b.node("GatherElements", []string{"x", b.ints(0, 1)}, attrI("axis", 1)), 2, 4)
		}, "indices of rank 1"},
		{"reflect too far", func(b *gg) *onnxpb.ModelProto {
			return b.model(b.node("Pad", []string{"x", b.ints(0, 4, 0, 0)}, attrS("mode", "reflect")), 2, 4)
		}, "shorter than its axis"},
		{"pad mode", func(b *gg) *onnxpb.ModelProto {
			return b.model(b.node("Pad", []string{"x", b.ints(0, 1, 0, 0)}, attrS("mode", "mirror")), 2, 4)
		}, `pad mode "mirror"`},
		{"split sizes", func(b *gg) *onnxpb.ModelProto {
			return b.model(b.node("Split", []string{"x", b.ints(1, 2)}, attrI("axis", 1)), 2, 4)
		}, "2 sizes for 1 outputs"},
		{"trilu of a vector", func(b *gg) *onnxpb.ModelProto {
			return b.model(b.node("Trilu", []string{"x"}), 4)
		}, "Trilu of rank 1"},
		{"argmax of 129, last index", func(b *gg) *onnxpb.ModelProto { // 129 values: argmax_index (graph_lm.go)
			return b.model(b.node("ArgMax", []string{"x"}, attrI("axis", -1), attrI("select_last_index", 1)), 2, 129)
		}, "first index only"},
		{"argmax last index", func(b *gg) *onnxpb.ModelProto {
			return b.model(b.node("ArgMax", []string{"x"}, attrI("select_last_index", 1)), 2, 4)
		}, "first index only"},
		{"prelu slope", func(b *gg) *onnxpb.ModelProto {
			return b.model(b.node("PRelu", []string{"x", b.floats([]int64{3})}), 2, 4)
		}, "does not broadcast"},
		{"logic of a constant", func(b *gg) *onnxpb.ModelProto {
			return b.model(b.node("And", []string{"x", b.floats([]int64{4})}), 2, 4)
		}, "is a constant"},
	} {
		_, _, err := importGraph(c.build(newGG()), Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), "malformed") ||
			!errors.Is(err, quant.ErrValidation) && !errors.Is(err, quant.ErrShape) && !errors.Is(err, quant.ErrRange) {
			t.Errorf("%s: got %v, want one line containing %q", c.name, err, c.want)
		}
	}
}

// What the new forms become.
func TestIndexMappersNodes(t *testing.T) {
	for _, c := range []struct {
		name  string
		build func(b *gg) *onnxpb.ModelProto
		want  string
	}{
		{"div by an activation", func(b *gg) *onnxpb.ModelProto {
			r := b.node("Sigmoid", []string{"x"})
			return b.model(b.node("Div", []string{"x", r}), 2, 4)
		}, "unary:sigmoid unary:reciprocal binary"},
		{"gather of an activation", func(b *gg) *onnxpb.ModelProto {
			return b.model(b.node("Gather", []string{"x", b.ints(3, -1, 0)}, attrI("axis", 1)), 2, 4)
		}, "index_map"},
		{"where with a constant mask", func(b *gg) *onnxpb.ModelProto {
			return b.model(b.node("Where", []string{b.floats([]int64{4}, 1, 0, 1, 0), b.floats([]int64{1}, -3), "x"}), 2, 4)
		}, "index_map"},
		{"where with a constant mask of two activations", func(b *gg) *onnxpb.ModelProto {
			r := b.node("Sigmoid", []string{"x"})
			return b.model(b.node("Where", []string{b.floats([]int64{4}, 1, 0, 1, 0), "x", r}), 2, 4)
		}, "unary:sigmoid reshape reshape concat index_map"},
		{"matmul of activations", func(b *gg) *onnxpb.ModelProto {
			r := b.node("Transpose", []string{"x"})
			return b.model(b.node("MatMul", []string{"x", r}), 2, 4)
		}, "transpose matmul"},
		{"pad edge", func(b *gg) *onnxpb.ModelProto {
			return b.model(b.node("Pad", []string{"x", b.ints(0, 1, 0, 2)}, attrS("mode", "edge")), 2, 4)
		}, "index_map"},
		{"pad zeros stays pad", func(b *gg) *onnxpb.ModelProto {
			return b.model(b.node("Pad", []string{"x", b.ints(0, 1, 0, 2)}), 2, 4)
		}, "pad"},
	} {
		fm, _, err := importGraph(c.build(newGG()), Options{})
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := kinds(fm); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// A mask filled with −inf imports (the constant saturates like −10000).
func TestIndexMapInfiniteMask(t *testing.T) {
	b := newGG()
	inf := float32(math.Inf(-1))
	m := b.model(b.node("Where", []string{b.floats([]int64{4}, 1, 0, 1, 0), "x", b.floats([]int64{1}, inf)}), 2, 4)
	fm, _, err := importGraph(m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	vals, err := fm.Graph.Eval([]float64{1, 2, 3, 4, 5, 6, 7, 8})
	if err != nil {
		t.Fatal(err)
	}
	got := vals[fm.Graph.Outputs[0]]
	if got[0] != 1 || got[1] != -maskInf || got[2] != 3 || got[5] != -maskInf {
		t.Fatalf("masked %v", got)
	}
}

// Corrupted index-op exports are answered by an error or a valid model,
// never by a recovered panic ("malformed graph").
func TestIndexMappersCorrupted(t *testing.T) {
	names := []string{"mask_const_op13", "op_and_op13", "op_not_op13", "op_argmax_op13", "op_max_dim_op13", "op_div_op13",
		"op_expand_op13", "op_expand_sizes_op13", "op_tile_op13", "op_gather_op13", "op_gather_scalar_op13", "op_matmul_act_op13",
		"op_prelu_op13", "op_split_op13", "op_topk_op13", "op_onehot_op13", "op_gatherelements_op13", "op_trilu_op14",
		"pad_constant_op13", "pad_edge_op13", "pad_reflect_op13", "int64_equal_op13"}
	rng := rand.New(rand.NewPCG(14, 61))
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "onnx", "zoo", name+".onnx"))
		if err != nil {
			t.Fatal(err)
		}
		for range 300 {
			d := append([]byte(nil), data...)
			for range 1 + rng.IntN(3) {
				d[rng.IntN(len(d))] ^= byte(1 << rng.IntN(8))
			}
			fm, _, err := ParseGraph(d, Options{})
			if err != nil {
				if strings.Contains(err.Error(), "malformed graph") {
					t.Errorf("%s: a recovered panic: %v", name, err)
				}
				continue
			}
			if err := fm.Config.Validate(); err != nil {
				t.Errorf("%s: imported an invalid config: %v", name, err)
			}
		}
	}
}

// Where with a constant mask of two activations computes the mask's choice
// in floats and quantizes (the finer branch aligned by the concat).
func TestWhereConstantMaskTwoBranches(t *testing.T) {
	b := newGG()
	r := b.node("Sigmoid", []string{"x"})
	m := b.model(b.node("Where", []string{b.floats([]int64{4}, 1, 0, 1, 0), "x", r}), 2, 4)
	fm, _, err := importGraph(m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	x := []float64{1, -2, 3, -4, 5, -6, 7, -8}
	vals, err := fm.Graph.Eval(x)
	if err != nil {
		t.Fatal(err)
	}
	got := vals[fm.Graph.Outputs[0]]
	for p, v := range x {
		want := v
		if p%2 == 1 {
			want = 1 / (1 + math.Exp(-v))
		}
		if math.Abs(got[p]-want) > 1e-12 {
			t.Fatalf("position %d: %v, want %v", p, got[p], want)
		}
	}
	s, err := quant.Calibrate(fm, [][]float64{x})
	if err != nil {
		t.Fatal(err)
	}
	qm, err := quant.Quantize(fm, s)
	if err != nil {
		t.Fatal(err)
	}
	xq, err := qm.QuantizeInput(x)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := qm.Forward(xq); err != nil {
		t.Fatal(err)
	}
}
