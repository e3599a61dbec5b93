package ops

import (
	"errors"
	"fmt"
	"slices"

	"github.com/zkinfer/zkinfer/quant"
)

// NextTokens is greedy decoding checked in one forward pass (issue 15).
// Inputs: the logits [..., T, V] of a causal language model (int8; the
// leading axes hold one element) and the model's own token ids (an index
// value of T elements: the prompt of L tokens, the first N − 1 tokens of
// the completion, then padding up to T ≥ L + N − 1). Attributes From =
// L − 1 and Count = N. Output: the completion, an index value [N] within
// [0, V − 1]:
//
//	out[k] = argmax_v logits[From + k][v]   (ties: the lowest id)
//	ids[From + k + 1] = out[k]              for k < N − 1
//
// So the model read, at every position after the prompt, the token it
// predicted at the position before. A causal mask makes position t's
// logits a function of ids[0..t] alone, so row From + k is exactly the
// logits of decoding step k (the prompt plus out[0..k−1]), and the padding
// after position L + N − 2 changes no checked row: the proof of one pass
// over T positions is the proof of N greedy decoding steps. The integer
// reference refuses ids that do not follow their own argmax.
//
// It is both the float and the integer op (no parameters, no scale).
//
// With Sliced (kind next_tokens_rows, NextTokensModel's form) the logits
// are only the checked rows [..., N, V]: row k is position From + k (the
// LM head ran on rows From … From + N − 1 alone, see SliceRows); the ids
// are still the T positions and the checks are the same.
type NextTokens struct {
	From  int `json:"from"`
	Count int `json:"count"`
	// Sliced is set by the kind (next_tokens_rows), never by a file.
	Sliced bool `json:"-"`
}

// MaxNextTokensVocab bounds V: the ids are 24-bit index values.
const MaxNextTokensVocab = quant.MaxIndex + 1

func init() {
	quant.RegisterOp(quant.OpInfo{
		Kind: "next_tokens", ID: 75,
		New:      func() quant.Op { return &NextTokens{} },
		NewFloat: func() quant.FloatOp { return &NextTokens{} },
		Doc:      "greedy decoding in one pass: the argmax (lowest id on ties) of each logits row from From on is the next token id, and equals the model's input id at the next position; about 5 R1CS constraints and one 8-bit range check per checked logit",
	})
	quant.RegisterOp(quant.OpInfo{
		Kind: "next_tokens_rows", ID: 83,
		New:      func() quant.Op { return &NextTokens{Sliced: true} },
		NewFloat: func() quant.FloatOp { return &NextTokens{Sliced: true} },
		Doc:      "next_tokens on the checked logits rows only (row k is position From + k: the LM head ran on those rows alone); the same checks and cost",
	})
}

func (n *NextTokens) Kind() string {
	if n.Sliced {
		return "next_tokens_rows"
	}
	return "next_tokens"
}

// row is the logits row of checked position From + k.
func (n *NextTokens) row(k int) int {
	if n.Sliced {
		return k
	}
	return n.From + k
}

// Row is the logits row of checked position From + k (k < Count).
func (n *NextTokens) Row(k int) int { return n.row(k) }

func (n *NextTokens) Params() []*quant.Param          { return nil }
func (n *NextTokens) OutFracs([]int, []float64) []int { return []int{0} }

// IndexInput: the ids (input 1) are an index value.
func (*NextTokens) IndexInput(i int) bool { return i == 1 }

// IndexOutput: the completion is an index value.
func (*NextTokens) IndexOutput(i int) bool { return i == 0 }

