package quant

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// ArchitectureGraph is a layer graph: a DAG of registered ops (quant/ops),
// each owning its float reference, its calibration rule, its quantization,
// its integer reference, its commitment encoding and (in circuits/ops) its
// gadget. See quant/GRAPH.md.
const ArchitectureGraph = "graph"

// Limits of a layer graph, checked before anything is allocated by shape.
const (
	// MaxGraphNodes bounds the nodes of a graph.
	MaxGraphNodes = 1 << 12
	// MaxGraphValues bounds the values (tensors) of a graph.
	MaxGraphValues = 1 << 13
	// MaxRank bounds the rank of a tensor.
	MaxRank = 6
	// MaxTensorValues bounds the elements of one tensor.
	MaxTensorValues = 1 << 22
	// MaxGraphActivations bounds the elements of all tensors of a graph
	// together: the integer trace holds every one of them.
	MaxGraphActivations = 1 << 25
	// MaxGraphIO bounds the inputs and the outputs of a graph (each).
	MaxGraphIO = 64
	// MaxIndex bounds an index value (DTypeIndex): 24 bits, so that ten
	// pack into one field element (PackUint24).
	MaxIndex = 1<<24 - 1
)

// Value dtypes (Value.DType).
const (
	// DTypeInt8 (the empty string, as in every model file before dtypes):
	// round(r·2^Frac) within [Lo, Hi] ⊆ [-128, 127]. Booleans and masks are
	// int8 values with bounds [0, 1] and frac 0.
	DTypeInt8 = ""
	// DTypeIndex: integers within [Lo, Hi], 0 ≤ Lo < Hi ≤ MaxIndex, frac 0
	// (token ids, positions). Only graph inputs, or ops that declare it
	// (IndexOutputs), produce them, and only op inputs that declare it
	// (IndexInputs) read them.
	DTypeIndex = "index"
)

// Value is a tensor of a layer graph: its shape, its dtype and its
// fixed-point format. An int8 value holds round(r·2^Frac) within
// [Lo, Hi] ⊆ [-128, 127]; an index value an integer within [Lo, Hi]. The op
// that produces a value constrains it to that range in the circuit (graph
// inputs are range-checked where they are exposed, circuits/modelio).
type Value struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
	DType string `json:"dtype,omitempty"`
	Frac  int    `json:"frac"`
	Lo    int64  `json:"lo"`
	Hi    int64  `json:"hi"`
}

// IndexInputs is implemented by ops that read index values (DTypeIndex):
// IndexInput(i) says whether input i may be one. Every other op input must
// be int8, so ops that do not implement it never see an index.
type IndexInputs interface {
	IndexInput(i int) bool
}

// IndexOutputs is implemented by ops that produce index values:
// IndexOutput(i) says whether output i may be one.
type IndexOutputs interface {
	IndexOutput(i int) bool
}

// checkValue checks a value's format against its dtype.
func checkValue(v Value) error {
	switch v.DType {
	case DTypeInt8:
		if v.Frac < MinFrac || v.Frac > MaxFrac {
			return fmt.Errorf("%w: frac %d, want %d..%d", ErrRange, v.Frac, MinFrac, MaxFrac)
		}
		if v.Lo < Int8Min || v.Hi > Int8Max || v.Lo >= v.Hi {
			return fmt.Errorf("%w: bounds [%d, %d] not within int8", ErrRange, v.Lo, v.Hi)
		}
	case DTypeIndex:
		if v.Frac != 0 {
			return fmt.Errorf("%w: index value with frac %d, want 0", ErrRange, v.Frac)
		}
		if v.Lo < 0 || v.Hi > MaxIndex || v.Lo >= v.Hi {
			return fmt.Errorf("%w: index bounds [%d, %d], want 0 ≤ lo < hi ≤ %d", ErrRange, v.Lo, v.Hi, MaxIndex)
		}
	default:
		return fmt.Errorf("%w: dtype %q (supported: int8 (\"\"), %q)", ErrValidation, v.DType, DTypeIndex)
	}
	return nil
}

// Size is the number of elements of v.
func (v Value) Size() int { return ShapeSize(v.Shape) }

// ShapeSize is the product of dims (1 for a scalar).
func ShapeSize(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}

