package ops

import (
	"fmt"
	"math"

	"github.com/zkinfer/zkinfer/quant"
)

// Binary is an elementwise Add, Sub or Mul of two activations, with numpy
// broadcasting.
type Binary struct {
	Op string `json:"op"` // "add", "sub", "mul"
}

// QBinary is Binary in integers. For add and sub both operands are brought
// to the finer fraction F by exact left shifts, then acc = a·2^ShiftA ± b·2^ShiftB
// is requantized to the output: clamp(floor((acc + 2^(Shift-1)) / 2^Shift)).
// For mul, acc = a·b (fraction fa + fb) is requantized the same way.
type QBinary struct {
	Op     string `json:"op"`
	ShiftA uint   `json:"shift_a"`
	ShiftB uint   `json:"shift_b"`
	Shift  uint   `json:"shift"`
}

func init() {
	quant.RegisterOp(quant.OpInfo{
		Kind: "binary", ID: 3,
		New:      func() quant.Op { return &QBinary{} },
		NewFloat: func() quant.FloatOp { return &Binary{} },
		Doc:      "a + b, a − b, a·b of two activations (broadcast): one requantization per output, plus one product for mul",
	})
}

func (b *Binary) Kind() string           { return "binary" }
func (b *Binary) Params() []*quant.Param { return nil }
func (b *Binary) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 2); err != nil {
		return nil, err
	}
	if b.Op != "add" && b.Op != "sub" && b.Op != "mul" {
		return nil, fmt.Errorf("%w: binary op %q (supported: add, sub, mul)", quant.ErrValidation, b.Op)
	}
	s, err := BroadcastShape(in[0], in[1])
	if err != nil {
		return nil, err
	}
	return [][]int{s}, nil
}

func (b *Binary) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	shape, err := BroadcastShape(in[0].Shape, in[1].Shape)
	if err != nil {
		return nil, err
	}
	ia, ib := BroadcastIndex(in[0].Shape, shape), BroadcastIndex(in[1].Shape, shape)
	y := make([]float64, len(ia))
	for p := range y {
		x, z := in[0].Data[ia[p]], in[1].Data[ib[p]]
		switch b.Op {
		case "add":
			y[p] = x + z
		case "sub":
			y[p] = x - z
		default:
			y[p] = x * z
		}
	}
	return []*quant.FloatTensor{{Shape: shape, Data: y}}, nil
}

// OutFracs: the output's fraction from its range, but no finer than the
// exact result's (F for add/sub, fa + fb for mul).
func (b *Binary) OutFracs(in []int, mx []float64) []int {
	exact := max(in[0], in[1])
	if b.Op == "mul" {
		exact = in[0] + in[1]
	}
	return []int{min(quant.FracFor(mx[0]), exact)}
}

func (b *Binary) Quantize(in, out []quant.Value) (quant.Op, error) {
	q := &QBinary{Op: b.Op}
	if err := q.shifts(in, out); err != nil {
		return nil, err
	}
	return q, nil
}

// shifts derives the shifts from the fractions (Quantize) or checks them (Check).
func (q *QBinary) shifts(in, out []quant.Value) error {
	fa, fb, fo := in[0].Frac, in[1].Frac, out[0].Frac
	var sa, sb, s int
	if q.Op == "mul" {
		s = fa + fb - fo
	} else {
		f := max(fa, fb)
		sa, sb, s = f-fa, f-fb, f-fo
	}
	if s < 0 || s > quant.MaxShift || sa > 24 || sb > 24 {
		return fmt.Errorf("%w: fractions %d, %d → %d need shifts %d, %d, %d", quant.ErrRange, fa, fb, fo, sa, sb, s)
	}
	if q.Op == "mul" && (in[0].Lo < -128 || in[1].Lo < -128) {
		return fmt.Errorf("%w: operands not int8", quant.ErrRange)
	}
	if out[0].Lo == 0 && out[0].Hi == 0 {
		out[0].Lo, out[0].Hi = quant.Int8Min, quant.Int8Max
	}
	want := QBinary{Op: q.Op, ShiftA: uint(sa), ShiftB: uint(sb), Shift: uint(s)}
	if q.ShiftA == 0 && q.ShiftB == 0 && q.Shift == 0 {
		*q = want
	}
	if *q != want {
		return fmt.Errorf("%w: shifts %d, %d, %d, the fractions give %d, %d, %d", quant.ErrValidation, q.ShiftA, q.ShiftB, q.Shift, sa, sb, s)
	}
	return nil
}

func (q *QBinary) Kind() string { return "binary" }

func (q *QBinary) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 2, 1); err != nil {
		return err
	}
	if q.Op != "add" && q.Op != "sub" && q.Op != "mul" {
		return fmt.Errorf("%w: binary op %q", quant.ErrValidation, q.Op)
	}
	shape, err := BroadcastShape(in[0].Shape, in[1].Shape)
	if err != nil {
		return err
	}
	if !sameShape(shape, out[0].Shape) {
		return fmt.Errorf("%w: output %v, the operands broadcast to %v", quant.ErrShape, out[0].Shape, shape)
	}
	if out[0].Lo != quant.Int8Min || out[0].Hi != quant.Int8Max {
		return fmt.Errorf("%w: output bounds [%d, %d], want int8", quant.ErrRange, out[0].Lo, out[0].Hi)
	}
	c := *q
	return c.shifts(in, out)
}

// Acc returns the accumulator of one output from its operands.
func (q *QBinary) Acc(a, b int64) int64 {
	switch q.Op {
	case "add":
		return a<<q.ShiftA + b<<q.ShiftB
	case "sub":
		return a<<q.ShiftA - b<<q.ShiftB
	}
	return a * b
}

// AccBits bounds |acc| < 2^AccBits for int8 operands.
func (q *QBinary) AccBits() int {
	if q.Op == "mul" {
		return 15
	}
	return 9 + int(max(q.ShiftA, q.ShiftB))
}

func (q *QBinary) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	shape := out[0].Shape
	ia, ib := BroadcastIndex(in[0].Shape, shape), BroadcastIndex(in[1].Shape, shape)
	y := make([]int64, len(ia))
	for p := range y {
		y[p] = quant.Requantize(q.Acc(in[0].Data[ia[p]], in[1].Data[ib[p]]), 1, q.Shift, quant.Int8Min, quant.Int8Max)
	}
	return []*quant.Tensor{{Shape: shape, Data: y}}, nil
}

func (q *QBinary) Encode(e *quant.Encoder) error {
	e.Int(map[string]int64{"add": 1, "sub": 2, "mul": 3}[q.Op])
	e.Int(int64(q.ShiftA))
	e.Int(int64(q.ShiftB))
	e.Int(int64(q.Shift))
	return nil
}
func (q *QBinary) EncodeWeights(*quant.Encoder) error { return nil }
func (q *QBinary) Cost(_, out []quant.Value) quant.Cost {
	n := out[0].Size()
	c := RefRequant(q.Shift) * n
	if q.Op == "mul" {
		c += n
	}
	return quant.Cost{R1CS: c, SCS: RequantCostSCS * n}
}

var _ = math.Abs