// resolve checks the shapes: logits [..., T, V] ([..., Count, V] when
// Sliced) with one element in the leading axes, ids of T elements along
// their last axis, 0 ≤ From, 1 ≤ Count, From + Count ≤ T; it returns T
// and V.
func (n *NextTokens) resolve(logits, ids []int) (t, v int, err error) {
	if len(logits) < 2 {
		return 0, 0, fmt.Errorf("%w: %s logits of shape %v, want [..., T, V]", quant.ErrShape, n.Kind(), logits)
	}
	rows := logits[len(logits)-2]
	v = logits[len(logits)-1]
	if quant.ShapeSize(logits) != rows*v {
		return 0, 0, fmt.Errorf("%w: %s logits %v: the leading axes must hold one element (one sequence)", quant.ErrShape, n.Kind(), logits)
	}
	if v < 2 || v > MaxNextTokensVocab {
		return 0, 0, fmt.Errorf("%w: %s over a vocabulary of %d, want 2..%d", quant.ErrShape, n.Kind(), v, MaxNextTokensVocab)
	}
	t = quant.ShapeSize(ids)
	// The ids' last axis is the sequence (CheckCausal reads positions
	// along it): [T] or [1, …, 1, T], never [T, 1] (every id at
	// coordinate 0: any model would pass as causal).
	if len(ids) == 0 || ids[len(ids)-1] != t {
		return 0, 0, fmt.Errorf("%w: %s ids %v, want [%d] or [1, %d]", quant.ErrShape, n.Kind(), ids, t, t)
	}
	if n.Sliced {
		if rows != n.Count {
			return 0, 0, fmt.Errorf("%w: next_tokens_rows reads %d logits rows for %d tokens", quant.ErrShape, rows, n.Count)
		}
	} else if t != rows {
		return 0, 0, fmt.Errorf("%w: next_tokens ids %v for %d logits rows", quant.ErrShape, ids, rows)
	}
	if n.From < 0 || n.Count < 1 || n.Count > t || n.From > t-n.Count { // not From + Count > T: it overflows
		return 0, 0, fmt.Errorf("%w: next_tokens of %d tokens after a prompt of %d: the model reads %d positions, want prompt + tokens − 1 ≤ %d", quant.ErrValidation, n.Count, n.From+1, t, t)
	}
	return t, v, nil
}

func (n *NextTokens) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 2); err != nil {
		return nil, err
	}
	if _, _, err := n.resolve(in[0], in[1]); err != nil {
		return nil, err
	}
	return [][]int{{n.Count}}, nil
}

// Eval is the float argmax of each row from From on; it does not check the
// ids (calibration runs on any ids).
func (n *NextTokens) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	_, v, err := n.resolve(in[0].Shape, in[1].Shape)
	if err != nil {
		return nil, err
	}
	y := make([]float64, n.Count)
	for k := range y {
		r := n.row(k)
		y[k] = float64(argmaxRow(in[0].Data[r*v : (r+1)*v]))
	}
	return []*quant.FloatTensor{{Shape: []int{n.Count}, Data: y}}, nil
}

// argmaxRow is the first index of the largest value.
func argmaxRow[T int64 | float64](x []T) int {
	best := 0
	for j := 1; j < len(x); j++ {
		if x[j] > x[best] {
			best = j
		}
	}
	return best
}

func (n *NextTokens) Quantize(in, out []quant.Value) (quant.Op, error) {
	_, v, err := n.resolve(in[0].Shape, in[1].Shape)
	if err != nil {
		return nil, err
	}
	out[0].DType, out[0].Frac, out[0].Lo, out[0].Hi = quant.DTypeIndex, 0, 0, int64(v-1)
	q := &NextTokens{From: n.From, Count: n.Count, Sliced: n.Sliced}
	if err := q.Check(in, out); err != nil {
		return nil, err
	}
	return q, nil
}

func (n *NextTokens) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 2, 1); err != nil {
		return err
	}
	if in[0].DType != quant.DTypeInt8 || in[1].DType != quant.DTypeIndex {
		return fmt.Errorf("%w: next_tokens reads int8 logits and index ids, not %q and %q", quant.ErrValidation, in[0].DType, in[1].DType)
	}
	_, v, err := n.resolve(in[0].Shape, in[1].Shape)
	if err != nil {
		return err
	}
	if in[1].Lo < 0 || in[1].Hi > int64(v-1) {
		return fmt.Errorf("%w: next_tokens ids within [%d, %d], want within the vocabulary [0, %d]", quant.ErrRange, in[1].Lo, in[1].Hi, v-1)
	}
	y := out[0]
	if y.DType != quant.DTypeIndex || y.Lo != 0 || y.Hi != int64(v-1) || !slices.Equal(y.Shape, []int{n.Count}) {
		return fmt.Errorf("%w: next_tokens output %q %v [%d, %d], want index [%d] within [0, %d]", quant.ErrValidation, y.DType, y.Shape, y.Lo, y.Hi, n.Count, v-1)
	}
	return nil
}

