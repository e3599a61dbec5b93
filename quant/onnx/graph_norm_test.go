package onnx

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx/onnxpb"
)

func floatAttr(name string, v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(v)}
}

func importGG(t *testing.T, b *gg, out string, axes ...any) *quant.FloatModel {
	t.Helper()
	fm, _, err := importGraph(b.model(out, axes...), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return fm
}

// evalONNX runs the ONNX evaluator on the model (the reference for the ops it knows).
func evalONNX(t *testing.T, mp *onnxpb.ModelProto, x []float64, dims []int) []float64 {
	t.Helper()
	g := mp.GetGraph()
	live, used := liveNodes(g)
	env, _, err := evalGraph(new(budget), g, live, used, "x", &tensor{dims: dims, data: x})
	if err != nil {
		t.Fatal(err)
	}
	return env[g.GetOutput()[0].GetName()].data
}

func evalFM(t *testing.T, fm *quant.FloatModel, x []float64) []float64 {
	t.Helper()
	v, err := fm.Graph.Eval(x)
	if err != nil {
		t.Fatal(err)
	}
	return v[fm.Graph.Outputs[0]]
}

func close(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for k := range want {
		if math.Abs(got[k]-want[k]) > 1e-5*math.Max(1, math.Abs(want[k])) {
			t.Fatalf("%s: value %d = %v, want %v", what, k, got[k], want[k])
		}
	}
}

func randInput(rng *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.Float64()*4 - 2
	}
	return x
}

// torch's opset-13 LayerNorm decomposition (with and without γ, β) fuses
// into one layernorm, and so does LayerNormalization; both compute what the
// ONNX evaluator computes.
func TestGraphLayerNormForms(t *testing.T) {
	rng := rand.New(rand.NewPCG(46, 1))
	x := randInput(rng, 2*3*8)
	for _, form := range []string{"decomposed", "decomposed plain", "fused"} {
		gb := &graphBuilder{}
		ln := quant.FloatLayerNorm{Gamma: randInput(rng, 8), Beta: randInput(rng, 8)}
		var out string
		switch form {
		case "fused":
			out = gb.layerNorm("x", ln, 1e-5, true)
		case "decomposed":
			out = gb.layerNorm("x", ln, 1e-5, false)
		default:
			mean := gb.op("ReduceMean", []string{"x"}, intsAttr("axes", -1))
			xc := gb.op("Sub", []string{"x", mean})
			v := gb.op("ReduceMean", []string{gb.op("Pow", []string{xc, gb.c([]float64{2})})}, intsAttr("axes", -1))
			out = gb.op("Div", []string{xc, gb.op("Sqrt", []string{gb.op("Add", []string{v, gb.c([]float64{1e-5})})})})
		}
		b := &gg{nodes: gb.nodes, inits: gb.inits}
		mp := b.model(out, 2, 3, 8)
		fm, _, err := importGraph(mp, Options{})
		if err != nil {
			t.Fatalf("%s: %v", form, err)
		}
		if k := kinds(fm); k != "layernorm" {
			t.Fatalf("%s: nodes %q", form, k)
		}
		close(t, form, evalFM(t, fm, x), evalONNX(t, mp, x, []int{2, 3, 8}))
	}
	// A decomposition whose centered value is read elsewhere stays unfused.
	gb := &graphBuilder{}
	mean := gb.op("ReduceMean", []string{"x"}, intsAttr("axes", -1))
	xc := gb.op("Sub", []string{"x", mean})
	v := gb.op("ReduceMean", []string{gb.op("Pow", []string{xc, gb.c([]float64{2})})}, intsAttr("axes", -1))
	y := gb.op("Div", []string{xc, gb.op("Sqrt", []string{gb.op("Add", []string{v, gb.c([]float64{1e-5})})})})
	out := gb.op("Add", []string{y, xc})
	fm, _, err := importGraph((&gg{nodes: gb.nodes, inits: gb.inits}).model(out, 2, 8), Options{})
	if err == nil {
		if k := kinds(fm); k == "layernorm binary" {
			t.Fatalf("fused a decomposition whose intermediate is read elsewhere: %q", k)
		}
	}
}

// LayerNormalization over two trailing axes and Softmax over a middle axis
// are reshaped and transposed around the last-axis ops.
func TestGraphNormAxes(t *testing.T) {
	rng := rand.New(rand.NewPCG(46, 2))
	x := randInput(rng, 2*3*4)
	b := newGG()
	ln := b.node("LayerNormalization", []string{"x", b.floats([]int64{3, 4}), b.floats([]int64{3, 4})}, intAttr("axis", 1), floatAttr("epsilon", 1e-5))
	fm := importGG(t, b, ln, 2, 3, 4)
	if k := kinds(fm); k != "reshape layernorm reshape" {
		t.Fatalf("nodes %q", k)
	}
	got := evalFM(t, fm, x)
	// naive: normalize each of the 2 blocks of 12 values.
	g, be := decodeFloats(b.inits[0]), decodeFloats(b.inits[1])
	want := make([]float64, 24)
	for r := range 2 {
		m, v := 0.0, 0.0
		for i := range 12 {
			m += x[r*12+i] / 12
		}
		for i := range 12 {
			v += (x[r*12+i] - m) * (x[r*12+i] - m) / 12
		}
		for i := range 12 {
			want[r*12+i] = (x[r*12+i]-m)/math.Sqrt(v+1e-5)*g[i] + be[i]
		}
	}
	close(t, "layernorm axis 1", got, want)

	b = newGG()
	sm := b.node("Softmax", []string{"x"}, intAttr("axis", 1))
	fm = importGG(t, b, sm, 2, 3, 4)
	if k := kinds(fm); k != "transpose softmax transpose" {
		t.Fatalf("nodes %q", k)
	}
	got = evalFM(t, fm, x)
	for i := range 2 {
		for k := range 4 {
			s := 0.0
			for j := range 3 {
				s += math.Exp(x[i*12+j*4+k])
			}
			for j := range 3 {
				if w := math.Exp(x[i*12+j*4+k]) / s; math.Abs(got[i*12+j*4+k]-w) > 1e-9 {
					t.Fatalf("softmax axis 1 at %d,%d,%d: %v, want %v", i, j, k, got[i*12+j*4+k], w)
				}
			}
		}
	}
}

