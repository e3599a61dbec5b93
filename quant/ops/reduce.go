package ops

import (
	"fmt"
	"math"
	"slices"

	"github.com/zkinfer/zkinfer/quant"
)

// Reduce is ONNX ReduceSum, ReduceMean, ReduceMax or ReduceMin over a set
// of axes (all axes when Axes is empty), keeping the reduced axes as 1s or
// dropping them.
type Reduce struct {
	Op       string `json:"op"` // "sum", "mean", "max", "min"
	Axes     []int  `json:"axes,omitempty"`
	KeepDims bool   `json:"keepdims,omitempty"`
}

// QReduce is Reduce in integers, over the groups of n input values that
// map to one output (Axes sorted, distinct, non-negative).
//
//   - sum, mean: acc = Σ group (a free linear combination, |acc| ≤ 128·n),
//     out = clamp(floor((acc·Mult + 2^(Shift−1)) / 2^Shift), −128, 127); the
//     mean's 1/n is folded into Mult.
//   - max, min: out = the group's largest (smallest) value, at the input's
//     fraction and bounds; Mult and Shift are 0. The circuit takes a hinted
//     extreme m and a hinted one-hot selector s: booleanity, Σs = 1,
//     Σ s_i·x_i = m, and m − x_i ≥ 0 (x_i − m ≥ 0) range-checked on 8 bits
//     for every i.
type QReduce struct {
	Op       string `json:"op"`
	Axes     []int  `json:"axes"`
	KeepDims bool   `json:"keepdims,omitempty"`
	Mult     int64  `json:"mult,omitempty"`
	Shift    uint   `json:"shift,omitempty"`
}

// MinMax is the elementwise Max or Min of two activations (ONNX Max/Min
// with two inputs, torch.maximum/minimum), with numpy broadcasting.
type MinMax struct {
	Op string `json:"op"` // "max", "min"
}

// QMinMax is MinMax in integers. The operands are aligned to the coarser
// of their fractions, fo = min(fa, fb), by a rounding right shift of the
// finer one (a' = floor((a + 2^(s−1)) / 2^s), s = fa − fo, and likewise b'),
// then out = max(a', b') (min). The circuit takes d = a' − b' ∈ [−255, 255]
// and looks relu(d) (min(d, 0)) up in a 512-entry table: out = b' + T[d].
type QMinMax struct {
	Op     string `json:"op"`
	ShiftA uint   `json:"shift_a,omitempty"`
	ShiftB uint   `json:"shift_b,omitempty"`
}

func init() {
	quant.RegisterOp(quant.OpInfo{
		Kind: "reduce", ID: 43,
		New:      func() quant.Op { return &QReduce{} },
		NewFloat: func() quant.FloatOp { return &Reduce{} },
		Doc:      "ReduceSum/Mean (free sum, one requantization per output) and ReduceMax/Min (hinted extreme and one-hot selector, a range check per value) over any axes",
	})
	quant.RegisterOp(quant.OpInfo{
		Kind: "minmax", ID: 44,
		New:      func() quant.Op { return &QMinMax{} },
		NewFloat: func() quant.FloatOp { return &MinMax{} },
		Doc:      "elementwise max or min of two activations (broadcast): fractions aligned by a rounding right shift, one table lookup per output",
	})
}

var reduceOps = map[string]int64{"sum": 1, "mean": 2, "max": 3, "min": 4}

func checkReduceOp(op string) error {
	if _, ok := reduceOps[op]; !ok {
		return fmt.Errorf("%w: reduce op %q (supported: sum, mean, max, min)", quant.ErrValidation, op)
	}
	return nil
}

// normAxes returns axes sorted and non-negative (all axes when empty).
func normAxes(axes []int, rank int) ([]int, error) {
	if len(axes) == 0 {
		out := make([]int, rank)
		for i := range out {
			out[i] = i
		}
		return out, nil
	}
	if len(axes) > rank {
		return nil, fmt.Errorf("%w: %d axes for rank %d", quant.ErrShape, len(axes), rank)
	}
	out := make([]int, len(axes))
	for i, a := range axes {
		if a < -rank || a >= rank {
			return nil, fmt.Errorf("%w: axis %d for rank %d", quant.ErrShape, a, rank)
		}
		if a < 0 {
			a += rank
		}
		out[i] = a
	}
	slices.Sort(out)
	for i := 1; i < len(out); i++ {
		if out[i] == out[i-1] {
			return nil, fmt.Errorf("%w: axis %d repeated", quant.ErrShape, out[i])
		}
	}
	return out, nil
}

