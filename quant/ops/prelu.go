package ops

import (
	"fmt"
	"math"
	"slices"

	"github.com/zkinfer/zkinfer/quant"
)

// PRelu is ONNX PRelu with a constant slope (per channel, or any shape
// that broadcasts to the input's): y = x for x ≥ 0, slope·x otherwise.
type PRelu struct {
	SlopeShape []int     `json:"slope_shape"`
	Slope      []float64 `json:"slope"`
}

// QPRelu is PRelu in integers. The output keeps the input's fraction; the
// slopes are fixed-point multipliers A = round(slope·2^Shift) with
// |A| < 2^15 (Shift ≤ 16, the largest that fits the largest slope):
//
//	y = x                                         for x ≥ 0
//	y = clamp(floor((x·A + 2^(Shift−1)) / 2^Shift), −128, 127)  for x < 0
//
// The gadget computes both branches as one requantization of x·M with
// M = 2^Shift + s·(A − 2^Shift), s = [x < 0] a hinted bit pinned by
// x + 128·s ∈ [0, 2^7) (for x ≥ 0 the requantization returns x exactly):
// one bit, one 7-bit range check, one product, one requantization per
// value. The slopes are architecture constants of the commitment (not
// witness weights).
type QPRelu struct {
	SlopeShape []int   `json:"slope_shape"`
	A          []int64 `json:"a"`
	Shift      uint    `json:"shift"`
}

// MaxPReluShift is the finest slope resolution; |A| < 2^15 bounds the
// multipliers.
const (
	MaxPReluShift = 16
	maxPReluMult  = 1 << 15
)

func init() {
	quant.RegisterOp(quant.OpInfo{
		Kind: "prelu", ID: 64,
		New:      func() quant.Op { return &QPRelu{} },
		NewFloat: func() quant.FloatOp { return &PRelu{} },
		Doc:      "x for x ≥ 0, slope·x otherwise, constant slopes broadcast (PRelu): a sign bit, a product and a requantization per value",
	})
}

func (p *PRelu) Kind() string                          { return "prelu" }
func (p *PRelu) Params() []*quant.Param                { return nil }
func (p *PRelu) OutFracs(in []int, mx []float64) []int { return keepFrac(in, mx) }

// checkSlope checks that a slope of shape s broadcasts to x unchanged.
func checkSlope(x, s []int, n int) error {
	if err := quant.CheckShape(s); err != nil {
		return fmt.Errorf("prelu slope: %w", err)
	}
	if n != quant.ShapeSize(s) {
		return fmt.Errorf("%w: prelu slope of %d values for shape %v", quant.ErrShape, n, s)
	}
	b, err := BroadcastShape(x, s)
	if err != nil || !slices.Equal(b, x) {
		return fmt.Errorf("%w: prelu slope %v does not broadcast to the input %v", quant.ErrShape, s, x)
	}
	return nil
}

func (p *PRelu) check(x []int) error {
	if err := checkSlope(x, p.SlopeShape, len(p.Slope)); err != nil {
		return err
	}
	for _, a := range p.Slope {
		if math.IsNaN(a) || math.Abs(a) >= maxPReluMult {
			return fmt.Errorf("%w: prelu slope %v (|slope| < %d)", quant.ErrRange, a, maxPReluMult)
		}
	}
	return nil
}

func (p *PRelu) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 1); err != nil {
		return nil, err
	}
	if err := p.check(in[0]); err != nil {
		return nil, err
	}
	return [][]int{in[0]}, nil
}

func (p *PRelu) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	if err := p.check(in[0].Shape); err != nil {
		return nil, err
	}
	is := BroadcastIndex(p.SlopeShape, in[0].Shape)
	y := make([]float64, len(in[0].Data))
	for i, v := range in[0].Data {
		if v < 0 {
			v *= p.Slope[is[i]]
		}
		y[i] = v
	}
	return []*quant.FloatTensor{{Shape: in[0].Shape, Data: y}}, nil
}

