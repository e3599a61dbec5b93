package ops

import (
	"fmt"
	"math"
	"slices"

	"github.com/zkinfer/zkinfer/quant"
)

// Pool is a max or average pool over the spatial axes of an [N, C,
// spatial…] input (ONNX MaxPool, AveragePool, GlobalMaxPool,
// GlobalAveragePool): kernel, strides, dilations, pads (−∞ for max,
// zero-or-skipped for average as CountIncludePad says), auto_pad. Global
// pools take the whole plane (Kernel empty, Global set).
type Pool struct {
	Window
	Global          bool `json:"global,omitempty"`
	CountIncludePad bool `json:"count_include_pad,omitempty"`
	Max             bool `json:"-"`
}

// QMaxPool is the max of every window in integers, at the input's format
// (padding is −∞: it never wins). Every window holds at least one input.
type QMaxPool struct {
	Window
}

// QAvgPool is the average of every window in integers: the sum of its
// inputs (padding contributes zero), requantized by the multiplier
// round_half_up(2^(Shift + f_out − f_in) / count) and Shift, i.e.
// clamp(floor((sum·mult + 2^(Shift−1)) / 2^Shift), lo, 127), where count is
// the kernel size when CountIncludePad, else the window's inputs (border
// windows of padded pools have fewer), and lo is 0 when the input is
// non-negative (lo ≥ 0), else −128. The multipliers are not stored: they
// derive from Shift, the fractions and the counts.
type QAvgPool struct {
	Window
	CountIncludePad bool `json:"count_include_pad,omitempty"`
	Shift           uint `json:"shift"`
	// Scale is f_out − f_in (Check compares it with the values' formats).
	Scale int `json:"scale"`
}

func init() {
	quant.RegisterOp(quant.OpInfo{
		Kind: "max_pool", ID: 22,
		New:      func() quant.Op { return &QMaxPool{} },
		NewFloat: func() quant.FloatOp { return &Pool{Max: true} },
		Doc:      "max over windows (MaxPool, GlobalMaxPool): hinted max, range checks max − x ≥ 0 and a zero product per output",
	})
	quant.RegisterOp(quant.OpInfo{
		Kind: "avg_pool", ID: 23,
		New:      func() quant.Op { return &QAvgPool{} },
		NewFloat: func() quant.FloatOp { return &Pool{} },
		Doc:      "average over windows (AveragePool, GlobalAveragePool): free sum, one requantization per output",
	})
}

// NewMaxPool and NewAvgPool return pools over win (Global: the whole plane).
func NewMaxPool(win Window, global bool) *Pool { return &Pool{Window: win, Global: global, Max: true} }
func NewAvgPool(win Window, global, countIncludePad bool) *Pool {
	return &Pool{Window: win, Global: global, CountIncludePad: countIncludePad}
}

func (p *Pool) Kind() string {
	if p.Max {
		return "max_pool"
	}
	return "avg_pool"
}
func (p *Pool) Params() []*quant.Param { return nil }

func (p *Pool) window(x []int) (Window, *geom, error) {
	win := p.Window
	if p.Global {
		if len(win.Kernel) > 0 || len(win.Strides) > 0 || len(win.Pads) > 0 || len(win.Dilations) > 0 || win.AutoPad != "" {
			return Window{}, nil, fmt.Errorf("%w: a global pool takes no window attributes", quant.ErrValidation)
		}
		if len(x) < 3 {
			return Window{}, nil, fmt.Errorf("%w: global pool over %v", quant.ErrShape, x)
		}
		win = Window{Kernel: slices.Clone(x[2:])}
	}
	if len(win.OutputPadding) > 0 {
		return Window{}, nil, fmt.Errorf("%w: output_padding on a pool", quant.ErrValidation)
	}
	r, g, err := win.resolve(x, false)
	if err != nil {
		return Window{}, nil, err
	}
	if err := checkPool(g); err != nil {
		return Window{}, nil, err
	}
	return r, g, nil
}

