package ops_test

import (
	"math/rand/v2"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// OneHot, GatherElements and IndexEqual match the naive definitions in
// floats and integers, and refuse index values that may leave their range.
func TestIndexOpsMatchNaive(t *testing.T) {
	ids := []int64{0, 3, 7, 2, 2, 5}
	idsF := &quant.FloatTensor{Shape: []int{2, 3}, Data: []float64{0, 3, 7, 2, 2, 5}}
	idsT := &quant.Tensor{Shape: []int{2, 3}, Data: ids}
	idsV := quant.Value{Shape: []int{2, 3}, DType: quant.DTypeIndex, Lo: 0, Hi: 7}

	o := &ops.OneHot{Depth: 8, Off: -1, On: 2}
	f, err := o.Eval([]*quant.FloatTensor{idsF})
	if err != nil {
		t.Fatal(err)
	}
	out := []quant.Value{{Shape: []int{2, 3, 8}}}
	q, err := o.Quantize([]quant.Value{idsV}, out)
	if err != nil {
		t.Fatal(err)
	}
	y, err := q.Forward([]*quant.Tensor{idsT}, out)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		for j := range 8 {
			want := int64(-1)
			if int64(j) == id {
				want = 2
			}
			if y[0].Data[i*8+j] != want || f[0].Data[i*8+j] != float64(want) {
				t.Fatalf("one-hot %d at %d: %d / %v, want %d", id, j, y[0].Data[i*8+j], f[0].Data[i*8+j], want)
			}
		}
	}
	if o.Check([]quant.Value{{Shape: []int{2, 3}, DType: quant.DTypeIndex, Lo: 0, Hi: 8}}, out) == nil {
		t.Fatal("one-hot of depth 8 accepted ids up to 8")
	}

	rng := rand.New(rand.NewPCG(66, 4))
	x := randTensor(rng, 1, 2, 8)
	g := &ops.GatherElements{Axis: 1}
	gf, err := g.Eval([]*quant.FloatTensor{x, idsF})
	if err != nil {
		t.Fatal(err)
	}
	xi := &quant.Tensor{Shape: []int{2, 8}, Data: make([]int64, 16)}
	for i := range xi.Data {
		xi.Data[i] = int64(i*7%256) - 100
	}
	xv := quant.Value{Shape: []int{2, 8}, Frac: 5, Lo: -128, Hi: 127}
	gout := []quant.Value{{Shape: []int{2, 3}}}
	gq, err := g.Quantize([]quant.Value{xv, idsV}, gout)
	if err != nil {
		t.Fatal(err)
	}
	gy, err := gq.Forward([]*quant.Tensor{xi, idsT}, gout)
	if err != nil {
		t.Fatal(err)
	}
	for p, id := range ids {
		r := p / 3
		if gf[0].Data[p] != x.Data[r*8+int(id)] || gy[0].Data[p] != xi.Data[r*8+int(id)] {
			t.Fatalf("gather %d: %v / %d", p, gf[0].Data[p], gy[0].Data[p])
		}
	}
	if g.Check([]quant.Value{xv, {Shape: []int{2, 3}, DType: quant.DTypeIndex, Lo: 0, Hi: 8}}, gout) == nil {
		t.Fatal("gather over 8 accepted ids up to 8")
	}

	e := &ops.IndexEqual{Const: 2}
	eout := []quant.Value{{Shape: []int{2, 3}}}
	eq, err := e.Quantize([]quant.Value{idsV}, eout)
	if err != nil {
		t.Fatal(err)
	}
	ey, err := eq.Forward([]*quant.Tensor{idsT}, eout)
	if err != nil {
		t.Fatal(err)
	}
	for p, id := range ids {
		if want := map[bool]int64{true: 1, false: 0}[id == 2]; ey[0].Data[p] != want {
			t.Fatalf("equal %d: %d", id, ey[0].Data[p])
		}
	}
}

func TestIndexOpsHostile(t *testing.T) {
	rng := rand.New(rand.NewPCG(66, 5))
	acc := hostileOps(t, rng, 30000, func() (quant.Op, []quant.Value, []quant.Value) {
		x := hostileShape(rng)
		idx := func(s []int) quant.Value {
			return quant.Value{Shape: s, DType: quant.DTypeIndex, Lo: 0, Hi: hostilePick(rng, 1, 3, 7, 1<<20)}
		}
		var op quant.Op
		var in []quant.Value
		out := []quant.Value{hostileValue(rng, hostileShape(rng))}
		switch rng.IntN(3) {
		case 0:
			o := &ops.OneHot{Depth: int(hostilePick(rng, 0, 1, 2, 4, 8, 1<<13, 1<<40)), Off: hostilePick(rng, 0, -1, 200), On: hostilePick(rng, 1, 0, -129)}
			op, in = o, []quant.Value{idx(x)}
			if s, err := o.OutShapes([][]int{x}); err == nil && rng.IntN(2) == 0 {
				out[0] = quant.Value{Shape: s[0], Lo: min(o.Off, o.On), Hi: max(o.Off, o.On)}
			}
		case 1:
			g := &ops.GatherElements{Axis: int(hostilePick(rng, -1, 0, 1, 2, 5, 1<<40))}
			d := hostileValue(rng, x)
			s := hostileShape(rng)
			if rng.IntN(2) == 0 {
				s = x
			}
			op, in = g, []quant.Value{d, idx(s)}
			if rng.IntN(2) == 0 {
				out[0] = d
				out[0].Shape = s
			}
		default:
			op, in = &ops.IndexEqual{Const: hostilePick(rng, -5, 0, 3, 1<<30)}, []quant.Value{idx(x)}
			if rng.IntN(2) == 0 {
				out[0] = quant.Value{Shape: x, Lo: 0, Hi: 1}
			}
		}
		if rng.IntN(6) == 0 {
			in = append(in, hostileValue(rng, x))
		}
		if rng.IntN(6) == 0 {
			in[0] = hostileValue(rng, x)
		}
		return op, in, out
	})
	for _, k := range []string{"onehot", "gather_elements", "index_equal"} {
		if acc[k] == 0 {
			t.Errorf("no %s accepted", k)
		}
	}
}
