package ops_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// convCase is a conv configuration over 2-d inputs (a 1-d conv is H = 1,
// kh = 1 with the 1-d attributes).
type convCase struct {
	name                string
	n, c, h, w, cout, g int
	kh, kw, sh, sw      int
	dh, dw              int
	pads                [4]int // top, left, bottom, right
	oneD, transposed    bool
	opad                [2]int
}

var convCases = []convCase{
	{name: "plain", n: 1, c: 2, h: 6, w: 7, cout: 3, g: 1, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1},
	{name: "stride-pad", n: 2, c: 3, h: 7, w: 6, cout: 4, g: 1, kh: 3, kw: 2, sh: 2, sw: 1, dh: 1, dw: 1, pads: [4]int{1, 0, 2, 1}},
	{name: "dilated", n: 1, c: 2, h: 8, w: 8, cout: 2, g: 1, kh: 2, kw: 3, sh: 1, sw: 2, dh: 2, dw: 3, pads: [4]int{1, 2, 0, 1}},
	{name: "groups", n: 1, c: 4, h: 5, w: 5, cout: 6, g: 2, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pads: [4]int{1, 1, 1, 1}},
	{name: "depthwise", n: 2, c: 3, h: 5, w: 4, cout: 3, g: 3, kh: 2, kw: 2, sh: 1, sw: 1, dh: 1, dw: 1, pads: [4]int{0, 1, 1, 0}},
	{name: "1d", n: 2, c: 3, h: 1, w: 9, cout: 2, g: 1, kh: 1, kw: 3, sh: 1, sw: 2, dh: 1, dw: 2, pads: [4]int{0, 1, 0, 2}, oneD: true},
	{name: "transposed", n: 1, c: 2, h: 3, w: 4, cout: 3, g: 1, kh: 3, kw: 2, sh: 2, sw: 1, dh: 1, dw: 1, pads: [4]int{1, 0, 0, 1}, transposed: true, opad: [2]int{1, 0}},
	{name: "transposed-groups", n: 2, c: 4, h: 3, w: 3, cout: 2, g: 2, kh: 2, kw: 3, sh: 2, sw: 2, dh: 1, dw: 2, pads: [4]int{0, 1, 1, 0}, transposed: true},
	{name: "transposed-1d", n: 1, c: 2, h: 1, w: 5, cout: 2, g: 1, kh: 1, kw: 3, sh: 1, sw: 3, dh: 1, dw: 1, pads: [4]int{0, 1, 0, 1}, oneD: true, transposed: true, opad: [2]int{0, 2}},
}

func (tc convCase) weightShape() []int {
	if tc.transposed {
		return []int{tc.c, tc.cout / tc.g, tc.kh, tc.kw}
	}
	return []int{tc.cout, tc.c / tc.g, tc.kh, tc.kw}
}

func (tc convCase) op(w, b *quant.FloatTensor, relu bool) *ops.Conv {
	win := ops.Window{Strides: []int{tc.sh, tc.sw}, Dilations: []int{tc.dh, tc.dw}, Pads: tc.pads[:]}
	if tc.transposed {
		win.OutputPadding = tc.opad[:]
	}
	if tc.oneD {
		w = &quant.FloatTensor{Shape: []int{w.Shape[0], w.Shape[1], tc.kw}, Data: w.Data}
		win = ops.Window{Strides: []int{tc.sw}, Dilations: []int{tc.dw}, Pads: []int{tc.pads[1], tc.pads[3]}}
		if tc.transposed {
			win.OutputPadding = []int{tc.opad[1]}
		}
	}
	c := ops.NewConv(w, b, win, tc.g, relu)
	c.Transposed = tc.transposed
	return c
}

func (tc convCase) inShape() []int {
	if tc.oneD {
		return []int{tc.n, tc.c, tc.w}
	}
	return []int{tc.n, tc.c, tc.h, tc.w}
}

