package ops_test

import (
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/attention"
	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	circops "github.com/zkinfer/zkinfer/circuits/ops"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// lmModel imports testdata/onnx/lm/<name>.onnx at sequence length seq (0:
// the export's static length), calibrates it on 24 random id sequences
// (and random token types) and quantizes it.
func lmModel(t testing.TB, name string, seq int) *quant.Model {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "onnx", "lm", name+".onnx"))
	if err != nil {
		t.Fatal(err)
	}
	fm, _, err := onnx.ParseGraph(data, onnx.Options{SeqLen: seq})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(15, uint64(seq)))
	var cal [][]float64
	for range 24 {
		var x []float64
		for _, in := range fm.Graph.InputSpecs {
			for range quant.ShapeSize(in.Shape) {
				x = append(x, float64(rng.Int64N(in.Hi+1)))
			}
		}
		cal = append(cal, x)
	}
	m := graphtest.Quantized(t, fm, cal)
	return m
}

// lmInputs returns id inputs for m: all lowest, all highest, and random.
func lmInputs(rng *rand.Rand, m *quant.Model, random int) [][][]int64 {
	mk := func(f func(p quant.IOPart) int64) [][]int64 {
		var x [][]int64
		for _, p := range m.InputParts() {
			row := make([]int64, p.Size())
			for i := range row {
				row[i] = f(p)
			}
			x = append(x, row)
		}
		return x
	}
	out := [][][]int64{mk(func(p quant.IOPart) int64 { return p.Lo }), mk(func(p quant.IOPart) int64 { return p.Hi })}
	for range random {
		out = append(out, mk(func(p quant.IOPart) int64 { return p.Lo + rng.Int64N(p.Hi-p.Lo+1) }))
	}
	return out
}

// The three tiny LM exports (nanoGPT, Llama-style, BERT-style) take token
// ids in and their circuits accept exactly the integer reference's logits
// (an output moved by one is rejected), on extreme and random ids.
func TestLMCircuits(t *testing.T) {
	for _, c := range []struct {
		name string
		seq  int
	}{{"nanogpt_op14", 8}, {"llama_op14", 8}, {"bert_op14", 0}} {
		t.Run(c.name, func(t *testing.T) {
			m := lmModel(t, c.name, c.seq)
			graphtest.Matches(t, m, lmInputs(rand.New(rand.NewPCG(1, 2)), m, 2))
			t.Logf("%s: %d R1CS constraints (estimate %d)", c.name, graphtest.R1CS(t, m), m.Graph.Cost().R1CS)
		})
	}
}

// greedyIDs decodes n tokens after prompt with m (ids [T]) one step at a
// time: step k runs the whole model on the prompt, the k tokens so far and
// zeros after, and takes the argmax of row L − 1 + k. Causality makes the
// zeros irrelevant, which the one-pass check below confirms.
func greedyIDs(t *testing.T, m *quant.Model, prompt []int64, n int) []int64 {
	t.Helper()
	return decodeIDs(t, m, prompt, n, func(logits []int64, v, row int) int64 { return ops.Greedy(logits, v, row, 1)[0] })
}

// decodeIDs decodes n tokens after prompt with m (ids [T] → logits [T, V])
// one step at a time: step k runs m on the prompt, the k tokens so far and
// zeros after, and appends pick(logits, V, L − 1 + k).
func decodeIDs(t *testing.T, m *quant.Model, prompt []int64, n int, pick func(logits []int64, v, row int) int64) []int64 {
	t.Helper()
	seq := quant.ShapeSize(m.InputShape())
	v := m.OutputShape()[len(m.OutputShape())-1]
	ids := slices.Clone(prompt)
	for k := range n {
		x := make([]int64, seq)
		copy(x, ids)
		tr, err := m.Forward([][]int64{x})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, pick(tr.Outputs[0], v, len(prompt)-1+k))
	}
	return ids
}

