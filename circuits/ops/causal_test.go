package ops_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// checkCausal runs quant.CheckCausal from m's first input (sequence axis
// inAxis) to its first output (axis outAxis) and compares with want; a
// refusal must name the node culprit ("" for any).
func checkCausal(t *testing.T, name string, m *quant.Model, inAxis, outAxis int, want bool, culprit string) {
	t.Helper()
	g := m.Graph
	err := quant.CheckCausal(g, g.Inputs[0], inAxis, g.Outputs[0], outAxis)
	switch {
	case want && err != nil:
		t.Errorf("%s: refused: %v", name, err)
	case !want && !errors.Is(err, quant.ErrNotCausal):
		t.Errorf("%s: %v, want a causality refusal", name, err)
	case !want && culprit != "" && !strings.Contains(err.Error(), `"`+culprit+`"`):
		t.Errorf("%s: %v, want the culprit %q named", name, err, culprit)
	case !want:
		t.Logf("%s: %v", name, err)
	}
}

// The LM exports: nanoGPT (fused causal attention) and the Llama-style
// decoder (rope, GQA, masked_softmax, matmuls, index_map) are causal, and
// NextTokensModel accepts them; the BERT-style bidirectional encoder is not.
func TestCausalLMExports(t *testing.T) {
	for _, name := range []string{"nanogpt_op14", "llama_op14"} {
		m := lmModel(t, name, 8)
		checkCausal(t, name, m, -1, -2, true, "")
		if _, err := ops.NextTokensModel(m, 3, 4); err != nil {
			t.Errorf("%s: NextTokensModel: %v", name, err)
		}
	}
	bert := lmModel(t, "bert_op14", 0)
	checkCausal(t, "bert_op14", bert, -1, 0, false, "")
	// Its attention alone, from the embeddings: the bidirectional
	// attention is the culprit.
	g := bert.Graph
	for _, n := range g.Nodes {
		if n.Op.Kind() != "attention" {
			continue
		}
		if err := quant.CheckCausal(g, g.Inputs[0], -1, n.Out[0], -2); !errors.Is(err, quant.ErrNotCausal) {
			t.Errorf("bert attention: %v", err)
		}
		break
	}
}

// The zoo's attention exports, from the input activations [1, T, d] to the
// output: causal masks pass; an encoder (no mask), GPT-2 without its mask
// and MQA's padding mask (a later key kept) are refused. nanoGPT's finite
// −10 masked_fill is decided by the op's integer semantics: here the fill
// lies below the logit range of every score, so the masked positions are
// excluded (exactly zero weight) and the mask quantizes to `causal`:
// accepted. Had it come out a constant logit inside the range (mode
// AttnConst), a masked later position would keep weight and its value row
// would leak into earlier rows: refused (the same model with the modes
// edited so).
func TestCausalAttentionExports(t *testing.T) {
	for _, c := range []struct {
		name   string
		causal bool
	}{
		{"zoo/attn_gpt2_causal_op14", true}, {"zoo/attn_gqa_op14", true}, {"zoo/attn_mqa_op14", false},
		{"zoo/attn_encoder_postln_op14", false}, {"rejected_nomask_op14", false}, {"zoo/attn_nanogpt_fill10_op14", true},
	} {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "onnx", c.name+".onnx"))
		if err != nil {
			t.Fatal(err)
		}
		fm, _, err := onnx.ParseGraph(data, onnx.Options{})
		if err != nil {
			t.Fatal(err)
		}
		m := graphtest.Calibrated(t, rand.New(rand.NewPCG(5, 5)), fm)
		culprit := ""
		for k, n := range m.Graph.Nodes {
			a, ok := n.Op.(*ops.QAttention)
			if !ok {
				continue
			}
			culprit = n.Name
			if c.name != "zoo/attn_nanogpt_fill10_op14" {
				continue
			}
			if a.Mask != ops.MaskCausal {
				t.Fatalf("fill10: mask %q", a.Mask)
			}
			// The same attention with the later positions a constant
			// logit (the fill inside the range): refused; excluded (as
			// the causal mask): accepted.
			for _, mode := range []int8{ops.AttnConst, ops.AttnExcluded} {
				tt, _, _, _, _, err := a.Dims(inValues(m.Graph, n))
				if err != nil {
					t.Fatal(err)
				}
				b := *a
				b.Mask, b.Mode, b.Value = ops.MaskConst, make([]int8, tt*tt), make([]int64, tt*tt)
				for i := range tt {
					for j := range tt {
						b.Mode[i*tt+j] = ops.AttnComputed
						if j > i {
							b.Mode[i*tt+j] = mode
							if mode == ops.AttnConst {
								b.Value[i*tt+j] = -1 << (a.LogitBits - 1)
							}
						}
					}
				}
				if err := b.Check(inValues(m.Graph, n), []quant.Value{m.Graph.Values[n.Out[0]]}); err != nil {
					t.Fatal(err)
				}
				e := *m
				e.Graph = &quant.Graph{Values: m.Graph.Values, Inputs: m.Graph.Inputs, Outputs: m.Graph.Outputs, Nodes: slices.Clone(m.Graph.Nodes)}
				e.Graph.Nodes[k].Op = &b
				checkCausal(t, fmt.Sprintf("fill10 with mode %d after the diagonal", mode), &e, 1, 1, mode == ops.AttnExcluded, n.Name)
			}
		}
		if c.causal {
			culprit = ""
		}
		checkCausal(t, c.name, m, 1, 1, c.causal, culprit)
	}
}

