package ops_test

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/consensys/gnark/test"

	circops "github.com/zkinfer/zkinfer/circuits/ops"

	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// sampledIDs decodes n tokens after prompt step by step with the LM m
// (top-k, the weight table, the seed), as a user's sampler would.
func sampledIDs(t *testing.T, m *quant.Model, prompt []int64, n, topK int, weights []int64, seed int64) []int64 {
	t.Helper()
	return decodeIDs(t, m, prompt, n, func(logits []int64, v, row int) int64 {
		return ops.Sampled(logits, v, row, 1, topK, weights, seed)[0]
	})
}

// Sampling with a public seed in one proof: the one pass equals step-by-
// step sampling; the circuit accepts it and rejects a changed token (in the
// input or the claimed output) or another seed; top-k and all-token
// sampling both.
func TestSampledCompletion(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 21))
	const seq, v, promptLen, n = 7, 40, 2, 5
	lm := graphtest.Bigram(t, rng, seq, v)
	zeros := func(shape ...int) *quant.FloatTensor {
		return &quant.FloatTensor{Shape: shape, Data: make([]float64, quant.ShapeSize(shape))}
	}
	// Every logit equal: every top-k choice a tie (the lower ids win).
	flat := graphtest.TokenLM(t, rng, seq, v,
		graphtest.Node{Name: "e", Op: ops.NewGather(zeros(v, 2)), In: []string{"ids"}},
		graphtest.Node{Name: "logits", Op: ops.NewLinear(zeros(2, v), zeros(v), false), In: []string{"e"}})
	for _, c := range []struct {
		lm   *quant.Model
		topK int
		temp float64
		seed int64
	}{{lm, 5, 1.5, 12345}, {lm, 0, 0.8, 7}, {flat, 3, 1, 5}} {
		lm := c.lm
		m, err := ops.SampleTokensModel(lm, promptLen, n, c.topK, c.temp)
		if err != nil {
			t.Fatal(err)
		}
		op := m.Graph.Nodes[len(m.Graph.Nodes)-1].Op.(*ops.SampleTokens)
		ids := sampledIDs(t, lm, []int64{17, 31}, n, op.TopK, op.Weights, c.seed)
		x := [][]int64{append(slices.Clone(ids[:seq-1]), 3), {c.seed}}
		tr, err := m.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(tr.Outputs[0], ids[promptLen:]) {
			t.Fatalf("top-k %d: one pass %v, step by step %v", c.topK, tr.Outputs[0], ids[promptLen:])
		}
		t.Logf("top-k %d, temperature %v, seed %d: %v → %v", op.TopK, c.temp, c.seed, ids[:promptLen], ids[promptLen:])
		circ := graphtest.Circuit(t, m, graphtest.PublicIO)
		if err := test.IsSolved(circ, graphtest.Assign(t, m, tr), graphtest.Field); err != nil {
			t.Fatal(err)
		}
		bad := slices.Clone(x[0])
		bad[promptLen+1] = (bad[promptLen+1] + 1) % v
		if _, err := m.Forward([][]int64{bad, {c.seed}}); !errors.Is(err, ops.ErrNotSampled) {
			t.Fatalf("a changed token: %v", err)
		}
		trBad := *tr
		trBad.Inputs = [][]int64{bad, {c.seed}}
		if test.IsSolved(circ, graphtest.Assign(t, m, &trBad), graphtest.Field) == nil {
			t.Fatal("a changed token in the input was accepted")
		}
		out := slices.Clone(tr.Outputs[0])
		out[n-1] = (out[n-1] + 1) % v
		trBad = *tr
		trBad.Outputs = [][]int64{out}
		if test.IsSolved(circ, graphtest.Assign(t, m, &trBad), graphtest.Field) == nil {
			t.Fatal("a changed last token was accepted")
		}
		if lm == flat {
			for _, id := range tr.Outputs[0] {
				if id > 2 {
					t.Fatalf("ties: sampled %v, want ids below the top-3 boundary", tr.Outputs[0])
				}
			}
			continue
		}
		// Another seed: the same tokens are (here) not its samples.
		other := c.seed + 1
		if slices.Equal(op.Sample(tr.Values[m.Graph.Nodes[len(m.Graph.Nodes)-1].In[0]], v, other), tr.Outputs[0]) {
			t.Fatal("seeds c and c+1 sample alike: pick another")
		}
		trBad = *tr
		trBad.Inputs = [][]int64{x[0], {other}}
		if test.IsSolved(circ, graphtest.Assign(t, m, &trBad), graphtest.Field) == nil {
			t.Fatal("another seed was accepted")
		}
	}
}

