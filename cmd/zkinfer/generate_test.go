package main

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/prover"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
	"github.com/zkinfer/zkinfer/verifier"
)

// GPT-2's BPE (r50k_base, embedded by tiktoken-go): known ids, and back.
func TestGPT2Tokenizer(t *testing.T) {
	ids, err := encodeGPT2("Hello world")
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{15496, 995}; !slices.Equal(ids, want) {
		t.Fatalf("Hello world → %v, want %v", ids, want)
	}
	s, err := decodeGPT2([]int64{464, 2068, 7586, 21831})
	if err != nil || s != "The quick brown fox" {
		t.Fatalf("decode: %q, %v", s, err)
	}
	if _, err := decodeGPT2([]int64{GPT2Vocab}); err == nil {
		t.Fatal("id 50257 decoded")
	}
}

func TestParseTokens(t *testing.T) {
	ids, err := parseTokens("3, 14,15")
	if err != nil || !slices.Equal(ids, []int64{3, 14, 15}) {
		t.Fatalf("%v %v", ids, err)
	}
	for _, bad := range []string{"", "1,,2", "-1", "x", "16777216"} {
		if _, err := parseTokens(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// A GPT-2-vocabulary completion prints as text too.
func TestPrintCompletionGPT2(t *testing.T) {
	var b strings.Builder
	printCompletion(&b, []int64{15496}, []int64{995}, GPT2Vocab)
	want := "prompt tokens: [15496]\ncompletion tokens: [995]\nprompt: \"Hello\"\ncompletion: \" world\"\n"
	if b.String() != want {
		t.Fatalf("got %q, want %q", b.String(), want)
	}
	b.Reset()
	printCompletion(&b, []int64{3}, []int64{9}, 64)
	if strings.Contains(b.String(), "completion: ") {
		t.Fatalf("a 64-token vocabulary decoded as GPT-2: %q", b.String())
	}
}

// The integer side of the tokenizer path on a model with GPT-2's 50257-token
// vocabulary (ops.ExampleGPT2, random weights, d 8, 1 block, 2 positions):
// "Hello" → [15496] → two greedy tokens → text; the greedy-completion
// model (the LM plus next_tokens) accepts exactly that completion. The
// proof of it is testdata/long/generate_gpt2.txt (1 073 011 constraints).
func TestGPT2VocabGreedy(t *testing.T) {
	fm, err := ops.ExampleGPT2(ops.GPT2Shape{Vocab: GPT2Vocab, Positions: 2, D: 8, Heads: 2, Blocks: 1}, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	st, err := quant.Calibrate(fm, [][]float64{{15496, 995}, {464, 2068}, {0, 50256}, {7586, 21831}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := quant.Quantize(fm, st)
	if err != nil {
		t.Fatal(err)
	}
	if k := m.Graph.Nodes[0].Op.Kind(); k != "gather_packed" {
		t.Fatalf("wte is %s, want gather_packed", k)
	}
	prompt, err := encodeGPT2("Hello")
	if err != nil || !slices.Equal(prompt, []int64{15496}) {
		t.Fatalf("Hello → %v, %v", prompt, err)
	}
	out, err := greedyDecode(m, prompt, 2, 2, GPT2Vocab, prover.Silent)
	if err != nil {
		t.Fatal(err)
	}
	text, err := decodeGPT2(out)
	if err != nil {
		t.Fatal(err)
	}
	g, err := ops.NextTokensModel(m, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := g.Forward([][]int64{{prompt[0], out[0]}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tr.Outputs[0], out) {
		t.Fatalf("next_tokens %v, greedy decoding %v", tr.Outputs[0], out)
	}
	if _, err := g.Forward([][]int64{{prompt[0], (out[0] + 1) % GPT2Vocab}}); err == nil {
		t.Fatal("a completion that does not follow its own argmax was accepted")
	}
	t.Logf("Hello → %v %q; greedy model: %+v", out, text, g.EstimateCost(quant.DefaultVisibility))
}

// positionLM is ids [1, seq] → embedding [v, d] → (with mix: + the maximum
// over all positions, padding included: not causal) → linear head →
// logits [1, seq, v], calibrated on random ids.
func positionLM(t *testing.T, rng *rand.Rand, seq, v, d int, mix bool) *quant.Model {
	t.Helper()
	steps := []graphtest.Node{{Name: "e", Op: ops.NewGather(graphtest.Tensor(rng, 1, v, d)), In: []string{"ids"}}}
	head := "e"
	if mix {
		steps = append(steps,
			graphtest.Node{Name: "mx", Op: &ops.Reduce{Op: "max", Axes: []int{1}, KeepDims: true}, In: []string{"e"}},
			graphtest.Node{Name: "h", Op: &ops.Binary{Op: "add"}, In: []string{"e", "mx"}})
		head = "h"
	}
	steps = append(steps, graphtest.Node{Name: "logits", Op: ops.NewLinear(graphtest.Tensor(rng, 1, d, v), graphtest.Tensor(rng, 0.3, v), false), In: []string{head}})
	return graphtest.TokenLM(t, rng, seq, v, steps...)
}

// generate's padding probe, the second line of defence behind
// NextTokensModel's static check (which refuses the non-causal model
// outright): with one new token the step-by-step decoding and the one pass
// are the same pass, so a model that reads its padding (here a maximum
// over all positions) passes that comparison; the probe (the pass again
// with padding v − 1) refuses it for some prompt, and never refuses a
// causal model.
func TestGenerateProbesPadding(t *testing.T) {
	const seq, v = 4, 16
	rng := rand.New(rand.NewPCG(31, 7))
	for _, mix := range []bool{false, true} {
		lm := positionLM(t, rng, seq, v, 4, mix)
		refused := 0
		for a := range int64(v) {
			prompt := []int64{a, (a * 5) % v}
			completion, err := greedyDecode(lm, prompt, 1, seq, v, prover.Silent)
			if err != nil {
				t.Fatal(err)
			}
			gm, err := ops.NextTokensModel(lm, len(prompt), 1)
			if mix {
				if !errors.Is(err, quant.ErrNotCausal) {
					t.Fatalf("NextTokensModel on the non-causal model: %v", err)
				}
				gm = graphtest.UncheckedNextTokens(t, lm, len(prompt), 1) // the probe: a second line of defence
			} else if err != nil {
				t.Fatal(err)
			}
			if err := probePadding(gm, prompt, completion, seq, v); err != nil {
				if !mix || !errors.Is(err, ops.ErrNotGreedy) {
					t.Fatalf("mix %v, prompt %v: %v", mix, prompt, err)
				}
				refused++
			}
		}
		if mix && refused == 0 {
			t.Fatal("the probe refused the non-causal model on no prompt")
		}
		t.Logf("non-causal %v: refused on %d of %d prompts", mix, refused, v)
	}
}

// verify --model labels a next_tokens proof a greedy completion only when
// the model checks causal; a (hand-built) greedy model around a non-causal
// LM is labelled NOT a greedy completion, with the reason and the note.
func TestVerifyLabelsCausality(t *testing.T) {
	const seq, v = 4, 16
	rng := rand.New(rand.NewPCG(31, 7))
	for _, mix := range []bool{false, true} {
		lm := positionLM(t, rng, seq, v, 4, mix)
		gm := graphtest.UncheckedNextTokens(t, lm, 2, 1)
		x := []int64{3, 9, 0, 0}
		tr, err := gm.Forward([][]int64{x})
		if err != nil {
			t.Fatal(err)
		}
		b := &verifier.Bundle{PublicInputs: []verifier.Tensor{{Name: verifier.TensorInput, Values: x}, {Name: verifier.TensorOutput, Values: tr.Outputs[0]}}}
		res := &verifier.Result{Input: &prover.TensorSpec{Parts: gm.InputParts()}, Output: &prover.TensorSpec{Parts: gm.OutputParts()}}
		var w strings.Builder
		printVerifiedCompletion(&w, b, res, gm)
		out := w.String()
		causal := strings.Contains(out, "ok: greedy completion (proven; model checked causal")
		labelled := strings.Contains(out, "NOT a greedy completion") && strings.Contains(out, `"mx"`) && strings.Contains(out, "note: ")
		if causal == mix || labelled != mix {
			t.Fatalf("mix %v: %s", mix, out)
		}
	}
}

// verify --model labels a sampling proof a sampled completion for both
// forms of the sampling model: sample_tokens over every logits row (the
// files written before row slicing, SampleTokensModelFull) and
// sample_tokens_rows (SampleTokensModel: the head on the checked rows,
// causality with row k as position From + k); each loads from its file,
// and the same ids and seed are the completion of both. A sliced model
// whose row slice starts one position late is labelled NOT a sampled
// completion.
func TestVerifySampleKinds(t *testing.T) {
	const seq, v, promptLen, n, topK, temp, seed = 5, 16, 2, 3, 4, 0.8, 9
	rng := rand.New(rand.NewPCG(31, 84))
	lm := positionLM(t, rng, seq, v, 4, false)
	full, err := ops.SampleTokensModelFull(lm, promptLen, n, topK, temp)
	if err != nil {
		t.Fatal(err)
	}
	sliced, err := ops.SampleTokensModel(lm, promptLen, n, topK, temp)
	if err != nil {
		t.Fatal(err)
	}
	op := sliced.Graph.Nodes[len(sliced.Graph.Nodes)-1].Op.(*ops.SampleTokens)
	ids := []int64{3, 11}
	for k := range n {
		x := make([]int64, seq)
		copy(x, ids)
		tr, err := lm.Forward([][]int64{x})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ops.Sampled(tr.Outputs[0], v, promptLen-1+k, 1, op.TopK, op.Weights, seed)[0])
	}
	x := append(slices.Clone(ids[:promptLen+n-1]), 0)
	label := func(m *quant.Model) string {
		t.Helper()
		b := &verifier.Bundle{PublicInputs: []verifier.Tensor{{Name: verifier.TensorInput, Values: append(slices.Clone(x), seed)}, {Name: verifier.TensorOutput, Values: ids[promptLen:]}}}
		res := &verifier.Result{Input: &prover.TensorSpec{Parts: m.InputParts()}, Output: &prover.TensorSpec{Parts: m.OutputParts()}}
		var w strings.Builder
		printVerifiedSample(&w, b, res, m)
		return w.String()
	}
	for kind, m := range map[string]*quant.Model{"sample_tokens": full, "sample_tokens_rows": sliced} {
		path := t.TempDir() + "/sample.quant.json"
		if err := quant.WriteQuantized(path, m); err != nil {
			t.Fatal(err)
		}
		back, err := quant.LoadQuantized(path)
		if err != nil {
			t.Fatal(err)
		}
		if k := back.Graph.Nodes[len(back.Graph.Nodes)-1].Op.Kind(); k != kind {
			t.Fatalf("loaded %s, want %s", k, kind)
		}
		tr, err := back.Forward([][]int64{x, {seed}})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(tr.Outputs[0], ids[promptLen:]) {
			t.Fatalf("%s: one pass %v, step by step %v", kind, tr.Outputs[0], ids[promptLen:])
		}
		out := label(back)
		if !strings.Contains(out, "ok: sampled completion (proven; model checked causal; top-k 4, temperature 0.8, seed 9") || !strings.Contains(out, "prompt tokens: [3 11]") {
			t.Fatalf("%s: %s", kind, out)
		}
	}
	g := *sliced.Graph
	g.Nodes = slices.Clone(g.Nodes)
	for k, nd := range g.Nodes {
		if s, ok := nd.Op.(*ops.QSlice); ok {
			starts := slices.Clone(s.Starts)
			starts[len(starts)-2]++
			g.Nodes[k].Op = &ops.QSlice{Starts: starts, Steps: s.Steps}
		}
	}
	late := *sliced
	late.Graph = &g
	if out := label(&late); !strings.Contains(out, "NOT a sampled completion") || strings.Contains(out, "ok: sampled completion") {
		t.Fatalf("a slice one position late: %s", out)
	}
}
