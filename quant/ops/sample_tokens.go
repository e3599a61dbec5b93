package ops

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"slices"
	"sort"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkinfer/zkinfer/quant"
)

// SampleTokens is top-k / temperature sampling with a public seed checked
// in one forward pass, as NextTokens checks greedy decoding. Inputs: the
// logits [..., T, V] of a causal language model (int8 at frac F), the
// model's own token ids (an index value of T elements: prompt, completion
// but its last token, padding) and the seed (an index value [1]).
// Attributes From = L − 1, Count = N, TopK = K (1 ≤ K ≤ V) and Weights, the
// temperature's table (below). Output: the completion [N] within
// [0, V − 1]. For row r = From + k of the logits, x_0 … x_(V−1):
//
//	m    = max_j x_j
//	in_j = 1 iff key_j = (x_j + 128)·V + (V − 1 − j) is among the K
//	       largest keys (the K largest logits, ties to the lower id)
//	w_j  = in_j · Weights[m − x_j]
//	C_j  = w_0 + … + w_j,   S = C_(V−1) (≥ Weights[0] ≥ 1)
//	u    = Poseidon2(SampleTag, seed, r) (quant.Poseidon2), lo = u mod 2^64
//	t    = floor(lo · S / 2^64)                 (uniform in [0, S) up to 2^−64·S)
//	out[k] = min { j : C_j > t }               (a token of weight > 0)
//	ids[r + 1] = out[k]                         for k < N − 1
//
// Weights[d] = round(2^16 · exp(−d·2^−F / temperature)) for d ∈ [0, 255]
// is computed once when the op is made (Quantize) and committed with the
// model (the table, not the temperature, is the semantics: no float
// arithmetic at proving or verifying time); it is non-increasing with
// Weights[0] = 2^16. Check refuses a table that is not its temperature's
// (each entry within 1 of the formula): the commitment binds the table
// only, and a verifier prints the temperature. The randomness is a function of the public seed and
// the position only, so anyone can recompute the sampled completion from
// the model, the prompt and the seed, and the prover has no choice.
//
// It is both the float op (calibration: the same rule over exact
// probabilities) and the integer op.
//
// With Sliced (kind sample_tokens_rows, SampleTokensModel's form) the
// logits are only the checked rows [..., N, V]: row k is position From + k
// (the LM head ran on those rows alone, see SliceRows). The draw still
// hashes the position r = From + k, never k, so the sampled tokens are the
// unsliced op's.
type SampleTokens struct {
	From        int     `json:"from"`
	Count       int     `json:"count"`
	TopK        int     `json:"top_k"`
	Temperature float64 `json:"temperature"`
	// Weights is the integer op's table (256 entries); empty in the float
	// op.
	Weights []int64 `json:"weights,omitempty"`
	// Sliced is set by the kind (sample_tokens_rows), never by a file.
	Sliced bool `json:"-"`
}

// Sampling constants: the weight of the maximum logit, and the bound on
// the sum of the weights of a row (2^16 · 2^24 = 2^40 < 2^41).
const (
	SampleWeightBits = 16
	SampleWeightOne  = 1 << SampleWeightBits
	SampleSumBits    = SampleWeightBits + 25
	// SampleTableSize is the number of differences m − x an int8 row has.
	SampleTableSize = 256
)

// SampleTag is the first element of the sampling hash: the ASCII bytes of
// "zkinfer.sample" read as a big-endian integer (domain separation from
// commitments and I/O hashes).
var SampleTag = func() fr.Element {
	var e fr.Element
	e.SetBigInt(new(big.Int).SetBytes([]byte("zkinfer.sample")))
	return e
}()

// ErrNotSampled marks ids that are not the model's sampled completion.
var ErrNotSampled = errors.New("not the sampled completion")

func init() {
	quant.RegisterOp(quant.OpInfo{
		Kind: "sample_tokens", ID: 71,
		New:      func() quant.Op { return &SampleTokens{} },
		NewFloat: func() quant.FloatOp { return &SampleTokens{} },
		Doc:      "top-k / temperature sampling with a public seed in one pass: each row's token is drawn from the committed weight table over the top k logits by Poseidon2(seed, position), and equals the model's input id at the next position",
	})
	quant.RegisterOp(quant.OpInfo{
		Kind: "sample_tokens_rows", ID: 84,
		New:      func() quant.Op { return &SampleTokens{Sliced: true} },
		NewFloat: func() quant.FloatOp { return &SampleTokens{Sliced: true} },
		Doc:      "sample_tokens on the checked logits rows only (row k is position From + k: the LM head ran on those rows alone; the draw hashes the position); the same checks and cost",
	})
}

