package ops

import (
	"fmt"
	"slices"

	"github.com/zkinfer/zkinfer/quant"
)

// Conv is an N-d convolution over an [N, C, spatial…] input (ONNX Conv,
// torch nn.Conv1d/2d/3d; ConvTranspose when Transposed): groups (depthwise
// when Group = C), strides, dilations, explicit pads or auto_pad, a bias,
// and optionally a ReLU that the requantization's clamp absorbs.
//
// Weight is ONNX's layout: [C_out, C_in/group, k…] for Conv,
// [C_in, C_out/group, k…] for ConvTranspose. Bias is [C_out].
type Conv struct {
	Window
	Group      int          `json:"group,omitempty"`
	ReLU       bool         `json:"relu,omitempty"`
	Transposed bool         `json:"-"`
	Weight     *quant.Param `json:"-"`
	Bias       *quant.Param `json:"-"`
}

// QConv is Conv in integers: exactly quant.Dense (int8 weights per output
// channel, int32 bias, per-channel multipliers, one shift, clamp to
// [Lo, 127], ReLU fused when Lo = 0) applied to every im2col patch. Dense.In
// is C_in/group·∏k (patch order: channel of the group, then kernel offsets
// row-major), Dense.Out is C_out; output channel j reads the patch of its
// group j / (C_out/group). Padding positions contribute zero.
//
// For conv_transpose the patch of output position o holds, for every
// kernel offset k, the input position i with i·s = o + pad − k·d (zero
// when there is none): the same Dense on the transposed index map.
type QConv struct {
	Window
	Group      int         `json:"group"`
	Dense      quant.Dense `json:"dense"`
	Transposed bool        `json:"-"`
}

// Window is the sliding-window geometry over the spatial axes of an
// [N, C, spatial…] tensor (ONNX attribute names). Empty Strides and
// Dilations mean 1, empty Pads 0. Pads are [begin…, end…].
type Window struct {
	Kernel        []int  `json:"kernel,omitempty"`
	Strides       []int  `json:"strides,omitempty"`
	Pads          []int  `json:"pads,omitempty"`
	Dilations     []int  `json:"dilations,omitempty"`
	OutputPadding []int  `json:"output_padding,omitempty"` // conv_transpose only
	AutoPad       string `json:"auto_pad,omitempty"`       // float ops only: Quantize resolves it into Pads
}

// Limits of a window op, checked before anything is allocated by shape.
const (
	// MaxSpatial bounds the spatial axes of a window op (1-d, 2-d, 3-d).
	MaxSpatial = 3
	// MaxWindowMACs bounds the multiply-accumulates (conv) or window
	// elements (pools) of one node.
	MaxWindowMACs = 1 << 28
)

// Measured costs (BN254, gnark v0.16.3, clamp tables amortized over a few
// thousand outputs; TestCNNConstraintCounts logs the comparison): a
// requantized output costs about RequantCost R1CS constraints but about 33
// PLONK gates, plus one gate per nonzero term of its accumulator; a max
// pool costs about 3 R1CS constraints and 7 gates per window element.
const (
	requantSCS  = 33
	maxElemR1CS = 3
	maxElemSCS  = 7
)

func init() {
	quant.RegisterOp(quant.OpInfo{
		Kind: "conv", ID: 20,
		New:      func() quant.Op { return &QConv{} },
		NewFloat: func() quant.FloatOp { return NewConv(nil, nil, Window{}, 1, false) },
		Doc:      "N-d convolution, groups, strides, dilations, pads, ReLU fused (Conv): im2col index map, free accumulation, one requantization per output",
	})
	quant.RegisterOp(quant.OpInfo{
		Kind: "conv_transpose", ID: 21,
		New: func() quant.Op { return &QConv{Transposed: true} },
		NewFloat: func() quant.FloatOp {
			c := NewConv(nil, nil, Window{}, 1, false)
			c.Transposed = true
			return c
		},
		Doc: "N-d transposed convolution (ConvTranspose): the conv's Dense on the transposed index map, one requantization per output",
	})
}

