package ops

import (
	"fmt"
	"slices"

	"github.com/zkinfer/zkinfer/quant"
)

// Causality rules (quant.CausalOp, quant.CheckCausal): for every op an LM
// export uses, which input elements each output element may read. A rule
// over-approximates (reading more is always sound) and returns an error
// for anything it does not understand; ops without a rule make their
// outputs depend on every position. A new op that moves rows position by
// position (a packed-row gather) gets a rule like QGather's: output row i
// reads id i.

func errCausal(kind string, format string, a ...any) error {
	return fmt.Errorf("%w: %s causality rule: %s", quant.ErrValidation, kind, fmt.Sprintf(format, a...))
}

// identity: output i reads input i (elementwise ops of equal shapes).
func causalSame(kind string, in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	if len(ds) != 1 || len(out) != 1 || !slices.Equal(in[0].Shape, out[0].Shape) {
		return nil, errCausal(kind, "shapes")
	}
	src := make([]int, out[0].Size())
	for i := range src {
		src[i] = i
	}
	return []quant.Deps{quant.CausalElementwise(ds, [][]int{src}, len(src))}, nil
}

// causalLastRows: row-wise over the last axis, of inRow input and outRow
// output elements (0: any).
func causalLastRows(kind string, in []quant.Value, ds []quant.Deps, out []quant.Value, inRow, outRow int) ([]quant.Deps, error) {
	if len(ds) != 1 || len(out) != 1 || len(in[0].Shape) == 0 || len(out[0].Shape) == 0 {
		return nil, errCausal(kind, "shapes")
	}
	x, y := in[0].Shape, out[0].Shape
	if (inRow != 0 && x[len(x)-1] != inRow) || (outRow != 0 && y[len(y)-1] != outRow) {
		return nil, errCausal(kind, "rows of %d → %d for %v → %v", inRow, outRow, x, y)
	}
	if in[0].Size()/x[len(x)-1] != out[0].Size()/y[len(y)-1] {
		return nil, errCausal(kind, "rows of %v and %v differ", x, y)
	}
	d, err := quant.CausalRows(ds[0], x[len(x)-1], y[len(y)-1])
	if err != nil {
		return nil, errCausal(kind, "%v", err)
	}
	return []quant.Deps{d}, nil
}

// Gather: output row i (D table values) is row ids[i] of a constant table:
// it reads id i only.
func (q *QGather) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	if len(ds) != 1 || len(out) != 1 || q.D < 1 || out[0].Size() != in[0].Size()*q.D {
		return nil, errCausal("gather", "shapes")
	}
	src := make([]int, out[0].Size())
	for i := range src {
		src[i] = i / q.D
	}
	return []quant.Deps{quant.CausalElementwise(ds, [][]int{src}, len(src))}, nil
}

func (q *QAffine) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	return causalSame("affine", in, ds, out)
}

func (*QUnary) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	return causalSame("unary", in, ds, out)
}

func (*QReLU) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	return causalSame("relu", in, ds, out)
}

// Binary: broadcast elementwise.
func (q *QBinary) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	if len(ds) != 2 || len(out) != 1 {
		return nil, errCausal("binary", "arity")
	}
	shape, err := BroadcastShape(in[0].Shape, in[1].Shape)
	if err != nil || !slices.Equal(shape, out[0].Shape) {
		return nil, errCausal("binary", "shapes")
	}
	srcs := [][]int{BroadcastIndex(in[0].Shape, shape), BroadcastIndex(in[1].Shape, shape)}
	return []quant.Deps{quant.CausalElementwise(ds, srcs, out[0].Size())}, nil
}

// Linear, the norms, softmax and rope work on rows of the last axis.
func (q *QLinear) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	return causalLastRows("linear", in, ds, out, q.In, q.Out)
}

func (q *QLayerNorm) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	return causalLastRows("layernorm", in, ds, out, q.D, q.D)
}

func (q *QRMSNorm) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	return causalLastRows("rmsnorm", in, ds, out, q.D, q.D)
}

func (q *QSoftmax) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	if len(in) != 1 || len(in[0].Shape) == 0 {
		return nil, errCausal("softmax", "shapes")
	}
	d := in[0].Shape[len(in[0].Shape)-1]
	return causalLastRows("softmax", in, ds, out, d, d)
}

