package ops

import (
	"fmt"
	"math"

	"github.com/zkinfer/zkinfer/quant"
)

// Compare is ONNX Less, Greater, Equal, LessOrEqual or GreaterOrEqual of
// two activations (broadcast), or of one activation and a constant (Const
// set, one input). The output is 0 or 1.
type Compare struct {
	Op    string   `json:"op"` // "less", "greater", "equal", "less_equal", "greater_equal"
	Const *float64 `json:"const,omitempty"`
}

// QCompare is Compare in integers; the output is int8 0/1 at frac 0 with
// bounds [0, 1].
//
//   - two activations: aligned to the coarser fraction by rounding right
//     shifts (QMinMax's Align), d = a' − b' ∈ [−255, 255], out = [d op 0]:
//     one lookup in a 512-entry table indexed by d + 256.
//   - one activation and a constant: out = [x op Const] with Const an
//     integer in [−129, 128] at the input's fraction (the real constant c
//     becomes ceil(c·2^f) for less and greater_equal, floor(c·2^f) for
//     less_equal and greater, which is exact for integers x; for equal, c·2^f
//     itself when an integer, else 128: never equal): one lookup in a
//     256-entry table indexed by x + 128.
type QCompare struct {
	Op     string `json:"op"`
	ShiftA uint   `json:"shift_a,omitempty"`
	ShiftB uint   `json:"shift_b,omitempty"`
	Const  *int64 `json:"const,omitempty"`
}

// Where is ONNX Where(cond, a, b) with cond an activation of 0s and 1s (a
// comparison's output) and a, b activations, broadcast: cond ? a : b.
// Either branch may instead be a scalar constant (X for a, Y for b; torch's
// masked_fill with a computed mask): the node then reads cond and the other
// branch only.
type Where struct {
	X *float64 `json:"x,omitempty"`
	Y *float64 `json:"y,omitempty"`
}

// QWhere is Where in integers: a and b are aligned to the coarser fraction
// (Align), out = b' + cond·(a' − b'): one product per output. cond must be
// bounded to [0, 1] by its producer (a compare node): Check refuses any
// other bounds, and the circuit relies on it for out ∈ {a', b'}. A constant
// branch (ConstA, ConstB) is an int8 at the output's fraction, which is the
// coarser of the activation branch's and the constant's own (the finest at
// which |c| fits int8), so that neither saturates: the activation branch is
// aligned to it like any operand.
type QWhere struct {
	ShiftA uint   `json:"shift_a,omitempty"`
	ShiftB uint   `json:"shift_b,omitempty"`
	ConstA *int64 `json:"const_a,omitempty"`
	ConstB *int64 `json:"const_b,omitempty"`
}

func init() {
	quant.RegisterOp(quant.OpInfo{
		Kind: "compare", ID: 45,
		New:      func() quant.Op { return &QCompare{} },
		NewFloat: func() quant.FloatOp { return &Compare{} },
		Doc:      "less, greater, equal, less_equal, greater_equal of two activations or against a constant: one table lookup per output, 0/1 at frac 0",
	})
	quant.RegisterOp(quant.OpInfo{
		Kind: "where", ID: 46,
		New:      func() quant.Op { return &QWhere{} },
		NewFloat: func() quant.FloatOp { return &Where{} },
		Doc:      "cond ? a : b with cond a 0/1 activation (broadcast): one product per output",
	})
}

var compareOps = map[string]int64{"less": 1, "greater": 2, "equal": 3, "less_equal": 4, "greater_equal": 5}

func checkCompareOp(op string) error {
	if _, ok := compareOps[op]; !ok {
		return fmt.Errorf("%w: compare op %q (supported: less, greater, equal, less_equal, greater_equal)", quant.ErrValidation, op)
	}
	return nil
}

// CompareInt applies a comparison to integers (also the float reference's
// definition on reals).
func CompareInt(op string, a, b int64) int64 {
	return compareFloat(op, float64(a), float64(b))
}

