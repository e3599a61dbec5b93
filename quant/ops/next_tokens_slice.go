package ops

import (
	"fmt"
	"slices"

	"github.com/zkinfer/zkinfer/quant"
)

// Row slicing of a greedy-completion model (issue 15): next_tokens checks
// only rows From … From + Count − 1 of the logits, but the LM graph
// computes ln_f and the head (a d×V product and V requantizations per
// row) at every position. The ops between the last position-mixing op
// (attention) and the logits are row-uniform — every row of their output
// is one fixed function of the same row of their inputs, whatever the
// number of rows — so running them on the checked rows alone computes
// exactly those rows of the logits. SliceRows finds that tail, slices its
// inputs with a slice node (an index map: no constraints) and runs the
// tail's ops, unchanged (same weights, same integers), on Count rows.

// rowUniform says whether node n's op is row-uniform on its values (rows
// of the last axis; the graph's values are checked separately to be
// [..., T, f] sequences): output row r is the same function of input row
// r for every r and every number of rows. A whitelist; anything else is
// not.
func rowUniform(g *quant.Graph, n quant.Node) bool {
	if len(n.Out) != 1 {
		return false
	}
	switch op := n.Op.(type) {
	case *QLinear, *QLayerNorm, *QRMSNorm, *QUnary, *QReLU:
		// Per row of the last axis (linear, norms) or per element, with
		// parameters that do not depend on the row.
		return len(n.In) == 1
	case *QAffine:
		// Elementwise with constants broadcast over every axis but the
		// last (a per-position constant, like GPT-2's wpe add, is not).
		return len(n.In) == 1 && rowConst(op.WShape) && rowConst(op.BShape)
	case *QLinearResidual:
		// Linear per row of x, plus the same row of the residual.
		return len(n.In) == 2 && slices.Equal(g.Values[n.In[1]].Shape, g.Values[n.Out[0]].Shape)
	case *QBinary:
		// Elementwise on two sequences of the output's shape (a residual
		// add, a gated product).
		y := g.Values[n.Out[0]].Shape
		return len(n.In) == 2 && slices.Equal(g.Values[n.In[0]].Shape, y) && slices.Equal(g.Values[n.In[1]].Shape, y)
	case *QConcat:
		// Along the last axis (column blocks of a head): row r is row r of
		// every input, each requantized by its own constant shift.
		r, a := len(g.Values[n.Out[0]].Shape), op.Axis
		if a < 0 {
			a += r
		}
		return len(n.In) >= 1 && r >= 2 && a == r-1
	}
	return false
}

// rowConst: a constant of shape s broadcast against [..., T, f] is the same
// on every row (every axis but the last has one element).
func rowConst(s []int) bool {
	n := 1
	if len(s) > 0 {
		n = s[len(s)-1]
	}
	return quant.ShapeSize(s) == n
}

// seqRows says whether shape is a sequence [..., t, f] of one batch element
// (the leading axes hold one element), and returns f.
func seqRows(shape []int, t int) (int, bool) {
	r := len(shape)
	if r < 2 || shape[r-2] != t || quant.ShapeSize(shape) != t*shape[r-1] {
		return 0, false
	}
	return shape[r-1], true
}

// RowSlice is the result of SliceRows.
type RowSlice struct {
	// Graph is the rewritten graph (nodes and values copied; ops shared).
	Graph *quant.Graph
	// Fracs are the values' calibrated fractions (Scales.Graph.Fracs),
	// extended by the sliced inputs'.
	Fracs []int
	// Tail names the nodes that now run on Count rows, in graph order.
	Tail []string
	// Cuts names the values sliced (the tail's inputs).
	Cuts []string
}

