// Package peers is the side-by-side peer benchmark: the same statements
// proved by zkinfer (gnark Groth16, through the library's public API) and by
// snarkjs Groth16 on equivalent circom circuits, plus a dense-layer cost
// comparison and a probe of EZKL's npm engine (@ezkljs/engine).
//
// Run it from the repository root with
//
//	bash benchmarks/peers/run.sh          # results → benchmarks/results/peers.md
//	bash benchmarks/peers/run.sh --quick  # tiny sizes, about a minute
//
// run.sh installs the npm packages pinned in package-lock.json (snarkjs,
// circom2, circomlib, @ezkljs/engine) and runs cmd/zkpeers, which calls
// snark.mjs (one subcommand per node process) for the JavaScript side.
//
// What is compared:
//
//   - Groth16 core: a chain of 2^k − 8 squarings, the same R1CS size on both
//     sides, gnark's prover against snarkjs's.
//   - The model: an int8 MLP built and quantized by zkinfer (MLP), proved by
//     prover.Compile/SetupDev/Prove with fixed weights and public input and
//     output, and by snarkjs on MLPCircom, a circom circuit of the same
//     integer forward pass whose output is checked bit for bit against
//     zkinfer's reference.
//   - Dense-layer cost: R1CS constraints of linear.Dense (constant weights)
//     and linear.DenseWitness (witness weights) against a circom dense layer
//     with the weights as signals (DenseSignalsCircom).
//
// Proving is timed in interleaved rounds whose order alternates, with the
// load average recorded, and reported as ratios (min and median). The circom
// templates are written here by hand: circomlib has no fixed-point
// requantization.
//
// TestQuickRun runs everything at tiny sizes when node_modules is installed
// and skips otherwise, so `go test ./...` in CI only compiles the Go side and
// runs TestSources.
package peers
