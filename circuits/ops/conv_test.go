package ops_test

import (
	"encoding/json"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/plonk"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"
	"github.com/consensys/gnark/test"
	"github.com/consensys/gnark/test/unsafekzg"

	"github.com/zkinfer/zkinfer/circuits/gadget"
	cops "github.com/zkinfer/zkinfer/circuits/ops"

	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

var (
	cnnField = graphtest.Field
	cnnIO    = graphtest.PublicIO
)

func cnnRand(rng *rand.Rand, scale float64, shape ...int) *quant.FloatTensor {
	return graphtest.Tensor(rng, scale, shape...)
}

type cnnStep struct {
	name    string
	op      quant.FloatOp
	in, out []string
}

// quantized builds, calibrates and quantizes a float graph of one input.
func cnnQuantized(t testing.TB, seed uint64, inShape []int, steps []cnnStep) *quant.Model {
	t.Helper()
	gs := make([]graphtest.Step, len(steps))
	for k, st := range steps {
		gs[k] = graphtest.Step{Name: st.name, Op: st.op, In: st.in, Out: st.out}
	}
	return graphtest.Graph(t, rand.New(rand.NewPCG(seed, 3)), inShape, gs...)
}

// lenet is conv→relu→maxpool→conv(+relu)→avgpool→flatten→linear at 1×1×12×12.
func cnnLeNet(t testing.TB, seed uint64) *quant.Model {
	rng := rand.New(rand.NewPCG(seed, 1))
	return cnnQuantized(t, seed, []int{1, 1, 12, 12}, []cnnStep{
		{"conv1", ops.NewConv(cnnRand(rng, 0.6, 4, 1, 3, 3), cnnRand(rng, 0.1, 4), ops.Window{Pads: []int{1, 1, 1, 1}}, 1, false), []string{"x"}, []string{"c1"}},
		{"relu1", &ops.ReLU{}, []string{"c1"}, []string{"r1"}},
		{"pool1", ops.NewMaxPool(ops.Window{Kernel: []int{2, 2}, Strides: []int{2, 2}}, false), []string{"r1"}, []string{"p1"}},
		{"conv2", ops.NewConv(cnnRand(rng, 0.4, 6, 4, 3, 3), cnnRand(rng, 0.1, 6), ops.Window{}, 1, true), []string{"p1"}, []string{"c2"}},
		{"pool2", ops.NewAvgPool(ops.Window{Kernel: []int{2, 2}, Strides: []int{2, 2}}, false, false), []string{"c2"}, []string{"p2"}},
		{"flat", &ops.Reshape{Shape: []int{1, 24}}, []string{"p2"}, []string{"f"}},
		{"fc", ops.NewLinear(cnnRand(rng, 0.3, 24, 10), cnnRand(rng, 0.1, 10), false), []string{"f"}, []string{"y"}},
	})
}

// mixed covers the other ops on [1, 2, 5, 5]: concat at mixed fractions,
// slice, depthwise strided conv, conv_transpose, pad, padded pools with and
// without count_include_pad, global pools.
func cnnMixed(t testing.TB, seed uint64) *quant.Model {
	rng := rand.New(rand.NewPCG(seed, 2))
	return cnnQuantized(t, seed, []int{1, 2, 5, 5}, []cnnStep{
		{"conv", ops.NewConv(cnnRand(rng, 3, 3, 2, 3, 3), cnnRand(rng, 1, 3), ops.Window{Pads: []int{1, 1, 1, 1}}, 1, false), []string{"x"}, []string{"c"}},
		{"slice", &ops.Slice{Starts: []int64{1}, Ends: []int64{2}, Axes: []int64{1}}, []string{"x"}, []string{"s"}},
		{"cat", &ops.Concat{Axis: 1}, []string{"c", "s"}, []string{"cat"}},
		{"dw", ops.NewConv(cnnRand(rng, 0.8, 4, 1, 3, 3), cnnRand(rng, 0.1, 4), ops.Window{Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}}, 4, true), []string{"cat"}, []string{"dw"}},
		{"up", func() quant.FloatOp {
			c := ops.NewConv(cnnRand(rng, 0.5, 4, 2, 2, 2), cnnRand(rng, 0.1, 2), ops.Window{Strides: []int{2, 2}, Pads: []int{0, 1, 1, 0}, OutputPadding: []int{1, 0}}, 1, false)
			c.Transposed = true
			return c
		}(), []string{"dw"}, []string{"up"}},
		{"pad", &ops.Pad{Pads: []int{0, 0, 1, 0, 0, 0, 0, 1}}, []string{"up"}, []string{"pd"}},
		{"avg", ops.NewAvgPool(ops.Window{Kernel: []int{3, 3}, Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}}, false, false), []string{"pd"}, []string{"a"}},
		{"avgi", ops.NewAvgPool(ops.Window{Kernel: []int{2, 2}, Pads: []int{1, 0, 0, 1}}, false, true), []string{"a"}, []string{"ai"}},
		{"max", ops.NewMaxPool(ops.Window{Kernel: []int{3, 2}, Strides: []int{2, 1}, Pads: []int{1, 1, 1, 0}, Dilations: []int{1, 2}}, false), []string{"ai"}, []string{"m"}},
		{"gmax", ops.NewMaxPool(ops.Window{}, true), []string{"m"}, []string{"gm"}},
		{"gavg", ops.NewAvgPool(ops.Window{}, true, false), []string{"a"}, []string{"ga"}},
		{"cat2", &ops.Concat{Axis: 1}, []string{"gm", "ga"}, []string{"g"}},
		{"flat", &ops.Reshape{Shape: []int{1, 4}}, []string{"g"}, []string{"y"}},
	})
}

