package graph_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/plonk"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"
	"github.com/consensys/gnark/test"
	"github.com/consensys/gnark/test/unsafekzg"

	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// multiIOModel is ops.ExampleMultiIO quantized: a, b [2, 4] reals, mask
// [2, 4] bool → y1 [2, 3], y2 [2, 4].
func multiIOModel(t testing.TB) (*quant.Model, func(*rand.Rand) []float64) {
	t.Helper()
	fm, err := ops.ExampleMultiIO(4)
	if err != nil {
		t.Fatal(err)
	}
	sample := func(rng *rand.Rand) []float64 {
		x := make([]float64, 24)
		for i := range 16 {
			x[i] = rng.Float64()*2 - 1
		}
		for i := 16; i < 24; i++ {
			x[i] = float64(rng.IntN(2))
		}
		return x
	}
	return calibrated(t, fm, sample), sample
}

// embeddingModel is ops.ExampleEmbedding quantized: ids [4] within [0, 7]
// → gather [10, 6] → linear → y [4, 3].
func embeddingModel(t testing.TB) (*quant.Model, func(*rand.Rand) []float64) {
	t.Helper()
	fm, err := ops.ExampleEmbedding(5)
	if err != nil {
		t.Fatal(err)
	}
	sample := func(rng *rand.Rand) []float64 {
		x := make([]float64, 4)
		for i := range x {
			x[i] = float64(rng.IntN(8))
		}
		return x
	}
	return calibrated(t, fm, sample), sample
}

