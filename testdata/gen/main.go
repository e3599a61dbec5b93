// Command gen writes the demo model and its inputs into testdata/demo:
//
//	go run ./testdata/gen
//
// Everything is derived from fixed seeds, so the files are reproducible
// byte for byte.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/zkinfer/zkinfer/quant"
)

// demoConfig is the bundled demo model: two GPT-2 decoder blocks and ln_f.
var demoConfig = quant.Config{
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

func main() {
	dir := flag.String("dir", filepath.Join("testdata", "demo"), "output directory")
	flag.Parse()
	if err := quant.WriteExample(*dir, demoConfig, 2026, 32); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