// Rope: element (r, c) combines x[r, c] and x[r, partner(c)] with constants
// of position r: it reads its row.
func (q *QRope) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	return causalLastRows("rope", in, ds, out, q.Cols, q.Cols)
}

// MaskedSoftmax: a kept position reads the row's kept positions; a masked
// one is exactly 0 (DepZero).
func (q *QMaskedSoftmax) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	c := q.Cols
	n := in[0].Size()
	if len(ds) != 1 || len(out) != 1 || c < 1 || q.Rows < 1 || len(q.Keep) != q.Rows*c || n%c != 0 || out[0].Size() != n {
		return nil, errCausal("masked_softmax", "shapes")
	}
	d := quant.NewDeps(n)
	for r := 0; r < n; r += c {
		keep := q.KeepRow(r / c)
		dep, pos := quant.DepConst, quant.PosNone
		for j, k := range keep {
			if k == 1 {
				dep, pos = max(dep, nz(ds[0].Dep[r+j])), quant.JoinPos(pos, ds[0].Pos[r+j])
			}
		}
		for j, k := range keep {
			switch k {
			case 1:
				d.Dep[r+j], d.Pos[r+j] = dep, pos
			case 0:
				d.Dep[r+j] = quant.DepZero
			default:
				return nil, errCausal("masked_softmax", "keep value %d", k)
			}
		}
	}
	return []quant.Deps{d}, nil
}

func nz(x int32) int32 { return max(x, quant.DepConst) }

// Moves: reshape, transpose, slice, index_map copy elements.
func (r *Reshape) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	if len(ds) != 1 || len(out) != 1 || in[0].Size() != out[0].Size() {
		return nil, errCausal("reshape", "sizes")
	}
	src := make([]int, out[0].Size())
	for i := range src {
		src[i] = i
	}
	return []quant.Deps{quant.CausalMove(ds[0], src, nil)}, nil
}

func (t *Transpose) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	if len(ds) != 1 || len(out) != 1 || len(t.Perm) != len(in[0].Shape) {
		return nil, errCausal("transpose", "perm %v for %v", t.Perm, in[0].Shape)
	}
	return causalMoveChecked("transpose", ds[0], t.Index(in[0].Shape), out[0].Size(), nil)
}

func (q *QSlice) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	if len(ds) != 1 || len(out) != 1 || len(q.Starts) != len(in[0].Shape) || len(q.Steps) != len(in[0].Shape) || len(out[0].Shape) != len(in[0].Shape) {
		return nil, errCausal("slice", "shapes")
	}
	return causalMoveChecked("slice", ds[0], q.Index(in[0].Shape, out[0].Shape), out[0].Size(), nil)
}

func (q *QIndexMap) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	if len(ds) != 1 || len(out) != 1 {
		return nil, errCausal("index_map", "arity")
	}
	zeros := make([]bool, len(q.Const))
	for i, c := range q.Const {
		zeros[i] = c == 0
	}
	return causalMoveChecked("index_map", ds[0], q.Index, out[0].Size(), zeros)
}

func causalMoveChecked(kind string, d quant.Deps, src []int, n int, zeros []bool) ([]quant.Deps, error) {
	if len(src) != n {
		return nil, errCausal(kind, "%d sources for %d outputs", len(src), n)
	}
	for _, j := range src {
		if j >= len(d.Dep) || (j < 0 && -1-j >= len(zeros)) {
			return nil, errCausal(kind, "source %d of %d", j, len(d.Dep))
		}
	}
	return []quant.Deps{quant.CausalMove(d, src, zeros)}, nil
}

// Concat: output p copies one element of one input (requantized when that
// input's shift is not 0: then no longer known to be 0).
func (q *QConcat) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	if len(ds) != len(in) || len(out) != 1 || len(q.Shifts) != len(in) {
		return nil, errCausal("concat", "arity")
	}
	shapes := make([][]int, len(in))
	for k, v := range in {
		shapes[k] = v.Shape
	}
	src, pos, err := q.Sources(shapes)
	if err != nil || len(src) != out[0].Size() || len(pos) != len(src) {
		return nil, errCausal("concat", "sources: %v", err)
	}
	d := quant.NewDeps(len(src))
	for p, k := range src {
		if k < 0 || k >= len(ds) || pos[p] < 0 || pos[p] >= len(ds[k].Dep) {
			return nil, errCausal("concat", "source %d.%d", k, pos[p])
		}
		d.Dep[p], d.Pos[p] = ds[k].Dep[pos[p]], ds[k].Pos[pos[p]]
		if q.Shifts[k] != 0 {
			d.Dep[p] = nz(d.Dep[p])
		}
	}
	return []quant.Deps{d}, nil
}

