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

// Seeded sampling with the LM head sliced to the checked rows
// (SampleTokensModel → sample_tokens_rows, ID 84): the same completion as
// step-by-step sampling and as the unsliced one-pass model
// (SampleTokensModelFull), bit for bit, on several seeds, top-k and
// temperatures and random paddings (the draw hashes the position From + k,
// not the row k); the constraint counts before and after (compiled) are
// pinned; the circuit accepts the honest completion and rejects a changed
// token (in the input ids or the claimed output) and another seed.
func TestSampledSlicedHead(t *testing.T) {
	const seq, v, promptLen, newTokens = 8, 40, 3, 4
	lm := sliceLM(t, seq, v)
	before, err := quant.CommitString(lm)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2, 84))
	for _, c := range []struct {
		topK int
		temp float64
		seed int64
	}{{5, 0.9, 42}, {0, 1.3, 7}, {1, 1, 3}, {12, 0.4, 1 << 20}, {40, 2.5, quant.MaxIndex}} {
		full, err := ops.SampleTokensModelFull(lm, promptLen, newTokens, c.topK, c.temp)
		if err != nil {
			t.Fatal(err)
		}
		sliced, err := ops.SampleTokensModel(lm, promptLen, newTokens, c.topK, c.temp)
		if err != nil {
			t.Fatal(err)
		}
		if k := full.Graph.Nodes[len(full.Graph.Nodes)-1].Op.Kind(); k != "sample_tokens" {
			t.Fatalf("unsliced: last node %s", k)
		}
		if k := sliced.Graph.Nodes[len(sliced.Graph.Nodes)-1].Op.Kind(); k != "sample_tokens_rows" {
			t.Fatalf("sliced: last node %s, want sample_tokens_rows", k)
		}
		if err := ops.CheckSampleCausal(sliced.Graph, sliced.Graph.Nodes[len(sliced.Graph.Nodes)-1]); err != nil {
			t.Fatal(err)
		}
		op := sliced.Graph.Nodes[len(sliced.Graph.Nodes)-1].Op.(*ops.SampleTokens)
		var honest *quant.Trace
		var x []int64
		for trial := range 3 {
			prompt := make([]int64, promptLen)
			for i := range prompt {
				prompt[i] = rng.Int64N(v)
			}
			seed := c.seed - int64(trial)
			ids := sampledIDs(t, lm, prompt, newTokens, op.TopK, op.Weights, seed)
			x = make([]int64, seq)
			copy(x, ids[:promptLen+newTokens-1])
			for i := promptLen + newTokens - 1; i < seq; i++ {
				x[i] = rng.Int64N(v)
			}
			a, err := full.Forward([][]int64{x, {seed}})
			if err != nil {
				t.Fatal(err)
			}
			b, err := sliced.Forward([][]int64{x, {seed}})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(a.Outputs[0], ids[promptLen:]) || !slices.Equal(b.Outputs[0], ids[promptLen:]) {
				t.Fatalf("top-k %d, temperature %v, seed %d: step by step %v, unsliced %v, sliced %v", c.topK, c.temp, seed, ids[promptLen:], a.Outputs[0], b.Outputs[0])
			}
			honest = b
		}
		t.Logf("top-k %d, temperature %v: %v → %v", op.TopK, c.temp, honest.Inputs[0][:promptLen], honest.Outputs[0])
		if c.topK != 5 {
			continue
		}
		// Constraint counts (R1CS, public I/O, fixed weights) and the
		// tamper checks, on one setting.
		nFull, nSliced := graphtest.R1CS(t, full), graphtest.R1CS(t, sliced)
		t.Logf("constraints: full %d (estimate %d), sliced %d (estimate %d)", nFull, full.Graph.Cost().R1CS, nSliced, sliced.Graph.Cost().R1CS)
		if nFull != 23925 || nSliced != 21081 {
			t.Errorf("constraints: full %d, sliced %d; pinned 23925 and 21081 (24053 and 21145 before c_proj + res_1 fused, 24259 and 21351 with the softmax division)", nFull, nSliced)
		}
		seed := honest.Inputs[1][0]
		circ := graphtest.Circuit(t, sliced, graphtest.PublicIO)
		if err := test.IsSolved(circ, graphtest.Assign(t, sliced, honest), graphtest.Field); err != nil {
			t.Fatal(err)
		}
		// A changed completion token in the input ids.
		bad := slices.Clone(honest.Inputs[0])
		bad[promptLen] = (bad[promptLen] + 1) % v
		if _, err := sliced.Forward([][]int64{bad, {seed}}); !errors.Is(err, ops.ErrNotSampled) {
			t.Fatalf("a changed completion token: %v", err)
		}
		trBad := *honest
		trBad.Inputs = [][]int64{bad, {seed}}
		if test.IsSolved(circ, graphtest.Assign(t, sliced, &trBad), graphtest.Field) == nil {
			t.Fatal("a changed token in the input was accepted")
		}
		// A changed last token in the claimed output.
		out := slices.Clone(honest.Outputs[0])
		out[newTokens-1] = (out[newTokens-1] + 1) % v
		trBad = *honest
		trBad.Outputs = [][]int64{out}
		if test.IsSolved(circ, graphtest.Assign(t, sliced, &trBad), graphtest.Field) == nil {
			t.Fatal("a changed last token was accepted")
		}
		// Another seed: these tokens are not its samples.
		other := seed + 1
		logits := honest.Values[sliced.Graph.Nodes[len(sliced.Graph.Nodes)-1].In[0]]
		if slices.Equal(op.Sample(logits, v, other), honest.Outputs[0]) {
			t.Fatal("seeds s and s+1 sample alike: pick another")
		}
		if _, err := sliced.Forward([][]int64{honest.Inputs[0], {other}}); !errors.Is(err, ops.ErrNotSampled) {
			t.Fatalf("another seed: %v", err)
		}
		trBad = *honest
		trBad.Inputs = [][]int64{honest.Inputs[0], {other}}
		if test.IsSolved(circ, graphtest.Assign(t, sliced, &trBad), graphtest.Field) == nil {
			t.Fatal("another seed was accepted")
		}
	}
	if after, err := quant.CommitString(lm); err != nil || after != before {
		t.Fatalf("the LM's commitment moved: %s → %s (%v)", before, after, err)
	}
}

