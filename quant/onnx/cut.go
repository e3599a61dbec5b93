package onnx

import (
	"fmt"
	"sort"
	"strings"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx/onnxpb"
)

// cut returns the sub-graph of g between the tensors inputs and outputs
// (Options.Inputs, Options.Outputs; empty: the graph's own), as a graph
// whose inputs are the cut inputs and whose outputs are the cut outputs:
// the nodes the outputs need, stopping at the cut inputs, in their order.
// A cut input that is not a graph input takes its shape from the graph's
// value_info, else from importing the part of the graph before it; its
// element type from a static pass over the graph (Cast, comparisons,
// ArgMax… as ONNX defines them), so an integer or boolean tensor is cut
// into an integer or boolean input, read as graph inputs are.
func cut(g *onnxpb.GraphProto, inputs, outputs []string, opts Options) (*onnxpb.GraphProto, error) {
	inits := map[string]bool{}
	for _, t := range g.GetInitializer() {
		inits[t.GetName()] = true
	}
	graphIn := map[string]*onnxpb.ValueInfoProto{}
	var origIn []string
	for _, vi := range g.GetInput() {
		if !inits[vi.GetName()] {
			graphIn[vi.GetName()] = vi
			origIn = append(origIn, vi.GetName())
		}
	}
	nodes := g.GetNode()
	producer := map[string]int{}
	for i, n := range nodes {
		for _, o := range n.GetOutput() {
			if _, dup := producer[o]; o != "" && !dup {
				producer[o] = i
			}
		}
	}
	known := func(name string) bool {
		_, p := producer[name]
		return p || graphIn[name] != nil || inits[name]
	}
	if len(inputs) == 0 {
		inputs = origIn
	}
	if len(outputs) == 0 {
		for _, o := range g.GetOutput() {
			outputs = append(outputs, o.GetName())
		}
	}
	if len(inputs) > quant.MaxGraphIO || len(outputs) > quant.MaxGraphIO {
		return nil, fmt.Errorf("onnx: %w: a cut of %d inputs and %d outputs, at most %d each", quant.ErrValidation, len(inputs), len(outputs), quant.MaxGraphIO)
	}
	isIn, isOut := map[string]bool{}, map[string]bool{}
	for _, list := range []struct {
		flag  string
		names []string
		seen  map[string]bool
	}{{"--inputs", inputs, isIn}, {"--outputs", outputs, isOut}} {
		for _, name := range list.names {
			if !known(name) {
				return nil, fmt.Errorf("onnx: %w: %s: no tensor %q in the graph%s", quant.ErrValidation, list.flag, name, closeNames(name, g))
			}
			if list.seen[name] {
				return nil, fmt.Errorf("onnx: %w: %s names %q twice", quant.ErrValidation, list.flag, name)
			}
			list.seen[name] = true
		}
	}
	for _, name := range inputs {
		if inits[name] {
			return nil, fmt.Errorf("onnx: %w: --inputs %q is a constant (an initializer): cut at a tensor the graph computes", quant.ErrValidation, name)
		}
		if isOut[name] {
			return nil, fmt.Errorf("onnx: %w: %q is both a cut input and a cut output", quant.ErrValidation, name)
		}
	}
	// Which tensors depend on the cut inputs (forward, in node order: ONNX
	// nodes are topologically sorted).
	dep := map[string]bool{}
	for _, name := range inputs {
		dep[name] = true
	}
	for _, n := range nodes {
		d := false
		for _, in := range n.GetInput() {
			d = d || in != "" && dep[in]
		}
		if d {
			for _, o := range n.GetOutput() {
				if o != "" && !isIn[o] {
					dep[o] = true
				}
			}
		}
	}
	for _, o := range outputs {
		if !dep[o] {
			return nil, fmt.Errorf("onnx: %w: --outputs %q is not reachable from the inputs %s: it does not depend on them (is it before them in the graph?)", quant.ErrValidation, o, quoteList(inputs))
		}
	}
	// The nodes the outputs need, back to the cut inputs and constants.
	need := make([]bool, len(nodes))
	used := map[string]bool{}
	var walk func(name, by string) error
	walk = func(name, by string) error {
		if used[name] || isIn[name] || inits[name] || name == "" {
			used[name] = true
			return nil
		}
		used[name] = true
		i, ok := producer[name]
		if !ok {
			return fmt.Errorf("onnx: %w: the value %q (needed by %s) is not computable from the inputs %s: add it to --inputs, or cut after it", quant.ErrValidation, name, by, quoteList(inputs))
		}
		need[i] = true
		n := nodes[i]
		for _, in := range n.GetInput() {
			if err := walk(in, fmt.Sprintf("node %q (op %s)", n.GetName(), n.GetOpType())); err != nil {
				return err
			}
		}
		return nil
	}
	for _, o := range outputs {
		if err := walk(o, "--outputs"); err != nil {
			return nil, err
		}
	}
	for _, name := range inputs {
		if !used[name] {
			return nil, fmt.Errorf("onnx: %w: --inputs %q does not feed the outputs %s", quant.ErrValidation, name, quoteList(outputs))
		}
	}
	ng := &onnxpb.GraphProto{Name: g.Name, Initializer: g.GetInitializer(), ValueInfo: g.GetValueInfo()}
	for i, n := range nodes {
		if need[i] {
			ng.Node = append(ng.Node, n)
		}
	}
	var infer []string
	for _, name := range inputs {
		if graphIn[name] == nil && valueInfo(g, name) == nil {
			infer = append(infer, name)
		}
	}
	var shapes map[string][]int
	if len(infer) > 0 {
		var err error
		if shapes, err = prefixShapes(g, infer, opts); err != nil {
			return nil, err
		}
	}
	types := elemTypes(g)
	for _, name := range inputs {
		vi := graphIn[name]
		if vi == nil {
			vi = valueInfo(g, name)
		}
		if vi == nil {
			vi = tensorInfo(name, types[name], shapes[name])
		}
		ng.Input = append(ng.Input, vi)
	}
	for _, name := range outputs {
		ng.Output = append(ng.Output, tensorInfo(name, types[name], nil))
	}
	return ng, nil
}

