package ops

import (
	"fmt"
	"slices"

	"github.com/zkinfer/zkinfer/quant"
)

// ArgMax is ONNX ArgMax over one axis (keepdims as ONNX, select_last_index
// 0: ties go to the first index). The index is an int8 value at frac 0
// with bounds [0, n − 1] (n ≤ MaxArgMaxAxis), so that it feeds int8 ops
// and graph outputs like any value. It is both the float and the integer
// op: the integer op takes the argmax of the int8 input (quantization may
// create ties the float input did not have; the first one wins).
type ArgMax struct {
	Axis     int  `json:"axis"`
	KeepDims bool `json:"keepdims"`
}

// MaxArgMaxAxis bounds the reduced axis: the index must fit int8.
const MaxArgMaxAxis = 128

func init() {
	quant.RegisterOp(quant.OpInfo{
		Kind: "argmax", ID: 65,
		New:      func() quant.Op { return &ArgMax{} },
		NewFloat: func() quant.FloatOp { return &ArgMax{} },
		Doc:      "the index of the largest value along an axis (first on ties), int8 at frac 0: a hinted one-hot selector, about 3 constraints and one 8-bit range check per input",
	})
}

func (a *ArgMax) Kind() string                    { return "argmax" }
func (a *ArgMax) Params() []*quant.Param          { return nil }
func (a *ArgMax) OutFracs([]int, []float64) []int { return []int{0} }

// resolve returns the reduced axis, its length and the output shape.
func (a *ArgMax) resolve(x []int) (axis, n int, out []int, err error) {
	axis, n, out, err = argmaxAxis(x, a.Axis, a.KeepDims)
	if err != nil {
		return 0, 0, nil, err
	}
	if n < 1 || n > MaxArgMaxAxis {
		return 0, 0, nil, fmt.Errorf("%w: argmax over an axis of %d values (at most %d: the index is int8)", quant.ErrShape, n, MaxArgMaxAxis)
	}
	return axis, n, out, nil
}

// argmaxAxis resolves axis (negative: from the end) in the shape x and
// returns it, its length and the output shape (keepDims as ONNX): ArgMax's
// and ArgMaxIndex's resolve, before their own bounds on the length.
func argmaxAxis(x []int, axis int, keepDims bool) (int, int, []int, error) {
	r := len(x)
	if axis < -r || axis >= r {
		return 0, 0, nil, fmt.Errorf("%w: argmax axis %d for rank %d", quant.ErrShape, axis, r)
	}
	if axis < 0 {
		axis += r
	}
	return axis, x[axis], reduceShape(x, []int{axis}, keepDims), nil
}

func (a *ArgMax) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 1); err != nil {
		return nil, err
	}
	_, _, out, err := a.resolve(in[0])
	if err != nil {
		return nil, err
	}
	return [][]int{out}, nil
}

func argmaxRun[T int64 | float64](x []T, shape []int, axis int) []int64 {
	groups, n := ReduceGroups(shape, []int{axis})
	y := make([]int64, len(groups)/n)
	for o := range y {
		best := 0
		for j := 1; j < n; j++ {
			if x[groups[o*n+j]] > x[groups[o*n+best]] {
				best = j
			}
		}
		y[o] = int64(best)
	}
	return y
}

func (a *ArgMax) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	axis, _, out, err := a.resolve(in[0].Shape)
	if err != nil {
		return nil, err
	}
	return argmaxEval(in[0], axis, out), nil
}

// argmaxEval is ArgMax's and ArgMaxIndex's float op: the indices along
// axis as floats, shaped out.
func argmaxEval(x *quant.FloatTensor, axis int, out []int) []*quant.FloatTensor {
	idx := argmaxRun(x.Data, x.Shape, axis)
	y := make([]float64, len(idx))
	for i, v := range idx {
		y[i] = float64(v)
	}
	return []*quant.FloatTensor{{Shape: out, Data: y}}
}

// argmaxBounds: [0, n − 1], or [0, 1] for an axis of one value (bounds
// must differ; the index is 0).
func argmaxBounds(n int) (lo, hi int64) { return 0, int64(max(n-1, 1)) }

func (a *ArgMax) Quantize(in, out []quant.Value) (quant.Op, error) {
	_, n, _, err := a.resolve(in[0].Shape)
	if err != nil {
		return nil, err
	}
	out[0].Frac = 0
	out[0].Lo, out[0].Hi = argmaxBounds(n)
	q := &ArgMax{Axis: a.Axis, KeepDims: a.KeepDims}
	if err := q.Check(in, out); err != nil {
		return nil, err
	}
	return q, nil
}

func (a *ArgMax) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 1, 1); err != nil {
		return err
	}
	if in[0].DType != quant.DTypeInt8 {
		return fmt.Errorf("%w: argmax of a %q value", quant.ErrValidation, in[0].DType)
	}
	_, n, shape, err := a.resolve(in[0].Shape)
	if err != nil {
		return err
	}
	if !slices.Equal(shape, out[0].Shape) {
		return fmt.Errorf("%w: argmax output %v, want %v", quant.ErrShape, out[0].Shape, shape)
	}
	lo, hi := argmaxBounds(n)
	if y := out[0]; y.DType != quant.DTypeInt8 || y.Frac != 0 || y.Lo != lo || y.Hi != hi {
		return fmt.Errorf("%w: argmax output (%q, frac %d, [%d, %d]), want int8 at frac 0 in [%d, %d]", quant.ErrValidation, y.DType, y.Frac, y.Lo, y.Hi, lo, hi)
	}
	return nil
}

// Groups returns the input positions of every output (ReduceGroups over
// the axis, in axis order) and the axis length.
func (a *ArgMax) Groups(x []int) ([]int, int, error) {
	axis, _, _, err := a.resolve(x)
	if err != nil {
		return nil, 0, err
	}
	g, n := ReduceGroups(x, []int{axis})
	return g, n, nil
}

func (a *ArgMax) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	axis, _, _, err := a.resolve(in[0].Shape)
	if err != nil {
		return nil, err
	}
	return []*quant.Tensor{{Shape: out[0].Shape, Data: argmaxRun(in[0].Data, in[0].Shape, axis)}}, nil
}

func (a *ArgMax) Encode(e *quant.Encoder) error {
	encodeArgmax(e, a.Axis, a.KeepDims)
	return nil
}

// encodeArgmax writes ArgMax's and ArgMaxIndex's attributes: the axis and
// keepdims (0 or 1).
func encodeArgmax(e *quant.Encoder, axis int, keepDims bool) {
	e.Int(int64(axis))
	k := int64(0)
	if keepDims {
		k = 1
	}
	e.Int(k)
}
func (a *ArgMax) EncodeWeights(*quant.Encoder) error { return nil }

// Cost per input value: the selector's booleanity, its product with the
// value, one 8-bit range check; per group the one-hot's sum and the index;
// measured on 64 groups of 64 values: 5.0 R1CS and 15 PLONK constraints
// per input value.
func (a *ArgMax) Cost(in, out []quant.Value) quant.Cost {
	n := in[0].Size()
	return quant.Cost{R1CS: 5*n + 20*out[0].Size(), SCS: 15 * n}
}
