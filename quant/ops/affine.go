package ops

import (
	"fmt"
	"math"
	"slices"

	"github.com/zkinfer/zkinfer/quant"
)

// Affine is y = x·scale + shift elementwise, with constant scale and shift
// tensors broadcast to x (numpy rules; neither may widen x): ONNX Add, Sub,
// Mul and Div by a constant, and BatchNormalization in inference form.
// A ReLU after it is fused into the clamp, as for Linear.
type Affine struct {
	ReLU  bool         `json:"relu,omitempty"`
	Scale *quant.Param `json:"-"`
	Shift *quant.Param `json:"-"`
}

// QAffine is Affine in integers: a Dense with a diagonal weight. Every
// output p is acc = x_p·W[p] + B[p] (W and B read by broadcasting), then
// Requantize(acc, Mult, Shift, Lo, Hi). W are int8 at one symmetric
// per-tensor scale, B int32 at the accumulator's scale, and one multiplier
// and shift map the accumulator to the output's fraction. The weights are
// circuit constants, so the product is free in R1CS.
type QAffine struct {
	WShape []int   `json:"w_shape"`
	W      []int8  `json:"w"`
	BShape []int   `json:"b_shape"`
	B      []int64 `json:"b"`
	Mult   int64   `json:"mult"`
	Shift  uint    `json:"shift"`
	Lo     int64   `json:"lo"`
	Hi     int64   `json:"hi"`
}

func init() {
	quant.RegisterOp(quant.OpInfo{
		Kind: "affine", ID: 10,
		New:      func() quant.Op { return &QAffine{} },
		NewFloat: func() quant.FloatOp { return NewAffine(nil, nil, false) },
		Doc:      "x·scale + shift elementwise with constant scale and shift (Add/Sub/Mul/Div by a constant, BatchNormalization), ReLU fused: one requantization per output",
	})
}

// NewAffine returns an Affine with the given scale and shift tensors.
func NewAffine(scale, shift *quant.FloatTensor, relu bool) *Affine {
	return &Affine{ReLU: relu, Scale: &quant.Param{Name: "scale", T: scale}, Shift: &quant.Param{Name: "shift", T: shift}}
}

func (a *Affine) Kind() string                         { return "affine" }
func (a *Affine) Params() []*quant.Param               { return []*quant.Param{a.Scale, a.Shift} }
func (a *Affine) OutFracs(_ []int, mx []float64) []int { return []int{quant.FracFor(mx[0])} }

// fitsInto checks that a constant of shape c broadcasts to x without widening it.
func fitsInto(what string, c, x []int) error {
	s, err := BroadcastShape(x, c)
	if err != nil || !sameShape(s, x) {
		return fmt.Errorf("%w: %s of shape %v does not broadcast to the input %v without widening it", quant.ErrShape, what, c, x)
	}
	return nil
}

func (a *Affine) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 1); err != nil {
		return nil, err
	}
	for _, p := range a.Params() {
		if p == nil || p.T == nil {
			return nil, fmt.Errorf("%w: affine without its %s", quant.ErrValidation, p.Name)
		}
		if err := quant.CheckShape(p.T.Shape); err != nil {
			return nil, fmt.Errorf("%s: %w", p.Name, err)
		}
		if len(p.T.Data) != quant.ShapeSize(p.T.Shape) {
			return nil, fmt.Errorf("%w: %s has %d values for shape %v", quant.ErrShape, p.Name, len(p.T.Data), p.T.Shape)
		}
		for i, v := range p.T.Data {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: %s element %d is %v", quant.ErrRange, p.Name, i, v)
			}
		}
		if err := fitsInto(p.Name, p.T.Shape, in[0]); err != nil {
			return nil, err
		}
	}
	return [][]int{slices.Clone(in[0])}, nil
}

func (a *Affine) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	x := in[0]
	is, ib := BroadcastIndex(a.Scale.T.Shape, x.Shape), BroadcastIndex(a.Shift.T.Shape, x.Shape)
	y := make([]float64, len(x.Data))
	for p, v := range x.Data {
		y[p] = v*a.Scale.T.Data[is[p]] + a.Shift.T.Data[ib[p]]
		if a.ReLU && y[p] < 0 {
			y[p] = 0
		}
	}
	return []*quant.FloatTensor{{Shape: x.Shape, Data: y}}, nil
}

// affineShift returns the shift chosen by r (by default the largest at
// which ratio·2^shift rounds below quant.MaxMultiplier, the rule of
// quant.QuantizeDense) and the multiplier.
func affineShift(ratio float64, r quant.Requantizer) (uint, int64, error) {
	shift, err := r.Shift("", ratio)
	if err != nil {
		return 0, 0, err
	}
	m := math.Round(math.Ldexp(ratio, int(shift)))
	if m >= quant.MaxMultiplier || m < 0 || math.IsNaN(m) {
		return 0, 0, fmt.Errorf("%w: requantization multiplier %g too large for the chosen scales", quant.ErrRange, ratio)
	}
	return uint(shift), int64(m), nil
}

func (a *Affine) Quantize(in, out []quant.Value) (quant.Op, error) {
	return a.QuantizePrecision(in, out, nil, quant.Requantizer{})
}