// reduceShape returns the output shape of reducing x over axes (normalized).
func reduceShape(x, axes []int, keep bool) []int {
	out := []int{}
	for i, d := range x {
		if slices.Contains(axes, i) {
			if keep {
				out = append(out, 1)
			}
			continue
		}
		out = append(out, d)
	}
	return out
}

// ReduceGroups returns the input positions of every output, output after
// output: groups[o·n : (o+1)·n] in row-major order of the reduced axes.
func ReduceGroups(x, axes []int) (groups []int, n int) {
	n = 1
	for _, a := range axes {
		n *= x[a]
	}
	size := quant.ShapeSize(x)
	groups = make([]int, size)
	// strides of the output (kept axes only).
	ostride := make([]int, len(x))
	s := 1
	for i := len(x) - 1; i >= 0; i-- {
		if !slices.Contains(axes, i) {
			ostride[i] = s
			s *= x[i]
		}
	}
	fill := make([]int, s)
	pos := make([]int, len(x))
	for p := 0; p < size; p++ {
		o := 0
		for i, c := range pos {
			o += c * ostride[i]
		}
		groups[o*n+fill[o]] = p
		fill[o]++
		for i := len(x) - 1; i >= 0; i-- {
			pos[i]++
			if pos[i] < x[i] {
				break
			}
			pos[i] = 0
		}
	}
	return groups, n
}

func (r *Reduce) Kind() string           { return "reduce" }
func (r *Reduce) Params() []*quant.Param { return nil }

func (r *Reduce) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 1); err != nil {
		return nil, err
	}
	if err := checkReduceOp(r.Op); err != nil {
		return nil, err
	}
	axes, err := normAxes(r.Axes, len(in[0]))
	if err != nil {
		return nil, err
	}
	return [][]int{reduceShape(in[0], axes, r.KeepDims)}, nil
}

func (r *Reduce) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	x := in[0]
	axes, err := normAxes(r.Axes, len(x.Shape))
	if err != nil {
		return nil, err
	}
	groups, n := ReduceGroups(x.Shape, axes)
	y := make([]float64, len(groups)/n)
	for o := range y {
		g := groups[o*n : (o+1)*n]
		v := x.Data[g[0]]
		for _, p := range g[1:] {
			switch r.Op {
			case "max":
				v = math.Max(v, x.Data[p])
			case "min":
				v = math.Min(v, x.Data[p])
			default:
				v += x.Data[p]
			}
		}
		if r.Op == "mean" {
			v /= float64(n)
		}
		y[o] = v
	}
	return []*quant.FloatTensor{{Shape: reduceShape(x.Shape, axes, r.KeepDims), Data: y}}, nil
}

// OutFracs: max and min keep the input's fraction; a sum's output fraction
// comes from its range but no finer than the input's (the exact sum's), a
// mean's no finer than 8 bits beyond it.
func (r *Reduce) OutFracs(in []int, mx []float64) []int {
	switch r.Op {
	case "max", "min":
		return []int{in[0]}
	case "sum":
		return []int{min(quant.FracFor(mx[0]), in[0])}
	}
	return []int{min(quant.FracFor(mx[0]), in[0]+8)}
}

func (r *Reduce) Quantize(in, out []quant.Value) (quant.Op, error) {
	return r.QuantizePrecision(in, out, nil, quant.Requantizer{})
}