func calibrated(t testing.TB, fm *quant.FloatModel, sample func(*rand.Rand) []float64) *quant.Model {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	var cal [][]float64
	for range 16 {
		cal = append(cal, sample(rng))
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

func ioVisibilities() map[string]quant.Visibility {
	out := map[string]quant.Visibility{}
	for _, v := range []string{quant.VisibilityPublic, quant.VisibilityHashed, quant.VisibilityPrivate} {
		out[v] = quant.Visibility{Input: v, Output: v, Weights: quant.VisibilityFixed}
	}
	return out
}

// refuseWrongOutputs checks that circ refuses, in each output of tr, the
// assignment whose value k (mod the output's size) is one off; what names
// the case in the failure.
func refuseWrongOutputs(t *testing.T, circ frontend.Circuit, m *quant.Model, tr *quant.Trace, vis quant.Visibility, salts modelio.Salts, k int, what string) {
	t.Helper()
	for o := range tr.Outputs {
		bad := cloneTrace(tr)
		j := k % len(bad.Outputs[o])
		if bad.Outputs[o][j] < 127 {
			bad.Outputs[o][j]++
		} else {
			bad.Outputs[o][j]--
		}
		a, err := graph.Assignment(m, bad, vis, salts)
		if err != nil {
			t.Fatal(err)
		}
		if test.IsSolved(circ, a, field) == nil {
			t.Fatalf("%s sample %d: a wrong output %d was accepted", what, k, o)
		}
	}
}

func cloneTrace(tr *quant.Trace) *quant.Trace {
	c := *tr
	// X and Y (one int8 input or output) are what the assignment reads
	// where set: drop them so that it reads the (tampered) parts.
	c.X, c.Y = nil, nil
	c.Inputs, c.Outputs = nil, nil
	for _, p := range tr.Inputs {
		c.Inputs = append(c.Inputs, slices.Clone(p))
	}
	for _, p := range tr.Outputs {
		c.Outputs = append(c.Outputs, slices.Clone(p))
	}
	return &c
}

// Graphs with several inputs and outputs, boolean and index inputs, prove
// bit-exactly under every input/output visibility; a wrong output, a wrong
// input (another valid id) are rejected.
func TestSeveralInputsAndOutputs(t *testing.T) {
	salts, err := modelio.RandomSalts()
	if err != nil {
		t.Fatal(err)
	}
	for name, mk := range map[string]func(testing.TB) (*quant.Model, func(*rand.Rand) []float64){"multi-io": multiIOModel, "embedding": embeddingModel} {
		m, sample := mk(t)
		if quant.SingleInt8(m.InputParts()) {
			t.Fatalf("%s: one int8 input part", name)
		}
		for vname, vis := range ioVisibilities() {
			circ, err := graph.New(m, vis)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			for k := range 4 {
				xq, err := m.QuantizeInput(sample(rng))
				if err != nil {
					t.Fatal(err)
				}
				tr, err := m.Forward(xq)
				if err != nil {
					t.Fatal(err)
				}
				if len(tr.Inputs) != len(m.InputParts()) || len(tr.Outputs) != len(m.OutputParts()) {
					t.Fatalf("%s: trace has %d inputs and %d outputs", name, len(tr.Inputs), len(tr.Outputs))
				}
				a, err := graph.Assignment(m, tr, vis, salts)
				if err != nil {
					t.Fatal(err)
				}
				if err := test.IsSolved(circ, a, field); err != nil {
					t.Fatalf("%s %s sample %d: %v", name, vname, k, err)
				}
				refuseWrongOutputs(t, circ, m, tr, vis, salts, k, name+" "+vname)
				// The witness input differs from the exposed one (another
				// valid value).
				if a, err = graph.Assignment(m, tr, vis, salts); err != nil {
					t.Fatal(err)
				}
				p := m.InputParts()[0]
				a.IO.X[0][0] = p.Lo + (tr.Inputs[0][0]-p.Lo+1)%(p.Hi-p.Lo+1)
				if test.IsSolved(circ, a, field) == nil {
					t.Fatalf("%s %s sample %d: a wrong input was accepted", name, vname, k)
				}
			}
		}
	}
}

// An id outside the input's declared range [0, 7] but inside the table
// (V = 10) is rejected by the circuit's range check alone: everything else
// (the lookup, the output, the public input) is the honest computation of
// that id.
func TestOutOfRangeIDRejected(t *testing.T) {
	m, _ := embeddingModel(t)
	commit, err := quant.Commit(m)
	if err != nil {
		t.Fatal(err)
	}
	// The same model with the ids' range widened to the table: its
	// reference computes the forged id's rows.
	wide := *m
	g := *m.Graph
	g.Values = slices.Clone(g.Values)
	g.Values[g.Inputs[0]].Hi = 9
	wide.Graph = &g
	for _, id := range []int64{8, 9} {
		tr, err := wide.Forward([][]int64{{1, id, 3, 0}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Forward([][]int64{{1, id, 3, 0}}); err == nil {
			t.Fatalf("the reference accepted id %d", id)
		}
		for vname, vis := range ioVisibilities() {
			circ, err := graph.New(m, vis)
			if err != nil {
				t.Fatal(err)
			}
			a, err := graph.Assignment(&wide, tr, vis, modelio.Salts{})
			if err != nil {
				t.Fatal(err)
			}
			a.IO.Model = commit
			if test.IsSolved(circ, a, field) == nil {
				t.Fatalf("%s: id %d outside [0, 7] was accepted", vname, id)
			}
			// The widened model's own circuit accepts it: the check above
			// fails on the range alone.
			wcirc, err := graph.New(&wide, vis)
			if err != nil {
				t.Fatal(err)
			}
			wa, err := graph.Assignment(&wide, tr, vis, modelio.Salts{})
			if err != nil {
				t.Fatal(err)
			}
			if err := test.IsSolved(wcirc, wa, field); err != nil {
				t.Fatalf("%s: widened model: %v", vname, err)
			}
		}
	}
	// Ids past the table fail in the reference and in the parts encoding.
	if _, err := quant.PackParts(m.InputParts(), [][]int64{{1, 10, 3, 0}}); err == nil {
		t.Fatal("PackParts accepted id 10 for an input within [0, 7]")
	}
}

// A graph's embedding takes witness weights: hashed and public weights
// prove too.
func TestGatherWitnessWeights(t *testing.T) {
	m, sample := embeddingModel(t)
	for _, wv := range []string{quant.VisibilityHashed, quant.VisibilityPublic} {
		vis := quant.Visibility{Input: quant.VisibilityPublic, Output: quant.VisibilityHashed, Weights: wv}
		circ, err := graph.New(m, vis)
		if err != nil {
			t.Fatal(err)
		}
		xq, err := m.QuantizeInput(sample(rand.New(rand.NewPCG(3, 3))))
		if err != nil {
			t.Fatal(err)
		}
		tr, err := m.Forward(xq)
		if err != nil {
			t.Fatal(err)
		}
		a := graphtest.AssignAt(t, m, tr, vis)
		if err := test.IsSolved(circ, a, field); err != nil {
			t.Fatalf("%s weights: %v", wv, err)
		}
		a.W[0][0] = (tr.Outputs[0][0] + 1) % 100 // another table: another commitment
		if test.IsSolved(circ, a, field) == nil {
			t.Fatalf("%s weights: a changed table entry was accepted", wv)
		}
	}
}

// The estimate of a gather-heavy graph (a 256 × 64 table, 64 token ids, no
// other node) stays within 15 % of the compiled counts under both backends,
// index-input range checks and hashing included; the example graphs' are
// logged (too small to compare: fixed overhead).
func TestGatherCost(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	table := &quant.FloatTensor{Shape: []int{256, 64}, Data: make([]float64, 256*64)}
	for i := range table.Data {
		table.Data[i] = rng.Float64()*2 - 1
	}
	b := quant.NewGraphBuilder()
	if err := b.TypedInput(quant.GraphInput{Name: "ids", Shape: []int{64}, DType: quant.DTypeIndex, Hi: 255}); err != nil {
		t.Fatal(err)
	}
	if err := b.Node("embed", ops.NewGather(table), []string{"ids"}, []string{"y"}); err != nil {
		t.Fatal(err)
	}
	if err := b.Output("y"); err != nil {
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
	big := calibrated(t, fm, func(r *rand.Rand) []float64 {
		x := make([]float64, 64)
		for i := range x {
			x[i] = float64(r.IntN(256))
		}
		return x
	})
	mio, _ := multiIOModel(t)
	emb, _ := embeddingModel(t)
	for name, m := range map[string]*quant.Model{"gather 256×64": big, "multi-io": mio, "embedding": emb} {
		for _, v := range []quant.Visibility{quant.DefaultVisibility, {Input: quant.VisibilityPublic, Output: quant.VisibilityPublic, Weights: quant.VisibilityFixed}} {
			c, err := graph.New(m, v)
			if err != nil {
				t.Fatal(err)
			}
			r, err := frontend.Compile(field, r1cs.NewBuilder, c)
			if err != nil {
				t.Fatal(err)
			}
			c2, err := graph.New(m, v)
			if err != nil {
				t.Fatal(err)
			}
			p, err := frontend.Compile(field, scs.NewBuilder, c2)
			if err != nil {
				t.Fatal(err)
			}
			cost := m.EstimateCost(v)
			t.Logf("%-14s %-6s r1cs %7d (est %7d)  scs %7d (est %7d)", name, v.Input, r.GetNbConstraints(), cost.R1CS, p.GetNbConstraints(), cost.SCS)
			if m != big {
				continue // a few hundred constraints: the circuit's fixed overhead dominates
			}
			for _, c := range [][2]int{{r.GetNbConstraints(), cost.R1CS}, {p.GetNbConstraints(), cost.SCS}} {
				if d := float64(c[1]-c[0]) / float64(c[0]); d > 0.15 || d < -0.15 {
					t.Errorf("%s, %s: estimate %d for %d constraints (%+.0f %%)", name, v.Input, c[1], c[0], 100*d)
				}
			}
		}
	}
}

// The token-id graph proves and verifies under both backends, hashed input
// and output (Groth16 and PLONK with a test SRS), and a proof does not
// verify against another output hash.
func TestIndexInputProves(t *testing.T) {
	m, sample := embeddingModel(t)
	vis := quant.Visibility{Input: quant.VisibilityHashed, Output: quant.VisibilityHashed, Weights: quant.VisibilityFixed}
	xq, err := m.QuantizeInput(sample(rand.New(rand.NewPCG(6, 6))))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := m.Forward(xq)
	if err != nil {
		t.Fatal(err)
	}
	a := graphtest.AssignAt(t, m, tr, vis)
	w, err := frontend.NewWitness(a, field)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := w.Public()
	if err != nil {
		t.Fatal(err)
	}
	bad := cloneTrace(tr)
	bad.Outputs[0][0] ^= 1
	ba, err := graph.Assignment(m, bad, vis, modelio.Salts{})
	if err != nil {
		t.Fatal(err)
	}
	bw, err := frontend.NewWitness(ba, field, frontend.PublicOnly())
	if err != nil {
		t.Fatal(err)
	}
	c, err := graph.New(m, vis)
	if err != nil {
		t.Fatal(err)
	}
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, c)
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	proof, err := groth16.Prove(ccs, pk, w)
	if err != nil {
		t.Fatal(err)
	}
	if err := groth16.Verify(proof, vk, pub); err != nil {
		t.Fatal(err)
	}
	if groth16.Verify(proof, vk, bw) == nil {
		t.Fatal("groth16: the proof verified against another output")
	}
	c2, err := graph.New(m, vis)
	if err != nil {
		t.Fatal(err)
	}
	sccs, err := frontend.Compile(field, scs.NewBuilder, c2)
	if err != nil {
		t.Fatal(err)
	}
	srs, lag, err := unsafekzg.NewSRS(sccs)
	if err != nil {
		t.Fatal(err)
	}
	ppk, pvk, err := plonk.Setup(sccs, srs, lag)
	if err != nil {
		t.Fatal(err)
	}
	pproof, err := plonk.Prove(sccs, ppk, w)
	if err != nil {
		t.Fatal(err)
	}
	if err := plonk.Verify(pproof, pvk, pub); err != nil {
		t.Fatal(err)
	}
	if plonk.Verify(pproof, pvk, bw) == nil {
		t.Fatal("plonk: the proof verified against another output")
	}
}
