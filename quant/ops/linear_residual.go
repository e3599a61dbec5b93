package ops

import (
	"fmt"
	"slices"

	"github.com/zkinfer/zkinfer/quant"
)

// LinearResidual is y = r + x·W + b: a linear layer (W constant, no ReLU)
// whose output goes only into a residual add, fused into one op. Its
// integer form saturates once, after the add, instead of once for the
// linear layer and once for the add: quantization fuses a linear node
// whose only reader is a residual add at one scale into it
// (FuseResidualPass), and a graph file may name it directly.
type LinearResidual struct {
	Weight *quant.Param `json:"-"`
	Bias   *quant.Param `json:"-"`
}

// QLinearResidual is LinearResidual in integers, on x (last axis In) and r
// (the residual stream, int8, at the output's fraction):
//
//	q = floor((acc·Mult + 2^(Shift−1)) / 2^Shift),  acc = x·W + B (quant.Dense, no clamp)
//	y = clamp(q + r, −128, 127)
//
// where the unfused pair computes clamp(clamp(q, −128, 127) + r, −128, 127).
// Both agree unless q leaves int8 and r pulls q + r back (then the fused
// value is the exact sum, the unfused one has lost the excess): the fused
// op is at least as accurate. Dense.Lo and Hi are the output's clamp
// bounds, −128 and 127.
//
// In the circuit q's remainder is range-checked as a linear layer's, and
// one clamp (a table lookup, or the selector path) replaces both clamps:
// one lookup (2 R1CS constraints) less per output. The clamp's bound
// (fixedpoint.ResidualQuotientBits): with A = Dense.AccBound(j) (so
// |acc| ≤ A for every int8 x) and Q = floor((A·Mult + 2^(Shift−1)) / 2^Shift),
// −Q ≤ q ≤ Q (for acc ≥ −A, q ≥ −ceil((A·Mult − 2^(Shift−1)) / 2^Shift)
// ≥ −Q, as the two quotients of A·Mult ∓ 2^(Shift−1) differ by exactly
// one), so v = q + r lies in
// [−Q − 128, Q + 127] and its distance to either int8 bound is at most
// Q + 255 < 2^b for b = bitlen(Q + 258): every key of an honest witness
// lies in a clamp table the plan admits for b (fixedpoint's fits), and no
// int8 input under the node's weights can produce one outside it. A
// dishonest q is bounded by the clamp itself (the lookup's key, or the
// selectors' checks, bound v, and r is int8), which with the remainder's
// range check leaves only the true q.
type QLinearResidual struct {
	quant.Dense
}

func init() {
	quant.RegisterOp(quant.OpInfo{
		Kind: "linear_residual", ID: 87,
		New:      func() quant.Op { return &QLinearResidual{} },
		NewFloat: func() quant.FloatOp { return NewLinearResidual(nil, nil) },
		Doc:      "r + x·W + b, a linear layer fused with the residual add that reads it (quantization fuses them): one requantization and one clamp per output",
	})
}

// NewLinearResidual returns a LinearResidual with weights w [in][out] and
// bias b [out].
func NewLinearResidual(w, b *quant.FloatTensor) *LinearResidual {
	return &LinearResidual{Weight: &quant.Param{Name: "weight", T: w}, Bias: &quant.Param{Name: "bias", T: b}}
}

func (l *LinearResidual) Kind() string           { return "linear_residual" }
func (l *LinearResidual) Params() []*quant.Param { return []*quant.Param{l.Weight, l.Bias} }
func (l *LinearResidual) linear() *Linear        { return &Linear{Weight: l.Weight, Bias: l.Bias} }

// OutFracs: the residual stream's fraction (as residual).
func (l *LinearResidual) OutFracs(in []int, _ []float64) []int { return []int{in[1]} }

