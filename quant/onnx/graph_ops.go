package onnx

import (
	"fmt"
	"math"
	"slices"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx/onnxpb"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// The mappers of dense layers, elementwise ops and shape ops.

func init() {
	registerGraphMapper("Gemm", mapGemm)
	registerGraphMapper("MatMul", mapMatMul)
	registerGraphMapper("Relu", mapRelu)
	for _, op := range []string{"Add", "Sub", "Mul", "Div"} {
		registerGraphMapper(op, mapArith)
	}
	registerGraphMapper("BatchNormalization", mapBatchNorm)
	for op := range unaryOps {
		registerGraphMapper(op, mapUnary)
	}
	registerGraphMapper("Identity", mapIdentity)
	registerGraphMapper("Dropout", mapIdentity)
	registerGraphMapper("Flatten", mapFlatten)
	registerGraphMapper("Reshape", mapReshape)
	registerGraphMapper("Squeeze", mapSqueeze)
	registerGraphMapper("Unsqueeze", mapSqueeze)
	registerGraphMapper("Transpose", mapTranspose)
}

// oneOutput refuses a node whose outputs beyond the first are read.
func (gi *graphImporter) oneOutput(n *onnxpb.NodeProto) (string, error) {
	outs := n.GetOutput()
	if len(outs) == 0 || outs[0] == "" {
		return "", fmt.Errorf("%w: the node has no output", quant.ErrValidation)
	}
	for k, o := range outs[1:] {
		if o != "" && (len(gi.consumers[o]) > 0 || gi.outputs[o]) {
			return "", gi.refuse("its output %d %q is read; only the first output is supported", k+1, o)
		}
	}
	return outs[0], nil
}

// mapGemm: Y = alpha·A·op(B) + beta·C with A an activation and B, C
// constants → Linear (W = alpha·op(B) [in, out], bias beta·C).
func mapGemm(gi *graphImporter, i int, n *onnxpb.NodeProto) error {
	if attrInt(n, "transA", 0) != 0 {
		return gi.refuse("transA = 1 (the activation must be the left operand, untransposed)")
	}
	x, _, err := gi.act(n, 0)
	if err != nil {
		return err
	}
	w, err := gi.constTensor(n, 1)
	if err != nil {
		return err
	}
	if len(w.dims) != 2 {
		return gi.refuse("weight B of shape %v, want a matrix", w.dims)
	}
	if attrInt(n, "transB", 0) != 0 {
		if w, err = transpose(gi.b, w); err != nil {
			return err
		}
	}
	if alpha := attrFloat(n, "alpha", 1); alpha != 1 {
		if w, err = scale(gi.b, w, alpha); err != nil {
			return err
		}
	}
	var bias []float64
	if input(n, 2) != "" {
		c, err := gi.constTensor(n, 2)
		if err != nil {
			return err
		}
		if bias, err = gemmBias(gi.b, c, w.dims[1]); err != nil {
			return gi.refuse("%v", err)
		}
		for k := range bias {
			bias[k] *= attrFloat(n, "beta", 1)
		}
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	return gi.linear(n, x, w, bias, out, false)
}

// gemmBias reads a bias of n values from a constant that broadcasts to
// [1, n]: shapes [], [1], [n], [1, n], [1, 1].
func gemmBias(b *budget, t *tensor, n int) ([]float64, error) {
	for _, d := range t.dims[:max(len(t.dims)-1, 0)] {
		if d != 1 {
			return nil, fmt.Errorf("bias of shape %v: only a bias per output column ([%d]) is supported", t.dims, n)
		}
	}
	if len(t.data) != 1 && len(t.data) != n {
		return nil, fmt.Errorf("bias of shape %v for %d outputs", t.dims, n)
	}
	if err := b.constant(n); err != nil {
		return nil, err
	}
	out := make([]float64, n)
	for k := range out {
		out[k] = t.data[min(k, len(t.data)-1)]
	}
	return out, nil
}

// mapMatMul: activation × constant matrix → Linear, absorbing a following
// Add of a constant bias.
func mapMatMul(gi *graphImporter, i int, n *onnxpb.NodeProto) error {
	a, b := input(n, 0), input(n, 1)
	switch {
	case gi.isConst(a):
		return gi.refuse("constant × activation: only activation × constant matrix is supported")
	case !gi.isConst(b):
		return gi.refuse("product of two activations (attention): only activation × constant matrix is supported")
	}
	x, _, err := gi.act(n, 0)
	if err != nil {
		return err
	}
	w, err := gi.constTensor(n, 1)
	if err != nil {
		return err
	}
	if len(w.dims) != 2 {
		return gi.refuse("weight of shape %v, want a matrix [in, out]", w.dims)
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	return gi.linear(n, x, w, nil, out, false)
}

// linear adds a Linear of weight w [in, out] and bias (nil: zeros) writing
// out, with a Relu that is out's sole consumer fused.
func (gi *graphImporter) linear(n *onnxpb.NodeProto, x string, w *tensor, bias []float64, out string, relu bool) error {
	pre := gi.pending[x]
	if pre != nil {
		x = pre.x
	}
	xs, _ := gi.gb.Shape(x)
	if len(xs) == 0 || xs[len(xs)-1] != w.dims[0] {
		return fmt.Errorf("%w: input %v, weight %v: the input's last axis must be %d", quant.ErrShape, xs, w.dims, w.dims[0])
	}
	// The float evaluation of calibration runs every multiply-add once per sample.
	if err := gi.b.work(int64(quant.ShapeSize(xs)) * int64(w.dims[1])); err != nil {
		return err
	}
	if bias == nil {
		if err := gi.b.constant(w.dims[1]); err != nil {
			return err
		}
		bias = make([]float64, w.dims[1])
	}
	if err := finite("weight", w.data); err != nil {
		return err
	}
	if err := finite("bias", bias); err != nil {
		return err
	}
	copied := false
	// An affine op per input column before the product folds into W's rows
	// and the bias: (x·s + t)·W + b = x·(diag(s)·W) + (t·W + b).
	if pre != nil {
		rows, cols := w.dims[0], w.dims[1]
		if err := gi.b.constant(len(w.data)); err != nil {
			return err
		}
		if err := gi.b.work(int64(len(w.data))); err != nil {
			return err
		}
		nw := &tensor{dims: w.dims, data: make([]float64, len(w.data))}
		for i := range rows {
			for c := range cols {
				nw.data[i*cols+c] = pre.scale[i] * w.data[i*cols+c]
				bias[c] += pre.shift[i] * w.data[i*cols+c]
			}
		}
		w, copied = nw, true
	}
	// Per-column affine ops after the product (a bias Add, BatchNorm on
	// [N, C], Mul or Div by a per-column constant) fold into W and the bias.
	outShape := slices.Clone(xs)
	outShape[len(outShape)-1] = w.dims[1]
	for {
		j, m, ok := gi.soleConsumer(out)
		if !ok {
			break
		}
		sc, sh, ok := gi.columnAffine(m, out, outShape)
		if !ok {
			break
		}
		if !copied {
			if err := gi.b.constant(len(w.data)); err != nil {
				return err
			}
			w = &tensor{dims: w.dims, data: slices.Clone(w.data)}
			copied = true
		}
		cols := w.dims[1]
		for k := range w.data {
			w.data[k] *= sc[k%cols]
		}
		for c := range bias {
			bias[c] = bias[c]*sc[c] + sh[c]
		}
		gi.fuse(j)
		out = m.GetOutput()[0]
	}
	out, fused := gi.fusedRelu(out)
	if w.dims[1] > quant.MaxDim {
		return gi.wideLinear(n, x, w, bias, out, relu || fused)
	}
	op := ops.NewLinear(&quant.FloatTensor{Shape: slices.Clone(w.dims), Data: w.data}, &quant.FloatTensor{Shape: []int{len(bias)}, Data: bias}, relu || fused)
	return gi.node(n, "", op, []string{x}, []string{out})
}

// wideLinear maps a linear of more than quant.MaxDim output columns (an LM
// head over GPT-2's 50257 tokens) to ⌈cols/MaxDim⌉ linears over balanced
// column blocks, each at most MaxDim wide, joined by a concat on the last
// axis. Every output column is the same float function as in the wide
// layer; the blocks share one calibration group (ops.Linear.Group), so
// they get one output fraction — the one the wide layer would get — and
// the concat copies them (no requantization). The integers of a column
// are those QuantizeDense gives it, per-column multipliers at the block's
// shift.
func (gi *graphImporter) wideLinear(n *onnxpb.NodeProto, x string, w *tensor, bias []float64, out string, relu bool) error {
	rows, cols := w.dims[0], w.dims[1]
	parts := (cols + quant.MaxDim - 1) / quant.MaxDim
	if err := gi.b.constant(len(w.data)); err != nil {
		return err
	}
	names := make([]string, parts)
	for p := range parts {
		lo, hi := p*cols/parts, (p+1)*cols/parts
		bw := &quant.FloatTensor{Shape: []int{rows, hi - lo}, Data: make([]float64, rows*(hi-lo))}
		for i := range rows {
			copy(bw.Data[i*(hi-lo):(i+1)*(hi-lo)], w.data[i*cols+lo:i*cols+hi])
		}
		op := ops.NewLinear(bw, &quant.FloatTensor{Shape: []int{hi - lo}, Data: slices.Clone(bias[lo:hi])}, relu)
		op.Group = "cols:" + out
		names[p] = fmt.Sprintf("%s/cols%d", out, p)
		if err := gi.fresh(names[p]); err != nil {
			return err
		}
		if err := gi.node(n, fmt.Sprintf("/cols%d", p), op, []string{x}, []string{names[p]}); err != nil {
			return err
		}
	}
	return gi.node(n, "", &ops.Concat{Axis: -1}, names, []string{out})
}

// pendingAffine is an affine op on x per input column, folded into the
// linear layer that reads its output.
type pendingAffine struct {
	x            string
	scale, shift []float64
}

// columnAffine returns, when node m computes from v (of shape vs) y =
// v·scale + shift with scale and shift constant per column of the last axis,
// those n values each.
func (gi *graphImporter) columnAffine(m *onnxpb.NodeProto, v string, vs []int) (scale, shift []float64, ok bool) {
	n := vs[len(vs)-1]
	sS, sc, tS, sh, err := gi.affineOf(m, v, vs)
	if err != nil || gi.b.constant(2*n) != nil {
		return nil, nil, false
	}
	column := func(shape []int, data []float64) []float64 {
		if quant.ShapeSize(shape[:len(shape)-1]) != 1 {
			return nil
		}
		out := make([]float64, n)
		for c := range out {
			out[c] = data[min(c, len(data)-1)]
		}
		return out
	}
	scale, shift = column(sS, sc), column(tS, sh)
	if scale == nil || shift == nil || finite("scale", scale) != nil || finite("shift", shift) != nil {
		return nil, nil, false
	}
	return scale, shift, true
}

func mapRelu(gi *graphImporter, i int, n *onnxpb.NodeProto) error {
	x, _, err := gi.act(n, 0)
	if err != nil {
		return err
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	return gi.node(n, "", &ops.ReLU{}, []string{x}, []string{out})
}

// mapArith: Add, Sub, Mul of two activations → Binary; Add, Sub, Mul, Div
// with one constant operand → Affine (Relu after it fused).
func mapArith(gi *graphImporter, i int, n *onnxpb.NodeProto) error {
	op := n.GetOpType()
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	a, b := input(n, 0), input(n, 1)
	if a == "" || b == "" {
		return fmt.Errorf("%w: %s needs two inputs", quant.ErrValidation, op)
	}
	if !gi.isConst(a) && !gi.isConst(b) {
		if op == "Div" {
			return gi.refuse("division by an activation: only division by a constant is supported")
		}
		if _, _, err := gi.act(n, 0); err != nil {
			return err
		}
		if _, _, err := gi.act(n, 1); err != nil {
			return err
		}
		return gi.node(n, "", &ops.Binary{Op: map[string]string{"Add": "add", "Sub": "sub", "Mul": "mul"}[op]}, []string{a, b}, []string{out})
	}
	xk := 0
	if gi.isConst(a) {
		xk = 1
	}
	x, xs, err := gi.act(n, xk)
	if err != nil {
		return err
	}
	sS, sc, tS, sh, err := gi.affineOf(n, x, xs)
	if err != nil {
		return err
	}
	return gi.affine(n, x, sS, sc, tS, sh, out)
}

// affineOf returns node m, which reads activation v of shape vs, as
// y = v·scale + shift with constant scale and shift that broadcast to vs:
// Add, Sub, Mul, Div with a constant operand, BatchNormalization.
func (gi *graphImporter) affineOf(m *onnxpb.NodeProto, v string, vs []int) (sS []int, sc []float64, tS []int, sh []float64, err error) {
	unit := func(x float64) []float64 { return []float64{x} }
	op := m.GetOpType()
	if op == "BatchNormalization" {
		return gi.batchNormOf(m, v, vs)
	}
	if closureBinary[op] == nil || op == "Pow" || op == "Max" || op == "Min" || len(m.GetInput()) != 2 {
		return nil, nil, nil, nil, gi.refuse("%s is not an affine op", op)
	}
	xk := 0
	if input(m, 1) == v {
		xk = 1
	}
	if input(m, xk) != v {
		return nil, nil, nil, nil, gi.refuse("%s does not read %q", op, v)
	}
	c, err := gi.constTensor(m, 1-xk)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	dims, err := fitConstant(c.dims, vs)
	if err != nil {
		return nil, nil, nil, nil, gi.refuse("%v", err)
	}
	if err := finite("constant", c.data); err != nil {
		return nil, nil, nil, nil, err
	}
	sS, tS = []int{1}, []int{1}
	switch {
	case op == "Add":
		sc, sh, tS = unit(1), c.data, dims
	case op == "Sub" && xk == 0:
		sc, sh, tS = unit(1), negate(c.data), dims
	case op == "Sub":
		sc, sh, tS = unit(-1), c.data, dims
	case op == "Mul":
		sc, sh, sS = c.data, unit(0), dims
	case op == "Div" && xk == 0:
		inv := make([]float64, len(c.data))
		for k, x := range c.data {
			if x == 0 {
				return nil, nil, nil, nil, gi.refuse("division by a constant that holds a 0")
			}
			inv[k] = 1 / x
		}
		sc, sh, sS = inv, unit(0), dims
	default:
		return nil, nil, nil, nil, gi.refuse("a constant divided by an activation: only division by a constant is supported")
	}
	return sS, sc, tS, sh, nil
}

func negate(v []float64) []float64 {
	out := make([]float64, len(v))
	for k, x := range v {
		out[k] = -x
	}
	return out
}

// fitConstant returns the shape of a constant operand as it broadcasts to
// an activation of shape xs, refusing one that would widen the activation
// or raise its rank (ONNX broadcasting gives the result the constant's
// rank: dropping its leading 1s would move every axis after it, e.g. a
// softmax's).
func fitConstant(c, xs []int) ([]int, error) {
	if len(c) > len(xs) && !slices.ContainsFunc(c[:len(c)-len(xs)], func(d int) bool { return d != 1 }) {
		return nil, fmt.Errorf("a constant operand of shape %v raises the rank of the activation %v; only constants that broadcast to the activation's shape are supported", c, xs)
	}
	d := slices.Clone(c)
	if len(d) == 0 {
		d = []int{1}
	}
	s, err := ops.BroadcastShape(xs, d)
	if err != nil || !slices.Equal(s, xs) {
		return nil, fmt.Errorf("a constant operand of shape %v widens the activation %v; only constants that broadcast to the activation's shape are supported", c, xs)
	}
	return d, nil
}

// affine adds an Affine writing out, with a Relu that is out's sole consumer fused.
func (gi *graphImporter) affine(n *onnxpb.NodeProto, x string, scShape []int, sc []float64, shShape []int, sh []float64, out string) error {
	// The affine ops after it (a chain of constant sums and products, a
	// BatchNorm) merge into one: y = (x·s1 + t1)·s2 + t2.
	xs, _ := gi.gb.Shape(x)
	for {
		j, m, ok := gi.soleConsumer(out)
		if !ok {
			break
		}
		s2S, s2, t2S, t2, err := gi.affineOf(m, out, xs)
		if err != nil {
			break
		}
		d, err := broadcastAll(scShape, shShape, s2S, t2S)
		if err != nil || gi.b.constant(2*quant.ShapeSize(d)) != nil {
			break
		}
		i1, j1, i2, j2 := ops.BroadcastIndex(scShape, d), ops.BroadcastIndex(shShape, d), ops.BroadcastIndex(s2S, d), ops.BroadcastIndex(t2S, d)
		nsc, nsh := make([]float64, len(i1)), make([]float64, len(i1))
		for p := range nsc {
			nsc[p] = sc[i1[p]] * s2[i2[p]]
			nsh[p] = sh[j1[p]]*s2[i2[p]] + t2[j2[p]]
		}
		scShape, sc, shShape, sh = d, nsc, d, nsh
		gi.fuse(j)
		out = m.GetOutput()[0]
	}
	if err := finite("scale", sc); err != nil {
		return err
	}
	if err := finite("shift", sh); err != nil {
		return err
	}
	// Per-column of the last axis and read only by a linear layer: it folds
	// into that layer's weights (see linear) instead of being a node.
	if _, m, ok := gi.soleConsumer(out); ok && (m.GetOpType() == "Gemm" || m.GetOpType() == "MatMul") && input(m, 0) == out && len(xs) > 0 {
		k := xs[len(xs)-1]
		column := func(shape []int, data []float64) []float64 {
			if quant.ShapeSize(shape[:len(shape)-1]) != 1 || gi.b.constant(k) != nil {
				return nil
			}
			col := make([]float64, k)
			for c := range col {
				col[c] = data[min(c, len(data)-1)]
			}
			return col
		}
		if cs, ct := column(scShape, sc), column(shShape, sh); cs != nil && ct != nil {
			gi.pending[out] = &pendingAffine{x: x, scale: cs, shift: ct}
			return nil
		}
	}
	st, err := gi.floatTensor(scShape, sc)
	if err != nil {
		return err
	}
	ht, err := gi.floatTensor(shShape, sh)
	if err != nil {
		return err
	}
	out, relu := gi.fusedRelu(out)
	return gi.node(n, "", ops.NewAffine(st, ht, relu), []string{x}, []string{out})
}

// mapBatchNorm: BatchNormalization in inference form → Affine per channel (axis 1).
func mapBatchNorm(gi *graphImporter, i int, n *onnxpb.NodeProto) error {
	x, xs, err := gi.act(n, 0)
	if err != nil {
		return err
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	sS, sc, tS, sh, err := gi.batchNormOf(n, x, xs)
	if err != nil {
		return err
	}
	return gi.affine(n, x, sS, sc, tS, sh, out)
}

// batchNormOf returns a BatchNormalization of v as scale and shift of
// shape [C, 1, …] (per channel, axis 1).
func (gi *graphImporter) batchNormOf(n *onnxpb.NodeProto, v string, xs []int) (sS []int, sc []float64, tS []int, sh []float64, err error) {
	if attrInt(n, "training_mode", 0) != 0 {
		return nil, nil, nil, nil, gi.refuse("training_mode = 1: export in eval mode")
	}
	if input(n, 0) != v {
		return nil, nil, nil, nil, gi.refuse("BatchNormalization does not normalize %q", v)
	}
	for k, o := range n.GetOutput()[1:] {
		if o != "" && (len(gi.consumers[o]) > 0 || gi.outputs[o]) {
			return nil, nil, nil, nil, gi.refuse("its output %d %q is read; only the first output is supported", k+1, o)
		}
	}
	if len(xs) < 2 {
		return nil, nil, nil, nil, gi.refuse("input of rank %d, want [N, C, ...]", len(xs))
	}
	ch := xs[1]
	var p [4][]float64
	for k := range p {
		t, err := gi.constTensor(n, k+1)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		if len(t.data) != ch {
			return nil, nil, nil, nil, fmt.Errorf("%w: parameter %d has %d values for %d channels", quant.ErrShape, k+1, len(t.data), ch)
		}
		p[k] = t.data
	}
	eps := attrFloat(n, "epsilon", 1e-5)
	sc, sh = make([]float64, ch), make([]float64, ch)
	for c := range ch {
		sc[c] = p[0][c] / math.Sqrt(p[3][c]+eps)
		sh[c] = p[1][c] - p[2][c]*sc[c]
	}
	shape := make([]int, len(xs)-1)
	for k := range shape {
		shape[k] = 1
	}
	shape[0] = ch
	return shape, sc, slices.Clone(shape), sh, nil
}

// broadcastAll is numpy's broadcast of several shapes.
func broadcastAll(shapes ...[]int) ([]int, error) {
	out := []int{}
	for _, s := range shapes {
		var err error
		if out, err = ops.BroadcastShape(out, s); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// unaryOps are the elementwise functions of one activation a table holds:
// the ops.Unary of a node.
var unaryOps = map[string]func(gi *graphImporter, n *onnxpb.NodeProto) (*ops.Unary, error){
	"Sigmoid":    fn("sigmoid"),
	"Tanh":       fn("tanh"),
	"Exp":        fn("exp"),
	"Log":        fn("log"),
	"Sqrt":       fn("sqrt"),
	"Reciprocal": fn("reciprocal"),
	"Abs":        fn("abs"),
	"Neg":        fn("neg"),
	"Sign":       fn("sign"),
	"Floor":      fn("floor"),
	"Ceil":       fn("ceil"),
	"Round":      fn("round"),
	"Erf":        fn("erf"),
	"Sin":        fn("sin"),
	"Cos":        fn("cos"),
	"Softplus":   fn("softplus"),
	"Softsign":   fn("softsign"),
	"HardSwish":  fn("hard_swish"),
	"Mish":       fn("mish"),
	"Elu": func(_ *graphImporter, n *onnxpb.NodeProto) (*ops.Unary, error) {
		return &ops.Unary{Fn: "elu", Alpha: attrFloat(n, "alpha", 1)}, nil
	},
	"Celu": func(gi *graphImporter, n *onnxpb.NodeProto) (*ops.Unary, error) {
		a := attrFloat(n, "alpha", 1)
		if a == 0 {
			return nil, gi.refuse("alpha = 0")
		}
		return &ops.Unary{Fn: "celu", Alpha: a}, nil
	},
	"Selu": func(_ *graphImporter, n *onnxpb.NodeProto) (*ops.Unary, error) {
		return &ops.Unary{Fn: "selu", Alpha: attrFloat(n, "alpha", 1.67326319217681884765625), Beta: attrFloat(n, "gamma", 1.05070102214813232421875)}, nil
	},
	"LeakyRelu": func(_ *graphImporter, n *onnxpb.NodeProto) (*ops.Unary, error) {
		return &ops.Unary{Fn: "leaky_relu", Alpha: attrFloat(n, "alpha", 0.01)}, nil
	},
	"HardSigmoid": func(_ *graphImporter, n *onnxpb.NodeProto) (*ops.Unary, error) {
		return &ops.Unary{Fn: "hard_sigmoid", Alpha: attrFloat(n, "alpha", 0.2), Beta: attrFloat(n, "beta", 0.5)}, nil
	},
	"Gelu": func(_ *graphImporter, n *onnxpb.NodeProto) (*ops.Unary, error) {
		if attrString(n, "approximate", "none") == "tanh" {
			return &ops.Unary{Fn: "gelu"}, nil
		}
		return &ops.Unary{Fn: "gelu_erf"}, nil
	},
	"Clip": func(gi *graphImporter, n *onnxpb.NodeProto) (*ops.Unary, error) {
		lo, hi := attrFloat(n, "min", -math.MaxFloat32), attrFloat(n, "max", math.MaxFloat32)
		for k, v := range []*float64{&lo, &hi} {
			if input(n, k+1) == "" {
				continue
			}
			t, err := gi.constTensor(n, k+1)
			if err != nil {
				return nil, err
			}
			if len(t.data) != 1 {
				return nil, gi.refuse("a bound of %d values, want a scalar", len(t.data))
			}
			*v = t.data[0]
		}
		return &ops.Unary{Fn: "clip", Alpha: lo, Beta: hi}, nil
	},
	"Pow": func(gi *graphImporter, n *onnxpb.NodeProto) (*ops.Unary, error) {
		if !gi.isConst(input(n, 1)) {
			return nil, gi.refuse("an activation exponent: only a constant scalar exponent is supported")
		}
		t, err := gi.constTensor(n, 1)
		if err != nil {
			return nil, err
		}
		if len(t.data) != 1 {
			return nil, gi.refuse("an exponent of %d values, want a scalar", len(t.data))
		}
		return &ops.Unary{Fn: "pow", Alpha: t.data[0]}, nil
	},
}

func fn(name string) func(*graphImporter, *onnxpb.NodeProto) (*ops.Unary, error) {
	return func(*graphImporter, *onnxpb.NodeProto) (*ops.Unary, error) { return &ops.Unary{Fn: name}, nil }
}

func mapUnary(gi *graphImporter, i int, n *onnxpb.NodeProto) error {
	x, _, err := gi.act(n, 0)
	if err != nil {
		return err
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	u, err := unaryOps[n.GetOpType()](gi, n)
	if err != nil {
		return err
	}
	if math.IsNaN(u.Alpha) || math.IsInf(u.Alpha, 0) || math.IsNaN(u.Beta) || math.IsInf(u.Beta, 0) {
		return fmt.Errorf("%w: attribute %v / %v is not finite", quant.ErrRange, u.Alpha, u.Beta)
	}
	return gi.node(n, "", u, []string{x}, []string{out})
}

// reshapeTo adds a Reshape of x to shape.
func (gi *graphImporter) reshapeTo(n *onnxpb.NodeProto, x string, shape []int, out string) error {
	return gi.node(n, "", &ops.Reshape{Shape: shape}, []string{x}, []string{out})
}

// mapIdentity: Identity, and Dropout in inference (its mask unread).
func mapIdentity(gi *graphImporter, i int, n *onnxpb.NodeProto) error {
	x, xs, err := gi.act(n, 0)
	if err != nil {
		return err
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	return gi.reshapeTo(n, x, slices.Clone(xs), out)
}

func mapFlatten(gi *graphImporter, i int, n *onnxpb.NodeProto) error {
	x, xs, err := gi.act(n, 0)
	if err != nil {
		return err
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	ax := int(attrInt(n, "axis", 1))
	if ax < 0 {
		ax += len(xs)
	}
	if ax < 0 || ax > len(xs) {
		return fmt.Errorf("%w: Flatten axis %d for rank %d", quant.ErrValidation, attrInt(n, "axis", 1), len(xs))
	}
	return gi.reshapeTo(n, x, []int{quant.ShapeSize(xs[:ax]), quant.ShapeSize(xs[ax:])}, out)
}

func mapReshape(gi *graphImporter, i int, n *onnxpb.NodeProto) error {
	x, xs, err := gi.act(n, 0)
	if err != nil {
		return err
	}
	t, err := gi.constTensor(n, 1)
	if err != nil {
		return err
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	if len(t.data) > quant.MaxRank {
		return gi.refuse("a reshape to rank %d, at most %d", len(t.data), quant.MaxRank)
	}
	shape := ints(t)
	allowZero := attrInt(n, "allowzero", 0) != 0
	known, neg := 1, -1
	for k, s := range shape {
		switch {
		case s == 0 && !allowZero && k < len(xs):
			shape[k] = xs[k]
		case s == -1 && neg < 0:
			neg = k
			continue
		case s < 1 || s > quant.MaxTensorValues:
			return fmt.Errorf("%w: Reshape of %v to %v", quant.ErrShape, xs, ints(t))
		}
		known *= shape[k]
		if known > quant.MaxTensorValues {
			return fmt.Errorf("%w: Reshape of %v to %v", quant.ErrShape, xs, ints(t))
		}
	}
	if neg >= 0 {
		if quant.ShapeSize(xs)%known != 0 {
			return fmt.Errorf("%w: Reshape of %v to %v", quant.ErrShape, xs, ints(t))
		}
		shape[neg] = quant.ShapeSize(xs) / known
	}
	return gi.reshapeTo(n, x, shape, out)
}

// mapSqueeze: Squeeze and Unsqueeze, axes from the attribute (opset < 13)
// or the constant input.
func mapSqueeze(gi *graphImporter, i int, n *onnxpb.NodeProto) error {
	x, xs, err := gi.act(n, 0)
	if err != nil {
		return err
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	axes := attrInts(n, "axes", nil)
	if input(n, 1) != "" {
		t, err := gi.constTensor(n, 1)
		if err != nil {
			return err
		}
		if len(t.data) > quant.MaxRank {
			return fmt.Errorf("%w: %d axes", quant.ErrValidation, len(t.data))
		}
		axes = ints(t)
	}
	var shape []int
	if n.GetOpType() == "Unsqueeze" {
		r := len(xs) + len(axes)
		if r > quant.MaxRank {
			return gi.refuse("a result of rank %d, at most %d", r, quant.MaxRank)
		}
		ins := make([]bool, r)
		for _, a := range axes {
			ax, err := axisOf(a, r)
			if err != nil || ins[ax] {
				return fmt.Errorf("%w: Unsqueeze axes %v for rank %d", quant.ErrValidation, axes, len(xs))
			}
			ins[ax] = true
		}
		k := 0
		for _, in := range ins {
			if in {
				shape = append(shape, 1)
			} else {
				shape = append(shape, xs[k])
				k++
			}
		}
	} else {
		drop := make([]bool, len(xs))
		for _, a := range axes {
			ax, err := axisOf(a, len(xs))
			if err != nil || xs[ax] != 1 {
				return fmt.Errorf("%w: Squeeze axes %v of shape %v", quant.ErrValidation, axes, xs)
			}
			drop[ax] = true
		}
		for k, d := range xs {
			if !drop[k] && (len(axes) > 0 || d != 1) {
				shape = append(shape, d)
			}
		}
	}
	return gi.reshapeTo(n, x, shape, out)
}

func mapTranspose(gi *graphImporter, i int, n *onnxpb.NodeProto) error {
	x, xs, err := gi.act(n, 0)
	if err != nil {
		return err
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	var perm []int
	for k := len(xs) - 1; k >= 0; k-- {
		perm = append(perm, k)
	}
	perm = attrInts(n, "perm", perm)
	return gi.node(n, "", &ops.Transpose{Perm: perm}, []string{x}, []string{out})
}
