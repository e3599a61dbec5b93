package quant

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Causality check (static, a sound over-approximation): which positions of
// a sequence input may each element of every value depend on? Greedy
// completion in one pass (ops.NextTokens) is N decoding steps only when
// logits row t is a function of the ids at positions ≤ t; CheckCausal
// proves that from the graph alone, for every possible input.
//
// Per element the analysis keeps Dep, the largest input position the
// element may depend on (or DepConst: none; DepZero: exactly 0 whatever the
// input; DepAll: any position), and Pos, the position the element belongs
// to (its row; used only to name the node that mixes positions). Ops say
// how dependencies flow by implementing CausalOp; an op that does not (or
// whose rule refuses an attribute it does not understand) makes every
// output element depend on every position, unless all its inputs are
// constant.

// Dependency classes of an element (Deps.Dep); a value ≥ 0 is the largest
// input position the element may depend on.
const (
	// DepZero: the element is exactly 0 whatever the input (a masked
	// softmax weight): a product with it reads nothing.
	DepZero int32 = -2
	// DepConst: the element depends on no input position.
	DepConst int32 = -1
	// DepAll: the element may depend on every input position.
	DepAll int32 = math.MaxInt32
)

// Positions of an element (Deps.Pos) that are not one position.
const (
	// PosNone: the element belongs to no position (a constant).
	PosNone int32 = -1
	// PosMixed: the element mixes several positions.
	PosMixed int32 = -2
)

// Deps are the dependencies of the elements of one value (row-major).
type Deps struct {
	Dep []int32
	Pos []int32
}

// NewDeps returns the dependencies of n elements, all DepConst / PosNone.
func NewDeps(n int) Deps {
	d := Deps{Dep: make([]int32, n), Pos: make([]int32, n)}
	for i := range d.Dep {
		d.Dep[i], d.Pos[i] = DepConst, PosNone
	}
	return d
}

// allDeps: n elements that may depend on every position.
func allDeps(n int) Deps {
	d := Deps{Dep: make([]int32, n), Pos: make([]int32, n)}
	for i := range d.Dep {
		d.Dep[i], d.Pos[i] = DepAll, PosMixed
	}
	return d
}

// Join adds element j of s to what element i of d reads: the larger
// dependency, and the common position (PosMixed if they differ). A DepZero
// element read by an op becomes DepConst: only rules that know their op
// maps 0 to 0 keep it (Move, and the ops' own rules).
func (d Deps) Join(i int, s Deps, j int) {
	d.Dep[i] = max(d.Dep[i], nonZero(s.Dep[j]))
	d.Pos[i] = JoinPos(d.Pos[i], s.Pos[j])
}

func nonZero(x int32) int32 {
	if x == DepZero {
		return DepConst
	}
	return x
}

// JoinPos is the position of an element that reads elements at positions a
// and b.
func JoinPos(a, b int32) int32 {
	switch {
	case a == PosNone:
		return b
	case b == PosNone || a == b:
		return a
	}
	return PosMixed
}

// CausalOp is implemented by ops with a causality rule: given the
// dependencies of the inputs (values in, out as Check accepted), the
// dependencies of the outputs, each element over-approximating what the
// op's integer semantics reads. A rule returns an error for an attribute
// it does not understand (the outputs then depend on everything). An op
// struct that embeds another's inherits its rule by Go's method promotion
// (gather_packed embeds gather: the same rows): override it where the
// semantics differ.
type CausalOp interface {
	CausalDeps(in []Value, deps []Deps, out []Value) ([]Deps, error)
}

// CausalMove is the rule of ops that copy elements: output i is input
// element src[i], or a constant where src[i] < 0 (DepConst; DepZero if
// zeros[−1−src[i]] is true: zeros may be nil).
func CausalMove(d Deps, src []int, zeros []bool) Deps {
	out := NewDeps(len(src))
	for i, j := range src {
		switch {
		case j >= 0:
			out.Dep[i], out.Pos[i] = d.Dep[j], d.Pos[j]
		case zeros != nil && zeros[-1-j]:
			out.Dep[i] = DepZero
		}
	}
	return out
}

// CausalElementwise is the rule of elementwise ops: output i reads element
// srcs[k][i] of input k (a broadcast index).
func CausalElementwise(ds []Deps, srcs [][]int, n int) Deps {
	out := NewDeps(n)
	for k, src := range srcs {
		for i, j := range src {
			out.Join(i, ds[k], j)
		}
	}
	return out
}

