package onnx

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// attnGraph builds self-attention on x [1, 4, 8] (2 heads of 4, no
// projections) with the variations the fusion must refuse.
func attnGraph(softmaxAxis int64, scale []float32, outPerm []int64) (*gg, string) {
	b := newGG()
	heads := b.node("Reshape", []string{"x", b.ints(1, 4, 2, 4)})
	qh := b.node("Transpose", []string{heads}, intsAttr("perm", 0, 2, 1, 3))
	kt := b.node("Transpose", []string{heads}, intsAttr("perm", 0, 2, 3, 1))
	s := b.node("MatMul", []string{qh, kt})
	dims := []int64{}
	if len(scale) > 1 {
		dims = []int64{int64(len(scale))}
	}
	sc := b.node("Mul", []string{s, b.floats(dims, scale...)})
	p := b.node("Softmax", []string{sc}, intAttr("axis", softmaxAxis))
	o := b.node("MatMul", []string{p, qh})
	back := b.node("Transpose", []string{o}, intsAttr("perm", outPerm...))
	return b, b.node("Reshape", []string{back, b.ints(1, 4, 8)})
}

// The fusion takes the plain form, computes what the op-by-op graph
// computes, and refuses (keeping the ops) another softmax axis, a scale
// that is not one constant, and an output in another layout.
func TestAttentionFusionDeclines(t *testing.T) {
	rng := rand.New(rand.NewPCG(70, 10))
	for name, tc := range map[string]struct {
		axis  int64
		scale []float32
		perm  []int64
		fused bool
	}{
		"plain":      {-1, []float32{0.5}, []int64{0, 2, 1, 3}, true},
		"axis":       {2, []float32{0.5}, []int64{0, 2, 1, 3}, false},
		"scale":      {-1, []float32{0.5, 0.25, 0.5, 0.5}, []int64{0, 2, 1, 3}, false},
		"out layout": {-1, []float32{0.5}, []int64{0, 1, 2, 3}, false},
	} {
		b, out := attnGraph(tc.axis, tc.scale, tc.perm)
		fm, _, err := importGraph(b.model(out, 1, 4, 8), Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := strings.Contains(kinds(fm), "attention"); got != tc.fused {
			t.Errorf("%s: nodes %q, fused %v, want %v", name, kinds(fm), got, tc.fused)
		}
		if !tc.fused {
			continue
		}
		if kinds(fm) != "attention" {
			t.Errorf("%s: nodes %q, want the attention node alone (the head layouts pruned)", name, kinds(fm))
		}
		ref, _, err := importGraph(b.model(out, 1, 4, 8), Options{Unfused: true})
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float64, 32)
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
		y, w := got[fm.Graph.Outputs[0]], want[ref.Graph.Outputs[0]]
		for i := range w {
			if math.Abs(y[i]-w[i]) > 1e-12 {
				t.Fatalf("%s: output %d = %v, op by op %v", name, i, y[i], w[i])
			}
		}
	}
}