func decodeFloats(t *onnxpb.TensorProto) []float64 {
	out := make([]float64, len(t.GetFloatData()))
	for i, v := range t.GetFloatData() {
		out[i] = float64(v)
	}
	return out
}

// Comparisons, Where, Max and Min map to compare, where and minmax (a
// constant on the left flips the comparison; a scalar constant of Max/Min
// is a clip table) and compute what naive code computes.
func TestGraphCompareWhereMinMax(t *testing.T) {
	rng := rand.New(rand.NewPCG(46, 3))
	b := newGG()
	r := b.node("Relu", []string{"x"})
	c := b.node("Less", []string{"x", b.floats([]int64{}, 0.25)})    // x < 0.25
	c2 := b.node("Greater", []string{b.floats([]int64{1}, -0.5), r}) // −0.5 > relu(x): never
	w := b.node("Where", []string{c, "x", r})                        // x < 0.25 ? x : relu(x)
	mx := b.node("Max", []string{w, b.floats([]int64{}, -1)})        // max(w, −1)
	mn := b.node("Min", []string{mx, r, "x"})                        // min(mx, relu(x), x)
	eq := b.node("Equal", []string{mn, "x"})
	ge := b.node("GreaterOrEqual", []string{mn, w})
	w2 := b.node("Where", []string{eq, mn, w})
	w3 := b.node("Where", []string{ge, w2, mx})
	w4 := b.node("Where", []string{c2, "x", w3})
	out := b.node("Where", []string{c, b.floats([]int64{1}, -3), w4}) // masked_fill(x < 0.25, −3)
	fm := importGG(t, b, out, 3, 5)
	want := "relu compare compare where unary:clip minmax minmax compare compare where where where where"
	if k := kinds(fm); k != want {
		t.Fatalf("nodes %q, want %q", k, want)
	}
	x := randInput(rng, 15)
	got := evalFM(t, fm, x)
	for i, v := range x {
		rv := math.Max(v, 0)
		wv := rv
		if v < 0.25 {
			wv = v
		}
		mxv := math.Max(wv, -1)
		mnv := math.Min(math.Min(mxv, rv), v)
		w2v := wv
		if mnv == v {
			w2v = mnv
		}
		w3v := mxv
		if mnv >= wv {
			w3v = w2v
		}
		if v < 0.25 {
			w3v = -3
		}
		if got[i] != w3v {
			t.Fatalf("value %d (x = %v): %v, want %v", i, v, got[i], w3v)
		}
	}
	// It quantizes.
	s, err := quant.Calibrate(fm, [][]float64{x, randInput(rng, 15)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := quant.Quantize(fm, s); err != nil {
		t.Fatal(err)
	}
}

// Forms the mappers do not support are refused with a validation error.
func TestGraphNormRefuses(t *testing.T) {
	for name, build := range map[string]func(b *gg) string{
		"where constant operand": func(b *gg) string {
			return b.node("Where", []string{b.node("Less", []string{"x", b.floats([]int64{}, 0)}), "x", b.floats([]int64{4})})
		},
		"where two constants": func(b *gg) string {
			return b.node("Where", []string{b.node("Less", []string{"x", b.floats([]int64{}, 0)}), b.floats([]int64{}, 1), b.floats([]int64{}, 3)})
		},
		"compare tensor constant": func(b *gg) string { return b.node("Less", []string{"x", b.floats([]int64{4})}) },
		"max tensor constant":     func(b *gg) string { return b.node("Max", []string{"x", b.floats([]int64{4})}) },
		"softmax without axis": func(b *gg) string {
			return b.node("Softmax", []string{b.node("Reshape", []string{"x", b.ints(1, 2, 2)})})
		},
		"layernorm scale shape": func(b *gg) string {
			return b.node("LayerNormalization", []string{"x", b.floats([]int64{3}), b.floats([]int64{4})})
		},
		"reduce axis": func(b *gg) string { return b.node("ReduceMax", []string{"x"}, intsAttr("axes", 3)) },
		"layernorm epsilon": func(b *gg) string {
			return b.node("LayerNormalization", []string{"x", b.floats([]int64{4}), b.floats([]int64{4})}, floatAttr("epsilon", float32(math.NaN())))
		},
	} {
		b := newGG()
		out := build(b)
		_, _, err := importGraph(b.model(out, 4), Options{})
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if !errors.Is(err, quant.ErrValidation) && !errors.Is(err, quant.ErrShape) && !errors.Is(err, quant.ErrRange) {
			t.Errorf("%s: an unclassified error: %v", name, err)
		}
		t.Logf("%s: %v", name, err)
	}
}
