package ops

import (
	"fmt"
	"math"
	"slices"

	"github.com/zkinfer/zkinfer/quant"
)

// Pad surrounds its input with zeros (ONNX Pad in constant mode with value
// 0; torch F.pad, ZeroPad2d). Pads are [begin…, end…] per axis, as ONNX;
// negative pads crop. It is both the float and the integer op: an index
// map whose padding is the constant 0, at no cost. The output's bounds
// widen to hold 0.
type Pad struct {
	Pads  []int   `json:"pads"`
	Mode  string  `json:"mode,omitempty"`  // "constant" (or empty) only
	Value float64 `json:"value,omitempty"` // 0 only
}

// Concat joins its inputs along Axis (ONNX Concat). The output's fraction
// is the coarsest of the inputs' (the smallest frac): an input at a finer
// fraction is requantized to it by a rounding right shift,
// clamp(floor((x + 2^(s−1)) / 2^s)) — one requantization per value of that
// input; inputs at the output's fraction are copied at no cost. The
// output's bounds are the union of the (shifted) inputs' bounds.
type Concat struct {
	Axis int `json:"axis"`
}

// QConcat is Concat in integers: Shifts[k] = f_k − f_out is input k's
// right shift (0: copied).
type QConcat struct {
	Axis   int    `json:"axis"`
	Shifts []uint `json:"shifts"`
}

// Slice takes a strided box of its input (ONNX Slice with constant starts,
// ends, axes, steps: negative indices count from the end, ends clamp,
// negative steps walk backwards).
type Slice struct {
	Starts []int64 `json:"starts"`
	Ends   []int64 `json:"ends"`
	Axes   []int64 `json:"axes,omitempty"`
	Steps  []int64 `json:"steps,omitempty"`
}

// QSlice is Slice resolved against the input shape: on every axis, output
// coordinate c reads input coordinate Starts[a] + c·Steps[a]. An index map,
// at no cost.
type QSlice struct {
	Starts []int `json:"starts"`
	Steps  []int `json:"steps"`
}

// MaxConcatInputs bounds the inputs of a concat node.
const MaxConcatInputs = 1 << 10

func init() {
	quant.RegisterOp(quant.OpInfo{
		Kind: "pad", ID: 24,
		New:      func() quant.Op { return &Pad{} },
		NewFloat: func() quant.FloatOp { return &Pad{} },
		Doc:      "zero padding or cropping of any axis (Pad, constant 0): no constraints",
	})
	quant.RegisterOp(quant.OpInfo{
		Kind: "concat", ID: 25,
		New:      func() quant.Op { return &QConcat{} },
		NewFloat: func() quant.FloatOp { return &Concat{} },
		Doc:      "inputs joined along an axis (Concat) at the coarsest input fraction: free, one requantization per value of a finer input",
	})
	quant.RegisterOp(quant.OpInfo{
		Kind: "slice", ID: 26,
		New:      func() quant.Op { return &QSlice{} },
		NewFloat: func() quant.FloatOp { return &Slice{} },
		Doc:      "a strided box of the input (Slice, constant starts/ends/axes/steps): no constraints",
	})
}

// rowMajor returns the strides of shape.
func rowMajor(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}

// indexMap returns, for every output position (row-major over out), the
// input position that src gives for its coordinates, −1 when src says none.
func indexMap(in, out []int, src func(axis, c int) int) []int {
	st := rowMajor(in)
	n := quant.ShapeSize(out)
	idx := make([]int, n)
	pos := make([]int, len(out))
	for k := 0; k < n; k++ {
		off := 0
		for a, c := range pos {
			p := src(a, c)
			if p < 0 {
				off = -1
				break
			}
			off += p * st[a]
		}
		idx[k] = off
		for a := len(out) - 1; a >= 0; a-- {
			pos[a]++
			if pos[a] < out[a] {
				break
			}
			pos[a] = 0
		}
	}
	return idx
}

// --- Pad ---

func (p *Pad) Kind() string                          { return "pad" }
func (p *Pad) Params() []*quant.Param                { return nil }
func (p *Pad) OutFracs(in []int, mx []float64) []int { return keepFrac(in, mx) }