// NewConv returns a Conv with weight w (ONNX layout) and bias b (nil: zeros).
func NewConv(w, b *quant.FloatTensor, win Window, group int, relu bool) *Conv {
	if b == nil && w != nil && len(w.Shape) > 0 {
		b = &quant.FloatTensor{Shape: []int{w.Shape[0]}, Data: make([]float64, w.Shape[0])}
	}
	return &Conv{Window: win, Group: group, ReLU: relu, Weight: &quant.Param{Name: "weight", T: w}, Bias: &quant.Param{Name: "bias", T: b}}
}

// geom is a resolved window over one input shape.
type geom struct {
	n, c       int   // batch, channels
	in, out    []int // spatial sizes
	k, s, d    []int
	pb         []int // pads at the beginning
	transposed bool
	kSize      int // ∏k
	inPlane    int // ∏in
	outPlane   int // ∏out
}

func kindOf(transposed bool) string {
	if transposed {
		return "conv_transpose"
	}
	return "conv"
}

func defaults(v []int, n, def int) []int {
	if len(v) == 0 {
		v = make([]int, n)
		for i := range v {
			v[i] = def
		}
	}
	return v
}

// resolve returns the explicit window (defaults filled in, auto_pad turned
// into pads) for input shape x, and its geometry. Every attribute is
// bounded before any arithmetic, so a hostile file fails with an error.
func (w Window) resolve(x []int, transposed bool) (Window, *geom, error) {
	if len(x) < 3 || len(x) > 2+MaxSpatial {
		return w, nil, fmt.Errorf("%w: window op over %v: want [N, C, spatial…] with 1 to %d spatial axes", quant.ErrShape, x, MaxSpatial)
	}
	ns := len(x) - 2
	r := Window{
		Kernel:    slices.Clone(w.Kernel),
		Strides:   slices.Clone(defaults(w.Strides, ns, 1)),
		Pads:      slices.Clone(defaults(w.Pads, 2*ns, 0)),
		Dilations: slices.Clone(defaults(w.Dilations, ns, 1)),
	}
	if transposed {
		r.OutputPadding = slices.Clone(defaults(w.OutputPadding, ns, 0))
	} else if len(w.OutputPadding) > 0 {
		return w, nil, fmt.Errorf("%w: output_padding is a conv_transpose attribute", quant.ErrValidation)
	}
	if len(r.Kernel) != ns || len(r.Strides) != ns || len(r.Dilations) != ns || len(r.Pads) != 2*ns || (transposed && len(r.OutputPadding) != ns) {
		return w, nil, fmt.Errorf("%w: kernel %v, strides %v, dilations %v, pads %v, output_padding %v for %d spatial axes", quant.ErrShape, w.Kernel, w.Strides, w.Dilations, w.Pads, w.OutputPadding, ns)
	}
	for i := 0; i < ns; i++ {
		if r.Kernel[i] < 1 || r.Kernel[i] > quant.MaxDim || r.Strides[i] < 1 || r.Strides[i] > quant.MaxDim || r.Dilations[i] < 1 || r.Dilations[i] > quant.MaxDim {
			return w, nil, fmt.Errorf("%w: kernel %v, strides %v, dilations %v: each within 1..%d", quant.ErrRange, r.Kernel, r.Strides, r.Dilations, quant.MaxDim)
		}
		if transposed && (r.OutputPadding[i] < 0 || r.OutputPadding[i] >= max(r.Strides[i], r.Dilations[i])) {
			return w, nil, fmt.Errorf("%w: output_padding %v: each below its stride or dilation", quant.ErrRange, r.OutputPadding)
		}
	}
	for _, p := range r.Pads {
		if p < 0 || p > quant.MaxDim {
			return w, nil, fmt.Errorf("%w: pads %v: each within 0..%d", quant.ErrRange, r.Pads, quant.MaxDim)
		}
	}
	for _, d := range x {
		if d < 1 || d > quant.MaxTensorValues {
			return w, nil, fmt.Errorf("%w: shape %v", quant.ErrShape, x)
		}
	}
	switch w.AutoPad {
	case "", "NOTSET":
	case "VALID":
		r.Pads = make([]int, 2*ns)
	case "SAME_UPPER", "SAME_LOWER":
		if transposed {
			return w, nil, fmt.Errorf("%w: auto_pad %s on conv_transpose (export with explicit pads)", quant.ErrValidation, w.AutoPad)
		}
		for _, p := range w.Pads {
			if p != 0 {
				return w, nil, fmt.Errorf("%w: auto_pad %s together with pads %v", quant.ErrValidation, w.AutoPad, w.Pads)
			}
		}
		for i := 0; i < ns; i++ {
			in, s := x[2+i], r.Strides[i]
			out := (in + s - 1) / s
			total := max(0, (out-1)*s+(r.Kernel[i]-1)*r.Dilations[i]+1-in)
			lo := total / 2
			if w.AutoPad == "SAME_LOWER" {
				lo = total - total/2
			}
			r.Pads[i], r.Pads[ns+i] = lo, total-lo
		}
	default:
		return w, nil, fmt.Errorf("%w: auto_pad %q (supported: NOTSET, VALID, SAME_UPPER, SAME_LOWER)", quant.ErrValidation, w.AutoPad)
	}
	g := &geom{n: x[0], c: x[1], in: slices.Clone(x[2:]), k: r.Kernel, s: r.Strides, d: r.Dilations, pb: r.Pads[:ns], transposed: transposed, kSize: 1, inPlane: 1, outPlane: 1}
	for i := 0; i < ns; i++ {
		span := (r.Kernel[i]-1)*r.Dilations[i] + 1
		var o int
		if transposed {
			o = (x[2+i]-1)*r.Strides[i] - r.Pads[i] - r.Pads[ns+i] + span + r.OutputPadding[i]
		} else {
			padded := x[2+i] + r.Pads[i] + r.Pads[ns+i]
			if padded < span {
				return w, nil, fmt.Errorf("%w: kernel span %d exceeds the padded input %d on spatial axis %d", quant.ErrShape, span, padded, i)
			}
			o = (padded-span)/r.Strides[i] + 1
		}
		if o < 1 || o > quant.MaxTensorValues {
			return w, nil, fmt.Errorf("%w: output size %d on spatial axis %d", quant.ErrShape, o, i)
		}
		g.out = append(g.out, o)
		g.kSize *= r.Kernel[i]
		g.inPlane *= x[2+i]
		g.outPlane *= o
		if g.kSize > quant.MaxTensorValues || g.outPlane > quant.MaxTensorValues {
			return w, nil, fmt.Errorf("%w: kernel %v or output %v too large", quant.ErrShape, r.Kernel, g.out)
		}
	}
	return r, g, nil
}

