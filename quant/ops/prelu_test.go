package ops_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// PRelu matches the naive definition in floats; in integers it keeps
// non-negative values and requantizes x·A for negative ones, with the
// multipliers within 2^−Shift of the slopes.
func TestPReluMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(64, 1))
	x := randTensor(rng, 2, 1, 3, 4)
	p := &ops.PRelu{SlopeShape: []int{3, 1}, Slope: []float64{0.25, -0.5, 1.75}}
	got, err := p.Eval([]*quant.FloatTensor{x})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range x.Data {
		want := v
		if v < 0 {
			want = v * p.Slope[(i/4)%3]
		}
		if got[0].Data[i] != want {
			t.Fatalf("%d: %v, want %v", i, got[0].Data[i], want)
		}
	}
	in := []quant.Value{{Shape: x.Shape, Frac: 5, Lo: -128, Hi: 127}}
	out := []quant.Value{{Shape: x.Shape}}
	q, err := p.Quantize(in, out)
	if err != nil {
		t.Fatal(err)
	}
	qp := q.(*ops.QPRelu)
	if qp.Shift != 14 {
		t.Fatalf("shift %d, want 14 (1.75·2^14 < 2^15)", qp.Shift)
	}
	for k, a := range p.Slope {
		if math.Abs(float64(qp.A[k])/math.Ldexp(1, int(qp.Shift))-a) > math.Ldexp(1, -int(qp.Shift)) {
			t.Fatalf("multiplier %d for slope %v", qp.A[k], a)
		}
	}
	xi := &quant.Tensor{Shape: x.Shape, Data: make([]int64, 12)}
	for i := range xi.Data {
		xi.Data[i] = []int64{-128, -1, 0, 1, 127, -77}[i%6]
	}
	y, err := q.Forward([]*quant.Tensor{xi}, out)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range xi.Data {
		want := v
		if v < 0 {
			want = quant.Requantize(v*qp.A[(i/4)%3], 1, qp.Shift, -128, 127)
		}
		if y[0].Data[i] != want {
			t.Fatalf("%d: %d, want %d", i, y[0].Data[i], want)
		}
	}
	if _, err := (&ops.PRelu{SlopeShape: []int{2}, Slope: []float64{1, 2}}).OutShapes([][]int{{1, 3, 4}}); err == nil {
		t.Fatal("a slope that does not broadcast was accepted")
	}
	if _, err := (&ops.PRelu{SlopeShape: []int{1}, Slope: []float64{1 << 16}}).OutShapes([][]int{{4}}); err == nil {
		t.Fatal("a slope of 2^16 was accepted")
	}
}

func TestPReluHostile(t *testing.T) {
	rng := rand.New(rand.NewPCG(64, 2))
	acc := hostileOps(t, rng, 20000, func() (quant.Op, []quant.Value, []quant.Value) {
		x := hostileShape(rng)
		ss := hostileShape(rng)
		if rng.IntN(2) == 0 && len(x) > 0 {
			ss = x[len(x)-1:]
		}
		a := make([]int64, max(0, quant.ShapeSize(ss)+int(hostilePick(rng, 0, 0, -1, 1))))
		for i := range a {
			a[i] = hostilePick(rng, 0, 1, -5, 1<<14, 1<<15, -(1 << 15), 1<<40)
		}
		q := &ops.QPRelu{SlopeShape: ss, A: a, Shift: uint(hostilePick(rng, 0, 7, 16, 17, 1<<40))}
		in := []quant.Value{hostileValue(rng, x)}
		if rng.IntN(5) == 0 {
			in = append(in, hostileValue(rng, x))
		}
		out := []quant.Value{{Shape: x, Frac: in[0].Frac, Lo: -128, Hi: 127}}
		if rng.IntN(3) == 0 {
			out[0] = hostileValue(rng, hostileShape(rng))
		}
		return q, in, out
	})
	if acc["prelu"] == 0 {
		t.Fatal("no prelu accepted")
	}
}