func (s *SampleTokens) Kind() string {
	if s.Sliced {
		return "sample_tokens_rows"
	}
	return "sample_tokens"
}

// Row is the logits row of checked position From + k (k < Count).
func (s *SampleTokens) Row(k int) int {
	if s.Sliced {
		return k
	}
	return s.From + k
}

func (s *SampleTokens) Params() []*quant.Param          { return nil }
func (s *SampleTokens) OutFracs([]int, []float64) []int { return []int{0} }

// IndexInput: the ids (1) and the seed (2) are index values.
func (*SampleTokens) IndexInput(i int) bool { return i == 1 || i == 2 }

// IndexOutput: the completion is an index value.
func (*SampleTokens) IndexOutput(i int) bool { return i == 0 }

// resolve checks the shapes and attributes and returns T and V.
func (s *SampleTokens) resolve(logits, ids, seed []int) (t, v int, err error) {
	nt := NextTokens{From: s.From, Count: s.Count, Sliced: s.Sliced}
	if t, v, err = nt.resolve(logits, ids); err != nil {
		return 0, 0, fmt.Errorf("%s (the checks of %s): %w", s.Kind(), nt.Kind(), err)
	}
	if quant.ShapeSize(seed) != 1 {
		return 0, 0, fmt.Errorf("%w: sample_tokens seed %v, want one value", quant.ErrShape, seed)
	}
	if s.TopK < 1 || s.TopK > v {
		return 0, 0, fmt.Errorf("%w: sample_tokens top-k %d of a vocabulary of %d, want 1..%d", quant.ErrValidation, s.TopK, v, v)
	}
	if !(s.Temperature > 0) || math.IsInf(s.Temperature, 0) {
		return 0, 0, fmt.Errorf("%w: sample_tokens temperature %v, want a positive number", quant.ErrValidation, s.Temperature)
	}
	return t, v, nil
}

func (s *SampleTokens) OutShapes(in [][]int) ([][]int, error) {
	if err := arity(in, 3); err != nil {
		return nil, err
	}
	if _, _, err := s.resolve(in[0], in[1], in[2]); err != nil {
		return nil, err
	}
	return [][]int{{s.Count}}, nil
}

// SampleLo is lo = Poseidon2(SampleTag, seed, position) mod 2^64.
func SampleLo(seed int64, position int) uint64 {
	var sd, p fr.Element
	sd.SetInt64(seed)
	p.SetInt64(int64(position))
	h := quant.Poseidon2([]fr.Element{SampleTag, sd, p})
	var b big.Int
	h.BigInt(&b)
	return b.Uint64() // the low 64 bits
}

// topKMask marks the k largest values of x (ties to the lower index).
func topKMask[T int64 | float64](x []T, k int) []bool {
	order := make([]int, len(x))
	for j := range order {
		order[j] = j
	}
	sort.SliceStable(order, func(a, b int) bool { return x[order[a]] > x[order[b]] })
	in := make([]bool, len(x))
	for _, j := range order[:k] {
		in[j] = true
	}
	return in
}

// SampleRow is the integer rule on one row of logits with weight table
// weights: the first id whose cumulative weight exceeds floor(lo·S/2^64).
func SampleRow(x []int64, topK int, weights []int64, lo uint64) int64 {
	m := slices.Max(x)
	in := topKMask(x, topK)
	c := make([]uint64, len(x))
	var sum uint64
	for j, v := range x {
		if in[j] {
			sum += uint64(weights[m-v])
		}
		c[j] = sum
	}
	t, _ := bits.Mul64(lo, sum)
	for j, cj := range c {
		if cj > t {
			return int64(j)
		}
	}
	return int64(len(x) - 1) // unreachable: t < S
}