// valueInfo returns the graph's value_info of name when it has a tensor
// type and a static shape.
func valueInfo(g *onnxpb.GraphProto, name string) *onnxpb.ValueInfoProto {
	for _, vi := range g.GetValueInfo() {
		if vi.GetName() != name {
			continue
		}
		tt := vi.GetType().GetTensorType()
		dims := tt.GetShape().GetDim()
		if tt == nil || len(dims) == 0 {
			return nil
		}
		for _, d := range dims {
			if d.GetDimValue() < 1 {
				return nil
			}
		}
		return vi
	}
	return nil
}

// tensorInfo declares a tensor of element type et and shape.
func tensorInfo(name string, et onnxpb.TensorProto_DataType, shape []int) *onnxpb.ValueInfoProto {
	if et == onnxpb.TensorProto_UNDEFINED {
		et = onnxpb.TensorProto_FLOAT
	}
	e := int32(et)
	tt := &onnxpb.TypeProto_Tensor{ElemType: &e}
	if shape != nil {
		tt.Shape = &onnxpb.TensorShapeProto{}
		for _, d := range shape {
			v := int64(d)
			tt.Shape.Dim = append(tt.Shape.Dim, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: v}})
		}
	}
	n := name
	return &onnxpb.ValueInfoProto{Name: &n, Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: tt}}}
}

