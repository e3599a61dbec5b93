// Package demo defines the model `zkinfer demo` proves: two GPT-2 decoder
// blocks and the final LayerNorm with random weights from a fixed seed, in
// the real GPT-2 layout. Write makes its files (weights, config, one input,
// calibration samples) at run time, the same bytes on every machine, so the
// demo needs no repository checkout; testdata/demo holds a copy for the
// README's stage-by-stage commands and the benchmarks, and a test keeps the
// two identical.
package demo

import "github.com/zkinfer/zkinfer/quant"

// Model is the demo model: d_model 64, 4 heads, d_hidden 256, 8 tokens.
var Model = quant.Config{
	Architecture:     quant.ArchitectureGPT2,
	DModel:           64,
	DHidden:          256,
	SeqLen:           8,
	NHead:            4,
	NLayer:           2,
	Activation:       quant.ActivationGELU,
	LayerNormEpsilon: 1e-5,
	FinalLayerNorm:   true,
}

// Tiny is a one-block GPT-2 of the same kind, small enough that the whole
// demo pipeline runs in a few seconds: the CLI tests run the demo on it.
var Tiny = quant.Config{
	Architecture:     quant.ArchitectureGPT2,
	DModel:           8,
	DHidden:          16,
	SeqLen:           2,
	NHead:            2,
	NLayer:           1,
	Activation:       quant.ActivationGELU,
	LayerNormEpsilon: 1e-5,
	FinalLayerNorm:   true,
}

const (
	// Seed derives the weights (Seed), the input (Seed+1) and the
	// calibration samples (Seed+2).
	Seed = 2026
	// CalibrationSamples is the number of samples in calibration.json.
	CalibrationSamples = 32
)

// Write writes the model of shape cfg (Model or Tiny) into dir as
// quant.ExampleWeights, quant.ExampleConfig, quant.ExampleInput and
// quant.ExampleCalibration.
func Write(dir string, cfg quant.Config) error {
	return quant.WriteExample(dir, cfg, Seed, CalibrationSamples)
}