// Reduce: output o reads its group (a reduction over the sequence axis
// reads every position).
func (q *QReduce) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	r := len(in[0].Shape)
	if len(ds) != 1 || len(out) != 1 {
		return nil, errCausal("reduce", "arity")
	}
	for _, a := range q.Axes {
		if a < 0 || a >= r {
			return nil, errCausal("reduce", "axis %d of rank %d", a, r)
		}
	}
	groups, n := ReduceGroups(in[0].Shape, q.Axes)
	if n < 1 || len(groups) != n*out[0].Size() {
		return nil, errCausal("reduce", "groups")
	}
	d := quant.NewDeps(out[0].Size())
	for o := range out[0].Size() {
		for _, p := range groups[o*n : (o+1)*n] {
			d.Join(o, ds[0], p)
		}
	}
	return []quant.Deps{d}, nil
}

// MatMul of two activations: C[b, i, j] = Σ_e A[b, i, e]·B[b, e, j]; a
// term with an exactly-zero factor (a masked softmax weight) reads
// nothing: P·V under a causal mask reads V's rows ≤ i.
func (q *QMatMul) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	if len(ds) != 2 || len(out) != 1 {
		return nil, errCausal("matmul", "arity")
	}
	_, n, k, m, shape, err := matmulShape(in[0].Shape, in[1].Shape)
	if err != nil || !slices.Equal(shape, out[0].Shape) {
		return nil, errCausal("matmul", "shapes")
	}
	ia, ib, err := MatMulIndex(in[0].Shape, in[1].Shape)
	if err != nil {
		return nil, errCausal("matmul", "%v", err)
	}
	a, b := ds[0], ds[1]
	d := quant.NewDeps(out[0].Size())
	for t := range ia {
		pa, pb, py := ia[t]*n*k, ib[t]*k*m, t*n*m
		for i := range n {
			for j := range m {
				o := py + i*m + j
				for e := range k {
					x, y := pa+i*k+e, pb+e*m+j
					if a.Dep[x] == quant.DepZero || b.Dep[y] == quant.DepZero {
						continue
					}
					d.Join(o, a, x)
					d.Join(o, b, y)
				}
			}
		}
	}
	return []quant.Deps{d}, nil
}

// Attention: output row i (any head) reads query row i, the key rows whose
// scores row i computes and the value rows that get weight in row i: every
// row under mask none; rows ≤ i under causal; under a const mask the
// row's positions before its excluded ones (a constant logit still weights
// its value row), computed ones also reading their key row. Rows are read
// whole (every head): an over-approximation.
func (q *QAttention) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	if len(ds) != 3 || len(out) != 1 {
		return nil, errCausal("attention", "arity")
	}
	t, s, _, _, _, err := q.Dims(in)
	if err != nil {
		return nil, errCausal("attention", "%v", err)
	}
	qr, kr, vr, or := in[0].Size()/t, in[1].Size()/s, in[2].Size()/s, out[0].Size()/t
	if qr*t != in[0].Size() || kr*s != in[1].Size() || vr*s != in[2].Size() || or*t != out[0].Size() {
		return nil, errCausal("attention", "rows")
	}
	switch q.Mask {
	case MaskNone, MaskCausal:
	case MaskConst:
		if len(q.Mode) != t*s {
			return nil, errCausal("attention", "const mask of %d positions", len(q.Mode))
		}
	default:
		return nil, errCausal("attention", "mask %q", q.Mask)
	}
	rowDeps := func(d quant.Deps, w int) ([]int32, []int32) {
		dep, pos := make([]int32, len(d.Dep)/w), make([]int32, len(d.Dep)/w)
		for r := range dep {
			dep[r], pos[r] = quant.DepConst, quant.PosNone
			for e := r * w; e < (r+1)*w; e++ {
				dep[r], pos[r] = max(dep[r], nz(d.Dep[e])), quant.JoinPos(pos[r], d.Pos[e])
			}
		}
		return dep, pos
	}
	qd, qp := rowDeps(ds[0], qr)
	kd, kp := rowDeps(ds[1], kr)
	vd, vp := rowDeps(ds[2], vr)
	d := quant.NewDeps(out[0].Size())
	for i := range t {
		dep, pos := qd[i], qp[i]
		for j := range q.Cols(i, s) {
			mode, _ := q.Position(i, j, s)
			switch mode {
			case AttnComputed:
				dep, pos = max(dep, kd[j]), quant.JoinPos(pos, kp[j])
			case AttnConst:
			default:
				return nil, errCausal("attention", "mask mode %d", mode)
			}
			dep, pos = max(dep, vd[j]), quant.JoinPos(pos, vp[j])
		}
		for e := i * or; e < (i+1)*or; e++ {
			d.Dep[e], d.Pos[e] = dep, pos
		}
	}
	return []quant.Deps{d}, nil
}

