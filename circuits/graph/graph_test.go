package graph_test

import (
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

var (
	field    = graphtest.Field
	publicIO = graphtest.PublicIO
)

func exampleModel(t testing.TB, seed uint64) *quant.Model {
	t.Helper()
	fm, err := ops.ExampleGraph(seed)
	if err != nil {
		t.Fatal(err)
	}
	return graphtest.Calibrated(t, rand.New(rand.NewPCG(seed, 1)), fm)
}

func randomInput(rng *rand.Rand, rows, width int, v ...int64) [][]int64 {
	x := make([][]int64, rows)
	for r := range x {
		x[r] = make([]int64, width)
		for i := range x[r] {
			if len(v) > 0 {
				x[r][i] = v[0]
			} else {
				x[r][i] = rng.Int64N(256) - 128
			}
		}
	}
	return x
}

func newCircuit(t testing.TB, m *quant.Model, opts ...fixedpoint.Option) *graph.Circuit {
	t.Helper()
	return graphtest.Circuit(t, m, publicIO, opts...)
}

func assignment(t testing.TB, m *quant.Model, tr *quant.Trace) *graph.Circuit {
	t.Helper()
	return graphtest.Assign(t, m, tr)
}

// The circuit accepts exactly the integer reference's output, bit for bit,
// on random and extreme inputs, with both range-check strategies.
func TestGadgetsMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, seed := range []uint64{1, 2} {
		m := exampleModel(t, seed)
		circ, circBits := newCircuit(t, m), newCircuit(t, m, fixedpoint.WithBitDecomposition())
		inputs := [][][]int64{randomInput(rng, 2, 8, -128), randomInput(rng, 2, 8, 127), randomInput(rng, 2, 8, 0)}
		for range 12 {
			inputs = append(inputs, randomInput(rng, 2, 8))
		}
		for k, x := range inputs {
			tr, err := m.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			if err := test.IsSolved(circ, assignment(t, m, tr), field); err != nil {
				t.Fatalf("seed %d input %d: %v", seed, k, err)
			}
			if k < 4 {
				if err := test.IsSolved(circBits, assignment(t, m, tr), field); err != nil {
					t.Fatalf("seed %d input %d, bit decomposition: %v", seed, k, err)
				}
			}
			j := k % len(tr.Y[0])
			y := tr.Y[0][j]
			tr.Y[0][j] = y + 1
			if y == quant.Int8Max {
				tr.Y[0][j] = y - 1
			}
			if test.IsSolved(circ, assignment(t, m, tr), field) == nil {
				t.Fatalf("seed %d input %d: a wrong output was accepted", seed, k)
			}
		}
	}
}

// A prover whose hints lie must fail, in the real Groth16 prover; the
// honest proof verifies. The same graph proves under PLONK.
func TestProveAndTamper(t *testing.T) {
	m := exampleModel(t, 3)
	x := randomInput(rand.New(rand.NewPCG(5, 5)), 2, 8)
	graphtest.ProveTampered(t, m, x, map[string]graphtest.Tamper{
		"quotient": {H: fixedpoint.DivPow2Hint, F: graphtest.Add(0, 1)},
		"low":      {H: fixedpoint.ClampSelectHint, F: graphtest.Add(0, 1)},
		"high":     {H: fixedpoint.ClampSelectHint, F: graphtest.Add(1, 1)},
	})

	n := graphtest.ProvePLONK(t, m, x)
	t.Logf("example graph: %d PLONK constraints (estimate %d)", n, m.Graph.Cost().SCS)
}

// Under hashed and public weights the parameters are witnesses bound to the
// public commitment: the honest witness solves, a changed weight does not
// (the commitment no longer matches), and neither does a changed output.
func TestWitnessWeights(t *testing.T) {
	m := exampleModel(t, 4)
	tr, err := m.Forward(randomInput(rand.New(rand.NewPCG(6, 6)), 2, 8))
	if err != nil {
		t.Fatal(err)
	}
	for _, wv := range []string{quant.VisibilityHashed, quant.VisibilityPublic} {
		v := quant.Visibility{Input: quant.VisibilityHashed, Output: quant.VisibilityHashed, Weights: wv}
		circ, err := graph.New(m, v)
		if err != nil {
			t.Fatal(err)
		}
		a := graphtest.AssignAt(t, m, tr, v)
		if err := test.IsSolved(circ, a, field); err != nil {
			t.Fatalf("%s weights: %v", wv, err)
		}
		a.W[0][5] = 3 - a.W[0][5].(int64)
		if test.IsSolved(circ, a, field) == nil {
			t.Fatalf("%s weights: a changed weight was accepted under the same commitment", wv)
		}
	}
}
