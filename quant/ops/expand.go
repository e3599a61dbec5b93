package ops

import (
	"fmt"
	"math"
	"slices"

	"github.com/zkinfer/zkinfer/quant"
)

// IndexMap is a constant index map of one input (ONNX Expand, Tile, Gather
// and GatherElements with constant indices, Trilu, Where with a constant
// condition and a constant branch, Pad in edge, reflect or constant-value
// mode): output position k copies input position Index[k] when
// Index[k] ≥ 0, and holds the constant Const[−1−Index[k]] otherwise. Shape
// is the output's shape. It is both the float op (Const real) and, through
// Quantize, the integer op QIndexMap.
type IndexMap struct {
	Shape []int     `json:"shape"`
	Index []int     `json:"index"`
	Const []float64 `json:"const,omitempty"`
}

// QIndexMap is IndexMap in integers: copies cost nothing (the output
// variable is the input's), a constant position is a circuit constant. The
// output keeps the input's fraction, so that copies need no
// requantization; a constant c is quantized at that fraction and
// saturates: Const[j] = clamp(round(c·2^frac), −128, 127) (a masked_fill
// with −10000 becomes −128: the most negative value the output holds, which
// is what a mask before a softmax needs). The output's bounds are the
// input's widened to hold every constant.
type QIndexMap struct {
	Shape []int   `json:"shape"`
	Index []int   `json:"index"`
	Const []int64 `json:"const,omitempty"`
}

func init() {
	quant.RegisterOp(quant.OpInfo{
		Kind: "index_map", ID: 61,
		New:      func() quant.Op { return &QIndexMap{} },
		NewFloat: func() quant.FloatOp { return &IndexMap{} },
		Doc:      "a constant index map: every output copies an input position or is a constant (Expand, Tile, Gather/GatherElements by constant indices, Trilu, Where by a constant condition, Pad edge/reflect/value): no constraints",
	})
}

// AxisIndex returns, for every output position (row-major over out), the
// input position (row-major over in) whose coordinate on each axis a is
// src(a, c) for the output's coordinate c, or −1 where src returns a
// negative value on some axis. in and out have the same rank.
func AxisIndex(in, out []int, src func(axis, c int) int) []int { return indexMap(in, out, src) }

// checkIndexMap checks a map of nIn input positions to shape with nConst
// constants, before anything is allocated by shape.
func checkIndexMap(nIn int, shape, index []int, nConst int) error {
	if err := quant.CheckShape(shape); err != nil {
		return fmt.Errorf("index map output: %w", err)
	}
	if len(index) != quant.ShapeSize(shape) {
		return fmt.Errorf("%w: index map of %d positions for output %v", quant.ErrShape, len(index), shape)
	}
	if nConst > len(index) {
		return fmt.Errorf("%w: index map with %d constants for %d positions", quant.ErrValidation, nConst, len(index))
	}
	for k, i := range index {
		if i >= nIn || i < -nConst {
			return fmt.Errorf("%w: index map position %d reads %d (input of %d values, %d constants)", quant.ErrRange, k, i, nIn, nConst)
		}
	}
	return nil
}

func (m *IndexMap) Kind() string                          { return "index_map" }
func (m *IndexMap) Params() []*quant.Param                { return nil }
func (m *IndexMap) OutFracs(in []int, mx []float64) []int { return keepFrac(in, mx) }

func (m *IndexMap) check(x []int) error {
	if err := checkIndexMap(quant.ShapeSize(x), m.Shape, m.Index, len(m.Const)); err != nil {
		return err
	}
	for j, c := range m.Const {
		if math.IsNaN(c) || math.IsInf(c, 0) {
			return fmt.Errorf("%w: index map constant %d is %v", quant.ErrRange, j, c)
		}
	}
	return nil
}

func (m *IndexMap) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 1); err != nil {
		return nil, err
	}
	if err := m.check(in[0]); err != nil {
		return nil, err
	}
	return [][]int{slices.Clone(m.Shape)}, nil
}

func (m *IndexMap) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	if err := m.check(in[0].Shape); err != nil {
		return nil, err
	}
	y := make([]float64, len(m.Index))
	for k, i := range m.Index {
		if i >= 0 {
			y[k] = in[0].Data[i]
		} else {
			y[k] = m.Const[-1-i]
		}
	}
	return []*quant.FloatTensor{{Shape: slices.Clone(m.Shape), Data: y}}, nil
}

// indexMapBounds: the input's bounds widened to hold the constants.
func indexMapBounds(x quant.Value, consts []int64) (lo, hi int64) {
	lo, hi = x.Lo, x.Hi
	for _, c := range consts {
		lo, hi = min(lo, c), max(hi, c)
	}
	return lo, hi
}

func (m *IndexMap) Quantize(in, out []quant.Value) (quant.Op, error) {
	if err := m.check(in[0].Shape); err != nil {
		return nil, err
	}
	q := &QIndexMap{Shape: slices.Clone(m.Shape), Index: slices.Clone(m.Index)}
	for _, c := range m.Const {
		q.Const = append(q.Const, quant.QuantizeValue(c, in[0].Frac))
	}
	out[0].Frac = in[0].Frac
	out[0].Lo, out[0].Hi = indexMapBounds(in[0], q.Const)
	return q, nil
}

func (q *QIndexMap) Kind() string { return "index_map" }

func (q *QIndexMap) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 1, 1); err != nil {
		return err
	}
	if in[0].DType != quant.DTypeInt8 {
		return fmt.Errorf("%w: index map of a %q value", quant.ErrValidation, in[0].DType)
	}
	if err := checkIndexMap(in[0].Size(), q.Shape, q.Index, len(q.Const)); err != nil {
		return err
	}
	if !slices.Equal(q.Shape, out[0].Shape) {
		return fmt.Errorf("%w: index map to %v, output %v", quant.ErrShape, q.Shape, out[0].Shape)
	}
	for j, c := range q.Const {
		if c < quant.Int8Min || c > quant.Int8Max {
			return fmt.Errorf("%w: index map constant %d = %d is not int8", quant.ErrRange, j, c)
		}
	}
	lo, hi := indexMapBounds(in[0], q.Const)
	if y := out[0]; y.Frac != in[0].Frac || y.Lo != lo || y.Hi != hi {
		return fmt.Errorf("%w: index map output format (frac %d, [%d, %d]), want (frac %d, [%d, %d])", quant.ErrValidation, y.Frac, y.Lo, y.Hi, in[0].Frac, lo, hi)
	}
	return nil
}

func (q *QIndexMap) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	y := make([]int64, len(q.Index))
	for k, i := range q.Index {
		if i >= 0 {
			y[k] = in[0].Data[i]
		} else {
			y[k] = q.Const[-1-i]
		}
	}
	return []*quant.Tensor{{Shape: out[0].Shape, Data: y}}, nil
}

func (q *QIndexMap) Encode(e *quant.Encoder) error {
	e.Ints(intsOf(q.Shape))
	e.Ints(intsOf(q.Index))
	e.Ints(q.Const)
	return nil
}
func (q *QIndexMap) EncodeWeights(*quant.Encoder) error { return nil }
func (q *QIndexMap) Cost(_, _ []quant.Value) quant.Cost { return quant.Cost{} }
