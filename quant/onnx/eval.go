package onnx

import (
	"fmt"
	"math"
	"slices"

	"github.com/x448/float16"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx/onnxpb"
)

// The evaluator runs a whole graph on float64 tensors. The GPT-2 importer
// uses it to fold the shape arithmetic of an export and to check that the
// layers it extracted compute what the graph computes: weights are picked by
// structure, correctness is decided by numbers.

// evalOps are the op types the evaluator runs.
var evalOps = []string{"Add", "Cast", "Concat", "Constant", "ConstantOfShape", "Div", "Equal", "Erf", "Expand", "Gather", "Gelu", "Gemm",
	"Identity", "LayerNormalization", "MatMul", "Mul", "Neg", "Pow", "ReduceMean", "Relu", "Reshape", "Shape", "Slice", "Softmax",
	"Split", "Sqrt", "Squeeze", "Sub", "Tanh", "Transpose", "Unsqueeze", "Where"}

func numel(dims []int) (int, error) {
	n := 1
	for _, d := range dims {
		if d < 0 || (d > 0 && n > MaxEvalElements/d) {
			return 0, fmt.Errorf("%w: tensor of shape %v is too large (at most %d elements)", quant.ErrValidation, dims, MaxEvalElements)
		}
		n *= d
	}
	return n, nil
}

func strides(dims []int) []int {
	s := make([]int, len(dims))
	acc := 1
	for i := len(dims) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= dims[i]
	}
	return s
}

// newTensor allocates a computed tensor once the budget allows it.
func newTensor(b *budget, dims []int) (*tensor, error) {
	n, err := numel(dims)
	if err != nil {
		return nil, err
	}
	if err := b.compute(n); err != nil {
		return nil, err
	}
	return &tensor{dims: slices.Clone(dims), data: make([]float64, n)}, nil
}

// broadcastDims is numpy's broadcasting rule.
func broadcastDims(ts ...*tensor) ([]int, error) {
	r := 0
	for _, t := range ts {
		r = max(r, len(t.dims))
	}
	out := make([]int, r)
	for i := range out {
		out[i] = 1
	}
	for _, t := range ts {
		off := r - len(t.dims)
		for i, d := range t.dims {
			switch {
			case out[off+i] == 1:
				out[off+i] = d
			case d != 1 && d != out[off+i]:
				return nil, fmt.Errorf("%w: shapes %v do not broadcast", quant.ErrShape, dimsOf(ts))
			}
		}
	}
	return out, nil
}

func dimsOf(ts []*tensor) [][]int {
	out := make([][]int, len(ts))
	for i, t := range ts {
		out[i] = t.dims
	}
	return out
}

// elementwise applies f over broadcast operands.
func elementwise(b *budget, f func(v []float64) float64, ts ...*tensor) (*tensor, error) {
	dims, err := broadcastDims(ts...)
	if err != nil {
		return nil, err
	}
	return elementwiseTo(b, dims, f, ts...)
}

// elementwiseTo applies f over operands broadcast to dims, which the caller
// has checked they broadcast to.
func elementwiseTo(b *budget, dims []int, f func(v []float64) float64, ts ...*tensor) (*tensor, error) {
	out, err := newTensor(b, dims)
	if err != nil {
		return nil, err
	}
	args := make([]float64, len(ts))
	// The common cases, operands of the output's size or single values,
	// index directly.
	direct := true
	for _, t := range ts {
		direct = direct && (len(t.data) == len(out.data) && len(t.dims) <= len(dims) || len(t.data) == 1)
	}
	if direct {
		for i := range out.data {
			for k, t := range ts {
				args[k] = t.data[min(i, len(t.data)-1)]
			}
			out.data[i] = f(args)
		}
		return out, nil
	}
	ost := strides(dims)
	sts := make([][]int, len(ts))
	for k, t := range ts {
		st := strides(t.dims)
		full := make([]int, len(dims))
		off := len(dims) - len(t.dims)
		for i, d := range t.dims {
			if d != 1 {
				full[off+i] = st[i]
			}
		}
		sts[k] = full
	}
	for i := range out.data {
		for k, t := range ts {
			idx, rem := 0, i
			for a := range dims {
				c := rem / ost[a]
				rem %= ost[a]
				idx += c * sts[k][a]
			}
			args[k] = t.data[idx]
		}
		out.data[i] = f(args)
	}
	return out, nil
}

func axisOf(a, rank int) (int, error) {
	if a < 0 {
		a += rank
	}
	if a < 0 || a >= rank {
		return 0, fmt.Errorf("%w: axis %d out of range for rank %d", quant.ErrValidation, a, rank)
	}
	return a, nil
}