// SliceRows rewrites g so that value out ([..., T, V]) holds only rows
// from … from + count − 1 (shape [..., count, V]): the largest row-uniform
// tail of nodes ending at out's producer (every consumer of a tail value
// in the tail, no tail value a graph output but out) runs on count rows,
// after slice nodes on the values it reads from the rest of the graph.
// fracs are the values' fractions (nil: none kept). ok is false when
// out's producer is not row-uniform or a value around the tail is not a
// [..., T, f] sequence: then nothing is sliced. g is not modified.
func SliceRows(g *quant.Graph, fracs []int, out, from, count int) (rs *RowSlice, ok bool, err error) {
	if out < 0 || out >= len(g.Values) {
		return nil, false, fmt.Errorf("%w: slice rows of value %d of %d", quant.ErrValidation, out, len(g.Values))
	}
	if fracs != nil && len(fracs) != len(g.Values) {
		return nil, false, fmt.Errorf("%w: %d fractions for %d values", quant.ErrValidation, len(fracs), len(g.Values))
	}
	os := g.Values[out].Shape
	if len(os) < 2 {
		return nil, false, nil
	}
	t := os[len(os)-2]
	if _, seq := seqRows(os, t); !seq || from < 0 || count < 1 || count > t || from > t-count {
		return nil, false, nil
	}
	if count == t {
		return nil, false, nil // every row is checked: nothing to save
	}
	for _, n := range g.Nodes {
		if slices.Contains(n.In, out) {
			return nil, false, nil // out is read in the graph: its rows stay
		}
	}
	external := make([]bool, len(g.Values)) // read outside the graph: its outputs
	for _, v := range g.Outputs {
		if v != out && v >= 0 && v < len(external) {
			external[v] = true
		}
	}
	consumers := make([][]int, len(g.Values))
	for k, n := range g.Nodes {
		for _, v := range n.In {
			if v >= 0 && v < len(consumers) {
				consumers[v] = append(consumers[v], k)
			}
		}
	}
	inTail := make([]bool, len(g.Nodes))
	// Reverse topological order: every consumer of a node is decided
	// before it.
	for k := len(g.Nodes) - 1; k >= 0; k-- {
		n := g.Nodes[k]
		if len(n.Out) != 1 || !rowUniform(g, n) {
			continue
		}
		y := n.Out[0]
		if external[y] {
			continue
		}
		if _, seq := seqRows(g.Values[y].Shape, t); !seq || g.Values[y].DType != quant.DTypeInt8 {
			continue
		}
		all := y == out || len(consumers[y]) > 0
		if y != out {
			for _, c := range consumers[y] {
				all = all && inTail[c]
			}
		}
		inTail[k] = all
	}
	// The tail must end at out's producer.
	prod := -1
	for k, n := range g.Nodes {
		if slices.Contains(n.Out, out) {
			prod = k
		}
	}
	if prod < 0 || !inTail[prod] {
		return nil, false, nil
	}
	// Drop tail nodes that do not lead to out (they cannot exist: every
	// tail value is read only by the tail, so it ends at out).
	ng := &quant.Graph{Values: slices.Clone(g.Values), Inputs: slices.Clone(g.Inputs), Outputs: slices.Clone(g.Outputs)}
	var nf []int
	if fracs != nil {
		nf = slices.Clone(fracs)
	}
	rowShape := func(s []int) []int {
		s = slices.Clone(s)
		s[len(s)-2] = count
		return s
	}
	cut := map[int]int{} // value read by the tail from outside it → its slice
	names := map[string]bool{}
	for _, n := range g.Nodes {
		names[n.Name] = true
	}
	rs = &RowSlice{}
	for k, n := range g.Nodes {
		if !inTail[k] {
			ng.Nodes = append(ng.Nodes, n)
			continue
		}
		in := slices.Clone(n.In)
		for i, v := range n.In {
			if p := producer(g, v); p >= 0 && inTail[p] {
				continue
			}
			if s, done := cut[v]; done {
				in[i] = s
				continue
			}
			x := g.Values[v]
			if _, seq := seqRows(x.Shape, t); !seq || x.DType != quant.DTypeInt8 {
				return nil, false, nil
			}
			id := len(ng.Values)
			sv := x
			sv.Name = x.Name + ".rows"
			sv.Shape = rowShape(x.Shape)
			ng.Values = append(ng.Values, sv)
			if nf != nil {
				nf = append(nf, fracs[v])
			}
			starts, steps := make([]int, len(x.Shape)), make([]int, len(x.Shape))
			for a := range steps {
				steps[a] = 1
			}
			starts[len(starts)-2] = from
			name := x.Name + ".rows"
			for j := 2; names[name]; j++ {
				name = fmt.Sprintf("%s.rows_%d", x.Name, j)
			}
			names[name] = true
			ng.Nodes = append(ng.Nodes, quant.Node{Name: name, Op: &QSlice{Starts: starts, Steps: steps}, In: []int{v}, Out: []int{id}})
			cut[v], in[i] = id, id
			rs.Cuts = append(rs.Cuts, x.Name)
		}
		y := n.Out[0]
		ng.Values[y].Shape = rowShape(g.Values[y].Shape)
		ng.Nodes = append(ng.Nodes, quant.Node{Name: n.Name, Op: n.Op, In: in, Out: slices.Clone(n.Out)})
		rs.Tail = append(rs.Tail, n.Name)
	}
	if len(ng.Values) > quant.MaxGraphValues || len(ng.Nodes) > quant.MaxGraphNodes {
		return nil, false, nil
	}
	rs.Graph, rs.Fracs = ng, nf
	return rs, true, nil
}

// producer is the index of the node writing value v, −1 for none.
func producer(g *quant.Graph, v int) int {
	for k, n := range g.Nodes {
		if slices.Contains(n.Out, v) {
			return k
		}
	}
	return -1
}
