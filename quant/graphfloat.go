package quant

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/nlpodyssey/safetensors"
)

// GraphSpec is a float layer graph as a model file describes it: the
// "graph" of a config.json with "architecture": "graph". Values are named;
// the parameters of node N's op are the safetensors tensors "N.<param>".
type GraphSpec struct {
	Inputs  []GraphInput `json:"inputs"`
	Outputs []string     `json:"outputs"`
	Nodes   []NodeSpec   `json:"nodes"`
}

// GraphInput is a graph input, its shape and its kind: real values
// (dtype omitted: quantized to int8 at a calibrated fraction), "bool"
// (0 or 1: int8 within [0, 1], frac 0) or "index" (integers within
// [lo, hi], 0 ≤ lo < hi ≤ MaxIndex: token ids).
type GraphInput struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
	DType string `json:"dtype,omitempty"`
	Lo    int64  `json:"lo,omitempty"`
	Hi    int64  `json:"hi,omitempty"`
}

// InputBool is GraphInput.DType of a boolean input.
const InputBool = "bool"

// Part returns the input as an IOPart, its fraction unknown (0) for a real
// input until calibration.
func (in GraphInput) Part() IOPart {
	switch in.DType {
	case DTypeIndex:
		return IOPart{Name: in.Name, Shape: in.Shape, DType: DTypeIndex, Lo: in.Lo, Hi: in.Hi}
	case InputBool:
		return IOPart{Name: in.Name, Shape: in.Shape, Lo: 0, Hi: 1}
	}
	return IOPart{Name: in.Name, Shape: in.Shape, Lo: Int8Min, Hi: Int8Max}
}

func (in GraphInput) check() error {
	switch in.DType {
	case "":
		if in.Lo != 0 || in.Hi != 0 {
			return fmt.Errorf("%w: input %q: lo and hi are for index inputs", ErrValidation, in.Name)
		}
	case InputBool:
		if in.Lo != 0 || in.Hi != 0 {
			return fmt.Errorf("%w: input %q: a bool input takes no lo and hi", ErrValidation, in.Name)
		}
	case DTypeIndex:
		if in.Lo < 0 || in.Hi > MaxIndex || in.Lo >= in.Hi {
			return fmt.Errorf("%w: index input %q: bounds [%d, %d], want 0 ≤ lo < hi ≤ %d", ErrRange, in.Name, in.Lo, in.Hi, MaxIndex)
		}
	default:
		return fmt.Errorf("%w: input %q: dtype %q (supported: omitted for real values, %q, %q)", ErrValidation, in.Name, in.DType, InputBool, DTypeIndex)
	}
	return nil
}

// NodeSpec is one node of a GraphSpec; Attrs are the op's attributes.
type NodeSpec struct {
	Name  string          `json:"name"`
	Op    string          `json:"op"`
	In    []string        `json:"in"`
	Out   []string        `json:"out"`
	Attrs json.RawMessage `json:"attrs,omitempty"`
}

// FloatGraph is a float layer graph with its parameters bound: what
// importers produce and calibration runs.
type FloatGraph struct {
	// Values are the tensor names and shapes, by id.
	Names   []string
	Shapes  [][]int
	Inputs  []int
	Outputs []int
	Nodes   []FloatNode
	// InputSpecs are the graph inputs' declarations (dtype, bounds), one
	// per Inputs.
	InputSpecs []GraphInput
}

// FloatNode is a node of a FloatGraph.
type FloatNode struct {
	Name string
	Op   FloatOp
	In   []int
	Out  []int
}

// GraphBuilder assembles a FloatGraph node by node, inferring shapes.
type GraphBuilder struct {
	g   FloatGraph
	ids map[string]int
}

// NewGraphBuilder starts a graph.
func NewGraphBuilder() *GraphBuilder { return &GraphBuilder{ids: map[string]int{}} }

