// Package circuits holds zkinfer's gnark circuits. Each sub-package is one
// gadget family, constraining exactly the integer semantics that package
// quant defines:
//
//   - fixedpoint: requantization (hinted quotient, range-checked remainder,
//     saturation) and saturating clamps;
//   - linear: dense layers with constant weights;
//   - activation: ReLU;
//   - ffn: the transformer feed-forward block circuit.
package circuits