// naiveConv is the textbook definition on [N, C, H, W] (gather form for
// conv, scatter form for conv_transpose).
func naiveConv(tc convCase, x, w, b []float64) (oh, ow int, y []float64) {
	cg, og := tc.c/tc.g, tc.cout/tc.g
	if tc.transposed {
		oh = (tc.h-1)*tc.sh - tc.pads[0] - tc.pads[2] + (tc.kh-1)*tc.dh + 1 + tc.opad[0]
		ow = (tc.w-1)*tc.sw - tc.pads[1] - tc.pads[3] + (tc.kw-1)*tc.dw + 1 + tc.opad[1]
		y = make([]float64, tc.n*tc.cout*oh*ow)
		for n := 0; n < tc.n; n++ {
			for j := 0; j < tc.cout; j++ {
				for p := 0; p < oh*ow; p++ {
					y[(n*tc.cout+j)*oh*ow+p] = b[j]
				}
			}
			for ci := 0; ci < tc.c; ci++ {
				grp := ci / cg
				for ih := 0; ih < tc.h; ih++ {
					for iw := 0; iw < tc.w; iw++ {
						for jl := 0; jl < og; jl++ {
							j := grp*og + jl
							for kh := 0; kh < tc.kh; kh++ {
								for kw := 0; kw < tc.kw; kw++ {
									h := ih*tc.sh - tc.pads[0] + kh*tc.dh
									v := iw*tc.sw - tc.pads[1] + kw*tc.dw
									if h < 0 || h >= oh || v < 0 || v >= ow {
										continue
									}
									y[((n*tc.cout+j)*oh+h)*ow+v] += x[((n*tc.c+ci)*tc.h+ih)*tc.w+iw] * w[((ci*og+jl)*tc.kh+kh)*tc.kw+kw]
								}
							}
						}
					}
				}
			}
		}
		return oh, ow, y
	}
	oh = (tc.h+tc.pads[0]+tc.pads[2]-(tc.kh-1)*tc.dh-1)/tc.sh + 1
	ow = (tc.w+tc.pads[1]+tc.pads[3]-(tc.kw-1)*tc.dw-1)/tc.sw + 1
	y = make([]float64, tc.n*tc.cout*oh*ow)
	for n := 0; n < tc.n; n++ {
		for j := 0; j < tc.cout; j++ {
			grp := j / og
			for h := 0; h < oh; h++ {
				for v := 0; v < ow; v++ {
					s := b[j]
					for ci := 0; ci < cg; ci++ {
						for kh := 0; kh < tc.kh; kh++ {
							for kw := 0; kw < tc.kw; kw++ {
								ih, iw := h*tc.sh-tc.pads[0]+kh*tc.dh, v*tc.sw-tc.pads[1]+kw*tc.dw
								if ih < 0 || ih >= tc.h || iw < 0 || iw >= tc.w {
									continue
								}
								s += x[((n*tc.c+grp*cg+ci)*tc.h+ih)*tc.w+iw] * w[((j*cg+ci)*tc.kh+kh)*tc.kw+kw]
							}
						}
					}
					y[((n*tc.cout+j)*oh+h)*ow+v] = s
				}
			}
		}
	}
	return oh, ow, y
}

func TestConvMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range convCases {
		w := randTensor(rng, 1, tc.weightShape()...)
		b := randTensor(rng, 0.5, tc.cout)
		x := randTensor(rng, 1, tc.inShape()...)
		op := tc.op(w, b, false)
		shapes, err := op.OutShapes([][]int{x.Shape})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got, err := op.Eval([]*quant.FloatTensor{x})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		oh, ow, want := naiveConv(tc, x.Data, w.Data, b.Data)
		wantShape := []int{tc.n, tc.cout, oh, ow}
		if tc.oneD {
			wantShape = []int{tc.n, tc.cout, ow}
		}
		if !slices.Equal(shapes[0], wantShape) || !slices.Equal(got[0].Shape, wantShape) {
			t.Fatalf("%s: shape %v / %v, want %v", tc.name, shapes[0], got[0].Shape, wantShape)
		}
		for i := range want {
			if math.Abs(got[0].Data[i]-want[i]) > 1e-9 {
				t.Fatalf("%s: output %d = %v, want %v", tc.name, i, got[0].Data[i], want[i])
			}
		}
		// The integer conv is the same sum over int8 values, requantized:
		// compare it with the naive sum of the quantized weights.
		in := quant.Value{Shape: x.Shape, Frac: 6, Lo: -128, Hi: 127}
		out := []quant.Value{{Shape: wantShape, Frac: 3}}
		q, err := op.Quantize([]quant.Value{in}, out)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if err := q.Check([]quant.Value{in}, out); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		qc := q.(*ops.QConv)
		xi := make([]int64, len(x.Data))
		for i := range xi {
			xi[i] = rng.Int64N(256) - 128
		}
		res, err := q.Forward([]*quant.Tensor{{Shape: x.Shape, Data: xi}}, out)
		if err != nil {
			t.Fatal(err)
		}
		// Undo the Dense layout to ONNX's, then sum naively.
		wq := make([]float64, len(w.Data))
		dw := denseToONNX(tc, qc)
		copy(wq, dw)
		xf := make([]float64, len(xi))
		for i, v := range xi {
			xf[i] = float64(v)
		}
		_, _, accs := naiveConv(tc, xf, wq, make([]float64, tc.cout))
		plane := len(accs) / tc.n / tc.cout
		for i, a := range accs {
			j := (i / plane) % tc.cout
			want := quant.Requantize(int64(a)+qc.Dense.B[j], qc.Dense.Mult[j], qc.Dense.Shift, qc.Dense.Lo, qc.Dense.Hi)
			if res[0].Data[i] != want {
				t.Fatalf("%s: integer output %d = %d, want %d", tc.name, i, res[0].Data[i], want)
			}
		}
	}
}

