package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/x448/float16"
	"gonum.org/v1/gonum/mat"
	"google.golang.org/protobuf/proto"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx/onnxpb"
)

// SupportedOps are the op types of an ffn block; a graph with others is
// imported as a GPT-2 stack when the evaluator runs all of its ops.
var SupportedOps = []string{"Add", "Constant", "Gemm", "Identity", "MatMul", "Relu"}

// Options completes what the graph leaves open.
type Options struct {
	// SeqLen is the sequence length when the graph's sequence axis is
	// dynamic; when the axis is static, a non-zero SeqLen must agree with it.
	SeqLen int
	// InputValues, when non-zero, is the number of values in one sample of
	// the input the model will be proven on (seq·d_model): a dynamic
	// sequence axis then takes its length from it, and a static or given
	// one must agree with it.
	InputValues int
	// Unfused keeps attention subgraphs op by op in the layer-graph
	// importer (no ops.Attention fusion): for comparisons.
	Unfused bool
}

// Load reads an ONNX file and imports it.
func Load(path string, opts Options) (*quant.FloatModel, error) {
	data, err := quant.ReadFileLimited(path, quant.MaxModelFileSize)
	if err != nil {
		return nil, err
	}
	m, err := Parse(data, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// Parse decodes a serialized ModelProto and imports its graph.
func Parse(data []byte, opts Options) (*quant.FloatModel, error) {
	if int64(len(data)) > quant.MaxModelFileSize {
		return nil, fmt.Errorf("onnx: %w: model of %d bytes, at most %d", quant.ErrValidation, len(data), int64(quant.MaxModelFileSize))
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(data, &mp); err != nil {
		return nil, fmt.Errorf("onnx: %w: not an ONNX model: %v", quant.ErrValidation, err)
	}
	return Import(&mp, opts)
}

// Import maps a decoded model to a float model.
func Import(mp *onnxpb.ModelProto, opts Options) (*quant.FloatModel, error) {
	g := mp.GetGraph()
	if g == nil {
		return nil, fmt.Errorf("onnx: %w: the model has no graph (is this an ONNX file?)", quant.ErrValidation)
	}
	if len(g.GetNode()) > MaxNodes {
		return nil, fmt.Errorf("onnx: %w: %d nodes, at most %d", quant.ErrValidation, len(g.GetNode()), MaxNodes)
	}
	// Every node must be one the importer knows, but only the nodes that
	// reach the output are evaluated, charged to the budget, or decide
	// which kind of model the graph is.
	live, used := liveNodes(g)
	b := new(budget)
	im := &importer{consts: map[string]*tensor{}, vals: map[string]*value{}, b: b}
	in, err := im.input(g, opts)
	if err != nil {
		return nil, err
	}
	ffn := true
	for i, n := range g.GetNode() {
		op := n.GetOpType()
		if n.GetDomain() != "" && n.GetDomain() != "ai.onnx" {
			return nil, fmt.Errorf("onnx: node %d %q (op %s): %w: operator domain %q is not supported (supported: the default ONNX domain)", i, n.GetName(), op, quant.ErrValidation, n.GetDomain())
		}
		if slices.Contains(SupportedOps, op) {
			continue
		}
		ffn = ffn && !live[i]
		if !slices.Contains(evalOps, op) {
			return nil, fmt.Errorf("onnx: node %d %q (op %s): %w: op type %s is not supported (supported: ffn blocks: %s; GPT-2 blocks: %s)",
				i, n.GetName(), op, quant.ErrValidation, op, strings.Join(SupportedOps, ", "), strings.Join(evalOps, ", "))
		}
	}
	if len(g.GetOutput()) != 1 {
		return nil, fmt.Errorf("onnx: %w: the graph has %d outputs, want 1", quant.ErrValidation, len(g.GetOutput()))
	}
	if !ffn {
		return importGPT2(b, g, live, used, in)
	}
	for _, t := range g.GetInitializer() {
		if !used[t.GetName()] {
			continue
		}
		ct, err := decodeTensor(b, t)
		if err != nil {
			return nil, fmt.Errorf("onnx: initializer %q: %w", t.GetName(), err)
		}
		im.consts[t.GetName()] = ct
	}
	for i, n := range g.GetNode() {
		if !live[i] {
			continue
		}
		if err := im.node(i, n); err != nil {
			return nil, fmt.Errorf("onnx: node %d %q (op %s): %w", i, n.GetName(), n.GetOpType(), err)
		}
	}
	outName := g.GetOutput()[0].GetName()
	out, ok := im.vals[outName]
	if !ok {
		return nil, fmt.Errorf("onnx: %w: output %q is not computed from the input", quant.ErrValidation, outName)
	}
	return matchFFN(b, in, out)
}

type tensor struct {
	dims []int
	data []float64
}

// value is a tensor computed from the graph input: the nodes of the
// expression tree that patterns are matched against.
type value struct {
	op   string // "input", "linear", "relu", "add"
	args []*value
	w    *tensor // linear: [in, out]
	b    []float64
	node string // where it came from, for error messages
	// seq, width are the shape of the value as a [seq, width] matrix.
	seq, width int
	// rank is the graph input's rank (2 or 3).
	rank int
}

type importer struct {
	consts map[string]*tensor
	vals   map[string]*value
	seq    int
	b      *budget
}

func (im *importer) input(g *onnxpb.GraphProto, opts Options) (*value, error) {
	inits := map[string]bool{}
	for _, t := range g.GetInitializer() {
		inits[t.GetName()] = true
	}
	var inputs []*onnxpb.ValueInfoProto
	for _, vi := range g.GetInput() {
		// Old exporters list initializers among the inputs.
		if !inits[vi.GetName()] {
			inputs = append(inputs, vi)
		}
	}
	if len(inputs) != 1 {
		names := make([]string, len(inputs))
		for i, vi := range inputs {
			names[i] = vi.GetName()
		}
		return nil, fmt.Errorf("onnx: %w: the graph has %d inputs %v, want 1 (the residual stream, [seq, d_model] or [1, seq, d_model])", quant.ErrValidation, len(inputs), names)
	}
	vi := inputs[0]
	tt := vi.GetType().GetTensorType()
	if tt == nil {
		return nil, fmt.Errorf("onnx: %w: input %q is not a tensor", quant.ErrValidation, vi.GetName())
	}
	if et := onnxpb.TensorProto_DataType(tt.GetElemType()); et != onnxpb.TensorProto_FLOAT && et != onnxpb.TensorProto_DOUBLE && et != onnxpb.TensorProto_FLOAT16 {
		return nil, fmt.Errorf("onnx: %w: input %q has element type %s, want a float type", quant.ErrValidation, vi.GetName(), et)
	}
	dims := tt.GetShape().GetDim()
	if len(dims) == 3 {
		if v, ok := dims[0].GetValue().(*onnxpb.TensorShapeProto_Dimension_DimValue); ok && v.DimValue != 1 {
			return nil, fmt.Errorf("onnx: %w: input %q has batch size %d, want 1", quant.ErrValidation, vi.GetName(), v.DimValue)
		}
		dims = dims[1:]
	}
	if len(dims) != 2 {
		return nil, fmt.Errorf("onnx: %w: input %q has rank %d, want [seq, d_model] or [1, seq, d_model]", quant.ErrValidation, vi.GetName(), len(tt.GetShape().GetDim()))
	}
	seq := opts.SeqLen
	switch v := dims[0].GetValue().(type) {
	case *onnxpb.TensorShapeProto_Dimension_DimValue:
		if seq != 0 && int64(seq) != v.DimValue {
			return nil, fmt.Errorf("onnx: %w: input %q has a fixed sequence length %d, but %d was asked for", quant.ErrShape, vi.GetName(), v.DimValue, seq)
		}
		if v.DimValue < 1 || v.DimValue > quant.MaxSeqLen {
			return nil, fmt.Errorf("onnx: %w: input %q has sequence length %d, want 1..%d", quant.ErrValidation, vi.GetName(), v.DimValue, quant.MaxSeqLen)
		}
		seq = int(v.DimValue)
	}
	width := 0
	if v, ok := dims[1].GetValue().(*onnxpb.TensorShapeProto_Dimension_DimValue); ok {
		if v.DimValue < 1 || v.DimValue > quant.MaxDim {
			return nil, fmt.Errorf("onnx: %w: input %q has d_model %d, want 1..%d", quant.ErrValidation, vi.GetName(), v.DimValue, quant.MaxDim)
		}
		width = int(v.DimValue)
	}
	if seq == 0 {
		if opts.InputValues == 0 {
			return nil, fmt.Errorf("onnx: %w: input %q has a dynamic sequence axis %q: give the sequence length (--seq-len) or an input file (--input)", quant.ErrValidation, vi.GetName(), dims[0].GetDimParam())
		}
		if width == 0 {
			return nil, fmt.Errorf("onnx: %w: input %q has a dynamic d_model too: the input file's %d values do not tell the sequence length; give --seq-len", quant.ErrValidation, vi.GetName(), opts.InputValues)
		}
		if opts.InputValues%width != 0 || opts.InputValues/width > quant.MaxSeqLen {
			return nil, fmt.Errorf("onnx: %w: the input file's samples have %d values, not a whole number of rows of d_model = %d (at most %d rows)", quant.ErrShape, opts.InputValues, width, quant.MaxSeqLen)
		}
		seq = opts.InputValues / width
	}
	if seq < 1 || seq > quant.MaxSeqLen {
		return nil, fmt.Errorf("onnx: %w: sequence length %d, want 1..%d", quant.ErrValidation, seq, quant.MaxSeqLen)
	}
	im.seq = seq
	in := &value{op: "input", node: "input " + vi.GetName(), seq: seq, width: width, rank: len(tt.GetShape().GetDim())}
	im.vals[vi.GetName()] = in
	return in, nil
}

func (im *importer) node(i int, n *onnxpb.NodeProto) error {
	if n.GetDomain() != "" && n.GetDomain() != "ai.onnx" {
		return fmt.Errorf("%w: operator domain %q is not supported (supported: the default ONNX domain)", quant.ErrValidation, n.GetDomain())
	}
	where := fmt.Sprintf("node %d %q (%s)", i, n.GetName(), n.GetOpType())
	ins := n.GetInput()
	arg := func(k int) (*value, *tensor, error) {
		if k >= len(ins) || ins[k] == "" {
			return nil, nil, fmt.Errorf("%w: input %d is missing", quant.ErrValidation, k)
		}
		if c, ok := im.consts[ins[k]]; ok {
			return nil, c, nil
		}
		if v, ok := im.vals[ins[k]]; ok {
			return v, nil, nil
		}
		return nil, nil, fmt.Errorf("%w: input %q is not defined before this node (graphs must be topologically sorted)", quant.ErrValidation, ins[k])
	}
	if len(n.GetOutput()) != 1 {
		return fmt.Errorf("%w: %d outputs, want 1", quant.ErrValidation, len(n.GetOutput()))
	}
	out := n.GetOutput()[0]
	var res *value
	switch n.GetOpType() {
	case "Constant":
		var t *onnxpb.TensorProto
		for _, a := range n.GetAttribute() {
			if a.GetName() == "value" {
				t = a.GetT()
			}
		}
		if t == nil {
			return fmt.Errorf("%w: only the tensor form (attribute \"value\") is supported", quant.ErrValidation)
		}
		ct, err := decodeTensor(im.b, t)
		if err != nil {
			return err
		}
		im.consts[out] = ct
		return nil
	case "Identity":
		v, c, err := arg(0)
		if err != nil {
			return err
		}
		if c != nil {
			im.consts[out] = c
		} else {
			im.vals[out] = v
		}
		return nil
	case "MatMul":
		x, c, err := arg(0)
		if err != nil {
			return err
		}
		_, w, err := arg(1)
		if err != nil {
			return err
		}
		if c != nil || w == nil {
			return fmt.Errorf("%w: only activation × constant weight [in, out] is supported (a product of two activations is attention, not supported here)", quant.ErrValidation)
		}
		if len(w.dims) != 2 {
			return fmt.Errorf("%w: weight has shape %v, want [in, out]", quant.ErrShape, w.dims)
		}
		res = &value{op: "linear", args: []*value{x}, w: w, node: where}
	case "Gemm":
		var alpha, beta float64 = 1, 1
		var transA, transB int64
		for _, a := range n.GetAttribute() {
			switch a.GetName() {
			case "alpha":
				alpha = float64(a.GetF())
			case "beta":
				beta = float64(a.GetF())
			case "transA":
				transA = a.GetI()
			case "transB":
				transB = a.GetI()
			}
		}
		if transA != 0 {
			return fmt.Errorf("%w: transA = %d is not supported (the activation must be the left operand, untransposed)", quant.ErrValidation, transA)
		}
		x, c, err := arg(0)
		if err != nil {
			return err
		}
		_, w, err := arg(1)
		if err != nil {
			return err
		}
		if c != nil || w == nil {
			return fmt.Errorf("%w: only Gemm(activation, constant weight[, constant bias]) is supported", quant.ErrValidation)
		}
		if len(w.dims) != 2 {
			return fmt.Errorf("%w: weight has shape %v, want 2-D", quant.ErrShape, w.dims)
		}
		if transB != 0 {
			if w, err = transpose(im.b, w); err != nil {
				return err
			}
		}
		scaled, err := scale(im.b, w, alpha)
		if err != nil {
			return err
		}
		res = &value{op: "linear", args: []*value{x}, w: scaled, node: where}
		if len(ins) > 2 && ins[2] != "" {
			_, bt, err := arg(2)
			if err != nil {
				return err
			}
			if bt == nil {
				return fmt.Errorf("%w: the bias C must be a constant", quant.ErrValidation)
			}
			b, err := biasOf(im.b, bt, w.dims[1])
			if err != nil {
				return err
			}
			for k := range b {
				b[k] *= beta
			}
			res.b = b
		}
	case "Relu":
		x, c, err := arg(0)
		if err != nil {
			return err
		}
		if c != nil {
			return fmt.Errorf("%w: Relu of a constant is not folded (unsupported)", quant.ErrValidation)
		}
		res = &value{op: "relu", args: []*value{x}, node: where}
	case "Add":
		a, ca, err := arg(0)
		if err != nil {
			return err
		}
		b, cb, err := arg(1)
		if err != nil {
			return err
		}
		switch {
		case a != nil && b != nil:
			res = &value{op: "add", args: []*value{a, b}, node: where}
		case a != nil || b != nil:
			lin, c := a, cb
			if lin == nil {
				lin, c = b, ca
			}
			if lin.op != "linear" || lin.b != nil {
				return fmt.Errorf("%w: a constant is added to %s; only a bias added to the output of a MatMul is supported", quant.ErrValidation, lin.node)
			}
			bias, err := biasOf(im.b, c, lin.w.dims[1])
			if err != nil {
				return err
			}
			cp := *lin
			cp.b, cp.node = bias, where
			res = &cp
		default:
			return fmt.Errorf("%w: Add of two constants is not folded (unsupported)", quant.ErrValidation)
		}
	default:
		return fmt.Errorf("%w: op type %s is not part of an ffn block (supported: %s)", quant.ErrValidation, n.GetOpType(), strings.Join(SupportedOps, ", "))
	}
	im.vals[out] = res
	return nil
}

// biasOf reads a bias of length n from a tensor of shape [n] or [1, n], or
// broadcasts a single value (shapes [], [1], [1, 1]) to all n.
func biasOf(bg *budget, t *tensor, n int) ([]float64, error) {
	if err := bg.constant(n); err != nil {
		return nil, err
	}
	if len(t.data) == 1 && len(t.dims) <= 2 {
		b := make([]float64, n)
		for i := range b {
			b[i] = t.data[0]
		}
		return b, nil
	}
	if len(t.data) != n || (len(t.dims) != 1 && !(len(t.dims) == 2 && t.dims[0] == 1)) {
		return nil, fmt.Errorf("%w: bias has shape %v, want [%d]", quant.ErrShape, t.dims, n)
	}
	return slices.Clone(t.data), nil
}

// transpose copies a constant matrix, transposed.
func transpose(b *budget, t *tensor) (*tensor, error) {
	if err := b.constant(len(t.data)); err != nil {
		return nil, err
	}
	r, c := t.dims[0], t.dims[1]
	out := &tensor{dims: []int{c, r}, data: make([]float64, len(t.data))}
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			out.data[j*r+i] = t.data[i*c+j]
		}
	}
	return out, nil
}

// scale copies a constant tensor, multiplied by alpha.
func scale(b *budget, t *tensor, alpha float64) (*tensor, error) {
	if err := b.constant(len(t.data)); err != nil {
		return nil, err
	}
	out := &tensor{dims: t.dims, data: make([]float64, len(t.data))}
	for k, v := range t.data {
		out.data[k] = alpha * v
	}
	return out, nil
}

const ffnPattern = "Add(input, Linear(Relu(Linear(input)))), Linear being MatMul [+ Add bias] or Gemm"

// matchFFN matches the expression tree of the output against the ffn block.
func matchFFN(b *budget, in, out *value) (*quant.FloatModel, error) {
	fail := func(v *value, format string, args ...any) error {
		return fmt.Errorf("onnx: %w: the graph is not a supported ffn block (%s): at %s: %s", quant.ErrValidation, ffnPattern, v.node, fmt.Sprintf(format, args...))
	}
	if out.op != "add" {
		return nil, fail(out, "the output is %s, want the residual Add", out.op)
	}
	x, p := out.args[0], out.args[1]
	if x != in {
		x, p = p, x
	}
	if x != in {
		return nil, fail(out, "neither operand of the residual Add is the graph input")
	}
	if p.op != "linear" {
		return nil, fail(p, "want the second linear layer, got %s", p.op)
	}
	r := p.args[0]
	if r.op != "relu" {
		return nil, fail(r, "want Relu before the second linear layer, got %s", r.op)
	}
	l1 := r.args[0]
	if l1.op != "linear" {
		return nil, fail(l1, "want the first linear layer before Relu, got %s", l1.op)
	}
	if l1.args[0] != in {
		return nil, fail(l1, "the first linear layer must read the graph input")
	}
	d, h := l1.w.dims[0], l1.w.dims[1]
	if in.width != 0 && in.width != d {
		return nil, fail(l1, "weight has %d rows, the input has d_model %d", d, in.width)
	}
	if p.w.dims[0] != h || p.w.dims[1] != d {
		return nil, fail(p, "weight has shape %v, want [%d, %d]", p.w.dims, h, d)
	}
	cfg := quant.Config{Architecture: quant.ArchitectureFFN, DModel: d, DHidden: h, SeqLen: in.seq, Activation: quant.ActivationReLU}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	bias := func(v *value, n int) []float64 {
		if v.b == nil {
			return make([]float64, n)
		}
		return v.b
	}
	for _, t := range []*tensor{l1.w, p.w} {
		if err := b.constant(len(t.data)); err != nil {
			return nil, fmt.Errorf("onnx: the extracted weights: %w", err)
		}
		for k, v := range t.data {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("onnx: %w: weight element %d is %v", quant.ErrRange, k, v)
			}
		}
	}
	return &quant.FloatModel{
		Config: cfg,
		W1:     mat.NewDense(d, h, slices.Clone(l1.w.data)),
		B1:     bias(l1, h),
		W2:     mat.NewDense(h, d, slices.Clone(p.w.data)),
		B2:     bias(p, d),
	}, nil
}

