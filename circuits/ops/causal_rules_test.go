package ops_test

import (
	"math/rand/v2"
	"testing"

	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// noRule wraps a float op so that its integer op has no causality rule
// (quant.CausalOp): the conservative default, every position.
type noRule struct{ quant.FloatOp }

func (n noRule) Quantize(in, out []quant.Value) (quant.Op, error) {
	q, err := n.FloatOp.Quantize(in, out)
	return noRuleQ{q}, err
}

type noRuleQ struct{ quant.Op }

// The rules of the ops beyond the transformer's (where, compare, logic,
// min/max, prelu, residual, pad, conv over time, pools, argmax, topk):
// each accepted in a causal arrangement (and the integer model then
// checked: later inputs change no earlier output, probeCausal) and refused,
// naming the node, in a non-causal one. From x [1, 6, 8], positions on
// axis 1.
func TestCausalRulesMore(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	lin := func(in, out int) quant.FloatOp {
		return ops.NewLinear(graphtest.Tensor(rng, 0.5, in, out), graphtest.Tensor(rng, 0.1, out), false)
	}
	f := func(v float64) *float64 { return &v }
	step := func(name string, op quant.FloatOp, in ...string) graphtest.Step {
		return graphtest.Step{Name: name, Op: op, In: in, Out: []string{name}}
	}
	last := &ops.Slice{Starts: []int64{5}, Ends: []int64{6}, Axes: []int64{1}} // position 5 only: [1, 1, 8]
	toTime := &ops.Transpose{Perm: []int{0, 2, 1}}                             // [1, 6, 8] ↔ [1, 8, 6]
	conv := func(pads ...int) quant.FloatOp {                                  // 8 → 4 channels, kernel 3 over time
		return ops.NewConv(graphtest.Tensor(rng, 0.3, 4, 8, 3), graphtest.Tensor(rng, 0.1, 4), ops.Window{Kernel: []int{3}, Pads: pads}, 1, false)
	}
	for _, c := range []struct {
		name    string
		steps   []graphtest.Step
		causal  bool
		culprit string
	}{
		{"where, compare, logic", []graphtest.Step{
			step("l", lin(8, 8), "x"),
			step("c", &ops.Compare{Op: "greater", Const: f(0)}, "x"),
			step("d", &ops.Compare{Op: "less"}, "x", "l"),
			step("e", &ops.Logic{Op: "and"}, "c", "d"),
			step("n", &ops.Logic{Op: "not"}, "e"),
			step("y", &ops.Where{}, "n", "x", "l"),
		}, true, ""},
		{"where with a constant branch", []graphtest.Step{
			step("c", &ops.Compare{Op: "greater", Const: f(0)}, "x"),
			step("y", &ops.Where{Y: f(-0.5)}, "c", "x"),
		}, true, ""},
		{"where broadcasting a later position", []graphtest.Step{
			step("l", lin(8, 8), "x"),
			step("p", last, "x"),
			step("c", &ops.Compare{Op: "greater", Const: f(0)}, "p"),
			step("y", &ops.Where{}, "c", "x", "l"),
		}, false, "y"},
		{"compare with a later position", []graphtest.Step{
			step("p", last, "x"),
			step("y", &ops.Compare{Op: "less"}, "x", "p"),
		}, false, "y"},
		{"max, prelu, residual", []graphtest.Step{
			step("l", lin(8, 8), "x"),
			step("m", &ops.MinMax{Op: "max"}, "x", "l"),
			step("p", &ops.PRelu{SlopeShape: []int{8}, Slope: []float64{0.1, 0.2, 0.3, -0.4, 0.5, 0.6, 0.7, 0.8}}, "m"),
			step("y", &ops.Residual{}, "p", "p"),
		}, true, ""},
		{"max with a later position", []graphtest.Step{
			step("p", last, "x"),
			step("y", &ops.MinMax{Op: "min"}, "x", "p"),
		}, false, "y"},
		{"op without a rule", []graphtest.Step{ // position-wise, but no rule: refused (conservative)
			step("y", noRule{&ops.MinMax{Op: "max"}}, "x", "x"),
		}, false, "y"},
		{"argmax and topk over features", []graphtest.Step{
			step("a", &ops.ArgMax{Axis: 2, KeepDims: true}, "x"),
			{Name: "k", Op: &ops.TopK{K: 3, Axis: -1}, In: []string{"x"}, Out: []string{"k", "ki"}},
			step("s", &ops.Binary{Op: "add"}, "k", "ki"),
			step("y", &ops.Binary{Op: "add"}, "s", "a"),
		}, true, ""},
		{"argmax over positions", []graphtest.Step{
			step("a", &ops.ArgMax{Axis: 1, KeepDims: true}, "x"),
			step("y", &ops.Binary{Op: "add"}, "x", "a"),
		}, false, "a"},
		{"topk over positions", []graphtest.Step{
			step("xt", toTime, "x"),
			{Name: "k", Op: &ops.TopK{K: 6, Axis: 2}, In: []string{"xt"}, Out: []string{"k", "ki"}},
			step("y", toTime, "ki"),
		}, false, "k"},
		{"causal conv over time (left padding)", []graphtest.Step{
			step("xt", toTime, "x"),
			step("c", conv(2, 0), "xt"),
			step("y", toTime, "c"),
		}, true, ""},
		{"causal conv over time (pad, then conv)", []graphtest.Step{
			step("xt", toTime, "x"),
			step("p", &ops.Pad{Pads: []int{0, 0, 2, 0, 0, 0}}, "xt"),
			step("c", conv(), "p"),
			step("y", toTime, "c"),
		}, true, ""},
		{"causal conv over time (both sides padded, the later outputs sliced away)", []graphtest.Step{
			step("xt", toTime, "x"),
			step("c", conv(2, 2), "xt"),
			step("s", &ops.Slice{Starts: []int64{0}, Ends: []int64{6}, Axes: []int64{2}}, "c"),
			step("y", toTime, "s"),
		}, true, ""},
		{"centred conv over time", []graphtest.Step{
			step("xt", toTime, "x"),
			step("c", conv(1, 1), "xt"),
			step("y", toTime, "c"),
		}, false, "c"},
		{"conv over features (channels are positions)", []graphtest.Step{
			step("c", ops.NewConv(graphtest.Tensor(rng, 0.3, 6, 6, 1), graphtest.Tensor(rng, 0.1, 6), ops.Window{Kernel: []int{1}}, 1, false), "x"),
		}, false, "c"},
		{"grouped conv over features, one group per position", []graphtest.Step{
			step("c", ops.NewConv(graphtest.Tensor(rng, 0.3, 6, 1, 3), graphtest.Tensor(rng, 0.1, 6), ops.Window{Kernel: []int{3}, Pads: []int{1, 1}}, 6, false), "x"),
		}, true, ""},
		{"causal pools over time", []graphtest.Step{
			step("xt", toTime, "x"),
			step("m", &ops.Pool{Window: ops.Window{Kernel: []int{2}, Pads: []int{1, 0}}, Max: true}, "xt"),
			step("a", &ops.Pool{Window: ops.Window{Kernel: []int{3}, Pads: []int{2, 0}}}, "m"),
			step("y", toTime, "a"),
		}, true, ""},
		{"pool reaching a later position", []graphtest.Step{
			step("xt", toTime, "x"),
			step("m", &ops.Pool{Window: ops.Window{Kernel: []int{2}, Pads: []int{0, 1}}, Max: true}, "xt"),
			step("y", toTime, "m"),
		}, false, "m"},
	} {
		m := graphtest.Graph(t, rng, []int{1, 6, 8}, c.steps...)
		checkCausal(t, c.name, m, 1, 1, c.causal, c.culprit)
		if c.causal {
			probeCausal(t, c.name, m, rng)
		}
	}
}

// The rules of the index ops: one_hot and index_equal read their id,
// gather_elements its index and the candidates along its axis.
func TestCausalRulesIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	const seq, v = 6, 6
	table := func(d int) quant.FloatOp { return ops.NewGather(graphtest.Tensor(rng, 1, v, d)) }
	for _, c := range []struct {
		name    string
		nodes   []graphtest.Node
		causal  bool
		culprit string
	}{
		{"one_hot, index_equal", []graphtest.Node{
			{Name: "o", Op: &ops.OneHot{Depth: v, Off: 0, On: 1}, In: []string{"ids"}},
			{Name: "q", Op: &ops.IndexEqual{Const: 3}, In: []string{"ids"}},
			{Name: "qr", Op: &ops.Reshape{Shape: []int{1, seq, 1}}, In: []string{"q"}},
			{Name: "y", Op: &ops.Binary{Op: "add"}, In: []string{"o", "qr"}},
		}, true, ""},
		{"gather_elements along the features", []graphtest.Node{
			{Name: "d", Op: table(8), In: []string{"ids"}},
			{Name: "i", Op: &ops.ArgMaxIndex{Axis: 2, KeepDims: true}, In: []string{"d"}},
			{Name: "y", Op: &ops.GatherElements{Axis: 2}, In: []string{"d", "i"}},
		}, true, ""},
		{"gather_elements along the positions", []graphtest.Node{
			{Name: "d", Op: table(8), In: []string{"ids"}},
			{Name: "e", Op: table(seq), In: []string{"ids"}},
			{Name: "i", Op: &ops.ArgMaxIndex{Axis: 2, KeepDims: true}, In: []string{"e"}},
			{Name: "y", Op: &ops.GatherElements{Axis: 1}, In: []string{"d", "i"}},
		}, false, "y"},
	} {
		m := graphtest.TokenLM(t, rng, seq, v, c.nodes...)
		checkCausal(t, c.name, m, 1, 1, c.causal, c.culprit)
		if c.causal {
			probeCausal(t, c.name, m, rng)
		}
	}
}