// causalBroadcast: elementwise over inputs that broadcast to the output.
func causalBroadcast(kind string, in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	if len(in) == 0 || len(ds) != len(in) || len(out) != 1 {
		return nil, errCausal(kind, "arity")
	}
	srcs := make([][]int, len(in))
	for k, v := range in {
		if s, err := BroadcastShape(v.Shape, out[0].Shape); err != nil || !slices.Equal(s, out[0].Shape) {
			return nil, errCausal(kind, "input %v does not broadcast to %v", v.Shape, out[0].Shape)
		}
		srcs[k] = BroadcastIndex(v.Shape, out[0].Shape)
	}
	return []quant.Deps{quant.CausalElementwise(ds, srcs, out[0].Size())}, nil
}

// Compare, logic, min/max, prelu, residual, index_equal: elementwise
// (broadcast).
func (q *QCompare) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	return causalBroadcast("compare", in, ds, out)
}

func (l *Logic) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	return causalBroadcast("logic", in, ds, out)
}

func (q *QMinMax) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	return causalBroadcast("minmax", in, ds, out)
}

func (q *QPRelu) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	return causalSame("prelu", in, ds, out) // the slopes are constants
}

func (*QResidual) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	if len(in) != 2 || !slices.Equal(in[0].Shape, in[1].Shape) {
		return nil, errCausal("residual", "shapes")
	}
	return causalBroadcast("residual", in, ds, out)
}

func (q *IndexEqual) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	return causalSame("index_equal", in, ds, out)
}

// Where: y = b + c·(a − b) reads its condition and both branches (a
// constant condition is still not known to the analysis: both branches
// count); exactly 0 where both branches are (a constant 0 branch or an
// exactly-zero element).
func (q *QWhere) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	d, err := causalBroadcast("where", in, ds, out)
	if err != nil {
		return nil, err
	}
	// The branches' inputs: a constant branch is DepZero when it is 0.
	var branch []int // input index of a, b; −1 a constant 0; −2 another constant
	constant := func(k *int64) int {
		if *k == 0 {
			return -1
		}
		return -2
	}
	switch {
	case q.ConstA != nil && q.ConstB == nil && len(in) == 2:
		branch = []int{constant(q.ConstA), 1}
	case q.ConstB != nil && q.ConstA == nil && len(in) == 2:
		branch = []int{1, constant(q.ConstB)}
	case q.ConstA == nil && q.ConstB == nil && len(in) == 3:
		branch = []int{1, 2}
	default:
		return nil, errCausal("where", "%d inputs with constant branches %v, %v", len(in), q.ConstA != nil, q.ConstB != nil)
	}
	srcs := make([][]int, len(in))
	for k, v := range in {
		srcs[k] = BroadcastIndex(v.Shape, out[0].Shape)
	}
	zero := func(b, p int) bool {
		switch {
		case b == -1:
			return true
		case b < 0:
			return false
		}
		return ds[b].Dep[srcs[b][p]] == quant.DepZero
	}
	for p := range d[0].Dep {
		if zero(branch[0], p) && zero(branch[1], p) {
			d[0].Dep[p], d[0].Pos[p] = quant.DepZero, quant.PosNone
		}
	}
	return d, nil
}

// Pad: a move; the padding is the constant 0 (DepZero).
func (p *Pad) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	if len(ds) != 1 || len(out) != 1 || len(p.Pads) != 2*len(in[0].Shape) || len(out[0].Shape) != len(in[0].Shape) {
		return nil, errCausal("pad", "shapes")
	}
	return causalMoveChecked("pad", ds[0], p.Index(in[0].Shape, out[0].Shape), out[0].Size(), []bool{true})
}

