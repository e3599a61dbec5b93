// Command zkinfer proves that a quantized model produced an output from an
// input, and verifies such proofs offline or on an EVM chain.
package main

import "os"

func main() {
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}
