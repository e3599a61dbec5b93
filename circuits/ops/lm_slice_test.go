package ops_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// sliceLM is a one-block GPT-2-layout LM of vocabulary v, width 8, 2 heads
// over seq positions: wte (gather) + wpe (a per-position constant add) →
// ln_1 → q, k, v → causal attention → c_proj → residual → ln_2 → fc →
// GELU → proj → residual → ln_f → untied head.
func sliceLM(t testing.TB, seq, v int) *quant.Model {
	t.Helper()
	const d = 8
	rng := rand.New(rand.NewPCG(83, 84))
	ones := func(n int) *quant.FloatTensor {
		f := &quant.FloatTensor{Shape: []int{n}, Data: make([]float64, n)}
		for i := range f.Data {
			f.Data[i] = 1
		}
		return f
	}
	zeros := func(n int) *quant.FloatTensor { return &quant.FloatTensor{Shape: []int{n}, Data: make([]float64, n)} }
	w := 1 / math.Sqrt(d)
	lin := func(in, out int) *ops.Linear {
		return ops.NewLinear(graphtest.Tensor(rng, w, in, out), graphtest.Tensor(rng, 0.05, out), false)
	}
	type N = graphtest.Node
	return graphtest.TokenLM(t, rng, seq, v,
		N{Name: "wte", Op: ops.NewGather(graphtest.Tensor(rng, 1, v, d)), In: []string{"ids"}},
		N{Name: "wpe", Op: ops.NewAffine(ones(1), graphtest.Tensor(rng, 0.3, 1, seq, d), false), In: []string{"wte"}},
		N{Name: "ln_1", Op: ops.NewLayerNorm(ones(d), zeros(d), 1e-5), In: []string{"wpe"}},
		N{Name: "q", Op: lin(d, d), In: []string{"ln_1"}},
		N{Name: "k", Op: lin(d, d), In: []string{"ln_1"}},
		N{Name: "v", Op: lin(d, d), In: []string{"ln_1"}},
		N{Name: "attn", Op: &ops.Attention{Heads: 2, KVHeads: 2, HeadDim: d / 2, Scale: 1 / math.Sqrt(d/2), Mask: ops.MaskCausal}, In: []string{"q", "k", "v"}},
		N{Name: "c_proj", Op: lin(d, d), In: []string{"attn"}},
		N{Name: "res_1", Op: &ops.Binary{Op: "add"}, In: []string{"wpe", "c_proj"}},
		N{Name: "ln_2", Op: ops.NewLayerNorm(ones(d), zeros(d), 1e-5), In: []string{"res_1"}},
		N{Name: "fc", Op: lin(d, 2*d), In: []string{"ln_2"}},
		N{Name: "gelu", Op: &ops.Unary{Fn: "gelu"}, In: []string{"fc"}},
		N{Name: "proj", Op: lin(2*d, d), In: []string{"gelu"}},
		N{Name: "res_2", Op: &ops.Binary{Op: "add"}, In: []string{"res_1", "proj"}},
		N{Name: "ln_f", Op: ops.NewLayerNorm(ones(d), zeros(d), 1e-5), In: []string{"res_2"}},
		N{Name: "lm_head", Op: lin(d, v), In: []string{"ln_f"}},
	)
}