// denseToONNX returns the int8 weights of q in ONNX's layout (as floats).
func denseToONNX(tc convCase, q *ops.QConv) []float64 {
	d := &q.Dense
	k := tc.kh * tc.kw
	cg, og := tc.c/tc.g, tc.cout/tc.g
	out := make([]float64, len(d.W))
	for j := 0; j < tc.cout; j++ {
		for ci := 0; ci < cg; ci++ {
			for t := 0; t < k; t++ {
				v := float64(d.W[(ci*k+t)*d.Out+j])
				if tc.transposed {
					grp := j / og
					out[((grp*cg+ci)*og+j%og)*k+t] = v
				} else {
					out[(j*cg+ci)*k+t] = v
				}
			}
		}
	}
	return out
}

func TestConvAutoPad(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	w := randTensor(rng, 1, 2, 1, 3, 2)
	for _, tc := range []struct {
		mode   string
		stride int
		want   []int // pads top, left, bottom, right
	}{
		{"SAME_UPPER", 1, []int{1, 0, 1, 1}},
		{"SAME_LOWER", 1, []int{1, 1, 1, 0}},
		{"SAME_UPPER", 2, []int{1, 0, 1, 0}},
		{"VALID", 1, []int{0, 0, 0, 0}},
	} {
		c := ops.NewConv(w, nil, ops.Window{AutoPad: tc.mode, Strides: []int{tc.stride, tc.stride}}, 1, false)
		x := []int{1, 1, 5, 6}
		in := quant.Value{Shape: x, Frac: 4}
		s, err := c.OutShapes([][]int{x})
		if err != nil {
			t.Fatal(err)
		}
		q, err := c.Quantize([]quant.Value{in}, []quant.Value{{Shape: s[0], Frac: 4}})
		if err != nil {
			t.Fatal(err)
		}
		if got := q.(*ops.QConv).Pads; !slices.Equal(got, tc.want) {
			t.Errorf("%s stride %d: pads %v, want %v", tc.mode, tc.stride, got, tc.want)
		}
		if tc.mode != "VALID" && (s[0][2] != (5+tc.stride-1)/tc.stride || s[0][3] != (6+tc.stride-1)/tc.stride) {
			t.Errorf("%s stride %d: output %v", tc.mode, tc.stride, s[0])
		}
	}
}

func TestFoldBatchNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, tc := range convCases {
		w := randTensor(rng, 1, tc.weightShape()...)
		b := randTensor(rng, 0.5, tc.cout)
		x := randTensor(rng, 1, tc.inShape()...)
		bn := &ops.BatchNorm{Scale: randTensor(rng, 2, tc.cout).Data, Bias: randTensor(rng, 1, tc.cout).Data, Mean: randTensor(rng, 1, tc.cout).Data, Var: randTensor(rng, 1, tc.cout).Data, Eps: 1e-5}
		for j := range bn.Var {
			bn.Var[j] = math.Abs(bn.Var[j]) + 0.1
		}
		conv := tc.op(w, b, false)
		y, err := conv.Eval([]*quant.FloatTensor{x})
		if err != nil {
			t.Fatal(err)
		}
		want, err := bn.Eval(y[0])
		if err != nil {
			t.Fatal(err)
		}
		folded := tc.op(w, b, false)
		if err := ops.FoldBatchNorm(folded, bn); err != nil {
			t.Fatal(err)
		}
		got, err := folded.Eval([]*quant.FloatTensor{x})
		if err != nil {
			t.Fatal(err)
		}
		for i := range want.Data {
			if math.Abs(got[0].Data[i]-want.Data[i]) > 1e-9 {
				t.Fatalf("%s: folded %v, conv then bn %v", tc.name, got[0].Data[i], want.Data[i])
			}
		}
		if w.Data[0] != conv.Weight.T.Data[0] {
			t.Fatal("FoldBatchNorm modified the original weights")
		}
	}
	// Linear: BatchNorm1d over the features.
	w, b := randTensor(rng, 1, 5, 3), randTensor(rng, 1, 3)
	bn := &ops.BatchNorm{Scale: []float64{1, 2, -1}, Bias: []float64{0.5, 0, 1}, Mean: []float64{0.1, -0.2, 0.3}, Var: []float64{1, 0.5, 2}, Eps: 1e-5}
	x := randTensor(rng, 1, 2, 5)
	l := ops.NewLinear(w, b, false)
	y, _ := l.Eval([]*quant.FloatTensor{x})
	want, _ := bn.Eval(y[0])
	l2 := ops.NewLinear(w, b, false)
	if err := ops.FoldBatchNormLinear(l2, bn); err != nil {
		t.Fatal(err)
	}
	got, _ := l2.Eval([]*quant.FloatTensor{x})
	for i := range want.Data {
		if math.Abs(got[0].Data[i]-want.Data[i]) > 1e-9 {
			t.Fatalf("linear: folded %v, want %v", got[0].Data[i], want.Data[i])
		}
	}
	if err := ops.FoldBatchNorm(ops.NewConv(randTensor(rng, 1, 2, 1, 1, 1), nil, ops.Window{}, 1, true), &ops.BatchNorm{}); err == nil {
		t.Error("batch norm folded through a ReLU")
	}
	if err := ops.FoldBatchNormLinear(l2, &ops.BatchNorm{Scale: []float64{1}, Bias: []float64{1}, Mean: []float64{1}, Var: []float64{1}}); err == nil {
		t.Error("batch norm of the wrong width folded")
	}
	bad := *bn
	bad.Var = []float64{-1, 1, 1}
	if err := ops.FoldBatchNormLinear(ops.NewLinear(w, b, false), &bad); err == nil {
		t.Error("negative variance folded")
	}
}

// LeNetGraph is conv→relu→maxpool→conv→avgpool→flatten→linear at
// 1×1×12×12, with weights from seed.
func LeNetGraph(t testing.TB, seed uint64) *quant.FloatModel {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	b := quant.NewGraphBuilder()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(b.Input("x", []int{1, 1, 12, 12}))
	must(b.Node("conv1", ops.NewConv(randTensor(rng, 0.6, 4, 1, 3, 3), randTensor(rng, 0.1, 4), ops.Window{Pads: []int{1, 1, 1, 1}}, 1, false), []string{"x"}, []string{"c1"}))
	must(b.Node("relu1", &ops.ReLU{}, []string{"c1"}, []string{"r1"}))
	must(b.Node("pool1", ops.NewMaxPool(ops.Window{Kernel: []int{2, 2}, Strides: []int{2, 2}}, false), []string{"r1"}, []string{"p1"}))
	must(b.Node("conv2", ops.NewConv(randTensor(rng, 0.4, 6, 4, 3, 3), randTensor(rng, 0.1, 6), ops.Window{}, 1, true), []string{"p1"}, []string{"c2"}))
	must(b.Node("pool2", ops.NewAvgPool(ops.Window{Kernel: []int{2, 2}, Strides: []int{2, 2}}, false, false), []string{"c2"}, []string{"p2"}))
	must(b.Node("flat", &ops.Reshape{Shape: []int{1, 24}}, []string{"p2"}, []string{"f"}))
	must(b.Node("fc", ops.NewLinear(randTensor(rng, 0.3, 24, 10), randTensor(rng, 0.1, 10), false), []string{"f"}, []string{"y"}))
	must(b.Output("y"))
	g, err := b.Build()
	must(err)
	fm, err := quant.NewGraphModel(g)
	must(err)
	return fm
}

