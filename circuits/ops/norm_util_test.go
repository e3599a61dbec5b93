package ops_test

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

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/quant"
)

var nmField = ecc.BN254.ScalarField()

var nmIO = quant.Visibility{Input: quant.VisibilityPublic, Output: quant.VisibilityPublic, Weights: quant.VisibilityFixed}

func nmTensor(rng *rand.Rand, scale float64, shape ...int) *quant.FloatTensor {
	t := &quant.FloatTensor{Shape: shape, Data: make([]float64, quant.ShapeSize(shape))}
	for i := range t.Data {
		t.Data[i] = (rng.Float64()*2 - 1) * scale
	}
	return t
}

type nmNode struct {
	name string
	op   quant.FloatOp
	in   []string
}

// nmModel builds x (shape) → nodes → the last node, calibrates it on
// uniform samples in [−1, 1] and quantizes it.
func nmModel(t testing.TB, rng *rand.Rand, shape []int, nodes ...nmNode) *quant.Model {
	t.Helper()
	b := quant.NewGraphBuilder()
	if err := b.Input("x", shape); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if err := b.Node(n.name, n.op, n.in, []string{n.name}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Output(nodes[len(nodes)-1].name); err != nil {
		t.Fatal(err)
	}
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	fm, err := quant.NewGraphModel(g)
	if err != nil {
		t.Fatal(err)
	}
	var cal [][]float64
	for range 16 {
		cal = append(cal, nmTensor(rng, 1, g.InputSize()).Data)
	}
	s, err := quant.Calibrate(fm, cal)
	if err != nil {
		t.Fatal(err)
	}
	m, err := quant.Quantize(fm, s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// nmInputs returns extreme and random int8 inputs shaped as m's input rows.
func nmInputs(rng *rand.Rand, m *quant.Model, random int) [][][]int64 {
	rows, width := quant.Rows(m.Graph.Input().Shape)
	mk := func(f func(i int) int64) [][]int64 {
		x := make([][]int64, rows)
		for r := range x {
			x[r] = make([]int64, width)
			for i := range x[r] {
				x[r][i] = f(r*width + i)
			}
		}
		return x
	}
	out := [][][]int64{
		mk(func(int) int64 { return -128 }), mk(func(int) int64 { return 127 }), mk(func(int) int64 { return 0 }),
		mk(func(i int) int64 { return []int64{-128, 127}[i%2] }),
	}
	for range random {
		out = append(out, mk(func(int) int64 { return rng.Int64N(256) - 128 }))
	}
	return out
}

func nmAssign(t testing.TB, m *quant.Model, tr *quant.Trace) *graph.Circuit {
	t.Helper()
	a, err := graph.Assignment(m, tr, nmIO, modelio.Salts{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// nmMatches checks the circuit of m accepts exactly the integer reference's
// output (test.IsSolved), with both range-check strategies on the first
// inputs, and rejects every output moved by one.
func nmMatches(t *testing.T, m *quant.Model, inputs [][][]int64) {
	t.Helper()
	circ, err := graph.New(m, nmIO)
	if err != nil {
		t.Fatal(err)
	}
	circBits, err := graph.New(m, nmIO, fixedpoint.WithBitDecomposition())
	if err != nil {
		t.Fatal(err)
	}
	for k, x := range inputs {
		tr, err := m.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		if err := test.IsSolved(circ, nmAssign(t, m, tr), nmField); err != nil {
			t.Fatalf("input %d %v: %v", k, x, err)
		}
		if k < 2 {
			if err := test.IsSolved(circBits, nmAssign(t, m, tr), nmField); err != nil {
				t.Fatalf("input %d, bit decomposition: %v", k, err)
			}
		}
		j := k % len(tr.Y[0])
		r := k % len(tr.Y)
		y := tr.Y[r][j]
		out := m.Graph.Output()
		tr.Y[r][j] = y + 1
		if y == out.Hi {
			tr.Y[r][j] = y - 1
		}
		if test.IsSolved(circ, nmAssign(t, m, tr), nmField) == nil {
			t.Fatalf("input %d: a wrong output (%d for %d) was accepted", k, tr.Y[r][j], y)
		}
	}
}

// nmTamper is a hint that runs h and then moves its outputs by f.
type nmTamper struct {
	h solver.Hint
	f func(field *big.Int, in, out []*big.Int)
}

// nmProveTampered proves m on x with the real Groth16 prover: the honest
// proof verifies, and every tampered hint makes the prover fail.
func nmProveTampered(t *testing.T, m *quant.Model, x [][]int64, tampers map[string]nmTamper) {
	t.Helper()
	circ, err := graph.New(m, nmIO)
	if err != nil {
		t.Fatal(err)
	}
	ccs, err := frontend.Compile(nmField, r1cs.NewBuilder, circ)
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := m.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	w, err := frontend.NewWitness(nmAssign(t, m, tr), nmField)
	if err != nil {
		t.Fatal(err)
	}
	proof, err := groth16.Prove(ccs, pk, w)
	if err != nil {
		t.Fatalf("honest proof failed: %v", err)
	}
	pub, _ := w.Public()
	if err := groth16.Verify(proof, vk, pub); err != nil {
		t.Fatal(err)
	}
	for name, tm := range tampers {
		fake := func(f *big.Int, in, out []*big.Int) error {
			if err := tm.h(f, in, out); err != nil {
				return err
			}
			tm.f(f, in, out)
			for _, o := range out {
				o.Mod(o, f)
			}
			return nil
		}
		if _, err := groth16.Prove(ccs, pk, w, backend.WithSolverOptions(solver.OverrideHint(solver.GetHintID(tm.h), fake))); err == nil {
			t.Errorf("tampered %s: the prover succeeded", name)
		}
	}
}

// nmAdd moves output k by d.
func nmAdd(k int, d int64) func(*big.Int, []*big.Int, []*big.Int) {
	return func(_ *big.Int, _, out []*big.Int) { out[k].Add(out[k], big.NewInt(d)) }
}