func compareFloat(op string, a, b float64) int64 {
	var r bool
	switch op {
	case "less":
		r = a < b
	case "greater":
		r = a > b
	case "equal":
		r = a == b
	case "less_equal":
		r = a <= b
	case "greater_equal":
		r = a >= b
	}
	if r {
		return 1
	}
	return 0
}

func (c *Compare) Kind() string                    { return "compare" }
func (c *Compare) Params() []*quant.Param          { return nil }
func (c *Compare) OutFracs([]int, []float64) []int { return []int{0} }

func (c *Compare) OutShapes(in [][]int) ([][]int, error) {
	if err := checkCompareOp(c.Op); err != nil {
		return nil, err
	}
	if c.Const != nil {
		if err := arity(in, 1); err != nil {
			return nil, err
		}
		if math.IsNaN(*c.Const) || math.IsInf(*c.Const, 0) {
			return nil, fmt.Errorf("%w: constant %v", quant.ErrRange, *c.Const)
		}
		return [][]int{in[0]}, nil
	}
	if err := arity(in, 2); err != nil {
		return nil, err
	}
	s, err := BroadcastShape(in[0], in[1])
	if err != nil {
		return nil, err
	}
	return [][]int{s}, nil
}

func (c *Compare) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	f := func(a, b float64) float64 { return float64(compareFloat(c.Op, a, b)) }
	if c.Const != nil {
		y := make([]float64, len(in[0].Data))
		for i, v := range in[0].Data {
			y[i] = f(v, *c.Const)
		}
		return []*quant.FloatTensor{{Shape: in[0].Shape, Data: y}}, nil
	}
	return broadcast2(in[0], in[1], f)
}

// CompareConst is the integer constant of "x op c" for x at frac.
func CompareConst(op string, c float64, frac int) int64 {
	y := math.Ldexp(c, frac)
	var k float64
	switch op {
	case "less", "greater_equal":
		k = math.Ceil(y)
	case "less_equal", "greater":
		k = math.Floor(y)
	default:
		k = y
		if k != math.Trunc(k) {
			k = 128
		}
	}
	return int64(math.Max(-129, math.Min(128, k)))
}

func (c *Compare) Quantize(in, out []quant.Value) (quant.Op, error) {
	q := &QCompare{Op: c.Op}
	if c.Const != nil {
		k := CompareConst(c.Op, *c.Const, in[0].Frac)
		q.Const = &k
	} else {
		sa, sb, err := alignShifts(in[0].Frac, in[1].Frac)
		if err != nil {
			return nil, err
		}
		q.ShiftA, q.ShiftB = sa, sb
	}
	out[0].Frac, out[0].Lo, out[0].Hi = 0, 0, 1
	return q, nil
}

func (q *QCompare) Kind() string { return "compare" }

func (q *QCompare) Check(in, out []quant.Value) error {
	if err := checkCompareOp(q.Op); err != nil {
		return err
	}
	if q.Const != nil {
		if err := arity2(in, out, 1, 1); err != nil {
			return err
		}
		if *q.Const < -129 || *q.Const > 128 || q.ShiftA != 0 || q.ShiftB != 0 {
			return fmt.Errorf("%w: constant %d (want −129..128) and shifts %d, %d (want 0)", quant.ErrRange, *q.Const, q.ShiftA, q.ShiftB)
		}
		if !sameShape(in[0].Shape, out[0].Shape) {
			return fmt.Errorf("%w: compare maps %v to %v", quant.ErrShape, in[0].Shape, out[0].Shape)
		}
	} else {
		if err := arity2(in, out, 2, 1); err != nil {
			return err
		}
		o := out[0]
		o.Frac = min(in[0].Frac, in[1].Frac)
		if err := checkAligned(in[0], in[1], o, q.ShiftA, q.ShiftB); err != nil {
			return err
		}
	}
	if y := out[0]; y.Frac != 0 || y.Lo != 0 || y.Hi != 1 {
		return fmt.Errorf("%w: compare output at frac %d in [%d, %d], want frac 0 in [0, 1]", quant.ErrValidation, y.Frac, y.Lo, y.Hi)
	}
	return nil
}

