package ops_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Hostile attributes and formats: for random ops of this family on random
// small values, Check never panics, and whatever it accepts runs Forward
// without panicking, with outputs of the output's size within its bounds.
func TestNormOpsHostileAttributes(t *testing.T) {
	rng := rand.New(rand.NewPCG(48, 1))
	pick := func(v ...int64) int64 { return v[rng.IntN(len(v))] }
	small := func() int64 { return pick(-1, 0, 1, 2, 3, 5, 7, 8, 24, 25, 64, 127, 128, -128, 1<<16, 1<<40, -1<<62) }
	ptr := func(v int64) *int64 { return &v }
	shape := func() []int {
		s := make([]int, rng.IntN(4))
		for i := range s {
			s[i] = 1 + rng.IntN(4)
		}
		return s
	}
	value := func(s []int) quant.Value {
		lo := pick(-128, -1, 0, 1)
		hi := pick(1, 127, 2, 0)
		return quant.Value{Shape: s, Frac: int(pick(0, 3, 7, 12, -2, 30)), Lo: lo, Hi: hi}
	}
	gamma := func(d int) []int64 {
		g := make([]int64, max(0, d+int(pick(0, 0, 0, -1, 1))))
		for i := range g {
			g[i] = small()
		}
		return g
	}
	gen := func() (quant.Op, []quant.Value, []quant.Value) {
		for {
			x := shape()
			d := 1
			if len(x) > 0 {
				d = x[len(x)-1]
			}
			var op quant.Op
			nIn := 1
			switch rng.IntN(7) {
			case 0:
				op = &ops.QLayerNorm{LayerNorm: quant.LayerNorm{D: int(pick(int64(d), 0, 5, 1<<30)), Gamma: gamma(d), Beta: gamma(d), Mult: small(), Shift: uint(pick(0, 5, 49)), K: uint(pick(int64(quant.LNK(d)), 0, 70)), Eps: small()}}
			case 1:
				op = &ops.QRMSNorm{D: int(pick(int64(d), 0, 5)), Gamma: gamma(d), Mult: small(), Shift: uint(pick(0, 5, 49)), K: uint(pick(int64(quant.LNK(d)), 3)), Eps: small()}
			case 2:
				op = &ops.QSoftmax{InFrac: int(pick(0, 3, 7, -2, 99))}
			case 3:
				axes := []int{}
				for range rng.IntN(3) {
					axes = append(axes, int(pick(-1, 0, 1, 2, 3, 9)))
				}
				op = &ops.QReduce{Op: []string{"sum", "mean", "max", "min", "prod"}[rng.IntN(5)], Axes: axes, KeepDims: rng.IntN(2) == 0, Mult: small(), Shift: uint(pick(0, 3, 60))}
			case 4:
				op, nIn = &ops.QMinMax{Op: []string{"max", "min", "x"}[rng.IntN(3)], ShiftA: uint(pick(0, 1, 7, 30)), ShiftB: uint(pick(0, 2, 99))}, 2
			case 5:
				q := &ops.QCompare{Op: []string{"less", "equal", "greater_equal", "ne"}[rng.IntN(4)], ShiftA: uint(pick(0, 1, 30)), ShiftB: uint(pick(0, 3))}
				nIn = 2
				if rng.IntN(2) == 0 {
					q.Const, nIn = ptr(small()), 1
				}
				op = q
			default:
				q := &ops.QWhere{ShiftA: uint(pick(0, 1, 30)), ShiftB: uint(pick(0, 3))}
				nIn = 3
				switch rng.IntN(4) {
				case 0:
					q.ConstA, nIn = ptr(small()), 2
				case 1:
					q.ConstB, nIn = ptr(small()), 2
				case 2:
					q.ConstA, q.ConstB, nIn = ptr(small()), ptr(small()), 1
				}
				op = q
			}
			in := []quant.Value{value(x)}
			for range nIn - 1 + rng.IntN(2) - rng.IntN(2) {
				s := x
				if rng.IntN(3) == 0 {
					s = shape()
				}
				in = append(in, value(s))
			}
			outShape := x
			if rng.IntN(3) == 0 {
				outShape = shape()
			}
			out := []quant.Value{value(outShape)}
			if rng.IntN(4) == 0 {
				out = append(out, value(x))
			}
			if rng.IntN(2) == 0 {
				// A valid node from the float op, with its formats perturbed.
				if op, in, out = validNode(rng, x); op == nil {
					continue
				}
				switch rng.IntN(6) {
				case 0:
					in[rng.IntN(len(in))].Frac += int(pick(-1, 1, 9))
				case 1:
					v := &in[rng.IntN(len(in))]
					v.Lo, v.Hi = pick(-128, 0, 1, -5), pick(127, 1, 3)
				case 2:
					out[0].Lo, out[0].Hi = pick(-128, 0, -1), pick(127, 1, 2)
				case 3:
					out[0].Frac += int(pick(-1, 1))
				}
			}
			return op, in, out
		}
	}
	accepted := hostileOps(t, rng, 20000, gen)
	t.Logf("accepted: %v", fmt.Sprint(accepted))
}

