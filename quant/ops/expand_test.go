package ops_test

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// An index map (a tile with a constant border) matches the naive float
// computation; quantized, its constants saturate at the input's fraction
// and widen the output's bounds, and Forward copies the integers.
func TestIndexMapMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 1))
	x := randTensor(rng, 1, 2, 3)
	out := []int{4, 4}
	idx := ops.AxisIndex(x.Shape, out, func(a, c int) int {
		if a == 1 && c == 3 {
			return -1
		}
		return c % x.Shape[a]
	})
	for k := range idx {
		if idx[k] < 0 && k%2 == 1 {
			idx[k] = -2
		}
	}
	m := &ops.IndexMap{Shape: out, Index: idx, Const: []float64{0.25, -10000}}
	got, err := m.Eval([]*quant.FloatTensor{x})
	if err != nil {
		t.Fatal(err)
	}
	for k, c := range cnnCoords(out) {
		want := x.Data[cnnAt(x.Shape, []int{c[0] % 2, c[1] % 3})]
		if c[1] == 3 {
			want = []float64{0.25, -10000}[k%2]
		}
		if got[0].Data[k] != want {
			t.Fatalf("%v: %v, want %v", c, got[0].Data[k], want)
		}
	}
	in := []quant.Value{{Shape: x.Shape, Frac: 6, Lo: -20, Hi: 64}}
	outV := []quant.Value{{Shape: out}}
	q, err := m.Quantize(in, outV)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Check(in, outV); err != nil {
		t.Fatal(err)
	}
	qm := q.(*ops.QIndexMap)
	if !slices.Equal(qm.Const, []int64{16, -128}) || outV[0].Frac != 6 || outV[0].Lo != -128 || outV[0].Hi != 64 {
		t.Fatalf("constants %v, output %+v", qm.Const, outV[0])
	}
	xi := &quant.Tensor{Shape: x.Shape, Data: []int64{1, 2, 3, 4, 5, 6}}
	y, err := q.Forward([]*quant.Tensor{xi}, outV)
	if err != nil {
		t.Fatal(err)
	}
	for k, i := range idx {
		want := int64(0)
		if i >= 0 {
			want = xi.Data[i]
		} else {
			want = qm.Const[-1-i]
		}
		if y[0].Data[k] != want {
			t.Fatalf("position %d: %d, want %d", k, y[0].Data[k], want)
		}
	}
	if c := q.Cost(in, outV); c.R1CS != 0 || c.SCS != 0 {
		t.Fatalf("an index map costs %+v", c)
	}
}

// hostileOps checks that for random ops (gen) on random small values Check
// never panics, and whatever it accepts runs Forward without panicking,
// with outputs of the output's size within its bounds.
func hostileOps(t *testing.T, rng *rand.Rand, n int, gen func() (quant.Op, []quant.Value, []quant.Value)) map[string]int {
	t.Helper()
	accepted := map[string]int{}
	for range n {
		op, in, out := gen()
		var err error
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("%s %+v: Check panicked on %v → %v: %v", op.Kind(), op, in, out, r)
				}
			}()
			err = op.Check(in, out)
		}()
		if err != nil {
			continue
		}
		accepted[op.Kind()]++
		ts := make([]*quant.Tensor, len(in))
		for k, v := range in {
			data := make([]int64, v.Size())
			for i := range data {
				data[i] = v.Lo + rng.Int64N(v.Hi-v.Lo+1)
			}
			ts[k] = &quant.Tensor{Shape: v.Shape, Data: data}
		}
		var ys []*quant.Tensor
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("%s %+v: Forward panicked on %v → %v: %v", op.Kind(), op, in, out, r)
				}
			}()
			ys, err = op.Forward(ts, out)
		}()
		if err != nil {
			continue
		}
		if len(ys) != len(out) {
			t.Fatalf("%s: %d outputs for %d values", op.Kind(), len(ys), len(out))
		}
		for k, y := range ys {
			if len(y.Data) != out[k].Size() {
				t.Fatalf("%s %+v: output %d of %d values, want %d", op.Kind(), op, k, len(y.Data), out[k].Size())
			}
			for _, v := range y.Data {
				if v < out[k].Lo || v > out[k].Hi {
					t.Fatalf("%s %+v on %v: output %d escapes [%d, %d]", op.Kind(), op, in, v, out[k].Lo, out[k].Hi)
				}
			}
		}
		_ = op.Cost(in, out)
	}
	return accepted
}

func hostilePick(rng *rand.Rand, v ...int64) int64 { return v[rng.IntN(len(v))] }

func hostileShape(rng *rand.Rand) []int {
	s := make([]int, rng.IntN(4))
	for i := range s {
		s[i] = 1 + rng.IntN(4)
	}
	return s
}

func hostileValue(rng *rand.Rand, s []int) quant.Value {
	// valid formats (Graph.Validate checks them before any op sees them)
	return quant.Value{Shape: s, Frac: int(hostilePick(rng, 0, 3, 7, -2, 24)), Lo: hostilePick(rng, -128, -1, 0), Hi: hostilePick(rng, 1, 127, 2)}
}