func TestLeNetQuantizesClose(t *testing.T) {
	fm := LeNetGraph(t, 1)
	rng := rand.New(rand.NewPCG(5, 5))
	m := quantizedClose(t, fm, rng, 144, 0.1)
	t.Logf("cost estimate %+v", m.Graph.Cost())
	// The file form keeps the integers and the commitment.
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := quant.ParseModelJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	c1, _ := quant.CommitString(m)
	c2, err := quant.CommitString(m2)
	if err != nil || c1 != c2 {
		t.Fatalf("commitment changed over the file form: %v %s %s", err, c1, c2)
	}
	x := make([]int64, 144)
	for i := range x {
		x[i] = rng.Int64N(256) - 128
	}
	a, _ := m.Graph.Forward(x)
	b, err := m2.Graph.Forward(x)
	if err != nil || !slices.Equal(a[m.Graph.Outputs[0]], b[m.Graph.Outputs[0]]) {
		t.Fatalf("integers changed over the file form: %v", err)
	}
	// The float model survives its files.
	st, err := quant.EncodeSafetensors(fm)
	if err != nil {
		t.Fatal(err)
	}
	cfgJSON, _ := json.Marshal(fm.Config)
	cfg, err := quant.ParseConfig(cfgJSON)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := quant.ParseModel(st, cfg); err != nil {
		t.Fatal(err)
	}
	// A changed conv weight moves the commitment.
	m2.Graph.Nodes[0].Op.(*ops.QConv).Dense.W[0] ^= 1
	if c3, _ := quant.CommitString(m2); c3 == c1 {
		t.Fatal("a changed conv weight kept the commitment")
	}
}

