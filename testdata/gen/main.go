// Command gen writes the demo model and its inputs into testdata/demo:
//
//	go run ./testdata/gen
//
// Everything is derived from fixed seeds, so the files are reproducible
// byte for byte.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/google/renameio/v2"

	"github.com/zkinfer/zkinfer/quant"
)

// DemoConfig is the bundled demo model: one GPT-2-style feed-forward block.
var DemoConfig = quant.Config{
	Architecture: quant.ArchitectureFFN,
	DModel:       64,
	DHidden:      256,
	SeqLen:       4,
	Activation:   quant.ActivationReLU,
}

func main() {
	dir := flag.String("dir", filepath.Join("testdata", "demo"), "output directory")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	weights, err := quant.EncodeSafetensors(quant.RandomModel(DemoConfig, 2026))
	if err != nil {
		return err
	}
	cfg, err := json.MarshalIndent(DemoConfig, "", "  ")
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"model.safetensors": weights,
		"config.json":       append(cfg, '\n'),
	}
	for name, samples := range map[string][][]float64{
		"input.json":       quant.RandomSamples(DemoConfig, 1, 1),
		"calibration.json": quant.RandomSamples(DemoConfig, 32, 2),
	} {
		for _, s := range samples {
			for i, v := range s {
				s[i] = math.Round(v*1e4) / 1e4 // four decimals keep the files readable
			}
		}
		b, err := json.Marshal(quant.Input{InputData: samples})
		if err != nil {
			return err
		}
		files[name] = append(b, '\n')
	}
	for name, data := range files {
		if err := renameio.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