func inValues(g *quant.Graph, n quant.Node) []quant.Value {
	var v []quant.Value
	for _, i := range n.In {
		v = append(v, g.Values[i])
	}
	return v
}

// One hand-built graph per rule, from x [1, 6, 8] (positions on axis 1).
func TestCausalRules(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	tri := func(extra ...int) []uint8 {
		keep := make([]uint8, 36)
		for i := range 6 {
			for j := range i + 1 {
				keep[i*6+j] = 1
			}
		}
		for _, k := range extra {
			keep[k] = 1
		}
		return keep
	}
	lin := func(in, out int) quant.FloatOp {
		return ops.NewLinear(graphtest.Tensor(rng, 0.5, in, out), graphtest.Tensor(rng, 0.1, out), false)
	}
	attn := func(keep []uint8) []graphtest.Step {
		return []graphtest.Step{
			{Name: "kt", Op: &ops.Transpose{Perm: []int{0, 2, 1}}, In: []string{"x"}, Out: []string{"kt"}},
			{Name: "s", Op: &ops.MatMul{}, In: []string{"x", "kt"}, Out: []string{"s"}},
			{Name: "p", Op: &ops.MaskedSoftmax{Rows: 6, Cols: 6, Keep: keep}, In: []string{"s"}, Out: []string{"p"}},
			{Name: "o", Op: &ops.MatMul{}, In: []string{"p", "x"}, Out: []string{"o"}},
		}
	}
	for _, c := range []struct {
		name    string
		steps   []graphtest.Step
		causal  bool
		culprit string
	}{
		{"rows", []graphtest.Step{
			{Name: "l", Op: lin(8, 5), In: []string{"x"}, Out: []string{"l"}},
			{Name: "sm", Op: &ops.Softmax{}, In: []string{"l"}, Out: []string{"sm"}},
			{Name: "y", Op: &ops.Binary{Op: "add"}, In: []string{"sm", "sm"}, Out: []string{"y"}},
		}, true, ""},
		{"reduce over features", []graphtest.Step{
			{Name: "r", Op: &ops.Reduce{Op: "mean", Axes: []int{2}, KeepDims: true}, In: []string{"x"}, Out: []string{"r"}},
			{Name: "y", Op: &ops.Binary{Op: "sub"}, In: []string{"x", "r"}, Out: []string{"y"}},
		}, true, ""},
		{"reduce over positions", []graphtest.Step{
			{Name: "r", Op: &ops.Reduce{Op: "mean", Axes: []int{1}, KeepDims: true}, In: []string{"x"}, Out: []string{"r"}},
			{Name: "y", Op: &ops.Binary{Op: "sub"}, In: []string{"x", "r"}, Out: []string{"y"}},
		}, false, "r"},
		{"transposed sequence", []graphtest.Step{
			{Name: "xt", Op: &ops.Transpose{Perm: []int{0, 2, 1}}, In: []string{"x"}, Out: []string{"xt"}},
			{Name: "l", Op: lin(6, 6), In: []string{"xt"}, Out: []string{"l"}},
			{Name: "y", Op: &ops.Transpose{Perm: []int{0, 2, 1}}, In: []string{"l"}, Out: []string{"y"}},
		}, false, "l"},
		{"transposed twice", []graphtest.Step{
			{Name: "xt", Op: &ops.Transpose{Perm: []int{0, 2, 1}}, In: []string{"x"}, Out: []string{"xt"}},
			{Name: "y", Op: &ops.Transpose{Perm: []int{0, 2, 1}}, In: []string{"xt"}, Out: []string{"y"}},
		}, true, ""},
		{"shifted slice", []graphtest.Step{
			{Name: "y", Op: &ops.Slice{Starts: []int64{1}, Ends: []int64{6}, Axes: []int64{1}}, In: []string{"x"}, Out: []string{"y"}},
		}, false, ""},
		{"concat of features", []graphtest.Step{
			{Name: "l", Op: lin(8, 5), In: []string{"x"}, Out: []string{"l"}},
			{Name: "c", Op: &ops.Concat{Axis: 2}, In: []string{"x", "l"}, Out: []string{"c"}},
		}, true, ""},
		{"concat of positions", []graphtest.Step{ // row t of the output is row t − 6 of x
			{Name: "c", Op: &ops.Concat{Axis: 1}, In: []string{"x", "x"}, Out: []string{"c"}},
			{Name: "y", Op: &ops.Slice{Starts: []int64{3}, Ends: []int64{9}, Axes: []int64{1}}, In: []string{"c"}, Out: []string{"y"}},
		}, false, ""},
		{"causal const mask", attn(tri()), true, ""},
		{"mask fill by index_map then softmax", []graphtest.Step{ // the op-by-op masked_fill(−10): the fill still gets weight
			{Name: "kt", Op: &ops.Transpose{Perm: []int{0, 2, 1}}, In: []string{"x"}, Out: []string{"kt"}},
			{Name: "s", Op: &ops.MatMul{}, In: []string{"x", "kt"}, Out: []string{"s"}},
			{Name: "f", Op: &ops.IndexMap{Shape: []int{1, 6, 6}, Index: fillAbove(6, 0), Const: []float64{-10}}, In: []string{"s"}, Out: []string{"f"}},
			{Name: "p", Op: &ops.Softmax{}, In: []string{"f"}, Out: []string{"p"}},
			{Name: "o", Op: &ops.MatMul{}, In: []string{"p", "x"}, Out: []string{"o"}},
		}, false, "s"},
		{"mask fill 0 by index_map after softmax", []graphtest.Step{ // exact zeros above the diagonal, but the softmax read the whole row
			{Name: "kt", Op: &ops.Transpose{Perm: []int{0, 2, 1}}, In: []string{"x"}, Out: []string{"kt"}},
			{Name: "s", Op: &ops.MatMul{}, In: []string{"x", "kt"}, Out: []string{"s"}},
			{Name: "p", Op: &ops.Softmax{}, In: []string{"s"}, Out: []string{"p"}},
			{Name: "z", Op: &ops.IndexMap{Shape: []int{1, 6, 6}, Index: fillAbove(6, 0), Const: []float64{0}}, In: []string{"p"}, Out: []string{"z"}},
			{Name: "o", Op: &ops.MatMul{}, In: []string{"z", "x"}, Out: []string{"o"}},
		}, false, "s"},
		{"mask keeping a later position", attn(tri(1)), false, "s"},
	} {
		m := graphtest.Graph(t, rng, []int{1, 6, 8}, c.steps...)
		checkCausal(t, c.name, m, 1, 1, c.causal, c.culprit)
	}
	// Bad arguments: named errors.
	m := graphtest.Chain(t, rng, []int{1, 6, 8}, graphtest.Node{Name: "y", Op: &ops.Softmax{}, In: []string{"x"}})
	g := m.Graph
	if err := quant.CheckCausal(g, g.Inputs[0], 3, g.Outputs[0], 1); !errors.Is(err, quant.ErrShape) {
		t.Errorf("axis 3 of a rank-3 input: %v", err)
	}
	if err := quant.CheckCausal(g, g.Outputs[0], 1, g.Outputs[0], 1); !errors.Is(err, quant.ErrValidation) {
		t.Errorf("from a value that is not an input: %v", err)
	}
	if err := quant.CheckCausal(g, g.Inputs[0], 1, len(g.Values), 1); !errors.Is(err, quant.ErrValidation) {
		t.Errorf("to a value beyond the graph: %v", err)
	}
	if err := quant.CheckCausal(g, g.Inputs[0], 2, g.Outputs[0], 1); !errors.Is(err, quant.ErrNotCausal) {
		t.Errorf("the feature axis as the sequence: %v", err)
	}
}

// fillAbove is an index map of an n×n plane keeping (i, j ≤ i) and
// replacing the positions above the diagonal by constant c.
func fillAbove(n, c int) []int {
	idx := make([]int, n*n)
	for i := range n {
		for j := range n {
			idx[i*n+j] = i*n + j
			if j > i {
				idx[i*n+j] = -1 - c
			}
		}
	}
	return idx
}
