package ops_test

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// columnIDsLM is a non-causal LM whose token ids are a column [seq, 1]
// (seq elements, as next_tokens wants): ids → embedding [seq, 1, d] →
// reshape [1, seq·d] → one linear over every position's embedding →
// reshape [seq, v]: every logits row reads every id.
func columnIDsLM(t *testing.T, rng *rand.Rand, seq, v, d int) *quant.Model {
	t.Helper()
	b := quant.NewGraphBuilder()
	if err := b.TypedInput(quant.GraphInput{Name: "ids", Shape: []int{seq, 1}, DType: quant.DTypeIndex, Hi: int64(v - 1)}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []struct {
		name, in string
		op       quant.FloatOp
	}{
		{"e", "ids", ops.NewGather(graphtest.Tensor(rng, 1, v, d))},
		{"flat", "e", &ops.Reshape{Shape: []int{1, seq * d}}},
		{"mix", "flat", ops.NewLinear(graphtest.Tensor(rng, 1, seq*d, seq*v), graphtest.Tensor(rng, 0.3, seq*v), false)},
		{"logits", "mix", &ops.Reshape{Shape: []int{seq, v}}},
	} {
		if err := b.Node(n.name, n.op, []string{n.in}, []string{n.name}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Output("logits"); err != nil {
		t.Fatal(err)
	}
	fm := graphtest.Built(t, b)
	var cal [][]float64
	for range 16 {
		x := make([]float64, seq)
		for i := range x {
			x[i] = float64(rng.IntN(v))
		}
		cal = append(cal, x)
	}
	return graphtest.Quantized(t, fm, cal)
}

// The causality check reads the ids' sequence axis as their last axis:
// ids of shape [T, 1] (T elements, which next_tokens and sample_tokens
// accepted) put every id at coordinate 0, so every model passed as causal.
// Here every logits row reads every id (the padding steers the checked
// rows: shown), and NextTokensModel, SampleTokensModel, CheckGreedyCausal
// and the LM report must all refuse it: the ids must be [T] or [1, …, T].
func TestAttackColumnIDsCausality(t *testing.T) {
	const seq, v, d = 4, 12, 2
	rng := rand.New(rand.NewPCG(71, 3))
	lm := columnIDsLM(t, rng, seq, v, d)
	// The dependence is real: row 1 (the first checked row after a prompt
	// of 2) moves with the id at position 3.
	rows := map[string]bool{}
	for p := range int64(v) {
		tr, err := lm.Forward([][]int64{{3, 9, 0, p}})
		if err != nil {
			t.Fatal(err)
		}
		rows[string(rune(ops.Greedy(tr.Outputs[0], v, 1, 1)[0]))] = true
	}
	if len(rows) < 2 {
		t.Fatalf("position 3 does not steer row 1's argmax here: pick another seed")
	}
	if _, err := ops.NextTokensModel(lm, 2, 2); !errors.Is(err, quant.ErrShape) {
		t.Errorf("NextTokensModel on ids [%d, 1]: %v, want a refusal", seq, err)
	}
	if _, err := ops.SampleTokensModel(lm, 2, 2, 3, 1); !errors.Is(err, quant.ErrShape) {
		t.Errorf("SampleTokensModel on ids [%d, 1]: %v, want a refusal", seq, err)
	}
	if _, _, err := quant.LMShape(lm); !errors.Is(err, quant.ErrNotLM) {
		t.Errorf("LMShape on ids [%d, 1]: %v, want not a language model", seq, err)
	}
	// A hand-built greedy model around it is invalid, so verify --model
	// never reaches the causality label.
	g := lm.Graph
	ng := &quant.Graph{Values: slices.Clone(g.Values), Inputs: slices.Clone(g.Inputs), Nodes: slices.Clone(g.Nodes)}
	id := len(ng.Values)
	ng.Values = append(ng.Values, quant.Value{Name: "next_tokens", Shape: []int{2}, DType: quant.DTypeIndex, Hi: int64(v - 1)})
	ng.Nodes = append(ng.Nodes, quant.Node{Name: "next_tokens", Op: &ops.NextTokens{From: 1, Count: 2}, In: []int{g.Outputs[0], g.Inputs[0]}, Out: []int{id}})
	ng.Outputs = []int{id}
	m := *lm
	m.Graph = ng
	sg := *lm.Scales.Graph
	sg.Fracs = append(slices.Clone(sg.Fracs), 0)
	m.Scales.Graph = &sg
	if err := m.Validate(); err == nil {
		err = ops.CheckGreedyCausal(&m)
		t.Errorf("a greedy model over ids [%d, 1] validates; CheckGreedyCausal: %v", seq, err)
		// What that would prove: two different "greedy" first tokens for
		// one prompt, chosen by the padding.
		circ := graphtest.Circuit(t, &m, graphtest.PublicIO)
		firsts := map[int64]bool{}
		for p := range int64(v) {
			tr, err := lm.Forward([][]int64{{3, 9, 0, p}})
			if err != nil {
				t.Fatal(err)
			}
			x := []int64{3, 9, ops.Greedy(tr.Outputs[0], v, 1, 1)[0], p}
			if tr, err = m.Forward([][]int64{x}); err != nil {
				continue // the padding moved the token at 2: not a fixed point
			}
			if err := test.IsSolved(circ, graphtest.Assign(t, &m, tr), graphtest.Field); err == nil {
				firsts[tr.Outputs[0][0]] = true
			}
		}
		t.Logf("prompt [3 9]: proven first tokens %v", firsts)
	}
}