// Greedy completion in one proof: a nanoGPT-layout model (token and
// position embeddings, causal mask, tied LM head) over a prompt of 4 tokens
// and a completion of 4 proves, in one pass over 8 positions (the last
// padding), that every
// completion token is the argmax of the logits before it. The real Groth16
// prover accepts the honest completion and fails on a tampered argmax hint;
// the circuit rejects a completion with one token changed (in the model's
// input, or in the claimed output) and the integer reference refuses it.
func TestGreedyCompletion(t *testing.T) {
	const promptLen, newTokens = 4, 4
	seq := promptLen + newTokens // one position of padding
	lm := lmModel(t, "nanogpt_op14", seq)
	prompt := []int64{3, 14, 15, 9}
	ids := greedyIDs(t, lm, prompt, newTokens)
	m, err := ops.NextTokensModel(lm, promptLen, newTokens)
	if err != nil {
		t.Fatal(err)
	}
	x := [][]int64{append(slices.Clone(ids[:seq-1]), 7)} // padding: any id
	tr, err := m.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	if got := tr.Outputs[0]; !slices.Equal(got, ids[promptLen:]) {
		t.Fatalf("one pass gives %v, step by step %v", got, ids[promptLen:])
	}
	t.Logf("prompt %v → completion %v", prompt, ids[promptLen:])
	circ := graphtest.Circuit(t, m, graphtest.PublicIO)
	if err := test.IsSolved(circ, graphtest.Assign(t, m, tr), graphtest.Field); err != nil {
		t.Fatal(err)
	}
	v := int64(m.Graph.Values[m.Graph.Outputs[0]].Hi + 1)
	// One completion token changed in the model's input (position L + 1):
	// the reference refuses it, and so does the circuit.
	bad := slices.Clone(x[0])
	bad[promptLen+1] = (bad[promptLen+1] + 1) % v
	if _, err := m.Forward([][]int64{bad}); !errors.Is(err, ops.ErrNotGreedy) {
		t.Fatalf("a changed completion token: %v", err)
	}
	trBad := *tr
	trBad.Inputs = [][]int64{bad}
	if test.IsSolved(circ, graphtest.Assign(t, m, &trBad), graphtest.Field) == nil {
		t.Fatal("a changed completion token in the input was accepted")
	}
	// A non-argmax last token claimed in the output.
	out := slices.Clone(tr.Outputs[0])
	out[newTokens-1] = (out[newTokens-1] + 1) % v
	trBad = *tr
	trBad.Outputs = [][]int64{out}
	if test.IsSolved(circ, graphtest.Assign(t, m, &trBad), graphtest.Field) == nil {
		t.Fatal("a non-argmax completion token was accepted")
	}
}

// ropeTables returns Llama's cos and sin tables [t, d] (theta 10000).
func ropeTables(t, d int) (*quant.FloatTensor, *quant.FloatTensor) {
	cos := &quant.FloatTensor{Shape: []int{t, d}, Data: make([]float64, t*d)}
	sin := &quant.FloatTensor{Shape: []int{t, d}, Data: make([]float64, t*d)}
	for p := range t {
		for j := range d {
			f := float64(p) / math.Pow(10000, float64(2*(j%(d/2)))/float64(d))
			cos.Data[p*d+j], sin.Data[p*d+j] = math.Cos(f), math.Sin(f)
		}
	}
	return cos, sin
}

// rope and masked_softmax alone: the circuit accepts exactly the integer
// reference on extreme and random int8 inputs (both range-check
// strategies), under Groth16 and PLONK; masked_softmax's hinted row maxima
// are pinned (a tampered max fails the real prover).
func TestRopeAndMaskedSoftmax(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	cos, sin := ropeTables(6, 8)
	rope := graphtest.Chain(t, rng, []int{1, 2, 6, 8}, graphtest.Node{Name: "y", Op: ops.NewRope(cos, sin), In: []string{"x"}})
	graphtest.Matches(t, rope, graphtest.Inputs(rng, rope, 4))
	keep := make([]uint8, 36)
	for i := range 6 {
		for j := range i + 1 {
			keep[i*6+j] = 1
		}
	}
	keep[1] = 1 // not only causal: any constant mask
	sm := graphtest.Chain(t, rng, []int{1, 2, 6, 6}, graphtest.Node{Name: "p", Op: &ops.MaskedSoftmax{Rows: 6, Cols: 6, Keep: keep}, In: []string{"x"}})
	graphtest.Matches(t, sm, graphtest.Inputs(rng, sm, 4))
	tr, err := sm.Forward(graphtest.Inputs(rng, sm, 0)[3])
	if err != nil {
		t.Fatal(err)
	}
	for r := 0; r < len(tr.Outputs[0]); r += 6 {
		for j, k := range keep[r%36 : r%36+6] {
			if k == 0 && tr.Outputs[0][r+j] != 0 {
				t.Fatalf("masked position %d of row %d has weight %d", j, r/6, tr.Outputs[0][r+j])
			}
		}
	}
	x := graphtest.Inputs(rng, sm, 1)[4]
	graphtest.ProveTampered(t, sm, x, map[string]graphtest.Tamper{
		"max+1": {H: attention.MaxHint, F: graphtest.Add(0, 1)},
		"max-1": {H: attention.MaxHint, F: graphtest.Add(0, -1)},
	})
	graphtest.ProvePLONK(t, rope, graphtest.Inputs(rng, rope, 1)[4])
}

// The causal exports' integer models are exactly causal (changing the id
// at position p changes no logits row before p: what greedy completion in
// one pass relies on); the bidirectional BERT export is not.
func TestLMCausal(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, name := range []string{"nanogpt_op14", "llama_op14"} {
		m := lmModel(t, name, 8)
		v := m.OutputShape()[len(m.OutputShape())-1]
		for range 4 {
			x := lmInputs(rng, m, 1)[2]
			base, err := m.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			p := 1 + rng.IntN(7)
			y := [][]int64{slices.Clone(x[0])}
			y[0][p] = (y[0][p] + 1 + rng.Int64N(int64(v-1))) % int64(v)
			got, err := m.Forward(y)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Outputs[0][:p*v], base.Outputs[0][:p*v]) {
				t.Fatalf("%s: changing position %d changed an earlier row", name, p)
			}
		}
	}
}