// Forward returns the argmax of each row from From on, and refuses ids
// that do not follow it (the claimed completion is not the greedy one).
func (n *NextTokens) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	_, v, err := n.resolve(in[0].Shape, in[1].Shape)
	if err != nil {
		return nil, err
	}
	y := Greedy(in[0].Data, v, n.row(0), n.Count)
	for k := range len(y) - 1 {
		if got := in[1].Data[n.From+k+1]; got != y[k] {
			return nil, fmt.Errorf("%w: %w: position %d holds token %d, the model's greedy next token after position %d is %d", quant.ErrValidation, ErrNotGreedy, n.From+k+1, got, n.From+k, y[k])
		}
	}
	return []*quant.Tensor{{Shape: []int{n.Count}, Data: y}}, nil
}

// ErrNotGreedy marks ids that are not the model's greedy completion.
var ErrNotGreedy = errors.New("not the greedy completion")

// Greedy returns the argmax (lowest id on ties) of rows from … from +
// count − 1 of the logits [·, v].
func Greedy(logits []int64, v, from, count int) []int64 {
	y := make([]int64, count)
	for k := range y {
		y[k] = int64(argmaxRow(logits[(from+k)*v : (from+k+1)*v]))
	}
	return y
}

func (n *NextTokens) Encode(e *quant.Encoder) error {
	e.Int(int64(n.From))
	e.Int(int64(n.Count))
	return nil
}
func (n *NextTokens) EncodeWeights(*quant.Encoder) error { return nil }

// Cost: per checked logit the selector's booleanity, its product with the
// logit and one 8-bit range check, as argmax (5 R1CS, 15 PLONK), plus one
// equality per tied id.
func (n *NextTokens) Cost(in, out []quant.Value) quant.Cost {
	k := out[0].Size()
	v := 1
	if s := in[0].Shape; len(s) > 0 {
		v = s[len(s)-1]
	}
	return quant.Cost{R1CS: 5*k*v + k, SCS: 15*k*v + 2*k}
}

// NextTokensModel returns the greedy-completion model of a causal language
// model m (one index input, the token ids [1, T] or [T]; one int8 output,
// the logits [1, T, V] or [T, V]) for a prompt of promptLen tokens and a
// completion of newTokens: m's graph with a next_tokens node (From =
// promptLen − 1, Count = newTokens) reading the logits and the ids, whose
// completion [newTokens] is the only output. The model's input is then
// the prompt, the completion but its last token, and padding up to T (any
// ids: the causal mask keeps them out of every checked row); its output the
// completion. m must be causal, which quant.CheckCausal proves statically
// (logits row t depends only on ids ≤ t; anything it cannot show is
// refused, naming the first node that mixes positions). m is not
// modified (the graph's slices are copied; ops are shared, they are never
// written).
//
// The row-uniform ops before the logits (ln_f, the LM head, the last
// block's MLP: SliceRows) run on the checked rows only, after a slice of
// their inputs, and a next_tokens_rows node reads those Count rows: the
// same integers on every checked row (same ops and weights), so the same
// completion, at the head's cost per new token instead of per position.
// NextTokensModelFull keeps every row.
func NextTokensModel(m *quant.Model, promptLen, newTokens int) (*quant.Model, error) {
	return nextTokensModel(m, promptLen, newTokens, true)
}

// NextTokensModelFull is NextTokensModel without row slicing: the LM graph
// computes its logits at every position and next_tokens reads rows From …
// From + Count − 1 of them (the form before row slicing; for comparisons).
func NextTokensModelFull(m *quant.Model, promptLen, newTokens int) (*quant.Model, error) {
	return nextTokensModel(m, promptLen, newTokens, false)
}

