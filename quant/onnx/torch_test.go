package onnx_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx"
)

// torchDir holds real torch.onnx.export files and torch's float outputs,
// written by its export_torch.py (the tests need no Python).
var torchDir = filepath.Join("..", "..", "testdata", "onnx")

type torchOutputs struct {
	Torch  string `json:"torch"`
	ONNX   string `json:"onnx"`
	Models map[string]struct {
		Opset   int  `json:"opset"`
		Dynamic bool `json:"dynamic"`
		Runs    []struct {
			SeqLen int       `json:"seq_len"`
			Input  []float64 `json:"input"`
			Output []float64 `json:"output"`
		} `json:"runs"`
	} `json:"models"`
}

// torchTolerance bounds |ours − torch's| on the torch exports: the importer
// computes in float64 from the float32 weights, torch in float32, so the
// outputs (of magnitude ~1–5) agree to float32 rounding.
const torchTolerance = 1e-5

// The real exports import (the sequence length from the input's size), the
// imported float model computes torch's outputs, and the integer reference
// tracks the float model within the quantization error the other importer
// tests allow.
func TestTorchExports(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(torchDir, "torch_outputs.json"))
	if err != nil {
		t.Fatal(err)
	}
	var outs torchOutputs
	if err := json.Unmarshal(data, &outs); err != nil {
		t.Fatal(err)
	}
	if len(outs.Models) != 5 {
		t.Fatalf("%d exports, want 5", len(outs.Models))
	}
	want := map[string]string{
		"ffn_op13_dyn.onnx":               "ffn relu 1",
		"gpt2_conv1d_tanh_op13_dyn.onnx":  "gpt2 gelu 1",
		"gpt2_conv1d_tanh_op14.onnx":      "gpt2 gelu 2",
		"gpt2_linear_erf_op17_dyn.onnx":   "gpt2 gelu_erf 2",
		"gpt2_linear_torchtanh_op13.onnx": "gpt2 gelu 1",
	}
	for name, mo := range outs.Models {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(torchDir, name)
			for _, run := range mo.Runs {
				fm, err := onnx.Load(path, onnx.Options{InputValues: len(run.Input)})
				if err != nil {
					t.Fatalf("seq %d: %v", run.SeqLen, err)
				}
				c := fm.Config
				if got := fmt.Sprintf("%s %s %d", c.Architecture, c.Activation, max(c.NLayer, 1)); got != want[name] || c.SeqLen != run.SeqLen || c.DModel != 16 || c.DHidden != 64 {
					t.Fatalf("seq %d: config %+v, want %s", run.SeqLen, c, want[name])
				}
				var got []float64
				if c.Architecture == quant.ArchitectureGPT2 {
					tr, err := fm.ForwardGPT2(run.Input)
					if err != nil {
						t.Fatal(err)
					}
					got = tr.Final.RawMatrix().Data
				} else {
					tr, err := fm.Forward(run.Input)
					if err != nil {
						t.Fatal(err)
					}
					got = tr.Output.RawMatrix().Data
				}
				worst := 0.0
				for i, v := range got {
					worst = math.Max(worst, math.Abs(v-run.Output[i]))
				}
				t.Logf("%s seq %d: max |ours − torch| = %.2g", name, run.SeqLen, worst)
				if worst > torchTolerance {
					t.Fatalf("seq %d: the imported model is %.3g off torch's output", run.SeqLen, worst)
				}
				samples := append(quant.RandomSamples(c, 16, 7), run.Input)
				scales, err := quant.Calibrate(fm, samples)
				if err != nil {
					t.Fatal(err)
				}
				qm, err := quant.Quantize(fm, scales)
				if err != nil {
					t.Fatal(err)
				}
				rep, err := quant.Accuracy(fm, qm, [][]float64{run.Input})
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range rep.Layers {
					if l.Rel > 0.15 {
						t.Errorf("seq %d: layer %s off by %.1f%%", run.SeqLen, l.Layer, 100*l.Rel)
					}
				}
				last := rep.Layers[len(rep.Layers)-1]
				t.Logf("%s seq %d: integer vs float, %s: max abs %.3g (%.1f%%)", name, run.SeqLen, last.Layer, last.MaxAbs, 100*last.Rel)
			}
		})
	}
	// Real exports that are not what the circuits compute are rejected, saying why.
	for name, want := range map[string]string{
		"rejected_silu_op13.onnx":   `node 2 "/Sigmoid" (op Sigmoid): invalid input: op type Sigmoid is not supported`,
		"rejected_nomask_op14.onnx": "has the layers of a 1-block GPT-2 stack but does not compute one",
	} {
		if _, err := onnx.Load(filepath.Join(torchDir, name), onnx.Options{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", name, err, want)
		}
	}
	// The fixed-length export refuses another length.
	if _, err := onnx.Load(filepath.Join(torchDir, "gpt2_conv1d_tanh_op14.onnx"), onnx.Options{SeqLen: 6}); err == nil {
		t.Fatal("a fixed sequence length of 4 imported at 6")
	}
}
