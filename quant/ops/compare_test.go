package ops_test

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

func TestCompareFloatMatchesNaive(t *testing.T) {
	a := &quant.FloatTensor{Shape: []int{4}, Data: []float64{-1, 0, 0.5, 2}}
	b := &quant.FloatTensor{Shape: []int{1}, Data: []float64{0.5}}
	half := 0.5
	want := map[string][]float64{
		"less": {1, 1, 0, 0}, "greater": {0, 0, 0, 1}, "equal": {0, 0, 1, 0},
		"less_equal": {1, 1, 1, 0}, "greater_equal": {0, 0, 1, 1},
	}
	for op, w := range want {
		for _, c := range []*ops.Compare{{Op: op}, {Op: op, Const: &half}} {
			in := []*quant.FloatTensor{a, b}
			if c.Const != nil {
				in = in[:1]
			}
			y, err := c.Eval(in)
			if err != nil {
				t.Fatal(err)
			}
			for i := range w {
				if y[0].Data[i] != w[i] {
					t.Fatalf("%s (const %v): %v, want %v", op, c.Const != nil, y[0].Data, w)
				}
			}
		}
	}
	cond := &quant.FloatTensor{Shape: []int{4}, Data: []float64{1, 0, 0, 1}}
	c := 7.0
	for _, w := range []struct {
		op   *ops.Where
		in   []*quant.FloatTensor
		want []float64
	}{
		{&ops.Where{}, []*quant.FloatTensor{cond, a, b}, []float64{-1, 0.5, 0.5, 2}},
		{&ops.Where{X: &c}, []*quant.FloatTensor{cond, a}, []float64{7, 0, 0.5, 7}},
		{&ops.Where{Y: &c}, []*quant.FloatTensor{cond, a}, []float64{-1, 7, 7, 2}},
	} {
		var in [][]int
		for _, x := range w.in {
			in = append(in, x.Shape)
		}
		shapes, err := w.op.OutShapes(in)
		if err != nil || !sameInts(shapes[0], []int{4}) {
			t.Fatalf("where shapes %v: %v", shapes, err)
		}
		y, err := w.op.Eval(w.in)
		if err != nil {
			t.Fatal(err)
		}
		for i := range w.want {
			if y[0].Data[i] != w.want[i] {
				t.Fatalf("where %+v: %v, want %v", w.op, y[0].Data, w.want)
			}
		}
	}
	if _, err := (&ops.Where{X: &c, Y: &c}).OutShapes([][]int{{4}}); err == nil {
		t.Fatal("where of two constants accepted")
	}
}

// A comparison against a real constant is exact on the integer grid: for
// every int8 x, [x op K] equals [x·2^-f op c].
func TestCompareConstExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 1))
	for range 300 {
		frac := rng.IntN(12) - 3
		c := (rng.Float64()*2 - 1) * 300 / float64(int(1)<<max(frac, 0))
		if rng.IntN(4) == 0 {
			c = quant.DequantizeValue(rng.Int64N(300)-150, frac) // on the grid
		}
		for _, op := range []string{"less", "greater", "equal", "less_equal", "greater_equal"} {
			k := ops.CompareConst(op, c, frac)
			cf := &ops.Compare{Op: op, Const: &c}
			for x := int64(-128); x <= 127; x++ {
				f, _ := cf.Eval([]*quant.FloatTensor{{Shape: []int{1}, Data: []float64{quant.DequantizeValue(x, frac)}}})
				if got := ops.CompareInt(op, x, k); float64(got) != f[0].Data[0] {
					t.Fatalf("%s %v at frac %d: x = %d gives %d, float %v (K = %d)", op, c, frac, x, got, f[0].Data[0], k)
				}
			}
		}
	}
}

