package ops_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// at returns the row-major offset of coordinates c in shape s.
func cnnAt(s, c []int) int {
	off := 0
	for a := range s {
		off = off*s[a] + c[a]
	}
	return off
}

// coords enumerates the coordinates of shape s in row-major order.
func cnnCoords(s []int) [][]int {
	var out [][]int
	c := make([]int, len(s))
	for k := 0; k < quant.ShapeSize(s); k++ {
		out = append(out, slices.Clone(c))
		for a := len(s) - 1; a >= 0; a-- {
			c[a]++
			if c[a] < s[a] {
				break
			}
			c[a] = 0
		}
	}
	return out
}

func TestPadMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	x := randTensor(rng, 1, 2, 3, 4)
	p := &ops.Pad{Pads: []int{0, 1, -1, 1, 0, 2}}
	got, err := p.Eval([]*quant.FloatTensor{x})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got[0].Shape, []int{3, 4, 5}) {
		t.Fatalf("shape %v", got[0].Shape)
	}
	for k, c := range cnnCoords(got[0].Shape) {
		src := []int{c[0] - 0, c[1] - 1, c[2] + 1}
		want := 0.0
		if src[0] < 2 && src[1] >= 0 && src[1] < 3 && src[2] < 4 {
			want = x.Data[cnnAt(x.Shape, src)]
		}
		if got[0].Data[k] != want {
			t.Fatalf("pad %v = %v, want %v", c, got[0].Data[k], want)
		}
	}
	in := quant.Value{Shape: x.Shape, Frac: 4, Lo: 0, Hi: 127}
	out := []quant.Value{{Shape: got[0].Shape}}
	q, err := p.Quantize([]quant.Value{in}, out)
	if err != nil || q.Check([]quant.Value{in}, out) != nil || out[0].Lo != 0 || out[0].Frac != 4 {
		t.Fatalf("quantize: %v %+v", err, out[0])
	}
	for name, bad := range map[string]*ops.Pad{
		"reflect":  {Pads: []int{0, 0, 0, 0, 0, 0}, Mode: "reflect"},
		"value":    {Pads: []int{0, 0, 0, 0, 0, 0}, Value: 1},
		"rank":     {Pads: []int{1, 1}},
		"crop all": {Pads: []int{0, 0, -2, 0, 0, -2}},
		"huge":     {Pads: []int{0, 0, 1 << 40, 0, 0, 0}},
	} {
		if _, err := bad.OutShapes([][]int{x.Shape}); err == nil {
			t.Errorf("%s: accepted", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

func TestSliceMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	x := randTensor(rng, 1, 3, 5, 6)
	for _, tc := range []struct {
		s    ops.Slice
		axis [3][3]int // per axis: start, step, count
	}{
		{ops.Slice{Starts: []int64{1}, Ends: []int64{3}}, [3][3]int{{1, 1, 2}, {0, 1, 5}, {0, 1, 6}}},
		{ops.Slice{Starts: []int64{-1, 0}, Ends: []int64{-100, 1 << 62}, Axes: []int64{2, -2}, Steps: []int64{-2, 2}}, [3][3]int{{0, 1, 3}, {0, 2, 3}, {5, -2, 3}}},
		{ops.Slice{Starts: []int64{2}, Ends: []int64{-1}, Axes: []int64{1}}, [3][3]int{{0, 1, 3}, {2, 1, 2}, {0, 1, 6}}},
		{ops.Slice{Starts: []int64{10}, Ends: []int64{0}, Axes: []int64{2}, Steps: []int64{-1}}, [3][3]int{{0, 1, 3}, {0, 1, 5}, {5, -1, 5}}},
	} {
		got, err := tc.s.Eval([]*quant.FloatTensor{x})
		if err != nil {
			t.Fatal(err)
		}
		shape := []int{tc.axis[0][2], tc.axis[1][2], tc.axis[2][2]}
		if !slices.Equal(got[0].Shape, shape) {
			t.Fatalf("%+v: shape %v, want %v", tc.s, got[0].Shape, shape)
		}
		for k, c := range cnnCoords(shape) {
			src := make([]int, 3)
			for a := range src {
				src[a] = tc.axis[a][0] + c[a]*tc.axis[a][1]
			}
			if got[0].Data[k] != x.Data[cnnAt(x.Shape, src)] {
				t.Fatalf("%+v: %v", tc.s, c)
			}
		}
		in := quant.Value{Shape: x.Shape, Frac: 4, Lo: -128, Hi: 127}
		out := []quant.Value{{Shape: shape}}
		q, err := tc.s.Quantize([]quant.Value{in}, out)
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Check([]quant.Value{in}, out); err != nil {
			t.Fatal(err)
		}
	}
	for name, bad := range map[string]ops.Slice{
		"empty":     {Starts: []int64{3}, Ends: []int64{3}},
		"step 0":    {Starts: []int64{0}, Ends: []int64{3}, Steps: []int64{0}},
		"axis":      {Starts: []int64{0}, Ends: []int64{3}, Axes: []int64{5}},
		"dup axis":  {Starts: []int64{0, 0}, Ends: []int64{3, 3}, Axes: []int64{1, -2}},
		"lengths":   {Starts: []int64{0, 0}, Ends: []int64{3}},
		"too many":  {Starts: []int64{0, 0, 0, 0}, Ends: []int64{1, 1, 1, 1}},
		"backwards": {Starts: []int64{0}, Ends: []int64{3}, Steps: []int64{-1}},
	} {
		if _, err := bad.OutShapes([][]int{x.Shape}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A hostile integer slice is refused.
	in := quant.Value{Shape: []int{3, 5, 6}, Frac: 4, Lo: -128, Hi: 127}
	for name, q := range map[string]*ops.QSlice{
		"past end":  {Starts: []int{0, 0, 4}, Steps: []int{1, 1, 1}},
		"neg start": {Starts: []int{-1, 0, 0}, Steps: []int{1, 1, 1}},
		"step 0":    {Starts: []int{0, 0, 0}, Steps: []int{1, 0, 1}},
		"rank":      {Starts: []int{0}, Steps: []int{1}},
	} {
		if err := q.Check([]quant.Value{in}, []quant.Value{{Shape: []int{3, 5, 3}, Frac: 4, Lo: -128, Hi: 127}}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestConcatMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	a, b, c := randTensor(rng, 1, 2, 3, 4), randTensor(rng, 1, 2, 1, 4), randTensor(rng, 1, 2, 2, 4)
	op := &ops.Concat{Axis: -2}
	got, err := op.Eval([]*quant.FloatTensor{a, b, c})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got[0].Shape, []int{2, 6, 4}) {
		t.Fatalf("shape %v", got[0].Shape)
	}
	for k, co := range cnnCoords(got[0].Shape) {
		var want float64
		switch {
		case co[1] < 3:
			want = a.Data[cnnAt(a.Shape, co)]
		case co[1] < 4:
			want = b.Data[cnnAt(b.Shape, []int{co[0], co[1] - 3, co[2]})]
		default:
			want = c.Data[cnnAt(c.Shape, []int{co[0], co[1] - 4, co[2]})]
		}
		if got[0].Data[k] != want {
			t.Fatalf("concat %v", co)
		}
	}
	// Integers at mixed fractions: the coarsest wins, finer inputs shift.
	in := []quant.Value{{Shape: a.Shape, Frac: 5, Lo: -128, Hi: 127}, {Shape: b.Shape, Frac: 7, Lo: 0, Hi: 127}, {Shape: c.Shape, Frac: 5, Lo: 0, Hi: 127}}
	if f := op.OutFracs([]int{5, 7, 5}, nil)[0]; f != 5 {
		t.Fatalf("out frac %d", f)
	}
	out := []quant.Value{{Shape: got[0].Shape, Frac: 5}}
	q, err := op.Quantize(in, out)
	if err != nil {
		t.Fatal(err)
	}
	if out[0].Lo != -128 || out[0].Hi != 127 || !slices.Equal(q.(*ops.QConcat).Shifts, []uint{0, 2, 0}) {
		t.Fatalf("format %+v shifts %v", out[0], q.(*ops.QConcat).Shifts)
	}
	ts := make([]*quant.Tensor, 3)
	for k, v := range in {
		ts[k] = &quant.Tensor{Shape: v.Shape, Data: make([]int64, v.Size())}
		for i := range ts[k].Data {
			ts[k].Data[i] = v.Lo + rng.Int64N(v.Hi-v.Lo+1)
		}
	}
	res, err := q.Forward(ts, out)
	if err != nil {
		t.Fatal(err)
	}
	for k, co := range cnnCoords(out[0].Shape) {
		var want int64
		switch {
		case co[1] < 3:
			want = ts[0].Data[cnnAt(a.Shape, co)]
		case co[1] < 4:
			want = (ts[1].Data[cnnAt(b.Shape, []int{co[0], co[1] - 3, co[2]})] + 2) >> 2
		default:
			want = ts[2].Data[cnnAt(c.Shape, []int{co[0], co[1] - 4, co[2]})]
		}
		if res[0].Data[k] != want {
			t.Fatalf("integer concat %v = %d, want %d", co, res[0].Data[k], want)
		}
	}
	bad := *q.(*ops.QConcat)
	bad.Shifts = []uint{0, 1, 0}
	if bad.Check(in, out) == nil {
		t.Error("wrong shifts accepted")
	}
	if _, err := (&ops.Concat{Axis: 0}).OutShapes([][]int{a.Shape, b.Shape}); err == nil {
		t.Error("mismatched shapes accepted")
	}
	if _, err := (&ops.Concat{Axis: 3}).OutShapes([][]int{a.Shape}); err == nil {
		t.Error("bad axis accepted")
	}
}
