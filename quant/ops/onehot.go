package ops

import (
	"fmt"
	"slices"

	"github.com/zkinfer/zkinfer/quant"
)

// Ops on index values (quant.DTypeIndex: graph inputs of token ids and
// the like), built on a one-hot selector that the circuit pins by
// booleanity, Σ s_j = 1 and Σ j·s_j = x (the index x is range-checked to
// its value's bounds where it is exposed, and Check requires those bounds
// within [0, n − 1]).

// OneHot is ONNX OneHot on the last axis with a constant depth and
// constant integer values: out[..., j] = On if x = j else Off. Its input is
// an index value within [0, Depth − 1]; its output an int8 at frac 0 within
// [min(Off, On), max(Off, On)]. Both the float and the integer op.
type OneHot struct {
	Depth int   `json:"depth"`
	Off   int64 `json:"off"`
	On    int64 `json:"on"`
}

// GatherElements is ONNX GatherElements with an index value as the
// indices: out[c] = data[c with axis coordinate idx[c]]. The output keeps
// the data's format. Per output: a one-hot selector over the axis (its
// length + 2 constraints) and the selected value (one product per axis
// position). Both the float and the integer op.
type GatherElements struct {
	Axis int `json:"axis"`
}

// IndexEqual is [x = Const] for an index value x (ONNX Equal of token ids
// and a constant): an int8 0/1 at frac 0, one IsZero per value. Both the
// float and the integer op.
type IndexEqual struct {
	Const int64 `json:"const"`
}

// MaxOneHotDepth bounds a one-hot axis (OneHot's depth, GatherElements'
// gathered axis): the selector costs one constraint per position.
const MaxOneHotDepth = 1 << 12

func init() {
	quant.RegisterOp(quant.OpInfo{
		Kind: "onehot", ID: 66,
		New:      func() quant.Op { return &OneHot{} },
		NewFloat: func() quant.FloatOp { return &OneHot{} },
		Doc:      "one-hot of an index value over a constant depth (OneHot): depth + 2 constraints per index",
	})
	quant.RegisterOp(quant.OpInfo{
		Kind: "gather_elements", ID: 67,
		New:      func() quant.Op { return &GatherElements{} },
		NewFloat: func() quant.FloatOp { return &GatherElements{} },
		Doc:      "data gathered along an axis by an index value (GatherElements): a one-hot selector and a dot product per output",
	})
	quant.RegisterOp(quant.OpInfo{
		Kind: "index_equal", ID: 68,
		New:      func() quant.Op { return &IndexEqual{} },
		NewFloat: func() quant.FloatOp { return &IndexEqual{} },
		Doc:      "[x = c] of an index value and a constant (Equal on ids): one IsZero per value, 0/1 at frac 0",
	})
}

// --- OneHot ---

func (o *OneHot) Kind() string                    { return "onehot" }
func (o *OneHot) Params() []*quant.Param          { return nil }
func (o *OneHot) OutFracs([]int, []float64) []int { return []int{0} }
func (o *OneHot) IndexInput(i int) bool           { return i == 0 }

func (o *OneHot) outShape(x []int) ([]int, error) {
	if o.Depth < 2 || o.Depth > MaxOneHotDepth {
		return nil, fmt.Errorf("%w: one-hot depth %d, want 2..%d", quant.ErrRange, o.Depth, MaxOneHotDepth)
	}
	if o.Off == o.On || o.Off < quant.Int8Min || o.Off > quant.Int8Max || o.On < quant.Int8Min || o.On > quant.Int8Max {
		return nil, fmt.Errorf("%w: one-hot values off %d, on %d: want two distinct int8 values", quant.ErrRange, o.Off, o.On)
	}
	out := append(slices.Clone(x), o.Depth)
	if err := quant.CheckShape(out); err != nil {
		return nil, err
	}
	return out, nil
}

func (o *OneHot) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 1); err != nil {
		return nil, err
	}
	s, err := o.outShape(in[0])
	if err != nil {
		return nil, err
	}
	return [][]int{s}, nil
}

func (o *OneHot) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	s, err := o.outShape(in[0].Shape)
	if err != nil {
		return nil, err
	}
	y := make([]float64, quant.ShapeSize(s))
	for i, v := range in[0].Data {
		if v < 0 {
			v += float64(o.Depth) // ONNX: negative indices count from the end
		}
		for j := range o.Depth {
			y[i*o.Depth+j] = float64(o.Off)
			if v == float64(j) {
				y[i*o.Depth+j] = float64(o.On)
			}
		}
	}
	return []*quant.FloatTensor{{Shape: s, Data: y}}, nil
}

func (o *OneHot) Quantize(in, out []quant.Value) (quant.Op, error) {
	out[0].Frac, out[0].Lo, out[0].Hi = 0, min(o.Off, o.On), max(o.Off, o.On)
	q := *o
	if err := q.Check(in, out); err != nil {
		return nil, err
	}
	return &q, nil
}