// CausalRows is the rule of row-wise ops (linear, norms, softmax over the
// last axis): the input's rows of inRow elements map one to one onto the
// output's rows of outRow elements, and every output element reads its
// whole input row.
func CausalRows(d Deps, inRow, outRow int) (Deps, error) {
	if inRow < 1 || outRow < 1 || len(d.Dep)%inRow != 0 {
		return Deps{}, fmt.Errorf("rows of %d in %d elements", inRow, len(d.Dep))
	}
	rows := len(d.Dep) / inRow
	out := NewDeps(rows * outRow)
	for r := range rows {
		dep, pos := DepConst, PosNone
		for j := r * inRow; j < (r+1)*inRow; j++ {
			dep, pos = max(dep, nonZero(d.Dep[j])), JoinPos(pos, d.Pos[j])
		}
		for j := r * outRow; j < (r+1)*outRow; j++ {
			out.Dep[j], out.Pos[j] = dep, pos
		}
	}
	return out, nil
}

// ErrNotCausal marks a model whose logits row t may depend on a token
// after position t.
var ErrNotCausal = errors.New("not causal")

// CheckCausal checks statically that element (…, t, …) of value output —
// t its coordinate along outAxis — depends only on the elements of value
// input at coordinates ≤ t along inAxis (negative axes count from the
// end), for every input: what greedy completion in one pass relies on.
// Other graph inputs count as depending on every position. The check is
// conservative: an op without a rule (CausalOp), an attention or softmax
// mask that leaves weight on a later position, a reduction over the
// sequence axis — anything that might read a later position — is refused,
// naming the first node that mixes positions on the way to the output.
func CheckCausal(g *Graph, input, inAxis, output, outAxis int) error {
	return CheckCausalFrom(g, input, inAxis, output, outAxis, 0)
}

// CheckCausalFrom is CheckCausal for an output whose coordinate t along
// outAxis is position from + t of the input (rows from … of the logits, as
// a greedy-completion model whose LM head runs on the checked rows only
// computes them): element (…, t, …) may depend only on input coordinates
// ≤ from + t. from ≥ 0.
func CheckCausalFrom(g *Graph, input, inAxis, output, outAxis, from int) error {
	if from < 0 || from > MaxTensorValues {
		return fmt.Errorf("%w: causality from position %d", ErrValidation, from)
	}
	if input < 0 || input >= len(g.Values) || output < 0 || output >= len(g.Values) {
		return fmt.Errorf("%w: causality of values %d → %d of %d", ErrValidation, input, output, len(g.Values))
	}
	in, outV := g.Values[input], g.Values[output]
	ia, err := causalAxis(in.Shape, inAxis)
	if err != nil {
		return err
	}
	oa, err := causalAxis(outV.Shape, outAxis)
	if err != nil {
		return err
	}
	deps := make([]*Deps, len(g.Values))
	isInput := false
	for _, v := range g.Inputs {
		if v < 0 || v >= len(g.Values) {
			return fmt.Errorf("%w: graph input %d of %d values", ErrValidation, v, len(g.Values))
		}
		if v != input {
			d := allDeps(g.Values[v].Size())
			deps[v] = &d
			continue
		}
		isInput = true
		d := NewDeps(in.Size())
		forAxis(in.Shape, ia, func(i, c int) { d.Dep[i], d.Pos[i] = int32(c), int32(c) })
		deps[v] = &d
	}
	if !isInput {
		return fmt.Errorf("%w: value %q is not a graph input", ErrValidation, in.Name)
	}
	// The last node reading each value: its dependencies are freed after.
	last := make([]int, len(g.Values))
	for k, n := range g.Nodes {
		for _, v := range n.In {
			if v >= 0 && v < len(last) {
				last[v] = k
			}
		}
	}
	// why[k] says why node k's output has an element reading a later or a
	// mixed position ("" when none does).
	why := make([]string, len(g.Nodes))
	for k, n := range g.Nodes {
		ins := make([]Value, len(n.In))
		ds := make([]Deps, len(n.In))
		constant := true
		for i, v := range n.In {
			if v < 0 || v >= len(g.Values) || deps[v] == nil {
				return fmt.Errorf("%w: node %q reads value %d before it is computed", ErrValidation, n.Name, v)
			}
			ins[i], ds[i] = g.Values[v], *deps[v]
			for _, x := range ds[i].Dep {
				if x >= 0 {
					constant = false
					break
				}
			}
		}
		outs := make([]Value, len(n.Out))
		for i, v := range n.Out {
			if v < 0 || v >= len(g.Values) {
				return fmt.Errorf("%w: node %q writes value %d of %d", ErrValidation, n.Name, v, len(g.Values))
			}
			outs[i] = g.Values[v]
		}
		var od []Deps
		reason := "it mixes positions"
		c, ok := n.Op.(CausalOp)
		switch {
		case constant:
		case !ok:
			reason = "an op without a causality rule: its outputs may depend on every position"
		default:
			if od, err = causalDeps(c, ins, ds, outs); err != nil {
				od, reason = nil, err.Error() // refused: everything
			}
		}
		for _, v := range n.In {
			if v != input && slices.Contains(g.Inputs, v) {
				reason = fmt.Sprintf("it reads graph input %q, counted as depending on every position", g.Values[v].Name)
			}
		}
		for i, v := range n.Out {
			var d Deps
			switch {
			case od != nil && i < len(od) && len(od[i].Dep) == outs[i].Size() && len(od[i].Pos) == outs[i].Size():
				d = od[i]
			case constant:
				d = NewDeps(outs[i].Size())
			default:
				d = allDeps(outs[i].Size())
			}
			for e := range d.Dep {
				if d.Dep[e] >= 0 && (d.Pos[e] < 0 || d.Dep[e] > d.Pos[e]) {
					why[k] = reason
					break
				}
			}
			deps[v] = &d
		}
		for _, v := range n.In {
			if last[v] == k && v != output {
				deps[v] = nil
			}
		}
	}
	d := deps[output]
	if d == nil {
		return fmt.Errorf("%w: value %q is not computed", ErrValidation, outV.Name)
	}
	var bad error
	forAxis(outV.Shape, oa, func(i, t int) {
		if bad == nil && d.Dep[i] > int32(from+t) {
			what := fmt.Sprintf("position %d", d.Dep[i])
			if d.Dep[i] == DepAll {
				what = "any position"
			}
			row := fmt.Sprintf("row %d", t)
			if from != 0 {
				row = fmt.Sprintf("row %d (position %d)", t, from+t)
			}
			bad = fmt.Errorf("%w: %w: %s of %q may depend on %s of %q%s", ErrValidation, ErrNotCausal, row, outV.Name, what, in.Name, culprit(g, output, why))
		}
	})
	return bad
}