// CheckShape validates a shape against the graph limits.
func CheckShape(dims []int) error {
	if len(dims) > MaxRank {
		return fmt.Errorf("%w: rank %d, at most %d", ErrShape, len(dims), MaxRank)
	}
	n := 1
	for _, d := range dims {
		if d < 1 || d > MaxTensorValues {
			return fmt.Errorf("%w: dimension %d in %v", ErrShape, d, dims)
		}
		n *= d
		if n > MaxTensorValues {
			return fmt.Errorf("%w: shape %v has more than %d elements", ErrShape, dims, MaxTensorValues)
		}
	}
	return nil
}

// Tensor is an int64 tensor of the integer forward pass.
type Tensor struct {
	Shape []int
	Data  []int64
}

// Graph is a quantized layer graph: the integers and formats that both the
// integer reference and the circuit use. Nodes are in topological order.
type Graph struct {
	Values  []Value `json:"values"`
	Inputs  []int   `json:"inputs"`
	Outputs []int   `json:"outputs"`
	Nodes   []Node  `json:"nodes"`
}

// Node applies an op to values In and produces values Out.
type Node struct {
	Name string
	Op   Op
	In   []int
	Out  []int
}

// Cost is an op's estimated circuit size.
type Cost struct {
	// R1CS and SCS estimate the constraints under Groth16 and PLONK.
	R1CS int `json:"r1cs"`
	SCS  int `json:"scs"`
	// Params counts the learned parameters.
	Params int `json:"params"`
}

// Op is a node's integer semantics: exactly what its gadget constrains.
type Op interface {
	Kind() string
	// Check validates the op against its input and output values: shapes,
	// formats, bounds, and that no intermediate overflows int64 or the
	// circuit's range checks.
	Check(in, out []Value) error
	// Forward computes the outputs (shaped as Check accepted).
	Forward(in []*Tensor, out []Value) ([]*Tensor, error)
	// Encode writes the op's architecture elements: attributes, parameter
	// shapes, shifts, clamp bounds, tables.
	Encode(e *Encoder) error
	// EncodeWeights writes its parameters (e.Weights / e.Int8Weights), after
	// every node's architecture: the commitment is architecture first.
	EncodeWeights(e *Encoder) error
	// Cost estimates the circuit size of the node.
	Cost(in, out []Value) Cost
}

// FloatOp is a node's float semantics and its quantization.
type FloatOp interface {
	Kind() string
	// Params returns the op's float parameters, bound by name from the
	// weights file (tensor "<node>.<name>").
	Params() []*Param
	// OutShapes checks the params and returns the output shapes.
	OutShapes(in [][]int) ([][]int, error)
	// Eval is the float reference.
	Eval(in []*FloatTensor) ([]*FloatTensor, error)
	// OutFracs is the calibration rule: the fractions of the outputs given
	// those of the inputs and the largest magnitude each output reached.
	OutFracs(in []int, maxAbs []float64) []int
	// Quantize returns the integer op for inputs and outputs of the given
	// formats, and the outputs' clamp bounds (out Lo/Hi are filled in).
	Quantize(in []Value, out []Value) (Op, error)
}

// Param is a named float parameter of an op.
type Param struct {
	Name string
	T    *FloatTensor
}

// FloatTensor is a float64 tensor.
type FloatTensor struct {
	Shape []int
	Data  []float64
}

// OpInfo registers an op kind.
type OpInfo struct {
	// Kind is the name in model files.
	Kind string
	// ID is the op's number in the commitment encoding: stable, never reused.
	ID int64
	// New returns a zero integer op to decode a node's attributes into.
	New func() Op
	// NewFloat returns a zero float op to decode a float node into.
	NewFloat func() FloatOp
	// Doc is one line for `zkinfer ops` and error messages.
	Doc string
}

var registry struct {
	sync.RWMutex
	byKind map[string]OpInfo
	ids    map[int64]string
}