func (q *QCompare) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	if q.Const != nil {
		y := make([]int64, len(in[0].Data))
		for i, v := range in[0].Data {
			y[i] = CompareInt(q.Op, v, *q.Const)
		}
		return []*quant.Tensor{{Shape: out[0].Shape, Data: y}}, nil
	}
	shape := out[0].Shape
	ia, ib := BroadcastIndex(in[0].Shape, shape), BroadcastIndex(in[1].Shape, shape)
	y := make([]int64, len(ia))
	for p := range y {
		y[p] = CompareInt(q.Op, Align(in[0].Data[ia[p]], q.ShiftA), Align(in[1].Data[ib[p]], q.ShiftB))
	}
	return []*quant.Tensor{{Shape: shape, Data: y}}, nil
}

// Table is the gadget's table: [x op Const] at x + 128 (256 entries) with
// a constant, else [d op 0] at d + 256 (DiffTable).
func (q *QCompare) Table() []int64 {
	if q.Const != nil {
		t := make([]int64, 256)
		for i := range t {
			t[i] = CompareInt(q.Op, int64(i)+quant.Int8Min, *q.Const)
		}
		return t
	}
	return DiffTable(func(d int64) int64 { return CompareInt(q.Op, d, 0) })
}

func (q *QCompare) Encode(e *quant.Encoder) error {
	e.Int(compareOps[q.Op])
	if q.Const != nil {
		e.Int(1)
		e.Int(*q.Const)
		return nil
	}
	e.Int(0)
	e.Int(int64(q.ShiftA))
	e.Int(int64(q.ShiftB))
	return nil
}

func (q *QCompare) EncodeWeights(*quant.Encoder) error { return nil }

// Cost: one lookup per output (2 R1CS; 8 PLONK against a constant, 10 of
// a difference, measured on 64×64), the table, and the alignments.
func (q *QCompare) Cost(in, out []quant.Value) quant.Cost {
	n := out[0].Size()
	if q.Const != nil {
		return quant.Cost{R1CS: 2*n + 256, SCS: 8*n + 512}
	}
	ra, sa := alignCost(in[0].Size(), q.ShiftA)
	rb, sb := alignCost(in[1].Size(), q.ShiftB)
	return quant.Cost{R1CS: 2*n + 512 + ra + rb, SCS: 10*n + 1024 + sa + sb}
}

func (*Where) Kind() string           { return "where" }
func (*Where) Params() []*quant.Param { return nil }

func whereShape(c, a, b []int) ([]int, error) {
	s, err := BroadcastShape(c, a)
	if err != nil {
		return nil, err
	}
	return BroadcastShape(s, b)
}

// scalarOf is a constant branch as a tensor that broadcasts to anything.
func scalarOf(v float64) *quant.FloatTensor {
	return &quant.FloatTensor{Shape: []int{}, Data: []float64{v}}
}

// operands returns cond and the two branches, constants as scalars.
func (w *Where) operands(in []*quant.FloatTensor) (c, a, b *quant.FloatTensor) {
	c, k := in[0], 1
	if a = in[min(k, len(in)-1)]; w.X != nil {
		a = scalarOf(*w.X)
	} else {
		k++
	}
	if b = in[min(k, len(in)-1)]; w.Y != nil {
		b = scalarOf(*w.Y)
	}
	return c, a, b
}

func (w *Where) check() error {
	if w.X != nil && w.Y != nil {
		return fmt.Errorf("%w: where with two constant branches", quant.ErrValidation)
	}
	for _, v := range []*float64{w.X, w.Y} {
		if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
			return fmt.Errorf("%w: where constant %v", quant.ErrRange, *v)
		}
	}
	return nil
}

func (w *Where) nIn() int {
	n := 3
	if w.X != nil {
		n--
	}
	if w.Y != nil {
		n--
	}
	return n
}

