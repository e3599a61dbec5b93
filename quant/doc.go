// Package quant is the source of truth for zkinfer's integer semantics.
//
// It loads a float model, calibrates fixed-point scales on sample inputs,
// quantizes the weights, and runs the integer reference forward pass whose
// every intermediate the circuits in package circuits constrain bit for bit.
//
// # Fixed point
//
// A real value r is held as an integer q with r ≈ q·2^-f, where f (the
// "frac" of a tensor) is chosen by calibration. Activations are int8
// ([-128, 127]); weights are int8, symmetric, with one real scale per output
// channel; biases are held at the accumulator scale (int32, saturating).
//
// # Requantization
//
// An accumulator acc of output channel c is brought back to int8 with an
// integer multiplier m_c and a per-layer shift s:
//
//	q = clamp(floor((acc·m_c + 2^(s-1)) / 2^s), lo, hi)
//
// i.e. rounding half up (towards +∞). Values out of range saturate, as int8
// runtimes do, so a valid input is always provable. When a layer is followed
// by ReLU, lo is 0: ReLU after an int8 requantization is exactly a clamp at
// zero, and fusing the two costs the circuit nothing.
//
// # Feed-forward block
//
// The block computes, for every token vector x of the sequence,
//
//	h = requant(W1ᵀ·x + b1) with ReLU fused   (scale 2^-HiddenFrac)
//	r = requant(W2ᵀ·h + b2)                   (scale 2^-StreamFrac)
//	y = clamp(x + r, -128, 127)               (residual add, saturating)
//
// Weights use the GPT-2 Conv1D layout: W[in][out].
package quant