// SampleWeights returns the table of a temperature for logits at frac.
func SampleWeights(temperature float64, frac int) []int64 {
	w := make([]int64, SampleTableSize)
	for d := range w {
		w[d] = int64(math.Round(SampleWeightOne * math.Exp(-math.Ldexp(float64(d), -frac)/temperature)))
	}
	return w
}

// Eval is the float rule (exact exp weights, the same randomness); it
// does not check the ids (calibration runs on any ids).
func (s *SampleTokens) Eval(in []*quant.FloatTensor) ([]*quant.FloatTensor, error) {
	_, v, err := s.resolve(in[0].Shape, in[1].Shape, in[2].Shape)
	if err != nil {
		return nil, err
	}
	y := make([]float64, s.Count)
	for k := range y {
		r := s.Row(k)
		row := in[0].Data[r*v : (r+1)*v]
		m := slices.Max(row)
		mask := topKMask(row, s.TopK)
		c := make([]float64, v)
		sum := 0.0
		for j, x := range row {
			if mask[j] {
				sum += math.Exp((x - m) / s.Temperature)
			}
			c[j] = sum
		}
		t := math.Ldexp(float64(SampleLo(int64(in[2].Data[0]), s.From+k)), -64) * sum
		y[k] = float64(v - 1)
		for j := range c {
			if c[j] > t {
				y[k] = float64(j)
				break
			}
		}
	}
	return []*quant.FloatTensor{{Shape: []int{s.Count}, Data: y}}, nil
}

func (s *SampleTokens) Quantize(in, out []quant.Value) (quant.Op, error) {
	_, v, err := s.resolve(in[0].Shape, in[1].Shape, in[2].Shape)
	if err != nil {
		return nil, err
	}
	out[0].DType, out[0].Frac, out[0].Lo, out[0].Hi = quant.DTypeIndex, 0, 0, int64(v-1)
	q := &SampleTokens{From: s.From, Count: s.Count, TopK: s.TopK, Temperature: s.Temperature, Weights: SampleWeights(s.Temperature, in[0].Frac), Sliced: s.Sliced}
	if err := q.Check(in, out); err != nil {
		return nil, err
	}
	return q, nil
}

func (s *SampleTokens) Check(in, out []quant.Value) error {
	if err := arity2(in, out, 3, 1); err != nil {
		return err
	}
	if in[0].DType != quant.DTypeInt8 || in[1].DType != quant.DTypeIndex || in[2].DType != quant.DTypeIndex {
		return fmt.Errorf("%w: sample_tokens reads int8 logits, index ids and an index seed, not %q, %q and %q", quant.ErrValidation, in[0].DType, in[1].DType, in[2].DType)
	}
	_, v, err := s.resolve(in[0].Shape, in[1].Shape, in[2].Shape)
	if err != nil {
		return err
	}
	if in[1].Lo < 0 || in[1].Hi > int64(v-1) {
		return fmt.Errorf("%w: sample_tokens ids within [%d, %d], want within the vocabulary [0, %d]", quant.ErrRange, in[1].Lo, in[1].Hi, v-1)
	}
	if len(s.Weights) != SampleTableSize || s.Weights[0] != SampleWeightOne {
		return fmt.Errorf("%w: sample_tokens weight table of %d entries, want %d starting at %d", quant.ErrValidation, len(s.Weights), SampleTableSize, SampleWeightOne)
	}
	for d := 1; d < len(s.Weights); d++ {
		if s.Weights[d] < 0 || s.Weights[d] > s.Weights[d-1] {
			return fmt.Errorf("%w: sample_tokens weight %d at difference %d: the table must be non-increasing and non-negative", quant.ErrRange, s.Weights[d], d)
		}
	}
	// The table is the semantics, but the temperature is what a verifier
	// prints, and only the table is committed: it must be the
	// temperature's (within 1 per entry: exp may differ in its last ulp
	// between machines, which can move a rounding).
	want := SampleWeights(s.Temperature, in[0].Frac)
	for d, w := range s.Weights {
		if w < want[d]-1 || w > want[d]+1 {
			return fmt.Errorf("%w: sample_tokens weight %d at difference %d is not temperature %g's (%d at logits frac %d): the table and the temperature disagree", quant.ErrValidation, w, d, s.Temperature, want[d], in[0].Frac)
		}
	}
	y := out[0]
	if y.DType != quant.DTypeIndex || y.Lo != 0 || y.Hi != int64(v-1) || !slices.Equal(y.Shape, []int{s.Count}) {
		return fmt.Errorf("%w: sample_tokens output %q %v [%d, %d], want index [%d] within [0, %d]", quant.ErrValidation, y.DType, y.Shape, y.Lo, y.Hi, s.Count, v-1)
	}
	return nil
}

