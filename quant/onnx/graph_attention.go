package onnx

import (
	"math"
	"slices"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx/onnxpb"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Attention fusion: an exported attention subgraph
//
//	Q, K, V [.., T|S, H·dh] → shape ops (head reshapes, transposes, GQA's
//	repeat of kv heads: Unsqueeze/Expand/Reshape) → MatMul(Qh, Khᵀ)
//	→ Mul/Div by constants → optional mask (Where with a constant
//	condition and fill, or Add of a constant 0/fill mask) → Mul/Div by
//	constants → Softmax(last axis) → MatMul(P, Vh) → shape ops back to
//	[.., T, H·dh]
//
// becomes one ops.Attention node when visiting the first MatMul. The shape
// ops are not matched by their form but by what they do: each chain of
// them is run on the positions 0, 1, 2, … of its source (evalNode), and
// the fusion takes it when the positions it reads are the head layout
// (Qh[h, t, e] = Q[t, h·dh + e], Khᵀ[h, e, s] = K[s, g(h)·dh + e] with
// g(h) = h/(H/Hkv), likewise V, and the output's inverse). Anything else
// keeps the op-by-op path (matmul, affine, softmax, …), so no import that
// worked before fails. The shape ops that fed Q, K and V and are read by
// nothing else are pruned from the graph after the import.

// attnChainOps are the ONNX ops a head layout may pass through.
var attnChainOps = map[string]bool{"Reshape": true, "Transpose": true, "Unsqueeze": true, "Squeeze": true, "Expand": true, "Identity": true}

// maxAttnChain bounds the shape ops followed from one operand.
const maxAttnChain = 12

// constOf returns the constant name, folding its producers first when
// they come after the node being visited (torch computes a scale's
// constant next to its use): a node is folded early only when all its
// inputs are constants, as the main pass would fold it.
func (gi *graphImporter) constOf(name string, depth int) *tensor {
	if c := gi.consts[name]; c != nil || name == "" {
		return c
	}
	p, ok := gi.producers[name]
	if !ok || depth > 16 || gi.done[p] || !gi.live[p] {
		return nil
	}
	n := gi.nodes[p]
	if !isDefaultDomain(n) || n.GetOpType() == "Shape" {
		return nil
	}
	for _, in := range n.GetInput() {
		if in != "" && gi.constOf(in, depth+1) == nil {
			return nil
		}
	}
	if err := gi.fold(n); err != nil {
		return nil
	}
	gi.done[p] = true
	return gi.consts[name]
}

// attnScale returns the constant a node n multiplies its activation input
// act by (Mul by or Div of a constant with one distinct value), if it does.
func (gi *graphImporter) attnScale(n *onnxpb.NodeProto, act string) (float64, bool) {
	if !isDefaultDomain(n) || len(n.GetInput()) != 2 || len(n.GetOutput()) != 1 {
		return 0, false
	}
	k := 1
	if input(n, 1) == act {
		k = 0
	}
	if input(n, 1-k) != act || act == "" {
		return 0, false
	}
	c := gi.constOf(input(n, k), 0)
	if c == nil || len(c.data) == 0 || len(c.dims) > 4 {
		return 0, false
	}
	v := c.data[0]
	for _, x := range c.data {
		if x != v {
			return 0, false
		}
	}
	switch {
	case n.GetOpType() == "Mul" && v != 0 && !math.IsInf(v, 0) && !math.IsNaN(v):
		return v, true
	case n.GetOpType() == "Div" && k == 1 && v != 0 && !math.IsInf(v, 0) && !math.IsNaN(v):
		return 1 / v, true
	}
	return 0, false
}

// scaleKeepsShape reports whether the constant operand of a scaling node n
// (attnScale's) broadcasts into its activation's shape without widening
// it: a constant of a higher rank or a larger dimension would change the
// shape (and the axes after it) of what the fused op computes.
func (gi *graphImporter) scaleKeepsShape(n *onnxpb.NodeProto, act string, shape []int) bool {
	c := gi.consts[input(n, 0)]
	if input(n, 0) == act {
		c = gi.consts[input(n, 1)]
	}
	if c == nil || len(c.dims) > len(shape) {
		return false
	}
	off := len(shape) - len(c.dims)
	for k, d := range c.dims {
		if d != 1 && d != shape[off+k] {
			return false
		}
	}
	return true
}

// attnOperand is one operand of an attention matmul traced back to its
// source: the positions of src each element of the operand reads.
type attnOperand struct {
	src   string
	shape []int // the source's shape
	dims  []int // the operand's shape
	pos   []int // per element of the operand (row-major)
	scale float64
}

// traceBack follows name back through shape ops (and scalings) and
// returns the candidate sources, longest chain first. The chains run under
// b, a budget of the fusion's own, so that a declined fusion leaves the
// import's budget as it was.
func (gi *graphImporter) traceBack(b *budget, name string) []attnOperand {
	type step struct {
		n     *onnxpb.NodeProto
		in    string
		scale float64
	}
	var chain []step
	cur := name
	for len(chain) < maxAttnChain {
		p, ok := gi.producers[cur]
		if !ok {
			break
		}
		n := gi.nodes[p]
		in := input(n, 0)
		if in == "" || gi.isConst(in) || gi.pending[in] != nil || !isDefaultDomain(n) || len(n.GetOutput()) != 1 {
			break
		}
		if s, ok := gi.attnScale(n, in); ok {
			chain = append(chain, step{n, in, s})
		} else if s, ok := gi.attnScale(n, input(n, 1)); ok && n.GetOpType() == "Mul" {
			chain = append(chain, step{n, input(n, 1), s})
		} else if attnChainOps[n.GetOpType()] {
			ok := true
			for _, o := range n.GetInput()[1:] {
				if o != "" && !gi.isConst(o) {
					ok = false
				}
			}
			if !ok {
				break
			}
			chain = append(chain, step{n, in, 1})
		} else {
			break
		}
		cur = chain[len(chain)-1].in
	}
	var out []attnOperand
	for l := len(chain); l >= 0; l-- {
		src := name
		if l > 0 {
			src = chain[l-1].in
		}
		ss, ok := gi.gb.Shape(src)
		if !ok || gi.pending[src] != nil {
			continue
		}
		// Run the chain's nodes on the positions of src.
		size := quant.ShapeSize(ss)
		t := &tensor{dims: slices.Clone(ss), data: make([]float64, size)}
		for k := range t.data {
			t.data[k] = float64(k)
		}
		scale := 1.0
		for k := l - 1; k >= 0 && t != nil; k-- {
			st := chain[k]
			scale *= st.scale
			if st.scale != 1 || st.n.GetOpType() == "Mul" || st.n.GetOpType() == "Div" {
				if !gi.scaleKeepsShape(st.n, st.in, t.dims) {
					t = nil
				}
				continue
			}
			env := map[string]*tensor{st.in: t}
			for _, o := range st.n.GetInput()[1:] {
				if o != "" {
					env[o] = gi.consts[o]
				}
			}
			outs, err := evalNode(b, st.n, env)
			if err != nil || len(outs) != 1 || outs[0] == nil {
				t = nil
				break
			}
			t = outs[0]
		}
		if t == nil || len(t.dims) > quant.MaxRank {
			continue
		}
		pos := make([]int, len(t.data))
		for k, v := range t.data {
			pos[k] = int(v)
		}
		out = append(out, attnOperand{src: src, shape: ss, dims: slices.Clone(t.dims), pos: pos, scale: scale})
	}
	return out
}

// rowsOf returns n and c when shape is [n, c] or [1, …, 1, n, c].
func rowsOf(shape []int) (n, c int, ok bool) {
	if len(shape) < 2 {
		return 0, 0, false
	}
	for _, d := range shape[:len(shape)-2] {
		if d != 1 {
			return 0, 0, false
		}
	}
	return shape[len(shape)-2], shape[len(shape)-1], true
}

// headsOf returns the heads, rows and columns of a [1…, H, r, c] operand.
func headsOf(shape []int) (h, r, c int, ok bool) {
	if len(shape) < 3 {
		return 0, 0, 0, false
	}
	for _, d := range shape[:len(shape)-3] {
		if d != 1 {
			return 0, 0, 0, false
		}
	}
	return shape[len(shape)-3], shape[len(shape)-2], shape[len(shape)-1], true
}

// layout checks that operand o (heads × r × c) reads its source, viewed as
// [rows, width], at pos(head, i, j) and returns the kv head of each head
// (the source's head block it reads) or false.
func (o attnOperand) layout(heads, r, c, dh int, pos func(g, i, j int) int) ([]int, bool) {
	_, width, ok := rowsOf(o.shape)
	if !ok || width%dh != 0 {
		return nil, false
	}
	groups := make([]int, heads)
	for h := 0; h < heads; h++ {
		// The head block from the first element: pos(g, 0, 0) = g·dh.
		first := o.pos[h*r*c]
		if first%dh != 0 || first/dh >= width/dh {
			return nil, false
		}
		g := first / dh
		groups[h] = g
		for i := 0; i < r; i++ {
			for j := 0; j < c; j++ {
				if o.pos[(h*r+i)*c+j] != pos(g, i, j) {
					return nil, false
				}
			}
		}
	}
	return groups, true
}

// attnMask is the mask found between the scores and the softmax.
type attnMask struct {
	keep     []int8 // [T, S]
	fill     float64
	additive bool
}

// constMask reads a constant broadcast to the scores' shape [1…, H, T, S]
// as one [T, S] plane (the same for every head), or false.
func constMask(c *tensor, scores []int) ([]float64, bool) {
	if c == nil || len(c.dims) > len(scores) {
		return nil, false
	}
	rank := len(scores)
	dims := make([]int, rank)
	for k := range dims {
		dims[k] = 1
	}
	copy(dims[rank-len(c.dims):], c.dims)
	for k := range dims {
		if dims[k] != 1 && dims[k] != scores[k] {
			return nil, false
		}
	}
	t, s := scores[rank-2], scores[rank-1]
	at := func(lead, i, j int) float64 {
		// lead indexes the flattened leading axes of the scores.
		idx, stride := 0, 1
		coords := make([]int, rank)
		coords[rank-2], coords[rank-1] = i, j
		for k := rank - 3; k >= 0; k-- {
			coords[k] = lead % scores[k]
			lead /= scores[k]
		}
		for k := rank - 1; k >= 0; k-- {
			x := coords[k]
			if dims[k] == 1 {
				x = 0
			}
			idx += x * stride
			stride *= dims[k]
		}
		return c.data[idx]
	}
	leads := quant.ShapeSize(scores[:rank-2])
	plane := make([]float64, t*s)
	for i := 0; i < t; i++ {
		for j := 0; j < s; j++ {
			plane[i*s+j] = at(0, i, j)
			for l := 1; l < leads; l++ {
				if v := at(l, i, j); v != plane[i*s+j] && !(math.IsNaN(v) && math.IsNaN(plane[i*s+j])) {
					return nil, false
				}
			}
		}
	}
	return plane, true
}

// maskFill is the stand-in of an infinite fill (torch's finfo.min).
const maskFill = -math.MaxFloat32

func finiteFill(v float64) float64 {
	if math.IsInf(v, -1) || v < maskFill {
		return maskFill
	}
	if math.IsInf(v, 1) || v > -maskFill {
		return -maskFill
	}
	return v
}

// tryAttention fuses the attention subgraph whose first MatMul is node i.
func (gi *graphImporter) tryAttention(i int, n *onnxpb.NodeProto) (bool, error) {
	if gi.unfused || n.GetOpType() != "MatMul" || !isDefaultDomain(n) || len(n.GetOutput()) != 1 {
		return false, nil
	}
	a, b := input(n, 0), input(n, 1)
	if a == "" || b == "" || gi.isConst(a) || gi.isConst(b) {
		return false, nil
	}
	as, aok := gi.gb.Shape(a)
	bs, bok := gi.gb.Shape(b)
	if !aok || !bok {
		return false, nil
	}
	hq, t, dh, ok1 := headsOf(as)
	hk, dh2, s, ok2 := headsOf(bs)
	// Kᵀ of a higher rank than Q would raise the scores' rank (MatMul
	// broadcasts), moving the softmax's axis.
	if !ok1 || !ok2 || dh != dh2 || (hk != hq && hk != 1) || len(bs) > len(as) {
		return false, nil
	}
	scoreShape := append(slices.Clone(as[:len(as)-1]), s)
	// Scores → scalings, one mask → softmax.
	fused := []int{}
	cur := n.GetOutput()[0]
	before, after := 1.0, 1.0
	var mask *attnMask
	var softmax string
	for softmax == "" {
		j, m, ok := gi.soleConsumer(cur)
		if !ok || len(m.GetOutput()) != 1 {
			return false, nil
		}
		out := m.GetOutput()[0]
		switch op := m.GetOpType(); {
		case op == "Mul" || op == "Div":
			v, ok := gi.attnScale(m, cur)
			if !ok || !gi.scaleKeepsShape(m, cur, scoreShape) {
				return false, nil
			}
			if mask == nil {
				before *= v
			} else {
				after *= v
			}
		case op == "Where" && mask == nil:
			cond, x, y := input(m, 0), input(m, 1), input(m, 2)
			other, keepWhen := y, 1.0
			if y == cur {
				other, keepWhen = x, 0
			} else if x != cur {
				return false, nil
			}
			cp, ok := constMask(gi.constOf(cond, 0), scoreShape)
			if !ok {
				return false, nil
			}
			fp, ok := constMask(gi.constOf(other, 0), scoreShape)
			if !ok {
				return false, nil
			}
			mask = &attnMask{keep: make([]int8, len(cp))}
			masked := false
			for k, c := range cp {
				if (c != 0) == (keepWhen != 0) {
					mask.keep[k] = 1
					continue
				}
				// One fill, never NaN (a NaN fill is not "no fill": the
				// softmax of its row is NaN).
				if math.IsNaN(fp[k]) || (masked && mask.fill != fp[k]) {
					return false, nil
				}
				masked, mask.fill = true, fp[k]
			}
			if !masked {
				mask.keep = nil // nothing masked
			}
		case op == "Add" && mask == nil:
			other := input(m, 1)
			if other == cur {
				other = input(m, 0)
			}
			mp, ok := constMask(gi.constOf(other, 0), scoreShape)
			if !ok {
				return false, nil
			}
			mask = &attnMask{keep: make([]int8, len(mp)), fill: 0, additive: true}
			masked := false
			for k, v := range mp {
				switch {
				case v == 0:
					mask.keep[k] = 1
				case !masked || v == mask.fill:
					masked, mask.fill = true, v
				default:
					return false, nil
				}
			}
			if !masked {
				mask.keep = nil
			}
		case op == "Softmax":
			rank := len(scoreShape)
			ax := int(attrInt(m, "axis", 1))
			if attr(m, "axis") == nil || (ax != -1 && ax != rank-1) {
				return false, nil
			}
			softmax = out
		default:
			return false, nil
		}
		fused = append(fused, j)
		cur = out
	}
	j, pv, ok := gi.soleConsumer(softmax)
	if !ok || pv.GetOpType() != "MatMul" || input(pv, 0) != softmax || len(pv.GetOutput()) != 1 {
		return false, nil
	}
	fused = append(fused, j)
	vname := input(pv, 1)
	if vname == "" || gi.isConst(vname) {
		return false, nil
	}
	tb := new(budget)
	qs, ks, vcands := gi.traceBack(tb, a), gi.traceBack(tb, b), gi.traceBack(tb, vname)
	if len(vcands) == 0 {
		return false, nil
	}
	// V's chain may be mapped after this node: its shape is the traced one.
	vs := vcands[0].dims
	hv, sv, dhv, okv := headsOf(vs)
	if !okv || sv != s || dhv != dh || (hv != hq && hv != 1) || len(vs) != len(as) {
		return false, nil
	}
	// Pick the longest chains that read the head layouts.
	var q, k, v *attnOperand
	var kvHeads int
	for ci := range qs {
		c := qs[ci]
		_, w, _ := rowsOf(c.shape)
		if !slices.Equal(c.dims, as) || w != hq*dh {
			continue
		}
		if g, ok := c.layout(hq, t, dh, dh, func(g, i, e int) int { return i*w + g*dh + e }); ok && isRange(g) && rowsMatch(c.shape, t) {
			q = &qs[ci]
			break
		}
	}
	if q == nil {
		return false, nil
	}
	for ci := range ks {
		c := ks[ci]
		_, w, _ := rowsOf(c.shape)
		if !slices.Equal(c.dims, bs) {
			continue
		}
		g, ok := c.layout(hk, dh, s, dh, func(g, e, j int) int { return j*w + g*dh + e })
		if ok && rowsMatch(c.shape, s) {
			if hkv, ok := kvGroups(g, hq, w/dh); ok {
				k, kvHeads = &ks[ci], hkv
				break
			}
		}
	}
	if k == nil {
		return false, nil
	}
	for ci := range vcands {
		c := vcands[ci]
		_, w, _ := rowsOf(c.shape)
		if !slices.Equal(c.dims, vs) {
			continue
		}
		g, ok := c.layout(hv, s, dh, dh, func(g, j, e int) int { return j*w + g*dh + e })
		if ok && rowsMatch(c.shape, s) && w == kvHeads*dh {
			if hkv, ok := kvGroups(g, hq, w/dh); ok && hkv == kvHeads {
				v = &vcands[ci]
				break
			}
		}
	}
	if v == nil {
		return false, nil
	}
	// The output: O [1…, H, T, dh] forward through shape ops to [1…, T, H·dh].
	oname := pv.GetOutput()[0]
	os := append(slices.Clone(as[:len(as)-3]), hq, t, dh)
	ot := &tensor{dims: os, data: make([]float64, quant.ShapeSize(os))}
	for x := range ot.data {
		ot.data[x] = float64(x)
	}
	want := func(tt *tensor) bool {
		r, w, ok := rowsOf(tt.dims)
		if !ok || r != t || w != hq*dh {
			return false
		}
		for ti := 0; ti < t; ti++ {
			for h := 0; h < hq; h++ {
				for e := 0; e < dh; e++ {
					if int(tt.data[ti*w+h*dh+e]) != (h*t+ti)*dh+e {
						return false
					}
				}
			}
		}
		return true
	}
	yname := oname
	yshape := os
	for steps := 0; !want(ot); steps++ {
		j, m, ok := gi.soleConsumer(yname)
		if !ok || steps >= maxAttnChain || !attnChainOps[m.GetOpType()] || input(m, 0) != yname || len(m.GetOutput()) != 1 {
			return false, nil
		}
		env := map[string]*tensor{yname: ot}
		for _, o := range m.GetInput()[1:] {
			if o != "" {
				if gi.constOf(o, 0) == nil { // torch computes the shape after the matmul
					return false, nil
				}
				env[o] = gi.consts[o]
			}
		}
		outs, err := evalNode(tb, m, env)
		if err != nil || len(outs) != 1 || outs[0] == nil {
			return false, nil
		}
		ot, yname, yshape = outs[0], m.GetOutput()[0], outs[0].dims
		fused = append(fused, j)
	}
	// The op.
	scale := before * after * q.scale * k.scale
	if !(scale > 0) || math.IsInf(scale, 0) {
		return false, nil
	}
	op := &ops.Attention{Heads: hq, KVHeads: kvHeads, HeadDim: dh, Scale: scale, Mask: ops.MaskNone}
	// The logits' width: gpt2's 10 bits once the 2^10-entry exp table is
	// no larger than the softmax positions, else 8 bits (a 256-entry
	// table, the unfused softmax's int8 precision).
	if hq*t*s < 1<<quant.DefaultLogitBits {
		op.LogitBits = 8
	}
	if mask != nil && mask.keep != nil {
		// Replaced: the fill scaled by what follows the mask; added: likewise.
		fill := mask.fill * after
		op.Mask, op.Keep, op.Fill, op.Additive = ops.MaskConst, mask.keep, finiteFill(fill), mask.additive
		if math.IsNaN(fill) {
			return false, nil
		}
		if causal := t == s && fill <= -1e4; causal {
			for x, kp := range mask.keep {
				if (kp == 1) != (x%s <= x/s) {
					causal = false
					break
				}
			}
			if causal {
				op.Mask, op.Keep, op.Fill, op.Additive = ops.MaskCausal, nil, 0, false
			}
		}
	}
	if v.scale != 1 {
		// A scaled V scales the output: not fused (rare).
		return false, nil
	}
	// Inputs as [T, C] or [1, T, C]; the output takes Q's form.
	ins := make([]string, 3)
	for x, o := range []*attnOperand{q, k, v} {
		ins[x] = o.src
		if len(o.shape) > 3 {
			r, w, _ := rowsOf(o.shape)
			ins[x] = o.src + "/attention_rows"
			if _, done := gi.gb.Shape(ins[x]); !done {
				if err := gi.node(n, "/attention_rows", &ops.Reshape{Shape: []int{r, w}}, []string{o.src}, []string{ins[x]}); err != nil {
					return false, err
				}
			}
		}
	}
	qShape, _ := gi.gb.Shape(ins[0])
	outShape := slices.Clone(qShape)
	out := yname
	if !slices.Equal(outShape, yshape) {
		out = yname + "/attention"
	}
	if err := gi.fresh(yname); err != nil {
		return false, err
	}
	if err := gi.node(n, "/attention", op, ins, []string{out}); err != nil {
		return false, err
	}
	if out != yname {
		if err := gi.node(n, "/attention_out", &ops.Reshape{Shape: slices.Clone(yshape)}, []string{out}, []string{yname}); err != nil {
			return false, err
		}
	}
	for _, j := range fused {
		gi.fuse(j)
	}
	gi.attention++
	return true, nil
}

// isRange reports whether g is 0, 1, …, len(g)−1 (Q's heads in order).
func isRange(g []int) bool {
	for h, x := range g {
		if x != h {
			return false
		}
	}
	return true
}

// rowsMatch reports whether a source [1…, n, c] has n rows.
func rowsMatch(shape []int, n int) bool {
	r, _, ok := rowsOf(shape)
	return ok && r == n
}

// kvGroups checks the kv heads that the hq query heads read (g, of one
// entry when broadcast) against repeat_kv's h/(H/Hkv), with Hkv = blocks,
// the source's head blocks; it returns Hkv.
func kvGroups(g []int, hq, blocks int) (int, bool) {
	if blocks < 1 || hq%blocks != 0 {
		return 0, false
	}
	if len(g) == 1 {
		return blocks, blocks == 1 && g[0] == 0
	}
	if len(g) != hq {
		return 0, false
	}
	rep := hq / blocks
	for h, x := range g {
		if x != h/rep {
			return 0, false
		}
	}
	return blocks, true
}
