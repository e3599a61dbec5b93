package onnx

import (
	"math"
	"slices"
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