// checkIndexIn checks that an index value lies within [0, n − 1].
func checkIndexIn(v quant.Value, n int) error {
	if v.DType != quant.DTypeIndex || v.Lo < 0 || v.Hi > int64(n)-1 {
		return fmt.Errorf("%w: the indices (%q within [%d, %d]) must be an index value within [0, %d]", quant.ErrRange, v.DType, v.Lo, v.Hi, n-1)
	}
	return nil
}

func (o *OneHot) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 1, 1); err != nil {
		return err
	}
	s, err := o.outShape(in[0].Shape)
	if err != nil {
		return err
	}
	if err := checkIndexIn(in[0], o.Depth); err != nil {
		return err
	}
	if !slices.Equal(s, out[0].Shape) {
		return fmt.Errorf("%w: one-hot output %v, want %v", quant.ErrShape, out[0].Shape, s)
	}
	if y := out[0]; y.DType != quant.DTypeInt8 || y.Frac != 0 || y.Lo != min(o.Off, o.On) || y.Hi != max(o.Off, o.On) {
		return fmt.Errorf("%w: one-hot output (%q, frac %d, [%d, %d]), want int8 at frac 0 in [%d, %d]", quant.ErrValidation, y.DType, y.Frac, y.Lo, y.Hi, min(o.Off, o.On), max(o.Off, o.On))
	}
	return nil
}

func (o *OneHot) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	y := make([]int64, len(in[0].Data)*o.Depth)
	for i, v := range in[0].Data {
		for j := range o.Depth {
			y[i*o.Depth+j] = o.Off
			if v == int64(j) {
				y[i*o.Depth+j] = o.On
			}
		}
	}
	return []*quant.Tensor{{Shape: out[0].Shape, Data: y}}, nil
}

func (o *OneHot) Encode(e *quant.Encoder) error {
	e.Int(int64(o.Depth))
	e.Int(o.Off)
	e.Int(o.On)
	return nil
}
func (o *OneHot) EncodeWeights(*quant.Encoder) error { return nil }
func (o *OneHot) Cost(in, _ []quant.Value) quant.Cost {
	n := in[0].Size()
	return quant.Cost{R1CS: n * (o.Depth + 2), SCS: n * (2*o.Depth + 2)}
}

// --- GatherElements ---

func (g *GatherElements) Kind() string                          { return "gather_elements" }
func (g *GatherElements) Params() []*quant.Param                { return nil }
func (g *GatherElements) OutFracs(in []int, mx []float64) []int { return keepFrac(in, mx) }
func (g *GatherElements) IndexInput(i int) bool                 { return i == 1 }

// resolve returns the axis and its length.
func (g *GatherElements) resolve(x, idx []int) (int, error) {
	r := len(x)
	axis := g.Axis
	if axis < -r || axis >= r {
		return 0, fmt.Errorf("%w: gather_elements axis %d for rank %d", quant.ErrShape, g.Axis, r)
	}
	if axis < 0 {
		axis += r
	}
	if len(idx) != r {
		return 0, fmt.Errorf("%w: gather_elements indices %v for data %v: ranks differ", quant.ErrShape, idx, x)
	}
	for a := range x {
		if a != axis && idx[a] > x[a] {
			return 0, fmt.Errorf("%w: gather_elements indices %v for data %v", quant.ErrShape, idx, x)
		}
	}
	if x[axis] > MaxOneHotDepth {
		return 0, fmt.Errorf("%w: gather_elements along an axis of %d values, at most %d", quant.ErrShape, x[axis], MaxOneHotDepth)
	}
	if macs := int64(quant.ShapeSize(idx)) * int64(x[axis]); macs > MaxMatMulMACs {
		return 0, fmt.Errorf("%w: gather_elements of %d selections", quant.ErrShape, macs)
	}
	return axis, nil
}

// Rows returns, for every output position, the input position of axis
// coordinate 0 and the axis stride: candidate j is at base + j·stride.
func (g *GatherElements) Rows(x, idx []int) (base []int, stride, n int, err error) {
	axis, err := g.resolve(x, idx)
	if err != nil {
		return nil, 0, 0, err
	}
	base = indexMap(x, idx, func(a, c int) int {
		if a == axis {
			return 0
		}
		return c
	})
	return base, rowMajor(x)[axis], x[axis], nil
}

func (g *GatherElements) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 2); err != nil {
		return nil, err
	}
	if _, err := g.resolve(in[0], in[1]); err != nil {
		return nil, err
	}
	return [][]int{slices.Clone(in[1])}, nil
}

func (g *GatherElements) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	base, st, n, err := g.Rows(in[0].Shape, in[1].Shape)
	if err != nil {
		return nil, err
	}
	y := make([]float64, len(base))
	for p, b := range base {
		j := int(in[1].Data[p])
		if j < 0 {
			j += n
		}
		if j < 0 || j >= n {
			return nil, fmt.Errorf("%w: gather_elements index %v for an axis of %d", quant.ErrRange, in[1].Data[p], n)
		}
		y[p] = in[0].Data[b+j*st]
	}
	return []*quant.FloatTensor{{Shape: slices.Clone(in[1].Shape), Data: y}}, nil
}