// probeCausal checks an accepted model against its integer semantics: on
// random inputs, changing the positions after t (axis 1 of the input)
// changes no output element at positions ≤ t (axis 1 of the output).
func probeCausal(t *testing.T, name string, m *quant.Model, rng *rand.Rand) {
	t.Helper()
	g := m.Graph
	in, out := g.Values[g.Inputs[0]], g.Values[g.Outputs[0]]
	inInner, outInner := quant.ShapeSize(in.Shape[2:]), quant.ShapeSize(out.Shape[2:])
	seq := in.Shape[1]
	run := func(x []int64) []int64 {
		var arg [][]int64
		if quant.SingleInt8(m.InputParts()) {
			rows, w := quant.Rows(in.Shape)
			for r := range rows {
				arg = append(arg, x[r*w:(r+1)*w])
			}
		} else {
			arg = [][]int64{x}
		}
		tr, err := m.Forward(arg)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return tr.Values[g.Outputs[0]]
	}
	rnd := func(x []int64, from int) {
		for i := from * inInner; i < len(x); i++ {
			x[i] = in.Lo + rng.Int64N(in.Hi-in.Lo+1)
		}
	}
	for range 3 {
		x := make([]int64, in.Size())
		rnd(x, 0)
		y := run(x)
		for p := range seq - 1 {
			x2 := append([]int64(nil), x...)
			rnd(x2, p+1)
			y2 := run(x2)
			for i := range y {
				if (i/outInner)%out.Shape[1] <= p && y[i] != y2[i] {
					t.Fatalf("%s: output element %d (position %d) changed with the inputs after position %d", name, i, (i/outInner)%out.Shape[1], p)
				}
			}
		}
	}
}