// Forward samples each row from From on and refuses ids that do not follow
// the samples.
func (s *SampleTokens) Forward(in []*quant.Tensor, out []quant.Value) ([]*quant.Tensor, error) {
	_, v, err := s.resolve(in[0].Shape, in[1].Shape, in[2].Shape)
	if err != nil {
		return nil, err
	}
	y := s.Sample(in[0].Data, v, in[2].Data[0])
	for k := range len(y) - 1 {
		if got := in[1].Data[s.From+k+1]; got != y[k] {
			return nil, fmt.Errorf("%w: %w: position %d holds token %d, the model's sampled next token after position %d is %d", quant.ErrValidation, ErrNotSampled, s.From+k+1, got, s.From+k, y[k])
		}
	}
	return []*quant.Tensor{{Shape: []int{s.Count}, Data: y}}, nil
}

// Sampled returns the sampled tokens of rows from … from + count − 1 of
// the logits [·, v] (SampleRow with the seed's randomness per position).
func Sampled(logits []int64, v, from, count, topK int, weights []int64, seed int64) []int64 {
	return sampledRows(logits, v, from, from, count, topK, weights, seed)
}

// Sample returns the op's tokens for its logits input (v columns; every
// row, or the checked rows when Sliced) and seed, without checking ids.
func (s *SampleTokens) Sample(logits []int64, v int, seed int64) []int64 {
	return sampledRows(logits, v, s.Row(0), s.From, s.Count, s.TopK, s.Weights, seed)
}

// sampledRows is Sampled on logits whose row row0 + k is position from + k
// (row0 = 0: the sliced logits of sample_tokens_rows); the draw hashes the
// position.
func sampledRows(logits []int64, v, row0, from, count, topK int, weights []int64, seed int64) []int64 {
	y := make([]int64, count)
	for k := range y {
		r := row0 + k
		y[k] = SampleRow(logits[r*v:(r+1)*v], topK, weights, SampleLo(seed, from+k))
	}
	return y
}

func (s *SampleTokens) Encode(e *quant.Encoder) error {
	e.Int(int64(s.From))
	e.Int(int64(s.Count))
	e.Int(int64(s.TopK))
	e.Ints(s.Weights)
	return nil
}
func (s *SampleTokens) EncodeWeights(*quant.Encoder) error { return nil }

// Cost per checked logit: the table lookup, the product of the
// differences, the cumulative-weight comparison (a bit, a product, a
// 41-bit range check) and under top-k the key comparison (a bit, two
// products, a range check); per row the Poseidon2 hash (≈ 250 R1CS) and
// the 254-bit decomposition of its output (≈ 760).
func (s *SampleTokens) Cost(in, out []quant.Value) quant.Cost {
	k := out[0].Size()
	v := 1
	if sh := in[0].Shape; len(sh) > 0 {
		v = sh[len(sh)-1]
	}
	per := 2 + 3 + RefRangeCheck(SampleSumBits)
	if s.TopK < v {
		per += 4 + RefRangeCheck(32)
	}
	return quant.Cost{R1CS: k*(v*per+1100) + 256, SCS: k*(v*3*per+2500) + 512}
}

// SampleTokensModel is NextTokensModel for sampling: m's graph with a
// second input "seed" (an index value [1] within [0, quant.MaxIndex]) and
// a sample_tokens node (top-k, temperature) reading the logits, the ids and
// the seed, whose completion is the only output. m must be causal
// (quant.CheckCausal), as for greedy decoding.
//
// As NextTokensModel, the row-uniform tail before the logits (SliceRows)
// runs on the checked rows only and a sample_tokens_rows node reads those
// Count rows (the same integers on every checked row, the draw hashing the
// position: the same completion); when the tail cannot be sliced the node
// is sample_tokens over every row. SampleTokensModelFull keeps every row.
func SampleTokensModel(m *quant.Model, promptLen, newTokens, topK int, temperature float64) (*quant.Model, error) {
	return sampleTokensModel(m, promptLen, newTokens, topK, temperature, true)
}