// RegisterOp adds an op kind; package quant/ops registers the built-in
// ones in its init. A duplicate kind or ID panics (a programming error).
func RegisterOp(info OpInfo) {
	registry.Lock()
	defer registry.Unlock()
	if registry.byKind == nil {
		registry.byKind = map[string]OpInfo{}
		registry.ids = map[int64]string{}
	}
	if _, dup := registry.byKind[info.Kind]; dup {
		panic("quant: op kind " + info.Kind + " registered twice")
	}
	if k, dup := registry.ids[info.ID]; dup {
		panic(fmt.Sprintf("quant: op id %d of %s already used by %s", info.ID, info.Kind, k))
	}
	registry.byKind[info.Kind] = info
	registry.ids[info.ID] = info.Kind
}

// LookupOp returns the registration of kind.
func LookupOp(kind string) (OpInfo, bool) {
	registry.RLock()
	defer registry.RUnlock()
	info, ok := registry.byKind[kind]
	return info, ok
}

// RegisteredOps lists the registered kinds in order of ID.
func RegisteredOps() []OpInfo {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]OpInfo, 0, len(registry.byKind))
	for _, info := range registry.byKind {
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func unknownOp(kind string) error {
	var kinds []string
	for _, info := range RegisteredOps() {
		kinds = append(kinds, info.Kind)
	}
	if len(kinds) == 0 {
		return fmt.Errorf("%w: op %q: no ops are registered (import github.com/zkinfer/zkinfer/quant/ops)", ErrValidation, kind)
	}
	return fmt.Errorf("%w: op %q is not supported (supported: %v)", ErrValidation, kind, kinds)
}

// nodeJSON is a node in a model file.
type nodeJSON struct {
	Name  string          `json:"name"`
	Op    string          `json:"op"`
	In    []int           `json:"in"`
	Out   []int           `json:"out"`
	Attrs json.RawMessage `json:"attrs"`
}

// MarshalJSON writes the op's kind and its attributes (the op struct).
func (n Node) MarshalJSON() ([]byte, error) {
	if n.Op == nil {
		return nil, fmt.Errorf("quant: node %q has no op", n.Name)
	}
	attrs, err := json.Marshal(n.Op)
	if err != nil {
		return nil, err
	}
	return json.Marshal(nodeJSON{Name: n.Name, Op: n.Op.Kind(), In: n.In, Out: n.Out, Attrs: attrs})
}

// UnmarshalJSON decodes the op of the node's kind from the registry,
// refusing unknown fields.
func (n *Node) UnmarshalJSON(data []byte) error {
	var aux nodeJSON
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	info, ok := LookupOp(aux.Op)
	if !ok {
		return fmt.Errorf("node %q: %w", aux.Name, unknownOp(aux.Op))
	}
	op := info.New()
	if err := decodeStrictJSON(aux.Attrs, op); err != nil {
		return fmt.Errorf("node %q (%s): %w", aux.Name, aux.Op, err)
	}
	*n = Node{Name: aux.Name, Op: op, In: aux.In, Out: aux.Out}
	return nil
}

func decodeStrictJSON(data []byte, v any) error {
	if len(data) == 0 {
		data = []byte("{}")
	}
	if err := checkJSONKeys(data); err != nil {
		return fmt.Errorf("%w: %v", ErrValidation, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrValidation, err)
	}
	return nil
}

// checkJSONKeys refuses an object, at any depth of data, with two keys
// that encoding/json would take for one field: it matches keys to fields
// case-insensitively and keeps the last, so {"recip": false, "Recip": true}
// would decode as recip while other readers (and a reader's eyes) may take
// the first. Arrays without objects (weights) are skipped unread.
func checkJSONKeys(data []byte) error {
	data = bytes.TrimSpace(data)
	switch {
	case len(data) == 0:
		return nil
	case data[0] == '[':
		if bytes.IndexByte(data, '{') < 0 {
			return nil
		}
		var elems []json.RawMessage
		if err := json.Unmarshal(data, &elems); err != nil {
			return err
		}
		for _, e := range elems {
			if err := checkJSONKeys(e); err != nil {
				return err
			}
		}
	case data[0] == '{':
		dec := json.NewDecoder(bytes.NewReader(data))
		if _, err := dec.Token(); err != nil {
			return err
		}
		seen := make(map[string]string)
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := tok.(string)
			// encoding/json's folding: simple case folding, ſ as s and
			// the Kelvin sign as k.
			folded := strings.ToLower(strings.ToUpper(key))
			if prev, dup := seen[folded]; dup {
				return fmt.Errorf("duplicate key %q (and %q): each field once", key, prev)
			}
			seen[folded] = key
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return err
			}
			if err := checkJSONKeys(v); err != nil {
				return err
			}
		}
	}
	return nil
}