// Greedy completion with the LM head sliced to the checked rows
// (NextTokensModel, issue 15): the row-uniform tail after the attention
// (c_proj, the MLP, both residuals, ln_f, the head) runs on the N checked
// rows only, after a free slice of the attention output and the residual
// stream. Pinned: which nodes move, the constraint counts before and after
// (compiled), and that the completion is the one-pass and step-by-step
// greedy completion of the unsliced model, bit for bit, on several prompts
// and paddings. The circuit accepts the honest completion and rejects a
// changed completion token (in the input ids or in the claimed output);
// the LM's commitment does not move and the sliced model shares its ops
// (weights) with the unsliced one.
func TestGreedySlicedHead(t *testing.T) {
	const seq, v, promptLen, newTokens = 8, 40, 3, 4
	lm := sliceLM(t, seq, v)
	before, err := quant.CommitString(lm)
	if err != nil {
		t.Fatal(err)
	}
	full, err := ops.NextTokensModelFull(lm, promptLen, newTokens)
	if err != nil {
		t.Fatal(err)
	}
	sliced, err := ops.NextTokensModel(lm, promptLen, newTokens)
	if err != nil {
		t.Fatal(err)
	}
	if after, err := quant.CommitString(lm); err != nil || after != before {
		t.Fatalf("the LM's commitment moved: %s → %s (%v)", before, after, err)
	}
	rs, ok, err := ops.SliceRows(lm.Graph, lm.Scales.Graph.Fracs, lm.Graph.Outputs[0], promptLen-1, newTokens)
	if err != nil || !ok {
		t.Fatalf("SliceRows: ok %v, %v", ok, err)
	}
	if want := []string{"c_proj", "res_1", "ln_2", "fc", "gelu", "proj", "res_2", "ln_f", "lm_head"}; !slices.Equal(rs.Tail, want) {
		t.Fatalf("sliced tail %v, want %v", rs.Tail, want)
	}
	if want := []string{"attn", "wpe"}; !slices.Equal(rs.Cuts, want) {
		t.Fatalf("sliced inputs %v, want %v", rs.Cuts, want)
	}
	// Same ops (weights, shifts, tables) in both models.
	fullOps := map[string]quant.Op{}
	for _, n := range full.Graph.Nodes {
		fullOps[n.Name] = n.Op
	}
	for _, n := range sliced.Graph.Nodes {
		if o, found := fullOps[n.Name]; found && n.Name != "next_tokens" && o != n.Op {
			t.Fatalf("node %s: the sliced model has another op", n.Name)
		}
	}
	if k := sliced.Graph.Nodes[len(sliced.Graph.Nodes)-1].Op.Kind(); k != "next_tokens_rows" {
		t.Fatalf("last node %s, want next_tokens_rows", k)
	}
	// Constraint counts, compiled (R1CS, public I/O, fixed weights).
	count := func(m *quant.Model) int {
		ccs, err := frontend.Compile(graphtest.Field, r1cs.NewBuilder, graphtest.Circuit(t, m, graphtest.PublicIO))
		if err != nil {
			t.Fatal(err)
		}
		return ccs.GetNbConstraints()
	}
	nFull, nSliced := count(full), count(sliced)
	t.Logf("constraints: full %d (estimate %d), sliced %d (estimate %d)", nFull, full.Graph.Cost().R1CS, nSliced, sliced.Graph.Cost().R1CS)
	if nFull != 17852 || nSliced != 14848 {
		t.Errorf("constraints: full %d, sliced %d; pinned 17852 and 14848", nFull, nSliced)
	}
	// Bit-exact: the same completion as step-by-step decoding of the LM
	// and as the unsliced one-pass model, whatever the padding.
	rng := rand.New(rand.NewPCG(1, 83))
	var honest *quant.Trace
	for trial := range 4 {
		prompt := make([]int64, promptLen)
		for i := range prompt {
			prompt[i] = rng.Int64N(v)
		}
		ids := greedyIDs(t, lm, prompt, newTokens)
		x := make([]int64, seq)
		copy(x, ids[:promptLen+newTokens-1])
		for i := promptLen + newTokens - 1; i < seq; i++ {
			x[i] = rng.Int64N(v)
		}
		a, err := full.Forward([][]int64{x})
		if err != nil {
			t.Fatal(err)
		}
		b, err := sliced.Forward([][]int64{x})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a.Outputs[0], ids[promptLen:]) || !slices.Equal(b.Outputs[0], ids[promptLen:]) {
			t.Fatalf("trial %d: step by step %v, unsliced %v, sliced %v", trial, ids[promptLen:], a.Outputs[0], b.Outputs[0])
		}
		honest = b
	}
	circ := graphtest.Circuit(t, sliced, graphtest.PublicIO)
	if err := test.IsSolved(circ, graphtest.Assign(t, sliced, honest), graphtest.Field); err != nil {
		t.Fatal(err)
	}
	// A changed completion token in the model's input.
	bad := slices.Clone(honest.Inputs[0])
	bad[promptLen] = (bad[promptLen] + 1) % v
	if _, err := sliced.Forward([][]int64{bad}); !errors.Is(err, ops.ErrNotGreedy) {
		t.Fatalf("a changed completion token: %v", err)
	}
	tr := *honest
	tr.Inputs = [][]int64{bad}
	if test.IsSolved(circ, graphtest.Assign(t, sliced, &tr), graphtest.Field) == nil {
		t.Fatal("a changed completion token in the input was accepted")
	}
	// A non-argmax token claimed (the last: no input position repeats it).
	out := slices.Clone(honest.Outputs[0])
	out[newTokens-1] = (out[newTokens-1] + 1) % v
	tr = *honest
	tr.Outputs = [][]int64{out}
	if test.IsSolved(circ, graphtest.Assign(t, sliced, &tr), graphtest.Field) == nil {
		t.Fatal("a non-argmax completion token was accepted")
	}
}

// verify --model's causality check on a row-sliced greedy model
// (CheckGreedyCausal: row k is position From + k): the honest model
// passes; a model file whose row slice starts one position late (row k
// would read position From + k + 1, so the prover's padding could steer
// the last checked row) is refused.
func TestGreedySlicedCausal(t *testing.T) {
	lm := sliceLM(t, 8, 40)
	m, err := ops.NextTokensModel(lm, 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := ops.CheckGreedyCausal(m); err != nil {
		t.Fatal(err)
	}
	g := *m.Graph
	g.Nodes = slices.Clone(g.Nodes)
	late := 0
	for k, n := range g.Nodes {
		if s, ok := n.Op.(*ops.QSlice); ok {
			starts := slices.Clone(s.Starts)
			starts[len(starts)-2]++
			g.Nodes[k].Op = &ops.QSlice{Starts: starts, Steps: s.Steps}
			late++
		}
	}
	if late != 2 {
		t.Fatalf("%d slice nodes, want 2", late)
	}
	bad := *m
	bad.Graph = &g
	if err := bad.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := ops.CheckGreedyCausal(&bad); !errors.Is(err, quant.ErrNotCausal) {
		t.Fatalf("a slice one position late: %v, want a causality refusal", err)
	}
}