func (g *GatherElements) Quantize(in, out []quant.Value) (quant.Op, error) {
	out[0].Frac, out[0].Lo, out[0].Hi = in[0].Frac, in[0].Lo, in[0].Hi
	q := *g
	if err := q.Check(in, out); err != nil {
		return nil, err
	}
	return &q, nil
}

func (g *GatherElements) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 2, 1); err != nil {
		return err
	}
	if in[0].DType != quant.DTypeInt8 {
		return fmt.Errorf("%w: gather_elements of %q data", quant.ErrValidation, in[0].DType)
	}
	axis, err := g.resolve(in[0].Shape, in[1].Shape)
	if err != nil {
		return err
	}
	if err := checkIndexIn(in[1], in[0].Shape[axis]); err != nil {
		return err
	}
	if !slices.Equal(in[1].Shape, out[0].Shape) {
		return fmt.Errorf("%w: gather_elements output %v, want %v", quant.ErrShape, out[0].Shape, in[1].Shape)
	}
	return sameFormat(in[0], out[0])
}

func (g *GatherElements) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	base, st, _, err := g.Rows(in[0].Shape, in[1].Shape)
	if err != nil {
		return nil, err
	}
	y := make([]int64, len(base))
	for p, b := range base {
		y[p] = in[0].Data[b+int(in[1].Data[p])*st]
	}
	return []*quant.Tensor{{Shape: out[0].Shape, Data: y}}, nil
}

func (g *GatherElements) Encode(e *quant.Encoder) error      { e.Int(int64(g.Axis)); return nil }
func (g *GatherElements) EncodeWeights(*quant.Encoder) error { return nil }
func (g *GatherElements) Cost(in, out []quant.Value) quant.Cost {
	axis, err := g.resolve(in[0].Shape, in[1].Shape)
	if err != nil {
		return quant.Cost{}
	}
	n, m := in[0].Shape[axis], out[0].Size()
	return quant.Cost{R1CS: m * (2*n + 2), SCS: m * (3*n + 2)}
}

// --- IndexEqual ---

func (q *IndexEqual) Kind() string                    { return "index_equal" }
func (q *IndexEqual) Params() []*quant.Param          { return nil }
func (q *IndexEqual) OutFracs([]int, []float64) []int { return []int{0} }
func (q *IndexEqual) IndexInput(i int) bool           { return i == 0 }

func (q *IndexEqual) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 1); err != nil {
		return nil, err
	}
	return [][]int{slices.Clone(in[0])}, nil
}

func (q *IndexEqual) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	y := make([]float64, len(in[0].Data))
	for i, v := range in[0].Data {
		if v == float64(q.Const) {
			y[i] = 1
		}
	}
	return []*quant.FloatTensor{{Shape: slices.Clone(in[0].Shape), Data: y}}, nil
}

func (q *IndexEqual) Quantize(in, out []quant.Value) (quant.Op, error) {
	out[0].Frac, out[0].Lo, out[0].Hi = 0, 0, 1
	c := *q
	if err := c.Check(in, out); err != nil {
		return nil, err
	}
	return &c, nil
}

func (q *IndexEqual) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 1, 1); err != nil {
		return err
	}
	if in[0].DType != quant.DTypeIndex {
		return fmt.Errorf("%w: index_equal of a %q value (it compares index values)", quant.ErrValidation, in[0].DType)
	}
	if q.Const < -1 || q.Const > quant.MaxIndex+1 {
		return fmt.Errorf("%w: index_equal constant %d", quant.ErrRange, q.Const)
	}
	if !slices.Equal(in[0].Shape, out[0].Shape) {
		return fmt.Errorf("%w: index_equal output %v, want %v", quant.ErrShape, out[0].Shape, in[0].Shape)
	}
	if y := out[0]; y.DType != quant.DTypeInt8 || y.Frac != 0 || y.Lo != 0 || y.Hi != 1 {
		return fmt.Errorf("%w: index_equal output (%q, frac %d, [%d, %d]), want int8 at frac 0 in [0, 1]", quant.ErrValidation, y.DType, y.Frac, y.Lo, y.Hi)
	}
	return nil
}

func (q *IndexEqual) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	y := make([]int64, len(in[0].Data))
	for i, v := range in[0].Data {
		if v == q.Const {
			y[i] = 1
		}
	}
	return []*quant.Tensor{{Shape: out[0].Shape, Data: y}}, nil
}

func (q *IndexEqual) Encode(e *quant.Encoder) error      { e.Int(q.Const); return nil }
func (q *IndexEqual) EncodeWeights(*quant.Encoder) error { return nil }
func (q *IndexEqual) Cost(in, _ []quant.Value) quant.Cost {
	n := in[0].Size()
	return quant.Cost{R1CS: 2 * n, SCS: 3 * n}
}
