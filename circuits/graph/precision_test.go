package graph_test

import (
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Tests of the requantization precision knob (quant.Precision: settings'
// requant_bits and norm_requant_bits): smaller shifts and norm K, the same
// integer semantics, so the circuits are the same code and must match the
// reference bit for bit, and pay fewer range-check limbs.

// capsBite fails unless some requantization of each kind got a smaller
// shift than its default (within its cap or, where the cap would leave
// the multiplier too few bits, the nearest shift above it).
func capsBite(t *testing.T, notes []quant.RequantNote, kinds map[string]bool) {
	t.Helper()
	for _, n := range notes {
		if n.Shift < n.Default {
			kinds[n.Node+"/"+n.Site] = true
		}
	}
	for k, ok := range kinds {
		if !ok {
			t.Errorf("%s: no requantization was capped (notes %+v)", k, notes)
		}
	}
}

func r1csCount(t *testing.T, c frontend.Circuit) int {
	t.Helper()
	cs, err := frontend.Compile(graphtest.Field, r1cs.NewBuilder, c)
	if err != nil {
		t.Fatal(err)
	}
	return cs.GetNbConstraints()
}

// A layer graph with every kind of capped requantization (linear,
// attention's logits and output, LayerNorm, RMSNorm, affine, mean,
// average pool): the circuit matches the reference under gnark's range
// checker, bit decomposition and the log-derivative checker, and costs
// fewer constraints than the default precision's under both checkers.
func TestCompactGraphMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 1))
	lin := func(in, out int) quant.FloatOp {
		return ops.NewLinear(graphtest.Tensor(rng, 0.5, in, out), graphtest.Tensor(rng, 0.1, out), false)
	}
	b := quant.NewGraphBuilder()
	if err := b.Input("x", []int{4, 8}); err != nil {
		t.Fatal(err)
	}
	steps := []graphtest.Step{
		{Name: "ln", Op: ops.NewLayerNorm(graphtest.Tensor(rng, 1, 8), graphtest.Tensor(rng, 0.5, 8), 1e-5), In: []string{"x"}, Out: []string{"ln"}},
		{Name: "q", Op: lin(8, 8), In: []string{"ln"}, Out: []string{"q"}},
		{Name: "k", Op: lin(8, 8), In: []string{"ln"}, Out: []string{"k"}},
		{Name: "v", Op: lin(8, 8), In: []string{"ln"}, Out: []string{"v"}},
		{Name: "attn", Op: &ops.Attention{Heads: 2, KVHeads: 2, HeadDim: 4, Scale: 0.5, Mask: ops.MaskCausal}, In: []string{"q", "k", "v"}, Out: []string{"attn"}},
		{Name: "rms", Op: ops.NewRMSNorm(graphtest.Tensor(rng, 1, 8), 1e-6), In: []string{"attn"}, Out: []string{"rms"}},
		{Name: "aff", Op: ops.NewAffine(graphtest.Tensor(rng, 1, 8), graphtest.Tensor(rng, 0.2, 8), false), In: []string{"rms"}, Out: []string{"aff"}},
		{Name: "fc", Op: lin(8, 6), In: []string{"aff"}, Out: []string{"fc"}},
		{Name: "t", Op: &ops.Reshape{Shape: []int{1, 4, 6}}, In: []string{"fc"}, Out: []string{"t"}},
		{Name: "pool", Op: ops.NewAvgPool(ops.Window{Kernel: []int{2}}, false, true), In: []string{"t"}, Out: []string{"pool"}},
		{Name: "mean", Op: &ops.Reduce{Op: "mean", Axes: []int{2}, KeepDims: true}, In: []string{"pool"}, Out: []string{"mean"}},
	}
	for _, s := range steps {
		if err := b.Node(s.Name, s.Op, s.In, s.Out); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Output("mean"); err != nil {
		t.Fatal(err)
	}
	fm := graphtest.Built(t, b)
	var cal [][]float64
	for range 16 {
		cal = append(cal, graphtest.Tensor(rng, 1, fm.Graph.InputSize()).Data)
	}
	def, none := graphtest.QuantizedAt(t, fm, cal, quant.Precision{})
	if len(none) != 0 {
		t.Fatalf("the default precision recorded %+v", none)
	}
	m, notes := graphtest.QuantizedAt(t, fm, cal, quant.Precision{RequantBits: 8, NormBits: 16})
	capsBite(t, notes, map[string]bool{"q/": false, "attn/logits": false, "attn/out": false, "ln/": false, "rms/": false, "aff/": false, "fc/": false, "pool/": false, "mean/": false})
	for _, n := range notes {
		if n.K != 0 {
			if lo, hi := quant.LNKRange(8); n.K < lo || n.K >= hi {
				t.Errorf("%s: K %d, want below the default %d, at least %d", n.Node, n.K, hi, lo)
			}
		}
	}
	inputs := graphtest.Inputs(rng, m, 6)
	graphtest.Matches(t, m, inputs)
	logc := graphtest.Circuit(t, m, graphtest.PublicIO, fixedpoint.WithLogChecker())
	for k, x := range inputs {
		tr, err := m.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		if err := test.IsSolved(logc, graphtest.Assign(t, m, tr), graphtest.Field); err != nil {
			t.Fatalf("input %d, log checker: %v", k, err)
		}
	}
	for _, opts := range [][]fixedpoint.Option{nil, {fixedpoint.WithLogChecker()}} {
		d, c := r1csCount(t, graphtest.Circuit(t, def, graphtest.PublicIO, opts...)), r1csCount(t, graphtest.Circuit(t, m, graphtest.PublicIO, opts...))
		t.Logf("log checker %v: %d R1CS constraints at the default precision, %d capped", len(opts) > 0, d, c)
		if c >= d {
			t.Errorf("log checker %v: capped precision costs %d constraints, the default %d", len(opts) > 0, c, d)
		}
	}
}

