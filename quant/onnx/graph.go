package onnx

// The layer-graph importer (issue 14, quant/GRAPH.md §4) maps an ordinary
// ONNX export onto a quant.FloatGraph, node by node, through a registry of
// mappers keyed by ONNX op type. The legacy importers (Import: ffn blocks and
// GPT-2 stacks) are untouched; package importer tries them first.
//
// How it works:
//
//   - Shapes are static: the graph input's dynamic leading axis (the batch)
//     is taken as 1, another dynamic axis from Options.SeqLen (or from
//     Options.InputValues when it is the only one left open); GraphBuilder
//     infers every other shape from the ops.
//   - Initializers and Constant nodes are decoded first; then every node
//     whose inputs are all constants is folded with the budgeted evaluator
//     (evalNode), and Shape of an activation is folded from its static
//     shape, so shape arithmetic (Shape → Gather → Concat → Reshape …)
//     becomes constant operands of the nodes that need them.
//   - Before its mapper, a node that starts a "unary closure" (an
//     elementwise subgraph over one activation with scalar constants whose
//     only escaping value is one node's output, e.g. the erf and tanh forms
//     of GELU, SiLU, Mish) is replaced by one ops.Unary when the subgraph,
//     evaluated on a grid, is a function the table op knows (tryClosure).
//   - Otherwise graphMappers[op type] maps the node. A mapper may fuse the
//     node's sole consumer (Linear + bias Add + Relu, Affine + Relu) and
//     marks what it fused with gi.fuse(j).
//
// Adding an ONNX op (e.g. in a file graph_conv.go): write
//
//	func init() { registerGraphMapper("Conv", mapConv) }
//
//	func mapConv(gi *graphImporter, i int, n *onnxpb.NodeProto) error {
//		x, xs, err := gi.act(n, 0)          // activation input 0: name and static shape
//		w, err := gi.constant(n, 1)         // constant input 1 as a *quant.FloatTensor
//		pads := attrInts(n, "pads", nil)    // attribute getters: attrInt, attrFloat, attrInts, attrString
//		return gi.node(n, "", op, []string{x}, n.GetOutput()[:1]) // add a quant.FloatOp
//	}
//
// and return gi.refuse("why (what is supported)") for a form it cannot map:
// the caller prefixes node index, name and op type, so the error is one line.

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx/onnxpb"
)

// graphMapper maps node i (n) of the ONNX graph onto layer-graph nodes
// (gi.node); it returns gi.refuse(...) for a form it does not support.
type graphMapper func(gi *graphImporter, i int, n *onnxpb.NodeProto) error

// graphMappers are the ONNX op types the layer-graph importer maps, by op
// type. Files graph_*.go add theirs in init with registerGraphMapper.
var graphMappers = map[string]graphMapper{}

// registerGraphMapper adds the mapper of an ONNX op type; a duplicate panics
// (a programming error).
func registerGraphMapper(opType string, f graphMapper) {
	if _, dup := graphMappers[opType]; dup {
		panic("onnx: graph mapper for " + opType + " registered twice")
	}
	graphMappers[opType] = f
}

// graphPreMapper tries node i before the mapper of its op type, for forms
// that mapper refuses (graph_index.go: Gather of an activation, Where with
// a constant condition, Pad in other modes, MatMul of two activations):
// done reports whether it mapped the node; when not, it added nothing.
type graphPreMapper func(gi *graphImporter, i int, n *onnxpb.NodeProto) (done bool, err error)

// graphPreMappers are the pre-mappers by op type.
var graphPreMappers = map[string]graphPreMapper{}

// GraphOps lists the ONNX op types the layer-graph importer maps, sorted.
// Constant subgraphs of any op the evaluator runs are folded besides.
func GraphOps() []string { return slices.Sorted(maps.Keys(graphMappers)) }

// errRefused marks a node the layer-graph importer does not support.
var errRefused = errors.New("not supported by the layer-graph importer")