func (b *GraphBuilder) value(name string, shape []int) (int, error) {
	if _, dup := b.ids[name]; dup {
		return 0, fmt.Errorf("%w: value %q is defined twice", ErrValidation, name)
	}
	if len(b.g.Names) >= MaxGraphValues {
		return 0, fmt.Errorf("%w: more than %d values", ErrValidation, MaxGraphValues)
	}
	if err := CheckShape(shape); err != nil {
		return 0, fmt.Errorf("value %q: %w", name, err)
	}
	id := len(b.g.Names)
	b.ids[name] = id
	b.g.Names = append(b.g.Names, name)
	b.g.Shapes = append(b.g.Shapes, slices.Clone(shape))
	return id, nil
}

// Input declares a graph input of real values.
func (b *GraphBuilder) Input(name string, shape []int) error {
	return b.TypedInput(GraphInput{Name: name, Shape: shape})
}

// TypedInput declares a graph input of any kind (GraphInput.DType).
func (b *GraphBuilder) TypedInput(in GraphInput) error {
	if err := in.check(); err != nil {
		return err
	}
	if len(b.g.Inputs) >= MaxGraphIO {
		return fmt.Errorf("%w: more than %d inputs", ErrValidation, MaxGraphIO)
	}
	id, err := b.value(in.Name, in.Shape)
	if err != nil {
		return err
	}
	in.Shape = slices.Clone(in.Shape)
	b.g.Inputs = append(b.g.Inputs, id)
	b.g.InputSpecs = append(b.g.InputSpecs, in)
	return nil
}

// Shape returns the shape of a defined value.
func (b *GraphBuilder) Shape(name string) ([]int, bool) {
	id, ok := b.ids[name]
	if !ok {
		return nil, false
	}
	return b.g.Shapes[id], true
}

// Node appends a node; its output shapes come from op.OutShapes.
func (b *GraphBuilder) Node(name string, op FloatOp, in, out []string) error {
	if len(b.g.Nodes) >= MaxGraphNodes {
		return fmt.Errorf("%w: more than %d nodes", ErrValidation, MaxGraphNodes)
	}
	n := FloatNode{Name: name, Op: op}
	shapes := make([][]int, len(in))
	for i, s := range in {
		id, ok := b.ids[s]
		if !ok {
			return fmt.Errorf("%w: node %q reads %q, which no earlier node writes", ErrValidation, name, s)
		}
		n.In = append(n.In, id)
		shapes[i] = b.g.Shapes[id]
	}
	outShapes, err := op.OutShapes(shapes)
	if err != nil {
		return fmt.Errorf("node %q (%s): %w", name, op.Kind(), err)
	}
	if len(outShapes) != len(out) {
		return fmt.Errorf("%w: node %q (%s) has %d outputs, the op makes %d", ErrValidation, name, op.Kind(), len(out), len(outShapes))
	}
	for i, s := range out {
		id, err := b.value(s, outShapes[i])
		if err != nil {
			return fmt.Errorf("node %q: %w", name, err)
		}
		n.Out = append(n.Out, id)
	}
	b.g.Nodes = append(b.g.Nodes, n)
	return nil
}

// Output marks a value as a graph output.
func (b *GraphBuilder) Output(name string) error {
	id, ok := b.ids[name]
	if !ok {
		return fmt.Errorf("%w: graph output %q is not defined", ErrValidation, name)
	}
	b.g.Outputs = append(b.g.Outputs, id)
	return nil
}

// Build checks the graph is one this build proves and returns it.
func (b *GraphBuilder) Build() (*FloatGraph, error) {
	g := b.g
	if len(g.Inputs) < 1 || len(g.Outputs) < 1 || len(g.Outputs) > MaxGraphIO {
		return nil, fmt.Errorf("%w: the graph has %d inputs and %d outputs, want 1..%d each", ErrValidation, len(g.Inputs), len(g.Outputs), MaxGraphIO)
	}
	if len(g.Nodes) == 0 {
		return nil, fmt.Errorf("%w: the graph has no nodes", ErrValidation)
	}
	total := 0
	for _, s := range g.Shapes {
		total += ShapeSize(s)
		if total > MaxGraphActivations {
			return nil, fmt.Errorf("%w: the graph's tensors hold more than %d values", ErrShape, MaxGraphActivations)
		}
	}
	return &g, nil
}

