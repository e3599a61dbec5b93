package ops_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Reductions of a [2, 3, 4] tensor against nested loops.
func TestReduceFloatMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 1))
	x := nmTensor(rng, 2, 2, 3, 4)
	at := func(i, j, k int) float64 { return x.Data[i*12+j*4+k] }
	for _, c := range []struct {
		axes  []int
		keep  bool
		shape []int
	}{
		{[]int{0, 2}, false, []int{3}}, {[]int{-1}, true, []int{2, 3, 1}}, {nil, false, []int{}}, {[]int{1}, false, []int{2, 4}}, {nil, true, []int{1, 1, 1}},
	} {
		for _, op := range []string{"sum", "mean", "max", "min"} {
			r := &ops.Reduce{Op: op, Axes: c.axes, KeepDims: c.keep}
			shapes, err := r.OutShapes([][]int{x.Shape})
			if err != nil || !slices.Equal(shapes[0], c.shape) {
				t.Fatalf("%s over %v: shape %v (%v), want %v", op, c.axes, shapes, err, c.shape)
			}
			y, err := r.Eval([]*quant.FloatTensor{x})
			if err != nil {
				t.Fatal(err)
			}
			red := map[int]bool{}
			for _, a := range c.axes {
				red[(a+3)%3] = true
			}
			if len(c.axes) == 0 {
				red = map[int]bool{0: true, 1: true, 2: true}
			}
			// naive: accumulate every element into its output slot.
			acc := map[[3]int][]float64{}
			for i := 0; i < 2; i++ {
				for j := 0; j < 3; j++ {
					for k := 0; k < 4; k++ {
						key := [3]int{i, j, k}
						for a := range key {
							if red[a] {
								key[a] = 0
							}
						}
						acc[key] = append(acc[key], at(i, j, k))
					}
				}
			}
			var want []float64
			for i := 0; i < 2; i++ {
				for j := 0; j < 3; j++ {
					for k := 0; k < 4; k++ {
						vs, ok := acc[[3]int{i, j, k}]
						if !ok {
							continue
						}
						v := vs[0]
						s := 0.0
						for _, e := range vs {
							s += e
							if op == "max" {
								v = math.Max(v, e)
							} else if op == "min" {
								v = math.Min(v, e)
							}
						}
						switch op {
						case "sum":
							v = s
						case "mean":
							v = s / float64(len(vs))
						}
						want = append(want, v)
					}
				}
			}
			if len(want) != len(y[0].Data) {
				t.Fatalf("%s over %v: %d values, naive %d", op, c.axes, len(y[0].Data), len(want))
			}
			for i := range want {
				if math.Abs(want[i]-y[0].Data[i]) > 1e-12 {
					t.Fatalf("%s over %v: value %d = %v, naive %v", op, c.axes, i, y[0].Data[i], want[i])
				}
			}
		}
	}
}

func TestMinMaxFloatAndAlign(t *testing.T) {
	a := &quant.FloatTensor{Shape: []int{2, 1}, Data: []float64{1, -2}}
	b := &quant.FloatTensor{Shape: []int{3}, Data: []float64{0, 1.5, -3}}
	y, err := (&ops.MinMax{Op: "max"}).Eval([]*quant.FloatTensor{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if want := []float64{1, 1.5, 1, 0, 1.5, -2}; !slices.Equal(y[0].Data, want) {
		t.Fatalf("max %v, want %v", y[0].Data, want)
	}
	// Align rounds half up, like every requantization.
	for _, c := range [][3]int64{{5, 1, 3}, {-5, 1, -2}, {-128, 1, -64}, {127, 1, 64}, {127, 8, 0}, {-128, 8, -0}, {7, 0, 7}, {-6, 2, -1}} {
		if got := ops.Align(c[0], uint(c[1])); got != c[2] {
			t.Errorf("Align(%d, %d) = %d, want %d", c[0], c[1], got, c[2])
		}
	}
}