func attrs(n *onnxpb.NodeProto) map[string]*onnxpb.AttributeProto {
	m := map[string]*onnxpb.AttributeProto{}
	for _, a := range n.GetAttribute() {
		m[a.GetName()] = a
	}
	return m
}

// ints converts an integer tensor held as float64. Exporters write "to the
// end" as INT64_MAX (and "from the start" as INT64_MIN), which float64 does
// not hold exactly: such values saturate instead of wrapping.
func ints(t *tensor) []int {
	out := make([]int, len(t.data))
	for i, v := range t.data {
		switch {
		case v >= 1<<62:
			out[i] = math.MaxInt
		case v <= -(1 << 62):
			out[i] = math.MinInt
		case math.IsNaN(v):
			out[i] = 0
		default:
			out[i] = int(v)
		}
	}
	return out
}

// transposeND permutes the axes of t.
func transposeND(b *budget, t *tensor, perm []int) (*tensor, error) {
	r := len(t.dims)
	if perm == nil {
		for i := r - 1; i >= 0; i-- {
			perm = append(perm, i)
		}
	}
	if len(perm) != r {
		return nil, fmt.Errorf("%w: perm %v for rank %d", quant.ErrValidation, perm, r)
	}
	seen := make([]bool, r)
	for _, p := range perm {
		if p < 0 || p >= r || seen[p] {
			return nil, fmt.Errorf("%w: perm %v is not a permutation", quant.ErrValidation, perm)
		}
		seen[p] = true
	}
	dims := make([]int, r)
	for i, p := range perm {
		if p < 0 || p >= r {
			return nil, fmt.Errorf("%w: perm %v", quant.ErrValidation, perm)
		}
		dims[i] = t.dims[p]
	}
	out, err := newTensor(b, dims)
	if err != nil {
		return nil, err
	}
	ist, ost := strides(t.dims), strides(dims)
	for i := range out.data {
		idx, rem := 0, i
		for a := range dims {
			c := rem / ost[a]
			rem %= ost[a]
			idx += c * ist[perm[a]]
		}
		out.data[i] = t.data[idx]
	}
	return out, nil
}

// matmulND is numpy matmul for operands of rank ≥ 2, batch dims broadcast.
func matmulND(b *budget, x, y *tensor) (*tensor, error) {
	if len(x.dims) < 2 || len(y.dims) < 2 {
		return nil, fmt.Errorf("%w: MatMul of rank %d by rank %d (rank ≥ 2 supported)", quant.ErrValidation, len(x.dims), len(y.dims))
	}
	m, k := x.dims[len(x.dims)-2], x.dims[len(x.dims)-1]
	k2, n := y.dims[len(y.dims)-2], y.dims[len(y.dims)-1]
	if k != k2 {
		return nil, fmt.Errorf("%w: MatMul of %v by %v", quant.ErrShape, x.dims, y.dims)
	}
	xb := &tensor{dims: x.dims[:len(x.dims)-2]}
	yb := &tensor{dims: y.dims[:len(y.dims)-2]}
	batch, err := broadcastDims(xb, yb)
	if err != nil {
		return nil, err
	}
	dims := append(slices.Clone(batch), m, n)
	size, err := numel(dims)
	if err != nil {
		return nil, err
	}
	// size ≤ MaxEvalElements and k ≤ MaxTensorElements: the product fits.
	work := int64(size) * int64(k)
	if work > MaxMatMulWork {
		return nil, fmt.Errorf("%w: MatMul of %v by %v is too large (%d multiply-adds, at most %d)", quant.ErrValidation, x.dims, y.dims, work, MaxMatMulWork)
	}
	if err := b.work(work); err != nil {
		return nil, err
	}
	out, err := newTensor(b, dims)
	if err != nil {
		return nil, err
	}
	nb := size / max(1, m*n)
	bst := strides(batch)
	offset := func(t *tensor, bi int) int {
		tb := t.dims[:len(t.dims)-2]
		st := strides(tb)
		idx, rem, off := 0, bi, len(batch)-len(tb)
		for ax := range batch {
			c := rem / bst[ax]
			rem %= bst[ax]
			if ax >= off && tb[ax-off] != 1 {
				idx += c * st[ax-off]
			}
		}
		return idx * t.dims[len(t.dims)-2] * t.dims[len(t.dims)-1]
	}
	for bi := 0; bi < nb; bi++ {
		xo, yo := offset(x, bi), offset(y, bi)
		gemm(out.data[bi*m*n:(bi+1)*m*n], x.data[xo:xo+m*k], y.data[yo:yo+k*n], m, n, k, false, false)
	}
	return out, nil
}