func (l *LinearResidual) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 2); err != nil {
		return nil, err
	}
	out, err := l.linear().OutShapes(in[:1])
	if err != nil {
		return nil, err
	}
	if !sameShape(out[0], in[1]) {
		return nil, fmt.Errorf("%w: linear output %v and residual %v, want one shape", quant.ErrShape, out[0], in[1])
	}
	return out, nil
}

func (l *LinearResidual) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	out, err := l.linear().Eval(in[:1])
	if err != nil {
		return nil, err
	}
	for i, v := range in[1].Data {
		out[0].Data[i] += v
	}
	return out, nil
}

// Quantize: the layer's multipliers map its accumulator straight to the
// output's fraction, which must be the residual's.
func (l *LinearResidual) Quantize(in, out []quant.Value) (quant.Op, error) {
	return l.QuantizePrecision(in, out, nil, quant.Requantizer{})
}

// QuantizePrecision is Quantize with the shift chosen by r (the settings'
// requant_bits apply to the fused layer as to a linear one).
func (l *LinearResidual) QuantizePrecision(in, out []quant.Value, _ []int, r quant.Requantizer) (quant.Op, error) {
	if in[1].Frac != out[0].Frac || in[1].DType != quant.DTypeInt8 {
		return nil, fmt.Errorf("%w: linear_residual: residual at frac %d (dtype %q), output at frac %d: the residual must be int8 at the output's fraction", quant.ErrValidation, in[1].Frac, in[1].DType, out[0].Frac)
	}
	ni, no := l.linear().dims()
	d, err := r.QuantizeDense(l.Weight.T.Data, l.Bias.T.Data, ni, no, in[0].Frac, out[0].Frac, quant.Int8Min)
	if err != nil {
		return nil, err
	}
	out[0].Lo, out[0].Hi = quant.Int8Min, quant.Int8Max
	return &QLinearResidual{Dense: *d}, nil
}

func (q *QLinearResidual) Kind() string { return "linear_residual" }

func (q *QLinearResidual) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 2, 1); err != nil {
		return err
	}
	if err := q.Dense.Validate("linear_residual"); err != nil {
		return err
	}
	if q.Lo != quant.Int8Min || q.Hi != quant.Int8Max {
		return fmt.Errorf("%w: linear_residual clamps to [%d, %d], want [-128, 127] (a ReLU layer does not fuse)", quant.ErrValidation, q.Lo, q.Hi)
	}
	x, r, y := in[0], in[1], out[0]
	want := slices.Clone(x.Shape)
	if len(want) > 0 {
		want[len(want)-1] = q.Out
	}
	if len(x.Shape) == 0 || x.Shape[len(x.Shape)-1] != q.In || !slices.Equal(y.Shape, want) || !slices.Equal(r.Shape, y.Shape) {
		return fmt.Errorf("%w: %d×%d layer maps %v to %v, residual %v", quant.ErrShape, q.In, q.Out, x.Shape, y.Shape, r.Shape)
	}
	if r.DType != quant.DTypeInt8 || r.Frac != y.Frac {
		return fmt.Errorf("%w: residual (dtype %q, frac %d) must be int8 at the output's fraction %d", quant.ErrValidation, r.DType, r.Frac, y.Frac)
	}
	if y.Lo != quant.Int8Min || y.Hi != quant.Int8Max {
		return fmt.Errorf("%w: output bounds [%d, %d], want int8", quant.ErrRange, y.Lo, y.Hi)
	}
	return nil
}

// Apply returns the outputs of one row: x (In values) and r (Out values).
func (q *QLinearResidual) Apply(x, r []int64) []int64 {
	y := make([]int64, q.Out)
	for j := range y {
		a := q.B[j]
		for i := 0; i < q.In; i++ {
			a += x[i] * int64(q.W[i*q.Out+j])
		}
		y[j] = quant.Clamp(quant.RequantizeUnclamped(a, q.Mult[j], q.Shift)+r[j], quant.Int8Min, quant.Int8Max)
	}
	return y
}

