package onnx

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx/onnxpb"
)

// attackCompare imports the graph fused and op by op and, when it fused,
// requires the same output shape and values on random inputs; it returns
// whether it fused.
func attackCompare(t *testing.T, name string, b *gg, out string, axes ...int) bool {
	t.Helper()
	anyAxes := make([]any, len(axes))
	for k, a := range axes {
		anyAxes[k] = a
	}
	ref, _, rerr := importGraph(b.model(out, anyAxes...), Options{Unfused: true})
	fm, _, err := importGraph(b.model(out, anyAxes...), Options{})
	if rerr != nil {
		// What the op-by-op import refuses (a constant widening an
		// activation) the fusion must not accept with other semantics.
		if err == nil {
			t.Fatalf("%s: fused import (nodes %s, output %v) accepts what op by op refuses: %v", name, kinds(fm), fm.Graph.Shapes[fm.Graph.Outputs[0]], rerr)
		}
		return false
	}
	if err != nil {
		t.Fatalf("%s: fused import fails where op by op works: %v", name, err)
	}
	fused := strings.Contains(kinds(fm), "attention")
	rng := rand.New(rand.NewPCG(70, 99))
	n := quant.ShapeSize(axes)
	for range 3 {
		x := make([]float64, n)
		for i := range x {
			x[i] = rng.Float64()*4 - 2
		}
		got, err := fm.Graph.Eval(x)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ref.Graph.Eval(x)
		if err != nil {
			t.Fatal(err)
		}
		gs, ws := fm.Graph.Shapes[fm.Graph.Outputs[0]], ref.Graph.Shapes[ref.Graph.Outputs[0]]
		if !slices.Equal(gs, ws) {
			t.Fatalf("%s (fused %v): output shape %v, op by op %v", name, fused, gs, ws)
		}
		y, w := got[fm.Graph.Outputs[0]], want[ref.Graph.Outputs[0]]
		for i := range w {
			if math.Abs(y[i]-w[i]) > 1e-9 {
				t.Fatalf("%s (fused %v, nodes %s): output %d = %v, op by op %v", name, fused, kinds(fm), i, y[i], w[i])
			}
		}
	}
	return fused
}

// Attack: a uniform scale constant of a higher rank ([1,1,1,1,1]) between
// the scores and the softmax grows the scores' rank, so "axis = rank − 1"
// of the traced rank is not the last axis: the softmax runs over the
// queries. The fusion must not take it for attention.
func TestAttentionAttackScaleGrowsRank(t *testing.T) {
	b := newGG()
	qh := b.node("Unsqueeze", []string{"x", b.ints(1)}) // [1, 1, 4, 4]: one head
	kt := b.node("Transpose", []string{qh}, intsAttr("perm", 0, 1, 3, 2))
	s := b.node("MatMul", []string{qh, kt})
	sc := b.node("Mul", []string{s, b.floats([]int64{1, 1, 1, 1, 1}, 0.5)}) // [1, 1, 1, 4, 4]
	p := b.node("Softmax", []string{sc}, intAttr("axis", 3))
	o := b.node("MatMul", []string{p, qh})
	y := b.node("Reshape", []string{o, b.ints(1, 4, 4)})
	attackCompare(t, "scale grows rank", b, y, 1, 4, 4)
}

// Attack: the same with the last axis: a uniform scale constant of shape
// [2, 1, 1, 1] doubles the scores (and the output), which the fused op
// does not.
func TestAttentionAttackScaleGrowsShape(t *testing.T) {
	b := newGG()
	heads := b.node("Reshape", []string{"x", b.ints(1, 4, 2, 4)})
	qh := b.node("Transpose", []string{heads}, intsAttr("perm", 0, 2, 1, 3))
	kt := b.node("Transpose", []string{heads}, intsAttr("perm", 0, 2, 3, 1))
	s := b.node("MatMul", []string{qh, kt})
	sc := b.node("Mul", []string{s, b.floats([]int64{2, 1, 1, 1}, 0.5, 0.5)})
	p := b.node("Softmax", []string{sc}, intAttr("axis", -1))
	o := b.node("MatMul", []string{p, qh})
	back := b.node("Transpose", []string{o}, intsAttr("perm", 0, 2, 1, 3))
	y := b.node("Reshape", []string{back, b.ints(-1, 8)})
	attackCompare(t, "scale grows shape", b, y, 1, 4, 8)
}

