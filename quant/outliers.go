package quant

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// Clamping reports the values of one input sample that lie outside the
// model's input format (int8 at the input fraction) and saturate when
// quantized. Saturating keeps every input provable, but a clamped value is
// not the value the user gave: callers report it (prove warns, or refuses
// with --strict).
type Clamping struct {
	// Count of the Total values clamped.
	Count int `json:"count"`
	Total int `json:"total"`
	// Largest is the clamped value of largest magnitude, at Index in the sample.
	Largest float64 `json:"largest"`
	Index   int     `json:"index"`
	// Min and Max are the real values the format holds: -128·2^-frac and
	// 127·2^-frac.
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
	Frac int     `json:"frac"`
}

// InputClamping reports which values of the sample x QuantizeInput clamps.
func (m *Model) InputClamping(x []float64) Clamping {
	f := m.InputFrac()
	c := Clamping{Total: len(x), Index: -1, Frac: f, Min: DequantizeValue(Int8Min, f), Max: DequantizeValue(Int8Max, f)}
	for i, v := range x {
		q := math.Round(math.Ldexp(v, f))
		if q >= Int8Min && q <= Int8Max {
			continue
		}
		c.Count++
		if c.Index < 0 || math.Abs(v) > math.Abs(c.Largest) {
			c.Largest, c.Index = v, i
		}
	}
	return c
}

// Outlier is a tensor whose largest magnitude over the calibration samples
// is far above the rest of its values: calibration fits the scale to that
// one value, and every other value of the tensor loses BitsLost bits of its
// int8 resolution (with a 1e30 in a sample, all of them: ~100 % error).
type Outlier struct {
	Tensor string `json:"tensor"`
	// Sample is the calibration sample (from 0) that holds the largest
	// magnitude, MaxAbs.
	Sample int     `json:"sample"`
	MaxAbs float64 `json:"max_abs"`
	// Percentile is (an upper bound of, within a factor 2) the
	// OutlierPercentile-th percentile of the tensor's magnitudes, the
	// largest value excluded.
	Percentile float64 `json:"percentile_abs"`
	BitsLost   int     `json:"bits_lost"`
}

// Outlier thresholds: a tensor is reported when its largest magnitude is at
// least 2^OutlierBits times its OutlierPercentile-th percentile, i.e. when
// values at that percentile keep at most 7 - OutlierBits bits.
const (
	OutlierPercentile = 99
	OutlierBits       = 4
)

// tensorStats accumulates, per named tensor, the largest magnitude (and its
// sample) and a histogram of the magnitudes' binary exponents: enough for a
// percentile within a factor 2, in memory independent of the sample count.
type tensorStats struct {
	names []string
	byKey map[string]*tensorStat
}

type tensorStat struct {
	max    float64
	sample int
	n      int
	zeros  int
	exps   map[int]int // binary exponent (math.Frexp) → count
}

func newTensorStats() *tensorStats { return &tensorStats{byKey: map[string]*tensorStat{}} }

func (s *tensorStats) stat(name string) *tensorStat {
	t, ok := s.byKey[name]
	if !ok {
		t = &tensorStat{exps: map[int]int{}}
		s.byKey[name] = t
		s.names = append(s.names, name)
	}
	return t
}

// add records the values of tensor name in calibration sample i.
func (s *tensorStats) add(name string, i int, vs []float64) {
	t := s.stat(name)
	for _, v := range vs {
		if !math.IsInf(v, 0) && !math.IsNaN(v) {
			t.addValue(i, v)
		}
	}
}

// addMatrix is add for a matrix.
func (s *tensorStats) addMatrix(name string, i int, m mat.Matrix) {
	t := s.stat(name)
	r, c := m.Dims()
	for a := 0; a < r; a++ {
		for b := 0; b < c; b++ {
			t.addValue(i, m.At(a, b))
		}
	}
}

func (t *tensorStat) addValue(sample int, v float64) {
	a := math.Abs(v)
	t.n++
	if a > t.max {
		t.max, t.sample = a, sample
	}
	if a == 0 {
		t.zeros++
		return
	}
	_, e := math.Frexp(a)
	t.exps[e]++
}

// outliers returns the tensors whose largest magnitude dominates their scale.
func (s *tensorStats) outliers() []Outlier {
	var out []Outlier
	for _, name := range s.names {
		t := s.byKey[name]
		if t.n < 2 || t.max == 0 {
			continue
		}
		// The rank of the percentile, at most n-1: the largest value is
		// what is judged, it cannot be its own reference.
		k := min(int(math.Ceil(float64(t.n)*OutlierPercentile/100)), t.n-1)
		p := 0.0
		if k > t.zeros {
			seen := t.zeros
			exps := make([]int, 0, len(t.exps))
			for e := range t.exps {
				exps = append(exps, e)
			}
			slices.Sort(exps)
			for _, e := range exps {
				seen += t.exps[e]
				if seen >= k {
					p = math.Ldexp(1, e) // every value with exponent e is below 2^e
					break
				}
			}
		}
		bits := math.Inf(1)
		if p > 0 {
			bits = math.Floor(math.Log2(t.max / p))
		}
		if bits < OutlierBits {
			continue
		}
		lost := int(min(bits, 7))
		out = append(out, Outlier{Tensor: name, Sample: t.sample, MaxAbs: t.max, Percentile: p, BitsLost: lost})
	}
	return out
}