// A sliced sampling model survives its file (kind sample_tokens_rows, the
// same commitment and completion after a round trip); a slice one position
// late is refused by CheckSampleCausal (what verify --model runs); an LM
// whose logits come from a row-dependent op keeps sample_tokens on every
// row; sample_tokens_rows refuses logits of another row count than its
// tokens.
func TestSampledSlicedFileAndFallback(t *testing.T) {
	lm := sliceLM(t, 8, 40)
	m, err := ops.SampleTokensModel(lm, 3, 4, 5, 0.9)
	if err != nil {
		t.Fatal(err)
	}
	back := reloaded(t, m)
	last := back.Graph.Nodes[len(back.Graph.Nodes)-1]
	st, ok := last.Op.(*ops.SampleTokens)
	if !ok || !st.Sliced || st.From != 2 || st.Count != 4 || st.TopK != 5 || st.Temperature != 0.9 {
		t.Fatalf("decoded op %#v", last.Op)
	}
	if err := ops.CheckSampleCausal(back.Graph, last); err != nil {
		t.Fatal(err)
	}
	ids := sampledIDs(t, lm, []int64{1, 2, 3}, 4, st.TopK, st.Weights, 11)
	tr, err := back.Forward([][]int64{append(ids[:6:6], 0, 0), {11}})
	if err != nil || !slices.Equal(tr.Outputs[0], ids[3:]) {
		t.Fatalf("decoded model: %v, %v", tr, err)
	}

	// A slice one position late: causal for row k as position From + k + 1
	// only; refused.
	bad := sliceOneLate(t, m)
	if err := ops.CheckSampleCausal(bad.Graph, bad.Graph.Nodes[len(bad.Graph.Nodes)-1]); !errors.Is(err, quant.ErrNotCausal) {
		t.Fatalf("a slice one position late: %v, want a causality refusal", err)
	}

	rng := rand.New(rand.NewPCG(8, 4))
	biased := graphtest.TokenLM(t, rng, 6, 20,
		graphtest.Node{Name: "e", Op: ops.NewGather(graphtest.Tensor(rng, 1, 20, 4)), In: []string{"ids"}},
		graphtest.Node{Name: "h", Op: ops.NewLinear(graphtest.Tensor(rng, 0.5, 4, 20), graphtest.Tensor(rng, 0.1, 20), false), In: []string{"e"}},
		graphtest.Node{Name: "logits", Op: ops.NewAffine(graphtest.Tensor(rng, 1, 1), graphtest.Tensor(rng, 0.5, 1, 6, 20), false), In: []string{"h"}})
	fb, err := ops.SampleTokensModel(biased, 2, 2, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	if k := fb.Graph.Nodes[len(fb.Graph.Nodes)-1].Op.Kind(); k != "sample_tokens" {
		t.Fatalf("unsliceable LM: %s, want sample_tokens", k)
	}
	fop := fb.Graph.Nodes[len(fb.Graph.Nodes)-1].Op.(*ops.SampleTokens)
	fids := sampledIDs(t, biased, []int64{4, 9}, 2, fop.TopK, fop.Weights, 5)
	if tr, err := fb.Forward([][]int64{append(fids[:3:3], 0, 0, 0), {5}}); err != nil || !slices.Equal(tr.Outputs[0], fids[2:]) {
		t.Fatalf("unsliced fallback: %v, %v", tr, err)
	}

	op := &ops.SampleTokens{From: 2, Count: 4, TopK: 5, Temperature: 0.9, Weights: st.Weights, Sliced: true}
	logits := back.Graph.Values[last.In[0]]
	logits.Shape = []int{1, 8, 40}
	in := []quant.Value{logits, back.Graph.Values[last.In[1]], back.Graph.Values[last.In[2]]}
	out := []quant.Value{back.Graph.Values[last.Out[0]]}
	if err := op.Check(in, out); !errors.Is(err, quant.ErrShape) {
		t.Fatalf("sample_tokens_rows on 8 rows for 4 tokens: %v", err)
	}
	in[0].Shape = []int{1, 4, 40}
	if err := op.Check(in, out); err != nil {
		t.Fatal(err)
	}
	op.From = 5 // From + Count > T
	if err := op.Check(in, out); err == nil {
		t.Fatal("sample_tokens_rows past the ids accepted")
	}
}