func (q *QLinearResidual) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	x, r := in[0].Data, in[1].Data
	rows := len(x) / q.In
	y := make([]int64, 0, rows*q.Out)
	for k := 0; k < rows; k++ {
		y = append(y, q.Apply(x[k*q.In:(k+1)*q.In], r[k*q.Out:(k+1)*q.Out])...)
	}
	return []*quant.Tensor{{Shape: out[0].Shape, Data: y}}, nil
}

// Encode is linear's (In, Out, Shift, Lo, Hi); the op ID tells them apart.
func (q *QLinearResidual) Encode(e *quant.Encoder) error {
	return (&QLinear{Dense: q.Dense}).Encode(e)
}

func (q *QLinearResidual) EncodeWeights(e *quant.Encoder) error {
	return quant.EncodeWeightSpecs(e, q.Weights())
}

// Weights lists W (int8, [in][out]), B (int32) and Mult, as linear.
func (q *QLinearResidual) Weights() []quant.WeightSpec {
	return (&QLinear{Dense: q.Dense}).Weights()
}

// Cost: a linear layer's (one requantization per output, its clamp the
// sum's); the residual add's clamp is gone.
func (q *QLinearResidual) Cost(in, out []quant.Value) quant.Cost {
	return (&QLinear{Dense: q.Dense}).Cost(in[:1], out)
}

// CausalDeps: linear's rows, joined elementwise with the residual.
func (q *QLinearResidual) CausalDeps(in []quant.Value, ds []quant.Deps, out []quant.Value) ([]quant.Deps, error) {
	if len(ds) != 2 || len(out) != 1 || !slices.Equal(in[1].Shape, out[0].Shape) {
		return nil, errCausal("linear_residual", "shapes")
	}
	lin, err := causalLastRows("linear_residual", in[:1], ds[:1], out, q.In, q.Out)
	if err != nil {
		return nil, err
	}
	src := make([]int, out[0].Size())
	for i := range src {
		src[i] = i
	}
	return []quant.Deps{quant.CausalElementwise([]quant.Deps{lin[0], ds[1]}, [][]int{src, src}, len(src))}, nil
}

func init() { quant.SetFusionPass(FuseResidualPass) }

// FuseResidualPass is the fusion pass quantization applies to a float layer
// graph at its calibrated fractions (quant.SetFusionPass): a linear node
// (no ReLU, no calibration group) whose one output is read only by a
// residual add — a residual node, or a binary add of two operands and an
// output of one shape — whose other operand is at the add's output
// fraction becomes one linear_residual node named "<linear>+<add>",
// quantized straight to that fraction: the add's output. Where both
// operands qualify, the first one fuses.
func FuseResidualPass(g *quant.FloatGraph, fracs []int) []quant.NodeFusion {
	readers, producer := g.Uses()
	var out []quant.NodeFusion
	for j, n := range g.Nodes {
		if len(n.In) != 2 || len(n.Out) != 1 {
			continue
		}
		switch op := n.Op.(type) {
		case *Residual:
		case *Binary:
			if op.Op != "add" {
				continue
			}
		default:
			continue
		}
		y := n.Out[0]
		if !slices.Equal(g.Shapes[n.In[0]], g.Shapes[y]) || !slices.Equal(g.Shapes[n.In[1]], g.Shapes[y]) {
			continue
		}
		for k := range 2 {
			a, r := n.In[k], n.In[1-k]
			i := producer[a]
			if i < 0 || readers[a] != 1 || fracs[r] != fracs[y] {
				continue
			}
			lin, ok := g.Nodes[i].Op.(*Linear)
			if !ok || lin.ReLU || lin.Group != "" || len(g.Nodes[i].In) != 1 {
				continue
			}
			out = append(out, quant.NodeFusion{
				First: i, Second: j,
				Name: g.Nodes[i].Name + "+" + n.Name,
				Op:   &LinearResidual{Weight: lin.Weight, Bias: lin.Bias},
				In:   []int{g.Nodes[i].In[0], r},
			})
			break
		}
	}
	return out
}

