// Package harness measures zkinfer circuits of GPT-2-shaped models with
// random weights: the library behind benchmarks/cmd/zkbench.
//
// # What is measured
//
// Run builds a model of a Config (quant.RandomModel, calibrated and
// quantized like a real one), compiles its circuit with prover.Compile and,
// per the Stages asked for:
//
//   - count: R1CS constraints, and a breakdown by sub-layer (Breakdown): each
//     sub-layer of a block is compiled on its own through the same exported
//     gadget functions the gpt2 circuit calls, so each carries its share of
//     range-check and lookup overhead; an entry RestPart reconciles the parts
//     with the whole count (io binding, minus the overheads the parts paid
//     separately).
//   - scs: SCS (PLONK) constraints.
//   - prove: Groth16 dev setup, witness (assignment and a bare solve), prove,
//     verify, proof size, the prover's peak heap, and the floor
//     (MeasureFloor): the G1 MSMs (A, B, K, Z, Pedersen commitments), the G2
//     MSM (B) and the seven FFTs of gnark's Groth16 prover, on the proving
//     key's bases with random scalars, each on all cores, one after another.
//     The prover overlaps some of them, and its wire values are mostly small,
//     which MSMs exploit; so prove / floor can be below 1.
//   - gas: the Solidity verifier deployed on the simulated chain, gas of one
//     verifyProof transaction (needs npm ci --prefix contracts).
//
// Large models can be counted without compiling them whole: by extrapolation
// from their 1- and 2-block versions (Options.ExtrapolateAbove) or as the
// sum of their sub-layers (Options.SumParts); both are marked as estimates.
//
// # Results
//
// Results merge by configuration name (Merge) into harness.json (versioned)
// and harness.csv, so that partial runs accumulate; a changed circuit (a new
// count) drops the old figures of that configuration. Every row records the
// machine, the load average before and after, and whether the machine was
// contended. Plot draws constraints and prove time against sequence length
// and against width as SVG.
package harness