func (p *PRelu) Quantize(in, out []quant.Value) (quant.Op, error) {
	if err := p.check(in[0].Shape); err != nil {
		return nil, err
	}
	big := 0.0
	for _, a := range p.Slope {
		big = max(big, math.Abs(a))
	}
	s := MaxPReluShift
	for s > 0 && math.Round(math.Ldexp(big, s)) >= maxPReluMult {
		s--
	}
	q := &QPRelu{SlopeShape: slices.Clone(p.SlopeShape), Shift: uint(s)}
	for _, a := range p.Slope {
		q.A = append(q.A, int64(math.Round(math.Ldexp(a, s))))
	}
	out[0].Frac, out[0].Lo, out[0].Hi = in[0].Frac, quant.Int8Min, quant.Int8Max
	if err := q.Check(in, out); err != nil {
		return nil, err
	}
	return q, nil
}

func (q *QPRelu) Kind() string { return "prelu" }

func (q *QPRelu) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 1, 1); err != nil {
		return err
	}
	if in[0].DType != quant.DTypeInt8 {
		return fmt.Errorf("%w: prelu of a %q value", quant.ErrValidation, in[0].DType)
	}
	if err := checkSlope(in[0].Shape, q.SlopeShape, len(q.A)); err != nil {
		return err
	}
	if q.Shift > MaxPReluShift {
		return fmt.Errorf("%w: prelu shift %d, at most %d", quant.ErrRange, q.Shift, MaxPReluShift)
	}
	for _, a := range q.A {
		if a <= -maxPReluMult || a >= maxPReluMult {
			return fmt.Errorf("%w: prelu multiplier %d (|A| < %d)", quant.ErrRange, a, maxPReluMult)
		}
	}
	if !sameShape(in[0].Shape, out[0].Shape) {
		return fmt.Errorf("%w: prelu maps %v to %v", quant.ErrShape, in[0].Shape, out[0].Shape)
	}
	if y := out[0]; y.Frac != in[0].Frac || y.Lo != quant.Int8Min || y.Hi != quant.Int8Max {
		return fmt.Errorf("%w: prelu output (frac %d, [%d, %d]), want (frac %d, int8)", quant.ErrValidation, y.Frac, y.Lo, y.Hi, in[0].Frac)
	}
	return nil
}

// Slopes returns every input position's multiplier.
func (q *QPRelu) Slopes(x []int) []int64 {
	is := BroadcastIndex(q.SlopeShape, x)
	a := make([]int64, len(is))
	for i, k := range is {
		a[i] = q.A[k]
	}
	return a
}

// PReluInt is the integer reference of one value with multiplier a.
func PReluInt(x, a int64, shift uint) int64 {
	if x >= 0 {
		return x
	}
	return quant.Requantize(x*a, 1, shift, quant.Int8Min, quant.Int8Max)
}

func (q *QPRelu) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	a := q.Slopes(in[0].Shape)
	y := make([]int64, len(in[0].Data))
	for i, v := range in[0].Data {
		y[i] = PReluInt(v, a[i], q.Shift)
	}
	return []*quant.Tensor{{Shape: out[0].Shape, Data: y}}, nil
}

func (q *QPRelu) Encode(e *quant.Encoder) error {
	e.Ints(intsOf(q.SlopeShape))
	e.Ints(q.A)
	e.Int(int64(q.Shift))
	return nil
}
func (q *QPRelu) EncodeWeights(*quant.Encoder) error { return nil }

// Cost per value: the bit, the product, the 7-bit range check and the
// requantization; measured on 64×64: 10.0 R1CS, 31 PLONK per value.
func (q *QPRelu) Cost(in, _ []quant.Value) quant.Cost {
	n := in[0].Size()
	return quant.Cost{R1CS: 10 * n, SCS: 31 * n}
}
