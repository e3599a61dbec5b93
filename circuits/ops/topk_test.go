package ops_test

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/circuits/ops"
	"github.com/zkinfer/zkinfer/quant"
	qops "github.com/zkinfer/zkinfer/quant/ops"
)

// topkModel: x [rows, 6] → (linear →) top 3 values and indices.
func topkModel(t testing.TB, rows int, linear bool) *quant.Model {
	t.Helper()
	r := rand.New(rand.NewPCG(69, 1))
	b := quant.NewGraphBuilder()
	if err := b.Input("x", []int{rows, 6}); err != nil {
		t.Fatal(err)
	}
	src := "x"
	if linear {
		if err := b.Node("fc", nmLinear(r, 6, 6), []string{"x"}, []string{"fc"}); err != nil {
			t.Fatal(err)
		}
		src = "fc"
	}
	if err := b.Node("topk", &qops.TopK{K: 3, Axis: -1}, []string{src}, []string{"tv", "ti"}); err != nil {
		t.Fatal(err)
	}
	for _, o := range []string{"tv", "ti"} {
		if err := b.Output(o); err != nil {
			t.Fatal(err)
		}
	}
	fm := graphtest.Built(t, b)
	var cal [][]float64
	for range 8 {
		cal = append(cal, nmTensor(r, 1, rows*6).Data)
	}
	return graphtest.Quantized(t, fm, cal)
}

// TopK (with ties) is bit-exact in the circuit and rejects any output
// moved by one.
func TestTopKGadget(t *testing.T) {
	rng := rand.New(rand.NewPCG(69, 2))
	for _, linear := range []bool{false, true} {
		m := topkModel(t, 3, linear)
		circ, err := graph.New(m, nmIO)
		if err != nil {
			t.Fatal(err)
		}
		inputs := nmInputs(rng, m, 4)
		inputs = append(inputs, [][]int64{{5, 5, 5, 5, 5, 5}, {1, 7, -3, 7, 0, 7}, {-128, 127, 127, 3, 127, 0}})
		for k, x := range inputs {
			tr, err := m.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			a := graphtest.AssignAt(t, m, tr, nmIO)
			if err := test.IsSolved(circ, a, nmField); err != nil {
				t.Fatalf("input %d %v: %v", k, x, err)
			}
			for o := range tr.Outputs {
				y := &tr.Outputs[o][k%len(tr.Outputs[o])]
				old := *y
				*y = old + 1
				if old == m.Graph.Values[m.Graph.Outputs[o]].Hi {
					*y = old - 1
				}
				a := graphtest.AssignAt(t, m, tr, nmIO)
				if test.IsSolved(circ, a, nmField) == nil {
					t.Fatalf("input %d: output %d moved by one was accepted", k, o)
				}
				*y = old
			}
		}
	}
}

// Lying selectors fail the Groth16 prover: two ranks swapped, a rank on
// a smaller value, a repeated position, a non-boolean.
func TestTopKTamperedHints(t *testing.T) {
	m := topkModel(t, 2, false)
	x := [][]int64{{1, 7, -3, 7, 0, 7}, {-5, 9, 2, 8, -1, 3}}
	swap := func(_ *big.Int, _, out []*big.Int) {
		for j := 0; j < 6; j++ {
			out[j], out[6+j] = out[6+j], out[j]
		}
	}
	nmProveTampered(t, m, x, map[string]nmTamper{
		"swapped": {ops.TopKHint, swap},
		"smaller": {ops.TopKHint, func(_ *big.Int, _, out []*big.Int) {
			for j := 0; j < 6; j++ {
				out[12+j].SetInt64(0)
			}
			out[12+2].SetInt64(1) // the third rank on x_2
		}},
		"repeat": {ops.TopKHint, func(_ *big.Int, _, out []*big.Int) {
			for j := 0; j < 6; j++ {
				out[6+j].Set(out[j])
			}
		}},
		"two": {ops.TopKHint, nmAdd(0, 1)},
	})
}

// A prover claiming the later of two tied values first (indices 3, 1
// instead of 1, 3), with selectors to match, fails.
func TestTopKTieOrderRejected(t *testing.T) {
	m := topkModel(t, 1, false)
	tr, err := m.Forward([][]int64{{1, 7, -3, 7, 0, 7}})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Outputs[1][0] != 1 || tr.Outputs[1][1] != 3 || tr.Outputs[1][2] != 5 {
		t.Fatalf("indices %v, want 1 3 5", tr.Outputs[1])
	}
	tr.Outputs[1][0], tr.Outputs[1][1] = 3, 1
	fake := func(f *big.Int, in, out []*big.Int) error {
		if err := ops.TopKHint(f, in, out); err != nil {
			return err
		}
		out[1].SetInt64(0)
		out[3].SetInt64(1)
		out[6+3].SetInt64(0)
		out[6+1].SetInt64(1)
		return nil
	}
	claimRejected(t, m, tr, ops.TopKHint, fake)
}