func (p *Pad) outShape(x []int) ([]int, error) {
	if p.Mode != "" && p.Mode != "constant" {
		return nil, fmt.Errorf("%w: pad mode %q (only constant padding with 0 is supported)", quant.ErrValidation, p.Mode)
	}
	if p.Value != 0 {
		return nil, fmt.Errorf("%w: pad value %v (only constant padding with 0 is supported)", quant.ErrValidation, p.Value)
	}
	if len(p.Pads) != 2*len(x) {
		return nil, fmt.Errorf("%w: %d pads for rank %d, want %d", quant.ErrShape, len(p.Pads), len(x), 2*len(x))
	}
	out := make([]int, len(x))
	for a := range x {
		b, e := p.Pads[a], p.Pads[len(x)+a]
		if b < -quant.MaxTensorValues || b > quant.MaxTensorValues || e < -quant.MaxTensorValues || e > quant.MaxTensorValues {
			return nil, fmt.Errorf("%w: pads %v", quant.ErrRange, p.Pads)
		}
		out[a] = x[a] + b + e
	}
	if err := quant.CheckShape(out); err != nil {
		return nil, fmt.Errorf("pad %v by %v: %w", x, p.Pads, err)
	}
	return out, nil
}

// Index returns, for every output position, the input position it copies,
// −1 for padding (the constant 0).
func (p *Pad) Index(x, out []int) []int {
	return indexMap(x, out, func(a, c int) int {
		i := c - p.Pads[a]
		if i < 0 || i >= x[a] {
			return -1
		}
		return i
	})
}

func (p *Pad) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 1); err != nil {
		return nil, err
	}
	out, err := p.outShape(in[0])
	if err != nil {
		return nil, err
	}
	return [][]int{out}, nil
}

func (p *Pad) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	out, err := p.outShape(in[0].Shape)
	if err != nil {
		return nil, err
	}
	idx := p.Index(in[0].Shape, out)
	y := make([]float64, len(idx))
	for k, i := range idx {
		if i >= 0 {
			y[k] = in[0].Data[i]
		}
	}
	return []*quant.FloatTensor{{Shape: out, Data: y}}, nil
}

func padBounds(x quant.Value) (lo, hi int64) { return min(x.Lo, 0), max(x.Hi, 0) }

func (p *Pad) Quantize(in, out []quant.Value) (quant.Op, error) {
	if _, err := p.outShape(in[0].Shape); err != nil {
		return nil, err
	}
	out[0].Frac = in[0].Frac
	out[0].Lo, out[0].Hi = padBounds(in[0])
	return &Pad{Pads: slices.Clone(p.Pads)}, nil
}

func (p *Pad) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 1, 1); err != nil {
		return err
	}
	want, err := p.outShape(in[0].Shape)
	if err != nil {
		return err
	}
	if !slices.Equal(want, out[0].Shape) {
		return fmt.Errorf("%w: pad of %v by %v is %v, output %v", quant.ErrShape, in[0].Shape, p.Pads, want, out[0].Shape)
	}
	lo, hi := padBounds(in[0])
	if out[0].Frac != in[0].Frac || out[0].Lo != lo || out[0].Hi != hi {
		return fmt.Errorf("%w: pad output format (frac %d, [%d, %d]), want (frac %d, [%d, %d])", quant.ErrValidation, out[0].Frac, out[0].Lo, out[0].Hi, in[0].Frac, lo, hi)
	}
	return nil
}

func (p *Pad) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	idx := p.Index(in[0].Shape, out[0].Shape)
	y := make([]int64, len(idx))
	for k, i := range idx {
		if i >= 0 {
			y[k] = in[0].Data[i]
		}
	}
	return []*quant.Tensor{{Shape: out[0].Shape, Data: y}}, nil
}

func (p *Pad) Encode(e *quant.Encoder) error      { e.Ints(intsOf(p.Pads)); return nil }
func (p *Pad) EncodeWeights(*quant.Encoder) error { return nil }
func (p *Pad) Cost(_, _ []quant.Value) quant.Cost { return quant.Cost{} }

// --- Concat ---

func (c *Concat) Kind() string           { return "concat" }
func (c *Concat) Params() []*quant.Param { return nil }