// ParseGraphSpec builds the float graph of spec with the parameters from st.
func ParseGraphSpec(spec *GraphSpec, st safetensors.SafeTensors) (*FloatGraph, error) {
	if spec == nil {
		return nil, fmt.Errorf("%w: a graph config needs a \"graph\"", ErrValidation)
	}
	if len(spec.Nodes) > MaxGraphNodes {
		return nil, fmt.Errorf("%w: %d nodes, at most %d", ErrValidation, len(spec.Nodes), MaxGraphNodes)
	}
	b := NewGraphBuilder()
	if len(spec.Inputs) > MaxGraphIO {
		return nil, fmt.Errorf("%w: %d inputs, at most %d", ErrValidation, len(spec.Inputs), MaxGraphIO)
	}
	for _, in := range spec.Inputs {
		if err := b.TypedInput(in); err != nil {
			return nil, err
		}
	}
	used := map[string]bool{}
	for _, ns := range spec.Nodes {
		info, ok := LookupOp(ns.Op)
		if !ok {
			return nil, fmt.Errorf("node %q: %w", ns.Name, unknownOp(ns.Op))
		}
		op := info.NewFloat()
		if err := decodeStrictJSON(ns.Attrs, op); err != nil {
			return nil, fmt.Errorf("node %q (%s): %w", ns.Name, ns.Op, err)
		}
		for _, p := range op.Params() {
			name := ns.Name + "." + p.Name
			tv, ok := st.Tensor(name)
			if !ok {
				return nil, fmt.Errorf("%w: node %q (%s): tensor %q is missing", ErrValidation, ns.Name, ns.Op, name)
			}
			shape := make([]int, len(tv.Shape()))
			for i, d := range tv.Shape() {
				shape[i] = int(d)
			}
			if err := CheckShape(shape); err != nil {
				return nil, fmt.Errorf("tensor %q: %w", name, err)
			}
			vals, err := decodeFloats(tv)
			if err != nil {
				return nil, fmt.Errorf("tensor %q: %w", name, err)
			}
			for i, v := range vals {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return nil, fmt.Errorf("%w: tensor %q element %d is %v", ErrRange, name, i, v)
				}
			}
			p.T = &FloatTensor{Shape: shape, Data: vals}
			used[name] = true
		}
		if err := b.Node(ns.Name, op, ns.In, ns.Out); err != nil {
			return nil, err
		}
	}
	for _, name := range st.Names() {
		if !used[name] {
			return nil, fmt.Errorf("%w: tensor %q belongs to no node (a graph's tensors are \"<node>.<param>\")", ErrValidation, name)
		}
	}
	for _, o := range spec.Outputs {
		if err := b.Output(o); err != nil {
			return nil, err
		}
	}
	return b.Build()
}

// Spec returns the file form of g (the inverse of ParseGraphSpec) and its
// parameters as named tensors.
func (g *FloatGraph) Spec() (*GraphSpec, []namedTensor, error) {
	spec := &GraphSpec{}
	for k, id := range g.Inputs {
		in := GraphInput{Name: g.Names[id], Shape: g.Shapes[id]}
		if k < len(g.InputSpecs) {
			in = g.InputSpecs[k]
		}
		spec.Inputs = append(spec.Inputs, in)
	}
	for _, id := range g.Outputs {
		spec.Outputs = append(spec.Outputs, g.Names[id])
	}
	var tensors []namedTensor
	for _, n := range g.Nodes {
		attrs, err := json.Marshal(n.Op)
		if err != nil {
			return nil, nil, err
		}
		ns := NodeSpec{Name: n.Name, Op: n.Op.Kind(), Attrs: attrs}
		for _, id := range n.In {
			ns.In = append(ns.In, g.Names[id])
		}
		for _, id := range n.Out {
			ns.Out = append(ns.Out, g.Names[id])
		}
		spec.Nodes = append(spec.Nodes, ns)
		for _, p := range n.Op.Params() {
			tensors = append(tensors, namedTensor{n.Name + "." + p.Name, p.T.Data, p.T.Shape})
		}
	}
	return spec, tensors, nil
}