// gemm sets c [m, n] to op(a)·op(b), op(a) [m, k] and op(b) [k, n], where op
// transposes the row-major matrix stored when its flag is set.
func gemm(c, a, b []float64, m, n, k int, transA, transB bool) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		clear(c)
		return
	}
	ga := blas64.General{Rows: m, Cols: k, Stride: k, Data: a}
	ta := blas.NoTrans
	if transA {
		ga, ta = blas64.General{Rows: k, Cols: m, Stride: m, Data: a}, blas.Trans
	}
	gb := blas64.General{Rows: k, Cols: n, Stride: n, Data: b}
	tb := blas.NoTrans
	if transB {
		gb, tb = blas64.General{Rows: n, Cols: k, Stride: k, Data: b}, blas.Trans
	}
	blas64.Gemm(ta, tb, 1, ga, gb, 0, blas64.General{Rows: m, Cols: n, Stride: n, Data: c})
}

// liveNodes marks the nodes whose outputs reach a graph output, and returns
// the names they read. Nodes are visited last to first, which finds them all
// in a topologically sorted graph (the only kind the importer runs).
func liveNodes(g *onnxpb.GraphProto) (live []bool, used map[string]bool) {
	used = map[string]bool{}
	for _, o := range g.GetOutput() {
		used[o.GetName()] = true
	}
	nodes := g.GetNode()
	live = make([]bool, len(nodes))
	for i := len(nodes) - 1; i >= 0; i-- {
		for _, o := range nodes[i].GetOutput() {
			live[i] = live[i] || o != "" && used[o]
		}
		if live[i] {
			for _, in := range nodes[i].GetInput() {
				used[in] = true
			}
		}
	}
	return live, used
}

// evalGraph runs the live nodes of g with the graph input bound to x and
// returns every value they compute. Tensors that do not depend on the input
// are not marked in dep.
func evalGraph(b *budget, g *onnxpb.GraphProto, live []bool, used map[string]bool, inputName string, x *tensor) (env map[string]*tensor, dep map[string]bool, err error) {
	// The ops check their operands, but a graph is untrusted input and an
	// overlooked case must fail the import, not take the process down.
	defer func() {
		if r := recover(); r != nil {
			env, dep, err = nil, nil, fmt.Errorf("onnx: %w: malformed graph: %v", quant.ErrValidation, r)
		}
	}()
	env, dep = map[string]*tensor{}, map[string]bool{}
	for _, t := range g.GetInitializer() {
		if !used[t.GetName()] {
			continue
		}
		ct, err := decodeTensor(b, t)
		if err != nil {
			return nil, nil, fmt.Errorf("onnx: initializer %q: %w", t.GetName(), err)
		}
		env[t.GetName()] = ct
	}
	env[inputName], dep[inputName] = x, true
	for i, n := range g.GetNode() {
		if !live[i] {
			continue
		}
		outs, err := evalNode(b, n, env)
		if err != nil {
			return nil, nil, fmt.Errorf("onnx: node %d %q (op %s): %w", i, n.GetName(), n.GetOpType(), err)
		}
		d := false
		for _, in := range n.GetInput() {
			d = d || dep[in]
		}
		for k, o := range n.GetOutput() {
			if k < len(outs) && o != "" {
				env[o], dep[o] = outs[k], d
			}
		}
	}
	return env, dep, nil
}

