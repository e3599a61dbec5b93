package onnx_test

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx"
	"github.com/zkinfer/zkinfer/quant/onnx/onnxpb"
)

// zooSample is one sample of a zoo model for the float graph g: the zoo's
// input_data holds one sample for a graph of one input, and one flattened
// array per input (EZKL's form) for several, which a sample concatenates.
func zooSample(g *quant.FloatGraph, inputData [][]float64) []float64 {
	if len(g.Inputs) == 1 {
		return inputData[0]
	}
	var x []float64
	for _, in := range inputData {
		x = append(x, in...)
	}
	return x
}

// The zoo's multi-input, multi-output and integer-input exports import as
// graphs with several inputs and outputs and index inputs; their input
// files parse as EZKL's (one array per input), the quantized graph follows
// torch's outputs.
func TestGraphZooIO(t *testing.T) {
	z := readZoo(t)
	want := map[string]struct {
		inputs, outputs int
		kinds           string // dtypes of the quantized inputs
	}{
		"two_inputs_op13":     {2, 1, "int8 int8"},
		"two_inputs_op13_dyn": {2, 1, "int8 int8"},
		"two_outputs_op13":    {1, 2, "int8"},
		"two_in_two_out_op13": {2, 2, "int8 int8"},
		"int64_input_op13":    {1, 1, "index[0,15]"},
		"mixed_dtypes_op13":   {3, 1, "int8 index[0,9] bool"},
	}
	seen := 0
	for _, m := range z.Models {
		name := strings.TrimSuffix(m.File, ".onnx")
		w, ok := want[name]
		if !ok {
			continue
		}
		seen++
		t.Run(name, func(t *testing.T) {
			data, err := quant.ReadFileLimited(filepath.Join(zooDir, m.File), quant.MaxModelFileSize)
			if err != nil {
				t.Fatal(err)
			}
			fm, _, err := onnx.ParseGraph(data, onnx.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(fm.Graph.Inputs) != w.inputs || len(fm.Graph.Outputs) != w.outputs {
				t.Fatalf("%d inputs and %d outputs, want %d and %d", len(fm.Graph.Inputs), len(fm.Graph.Outputs), w.inputs, w.outputs)
			}
			// The zoo's own input file, read as zkinfer reads input files.
			raw, err := quant.ReadFileLimited(filepath.Join(zooDir, name+".input.json"), quant.MaxJSONFileSize)
			if err != nil {
				t.Fatal(err)
			}
			in, err := quant.ParseInput(raw, fm.Config)
			if err != nil {
				t.Fatal(err)
			}
			if len(in.InputData) != 1 {
				t.Fatalf("%d samples, want 1", len(in.InputData))
			}
			s, err := quant.Calibrate(fm, in.InputData)
			if err != nil {
				t.Fatal(err)
			}
			qm, err := quant.Quantize(fm, s)
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, p := range qm.InputParts() {
				switch {
				case p.DType == quant.DTypeIndex:
					kinds = append(kinds, fmt.Sprintf("index[%d,%d]", p.Lo, p.Hi))
				case p.IsBool():
					kinds = append(kinds, "bool")
				default:
					kinds = append(kinds, "int8")
				}
			}
			if got := strings.Join(kinds, " "); got != w.kinds {
				t.Errorf("inputs %q, want %q", got, w.kinds)
			}
			x, err := qm.QuantizeInput(in.InputData[0])
			if err != nil {
				t.Fatal(err)
			}
			tr, err := qm.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			got := qm.OutputValues(tr)
			var ref []float64
			for _, o := range m.OutputData {
				ref = append(ref, o...)
			}
			if len(got) != len(ref) {
				t.Fatalf("%d output values, torch has %d", len(got), len(ref))
			}
			mag, worst := 0.0, 0.0
			for k := range ref {
				mag = math.Max(mag, math.Abs(ref[k]))
				worst = math.Max(worst, math.Abs(got[k]-ref[k]))
			}
			if worst > 0.1*math.Max(mag, 1) {
				t.Errorf("integer outputs off torch's by %v (magnitude %v)", worst, mag)
			}
		})
	}
	if seen != len(want) {
		t.Fatalf("%d of the %d models are in the zoo", seen, len(want))
	}
}

// Integer inputs are accepted as embedding ids, OneHot and GatherElements
// indices and Equal operands only; the refusal names the input and the
// node.
func TestIntegerInputRefusals(t *testing.T) {
	data, err := quant.ReadFileLimited(filepath.Join(zooDir, "int64_equal_op13.onnx"), quant.MaxModelFileSize)
	if err != nil {
		t.Fatal(err)
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(data, &mp); err != nil {
		t.Fatal(err)
	}
	for _, n := range mp.GetGraph().GetNode() {
		if n.GetOpType() == "Equal" {
			n.OpType = proto.String("Less")
		}
	}
	if data, err = proto.Marshal(&mp); err != nil {
		t.Fatal(err)
	}
	_, _, err = onnx.ParseGraph(data, onnx.Options{})
	if err == nil || !errors.Is(err, quant.ErrValidation) || !strings.Contains(err.Error(), `integer input "ids" feeds node 1 "/Equal" (op Less)`) {
		t.Fatalf("int64 ids into Less: %v", err)
	}
}