// prefixShapes imports the part of g before the tensors names (the graph
// with them as its outputs) and returns their shapes.
func prefixShapes(g *onnxpb.GraphProto, names []string, opts Options) (map[string][]int, error) {
	pg := &onnxpb.GraphProto{Name: g.Name, Node: g.GetNode(), Initializer: g.GetInitializer(), ValueInfo: g.GetValueInfo()}
	for _, name := range names {
		pg.Output = append(pg.Output, tensorInfo(name, onnxpb.TensorProto_FLOAT, nil))
	}
	_, used := liveNodes(pg)
	for _, vi := range g.GetInput() {
		if !used[vi.GetName()] {
			continue // only the inputs the part reads
		}
		pg.Input = append(pg.Input, vi)
		for k, d := range vi.GetType().GetTensorType().GetShape().GetDim() {
			if k > 0 && d.GetDimValue() < 1 && opts.SeqLen == 0 {
				return nil, fmt.Errorf("onnx: %w: the shape of the cut input %s depends on the graph input %q's dynamic axis %d %q: give its length (--seq-len)", quant.ErrValidation, quoteList(names), vi.GetName(), k, d.GetDimParam())
			}
		}
	}
	shapes := map[string][]int{}
	fm, _, err := importGraph(&onnxpb.ModelProto{Graph: pg}, Options{SeqLen: opts.SeqLen})
	if err == nil {
		fg := fm.Graph
		for _, id := range fg.Outputs {
			shapes[fg.Names[id]] = fg.Shapes[id]
		}
	} else {
		// The part before the cut may hold ops the layer graph does not
		// take (that is often why one cuts): run it on a zero input with
		// the ONNX evaluator instead, which knows the shapes of more ops.
		env, eerr := evalPrefix(pg, opts)
		if eerr != nil {
			return nil, fmt.Errorf("onnx: %w: the shape of the cut input %s: the graph has no value_info for it, and the part before it neither imports as a layer graph (%v) nor evaluates (%v)", quant.ErrValidation, quoteList(names), err, eerr)
		}
		for _, name := range names {
			if t := env[name]; t != nil {
				shapes[name] = append([]int(nil), t.dims...)
			}
		}
	}
	for _, name := range names {
		if shapes[name] == nil {
			return nil, fmt.Errorf("onnx: %w: the shape of the cut input %q: the part of the graph before it does not compute it as a value", quant.ErrValidation, name)
		}
	}
	return shapes, nil
}

// evalPrefix evaluates the live nodes of pg (one graph input) on zeros,
// a dynamic batch axis taken as 1 and other dynamic axes as --seq-len.
func evalPrefix(pg *onnxpb.GraphProto, opts Options) (map[string]*tensor, error) {
	inits := map[string]bool{}
	for _, t := range pg.GetInitializer() {
		inits[t.GetName()] = true
	}
	var in *onnxpb.ValueInfoProto
	for _, vi := range pg.GetInput() {
		if !inits[vi.GetName()] {
			if in != nil {
				return nil, fmt.Errorf("the graph has several inputs")
			}
			in = vi
		}
	}
	if in == nil {
		return nil, fmt.Errorf("the graph has no input")
	}
	dims := in.GetType().GetTensorType().GetShape().GetDim()
	shape := make([]int, len(dims))
	n := 1
	for k, d := range dims {
		switch v := d.GetDimValue(); {
		case v > 0 && v <= quant.MaxTensorValues:
			shape[k] = int(v)
		case d.GetDimParam() != "" && k == 0 && len(dims) > 1:
			shape[k] = 1
		case d.GetDimParam() != "" && opts.SeqLen > 0:
			shape[k] = opts.SeqLen
		default:
			return nil, fmt.Errorf("input %q has an open axis %d: give --seq-len", in.GetName(), k)
		}
		n *= shape[k]
		if n > quant.MaxTensorValues {
			return nil, fmt.Errorf("input %q has more than %d values", in.GetName(), quant.MaxTensorValues)
		}
	}
	b := new(budget)
	if err := b.compute(n); err != nil {
		return nil, err
	}
	live, used := liveNodes(pg)
	env, _, err := evalGraph(b, pg, live, used, in.GetName(), &tensor{dims: shape, data: make([]float64, n)})
	return env, err
}