func (c *Concat) outShape(in [][]int) (int, []int, error) {
	if len(in) < 1 || len(in) > MaxConcatInputs {
		return 0, nil, fmt.Errorf("%w: concat of %d inputs, want 1..%d", quant.ErrValidation, len(in), MaxConcatInputs)
	}
	r := len(in[0])
	axis := c.Axis
	if axis < 0 {
		axis += r
	}
	if axis < 0 || axis >= r {
		return 0, nil, fmt.Errorf("%w: concat axis %d for rank %d", quant.ErrShape, c.Axis, r)
	}
	out := slices.Clone(in[0])
	out[axis] = 0
	for k, s := range in {
		if len(s) != r {
			return 0, nil, fmt.Errorf("%w: concat input %d has rank %d, want %d", quant.ErrShape, k, len(s), r)
		}
		for a := range s {
			if a != axis && s[a] != in[0][a] {
				return 0, nil, fmt.Errorf("%w: concat inputs %v and %v differ off axis %d", quant.ErrShape, in[0], s, axis)
			}
		}
		out[axis] += s[axis]
		if out[axis] > quant.MaxTensorValues {
			return 0, nil, fmt.Errorf("%w: concat axis too long", quant.ErrShape)
		}
	}
	if err := quant.CheckShape(out); err != nil {
		return 0, nil, err
	}
	return axis, out, nil
}

// Sources returns, for every output position, the input and the position
// within it that the output copies. Forward and the gadget share it.
func (c *Concat) Sources(in [][]int) (src, pos []int, err error) {
	axis, out, err := c.outShape(in)
	if err != nil {
		return nil, nil, err
	}
	outer := quant.ShapeSize(out[:axis])
	inner := quant.ShapeSize(out[axis+1:])
	n := quant.ShapeSize(out)
	src, pos = make([]int, 0, n), make([]int, 0, n)
	for o := 0; o < outer; o++ {
		for k, s := range in {
			block := s[axis] * inner
			for t := 0; t < block; t++ {
				src = append(src, k)
				pos = append(pos, o*block+t)
			}
		}
	}
	return src, pos, nil
}

func (c *Concat) OutShapes(in [][]int) ([][]int, error) {
	_, out, err := c.outShape(in)
	if err != nil {
		return nil, err
	}
	return [][]int{out}, nil
}

func (c *Concat) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	shapes := make([][]int, len(in))
	for k, t := range in {
		shapes[k] = t.Shape
	}
	_, out, err := c.outShape(shapes)
	if err != nil {
		return nil, err
	}
	src, pos, _ := c.Sources(shapes)
	y := make([]float64, len(src))
	for p := range y {
		y[p] = in[src[p]].Data[pos[p]]
	}
	return []*quant.FloatTensor{{Shape: out, Data: y}}, nil
}

// OutFracs: the coarsest input fraction (see Concat).
func (c *Concat) OutFracs(in []int, _ []float64) []int { return []int{slices.Min(in)} }

// ConcatShift is the right shift that brings an input at frac fi to fo.
func ConcatShift(fi, fo int) uint { return uint(fi - fo) }

// concatFormat returns the output frac and bounds of inputs in.
func concatFormat(in []quant.Value) (frac int, lo, hi int64) {
	frac = in[0].Frac
	for _, v := range in {
		frac = min(frac, v.Frac)
	}
	lo, hi = math.MaxInt64, math.MinInt64
	for _, v := range in {
		s := ConcatShift(v.Frac, frac)
		lo = min(lo, quant.RequantizeUnclamped(v.Lo, 1, s))
		hi = max(hi, quant.RequantizeUnclamped(v.Hi, 1, s))
	}
	if hi == lo {
		hi = lo + 1
	}
	return frac, lo, hi
}

func (c *Concat) Quantize(in, out []quant.Value) (quant.Op, error) {
	var frac int
	frac, out[0].Lo, out[0].Hi = concatFormat(in)
	out[0].Frac = frac
	q := &QConcat{Axis: c.Axis}
	for _, v := range in {
		q.Shifts = append(q.Shifts, ConcatShift(v.Frac, frac))
	}
	if err := q.Check(in, out); err != nil {
		return nil, err
	}
	return q, nil
}

func (q *QConcat) Kind() string { return "concat" }