// outShape is [N, ch, out…].
func (g *geom) outShape(ch int) []int { return append([]int{g.n, ch}, g.out...) }

// offsets fills buf (length kSize) with the offsets within one input
// channel plane read by output position o (flat over the output plane), in
// kernel order (row-major), −1 for padding.
func (g *geom) offsets(o int, buf []int) {
	ns := len(g.in)
	var pos [MaxSpatial]int
	for i := ns - 1; i >= 0; i-- {
		pos[i] = o % g.out[i]
		o /= g.out[i]
	}
	var kk [MaxSpatial]int
	for t := 0; t < g.kSize; t++ {
		off := 0
		for i := 0; i < ns; i++ {
			var p int
			if g.transposed {
				q := pos[i] + g.pb[i] - kk[i]*g.d[i]
				if q < 0 || q%g.s[i] != 0 || q/g.s[i] >= g.in[i] {
					off = -1
					break
				}
				p = q / g.s[i]
			} else {
				p = pos[i]*g.s[i] - g.pb[i] + kk[i]*g.d[i]
				if p < 0 || p >= g.in[i] {
					off = -1
					break
				}
			}
			off = off*g.in[i] + p
		}
		buf[t] = off
		for i := ns - 1; i >= 0; i-- {
			kk[i]++
			if kk[i] < g.k[i] {
				break
			}
			kk[i] = 0
		}
	}
}

