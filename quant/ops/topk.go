package ops

import (
	"fmt"
	"slices"
	"sort"

	"github.com/zkinfer/zkinfer/quant"
)

// TopK is ONNX TopK with largest = 1 and sorted = 1 along one axis of at
// most MaxArgMaxAxis values: the K largest values in decreasing order and
// their indices; equal values go in increasing index order (ONNX's rule,
// which the integer op also applies to the ties quantization creates). Its
// two outputs: the values in the input's format, the indices as int8 at
// frac 0 within [0, n − 1]. Both the float and the integer op.
type TopK struct {
	K    int `json:"k"`
	Axis int `json:"axis"`
}

func init() {
	quant.RegisterOp(quant.OpInfo{
		Kind: "topk", ID: 69,
		New:      func() quant.Op { return &TopK{} },
		NewFloat: func() quant.FloatOp { return &TopK{} },
		Doc:      "the k largest values along an axis (≤ 128 values) and their indices, sorted, ties by index (TopK): k hinted one-hot selectors and a strict order of keys 256·x + 127 − j",
	})
}

func (t *TopK) Kind() string           { return "topk" }
func (t *TopK) Params() []*quant.Param { return nil }
func (t *TopK) OutFracs(in []int, _ []float64) []int {
	return []int{in[0], 0}
}

// resolve returns the axis, its length and the outputs' shape.
func (t *TopK) resolve(x []int) (axis, n int, out []int, err error) {
	r := len(x)
	axis = t.Axis
	if axis < -r || axis >= r {
		return 0, 0, nil, fmt.Errorf("%w: topk axis %d for rank %d", quant.ErrShape, t.Axis, r)
	}
	if axis < 0 {
		axis += r
	}
	n = x[axis]
	if n > MaxArgMaxAxis || t.K < 1 || t.K > n {
		return 0, 0, nil, fmt.Errorf("%w: top %d of an axis of %d values (want 1 ≤ k ≤ n ≤ %d)", quant.ErrShape, t.K, n, MaxArgMaxAxis)
	}
	out = slices.Clone(x)
	out[axis] = t.K
	return axis, n, out, nil
}

func (t *TopK) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 1); err != nil {
		return nil, err
	}
	_, _, out, err := t.resolve(in[0])
	if err != nil {
		return nil, err
	}
	return [][]int{out, slices.Clone(out)}, nil
}

// Groups returns the input positions of every group along the axis, the
// output positions of every group's K results, n and K.
func (t *TopK) Groups(x []int) (in, out []int, n int, err error) {
	axis, n, os, err := t.resolve(x)
	if err != nil {
		return nil, nil, 0, err
	}
	in, _ = ReduceGroups(x, []int{axis})
	out, _ = ReduceGroups(os, []int{axis})
	return in, out, n, nil
}

func topkRun[T int64 | float64](t *TopK, x []T, shape []int) (vals []T, idx []int64, err error) {
	gin, gout, n, err := t.Groups(shape)
	if err != nil {
		return nil, nil, err
	}
	vals, idx = make([]T, len(gout)), make([]int64, len(gout))
	order := make([]int, n)
	for o := 0; o < len(gin)/n; o++ {
		g := gin[o*n : (o+1)*n]
		for j := range order {
			order[j] = j
		}
		sort.SliceStable(order, func(a, b int) bool { return x[g[order[a]]] > x[g[order[b]]] })
		for r := 0; r < t.K; r++ {
			vals[gout[o*t.K+r]] = x[g[order[r]]]
			idx[gout[o*t.K+r]] = int64(order[r])
		}
	}
	return vals, idx, nil
}

func (t *TopK) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	_, _, os, err := t.resolve(in[0].Shape)
	if err != nil {
		return nil, err
	}
	v, idx, err := topkRun(t, in[0].Data, in[0].Shape)
	if err != nil {
		return nil, err
	}
	fi := make([]float64, len(idx))
	for i, j := range idx {
		fi[i] = float64(j)
	}
	return []*quant.FloatTensor{{Shape: os, Data: v}, {Shape: slices.Clone(os), Data: fi}}, nil
}

func (t *TopK) Quantize(in, out []quant.Value) (quant.Op, error) {
	_, n, _, err := t.resolve(in[0].Shape)
	if err != nil {
		return nil, err
	}
	out[0].Frac, out[0].Lo, out[0].Hi = in[0].Frac, in[0].Lo, in[0].Hi
	out[1].Frac = 0
	out[1].Lo, out[1].Hi = argmaxBounds(n)
	q := *t
	if err := q.Check(in, out); err != nil {
		return nil, err
	}
	return &q, nil
}

func (t *TopK) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 1, 2); err != nil {
		return err
	}
	if in[0].DType != quant.DTypeInt8 {
		return fmt.Errorf("%w: topk of a %q value", quant.ErrValidation, in[0].DType)
	}
	_, n, os, err := t.resolve(in[0].Shape)
	if err != nil {
		return err
	}
	if !slices.Equal(os, out[0].Shape) || !slices.Equal(os, out[1].Shape) {
		return fmt.Errorf("%w: topk outputs %v and %v, want %v", quant.ErrShape, out[0].Shape, out[1].Shape, os)
	}
	if err := sameFormat(in[0], out[0]); err != nil {
		return err
	}
	lo, hi := argmaxBounds(n)
	if y := out[1]; y.DType != quant.DTypeInt8 || y.Frac != 0 || y.Lo != lo || y.Hi != hi {
		return fmt.Errorf("%w: topk indices (%q, frac %d, [%d, %d]), want int8 at frac 0 in [%d, %d]", quant.ErrValidation, y.DType, y.Frac, y.Lo, y.Hi, lo, hi)
	}
	return nil
}

func (t *TopK) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	v, idx, err := topkRun(t, in[0].Data, in[0].Shape)
	if err != nil {
		return nil, err
	}
	return []*quant.Tensor{{Shape: out[0].Shape, Data: v}, {Shape: out[1].Shape, Data: idx}}, nil
}

func (t *TopK) Encode(e *quant.Encoder) error {
	e.Int(int64(t.K))
	e.Int(int64(t.Axis))
	return nil
}
func (t *TopK) EncodeWeights(*quant.Encoder) error { return nil }

// Cost per group of n values: k·n selector bits and k·n products, n + k
// range checks of 16–17 bits (declared as range sites, so counted at
// RefRangeBase like every planned check).
func (t *TopK) Cost(in, _ []quant.Value) quant.Cost {
	_, n, _, err := t.resolve(in[0].Shape)
	if err != nil {
		return quant.Cost{}
	}
	groups := in[0].Size() / n
	c := groups * (2*t.K*n + RefRangeCheck(17)*(n+t.K) + 2*t.K)
	return quant.Cost{R1CS: c, SCS: 2 * c}
}