// conv1d is a 1-d conv net on [2, 3, 10] (batch 2).
func cnnConv1d(t testing.TB, seed uint64) *quant.Model {
	rng := rand.New(rand.NewPCG(seed, 4))
	return cnnQuantized(t, seed, []int{2, 3, 10}, []cnnStep{
		{"conv", ops.NewConv(cnnRand(rng, 0.7, 4, 3, 3), cnnRand(rng, 0.1, 4), ops.Window{Strides: []int{2}, Dilations: []int{2}, Pads: []int{1, 2}}, 1, true), []string{"x"}, []string{"c"}},
		{"max", ops.NewMaxPool(ops.Window{Kernel: []int{2}, Pads: []int{0, 1}}, false), []string{"c"}, []string{"m"}},
		{"gavg", ops.NewAvgPool(ops.Window{}, true, false), []string{"m"}, []string{"g"}},
		{"flat", &ops.Reshape{Shape: []int{2, 4}}, []string{"g"}, []string{"y"}},
	})
}

func cnnInput(rng *rand.Rand, shape []int, fill ...int64) [][]int64 {
	rows, width := quant.Rows(shape)
	x := make([][]int64, rows)
	for r := range x {
		x[r] = make([]int64, width)
		for i := range x[r] {
			if len(fill) > 0 {
				x[r][i] = fill[0]
			} else {
				x[r][i] = rng.Int64N(256) - 128
			}
		}
	}
	return x
}

func cnnAssignment(t testing.TB, m *quant.Model, tr *quant.Trace) *graph.Circuit {
	t.Helper()
	return graphtest.Assign(t, m, tr)
}

