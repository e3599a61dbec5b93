package ops_test

import (
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

var (
	field    = graphtest.Field
	publicIO = graphtest.PublicIO
)

func randTensor(rng *rand.Rand, scale float64, shape ...int) *quant.FloatTensor {
	return graphtest.Tensor(rng, scale, shape...)
}

// affineModel: x [2, 3, 4] → per-channel affine (scale [3, 1], shift [4],
// one zero scale) → ReLU-fused affine by scalars → affine that subtracts
// from a constant (scale −1).
func affineModel(t testing.TB, seed uint64) *quant.Model {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	scale := randTensor(rng, 2, 3, 1)
	scale.Data[1] = 0
	b := quant.NewGraphBuilder()
	for _, err := range []error{
		b.Input("x", []int{2, 3, 4}),
		b.Node("bn", ops.NewAffine(scale, randTensor(rng, 1, 4), false), []string{"x"}, []string{"a"}),
		b.Node("mul", ops.NewAffine(&quant.FloatTensor{Shape: []int{1}, Data: []float64{-0.7}}, &quant.FloatTensor{Shape: []int{1}, Data: []float64{0.25}}, true), []string{"a"}, []string{"r"}),
		b.Node("rsub", ops.NewAffine(&quant.FloatTensor{Shape: []int{1}, Data: []float64{-1}}, randTensor(rng, 3, 2, 1, 1), false), []string{"r"}, []string{"y"}),
		b.Output("y"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	fm, err := quant.NewGraphModel(g)
	if err != nil {
		t.Fatal(err)
	}
	m := graphtest.Calibrated(t, rng, fm)
	var cal [][]float64
	for range 4 {
		cal = append(cal, randTensor(rng, 1, 24).Data)
	}
	rep, err := quant.Accuracy(fm, m, cal)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range rep.Layers {
		if l.Rel > 0.1 {
			t.Errorf("%s: relative error %.3f of the integer graph", l.Layer, l.Rel)
		}
	}
	return m
}

// The affine gadget accepts exactly the integer reference's output, on
// random and extreme inputs and with both range-check strategies, and
// rejects an output off by one.
func TestAffineMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, seed := range []uint64{1, 2} {
		m := affineModel(t, seed)
		for _, opts := range [][]fixedpoint.Option{nil, {fixedpoint.WithBitDecomposition()}} {
			circ, err := graph.New(m, publicIO, opts...)
			if err != nil {
				t.Fatal(err)
			}
			for k := range 8 {
				x := make([][]int64, 6)
				for r := range x {
					x[r] = make([]int64, 4)
					for i := range x[r] {
						switch k {
						case 0:
							x[r][i] = -128
						case 1:
							x[r][i] = 127
						default:
							x[r][i] = rng.Int64N(256) - 128
						}
					}
				}
				tr, err := m.Forward(x)
				if err != nil {
					t.Fatal(err)
				}
				a := graphtest.AssignAt(t, m, tr, publicIO)
				if err := test.IsSolved(circ, a, field); err != nil {
					t.Fatalf("seed %d input %d: %v", seed, k, err)
				}
				j := k % len(tr.Y[0])
				if tr.Y[0][j] == quant.Int8Max {
					tr.Y[0][j]--
				} else {
					tr.Y[0][j]++
				}
				a, err = graph.Assignment(m, tr, publicIO, modelio.Salts{})
				if err != nil {
					t.Fatal(err)
				}
				if test.IsSolved(circ, a, field) == nil {
					t.Fatalf("seed %d input %d: a wrong output was accepted", seed, k)
				}
			}
		}
	}
}

// The estimate is close to the compiled count.
func TestAffineCost(t *testing.T) {
	m := affineModel(t, 5)
	circ, err := graph.New(m, publicIO)
	if err != nil {
		t.Fatal(err)
	}
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, circ)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("affine graph: %d R1CS constraints, estimate %d", ccs.GetNbConstraints(), m.Graph.Cost().R1CS)
}

// A prover whose requantization hints lie fails in the real Groth16 prover;
// the honest proof verifies.
func TestAffineTamperedHints(t *testing.T) {
	m := affineModel(t, 6)
	x := graphtest.Inputs(rand.New(rand.NewPCG(8, 8)), m, 1)[4]
	graphtest.ProveTampered(t, m, x, map[string]graphtest.Tamper{
		"quotient":   {H: fixedpoint.DivPow2Hint, F: graphtest.Add(0, 1)},
		"clamp low":  {H: fixedpoint.ClampSelectHint, F: graphtest.Add(0, 1)},
		"clamp high": {H: fixedpoint.ClampSelectHint, F: graphtest.Add(1, 1)},
	})
}

// Under hashed and public weights the affine parameters are witnesses bound
// to the public commitment: the honest witness solves; a changed weight, or
// an output off by one, does not.
func TestAffineWitnessWeights(t *testing.T) {
	m := affineModel(t, 9)
	rng := rand.New(rand.NewPCG(10, 10))
	x := make([][]int64, 6)
	for r := range x {
		x[r] = make([]int64, 4)
		for i := range x[r] {
			x[r][i] = rng.Int64N(256) - 128
		}
	}
	tr, err := m.Forward(x)
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
		for k, list := range a.W {
			a := graphtest.AssignAt(t, m, tr, v)
			a.W[k][len(list)-1] = a.W[k][len(list)-1].(int64) ^ 1
			if test.IsSolved(circ, a, field) == nil {
				t.Fatalf("%s weights: a changed parameter in list %d was accepted", wv, k)
			}
		}
		tr2 := *tr
		tr2.Y = [][]int64{append([]int64(nil), tr.Y[0]...)}
		tr2.Y = append(tr2.Y, tr.Y[1:]...)
		if tr2.Y[0][0] == quant.Int8Max {
			tr2.Y[0][0]--
		} else {
			tr2.Y[0][0]++
		}
		if a, err = graph.Assignment(m, &tr2, v, modelio.Salts{}); err != nil {
			t.Fatal(err)
		}
		if test.IsSolved(circ, a, field) == nil {
			t.Fatalf("%s weights: a wrong output was accepted", wv)
		}
	}
}
