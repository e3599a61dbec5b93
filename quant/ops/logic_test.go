package ops_test

import (
	"math/rand/v2"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Logic matches Go's boolean operators, in floats (broadcast) and in
// integers, and refuses inputs that are not booleans exactly.
func TestLogicMatchesNaive(t *testing.T) {
	naive := map[string]func(a, b bool) bool{
		"not": func(a, _ bool) bool { return !a },
		"and": func(a, b bool) bool { return a && b },
		"or":  func(a, b bool) bool { return a || b },
		"xor": func(a, b bool) bool { return a != b },
	}
	a := &quant.FloatTensor{Shape: []int{2, 2}, Data: []float64{0, 1, 1, 0}}
	b := &quant.FloatTensor{Shape: []int{2}, Data: []float64{0, 1}}
	for op, f := range naive {
		l := &ops.Logic{Op: op}
		in := []*quant.FloatTensor{a, b}
		vin := []quant.Value{{Shape: a.Shape, Lo: 0, Hi: 1}, {Shape: b.Shape, Lo: 0, Hi: 1}}
		if op == "not" {
			in, vin = in[:1], vin[:1]
		}
		got, err := l.Eval(in)
		if err != nil {
			t.Fatal(err)
		}
		out := []quant.Value{{Shape: []int{2, 2}}}
		q, err := l.Quantize(vin, out)
		if err != nil {
			t.Fatal(err)
		}
		ts := []*quant.Tensor{{Shape: a.Shape, Data: []int64{0, 1, 1, 0}}, {Shape: b.Shape, Data: []int64{0, 1}}}
		yi, err := q.Forward(ts[:len(vin)], out)
		if err != nil {
			t.Fatal(err)
		}
		for p := range 4 {
			want := 0.0
			if f(a.Data[p] != 0, b.Data[p%2] != 0) {
				want = 1
			}
			if got[0].Data[p] != want || float64(yi[0].Data[p]) != want {
				t.Fatalf("%s at %d: float %v, int %d, want %v", op, p, got[0].Data[p], yi[0].Data[p], want)
			}
		}
		for _, bad := range []quant.Value{{Shape: a.Shape, Lo: -1, Hi: 1}, {Shape: a.Shape, Lo: 0, Hi: 2}, {Shape: a.Shape, Frac: 1, Lo: 0, Hi: 1}, {Shape: a.Shape, DType: quant.DTypeIndex, Lo: 0, Hi: 1}} {
			vbad := append([]quant.Value{bad}, vin[1:]...)
			if q.Check(vbad, out) == nil {
				t.Errorf("%s accepted a non-boolean input %+v", op, bad)
			}
		}
		if c := q.Cost(vin, out); (op == "not") != (c.R1CS == 0) {
			t.Errorf("%s costs %+v", op, c)
		}
	}
}

func TestLogicHostile(t *testing.T) {
	rng := rand.New(rand.NewPCG(62, 1))
	acc := hostileOps(t, rng, 20000, func() (quant.Op, []quant.Value, []quant.Value) {
		op := &ops.Logic{Op: []string{"not", "and", "or", "xor", "nand", ""}[rng.IntN(6)]}
		x := hostileShape(rng)
		var in []quant.Value
		for range rng.IntN(4) {
			v := hostileValue(rng, x)
			if rng.IntN(3) == 0 {
				v.Shape = hostileShape(rng)
			}
			if rng.IntN(2) == 0 {
				v.Frac, v.Lo, v.Hi = 0, 0, 1
			}
			in = append(in, v)
		}
		out := []quant.Value{{Shape: x, Lo: 0, Hi: 1}}
		if rng.IntN(3) == 0 {
			out[0] = hostileValue(rng, hostileShape(rng))
		}
		return op, in, out
	})
	if acc["logic"] == 0 {
		t.Fatal("no logic op accepted")
	}
}
