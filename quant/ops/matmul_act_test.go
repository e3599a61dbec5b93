package ops_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// MatMul of two activations matches the naive triple loop (batch axes
// broadcast), in floats and in integers before the requantization.
func TestMatMulActMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(63, 4))
	a, b := randTensor(rng, 1, 2, 3, 4), randTensor(rng, 1, 4, 5)
	got, err := (&ops.MatMul{}).Eval([]*quant.FloatTensor{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if s := got[0].Shape; len(s) != 3 || s[0] != 2 || s[1] != 3 || s[2] != 5 {
		t.Fatalf("shape %v", s)
	}
	for t0 := range 2 {
		for i := range 3 {
			for j := range 5 {
				want := 0.0
				for e := range 4 {
					want += a.Data[t0*12+i*4+e] * b.Data[e*5+j]
				}
				if g := got[0].Data[t0*15+i*5+j]; math.Abs(g-want) > 1e-12 {
					t.Fatalf("[%d %d %d] = %v, want %v", t0, i, j, g, want)
				}
			}
		}
	}
	in := []quant.Value{{Shape: a.Shape, Frac: 7, Lo: -128, Hi: 127}, {Shape: b.Shape, Frac: 6, Lo: -128, Hi: 127}}
	out := []quant.Value{{Shape: got[0].Shape, Frac: 5}}
	q, err := (&ops.MatMul{}).Quantize(in, out)
	if err != nil {
		t.Fatal(err)
	}
	if q.(*ops.QMatMul).Shift != 8 {
		t.Fatalf("shift %d, want 8", q.(*ops.QMatMul).Shift)
	}
	ai := &quant.Tensor{Shape: a.Shape, Data: make([]int64, 24)}
	bi := &quant.Tensor{Shape: b.Shape, Data: make([]int64, 20)}
	for i := range ai.Data {
		ai.Data[i] = rng.Int64N(256) - 128
	}
	for i := range bi.Data {
		bi.Data[i] = rng.Int64N(256) - 128
	}
	y, err := q.Forward([]*quant.Tensor{ai, bi}, out)
	if err != nil {
		t.Fatal(err)
	}
	for t0 := range 2 {
		for i := range 3 {
			for j := range 5 {
				var acc int64
				for e := range 4 {
					acc += ai.Data[t0*12+i*4+e] * bi.Data[e*5+j]
				}
				if want := quant.Requantize(acc, 1, 8, -128, 127); y[0].Data[t0*15+i*5+j] != want {
					t.Fatalf("integer [%d %d %d] = %d, want %d", t0, i, j, y[0].Data[t0*15+i*5+j], want)
				}
			}
		}
	}
	// the output is never finer than fa + fb
	if f := (&ops.MatMul{}).OutFracs([]int{3, 2}, []float64{0.001}); f[0] != 5 {
		t.Fatalf("out frac %d, want 5", f[0])
	}
}

func TestMatMulActHostile(t *testing.T) {
	rng := rand.New(rand.NewPCG(63, 5))
	acc := hostileOps(t, rng, 20000, func() (quant.Op, []quant.Value, []quant.Value) {
		q := &ops.QMatMul{Shift: uint(hostilePick(rng, 0, 1, 5, 48, 49, 1<<40))}
		var in []quant.Value
		for range 1 + rng.IntN(3) {
			s := hostileShape(rng)
			if rng.IntN(10) == 0 {
				s = []int{1 << 12, 1 << 10}
			}
			in = append(in, hostileValue(rng, s))
		}
		if len(in) >= 2 && rng.IntN(2) == 0 && len(in[0].Shape) >= 2 {
			// shapes that multiply
			k := in[0].Shape[len(in[0].Shape)-1]
			in[1].Shape = []int{k, 1 + rng.IntN(3)}
		}
		out := []quant.Value{hostileValue(rng, hostileShape(rng))}
		if len(in) == 2 && rng.IntN(2) == 0 {
			if s, err := (&ops.MatMul{}).OutShapes([][]int{in[0].Shape, in[1].Shape}); err == nil {
				out[0].Shape, out[0].Lo, out[0].Hi = s[0], -128, 127
				out[0].Frac = in[0].Frac + in[1].Frac - int(q.Shift)
			}
		}
		return q, in, out
	})
	if acc["matmul"] == 0 {
		t.Fatal("no matmul accepted")
	}
}
