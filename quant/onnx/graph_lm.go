package onnx

import (
	"math"
	"slices"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx/onnxpb"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Language-model forms (issue 15): the decomposed RMSNorm of Llama-style
// exports (transformers' LlamaRMSNorm, written out by torch 1.13 since
// RMSNormalization is opset 23):
//
//	v = ReduceMean(Pow(x, 2), last axis, keepdims); s = Sqrt(Add(v, ε))
//	r = Div(1, s) (or Reciprocal(s)); y = Mul(x, r); optionally Mul(y, γ)
//
// → one rmsnorm. The pre-mapper sits on Pow and declines every other form,
// so no existing import changes. Token ids read by Shape (nanoGPT's
// arange of the sequence length) are accepted in graph_gather.go's
// inputKind: Shape folds from the static shape.

func init() {
	graphPreMappers["Pow"] = preRMSNorm
	graphPreMappers["Mul"] = preRope
	graphPreMappers["ArgMax"] = preArgMaxIndex
	// Chained before graph_index.go's preWhere (files initialize in name
	// order: graph_index.go's init has run).
	next := graphPreMappers["Where"]
	if next == nil {
		panic("onnx: graph_lm.go initialized before graph_index.go")
	}
	graphPreMappers["Where"] = func(gi *graphImporter, i int, n *onnxpb.NodeProto) (bool, error) {
		if done, err := preMaskedSoftmax(gi, i, n); done || err != nil {
			return done, err
		}
		return next(gi, i, n)
	}
}

// MaskFillMax is the largest fill value of a Where read by Softmax that is
// taken as a mask (masked_softmax): exp(fill − max) is 0 in float32 for
// any scores above fill + 104, so the float model gives those positions no
// weight either. Larger fills (e.g. −10) stay a Where (index_map) and a
// softmax: the masked positions keep a weight there, in float too.
const MaskFillMax = -1000

// preMaskedSoftmax: Where(cond, fill, scores) or Where(cond, scores, fill)
// with a constant condition and a constant scalar fill ≤ MaskFillMax, read
// only by a Softmax over the last axis → one masked_softmax (the causal or
// constant mask of attention).
func preMaskedSoftmax(gi *graphImporter, _ int, n *onnxpb.NodeProto) (bool, error) {
	c, a, b := input(n, 0), input(n, 1), input(n, 2)
	if !gi.isConst(c) || gi.isConst(a) == gi.isConst(b) || len(n.GetOutput()) != 1 {
		return false, nil
	}
	act, fillName, keepWhen := 1, b, true // Where(cond, scores, fill): keep where cond
	if gi.isConst(a) {
		act, fillName, keepWhen = 2, a, false
	}
	fill, ok := gi.scalar(fillName)
	if !ok || math.IsNaN(fill) || fill > MaskFillMax {
		return false, nil
	}
	x, xs, err := gi.act(n, act)
	if err != nil {
		return true, err
	}
	r := len(xs)
	if r < 2 || !slices.Equal(gi.outputShapeOf(n, xs), xs) {
		return false, nil
	}
	jSm, sm, ok := gi.only(n.GetOutput()[0], "Softmax")
	if !ok || !isDefaultDomain(sm) {
		return false, nil
	}
	if ax := attrInt(sm, "axis", -1); ax != -1 && ax != int64(r-1) {
		return false, nil
	}
	cond := gi.consts[c]
	rows, cols := xs[r-2], xs[r-1]
	// The condition must broadcast to the last two axes only.
	if len(cond.dims) > r || quant.ShapeSize(cond.dims) > rows*cols {
		return false, nil
	}
	cd := append(make([]int, r-len(cond.dims)), cond.dims...)
	for k := range cd[:r-len(cond.dims)] {
		cd[k] = 1
	}
	for k := 0; k < r-2; k++ {
		if cd[k] != 1 {
			return false, nil
		}
	}
	if (cd[r-2] != 1 && cd[r-2] != rows) || (cd[r-1] != 1 && cd[r-1] != cols) {
		return false, nil
	}
	keep := make([]uint8, rows*cols)
	for i := range rows {
		for j := range cols {
			ci := 0
			if cd[r-2] != 1 {
				ci = i * cd[r-1]
			}
			if cd[r-1] != 1 {
				ci += j
			}
			if (cond.data[ci] != 0) == keepWhen {
				keep[i*cols+j] = 1
			}
		}
	}
	op := &ops.MaskedSoftmax{Rows: rows, Cols: cols, Keep: keep}
	if _, err := op.OutShapes([][]int{xs}); err != nil {
		return false, nil // a row masked entirely: leave it to Where and Softmax
	}
	gi.fuse(jSm)
	return true, gi.node(n, "_masked_softmax", op, []string{x}, []string{sm.GetOutput()[0]})
}

// outputShapeOf is the shape of a Where's output given its activation's
// shape xs: xs when the constants broadcast into it.
func (gi *graphImporter) outputShapeOf(n *onnxpb.NodeProto, xs []int) []int {
	var shapes [][]int
	for _, in := range n.GetInput() {
		if t := gi.consts[in]; t != nil {
			shapes = append(shapes, t.dims)
		} else {
			shapes = append(shapes, xs)
		}
	}
	os, err := broadcastAll(shapes[0], shapes[1], shapes[2])
	if err != nil {
		return nil
	}
	return os
}

// preRMSNorm recognizes the decomposed RMSNorm from its Pow node n.
func preRMSNorm(gi *graphImporter, _ int, n *onnxpb.NodeProto) (bool, error) {
	x := input(n, 0)
	if x == "" || gi.isConst(x) || len(n.GetOutput()) != 1 {
		return false, nil
	}
	if e, ok := gi.scalar(input(n, 1)); !ok || e != 2 {
		return false, nil
	}
	xs, ok := gi.gb.Shape(x)
	if !ok || gi.pending[x] != nil {
		return false, nil
	}
	r := len(xs)
	d := xs[r-1]
	jMean, rm, ok := gi.only(n.GetOutput()[0], "ReduceMean")
	if !ok || !isDefaultDomain(rm) || attrInt(rm, "keepdims", 1) == 0 {
		return false, nil
	}
	if ax, noop, err := gi.reduceAxes(rm, r); err != nil || noop || !lastAxis(ax, r) {
		return false, nil
	}
	jAdd, add, ok := gi.only(rm.GetOutput()[0], "Add")
	if !ok {
		return false, nil
	}
	epsName, ok := other(add, rm.GetOutput()[0])
	eps, isScalar := gi.scalar(epsName)
	if !ok || !isScalar || math.IsNaN(eps) || eps < 0 || eps > 1 {
		return false, nil
	}
	jSqrt, sqrt, ok := gi.only(add.GetOutput()[0], "Sqrt")
	if !ok {
		return false, nil
	}
	s := sqrt.GetOutput()[0]
	fused := []int{jMean, jAdd, jSqrt}
	var rcp string
	if j, m, ok := gi.only(s, "Div"); ok && input(m, 1) == s {
		if one, ok := gi.scalar(input(m, 0)); !ok || one != 1 {
			return false, nil
		}
		rcp = m.GetOutput()[0]
		fused = append(fused, j)
	} else if j, m, ok := gi.only(s, "Reciprocal"); ok {
		rcp = m.GetOutput()[0]
		fused = append(fused, j)
	} else {
		return false, nil
	}
	jMul, mul, ok := gi.only(rcp, "Mul")
	if !ok {
		return false, nil
	}
	if o, ok := other(mul, rcp); !ok || o != x {
		return false, nil
	}
	fused = append(fused, jMul)
	y := mul.GetOutput()[0]
	gamma := &quant.FloatTensor{Shape: []int{d}, Data: make([]float64, d)}
	for k := range gamma.Data {
		gamma.Data[k] = 1
	}
	if j, m, ok := gi.only(y, "Mul"); ok {
		name, _ := other(m, y)
		if t := gi.consts[name]; t != nil && finite("norm parameter", t.data) == nil {
			dims := slices.Clone(t.dims)
			for len(dims) > 1 && dims[0] == 1 {
				dims = dims[1:]
			}
			if slices.Equal(dims, []int{d}) {
				g, err := gi.floatTensor([]int{d}, t.data)
				if err != nil {
					return true, err
				}
				gamma, y = g, m.GetOutput()[0]
				fused = append(fused, j)
			}
		}
	}
	for _, j := range fused {
		gi.fuse(j)
	}
	return true, gi.node(n, "_rmsnorm", ops.NewRMSNorm(gamma, eps), []string{x}, []string{y})
}

// constAhead folds the constant subgraph that computes name, ahead of the
// main pass (Shape of a defined activation, and nodes of constant inputs,
// recursively), and reports whether name is a constant. Folding early only
// computes what the main pass would: it marks the nodes done.
func (gi *graphImporter) constAhead(name string, depth int) bool {
	if gi.consts[name] != nil {
		return true
	}
	j, ok := gi.producers[name]
	if !ok || depth > 32 || gi.done[j] || !gi.live[j] {
		return false
	}
	n := gi.nodes[j]
	if !isDefaultDomain(n) {
		return false
	}
	if n.GetOpType() == "Shape" {
		if _, ok := gi.gb.Shape(input(n, 0)); !ok || gi.foldShape(n) != nil {
			return false
		}
		gi.done[j] = true
		return gi.consts[name] != nil
	}
	for _, in := range n.GetInput() {
		if in != "" && !gi.constAhead(in, depth+1) {
			return false
		}
	}
	if gi.fold(n) != nil {
		return false
	}
	gi.done[j] = true
	return gi.consts[name] != nil
}

// producer returns the live node writing name, when it is of op type
// opType, comes after node i (not mapped yet), has one output and name has
// no reader but one.
func (gi *graphImporter) producer(name, opType string, after int) (int, *onnxpb.NodeProto, bool) {
	j, ok := gi.producers[name]
	if !ok || j <= after || gi.done[j] || !gi.live[j] {
		return 0, nil, false
	}
	n := gi.nodes[j]
	if n.GetOpType() != opType || !isDefaultDomain(n) || len(n.GetOutput()) != 1 || len(gi.consumers[name]) != 1 || gi.outputs[name] {
		return 0, nil, false
	}
	return j, n, true
}

// ropeTable returns a constant broadcast against [.., T, D] as a [T, D]
// table (its leading axes of size 1 dropped).
func (gi *graphImporter) ropeTable(name string, t, d int) (*quant.FloatTensor, bool) {
	c := gi.consts[name]
	if c == nil {
		return nil, false
	}
	dims := slices.Clone(c.dims)
	for len(dims) > 2 && dims[0] == 1 {
		dims = dims[1:]
	}
	if !slices.Equal(dims, []int{t, d}) || finite("rope table", c.data) != nil {
		return nil, false
	}
	ft, err := gi.floatTensor([]int{t, d}, c.data)
	return ft, err == nil
}

// isHalf reports whether Slice node s takes, of x (shape xs), exactly the
// first (second) half of the last axis: evaluated on the positions of x.
func (gi *graphImporter) isHalf(s *onnxpb.NodeProto, x string, xs []int, second bool) bool {
	if input(s, 0) != x {
		return false
	}
	for _, in := range s.GetInput()[1:] {
		if in != "" && !gi.constAhead(in, 0) {
			return false
		}
	}
	pos, err := newTensor(gi.b, xs)
	if err != nil {
		return false
	}
	for k := range pos.data {
		pos.data[k] = float64(k)
	}
	env := map[string]*tensor{x: pos}
	for _, in := range s.GetInput()[1:] {
		if in != "" {
			env[in] = gi.consts[in]
		}
	}
	outs, err := evalNode(gi.b, s, env)
	if err != nil || len(outs) != 1 || outs[0] == nil {
		return false
	}
	d := xs[len(xs)-1]
	h := d / 2
	if len(outs[0].data) != len(pos.data)/2 {
		return false
	}
	for k, v := range outs[0].data {
		want := k/h*d + k%h
		if second {
			want += h
		}
		if v != float64(want) {
			return false
		}
	}
	return true
}

// preRope recognizes Llama's apply_rotary_pos_emb from its first Mul n:
//
//	y = Add(Mul(x, cos), Mul(Concat(Neg(Slice(x, h:)), Slice(x, :h), last axis), sin))
//
// (either operand order of the Muls and the Add) with constant cos and
// sin tables [T, D] → one rope (one requantization per output instead of
// five requantized ops).
func preRope(gi *graphImporter, i int, n *onnxpb.NodeProto) (bool, error) {
	a, b := input(n, 0), input(n, 1)
	if a == "" || b == "" || gi.isConst(a) == gi.isConst(b) || len(n.GetOutput()) != 1 {
		return false, nil
	}
	x, cosName := a, b
	if gi.isConst(a) {
		x, cosName = b, a
	}
	xs, ok := gi.gb.Shape(x)
	if !ok || gi.pending[x] != nil || len(xs) < 2 {
		return false, nil
	}
	r := len(xs)
	t, d := xs[r-2], xs[r-1]
	if d%2 != 0 {
		return false, nil
	}
	m1 := n.GetOutput()[0]
	jAdd, add, ok := gi.only(m1, "Add")
	if !ok || jAdd <= i {
		return false, nil
	}
	m2, ok := other(add, m1)
	if !ok {
		return false, nil
	}
	jMul, mul, ok := gi.producer(m2, "Mul", i)
	if !ok {
		return false, nil
	}
	cat, sinName := input(mul, 0), input(mul, 1)
	if !gi.constAhead(sinName, 0) {
		cat, sinName = sinName, cat
		if !gi.constAhead(sinName, 0) {
			return false, nil
		}
	}
	jCat, concat, ok := gi.producer(cat, "Concat", i)
	if !ok || len(concat.GetInput()) != 2 {
		return false, nil
	}
	if ax := attrInt(concat, "axis", 0); ax != -1 && ax != int64(r-1) {
		return false, nil
	}
	jNeg, neg, ok := gi.producer(input(concat, 0), "Neg", i)
	if !ok {
		return false, nil
	}
	jS2, s2, ok := gi.producer(input(neg, 0), "Slice", i)
	if !ok || !gi.isHalf(s2, x, xs, true) {
		return false, nil
	}
	jS1, s1, ok := gi.producer(input(concat, 1), "Slice", i)
	if !ok || !gi.isHalf(s1, x, xs, false) {
		return false, nil
	}
	cosT, ok1 := gi.ropeTable(cosName, t, d)
	sinT, ok2 := gi.ropeTable(sinName, t, d)
	if !ok1 || !ok2 {
		return false, nil
	}
	op := ops.NewRope(cosT, sinT)
	if _, err := op.OutShapes([][]int{xs}); err != nil {
		return false, nil
	}
	for _, j := range []int{jAdd, jMul, jCat, jNeg, jS1, jS2} {
		gi.fuse(j)
	}
	return true, gi.node(n, "_rope", op, []string{x}, []string{add.GetOutput()[0]})
}

// preArgMaxIndex: ArgMax over an axis of more than 128 values (a
// vocabulary) → argmax_index, an index-valued output; shorter axes stay
// ops.ArgMax (int8 index, mapArgMax).
func preArgMaxIndex(gi *graphImporter, _ int, n *onnxpb.NodeProto) (bool, error) {
	x, xs, err := gi.act(n, 0)
	if err != nil {
		return false, nil
	}
	axis := int(attrInt(n, "axis", 0))
	if axis < 0 {
		axis += len(xs)
	}
	if axis < 0 || axis >= len(xs) || xs[axis] <= ops.MaxArgMaxAxis {
		return false, nil
	}
	if attrInt(n, "select_last_index", 0) != 0 {
		return true, gi.refuse("select_last_index = 1: ties go to the first index only")
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return true, err
	}
	a := &ops.ArgMaxIndex{Axis: int(attrInt(n, "axis", 0)), KeepDims: attrInt(n, "keepdims", 1) != 0}
	if _, err := a.OutShapes([][]int{xs}); err != nil {
		return true, gi.refuse("%v", err)
	}
	return true, gi.node(n, "", a, []string{x}, []string{out})
}