// Eval runs the float graph on one sample (flat: every input's values one
// after the other) and returns every value.
func (g *FloatGraph) Eval(x []float64) ([][]float64, error) {
	if len(x) != g.InputSize() {
		if len(g.Inputs) == 1 {
			in := g.Inputs[0]
			return nil, fmt.Errorf("%w: input has %d values, the graph takes %v = %d", ErrShape, len(x), g.Shapes[in], ShapeSize(g.Shapes[in]))
		}
		return nil, fmt.Errorf("%w: input has %d values, the graph's %d inputs take %d", ErrShape, len(x), len(g.Inputs), g.InputSize())
	}
	vals := make([][]float64, len(g.Names))
	off := 0
	for k, id := range g.Inputs {
		n := ShapeSize(g.Shapes[id])
		vals[id] = x[off : off+n]
		off += n
		if k < len(g.InputSpecs) && g.InputSpecs[k].DType != "" {
			p := g.InputSpecs[k].Part()
			for j, v := range vals[id] {
				if _, err := integerOf(p, j, v); err != nil {
					return nil, err
				}
			}
		}
	}
	for i, n := range g.Nodes {
		ins := make([]*FloatTensor, len(n.In))
		for k, id := range n.In {
			ins[k] = &FloatTensor{Shape: g.Shapes[id], Data: vals[id]}
		}
		outs, err := n.Op.Eval(ins)
		if err != nil {
			return nil, fmt.Errorf("node %d (%s): %w", i, n.Name, err)
		}
		for k, id := range n.Out {
			if len(outs[k].Data) != ShapeSize(g.Shapes[id]) {
				return nil, fmt.Errorf("node %d (%s): output %d has %d values, want %d", i, n.Name, k, len(outs[k].Data), ShapeSize(g.Shapes[id]))
			}
			vals[id] = outs[k].Data
		}
	}
	return vals, nil
}

// InputSize is the number of values of one input sample (every input's).
func (g *FloatGraph) InputSize() int {
	n := 0
	for _, id := range g.Inputs {
		n += ShapeSize(g.Shapes[id])
	}
	return n
}

// InputParts lists the graph inputs as IOParts (real inputs at frac 0).
func (g *FloatGraph) InputParts() []IOPart {
	out := make([]IOPart, len(g.Inputs))
	for k, id := range g.Inputs {
		in := GraphInput{Name: g.Names[id], Shape: g.Shapes[id]}
		if k < len(g.InputSpecs) {
			in = g.InputSpecs[k]
		}
		out[k] = in.Part()
	}
	return out
}

// GraphScales are the calibrated fractions of a graph's values, by id.
type GraphScales struct {
	Fracs []int `json:"fracs"`
	// Inner holds, by node name, the calibrated fractions of the internal
	// formats of ops that have some (InnerCalibrated: attention's logits).
	Inner map[string][]int `json:"inner,omitempty"`
}

// InnerCalibrated is implemented by float ops with internal fixed-point
// formats chosen by calibration, such as attention's logits, which are no
// graph value: InnerMax returns the largest magnitude of each internal
// format on one evaluation, InnerFracs the calibrated fractions, and
// QuantizeInner is Quantize given them (calibration stores them in
// GraphScales.Inner under the node's name).
type InnerCalibrated interface {
	InnerMax(in []*FloatTensor) ([]float64, error)
	InnerFracs(maxAbs []float64) []int
	QuantizeInner(in, out []Value, inner []int) (Op, error)
}