// QuantizePrecision is Quantize with the shift (mean, sum) chosen by rq.
func (r *Reduce) QuantizePrecision(in, out []quant.Value, _ []int, rq quant.Requantizer) (quant.Op, error) {
	axes, err := normAxes(r.Axes, len(in[0].Shape))
	if err != nil {
		return nil, err
	}
	q := &QReduce{Op: r.Op, Axes: axes, KeepDims: r.KeepDims}
	switch r.Op {
	case "max", "min":
		keepFormat(in, out)
		return q, nil
	}
	n := 1
	for _, a := range axes {
		n *= in[0].Shape[a]
	}
	ratio := math.Ldexp(1, out[0].Frac-in[0].Frac)
	if r.Op == "mean" {
		ratio /= float64(n)
	}
	if q.Shift, err = ratioShift(ratio, rq); err != nil {
		return nil, err
	}
	q.Mult = int64(math.Round(math.Ldexp(ratio, int(q.Shift))))
	out[0].Lo, out[0].Hi = quant.Int8Min, quant.Int8Max
	return q, nil
}

func (q *QReduce) Kind() string { return "reduce" }

func (q *QReduce) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 1, 1); err != nil {
		return err
	}
	if err := checkReduceOp(q.Op); err != nil {
		return err
	}
	x := in[0].Shape
	if len(q.Axes) == 0 {
		return fmt.Errorf("%w: reduce over no axes", quant.ErrValidation)
	}
	axes, err := normAxes(q.Axes, len(x))
	if err != nil {
		return err
	}
	if !slices.Equal(axes, q.Axes) {
		return fmt.Errorf("%w: reduce axes %v, want them sorted and non-negative", quant.ErrValidation, q.Axes)
	}
	if want := reduceShape(x, axes, q.KeepDims); !sameShape(want, out[0].Shape) {
		return fmt.Errorf("%w: reducing %v over %v gives %v, output %v", quant.ErrShape, x, axes, want, out[0].Shape)
	}
	switch q.Op {
	case "max", "min":
		if q.Mult != 0 || q.Shift != 0 {
			return fmt.Errorf("%w: reduce %s takes no multiplier", quant.ErrValidation, q.Op)
		}
		return sameFormat(in[0], out[0])
	}
	if q.Mult < 0 || q.Mult >= quant.MaxMultiplier || q.Shift > quant.MaxShift {
		return fmt.Errorf("%w: multiplier %d / shift %d out of range", quant.ErrRange, q.Mult, q.Shift)
	}
	if out[0].Lo != quant.Int8Min || out[0].Hi != quant.Int8Max {
		return fmt.Errorf("%w: output bounds [%d, %d], want int8", quant.ErrRange, out[0].Lo, out[0].Hi)
	}
	return nil
}

// Extreme returns the largest (max) or smallest (min) of g and the first
// index where it is reached.
func Extreme(g []int64, isMax bool) (m int64, at int) {
	m = g[0]
	for i, v := range g {
		if (isMax && v > m) || (!isMax && v < m) {
			m, at = v, i
		}
	}
	return m, at
}

func (q *QReduce) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	x := in[0]
	groups, n := ReduceGroups(x.Shape, q.Axes)
	y := make([]int64, len(groups)/n)
	g := make([]int64, n)
	for o := range y {
		for k, p := range groups[o*n : (o+1)*n] {
			g[k] = x.Data[p]
		}
		switch q.Op {
		case "max", "min":
			y[o], _ = Extreme(g, q.Op == "max")
		default:
			var acc int64
			for _, v := range g {
				acc += v
			}
			y[o] = quant.Requantize(acc, q.Mult, q.Shift, quant.Int8Min, quant.Int8Max)
		}
	}
	return []*quant.Tensor{{Shape: out[0].Shape, Data: y}}, nil
}

func (q *QReduce) Encode(e *quant.Encoder) error {
	e.Int(reduceOps[q.Op])
	e.Ints(intsOf(q.Axes))
	if q.KeepDims {
		e.Int(1)
	} else {
		e.Int(0)
	}
	e.Int(q.Mult)
	e.Int(int64(q.Shift))
	return nil
}

func (q *QReduce) EncodeWeights(*quant.Encoder) error { return nil }