// Attack: Q of rank 3 and Kᵀ of rank 4 ([1, H, dh, S]): the scores have
// rank 4, and a softmax over axis 2 (the last of Q's rank) is over the
// queries.
func TestAttentionAttackKRankAboveQ(t *testing.T) {
	b := newGG()
	kt := b.node("Unsqueeze", []string{b.node("Transpose", []string{"x"}, intsAttr("perm", 0, 2, 1)), b.ints(0)}) // [1, 1, 4, 4]
	s := b.node("MatMul", []string{"x", kt})                                                                      // [1, 1, 4, 4]
	sc := b.node("Mul", []string{s, b.floats(nil, 0.5)})
	p := b.node("Softmax", []string{sc}, intAttr("axis", 2))
	o := b.node("MatMul", []string{p, "x"})
	y := b.node("Reshape", []string{o, b.ints(1, 4, 4)})
	attackCompare(t, "K rank above Q", b, y, 1, 4, 4)
}

// Attack: V passes through a Mul by ones of shape [2, 1, 1, 1] (scale 1,
// skipped by the trace) that doubles it: the op-by-op output has twice
// the rows.
func TestAttentionAttackVGrows(t *testing.T) {
	b := newGG()
	heads := b.node("Reshape", []string{"x", b.ints(1, 4, 2, 4)})
	qh := b.node("Transpose", []string{heads}, intsAttr("perm", 0, 2, 1, 3))
	kt := b.node("Transpose", []string{heads}, intsAttr("perm", 0, 2, 3, 1))
	s := b.node("MatMul", []string{qh, kt})
	vh := b.node("Mul", []string{qh, b.floats([]int64{2, 1, 1, 1}, 1, 1)}) // after the first MatMul: not mapped yet
	sc := b.node("Mul", []string{s, b.floats(nil, 0.5)})
	p := b.node("Softmax", []string{sc}, intAttr("axis", -1))
	o := b.node("MatMul", []string{p, vh})
	back := b.node("Transpose", []string{o}, intsAttr("perm", 0, 2, 1, 3))
	y := b.node("Reshape", []string{back, b.ints(-1, 8)})
	attackCompare(t, "V grows", b, y, 1, 4, 8)
}

// Attack: a uniform scale constant of rank 4 on rank-3 scores ([1, T, S],
// one head) raises their rank, so a softmax over axis 2 runs over the
// queries: the fusion must decline.
func TestAttentionAttackScaleRaisesRank(t *testing.T) {
	b := newGG()
	kt := b.node("Transpose", []string{"x"}, intsAttr("perm", 0, 2, 1))
	s := b.node("MatMul", []string{"x", kt}) // [1, 4, 4]
	sc := b.node("Mul", []string{s, b.floats([]int64{1, 1, 1, 1}, 0.5)})
	p := b.node("Softmax", []string{sc}, intAttr("axis", 2))
	o := b.node("MatMul", []string{p, "x"})
	y := b.node("Reshape", []string{o, b.ints(1, 4, 4)})
	if fm, _, err := importGraph(b.model(y, 1, 4, 4), Options{}); err == nil && strings.Contains(kinds(fm), "attention") {
		t.Errorf("fused a softmax over the queries: %s", kinds(fm))
	}
	// With the scale of the scores' rank, it is attention.
	b = newGG()
	kt = b.node("Transpose", []string{"x"}, intsAttr("perm", 0, 2, 1))
	s = b.node("MatMul", []string{"x", kt})
	sc = b.node("Mul", []string{s, b.floats([]int64{1, 1, 1}, 0.5)})
	p = b.node("Softmax", []string{sc}, intAttr("axis", 2))
	o = b.node("MatMul", []string{p, "x"})
	y = b.node("Reshape", []string{o, b.ints(1, 4, 4)})
	if !attackCompare(t, "scale of the scores' rank", b, y, 1, 4, 4) {
		t.Error("not fused")
	}
}