// Model files are untrusted: every attribute of the new ops is checked.
func TestNormOpsValidateRefuses(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 2))
	half := 0.25
	fm := nmGraph(t, []int{2, 8},
		nmNode{"ln", ops.NewLayerNorm(nmTensor(rng, 1, 8), nmTensor(rng, 0.3, 8), 1e-5), []string{"x"}},
		nmNode{"rms", ops.NewRMSNorm(nmTensor(rng, 1, 8), 1e-6), []string{"ln"}},
		nmNode{"sm", &ops.Softmax{}, []string{"rms"}},
		nmNode{"red", &ops.Reduce{Op: "mean", Axes: []int{1}, KeepDims: true}, []string{"x"}},
		nmNode{"mx", &ops.MinMax{Op: "max"}, []string{"sm", "red"}},
		nmNode{"lt", &ops.Compare{Op: "less", Const: &half}, []string{"mx"}},
		nmNode{"ge", &ops.Compare{Op: "greater_equal"}, []string{"x", "mx"}},
		nmNode{"w", &ops.Where{}, []string{"ge", "lt", "x"}},
		nmNode{"rmax", &ops.Reduce{Op: "max", Axes: []int{0}}, []string{"w"}},
		nmNode{"wc", &ops.Where{X: &half}, []string{"lt", "rmax"}},
	)
	m := nmQuantize(t, fm, rng, 1)
	good, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	attrs := func(g map[string]any, i int) map[string]any { return node(g, i)["attrs"].(map[string]any) }
	for name, mutate := range map[string]func(g map[string]any){
		"ln k":            func(g map[string]any) { attrs(g, 0)["k"] = 60 },
		"ln eps":          func(g map[string]any) { attrs(g, 0)["eps"] = 0 },
		"ln huge eps":     func(g map[string]any) { attrs(g, 0)["eps"] = float64(1 << 50) },
		"ln gamma":        func(g map[string]any) { attrs(g, 0)["gamma"].([]any)[0] = 128 },
		"ln beta":         func(g map[string]any) { attrs(g, 0)["beta"].([]any)[0] = float64(1 << 62) },
		"ln short gamma":  func(g map[string]any) { attrs(g, 0)["gamma"] = []any{1} },
		"ln d":            func(g map[string]any) { attrs(g, 0)["d"] = 1 << 30 },
		"ln mult":         func(g map[string]any) { attrs(g, 0)["mult"] = 1 << 20 },
		"ln shift":        func(g map[string]any) { attrs(g, 0)["shift"] = 70 },
		"rms gamma":       func(g map[string]any) { attrs(g, 1)["gamma"].([]any)[3] = -128 },
		"rms k":           func(g map[string]any) { attrs(g, 1)["k"] = 3 },
		"rms d":           func(g map[string]any) { attrs(g, 1)["d"] = 4 },
		"softmax frac":    func(g map[string]any) { attrs(g, 2)["in_frac"] = 40 },
		"softmax out":     func(g map[string]any) { val(g, 3)["frac"] = 6 },
		"softmax bounds":  func(g map[string]any) { val(g, 3)["lo"] = -1 },
		"reduce op":       func(g map[string]any) { attrs(g, 3)["op"] = "prod" },
		"reduce axes":     func(g map[string]any) { attrs(g, 3)["axes"] = []any{7} },
		"reduce no axes":  func(g map[string]any) { attrs(g, 3)["axes"] = []any{} },
		"reduce neg axis": func(g map[string]any) { attrs(g, 3)["axes"] = []any{-1} },
		"reduce keepdims": func(g map[string]any) { attrs(g, 3)["keepdims"] = false },
		"reduce mult":     func(g map[string]any) { attrs(g, 3)["mult"] = -1 },
		"reduce shift":    func(g map[string]any) { attrs(g, 3)["shift"] = 99 },
		"minmax op":       func(g map[string]any) { attrs(g, 4)["op"] = "avg" },
		"minmax shift":    func(g map[string]any) { attrs(g, 4)["shift_a"] = 30 },
		"minmax bounds":   func(g map[string]any) { val(g, 5)["lo"] = -128; val(g, 5)["hi"] = 127 },
		"compare const":   func(g map[string]any) { attrs(g, 5)["const"] = 1000 },
		"compare op":      func(g map[string]any) { attrs(g, 5)["op"] = "ne" },
		"compare bounds":  func(g map[string]any) { val(g, 6)["hi"] = 2 },
		"compare shifts":  func(g map[string]any) { attrs(g, 6)["shift_b"] = 3 },
		"where cond":      func(g map[string]any) { val(g, 7)["lo"] = -1 },
		"where shift":     func(g map[string]any) { attrs(g, 7)["shift_a"] = 1 },
		"reduce max mult": func(g map[string]any) { attrs(g, 8)["mult"] = 3 },
		"reduce max fmt":  func(g map[string]any) { val(g, 9)["frac"] = 1 },
		"where const":     func(g map[string]any) { attrs(g, 9)["const_a"] = 300 },
		"where consts":    func(g map[string]any) { attrs(g, 9)["const_b"] = 3 },
		"where const in":  func(g map[string]any) { node(g, 9)["in"] = []any{6, 9, 9} },
		"where const sh":  func(g map[string]any) { attrs(g, 9)["shift_a"] = 1 },
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

// where refuses a condition not bounded to [0, 1], whatever its producer.
func TestWhereRefusesNonBooleanCondition(t *testing.T) {
	v := func(lo, hi int64) quant.Value { return quant.Value{Shape: []int{4}, Frac: 0, Lo: lo, Hi: hi} }
	q := &ops.QWhere{}
	out := []quant.Value{v(-128, 127)}
	k := int64(5)
	if err := (&ops.QWhere{ConstB: &k}).Check([]quant.Value{v(0, 1), v(-128, 127)}, out); err != nil {
		t.Fatal(err)
	}
	if err := (&ops.QWhere{ConstB: &k}).Check([]quant.Value{v(-1, 1), v(-128, 127)}, out); err == nil {
		t.Error("constant branch: condition bounds [-1, 1] accepted")
	}
	if err := q.Check([]quant.Value{v(0, 1), v(-128, 127), v(-128, 127)}, out); err != nil {
		t.Fatal(err)
	}
	for _, c := range []quant.Value{v(0, 2), v(-1, 1), v(-128, 127)} {
		if err := q.Check([]quant.Value{c, v(-128, 127), v(-128, 127)}, out); err == nil {
			t.Errorf("condition bounds [%d, %d] accepted", c.Lo, c.Hi)
		}
	}
}

func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
