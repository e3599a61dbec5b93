package quant

import "math"

// Int8 bounds of activations and weights.
const (
	Int8Min = -128
	Int8Max = 127
)

// Int32 bounds of biases (held at accumulator scale).
const (
	Int32Min = math.MinInt32
	Int32Max = math.MaxInt32
)

// Clamp saturates v into [lo, hi].
func Clamp(v, lo, hi int64) int64 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// RoundingTerm is the constant added before the shift so that the floor
// division rounds half up: 2^(s-1), or 0 when s is 0.
func RoundingTerm(shift uint) int64 {
	if shift == 0 {
		return 0
	}
	return int64(1) << (shift - 1)
}

// DivPow2 splits p = q·2^s + r with 0 ≤ r < 2^s (floor division, also for
// negative p). It is the relation the circuit checks for the hinted q.
func DivPow2(p int64, shift uint) (q, r int64) {
	q = p >> shift
	r = p - q<<shift
	return q, r
}

// RequantizeUnclamped returns floor((acc·m + 2^(s-1)) / 2^s): the value before
// saturation.
func RequantizeUnclamped(acc, mult int64, shift uint) int64 {
	q, _ := DivPow2(acc*mult+RoundingTerm(shift), shift)
	return q
}

// Requantize returns clamp(floor((acc·m + 2^(s-1)) / 2^s), lo, hi).
func Requantize(acc, mult int64, shift uint, lo, hi int64) int64 {
	return Clamp(RequantizeUnclamped(acc, mult, shift), lo, hi)
}

// ReLU returns max(v, 0).
func ReLU(v int64) int64 {
	if v < 0 {
		return 0
	}
	return v
}

// QuantizeValue maps a real value to the int8 grid of scale 2^-frac,
// rounding half away from zero and saturating.
func QuantizeValue(r float64, frac int) int64 {
	v := math.Round(math.Ldexp(r, frac))
	if math.IsNaN(v) {
		return 0
	}
	if v < Int8Min {
		return Int8Min
	}
	if v > Int8Max {
		return Int8Max
	}
	return int64(v)
}

// DequantizeValue maps q back to the real value q·2^-frac.
func DequantizeValue(q int64, frac int) float64 {
	return math.Ldexp(float64(q), -frac)
}
