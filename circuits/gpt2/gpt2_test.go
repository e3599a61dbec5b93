package gpt2_test

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/attention"
	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gpt2"
	"github.com/zkinfer/zkinfer/circuits/matmul"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/circuits/norm"
	"github.com/zkinfer/zkinfer/quant"
)

var field = ecc.BN254.ScalarField()

func tinyConfig() quant.Config {
	return quant.Config{Architecture: quant.ArchitectureGPT2, DModel: 8, DHidden: 16, SeqLen: 4, NHead: 2, NLayer: 2, Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5, FinalLayerNorm: true}
}

func model(t testing.TB, cfg quant.Config, seed uint64) *quant.Model {
	t.Helper()
	fm := quant.RandomModel(cfg, seed)
	s, err := quant.Calibrate(fm, quant.RandomSamples(cfg, 8, seed))
	if err != nil {
		t.Fatal(err)
	}
	m, err := quant.Quantize(fm, s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func randomInput(rng *rand.Rand, seq, d int, span int64) [][]int64 {
	x := make([][]int64, seq)
	for i := range x {
		x[i] = make([]int64, d)
		for j := range x[i] {
			x[i][j] = max(rng.Int64N(2*span+1)-span, quant.Int8Min)
		}
	}
	return x
}

func fill(seq, d int, v int64) [][]int64 {
	x := make([][]int64, seq)
	for i := range x {
		x[i] = make([]int64, d)
		for j := range x[i] {
			x[i][j] = v
		}
	}
	return x
}

func TestBlockMatchesReference(t *testing.T) {
	cfg := tinyConfig()
	m := model(t, cfg, 1)
	circ := newCircuit(t, m)
	rng := rand.New(rand.NewPCG(3, 4))
	inputs := [][][]int64{fill(4, 8, 0), fill(4, 8, 127), fill(4, 8, -128)}
	for range 100 {
		// Small and full-range inputs: the latter saturate and produce large logits.
		span := []int64{8, 40, 127}[rng.IntN(3)]
		inputs = append(inputs, randomInput(rng, cfg.SeqLen, cfg.DModel, span))
	}
	for k, x := range inputs {
		tr, err := m.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		a, err := gpt2.Assignment(m, tr, quant.DefaultVisibility, modelio.Salts{})
		if err != nil {
			t.Fatal(err)
		}
		if err := test.IsSolved(circ, a, field); err != nil {
			t.Fatalf("input %d: %v", k, err)
		}
	}
	// The same with clamp tables (too small a model for its own plan to
	// build them): the extremes and 20 random inputs, the test engine being
	// slow on tables.
	circTables := newCircuit(t, m, fixedpoint.WithPlan(tablePlan(t, gpt2.Sites(m))))
	for k, x := range inputs[:23] {
		tr, err := m.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		a, err := gpt2.Assignment(m, tr, quant.DefaultVisibility, modelio.Salts{})
		if err != nil {
			t.Fatal(err)
		}
		if err := test.IsSolved(circTables, a, field); err != nil {
			t.Fatalf("input %d, clamp tables: %v", k, err)
		}
	}
	// The same with the attention products forced through the randomized
	// check (Auto takes the direct products at this size).
	circChecked := newCircuit(t, m).WithProducts(matmul.Checked)
	for k, x := range inputs[:23] {
		tr, err := m.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		a, err := gpt2.Assignment(m, tr, quant.DefaultVisibility, modelio.Salts{})
		if err != nil {
			t.Fatal(err)
		}
		if err := test.IsSolved(circChecked, a, field); err != nil {
			t.Fatalf("input %d, checked products: %v", k, err)
		}
	}
	// A wrong output is rejected.
	tr, _ := m.Forward(inputs[5])
	tr.Y[1][2] ^= 1
	a, _ := gpt2.Assignment(m, tr, quant.DefaultVisibility, modelio.Salts{})
	if test.IsSolved(circ, a, field) == nil || test.IsSolved(circTables, a, field) == nil || test.IsSolved(circChecked, a, field) == nil {
		t.Fatal("wrong output accepted")
	}
}

// tablePlan plans as if every site were a million times as frequent, so that
// the int8 requantizations and residual sums get a clamp table; the logits
// (a wider bound) keep the selector path, so both paths run side by side.
func tablePlan(t testing.TB, sites []fixedpoint.Site) *fixedpoint.Plan {
	t.Helper()
	for i := range sites {
		if sites[i].Bits <= 12 {
			sites[i].Count <<= 20
		}
	}
	p := fixedpoint.NewPlan(sites)
	if p.TableBits(quant.Int8Min, quant.Int8Max) == 0 {
		t.Fatalf("plan %s has no int8 table", p)
	}
	return p
}

func TestConstraintCount(t *testing.T) {
	cfg := tinyConfig()
	cs, err := frontend.Compile(field, r1cs.NewBuilder, newCircuit(t, model(t, cfg, 2)))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("gpt2 %d layers d=%d seq=%d: %d constraints", cfg.NLayer, cfg.DModel, cfg.SeqLen, cs.GetNbConstraints())
}

// Every hint of the block, tampered inside the real Groth16 prover, makes
// proving fail.
func TestProverRejectsTamperedHints(t *testing.T) {
	cfg := tinyConfig()
	cfg.NLayer = 1
	m := model(t, cfg, 3)
	t.Run("selectors", func(t *testing.T) { proverRejectsTamperedHints(t, m, newCircuit(t, m), false) })
	t.Run("tables", func(t *testing.T) {
		if testing.Short() {
			t.Skip("second Groth16 setup")
		}
		proverRejectsTamperedHints(t, m, newCircuit(t, m, fixedpoint.WithPlan(tablePlan(t, gpt2.Sites(m)))), false)
	})
	t.Run("checked products", func(t *testing.T) {
		if testing.Short() {
			t.Skip("third Groth16 setup")
		}
		proverRejectsTamperedHints(t, m, newCircuit(t, m).WithProducts(matmul.Checked), true)
	})
}

// checked says the attention products are hinted (matmul.Checked), so that
// their hint is tampered too.
func proverRejectsTamperedHints(t *testing.T, m *quant.Model, c *gpt2.Circuit, checked bool) {
	cfg := m.Config
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, c)
	if err != nil {
		t.Fatal(err)
	}
	pk, _, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := m.Forward(randomInput(rand.New(rand.NewPCG(9, 9)), cfg.SeqLen, cfg.DModel, 60))
	if err != nil {
		t.Fatal(err)
	}
	a, err := gpt2.Assignment(m, tr, quant.DefaultVisibility, modelio.Salts{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := frontend.NewWitness(a, field)
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
		fake := func(p *big.Int, in, out []*big.Int) error {
			if err := h(p, in, out); err != nil {
				return err
			}
			out[0].Add(out[0], big.NewInt(1))
			return nil
		}
		if name == "attention product" && !checked {
			continue // no product is hinted
		}
		if _, err := groth16.Prove(ccs, pk, w, backend.WithSolverOptions(solver.OverrideHint(solver.GetHintID(h), fake))); err == nil {
			t.Errorf("tampered %s: prover succeeded", name)
		}
	}
}

func newCircuit(t testing.TB, m *quant.Model, opts ...fixedpoint.Option) *gpt2.Circuit {
	t.Helper()
	c, err := gpt2.New(m, quant.DefaultVisibility, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