// Cost: a sum is free under R1CS (one gate per term under PLONK) and each
// output one requantization; max and min cost per input value a
// booleanity, a product and a planned 8-bit range check (at RefRangeBase;
// 12 PLONK measured on 64×64 by circuits/ops TestNormCostProbe), per
// output two equalities.
func (q *QReduce) Cost(in, out []quant.Value) quant.Cost {
	m, n := out[0].Size(), in[0].Size()
	if q.Op == "max" || q.Op == "min" {
		return quant.Cost{R1CS: (2+RefRangeCheck(8))*n + 2*m, SCS: 12*n + 20*m}
	}
	return quant.Cost{R1CS: RequantCost*m + n/2, SCS: 80*m + 3*n}
}

func (m *MinMax) Kind() string           { return "minmax" }
func (m *MinMax) Params() []*quant.Param { return nil }

func checkMinMaxOp(op string) error {
	if op != "max" && op != "min" {
		return fmt.Errorf("%w: minmax op %q (supported: max, min)", quant.ErrValidation, op)
	}
	return nil
}

func (m *MinMax) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 2); err != nil {
		return nil, err
	}
	if err := checkMinMaxOp(m.Op); err != nil {
		return nil, err
	}
	s, err := BroadcastShape(in[0], in[1])
	if err != nil {
		return nil, err
	}
	return [][]int{s}, nil
}

func (m *MinMax) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	return broadcast2(in[0], in[1], func(a, b float64) float64 {
		if m.Op == "max" {
			return math.Max(a, b)
		}
		return math.Min(a, b)
	})
}

func broadcast2(a, b *quant.FloatTensor, f func(a, b float64) float64) ([]*quant.FloatTensor, error) {
	shape, err := BroadcastShape(a.Shape, b.Shape)
	if err != nil {
		return nil, err
	}
	ia, ib := BroadcastIndex(a.Shape, shape), BroadcastIndex(b.Shape, shape)
	y := make([]float64, len(ia))
	for p := range y {
		y[p] = f(a.Data[ia[p]], b.Data[ib[p]])
	}
	return []*quant.FloatTensor{{Shape: shape, Data: y}}, nil
}

func (m *MinMax) OutFracs(in []int, _ []float64) []int { return []int{min(in[0], in[1])} }

func (m *MinMax) Quantize(in, out []quant.Value) (quant.Op, error) {
	q := &QMinMax{Op: m.Op}
	sa, sb, err := alignShifts(in[0].Frac, in[1].Frac)
	if err != nil {
		return nil, err
	}
	q.ShiftA, q.ShiftB = sa, sb
	out[0].Frac = min(in[0].Frac, in[1].Frac)
	out[0].Lo, out[0].Hi = q.bounds(in[0], in[1])
	return q, nil
}

// maxAlignShift bounds the right shift that aligns two fractions.
const maxAlignShift = 24

// alignShifts returns the right shifts that bring fractions fa and fb to
// min(fa, fb).
func alignShifts(fa, fb int) (sa, sb uint, err error) {
	fo := min(fa, fb)
	if fa-fo > maxAlignShift || fb-fo > maxAlignShift {
		return 0, 0, fmt.Errorf("%w: fractions %d and %d differ by more than %d bits", quant.ErrRange, fa, fb, maxAlignShift)
	}
	return uint(fa - fo), uint(fb - fo), nil
}

// Align is the rounding right shift floor((v + 2^(s−1)) / 2^s) (v for s = 0).
func Align(v int64, s uint) int64 { return quant.RequantizeUnclamped(v, 1, s) }

// alignedBounds are the bounds of v after Align by s.
func alignedBounds(v quant.Value, s uint) (lo, hi int64) { return Align(v.Lo, s), Align(v.Hi, s) }

// spanBounds widens a degenerate [lo, lo] by one value (a value's bounds
// must satisfy lo < hi).
func spanBounds(lo, hi int64) (int64, int64) {
	if hi > lo {
		return lo, hi
	}
	if lo < quant.Int8Max {
		return lo, lo + 1
	}
	return hi - 1, hi
}

func (q *QMinMax) bounds(a, b quant.Value) (lo, hi int64) {
	alo, ahi := alignedBounds(a, q.ShiftA)
	blo, bhi := alignedBounds(b, q.ShiftB)
	if q.Op == "max" {
		return spanBounds(max(alo, blo), max(ahi, bhi))
	}
	return spanBounds(min(alo, blo), min(ahi, bhi))
}

