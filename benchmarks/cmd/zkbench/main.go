// Command zkbench measures zkinfer's circuits on GPT-2-shaped models with
// random weights: constraints by sub-layer, compile / setup / witness /
// prove / verify times, peak memory, proof size, verify gas, and gnark's bare
// MSM+FFT floor for the same circuit. Results accumulate, by configuration
// name, in harness.json and harness.csv, and are drawn as SVG plots.
//
//	go run ./benchmarks/cmd/zkbench --help
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := newApp().Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "zkbench: error:", err)
		os.Exit(1)
	}
}