// The legacy gpt2 circuit (the log checker) on a model quantized under a
// cap that bites (dense layers, logits, attention output, LayerNorms with
// a smaller K): bit for bit with the reference, a wrong output rejected,
// and fewer constraints than the default.
func TestCompactGPT2MatchesReference(t *testing.T) {
	cfg := tinyGPT2Config()
	cfg.NLayer = 1
	fm := quant.RandomModel(cfg, 1)
	cal := quant.RandomSamples(cfg, 8, 1)
	def, _ := graphtest.QuantizedAt(t, fm, cal, quant.Precision{})
	m, notes := graphtest.QuantizedAt(t, fm, cal, quant.Precision{RequantBits: 10, NormBits: 24})
	capsBite(t, notes, map[string]bool{"h.0.attn.c_attn/": false, "h.0.attn/logits": false, "h.0.attn/out": false, "h.0.mlp.c_fc/": false, "h.0.ln_1/": false, "ln_f/": false})
	if m.Blocks[0].LN1.K >= def.Blocks[0].LN1.K {
		t.Errorf("ln_1's K %d, the default's %d", m.Blocks[0].LN1.K, def.Blocks[0].LN1.K)
	}
	circ := gpt2Circuit(t, m)
	rng := rand.New(rand.NewPCG(19, 2))
	inputs := [][][]int64{constRows(4, 8, func() int64 { return 127 }), constRows(4, 8, func() int64 { return -128 })}
	for range 8 {
		inputs = append(inputs, randomRows(rng, cfg.SeqLen, cfg.DModel, []int64{8, 40, 127}[rng.IntN(3)]))
	}
	gpt2MatchesReference(t, circ, m, inputs, 3, 1, 2)
	d, c := r1csCount(t, gpt2Circuit(t, def)), r1csCount(t, circ)
	t.Logf("%d R1CS constraints at the default precision, %d capped", d, c)
	if c >= d {
		t.Errorf("capped precision costs %d constraints, the default %d", c, d)
	}
}
