package gpt2_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/gpt2"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/quant"
)

// The exact (erf) GELU changes only the table's entries: the same circuit
// code proves it, bit for bit with the reference, and a trace computed with
// the tanh table does not satisfy it.
func TestGELUErfMatchesReference(t *testing.T) {
	cfg := tinyConfig()
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
	circ := newCircuit(t, m)
	rng := rand.New(rand.NewPCG(5, 6))
	var differs *quant.Trace
	for k := range 60 {
		x := randomInput(rng, cfg.SeqLen, cfg.DModel, []int64{8, 40, 127}[k%3])
		tr, err := m.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		a, err := gpt2.Assignment(m, tr, quant.DefaultVisibility, modelio.Salts{})
		if err != nil {
			t.Fatal(err)
		}
		if err = test.IsSolved(circ, a, field); err != nil {
			t.Fatalf("input %d: %v", k, err)
		}
		if differs == nil {
			tm := *m
			tm.GELUTable = tanh
			tt, err := tm.Forward(x)
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
	a, err := gpt2.Assignment(m, differs, quant.DefaultVisibility, modelio.Salts{})
	if err != nil {
		t.Fatal(err)
	}
	if test.IsSolved(circ, a, field) == nil {
		t.Fatal("a trace of the tanh table satisfies the erf circuit")
	}
}
