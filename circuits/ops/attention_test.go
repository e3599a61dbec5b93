package ops_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"

	"github.com/zkinfer/zkinfer/circuits/attention"
	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/circuits/matmul"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// attnModel is x [t, d] → q, k, v projections (k and v of hkv·dh columns)
// → attention; s keys (k and v from the first s rows of x when s < t is
// not needed: s = t here).
func attnModel(t testing.TB, seed uint64, tokens, d int, a *ops.Attention) *quant.Model {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 70))
	kv := a.KVHeads * a.HeadDim
	return nmModel(t, rng, []int{tokens, d},
		nmNode{"q", nmLinear(rng, d, a.Heads*a.HeadDim), []string{"x"}},
		nmNode{"k", nmLinear(rng, d, kv), []string{"x"}},
		nmNode{"v", nmLinear(rng, d, kv), []string{"x"}},
		nmNode{"attn", a, []string{"q", "k", "v"}},
	)
}

func attnKeep(tokens int, f func(i, j int) bool) []int8 {
	k := make([]int8, tokens*tokens)
	for i := 0; i < tokens; i++ {
		for j := 0; j < tokens; j++ {
			if f(i, j) {
				k[i*tokens+j] = 1
			}
		}
	}
	return k
}

var attnCases = map[string]*ops.Attention{
	"none":   {Heads: 2, KVHeads: 2, HeadDim: 4, Scale: 0.5, Mask: ops.MaskNone},
	"causal": {Heads: 2, KVHeads: 2, HeadDim: 4, Scale: 0.5, Mask: ops.MaskCausal},
	"gqa":    {Heads: 4, KVHeads: 2, HeadDim: 2, Scale: 0.7, Mask: ops.MaskCausal},
	"mqa":    {Heads: 2, KVHeads: 1, HeadDim: 4, Scale: 0.25, Mask: ops.MaskNone},
	// nanoGPT's finite fill: a constant logit inside the logit range.
	"fill_-1": {Heads: 2, KVHeads: 2, HeadDim: 4, Scale: 0.5, Mask: ops.MaskConst, Fill: -1,
		Keep: attnKeep(4, func(i, j int) bool { return j <= i })},
	// A fill below the range: excluded after a row's last kept key, the
	// constant lo before it; row 0 all masked (uniform).
	"fill_-1e4": {Heads: 2, KVHeads: 1, HeadDim: 4, Scale: 0.5, Mask: ops.MaskConst, Fill: -1e4,
		Keep: attnKeep(4, func(i, j int) bool { return i > 0 && j != 1 && j <= i })},
	// BERT's additive padding mask, the last key masked, one bias in range.
	"additive": {Heads: 2, KVHeads: 2, HeadDim: 4, Scale: 0.5, Mask: ops.MaskConst, Fill: -1e4, Additive: true,
		Keep: attnKeep(4, func(i, j int) bool { return j < 3 })},
	"additive_small": {Heads: 2, KVHeads: 2, HeadDim: 4, Scale: 0.5, Mask: ops.MaskConst, Fill: -0.5, Additive: true,
		Keep: attnKeep(4, func(i, j int) bool { return (i+j)%3 != 0 })},
}

// Every mask kind, GQA and MQA: the circuit is bit-exact with the integer
// reference on random and extreme inputs and rejects a moved output.
func TestAttentionGadget(t *testing.T) {
	for name, a := range attnCases {
		t.Run(name, func(t *testing.T) {
			m := attnModel(t, 1, 4, 8, a)
			rng := rand.New(rand.NewPCG(70, 2))
			nmMatches(t, m, nmInputs(rng, m, 3))
		})
	}
}

