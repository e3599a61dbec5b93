package ops_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

func TestSoftmaxFloatMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 1))
	x := nmTensor(rng, 5, 2, 3, 7)
	y, err := (&ops.Softmax{}).Eval([]*quant.FloatTensor{x})
	if err != nil {
		t.Fatal(err)
	}
	for r := 0; r < 6; r++ {
		s := 0.0
		for i := 0; i < 7; i++ {
			s += math.Exp(x.Data[r*7+i])
		}
		for i := 0; i < 7; i++ {
			if want := math.Exp(x.Data[r*7+i]) / s; math.Abs(y[0].Data[r*7+i]-want) > 1e-12 {
				t.Fatalf("row %d value %d: %v, naive %v", r, i, y[0].Data[r*7+i], want)
			}
		}
	}
}

// The integer softmax is quant.SoftmaxRow at 12 bits requantized to frac 7,
// within a step or two of the float probabilities on the input's grid.
func TestSoftmaxInteger(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 2))
	for _, frac := range []int{-2, 0, 3, 5, 7, 12} {
		q := &ops.QSoftmax{InFrac: frac}
		tab := q.ExpTable()
		if len(tab) != 256 {
			t.Fatalf("exp table of %d entries", len(tab))
		}
		for range 50 {
			n := 1 + rng.IntN(12)
			x := make([]int64, n)
			for i := range x {
				x[i] = rng.Int64N(256) - 128
			}
			p := q.Row(x, tab)
			p12, _, _, _ := quant.SoftmaxRow(x, tab)
			fx := make([]float64, n)
			for i := range x {
				fx[i] = quant.DequantizeValue(x[i], frac)
			}
			fp, _ := (&ops.Softmax{}).Eval([]*quant.FloatTensor{{Shape: []int{n}, Data: fx}})
			for i := range p {
				if p[i] != quant.Requantize(p12[i], 1, quant.ProbFrac-ops.SoftmaxFrac, 0, 127) || p[i] < 0 || p[i] > 127 {
					t.Fatalf("frac %d row %v: %v", frac, x, p)
				}
				if d := math.Abs(quant.DequantizeValue(p[i], ops.SoftmaxFrac) - fp[0].Data[i]); d > 2.0/128 {
					t.Fatalf("frac %d row %v: probability %d is %v, float %v", frac, x, i, p[i], fp[0].Data[i])
				}
			}
		}
	}
}
