package ops_test

import (
	"encoding/json"
	"errors"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"
	"github.com/consensys/gnark/test"

	circops "github.com/zkinfer/zkinfer/circuits/ops"

	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// embedding returns ids [1, seq] (index input within [0, v)) → Gather of a
// random [v, d] table with Pack pack, calibrated on random ids.
func embedding(t *testing.T, rng *rand.Rand, seq, v, d, pack int) *quant.Model {
	t.Helper()
	b := quant.NewGraphBuilder()
	if err := b.TypedInput(quant.GraphInput{Name: "ids", Shape: []int{1, seq}, DType: quant.DTypeIndex, Hi: int64(v - 1)}); err != nil {
		t.Fatal(err)
	}
	g := ops.NewGather(graphtest.Tensor(rng, 1, v, d))
	g.Pack = pack
	if err := b.Node("e", g, []string{"ids"}, []string{"e"}); err != nil {
		t.Fatal(err)
	}
	if err := b.Output("e"); err != nil {
		t.Fatal(err)
	}
	gr, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	fm, err := quant.NewGraphModel(gr)
	if err != nil {
		t.Fatal(err)
	}
	s, err := quant.Calibrate(fm, [][]float64{randomIDs(rng, seq, v)})
	if err != nil {
		t.Fatal(err)
	}
	m, err := quant.Quantize(fm, s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func randomIDs(rng *rand.Rand, seq, v int) []float64 {
	x := make([]float64, seq)
	for i := range x {
		x[i] = float64(rng.IntN(v))
	}
	return x
}

// idInputs: the extreme ids (all 0, all v − 1, alternating) and random ones.
func idInputs(rng *rand.Rand, seq, v, random int) [][][]int64 {
	mk := func(f func(i int) int64) [][]int64 {
		x := make([]int64, seq)
		for i := range x {
			x[i] = f(i)
		}
		return [][]int64{x}
	}
	out := [][][]int64{mk(func(int) int64 { return 0 }), mk(func(int) int64 { return int64(v - 1) }), mk(func(i int) int64 { return int64(i%2) * int64(v-1) })}
	for range random {
		out = append(out, mk(func(int) int64 { return rng.Int64N(int64(v)) }))
	}
	return out
}

// A packed embedding (5 values per entry, rows of 12: chunks of 5, 5 and
// 2) is the same integer op as gather — the same outputs, the same weights
// — and its circuit accepts exactly the reference's output (fixed weights,
// and the bit decomposition), on extreme and random ids; a table small
// enough for gather stays gather by default; the model survives its file.
func TestGatherPackedMatches(t *testing.T) {
	rng := rand.New(rand.NewPCG(79, 1))
	m := embedding(t, rng, 6, 40, 12, 5)
	q, ok := m.Graph.Nodes[0].Op.(*ops.QGatherPacked)
	if !ok || q.C != 5 || q.Chunks() != 3 {
		t.Fatalf("op %T %+v, want gather_packed of 5 per entry", m.Graph.Nodes[0].Op, m.Graph.Nodes[0].Op)
	}
	ins := idInputs(rng, 6, 40, 3)
	for _, x := range ins {
		tr, err := m.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		for k, id := range x[0] {
			for j := range 12 {
				if got, want := tr.Values[m.Graph.Nodes[0].Out[0]][k*12+j], int64(q.Table[int(id)*12+j]); got != want {
					t.Fatalf("id %d column %d: %d, want %d", id, j, got, want)
				}
			}
		}
	}
	graphtest.Matches(t, m, ins)

	if _, ok := embedding(t, rng, 6, 40, 12, 0).Graph.Nodes[0].Op.(*ops.QGather); !ok {
		t.Fatal("a 40 × 12 table does not quantize to gather by default")
	}
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back quant.Model
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if err := back.Validate(); err != nil {
		t.Fatal(err)
	}
	c1, _ := quant.CommitString(m)
	c2, _ := quant.CommitString(&back)
	if c1 != c2 {
		t.Fatalf("commitment after the file round trip: %s, want %s", c2, c1)
	}
}

// The real Groth16 prover: the honest proof verifies; unpacked bytes moved
// by one, or a carry moved between two bytes (the recomposition still
// holds, a byte leaves [0, 256)), make it fail.
func TestGatherPackedProve(t *testing.T) {
	rng := rand.New(rand.NewPCG(79, 2))
	m := embedding(t, rng, 3, 30, 7, 4)
	graphtest.ProveTampered(t, m, [][]int64{{29, 0, 13}}, map[string]graphtest.Tamper{
		"byte+1": {H: circops.UnpackHint, F: graphtest.Add(0, 1)},
		"carry": {H: circops.UnpackHint, F: func(_ *big.Int, _, out []*big.Int) {
			out[0].Add(out[0], big.NewInt(256))
			out[1].Sub(out[1], big.NewInt(1))
		}},
	})
}

// Under hashed and public weights the table is the committed witness
// parameters (gather's encoding): the honest witness solves, a changed
// table entry does not.
func TestGatherPackedWitnessWeights(t *testing.T) {
	rng := rand.New(rand.NewPCG(79, 3))
	m := embedding(t, rng, 4, 20, 9, 31)
	for _, wv := range []string{quant.VisibilityHashed, quant.VisibilityPublic} {
		vis := quant.Visibility{Input: quant.VisibilityPublic, Output: quant.VisibilityHashed, Weights: wv}
		circ, err := graph.New(m, vis)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := m.Forward([][]int64{{19, 0, 7, 7}})
		if err != nil {
			t.Fatal(err)
		}
		a := graphtest.AssignAt(t, m, tr, vis)
		if err := test.IsSolved(circ, a, graphtest.Field); err != nil {
			t.Fatalf("%s weights: %v", wv, err)
		}
		a.W[0][19*9+4] = (tr.Outputs[0][4] + 1) % 100
		if test.IsSolved(circ, a, graphtest.Field) == nil {
			t.Fatalf("%s weights: a changed table entry was accepted", wv)
		}
	}
}

// Tables past the packed bound, and values per entry outside 1..31, are
// named shape errors before anything is allocated; GPT-2's 50257 × 768 wte
// packs 31 per entry by default (25 entries per row).
func TestGatherPackedLimits(t *testing.T) {
	shape := func(v, d, pack int) error {
		g := ops.NewGather(&quant.FloatTensor{Shape: []int{v, d}}) // no data: OutShapes reads the shape only
		g.Pack = pack
		_, err := g.OutShapes([][]int{{1, 4}})
		return err
	}
	if err := shape(50257, 768, 0); err != nil {
		t.Fatalf("GPT-2 wte: %v", err)
	}
	if c := ops.PackFor(768); c != 31 {
		t.Fatalf("PackFor(768) = %d, want 31", c)
	}
	if c := ops.PackFor(8); c != 8 {
		t.Fatalf("PackFor(8) = %d, want 8", c)
	}
	for _, c := range []struct{ v, d, pack int }{
		{50257, 768, 1},   // gather: 38.6 M entries
		{1 << 22, 64, 31}, // 3 entries per row: 12.6 M entries
		{200000, 400, 0},  // 80 M values
		{100, 8, 32},      // 32 per entry: past the field
		{100, 8, -2},      // negative
	} {
		err := shape(c.v, c.d, c.pack)
		if !errors.Is(err, quant.ErrShape) && !errors.Is(err, quant.ErrValidation) {
			t.Fatalf("table [%d, %d] pack %d: %v, want a shape or validation error", c.v, c.d, c.pack, err)
		}
		t.Logf("[%d, %d] pack %d: %v", c.v, c.d, c.pack, err)
	}
	for _, c := range []int{1, -1, 32} {
		if _, err := ops.NewGatherPacked(&quant.FloatTensor{Shape: []int{10, 8}}, c).OutShapes([][]int{{4}}); !errors.Is(err, quant.ErrValidation) {
			t.Fatalf("gather_packed of %d per entry: %v", c, err)
		}
	}
	q := &ops.QGatherPacked{QGather: ops.QGather{V: 1 << 22, D: 64}, C: 31}
	if err := q.Check(nil, nil); !errors.Is(err, quant.ErrShape) {
		t.Fatalf("a decoded op with 12.6 M entries: %v", err)
	}
}

// The estimate stays within 15 % of the compiled counts (a 512 × 40
// table packed 20 per entry, 64 ids, public ids and output).
func TestGatherPackedCost(t *testing.T) {
	rng := rand.New(rand.NewPCG(79, 4))
	m := embedding(t, rng, 64, 512, 40, 20)
	v := graphtest.PublicIO
	cost := m.EstimateCost(v)
	r, err := frontend.Compile(graphtest.Field, r1cs.NewBuilder, graphtest.Circuit(t, m, v))
	if err != nil {
		t.Fatal(err)
	}
	p, err := frontend.Compile(graphtest.Field, scs.NewBuilder, graphtest.Circuit(t, m, v))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("r1cs %d (est %d)  scs %d (est %d)", r.GetNbConstraints(), cost.R1CS, p.GetNbConstraints(), cost.SCS)
	for _, c := range [][2]int{{r.GetNbConstraints(), cost.R1CS}, {p.GetNbConstraints(), cost.SCS}} {
		if d := float64(c[1]-c[0]) / float64(c[0]); d > 0.15 || d < -0.15 {
			t.Errorf("estimate %d for %d constraints (%+.0f %%)", c[1], c[0], 100*d)
		}
	}
}