// The circuit of each CNN graph accepts exactly the integer reference's
// output on random and extreme int8 inputs, and rejects a wrong output.
func TestCNNGadgetsMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for name, build := range map[string]func(testing.TB, uint64) *quant.Model{"lenet": cnnLeNet, "mixed": cnnMixed, "conv1d": cnnConv1d} {
		m := build(t, 1)
		circ, err := graph.New(m, cnnIO)
		if err != nil {
			t.Fatal(err)
		}
		shape := m.Graph.Input().Shape
		inputs := [][][]int64{cnnInput(rng, shape, -128), cnnInput(rng, shape, 127)}
		for range 3 {
			inputs = append(inputs, cnnInput(rng, shape))
		}
		for k, x := range inputs {
			tr, err := m.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			if err := test.IsSolved(circ, cnnAssignment(t, m, tr), cnnField); err != nil {
				t.Fatalf("%s input %d: %v", name, k, err)
			}
			j := k % len(tr.Y[0])
			if tr.Y[0][j] == quant.Int8Max {
				tr.Y[0][j]--
			} else {
				tr.Y[0][j]++
			}
			if test.IsSolved(circ, cnnAssignment(t, m, tr), cnnField) == nil {
				t.Fatalf("%s input %d: a wrong output was accepted", name, k)
			}
		}
		// The file form keeps every op (conv_transpose included), its
		// integers and the commitment.
		data, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := quant.ParseModelJSON(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c1, err := quant.CommitString(m)
		if err != nil {
			t.Fatal(err)
		}
		if c2, err := quant.CommitString(m2); err != nil || c1 != c2 {
			t.Fatalf("%s: commitment changed over the file form: %v", name, err)
		}
		for k, n := range m.Graph.Nodes {
			if n.Op.Kind() != m2.Graph.Nodes[k].Op.Kind() {
				t.Fatalf("%s: node %d is %s, parsed %s", name, k, n.Op.Kind(), m2.Graph.Nodes[k].Op.Kind())
			}
		}
		x := cnnInput(rng, shape)
		a, _ := m.Forward(x)
		b, err := m2.Forward(x)
		if err != nil || !slices.Equal(quant.Flatten(a.Y), quant.Flatten(b.Y)) {
			t.Fatalf("%s: the parsed model computes otherwise (%v)", name, err)
		}
		if name == "mixed" {
			cat := m.Graph.Nodes[2].Op.(*ops.QConcat)
			if cat.Shifts[0] == cat.Shifts[1] {
				t.Errorf("mixed: the concat's inputs share a fraction (shifts %v): the test misses the requantized path", cat.Shifts)
			}
		}
	}
}

// The constraint counts of the LeNet-like graph against the estimates.
func TestCNNConstraintCounts(t *testing.T) {
	m := cnnLeNet(t, 2)
	r, err := frontend.Compile(cnnField, r1cs.NewBuilder, cnnCircuit(t, m))
	if err != nil {
		t.Fatal(err)
	}
	s, err := frontend.Compile(cnnField, scs.NewBuilder, cnnCircuit(t, m))
	if err != nil {
		t.Fatal(err)
	}
	c := m.Graph.Cost()
	t.Logf("lenet 1×1×12×12: R1CS %d (estimate %d), PLONK %d (estimate %d)", r.GetNbConstraints(), c.R1CS, s.GetNbConstraints(), c.SCS)
	for _, n := range m.Graph.Nodes {
		nc := n.Op.Cost(m.Graph.ValuesOf(n.In), m.Graph.ValuesOf(n.Out))
		t.Logf("  %-6s %-14s R1CS %6d SCS %6d", n.Name, n.Op.Kind(), nc.R1CS, nc.SCS)
	}
	// The estimates leave out the input and output binding and the tables'
	// fixed costs; they stay within 30 % of the compiled counts.
	for _, k := range []struct {
		name      string
		got, want int
	}{{"R1CS", c.R1CS, r.GetNbConstraints()}, {"PLONK", c.SCS, s.GetNbConstraints()}} {
		if ratio := float64(k.got) / float64(k.want); ratio < 0.7 || ratio > 1.3 {
			t.Errorf("%s estimate %d is %.2f× the compiled %d", k.name, k.got, ratio, k.want)
		}
	}
}

func cnnCircuit(t testing.TB, m *quant.Model) *graph.Circuit {
	t.Helper()
	return graphtest.Circuit(t, m, cnnIO)
}

