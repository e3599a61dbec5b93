package ops_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

type poolCase struct {
	name           string
	n, c, h, w     int
	kh, kw, sh, sw int
	dh, dw         int
	pads           [4]int
	global, incl   bool
}

var poolCases = []poolCase{
	{name: "2x2", n: 1, c: 2, h: 6, w: 6, kh: 2, kw: 2, sh: 2, sw: 2, dh: 1, dw: 1},
	{name: "3x3-pad", n: 2, c: 2, h: 5, w: 7, kh: 3, kw: 3, sh: 2, sw: 2, dh: 1, dw: 1, pads: [4]int{1, 1, 1, 1}},
	{name: "3x3-pad-incl", n: 1, c: 3, h: 5, w: 4, kh: 3, kw: 2, sh: 1, sw: 2, dh: 1, dw: 1, pads: [4]int{1, 0, 1, 1}, incl: true},
	{name: "dilated", n: 1, c: 1, h: 7, w: 7, kh: 2, kw: 3, sh: 1, sw: 2, dh: 2, dw: 2, pads: [4]int{0, 1, 1, 0}},
	{name: "global", n: 2, c: 3, h: 4, w: 5, global: true},
}

func (tc poolCase) op(isMax bool) *ops.Pool {
	win := ops.Window{}
	if !tc.global {
		win = ops.Window{Kernel: []int{tc.kh, tc.kw}, Strides: []int{tc.sh, tc.sw}, Dilations: []int{tc.dh, tc.dw}, Pads: tc.pads[:]}
	}
	if isMax {
		return ops.NewMaxPool(win, tc.global)
	}
	return ops.NewAvgPool(win, tc.global, tc.incl)
}

func naivePool(tc poolCase, x []float64, isMax bool) (oh, ow int, y []float64) {
	if tc.global {
		tc.kh, tc.kw, tc.sh, tc.sw, tc.dh, tc.dw = tc.h, tc.w, 1, 1, 1, 1
	}
	oh = (tc.h+tc.pads[0]+tc.pads[2]-(tc.kh-1)*tc.dh-1)/tc.sh + 1
	ow = (tc.w+tc.pads[1]+tc.pads[3]-(tc.kw-1)*tc.dw-1)/tc.sw + 1
	for nc := 0; nc < tc.n*tc.c; nc++ {
		for h := 0; h < oh; h++ {
			for v := 0; v < ow; v++ {
				m, s, cnt := math.Inf(-1), 0.0, 0
				for kh := 0; kh < tc.kh; kh++ {
					for kw := 0; kw < tc.kw; kw++ {
						ih, iw := h*tc.sh-tc.pads[0]+kh*tc.dh, v*tc.sw-tc.pads[1]+kw*tc.dw
						if ih < 0 || ih >= tc.h || iw < 0 || iw >= tc.w {
							continue
						}
						e := x[(nc*tc.h+ih)*tc.w+iw]
						m, s, cnt = math.Max(m, e), s+e, cnt+1
					}
				}
				if tc.incl {
					cnt = tc.kh * tc.kw
				}
				if isMax {
					y = append(y, m)
				} else {
					y = append(y, s/float64(cnt))
				}
			}
		}
	}
	return oh, ow, y
}

func TestPoolMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for _, tc := range poolCases {
		for _, isMax := range []bool{true, false} {
			x := randTensor(rng, 1, tc.n, tc.c, tc.h, tc.w)
			op := tc.op(isMax)
			got, err := op.Eval([]*quant.FloatTensor{x})
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			oh, ow, want := naivePool(tc, x.Data, isMax)
			if !slices.Equal(got[0].Shape, []int{tc.n, tc.c, oh, ow}) {
				t.Fatalf("%s: shape %v", tc.name, got[0].Shape)
			}
			for i := range want {
				if math.Abs(got[0].Data[i]-want[i]) > 1e-12 {
					t.Fatalf("%s max=%v: output %d = %v, want %v", tc.name, isMax, i, got[0].Data[i], want[i])
				}
			}
			// Integers: max is exact; the average is the float average of
			// the integers, rounded half up at the output's fraction.
			fi := 5
			in := quant.Value{Shape: x.Shape, Frac: fi, Lo: -128, Hi: 127}
			fo := op.OutFracs([]int{fi}, []float64{2})[0]
			out := []quant.Value{{Shape: got[0].Shape, Frac: fo}}
			q, err := op.Quantize([]quant.Value{in}, out)
			if err != nil {
				t.Fatal(err)
			}
			if err := q.Check([]quant.Value{in}, out); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			xi := make([]int64, len(x.Data))
			xf := make([]float64, len(x.Data))
			for i := range xi {
				xi[i] = rng.Int64N(256) - 128
				xf[i] = float64(xi[i])
			}
			res, err := q.Forward([]*quant.Tensor{{Shape: x.Shape, Data: xi}}, out)
			if err != nil {
				t.Fatal(err)
			}
			_, _, ref := naivePool(tc, xf, isMax)
			for i, r := range ref {
				if isMax {
					if res[0].Data[i] != int64(r) {
						t.Fatalf("%s: max %d = %d, want %v", tc.name, i, res[0].Data[i], r)
					}
					continue
				}
				want := math.Max(-128, math.Min(127, math.Floor(math.Ldexp(r, fo-fi)+0.5)))
				if d := math.Abs(float64(res[0].Data[i]) - want); d > 1 || (d > 0 && math.Abs(want) == 127) || (d > 0 && math.Abs(math.Ldexp(r, fo-fi)-math.Floor(math.Ldexp(r, fo-fi))-0.5) > 0.01) {
					t.Fatalf("%s: average %d = %d, want %v (exact %v)", tc.name, i, res[0].Data[i], want, math.Ldexp(r, fo-fi))
				}
			}
		}
	}
}

func TestPoolRefuses(t *testing.T) {
	for name, p := range map[string]*ops.Pool{
		"all padding":    ops.NewMaxPool(ops.Window{Kernel: []int{2, 2}, Pads: []int{2, 0, 0, 0}}, false),
		"dilated gap":    ops.NewMaxPool(ops.Window{Kernel: []int{2, 1}, Dilations: []int{2, 1}, Pads: []int{3, 0, 0, 0}, Strides: []int{5, 1}}, false),
		"global+kernel":  ops.NewAvgPool(ops.Window{Kernel: []int{2, 2}}, true, false),
		"kernel rank":    ops.NewMaxPool(ops.Window{Kernel: []int{2}}, false),
		"too big kernel": ops.NewMaxPool(ops.Window{Kernel: []int{9, 2}}, false),
		"auto_pad":       ops.NewMaxPool(ops.Window{Kernel: []int{2, 2}, AutoPad: "SAME_MIDDLE"}, false),
	} {
		if _, err := p.OutShapes([][]int{{1, 1, 4, 4}}); err == nil {
			t.Errorf("%s: accepted", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}
