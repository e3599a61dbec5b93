package ops_test

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/circuits/ops"
	"github.com/zkinfer/zkinfer/quant"
	qops "github.com/zkinfer/zkinfer/quant/ops"
)

// indexModel: x [2, 8] real and ids [2, 3] index in [0, 7] →
// GatherElements(linear(x), ids), OneHot(ids, 8), ids = 3.
func indexModel(t testing.TB) *quant.Model {
	t.Helper()
	r := rand.New(rand.NewPCG(66, 1))
	b := quant.NewGraphBuilder()
	if err := b.Input("x", []int{2, 8}); err != nil {
		t.Fatal(err)
	}
	if err := b.TypedInput(quant.GraphInput{Name: "ids", Shape: []int{2, 3}, DType: quant.DTypeIndex, Hi: 7}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []struct {
		name string
		op   quant.FloatOp
		in   []string
	}{
		{"fc", nmLinear(r, 8, 8), []string{"x"}},
		{"ge", &qops.GatherElements{Axis: -1}, []string{"fc", "ids"}},
		{"oh", &qops.OneHot{Depth: 8, Off: -1, On: 2}, []string{"ids"}},
		{"eq", &qops.IndexEqual{Const: 3}, []string{"ids"}},
	} {
		if err := b.Node(n.name, n.op, n.in, []string{n.name}); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range []string{"ge", "oh", "eq"} {
		if err := b.Output(o); err != nil {
			t.Fatal(err)
		}
	}
	fm := graphtest.Built(t, b)
	var cal [][]float64
	for range 8 {
		s := nmTensor(r, 1, 16).Data
		for range 6 {
			s = append(s, float64(r.IntN(8)))
		}
		cal = append(cal, s)
	}
	return graphtest.Quantized(t, fm, cal)
}

func indexInput(rng *rand.Rand) [][]int64 {
	x := make([]int64, 16)
	for i := range x {
		x[i] = rng.Int64N(256) - 128
	}
	ids := make([]int64, 6)
	for i := range ids {
		ids[i] = rng.Int64N(8)
	}
	ids[0], ids[1] = 0, 7
	return [][]int64{x, ids}
}

// OneHot, GatherElements and IndexEqual on an index input are bit-exact in
// the circuit and reject any output moved by one.
func TestIndexOpsGadgets(t *testing.T) {
	m := indexModel(t)
	rng := rand.New(rand.NewPCG(66, 2))
	circ, err := graph.New(m, nmIO)
	if err != nil {
		t.Fatal(err)
	}
	for k := range 4 {
		tr, err := m.Forward(indexInput(rng))
		if err != nil {
			t.Fatal(err)
		}
		a := graphtest.AssignAt(t, m, tr, nmIO)
		if err := test.IsSolved(circ, a, nmField); err != nil {
			t.Fatalf("input %d: %v", k, err)
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

// A one-hot selector that lies (another position, two positions, none, a
// non-boolean) fails the Groth16 prover.
func TestIndexOpsTamperedHints(t *testing.T) {
	m := indexModel(t)
	x := indexInput(rand.New(rand.NewPCG(66, 3)))
	nmProveTampered(t, m, x, map[string]nmTamper{
		"moved": {ops.OneHotHint, func(_ *big.Int, _, out []*big.Int) {
			for j := range out {
				if out[j].Sign() != 0 {
					out[j].SetInt64(0)
					out[(j+1)%len(out)].SetInt64(1)
					return
				}
			}
		}},
		"two": {ops.OneHotHint, nmAdd(0, 1)},
		// index_equal's IsZero: a wrong inverse of a nonzero x − c
		"inverse": {solver.InvZeroHint, nmAdd(0, 1)},
		"none":    {ops.OneHotHint, func(_ *big.Int, _, out []*big.Int) { out[0].SetInt64(0); out[7].SetInt64(0) }},
		"half": {ops.OneHotHint, func(f *big.Int, _, out []*big.Int) {
			inv2 := new(big.Int).ModInverse(big.NewInt(2), f)
			for j := range out {
				if out[j].Sign() != 0 {
					out[j].Set(inv2)
					out[(j+2)%len(out)].Set(inv2)
					return
				}
			}
		}},
	})
}