// attnWhereGraph is 2-head self-attention on x [1, 4, 8] with the scores
// masked by Where(keep, scores, fill) (keep: causal), fill of shape
// fillDims.
func attnWhereGraph(fillDims []int64, fill ...float32) (*gg, string) {
	b := newGG()
	heads := b.node("Reshape", []string{"x", b.ints(1, 4, 2, 4)})
	qh := b.node("Transpose", []string{heads}, intsAttr("perm", 0, 2, 1, 3))
	kt := b.node("Transpose", []string{heads}, intsAttr("perm", 0, 2, 3, 1))
	s := b.node("MatMul", []string{qh, kt})
	sc := b.node("Mul", []string{s, b.floats(nil, 0.5)})
	keep := make([]int32, 16)
	for i := 0; i < 4; i++ {
		for j := 0; j <= i; j++ {
			keep[i*4+j] = 1
		}
	}
	cond := "c" + string(rune('a'+len(b.inits)))
	b.inits = append(b.inits, &onnxpb.TensorProto{Name: proto.String(cond), DataType: proto.Int32(int32(onnxpb.TensorProto_BOOL)), Dims: []int64{4, 4}, Int32Data: keep})
	m := b.node("Where", []string{cond, sc, b.floats(fillDims, fill...)})
	p := b.node("Softmax", []string{m}, intAttr("axis", -1))
	o := b.node("MatMul", []string{p, qh})
	back := b.node("Transpose", []string{o}, intsAttr("perm", 0, 2, 1, 3))
	return b, b.node("Reshape", []string{back, b.ints(1, 4, 8)})
}

// Attack: a NaN fill. The fusion used NaN as "no fill seen yet", so a
// mask filled with NaN fused as no mask at all, and one whose first
// masked position is NaN took the next position's fill for it.
func TestAttentionAttackNaNFill(t *testing.T) {
	nan := float32(math.NaN())
	plane := func(first, rest float32) []float32 {
		f := make([]float32, 16)
		seen := false
		for i := 0; i < 4; i++ {
			for j := i + 1; j < 4; j++ {
				f[i*4+j] = rest
				if !seen {
					f[i*4+j], seen = first, true
				}
			}
		}
		return f
	}
	for name, fill := range map[string][]float32{
		"nan":         {nan},
		"nan first":   plane(nan, -1e4),
		"nan last":    plane(-1e4, nan),
		"finite -1e4": {-1e4},
	} {
		dims := []int64{4, 4}
		if len(fill) == 1 {
			dims = nil
		}
		b, y := attnWhereGraph(dims, fill...)
		fm, _, err := importGraph(b.model(y, 1, 4, 8), Options{})
		fused := err == nil && strings.Contains(kinds(fm), "attention")
		if fused != (name == "finite -1e4") {
			t.Errorf("%s: fused %v (err %v)", name, fused, err)
		}
		if name == "finite -1e4" {
			attackCompare(t, name, b, y, 1, 4, 8)
		}
	}
}