// The const masks quantize to the modes they promise.
func TestAttentionMaskModes(t *testing.T) {
	q := func(name string) *ops.QAttention {
		m := attnModel(t, 1, 4, 8, attnCases[name])
		return m.Graph.Nodes[3].Op.(*ops.QAttention)
	}
	if c := q("fill_-1"); c.Mask != ops.MaskConst || c.Cols(0, 4) != 4 || c.Mode[1] != ops.AttnConst {
		t.Errorf("fill -1: %s, modes %v", c.Mask, c.Mode)
	}
	c := q("fill_-1e4")
	if c.Cols(0, 4) != 4 || c.Mode[0] != ops.AttnConst || c.Cols(2, 4) != 3 || c.Mode[2*4+1] != ops.AttnConst || c.Value[2*4+1] != -512 {
		t.Errorf("fill -1e4: modes %v values %v", c.Mode, c.Value)
	}
	if c := q("additive"); c.Cols(1, 4) != 3 || c.ScoreCols(1, 4) != 3 {
		t.Errorf("additive: modes %v", c.Mode)
	}
	// A causal const mask with −1e4 is the causal kind.
	b := &ops.Attention{Heads: 1, KVHeads: 1, HeadDim: 8, Scale: 0.3, Mask: ops.MaskConst, Fill: -1e4, Keep: attnKeep(4, func(i, j int) bool { return j <= i })}
	if c := attnModel(t, 2, 4, 8, b).Graph.Nodes[3].Op.(*ops.QAttention); c.Mask != ops.MaskCausal || c.Mode != nil {
		t.Errorf("a causal const mask quantized to %s", c.Mask)
	}
}

// The hints the gadget uses (circuits/attention's MaxHint, the products'
// hint, the division and the requantizations' quotients) fail the real
// Groth16 prover when they lie.
func TestAttentionTamperedHints(t *testing.T) {
	// 8 tokens: the products take the randomized check.
	m := attnModel(t, 3, 8, 16, &ops.Attention{Heads: 4, KVHeads: 2, HeadDim: 4, Scale: 0.5, Mask: ops.MaskCausal})
	x := nmInputs(rand.New(rand.NewPCG(70, 4)), m, 1)[4]
	nmProveTampered(t, m, x, map[string]nmTamper{
		"max+1":    {attention.MaxHint, nmAdd(0, 1)},
		"max-1":    {attention.MaxHint, nmAdd(0, -1)},
		"product":  {matmul.ProductHint, nmAdd(3, 1)},
		"division": {fixedpoint.DivFloorHint, nmAdd(0, 1)},
		"quotient": {fixedpoint.DivPow2Hint, nmAdd(0, 1)},
		// The packed exp table (fixedpoint.NewPackedTable): a wrong value,
		// a wrong multiplicity.
		"exp value": {fixedpoint.PackedLookupHint, nmAdd(0, 1)},
		"exp count": {fixedpoint.PackedCountHint, nmAdd(0, 1)},
	})
}

// One small case proves and verifies under PLONK.
func TestAttentionPLONK(t *testing.T) {
	if testing.Short() {
		t.Skip("PLONK setup and proof")
	}
	m := attnModel(t, 4, 4, 8, attnCases["fill_-1e4"])
	x := nmInputs(rand.New(rand.NewPCG(70, 5)), m, 1)[4]
	t.Logf("%d PLONK constraints", graphtest.ProvePLONK(t, m, x))
}

