package onnx

import (
	"fmt"
	"math"
	"slices"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx/onnxpb"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// The mappers of norms, softmax, reductions and comparisons (quant/ops
// norm.go, softmax.go, reduce.go, compare.go).
//
//   - LayerNormalization (opset 17; over the last axes: trailing axes
//     beyond the last are flattened around it) → layernorm; the opset-13
//     decomposition torch exports for nn.LayerNorm (ReduceMean, Sub, Pow 2,
//     ReduceMean, Add ε, Sqrt, Div, then optionally Mul γ and Add β, all over
//     the last axis) is recognized at its first ReduceMean and fused into one
//     layernorm; RMSNormalization (opset 23) → rmsnorm.
//   - Softmax → softmax over the last axis (another axis is moved last and
//     back by two transposes, which cost nothing).
//   - ReduceSum, ReduceMean, ReduceMax, ReduceMin (axes as an attribute or,
//     from opsets 13 for ReduceSum and 18 for the others, as a constant input) → reduce.
//   - Max and Min of activations → minmax (chained beyond two); of one
//     activation and a scalar constant → a clip table.
//   - Less, Greater, Equal, LessOrEqual, GreaterOrEqual of two activations
//     or of an activation and a scalar constant → compare.
//   - Where with an activation condition (a comparison) and two activations,
//     or one activation and a scalar constant → where.
//
// Refused: Softmax without an axis attribute on rank > 2 (its default
// changed at opset 13), a constant condition of Where (a mask: use a
// causal-mask op), constant non-scalar operands of comparisons and Max/Min.

func init() {
	registerGraphMapper("LayerNormalization", mapLayerNorm)
	registerGraphMapper("RMSNormalization", mapRMSNorm)
	registerGraphMapper("Softmax", mapSoftmax)
	for _, op := range []string{"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin"} {
		registerGraphMapper(op, mapReduce)
	}
	registerGraphMapper("Max", mapMinMax)
	registerGraphMapper("Min", mapMinMax)
	for op := range compareTypes {
		registerGraphMapper(op, mapCompare)
	}
	registerGraphMapper("Where", mapWhere)
}

// normAxis returns axis (attribute, default −1) of a rank-r input as a
// non-negative axis.
func (gi *graphImporter) normAxis(n *onnxpb.NodeProto, r int) (int, error) {
	a := int(attrInt(n, "axis", -1))
	if a < -r || a >= r {
		return 0, gi.refuse("axis %d for an input of rank %d", a, r)
	}
	if a < 0 {
		a += r
	}
	return a, nil
}

// normParam reads a norm's constant scale or shift of the normalized axes'
// shape (post), as a flat [d] tensor.
func (gi *graphImporter) normParam(n *onnxpb.NodeProto, k int, post []int) (*quant.FloatTensor, error) {
	c, err := gi.constTensor(n, k)
	if err != nil {
		return nil, err
	}
	d := quant.ShapeSize(post)
	dims := slices.Clone(c.dims)
	for len(dims) > len(post) && dims[0] == 1 {
		dims = dims[1:]
	}
	if !slices.Equal(dims, post) && !(len(c.data) == 1 && d >= 1) {
		return nil, gi.refuse("input %d of shape %v for normalized axes %v", k, c.dims, post)
	}
	if err := finite(fmt.Sprintf("input %d", k), c.data); err != nil {
		return nil, err
	}
	data := c.data
	if len(data) == 1 {
		if err := gi.b.constant(d); err != nil {
			return nil, err
		}
		data = make([]float64, d)
		for i := range data {
			data[i] = c.data[0]
		}
	}
	return gi.floatTensor([]int{d}, data)
}

// flattenNorm adds a norm over the axes from axis on: reshaped to one last
// axis around the norm when there are several.
func (gi *graphImporter) flattenNorm(n *onnxpb.NodeProto, x string, xs []int, axis int, op quant.FloatOp, out string) error {
	if axis == len(xs)-1 {
		return gi.node(n, "", op, []string{x}, []string{out})
	}
	flat := append(slices.Clone(xs[:axis]), quant.ShapeSize(xs[axis:]))
	fx, fy := out+"/flat_in", out+"/flat_out"
	if err := gi.node(n, "_flatten", &ops.Reshape{Shape: flat}, []string{x}, []string{fx}); err != nil {
		return err
	}
	if err := gi.node(n, "", op, []string{fx}, []string{fy}); err != nil {
		return err
	}
	return gi.node(n, "_unflatten", &ops.Reshape{Shape: slices.Clone(xs)}, []string{fy}, []string{out})
}

func normEpsilon(n *onnxpb.NodeProto, def float64) (float64, error) {
	eps := attrFloat(n, "epsilon", def)
	if math.IsNaN(eps) || eps < 0 || eps > 1 {
		return 0, fmt.Errorf("%w: epsilon %v, want 0..1", quant.ErrRange, eps)
	}
	return eps, nil
}

// mapLayerNorm: LayerNormalization(X, Scale, B) over the axes from axis on.
func mapLayerNorm(gi *graphImporter, i int, n *onnxpb.NodeProto) error {
	x, xs, err := gi.act(n, 0)
	if err != nil {
		return err
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	axis, err := gi.normAxis(n, len(xs))
	if err != nil {
		return err
	}
	eps, err := normEpsilon(n, 1e-5)
	if err != nil {
		return err
	}
	post := xs[axis:]
	gamma, err := gi.normParam(n, 1, post)
	if err != nil {
		return err
	}
	beta := &quant.FloatTensor{Shape: []int{quant.ShapeSize(post)}, Data: make([]float64, quant.ShapeSize(post))}
	if input(n, 2) != "" {
		if beta, err = gi.normParam(n, 2, post); err != nil {
			return err
		}
	}
	return gi.flattenNorm(n, x, xs, axis, ops.NewLayerNorm(gamma, beta, eps), out)
}

// mapRMSNorm: RMSNormalization(X, Scale) over the axes from axis on.
func mapRMSNorm(gi *graphImporter, i int, n *onnxpb.NodeProto) error {
	x, xs, err := gi.act(n, 0)
	if err != nil {
		return err
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	axis, err := gi.normAxis(n, len(xs))
	if err != nil {
		return err
	}
	eps, err := normEpsilon(n, 1e-5)
	if err != nil {
		return err
	}
	gamma, err := gi.normParam(n, 1, xs[axis:])
	if err != nil {
		return err
	}
	return gi.flattenNorm(n, x, xs, axis, ops.NewRMSNorm(gamma, eps), out)
}

// mapSoftmax: Softmax over one axis; another than the last is moved last
// and back.
func mapSoftmax(gi *graphImporter, i int, n *onnxpb.NodeProto) error {
	x, xs, err := gi.act(n, 0)
	if err != nil {
		return err
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	if attr(n, "axis") == nil && len(xs) > 2 {
		return gi.refuse("no axis attribute on an input of rank %d (its default differs before and after opset 13): export with dim=-1", len(xs))
	}
	axis, err := gi.normAxis(n, len(xs))
	if err != nil {
		return err
	}
	last := len(xs) - 1
	if axis == last {
		return gi.node(n, "", &ops.Softmax{}, []string{x}, []string{out})
	}
	perm := make([]int, len(xs))
	for k := range perm {
		perm[k] = k
	}
	perm[axis], perm[last] = last, axis // a swap is its own inverse
	tx, ty := out+"/moved_in", out+"/moved_out"
	if err := gi.node(n, "_move", &ops.Transpose{Perm: perm}, []string{x}, []string{tx}); err != nil {
		return err
	}
	if err := gi.node(n, "", &ops.Softmax{}, []string{tx}, []string{ty}); err != nil {
		return err
	}
	return gi.node(n, "_back", &ops.Transpose{Perm: slices.Clone(perm)}, []string{ty}, []string{out})
}

// reduceAxes returns a Reduce node's axes (attribute or constant input 1),
// normalized, and whether the reduction is an identity
// (noop_with_empty_axes with no axes).
func (gi *graphImporter) reduceAxes(n *onnxpb.NodeProto, rank int) (axes []int, noop bool, err error) {
	axes = attrInts(n, "axes", nil)
	if input(n, 1) != "" {
		t, err := gi.constTensor(n, 1)
		if err != nil {
			return nil, false, err
		}
		if len(t.data) > quant.MaxRank {
			return nil, false, gi.refuse("%d axes", len(t.data))
		}
		axes = make([]int, len(t.data))
		for k, v := range t.data {
			if v != math.Trunc(v) || math.Abs(v) > quant.MaxRank {
				return nil, false, gi.refuse("axis %v", v)
			}
			axes[k] = int(v)
		}
	}
	if len(axes) == 0 && attrInt(n, "noop_with_empty_axes", 0) != 0 {
		return nil, true, nil
	}
	return axes, false, nil
}

// mapReduce: ReduceSum/Mean/Max/Min → reduce; a ReduceMean that starts the
// opset-13 LayerNorm decomposition → one layernorm.
func mapReduce(gi *graphImporter, i int, n *onnxpb.NodeProto) error {
	x, xs, err := gi.act(n, 0)
	if err != nil {
		return err
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	axes, noop, err := gi.reduceAxes(n, len(xs))
	if err != nil {
		return err
	}
	if noop {
		return gi.node(n, "", &ops.Reshape{Shape: slices.Clone(xs)}, []string{x}, []string{out})
	}
	op := map[string]string{"ReduceSum": "sum", "ReduceMean": "mean", "ReduceMax": "max", "ReduceMin": "min"}[n.GetOpType()]
	keep := attrInt(n, "keepdims", 1) != 0
	if op == "mean" && keep {
		if ok, err := gi.tryLayerNorm(n, x, xs, axes); ok || err != nil {
			return err
		}
	}
	return gi.node(n, "", &ops.Reduce{Op: op, Axes: axes, KeepDims: keep}, []string{x}, []string{out})
}

// lastAxis reports whether axes is exactly the last axis of a rank-r input.
func lastAxis(axes []int, r int) bool {
	return len(axes) == 1 && (axes[0] == -1 || axes[0] == r-1)
}

// only returns the node reading name when it is its sole reader, of op
// type opType, and name is not a graph output.
func (gi *graphImporter) only(name, opType string) (int, *onnxpb.NodeProto, bool) {
	j, m, ok := gi.soleConsumer(name)
	if !ok || m.GetOpType() != opType || len(m.GetOutput()) != 1 {
		return 0, nil, false
	}
	return j, m, true
}

// other returns the input of binary node m that is not name, and whether
// name is one of its two inputs.
func other(m *onnxpb.NodeProto, name string) (string, bool) {
	if len(m.GetInput()) != 2 {
		return "", false
	}
	a, b := m.GetInput()[0], m.GetInput()[1]
	switch name {
	case a:
		return b, true
	case b:
		return a, true
	}
	return "", false
}

// scalar returns the value of a constant holding one value.
func (gi *graphImporter) scalar(name string) (float64, bool) {
	t := gi.consts[name]
	if t == nil || len(t.data) != 1 {
		return 0, false
	}
	return t.data[0], true
}

// tryLayerNorm recognizes, from its first ReduceMean n (over the last axis
// of x, keepdims), torch's opset-13 LayerNorm: m = ReduceMean(x);
// c = Sub(x, m); v = ReduceMean(Pow(c, 2)); s = Sqrt(Add(v, ε)); y = Div(c, s);
// then optionally Mul(y, γ) and Add(·, β) with constants of the last axis'
// size. On a match it adds one layernorm and marks the fused nodes.
func (gi *graphImporter) tryLayerNorm(n *onnxpb.NodeProto, x string, xs []int, axes []int) (bool, error) {
	r := len(xs)
	if !lastAxis(axes, r) {
		return false, nil
	}
	d := xs[r-1]
	var fused []int
	mean := n.GetOutput()[0]
	jSub, sub, ok := gi.only(mean, "Sub")
	if !ok || len(sub.GetInput()) != 2 || sub.GetInput()[0] != x || sub.GetInput()[1] != mean {
		return false, nil
	}
	c := sub.GetOutput()[0]
	// c is read by Pow and Div only.
	cs := gi.consumers[c]
	if len(cs) != 2 || gi.outputs[c] {
		return false, nil
	}
	jPow, jDiv := cs[0], cs[1]
	if gi.nodes[jPow].GetOpType() != "Pow" {
		jPow, jDiv = jDiv, jPow
	}
	pow, div := gi.nodes[jPow], gi.nodes[jDiv]
	if gi.done[jPow] || gi.done[jDiv] || pow.GetOpType() != "Pow" || div.GetOpType() != "Div" || !isDefaultDomain(pow) || !isDefaultDomain(div) {
		return false, nil
	}
	if e, ok := gi.scalar(input(pow, 1)); !ok || e != 2 || input(pow, 0) != c || len(pow.GetOutput()) != 1 {
		return false, nil
	}
	jVar, rm, ok := gi.only(pow.GetOutput()[0], "ReduceMean")
	if !ok || input(rm, 0) != pow.GetOutput()[0] || attrInt(rm, "keepdims", 1) == 0 {
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
	if j, _, ok := gi.only(sqrt.GetOutput()[0], "Div"); !ok || j != jDiv || input(div, 0) != c || input(div, 1) != sqrt.GetOutput()[0] || len(div.GetOutput()) != 1 {
		return false, nil
	}
	fused = append(fused, jSub, jPow, jVar, jAdd, jSqrt, jDiv)
	y := div.GetOutput()[0]
	gamma := &quant.FloatTensor{Shape: []int{d}, Data: make([]float64, d)}
	beta := &quant.FloatTensor{Shape: []int{d}, Data: make([]float64, d)}
	for k := range gamma.Data {
		gamma.Data[k] = 1
	}
	// affine reads a constant of the last axis' size from binary node m.
	affine := func(m *onnxpb.NodeProto, in string) (*quant.FloatTensor, bool) {
		name, ok := other(m, in)
		t := gi.consts[name]
		if !ok || t == nil || finite("norm parameter", t.data) != nil {
			return nil, false
		}
		dims := slices.Clone(t.dims)
		for len(dims) > 1 && dims[0] == 1 {
			dims = dims[1:]
		}
		if !slices.Equal(dims, []int{d}) {
			return nil, false
		}
		ft, err := gi.floatTensor([]int{d}, t.data)
		return ft, err == nil
	}
	if j, m, ok := gi.only(y, "Mul"); ok {
		if g, ok := affine(m, y); ok {
			gamma, y = g, m.GetOutput()[0]
			fused = append(fused, j)
			if j, m, ok := gi.only(y, "Add"); ok {
				if b, ok := affine(m, y); ok {
					beta, y = b, m.GetOutput()[0]
					fused = append(fused, j)
				}
			}
		}
	}
	for _, j := range fused {
		gi.fuse(j)
	}
	return true, gi.node(n, "", ops.NewLayerNorm(gamma, beta, eps), []string{x}, []string{y})
}

// mapMinMax: Max/Min of activations (chained) → minmax; of one activation
// and a scalar constant → a clip table.
func mapMinMax(gi *graphImporter, i int, n *onnxpb.NodeProto) error {
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	op := map[string]string{"Max": "max", "Min": "min"}[n.GetOpType()]
	var acts []string
	var consts []float64
	for k, in := range n.GetInput() {
		if in == "" {
			continue
		}
		if gi.isConst(in) {
			v, ok := gi.scalar(in)
			if !ok || math.IsNaN(v) || math.IsInf(v, 0) || !gi.fitsRank(in, n) {
				return gi.refuse("a constant operand %q that is not a finite scalar", in)
			}
			consts = append(consts, v)
			continue
		}
		if _, _, err := gi.act(n, k); err != nil {
			return err
		}
		acts = append(acts, in)
	}
	switch {
	case len(acts) == 0:
		return fmt.Errorf("%w: %s of constants only", quant.ErrValidation, n.GetOpType())
	case len(acts) > 16:
		return gi.refuse("%d operands, at most 16", len(acts))
	}
	cur := acts[0]
	for k, a := range acts[1:] {
		next := out
		if k < len(acts)-2 || len(consts) > 0 {
			next = fmt.Sprintf("%s/%s%d", out, op, k)
		}
		if err := gi.node(n, fmt.Sprintf("_%d", k), &ops.MinMax{Op: op}, []string{cur, a}, []string{next}); err != nil {
			return err
		}
		cur = next
	}
	if len(consts) > 0 {
		c := consts[0]
		for _, v := range consts[1:] {
			if op == "max" {
				c = math.Max(c, v)
			} else {
				c = math.Min(c, v)
			}
		}
		u := &ops.Unary{Fn: "clip", Alpha: c, Beta: math.MaxFloat64}
		if op == "min" {
			u.Alpha, u.Beta = -math.MaxFloat64, c
		}
		return gi.node(n, "", u, []string{cur}, []string{out})
	}
	if len(acts) == 1 {
		return gi.node(n, "", &ops.Reshape{Shape: mustShape(gi, cur)}, []string{cur}, []string{out})
	}
	return nil
}

// fitsRank reports whether constant name has no more axes than the
// highest-rank activation input of n: a scalar operand of higher rank would
// add leading 1s to the output's shape.
func (gi *graphImporter) fitsRank(name string, n *onnxpb.NodeProto) bool {
	r := 0
	for _, in := range n.GetInput() {
		if s, ok := gi.gb.Shape(in); ok && !gi.isConst(in) {
			r = max(r, len(s))
		}
	}
	return len(gi.consts[name].dims) <= r
}

func mustShape(gi *graphImporter, name string) []int {
	s, _ := gi.gb.Shape(name)
	return slices.Clone(s)
}

// compareTypes maps the ONNX comparisons to compare ops, and flipped maps
// each to the comparison with its operands swapped.
var (
	compareTypes = map[string]string{"Less": "less", "Greater": "greater", "Equal": "equal", "LessOrEqual": "less_equal", "GreaterOrEqual": "greater_equal"}
	flipped      = map[string]string{"less": "greater", "greater": "less", "equal": "equal", "less_equal": "greater_equal", "greater_equal": "less_equal"}
)

// mapCompare: a comparison of two activations, or of an activation and a
// scalar constant (on either side) → compare.
func mapCompare(gi *graphImporter, i int, n *onnxpb.NodeProto) error {
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	op := compareTypes[n.GetOpType()]
	a, b := input(n, 0), input(n, 1)
	if a == "" || b == "" {
		return fmt.Errorf("%w: %s needs two inputs", quant.ErrValidation, n.GetOpType())
	}
	if !gi.isConst(a) && !gi.isConst(b) {
		for k := range 2 {
			if _, _, err := gi.act(n, k); err != nil {
				return err
			}
		}
		return gi.node(n, "", &ops.Compare{Op: op}, []string{a, b}, []string{out})
	}
	xk, ck := 0, 1
	if gi.isConst(a) {
		xk, ck, op = 1, 0, flipped[op]
	}
	x, xs, err := gi.act(n, xk)
	if err != nil {
		return err
	}
	t, err := gi.constTensor(n, ck)
	if err != nil {
		return err
	}
	v, ok := gi.scalar(input(n, ck))
	if !ok || len(t.dims) > len(xs) || math.IsNaN(v) || math.IsInf(v, 0) {
		return gi.refuse("a constant operand of shape %v: only a finite scalar constant is supported", t.dims)
	}
	return gi.node(n, "", &ops.Compare{Op: op, Const: &v}, []string{x}, []string{out})
}

// mapWhere: Where(cond, X, Y) with cond an activation (a comparison's 0/1
// output) and X, Y activations, or one of them a scalar constant → where.
func mapWhere(gi *graphImporter, i int, n *onnxpb.NodeProto) error {
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	if gi.isConst(input(n, 0)) {
		return gi.refuse("a constant condition (a mask) is not supported yet: only a condition computed by a comparison")
	}
	w := &ops.Where{}
	var in []string
	for k := range 3 {
		if k > 0 && gi.isConst(input(n, k)) {
			v, ok := gi.scalar(input(n, k))
			if !ok || math.IsNaN(v) || math.IsInf(v, 0) || !gi.fitsRank(input(n, k), n) {
				return gi.refuse("a constant operand %d that is not a finite scalar of a rank within the activations'", k)
			}
			if w.X != nil || w.Y != nil {
				return gi.refuse("two constant operands: one must be an activation")
			}
			if k == 1 {
				w.X = &v
			} else {
				w.Y = &v
			}
			continue
		}
		name, _, err := gi.act(n, k)
		if err != nil {
			return err
		}
		in = append(in, name)
	}
	return gi.node(n, "", w, in, []string{out})
}