func nextTokensModel(m *quant.Model, promptLen, newTokens int, slice bool) (*quant.Model, error) {
	g := m.Graph
	if g == nil || len(g.Inputs) != 1 || len(g.Outputs) != 1 {
		return nil, fmt.Errorf("%w: greedy completion needs a layer graph with one input (the token ids) and one output (the logits)", quant.ErrValidation)
	}
	ids, logits := g.Values[g.Inputs[0]], g.Values[g.Outputs[0]]
	if ids.DType != quant.DTypeIndex {
		return nil, fmt.Errorf("%w: the model's input %q is not token ids (an index input)", quant.ErrValidation, ids.Name)
	}
	if logits.DType != quant.DTypeInt8 {
		return nil, fmt.Errorf("%w: the model's output %q is not int8 logits", quant.ErrValidation, logits.Name)
	}
	if err := quant.CheckCausal(g, g.Inputs[0], -1, g.Outputs[0], -2); err != nil {
		return nil, fmt.Errorf("greedy completion needs a causal model (logits row t a function of the ids up to t): %w", err)
	}
	op := &NextTokens{From: promptLen - 1, Count: newTokens}
	shapes, err := op.OutShapes([][]int{logits.Shape, ids.Shape})
	if err != nil {
		return nil, fmt.Errorf("greedy completion of %d tokens after %d: %w", newTokens, promptLen, err)
	}
	v := logits.Shape[len(logits.Shape)-1]
	ng := &quant.Graph{Values: slices.Clone(g.Values), Inputs: slices.Clone(g.Inputs), Nodes: slices.Clone(g.Nodes)}
	var fracs []int
	if m.Scales.Graph != nil {
		fracs = m.Scales.Graph.Fracs
	}
	if slice {
		rs, ok, err := SliceRows(g, fracs, g.Outputs[0], op.From, op.Count)
		if err != nil {
			return nil, err
		}
		if ok {
			ng, fracs = rs.Graph, rs.Fracs
			op.Sliced = true
		}
	}
	id := len(ng.Values)
	ng.Values = append(ng.Values, quant.Value{Name: "next_tokens", Shape: shapes[0], DType: quant.DTypeIndex, Lo: 0, Hi: int64(v - 1)})
	ng.Nodes = append(ng.Nodes, quant.Node{Name: "next_tokens", Op: op, In: []int{g.Outputs[0], g.Inputs[0]}, Out: []int{id}})
	ng.Outputs = []int{id}
	out := *m
	out.Graph = ng
	if m.Scales.Graph != nil {
		sg := *m.Scales.Graph
		sg.Fracs = append(slices.Clone(fracs), 0)
		out.Scales.Graph = &sg
	}
	if err := out.Validate(); err != nil {
		return nil, err
	}
	if op.Sliced {
		// What verify --model checks, on the rewritten graph.
		if err := CheckGreedyCausal(&out); err != nil {
			return nil, fmt.Errorf("greedy completion on the checked rows: %w", err)
		}
	}
	return &out, nil
}

// ArgMaxIndex is ONNX ArgMax (keepdims as ONNX, ties to the first index)
// over an axis of more than 128 values — a vocabulary: the index is an
// index value (DTypeIndex) within [0, n − 1], n ≤ 2^24, so it feeds graph
// outputs and ops that read ids, not int8 ops. The gadget is next_tokens'
// argmax. Both the float and the integer op.
type ArgMaxIndex struct {
	Axis     int  `json:"axis"`
	KeepDims bool `json:"keepdims"`
}

func init() {
	quant.RegisterOp(quant.OpInfo{
		Kind: "argmax_index", ID: 78,
		New:      func() quant.Op { return &ArgMaxIndex{} },
		NewFloat: func() quant.FloatOp { return &ArgMaxIndex{} },
		Doc:      "the index of the largest value along an axis of up to 2^24 values (first on ties), an index value: a hinted one-hot selector, about 5 constraints and one 8-bit range check per input",
	})
}

func (a *ArgMaxIndex) Kind() string                    { return "argmax_index" }
func (a *ArgMaxIndex) Params() []*quant.Param          { return nil }
func (a *ArgMaxIndex) OutFracs([]int, []float64) []int { return []int{0} }

// IndexOutput: the index is an index value.
func (*ArgMaxIndex) IndexOutput(i int) bool { return i == 0 }

func (a *ArgMaxIndex) resolve(x []int) (axis, n int, out []int, err error) {
	axis, n, out, err = argmaxAxis(x, a.Axis, a.KeepDims)
	if err != nil {
		return 0, 0, nil, err
	}
	if n < 2 || n > MaxNextTokensVocab {
		return 0, 0, nil, fmt.Errorf("%w: argmax_index over an axis of %d values (2..%d)", quant.ErrShape, n, MaxNextTokensVocab)
	}
	return axis, n, out, nil
}