// realRange returns the kernel offsets [k0, k1] of spatial axis i whose
// input lies inside the input at output coordinate p (k1 < k0: none).
func (g *geom) realRange(i, p int) (k0, k1 int) {
	lo := g.pb[i] - p*g.s[i] // k·d ≥ lo
	hi := lo + g.in[i] - 1   // k·d ≤ hi
	k0 = max(0, ceilDiv(lo, g.d[i]))
	if hi < 0 {
		return 0, -1
	}
	k1 = min(g.k[i]-1, hi/g.d[i])
	return k0, k1
}

func ceilDiv(a, b int) int {
	if a <= 0 {
		return -((-a) / b)
	}
	return (a + b - 1) / b
}

// checkPool bounds the work of a pool and checks that every window holds
// at least one input, and returns the fewest inputs of a window.
func checkPool(g *geom) error {
	if err := quant.CheckShape(g.outShape(g.c)); err != nil {
		return err
	}
	if g.n*g.c*g.outPlane > MaxWindowMACs/g.kSize {
		return fmt.Errorf("%w: %d windows of %d values: more than %d", quant.ErrShape, g.n*g.c*g.outPlane, g.kSize, MaxWindowMACs)
	}
	_, err := g.minCount()
	return err
}

// minCount returns the fewest inputs a window holds (a product over the
// spatial axes), or an error when some window holds none.
func (g *geom) minCount() (int, error) {
	m := 1
	for i := range g.in {
		mi := g.k[i]
		for p := 0; p < g.out[i]; p++ {
			k0, k1 := g.realRange(i, p)
			if k1 < k0 {
				return 0, fmt.Errorf("%w: a window at output %d of spatial axis %d holds only padding (pads %v, kernel %v)", quant.ErrShape, p, i, g.pb, g.k)
			}
			mi = min(mi, k1-k0+1)
		}
		m *= mi
	}
	return m, nil
}

// forEachWindow calls fn for every output (flat index over [N, C, out…])
// with the input indices of its window, padding left out.
func (g *geom) forEachWindow(fn func(o int, idx []int)) {
	off := make([]int, g.kSize)
	idx := make([]int, 0, g.kSize)
	for o := 0; o < g.outPlane; o++ {
		g.offsets(o, off)
		for nc := 0; nc < g.n*g.c; nc++ {
			idx = idx[:0]
			for _, f := range off {
				if f >= 0 {
					idx = append(idx, nc*g.inPlane+f)
				}
			}
			fn(nc*g.outPlane+o, idx)
		}
	}
}

func (p *Pool) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 1); err != nil {
		return nil, err
	}
	_, g, err := p.window(in[0])
	if err != nil {
		return nil, err
	}
	return [][]int{g.outShape(g.c)}, nil
}

func (p *Pool) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	x := in[0]
	_, g, err := p.window(x.Shape)
	if err != nil {
		return nil, err
	}
	y := make([]float64, g.n*g.c*g.outPlane)
	g.forEachWindow(func(o int, idx []int) {
		if p.Max {
			m := math.Inf(-1)
			for _, i := range idx {
				m = math.Max(m, x.Data[i])
			}
			y[o] = m
			return
		}
		s := 0.0
		for _, i := range idx {
			s += x.Data[i]
		}
		count := len(idx)
		if p.CountIncludePad {
			count = g.kSize
		}
		y[o] = s / float64(count)
	})
	return []*quant.FloatTensor{{Shape: g.outShape(g.c), Data: y}}, nil
}

// OutFracs: max keeps the input's fraction; average takes its output's
// calibrated fraction, at most 15 finer than the input's (the multiplier
// 2^(Shift + f_out − f_in)/count must fit).
func (p *Pool) OutFracs(in []int, mx []float64) []int {
	if p.Max {
		return keepFrac(in, mx)
	}
	return []int{min(quant.FracFor(mx[0]), in[0]+15)}
}

func (p *Pool) Quantize(in, out []quant.Value) (quant.Op, error) {
	return p.QuantizePrecision(in, out, nil, quant.Requantizer{})
}