// resolve checks the weight and bias of a float conv against input x and
// returns the output channels and the geometry.
func (c *Conv) resolve(x []int) (Window, *geom, int, error) {
	w, b := c.Weight.T, c.Bias.T
	if w == nil || b == nil || len(w.Shape) < 3 || len(b.Shape) != 1 || len(w.Data) != quant.ShapeSize(w.Shape) || len(b.Data) != quant.ShapeSize(b.Shape) {
		return Window{}, nil, 0, fmt.Errorf("%w: weight %v and bias %v, want [C_out, C_in/group, k…] and [C_out]", quant.ErrShape, shapeOf(w), shapeOf(b))
	}
	win := c.Window
	if len(win.Kernel) == 0 {
		win.Kernel = w.Shape[2:]
	}
	if !slices.Equal(win.Kernel, w.Shape[2:]) {
		return Window{}, nil, 0, fmt.Errorf("%w: kernel %v, weight %v", quant.ErrShape, win.Kernel, w.Shape)
	}
	r, g, err := win.resolve(x, c.Transposed)
	if err != nil {
		return Window{}, nil, 0, err
	}
	group := max(c.Group, 1)
	var cout int
	if c.Transposed {
		if w.Shape[0] != g.c {
			return Window{}, nil, 0, fmt.Errorf("%w: conv_transpose weight %v for %d input channels", quant.ErrShape, w.Shape, g.c)
		}
		cout = w.Shape[1] * group
	} else {
		if w.Shape[1]*group != g.c {
			return Window{}, nil, 0, fmt.Errorf("%w: conv weight %v with group %d for %d input channels", quant.ErrShape, w.Shape, group, g.c)
		}
		cout = w.Shape[0]
	}
	if b.Shape[0] != cout {
		return Window{}, nil, 0, fmt.Errorf("%w: bias %v for %d output channels", quant.ErrShape, b.Shape, cout)
	}
	if err := checkConv(g, group, cout); err != nil {
		return Window{}, nil, 0, err
	}
	return r, g, cout, nil
}

// checkConv bounds the groups, the patch and the work of a conv node.
func checkConv(g *geom, group, cout int) error {
	if group < 1 || group > g.c || g.c%group != 0 || cout%group != 0 || cout < 1 || cout > quant.MaxDim {
		return fmt.Errorf("%w: group %d for %d input and %d output channels", quant.ErrShape, group, g.c, cout)
	}
	patch := g.c / group * g.kSize
	if patch > quant.MaxDim {
		return fmt.Errorf("%w: patch of %d values, at most %d", quant.ErrShape, patch, quant.MaxDim)
	}
	if err := quant.CheckShape(g.outShape(cout)); err != nil {
		return err
	}
	if g.n*g.outPlane*cout > MaxWindowMACs/patch {
		return fmt.Errorf("%w: %d×%d output positions of %d channels with patches of %d: more than %d multiply-accumulates", quant.ErrShape, g.n, g.outPlane, cout, patch, MaxWindowMACs)
	}
	return nil
}

func (c *Conv) Kind() string                         { return kindOf(c.Transposed) }
func (c *Conv) Params() []*quant.Param               { return []*quant.Param{c.Weight, c.Bias} }
func (c *Conv) OutFracs(_ []int, mx []float64) []int { return []int{quant.FracFor(mx[0])} }

func (c *Conv) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 1); err != nil {
		return nil, err
	}
	_, g, cout, err := c.resolve(in[0])
	if err != nil {
		return nil, err
	}
	return [][]int{g.outShape(cout)}, nil
}

// denseWeights returns the weights as Dense's [In][Out] (In = the patch).
func (c *Conv) denseWeights(g *geom, cout int) []float64 {
	group := max(c.Group, 1)
	cg, og := g.c/group, cout/group
	in := cg * g.kSize
	w := c.Weight.T.Data
	out := make([]float64, in*cout)
	for j := 0; j < cout; j++ {
		for ci := 0; ci < cg; ci++ {
			for t := 0; t < g.kSize; t++ {
				var v float64
				if c.Transposed {
					// [C_in, C_out/group, k…]: input channel grp·cg+ci, output j mod og.
					grp := j / og
					v = w[((grp*cg+ci)*og+j%og)*g.kSize+t]
				} else {
					v = w[(j*cg+ci)*g.kSize+t]
				}
				out[(ci*g.kSize+t)*cout+j] = v
			}
		}
	}
	return out
}

