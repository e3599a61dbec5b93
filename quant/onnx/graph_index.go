package onnx

import (
	"fmt"
	"math"
	"slices"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx/onnxpb"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Index maps and index ops on activations (issue 14, step 11):
//
//   - Expand, Tile, Gather and GatherElements with constant indices, Trilu,
//     Where with a constant condition (two activation branches are first
//     concatenated, see whereBoth), Pad in edge,
//     reflect, wrap or constant-value mode → ops.IndexMap (no constraints;
//     constants quantized at the input's fraction, saturating);
//   - Split → one ops.Slice per output.
//
// Forms the existing mappers take (Gather of a constant table, Where with a
// computed condition, Pad with zeros) keep theirs: the pre-mappers below
// decline them, so existing imports and commitments do not move.

func init() {
	registerGraphMapper("Expand", mapExpand)
	registerGraphMapper("Tile", mapTile)
	registerGraphMapper("Split", mapSplit)
	registerGraphMapper("Trilu", mapTrilu)
	registerGraphMapper("GatherElements", mapGatherElements)
	graphPreMappers["Gather"] = preGather
	graphPreMappers["Where"] = preWhere
	graphPreMappers["Pad"] = prePad
}

// indexMap adds an ops.IndexMap node from x (shape xs) to out of shape os,
// with idx as ops.IndexMap.Index and consts its constants.
//
// An infinite constant (masked_fill with −inf) becomes ±maskInf: it
// saturates to the int8 extreme all the same, and keeps the float graph's
// arithmetic finite (a softmax gives the same 0).
func (gi *graphImporter) indexMap(n *onnxpb.NodeProto, suffix, x string, os []int, idx []int, consts []float64, out string) error {
	for j, c := range consts {
		if math.IsInf(c, 0) {
			consts[j] = math.Copysign(maskInf, c)
		}
	}
	if err := finite("constant", consts); err != nil {
		return err
	}
	return gi.node(n, suffix, &ops.IndexMap{Shape: os, Index: idx, Const: consts}, []string{x}, []string{out})
}

// maskInf stands for an infinite constant of an index map.
const maskInf = 1e9

// mapShape checks an output shape before a map of it is allocated, and
// charges the map to the budget.
func (gi *graphImporter) mapShape(os []int) error {
	if err := quant.CheckShape(os); err != nil {
		return err
	}
	return gi.b.constant(quant.ShapeSize(os))
}

// mapExpand: Expand(x, shape) with a constant shape → a broadcast copy.
func mapExpand(gi *graphImporter, _ int, n *onnxpb.NodeProto) error {
	x, xs, err := gi.act(n, 0)
	if err != nil {
		return err
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	dims, err := gi.constInts(n, 1)
	if err != nil {
		return err
	}
	if len(dims) > quant.MaxRank {
		return fmt.Errorf("%w: Expand to rank %d", quant.ErrShape, len(dims))
	}
	shape := make([]int, len(dims))
	for k, d := range dims {
		if d < 1 || d > quant.MaxTensorValues {
			return fmt.Errorf("%w: Expand to dimension %d", quant.ErrShape, d)
		}
		shape[k] = int(d)
	}
	os, err := broadcastAll(xs, shape)
	if err != nil {
		return err
	}
	if err := gi.mapShape(os); err != nil {
		return err
	}
	if slices.Equal(os, xs) {
		return gi.node(n, "", &ops.Reshape{Shape: slices.Clone(xs)}, []string{x}, []string{out})
	}
	return gi.indexMap(n, "", x, os, ops.BroadcastIndex(xs, os), nil, out)
}

// mapTile: Tile(x, repeats) with constant repeats ≥ 1.
func mapTile(gi *graphImporter, _ int, n *onnxpb.NodeProto) error {
	x, xs, err := gi.act(n, 0)
	if err != nil {
		return err
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	reps, err := gi.constInts(n, 1)
	if err != nil {
		return err
	}
	if len(reps) != len(xs) {
		return fmt.Errorf("%w: Tile with %d repeats for rank %d", quant.ErrShape, len(reps), len(xs))
	}
	os := make([]int, len(xs))
	for a, r := range reps {
		if r < 1 || r > quant.MaxTensorValues {
			return gi.refuse("repeats %v: every repeat must be at least 1", reps)
		}
		os[a] = xs[a] * int(r)
	}
	if err := gi.mapShape(os); err != nil {
		return err
	}
	return gi.indexMap(n, "", x, os, ops.AxisIndex(xs, os, func(a, c int) int { return c % xs[a] }), nil, out)
}

// mapSplit: Split along an axis (sizes from input 1, opset 13, the split
// attribute before, or equal parts) → one ops.Slice per output.
func mapSplit(gi *graphImporter, _ int, n *onnxpb.NodeProto) error {
	x, xs, err := gi.act(n, 0)
	if err != nil {
		return err
	}
	r := len(xs)
	axis := int(attrInt(n, "axis", 0))
	if axis < -r || axis >= r {
		return fmt.Errorf("%w: Split axis %d for rank %d", quant.ErrShape, axis, r)
	}
	if axis < 0 {
		axis += r
	}
	outs := n.GetOutput()
	if len(outs) == 0 || len(outs) > quant.MaxGraphNodes {
		return fmt.Errorf("%w: Split into %d outputs", quant.ErrValidation, len(outs))
	}
	var sizes []int64
	switch {
	case input(n, 1) != "":
		t, err := gi.constTensor(n, 1)
		if err != nil {
			return err
		}
		if sizes, err = constInts(t); err != nil {
			return err
		}
	case attr(n, "split") != nil:
		for _, v := range attrInts(n, "split", nil) {
			sizes = append(sizes, int64(v))
		}
	default:
		k := len(outs)
		part := (xs[axis] + k - 1) / k // ONNX: equal parts, the last one smaller
		for j := 0; j < k; j++ {
			sizes = append(sizes, int64(max(min(part, xs[axis]-j*part), 0)))
		}
	}
	if len(sizes) != len(outs) {
		return fmt.Errorf("%w: Split into %d sizes for %d outputs", quant.ErrValidation, len(sizes), len(outs))
	}
	var total int64
	for _, s := range sizes {
		if s < 1 || s > int64(xs[axis]) {
			return gi.refuse("split sizes %v of axis %d (length %d): every part must hold at least one value", sizes, axis, xs[axis])
		}
		total += s
	}
	if total != int64(xs[axis]) {
		return fmt.Errorf("%w: split sizes %v do not add up to axis %d's length %d", quant.ErrShape, sizes, axis, xs[axis])
	}
	var off int64
	for k, o := range outs {
		s := sizes[k]
		if o == "" || (len(gi.consumers[o]) == 0 && !gi.outputs[o]) {
			off += s
			continue
		}
		sl := &ops.Slice{Starts: []int64{off}, Ends: []int64{off + s}, Axes: []int64{int64(axis)}}
		if err := gi.node(n, fmt.Sprintf("_%d", k), sl, []string{x}, []string{o}); err != nil {
			return err
		}
		off += s
	}
	return nil
}

// mapTrilu: Trilu of an activation (k from input 1, constant) → the kept
// triangle copied, the rest the constant 0.
func mapTrilu(gi *graphImporter, _ int, n *onnxpb.NodeProto) error {
	x, xs, err := gi.act(n, 0)
	if err != nil {
		return err
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	if len(xs) < 2 {
		return fmt.Errorf("%w: Trilu of rank %d", quant.ErrShape, len(xs))
	}
	k := int64(0)
	if input(n, 1) != "" {
		t, err := gi.constTensor(n, 1)
		if err != nil {
			return err
		}
		ks, err := constInts(t)
		if err != nil {
			return err
		}
		if len(ks) != 1 {
			return fmt.Errorf("%w: Trilu k of %d values", quant.ErrValidation, len(ks))
		}
		k = max(min(ks[0], quant.MaxTensorValues), -quant.MaxTensorValues)
	}
	upper := attrInt(n, "upper", 1) != 0
	if err := gi.mapShape(xs); err != nil {
		return err
	}
	r := len(xs)
	idx := make([]int, quant.ShapeSize(xs))
	rows, cols := xs[r-2], xs[r-1]
	for p := range idx {
		i, j := int64((p/cols)%rows), int64(p%cols)
		keep := j-i <= k
		if upper {
			keep = j-i >= k
		}
		idx[p] = p
		if !keep {
			idx[p] = -1
		}
	}
	return gi.indexMap(n, "", x, slices.Clone(xs), idx, []float64{0}, out)
}

// constIndices reads constant indices into an axis of length d (negative
// ones count from the end).
func constIndices(t *tensor, d int) ([]int, error) {
	v, err := constInts(t)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(v))
	for k, i := range v {
		if i < 0 {
			i += int64(d)
		}
		if i < 0 || i >= int64(d) {
			return nil, fmt.Errorf("%w: index %d out of range for an axis of length %d", quant.ErrRange, v[k], d)
		}
		out[k] = int(i)
	}
	return out, nil
}

// preGather: Gather of an activation by constant indices on any axis (a
// scalar index drops the axis) → ops.IndexMap.
func preGather(gi *graphImporter, _ int, n *onnxpb.NodeProto) (bool, error) {
	if gi.isConst(input(n, 0)) || !gi.isConst(input(n, 1)) {
		return false, nil
	}
	x, xs, err := gi.act(n, 0)
	if err != nil {
		return true, err
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return true, err
	}
	r := len(xs)
	axis := int(attrInt(n, "axis", 0))
	if axis < -r || axis >= r {
		return true, fmt.Errorf("%w: Gather axis %d for rank %d", quant.ErrShape, axis, r)
	}
	if axis < 0 {
		axis += r
	}
	t, err := gi.constTensor(n, 1)
	if err != nil {
		return true, err
	}
	ids, err := constIndices(t, xs[axis])
	if err != nil {
		return true, err
	}
	os := append(append(slices.Clone(xs[:axis]), t.dims...), xs[axis+1:]...)
	if err := gi.mapShape(os); err != nil {
		return true, err
	}
	outer, inner := quant.ShapeSize(xs[:axis]), quant.ShapeSize(xs[axis+1:])
	idx := make([]int, 0, quant.ShapeSize(os))
	for o := 0; o < outer; o++ {
		for _, i := range ids {
			for c := 0; c < inner; c++ {
				idx = append(idx, (o*xs[axis]+i)*inner+c)
			}
		}
	}
	return true, gi.indexMap(n, "", x, os, idx, nil, out)
}

// mapGatherElements: GatherElements of an activation by constant indices
// of the same rank → ops.IndexMap.
func mapGatherElements(gi *graphImporter, _ int, n *onnxpb.NodeProto) error {
	x, xs, err := gi.act(n, 0)
	if err != nil {
		return err
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	if !gi.isConst(input(n, 1)) {
		if !gi.isIndexInput(input(n, 1)) {
			return gi.refuse("indices %q are an activation: constant indices or an integer graph input are supported", input(n, 1))
		}
		return gi.node(n, "", &ops.GatherElements{Axis: int(attrInt(n, "axis", 0))}, []string{x, input(n, 1)}, []string{out})
	}
	t, err := gi.constTensor(n, 1)
	if err != nil {
		return err
	}
	r := len(xs)
	axis := int(attrInt(n, "axis", 0))
	if axis < -r || axis >= r {
		return fmt.Errorf("%w: GatherElements axis %d for rank %d", quant.ErrShape, axis, r)
	}
	if axis < 0 {
		axis += r
	}
	if len(t.dims) != r {
		return fmt.Errorf("%w: GatherElements indices of rank %d for data of rank %d", quant.ErrShape, len(t.dims), r)
	}
	for a, d := range t.dims {
		if d < 1 || (a != axis && d > xs[a]) {
			return fmt.Errorf("%w: GatherElements indices %v for data %v", quant.ErrShape, t.dims, xs)
		}
	}
	os := slices.Clone(t.dims)
	if err := gi.mapShape(os); err != nil {
		return err
	}
	ids, err := constIndices(t, xs[axis])
	if err != nil {
		return err
	}
	k := 0
	idx := ops.AxisIndex(xs, os, func(a, c int) int {
		if a == axis {
			return 0 // replaced below
		}
		return c
	})
	st := 1
	for _, d := range xs[axis+1:] {
		st *= d
	}
	for p := range idx {
		idx[p] += ids[k] * st
		k++
	}
	return gi.indexMap(n, "", x, os, idx, nil, out)
}

// preWhere: Where with a constant condition, one branch an activation and
// the other a constant → ops.IndexMap; both branches activations →
// whereBoth.
func preWhere(gi *graphImporter, i int, n *onnxpb.NodeProto) (bool, error) {
	if !gi.isConst(input(n, 0)) || gi.isConst(input(n, 1)) && gi.isConst(input(n, 2)) {
		return false, nil
	}
	if !gi.isConst(input(n, 1)) && !gi.isConst(input(n, 2)) {
		return true, gi.whereBoth(n)
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return true, err
	}
	act := 1
	if gi.isConst(input(n, 1)) {
		act = 2
	}
	x, xs, err := gi.act(n, act)
	if err != nil {
		return true, err
	}
	cond, err := gi.constTensor(n, 0)
	if err != nil {
		return true, err
	}
	other, err := gi.constTensor(n, 3-act)
	if err != nil {
		return true, err
	}
	if len(cond.dims) > quant.MaxRank || len(other.dims) > quant.MaxRank {
		return true, fmt.Errorf("%w: Where operands of rank above %d", quant.ErrShape, quant.MaxRank)
	}
	os, err := broadcastAll(cond.dims, xs, other.dims)
	if err != nil {
		return true, err
	}
	if err := gi.mapShape(os); err != nil {
		return true, err
	}
	ic, ix, io := ops.BroadcastIndex(cond.dims, os), ops.BroadcastIndex(xs, os), ops.BroadcastIndex(other.dims, os)
	var consts []float64
	slot := map[float64]int{}
	idx := make([]int, len(ic))
	for p := range idx {
		takeX := (cond.data[ic[p]] != 0) == (act == 1)
		if takeX {
			idx[p] = ix[p]
			continue
		}
		v := other.data[io[p]]
		j, ok := slot[v]
		if !ok {
			j = len(consts)
			slot[v] = j
			consts = append(consts, v)
		}
		idx[p] = -1 - j
	}
	return true, gi.indexMap(n, "", x, os, idx, consts, out)
}

// prePad: Pad in edge, reflect or wrap mode, or in constant mode with a
// value other than 0 → ops.IndexMap (Pad with zeros stays ops.Pad).
func prePad(gi *graphImporter, _ int, n *onnxpb.NodeProto) (bool, error) {
	mode := attrString(n, "mode", "constant")
	value := attrFloat(n, "value", 0)
	if input(n, 2) != "" {
		t := gi.consts[input(n, 2)]
		if t == nil || len(t.data) != 1 {
			return false, nil // mapPad explains
		}
		value = t.data[0]
	}
	if mode == "constant" && value == 0 {
		return false, nil
	}
	x, xs, err := gi.act(n, 0)
	if err != nil {
		return true, err
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return true, err
	}
	full, err := gi.padsOf(n, xs)
	if err != nil {
		return true, err
	}
	r := len(xs)
	os := make([]int, r)
	for a := range xs {
		os[a] = xs[a] + full[a] + full[r+a]
		if os[a] < 1 {
			return true, fmt.Errorf("%w: Pad of %v by %v", quant.ErrShape, xs, full)
		}
	}
	if err := gi.mapShape(os); err != nil {
		return true, err
	}
	var src func(a, c int) int
	var consts []float64
	switch mode {
	case "constant":
		consts = []float64{value}
		src = func(a, c int) int {
			if i := c - full[a]; i >= 0 && i < xs[a] {
				return i
			}
			return -1
		}
	case "edge":
		src = func(a, c int) int { return min(max(c-full[a], 0), xs[a]-1) }
	case "reflect":
		for a := range xs {
			if full[a] > 0 && full[a] >= xs[a] || full[r+a] > 0 && full[r+a] >= xs[a] {
				return true, gi.refuse("reflect pads %v of %v: a reflected pad must be shorter than its axis", full, xs)
			}
		}
		src = func(a, c int) int {
			i, d := c-full[a], xs[a]
			if d == 1 {
				return 0
			}
			if i < 0 {
				i = -i
			}
			if i >= d {
				i = 2*(d-1) - i
			}
			return i
		}
	case "wrap":
		src = func(a, c int) int {
			i := (c - full[a]) % xs[a]
			if i < 0 {
				i += xs[a]
			}
			return i
		}
	default:
		return true, gi.refuse("pad mode %q (supported: constant, edge, reflect, wrap)", mode)
	}
	idx := ops.AxisIndex(xs, os, src)
	if mode == "constant" {
		for p, i := range idx {
			if i < 0 {
				idx[p] = -1
			}
		}
	}
	return true, gi.indexMap(n, "", x, os, idx, consts, out)
}

// padsOf reads Pad's pads (input 1, or the pads attribute) and axes (input
// 3) as [begin…, end…] over every axis of xs.
func (gi *graphImporter) padsOf(n *onnxpb.NodeProto, xs []int) ([]int, error) {
	var pads []int64
	if input(n, 1) != "" {
		t, err := gi.constTensor(n, 1)
		if err != nil {
			return nil, err
		}
		if pads, err = constInts(t); err != nil {
			return nil, err
		}
	} else {
		for _, p := range attrInts(n, "pads", nil) {
			pads = append(pads, int64(p))
		}
	}
	r := len(xs)
	axes := make([]int64, 0, r)
	if input(n, 3) != "" {
		t, err := gi.constTensor(n, 3)
		if err != nil {
			return nil, err
		}
		if axes, err = constInts(t); err != nil {
			return nil, err
		}
	} else {
		for a := 0; a < r; a++ {
			axes = append(axes, int64(a))
		}
	}
	if len(pads) != 2*len(axes) {
		return nil, fmt.Errorf("%w: %d pads for %d axes", quant.ErrShape, len(pads), len(axes))
	}
	full := make([]int, 2*r)
	for k, a := range axes {
		if a < 0 {
			a += int64(r)
		}
		if a < 0 || a >= int64(r) {
			return nil, fmt.Errorf("%w: pad axis %d for rank %d", quant.ErrShape, axes[k], r)
		}
		for _, p := range []int64{pads[k], pads[len(axes)+k]} {
			if p < -quant.MaxTensorValues || p > quant.MaxTensorValues {
				return nil, fmt.Errorf("%w: pads %v", quant.ErrRange, pads)
			}
		}
		full[a], full[r+int(a)] = int(pads[k]), int(pads[len(axes)+k])
	}
	return full, nil
}

func init() {
	for op, name := range map[string]string{"Not": "not", "And": "and", "Or": "or", "Xor": "xor"} {
		registerGraphMapper(op, func(gi *graphImporter, _ int, n *onnxpb.NodeProto) error { return mapLogic(gi, n, name) })
	}
}

// mapLogic: Not, And, Or, Xor of booleans (BOOL inputs, comparisons) →
// ops.Logic.
func mapLogic(gi *graphImporter, n *onnxpb.NodeProto, op string) error {
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	k := 2
	if op == "not" {
		k = 1
	}
	if len(n.GetInput()) != k {
		return fmt.Errorf("%w: %s of %d inputs", quant.ErrValidation, n.GetOpType(), len(n.GetInput()))
	}
	var in []string
	for j := range k {
		x, _, err := gi.act(n, j)
		if err != nil {
			return err
		}
		in = append(in, x)
	}
	return gi.node(n, "", &ops.Logic{Op: op}, in, []string{out})
}

func init() { graphPreMappers["MatMul"] = preMatMul }

// preMatMul: MatMul of two activations (rank ≥ 2 each) → ops.MatMul; a
// constant operand stays with mapMatMul (a linear layer).
func preMatMul(gi *graphImporter, _ int, n *onnxpb.NodeProto) (bool, error) {
	a, b := input(n, 0), input(n, 1)
	if a == "" || b == "" || gi.isConst(a) || gi.isConst(b) || gi.pending[a] != nil || gi.pending[b] != nil {
		return false, nil
	}
	x, xs, err := gi.act(n, 0)
	if err != nil {
		return true, err
	}
	y, ys, err := gi.act(n, 1)
	if err != nil {
		return true, err
	}
	if len(xs) < 2 || len(ys) < 2 {
		return true, gi.refuse("product of activations of shapes %v and %v: both need rank ≥ 2", xs, ys)
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return true, err
	}
	return true, gi.node(n, "", &ops.MatMul{}, []string{x, y}, []string{out})
}

func init() { registerGraphMapper("ArgMax", mapArgMax) }

// mapArgMax: ArgMax over one axis of at most 128 values (the index is an
// int8 value at frac 0), ties to the first index → ops.ArgMax.
func mapArgMax(gi *graphImporter, _ int, n *onnxpb.NodeProto) error {
	x, xs, err := gi.act(n, 0)
	if err != nil {
		return err
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	if attrInt(n, "select_last_index", 0) != 0 {
		return gi.refuse("select_last_index = 1: ties go to the first index only")
	}
	a := &ops.ArgMax{Axis: int(attrInt(n, "axis", 0)), KeepDims: attrInt(n, "keepdims", 1) != 0}
	if _, err := a.OutShapes([][]int{xs}); err != nil {
		return gi.refuse("%v", err)
	}
	return gi.node(n, "", a, []string{x}, []string{out})
}

func init() { registerGraphMapper("PRelu", mapPRelu) }

// mapPRelu: PRelu with a constant slope that broadcasts to the input →
// ops.PRelu.
func mapPRelu(gi *graphImporter, _ int, n *onnxpb.NodeProto) error {
	x, xs, err := gi.act(n, 0)
	if err != nil {
		return err
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	s, err := gi.constant(n, 1)
	if err != nil {
		return err
	}
	if err := finite("slope", s.Data); err != nil {
		return err
	}
	p := &ops.PRelu{SlopeShape: slices.Clone(s.Shape), Slope: slices.Clone(s.Data)}
	if _, err := p.OutShapes([][]int{xs}); err != nil {
		return gi.refuse("%v", err)
	}
	return gi.node(n, "", p, []string{x}, []string{out})
}

func init() { graphPreMappers["Div"] = preDiv }

// preDiv: a / b with b an activation → reciprocal(b) (a 256-entry table,
// ops.Unary) then a · (1/b) (ops.Binary mul): two requantizations. The
// reciprocal is an int8 at the fraction its calibrated range gives, so its
// relative error is about 2^−7 where |1/b| is near its largest calibrated
// magnitude and grows for smaller |1/b| (larger |b|); b near 0 saturates
// 1/b. Division by a constant stays an affine op (mapArith).
func preDiv(gi *graphImporter, _ int, n *onnxpb.NodeProto) (bool, error) {
	a, b := input(n, 0), input(n, 1)
	if a == "" || b == "" || gi.isConst(a) || gi.isConst(b) {
		return false, nil
	}
	x, _, err := gi.act(n, 0)
	if err != nil {
		return true, err
	}
	y, _, err := gi.act(n, 1)
	if err != nil {
		return true, err
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return true, err
	}
	r := out + "/reciprocal"
	if err := gi.node(n, "_reciprocal", &ops.Unary{Fn: "reciprocal"}, []string{y}, []string{r}); err != nil {
		return true, err
	}
	return true, gi.node(n, "", &ops.Binary{Op: "mul"}, []string{x, r}, []string{out})
}

// Integer graph inputs (index values) read by OneHot, GatherElements (as
// the indices) and Equal with a constant, besides embeddings (Gather on a
// constant table, graph_gather.go): the input's range is [0, n − 1] for
// the smallest one-hot depth or gathered axis n among its readers,
// [0, quant.MaxIndex] when only Equal reads it. Negative ids (ONNX counts
// them from the end) are not accepted: an input file must hold ids within
// the range.

func init() {
	registerGraphMapper("OneHot", mapOneHot)
	registerGraphMapper("Cast", mapCast)
	graphPreMappers["Equal"] = preIndexEqual
}

// indexInputKind returns the kind of integer input name when every reader
// (cs) is one of the ops above; ok is false otherwise (the embedding rule
// applies, or explains).
func (gi *graphImporter) indexInputKind(name string, cs []int, inits map[string]*onnxpb.TensorProto) (quant.GraphInput, bool, error) {
	hi := int64(quant.MaxIndex)
	for _, i := range cs {
		n := gi.nodes[i]
		if !isDefaultDomain(n) {
			return quant.GraphInput{}, false, nil
		}
		switch n.GetOpType() {
		case "OneHot":
			d, ok := gi.earlyConst(input(n, 1), inits)
			if input(n, 0) != name || !ok || len(d.data) != 1 {
				return quant.GraphInput{}, false, nil
			}
			if d.data[0] < 2 || d.data[0] > ops.MaxOneHotDepth {
				return quant.GraphInput{}, false, fmt.Errorf("onnx: %w: integer input %q: one-hot depth %v, want 2..%d", quant.ErrRange, name, d.data[0], ops.MaxOneHotDepth)
			}
			hi = min(hi, int64(d.data[0])-1)
		case "GatherElements":
			shape := gi.declaredShape(input(n, 0))
			if input(n, 1) != name || input(n, 0) == name || shape == nil {
				return quant.GraphInput{}, false, nil
			}
			r := len(shape)
			axis := int(attrInt(n, "axis", 0))
			if axis < -r || axis >= r {
				return quant.GraphInput{}, false, nil
			}
			if axis < 0 {
				axis += r
			}
			if shape[axis] < 2 {
				return quant.GraphInput{}, false, nil
			}
			hi = min(hi, int64(shape[axis])-1)
		case "Equal":
			other := input(n, 0)
			if other == name {
				other = input(n, 1)
			}
			c, ok := gi.earlyConst(other, inits)
			if !ok || len(c.data) != 1 {
				return quant.GraphInput{}, false, nil
			}
		default:
			return quant.GraphInput{}, false, nil
		}
	}
	return quant.GraphInput{DType: quant.DTypeIndex, Lo: 0, Hi: hi}, true, nil
}

// earlyConst decodes a constant before the constants are folded: an
// initializer, or the output of a Constant node.
func (gi *graphImporter) earlyConst(name string, inits map[string]*onnxpb.TensorProto) (*tensor, bool) {
	if name == "" {
		return nil, false
	}
	if t := inits[name]; t != nil {
		ct, err := decodeTensor(gi.b, t)
		return ct, err == nil
	}
	i, ok := gi.producers[name]
	if !ok || gi.nodes[i].GetOpType() != "Constant" || !isDefaultDomain(gi.nodes[i]) {
		return nil, false
	}
	outs, err := evalNode(gi.b, gi.nodes[i], nil)
	if err != nil || len(outs) != 1 {
		return nil, false
	}
	return outs[0], true
}

// declaredShape is the static shape of graph input name (nil when it is
// not one or has a dynamic axis).
func (gi *graphImporter) declaredShape(name string) []int {
	for _, vi := range gi.graph.GetInput() {
		if vi.GetName() != name {
			continue
		}
		var shape []int
		for _, d := range vi.GetType().GetTensorType().GetShape().GetDim() {
			v, ok := d.GetValue().(*onnxpb.TensorShapeProto_Dimension_DimValue)
			if !ok || v.DimValue < 1 || v.DimValue > quant.MaxTensorValues {
				return nil
			}
			shape = append(shape, int(v.DimValue))
		}
		return shape
	}
	return nil
}

// isIndexInput reports whether name is an integer graph input (an index value).
func (gi *graphImporter) isIndexInput(name string) bool {
	for _, vi := range gi.graph.GetInput() {
		if vi.GetName() == name {
			switch onnxpb.TensorProto_DataType(vi.GetType().GetTensorType().GetElemType()) {
			case onnxpb.TensorProto_INT64, onnxpb.TensorProto_INT32:
				return !gi.isConst(name)
			}
		}
	}
	return false
}

// mapOneHot: OneHot of an integer input on its last axis, constant depth
// and integer int8 values → ops.OneHot.
func mapOneHot(gi *graphImporter, _ int, n *onnxpb.NodeProto) error {
	ids := input(n, 0)
	if !gi.isIndexInput(ids) {
		return gi.refuse("indices %q: OneHot of an integer graph input only", ids)
	}
	xs, _ := gi.gb.Shape(ids)
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	if a := attrInt(n, "axis", -1); a != -1 && a != int64(len(xs)) {
		return gi.refuse("axis %d: one-hot on the last axis only", a)
	}
	d, err := gi.constTensor(n, 1)
	if err != nil {
		return err
	}
	v, err := gi.constTensor(n, 2)
	if err != nil {
		return err
	}
	if len(d.data) != 1 || len(v.data) != 2 {
		return fmt.Errorf("%w: OneHot depth of %d values and %d values, want 1 and 2", quant.ErrValidation, len(d.data), len(v.data))
	}
	for _, x := range v.data {
		if x != math.Trunc(x) || x < quant.Int8Min || x > quant.Int8Max {
			return gi.refuse("values %v: integers within int8 only", v.data)
		}
	}
	if d.data[0] != math.Trunc(d.data[0]) || d.data[0] < 2 || d.data[0] > ops.MaxOneHotDepth {
		return fmt.Errorf("%w: OneHot depth %v, want 2..%d", quant.ErrRange, d.data[0], ops.MaxOneHotDepth)
	}
	o := &ops.OneHot{Depth: int(d.data[0]), Off: int64(v.data[0]), On: int64(v.data[1])}
	if _, err := o.OutShapes([][]int{xs}); err != nil {
		return err
	}
	return gi.node(n, "", o, []string{ids}, []string{out})
}

// preIndexEqual: Equal of an integer graph input and a constant integer
// scalar → ops.IndexEqual.
func preIndexEqual(gi *graphImporter, _ int, n *onnxpb.NodeProto) (bool, error) {
	x, c := input(n, 0), input(n, 1)
	if gi.isIndexInput(c) {
		x, c = c, x
	}
	if !gi.isIndexInput(x) {
		return false, nil
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return true, err
	}
	t := gi.consts[c]
	if t == nil || len(t.data) != 1 || t.data[0] != math.Trunc(t.data[0]) {
		return true, gi.refuse("Equal of the integer input %q: with a constant integer scalar only", x)
	}
	k := int64(max(min(t.data[0], quant.MaxIndex+1), -1)) // out of range: never equal
	return true, gi.node(n, "", &ops.IndexEqual{Const: k}, []string{x}, []string{out})
}

// mapCast: Cast to a float type is the identity on values (booleans and
// reals alike); other casts are refused.
func mapCast(gi *graphImporter, _ int, n *onnxpb.NodeProto) error {
	switch onnxpb.TensorProto_DataType(attrInt(n, "to", 0)) {
	case onnxpb.TensorProto_FLOAT, onnxpb.TensorProto_DOUBLE, onnxpb.TensorProto_FLOAT16:
	default:
		return gi.refuse("Cast to %s: casts to float only", onnxpb.TensorProto_DataType(attrInt(n, "to", 0)))
	}
	if gi.isIndexInput(input(n, 0)) {
		return gi.refuse("Cast of the integer input %q: integer inputs feed Gather, GatherElements, OneHot and Equal only", input(n, 0))
	}
	x, xs, err := gi.act(n, 0)
	if err != nil {
		return err
	}
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	return gi.node(n, "", &ops.Reshape{Shape: slices.Clone(xs)}, []string{x}, []string{out})
}

func init() { registerGraphMapper("TopK", mapTopK) }

// mapTopK: TopK with a constant k, largest = 1, sorted = 1, along an axis
// of at most 128 values → ops.TopK (values, and indices as int8).
func mapTopK(gi *graphImporter, _ int, n *onnxpb.NodeProto) error {
	x, xs, err := gi.act(n, 0)
	if err != nil {
		return err
	}
	if attrInt(n, "largest", 1) != 1 || attrInt(n, "sorted", 1) != 1 {
		return gi.refuse("largest = %d, sorted = %d: the k largest, sorted, only", attrInt(n, "largest", 1), attrInt(n, "sorted", 1))
	}
	ks, err := gi.constInts(n, 1)
	if err != nil {
		return err
	}
	if len(ks) != 1 || ks[0] < 1 || ks[0] > ops.MaxArgMaxAxis {
		return gi.refuse("k %v: one k in 1..%d", ks, ops.MaxArgMaxAxis)
	}
	t := &ops.TopK{K: int(ks[0]), Axis: int(attrInt(n, "axis", -1))}
	if _, err := t.OutShapes([][]int{xs}); err != nil {
		return gi.refuse("%v", err)
	}
	outs := slices.Clone(n.GetOutput())
	if len(outs) != 2 {
		return fmt.Errorf("%w: TopK with %d outputs, want 2", quant.ErrValidation, len(outs))
	}
	for k, o := range outs {
		if o == "" {
			outs[k] = fmt.Sprintf("%s/topk_unused_%d", outs[1-k], k)
		}
	}
	if outs[0] == outs[1] {
		return fmt.Errorf("%w: TopK writes %q twice", quant.ErrValidation, outs[0])
	}
	return gi.node(n, "", t, []string{x}, outs)
}

// whereBoth: Where(c, a, b) with a constant condition and two activations
// → a and b flattened and concatenated (ops.Concat: the coarser fraction,
// the finer branch requantized by a rounding shift, as ops.QWhere aligns
// its branches), then an index map picking a's or b's value per position.
func (gi *graphImporter) whereBoth(n *onnxpb.NodeProto) error {
	out, err := gi.oneOutput(n)
	if err != nil {
		return err
	}
	a, as, err := gi.act(n, 1)
	if err != nil {
		return err
	}
	b, bs, err := gi.act(n, 2)
	if err != nil {
		return err
	}
	cond, err := gi.constTensor(n, 0)
	if err != nil {
		return err
	}
	if len(cond.dims) > quant.MaxRank {
		return fmt.Errorf("%w: Where condition of rank %d", quant.ErrShape, len(cond.dims))
	}
	os, err := broadcastAll(cond.dims, as, bs)
	if err != nil {
		return err
	}
	if err := gi.mapShape(os); err != nil {
		return err
	}
	na, nb := quant.ShapeSize(as), quant.ShapeSize(bs)
	if err := quant.CheckShape([]int{na + nb}); err != nil {
		return err
	}
	fa, fb, cat := out+"/where_a", out+"/where_b", out+"/where_ab"
	if err := gi.node(n, "_a", &ops.Reshape{Shape: []int{na}}, []string{a}, []string{fa}); err != nil {
		return err
	}
	if err := gi.node(n, "_b", &ops.Reshape{Shape: []int{nb}}, []string{b}, []string{fb}); err != nil {
		return err
	}
	if err := gi.node(n, "_ab", &ops.Concat{Axis: 0}, []string{fa, fb}, []string{cat}); err != nil {
		return err
	}
	ic, ia, ib := ops.BroadcastIndex(cond.dims, os), ops.BroadcastIndex(as, os), ops.BroadcastIndex(bs, os)
	idx := make([]int, len(ic))
	for p := range idx {
		if cond.data[ic[p]] != 0 {
			idx[p] = ia[p]
		} else {
			idx[p] = na + ib[p]
		}
	}
	return gi.indexMap(n, "", cat, os, idx, nil, out)
}