// FuseResiduals returns a copy of the integer graph g with every linear
// node whose one output is read only by a residual add — a residual node,
// or a binary add without shifts (one fraction throughout) — whose other
// operand and output are at the linear's output fraction, and whose clamp
// is int8 (no ReLU), replaced by one linear_residual node ("<linear>+<add>")
// with the same integers (quant.Dense shared), and the linear's output
// value dropped (the others renumbered in order). fracs, when not nil, are
// the values' calibrated fractions, returned for the new graph. The result
// is another model's graph: its forward pass differs from g's where a
// layer's output leaves int8 (see QLinearResidual). It serves to build the
// fused form of a graph quantized without it (FromLegacyGPT2's, for the
// benchmarks); layer graphs are fused when quantized (FuseResidualPass).
func FuseResiduals(g *quant.Graph, fracs []int) (*quant.Graph, []int, error) {
	if fracs != nil && len(fracs) != len(g.Values) {
		return nil, nil, fmt.Errorf("%w: %d fractions for %d values", quant.ErrValidation, len(fracs), len(g.Values))
	}
	readers, producer := g.Uses()
	skip := make([]bool, len(g.Nodes))
	fused := map[int]quant.Node{}
	drop := make([]bool, len(g.Values))
	for j, n := range g.Nodes {
		if len(n.In) != 2 || len(n.Out) != 1 {
			continue
		}
		switch op := n.Op.(type) {
		case *QResidual:
		case *QBinary:
			if op.Op != "add" || op.ShiftA != 0 || op.ShiftB != 0 || op.Shift != 0 {
				continue
			}
		default:
			continue
		}
		y := g.Values[n.Out[0]]
		for k := range 2 {
			a, r := n.In[k], n.In[1-k]
			i := producer[a]
			if i < 0 || skip[i] || readers[a] != 1 || len(g.Nodes[i].In) != 1 {
				continue
			}
			lin, ok := g.Nodes[i].Op.(*QLinear)
			av, rv := g.Values[a], g.Values[r]
			if !ok || lin.Lo != quant.Int8Min || lin.Hi != quant.Int8Max || av.Frac != y.Frac || rv.Frac != y.Frac ||
				rv.DType != quant.DTypeInt8 || !slices.Equal(av.Shape, y.Shape) || !slices.Equal(rv.Shape, y.Shape) {
				continue
			}
			skip[i], drop[a] = true, true
			fused[j] = quant.Node{Name: g.Nodes[i].Name + "+" + n.Name, Op: &QLinearResidual{Dense: lin.Dense}, In: []int{g.Nodes[i].In[0], r}, Out: slices.Clone(n.Out)}
			break
		}
	}
	ids := make([]int, len(g.Values))
	out := &quant.Graph{}
	var fs []int
	for id, v := range g.Values {
		ids[id] = -1
		if drop[id] {
			continue
		}
		ids[id] = len(out.Values)
		v.Shape = slices.Clone(v.Shape)
		out.Values = append(out.Values, v)
		if fracs != nil {
			fs = append(fs, fracs[id])
		}
	}
	re := func(l []int) []int { return quant.RemapIDs(ids, l) }
	out.Inputs, out.Outputs = re(g.Inputs), re(g.Outputs)
	for j, n := range g.Nodes {
		if skip[j] {
			continue
		}
		if f, ok := fused[j]; ok {
			n = f
		}
		out.Nodes = append(out.Nodes, quant.Node{Name: n.Name, Op: n.Op, In: re(n.In), Out: re(n.Out)})
	}
	if err := out.Validate(); err != nil {
		return nil, nil, fmt.Errorf("fused graph: %w", err)
	}
	return out, fs, nil
}