// Validate checks the graph's structure, shapes and every op against its
// values. Nothing is allocated by shape before its limits are checked.
func (g *Graph) Validate() error {
	if len(g.Values) == 0 || len(g.Values) > MaxGraphValues {
		return fmt.Errorf("%w: graph has %d values, want 1..%d", ErrValidation, len(g.Values), MaxGraphValues)
	}
	if len(g.Nodes) > MaxGraphNodes {
		return fmt.Errorf("%w: graph has %d nodes, at most %d", ErrValidation, len(g.Nodes), MaxGraphNodes)
	}
	total := 0
	for i, v := range g.Values {
		if err := CheckShape(v.Shape); err != nil {
			return fmt.Errorf("value %d (%s): %w", i, v.Name, err)
		}
		if err := checkValue(v); err != nil {
			return fmt.Errorf("value %d (%s): %w", i, v.Name, err)
		}
		total += v.Size()
		if total > MaxGraphActivations {
			return fmt.Errorf("%w: the graph's tensors hold more than %d values", ErrShape, MaxGraphActivations)
		}
	}
	if len(g.Inputs) < 1 || len(g.Inputs) > MaxGraphIO || len(g.Outputs) < 1 || len(g.Outputs) > MaxGraphIO {
		return fmt.Errorf("%w: graph has %d inputs and %d outputs, want 1..%d each", ErrValidation, len(g.Inputs), len(g.Outputs), MaxGraphIO)
	}
	produced := make([]bool, len(g.Values))
	for _, id := range g.Inputs {
		if id < 0 || id >= len(g.Values) || produced[id] {
			return fmt.Errorf("%w: graph input %d", ErrValidation, id)
		}
		produced[id] = true
	}
	for i, n := range g.Nodes {
		if n.Op == nil {
			return fmt.Errorf("%w: node %d (%s) has no op", ErrValidation, i, n.Name)
		}
		for _, id := range n.In {
			if id < 0 || id >= len(g.Values) || !produced[id] {
				return fmt.Errorf("%w: node %d (%s): input %d is not produced before it", ErrValidation, i, n.Name, id)
			}
		}
		for k, id := range n.In {
			if g.Values[id].DType != DTypeIndex {
				continue
			}
			if ii, ok := n.Op.(IndexInputs); !ok || !ii.IndexInput(k) {
				return fmt.Errorf("%w: node %d (%s, %s): input %d is the index value %d (%s); the op reads int8 there", ErrValidation, i, n.Name, n.Op.Kind(), k, id, g.Values[id].Name)
			}
		}
		for k, id := range n.Out {
			if id < 0 || id >= len(g.Values) || produced[id] {
				return fmt.Errorf("%w: node %d (%s): output %d is out of range or produced twice", ErrValidation, i, n.Name, id)
			}
			produced[id] = true
			if g.Values[id].DType != DTypeIndex {
				continue
			}
			if io, ok := n.Op.(IndexOutputs); !ok || !io.IndexOutput(k) {
				return fmt.Errorf("%w: node %d (%s, %s): output %d is the index value %d (%s); the op produces int8 there", ErrValidation, i, n.Name, n.Op.Kind(), k, id, g.Values[id].Name)
			}
		}
		if err := n.Op.Check(g.values(n.In), g.values(n.Out)); err != nil {
			return fmt.Errorf("node %d (%s, %s): %w", i, n.Name, n.Op.Kind(), err)
		}
	}
	seen := make(map[int]bool, len(g.Outputs))
	for _, id := range g.Outputs {
		if id < 0 || id >= len(g.Values) || !produced[id] || seen[id] {
			return fmt.Errorf("%w: graph output %d is not produced or listed twice", ErrValidation, id)
		}
		seen[id] = true
	}
	return nil
}

func (g *Graph) values(ids []int) []Value {
	out := make([]Value, len(ids))
	for i, id := range ids {
		out[i] = g.Values[id]
	}
	return out
}

// ValuesOf returns the values with the given ids.
func (g *Graph) ValuesOf(ids []int) []Value { return g.values(ids) }