// forEachPatch calls fn for every batch n, group grp and output position o
// with the input indices of the patch (length C_in/group·∏k, −1 for padding).
func (g *geom) forEachPatch(group int, fn func(n, grp, o int, idx []int)) {
	cg := g.c / group
	off := make([]int, g.kSize)
	idx := make([]int, cg*g.kSize)
	for o := 0; o < g.outPlane; o++ {
		g.offsets(o, off)
		for n := 0; n < g.n; n++ {
			for grp := 0; grp < group; grp++ {
				for ci := 0; ci < cg; ci++ {
					base := (n*g.c + grp*cg + ci) * g.inPlane
					for t, f := range off {
						if f < 0 {
							idx[ci*g.kSize+t] = -1
						} else {
							idx[ci*g.kSize+t] = base + f
						}
					}
				}
				fn(n, grp, o, idx)
			}
		}
	}
}

func (c *Conv) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	x := in[0]
	_, g, cout, err := c.resolve(x.Shape)
	if err != nil {
		return nil, err
	}
	group := max(c.Group, 1)
	og := cout / group
	w := c.denseWeights(g, cout)
	b := c.Bias.T.Data
	y := make([]float64, g.n*cout*g.outPlane)
	g.forEachPatch(group, func(n, grp, o int, idx []int) {
		for j := grp * og; j < (grp+1)*og; j++ {
			s := b[j]
			for i, p := range idx {
				if p >= 0 {
					s += x.Data[p] * w[i*cout+j]
				}
			}
			if c.ReLU && s < 0 {
				s = 0
			}
			y[(n*cout+j)*g.outPlane+o] = s
		}
	})
	return []*quant.FloatTensor{{Shape: g.outShape(cout), Data: y}}, nil
}

func (c *Conv) Quantize(in, out []quant.Value) (quant.Op, error) {
	return c.QuantizePrecision(in, out, nil, quant.Requantizer{})
}

// QuantizePrecision is Quantize with the shift chosen by rq.
func (c *Conv) QuantizePrecision(in, out []quant.Value, _ []int, rq quant.Requantizer) (quant.Op, error) {
	r, g, cout, err := c.resolve(in[0].Shape)
	if err != nil {
		return nil, err
	}
	lo := int64(quant.Int8Min)
	if c.ReLU {
		lo = 0
	}
	group := max(c.Group, 1)
	d, err := rq.QuantizeDense(c.denseWeights(g, cout), c.Bias.T.Data, g.c/group*g.kSize, cout, in[0].Frac, out[0].Frac, lo)
	if err != nil {
		return nil, err
	}
	out[0].Lo, out[0].Hi = d.Lo, d.Hi
	return &QConv{Window: r, Group: group, Dense: *d, Transposed: c.Transposed}, nil
}

func (q *QConv) Kind() string { return kindOf(q.Transposed) }

// geometry checks the op against input shape x and returns its resolved geometry.
func (q *QConv) geometry(x []int) (*geom, error) {
	if q.AutoPad != "" {
		return nil, fmt.Errorf("%w: auto_pad in an integer op (Quantize resolves it into pads)", quant.ErrValidation)
	}
	_, g, err := q.Window.resolve(x, q.Transposed)
	if err != nil {
		return nil, err
	}
	if err := checkConv(g, q.Group, q.Dense.Out); err != nil {
		return nil, err
	}
	if q.Dense.In != g.c/q.Group*g.kSize {
		return nil, fmt.Errorf("%w: dense of %d inputs for patches of %d", quant.ErrShape, q.Dense.In, g.c/q.Group*g.kSize)
	}
	return g, nil
}

func (q *QConv) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 1, 1); err != nil {
		return err
	}
	if err := q.Dense.Validate(q.Kind()); err != nil {
		return err
	}
	g, err := q.geometry(in[0].Shape)
	if err != nil {
		return err
	}
	if want := g.outShape(q.Dense.Out); !slices.Equal(want, out[0].Shape) {
		return fmt.Errorf("%w: %s maps %v to %v, output %v", quant.ErrShape, q.Kind(), in[0].Shape, want, out[0].Shape)
	}
	if out[0].Lo != q.Dense.Lo || out[0].Hi != q.Dense.Hi {
		return fmt.Errorf("%w: output bounds [%d, %d], the layer clamps to [%d, %d]", quant.ErrValidation, out[0].Lo, out[0].Hi, q.Dense.Lo, q.Dense.Hi)
	}
	return nil
}

