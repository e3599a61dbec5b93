package quant

import "math/bits"

// Per-row reciprocal softmax (the "recip" semantics of the softmax,
// masked_softmax and attention ops, opt-in per node).
//
// A row of n logits (already in the logit range) gives, as SoftmaxRow, the
// max m, E_j = ExpTable[m − l_j] ∈ [0, 2^ExpBits] and S = Σ_j E_j ≥ 2^ExpBits
// (the max's entry is ExpTable[0] = 2^ExpBits). Then, at output fraction F:
//
//	t   = RecipShift(n) = ExpBits + RecipGuard + bitlen(n)
//	N   = (2^(F+1) − 1)·2^(t−1) − 1
//	R   = floor(N / S)                                  (once per row)
//	out_j = floor((E_j·R + 2^(t−1)) / 2^t)              (per element)
//
// Bound, without a clamp: R·S ≤ N and E_j ≤ S give E_j·R ≤ N, so
// out_j ≤ floor((N + 2^(t−1)) / 2^t) = floor((2^(F+t) − 1) / 2^t) = 2^F − 1:
// int8 [0, 127] at F = 7, [0, 4095] at F = ProbFrac. out_j ≈ (2^F − ½)·E_j/S
// rounded: the scale is 1 − 2^−(F+1) of the exact one (½ unit at p = 1,
// where the old int8 softmax saturates at 127 too).
//
// Precision: S ≤ n·2^ExpBits < 2^(ExpBits+bitlen(n)), so R > 2^(F+1) and
// the floor of R costs an element at most E_j/2^t ≤ 2^−(RecipGuard+bitlen(n))
// ≤ 1/8 unit (always downwards); with the scale (≤ ½ unit, at p = 1) and
// the final rounding (½ unit), |out_j − 2^F·E_j/S| < 1.125 units. The shift
// grows with the row so that long flat rows keep R's precision (a fixed t
// would leave R ≈ 2^(F+t)/(n·2^16): a few bits at long rows, a relative
// error of percents on every element). Measured on random and extreme
// rows (TestSoftmaxRecipAccuracy, 10-bit logits at frac 5): max |p − float
// softmax| 1.00 unit at frac 7 (as the division then int8
// requantization), 1.00 unit at frac 12 (the division: 0.52); see
// benchmarks/NOTES.md 2026-12-01 "per-row reciprocal softmax".
//
// In a circuit: one hinted division per row (R·S + ρ = N, 0 ≤ ρ < S, R
// bounded), then per element one product E_j·R, one remainder of t bits
// (two range-check limbs at base 15 for rows up to 4,095) and one bound
// check of out_j, instead of SoftmaxRow's division per element (the
// quotient's check, two remainders of 17 + bitlen(n) bits, the product
// q·2S). A shift of one 15-bit limb would save one more constraint per
// element but, with 16-bit exps, leave R a few bits on long rows.
//
// RecipGuard is the shift's margin over ExpBits + bitlen(n): the floor of R
// costs at most 2^−RecipGuard units.
const RecipGuard = 2

// RecipShift returns t for a row of n ≥ 1 values.
func RecipShift(n int) uint {
	return uint(ExpBits + RecipGuard + bits.Len(uint(n)))
}

// RecipNumerator returns N = (2^(frac+1) − 1)·2^(t−1) − 1.
func RecipNumerator(frac int, t uint) int64 {
	return (int64(1)<<(frac+1)-1)<<(t-1) - 1
}

// RecipBits returns the bit bounds of a row of n values at frac: R < 2^r
// (R ≤ N/2^ExpBits) and S < 2^den.
func RecipBits(n, frac int) (r, den int) {
	t := RecipShift(n)
	return bits.Len64(uint64(RecipNumerator(frac, t) >> ExpBits)), ExpBits + bits.Len(uint(n))
}

// SoftmaxRecipRow returns the probabilities of one row at fraction frac by
// the per-row reciprocal (see RecipShift), and R.
func SoftmaxRecipRow(logits, expTable []int64, frac int) (probs []int64, r int64) {
	mx := logits[0]
	for _, l := range logits[1:] {
		mx = max(mx, l)
	}
	exps := make([]int64, len(logits))
	var sum int64
	for j, l := range logits {
		exps[j] = expTable[mx-l]
		sum += exps[j]
	}
	t := RecipShift(len(logits))
	r = RecipNumerator(frac, t) / sum
	probs = make([]int64, len(logits))
	for j, e := range exps {
		probs[j] = (e*r + int64(1)<<(t-1)) >> t
	}
	return probs, r
}