func (q *QConcat) Check(in, out []quant.Value) error {
	if len(out) != 1 {
		return fmt.Errorf("%w: concat has %d outputs, want 1", quant.ErrValidation, len(out))
	}
	shapes := make([][]int, len(in))
	for k, v := range in {
		shapes[k] = v.Shape
	}
	c := Concat{Axis: q.Axis}
	_, want, err := c.outShape(shapes)
	if err != nil {
		return err
	}
	if !slices.Equal(want, out[0].Shape) {
		return fmt.Errorf("%w: concat output %v, want %v", quant.ErrShape, out[0].Shape, want)
	}
	frac, lo, hi := concatFormat(in)
	if out[0].Frac != frac || out[0].Lo != lo || out[0].Hi != hi {
		return fmt.Errorf("%w: concat output format (frac %d, [%d, %d]), want (frac %d, [%d, %d])", quant.ErrValidation, out[0].Frac, out[0].Lo, out[0].Hi, frac, lo, hi)
	}
	if len(q.Shifts) != len(in) {
		return fmt.Errorf("%w: %d shifts for %d inputs", quant.ErrValidation, len(q.Shifts), len(in))
	}
	for k, v := range in {
		if s := ConcatShift(v.Frac, frac); q.Shifts[k] != s || s > 24 {
			return fmt.Errorf("%w: concat input %d at frac %d, output at %d: shift %d, want %d (at most 24)", quant.ErrRange, k, v.Frac, frac, q.Shifts[k], s)
		}
	}
	return nil
}

// Sources returns, for every output position, the input and the position
// within it that the output copies. Forward and the gadget share it.
func (q *QConcat) Sources(in [][]int) (src, pos []int, err error) {
	return (&Concat{Axis: q.Axis}).Sources(in)
}

func (q *QConcat) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	shapes := make([][]int, len(in))
	for k, t := range in {
		shapes[k] = t.Shape
	}
	src, pos, err := q.Sources(shapes)
	if err != nil {
		return nil, err
	}
	y := make([]int64, len(src))
	for p := range y {
		v := in[src[p]].Data[pos[p]]
		if s := q.Shifts[src[p]]; s > 0 {
			v = quant.Requantize(v, 1, s, out[0].Lo, out[0].Hi)
		}
		y[p] = v
	}
	return []*quant.Tensor{{Shape: out[0].Shape, Data: y}}, nil
}

func (q *QConcat) Encode(e *quant.Encoder) error {
	e.Int(int64(q.Axis))
	s := make([]int64, len(q.Shifts))
	for k, v := range q.Shifts {
		s[k] = int64(v)
	}
	e.Ints(s)
	return nil
}
func (q *QConcat) EncodeWeights(*quant.Encoder) error { return nil }
func (q *QConcat) Cost(in, _ []quant.Value) quant.Cost {
	n := 0
	for k, v := range in {
		if k < len(q.Shifts) && q.Shifts[k] > 0 {
			n += v.Size()
		}
	}
	return quant.Cost{R1CS: RequantCost * n, SCS: requantSCS * n}
}

// --- Slice ---

func (s *Slice) Kind() string                          { return "slice" }
func (s *Slice) Params() []*quant.Param                { return nil }
func (s *Slice) OutFracs(in []int, mx []float64) []int { return keepFrac(in, mx) }

// resolve applies ONNX's rules to input shape x.
func (s *Slice) resolve(x []int) (*QSlice, []int, error) {
	r := len(x)
	n := len(s.Starts)
	if n == 0 || n > r || len(s.Ends) != n || (len(s.Axes) != 0 && len(s.Axes) != n) || (len(s.Steps) != 0 && len(s.Steps) != n) {
		return nil, nil, fmt.Errorf("%w: slice starts %v, ends %v, axes %v, steps %v for rank %d", quant.ErrValidation, s.Starts, s.Ends, s.Axes, s.Steps, r)
	}
	q := &QSlice{Starts: make([]int, r), Steps: make([]int, r)}
	out := slices.Clone(x)
	for a := range q.Steps {
		q.Steps[a] = 1
	}
	seen := make([]bool, r)
	for k := 0; k < n; k++ {
		a := int64(k)
		if len(s.Axes) > 0 {
			a = s.Axes[k]
		}
		if a < 0 {
			a += int64(r)
		}
		if a < 0 || a >= int64(r) || seen[a] {
			return nil, nil, fmt.Errorf("%w: slice axes %v for rank %d", quant.ErrValidation, s.Axes, r)
		}
		seen[a] = true
		step := int64(1)
		if len(s.Steps) > 0 {
			step = s.Steps[k]
		}
		dim := int64(x[a])
		if step == 0 || step < -dim-1 || step > dim+1 {
			step = max(min(step, dim+1), -dim-1)
			if step == 0 {
				return nil, nil, fmt.Errorf("%w: slice step 0", quant.ErrValidation)
			}
		}
		start, end := clampIndex(s.Starts[k], dim), clampIndex(s.Ends[k], dim)
		var count int64
		if step > 0 {
			start, end = min(max(start, 0), dim), min(max(end, 0), dim)
			count = ceilDiv64(end-start, step)
		} else {
			start, end = min(max(start, 0), dim-1), min(max(end, -1), dim-1)
			count = ceilDiv64(start-end, -step)
		}
		if count < 1 {
			return nil, nil, fmt.Errorf("%w: slice of axis %d (size %d) from %d to %d by %d is empty", quant.ErrShape, a, dim, s.Starts[k], s.Ends[k], step)
		}
		q.Starts[a], q.Steps[a], out[a] = int(start), int(step), int(count)
	}
	return q, out, nil
}