// PrecisionQuantizer is implemented by float ops that choose
// requantization shifts (linear, conv, attention, norms, affine, mean,
// average pool): QuantizePrecision is Quantize (QuantizeInner, given the
// inner fractions, for InnerCalibrated ops) with the shifts chosen by r,
// which records each choice under the node's name. Quantize must equal
// QuantizePrecision with the zero Requantizer.
type PrecisionQuantizer interface {
	QuantizePrecision(in, out []Value, inner []int, r Requantizer) (Op, error)
}

// SharedFrac is implemented by float ops whose output fraction is chosen
// together with other ops': every op of one non-empty FracGroup (with one
// output) is calibrated on the largest magnitude any of them reached (the
// column blocks of a layer too wide for one op, joined by a concat).
type SharedFrac interface {
	FracGroup() string
}

// calibrateGraph evaluates every sample, then chooses the fractions in
// topological order: the input's from its largest magnitude, every node's
// outputs by its op's rule (FloatOp.OutFracs).
func calibrateGraph(g *FloatGraph, samples [][]float64, st *tensorStats) (Scales, error) {
	mx := make([]float64, len(g.Names))
	innerMax := map[int][]float64{}
	for i, x := range samples {
		vals, err := g.Eval(x)
		if err != nil {
			return Scales{}, fmt.Errorf("sample %d: %w", i, err)
		}
		for k, n := range g.Nodes {
			ic, ok := n.Op.(InnerCalibrated)
			if !ok {
				continue
			}
			ins := make([]*FloatTensor, len(n.In))
			for j, id := range n.In {
				ins[j] = &FloatTensor{Shape: g.Shapes[id], Data: vals[id]}
			}
			m, err := ic.InnerMax(ins)
			if err != nil {
				return Scales{}, fmt.Errorf("sample %d: node %q: %w", i, n.Name, err)
			}
			if innerMax[k] == nil {
				innerMax[k] = make([]float64, len(m))
			}
			for j := range m {
				if j < len(innerMax[k]) && !math.IsInf(m[j], 0) && !math.IsNaN(m[j]) {
					innerMax[k][j] = math.Max(innerMax[k][j], m[j])
				}
			}
		}
		for id, v := range vals {
			for _, f := range v {
				// ±Inf and NaN (log, sqrt, 1/x out of their domain) have no
				// int8 value: the tables clamp them; they set no scale.
				if !math.IsInf(f, 0) && !math.IsNaN(f) {
					mx[id] = math.Max(mx[id], math.Abs(f))
				}
			}
			st.add(g.Names[id], i, v)
		}
	}
	fracs := make([]int, len(g.Names))
	for k, id := range g.Inputs {
		if k < len(g.InputSpecs) && g.InputSpecs[k].DType != "" {
			continue // index and bool inputs: integers, frac 0
		}
		fracs[id] = fracFor(mx[id])
	}
	// Ops of one calibration group (SharedFrac) see the group's largest
	// magnitude.
	groupMax := map[string]float64{}
	group := func(n FloatNode) string {
		if sf, ok := n.Op.(SharedFrac); ok && len(n.Out) == 1 {
			return sf.FracGroup()
		}
		return ""
	}
	for _, n := range g.Nodes {
		if k := group(n); k != "" {
			groupMax[k] = math.Max(groupMax[k], mx[n.Out[0]])
		}
	}
	for _, n := range g.Nodes {
		in := make([]int, len(n.In))
		for k, id := range n.In {
			in[k] = fracs[id]
		}
		out := make([]float64, len(n.Out))
		for k, id := range n.Out {
			out[k] = mx[id]
		}
		if k := group(n); k != "" {
			out[0] = groupMax[k]
		}
		of := n.Op.OutFracs(in, out)
		for k, id := range n.Out {
			fracs[id] = int(Clamp(int64(of[k]), MinFrac, MaxFrac))
		}
	}
	s := Scales{Graph: &GraphScales{Fracs: fracs}}
	for k, n := range g.Nodes {
		if ic, ok := n.Op.(InnerCalibrated); ok {
			if s.Graph.Inner == nil {
				s.Graph.Inner = map[string][]int{}
			}
			inner := ic.InnerFracs(innerMax[k])
			for j := range inner {
				inner[j] = int(Clamp(int64(inner[j]), MinFrac, MaxFrac))
			}
			s.Graph.Inner[n.Name] = inner
		}
	}
	return s, s.Validate()
}