// Patches calls fn for every output of the node, with its flat index in
// the output, its output channel and the input indices of its patch (−1
// for padding, contributing zero), in the order of Dense.In. The integer
// reference and the gadget share it.
func (q *QConv) Patches(x []int, fn func(out, j int, idx []int)) error {
	g, err := q.geometry(x)
	if err != nil {
		return err
	}
	og := q.Dense.Out / q.Group
	g.forEachPatch(q.Group, func(n, grp, o int, idx []int) {
		for j := grp * og; j < (grp+1)*og; j++ {
			fn((n*q.Dense.Out+j)*g.outPlane+o, j, idx)
		}
	})
	return nil
}

// Acc is the accumulator of output channel j over a patch of x.
func (q *QConv) Acc(x []int64, j int, idx []int) int64 {
	d := &q.Dense
	a := d.B[j]
	for i, p := range idx {
		if p >= 0 {
			a += x[p] * int64(d.W[i*d.Out+j])
		}
	}
	return a
}

func (q *QConv) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	x := in[0].Data
	y := make([]int64, out[0].Size())
	d := &q.Dense
	err := q.Patches(in[0].Shape, func(o, j int, idx []int) {
		y[o] = quant.Requantize(q.Acc(x, j, idx), d.Mult[j], d.Shift, d.Lo, d.Hi)
	})
	if err != nil {
		return nil, err
	}
	return []*quant.Tensor{{Shape: out[0].Shape, Data: y}}, nil
}

func (w Window) encode(e *quant.Encoder) {
	e.Ints(intsOf(w.Kernel))
	e.Ints(intsOf(w.Strides))
	e.Ints(intsOf(w.Pads))
	e.Ints(intsOf(w.Dilations))
	e.Ints(intsOf(w.OutputPadding))
}

func (q *QConv) Encode(e *quant.Encoder) error {
	q.Window.explicit(q.Transposed).encode(e)
	e.Int(int64(q.Group))
	e.Int(int64(q.Dense.In))
	e.Int(int64(q.Dense.Out))
	e.Int(int64(q.Dense.Shift))
	e.Int(q.Dense.Lo)
	e.Int(q.Dense.Hi)
	return nil
}

// explicit fills in the defaults (the window Check accepted), so that an
// omitted attribute and its default encode alike.
func (w Window) explicit(transposed bool) Window {
	ns := len(w.Kernel)
	r := Window{Kernel: w.Kernel, Strides: defaults(w.Strides, ns, 1), Pads: defaults(w.Pads, 2*ns, 0), Dilations: defaults(w.Dilations, ns, 1)}
	if transposed {
		r.OutputPadding = defaults(w.OutputPadding, ns, 0)
	}
	return r
}

func (q *QConv) EncodeWeights(e *quant.Encoder) error {
	if err := e.Int8Weights(q.Dense.W); err != nil {
		return err
	}
	e.Weights(q.Dense.B)
	e.Weights(q.Dense.Mult)
	return nil
}

func (q *QConv) Cost(in, out []quant.Value) quant.Cost {
	n := out[0].Size()
	nz := 0
	for _, w := range q.Dense.W {
		if w != 0 {
			nz++
		}
	}
	// Under PLONK every term of an accumulator is a gate: a nonzero weight
	// meets the output positions whose tap at its kernel offset reads the
	// input (not padding, and for conv_transpose only every stride-th tap),
	// about nz·taps/∏k per batch element.
	macs := nz * (n / q.Dense.Out)
	if g, err := q.geometry(in[0].Shape); err == nil {
		macs = int(float64(nz) * float64(g.n) * float64(g.taps()) / float64(g.kSize))
	}
	return quant.Cost{R1CS: RequantCost * n, SCS: requantSCS*n + macs, Params: len(q.Dense.W) + len(q.Dense.B)}
}

// taps counts the (output position, kernel offset) pairs of one plane
// whose input is real: a product over the spatial axes.
func (g *geom) taps() int {
	t := 1
	for i := range g.in {
		c := 0
		for o := 0; o < g.out[i]; o++ {
			if !g.transposed {
				k0, k1 := g.realRange(i, o)
				c += max(0, k1-k0+1)
				continue
			}
			for k := 0; k < g.k[i]; k++ {
				if q := o + g.pb[i] - k*g.d[i]; q >= 0 && q%g.s[i] == 0 && q/g.s[i] < g.in[i] {
					c++
				}
			}
		}
		t *= c
	}
	return t
}
