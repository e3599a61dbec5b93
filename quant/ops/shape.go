package ops

import (
	"fmt"
	"slices"

	"github.com/zkinfer/zkinfer/quant"
)

// Reshape gives its input a new shape (ONNX Reshape, Flatten, Squeeze,
// Unsqueeze, Identity): the same values in the same order, at no cost.
type Reshape struct {
	Shape []int `json:"shape"`
}

// Transpose permutes the axes of its input (ONNX Transpose): an index map,
// at no cost.
type Transpose struct {
	Perm []int `json:"perm"`
}

func init() {
	quant.RegisterOp(quant.OpInfo{
		Kind: "reshape", ID: 4,
		New:      func() quant.Op { return &Reshape{} },
		NewFloat: func() quant.FloatOp { return &Reshape{} },
		Doc:      "a new shape for the same values (Reshape, Flatten, Squeeze, Unsqueeze, Identity): no constraints",
	})
	quant.RegisterOp(quant.OpInfo{
		Kind: "transpose", ID: 5,
		New:      func() quant.Op { return &Transpose{} },
		NewFloat: func() quant.FloatOp { return &Transpose{} },
		Doc:      "a permutation of the axes: no constraints",
	})
}

// Reshape is both the float and the integer op: it does not depend on scales.

func (r *Reshape) Kind() string                          { return "reshape" }
func (r *Reshape) Params() []*quant.Param                { return nil }
func (r *Reshape) OutFracs(in []int, mx []float64) []int { return keepFrac(in, mx) }
func (r *Reshape) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 1); err != nil {
		return nil, err
	}
	if err := quant.CheckShape(r.Shape); err != nil {
		return nil, err
	}
	if quant.ShapeSize(r.Shape) != quant.ShapeSize(in[0]) {
		return nil, fmt.Errorf("%w: reshape %v to %v changes the number of values", quant.ErrShape, in[0], r.Shape)
	}
	return [][]int{slices.Clone(r.Shape)}, nil
}
func (r *Reshape) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	return []*quant.FloatTensor{{Shape: r.Shape, Data: in[0].Data}}, nil
}
func (r *Reshape) Quantize(in, out []quant.Value) (quant.Op, error) {
	keepFormat(in, out)
	return &Reshape{Shape: slices.Clone(r.Shape)}, nil
}
func (r *Reshape) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 1, 1); err != nil {
		return err
	}
	if !sameShape(r.Shape, out[0].Shape) || out[0].Size() != in[0].Size() {
		return fmt.Errorf("%w: reshape %v to %v, output %v", quant.ErrShape, in[0].Shape, r.Shape, out[0].Shape)
	}
	return sameFormat(in[0], out[0])
}
func (r *Reshape) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	return []*quant.Tensor{{Shape: out[0].Shape, Data: slices.Clone(in[0].Data)}}, nil
}
func (r *Reshape) Encode(e *quant.Encoder) error      { e.Shape(r.Shape); return nil }
func (r *Reshape) EncodeWeights(*quant.Encoder) error { return nil }
func (r *Reshape) Cost(_, _ []quant.Value) quant.Cost { return quant.Cost{} }

func (t *Transpose) Kind() string                          { return "transpose" }
func (t *Transpose) Params() []*quant.Param                { return nil }
func (t *Transpose) OutFracs(in []int, mx []float64) []int { return keepFrac(in, mx) }
func (t *Transpose) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if len(t.Perm) != len(x) {
		return nil, fmt.Errorf("%w: perm %v for rank %d", quant.ErrShape, t.Perm, len(x))
	}
	seen := make([]bool, len(x))
	out := make([]int, len(x))
	for i, p := range t.Perm {
		if p < 0 || p >= len(x) || seen[p] {
			return nil, fmt.Errorf("%w: perm %v is not a permutation", quant.ErrValidation, t.Perm)
		}
		seen[p] = true
		out[i] = x[p]
	}
	return [][]int{out}, nil
}

// Index returns, for each output position, the input position it copies.
func (t *Transpose) Index(in []int) []int {
	out := make([]int, len(in))
	for i, p := range t.Perm {
		out[i] = in[p]
	}
	strides := make([]int, len(in))
	s := 1
	for i := len(in) - 1; i >= 0; i-- {
		strides[i] = s
		s *= in[i]
	}
	n := quant.ShapeSize(out)
	idx := make([]int, n)
	pos := make([]int, len(out))
	for k := 0; k < n; k++ {
		off := 0
		for i, c := range pos {
			off += c * strides[t.Perm[i]]
		}
		idx[k] = off
		for i := len(out) - 1; i >= 0; i-- {
			pos[i]++
			if pos[i] < out[i] {
				break
			}
			pos[i] = 0
		}
	}
	return idx
}
func (t *Transpose) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	shapes, err := t.OutShapes([][]int{in[0].Shape})
	if err != nil {
		return nil, err
	}
	idx := t.Index(in[0].Shape)
	y := make([]float64, len(idx))
	for k, i := range idx {
		y[k] = in[0].Data[i]
	}
	return []*quant.FloatTensor{{Shape: shapes[0], Data: y}}, nil
}
func (t *Transpose) Quantize(in, out []quant.Value) (quant.Op, error) {
	keepFormat(in, out)
	return &Transpose{Perm: slices.Clone(t.Perm)}, nil
}
func (t *Transpose) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 1, 1); err != nil {
		return err
	}
	shapes, err := t.OutShapes([][]int{in[0].Shape})
	if err != nil {
		return err
	}
	if !sameShape(shapes[0], out[0].Shape) {
		return fmt.Errorf("%w: transpose of %v by %v is %v, output %v", quant.ErrShape, in[0].Shape, t.Perm, shapes[0], out[0].Shape)
	}
	return sameFormat(in[0], out[0])
}
func (t *Transpose) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	idx := t.Index(in[0].Shape)
	y := make([]int64, len(idx))
	for k, i := range idx {
		y[k] = in[0].Data[i]
	}
	return []*quant.Tensor{{Shape: out[0].Shape, Data: y}}, nil
}
func (t *Transpose) Encode(e *quant.Encoder) error {
	e.Ints(intsOf(t.Perm))
	return nil
}
func (t *Transpose) EncodeWeights(*quant.Encoder) error { return nil }
func (t *Transpose) Cost(_, _ []quant.Value) quant.Cost { return quant.Cost{} }

func keepFormat(in, out []quant.Value) {
	out[0].Frac, out[0].Lo, out[0].Hi = in[0].Frac, in[0].Lo, in[0].Hi
}

func sameFormat(x, y quant.Value) error {
	if x.Frac != y.Frac || x.Lo != y.Lo || x.Hi != y.Hi {
		return fmt.Errorf("%w: output format (frac %d, [%d, %d]) differs from the input's (frac %d, [%d, %d])", quant.ErrValidation, y.Frac, y.Lo, y.Hi, x.Frac, x.Lo, x.Hi)
	}
	return nil
}

func intsOf(v []int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}
