package ops_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/graph"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx"
)

// Every zoo export the layer-graph importer takes compiles, and its circuit
// accepts exactly the integer reference's output on the zoo's input (an
// output off by one is rejected). The log compares each compiled count with
// the ops' estimate (quant.Graph.Cost, what inspect shows).
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
		a, err := graph.Assignment(m, tr, publicIO, modelio.Salts{})
		if err != nil {
			t.Fatal(err)
		}
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
		io := quant.ShapeSize(m.InputShape()) + quant.ShapeSize(m.OutputShape())
		t.Logf("%-22s %6d R1CS constraints (public input and output: %d values), estimate %6d", name, ccs.GetNbConstraints(), io, m.Graph.Cost().R1CS)
		n++
	}
	if n < 128 {
		t.Errorf("%d zoo models compiled, want at least 128", n)
	}
}