func evalNode(b *budget, n *onnxpb.NodeProto, env map[string]*tensor) ([]*tensor, error) {
	if n.GetDomain() != "" && n.GetDomain() != "ai.onnx" {
		return nil, fmt.Errorf("%w: operator domain %q is not supported (supported: the default ONNX domain)", quant.ErrValidation, n.GetDomain())
	}
	var in []*tensor
	for k, name := range n.GetInput() {
		if name == "" {
			in = append(in, nil)
			continue
		}
		t, ok := env[name]
		if !ok {
			return nil, fmt.Errorf("%w: input %d %q is not defined before this node", quant.ErrValidation, k, name)
		}
		in = append(in, t)
	}
	need := func(k int) error {
		if len(in) < k {
			return fmt.Errorf("%w: %d inputs, want %d", quant.ErrValidation, len(in), k)
		}
		for i := 0; i < k; i++ {
			if in[i] == nil {
				return fmt.Errorf("%w: input %d is missing", quant.ErrValidation, i)
			}
		}
		return nil
	}
	at := attrs(n)
	one := func(t *tensor, err error) ([]*tensor, error) { return []*tensor{t}, err }
	unary := func(f func(float64) float64) ([]*tensor, error) {
		if err := need(1); err != nil {
			return nil, err
		}
		return one(elementwise(b, func(v []float64) float64 { return f(v[0]) }, in[0]))
	}
	binary := func(f func(a, b float64) float64) ([]*tensor, error) {
		if err := need(2); err != nil {
			return nil, err
		}
		return one(elementwise(b, func(v []float64) float64 { return f(v[0], v[1]) }, in[0], in[1]))
	}
	b2f := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	switch n.GetOpType() {
	case "Constant":
		a, ok := at["value"]
		if !ok {
			if f, ok := at["value_float"]; ok {
				return []*tensor{{data: []float64{float64(f.GetF())}}}, b.constant(1)
			}
			if iv, ok := at["value_int"]; ok {
				return []*tensor{{data: []float64{float64(iv.GetI())}}}, b.constant(1)
			}
			if iv, ok := at["value_ints"]; ok {
				if err := b.constant(len(iv.GetInts())); err != nil {
					return nil, err
				}
				t := &tensor{dims: []int{len(iv.GetInts())}}
				for _, v := range iv.GetInts() {
					t.data = append(t.data, float64(v))
				}
				return []*tensor{t}, nil
			}
			return nil, fmt.Errorf("%w: Constant without a value", quant.ErrValidation)
		}
		return one(decodeTensor(b, a.GetT()))
	case "Identity":
		// Tensors are never written once computed: share the data.
		if err := need(1); err != nil {
			return nil, err
		}
		return []*tensor{in[0]}, nil
	case "Cast":
		to := onnxpb.TensorProto_DataType(at["to"].GetI())
		switch to {
		case onnxpb.TensorProto_BOOL:
			return unary(func(v float64) float64 { return b2f(v != 0) })
		case onnxpb.TensorProto_INT64, onnxpb.TensorProto_INT32:
			return unary(math.Trunc)
		case onnxpb.TensorProto_FLOAT:
			return unary(func(v float64) float64 { return float64(float32(v)) })
		case onnxpb.TensorProto_FLOAT16:
			return unary(func(v float64) float64 { return float64(float16.Fromfloat32(float32(v)).Float32()) })
		case onnxpb.TensorProto_DOUBLE:
			return unary(func(v float64) float64 { return v })
		}
		return nil, fmt.Errorf("%w: Cast to %s is not supported (supported: BOOL, INT32, INT64, FLOAT16, FLOAT, DOUBLE)", quant.ErrValidation, to)
	case "Add":
		return binary(func(a, b float64) float64 { return a + b })
	case "Sub":
		return binary(func(a, b float64) float64 { return a - b })
	case "Mul":
		return binary(func(a, b float64) float64 { return a * b })
	case "Div":
		return binary(func(a, b float64) float64 { return a / b })
	case "Pow":
		return binary(math.Pow)
	case "Equal":
		return binary(func(a, b float64) float64 { return b2f(a == b) })
	case "Sqrt":
		return unary(math.Sqrt)
	case "Erf":
		return unary(math.Erf)
	case "Tanh":
		return unary(math.Tanh)
	case "Neg":
		return unary(func(v float64) float64 { return -v })
	case "Relu":
		return unary(func(v float64) float64 { return math.Max(v, 0) })
	case "Gelu":
		if string(at["approximate"].GetS()) == "tanh" {
			return unary(quant.GELU)
		}
		return unary(func(v float64) float64 { return 0.5 * v * (1 + math.Erf(v/math.Sqrt2)) })
	case "Where":
		if err := need(3); err != nil {
			return nil, err
		}
		return one(elementwise(b, func(v []float64) float64 {
			if v[0] != 0 {
				return v[1]
			}
			return v[2]
		}, in[0], in[1], in[2]))
	case "Shape":
		if err := need(1); err != nil {
			return nil, err
		}
		// Opset 15's start and end select a range of the axes, clamped.
		r := len(in[0].dims)
		lo, hi := 0, r
		if a, ok := at["start"]; ok {
			lo = int(a.GetI())
		}
		if a, ok := at["end"]; ok {
			hi = int(a.GetI())
		}
		if lo < 0 {
			lo += r
		}
		if hi < 0 {
			hi += r
		}
		lo, hi = min(max(lo, 0), r), min(max(hi, 0), r)
		if err := b.compute(max(hi-lo, 0)); err != nil {
			return nil, err
		}
		t := &tensor{}
		for _, d := range in[0].dims[lo:max(lo, hi)] {
			t.data = append(t.data, float64(d))
		}
		t.dims = []int{len(t.data)}
		return []*tensor{t}, nil
	case "Range":
		// Range(start, limit, delta): nanoGPT's and BERT's positions.
		if err := need(3); err != nil {
			return nil, err
		}
		if len(in[0].data) != 1 || len(in[1].data) != 1 || len(in[2].data) != 1 {
			return nil, fmt.Errorf("%w: Range takes scalars", quant.ErrValidation)
		}
		start, limit, delta := in[0].data[0], in[1].data[0], in[2].data[0]
		steps := math.Ceil((limit - start) / delta)
		if delta == 0 || math.IsNaN(steps) || math.IsInf(steps, 0) || steps > quant.MaxTensorValues {
			return nil, fmt.Errorf("%w: Range(%v, %v, %v)", quant.ErrValidation, start, limit, delta)
		}
		t, err := newTensor(b, []int{int(max(steps, 0))})
		if err != nil {
			return nil, err
		}
		for i := range t.data {
			t.data[i] = start + float64(i)*delta
		}
		return []*tensor{t}, nil
	case "ConstantOfShape":
		if err := need(1); err != nil {
			return nil, err
		}
		if len(in[0].data) > MaxRank {
			return nil, fmt.Errorf("%w: ConstantOfShape of rank %d, at most %d", quant.ErrValidation, len(in[0].data), MaxRank)
		}
		t, err := newTensor(b, ints(in[0]))
		if err != nil {
			return nil, err
		}
		if v, ok := at["value"]; ok {
			c, err := decodeTensor(b, v.GetT())
			if err != nil || len(c.data) != 1 {
				return nil, fmt.Errorf("%w: ConstantOfShape value", quant.ErrValidation)
			}
			for i := range t.data {
				t.data[i] = c.data[0]
			}
		}
		return []*tensor{t}, nil
	case "Expand":
		if err := need(2); err != nil {
			return nil, err
		}
		if len(in[1].data) > MaxRank {
			return nil, fmt.Errorf("%w: Expand to rank %d, at most %d", quant.ErrValidation, len(in[1].data), MaxRank)
		}
		shape := ints(in[1])
		if _, err := numel(shape); err != nil {
			return nil, err
		}
		dims, err := broadcastDims(in[0], &tensor{dims: shape})
		if err != nil {
			return nil, err
		}
		return one(elementwiseTo(b, dims, func(v []float64) float64 { return v[0] }, in[0]))
	case "Unsqueeze", "Squeeze":
		if err := need(1); err != nil {
			return nil, err
		}
		var axes []int
		if a, ok := at["axes"]; ok {
			for _, v := range a.GetInts() {
				axes = append(axes, int(v))
			}
		} else if len(in) > 1 && in[1] != nil {
			axes = ints(in[1])
		}
		dims := slices.Clone(in[0].dims)
		if n.GetOpType() == "Unsqueeze" {
			r := len(dims) + len(axes)
			norm := make([]int, len(axes))
			for i, a := range axes {
				v, err := axisOf(a, r)
				if err != nil {
					return nil, err
				}
				norm[i] = v
			}
			slices.Sort(norm)
			for _, a := range norm {
				if a > len(dims) {
					return nil, fmt.Errorf("%w: Unsqueeze axes %v", quant.ErrValidation, axes)
				}
				dims = slices.Insert(dims, a, 1)
			}
		} else {
			if len(axes) == 0 {
				dims = slices.DeleteFunc(dims, func(d int) bool { return d == 1 })
			} else {
				var keep []int
				for i, d := range dims {
					drop := false
					for _, a := range axes {
						if v, err := axisOf(a, len(in[0].dims)); err == nil && v == i {
							drop = true
						}
					}
					if !drop || d != 1 {
						keep = append(keep, d)
					}
				}
				dims = keep
			}
		}
		return []*tensor{{dims: dims, data: in[0].data}}, nil
	case "Reshape":
		if err := need(2); err != nil {
			return nil, err
		}
		shape := ints(in[1])
		known, neg := 1, -1
		for i, s := range shape {
			switch {
			case s == 0 && i < len(in[0].dims):
				shape[i] = in[0].dims[i]
			case s == -1 && neg < 0:
				neg = i
				continue
			case s < 0:
				return nil, fmt.Errorf("%w: Reshape to %v", quant.ErrValidation, shape)
			}
			known *= shape[i]
		}
		if neg >= 0 && known > 0 {
			shape[neg] = len(in[0].data) / known
		}
		if n, err := numel(shape); err != nil || n != len(in[0].data) {
			return nil, fmt.Errorf("%w: Reshape of %v to %v", quant.ErrShape, in[0].dims, ints(in[1]))
		}
		return []*tensor{{dims: shape, data: in[0].data}}, nil
	case "Transpose":
		if err := need(1); err != nil {
			return nil, err
		}
		var perm []int
		if a, ok := at["perm"]; ok {
			for _, v := range a.GetInts() {
				perm = append(perm, int(v))
			}
		}
		return one(transposeND(b, in[0], perm))
	case "Concat":
		axis := int(at["axis"].GetI())
		if len(in) == 0 || in[0] == nil {
			return nil, fmt.Errorf("%w: Concat of nothing", quant.ErrValidation)
		}
		ax, err := axisOf(axis, len(in[0].dims))
		if err != nil {
			return nil, err
		}
		dims := slices.Clone(in[0].dims)
		dims[ax] = 0
		for _, t := range in {
			if t == nil || len(t.dims) != len(dims) {
				return nil, fmt.Errorf("%w: Concat of mismatched ranks", quant.ErrShape)
			}
			for i, d := range t.dims {
				if i != ax && d != dims[i] {
					return nil, fmt.Errorf("%w: Concat of %v and %v", quant.ErrShape, in[0].dims, t.dims)
				}
			}
			dims[ax] += t.dims[ax]
		}
		out, err := newTensor(b, dims)
		if err != nil {
			return nil, err
		}
		outer := 1
		for _, d := range dims[:ax] {
			outer *= d
		}
		pos := 0
		for o := 0; o < outer; o++ {
			for _, t := range in {
				chunk := len(t.data) / max(1, outer)
				if pos+chunk > len(out.data) {
					return nil, fmt.Errorf("%w: Concat of mismatched shapes", quant.ErrShape)
				}
				copy(out.data[pos:], t.data[o*chunk:(o+1)*chunk])
				pos += chunk
			}
		}
		return []*tensor{out}, nil
	case "Gather":
		if err := need(2); err != nil {
			return nil, err
		}
		data, idx := in[0], ints(in[1])
		ax, err := axisOf(int(at["axis"].GetI()), len(data.dims))
		if err != nil {
			return nil, err
		}
		outer, inner := 1, 1
		for _, d := range data.dims[:ax] {
			outer *= d
		}
		for _, d := range data.dims[ax+1:] {
			inner *= d
		}
		dims := append(append(slices.Clone(data.dims[:ax]), in[1].dims...), data.dims[ax+1:]...)
		out, err := newTensor(b, dims)
		if err != nil {
			return nil, err
		}
		pos := 0
		for o := 0; o < outer; o++ {
			for _, i := range idx {
				if i < 0 {
					i += data.dims[ax]
				}
				if i < 0 || i >= data.dims[ax] {
					return nil, fmt.Errorf("%w: Gather index out of range", quant.ErrValidation)
				}
				copy(out.data[pos:pos+inner], data.data[(o*data.dims[ax]+i)*inner:])
				pos += inner
			}
		}
		return []*tensor{out}, nil
	case "Slice":
		if err := need(3); err != nil {
			return nil, err
		}
		data := in[0]
		starts, ends := ints(in[1]), ints(in[2])
		axes := make([]int, len(starts))
		for i := range axes {
			axes[i] = i
		}
		if len(in) > 3 && in[3] != nil {
			axes = ints(in[3])
		}
		steps := make([]int, len(starts))
		for i := range steps {
			steps[i] = 1
		}
		if len(in) > 4 && in[4] != nil {
			steps = ints(in[4])
		}
		if len(ends) != len(starts) || len(axes) != len(starts) || len(steps) != len(starts) {
			return nil, fmt.Errorf("%w: Slice arguments of different lengths", quant.ErrValidation)
		}
		r := len(data.dims)
		lo, step, dims := make([]int, r), make([]int, r), slices.Clone(data.dims)
		for i := range step {
			step[i] = 1
		}
		for i, a := range axes {
			ax, err := axisOf(a, r)
			if err != nil {
				return nil, err
			}
			d := data.dims[ax]
			st := steps[i]
			if st == 0 {
				return nil, fmt.Errorf("%w: Slice step 0", quant.ErrValidation)
			}
			st = max(min(st, d+1), -d-1) // a step past the axis takes one element, as any larger one
			// ONNX's rules: negative indices count from the end; with a
			// positive step starts and ends clamp to [0, d], with a negative
			// one to [0, d−1] and [−1, d−1].
			norm := func(v int) int {
				if v < 0 {
					v += d
				}
				return v
			}
			s, e := norm(starts[i]), norm(ends[i])
			n := 0
			if st > 0 {
				s, e = min(max(s, 0), d), min(max(e, 0), d)
				if e > s {
					n = (e - s + st - 1) / st
				}
			} else {
				s, e = min(max(s, 0), d-1), min(max(e, -1), d-1)
				if s > e {
					n = (s - e - st - 1) / -st
				}
			}
			lo[ax], step[ax], dims[ax] = s, st, n
		}
		out, err := newTensor(b, dims)
		if err != nil {
			return nil, err
		}
		ist, ost := strides(data.dims), strides(dims)
		for i := range out.data {
			idx, rem := 0, i
			for a := range dims {
				c := rem / ost[a]
				rem %= ost[a]
				idx += (lo[a] + c*step[a]) * ist[a]
			}
			out.data[i] = data.data[idx]
		}
		return []*tensor{out}, nil
	case "Split":
		if err := need(1); err != nil {
			return nil, err
		}
		data := in[0]
		ax, err := axisOf(int(at["axis"].GetI()), len(data.dims))
		if err != nil {
			return nil, err
		}
		var sizes []int
		if a, ok := at["split"]; ok {
			for _, v := range a.GetInts() {
				sizes = append(sizes, int(v))
			}
		} else if len(in) > 1 && in[1] != nil {
			sizes = ints(in[1])
		} else {
			k := len(n.GetOutput())
			if k == 0 || data.dims[ax]%k != 0 {
				return nil, fmt.Errorf("%w: Split of %d into %d", quant.ErrShape, data.dims[ax], k)
			}
			for range k {
				sizes = append(sizes, data.dims[ax]/k)
			}
		}
		var outs []*tensor
		start := 0
		for _, s := range sizes {
			t, err := sliceAxis(b, data, ax, start, start+s)
			if err != nil {
				return nil, err
			}
			outs = append(outs, t)
			start += s
		}
		return outs, nil
	case "MatMul":
		if err := need(2); err != nil {
			return nil, err
		}
		return one(matmulND(b, in[0], in[1]))
	case "Gemm":
		if err := need(2); err != nil {
			return nil, err
		}
		alpha, beta := 1.0, 1.0
		if v, ok := at["alpha"]; ok {
			alpha = float64(v.GetF())
		}
		if v, ok := at["beta"]; ok {
			beta = float64(v.GetF())
		}
		y, err := gemmNode(b, in[0], in[1], at["transA"].GetI() != 0, at["transB"].GetI() != 0)
		if err != nil {
			return nil, err
		}
		if len(in) < 3 || in[2] == nil {
			return one(elementwise(b, func(v []float64) float64 { return alpha * v[0] }, y))
		}
		return one(elementwise(b, func(v []float64) float64 { return alpha*v[0] + beta*v[1] }, y, in[2]))
	case "ReduceMean":
		if err := need(1); err != nil {
			return nil, err
		}
		var axes []int
		if a, ok := at["axes"]; ok {
			for _, v := range a.GetInts() {
				axes = append(axes, int(v))
			}
		} else if len(in) > 1 && in[1] != nil {
			axes = ints(in[1])
		}
		if len(axes) == 0 {
			// No axes: all of them, or none with noop_with_empty_axes (opset 18).
			if at["noop_with_empty_axes"].GetI() != 0 {
				return []*tensor{in[0]}, nil
			}
			for i := range in[0].dims {
				axes = append(axes, i)
			}
		}
		keep := true
		if v, ok := at["keepdims"]; ok {
			keep = v.GetI() != 0
		}
		return one(reduceMean(b, in[0], axes, keep))
	case "Softmax":
		if err := need(1); err != nil {
			return nil, err
		}
		axis := -1
		if v, ok := at["axis"]; ok {
			axis = int(v.GetI())
		}
		ax, err := axisOf(axis, len(in[0].dims))
		if err != nil {
			return nil, err
		}
		if ax != len(in[0].dims)-1 {
			return nil, fmt.Errorf("%w: Softmax over axis %d (the last axis supported)", quant.ErrValidation, axis)
		}
		return one(softmaxLast(b, in[0]))
	case "LayerNormalization":
		if err := need(3); err != nil {
			return nil, err
		}
		eps := 1e-5
		if v, ok := at["epsilon"]; ok {
			eps = float64(v.GetF())
		}
		if v, ok := at["axis"]; ok && v.GetI() != -1 && int(v.GetI()) != len(in[0].dims)-1 {
			return nil, fmt.Errorf("%w: LayerNormalization over axis %d (the last axis supported)", quant.ErrValidation, v.GetI())
		}
		return one(layerNormLast(b, in[0], in[1], in[2], eps))
	}
	return nil, fmt.Errorf("%w: op type %s is not supported (supported: %v)", quant.ErrValidation, n.GetOpType(), evalOps)
}