// Attack (found on the way, op by op): Mul(x [1, 4, 4], c [1, 1, 1, 1])
// has rank 4 in ONNX, so Softmax(axis = 2) after it runs over x's rows;
// the affine mapper dropped the constant's leading 1s and the softmax ran
// over the columns. A constant that raises the rank is refused now.
func TestGraphAttackConstantRaisesRank(t *testing.T) {
	b := newGG()
	sc := b.node("Mul", []string{"x", b.floats([]int64{1, 1, 1, 1}, 0.5)})
	y := b.node("Softmax", []string{sc}, intAttr("axis", 2))
	for _, u := range []bool{false, true} {
		if fm, _, err := importGraph(b.model(y, 1, 4, 4), Options{Unfused: u}); err == nil {
			t.Errorf("imported as %s with output %v, want rank 4 or a refusal", kinds(fm), fm.Graph.Shapes[fm.Graph.Outputs[0]])
		}
	}
	// The constant of the activation's rank imports.
	b = newGG()
	sc = b.node("Mul", []string{"x", b.floats([]int64{1, 1, 1}, 0.5)})
	y = b.node("Softmax", []string{sc}, intAttr("axis", 2))
	if _, _, err := importGraph(b.model(y, 1, 4, 4), Options{}); err != nil {
		t.Error(err)
	}
}

