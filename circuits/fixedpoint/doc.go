// Package fixedpoint constrains zkinfer's fixed-point primitives.
//
// # Requantization
//
// For an accumulator acc (any linear expression), a constant multiplier m and
// shift s, Requantize returns out = clamp(floor((acc·m + 2^(s-1)) / 2^s), lo, hi),
// the relation quant.Requantize computes. The quotient q comes from a hint and is
// pinned by
//
//	r = acc·m + 2^(s-1) − q·2^s,  0 ≤ r < 2^s        (range check of r)
//
// together with the clamp's range checks, which bound q to an interval far
// smaller than the field, so q is the unique floor quotient.
//
// # Clamp
//
// Clamp(v, lo, hi) takes two hinted selector bits cL (v < lo) and cH (v > hi)
// and checks, with a = v − lo and b = hi − v,
//
//	cL, cH ∈ {0, 1}
//	a − cL·(2a + 1) ∈ [0, 2^bits)      (cL = 1 ⇒ a < 0, cL = 0 ⇒ a ≥ 0)
//	b − cH·(2b + 1) ∈ [0, 2^bits)      (cH = 1 ⇒ b < 0, cH = 0 ⇒ b ≥ 0)
//	out = v − cL·a + cH·b
//
// Both selectors are thereby determined by v, and out is lo, hi or v. In R1CS
// the products cL·a and cH·b are the only multiplications: 4 constraints plus
// two range checks per clamped value.
package fixedpoint
