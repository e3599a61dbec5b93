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

// demoConfig is the bundled demo model: one GPT-2-style feed-forward block.
var demoConfig = quant.Config{
	Architecture: quant.ArchitectureFFN,
	DModel:       64,
	DHidden:      256,
	SeqLen:       4,
	Activation:   quant.ActivationReLU,
}

func main() {
	dir := flag.String("dir", filepath.Join("testdata", "demo"), "output directory")
	flag.Parse()
	if err := quant.WriteExample(*dir, demoConfig, 2026, 32); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
