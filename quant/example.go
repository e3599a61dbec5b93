package quant

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
)

// Names of the files WriteExample writes.
const (
	ExampleWeights     = "model.safetensors"
	ExampleConfig      = "config.json"
	ExampleInput       = "input.json"
	ExampleCalibration = "calibration.json"
)

// WriteExample writes a random model of shape cfg (RandomModel(cfg, seed)),
// its config, one input and calibration samples into dir. The demo model, the
// CLI tests and the benchmarks are made with it; the same arguments give the
// same bytes.
func WriteExample(dir string, cfg Config, seed uint64, calibrationSamples int) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	weights, err := EncodeSafetensors(RandomModel(cfg, seed))
	if err != nil {
		return err
	}
	config, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	files := map[string][]byte{ExampleWeights: weights, ExampleConfig: append(config, '\n')}
	for name, samples := range map[string][][]float64{
		ExampleInput:       RandomSamples(cfg, 1, seed+1),
		ExampleCalibration: RandomSamples(cfg, calibrationSamples, seed+2),
	} {
		for _, s := range samples {
			for i, v := range s {
				s[i] = math.Round(v*1e4) / 1e4 // four decimals keep the files readable
			}
		}
		b, err := json.Marshal(Input{InputData: samples})
		if err != nil {
			return err
		}
		files[name] = append(b, '\n')
	}
	for name, data := range files {
		if err := WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