func (w *Where) OutShapes(in [][]int) ([][]int, error) {
	if err := w.check(); err != nil {
		return nil, err
	}
	if err := arity(in, w.nIn()); err != nil {
		return nil, err
	}
	ts := make([]*quant.FloatTensor, len(in))
	for k, s := range in {
		ts[k] = &quant.FloatTensor{Shape: s}
	}
	c, a, b := w.operands(ts)
	s, err := whereShape(c.Shape, a.Shape, b.Shape)
	if err != nil {
		return nil, err
	}
	return [][]int{s}, nil
}

func (w *Where) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	c, a, b := w.operands(in)
	shape, err := whereShape(c.Shape, a.Shape, b.Shape)
	if err != nil {
		return nil, err
	}
	ic, ia, ib := BroadcastIndex(c.Shape, shape), BroadcastIndex(a.Shape, shape), BroadcastIndex(b.Shape, shape)
	y := make([]float64, len(ic))
	for p := range y {
		if c.Data[ic[p]] != 0 {
			y[p] = a.Data[ia[p]]
		} else {
			y[p] = b.Data[ib[p]]
		}
	}
	return []*quant.FloatTensor{{Shape: shape, Data: y}}, nil
}

// OutFracs: the coarser of the branches' fractions (a constant's is the
// finest at which it fits int8).
func (w *Where) OutFracs(in []int, _ []float64) []int {
	if len(in) == 3 {
		return []int{min(in[1], in[2])}
	}
	return []int{min(in[1], w.constFrac())}
}

// constFrac is the fraction of the constant branch.
func (w *Where) constFrac() int {
	c := w.X
	if c == nil {
		c = w.Y
	}
	if c == nil {
		return quant.MaxFrac
	}
	return quant.FracFor(math.Abs(*c))
}

func (w *Where) Quantize(in, out []quant.Value) (quant.Op, error) {
	if err := w.check(); err != nil {
		return nil, err
	}
	q := &QWhere{}
	fo := min(in[1].Frac, w.constFrac())
	if len(in) == 3 {
		fo = min(in[1].Frac, in[2].Frac)
	}
	switch {
	case w.X != nil:
		k := quant.QuantizeValue(*w.X, fo)
		q.ConstA = &k
	case w.Y != nil:
		k := quant.QuantizeValue(*w.Y, fo)
		q.ConstB = &k
	}
	_, a, b, err := q.Operands(in, fo)
	if err != nil {
		return nil, err
	}
	if q.ShiftA, q.ShiftB, err = alignShifts(a.Frac, b.Frac); err != nil {
		return nil, err
	}
	out[0].Frac = fo
	out[0].Lo, out[0].Hi = q.bounds(a, b)
	return q, nil
}

// Operands returns the condition and the two branches of a where node
// with inputs in and output fraction outFrac; a constant branch is a
// scalar value at outFrac with bounds [C, C].
func (q *QWhere) Operands(in []quant.Value, outFrac int) (c, a, b quant.Value, err error) {
	n := 3
	for _, k := range []*int64{q.ConstA, q.ConstB} {
		if k != nil {
			n--
			if *k < quant.Int8Min || *k > quant.Int8Max {
				return c, a, b, fmt.Errorf("%w: where constant %d is not int8", quant.ErrRange, *k)
			}
		}
	}
	if n < 2 || len(in) != n {
		return c, a, b, fmt.Errorf("%w: where of %d inputs with %d constant branches", quant.ErrValidation, len(in), 3-n)
	}
	constant := func(k int64, frac int) quant.Value { return quant.Value{Shape: []int{}, Frac: frac, Lo: k, Hi: k} }
	c = in[0]
	switch {
	case q.ConstA != nil:
		a, b = constant(*q.ConstA, outFrac), in[1]
	case q.ConstB != nil:
		a, b = in[1], constant(*q.ConstB, outFrac)
	default:
		a, b = in[1], in[2]
	}
	return c, a, b, nil
}

