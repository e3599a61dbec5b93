package graph_test

import (
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/attention"
	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/matmul"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/circuits/norm"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Tests of the legacy gpt2 architecture's circuit (the walker over
// ops.FromLegacyGPT2), moved from circuits/gpt2 when it was deleted.

func tinyGPT2Config() quant.Config { return gpt2Config(8, 16, 4, 2, 2, true) }

func randomRows(rng *rand.Rand, seq, d int, span int64) [][]int64 {
	return constRows(seq, d, func() int64 { return max(rng.Int64N(2*span+1)-span, quant.Int8Min) })
}

func gpt2Circuit(t testing.TB, m *quant.Model, opts ...fixedpoint.Option) *graph.Circuit {
	t.Helper()
	c, err := graph.New(m, quant.DefaultVisibility, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func gpt2Assign(t testing.TB, m *quant.Model, tr *quant.Trace) *graph.Circuit {
	t.Helper()
	a, err := graph.Assignment(m, tr, quant.DefaultVisibility, modelio.Salts{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// gpt2TablePlan plans as if every site were a million times as frequent, so
// that the int8 requantizations and residual sums get a clamp table; the
// logits (a wider bound) keep the selector path, so both paths run side by side.
func gpt2TablePlan(t testing.TB, m *quant.Model) *fixedpoint.Plan {
	t.Helper()
	g, err := ops.FromLegacyGPT2(m)
	if err != nil {
		t.Fatal(err)
	}
	sites, err := graph.Sites(g, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range sites {
		if sites[i].Lo <= sites[i].Hi && sites[i].Bits <= 12 {
			sites[i].Count <<= 20
		}
	}
	p := fixedpoint.NewPlan(sites)
	if p.TableBits(quant.Int8Min, quant.Int8Max) == 0 {
		t.Fatalf("plan %s has no int8 table", p)
	}
	return p
}

// The gpt2 circuit is bit-exact with the integer reference on the extremes
// and on random inputs (small and full-range: the latter saturate and
// produce large logits), with the selector clamps, with clamp tables and
// with the attention products forced through the randomized check; a wrong
// output is rejected by all three.
func TestGPT2MatchesReference(t *testing.T) {
	cfg := tinyGPT2Config()
	m := legacyGPT2(t, cfg, 1)
	circ := gpt2Circuit(t, m)
	rng := rand.New(rand.NewPCG(3, 4))
	inputs := [][][]int64{constRows(4, 8, func() int64 { return 0 }), constRows(4, 8, func() int64 { return 127 }), constRows(4, 8, func() int64 { return -128 })}
	for range 60 {
		inputs = append(inputs, randomRows(rng, cfg.SeqLen, cfg.DModel, []int64{8, 40, 127}[rng.IntN(3)]))
	}
	circTables := gpt2Circuit(t, m, fixedpoint.WithPlan(gpt2TablePlan(t, m)))
	// Auto takes the direct products at this size.
	circChecked := gpt2Circuit(t, m).WithProducts(matmul.Checked)
	for k, x := range inputs {
		tr, err := m.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		a := gpt2Assign(t, m, tr)
		if err := test.IsSolved(circ, a, field); err != nil {
			t.Fatalf("input %d: %v", k, err)
		}
		if k >= 15 {
			continue // the test engine is slow on tables
		}
		if err := test.IsSolved(circTables, a, field); err != nil {
			t.Fatalf("input %d, clamp tables: %v", k, err)
		}
		if err := test.IsSolved(circChecked, a, field); err != nil {
			t.Fatalf("input %d, checked products: %v", k, err)
		}
	}
	tr, _ := m.Forward(inputs[5])
	tr.Y[1][2] ^= 1
	a := gpt2Assign(t, m, tr)
	if test.IsSolved(circ, a, field) == nil || test.IsSolved(circTables, a, field) == nil || test.IsSolved(circChecked, a, field) == nil {
		t.Fatal("wrong output accepted")
	}
}

// On the demo's model the composed clamp-and-GELU table pays, so c_fc's
// clamps and the GELU are one lookup per output (linear.DenseMapped, as
// circuits/gpt2 did; the demo's 100,357 constraints are pinned in
// TestGPT2AsGraphMatchesLegacy): bit-exact with the reference on the
// extremes and random inputs, and a wrong output is rejected.
func TestGPT2FusedGELUMatchesReference(t *testing.T) {
	m := demoGPT2(t)
	c := m.Config
	circ := gpt2Circuit(t, m)
	rng := rand.New(rand.NewPCG(7, 8))
	inputs := [][][]int64{constRows(c.SeqLen, c.DModel, func() int64 { return 127 }), constRows(c.SeqLen, c.DModel, func() int64 { return -128 })}
	for k := range 4 {
		inputs = append(inputs, randomRows(rng, c.SeqLen, c.DModel, []int64{40, 127}[k%2]))
	}
	gpt2MatchesReference(t, circ, m, inputs, 3, 2, 5)
}

// gpt2MatchesReference checks that circ, m's legacy gpt2 circuit, accepts
// the reference trace of every input, and rejects the trace of inputs[k]
// with output Y[i][j]'s low bit flipped.
func gpt2MatchesReference(t *testing.T, circ *graph.Circuit, m *quant.Model, inputs [][][]int64, k, i, j int) {
	t.Helper()
	for k, x := range inputs {
		tr, err := m.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		if err := test.IsSolved(circ, gpt2Assign(t, m, tr), field); err != nil {
			t.Fatalf("input %d: %v", k, err)
		}
	}
	tr, err := m.Forward(inputs[k])
	if err != nil {
		t.Fatal(err)
	}
	tr.Y[i][j] ^= 1
	if test.IsSolved(circ, gpt2Assign(t, m, tr), field) == nil {
		t.Fatal("wrong output accepted")
	}
}

// Every hint of a gpt2 block, tampered inside the real Groth16 prover,
// makes proving fail.
func TestGPT2ProverRejectsTamperedHints(t *testing.T) {
	cfg := tinyGPT2Config()
	cfg.NLayer = 1
	m := legacyGPT2(t, cfg, 3)
	t.Run("selectors", func(t *testing.T) { gpt2RejectsTamperedHints(t, m, gpt2Circuit(t, m), false) })
	t.Run("tables", func(t *testing.T) {
		if testing.Short() {
			t.Skip("second Groth16 setup")
		}
		gpt2RejectsTamperedHints(t, m, gpt2Circuit(t, m, fixedpoint.WithPlan(gpt2TablePlan(t, m))), false)
	})
	t.Run("checked products", func(t *testing.T) {
		if testing.Short() {
			t.Skip("third Groth16 setup")
		}
		gpt2RejectsTamperedHints(t, m, gpt2Circuit(t, m).WithProducts(matmul.Checked), true)
	})
}

// checked says the attention products are hinted (matmul.Checked), so that
// their hint is tampered too.
func gpt2RejectsTamperedHints(t *testing.T, m *quant.Model, c *graph.Circuit, checked bool) {
	cfg := m.Config
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, c)
	if err != nil {
		t.Fatal(err)
	}
	pk, _, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := m.Forward(randomRows(rand.New(rand.NewPCG(9, 9)), cfg.SeqLen, cfg.DModel, 60))
	if err != nil {
		t.Fatal(err)
	}
	w, err := frontend.NewWitness(gpt2Assign(t, m, tr), field)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := groth16.Prove(ccs, pk, w); err != nil {
		t.Fatalf("honest proof failed: %v", err)
	}
	for name, h := range map[string]solver.Hint{
		"requantize quotient": fixedpoint.DivPow2Hint,
		"clamp selector":      fixedpoint.ClampSelectHint,
		"range-check limb":    fixedpoint.LimbsHint,
		"range-check count":   fixedpoint.RangeCountHint,
		"softmax division":    fixedpoint.DivFloorHint,
		"exp lookup (packed)": fixedpoint.PackedLookupHint,
		"exp lookup count":    fixedpoint.PackedCountHint,
		"softmax max":         attention.MaxHint,
		"layernorm rsqrt":     norm.RsqrtHint,
		"attention product":   matmul.ProductHint,
	} {
		if name == "attention product" && !checked {
			continue // no product is hinted
		}
		fake := func(p *big.Int, in, out []*big.Int) error {
			if err := h(p, in, out); err != nil {
				return err
			}
			out[0].Add(out[0], big.NewInt(1))
			return nil
		}
		if _, err := groth16.Prove(ccs, pk, w, backend.WithSolverOptions(solver.OverrideHint(solver.GetHintID(h), fake))); err == nil {
			t.Errorf("tampered %s: prover succeeded", name)
		}
	}
	// The packed exp lookup's own forgery: per row, the max's exp value
	// moved to the next entry's key and another's to the previous one
	// (E = e[Δ±1] ± 2^−K: both are table keys and S stays an integer), or
	// a row of one logit moved alone; the division hint rounds the forged
	// values away. Only the division's checks can reject it.
	// Forged in the first row of each head alone (one key), the rounded
	// quotient is the honest one, so nothing downstream differs.
	for _, pairs := range []bool{false, true} {
		if _, err := groth16.Prove(ccs, pk, w, backend.WithSolverOptions(
			solver.OverrideHint(solver.GetHintID(fixedpoint.PackedLookupHint), gpt2PackedForgery(pairs)),
			solver.OverrideHint(solver.GetHintID(fixedpoint.DivFloorHint), gpt2RoundingDivision))); err == nil {
			t.Errorf("forged packed exp keys (rows of several keys too: %v): prover succeeded", pairs)
		}
	}
}

// gpt2PackedForgery is PackedLookupHint with each row's exp values moved to
// other table keys: the max (Δ = 0) to entry 1 and a logit with Δ ≥ 1 to
// entry Δ − 1 (E = e[i] + (i − Δ)·2^−K) when pairs, and a row of one logit
// to entry 1.
func gpt2PackedForgery(pairs bool) solver.Hint {
	return func(p *big.Int, in, out []*big.Int) error {
		if err := fixedpoint.PackedLookupHint(p, in, out); err != nil {
			return err
		}
		inv := new(big.Int).ModInverse(new(big.Int).Lsh(big.NewInt(1), fixedpoint.PackedShift), p)
		n := int(in[0].Int64())
		table, idx := in[1:1+n], in[1+n:]
		move := func(j int, d int64) {
			out[j].Mul(big.NewInt(d), inv)
			out[j].Add(out[j], table[idx[j].Int64()+d]).Mod(out[j], p)
		}
		a, b := -1, -1
		for j, x := range idx {
			if x.Sign() == 0 && a < 0 {
				a = j
			} else if x.Sign() > 0 && b < 0 {
				b = j
			}
		}
		switch {
		case len(idx) == 1:
			move(0, 1)
		case pairs && a >= 0 && b >= 0:
			move(a, 1)
			move(b, -1)
		}
		return nil
	}
}

// gpt2RoundingDivision is DivFloorHint on the integer parts N of a
// numerator and denominator moved by small multiples c of 2^−K (v = N +
// c·2^−K): the quotient a forger would pick.
func gpt2RoundingDivision(p *big.Int, in, out []*big.Int) error {
	k := fixedpoint.PackedShift
	one := new(big.Int).Lsh(big.NewInt(1), uint(k))
	integral := func(v *big.Int) *big.Int {
		t := new(big.Int).Lsh(v, uint(k))
		t.Mod(t, p)
		c := new(big.Int).Mod(t, one)
		if c.Bit(k-1) == 1 {
			c.Sub(c, one)
		}
		return t.Sub(t, c).Rsh(t, uint(k))
	}
	num, den := integral(in[0]), integral(in[1])
	if den.Sign() <= 0 {
		den.SetInt64(1)
	}
	out[0].Quo(num, den)
	return nil
}

// The exact (erf) GELU changes only the table's entries: the same circuit
// code proves it, bit for bit with the reference, and a trace computed with
// the tanh table does not satisfy it.
func TestGELUErfMatchesReference(t *testing.T) {
	cfg := tinyGPT2Config()
	cfg.NLayer = 1
	cfg.Activation = quant.ActivationGELUErf
	// At the calibrated formats of a random model the two GELUs round to the
	// same int8 table (they differ by < 5e-4); GELU formats 4 → 10 make 12
	// entries differ, in [-58, -32], where this model's c_fc outputs fall.
	fm := quant.RandomModel(cfg, 5)
	s, err := quant.Calibrate(fm, quant.RandomSamples(cfg, 8, 5))
	if err != nil {
		t.Fatal(err)
	}
	s.GPT2.Formats.GELUInFrac, s.GPT2.Formats.GELUOutFrac = 4, 10
	m, err := quant.Quantize(fm, s)
	if err != nil {
		t.Fatal(err)
	}
	f := m.Scales.GPT2.Formats
	tanh := quant.GELUTableFor(f.GELUInFrac, f.GELUOutFrac)
	if !slices.Equal(m.GELUTable, quant.ActivationTableFor(quant.ActivationGELUErf, f.GELUInFrac, f.GELUOutFrac)) || slices.Equal(m.GELUTable, tanh) {
		t.Fatal("the gelu_erf model does not hold the erf table")
	}
	circ := gpt2Circuit(t, m)
	rng := rand.New(rand.NewPCG(5, 6))
	var differs *quant.Trace
	for k := range 60 {
		tr, err := m.Forward(randomRows(rng, cfg.SeqLen, cfg.DModel, []int64{8, 40, 127}[k%3]))
		if err != nil {
			t.Fatal(err)
		}
		if err = test.IsSolved(circ, gpt2Assign(t, m, tr), field); err != nil {
			t.Fatalf("input %d: %v", k, err)
		}
		if differs == nil {
			tm := *m
			tm.GELUTable = tanh
			tt, err := tm.Forward(tr.X)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(tt.Y, tr.Y, slices.Equal) {
				differs = tt
			}
		}
	}
	if differs == nil {
		t.Fatal("no input where the tanh and erf tables give different outputs")
	}
	if test.IsSolved(circ, gpt2Assign(t, m, differs), field) == nil {
		t.Fatal("a trace of the tanh table satisfies the erf circuit")
	}
}
