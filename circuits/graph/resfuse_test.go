package graph_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// fusedTrace is m's trace on x with the output of the fused graph.
func fusedTrace(t *testing.T, m *quant.Model, fg *quant.Graph, x [][]int64) (tr *quant.Trace, changed bool) {
	t.Helper()
	tr, err := m.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := fg.Forward(slices.Concat(x...))
	if err != nil {
		t.Fatal(err)
	}
	y := vals[fg.Outputs[0]]
	w := len(tr.Y[0])
	for r := range tr.Y {
		row := y[r*w : (r+1)*w]
		changed = changed || !slices.Equal(row, tr.Y[r])
		tr.Y[r] = slices.Clone(row)
	}
	return tr, changed
}

// The legacy ffn and gpt2 circuits with their c_proj + residual pairs fused
// (WithResidualFusion) accept exactly the fused graph's outputs, under fixed
// and hashed weights (gpt2: the batched witness products,
// linear.DenseWitnessRowsAdd; ffn: linear.DenseWitnessAdd), reject the
// unfused outputs where they differ (ffn's c_proj at these scales often
// leaves int8), and save constraints; a layer graph
// refuses the option.
func TestResidualFusionLegacy(t *testing.T) {
	ffnCfg := quant.Config{Architecture: quant.ArchitectureFFN, DModel: 8, DHidden: 16, SeqLen: 2, Activation: quant.ActivationReLU}
	models := map[string]*quant.Model{
		"gpt2": legacyGPT2(t, gpt2Config(8, 16, 4, 2, 2, true), 1),
		"ffn":  ffnSmall(t, ffnCfg, quant.Scales{StreamFrac: 4, HiddenFrac: 3}, 2),
	}
	hashed := quant.Visibility{Input: quant.VisibilityPublic, Output: quant.VisibilityPublic, Weights: quant.VisibilityHashed}
	rng := rand.New(rand.NewPCG(8, 8))
	for name, m := range models {
		fg, err := graph.FusedGraph(m)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, nd := range fg.Nodes {
			if nd.Op.Kind() == "linear_residual" {
				n++
			}
		}
		if want := max(2*m.Config.NLayer, 1); n != want {
			t.Fatalf("%s: %d fused nodes, want %d", name, n, want)
		}
		inputs := legacyInputs(m.Config, rng, 4)
		differs := 0
		for _, v := range []quant.Visibility{graphtest.PublicIO, hashed} {
			plain, err := graph.New(m, v)
			if err != nil {
				t.Fatal(err)
			}
			c, err := graph.New(m, v)
			if err != nil {
				t.Fatal(err)
			}
			if c, err = c.WithResidualFusion(); err != nil {
				t.Fatal(err)
			}
			for k, x := range inputs {
				tr, changed := fusedTrace(t, m, fg, x)
				a := graphtest.AssignAt(t, m, tr, v)
				if err := test.IsSolved(c, a, field); err != nil {
					t.Fatalf("%s %s input %d: %v", name, v.Weights, k, err)
				}
				legacy, err := m.Forward(x)
				if err != nil {
					t.Fatal(err)
				}
				if changed {
					differs++
					a, err := graph.Assignment(m, legacy, v, modelio.Salts{})
					if err != nil {
						t.Fatal(err)
					}
					if test.IsSolved(c, a, field) == nil {
						t.Fatalf("%s %s input %d: the unfused output was accepted", name, v.Weights, k)
					}
				}
			}
			if v.Weights == quant.VisibilityFixed {
				before, after := compiledCounts(t, plain, false)[0], compiledCounts(t, c, false)[0]
				t.Logf("%s: %d → %d R1CS constraints", name, before, after)
				if after >= before {
					t.Errorf("%s: fusion does not save constraints: %d → %d", name, before, after)
				}
			}
		}
		if differs == 0 && name == "ffn" { // gpt2's calibrated c_proj hardly leaves int8
			t.Errorf("%s: no input where the fused output differs: the test does not reach saturation", name)
		}
	}
	nat := graphtest.Chain(t, rng, []int{2, 4}, graphtest.Node{Name: "y", Op: &ops.ReLU{}, In: []string{"x"}})
	c, err := graph.New(nat, graphtest.PublicIO)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WithResidualFusion(); err == nil {
		t.Fatal("a layer graph took WithResidualFusion")
	}
}
