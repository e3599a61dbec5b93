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