func sliceAxis(b *budget, t *tensor, ax, lo, hi int) (*tensor, error) {
	if lo < 0 || hi > t.dims[ax] || lo > hi {
		return nil, fmt.Errorf("%w: slice %d:%d of axis of length %d", quant.ErrShape, lo, hi, t.dims[ax])
	}
	dims := slices.Clone(t.dims)
	dims[ax] = hi - lo
	out, err := newTensor(b, dims)
	if err != nil {
		return nil, err
	}
	outer, inner := 1, 1
	for _, d := range t.dims[:ax] {
		outer *= d
	}
	for _, d := range t.dims[ax+1:] {
		inner *= d
	}
	pos := 0
	for o := 0; o < outer; o++ {
		src := (o*t.dims[ax] + lo) * inner
		copy(out.data[pos:], t.data[src:src+(hi-lo)*inner])
		pos += (hi - lo) * inner
	}
	return out, nil
}

// reduceMean averages t over axes (numpy's mean with keepdims), one axis at
// a time: each pass leaves the mean of equal-sized groups, so the result is
// the mean over all of them.
func reduceMean(b *budget, t *tensor, axes []int, keep bool) (*tensor, error) {
	r := len(t.dims)
	seen := make([]bool, r)
	for _, a := range axes {
		ax, err := axisOf(a, r)
		if err != nil {
			return nil, err
		}
		if seen[ax] {
			return nil, fmt.Errorf("%w: ReduceMean axes %v repeat axis %d", quant.ErrValidation, axes, ax)
		}
		seen[ax] = true
		if t, err = reduceMeanAxis(b, t, ax); err != nil {
			return nil, err
		}
	}
	if !keep {
		var dims []int
		for i, d := range t.dims {
			if !seen[i] {
				dims = append(dims, d)
			}
		}
		t = &tensor{dims: dims, data: t.data}
	}
	return t, nil
}

