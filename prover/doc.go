// Package prover compiles model circuits, runs the setup, and proves
// inferences with Groth16 or PLONK over BN254.
//
// # Setup
//
// SetupDev is a single-party setup: the machine that runs it knows the toxic
// waste and could forge proofs for the circuit. It exists for development and
// is labelled unsafe in every key it writes; production keys come from an MPC
// ceremony (a later issue).
//
// # Artifacts
//
// Circuits and keys are written as one file each: a line "zkinfer", a JSON
// header line (format, circuit digest, how the key was made, SHA-256 of the
// payload), then gnark's binary encoding. The header can be read with
// `head -2`; readers reject unknown formats and payloads whose digest does not
// match. Writes are atomic (temporary file + rename).
package prover
