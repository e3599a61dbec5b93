package ops_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// The fused semantics: clamp(q + r) with q unclamped, which differs from
// the unfused clamp(clamp(q) + r) exactly where q leaves int8 and r pulls
// the sum back.
func TestLinearResidualForward(t *testing.T) {
	d := quant.Dense{In: 2, Out: 3, W: []int8{100, -100, 5, 100, -100, 5}, B: []int64{0, 0, 3}, Mult: []int64{1 << 14, 1 << 14, 1 << 14}, Shift: 15, Lo: -128, Hi: 127}
	q := &ops.QLinearResidual{Dense: d}
	x, r := []int64{127, 127}, []int64{-100, 100, -128}
	// acc = 25400, −25400, 1273 → q = 12700, −12700, 637 (mult/2^shift = 1/2)
	got := q.Apply(x, r)
	want := []int64{127, -128, 127}
	if !slices.Equal(got, want) {
		t.Fatalf("fused %v, want %v", got, want)
	}
	x = []int64{3, 0}
	// acc = 300 → q = 150: fused 150 − 100 = 50, unfused clamp(127 − 100) = 27.
	if y := q.Apply(x, []int64{-100, 0, 0}); y[0] != 50 {
		t.Fatalf("fused %d, want 50", y[0])
	}
	_, lin := d.Apply(x)
	if u := quant.ResidualAdd(lin[0], -100); u != 27 {
		t.Fatalf("unfused %d, want 27", u)
	}
	v := func(shape []int, frac int) quant.Value {
		return quant.Value{Shape: shape, Frac: frac, Lo: quant.Int8Min, Hi: quant.Int8Max}
	}
	in := []quant.Value{v([]int{4, 2}, 5), v([]int{4, 3}, 4)}
	out := []quant.Value{v([]int{4, 3}, 4)}
	if err := q.Check(in, out); err != nil {
		t.Fatal(err)
	}
	relu := &ops.QLinearResidual{Dense: d}
	relu.Lo = 0
	for name, c := range map[string]struct {
		op      *ops.QLinearResidual
		in, out []quant.Value
	}{
		"relu":          {relu, in, out},
		"residual frac": {q, []quant.Value{in[0], v([]int{4, 3}, 5)}, out},
		"shape":         {q, []quant.Value{in[0], v([]int{4, 2}, 4)}, out},
		"index":         {q, []quant.Value{in[0], {Shape: []int{4, 3}, DType: quant.DTypeIndex, Lo: 0, Hi: 9}}, out},
		"arity":         {q, in[:1], out},
	} {
		if err := c.op.Check(c.in, c.out); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuseResiduals on a legacy gpt2 graph fuses both c_proj per block with
// their residuals (same integers), names the fused nodes, drops the
// layers' values; the unfused graph is untouched.
func TestFuseResidualsGPT2(t *testing.T) {
	cfg := quant.Config{Architecture: quant.ArchitectureGPT2, DModel: 8, DHidden: 16, SeqLen: 3, NHead: 2, NLayer: 2,
		Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5, FinalLayerNorm: true}
	m := graphtest.Quantized(t, quant.RandomModel(cfg, 1), quant.RandomSamples(cfg, 4, 1))
	g, err := ops.FromLegacyGPT2(m)
	if err != nil {
		t.Fatal(err)
	}
	nodes, values := len(g.Nodes), len(g.Values)
	fg, _, err := ops.FuseResiduals(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Nodes) != nodes || len(g.Values) != values {
		t.Fatal("FuseResiduals changed its argument")
	}
	var fused []string
	for _, n := range fg.Nodes {
		if q, ok := n.Op.(*ops.QLinearResidual); ok {
			fused = append(fused, n.Name)
			if q.Lo != quant.Int8Min || q.Hi != quant.Int8Max {
				t.Errorf("%s clamps to [%d, %d]", n.Name, q.Lo, q.Hi)
			}
		}
	}
	want := []string{"h.0.attn.c_proj+h.0.attn.residual", "h.0.mlp.c_proj+h.0.mlp.residual", "h.1.attn.c_proj+h.1.attn.residual", "h.1.mlp.c_proj+h.1.mlp.residual"}
	if !slices.Equal(fused, want) || len(fg.Nodes) != nodes-4 || len(fg.Values) != values-4 {
		t.Fatalf("fused %v, %d nodes, %d values", fused, len(fg.Nodes), len(fg.Values))
	}
	for _, v := range fg.Values {
		if strings.HasSuffix(v.Name, "c_proj") {
			t.Errorf("value %s kept", v.Name)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5 {
		x := make([]int64, cfg.SeqLen*cfg.DModel)
		for i := range x {
			x[i] = rng.Int64N(256) - 128
		}
		if _, err := fg.Forward(x); err != nil {
			t.Fatal(err)
		}
	}
}

// The pass leaves a linear layer alone when its output is read twice, is a
// graph output, has a ReLU, or the add's other operand is at another
// fraction than its output.
func TestFuseResidualPassSkips(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	lin := func(relu bool) *ops.Linear {
		return ops.NewLinear(randTensor(rng, 0.1, 4, 4), randTensor(rng, 0.1, 4), relu)
	}
	b := quant.NewGraphBuilder()
	for _, err := range []error{
		b.Input("x", []int{2, 4}),
		b.Node("twice", lin(false), []string{"x"}, []string{"a"}),
		b.Node("add1", &ops.Binary{Op: "add"}, []string{"x", "a"}, []string{"b"}),
		b.Node("add2", &ops.Binary{Op: "add"}, []string{"b", "a"}, []string{"c"}),
		b.Node("relu", lin(true), []string{"c"}, []string{"d"}),
		b.Node("add3", &ops.Residual{}, []string{"c", "d"}, []string{"e"}),
		b.Node("out", lin(false), []string{"e"}, []string{"f"}),
		b.Node("add4", &ops.Residual{}, []string{"e", "f"}, []string{"y"}),
		b.Output("y"), b.Output("f"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	fracs := make([]int, len(g.Names))
	if fs := ops.FuseResidualPass(g, fracs); len(fs) != 0 {
		t.Fatalf("fused %+v", fs)
	}
	// A frac mismatch: add1's output at another fraction than x.
	b2 := quant.NewGraphBuilder()
	for _, err := range []error{
		b2.Input("x", []int{2, 4}),
		b2.Node("fc", lin(false), []string{"x"}, []string{"a"}),
		b2.Node("add", &ops.Binary{Op: "add"}, []string{"a", "x"}, []string{"y"}),
		b2.Output("y"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	g2, err := b2.Build()
	if err != nil {
		t.Fatal(err)
	}
	if fs := ops.FuseResidualPass(g2, []int{5, 7, 4}); len(fs) != 0 {
		t.Fatalf("fused at fractions 5 → 4: %+v", fs)
	}
	if fs := ops.FuseResidualPass(g2, []int{5, 7, 5}); len(fs) != 1 || fs[0].Name != "fc+add" || !slices.Equal(fs[0].In, []int{0, 0}) {
		t.Fatalf("not fused at one fraction: %+v", fs)
	}
}

// A fused layer takes the settings' precision as a linear one does: under
// requant_bits 15 its remainder has at most 15 bits, the same shift and
// multipliers as the unfused linear at that precision, and the zero
// precision quantizes as Quantize.
func TestLinearResidualPrecision(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	w := &quant.FloatTensor{Shape: []int{8, 4}, Data: make([]float64, 32)}
	for i := range w.Data {
		w.Data[i] = rng.Float64()*2 - 1
	}
	b := &quant.FloatTensor{Shape: []int{4}, Data: make([]float64, 4)}
	v := func(shape []int, frac int) quant.Value {
		return quant.Value{Shape: shape, Frac: frac, Lo: quant.Int8Min, Hi: quant.Int8Max, DType: quant.DTypeInt8}
	}
	in := []quant.Value{v([]int{2, 8}, 6), v([]int{2, 4}, 5)}
	fused := &ops.LinearResidual{Weight: &quant.Param{Name: "weight", T: w}, Bias: &quant.Param{Name: "bias", T: b}}
	lin := &ops.Linear{Weight: fused.Weight, Bias: fused.Bias}
	var notes []quant.RequantNote
	r := quant.NewRequantizer(quant.Precision{RequantBits: 15}, &notes).Node("fc+res")
	out := []quant.Value{v([]int{2, 4}, 5)}
	op, err := fused.QuantizePrecision(in, out, nil, r)
	if err != nil {
		t.Fatal(err)
	}
	q := op.(*ops.QLinearResidual)
	lout := []quant.Value{v([]int{2, 4}, 5)}
	lop, err := lin.QuantizePrecision(in[:1], lout, nil, quant.NewRequantizer(quant.Precision{RequantBits: 15}, nil))
	if err != nil {
		t.Fatal(err)
	}
	l := lop.(*ops.QLinear)
	if q.Shift > 15 || q.Shift != l.Shift || !slices.Equal(q.Mult, l.Mult) || len(notes) == 0 || notes[0].Node != "fc+res" {
		t.Fatalf("fused shift %d mult %v (linear %d %v), notes %+v", q.Shift, q.Mult, l.Shift, l.Mult, notes)
	}
	op0, err := fused.Quantize(in, []quant.Value{v([]int{2, 4}, 5)})
	if err != nil {
		t.Fatal(err)
	}
	if q0 := op0.(*ops.QLinearResidual); q0.Shift <= 15 {
		t.Fatalf("default precision shift %d: want the default's wider remainder", q0.Shift)
	}
}