// NodeFusion is two nodes of a float graph that quantization replaces by
// one integer op (a fusion pass, SetFusionPass): node First's outputs are
// read by node Second alone, and the fused node, named Name, reads In and
// writes Second's outputs with Op's quantization; First's outputs are no
// values of the quantized graph (their ids are dropped, the others
// renumbered in order). The float graph, and so its evaluation and its
// calibration, is unchanged: only the integer semantics fuse.
type NodeFusion struct {
	First, Second int
	Name          string
	Op            FloatOp
	In            []int
}

var fusionPass func(g *FloatGraph, fracs []int) []NodeFusion

// SetFusionPass installs the pass that quantizeGraph applies to every layer
// graph it quantizes, given the calibrated fractions (package quant/ops
// installs its linear + residual fusion, ops.FuseResidualPass, in its
// init). Models quantized before keep their nodes: a quantized file holds
// its integer graph.
func SetFusionPass(f func(g *FloatGraph, fracs []int) []NodeFusion) { fusionPass = f }

// checkFusions checks that fs are disjoint pairs First < Second with
// First's outputs read only by Second (and no graph output), and returns
// them by Second, the nodes they remove, and the values they drop.
func checkFusions(g *FloatGraph, fs []NodeFusion) (bySecond map[int]NodeFusion, skip, drop []bool, err error) {
	readers, _ := g.Uses()
	bySecond = map[int]NodeFusion{}
	skip = make([]bool, len(g.Nodes))
	drop = make([]bool, len(g.Names))
	for _, f := range fs {
		if f.First < 0 || f.First >= f.Second || f.Second >= len(g.Nodes) || skip[f.First] || skip[f.Second] || f.Op == nil {
			return nil, nil, nil, fmt.Errorf("%w: fusion of nodes %d and %d", ErrValidation, f.First, f.Second)
		}
		if _, dup := bySecond[f.First]; dup {
			return nil, nil, nil, fmt.Errorf("%w: node %d fused twice", ErrValidation, f.First)
		}
		if _, dup := bySecond[f.Second]; dup {
			return nil, nil, nil, fmt.Errorf("%w: node %d fused twice", ErrValidation, f.Second)
		}
		for _, id := range g.Nodes[f.First].Out {
			if readers[id] != 1 || !slices.Contains(g.Nodes[f.Second].In, id) || slices.Contains(f.In, id) {
				return nil, nil, nil, fmt.Errorf("%w: fusion of nodes %d and %d: value %q is read elsewhere", ErrValidation, f.First, f.Second, g.Names[id])
			}
			drop[id] = true
		}
		skip[f.First] = true
		bySecond[f.Second] = f
	}
	return bySecond, skip, drop, nil
}

// dropValues removes the values drop marks (read by no node, no graph
// input or output) from qg and fracs, renumbering the others in order.
func dropValues(qg *Graph, fracs []int, drop []bool) (*Graph, []int) {
	ids := make([]int, len(qg.Values))
	out := &Graph{}
	var fs []int
	for id, v := range qg.Values {
		ids[id] = -1
		if !drop[id] {
			ids[id] = len(out.Values)
			out.Values = append(out.Values, v)
			fs = append(fs, fracs[id])
		}
	}
	re := func(l []int) []int { return RemapIDs(ids, l) }
	out.Inputs, out.Outputs = re(qg.Inputs), re(qg.Outputs)
	for _, n := range qg.Nodes {
		out.Nodes = append(out.Nodes, Node{Name: n.Name, Op: n.Op, In: re(n.In), Out: re(n.Out)})
	}
	return out, fs
}

