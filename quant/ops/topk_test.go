package ops_test

import (
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// TopK matches a stable descending sort on every axis, in floats and in
// integers (ties by index).
func TestTopKMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(69, 3))
	shape := []int{2, 3, 5}
	x := &quant.Tensor{Shape: shape, Data: make([]int64, 30)}
	xf := &quant.FloatTensor{Shape: shape, Data: make([]float64, 30)}
	for i := range x.Data {
		x.Data[i] = rng.Int64N(5) - 2
		xf.Data[i] = float64(x.Data[i])
	}
	for axis := 0; axis < 3; axis++ {
		k := min(2, shape[axis])
		tk := &ops.TopK{K: k, Axis: axis}
		f, err := tk.Eval([]*quant.FloatTensor{xf})
		if err != nil {
			t.Fatal(err)
		}
		in := []quant.Value{{Shape: shape, Frac: 3, Lo: -128, Hi: 127}}
		out := []quant.Value{{Shape: f[0].Shape}, {Shape: f[1].Shape}}
		q, err := tk.Quantize(in, out)
		if err != nil {
			t.Fatal(err)
		}
		y, err := q.Forward([]*quant.Tensor{x}, out)
		if err != nil {
			t.Fatal(err)
		}
		os := f[0].Shape
		for _, c := range cnnCoords(os) {
			if c[axis] != 0 {
				continue
			}
			order := make([]int, shape[axis])
			for j := range order {
				order[j] = j
			}
			at := func(j int) int64 {
				cc := slices.Clone(c)
				cc[axis] = j
				return x.Data[cnnAt(shape, cc)]
			}
			sort.SliceStable(order, func(a, b int) bool { return at(order[a]) > at(order[b]) })
			for r := 0; r < k; r++ {
				cc := slices.Clone(c)
				cc[axis] = r
				p := cnnAt(os, cc)
				if y[0].Data[p] != at(order[r]) || y[1].Data[p] != int64(order[r]) || f[1].Data[p] != float64(order[r]) {
					t.Fatalf("axis %d at %v rank %d: %d@%d, want %d@%d", axis, c, r, y[0].Data[p], y[1].Data[p], at(order[r]), order[r])
				}
			}
		}
	}
}

func TestTopKHostile(t *testing.T) {
	rng := rand.New(rand.NewPCG(69, 4))
	acc := hostileOps(t, rng, 20000, func() (quant.Op, []quant.Value, []quant.Value) {
		tk := &ops.TopK{K: int(hostilePick(rng, 0, 1, 2, 3, 200, 1<<40)), Axis: int(hostilePick(rng, -1, 0, 1, 3, -9))}
		x := hostileShape(rng)
		if rng.IntN(8) == 0 {
			x = []int{2, 300}
		}
		in := []quant.Value{hostileValue(rng, x)}
		if rng.IntN(6) == 0 {
			in = append(in, hostileValue(rng, x))
		}
		out := []quant.Value{hostileValue(rng, hostileShape(rng))}
		if s, err := tk.OutShapes([][]int{x}); err == nil && rng.IntN(3) > 0 {
			out = []quant.Value{in[0], {Shape: s[1], Lo: 0, Hi: hostilePick(rng, 1, 2, 3)}}
			out[0].Shape = s[0]
		}
		return tk, in, out
	})
	if acc["topk"] == 0 {
		t.Fatal("no topk accepted")
	}
}