func reduceMeanAxis(b *budget, t *tensor, ax int) (*tensor, error) {
	dims := slices.Clone(t.dims)
	dims[ax] = 1
	out, err := newTensor(b, dims)
	if err != nil {
		return nil, err
	}
	outer, inner, d := 1, 1, t.dims[ax]
	for _, v := range t.dims[:ax] {
		outer *= v
	}
	for _, v := range t.dims[ax+1:] {
		inner *= v
	}
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			s := 0.0
			for k := 0; k < d; k++ {
				s += t.data[(o*d+k)*inner+i]
			}
			out.data[o*inner+i] = s / float64(max(d, 1))
		}
	}
	return out, nil
}

func softmaxLast(b *budget, t *tensor) (*tensor, error) {
	if len(t.dims) == 0 {
		return nil, fmt.Errorf("%w: Softmax of a scalar", quant.ErrValidation)
	}
	out, err := newTensor(b, t.dims)
	if err != nil {
		return nil, err
	}
	w := t.dims[len(t.dims)-1]
	for r := 0; r+w <= len(t.data) && w > 0; r += w {
		mx := math.Inf(-1)
		for _, v := range t.data[r : r+w] {
			mx = math.Max(mx, v)
		}
		s := 0.0
		for j, v := range t.data[r : r+w] {
			out.data[r+j] = math.Exp(v - mx)
			s += out.data[r+j]
		}
		for j := range w {
			out.data[r+j] /= s
		}
	}
	return out, nil
}