// Groups returns the input positions of every output, in axis order, and
// the axis length.
func (a *ArgMaxIndex) Groups(x []int) ([]int, int, error) {
	axis, _, _, err := a.resolve(x)
	if err != nil {
		return nil, 0, err
	}
	g, n := ReduceGroups(x, []int{axis})
	return g, n, nil
}

func (a *ArgMaxIndex) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 1); err != nil {
		return nil, err
	}
	_, _, out, err := a.resolve(in[0])
	if err != nil {
		return nil, err
	}
	return [][]int{out}, nil
}

func (a *ArgMaxIndex) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	axis, _, out, err := a.resolve(in[0].Shape)
	if err != nil {
		return nil, err
	}
	return argmaxEval(in[0], axis, out), nil
}

func (a *ArgMaxIndex) Quantize(in, out []quant.Value) (quant.Op, error) {
	_, n, _, err := a.resolve(in[0].Shape)
	if err != nil {
		return nil, err
	}
	out[0].DType, out[0].Frac, out[0].Lo, out[0].Hi = quant.DTypeIndex, 0, 0, int64(n-1)
	q := &ArgMaxIndex{Axis: a.Axis, KeepDims: a.KeepDims}
	if err := q.Check(in, out); err != nil {
		return nil, err
	}
	return q, nil
}

func (a *ArgMaxIndex) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 1, 1); err != nil {
		return err
	}
	if in[0].DType != quant.DTypeInt8 {
		return fmt.Errorf("%w: argmax_index of a %q value", quant.ErrValidation, in[0].DType)
	}
	_, n, shape, err := a.resolve(in[0].Shape)
	if err != nil {
		return err
	}
	if y := out[0]; y.DType != quant.DTypeIndex || y.Lo != 0 || y.Hi != int64(n-1) || !slices.Equal(y.Shape, shape) {
		return fmt.Errorf("%w: argmax_index output %q %v [%d, %d], want index %v within [0, %d]", quant.ErrValidation, y.DType, y.Shape, y.Lo, y.Hi, shape, n-1)
	}
	return nil
}

func (a *ArgMaxIndex) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	axis, _, _, err := a.resolve(in[0].Shape)
	if err != nil {
		return nil, err
	}
	return []*quant.Tensor{{Shape: out[0].Shape, Data: argmaxRun(in[0].Data, in[0].Shape, axis)}}, nil
}

func (a *ArgMaxIndex) Encode(e *quant.Encoder) error {
	encodeArgmax(e, a.Axis, a.KeepDims)
	return nil
}
func (a *ArgMaxIndex) EncodeWeights(*quant.Encoder) error { return nil }

// Cost: as next_tokens per input value.
func (a *ArgMaxIndex) Cost(in, _ []quant.Value) quant.Cost {
	n := in[0].Size()
	return quant.Cost{R1CS: 5 * n, SCS: 15 * n}
}

// CheckGreedyCausal checks a greedy-completion model (NextTokensModel's
// output): every next_tokens node's logits rows depend only on the ids at
// positions up to theirs (quant.CheckCausal from the ids it reads; for a
// next_tokens_rows node row k is position From + k, quant.CheckCausalFrom).
func CheckGreedyCausal(m *quant.Model) error {
	g := m.Graph
	if g == nil {
		return fmt.Errorf("%w: not a layer graph", quant.ErrValidation)
	}
	found := false
	for _, n := range g.Nodes {
		if _, ok := n.Op.(*NextTokens); !ok {
			continue
		}
		if len(n.In) != 2 {
			return fmt.Errorf("%w: next_tokens node %q reads %d values", quant.ErrValidation, n.Name, len(n.In))
		}
		found = true
		from := 0
		if nt := n.Op.(*NextTokens); nt.Sliced {
			from = nt.From // logits row k is position From + k
		}
		if err := quant.CheckCausalFrom(g, n.In[1], -1, n.In[0], -2, from); err != nil {
			return err
		}
	}
	if !found {
		return fmt.Errorf("%w: no next_tokens node", quant.ErrValidation)
	}
	return nil
}
