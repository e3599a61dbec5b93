package ops

import (
	"fmt"
	"math"
	"slices"

	"github.com/zkinfer/zkinfer/quant"
)

// Rope is rotary position embedding (RoPE, Llama's apply_rotary_pos_emb
// with rotate_half) on the last two axes of x [..., T, D], D even, h = D/2:
//
//	y[t, j] = x[t, j]·cos[t, j] + r(x)[t, j]·sin[t, j]
//	r(x)[t, j] = −x[t, j + h] (j < h),  x[t, j − h] (j ≥ h)
//
// with constant position tables cos and sin [T, D]: per position a linear
// map with constant coefficients. The ONNX importer maps the exported form
// (Mul by cos, two Slices, Neg, Concat, Mul by sin, Add: five requantized
// ops) to this one.
type Rope struct {
	Cos *quant.Param `json:"-"`
	Sin *quant.Param `json:"-"`
}

// QRope is Rope in integers: the coefficients quantized at RopeCoefFrac,
// the rotate_half sign folded into B (B[t, j] = −sin for j < h), and one
// requantization per output:
//
//	acc = A[t, j]·x[t, j] + B[t, j]·x[t, (j + h) mod D]
//	y = Requantize(acc, 1, Shift, Lo, Hi),  Shift = inFrac + RopeCoefFrac − outFrac
//
// The coefficients are circuit constants (architecture, not weights: they
// are functions of the position), so acc is free in R1CS.
type QRope struct {
	Rows  int     `json:"rows"`
	Cols  int     `json:"cols"`
	A     []int64 `json:"a"`
	B     []int64 `json:"b"`
	Shift uint    `json:"shift"`
	Lo    int64   `json:"lo"`
	Hi    int64   `json:"hi"`
}

// RopeCoefFrac is the fraction of the quantized cos/sin coefficients.
const RopeCoefFrac = 12

func init() {
	quant.RegisterOp(quant.OpInfo{
		Kind: "rope", ID: 77,
		New:      func() quant.Op { return &QRope{} },
		NewFloat: func() quant.FloatOp { return NewRope(nil, nil) },
		Doc:      "rotary position embedding on the last two axes [T, D]: x·cos + rotate_half(x)·sin with constant tables, one requantization per output",
	})
}

// NewRope returns a Rope with tables cos and sin [T, D].
func NewRope(cos, sin *quant.FloatTensor) *Rope {
	return &Rope{Cos: &quant.Param{Name: "cos", T: cos}, Sin: &quant.Param{Name: "sin", T: sin}}
}

func (r *Rope) Kind() string                         { return "rope" }
func (r *Rope) Params() []*quant.Param               { return []*quant.Param{r.Cos, r.Sin} }
func (r *Rope) OutFracs(_ []int, mx []float64) []int { return []int{quant.FracFor(mx[0])} }

func ropeShape(rows, cols int, x []int) error {
	if len(x) < 2 || x[len(x)-2] != rows || x[len(x)-1] != cols || cols%2 != 0 || cols < 2 {
		return fmt.Errorf("%w: rope of %v with [%d, %d] tables (want [..., T, D], D even)", quant.ErrShape, x, rows, cols)
	}
	return nil
}

func (r *Rope) tables() (rows, cols int, err error) {
	c, s := r.Cos.T, r.Sin.T
	if c == nil || s == nil || len(c.Shape) != 2 || !slices.Equal(c.Shape, s.Shape) {
		return 0, 0, fmt.Errorf("%w: rope tables %v and %v, want two [T, D]", quant.ErrShape, shapeOf(c), shapeOf(s))
	}
	for _, v := range append(slices.Clone(c.Data), s.Data...) {
		if math.IsNaN(v) || math.Abs(v) > 1 {
			return 0, 0, fmt.Errorf("%w: rope table value %v is not within [−1, 1]", quant.ErrRange, v)
		}
	}
	return c.Shape[0], c.Shape[1], nil
}

func (r *Rope) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 1); err != nil {
		return nil, err
	}
	rows, cols, err := r.tables()
	if err != nil {
		return nil, err
	}
	if err := ropeShape(rows, cols, in[0]); err != nil {
		return nil, err
	}
	return [][]int{slices.Clone(in[0])}, nil
}

// ropeRun applies y = a·x + b·x' (x' the partner (j + h) mod D) with
// per-[t, j] coefficients given by f.
func ropeRun[T int64 | float64](x []T, rows, cols int, f func(p, k int, x, xp T) T) []T {
	y := make([]T, len(x))
	h := cols / 2
	for p := range x {
		j := p % cols
		k := (p / cols % rows) * cols // the table row's start
		y[p] = f(p, k+j, x[p], x[p-j+(j+h)%cols])
	}
	return y
}

