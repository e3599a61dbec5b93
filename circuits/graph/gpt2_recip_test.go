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

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// A legacy gpt2 model's circuit with recip attention (WithRecipAttention,
// the benchmark's d64-h4-seq64-recip): the circuit accepts exactly the
// recip graph's output (LegacyRecipTrace) on random and extreme inputs,
// rejects the legacy forward pass's output where the two differ, and the
// real Groth16 prover fails
// on a wrong reciprocal or a wrong probability. Without the option the
// attention nodes keep the division (the legacy pins do not move).
func TestGPT2RecipAttention(t *testing.T) {
	cfg := tinyGPT2Config()
	cfg.NLayer = 1
	m := legacyGPT2(t, cfg, 4) // seed 4: no requantization shift is a recip shift (19–21)
	g, err := ops.FromLegacyGPT2(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range g.Nodes {
		if a, ok := n.Op.(*ops.QAttention); ok && a.Recip {
			t.Fatal("FromLegacyGPT2 without options gave recip attention")
		}
	}
	recip := func() *graph.Circuit {
		c, err := gpt2Circuit(t, m).WithRecipAttention()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	differs := false
	for k, x := range legacyInputs(cfg, rand.New(rand.NewPCG(85, 1)), 4) {
		tr, err := graph.LegacyRecipTrace(m, x)
		if err != nil {
			t.Fatal(err)
		}
		if err := test.IsSolved(recip(), gpt2Assign(t, m, tr), field); err != nil {
			t.Fatalf("input %d: %v", k, err)
		}
		old, err := m.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(slices.Concat(old.Y...), slices.Concat(tr.Y...)) {
			differs = true
			if test.IsSolved(recip(), gpt2Assign(t, m, old), field) == nil {
				t.Fatalf("input %d: the division's output accepted by the recip circuit", k)
			}
		}
	}
	t.Logf("recip output differs from the division's on some input: %v", differs)
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, recip())
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := frontend.Compile(field, r1cs.NewBuilder, gpt2Circuit(t, m))
	if err != nil {
		t.Fatal(err)
	}
	// (At 4 tokens the rows are too short to gain: the row's division and
	// the 19–21-bit remainders cost about what the division per key does.
	// The 64-token block is benchmarks' d64-h4-seq64-recip.)
	t.Logf("R1CS constraints: division %d, recip %d", legacy.GetNbConstraints(), ccs.GetNbConstraints())
	pk, _, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := graph.LegacyRecipTrace(m, randomRows(rand.New(rand.NewPCG(9, 9)), cfg.SeqLen, cfg.DModel, 60))
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
	// The recip quotients are the DivPow2Hint calls whose shift is a row's
	// t (rows of 1..SeqLen keys); a requantization with the same shift
	// would be tampered too, so the shifts must not meet.
	recipShifts := map[uint64]bool{}
	for n := 1; n <= cfg.SeqLen; n++ {
		recipShifts[uint64(quant.RecipShift(n))] = true
	}
	for _, n := range g.Nodes {
		var shifts []uint
		switch q := n.Op.(type) {
		case *ops.QLinear:
			shifts = []uint{q.Dense.Shift}
		case *ops.QAttention:
			shifts = []uint{q.Logit.Shift, q.Out.Shift}
		case *ops.QLayerNorm:
			shifts = []uint{q.LayerNorm.Shift}
		}
		for _, s := range shifts {
			if recipShifts[uint64(s)] {
				t.Fatalf("node %s requantizes by %d bits, a recip shift", n.Name, s)
			}
		}
	}
	onlyRecip := func(d int64) solver.Hint {
		return func(p *big.Int, in, out []*big.Int) error {
			if err := fixedpoint.DivPow2Hint(p, in, out); err != nil {
				return err
			}
			if recipShifts[in[1].Uint64()] {
				out[0].Add(out[0], big.NewInt(d))
				if len(out) == 2 {
					out[1].Sub(out[1], new(big.Int).Lsh(big.NewInt(d), uint(in[1].Uint64()))).Mod(out[1], p)
				}
			}
			return nil
		}
	}
	moveR := func(d int64) solver.Hint {
		return func(p *big.Int, in, out []*big.Int) error {
			if err := fixedpoint.DivFloorHint(p, in, out); err != nil {
				return err
			}
			out[0].Add(out[0], big.NewInt(d))
			return nil
		}
	}
	for name, o := range map[string]solver.Option{
		"R+1":   solver.OverrideHint(solver.GetHintID(fixedpoint.DivFloorHint), moveR(1)),
		"R-1":   solver.OverrideHint(solver.GetHintID(fixedpoint.DivFloorHint), moveR(-1)),
		"out+1": solver.OverrideHint(solver.GetHintID(fixedpoint.DivPow2Hint), onlyRecip(1)),
		"out-1": solver.OverrideHint(solver.GetHintID(fixedpoint.DivPow2Hint), onlyRecip(-1)),
	} {
		if _, err := groth16.Prove(ccs, pk, w, backend.WithSolverOptions(o)); err == nil {
			t.Errorf("tampered %s: prover succeeded", name)
		}
	}
	// The tamper hook itself is honest when it moves nothing.
	if _, err := groth16.Prove(ccs, pk, w, backend.WithSolverOptions(solver.OverrideHint(solver.GetHintID(fixedpoint.DivPow2Hint), onlyRecip(0)))); err != nil {
		t.Errorf("untampered hook: %v", err)
	}
}