// quantizeGraph quantizes every node at the calibrated fractions, the
// fusion pass's pairs (SetFusionPass) as one node each, the
// requantization shifts chosen by r.
func quantizeGraph(fm *FloatModel, s Scales, r Requantizer) (*Model, error) {
	g := fm.Graph
	if s.Graph == nil || len(s.Graph.Fracs) != len(g.Names) {
		return nil, fmt.Errorf("%w: the scales do not belong to this graph (calibrate again)", ErrValidation)
	}
	var fusions []NodeFusion
	if fusionPass != nil {
		fusions = fusionPass(g, s.Graph.Fracs)
	}
	fused, skip, drop, err := checkFusions(g, fusions)
	if err != nil {
		return nil, err
	}
	qg := &Graph{Inputs: slices.Clone(g.Inputs), Outputs: slices.Clone(g.Outputs)}
	for id, name := range g.Names {
		qg.Values = append(qg.Values, Value{Name: name, Shape: slices.Clone(g.Shapes[id]), Frac: s.Graph.Fracs[id], Lo: Int8Min, Hi: Int8Max})
	}
	for k, id := range g.Inputs {
		if k < len(g.InputSpecs) && g.InputSpecs[k].DType != "" {
			p := g.InputSpecs[k].Part()
			if s.Graph.Fracs[id] != 0 {
				return nil, fmt.Errorf("%w: input %q is %s: frac %d, want 0 (calibrate again)", ErrValidation, p.Name, g.InputSpecs[k].DType, s.Graph.Fracs[id])
			}
			v := &qg.Values[id]
			v.DType, v.Lo, v.Hi = p.DType, p.Lo, p.Hi
		}
	}
	for i, n := range g.Nodes {
		if skip[i] {
			continue
		}
		out := qg.values(n.Out)
		var op Op
		var err error
		if f, ok := fused[i]; ok {
			if pq, ok := f.Op.(PrecisionQuantizer); ok {
				op, err = pq.QuantizePrecision(qg.values(f.In), out, nil, r.Node(f.Name))
			} else {
				op, err = f.Op.Quantize(qg.values(f.In), out)
			}
			if err != nil {
				return nil, fmt.Errorf("nodes %q and %q fused (%s): %w", g.Nodes[f.First].Name, n.Name, f.Op.Kind(), err)
			}
			for k, id := range n.Out {
				qg.Values[id] = out[k]
			}
			qg.Nodes = append(qg.Nodes, Node{Name: f.Name, Op: op, In: slices.Clone(f.In), Out: slices.Clone(n.Out)})
			continue
		}
		ic, isInner := n.Op.(InnerCalibrated)
		var inner []int
		if isInner {
			var found bool
			if inner, found = s.Graph.Inner[n.Name]; !found {
				return nil, fmt.Errorf("%w: node %q (%s): the scales hold no inner fractions for it (calibrate again)", ErrValidation, n.Name, n.Op.Kind())
			}
		}
		switch pq, ok := n.Op.(PrecisionQuantizer); {
		case ok:
			op, err = pq.QuantizePrecision(qg.values(n.In), out, inner, r.Node(n.Name))
		case isInner:
			op, err = ic.QuantizeInner(qg.values(n.In), out, inner)
		default:
			op, err = n.Op.Quantize(qg.values(n.In), out)
		}
		if err != nil {
			return nil, fmt.Errorf("node %q (%s): %w", n.Name, n.Op.Kind(), err)
		}
		for k, id := range n.Out {
			qg.Values[id] = out[k]
		}
		qg.Nodes = append(qg.Nodes, Node{Name: n.Name, Op: op, In: slices.Clone(n.In), Out: slices.Clone(n.Out)})
	}
	if len(fusions) > 0 {
		var fracs []int
		qg, fracs = dropValues(qg, s.Graph.Fracs, drop)
		s.Graph = &GraphScales{Fracs: fracs, Inner: s.Graph.Inner}
	}
	cfg := fm.Config
	cfg.Graph = nil
	m := &Model{Version: ModelVersion, Config: cfg, Scales: s, Graph: qg}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// addGraph compares every value of the integer graph with the float one,
// naming the kind of the node that writes it.
func (a *accuracy) addGraph(m *Model, fg *FloatGraph, fv [][]float64, iv [][]int64) {
	// Values by name: a fusion (NodeFusion) drops values of the float graph
	// from the integer one.
	floatID := make(map[string]int, len(fg.Names))
	for id, name := range fg.Names {
		floatID[name] = id
	}
	kinds := make([]string, len(m.Graph.Values))
	for _, id := range m.Graph.Inputs {
		kinds[id] = "input"
	}
	for _, n := range m.Graph.Nodes {
		for _, id := range n.Out {
			kinds[id] = n.Op.Kind()
		}
	}
	for id, v := range m.Graph.Values {
		fid, ok := floatID[v.Name]
		if !ok {
			continue
		}
		rows, width := Rows(v.Shape)
		f := fv[fid]
		q := make([][]int64, rows)
		for r := range q {
			q[r] = iv[id][r*width : (r+1)*width]
		}
		a.addOp(v.Name, kinds[id], denseOf(rows, width, f), q, v.Frac)
	}
}

// NewGraphModel wraps a float graph as a model (its config holds the graph's
// file form, GraphSpec).
func NewGraphModel(g *FloatGraph) (*FloatModel, error) {
	spec, _, err := g.Spec()
	if err != nil {
		return nil, err
	}
	return &FloatModel{Config: Config{Architecture: ArchitectureGraph, Graph: spec}, Graph: g}, nil
}

// PruneDead returns g without the nodes none of whose outputs is read by
// another kept node or is a graph output (an importer's fusion leaves the
// shape ops that fed the fused nodes dead), and without their values; ids
// are renumbered in order. The graph inputs are kept.
func (g *FloatGraph) PruneDead() *FloatGraph {
	used := make([]bool, len(g.Names))
	for _, id := range g.Outputs {
		used[id] = true
	}
	keep := make([]bool, len(g.Nodes))
	for k := len(g.Nodes) - 1; k >= 0; k-- {
		n := g.Nodes[k]
		for _, id := range n.Out {
			keep[k] = keep[k] || used[id]
		}
		if keep[k] {
			for _, id := range n.In {
				used[id] = true
			}
		}
	}
	defined := make([]bool, len(g.Names))
	for _, id := range g.Inputs {
		defined[id] = true
	}
	for k, n := range g.Nodes {
		if keep[k] {
			for _, id := range n.Out {
				defined[id] = true
			}
		}
	}
	ids := make([]int, len(g.Names))
	out := &FloatGraph{InputSpecs: slices.Clone(g.InputSpecs)}
	for id := range g.Names {
		ids[id] = -1
		if defined[id] {
			ids[id] = len(out.Names)
			out.Names = append(out.Names, g.Names[id])
			out.Shapes = append(out.Shapes, g.Shapes[id])
		}
	}
	re := func(l []int) []int { return RemapIDs(ids, l) }
	out.Inputs, out.Outputs = re(g.Inputs), re(g.Outputs)
	for k, n := range g.Nodes {
		if keep[k] {
			out.Nodes = append(out.Nodes, FloatNode{Name: n.Name, Op: n.Op, In: re(n.In), Out: re(n.Out)})
		}
	}
	return out
}