// QuantizePrecision is Quantize with an average's shift chosen by rq.
func (p *Pool) QuantizePrecision(in, out []quant.Value, _ []int, rq quant.Requantizer) (quant.Op, error) {
	r, g, err := p.window(in[0].Shape)
	if err != nil {
		return nil, err
	}
	if p.Max {
		keepFormat(in, out)
		return &QMaxPool{Window: r}, nil
	}
	q := &QAvgPool{Window: r, CountIncludePad: p.CountIncludePad, Scale: out[0].Frac - in[0].Frac}
	cmin := g.kSize
	if !p.CountIncludePad {
		if cmin, err = g.minCount(); err != nil {
			return nil, err
		}
	}
	found := false
	for s := quant.MaxShift; s >= 0; s-- {
		if m, ok := avgMult(uint(s), q.Scale, cmin); ok && m > 0 {
			q.Shift, found = uint(s), true
			break
		}
	}
	if !found {
		return nil, fmt.Errorf("%w: average from frac %d to frac %d: no multiplier fits", quant.ErrRange, in[0].Frac, out[0].Frac)
	}
	// Under a cap, the largest multiplier is the smallest window's.
	q.Shift = rq.Capped("", q.Shift, func(s uint) (int64, bool) {
		m, ok := avgMult(s, q.Scale, cmin)
		mk, _ := avgMult(s, q.Scale, g.kSize)
		return m, ok && m > 0 && mk > 0
	})
	out[0].Lo, out[0].Hi = avgBounds(in[0])
	return q, nil
}

// avgMult returns round_half_up(2^(shift + scale) / count) and whether it
// is a valid multiplier (the exponent within 0..47, the result below
// quant.MaxMultiplier).
func avgMult(shift uint, scale, count int) (int64, bool) {
	e := int(shift) + scale
	if e < 0 || e > 47 || count < 1 {
		return 0, false
	}
	m := (int64(1)<<(e+1) + int64(count)) / (2 * int64(count))
	return m, m < quant.MaxMultiplier
}

func avgBounds(in quant.Value) (lo, hi int64) {
	if in.Lo >= 0 {
		return 0, quant.Int8Max
	}
	return quant.Int8Min, quant.Int8Max
}

// Mult returns the multiplier of a window of divisor count.
func (q *QAvgPool) Mult(count int) int64 {
	m, _ := avgMult(q.Shift, q.Scale, count)
	return m
}

func (q *QMaxPool) Kind() string { return "max_pool" }
func (q *QAvgPool) Kind() string { return "avg_pool" }

func poolGeometry(w Window, x []int) (*geom, error) {
	if w.AutoPad != "" || len(w.OutputPadding) > 0 {
		return nil, fmt.Errorf("%w: auto_pad or output_padding in an integer pool", quant.ErrValidation)
	}
	_, g, err := w.resolve(x, false)
	if err != nil {
		return nil, err
	}
	if err := checkPool(g); err != nil {
		return nil, err
	}
	return g, nil
}

func checkPoolShape(g *geom, out quant.Value) error {
	if want := g.outShape(g.c); !slices.Equal(want, out.Shape) {
		return fmt.Errorf("%w: pool output %v, want %v", quant.ErrShape, out.Shape, want)
	}
	return nil
}

func (q *QMaxPool) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 1, 1); err != nil {
		return err
	}
	g, err := poolGeometry(q.Window, in[0].Shape)
	if err != nil {
		return err
	}
	if err := checkPoolShape(g, out[0]); err != nil {
		return err
	}
	return sameFormat(in[0], out[0])
}

// Windows calls fn for every output (flat) with the input indices of its
// window, padding left out (never empty). Forward and the gadget share it.
func (q *QMaxPool) Windows(x []int, fn func(o int, idx []int)) error {
	g, err := poolGeometry(q.Window, x)
	if err != nil {
		return err
	}
	g.forEachWindow(fn)
	return nil
}

func (q *QMaxPool) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	x := in[0].Data
	y := make([]int64, out[0].Size())
	err := q.Windows(in[0].Shape, func(o int, idx []int) {
		m := x[idx[0]]
		for _, i := range idx[1:] {
			m = max(m, x[i])
		}
		y[o] = m
	})
	if err != nil {
		return nil, err
	}
	return []*quant.Tensor{{Shape: out[0].Shape, Data: y}}, nil
}

func (q *QMaxPool) Encode(e *quant.Encoder) error {
	q.Window.explicit(false).encode(e)
	return nil
}
func (q *QMaxPool) EncodeWeights(*quant.Encoder) error { return nil }

