package ops

import (
	"fmt"

	"github.com/zkinfer/zkinfer/quant"
)

// Logic is ONNX Not, And, Or or Xor on booleans: int8 values at frac 0
// with bounds exactly [0, 1] (BOOL inputs, comparisons, other logic ops),
// broadcast. It is both the float op (nonzero is true) and the integer op:
// not x = 1 − x (free), x and y = x·y, x or y = x + y − x·y,
// x xor y = x + y − 2·x·y (one product each). Because the inputs are
// bounded to [0, 1] by their producers (Check requires exactly those
// bounds), the outputs are 0 or 1 with no further constraint.
type Logic struct {
	Op string `json:"op"` // "not", "and", "or", "xor"
}

func init() {
	quant.RegisterOp(quant.OpInfo{
		Kind: "logic", ID: 62,
		New:      func() quant.Op { return &Logic{} },
		NewFloat: func() quant.FloatOp { return &Logic{} },
		Doc:      "not, and, or, xor of booleans ([0, 1] at frac 0, broadcast): not free, the others one product per output",
	})
}

func (l *Logic) nIn() (int, error) {
	switch l.Op {
	case "not":
		return 1, nil
	case "and", "or", "xor":
		return 2, nil
	}
	return 0, fmt.Errorf("%w: logic op %q (supported: not, and, or, xor)", quant.ErrValidation, l.Op)
}

func (l *Logic) Kind() string                    { return "logic" }
func (l *Logic) Params() []*quant.Param          { return nil }
func (l *Logic) OutFracs([]int, []float64) []int { return []int{0} }

func (l *Logic) outShape(in [][]int) ([]int, error) {
	n, err := l.nIn()
	if err != nil {
		return nil, err
	}
	if err := arity(in, n); err != nil {
		return nil, err
	}
	if n == 1 {
		return in[0], nil
	}
	return BroadcastShape(in[0], in[1])
}

func (l *Logic) OutShapes(in [][]int) ([][]int, error) {
	s, err := l.outShape(in)
	if err != nil {
		return nil, err
	}
	return [][]int{s}, nil
}

// LogicInt applies the op to 0/1 integers (b is ignored by not).
func LogicInt(op string, a, b int64) int64 {
	switch op {
	case "not":
		return 1 - a
	case "and":
		return a * b
	case "or":
		return a + b - a*b
	}
	return a + b - 2*a*b
}

func boolOf(v float64) int64 {
	if v != 0 {
		return 1
	}
	return 0
}

func (l *Logic) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	if _, err := l.nIn(); err != nil {
		return nil, err
	}
	if l.Op == "not" {
		y := make([]float64, len(in[0].Data))
		for i, v := range in[0].Data {
			y[i] = float64(1 - boolOf(v))
		}
		return []*quant.FloatTensor{{Shape: in[0].Shape, Data: y}}, nil
	}
	return broadcast2(in[0], in[1], func(a, b float64) float64 { return float64(LogicInt(l.Op, boolOf(a), boolOf(b))) })
}

func (l *Logic) Quantize(in, out []quant.Value) (quant.Op, error) {
	out[0].Frac, out[0].Lo, out[0].Hi = 0, 0, 1
	q := &Logic{Op: l.Op}
	if err := q.Check(in, out); err != nil {
		return nil, fmt.Errorf("%w (logic ops take booleans: BOOL inputs, comparisons or other logic ops)", err)
	}
	return q, nil
}

func (l *Logic) Check(in, out []quant.Value) error {
	n, err := l.nIn()
	if err != nil {
		return err
	}
	if err := arity2(in, out, n, 1); err != nil {
		return err
	}
	shapes := make([][]int, n)
	for k, v := range in {
		if v.DType != quant.DTypeInt8 || v.Frac != 0 || v.Lo != 0 || v.Hi != 1 {
			return fmt.Errorf("%w: logic input %d (%q, frac %d, [%d, %d]) is not a boolean (int8 at frac 0 within [0, 1])", quant.ErrRange, k, v.DType, v.Frac, v.Lo, v.Hi)
		}
		shapes[k] = v.Shape
	}
	s, err := l.outShape(shapes)
	if err != nil {
		return err
	}
	if !sameShape(s, out[0].Shape) {
		return fmt.Errorf("%w: logic output %v, want %v", quant.ErrShape, out[0].Shape, s)
	}
	if y := out[0]; y.Frac != 0 || y.Lo != 0 || y.Hi != 1 {
		return fmt.Errorf("%w: logic output at frac %d in [%d, %d], want frac 0 in [0, 1]", quant.ErrValidation, y.Frac, y.Lo, y.Hi)
	}
	return nil
}

func (l *Logic) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	shape := out[0].Shape
	y := make([]int64, quant.ShapeSize(shape))
	if l.Op == "not" {
		for p, v := range in[0].Data {
			y[p] = LogicInt(l.Op, v, 0)
		}
		return []*quant.Tensor{{Shape: shape, Data: y}}, nil
	}
	ia, ib := BroadcastIndex(in[0].Shape, shape), BroadcastIndex(in[1].Shape, shape)
	for p := range y {
		y[p] = LogicInt(l.Op, in[0].Data[ia[p]], in[1].Data[ib[p]])
	}
	return []*quant.Tensor{{Shape: shape, Data: y}}, nil
}

var logicOps = map[string]int64{"not": 1, "and": 2, "or": 3, "xor": 4}

func (l *Logic) Encode(e *quant.Encoder) error {
	if _, err := l.nIn(); err != nil {
		return err
	}
	e.Int(logicOps[l.Op])
	return nil
}
func (l *Logic) EncodeWeights(*quant.Encoder) error { return nil }

// Cost: one product per output (not is a linear combination).
func (l *Logic) Cost(_, out []quant.Value) quant.Cost {
	if l.Op == "not" {
		return quant.Cost{}
	}
	n := out[0].Size()
	return quant.Cost{R1CS: n, SCS: n}
}
