package ops

import (
	"fmt"
	"slices"

	"github.com/zkinfer/zkinfer/quant"
)

// Linear is y = x·W + b over the last axis of x, with W [in][out] constant
// (ONNX Gemm and MatMul with a constant right operand, torch nn.Linear),
// optionally followed by ReLU, which the requantization's clamp absorbs.
type Linear struct {
	ReLU bool `json:"relu,omitempty"`
	// Group, when set, ties the output fraction to every other op of the
	// same group (quant.SharedFrac): the column blocks of a layer wider
	// than quant.MaxDim, so that their concat needs no requantization.
	Group  string       `json:"group,omitempty"`
	Weight *quant.Param `json:"-"`
	Bias   *quant.Param `json:"-"`
}

// QLinear is Linear in integers: quant.Dense applied to every row of the
// last axis (constant weights, per-channel multipliers, one shift).
type QLinear struct {
	quant.Dense
}

func init() {
	quant.RegisterOp(quant.OpInfo{
		Kind: "linear", ID: 1,
		New:      func() quant.Op { return &QLinear{} },
		NewFloat: func() quant.FloatOp { return NewLinear(nil, nil, false) },
		Doc:      "x·W + b on the last axis, W constant (Gemm, MatMul, Linear), ReLU fused: free accumulation, one requantization per output",
	})
}

// NewLinear returns a Linear with weights w [in][out] and bias b [out].
func NewLinear(w, b *quant.FloatTensor, relu bool) *Linear {
	return &Linear{ReLU: relu, Weight: &quant.Param{Name: "weight", T: w}, Bias: &quant.Param{Name: "bias", T: b}}
}

func (l *Linear) Kind() string                         { return "linear" }
func (l *Linear) Params() []*quant.Param               { return []*quant.Param{l.Weight, l.Bias} }
func (l *Linear) dims() (in, out int)                  { return l.Weight.T.Shape[0], l.Weight.T.Shape[1] }
func (l *Linear) OutFracs(_ []int, mx []float64) []int { return []int{quant.FracFor(mx[0])} }

// FracGroup is the calibration group (quant.SharedFrac).
func (l *Linear) FracGroup() string { return l.Group }

func (l *Linear) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 1); err != nil {
		return nil, err
	}
	w, b := l.Weight.T, l.Bias.T
	if w == nil || b == nil || len(w.Shape) != 2 || len(b.Shape) != 1 || b.Shape[0] != w.Shape[1] {
		return nil, fmt.Errorf("%w: weight %v and bias %v, want [in, out] and [out]", quant.ErrShape, shapeOf(w), shapeOf(b))
	}
	x := in[0]
	if len(x) == 0 || x[len(x)-1] != w.Shape[0] {
		return nil, fmt.Errorf("%w: input %v, weight %v: the input's last axis must be %d", quant.ErrShape, x, w.Shape, w.Shape[0])
	}
	if w.Shape[0] > quant.MaxDim || w.Shape[1] > quant.MaxDim {
		return nil, fmt.Errorf("%w: weight %v, at most %d per axis", quant.ErrShape, w.Shape, quant.MaxDim)
	}
	out := slices.Clone(x)
	out[len(out)-1] = w.Shape[1]
	return [][]int{out}, nil
}

func (l *Linear) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	x := in[0]
	ni, no := l.dims()
	rows := len(x.Data) / ni
	y := make([]float64, rows*no)
	w, b := l.Weight.T.Data, l.Bias.T.Data
	for r := 0; r < rows; r++ {
		xr := x.Data[r*ni : (r+1)*ni]
		for j := 0; j < no; j++ {
			s := b[j]
			for i, v := range xr {
				s += v * w[i*no+j]
			}
			if l.ReLU && s < 0 {
				s = 0
			}
			y[r*no+j] = s
		}
	}
	shape := slices.Clone(x.Shape)
	shape[len(shape)-1] = no
	return []*quant.FloatTensor{{Shape: shape, Data: y}}, nil
}

func (l *Linear) Quantize(in, out []quant.Value) (quant.Op, error) {
	return l.QuantizePrecision(in, out, nil, quant.Requantizer{})
}

// QuantizePrecision is Quantize with the shift chosen by r.
func (l *Linear) QuantizePrecision(in, out []quant.Value, _ []int, r quant.Requantizer) (quant.Op, error) {
	ni, no := l.dims()
	lo := int64(quant.Int8Min)
	if l.ReLU {
		lo = 0
	}
	d, err := r.QuantizeDense(l.Weight.T.Data, l.Bias.T.Data, ni, no, in[0].Frac, out[0].Frac, lo)
	if err != nil {
		return nil, err
	}
	out[0].Lo, out[0].Hi = d.Lo, d.Hi
	return &QLinear{Dense: *d}, nil
}

func (q *QLinear) Kind() string { return "linear" }

func (q *QLinear) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 1, 1); err != nil {
		return err
	}
	if err := q.Dense.Validate("linear"); err != nil {
		return err
	}
	x, y := in[0].Shape, out[0].Shape
	want := slices.Clone(x)
	if len(want) > 0 {
		want[len(want)-1] = q.Out
	}
	if len(x) == 0 || x[len(x)-1] != q.In || !slices.Equal(y, want) {
		return fmt.Errorf("%w: %d×%d layer maps %v to %v", quant.ErrShape, q.In, q.Out, x, y)
	}
	if out[0].Lo != q.Lo || out[0].Hi != q.Hi {
		return fmt.Errorf("%w: output bounds [%d, %d], the layer clamps to [%d, %d]", quant.ErrValidation, out[0].Lo, out[0].Hi, q.Lo, q.Hi)
	}
	return nil
}

func (q *QLinear) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	x := in[0].Data
	rows := len(x) / q.In
	y := make([]int64, 0, rows*q.Out)
	for r := 0; r < rows; r++ {
		_, o := q.Apply(x[r*q.In : (r+1)*q.In])
		y = append(y, o...)
	}
	return []*quant.Tensor{{Shape: out[0].Shape, Data: y}}, nil
}

func (q *QLinear) Encode(e *quant.Encoder) error {
	e.Int(int64(q.In))
	e.Int(int64(q.Out))
	e.Int(int64(q.Shift))
	e.Int(q.Lo)
	e.Int(q.Hi)
	return nil
}

func (q *QLinear) EncodeWeights(e *quant.Encoder) error {
	return quant.EncodeWeightSpecs(e, q.Weights())
}

// Weights lists W (int8, [in][out]), B (int32) and Mult.
func (q *QLinear) Weights() []quant.WeightSpec {
	w := make([]int64, len(q.W))
	for i, v := range q.W {
		w[i] = int64(v)
	}
	return []quant.WeightSpec{{Kind: quant.WeightInt8, Values: w}, {Kind: quant.WeightInt32, Values: q.B}, {Kind: quant.WeightMult, Values: q.Mult}}
}

func (q *QLinear) Cost(in, out []quant.Value) quant.Cost {
	n := out[0].Size()
	nz := 0
	for _, w := range q.W {
		if w != 0 {
			nz++
		}
	}
	rows := n / q.Out
	return quant.Cost{R1CS: RequantCost * n, SCS: RequantCostSCS*n + nz*rows, Params: len(q.W) + len(q.B)}
}