func (q *QWhere) bounds(a, b quant.Value) (lo, hi int64) {
	alo, ahi := alignedBounds(a, q.ShiftA)
	blo, bhi := alignedBounds(b, q.ShiftB)
	return spanBounds(min(alo, blo), max(ahi, bhi))
}

func (q *QWhere) Kind() string { return "where" }

func (q *QWhere) Check(in, out []quant.Value) error {
	if len(out) != 1 {
		return fmt.Errorf("%w: %d outputs, want 1", quant.ErrValidation, len(out))
	}
	c, a, b, err := q.Operands(in, out[0].Frac)
	if err != nil {
		return err
	}
	if c.Lo != 0 || c.Hi != 1 {
		return fmt.Errorf("%w: where's condition has bounds [%d, %d], want [0, 1] (a comparison's output)", quant.ErrRange, c.Lo, c.Hi)
	}
	shape, err := whereShape(c.Shape, a.Shape, b.Shape)
	if err != nil {
		return err
	}
	if !sameShape(shape, out[0].Shape) {
		return fmt.Errorf("%w: output %v, the operands broadcast to %v", quant.ErrShape, out[0].Shape, shape)
	}
	if (q.ConstA != nil && q.ShiftA != 0) || (q.ConstB != nil && q.ShiftB != 0) {
		return fmt.Errorf("%w: a constant branch with a shift", quant.ErrValidation)
	}
	// a and b alone need not broadcast to the output: check their alignment on the output's shape.
	a.Shape, b.Shape = out[0].Shape, out[0].Shape
	if err := checkAligned(a, b, out[0], q.ShiftA, q.ShiftB); err != nil {
		return err
	}
	if lo, hi := q.bounds(a, b); out[0].Lo != lo || out[0].Hi != hi {
		return fmt.Errorf("%w: output bounds [%d, %d], the operands give [%d, %d]", quant.ErrRange, out[0].Lo, out[0].Hi, lo, hi)
	}
	return nil
}

// branches returns the tensors of the two branches (a constant as a scalar).
func (q *QWhere) branches(in []*quant.Tensor) (a, b *quant.Tensor) {
	scalar := func(k int64) *quant.Tensor { return &quant.Tensor{Shape: []int{}, Data: []int64{k}} }
	switch {
	case q.ConstA != nil:
		return scalar(*q.ConstA), in[1]
	case q.ConstB != nil:
		return in[1], scalar(*q.ConstB)
	}
	return in[1], in[2]
}

func (q *QWhere) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	shape := out[0].Shape
	ta, tb := q.branches(in)
	ic, ia, ib := BroadcastIndex(in[0].Shape, shape), BroadcastIndex(ta.Shape, shape), BroadcastIndex(tb.Shape, shape)
	y := make([]int64, len(ic))
	for p := range y {
		a, b := Align(ta.Data[ia[p]], q.ShiftA), Align(tb.Data[ib[p]], q.ShiftB)
		y[p] = b + in[0].Data[ic[p]]*(a-b)
	}
	return []*quant.Tensor{{Shape: shape, Data: y}}, nil
}

func (q *QWhere) Encode(e *quant.Encoder) error {
	e.Int(int64(q.ShiftA))
	e.Int(int64(q.ShiftB))
	for _, k := range []*int64{q.ConstA, q.ConstB} {
		if k == nil {
			e.Int(0)
			continue
		}
		e.Int(1)
		e.Int(*k)
	}
	return nil
}

func (q *QWhere) EncodeWeights(*quant.Encoder) error { return nil }

// Cost: one product per output (2.5 PLONK gates measured on 64×64), and
// the alignments.
func (q *QWhere) Cost(in, out []quant.Value) quant.Cost {
	n := out[0].Size()
	_, a, b, _ := q.Operands(in, out[0].Frac)
	ra, sa := alignCost(a.Size(), q.ShiftA)
	rb, sb := alignCost(b.Size(), q.ShiftB)
	return quant.Cost{R1CS: n + ra + rb, SCS: 5*n/2 + sa + sb}
}
