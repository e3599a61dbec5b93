package onnx_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx"
)

var lmDir = filepath.Join("..", "..", "testdata", "onnx", "lm")

// lmSample is an export's input.json: the sample at the export's length
// and torch's float outputs for it.
type lmSample struct {
	InputData  [][]float64 `json:"input_data"`
	OutputData [][]float64 `json:"output_data"`
}

func readLM(t *testing.T, name string, seq int) (*quant.FloatModel, lmSample) {
	t.Helper()
	data, err := quant.ReadFileLimited(filepath.Join(lmDir, name+".onnx"), quant.MaxModelFileSize)
	if err != nil {
		t.Fatal(err)
	}
	fm, _, err := onnx.ParseGraph(data, onnx.Options{SeqLen: seq})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := quant.ReadFileLimited(filepath.Join(lmDir, name+".input.json"), quant.MaxJSONFileSize)
	if err != nil {
		t.Fatal(err)
	}
	var s lmSample
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	return fm, s
}

// lmCalibration returns n random samples of token ids (and token types for
// a second input) for fm, plus the export's own sample.
func lmCalibration(rng *rand.Rand, fm *quant.FloatModel, own []float64, n int) [][]float64 {
	cal := [][]float64{own}
	for range n {
		var x []float64
		for _, in := range fm.Graph.InputSpecs {
			hi := in.Hi
			for range quant.ShapeSize(in.Shape) {
				x = append(x, float64(rng.Int64N(hi+1)))
			}
		}
		cal = append(cal, x)
	}
	return cal
}

func TestLMExportsImport(t *testing.T) {
	for _, c := range []struct {
		name string
		seq  int
	}{{"nanogpt_op14", 8}, {"llama_op14", 8}, {"bert_op14", 0}} {
		t.Run(c.name, func(t *testing.T) {
			fm, s := readLM(t, c.name, c.seq)
			var own []float64
			for _, in := range s.InputData {
				own = append(own, in...)
			}
			cal := lmCalibration(rand.New(rand.NewPCG(15, 1)), fm, own, 32)
			st, err := quant.Calibrate(fm, cal)
			if err != nil {
				t.Fatal(err)
			}
			m, err := quant.Quantize(fm, st)
			if err != nil {
				t.Fatal(err)
			}
			x, err := m.QuantizeInput(own)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := m.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			got, ref := m.OutputValues(tr), s.OutputData[0]
			worst, mag := 0.0, 0.0
			for k := range ref {
				mag = math.Max(mag, math.Abs(ref[k]))
				worst = math.Max(worst, math.Abs(got[k]-ref[k]))
			}
			t.Logf("%s: %d nodes, estimate %d R1CS; integer vs torch: worst %.3f (magnitude %.3f)", c.name, len(m.Graph.Nodes), m.Graph.Cost().R1CS, worst, mag)
		})
	}
}