// A max pool whose hint lies is rejected by the real Groth16 prover, even
// when the public output carries the lie: a hinted max one above the true
// max (the zero product fails), or below it (a range check fails). The
// honest proof verifies.
func TestMaxPoolTamper(t *testing.T) {
	m := cnnQuantized(t, 5, []int{1, 1, 4, 4}, []cnnStep{
		{"max", ops.NewMaxPool(ops.Window{Kernel: []int{2, 2}, Strides: []int{2, 2}}, false), []string{"x"}, []string{"m"}},
		{"flat", &ops.Reshape{Shape: []int{1, 4}}, []string{"m"}, []string{"y"}},
	})
	ccs, err := frontend.Compile(cnnField, r1cs.NewBuilder, cnnCircuit(t, m))
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	// Distinct values, so the second largest of a window is below its max.
	rng := rand.New(rand.NewPCG(6, 6))
	perm := rng.Perm(200)
	x := make([][]int64, 4)
	for r := range x {
		x[r] = make([]int64, 4)
		for i := range x[r] {
			x[r][i] = int64(perm[r*4+i]) - 100
		}
	}
	tr, err := m.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	w, err := frontend.NewWitness(cnnAssignment(t, m, tr), cnnField)
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
	// The same graph proves under PLONK.
	sccs, err := frontend.Compile(cnnField, scs.NewBuilder, cnnCircuit(t, m))
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
	for name, lie := range map[string]func(window []int64) int64{
		"above max":   func(v []int64) int64 { return cnnMax(v) + 1 },
		"second max":  func(v []int64) int64 { return cnnSecondMax(v) },
		"far above":   func(v []int64) int64 { return cnnMax(v) + 300 },
		"min element": func(v []int64) int64 { return cnnMin(v) },
	} {
		// The public output carries the lie, so only the max constraints can catch it.
		bad := *tr
		bad.Y = [][]int64{make([]int64, 4)}
		for o := 0; o < 4; o++ {
			r0, c0 := 2*(o/2), 2*(o%2)
			bad.Y[0][o] = lie([]int64{x[r0][c0], x[r0][c0+1], x[r0+1][c0], x[r0+1][c0+1]})
		}
		if cnnMax(bad.Y[0]) > quant.Int8Max {
			bad.Y[0] = tr.Y[0] // the output encoding could not carry it; the hint alone lies
		}
		wb, err := frontend.NewWitness(cnnAssignment(t, m, &bad), cnnField)
		if err != nil {
			t.Fatal(err)
		}
		hint := func(f *big.Int, in, out []*big.Int) error {
			v := make([]int64, len(in))
			for i, e := range in {
				s := new(big.Int).Set(e)
				if s.Cmp(new(big.Int).Rsh(f, 1)) > 0 {
					s.Sub(s, f)
				}
				v[i] = s.Int64()
			}
			out[0].Mod(big.NewInt(lie(v)), f)
			return nil
		}
		if _, err := groth16.Prove(ccs, pk, wb, backend.WithSolverOptions(solver.OverrideHint(solver.GetHintID(cops.MaxPoolHint), hint))); err == nil {
			t.Errorf("%s: tampered max accepted by the prover", name)
		} else {
			t.Logf("%s: refused", name)
		}
	}
}

func cnnMax(v []int64) int64 {
	m := v[0]
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

func cnnMin(v []int64) int64 {
	m := v[0]
	for _, x := range v {
		m = min(m, x)
	}
	return m
}

func cnnSecondMax(v []int64) int64 {
	m, s := cnnMax(v), int64(-1<<62)
	for _, x := range v {
		if x < m {
			s = max(s, x)
		}
	}
	return s
}

// Every registered op has a gadget.
func TestEveryOpHasGadget(t *testing.T) {
	for _, info := range quant.RegisteredOps() {
		if _, err := gadget.Lookup(info.Kind); err != nil {
			t.Errorf("%s (id %d): %v", info.Kind, info.ID, err)
		}
	}
}