// Variations that are not (or are) attention: whatever the fusion does,
// the fused graph computes what the op-by-op graph computes (2 heads of 4
// on x [1, 4, 8], Q = K = V = x's heads unless said otherwise).
func TestAttentionAttackVariations(t *testing.T) {
	type parts struct {
		b                 *gg
		heads, qh, kt, vh string
	}
	base := func() parts {
		b := newGG()
		heads := b.node("Reshape", []string{"x", b.ints(1, 4, 2, 4)})
		qh := b.node("Transpose", []string{heads}, intsAttr("perm", 0, 2, 1, 3))
		kt := b.node("Transpose", []string{heads}, intsAttr("perm", 0, 2, 3, 1))
		return parts{b, heads, qh, kt, qh}
	}
	finish := func(p parts, o string) string {
		back := p.b.node("Transpose", []string{o}, intsAttr("perm", 0, 2, 1, 3))
		return p.b.node("Reshape", []string{back, p.b.ints(1, 4, 8)})
	}
	causal := func(b *gg, keepVal, maskVal float32, dims ...int64) string {
		n := int64(1)
		for _, d := range dims {
			n *= d
		}
		v := make([]float32, n)
		for k := range v {
			i, j := (k/4)%4, k%4
			v[k] = maskVal
			if j <= i {
				v[k] = keepVal
			}
		}
		return b.floats(dims, v...)
	}
	cases := map[string]func() (*gg, string, bool){
		// A mask that differs per head: not one [T, S] plane.
		"per-head mask": func() (*gg, string, bool) {
			p := base()
			s := p.b.node("MatMul", []string{p.qh, p.kt})
			m := make([]float32, 32)
			for k := range m {
				if k >= 16 && k%4 == 0 {
					m[k] = -1e4 // head 1 masks key 0
				}
			}
			sm := p.b.node("Add", []string{s, p.b.floats([]int64{1, 2, 4, 4}, m...)})
			pr := p.b.node("Softmax", []string{sm}, intAttr("axis", -1))
			return p.b, finish(p, p.b.node("MatMul", []string{pr, p.vh})), false
		},
		// V scaled: the output scales, the fusion does not take it.
		"scaled V": func() (*gg, string, bool) {
			p := base()
			v := p.b.node("Mul", []string{p.qh, p.b.floats(nil, 0.5)})
			s := p.b.node("MatMul", []string{p.qh, p.kt})
			pr := p.b.node("Softmax", []string{p.b.node("Mul", []string{s, p.b.floats(nil, 0.5)})}, intAttr("axis", -1))
			return p.b, finish(p, p.b.node("MatMul", []string{pr, v})), false
		},
		// K transposed twice (Q·K, not Q·Kᵀ; T = dh so the shapes fit).
		"K transposed twice": func() (*gg, string, bool) {
			p := base()
			k2 := p.b.node("Transpose", []string{p.kt}, intsAttr("perm", 0, 1, 3, 2))
			s := p.b.node("MatMul", []string{p.qh, k2})
			pr := p.b.node("Softmax", []string{s}, intAttr("axis", -1))
			return p.b, finish(p, p.b.node("MatMul", []string{pr, p.vh})), false
		},
		// Where(keep, fill, scores): keeps where the condition is false.
		"where swapped": func() (*gg, string, bool) {
			p := base()
			s := p.b.node("MatMul", []string{p.qh, p.kt})
			cond := "c" + string(rune('a'+len(p.b.inits)))
			keep := make([]int32, 16)
			for k := range keep {
				if k%4 > k/4 {
					keep[k] = 1 // true above the diagonal: those are filled
				}
			}
			p.b.inits = append(p.b.inits, &onnxpb.TensorProto{Name: proto.String(cond), DataType: proto.Int32(int32(onnxpb.TensorProto_BOOL)), Dims: []int64{4, 4}, Int32Data: keep})
			w := p.b.node("Where", []string{cond, p.b.floats(nil, -3), s})
			pr := p.b.node("Softmax", []string{w}, intAttr("axis", -1))
			return p.b, finish(p, p.b.node("MatMul", []string{pr, p.vh})), true
		},
		// Negative scalings around a positive fill: −1·(−0.5·S + mask).
		"negative scales": func() (*gg, string, bool) {
			p := base()
			s := p.b.node("MatMul", []string{p.qh, p.kt})
			s = p.b.node("Mul", []string{s, p.b.floats(nil, -0.5)})
			s = p.b.node("Add", []string{s, causal(p.b, 0, 2, 4, 4)})
			s = p.b.node("Mul", []string{p.b.floats(nil, -1), s})
			pr := p.b.node("Softmax", []string{s}, intAttr("axis", -1))
			return p.b, finish(p, p.b.node("MatMul", []string{pr, p.vh})), true // scale 0.5, additive fill −2
		},
		"div scale and additive": func() (*gg, string, bool) {
			p := base()
			s := p.b.node("MatMul", []string{p.qh, p.kt})
			s = p.b.node("Div", []string{s, p.b.floats(nil, 2)})
			s = p.b.node("Add", []string{causal(p.b, 0, -7, 1, 1, 4, 4), s})
			s = p.b.node("Div", []string{s, p.b.floats([]int64{1}, 0.5)})
			pr := p.b.node("Softmax", []string{s}, intAttr("axis", -1))
			return p.b, finish(p, p.b.node("MatMul", []string{pr, p.vh})), true
		},
		// A constant divided by the scores is not a scaling.
		"const over scores": func() (*gg, string, bool) {
			p := base()
			s := p.b.node("MatMul", []string{p.qh, p.kt})
			s = p.b.node("Div", []string{p.b.floats(nil, 2), s})
			pr := p.b.node("Softmax", []string{s}, intAttr("axis", -1))
			return p.b, finish(p, p.b.node("MatMul", []string{pr, p.vh})), false
		},
		// Q's heads in another order (head 1 first).
		"Q heads swapped": func() (*gg, string, bool) {
			p := base()
			h := p.b.node("Reshape", []string{"x", p.b.ints(1, 4, 2, 4)})
			q := p.b.node("Transpose", []string{h}, intsAttr("perm", 2, 0, 1, 3)) // [2, 1, 4, 4]
			q = p.b.node("Reshape", []string{q, p.b.ints(2, 4, 4)})
			q = p.b.node("Concat", []string{p.b.node("Slice", []string{q, p.b.ints(1), p.b.ints(2), p.b.ints(0)}), p.b.node("Slice", []string{q, p.b.ints(0), p.b.ints(1), p.b.ints(0)})}, intAttr("axis", 0))
			q = p.b.node("Unsqueeze", []string{q, p.b.ints(0)})
			s := p.b.node("MatMul", []string{q, p.kt})
			pr := p.b.node("Softmax", []string{s}, intAttr("axis", -1))
			return p.b, finish(p, p.b.node("MatMul", []string{pr, p.vh})), false
		},
	}
	for name, mk := range cases {
		b, y, want := mk()
		if got := attackCompare(t, name, b, y, 1, 4, 8); got != want {
			t.Errorf("%s: fused %v, want %v", name, got, want)
		}
	}
}