// The real prover fails on every tampered hint of the sampling gadget.
func TestSampledProve(t *testing.T) {
	rng := rand.New(rand.NewPCG(22, 22))
	const seq, v = 4, 24
	lm := graphtest.Bigram(t, rng, seq, v)
	m, err := ops.SampleTokensModel(lm, 2, 3, 4, 1.0)
	if err != nil {
		t.Fatal(err)
	}
	op := m.Graph.Nodes[len(m.Graph.Nodes)-1].Op.(*ops.SampleTokens)
	ids := sampledIDs(t, lm, []int64{5, 9}, 3, op.TopK, op.Weights, 99)
	x := [][]int64{ids[:seq], {99}}
	move := func(from int) func(*big.Int, []*big.Int, []*big.Int) {
		return func(_ *big.Int, _, out []*big.Int) { // move the first 1 at or after from one place on
			for j := from; j+1 < len(out); j++ {
				if out[j].Sign() != 0 {
					out[j].SetInt64(0)
					out[j+1].SetInt64(1)
					return
				}
			}
		}
	}
	graphtest.ProveTampered(t, m, x, map[string]graphtest.Tamper{
		"max+1":         {H: circops.SampleMaxHint, F: graphtest.Add(0, 1)},
		"threshold−1":   {H: circops.SampleMaxHint, F: graphtest.Add(1, -1)},
		"top-k bit":     {H: circops.SampleMaxHint, F: move(2)},
		"t+1":           {H: circops.SampleDrawHint, F: graphtest.Add(0, 1)},
		"remainder+1":   {H: circops.SampleDrawHint, F: graphtest.Add(1, 1)},
		"one more draw": {H: circops.SampleDrawHint, F: func(_ *big.Int, _, out []*big.Int) { out[2].SetInt64(1 - out[2].Int64()) }},
	})
}

// The integer rule: top-1 is greedy (lowest id on ties); ties at the k-th
// logit keep the lower ids; the draws follow the table's weights.
func TestSampleRow(t *testing.T) {
	w := ops.SampleWeights(1, 4)
	x := []int64{3, 9, 9, 1, 9}
	for s := range int64(50) {
		if got := ops.SampleRow(x, 1, w, ops.SampleLo(s, 0)); got != 1 {
			t.Fatalf("top-1 sampled %d, want the first maximum 1", got)
		}
		if got := ops.SampleRow(x, 2, w, ops.SampleLo(s, 3)); got != 1 && got != 2 {
			t.Fatalf("top-2 of three tied maxima sampled %d, want 1 or 2 (lower ids first)", got)
		}
	}
	// Frequencies over 4000 positions of one row: within 5 points of
	// Weights[m − x] / S.
	x = []int64{0, -8, 8, 4, -20, 8}
	count := make([]int, len(x))
	const draws = 4000
	for p := range draws {
		count[ops.SampleRow(x, 4, w, ops.SampleLo(1, p))]++
	}
	in := []bool{false, false, true, true, false, true} // the top 4: 8, 8, 4, 0 (ids 2, 5, 3, 0)
	in[0] = true
	sum := 0.0
	for j, v := range x {
		if in[j] {
			sum += float64(w[8-v])
		}
	}
	for j, v := range x {
		want := 0.0
		if in[j] {
			want = float64(w[8-v]) / sum
		}
		if got := float64(count[j]) / draws; got < want-0.05 || got > want+0.05 || (want == 0 && count[j] != 0) {
			t.Errorf("id %d: frequency %.3f, weight %.3f", j, got, want)
		}
	}
	if w[0] != ops.SampleWeightOne || w[255] < 0 || !slices.IsSortedFunc(w, func(a, b int64) int { return int(b - a) }) {
		t.Errorf("table %v", w[:8])
	}
}