// decodeTensor reads a constant tensor as float64, whatever its stored type.
func decodeTensor(b *budget, t *onnxpb.TensorProto) (*tensor, error) {
	if len(t.GetExternalData()) > 0 || t.GetDataLocation() == onnxpb.TensorProto_EXTERNAL {
		return nil, fmt.Errorf("%w: external tensor data is not supported (re-export with the weights inside the .onnx file)", quant.ErrValidation)
	}
	if len(t.GetDims()) > MaxRank {
		return nil, fmt.Errorf("%w: rank %d, at most %d", quant.ErrValidation, len(t.GetDims()), MaxRank)
	}
	n := 1
	dims := make([]int, len(t.GetDims()))
	for i, d := range t.GetDims() {
		if d < 0 || d > MaxTensorElements || n*int(d) > MaxTensorElements {
			return nil, fmt.Errorf("%w: shape %v has more than %d elements", quant.ErrValidation, t.GetDims(), MaxTensorElements)
		}
		dims[i] = int(d)
		n *= int(d)
	}
	dt := onnxpb.TensorProto_DataType(t.GetDataType())
	raw := t.GetRawData()
	if len(raw) > 0 {
		size := map[onnxpb.TensorProto_DataType]int{onnxpb.TensorProto_FLOAT: 4, onnxpb.TensorProto_DOUBLE: 8, onnxpb.TensorProto_FLOAT16: 2,
			onnxpb.TensorProto_INT64: 8, onnxpb.TensorProto_INT32: 4, onnxpb.TensorProto_BOOL: 1}[dt]
		if size == 0 {
			return nil, fmt.Errorf("%w: element type %s is not supported (supported: FLOAT, DOUBLE, FLOAT16, INT64, INT32, BOOL)", quant.ErrValidation, dt)
		}
		if len(raw) != n*size {
			return nil, fmt.Errorf("%w: %d data bytes for shape %v of %s", quant.ErrShape, len(raw), dims, dt)
		}
		if err := b.constant(n); err != nil {
			return nil, err
		}
		out := make([]float64, n)
		for i := range out {
			e := raw[i*size:]
			switch dt {
			case onnxpb.TensorProto_FLOAT:
				out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(e)))
			case onnxpb.TensorProto_DOUBLE:
				out[i] = math.Float64frombits(binary.LittleEndian.Uint64(e))
			case onnxpb.TensorProto_FLOAT16:
				out[i] = float64(float16.Frombits(binary.LittleEndian.Uint16(e)).Float32())
			case onnxpb.TensorProto_INT64:
				out[i] = float64(int64(binary.LittleEndian.Uint64(e)))
			case onnxpb.TensorProto_INT32:
				out[i] = float64(int32(binary.LittleEndian.Uint32(e)))
			case onnxpb.TensorProto_BOOL:
				if e[0] != 0 {
					out[i] = 1
				}
			}
		}
		return &tensor{dims: dims, data: out}, nil
	}
	var out []float64
	var err error
	switch dt {
	case onnxpb.TensorProto_FLOAT:
		out, err = convert(b, t.GetFloatData(), n, dims)
	case onnxpb.TensorProto_DOUBLE:
		out, err = convert(b, t.GetDoubleData(), n, dims)
	case onnxpb.TensorProto_INT64:
		out, err = convert(b, t.GetInt64Data(), n, dims)
	case onnxpb.TensorProto_INT32, onnxpb.TensorProto_BOOL:
		out, err = convert(b, t.GetInt32Data(), n, dims)
	default:
		return nil, fmt.Errorf("%w: element type %s is not supported here (supported: FLOAT, DOUBLE, FLOAT16, INT64, INT32, BOOL)", quant.ErrValidation, dt)
	}
	if err != nil {
		return nil, err
	}
	return &tensor{dims: dims, data: out}, nil
}

// convert reads the typed values of a tensor of n elements as float64.
func convert[T float32 | float64 | int32 | int64](b *budget, vals []T, n int, dims []int) ([]float64, error) {
	if len(vals) != n {
		return nil, fmt.Errorf("%w: %d values for shape %v", quant.ErrShape, len(vals), dims)
	}
	if err := b.constant(n); err != nil {
		return nil, err
	}
	out := make([]float64, n)
	for i, v := range vals {
		out[i] = float64(v)
	}
	return out, nil
}