// OneHot: output row i (Depth values) reads index i.
func (o *OneHot) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	if len(ds) != 1 || len(out) != 1 || o.Depth < 1 || out[0].Size() != in[0].Size()*o.Depth {
		return nil, errCausal("onehot", "shapes")
	}
	src := make([]int, out[0].Size())
	for i := range src {
		src[i] = i / o.Depth
	}
	return []quant.Deps{quant.CausalElementwise(ds, [][]int{src}, len(src))}, nil
}

// GatherElements: output p reads index p and every candidate along the
// axis (which one is chosen depends on the index).
func (g *GatherElements) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	if len(ds) != 2 || len(out) != 1 || !slices.Equal(in[1].Shape, out[0].Shape) {
		return nil, errCausal("gather_elements", "shapes")
	}
	base, st, n, err := g.Rows(in[0].Shape, in[1].Shape)
	if err != nil || len(base) != out[0].Size() {
		return nil, errCausal("gather_elements", "%v", err)
	}
	d := quant.NewDeps(len(base))
	for p, b := range base {
		d.Join(p, ds[1], p)
		for j := range n {
			d.Join(p, ds[0], b+j*st)
		}
	}
	return []quant.Deps{d}, nil
}

// causalGroups: output element o of every output reads group group(o) of
// n input positions (groups as ReduceGroups returns them).
func causalGroups(d quant.Deps, groups []int, n int, outs []quant.Value, group func(o int) int) []quant.Deps {
	res := make([]quant.Deps, len(outs))
	for k, v := range outs {
		res[k] = quant.NewDeps(v.Size())
		for o := range v.Size() {
			gi := group(o)
			for _, p := range groups[gi*n : (gi+1)*n] {
				res[k].Join(o, d, p)
			}
		}
	}
	return res
}

// ArgMax, argmax_index: output o reads its group along the axis (over the
// sequence axis: every position).
func (a *ArgMax) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	return causalArgmax("argmax", a.Groups, in, ds, out)
}

func (a *ArgMaxIndex) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	return causalArgmax("argmax_index", a.Groups, in, ds, out)
}

func causalArgmax(kind string, groupsOf func([]int) ([]int, int, error), in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	if len(ds) != 1 || len(out) != 1 {
		return nil, errCausal(kind, "arity")
	}
	groups, n, err := groupsOf(in[0].Shape)
	if err != nil || n < 1 || len(groups) != n*out[0].Size() {
		return nil, errCausal(kind, "groups: %v", err)
	}
	return causalGroups(ds[0], groups, n, out, func(o int) int { return o }), nil
}

// TopK: values and indices at (outer, k, inner) read group (outer, inner)
// along the axis.
func (t *TopK) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	if len(ds) != 1 || len(out) != 2 {
		return nil, errCausal("topk", "arity")
	}
	axis, n, shape, err := t.resolve(in[0].Shape)
	if err != nil || !slices.Equal(shape, out[0].Shape) || !slices.Equal(shape, out[1].Shape) {
		return nil, errCausal("topk", "shapes: %v", err)
	}
	groups, gn := ReduceGroups(in[0].Shape, []int{axis})
	if gn != n {
		return nil, errCausal("topk", "groups")
	}
	inner := quant.ShapeSize(in[0].Shape[axis+1:])
	return causalGroups(ds[0], groups, n, out, func(o int) int {
		return o/(inner*t.K)*inner + o%inner
	}), nil
}

// windowDeps is the rule of convolutions and pools: output o reads the
// input positions of its window (idx, −1: padding; exactly-zero elements
// read nothing, as in a product). An output's position (naming only) is
// that of the input at its own spatial coordinate when the op keeps the
// spatial size (a "same" or causal convolution over time reads earlier
// positions of its own), else the window's.
func windowDeps(d quant.Deps, out int, g *geom, forEach func(fn func(o, plane int, idx []int))) quant.Deps {
	r := quant.NewDeps(out)
	same := slices.Equal(g.in, g.out)
	forEach(func(o, plane int, idx []int) {
		dep, pos := quant.DepConst, quant.PosNone
		for _, p := range idx {
			if p < 0 || d.Dep[p] == quant.DepZero {
				continue
			}
			dep = max(dep, d.Dep[p])
			if !same {
				pos = quant.JoinPos(pos, d.Pos[p])
			}
		}
		if same {
			for _, p := range idx {
				if p >= 0 && p%g.inPlane == plane {
					pos = quant.JoinPos(pos, d.Pos[p])
				}
			}
		}
		r.Dep[o], r.Pos[o] = dep, pos
	})
	return r
}