// Input is the graph's first input value; Output its first output value.
func (g *Graph) Input() Value  { return g.Values[g.Inputs[0]] }
func (g *Graph) Output() Value { return g.Values[g.Outputs[0]] }

// Forward runs the integer reference on the graph inputs (one flat slice
// per graph input, in order: Forward(x) for a graph of one input) and
// returns every value's data, indexed by value id.
func (g *Graph) Forward(inputs ...[]int64) ([][]int64, error) {
	if len(inputs) != len(g.Inputs) {
		return nil, fmt.Errorf("%w: %d inputs, the graph takes %d", ErrShape, len(inputs), len(g.Inputs))
	}
	vals := make([][]int64, len(g.Values))
	for k, id := range g.Inputs {
		in, x := g.Values[id], inputs[k]
		if len(x) != in.Size() {
			return nil, fmt.Errorf("%w: input %d (%s) has %d values, the graph takes %v = %d", ErrShape, k, in.Name, len(x), in.Shape, in.Size())
		}
		for i, v := range x {
			if v < in.Lo || v > in.Hi {
				return nil, fmt.Errorf("%w: input %d (%s) value %d = %d is not within [%d, %d]", ErrRange, k, in.Name, i, v, in.Lo, in.Hi)
			}
		}
		vals[id] = slices.Clone(x)
	}
	for i, n := range g.Nodes {
		ins := make([]*Tensor, len(n.In))
		for k, id := range n.In {
			ins[k] = &Tensor{Shape: g.Values[id].Shape, Data: vals[id]}
		}
		outs, err := n.Op.Forward(ins, g.values(n.Out))
		if err != nil {
			return nil, fmt.Errorf("node %d (%s): %w", i, n.Name, err)
		}
		if len(outs) != len(n.Out) {
			return nil, fmt.Errorf("node %d (%s): %d outputs, want %d", i, n.Name, len(outs), len(n.Out))
		}
		for k, id := range n.Out {
			v := g.Values[id]
			if len(outs[k].Data) != v.Size() {
				return nil, fmt.Errorf("node %d (%s): output %d has %d values, want %d", i, n.Name, k, len(outs[k].Data), v.Size())
			}
			for j, x := range outs[k].Data {
				if x < v.Lo || x > v.Hi {
					return nil, fmt.Errorf("node %d (%s): output %d value %d = %d escapes [%d, %d]", i, n.Name, k, j, x, v.Lo, v.Hi)
				}
			}
			vals[id] = outs[k].Data
		}
	}
	return vals, nil
}

// Cost sums the nodes' estimates.
func (g *Graph) Cost() Cost {
	var c Cost
	for _, n := range g.Nodes {
		nc := n.Op.Cost(g.values(n.In), g.values(n.Out))
		c.R1CS += nc.R1CS
		c.SCS += nc.SCS
		c.Params += nc.Params
	}
	return c
}

// Rows views a shape as rows of its last axis: (∏ leading dims, last dim).
func Rows(shape []int) (rows, width int) {
	if len(shape) == 0 {
		return 1, 1
	}
	return ShapeSize(shape[:len(shape)-1]), shape[len(shape)-1]
}

// WeightKind says how a parameter is range-checked and encoded when the
// weights are witnesses (hashed or public weight visibility).
type WeightKind uint8

const (
	// WeightInt8 values are int8, packed 31 to an element (PackInt8).
	WeightInt8 WeightKind = iota + 1
	// WeightInt32 values are int32 (biases), one element each.
	WeightInt32
	// WeightMult values are requantization multipliers in [0, MaxMultiplier), one element each.
	WeightMult
)

// WeightSpec is one parameter list of an op.
type WeightSpec struct {
	Kind   WeightKind
	Values []int64
}

// Weighted is implemented by ops with parameters: Weights lists them in
// the order and form of EncodeWeights (a length-prefixed list each, int8
// lists packed), so a circuit with witness weights can rebuild the
// commitment from them. Ops without parameters need not implement it.
type Weighted interface {
	Weights() []WeightSpec
}