// causalDeps runs an op's rule; a panic (a rule meeting a node it did
// not expect) is a refusal, not a crash.
func causalDeps(c CausalOp, in []Value, deps []Deps, out []Value) (od []Deps, err error) {
	defer func() {
		if r := recover(); r != nil {
			od, err = nil, fmt.Errorf("%w: causality rule of %T: %v", ErrValidation, c, r)
		}
	}()
	return c.CausalDeps(in, deps, out)
}

// culprit names the first node, among those the output depends on, whose
// output mixes positions.
func culprit(g *Graph, output int, why []string) string {
	need := make([]bool, len(g.Values))
	need[output] = true
	anc := make([]bool, len(g.Nodes))
	for k := len(g.Nodes) - 1; k >= 0; k-- {
		for _, v := range g.Nodes[k].Out {
			if need[v] {
				anc[k] = true
			}
		}
		if anc[k] {
			for _, v := range g.Nodes[k].In {
				need[v] = true
			}
		}
	}
	for k, n := range g.Nodes {
		if anc[k] && why[k] != "" {
			return fmt.Sprintf(": the first node that reads a later position is %q (%s; %s)", n.Name, n.Op.Kind(), why[k])
		}
	}
	return " (no node mixes positions: the output's rows are not the input's positions — a shifted or reordered sequence axis)"
}

func causalAxis(shape []int, axis int) (int, error) {
	r := len(shape)
	if axis < -r || axis >= r {
		return 0, fmt.Errorf("%w: sequence axis %d of a value of shape %v", ErrShape, axis, shape)
	}
	if axis < 0 {
		axis += r
	}
	return axis, nil
}

// forAxis calls f with every flat index of shape and its coordinate along
// axis.
func forAxis(shape []int, axis int, f func(i, c int)) {
	inner := 1
	for _, d := range shape[axis+1:] {
		inner *= d
	}
	n := ShapeSize(shape)
	for i := range n {
		f(i, (i/inner)%shape[axis])
	}
}
