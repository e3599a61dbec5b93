// Package circuits holds zkinfer's gnark circuits. Each sub-package is one
// gadget family, constraining exactly the integer semantics that package
// quant defines:
//
//   - fixedpoint: requantization (hinted quotient, range-checked remainder,
//     saturation) and saturating clamps;
//   - linear: dense layers with constant weights, or witness weights
//     (hashed and public weight visibility);
//   - weights: a model's parameters as witnesses and the in-circuit model
//     commitment (quant.Commit recomputed with Poseidon2);
//   - activation: ReLU;
//   - ffn: the transformer feed-forward block circuit.
package circuits
