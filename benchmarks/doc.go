// Package benchmarks measures zkinfer's pipeline on the demo model and on
// GPT-2-sized layers.
//
// # The harness
//
// One command measures GPT-2-shaped models with random weights and real
// shapes and records the figures in benchmarks/results/ (harness.json,
// harness.csv, harness-vs-seq.svg, harness-vs-width.svg):
//
//	go run ./benchmarks/cmd/zkbench --help
//	go run ./benchmarks/cmd/zkbench                               # constraint counts, every preset
//	go run ./benchmarks/cmd/zkbench --configs demo,block-s1 --stages count,prove,gas
//
// Per configuration it records R1CS constraints with a breakdown by
// sub-layer, SCS (PLONK) constraints, compile / dev setup / witness solve /
// prove / verify times, peak Go heap and RSS, proof size, public inputs,
// verify gas of the generated Solidity verifier on the simulated chain, and
// the floor: gnark-crypto's bare G1 and G2 MSMs and FFTs at the sizes
// Groth16's prover uses for that circuit, timed in the same process, with the
// ratio prove / floor. The code is in benchmarks/harness (the library) and
// benchmarks/cmd/zkbench (flags only); TestRunTiny keeps it green in CI.
//
// # go test benchmarks
//
// The benchmarks of this package measure narrower questions (ffn blocks,
// backends, ceremonies, verify gas variants, GPU). Run from the repository
// root:
//
//	go test ./benchmarks -run '^$' -bench . -benchtime 1x
//
// Each benchmark reports constraints, compile and setup time (once), prove
// time (per op), the peak Go heap while proving and the process's peak RSS.
// Recorded results live in benchmarks/results/; benchmarks/NOTES.md keeps
// what each performance change predicted and measured.
package benchmarks