// SampleTokensModelFull is SampleTokensModel without row slicing (the form
// before it: the head at every position; for comparisons).
func SampleTokensModelFull(m *quant.Model, promptLen, newTokens, topK int, temperature float64) (*quant.Model, error) {
	return sampleTokensModel(m, promptLen, newTokens, topK, temperature, false)
}

func sampleTokensModel(m *quant.Model, promptLen, newTokens, topK int, temperature float64, slice bool) (*quant.Model, error) {
	// The checks (one ids input, int8 logits, causality, shapes).
	if _, err := NextTokensModelFull(m, promptLen, newTokens); err != nil {
		return nil, err
	}
	g := m.Graph
	logits := g.Values[g.Outputs[0]]
	v := logits.Shape[len(logits.Shape)-1]
	if topK == 0 {
		topK = v
	}
	op := &SampleTokens{From: promptLen - 1, Count: newTokens, TopK: topK, Temperature: temperature}
	seedV := quant.Value{Name: "seed", Shape: []int{1}, DType: quant.DTypeIndex, Lo: 0, Hi: quant.MaxIndex}
	ids := g.Values[g.Inputs[0]]
	if _, err := op.OutShapes([][]int{logits.Shape, ids.Shape, seedV.Shape}); err != nil {
		return nil, err
	}
	ng := &quant.Graph{Values: slices.Clone(g.Values), Inputs: slices.Clone(g.Inputs), Nodes: slices.Clone(g.Nodes)}
	var fracs []int
	if m.Scales.Graph != nil {
		fracs = m.Scales.Graph.Fracs
	}
	sliced := false
	if slice {
		rs, ok, err := SliceRows(g, fracs, g.Outputs[0], op.From, op.Count)
		if err != nil {
			return nil, err
		}
		if ok {
			ng, fracs, sliced = rs.Graph, rs.Fracs, true
		}
	}
	q := &SampleTokens{From: op.From, Count: op.Count, TopK: topK, Temperature: temperature, Weights: SampleWeights(temperature, logits.Frac), Sliced: sliced}
	seed := len(ng.Values)
	ng.Values = append(ng.Values, seedV)
	ng.Inputs = append(ng.Inputs, seed)
	id := len(ng.Values)
	ng.Values = append(ng.Values, quant.Value{Name: "sampled_tokens", Shape: []int{newTokens}, DType: quant.DTypeIndex, Lo: 0, Hi: int64(v - 1)})
	ng.Nodes = append(ng.Nodes, quant.Node{Name: "sample_tokens", Op: q, In: []int{g.Outputs[0], g.Inputs[0], seed}, Out: []int{id}})
	ng.Outputs = []int{id}
	out := *m
	out.Graph = ng
	if m.Scales.Graph != nil {
		sg := *m.Scales.Graph
		sg.Fracs = append(slices.Clone(fracs), 0, 0)
		out.Scales.Graph = &sg
	}
	if err := out.Validate(); err != nil {
		return nil, err
	}
	if sliced {
		// What verify --model checks, on the rewritten graph.
		if err := CheckSampleCausal(ng, ng.Nodes[len(ng.Nodes)-1]); err != nil {
			return nil, fmt.Errorf("sampled completion on the checked rows: %w", err)
		}
	}
	return &out, nil
}

// CheckSampleCausal checks that node n of g, a sample_tokens or
// sample_tokens_rows node, reads logits rows that depend only on the ids
// at positions up to theirs (quant.CheckCausal from the ids it reads; for
// sample_tokens_rows row k is position From + k, quant.CheckCausalFrom).
func CheckSampleCausal(g *quant.Graph, n quant.Node) error {
	s, ok := n.Op.(*SampleTokens)
	if !ok || len(n.In) != 3 {
		return fmt.Errorf("%w: node %q is not a sample_tokens node over logits, ids and a seed", quant.ErrValidation, n.Name)
	}
	from := 0
	if s.Sliced {
		from = s.From // logits row k is position From + k
	}
	return quant.CheckCausalFrom(g, n.In[1], -1, n.In[0], -2, from)
}