// graphImporter is the state of one ImportGraph.
type graphImporter struct {
	b     *budget
	gb    *quant.GraphBuilder
	nodes []*onnxpb.NodeProto
	live  []bool
	// done marks nodes already mapped: folded Constant nodes, and nodes
	// fused into an earlier node's op.
	done []bool
	// consts are the constant tensors by name: initializers, Constant
	// nodes and folded subgraphs.
	consts map[string]*tensor
	// consumers lists the live nodes reading each name; producers names
	// the live node writing each name.
	consumers map[string][]int
	producers map[string]int
	// outputs are the graph's output names.
	outputs map[string]bool
	// pending are affine ops folded into the linear layer that reads them
	// (by the name of their output).
	pending map[string]*pendingAffine
	// names are the layer-graph node names taken.
	names map[string]bool
	// notes are remarks for the user (defaults taken on dynamic axes).
	notes []string
	// graph is the ONNX graph (its inputs' declared shapes).
	graph *onnxpb.GraphProto
	// attention counts the fused attention subgraphs (graph_attention.go):
	// the shape ops that fed them are pruned when it is nonzero.
	attention int
	// unfused turns the attention fusion off (Options.Unfused).
	unfused bool
}

// ImportGraph maps a decoded ONNX model onto a layer graph (a float model
// of architecture "graph").
func ImportGraph(mp *onnxpb.ModelProto, opts Options) (*quant.FloatModel, error) {
	fm, _, err := importGraph(mp, opts)
	return fm, err
}

