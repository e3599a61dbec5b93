package ops_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx"
)

// Every zoo export the layer-graph importer takes compiles, and its circuit
// accepts exactly the integer reference's output on the zoo's input (an
// output off by one is rejected), and inspect's estimate
// (quant.Model.EstimateCost) is within 15 % of the compiled R1CS count under
// public and under hashed input and output.
func TestZooCircuits(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "onnx", "zoo")
	files, err := filepath.Glob(filepath.Join(dir, "*.onnx"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no zoo: %v", err)
	}
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fm, _, err := onnx.ParseGraph(data, onnx.Options{})
		if err != nil {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(f), ".onnx")
		raw, err := os.ReadFile(strings.TrimSuffix(f, ".onnx") + ".input.json")
		if err != nil {
			t.Fatal(err)
		}
		in, err := quant.ParseInput(raw, fm.Config)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		s, err := quant.Calibrate(fm, in.InputData)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		m, err := quant.Quantize(fm, s)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		x, err := m.QuantizeInput(in.InputData[0])
		if err != nil {
			t.Fatal(err)
		}
		tr, err := m.Forward(x)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		circ, err := graph.New(m, publicIO)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ccs, err := frontend.Compile(field, r1cs.NewBuilder, circ)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		a := graphtest.AssignAt(t, m, tr, publicIO)
		if err := test.IsSolved(circ, a, field); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		y := &tr.Outputs[0][0] // several outputs: Y is not set
		if tr.Y != nil {
			y = &tr.Y[0][0]
		}
		if *y == quant.Int8Max {
			*y--
		} else {
			*y++
		}
		if a, err = graph.Assignment(m, tr, publicIO, modelio.Salts{}); err != nil {
			t.Fatal(err)
		}
		if test.IsSolved(circ, a, field) == nil {
			t.Fatalf("%s: a wrong output was accepted", name)
		}
		// inspect's estimate within 15 % of the compiled count, under the
		// test's public IO and under the default visibility (hashed input
		// and output: the zoo table's, benchmarks BenchmarkZoo).
		hashed, err := graph.New(m, quant.DefaultVisibility)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		hccs, err := frontend.Compile(field, r1cs.NewBuilder, hashed)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, k := range []struct {
			v   quant.Visibility
			got int
		}{{publicIO, ccs.GetNbConstraints()}, {quant.DefaultVisibility, hccs.GetNbConstraints()}} {
			est := m.EstimateCost(k.v).R1CS
			r := float64(est) / float64(k.got)
			t.Logf("%-28s %-6s IO: %6d R1CS constraints, estimate %6d (%.2f)", name, k.v.Input, k.got, est, r)
			if r < 0.85 || r > 1.15 {
				t.Errorf("%s, %s IO: estimate %d for %d compiled R1CS constraints (%.2f), want within 15 %%", name, k.v.Input, est, k.got, r)
			}
		}
		n++
	}
	if n < 128 {
		t.Errorf("%d zoo models compiled, want at least 128", n)
	}
}

// Sub-graph cuts (--inputs/--outputs) compile and prove like whole graphs:
// the middle of LeNet-5 (second conv to the first dense layer's Tanh) and
// the MLP half of a GPT-2 export's first block, cut out of the stack, are
// bit-exact to their integer references on random and extreme inputs, and
// the LeNet part proves and verifies with the real Groth16 prover.
func TestZooCut(t *testing.T) {
	for _, c := range []struct {
		file     string
		in, out  string
		seq      int
		groth16  bool
		wantKind string
	}{
		{"zoo/lenet5_op13.onnx", "/2/AveragePool_output_0", "/8/Tanh_output_0", 0, true, "conv"},
		{"gpt2_linear_erf_op17_dyn.onnx", "/h.0/Add_output_0", "/h.0/Add_1_output_0", 4, false, "layernorm"},
	} {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "onnx", c.file))
		if err != nil {
			t.Fatal(err)
		}
		fm, _, err := onnx.ParseGraph(data, onnx.Options{SeqLen: c.seq, Cut: &onnx.Cut{Inputs: []string{c.in}, Outputs: []string{c.out}}})
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if k := fm.Graph.Nodes[0].Op.Kind(); k != c.wantKind {
			t.Errorf("%s: the cut starts with %s, want %s", c.file, k, c.wantKind)
		}
		rng := rand.New(rand.NewPCG(7, 8))
		m := graphtest.Calibrated(t, rng, fm)
		inputs := graphtest.Inputs(rng, m, 2)
		graphtest.Matches(t, m, inputs)
		if c.groth16 {
			graphtest.ProveTampered(t, m, inputs[4], nil)
		}
		t.Logf("%s cut %s → %s: %d nodes, estimate %d R1CS", c.file, c.in, c.out, len(m.Graph.Nodes), m.EstimateCost(publicIO).R1CS)
	}
}