// elemTypes runs the element types through g: graph inputs, initializers
// and Constant nodes as declared, Cast to its "to", comparisons and logic
// to bool, index-valued ops to int64, everything else as its first input.
func elemTypes(g *onnxpb.GraphProto) map[string]onnxpb.TensorProto_DataType {
	t := map[string]onnxpb.TensorProto_DataType{}
	for _, vi := range g.GetInput() {
		t[vi.GetName()] = onnxpb.TensorProto_DataType(vi.GetType().GetTensorType().GetElemType())
	}
	for _, vi := range g.GetValueInfo() {
		if tt := vi.GetType().GetTensorType(); tt != nil && tt.GetElemType() != 0 {
			t[vi.GetName()] = onnxpb.TensorProto_DataType(tt.GetElemType())
		}
	}
	for _, in := range g.GetInitializer() {
		t[in.GetName()] = onnxpb.TensorProto_DataType(in.GetDataType())
	}
	for _, n := range g.GetNode() {
		out := n.GetOutput()
		if len(out) == 0 {
			continue
		}
		if _, ok := t[out[0]]; ok {
			continue // value_info said
		}
		var et onnxpb.TensorProto_DataType
		switch n.GetOpType() {
		case "Cast":
			et = onnxpb.TensorProto_DataType(attrInt(n, "to", int64(onnxpb.TensorProto_FLOAT)))
		case "Constant":
			for _, a := range n.GetAttribute() {
				if a.GetName() == "value" && a.GetT() != nil {
					et = onnxpb.TensorProto_DataType(a.GetT().GetDataType())
				}
			}
		case "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or", "Xor", "IsNaN", "IsInf":
			et = onnxpb.TensorProto_BOOL
		case "ArgMax", "ArgMin", "Shape", "Size", "NonZero":
			et = onnxpb.TensorProto_INT64
		case "TopK":
			if len(out) > 1 {
				t[out[1]] = onnxpb.TensorProto_INT64
			}
		}
		if et == onnxpb.TensorProto_UNDEFINED {
			for _, in := range n.GetInput() {
				if in != "" {
					et = t[in]
					break
				}
			}
		}
		for _, o := range out {
			if _, ok := t[o]; !ok && o != "" {
				t[o] = et
			}
		}
	}
	return t
}

// closeNames suggests the graph's tensor names nearest to name.
func closeNames(name string, g *onnxpb.GraphProto) string {
	seen := map[string]bool{}
	var all []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			all = append(all, s)
		}
	}
	for _, vi := range g.GetInput() {
		add(vi.GetName())
	}
	for _, n := range g.GetNode() {
		for _, o := range n.GetOutput() {
			add(o)
		}
	}
	type cand struct {
		s string
		d int
	}
	var cs []cand
	lname := strings.ToLower(name)
	for _, s := range all {
		d := levenshtein(lname, strings.ToLower(s))
		if strings.Contains(strings.ToLower(s), lname) {
			d = min(d, 1) // a prefix of the name, e.g. the node's name
		}
		cs = append(cs, cand{s, d})
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].d < cs[j].d })
	var out []string
	for _, c := range cs {
		if len(out) == 3 || c.d > max(3, len(name)/2) {
			break
		}
		out = append(out, fmt.Sprintf("%q", c.s))
	}
	if len(out) == 0 {
		ex := all[:min(3, len(all))]
		for i := range ex {
			ex[i] = fmt.Sprintf("%q", ex[i])
		}
		return fmt.Sprintf(" (none is close; it has %d tensors, e.g. %s)", len(all), strings.Join(ex, ", "))
	}
	return " (close: " + strings.Join(out, ", ") + ")"
}

// levenshtein is the edit distance of a and b (written here: the tensor
// names are short and nothing else in the module needs one).
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			c := 1
			if ra[i-1] == rb[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return "[" + strings.Join(q, " ") + "]"
}