func (q *QMinMax) Kind() string { return "minmax" }

// checkAligned checks two operands' shifts, their broadcast to out and the
// output's fraction.
func checkAligned(a, b, out quant.Value, sa, sb uint) error {
	wa, wb, err := alignShifts(a.Frac, b.Frac)
	if err != nil {
		return err
	}
	if wa != sa || wb != sb {
		return fmt.Errorf("%w: shifts %d, %d, the fractions %d, %d give %d, %d", quant.ErrValidation, sa, sb, a.Frac, b.Frac, wa, wb)
	}
	if out.Frac != min(a.Frac, b.Frac) {
		return fmt.Errorf("%w: output frac %d, want %d", quant.ErrValidation, out.Frac, min(a.Frac, b.Frac))
	}
	shape, err := BroadcastShape(a.Shape, b.Shape)
	if err != nil {
		return err
	}
	if !sameShape(shape, out.Shape) {
		return fmt.Errorf("%w: output %v, the operands broadcast to %v", quant.ErrShape, out.Shape, shape)
	}
	return nil
}

func (q *QMinMax) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 2, 1); err != nil {
		return err
	}
	if err := checkMinMaxOp(q.Op); err != nil {
		return err
	}
	if err := checkAligned(in[0], in[1], out[0], q.ShiftA, q.ShiftB); err != nil {
		return err
	}
	if lo, hi := q.bounds(in[0], in[1]); out[0].Lo != lo || out[0].Hi != hi {
		return fmt.Errorf("%w: output bounds [%d, %d], the operands give [%d, %d]", quant.ErrRange, out[0].Lo, out[0].Hi, lo, hi)
	}
	return nil
}

// Apply is the op on two aligned-to-be values.
func (q *QMinMax) Apply(a, b int64) int64 {
	a, b = Align(a, q.ShiftA), Align(b, q.ShiftB)
	if q.Op == "max" {
		return max(a, b)
	}
	return min(a, b)
}

func (q *QMinMax) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	shape := out[0].Shape
	ia, ib := BroadcastIndex(in[0].Shape, shape), BroadcastIndex(in[1].Shape, shape)
	y := make([]int64, len(ia))
	for p := range y {
		y[p] = q.Apply(in[0].Data[ia[p]], in[1].Data[ib[p]])
	}
	return []*quant.Tensor{{Shape: shape, Data: y}}, nil
}

func (q *QMinMax) Encode(e *quant.Encoder) error {
	e.Int(reduceOps[q.Op])
	e.Int(int64(q.ShiftA))
	e.Int(int64(q.ShiftB))
	return nil
}

func (q *QMinMax) EncodeWeights(*quant.Encoder) error { return nil }

// DiffTable returns the 512 entries f(d), d ∈ [−256, 255], at index d + 256.
func DiffTable(f func(d int64) int64) []int64 {
	t := make([]int64, 512)
	for i := range t {
		t[i] = f(int64(i) - 256)
	}
	return t
}

// Table is the table of the gadget: relu(d) for max, min(d, 0) for min.
func (q *QMinMax) Table() []int64 {
	if q.Op == "max" {
		return DiffTable(func(d int64) int64 { return max(d, 0) })
	}
	return DiffTable(func(d int64) int64 { return min(d, 0) })
}

// alignCost is the cost of aligning n values by a right shift: a hint and
// two range checks each (4.7 R1CS, 14 PLONK measured on 64×64).
func alignCost(n int, s uint) (r1cs, scs int) {
	if s == 0 {
		return 0, 0
	}
	return 5 * n, 14 * n
}

// Cost: per output a lookup in the 512-entry table (2 R1CS, 11 PLONK
// measured on 64×64), and the alignments.
func (q *QMinMax) Cost(in, out []quant.Value) quant.Cost {
	n := out[0].Size()
	ra, sa := alignCost(in[0].Size(), q.ShiftA)
	rb, sb := alignCost(in[1].Size(), q.ShiftB)
	return quant.Cost{R1CS: 2*n + 512 + ra + rb, SCS: 11*n + 1024 + sa + sb}
}