// ParseGraph decodes a serialized ModelProto and imports it as a layer
// graph; notes says which defaults the import took (a dynamic batch axis
// taken as 1).
func ParseGraph(data []byte, opts Options) (fm *quant.FloatModel, notes []string, err error) {
	if int64(len(data)) > quant.MaxModelFileSize {
		return nil, nil, fmt.Errorf("onnx: %w: model of %d bytes, at most %d", quant.ErrValidation, len(data), int64(quant.MaxModelFileSize))
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(data, &mp); err != nil {
		return nil, nil, fmt.Errorf("onnx: %w: not an ONNX model: %v", quant.ErrValidation, err)
	}
	return importGraph(&mp, opts)
}

func importGraph(mp *onnxpb.ModelProto, opts Options) (fm *quant.FloatModel, notes []string, err error) {
	// The mappers check their operands, but a graph is untrusted input and
	// an overlooked case must fail the import, not take the process down.
	defer func() {
		if r := recover(); r != nil {
			fm, notes, err = nil, nil, fmt.Errorf("onnx: %w: malformed graph: %v", quant.ErrValidation, r)
		}
	}()
	g := mp.GetGraph()
	if g == nil {
		return nil, nil, fmt.Errorf("onnx: %w: the model has no graph (is this an ONNX file?)", quant.ErrValidation)
	}
	nodes := g.GetNode()
	if len(nodes) > MaxNodes {
		return nil, nil, fmt.Errorf("onnx: %w: %d nodes, at most %d", quant.ErrValidation, len(nodes), MaxNodes)
	}
	if n := len(g.GetOutput()); n == 0 || n > quant.MaxGraphIO {
		return nil, nil, fmt.Errorf("onnx: %w: the graph has %d outputs, want 1..%d", quant.ErrValidation, n, quant.MaxGraphIO)
	}
	live, used := liveNodes(g)
	gi := &graphImporter{
		b: new(budget), gb: quant.NewGraphBuilder(), nodes: nodes, live: live, done: make([]bool, len(nodes)),
		consts: map[string]*tensor{}, consumers: map[string][]int{}, producers: map[string]int{}, outputs: map[string]bool{}, names: map[string]bool{}, pending: map[string]*pendingAffine{},
	}
	gi.graph = g
	gi.unfused = opts.Unfused
	for _, o := range g.GetOutput() {
		gi.outputs[o.GetName()] = true
	}
	for i, n := range nodes {
		if !live[i] {
			continue
		}
		for _, in := range n.GetInput() {
			if in != "" {
				gi.consumers[in] = append(gi.consumers[in], i)
			}
		}
		for _, o := range n.GetOutput() {
			if _, dup := gi.producers[o]; o != "" && !dup {
				gi.producers[o] = i
			}
		}
	}
	ins, err := gi.inputs(g, opts)
	if err != nil {
		return nil, nil, err
	}
	for _, t := range g.GetInitializer() {
		if !used[t.GetName()] || ins[t.GetName()] {
			continue
		}
		ct, err := decodeTensor(gi.b, t)
		if err != nil {
			return nil, nil, fmt.Errorf("onnx: initializer %q: %w", t.GetName(), err)
		}
		gi.consts[t.GetName()] = ct
	}
	// Constant nodes first: unary closures read their scalars before the
	// main pass reaches them.
	for i, n := range nodes {
		if live[i] && n.GetOpType() == "Constant" && isDefaultDomain(n) {
			if err := gi.fold(n); err != nil {
				return nil, nil, fmt.Errorf("onnx: node %d %q (op %s): %w", i, n.GetName(), n.GetOpType(), err)
			}
			gi.done[i] = true
		}
	}
	for i, n := range nodes {
		if !live[i] || gi.done[i] {
			continue
		}
		if err := gi.visit(i, n); err != nil {
			return nil, nil, fmt.Errorf("onnx: node %d %q (op %s): %w", i, n.GetName(), n.GetOpType(), err)
		}
	}
	for _, o := range g.GetOutput() {
		out := o.GetName()
		if _, ok := gi.consts[out]; ok {
			return nil, nil, fmt.Errorf("onnx: %w: the output %q is a constant: it does not depend on the input", quant.ErrValidation, out)
		}
		if err := gi.gb.Output(out); err != nil {
			return nil, nil, fmt.Errorf("onnx: %w", err)
		}
	}
	fg, err := gi.gb.Build()
	if err != nil {
		return nil, nil, fmt.Errorf("onnx: %w", err)
	}
	if gi.attention > 0 {
		fg = fg.PruneDead()
	}
	fm, err = quant.NewGraphModel(fg)
	if err != nil {
		return nil, nil, fmt.Errorf("onnx: %w", err)
	}
	return fm, gi.notes, nil
}

func isDefaultDomain(n *onnxpb.NodeProto) bool {
	return n.GetDomain() == "" || n.GetDomain() == "ai.onnx"
}

// input declares one graph input (kind: its dtype and bounds, from
// inputKind) with its static shape.
func (gi *graphImporter) input(vi *onnxpb.ValueInfoProto, kind quant.GraphInput, opts Options) (string, error) {
	tt := vi.GetType().GetTensorType()
	dims := tt.GetShape().GetDim()
	if len(dims) == 0 || len(dims) > quant.MaxRank {
		return "", fmt.Errorf("onnx: %w: input %q has rank %d, want 1..%d", quant.ErrShape, vi.GetName(), len(dims), quant.MaxRank)
	}
	shape := make([]int, len(dims))
	open, seqUsed := -1, false
	for k, d := range dims {
		if v, ok := d.GetValue().(*onnxpb.TensorShapeProto_Dimension_DimValue); ok {
			if v.DimValue < 1 || v.DimValue > quant.MaxTensorValues {
				return "", fmt.Errorf("onnx: %w: input %q has dimension %d on axis %d", quant.ErrShape, vi.GetName(), v.DimValue, k)
			}
			shape[k] = int(v.DimValue)
			continue
		}
		name := d.GetDimParam()
		if name == "" {
			name = "?"
		}
		switch {
		case k == 0 && len(dims) > 1:
			shape[k] = 1
			gi.notes = append(gi.notes, fmt.Sprintf("input %q: the dynamic axis 0 %q is the batch, taken as 1 (one sample per proof)", vi.GetName(), name))
		case opts.SeqLen > 0:
			seqUsed = true
			shape[k] = opts.SeqLen
			gi.notes = append(gi.notes, fmt.Sprintf("input %q: the dynamic axis %d %q is %d (--seq-len)", vi.GetName(), k, name, opts.SeqLen))
		case open < 0 && opts.InputValues > 0:
			open = k
		default:
			return "", fmt.Errorf("onnx: %w: input %q has a dynamic axis %d %q: give its length (--seq-len) or an input file (--input)", quant.ErrValidation, vi.GetName(), k, name)
		}
	}
	if opts.SeqLen > 0 && !seqUsed {
		return "", fmt.Errorf("onnx: %w: --seq-len %d sets a dynamic axis after the batch, but input %q has none (its axes: %s)", quant.ErrValidation, opts.SeqLen, vi.GetName(), axesString(dims))
	}
	if open >= 0 {
		rest := 1
		for k, d := range shape {
			if k != open {
				rest *= d
			}
		}
		if opts.InputValues%rest != 0 {
			return "", fmt.Errorf("onnx: %w: the input file's samples have %d values, not a multiple of the %d values of input %q's other axes", quant.ErrShape, opts.InputValues, rest, vi.GetName())
		}
		shape[open] = opts.InputValues / rest
		gi.notes = append(gi.notes, fmt.Sprintf("input %q: the dynamic axis %d is %d (from the input file)", vi.GetName(), open, shape[open]))
	}
	kind.Name, kind.Shape = vi.GetName(), shape
	if err := gi.gb.TypedInput(kind); err != nil {
		return "", fmt.Errorf("onnx: input %q: %w", vi.GetName(), err)
	}
	return vi.GetName(), nil
}

// axesString writes an input's axes, sizes or names.
func axesString(dims []*onnxpb.TensorShapeProto_Dimension) string {
	parts := make([]string, len(dims))
	for k, d := range dims {
		if v, ok := d.GetValue().(*onnxpb.TensorShapeProto_Dimension_DimValue); ok {
			parts[k] = fmt.Sprint(v.DimValue)
		} else {
			parts[k] = fmt.Sprintf("%q", d.GetDimParam())
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// visit maps one node: folds it when its inputs are constants, replaces a
// unary closure starting at it, or calls its mapper.
func (gi *graphImporter) visit(i int, n *onnxpb.NodeProto) error {
	if !isDefaultDomain(n) {
		return fmt.Errorf("%w: operator domain %q is not supported (supported: the default ONNX domain)", quant.ErrValidation, n.GetDomain())
	}
	allConst := true
	for _, in := range n.GetInput() {
		if in != "" && gi.consts[in] == nil {
			allConst = false
		}
	}
	if allConst {
		return gi.fold(n)
	}
	if n.GetOpType() == "Shape" {
		return gi.foldShape(n)
	}
	if ok, err := gi.tryClosure(i, n); ok || err != nil {
		return err
	}
	if ok, err := gi.tryAttention(i, n); ok || err != nil {
		return err
	}
	if f, ok := graphPreMappers[n.GetOpType()]; ok {
		if done, err := f(gi, i, n); done || err != nil {
			return err
		}
	}
	f, ok := graphMappers[n.GetOpType()]
	if !ok {
		return fmt.Errorf("%w: op type %s on activations is %v (supported: %s; constant subgraphs are folded)", quant.ErrValidation, n.GetOpType(), errRefused, strings.Join(GraphOps(), ", "))
	}
	return f(gi, i, n)
}

// fold evaluates a node of constant inputs.
func (gi *graphImporter) fold(n *onnxpb.NodeProto) error {
	outs, err := evalNode(gi.b, n, gi.consts)
	if err != nil {
		return fmt.Errorf("constant folding: %w", err)
	}
	for k, o := range n.GetOutput() {
		if o != "" && k < len(outs) && outs[k] != nil {
			if err := gi.fresh(o); err != nil {
				return err
			}
			gi.consts[o] = outs[k]
		}
	}
	return nil
}

// fresh refuses a second definition of a value.
func (gi *graphImporter) fresh(name string) error {
	if _, ok := gi.gb.Shape(name); ok || gi.consts[name] != nil {
		return fmt.Errorf("%w: value %q is defined twice", quant.ErrValidation, name)
	}
	return nil
}

// foldShape folds Shape of an activation from its static shape.
func (gi *graphImporter) foldShape(n *onnxpb.NodeProto) error {
	_, shape, err := gi.act(n, 0)
	if err != nil {
		return err
	}
	env := map[string]*tensor{n.GetInput()[0]: {dims: shape}}
	outs, err := evalNode(gi.b, n, env)
	if err != nil {
		return err
	}
	if len(n.GetOutput()) != 1 {
		return fmt.Errorf("%w: Shape has %d outputs", quant.ErrValidation, len(n.GetOutput()))
	}
	if err := gi.fresh(n.GetOutput()[0]); err != nil {
		return err
	}
	gi.consts[n.GetOutput()[0]] = outs[0]
	return nil
}

// refuse returns the error of an unsupported form of a node: why, and what
// is supported instead.
func (gi *graphImporter) refuse(format string, args ...any) error {
	return fmt.Errorf("%w: %s (%v)", quant.ErrValidation, fmt.Sprintf(format, args...), errRefused)
}

// isConst reports whether name is a constant.
func (gi *graphImporter) isConst(name string) bool { return gi.consts[name] != nil }

// input returns input k of n ("" when absent).
func input(n *onnxpb.NodeProto, k int) string {
	if k < len(n.GetInput()) {
		return n.GetInput()[k]
	}
	return ""
}

// act returns input k of n, which must be an activation, and its shape.
func (gi *graphImporter) act(n *onnxpb.NodeProto, k int) (string, []int, error) {
	name := input(n, k)
	if name == "" {
		return "", nil, fmt.Errorf("%w: input %d is missing", quant.ErrValidation, k)
	}
	if gi.isConst(name) {
		return "", nil, gi.refuse("input %d %q is a constant where an activation is expected", k, name)
	}
	if p := gi.pending[name]; p != nil {
		// An affine op folded into this (linear) node: the shape of its input.
		shape, _ := gi.gb.Shape(p.x)
		return name, shape, nil
	}
	shape, ok := gi.gb.Shape(name)
	if !ok {
		return "", nil, fmt.Errorf("%w: input %q is not defined before this node (graphs must be topologically sorted)", quant.ErrValidation, name)
	}
	return name, shape, nil
}

// constTensor returns input k of n, which must be a constant.
func (gi *graphImporter) constTensor(n *onnxpb.NodeProto, k int) (*tensor, error) {
	name := input(n, k)
	if name == "" {
		return nil, fmt.Errorf("%w: input %d is missing", quant.ErrValidation, k)
	}
	t := gi.consts[name]
	if t == nil {
		return nil, gi.refuse("input %d %q must be a constant (an initializer or a constant subgraph), it is an activation", k, name)
	}
	return t, nil
}

// constant returns input k of n, which must be a constant, as a float tensor
// (sharing its data: constants are never written).
func (gi *graphImporter) constant(n *onnxpb.NodeProto, k int) (*quant.FloatTensor, error) {
	t, err := gi.constTensor(n, k)
	if err != nil {
		return nil, err
	}
	return &quant.FloatTensor{Shape: slices.Clone(t.dims), Data: t.data}, nil
}

// node adds a layer-graph node for ONNX node n (its name, plus suffix when
// one ONNX node makes several), with a unique name.
func (gi *graphImporter) node(n *onnxpb.NodeProto, suffix string, op quant.FloatOp, in, out []string) error {
	name := n.GetName()
	if name == "" {
		name = strings.ToLower(n.GetOpType())
	}
	name += suffix
	base := name
	for k := 2; gi.names[name]; k++ {
		name = fmt.Sprintf("%s_%d", base, k)
	}
	gi.names[name] = true
	return gi.gb.Node(name, op, in, out)
}

// soleConsumer returns the only live node that reads name, when name is
// not also a graph output and that node is not already mapped.
func (gi *graphImporter) soleConsumer(name string) (int, *onnxpb.NodeProto, bool) {
	cs := gi.consumers[name]
	if len(cs) != 1 || gi.outputs[name] || gi.done[cs[0]] || !isDefaultDomain(gi.nodes[cs[0]]) {
		return 0, nil, false
	}
	return cs[0], gi.nodes[cs[0]], true
}

// fuse marks node j as mapped by an earlier node's op.
func (gi *graphImporter) fuse(j int) { gi.done[j] = true }

// fusedRelu returns the output to write when a Relu that is the sole
// consumer of out can be fused into the op writing it, and whether it can.
func (gi *graphImporter) fusedRelu(out string) (string, bool) {
	if j, m, ok := gi.soleConsumer(out); ok && m.GetOpType() == "Relu" && len(m.GetOutput()) == 1 {
		gi.fuse(j)
		return m.GetOutput()[0], true
	}
	return out, false
}

// Attribute getters: the value, or def when the attribute is absent.

func attr(n *onnxpb.NodeProto, name string) *onnxpb.AttributeProto {
	for _, a := range n.GetAttribute() {
		if a.GetName() == name {
			return a
		}
	}
	return nil
}

func attrInt(n *onnxpb.NodeProto, name string, def int64) int64 {
	if a := attr(n, name); a != nil {
		return a.GetI()
	}
	return def
}

func attrFloat(n *onnxpb.NodeProto, name string, def float64) float64 {
	if a := attr(n, name); a != nil {
		return float64(a.GetF())
	}
	return def
}

func attrInts(n *onnxpb.NodeProto, name string, def []int) []int {
	a := attr(n, name)
	if a == nil {
		return def
	}
	out := make([]int, len(a.GetInts()))
	for i, v := range a.GetInts() {
		out[i] = int(max(min(v, math.MaxInt32), math.MinInt32))
	}
	return out
}

func attrString(n *onnxpb.NodeProto, name, def string) string {
	if a := attr(n, name); a != nil {
		return string(a.GetS())
	}
	return def
}

// floatTensor copies a constant into a float tensor of the given shape,
// charging the copy to the budget.
func (gi *graphImporter) floatTensor(shape []int, data []float64) (*quant.FloatTensor, error) {
	if err := gi.b.constant(len(data)); err != nil {
		return nil, err
	}
	return &quant.FloatTensor{Shape: slices.Clone(shape), Data: slices.Clone(data)}, nil
}

// finite refuses a constant holding NaN or an infinity.
func finite(what string, data []float64) error {
	for k, v := range data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: %s element %d is %v", quant.ErrRange, what, k, v)
		}
	}
	return nil
}
