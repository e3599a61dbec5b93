package onnx

import (
	"fmt"
	"math"
	"slices"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx/onnxpb"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// The mappers of convolutions, pools and index ops (quant/ops conv.go,
// pool.go, index.go). A BatchNormalization that is the sole consumer of a
// Conv or ConvTranspose folds into its weights (ops.FoldBatchNorm); any
// other one is mapped by mapBatchNorm (an affine op).

func init() {
	registerGraphMapper("Conv", mapConv)
	registerGraphMapper("ConvTranspose", mapConv)
	registerGraphMapper("MaxPool", mapPool)
	registerGraphMapper("AveragePool", mapPool)
	registerGraphMapper("GlobalMaxPool", mapGlobalPool)
	registerGraphMapper("GlobalAveragePool", mapGlobalPool)
	registerGraphMapper("Pad", mapPad)
	registerGraphMapper("Concat", mapConcat)
	registerGraphMapper("Slice", mapSlice)
}

// window reads the window attributes common to Conv, ConvTranspose and the pools.
func window(n *onnxpb.NodeProto) ops.Window {
	w := ops.Window{
		Kernel:    attrInts(n, "kernel_shape", nil),
		Strides:   attrInts(n, "strides", nil),
		Pads:      attrInts(n, "pads", nil),
		Dilations: attrInts(n, "dilations", nil),
		AutoPad:   attrString(n, "auto_pad", ""),
	}
	if w.AutoPad == "NOTSET" {
		w.AutoPad = ""
	}
	return w
}

// mapConv: Conv / ConvTranspose with constant weight and optional constant
// bias → ops.Conv, folding a following BatchNormalization and fusing a
// following Relu.
func mapConv(gi *graphImporter, i int, n *onnxpb.NodeProto) error {
	transposed := n.GetOpType() == "ConvTranspose"
	x, xs, err := gi.act(n, 0)
	if err != nil {
		return err
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	w, err := gi.constant(n, 1)
	if err != nil {
		return err
	}
	if err := finite("weight", w.Data); err != nil {
		return err
	}
	var b *quant.FloatTensor
	if input(n, 2) != "" {
		if b, err = gi.constant(n, 2); err != nil {
			return err
		}
		if err := finite("bias", b.Data); err != nil {
			return err
		}
		if len(b.Shape) != 1 {
			return fmt.Errorf("%w: bias of shape %v, want [C_out]", quant.ErrShape, b.Shape)
		}
	}
	if len(w.Shape) < 3 || len(xs) != len(w.Shape) {
		return gi.refuse("weight %v for input %v: want an [N, C, spatial…] input and a weight of the same rank", w.Shape, xs)
	}
	win := window(n)
	group := int(attrInt(n, "group", 1))
	if group < 1 || group > quant.MaxDim {
		return fmt.Errorf("%w: group %d", quant.ErrRange, group)
	}
	if transposed {
		if attr(n, "output_shape") != nil {
			return gi.refuse("output_shape: export with explicit pads and output_padding")
		}
		win.OutputPadding = attrInts(n, "output_padding", nil)
		if b == nil {
			ch := w.Shape[1] * group
			b = &quant.FloatTensor{Shape: []int{ch}, Data: make([]float64, ch)}
		}
	}
	conv := ops.NewConv(w, b, win, group, false)
	conv.Transposed = transposed
	// Shapes first, so a bad conv is refused before anything folds into it.
	if _, err := conv.OutShapes([][]int{xs}); err != nil {
		return err
	}
	if j, m, ok := gi.soleConsumer(out); ok && m.GetOpType() == "BatchNormalization" {
		bnOut, folded, err := gi.foldBatchNorm(conv, m)
		if err != nil {
			return err
		}
		if folded {
			gi.fuse(j)
			out = bnOut
		}
	}
	out, conv.ReLU = gi.fusedRelu(out)
	return gi.node(n, "", conv, []string{x}, []string{out})
}

// foldBatchNorm folds BatchNormalization m into conv when m is in
// inference form with constant parameters and only its first output read;
// it returns m's output and whether it folded.
func (gi *graphImporter) foldBatchNorm(conv *ops.Conv, m *onnxpb.NodeProto) (string, bool, error) {
	if attrInt(m, "training_mode", 0) != 0 || input(m, 0) == "" {
		return "", false, nil
	}
	outs := m.GetOutput()
	if len(outs) == 0 || outs[0] == "" {
		return "", false, nil
	}
	for _, o := range outs[1:] {
		if o != "" && (len(gi.consumers[o]) > 0 || gi.outputs[o]) {
			return "", false, nil
		}
	}
	var p [4][]float64
	for k := range p {
		name := input(m, k+1)
		if name == "" || !gi.isConst(name) {
			return "", false, nil
		}
		p[k] = gi.consts[name].data
	}
	if err := gi.b.constant(len(conv.Weight.T.Data) + len(conv.Bias.T.Data)); err != nil {
		return "", false, err
	}
	bn := &ops.BatchNorm{Scale: p[0], Bias: p[1], Mean: p[2], Var: p[3], Eps: attrFloat(m, "epsilon", 1e-5)}
	if err := ops.FoldBatchNorm(conv, bn); err != nil {
		return "", false, fmt.Errorf("folding BatchNormalization %q: %w", m.GetName(), err)
	}
	return outs[0], true, nil
}

// mapPool: MaxPool / AveragePool → ops.Pool. ceil_mode becomes extra end
// padding (the windows torch and ONNX add, minus any that would start in
// the padding), which is exact for max (−∞ padding) and for an average
// that excludes padding; an average that counts padding is refused with
// ceil_mode when the extra padding is not empty.
func mapPool(gi *graphImporter, i int, n *onnxpb.NodeProto) error {
	isMax := n.GetOpType() == "MaxPool"
	x, xs, err := gi.act(n, 0)
	if err != nil {
		return err
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	win := window(n)
	if len(win.Kernel) == 0 {
		return fmt.Errorf("%w: kernel_shape is missing", quant.ErrValidation)
	}
	if !isMax && len(win.Dilations) > 0 && slices.ContainsFunc(win.Dilations, func(d int) bool { return d != 1 }) {
		return gi.refuse("dilations %v on AveragePool", win.Dilations)
	}
	include := attrInt(n, "count_include_pad", 0) != 0
	if attrInt(n, "ceil_mode", 0) != 0 {
		if win.AutoPad != "" && win.AutoPad != "VALID" {
			return gi.refuse("ceil_mode with auto_pad %s", win.AutoPad)
		}
		extra, err := ceilPads(xs, win)
		if err != nil {
			return err
		}
		if !isMax && include && slices.ContainsFunc(extra, func(e int) bool { return e > 0 }) {
			return gi.refuse("ceil_mode with count_include_pad = 1 (torch divides the overhanging windows by their clipped size)")
		}
		if win.AutoPad == "VALID" {
			win.AutoPad = ""
			win.Pads = nil
		}
		ns := len(win.Kernel)
		if len(win.Pads) == 0 {
			win.Pads = make([]int, 2*ns)
		}
		win.Pads = slices.Clone(win.Pads)
		for k, e := range extra {
			win.Pads[ns+k] += e
		}
	}
	var op *ops.Pool
	if isMax {
		op = ops.NewMaxPool(win, false)
	} else {
		op = ops.NewAvgPool(win, false, include)
	}
	return gi.node(n, "", op, []string{x}, []string{out})
}

// ceilPads returns the end padding that makes floor division give the
// ceil_mode output size: o = ceil((in + pads − span)/s) + 1, less one when
// the last window would start in the end padding.
func ceilPads(xs []int, w ops.Window) ([]int, error) {
	ns := len(w.Kernel)
	if len(xs) != ns+2 {
		return nil, fmt.Errorf("%w: kernel %v for input %v", quant.ErrShape, w.Kernel, xs)
	}
	get := func(v []int, k, def int) int {
		if len(v) == 0 {
			return def
		}
		if k >= len(v) {
			return -1
		}
		return v[k]
	}
	extra := make([]int, ns)
	for k := 0; k < ns; k++ {
		in, kk, s, d := xs[2+k], w.Kernel[k], get(w.Strides, k, 1), get(w.Dilations, k, 1)
		pb, pe := get(w.Pads, k, 0), get(w.Pads, ns+k, 0)
		if kk < 1 || s < 1 || d < 1 || pb < 0 || pe < 0 || kk > quant.MaxDim || s > quant.MaxDim || d > quant.MaxDim || pb > quant.MaxDim || pe > quant.MaxDim {
			return nil, fmt.Errorf("%w: kernel %v, strides %v, dilations %v, pads %v", quant.ErrRange, w.Kernel, w.Strides, w.Dilations, w.Pads)
		}
		span := (kk-1)*d + 1
		total := in + pb + pe - span
		if total < 0 {
			return nil, fmt.Errorf("%w: kernel span %d exceeds the padded input %d", quant.ErrShape, span, in+pb+pe)
		}
		o := (total+s-1)/s + 1
		if (o-1)*s >= in+pb {
			o--
		}
		extra[k] = max(0, (o-1)*s+span-(in+pb+pe))
	}
	return extra, nil
}

// mapGlobalPool: GlobalMaxPool / GlobalAveragePool → a pool over the whole plane.
func mapGlobalPool(gi *graphImporter, i int, n *onnxpb.NodeProto) error {
	x, _, err := gi.act(n, 0)
	if err != nil {
		return err
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	op := ops.NewAvgPool(ops.Window{}, true, false)
	if n.GetOpType() == "GlobalMaxPool" {
		op = ops.NewMaxPool(ops.Window{}, true)
	}
	return gi.node(n, "", op, []string{x}, []string{out})
}

// constInts reads a constant of integers (int64 in the file) as int64s,
// saturating far-out values (INT64_MAX ends) at ±2^62.
// constInts returns input k of n, a constant, as integers.
func (gi *graphImporter) constInts(n *onnxpb.NodeProto, k int) ([]int64, error) {
	t, err := gi.constTensor(n, k)
	if err != nil {
		return nil, err
	}
	return constInts(t)
}

func constInts(t *tensor) ([]int64, error) {
	out := make([]int64, len(t.data))
	for k, v := range t.data {
		if math.IsNaN(v) || v != math.Trunc(v) {
			return nil, fmt.Errorf("%w: index %v is not an integer", quant.ErrValidation, v)
		}
		out[k] = int64(max(min(v, 1<<62), -(1 << 62)))
	}
	return out, nil
}

// mapPad: Pad in constant mode with value 0 → ops.Pad (an index map).
// Pads come from input 1 (opset 11+) or the pads attribute; opset 18's
// axes input is honoured.
func mapPad(gi *graphImporter, i int, n *onnxpb.NodeProto) error {
	x, xs, err := gi.act(n, 0)
	if err != nil {
		return err
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	if mode := attrString(n, "mode", "constant"); mode != "constant" {
		return gi.refuse("mode %q: only constant padding with 0 is supported", mode)
	}
	value := attrFloat(n, "value", 0)
	if input(n, 2) != "" {
		t, err := gi.constTensor(n, 2)
		if err != nil {
			return err
		}
		if len(t.data) != 1 {
			return gi.refuse("constant_value of %d values", len(t.data))
		}
		value = t.data[0]
	}
	if value != 0 {
		return gi.refuse("constant_value %v: only constant padding with 0 is supported", value)
	}
	var pads []int64
	if input(n, 1) != "" {
		t, err := gi.constTensor(n, 1)
		if err != nil {
			return err
		}
		if pads, err = constInts(t); err != nil {
			return err
		}
	} else {
		for _, p := range attrInts(n, "pads", nil) {
			pads = append(pads, int64(p))
		}
	}
	r := len(xs)
	full := make([]int, 2*r)
	axes := make([]int64, 0, r)
	if input(n, 3) != "" {
		t, err := gi.constTensor(n, 3)
		if err != nil {
			return err
		}
		if axes, err = constInts(t); err != nil {
			return err
		}
	} else {
		for a := 0; a < r; a++ {
			axes = append(axes, int64(a))
		}
	}
	if len(pads) != 2*len(axes) {
		return fmt.Errorf("%w: %d pads for %d axes", quant.ErrShape, len(pads), len(axes))
	}
	for k, a := range axes {
		if a < 0 {
			a += int64(r)
		}
		if a < 0 || a >= int64(r) {
			return fmt.Errorf("%w: pad axis %d for rank %d", quant.ErrShape, axes[k], r)
		}
		for _, p := range []int64{pads[k], pads[len(axes)+k]} {
			if p < -quant.MaxTensorValues || p > quant.MaxTensorValues {
				return fmt.Errorf("%w: pads %v", quant.ErrRange, pads)
			}
		}
		full[a], full[r+int(a)] = int(pads[k]), int(pads[len(axes)+k])
	}
	if !slices.ContainsFunc(full, func(p int) bool { return p != 0 }) {
		return gi.node(n, "", &ops.Reshape{Shape: slices.Clone(xs)}, []string{x}, []string{out})
	}
	return gi.node(n, "", &ops.Pad{Pads: full}, []string{x}, []string{out})
}

// mapConcat: Concat of activations → ops.Concat (the coarsest input
// fraction; finer inputs are requantized).
func mapConcat(gi *graphImporter, i int, n *onnxpb.NodeProto) error {
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	if attr(n, "axis") == nil {
		return fmt.Errorf("%w: Concat without an axis", quant.ErrValidation)
	}
	var ins []string
	for k := range n.GetInput() {
		x, _, err := gi.act(n, k)
		if err != nil {
			return err
		}
		ins = append(ins, x)
	}
	if len(ins) > ops.MaxConcatInputs {
		return fmt.Errorf("%w: Concat of %d inputs", quant.ErrValidation, len(ins))
	}
	return gi.node(n, "", &ops.Concat{Axis: int(attrInt(n, "axis", 0))}, ins, []string{out})
}

// mapSlice: Slice with constant starts, ends, axes, steps (inputs from
// opset 10, attributes before) → ops.Slice.
func mapSlice(gi *graphImporter, i int, n *onnxpb.NodeProto) error {
	x, _, err := gi.act(n, 0)
	if err != nil {
		return err
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	s := &ops.Slice{}
	if input(n, 1) == "" {
		for _, v := range attrInts(n, "starts", nil) {
			s.Starts = append(s.Starts, int64(v))
		}
		for _, v := range attrInts(n, "ends", nil) {
			s.Ends = append(s.Ends, int64(v))
		}
		for _, v := range attrInts(n, "axes", nil) {
			s.Axes = append(s.Axes, int64(v))
		}
	} else {
		for k, dst := range []*[]int64{&s.Starts, &s.Ends, &s.Axes, &s.Steps} {
			if input(n, k+1) == "" {
				continue
			}
			t, err := gi.constTensor(n, k+1)
			if err != nil {
				return err
			}
			if *dst, err = constInts(t); err != nil {
				return err
			}
		}
	}
	return gi.node(n, "", s, []string{x}, []string{out})
}