// Conv (and conv_transpose): output (n, j, o) reads the patch of its
// group's input channels; a convolution over the sequence axis is causal
// only when no tap reaches a later position (left padding only, or the
// later outputs sliced away).
func (q *QConv) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	if len(ds) != 1 || len(out) != 1 || q.Group < 1 {
		return nil, errCausal(q.Kind(), "arity")
	}
	g, err := q.geometry(in[0].Shape)
	if err != nil || out[0].Size() != g.n*q.Dense.Out*g.outPlane || len(ds[0].Dep) != in[0].Size() {
		return nil, errCausal(q.Kind(), "geometry: %v", err)
	}
	og := q.Dense.Out / q.Group
	d := windowDeps(ds[0], out[0].Size(), g, func(fn func(o, plane int, idx []int)) {
		g.forEachPatch(q.Group, func(n, grp, o int, idx []int) {
			fn((n*q.Dense.Out+grp*og)*g.outPlane+o, o, idx)
		})
	})
	// Copy the first output channel of each group to the group's others.
	for n := range g.n {
		for grp := range q.Group {
			for j := grp*og + 1; j < (grp+1)*og; j++ {
				src, dst := (n*q.Dense.Out+grp*og)*g.outPlane, (n*q.Dense.Out+j)*g.outPlane
				copy(d.Dep[dst:dst+g.outPlane], d.Dep[src:src+g.outPlane])
				copy(d.Pos[dst:dst+g.outPlane], d.Pos[src:src+g.outPlane])
			}
		}
	}
	return []quant.Deps{d}, nil
}

// Pools: output (n, c, o) reads its window of channel c.
func (q *QMaxPool) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	return causalPool("max_pool", q.Window, in, ds, out)
}

func (q *QAvgPool) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	return causalPool("avg_pool", q.Window, in, ds, out)
}

func causalPool(kind string, w Window, in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	if len(ds) != 1 || len(out) != 1 {
		return nil, errCausal(kind, "arity")
	}
	g, err := poolGeometry(w, in[0].Shape)
	if err != nil || out[0].Size() != g.n*g.c*g.outPlane || len(ds[0].Dep) != in[0].Size() {
		return nil, errCausal(kind, "geometry: %v", err)
	}
	return []quant.Deps{windowDeps(ds[0], out[0].Size(), g, func(fn func(o, plane int, idx []int)) {
		g.forEachWindow(func(o int, idx []int) { fn(o, o%g.outPlane, idx) })
	})}, nil
}

// The ops above implement quant.CausalOp.
var (
	_ quant.CausalOp = (*QGather)(nil)
	_ quant.CausalOp = (*QAttention)(nil)
	_ quant.CausalOp = (*QMatMul)(nil)
	_ quant.CausalOp = (*QMaskedSoftmax)(nil)
	_ quant.CausalOp = (*QIndexMap)(nil)
	_ quant.CausalOp = (*Reshape)(nil)
	_ quant.CausalOp = (*QCompare)(nil)
	_ quant.CausalOp = (*QWhere)(nil)
	_ quant.CausalOp = (*Logic)(nil)
	_ quant.CausalOp = (*QMinMax)(nil)
	_ quant.CausalOp = (*QPRelu)(nil)
	_ quant.CausalOp = (*QResidual)(nil)
	_ quant.CausalOp = (*IndexEqual)(nil)
	_ quant.CausalOp = (*Pad)(nil)
	_ quant.CausalOp = (*OneHot)(nil)
	_ quant.CausalOp = (*GatherElements)(nil)
	_ quant.CausalOp = (*ArgMax)(nil)
	_ quant.CausalOp = (*ArgMaxIndex)(nil)
	_ quant.CausalOp = (*TopK)(nil)
	_ quant.CausalOp = (*QConv)(nil)
	_ quant.CausalOp = (*QMaxPool)(nil)
	_ quant.CausalOp = (*QAvgPool)(nil)
)
