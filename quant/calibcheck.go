package quant

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
)

// CalibrationWarning is a reason to distrust a calibration: the scales fit
// the calibration samples, and other inputs may saturate or lose precision
// with no sign of it in a valid proof.
type CalibrationWarning struct {
	// Kind is single_sample, identical_samples, constant_samples,
	// too_few_for_heldout, heldout_saturates, heldout_low_precision or
	// non_finite.
	Kind string `json:"kind"`
	// Tensor names the tensor of the held-out checks.
	Tensor  string `json:"tensor,omitempty"`
	Message string `json:"message"`
}

// Thresholds of the held-out checks.
const (
	// HeldOutSaturation is the fraction of a tensor's held-out values at
	// ±127/−128 above which calibration is said to saturate.
	HeldOutSaturation = 0.01
	// MinSignificantBits: a tensor whose held-out magnitudes stay below
	// 2^MinSignificantBits uses too few of int8's bits.
	MinSignificantBits = 4
)

// CheckCalibration looks for degenerate calibration sets: a single sample,
// identical or constant samples, and — holding out the last quarter of the
// samples (at least 4 are needed), calibrating on the rest and running the
// integer model on the held-out ones — tensors that saturate or use fewer
// than MinSignificantBits bits. The held-out checks cover the input, the
// output and, in a layer graph, every value.
func CheckCalibration(fm *FloatModel, samples [][]float64) ([]CalibrationWarning, error) {
	var out []CalibrationWarning
	n := len(samples)
	if n == 0 {
		return nil, fmt.Errorf("%w: calibration needs at least one sample", ErrValidation)
	}
	if n == 1 {
		out = append(out, CalibrationWarning{Kind: "single_sample", Message: "calibration uses 1 sample: the scales fit that sample only, other inputs may saturate or lose precision (give 16 or more representative samples)"})
	}
	identical, constant := n > 1, true
	for _, s := range samples {
		identical = identical && slices.Equal(s, samples[0])
		for _, v := range s {
			if v != s[0] {
				constant = false
				break
			}
		}
	}
	if identical {
		out = append(out, CalibrationWarning{Kind: "identical_samples", Message: fmt.Sprintf("the %d calibration samples are identical: calibration sees one input", n)})
	}
	if constant {
		out = append(out, CalibrationWarning{Kind: "constant_samples", Message: "every calibration sample holds one value repeated: the scales fit no real input"})
	}
	if fm.Graph != nil {
		out = append(out, nonFinite(fm.Graph, samples)...)
	}
	if n < 4 {
		if n > 1 {
			out = append(out, CalibrationWarning{Kind: "too_few_for_heldout", Message: fmt.Sprintf("%d samples: too few to check the scales on held-out samples (4 or more)", n)})
		}
		return out, nil
	}
	k := n - max(1, n/4)
	s, err := Calibrate(fm, samples[:k])
	if err != nil {
		return nil, err
	}
	m, err := Quantize(fm, s)
	if err != nil {
		return nil, err
	}
	type stat struct {
		name       string
		sat, total int
		maxAbs     int64
	}
	var stats []*stat
	add := func(i int, name string, vals []int64) {
		if i >= len(stats) {
			stats = append(stats, &stat{name: name})
		}
		st := stats[i]
		for _, v := range vals {
			if v >= Int8Max || v <= Int8Min {
				st.sat++
			}
			st.maxAbs = max(st.maxAbs, abs64(v))
		}
		st.total += len(vals)
	}
	for _, x := range samples[k:] {
		xq, err := m.QuantizeInput(x)
		if err != nil {
			return nil, err
		}
		tr, err := m.Forward(xq)
		if err != nil {
			return nil, err
		}
		if m.Graph != nil {
			for id, v := range m.Graph.Values {
				add(id, v.Name, tr.Values[id])
			}
			continue
		}
		add(0, "input", Flatten(tr.X))
		add(1, "output", Flatten(tr.Y))
	}
	var sat, low []CalibrationWarning
	for _, st := range stats {
		if st.total == 0 {
			continue
		}
		if frac := float64(st.sat) / float64(st.total); frac > HeldOutSaturation {
			sat = append(sat, CalibrationWarning{Kind: "heldout_saturates", Tensor: st.name,
				Message: fmt.Sprintf("%s: %.1f %% of its values saturate on the %d held-out samples (calibrated on the other %d): the scale is too fine for inputs beyond the calibration set", st.name, 100*frac, n-k, k)})
		}
		if b := bits.Len64(uint64(st.maxAbs)); st.maxAbs > 0 && b < MinSignificantBits {
			low = append(low, CalibrationWarning{Kind: "heldout_low_precision", Tensor: st.name,
				Message: fmt.Sprintf("%s: held-out values stay within ±%d: %d significant bits of int8's 7, fewer than %d", st.name, st.maxAbs, b, MinSignificantBits)})
		}
	}
	return append(append(out, firstOf(sat)...), firstOf(low)...), nil
}

// maxWarningsPerKind bounds the held-out warnings of one kind; the last
// one then says how many tensors it stands for.
const maxWarningsPerKind = 4

func firstOf(ws []CalibrationWarning) []CalibrationWarning {
	if len(ws) <= maxWarningsPerKind {
		return ws
	}
	out := slices.Clone(ws[:maxWarningsPerKind])
	out[len(out)-1].Message += fmt.Sprintf(" (and %d more tensors like it)", len(ws)-maxWarningsPerKind)
	return out
}

// nonFinite names the tensors where the float graph leaves the reals (log,
// sqrt or 1/x of values out of their domain) on the calibration samples:
// the integer tables clamp those values, so float and integer models part.
func nonFinite(g *FloatGraph, samples [][]float64) []CalibrationWarning {
	count := make([]int, len(g.Names))
	for _, x := range samples {
		vals, err := g.Eval(x)
		if err != nil {
			return nil // Calibrate reports it
		}
		for id, v := range vals {
			for _, f := range v {
				if math.IsInf(f, 0) || math.IsNaN(f) {
					count[id]++
				}
			}
		}
	}
	var out []CalibrationWarning
	for id, c := range count {
		if c > 0 {
			out = append(out, CalibrationWarning{Kind: "non_finite", Tensor: g.Names[id],
				Message: fmt.Sprintf("%s: the float model gives %d infinite or NaN values on the calibration samples (an op outside its domain, e.g. log or sqrt of a value ≤ 0): the integer model clamps them", g.Names[id], c)})
		}
	}
	return firstOf(out)
}
