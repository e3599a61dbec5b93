package graph_test

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

func ffnSmall(t *testing.T, cfg quant.Config, s quant.Scales, seed uint64) *quant.Model {
	t.Helper()
	m, err := quant.Quantize(quant.RandomModel(cfg, seed), s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func ffnRandom(rng *rand.Rand, seq, d int) [][]int64 {
	x := make([][]int64, seq)
	for i := range x {
		x[i] = make([]int64, d)
		for j := range x[i] {
			x[i][j] = rng.Int64N(256) - 128
		}
	}
	return x
}

func ffnConst(seq, d int, v int64) [][]int64 {
	x := make([][]int64, seq)
	for i := range x {
		x[i] = make([]int64, d)
		for j := range x[i] {
			x[i][j] = v
		}
	}
	return x
}

// The ffn circuit (the legacy ffn walked as a graph) has the tests of the
// former circuits/ffn. Its public output must equal the integer reference bit for bit,
// on random inputs and on extremes that saturate.
func TestFFNCircuitMatchesReference(t *testing.T) {
	cfg := quant.Config{Architecture: quant.ArchitectureFFN, DModel: 8, DHidden: 16, SeqLen: 2, Activation: quant.ActivationReLU}
	rng := rand.New(rand.NewPCG(7, 7))
	models := map[string]*quant.Model{
		// Fine scales: large int8 inputs overflow every layer.
		"saturating": ffnSmall(t, cfg, quant.Scales{StreamFrac: 5, HiddenFrac: 5}, 1),
		"calibrated": ffnSmall(t, cfg, quant.Scales{StreamFrac: 4, HiddenFrac: 3}, 2),
	}
	for name, m := range models {
		// Both range-check strategies must accept and reject the same traces.
		circ, circBits := ffnCircuit(t, m), ffnCircuit(t, m, fixedpoint.WithBitDecomposition())
		// The model is too small for its plan to build tables: force them.
		circTables := ffnCircuit(t, m, fixedpoint.WithPlan(ffnTablePlan(t, ffnSites(t, m))))
		inputs := [][][]int64{ffnConst(2, 8, -128), ffnConst(2, 8, 127), ffnConst(2, 8, 0)}
		for range 100 {
			inputs = append(inputs, ffnRandom(rng, 2, 8))
		}
		var saturated int
		for k, x := range inputs {
			tr, err := m.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			saturated += ffnSaturated(tr)
			if err := test.IsSolved(circ, ffnAssignment(t, m, tr), field); err != nil {
				t.Fatalf("%s input %d: %v", name, k, err)
			}
			if err := test.IsSolved(circBits, ffnAssignment(t, m, tr), field); err != nil {
				t.Fatalf("%s input %d, bit decomposition: %v", name, k, err)
			}
			// The test engine is slow on tables: the extremes and 20 random inputs.
			tables := k < 23
			if tables {
				if err := test.IsSolved(circTables, ffnAssignment(t, m, tr), field); err != nil {
					t.Fatalf("%s input %d, clamp tables: %v", name, k, err)
				}
			}
			// Any other output is rejected: change one value of y.
			y := tr.Y[k%2][k%8]
			tr.Y[k%2][k%8] = y + 1
			if y == quant.Int8Max {
				tr.Y[k%2][k%8] = y - 1
			}
			if test.IsSolved(circ, ffnAssignment(t, m, tr), field) == nil || test.IsSolved(circBits, ffnAssignment(t, m, tr), field) == nil ||
				(tables && test.IsSolved(circTables, ffnAssignment(t, m, tr), field) == nil) {
				t.Fatalf("%s input %d: a wrong output was accepted", name, k)
			}
		}
		if name == "saturating" && saturated == 0 {
			t.Fatal("the saturating model never saturated")
		}
		t.Logf("%s: %d saturated values over %d inputs", name, saturated, len(inputs))
	}
}

// ffnTablePlan plans as if every site were a million times as frequent, so that
// every range gets a clamp table, and checks that it did.
func ffnTablePlan(t testing.TB, sites []fixedpoint.Site) *fixedpoint.Plan {
	t.Helper()
	for i := range sites {
		sites[i].Count <<= 20
	}
	p := fixedpoint.NewPlan(sites)
	for _, s := range sites {
		if p.TableBits(s.Lo, s.Hi) == 0 {
			t.Fatalf("plan %s has no table for [%d, %d]", p, s.Lo, s.Hi)
		}
	}
	return p
}

func ffnSaturated(tr *quant.Trace) int {
	n := 0
	for _, rows := range [][][]int64{tr.Hidden, tr.Proj, tr.Y} {
		for _, row := range rows {
			for _, v := range row {
				if v == quant.Int8Max || v == quant.Int8Min {
					n++
				}
			}
		}
	}
	return n
}

// ffnPublicIO exposes the packed values, so that tests can tamper with them.
var ffnPublicIO = quant.Visibility{Input: quant.VisibilityPublic, Output: quant.VisibilityPublic, Weights: quant.VisibilityFixed}

func ffnCircuit(t testing.TB, m *quant.Model, opts ...fixedpoint.Option) *graph.Circuit {
	t.Helper()
	c, err := graph.New(m, ffnPublicIO, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ffnAssignment(t *testing.T, m *quant.Model, tr *quant.Trace) *graph.Circuit {
	t.Helper()
	a := graphtest.AssignAt(t, m, tr, ffnPublicIO)
	return a
}

// The packed public input has exactly one int8 unpacking: a private x out of
// int8 that packs to the same field element is rejected.
func TestFFNCircuitRejectsOutOfRangeInput(t *testing.T) {
	cfg := quant.Config{Architecture: quant.ArchitectureFFN, DModel: 4, DHidden: 8, SeqLen: 1, Activation: quant.ActivationReLU}
	m := ffnSmall(t, cfg, quant.Scales{StreamFrac: 4, HiddenFrac: 4}, 3)
	tr, err := m.Forward(ffnConst(1, 4, 1))
	if err != nil {
		t.Fatal(err)
	}
	a := ffnAssignment(t, m, tr)
	a.IO.X[0][0] = 1 + 256 // same packed value: x0 carries into the next byte ...
	a.IO.X[0][1] = 1 - 1   // ... which x1 gives back
	if test.IsSolved(ffnCircuit(t, m), a, field) == nil || test.IsSolved(ffnCircuit(t, m, fixedpoint.WithBitDecomposition()), a, field) == nil {
		t.Fatal("an out-of-range unpacking of the input was accepted")
	}
}

// A prover whose hints lie must fail: every hint of the block, tampered in
// the real Groth16 prover.
func TestFFNProverRejectsTamperedHints(t *testing.T) {
	cfg := quant.Config{Architecture: quant.ArchitectureFFN, DModel: 4, DHidden: 8, SeqLen: 1, Activation: quant.ActivationReLU}
	m := ffnSmall(t, cfg, quant.Scales{StreamFrac: 4, HiddenFrac: 4}, 4)
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, ffnCircuit(t, m))
	if err != nil {
		t.Fatal(err)
	}
	pk, _, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := m.Forward(ffnRandom(rand.New(rand.NewPCG(1, 1)), 1, 4))
	if err != nil {
		t.Fatal(err)
	}
	w, err := frontend.NewWitness(ffnAssignment(t, m, tr), field)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := groth16.Prove(ccs, pk, w); err != nil {
		t.Fatalf("honest proof failed: %v", err)
	}
	for name, fake := range map[string]struct {
		id solver.HintID
		h  solver.Hint
	}{
		"quotient": {solver.GetHintID(fixedpoint.DivPow2Hint), ffnOffset(fixedpoint.DivPow2Hint, 0)},
		"low":      {solver.GetHintID(fixedpoint.ClampSelectHint), ffnOffset(fixedpoint.ClampSelectHint, 0)},
		"high":     {solver.GetHintID(fixedpoint.ClampSelectHint), ffnOffset(fixedpoint.ClampSelectHint, 1)},
	} {
		_, err := groth16.Prove(ccs, pk, w, backend.WithSolverOptions(solver.OverrideHint(fake.id, fake.h)))
		if err == nil {
			t.Errorf("tampered %s hint: prover succeeded", name)
		}
	}
}

func ffnOffset(h solver.Hint, k int) solver.Hint {
	return func(f *big.Int, in, out []*big.Int) error {
		if err := h(f, in, out); err != nil {
			return err
		}
		out[k].Add(out[k], big.NewInt(1))
		return nil
	}
}

// ffnSites are the clamp sites of an ffn model's circuit (its graph form's).
func ffnSites(t testing.TB, m *quant.Model) []fixedpoint.Site {
	t.Helper()
	g, err := ops.FromLegacyFFN(m)
	if err != nil {
		t.Fatal(err)
	}
	sites, err := graph.Sites(g, false)
	if err != nil {
		t.Fatal(err)
	}
	return sites
}