func (r *Rope) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	rows, cols, err := r.tables()
	if err != nil {
		return nil, err
	}
	c, s, h := r.Cos.T.Data, r.Sin.T.Data, cols/2
	y := ropeRun(in[0].Data, rows, cols, func(_, k int, x, xp float64) float64 {
		if k%cols < h {
			xp = -xp
		}
		return x*c[k] + xp*s[k]
	})
	return []*quant.FloatTensor{{Shape: slices.Clone(in[0].Shape), Data: y}}, nil
}

func (r *Rope) Quantize(in, out []quant.Value) (quant.Op, error) {
	rows, cols, err := r.tables()
	if err != nil {
		return nil, err
	}
	shift := in[0].Frac + RopeCoefFrac - out[0].Frac
	if shift < 0 {
		return nil, fmt.Errorf("%w: rope output at frac %d, input at frac %d: more than %d bits finer", quant.ErrRange, out[0].Frac, in[0].Frac, RopeCoefFrac)
	}
	q := &QRope{Rows: rows, Cols: cols, Shift: uint(shift), Lo: quant.Int8Min, Hi: quant.Int8Max}
	for k := range r.Cos.T.Data {
		q.A = append(q.A, int64(math.Round(math.Ldexp(r.Cos.T.Data[k], RopeCoefFrac))))
		b := int64(math.Round(math.Ldexp(r.Sin.T.Data[k], RopeCoefFrac)))
		if k%cols < cols/2 {
			b = -b
		}
		q.B = append(q.B, b)
	}
	out[0].Lo, out[0].Hi = q.Lo, q.Hi
	if err := q.Check(in, out); err != nil {
		return nil, err
	}
	return q, nil
}

func (q *QRope) Kind() string { return "rope" }

func (q *QRope) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 1, 1); err != nil {
		return err
	}
	if in[0].DType != quant.DTypeInt8 || out[0].DType != quant.DTypeInt8 {
		return fmt.Errorf("%w: rope of a %q value", quant.ErrValidation, in[0].DType)
	}
	if err := ropeShape(q.Rows, q.Cols, in[0].Shape); err != nil {
		return err
	}
	if len(q.A) != q.Rows*q.Cols || len(q.B) != q.Rows*q.Cols {
		return fmt.Errorf("%w: rope coefficients %d and %d, want %d", quant.ErrValidation, len(q.A), len(q.B), q.Rows*q.Cols)
	}
	for k := range q.A {
		if abs64(q.A[k]) > 1<<RopeCoefFrac || abs64(q.B[k]) > 1<<RopeCoefFrac {
			return fmt.Errorf("%w: rope coefficient beyond ±2^%d", quant.ErrRange, RopeCoefFrac)
		}
	}
	if q.Shift > 40 || int(q.Shift) != in[0].Frac+RopeCoefFrac-out[0].Frac {
		return fmt.Errorf("%w: rope shift %d for input frac %d and output frac %d", quant.ErrValidation, q.Shift, in[0].Frac, out[0].Frac)
	}
	if !sameShape(in[0].Shape, out[0].Shape) || out[0].Lo != q.Lo || out[0].Hi != q.Hi || q.Lo != quant.Int8Min || q.Hi != quant.Int8Max {
		return fmt.Errorf("%w: rope output %v [%d, %d]", quant.ErrValidation, out[0].Shape, out[0].Lo, out[0].Hi)
	}
	return nil
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// AccBound bounds |acc|: two int8 products with coefficients ≤ 2^12.
func (q *QRope) AccBound() int64 { return 2 * 128 << RopeCoefFrac }

func (q *QRope) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	y := ropeRun(in[0].Data, q.Rows, q.Cols, func(_, k int, x, xp int64) int64 {
		return quant.Requantize(q.A[k]*x+q.B[k]*xp, 1, q.Shift, q.Lo, q.Hi)
	})
	return []*quant.Tensor{{Shape: out[0].Shape, Data: y}}, nil
}

// Partner returns, for element p of the input, its table index and the
// element it is rotated with.
func (q *QRope) Partner(p int) (k, partner int) {
	j := p % q.Cols
	return (p/q.Cols%q.Rows)*q.Cols + j, p - j + (j+q.Cols/2)%q.Cols
}

func (q *QRope) Encode(e *quant.Encoder) error {
	e.Int(int64(q.Rows))
	e.Int(int64(q.Cols))
	e.Int(int64(q.Shift))
	e.Ints(q.A)
	e.Ints(q.B)
	return nil
}
func (*QRope) EncodeWeights(*quant.Encoder) error { return nil }

func (q *QRope) Cost(_, out []quant.Value) quant.Cost {
	n := out[0].Size()
	return quant.Cost{R1CS: RequantCost * n, SCS: (RequantCostSCS + 2) * n}
}