// Model files are untrusted: hostile window attributes are refused with an
// error, never a panic or a huge allocation.
func TestCNNValidateRefuses(t *testing.T) {
	fm := LeNetGraph(t, 2)
	s, err := quant.Calibrate(fm, samples(rand.New(rand.NewPCG(6, 6)), 4, 144))
	if err != nil {
		t.Fatal(err)
	}
	m, err := quant.Quantize(fm, s)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := json.Marshal(m)
	attrs := func(g map[string]any, i int) map[string]any { return node(g, i)["attrs"].(map[string]any) }
	for name, mutate := range map[string]func(g map[string]any){
		"conv kernel":     func(g map[string]any) { attrs(g, 0)["kernel"] = []any{3, 4} },
		"conv huge k":     func(g map[string]any) { attrs(g, 0)["kernel"] = []any{1 << 40, 3} },
		"conv stride 0":   func(g map[string]any) { attrs(g, 0)["strides"] = []any{0, 1} },
		"conv neg pad":    func(g map[string]any) { attrs(g, 0)["pads"] = []any{-1, 1, 1, 1} },
		"conv huge pad":   func(g map[string]any) { attrs(g, 0)["pads"] = []any{1 << 30, 1, 1, 1} },
		"conv pads len":   func(g map[string]any) { attrs(g, 0)["pads"] = []any{1, 1} },
		"conv dilation":   func(g map[string]any) { attrs(g, 0)["dilations"] = []any{1 << 20, 1} },
		"conv group":      func(g map[string]any) { attrs(g, 0)["group"] = 0 },
		"conv group 3":    func(g map[string]any) { attrs(g, 3)["group"] = 3 },
		"conv auto_pad":   func(g map[string]any) { attrs(g, 0)["auto_pad"] = "SAME_UPPER" },
		"conv out pad":    func(g map[string]any) { attrs(g, 0)["output_padding"] = []any{1, 1} },
		"conv dense in":   func(g map[string]any) { attrs(g, 0)["dense"].(map[string]any)["in"] = 10 },
		"conv weights":    func(g map[string]any) { attrs(g, 0)["dense"].(map[string]any)["weight"] = []any{1} },
		"conv lo":         func(g map[string]any) { attrs(g, 0)["dense"].(map[string]any)["lo"] = 0 },
		"pool kernel":     func(g map[string]any) { attrs(g, 2)["kernel"] = []any{2} },
		"pool all pad":    func(g map[string]any) { attrs(g, 2)["pads"] = []any{2, 0, 0, 0} },
		"pool big kernel": func(g map[string]any) { attrs(g, 2)["kernel"] = []any{30, 2} },
		"pool dilation":   func(g map[string]any) { attrs(g, 2)["dilations"] = []any{1 << 14, 1} },
		"avg shift":       func(g map[string]any) { attrs(g, 4)["shift"] = 47 },
		"avg scale":       func(g map[string]any) { attrs(g, 4)["scale"] = 1 << 40 },
		"avg huge shift":  func(g map[string]any) { attrs(g, 4)["shift"] = 1 << 40 },
		"pool shape":      func(g map[string]any) { val(g, 4)["shape"] = []any{1, 4, 5, 6} },
		"conv rank":       func(g map[string]any) { val(g, 0)["shape"] = []any{144} },
	} {
		var doc map[string]any
		if err := json.Unmarshal(good, &doc); err != nil {
			t.Fatal(err)
		}
		mutate(doc["graph"].(map[string]any))
		bad, _ := json.Marshal(doc)
		if _, err := quant.ParseModelJSON(bad); err == nil {
			t.Errorf("%s: accepted", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// Every CNN float op survives the float model's files (config.json +
// safetensors): same kinds, same outputs.
func TestCNNFloatFileForm(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 12))
	b := quant.NewGraphBuilder()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	up := ops.NewConv(randTensor(rng, 0.5, 3, 2, 2, 2), randTensor(rng, 0.1, 2), ops.Window{Strides: []int{2, 2}, OutputPadding: []int{1, 0}}, 1, false)
	up.Transposed = true
	must(b.Input("x", []int{1, 2, 5, 5}))
	must(b.Node("conv", ops.NewConv(randTensor(rng, 1, 2, 1, 3, 3), nil, ops.Window{AutoPad: "SAME_UPPER"}, 2, true), []string{"x"}, []string{"c"}))
	must(b.Node("slice", &ops.Slice{Starts: []int64{0}, Ends: []int64{1}, Axes: []int64{1}}, []string{"x"}, []string{"s"}))
	must(b.Node("cat", &ops.Concat{Axis: 1}, []string{"c", "s"}, []string{"cat"}))
	must(b.Node("up", up, []string{"cat"}, []string{"u"}))
	must(b.Node("pad", &ops.Pad{Pads: []int{0, 0, 1, 1, 0, 0, 0, 0}}, []string{"u"}, []string{"p"}))
	must(b.Node("max", ops.NewMaxPool(ops.Window{Kernel: []int{2, 2}, Strides: []int{2, 2}}, false), []string{"p"}, []string{"m"}))
	must(b.Node("avg", ops.NewAvgPool(ops.Window{Kernel: []int{2, 2}, Pads: []int{1, 1, 0, 0}}, false, true), []string{"m"}, []string{"a"}))
	must(b.Node("gavg", ops.NewAvgPool(ops.Window{}, true, false), []string{"a"}, []string{"y"}))
	must(b.Output("y"))
	g, err := b.Build()
	must(err)
	fm, err := quant.NewGraphModel(g)
	must(err)
	st, err := quant.EncodeSafetensors(fm)
	must(err)
	cfgJSON, err := json.Marshal(fm.Config)
	must(err)
	cfg, err := quant.ParseConfig(cfgJSON)
	must(err)
	fm2, err := quant.ParseModel(st, cfg)
	must(err)
	x := randTensor(rng, 1, 50).Data
	a, err := fm.Graph.Eval(x)
	must(err)
	c, err := fm2.Graph.Eval(x)
	must(err)
	for k, n := range fm.Graph.Nodes {
		if n.Op.Kind() != fm2.Graph.Nodes[k].Op.Kind() {
			t.Fatalf("node %d: %s became %s", k, n.Op.Kind(), fm2.Graph.Nodes[k].Op.Kind())
		}
	}
	for id := range a {
		for i := range a[id] {
			if math.Abs(a[id][i]-c[id][i]) > 1e-6 {
				t.Fatalf("value %s changed over the files", fm.Graph.Names[id])
			}
		}
	}
	s, err := quant.Calibrate(fm2, [][]float64{x})
	must(err)
	if _, err := quant.Quantize(fm2, s); err != nil {
		t.Fatal(err)
	}
}

// Random, often malformed window attributes never panic Check, and whatever
// Check accepts runs Forward to an output of the checked size.
func TestWindowOpsRandomAttributes(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 13))
	small := func(lo int) int {
		if rng.IntN(12) == 0 {
			return rng.IntN(4) - 2 // often invalid
		}
		return lo + rng.IntN(3)
	}
	list := func(n, lo int) []int {
		if rng.IntN(12) == 0 {
			n = rng.IntN(5) // often the wrong length
		}
		if rng.IntN(4) == 0 {
			return nil
		}
		v := make([]int, n)
		for i := range v {
			v[i] = small(lo)
		}
		return v
	}
	accepted := 0
	for it := 0; it < 1500; it++ {
		ns := 1 + rng.IntN(2)
		shape := []int{1 + rng.IntN(2), 1 + rng.IntN(4)}
		for range ns {
			shape = append(shape, 1+rng.IntN(6))
		}
		win := ops.Window{Kernel: list(ns, 1), Strides: list(ns, 1), Pads: list(2*ns, 0), Dilations: list(ns, 1)}
		in := quant.Value{Shape: shape, Frac: 5, Lo: -128, Hi: 127}
		var op quant.Op
		var outShape []int
		switch rng.IntN(4) {
		case 0, 1:
			transposed := rng.IntN(3) == 0
			if transposed {
				win.OutputPadding = list(ns, 0)
			}
			group := 1 + rng.IntN(3)
			cout := 1 + rng.IntN(4)
			k := 1
			for _, v := range win.Kernel {
				k *= max(v, 1)
			}
			cg := max(shape[1]/group, 1)
			d := quant.Dense{In: cg * k, Out: cout, W: make([]int8, cg*k*cout), B: make([]int64, cout), Mult: make([]int64, cout), Shift: 8, Lo: -128, Hi: 127}
			for i := range d.W {
				d.W[i] = int8(rng.IntN(255) - 127)
			}
			for j := range d.Mult {
				d.Mult[j] = int64(rng.IntN(1000))
			}
			op = &ops.QConv{Window: win, Group: group, Dense: d, Transposed: transposed}
			outShape = []int{shape[0], cout}
		case 2:
			op = &ops.QMaxPool{Window: win}
			outShape = shape[:2]
		default:
			op = &ops.QAvgPool{Window: win, CountIncludePad: rng.IntN(2) == 0, Shift: uint(rng.IntN(20)), Scale: 0}
			outShape = shape[:2]
		}
		// Try every small output size: Check accepts at most one.
		var out []quant.Value
		base := len(outShape)
		outShape = append(outShape, make([]int, ns)...)
		for c := 0; c < 1<<(4*ns) && out == nil; c++ {
			for a := 0; a < ns; a++ {
				outShape[base+a] = 1 + (c>>(4*a))&15
			}
			o := []quant.Value{{Shape: slices.Clone(outShape), Frac: 5, Lo: -128, Hi: 127}}
			if avg, ok := op.(*ops.QAvgPool); ok {
				o[0].Frac = 5 + avg.Scale
			}
			if op.Check([]quant.Value{in}, o) == nil {
				out = o
			}
		}
		if out == nil {
			continue
		}
		accepted++
		x := make([]int64, in.Size())
		for i := range x {
			x[i] = rng.Int64N(256) - 128
		}
		res, err := op.Forward([]*quant.Tensor{{Shape: shape, Data: x}}, out)
		if err != nil {
			t.Fatalf("%+v accepted by Check, Forward: %v", op, err)
		}
		if len(res[0].Data) != out[0].Size() {
			t.Fatalf("%+v: %d outputs, want %d", op, len(res[0].Data), out[0].Size())
		}
		for _, v := range res[0].Data {
			if v < out[0].Lo || v > out[0].Hi {
				t.Fatalf("%+v: output %d escapes its bounds", op, v)
			}
		}
	}
	t.Logf("%d of 1500 random window ops accepted", accepted)
	if accepted < 50 {
		t.Errorf("only %d random window ops accepted: the test exercises little", accepted)
	}
}