// Greedy completion on the Llama-style export (RoPE, GQA, SwiGLU): a prompt
// of 3 and 5 new tokens over its 8 positions; a changed token is refused.
func TestGreedyCompletionLlama(t *testing.T) {
	lm := lmModel(t, "llama_op14", 8)
	prompt := []int64{5, 40, 2}
	ids := greedyIDs(t, lm, prompt, 5)
	m, err := ops.NextTokensModel(lm, 3, 5)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := m.Forward([][]int64{append(ids[:7:7], 63)}) // padding: any id
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tr.Outputs[0], ids[3:]) {
		t.Fatalf("one pass %v, step by step %v", tr.Outputs[0], ids[3:])
	}
	circ := graphtest.Circuit(t, m, graphtest.PublicIO)
	if err := test.IsSolved(circ, graphtest.Assign(t, m, tr), graphtest.Field); err != nil {
		t.Fatal(err)
	}
	bad := *tr
	bad.Outputs = [][]int64{slices.Clone(tr.Outputs[0])}
	bad.Outputs[0][2] = (bad.Outputs[0][2] + 1) % 64
	if test.IsSolved(circ, graphtest.Assign(t, m, &bad), graphtest.Field) == nil {
		t.Fatal("a changed completion token was accepted")
	}
}

// argmax_index over a 300-value axis (beyond int8 indices): the circuit
// accepts exactly the reference's indices (the first maximum on ties: all
// equal inputs give 0) and rejects a moved index; a tampered hint (the
// one-hot moved, the maximum moved) fails the real prover.
func TestArgMaxIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	m := graphtest.Chain(t, rng, []int{3, 300}, graphtest.Node{Name: "i", Op: &ops.ArgMaxIndex{Axis: -1}, In: []string{"x"}})
	circ := graphtest.Circuit(t, m, graphtest.PublicIO)
	for k, x := range graphtest.Inputs(rng, m, 3) {
		tr, err := m.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		if k == 0 && !slices.Equal(tr.Outputs[0], []int64{0, 0, 0}) {
			t.Fatalf("ties: %v, want the first index", tr.Outputs[0])
		}
		if err := test.IsSolved(circ, graphtest.Assign(t, m, tr), graphtest.Field); err != nil {
			t.Fatalf("input %d: %v", k, err)
		}
		bad := *tr
		bad.Outputs = [][]int64{slices.Clone(tr.Outputs[0])}
		bad.Outputs[0][k%3] = (bad.Outputs[0][k%3] + 1) % 300
		if test.IsSolved(circ, graphtest.Assign(t, m, &bad), graphtest.Field) == nil {
			t.Fatalf("input %d: a wrong index was accepted", k)
		}
	}
	shift := func(_ *big.Int, _, out []*big.Int) {
		for j := 1; j+1 < len(out); j++ {
			if out[j].Sign() != 0 {
				out[j].SetInt64(0)
				out[j+1].SetInt64(1)
				return
			}
		}
	}
	graphtest.ProveTampered(t, m, graphtest.Inputs(rng, m, 1)[4], map[string]graphtest.Tamper{
		"one-hot+1": {H: circops.ExtremeHint, F: shift},
		"max+1":     {H: circops.ExtremeHint, F: graphtest.Add(0, 1)},
	})
}

// The real Groth16 prover on a greedy completion (a bigram model of 150
// tokens, beyond int8 indices; prompt 2, 5 new tokens, one padding
// position): the honest proof verifies; a tampered argmax hint (the
// one-hot moved one id up, the maximum moved) makes the prover fail.
func TestGreedyProve(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	lm := graphtest.Bigram(t, rng, 7, 150)
	ids := greedyIDs(t, lm, []int64{17, 101}, 5)
	m, err := ops.NextTokensModel(lm, 2, 5)
	if err != nil {
		t.Fatal(err)
	}
	x := [][]int64{append(ids[:6:6], 149)}
	shift := func(_ *big.Int, _, out []*big.Int) {
		for j := 1; j+1 < len(out); j++ {
			if out[j].Sign() != 0 {
				out[j].SetInt64(0)
				out[j+1].SetInt64(1)
				return
			}
		}
		out[1].SetInt64(1)
		out[len(out)-1].SetInt64(0)
	}
	graphtest.ProveTampered(t, m, x, map[string]graphtest.Tamper{
		"max+1":     {H: circops.ExtremeHint, F: graphtest.Add(0, 1)},
		"one-hot+1": {H: circops.ExtremeHint, F: shift},
	})
}
