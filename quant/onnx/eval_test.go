package onnx

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/zkinfer/zkinfer/quant/onnx/onnxpb"
)

// torch.onnx.export slices "to the end" with INT64_MAX (x.size()[-1:],
// mask[:, :, a:b, :k]); float64 does not hold it, and a plain conversion
// wraps to INT64_MIN, which made the slice empty.
func TestSliceToInt64Max(t *testing.T) {
	n := &onnxpb.NodeProto{OpType: proto.String("Slice"), Input: []string{"x", "starts", "ends", "axes"}, Output: []string{"y"}}
	env := map[string]*tensor{
		"x":      {dims: []int{3}, data: []float64{1, 4, 16}},
		"starts": {dims: []int{1}, data: []float64{-1}},
		"ends":   {dims: []int{1}, data: []float64{float64(math.MaxInt64)}},
		"axes":   {dims: []int{1}, data: []float64{0}},
	}
	out, err := evalNode(new(budget), n, env)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out[0].dims, []int{1}) || out[0].data[0] != 16 {
		t.Fatalf("x[-1:INT64_MAX] = %v %v, want [16]", out[0].dims, out[0].data)
	}
	env["starts"].data[0], env["ends"].data[0] = float64(math.MinInt64), 2
	if out, err = evalNode(new(budget), n, env); err != nil || !slices.Equal(out[0].data, []float64{1, 4}) {
		t.Fatalf("x[INT64_MIN:2] = %v, %v", out, err)
	}
	if got := ints(&tensor{data: []float64{math.NaN(), -3, 1e300}}); !slices.Equal(got, []int{0, -3, math.MaxInt}) {
		t.Fatalf("ints = %v", got)
	}
}

// ReduceMean without axes averages over all of them (it used to be refused
// as "over 0 axes"), unless noop_with_empty_axes says to pass the input on.
func TestReduceMeanAxes(t *testing.T) {
	x := &tensor{dims: []int{2, 3}, data: []float64{1, 2, 3, 4, 5, 6}}
	for _, c := range []struct {
		name  string
		attrs []*onnxpb.AttributeProto
		axes  *tensor
		dims  []int
		data  []float64
	}{
		{"all", nil, nil, []int{1, 1}, []float64{3.5}},
		{"all, keepdims 0", []*onnxpb.AttributeProto{intAttr("keepdims", 0)}, nil, []int{}, []float64{3.5}},
		{"noop", []*onnxpb.AttributeProto{intAttr("noop_with_empty_axes", 1)}, nil, []int{2, 3}, x.data},
		{"both axes", []*onnxpb.AttributeProto{intsAttr("axes", -1, 0)}, nil, []int{1, 1}, []float64{3.5}},
		{"axis 1 as input", []*onnxpb.AttributeProto{intAttr("keepdims", 0)}, &tensor{dims: []int{1}, data: []float64{1}}, []int{2}, []float64{2, 5}},
	} {
		n := &onnxpb.NodeProto{OpType: proto.String("ReduceMean"), Input: []string{"x"}, Output: []string{"y"}, Attribute: c.attrs}
		env := map[string]*tensor{"x": x}
		if c.axes != nil {
			n.Input, env["axes"] = append(n.Input, "axes"), c.axes
		}
		out, err := evalNode(new(budget), n, env)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !slices.Equal(out[0].dims, c.dims) || !slices.Equal(out[0].data, c.data) {
			t.Errorf("%s: %v %v, want %v %v", c.name, out[0].dims, out[0].data, c.dims, c.data)
		}
	}
	n := &onnxpb.NodeProto{OpType: proto.String("ReduceMean"), Input: []string{"x"}, Output: []string{"y"}, Attribute: []*onnxpb.AttributeProto{intsAttr("axes", 1, -1)}}
	if _, err := evalNode(new(budget), n, map[string]*tensor{"x": x}); err == nil || !strings.Contains(err.Error(), "repeat axis 1") {
		t.Errorf("axes 1 and -1 of a matrix: %v", err)
	}
}

// MatMul (batched, broadcast) and Gemm (transposed operands) compute the
// textbook products, and charge their multiply-adds.
func TestProducts(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	rnd := func(dims ...int) *tensor {
		x := &tensor{dims: dims}
		n := 1
		for _, d := range dims {
			n *= d
		}
		for range n {
			x.data = append(x.data, rng.NormFloat64())
		}
		return x
	}
	// at reads element (i, j) of batch bi of a [.., r, c] tensor, the batch broadcast.
	at := func(x *tensor, bi, i, j int) float64 {
		r, c := x.dims[len(x.dims)-2], x.dims[len(x.dims)-1]
		nb := len(x.data) / (r * c)
		return x.data[(bi%nb)*r*c+i*c+j]
	}
	a, b := rnd(3, 4, 5), rnd(1, 5, 2)
	bg := new(budget)
	y, err := matmulND(bg, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(y.dims, []int{3, 4, 2}) || bg.macs != 3*4*2*5 {
		t.Fatalf("MatMul of %v by %v: %v, %d multiply-adds", a.dims, b.dims, y.dims, bg.macs)
	}
	for bi := range 3 {
		for i := range 4 {
			for j := range 2 {
				s := 0.0
				for k := range 5 {
					s += at(a, bi, i, k) * at(b, bi, k, j)
				}
				if got := y.data[bi*8+i*2+j]; math.Abs(got-s) > 1e-12 {
					t.Fatalf("MatMul [%d %d %d] = %v, want %v", bi, i, j, got, s)
				}
			}
		}
	}
	a, b = rnd(5, 3), rnd(4, 5)
	y, err = gemmNode(new(budget), a, b, true, true)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		for j := range 4 {
			s := 0.0
			for k := range 5 {
				s += at(a, 0, k, i) * at(b, 0, j, k)
			}
			if got := y.data[i*4+j]; math.Abs(got-s) > 1e-12 {
				t.Fatalf("Gemm(transA, transB) [%d %d] = %v, want %v", i, j, got, s)
			}
		}
	}
	if _, err := gemmNode(new(budget), a, b, false, true); err == nil {
		t.Fatal("Gemm of [5 3] by [4 5]ᵀ accepted")
	}
}
