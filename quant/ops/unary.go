package ops

import (
	"fmt"
	"math"
	"sort"

	"github.com/zkinfer/zkinfer/quant"
)

// Unary is an elementwise function of one activation (Sigmoid, Tanh, Exp,
// GELU, SiLU, …). In integers it is a 256-entry table over the int8 input:
// entry v + 128 is clamp(round(f(v·2^-fi)·2^fo)), so any function costs one
// lookup per value, whatever its float form.
type Unary struct {
	Fn    string  `json:"fn"`
	Alpha float64 `json:"alpha,omitempty"`
	Beta  float64 `json:"beta,omitempty"`
}

// QUnary is Unary in integers: the table, committed as architecture.
type QUnary struct {
	Fn    string  `json:"fn"`
	Table []int64 `json:"table"`
}

// UnaryFunc is a float function with up to two attributes.
type UnaryFunc func(x, alpha, beta float64) float64

// unaryFuncs are the functions a table can hold, by name (ONNX op names,
// lower case; gelu is the tanh approximation, gelu_erf the exact form).
var unaryFuncs = map[string]UnaryFunc{
	"sigmoid":    func(x, _, _ float64) float64 { return 1 / (1 + math.Exp(-x)) },
	"tanh":       func(x, _, _ float64) float64 { return math.Tanh(x) },
	"exp":        func(x, _, _ float64) float64 { return math.Exp(x) },
	"log":        func(x, _, _ float64) float64 { return math.Log(x) },
	"sqrt":       func(x, _, _ float64) float64 { return math.Sqrt(x) },
	"reciprocal": func(x, _, _ float64) float64 { return 1 / x },
	"abs":        func(x, _, _ float64) float64 { return math.Abs(x) },
	"neg":        func(x, _, _ float64) float64 { return -x },
	"sign":       func(x, _, _ float64) float64 { return sign(x) },
	"floor":      func(x, _, _ float64) float64 { return math.Floor(x) },
	"ceil":       func(x, _, _ float64) float64 { return math.Ceil(x) },
	"round":      func(x, _, _ float64) float64 { return math.RoundToEven(x) },
	"erf":        func(x, _, _ float64) float64 { return math.Erf(x) },
	"sin":        func(x, _, _ float64) float64 { return math.Sin(x) },
	"cos":        func(x, _, _ float64) float64 { return math.Cos(x) },
	"softplus":   func(x, _, _ float64) float64 { return softplus(x) },
	"softsign":   func(x, _, _ float64) float64 { return x / (1 + math.Abs(x)) },
	"silu":       func(x, _, _ float64) float64 { return x / (1 + math.Exp(-x)) },
	"mish":       func(x, _, _ float64) float64 { return x * math.Tanh(softplus(x)) },
	"gelu": func(x, _, _ float64) float64 {
		return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
	},
	"gelu_erf":     func(x, _, _ float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) },
	"elu":          func(x, a, _ float64) float64 { return ifNeg(x, a*(math.Exp(x)-1)) },
	"celu":         func(x, a, _ float64) float64 { return math.Max(0, x) + math.Min(0, a*(math.Exp(x/a)-1)) },
	"selu":         func(x, a, g float64) float64 { return g * ifNeg(x, a*(math.Exp(x)-1)) },
	"leaky_relu":   func(x, a, _ float64) float64 { return ifNeg(x, a*x) },
	"hard_sigmoid": func(x, a, b float64) float64 { return math.Max(0, math.Min(1, a*x+b)) },
	"hard_swish":   func(x, _, _ float64) float64 { return x * math.Max(0, math.Min(1, x/6+0.5)) },
	"clip":         func(x, a, b float64) float64 { return math.Max(a, math.Min(b, x)) },
	"pow":          func(x, a, _ float64) float64 { return math.Pow(x, a) },
}