// validNode returns a node of a random op of the family, quantized from its
// float op on inputs of shape x at random formats.
func validNode(rng *rand.Rand, x []int) (quant.Op, []quant.Value, []quant.Value) {
	if len(x) == 0 {
		return nil, nil, nil
	}
	d := x[len(x)-1]
	v := func() quant.Value {
		lo, hi := int64(-128), int64(127)
		if rng.IntN(3) == 0 {
			lo, hi = 0, 1
		}
		return quant.Value{Shape: x, Frac: rng.IntN(12) - 2, Lo: lo, Hi: hi}
	}
	tensor := func(n int) *quant.FloatTensor {
		t := &quant.FloatTensor{Shape: []int{n}, Data: make([]float64, n)}
		for i := range t.Data {
			t.Data[i] = rng.Float64()*2 - 1
		}
		return t
	}
	c := rng.Float64()*8 - 4
	var f quant.FloatOp
	n := 1
	switch rng.IntN(8) {
	case 0:
		f = ops.NewLayerNorm(tensor(d), tensor(d), 1e-5)
	case 1:
		f = ops.NewRMSNorm(tensor(d), 1e-6)
	case 2:
		f = &ops.Softmax{}
	case 3:
		axes := []int{rng.IntN(len(x))}
		f = &ops.Reduce{Op: []string{"sum", "mean", "max", "min"}[rng.IntN(4)], Axes: axes, KeepDims: rng.IntN(2) == 0}
	case 4:
		f, n = &ops.MinMax{Op: []string{"max", "min"}[rng.IntN(2)]}, 2
	case 5:
		f, n = &ops.Compare{Op: "less_equal"}, 2
	case 6:
		f = &ops.Compare{Op: "greater", Const: &c}
	default:
		f, n = &ops.Where{}, 3
		if rng.IntN(2) == 0 {
			f, n = &ops.Where{Y: &c}, 2
		}
	}
	in := make([]quant.Value, n)
	shapes := make([][]int, n)
	for k := range in {
		in[k], shapes[k] = v(), x
	}
	if _, isWhere := f.(*ops.Where); isWhere {
		in[0].Lo, in[0].Hi = 0, 1
	}
	os, err := f.OutShapes(shapes)
	if err != nil {
		return nil, nil, nil
	}
	out := []quant.Value{{Shape: os[0], Frac: f.OutFracs([]int{in[0].Frac, in[n-1].Frac, in[n-1].Frac}[:n], []float64{1})[0], Lo: -128, Hi: 127}}
	op, err := f.Quantize(in, out)
	if err != nil {
		return nil, nil, nil
	}
	return op, in, out
}