// clampIndex makes a negative ONNX index count from the end, saturating
// far-out values (INT64_MAX and the like).
func clampIndex(v, dim int64) int64 {
	v = max(min(v, 1<<40), -(1 << 40))
	if v < 0 {
		v += dim
	}
	return v
}

func ceilDiv64(a, b int64) int64 {
	if a <= 0 {
		return 0
	}
	return (a + b - 1) / b
}

func (s *Slice) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 1); err != nil {
		return nil, err
	}
	_, out, err := s.resolve(in[0])
	if err != nil {
		return nil, err
	}
	return [][]int{out}, nil
}

func (s *Slice) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	q, out, err := s.resolve(in[0].Shape)
	if err != nil {
		return nil, err
	}
	idx := q.Index(in[0].Shape, out)
	y := make([]float64, len(idx))
	for k, i := range idx {
		y[k] = in[0].Data[i]
	}
	return []*quant.FloatTensor{{Shape: out, Data: y}}, nil
}

func (s *Slice) Quantize(in, out []quant.Value) (quant.Op, error) {
	q, _, err := s.resolve(in[0].Shape)
	if err != nil {
		return nil, err
	}
	keepFormat(in, out)
	return q, nil
}

func (q *QSlice) Kind() string { return "slice" }

// Index returns, for every output position, the input position it copies.
func (q *QSlice) Index(x, out []int) []int {
	return indexMap(x, out, func(a, c int) int { return q.Starts[a] + c*q.Steps[a] })
}

func (q *QSlice) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 1, 1); err != nil {
		return err
	}
	x, y := in[0].Shape, out[0].Shape
	if len(q.Starts) != len(x) || len(q.Steps) != len(x) || len(y) != len(x) {
		return fmt.Errorf("%w: slice starts %v, steps %v for %v → %v", quant.ErrShape, q.Starts, q.Steps, x, y)
	}
	for a := range x {
		first, step, n := q.Starts[a], q.Steps[a], y[a]
		if first < 0 || first >= x[a] || step == 0 || step < -x[a] || step > x[a] || n < 1 || n > x[a] {
			return fmt.Errorf("%w: slice of axis %d (size %d): start %d, step %d, %d values", quant.ErrRange, a, x[a], first, step, n)
		}
		if last := first + (n-1)*step; last < 0 || last >= x[a] {
			return fmt.Errorf("%w: slice of axis %d (size %d) reaches %d", quant.ErrRange, a, x[a], last)
		}
	}
	return sameFormat(in[0], out[0])
}

func (q *QSlice) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	idx := q.Index(in[0].Shape, out[0].Shape)
	y := make([]int64, len(idx))
	for k, i := range idx {
		y[k] = in[0].Data[i]
	}
	return []*quant.Tensor{{Shape: out[0].Shape, Data: y}}, nil
}

func (q *QSlice) Encode(e *quant.Encoder) error {
	e.Ints(intsOf(q.Starts))
	e.Ints(intsOf(q.Steps))
	return nil
}
func (q *QSlice) EncodeWeights(*quant.Encoder) error { return nil }
func (q *QSlice) Cost(_, _ []quant.Value) quant.Cost { return quant.Cost{} }