// EncodeWeightSpecs writes specs as EncodeWeights must: the reference
// encoding every Weighted op's EncodeWeights is tested against.
func EncodeWeightSpecs(e *Encoder, specs []WeightSpec) error {
	for _, s := range specs {
		switch s.Kind {
		case WeightInt8:
			w := make([]int8, len(s.Values))
			for i, v := range s.Values {
				if v < Int8Min || v > Int8Max {
					return fmt.Errorf("%w: int8 weight %d = %d", ErrRange, i, v)
				}
				w[i] = int8(v)
			}
			if err := e.Int8Weights(w); err != nil {
				return err
			}
		case WeightInt32, WeightMult:
			e.Weights(s.Values)
		default:
			return fmt.Errorf("%w: weight kind %d", ErrValidation, s.Kind)
		}
	}
	return nil
}

// R1CS and PLONK costs of exposing tensors, measured with gnark v0.16.3 on
// BN254 (circuits/graph TestEstimateWithin15Percent, benchmarks BenchmarkZoo):
// one Poseidon2 permutation per 31 packed int8 values (the tag's compression
// is a constant), every input value range-checked once, and the range
// checker's table a fixed cost.
const (
	hashPermR1CS, hashPermSCS     = 205, 375
	rangeCheckR1CS, rangeCheckSCS = 0.85, 2
	rangeTableR1CS, rangeTableSCS = 50, 100
)

// IOCost estimates exposing n int8 values under visibility v (the input
// also pays its range checks).
func IOCost(n int, v string, input bool) Cost {
	var c Cost
	if v == VisibilityCommitted {
		// Committed by the proof system (Groth16): nothing hashed; the
		// output values are copied to witness wires of their own, one
		// equality each (circuits/modelio, exposeCommitted).
		if !input {
			c.R1CS = n
		}
	} else if v != VisibilityPublic {
		perms := (n + PackedPerElement - 1) / PackedPerElement
		c.R1CS, c.SCS = hashPermR1CS*perms, hashPermSCS*perms
	} else {
		c.SCS = n // packing is a linear combination: free in R1CS, one gate per value in PLONK
	}
	if input {
		r := InputCheckCost([]IOPart{{DType: DTypeInt8, Shape: []int{n}, Lo: Int8Min, Hi: Int8Max}})
		c.R1CS += r.R1CS
		c.SCS += r.SCS
	}
	return c
}

// EstimateCost estimates the whole circuit of a graph model under v: its
// nodes, exposing its input and output, and (hashed or public weights)
// range-checking and hashing its parameters.
func (m *Model) EstimateCost(v Visibility) Cost {
	c := m.Graph.Cost()
	if f := circuitOverhead; f != nil {
		o := f(m, v)
		c.R1CS += o.R1CS
		c.SCS += o.SCS
	}
	in, out := m.sideCosts(v)
	for _, io := range []Cost{in, out} {
		c.R1CS += io.R1CS
		c.SCS += io.SCS
	}
	if v.Weights != VisibilityFixed {
		_, isWeight, err := EncodeLayout(m)
		if err == nil {
			n := 0
			for _, w := range isWeight {
				if w {
					n++
				}
			}
			perms := n/2 + 1 // the weight elements are hashed; every int8 weight is range-checked and multiplied
			if v.Weights == VisibilityCommitted {
				// Committed by the proof system, not hashed in the
				// circuit; range-checked by a log-derivative checker of
				// their own (circuits/graph, bindCommittedWeights): one
				// query per int8 weight, a 256-entry table.
				c.R1CS += c.Params + committedTableR1CS
				c.SCS += 4 * c.Params
				return c
			}
			c.R1CS += hashPermR1CS*perms + 2*c.Params
			c.SCS += hashPermSCS*perms + 4*c.Params
		}
	}
	return c
}

// committedTableR1CS is the committed weights' range-check table: 2^8
// entries, one constraint each.
const committedTableR1CS = 1 << 8

// circuitOverhead, set by package circuits/graph, adds what depends on the
// whole circuit rather than on one node: clamps that no circuit-wide table
// serves (small circuits) and the tables' entries.
var circuitOverhead func(m *Model, v Visibility) Cost

// SetCircuitOverhead installs the circuit-wide part of EstimateCost; package
// circuits/graph calls it in its init.
func SetCircuitOverhead(f func(m *Model, v Visibility) Cost) { circuitOverhead = f }