// The estimate of an attention graph is within 15 % of the compiled count
// under both backends (TestEstimateWithin15Percent's rule), for a GPT-2
// sized head count at 16 tokens, causal and GQA.
func TestAttentionCost(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles attention graphs")
	}
	for name, a := range map[string]*ops.Attention{
		"causal": {Heads: 4, KVHeads: 4, HeadDim: 8, Scale: 0.35, Mask: ops.MaskCausal},
		"gqa":    {Heads: 4, KVHeads: 2, HeadDim: 8, Scale: 0.35, Mask: ops.MaskNone},
		"mqa":    {Heads: 4, KVHeads: 1, HeadDim: 8, Scale: 0.35, Mask: ops.MaskCausal},
		"const":  {Heads: 4, KVHeads: 4, HeadDim: 8, Scale: 0.35, Mask: ops.MaskConst, Fill: -0.5, Keep: attnKeep(16, func(i, j int) bool { return j <= i })},
	} {
		rng := rand.New(rand.NewPCG(5, 70))
		kv := int64(a.KVHeads * a.HeadDim)
		m := nmModel(t, rng, []int{16, 32},
			nmNode{"kv", &ops.Slice{Starts: []int64{0}, Ends: []int64{kv}, Axes: []int64{1}}, []string{"x"}},
			nmNode{"y", a, []string{"x", "kv", "kv"}})
		v := quant.DefaultVisibility
		var got [2]int
		for k := range got {
			circ, err := graph.New(m, v)
			if err != nil {
				t.Fatal(err)
			}
			var n int
			if k == 0 {
				cs, err := frontend.Compile(nmField, r1cs.NewBuilder, circ)
				if err != nil {
					t.Fatal(err)
				}
				n = cs.GetNbConstraints()
			} else {
				cs, err := frontend.Compile(nmField, scs.NewBuilder, circ)
				if err != nil {
					t.Fatal(err)
				}
				n = cs.GetNbConstraints()
			}
			got[k] = n
		}
		cost := m.EstimateCost(v)
		t.Logf("%-7s r1cs %7d (est %7d)  scs %7d (est %7d)", name, got[0], cost.R1CS, got[1], cost.SCS)
		for _, c := range [][2]int{{got[0], cost.R1CS}, {got[1], cost.SCS}} {
			if d := float64(c[1]-c[0]) / float64(c[0]); d > 0.15 || d < -0.15 {
				t.Errorf("%s: estimate %d for %d constraints (%+.0f %%)", name, c[1], c[0], 100*d)
			}
		}
	}
}

// attnExports are the attention exports: the zoo's and the first
// GPT-2 export without a mask.
var attnExports = []string{
	"zoo/attn_gpt2_causal_op14", "zoo/attn_encoder_postln_op14", "zoo/attn_nanogpt_fill10_op14",
	"zoo/attn_gqa_op14", "zoo/attn_mqa_op14", "rejected_nomask_op14",
}

// rejected_nomask_op14 (GPT-2 without a causal mask) imports fused and
// proves bit-exact on random and extreme inputs.
func TestAttentionNoMaskExport(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "onnx", "rejected_nomask_op14.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	fm, _, err := onnx.ParseGraph(data, onnx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(70, 11))
	m := graphtest.Calibrated(t, rng, fm)
	found := false
	for _, n := range m.Graph.Nodes {
		_, ok := n.Op.(*ops.QAttention)
		found = found || ok
	}
	if !found {
		t.Fatal("no attention node")
	}
	nmMatches(t, m, nmInputs(rng, m, 2))
}

// The compiled constraint counts of every attention export, fused and op
// by op (quant/GRAPH.md's table): fused is smaller under both backends.
func TestAttentionFusedVsUnfused(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles 22 circuits")
	}
	for _, name := range attnExports {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "onnx", name+".onnx"))
		if err != nil {
			t.Fatal(err)
		}
		var counts [2][2]int
		for k, opts := range []onnx.Options{{}, {Unfused: true}} {
			fm, _, err := onnx.ParseGraph(data, opts)
			if err != nil {
				t.Logf("%s: op by op: %v", name, err)
				continue
			}
			m := graphtest.Calibrated(t, rand.New(rand.NewPCG(70, 12)), fm)
			v := quant.DefaultVisibility
			for b := range 2 {
				circ, err := graph.New(m, v)
				if err != nil {
					t.Fatal(err)
				}
				if b == 0 {
					cs, err := frontend.Compile(nmField, r1cs.NewBuilder, circ)
					if err != nil {
						t.Fatal(err)
					}
					counts[k][b] = cs.GetNbConstraints()
				} else {
					cs, err := frontend.Compile(nmField, scs.NewBuilder, circ)
					if err != nil {
						t.Fatal(err)
					}
					counts[k][b] = cs.GetNbConstraints()
				}
			}
		}
		t.Logf("| %s | %d | %d | %d | %d |", name, counts[0][0], counts[1][0], counts[0][1], counts[1][1])
		for b := range 2 {
			if counts[1][b] != 0 && counts[0][b] >= counts[1][b] {
				t.Errorf("%s: fused %d ≥ unfused %d constraints (backend %d)", name, counts[0][b], counts[1][b], b)
			}
		}
	}
}