// UnaryFuncs lists the function names in order.
func UnaryFuncs() []string {
	out := make([]string, 0, len(unaryFuncs))
	for k := range unaryFuncs {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func init() {
	quant.RegisterOp(quant.OpInfo{
		Kind: "unary", ID: 6,
		New:      func() quant.Op { return &QUnary{} },
		NewFloat: func() quant.FloatOp { return &Unary{} },
		Doc:      "any elementwise function of one input (" + fmt.Sprint(len(unaryFuncs)) + " built in) as a 256-entry table: one lookup per output",
	})
}

func sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

func softplus(x float64) float64 {
	if x > 30 {
		return x
	}
	return math.Log1p(math.Exp(x))
}

func ifNeg(x, neg float64) float64 {
	if x < 0 {
		return neg
	}
	return x
}

func (u *Unary) fn() (UnaryFunc, error) {
	f, ok := unaryFuncs[u.Fn]
	if !ok {
		return nil, fmt.Errorf("%w: function %q (supported: %v)", quant.ErrValidation, u.Fn, UnaryFuncs())
	}
	return f, nil
}

func (u *Unary) Kind() string           { return "unary" }
func (u *Unary) Params() []*quant.Param { return nil }
func (u *Unary) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 1); err != nil {
		return nil, err
	}
	if _, err := u.fn(); err != nil {
		return nil, err
	}
	if math.IsNaN(u.Alpha) || math.IsInf(u.Alpha, 0) || math.IsNaN(u.Beta) || math.IsInf(u.Beta, 0) {
		return nil, fmt.Errorf("%w: alpha %v, beta %v", quant.ErrRange, u.Alpha, u.Beta)
	}
	return [][]int{in[0]}, nil
}

func (u *Unary) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	f, err := u.fn()
	if err != nil {
		return nil, err
	}
	y := make([]float64, len(in[0].Data))
	for i, x := range in[0].Data {
		y[i] = f(x, u.Alpha, u.Beta)
	}
	return []*quant.FloatTensor{{Shape: in[0].Shape, Data: y}}, nil
}

// OutFracs: the output's fraction from the largest magnitude the function
// reaches over the input's whole int8 grid, so no table entry saturates
// unless the function is unbounded there (exp, reciprocal near 0), where the
// calibrated magnitude rules instead.
func (u *Unary) OutFracs(in []int, mx []float64) []int {
	f, err := u.fn()
	if err != nil {
		return []int{quant.FracFor(mx[0])}
	}
	grid := 0.0
	for v := quant.Int8Min; v <= quant.Int8Max; v++ {
		y := f(quant.DequantizeValue(int64(v), in[0]), u.Alpha, u.Beta)
		if !math.IsNaN(y) && !math.IsInf(y, 0) {
			grid = math.Max(grid, math.Abs(y))
		}
	}
	if grid > 4*mx[0] && mx[0] > 0 {
		return []int{quant.FracFor(mx[0])}
	}
	return []int{quant.FracFor(grid)}
}

func (u *Unary) Quantize(in, out []quant.Value) (quant.Op, error) {
	f, err := u.fn()
	if err != nil {
		return nil, err
	}
	t := make([]int64, 256)
	for v := quant.Int8Min; v <= quant.Int8Max; v++ {
		y := f(quant.DequantizeValue(int64(v), in[0].Frac), u.Alpha, u.Beta)
		switch {
		case math.IsNaN(y):
			t[v+128] = 0
		default:
			t[v+128] = quant.QuantizeValue(y, out[0].Frac)
		}
	}
	out[0].Lo, out[0].Hi = quant.Int8Min, quant.Int8Max
	return &QUnary{Fn: u.Fn, Table: t}, nil
}

func (q *QUnary) Kind() string { return "unary" }
func (q *QUnary) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 1, 1); err != nil {
		return err
	}
	if len(q.Table) != 256 {
		return fmt.Errorf("%w: table of %d entries, want 256", quant.ErrShape, len(q.Table))
	}
	for i, v := range q.Table {
		if v < out[0].Lo || v > out[0].Hi {
			return fmt.Errorf("%w: table entry %d = %d outside [%d, %d]", quant.ErrRange, i, v, out[0].Lo, out[0].Hi)
		}
	}
	if !sameShape(in[0].Shape, out[0].Shape) {
		return fmt.Errorf("%w: %v to %v", quant.ErrShape, in[0].Shape, out[0].Shape)
	}
	return nil
}
func (q *QUnary) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	y := make([]int64, len(in[0].Data))
	for i, v := range in[0].Data {
		y[i] = q.Table[v+128]
	}
	return []*quant.Tensor{{Shape: out[0].Shape, Data: y}}, nil
}
func (q *QUnary) Encode(e *quant.Encoder) error {
	if err := e.Name(q.Fn); err != nil {
		return err
	}
	e.Ints(q.Table)
	return nil
}
func (q *QUnary) EncodeWeights(*quant.Encoder) error { return nil }
func (q *QUnary) Cost(_, out []quant.Value) quant.Cost {
	n := out[0].Size()
	return quant.Cost{R1CS: 2*n + 256, SCS: 8*n + 512}
}