// QuantizePrecision is Quantize with the shift chosen by r.
func (a *Affine) QuantizePrecision(in, out []quant.Value, _ []int, r quant.Requantizer) (quant.Op, error) {
	fi, fo := in[0].Frac, out[0].Frac
	mx := 0.0
	for _, v := range a.Scale.T.Data {
		mx = math.Max(mx, math.Abs(v))
	}
	if mx == 0 {
		mx = 1
	}
	sw := mx / quant.Int8Max
	q := &QAffine{WShape: slices.Clone(a.Scale.T.Shape), BShape: slices.Clone(a.Shift.T.Shape), Lo: quant.Int8Min, Hi: quant.Int8Max}
	if a.ReLU {
		q.Lo = 0
	}
	q.W = make([]int8, len(a.Scale.T.Data))
	for i, v := range a.Scale.T.Data {
		q.W[i] = int8(quant.Clamp(int64(math.Round(v/sw)), -quant.Int8Max, quant.Int8Max))
	}
	accScale := math.Ldexp(sw, -fi)
	q.B = make([]int64, len(a.Shift.T.Data))
	for i, v := range a.Shift.T.Data {
		q.B[i] = quant.Clamp(int64(math.Round(v/accScale)), quant.Int32Min, quant.Int32Max)
	}
	var err error
	if q.Shift, q.Mult, err = affineShift(math.Ldexp(sw, fo-fi), r); err != nil {
		return nil, err
	}
	out[0].Lo, out[0].Hi = q.Lo, q.Hi
	return q, nil
}

func (q *QAffine) Kind() string { return "affine" }

func (q *QAffine) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 1, 1); err != nil {
		return err
	}
	x := in[0].Shape
	if !sameShape(x, out[0].Shape) {
		return fmt.Errorf("%w: affine maps %v to %v", quant.ErrShape, x, out[0].Shape)
	}
	for _, p := range []struct {
		name  string
		shape []int
		n     int
	}{{"weight", q.WShape, len(q.W)}, {"bias", q.BShape, len(q.B)}} {
		if err := quant.CheckShape(p.shape); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		if quant.ShapeSize(p.shape) != p.n {
			return fmt.Errorf("%w: %s has %d values for shape %v", quant.ErrShape, p.name, p.n, p.shape)
		}
		if err := fitsInto(p.name, p.shape, x); err != nil {
			return err
		}
	}
	for i, b := range q.B {
		if b < quant.Int32Min || b > quant.Int32Max {
			return fmt.Errorf("%w: bias %d = %d is not int32", quant.ErrRange, i, b)
		}
	}
	if q.Mult < 0 || q.Mult >= quant.MaxMultiplier || q.Shift > quant.MaxShift {
		return fmt.Errorf("%w: multiplier %d, shift %d (want 0..%d, at most %d)", quant.ErrRange, q.Mult, q.Shift, quant.MaxMultiplier-1, quant.MaxShift)
	}
	if q.Lo < quant.Int8Min || q.Hi > quant.Int8Max || q.Lo >= q.Hi {
		return fmt.Errorf("%w: clamp bounds [%d, %d] not within int8", quant.ErrRange, q.Lo, q.Hi)
	}
	if out[0].Lo != q.Lo || out[0].Hi != q.Hi {
		return fmt.Errorf("%w: output bounds [%d, %d], the op clamps to [%d, %d]", quant.ErrValidation, out[0].Lo, out[0].Hi, q.Lo, q.Hi)
	}
	if in[0].Lo < quant.Int8Min || in[0].Hi > quant.Int8Max {
		return fmt.Errorf("%w: input bounds [%d, %d] not within int8", quant.ErrRange, in[0].Lo, in[0].Hi)
	}
	return nil
}

// AccBound bounds |acc| over every int8 input.
func (q *QAffine) AccBound() int64 {
	var w, b int64
	for _, v := range q.W {
		w = max(w, affineAbs(int64(v)))
	}
	for _, v := range q.B {
		b = max(b, affineAbs(v))
	}
	return 128*w + b
}

func affineAbs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// Index returns, for every output position, the positions of its weight and bias.
func (q *QAffine) Index(x []int) (iw, ib []int) {
	return BroadcastIndex(q.WShape, x), BroadcastIndex(q.BShape, x)
}

func (q *QAffine) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	x := in[0]
	iw, ib := q.Index(x.Shape)
	y := make([]int64, len(x.Data))
	for p, v := range x.Data {
		y[p] = quant.Requantize(v*int64(q.W[iw[p]])+q.B[ib[p]], q.Mult, q.Shift, q.Lo, q.Hi)
	}
	return []*quant.Tensor{{Shape: out[0].Shape, Data: y}}, nil
}

func (q *QAffine) Encode(e *quant.Encoder) error {
	e.Shape(q.WShape)
	e.Shape(q.BShape)
	e.Int(int64(q.Shift))
	e.Int(q.Lo)
	e.Int(q.Hi)
	return nil
}

func (q *QAffine) EncodeWeights(e *quant.Encoder) error {
	return quant.EncodeWeightSpecs(e, q.Weights())
}

// Weights lists W (int8, of WShape), B (int32, of BShape) and the one Mult.
func (q *QAffine) Weights() []quant.WeightSpec {
	w := make([]int64, len(q.W))
	for i, v := range q.W {
		w[i] = int64(v)
	}
	return []quant.WeightSpec{{Kind: quant.WeightInt8, Values: w}, {Kind: quant.WeightInt32, Values: q.B}, {Kind: quant.WeightMult, Values: []int64{q.Mult}}}
}

func (q *QAffine) Cost(_, out []quant.Value) quant.Cost {
	n := out[0].Size()
	return quant.Cost{R1CS: RequantCost * n, SCS: RequantCostSCS*n + n, Params: len(q.W) + len(q.B)}
}