// Cost: per output of a window of m inputs, m range checks of 8 bits (at
// RefRangeBase: the gadget declares them to the estimate, gadget.Checker)
// and m − 1 products plus one assertion (measured: 7 PLONK gates per
// element).
func (q *QMaxPool) Cost(in, out []quant.Value) quant.Cost {
	m := 0 // window elements over all outputs (padding is not an element)
	if err := q.Windows(in[0].Shape, func(_ int, idx []int) {
		if len(idx) > 1 {
			m += len(idx)
		}
	}); err != nil {
		return quant.Cost{}
	}
	return quant.Cost{R1CS: m * (1 + RefRangeCheck(8)), SCS: m * maxElemSCS}
}

func (q *QAvgPool) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 1, 1); err != nil {
		return err
	}
	g, err := poolGeometry(q.Window, in[0].Shape)
	if err != nil {
		return err
	}
	if err := checkPoolShape(g, out[0]); err != nil {
		return err
	}
	if q.Scale != out[0].Frac-in[0].Frac {
		return fmt.Errorf("%w: scale %d, the fractions give %d", quant.ErrValidation, q.Scale, out[0].Frac-in[0].Frac)
	}
	if q.Shift > quant.MaxShift {
		return fmt.Errorf("%w: shift %d > %d", quant.ErrRange, q.Shift, quant.MaxShift)
	}
	cmin := g.kSize
	if !q.CountIncludePad {
		cmin, _ = g.minCount()
	}
	// The multiplier is largest at the fewest inputs.
	if m, ok := avgMult(q.Shift, q.Scale, cmin); !ok || m < 1 {
		return fmt.Errorf("%w: shift %d from frac %d to %d: the multiplier of a window of %d does not fit", quant.ErrRange, q.Shift, in[0].Frac, out[0].Frac, cmin)
	}
	if m, _ := avgMult(q.Shift, q.Scale, g.kSize); m < 1 {
		return fmt.Errorf("%w: shift %d: the multiplier of a window of %d rounds to zero", quant.ErrRange, q.Shift, g.kSize)
	}
	if lo, hi := avgBounds(in[0]); out[0].Lo != lo || out[0].Hi != hi {
		return fmt.Errorf("%w: average pool output bounds [%d, %d], want [%d, %d]", quant.ErrRange, out[0].Lo, out[0].Hi, lo, hi)
	}
	return nil
}

// Windows calls fn for every output (flat) with the input indices of its
// window (padding left out) and the divisor of its average.
func (q *QAvgPool) Windows(x []int, fn func(o int, idx []int, count int)) error {
	g, err := poolGeometry(q.Window, x)
	if err != nil {
		return err
	}
	g.forEachWindow(func(o int, idx []int) {
		count := len(idx)
		if q.CountIncludePad {
			count = g.kSize
		}
		fn(o, idx, count)
	})
	return nil
}

// AvgAccBound bounds |sum| of a window of count int8 inputs.
func AvgAccBound(count int) int64 { return int64(count) * 128 }

func (q *QAvgPool) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	x := in[0].Data
	y := make([]int64, out[0].Size())
	lo, hi := out[0].Lo, out[0].Hi
	err := q.Windows(in[0].Shape, func(o int, idx []int, count int) {
		var s int64
		for _, i := range idx {
			s += x[i]
		}
		y[o] = quant.Requantize(s, q.Mult(count), q.Shift, lo, hi)
	})
	if err != nil {
		return nil, err
	}
	return []*quant.Tensor{{Shape: out[0].Shape, Data: y}}, nil
}

func (q *QAvgPool) Encode(e *quant.Encoder) error {
	q.Window.explicit(false).encode(e)
	if q.CountIncludePad {
		e.Int(1)
	} else {
		e.Int(0)
	}
	e.Int(int64(q.Shift))
	e.Int(int64(q.Scale))
	return nil
}
func (q *QAvgPool) EncodeWeights(*quant.Encoder) error { return nil }
func (q *QAvgPool) Cost(in, out []quant.Value) quant.Cost {
	n := out[0].Size()
	m := 1
	for _, k := range q.Kernel {
		m *= k
	}
	return quant.Cost{R1CS: RequantCost * n, SCS: requantSCS*n + m*n}
}