func layerNormLast(bg *budget, x, g, b *tensor, eps float64) (*tensor, error) {
	if len(x.dims) == 0 {
		return nil, fmt.Errorf("%w: LayerNormalization of a scalar", quant.ErrValidation)
	}
	w := x.dims[len(x.dims)-1]
	if len(g.data) != w || len(b.data) != w {
		return nil, fmt.Errorf("%w: LayerNormalization scale/bias of %d, want %d", quant.ErrShape, len(g.data), w)
	}
	out, err := newTensor(bg, x.dims)
	if err != nil {
		return nil, err
	}
	for r := 0; r+w <= len(x.data) && w > 0; r += w {
		row := x.data[r : r+w]
		mean, vr := 0.0, 0.0
		for _, v := range row {
			mean += v
		}
		mean /= float64(w)
		for _, v := range row {
			vr += (v - mean) * (v - mean)
		}
		inv := 1 / math.Sqrt(vr/float64(w)+eps)
		for j, v := range row {
			out.data[r+j] = (v-mean)*inv*g.data[j] + b.data[j]
		}
	}
	return out, nil
}

// gemmNode is ONNX Gemm's product op(a)·op(b) of two matrices.
func gemmNode(b *budget, x, y *tensor, transA, transB bool) (*tensor, error) {
	if len(x.dims) != 2 || len(y.dims) != 2 {
		return nil, fmt.Errorf("%w: Gemm of %v by %v (matrices supported)", quant.ErrValidation, x.dims, y.dims)
	}
	m, k := x.dims[0], x.dims[1]
	if transA {
		m, k = k, m
	}
	k2, n := y.dims[0], y.dims[1]
	if transB {
		k2, n = n, k2
	}
	if k != k2 {
		return nil, fmt.Errorf("%w: Gemm of %v by %v (transA %v, transB %v)", quant.ErrShape, x.dims, y.dims, transA, transB)
	}
	size, err := numel([]int{m, n})
	if err != nil {
		return nil, err
	}
	work := int64(size) * int64(k)
	if work > MaxMatMulWork {
		return nil, fmt.Errorf("%w: Gemm of %v by %v is too large (%d multiply-adds, at most %d)", quant.ErrValidation, x.dims, y.dims, work, MaxMatMulWork)
	}
	if err := b.work(work); err != nil {
		return nil, err
	}
	out, err := newTensor(b, []int{m, n})
	if err != nil {
		return nil, err
	}
	gemm(out.data, x.data, y.data, m, n, k, transA, transB)
	return out, nil
}