func TestIndexMapHostile(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 2))
	acc := hostileOps(t, rng, 20000, func() (quant.Op, []quant.Value, []quant.Value) {
		x, ys := hostileShape(rng), hostileShape(rng)
		if rng.IntN(9) == 0 {
			ys = []int{1 << 30, 1 << 30}
		}
		idx := make([]int, max(0, min(quant.ShapeSize(ys), 64)+int(hostilePick(rng, 0, 0, 0, -1, 1))))
		nc := int(hostilePick(rng, 0, 1, 2))
		for k := range idx {
			idx[k] = int(hostilePick(rng, -3, -2, -1, 0, 1, 2, 5, 63, 64, 1<<40))
		}
		c := make([]int64, nc)
		for k := range c {
			c[k] = hostilePick(rng, -129, -128, 0, 5, 127, 128, 1<<40)
		}
		in := []quant.Value{hostileValue(rng, x)}
		if rng.IntN(5) == 0 {
			in = append(in, hostileValue(rng, x))
		}
		out := []quant.Value{hostileValue(rng, ys)}
		if rng.IntN(2) == 0 {
			// the format the op requires, so Check reaches the map's checks
			out[0].Frac, out[0].Lo, out[0].Hi = in[0].Frac, in[0].Lo, in[0].Hi
			for _, v := range c {
				out[0].Lo, out[0].Hi = min(out[0].Lo, v), max(out[0].Hi, v)
			}
		}
		return &ops.QIndexMap{Shape: ys, Index: idx, Const: c}, in, out
	})
	if acc["index_map"] == 0 {
		t.Fatal("no index map accepted")
	}
	t.Logf("accepted %v", acc)
}

// A model of the index ops survives its file form (same commitment, same
// integers), and a model file whose attributes or formats were edited is
// refused.
func TestIndexOpsFileForm(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 9))
	c := 0.1
	fm := nmGraph(t, []int{4, 6},
		nmNode{"t", &ops.Transpose{Perm: []int{1, 0}}, []string{"x"}},
		nmNode{"mm", &ops.MatMul{}, []string{"x", "t"}},
		nmNode{"pr", &ops.PRelu{SlopeShape: []int{1}, Slope: []float64{0.25}}, []string{"mm"}},
		nmNode{"g", &ops.Compare{Op: "greater", Const: &c}, []string{"pr"}},
		nmNode{"nt", &ops.Logic{Op: "not"}, []string{"g"}},
		nmNode{"im", &ops.IndexMap{Shape: []int{4, 8}, Index: ops.AxisIndex([]int{4, 4}, []int{4, 8}, func(_, c int) int { return c % 4 })}, []string{"pr"}},
		nmNode{"am", &ops.ArgMax{Axis: -1}, []string{"im"}},
		nmNode{"an", &ops.Logic{Op: "and"}, []string{"g", "nt"}},
	)
	m := nmQuantize(t, fm, rng, 1)
	good, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := quant.ParseModelJSON(good)
	if err != nil {
		t.Fatal(err)
	}
	c1, _ := quant.CommitString(m)
	c2, err := quant.CommitString(m2)
	if err != nil || c1 != c2 {
		t.Fatalf("commitment changed over the file form: %v %s %s", err, c1, c2)
	}
	x := make([]int64, 24)
	for i := range x {
		x[i] = rng.Int64N(256) - 128
	}
	a, _ := m.Graph.Forward(x)
	b, err := m2.Graph.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	for id := range a {
		if !slices.Equal(a[id], b[id]) {
			t.Fatalf("value %d changed over the file form", id)
		}
	}
	attrs := func(g map[string]any, i int) map[string]any { return node(g, i)["attrs"].(map[string]any) }
	for name, mutate := range map[string]func(g map[string]any){
		"matmul shift":      func(g map[string]any) { attrs(g, 1)["shift"] = 99 },
		"matmul bounds":     func(g map[string]any) { val(g, 2)["lo"] = 0 },
		"prelu multiplier":  func(g map[string]any) { attrs(g, 2)["a"].([]any)[0] = 1 << 20 },
		"prelu shift":       func(g map[string]any) { attrs(g, 2)["shift"] = 17 },
		"prelu slope shape": func(g map[string]any) { attrs(g, 2)["slope_shape"] = []any{3} },
		"logic op":          func(g map[string]any) { attrs(g, 4)["op"] = "nand" },
		"logic on int8":     func(g map[string]any) { node(g, 4)["in"] = []any{3} },
		"logic bounds":      func(g map[string]any) { val(g, 5)["hi"] = 2 },
		"map index":         func(g map[string]any) { attrs(g, 5)["index"].([]any)[0] = 1000 },
		"map constant":      func(g map[string]any) { attrs(g, 5)["index"].([]any)[0] = -1 },
		"map shape":         func(g map[string]any) { attrs(g, 5)["shape"] = []any{4, 9} },
		"map bounds":        func(g map[string]any) { val(g, 6)["lo"] = -100 },
		"argmax axis":       func(g map[string]any) { attrs(g, 6)["axis"] = 5 },
		"argmax bounds":     func(g map[string]any) { val(g, 7)["hi"] = 50 },
		"argmax keepdims":   func(g map[string]any) { attrs(g, 6)["keepdims"] = true },
	} {
		var doc map[string]any
		if err := json.Unmarshal(good, &doc); err != nil {
			t.Fatal(err)
		}
		mutate(doc["graph"].(map[string]any))
		bad, _ := json.Marshal(doc)
		if _, err := quant.ParseModelJSON(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
