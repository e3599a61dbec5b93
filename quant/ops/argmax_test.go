package ops_test

import (
	"math/rand/v2"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// ArgMax matches a naive first-index argmax on every axis, in floats and in
// integers (with ties), and refuses axes longer than 128.
func TestArgMaxMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(65, 1))
	shape := []int{2, 3, 4}
	x := &quant.Tensor{Shape: shape, Data: make([]int64, 24)}
	for i := range x.Data {
		x.Data[i] = rng.Int64N(4) - 2 // many ties
	}
	xf := &quant.FloatTensor{Shape: shape, Data: make([]float64, 24)}
	for i, v := range x.Data {
		xf.Data[i] = float64(v)
	}
	for axis := -3; axis < 3; axis++ {
		for _, keep := range []bool{false, true} {
			a := &ops.ArgMax{Axis: axis, KeepDims: keep}
			ax := (axis + 3) % 3
			got, err := a.Eval([]*quant.FloatTensor{xf})
			if err != nil {
				t.Fatal(err)
			}
			in := []quant.Value{{Shape: shape, Frac: 3, Lo: -128, Hi: 127}}
			out := []quant.Value{{Shape: got[0].Shape}}
			q, err := a.Quantize(in, out)
			if err != nil {
				t.Fatal(err)
			}
			if out[0].Lo != 0 || out[0].Hi != int64(shape[ax]-1) || out[0].Frac != 0 {
				t.Fatalf("output format %+v", out[0])
			}
			yi, err := q.Forward([]*quant.Tensor{x}, out)
			if err != nil {
				t.Fatal(err)
			}
			k := 0
			for _, c := range cnnCoords(shape) {
				if c[ax] != 0 {
					continue
				}
				best := 0
				for j := 1; j < shape[ax]; j++ {
					cj, cb := append([]int{}, c...), append([]int{}, c...)
					cj[ax], cb[ax] = j, best
					if x.Data[cnnAt(shape, cj)] > x.Data[cnnAt(shape, cb)] {
						best = j
					}
				}
				if got[0].Data[k] != float64(best) || yi[0].Data[k] != int64(best) {
					t.Fatalf("axis %d at %v: float %v, int %d, want %d", axis, c, got[0].Data[k], yi[0].Data[k], best)
				}
				k++
			}
		}
	}
	if _, err := (&ops.ArgMax{Axis: 1}).OutShapes([][]int{{2, 129}}); err == nil {
		t.Fatal("an axis of 129 values was accepted")
	}
	if _, err := (&ops.ArgMax{Axis: 1}).OutShapes([][]int{{2, 128}}); err != nil {
		t.Fatal(err)
	}
}

func TestArgMaxHostile(t *testing.T) {
	rng := rand.New(rand.NewPCG(65, 2))
	acc := hostileOps(t, rng, 20000, func() (quant.Op, []quant.Value, []quant.Value) {
		a := &ops.ArgMax{Axis: int(hostilePick(rng, -4, -1, 0, 1, 2, 3, 1<<40)), KeepDims: rng.IntN(2) == 0}
		var in []quant.Value
		for range rng.IntN(3) {
			s := hostileShape(rng)
			if rng.IntN(8) == 0 {
				s = []int{2, 200}
			}
			in = append(in, hostileValue(rng, s))
		}
		out := []quant.Value{hostileValue(rng, hostileShape(rng))}
		if len(in) == 1 && rng.IntN(2) == 0 {
			if s, err := a.OutShapes([][]int{in[0].Shape}); err == nil {
				out[0] = quant.Value{Shape: s[0], Lo: 0, Hi: hostilePick(rng, 1, 2, 3)}
			}
		}
		return a, in, out
	})
	if acc["argmax"] == 0 {
		t.Fatal("no argmax accepted")
	}
}
