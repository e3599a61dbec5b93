package quant

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Calibrate runs the float model on sample inputs and picks, for each
// activation tensor, the largest power-of-two fraction at which the largest
// magnitude seen still fits int8: the finest grid that does not saturate on
// the calibration data.
func Calibrate(fm *FloatModel, samples [][]float64) (Scales, error) {
	if len(samples) == 0 {
		return Scales{}, fmt.Errorf("%w: calibration needs at least one sample", ErrValidation)
	}
	if fm.Config.Architecture == ArchitectureGPT2 {
		return calibrateGPT2(fm, samples)
	}
	var stream, hidden float64
	for i, x := range samples {
		tr, err := fm.Forward(x)
		if err != nil {
			return Scales{}, fmt.Errorf("sample %d: %w", i, err)
		}
		for _, v := range x {
			stream = math.Max(stream, math.Abs(v))
		}
		stream = math.Max(stream, maxAbs(tr.Output))
		hidden = math.Max(hidden, maxAbs(tr.Hidden))
	}
	s := Scales{StreamFrac: fracFor(stream), HiddenFrac: fracFor(hidden)}
	return s, s.Validate()
}

// fracFor returns the largest f with maxAbs·2^f ≤ 127, within [MinFrac, MaxFrac].
func fracFor(maxAbs float64) int { return fracForRange(maxAbs, Int8Max) }

// fracForRange returns the largest f with maxAbs·2^f ≤ limit, within [MinFrac, MaxFrac].
func fracForRange(maxAbs, limit float64) int {
	if maxAbs == 0 || math.IsNaN(maxAbs) {
		return MaxFrac
	}
	f := int(math.Floor(math.Log2(limit / maxAbs)))
	return int(Clamp(int64(f), MinFrac, MaxFrac))
}

func maxAbs(m mat.Matrix) float64 {
	r, c := m.Dims()
	mx := 0.0
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			mx = math.Max(mx, math.Abs(m.At(i, j)))
		}
	}
	return mx
}

// LayerError is the error of one quantized tensor against the float model.
type LayerError struct {
	Layer  string  `json:"layer"`
	MaxAbs float64 `json:"max_abs_error"`
	// Rel is MaxAbs divided by the largest float magnitude of the tensor.
	Rel float64 `json:"relative_error"`
}

// AccuracyReport compares the integer reference with the float model.
type AccuracyReport struct {
	Samples int          `json:"samples"`
	Layers  []LayerError `json:"layers"`
}

// Accuracy runs both forward passes on every sample and reports, per layer,
// the largest absolute error of the dequantized integer activations.
func Accuracy(fm *FloatModel, m *Model, samples [][]float64) (*AccuracyReport, error) {
	if m.Config.Architecture == ArchitectureGPT2 {
		return accuracyGPT2(fm, m, samples)
	}
	names := []string{"c_fc+relu", "c_proj", "residual (output)"}
	errs := make([]float64, len(names))
	mags := make([]float64, len(names))
	for i, x := range samples {
		ft, err := fm.Forward(x)
		if err != nil {
			return nil, fmt.Errorf("sample %d: %w", i, err)
		}
		xq, err := m.QuantizeInput(x)
		if err != nil {
			return nil, fmt.Errorf("sample %d: %w", i, err)
		}
		it, err := m.Forward(xq)
		if err != nil {
			return nil, fmt.Errorf("sample %d: %w", i, err)
		}
		pairs := []struct {
			f    *mat.Dense
			q    [][]int64
			frac int
		}{
			{ft.Hidden, it.Hidden, m.Scales.HiddenFrac},
			{ft.Proj, it.Proj, m.Scales.StreamFrac},
			{ft.Output, it.Y, m.Scales.StreamFrac},
		}
		for k, p := range pairs {
			for t, row := range p.q {
				for j, q := range row {
					fv := p.f.At(t, j)
					errs[k] = math.Max(errs[k], math.Abs(DequantizeValue(q, p.frac)-fv))
					mags[k] = math.Max(mags[k], math.Abs(fv))
				}
			}
		}
	}
	rep := &AccuracyReport{Samples: len(samples)}
	for k, n := range names {
		rel := 0.0
		if mags[k] > 0 {
			rel = errs[k] / mags[k]
		}
		rep.Layers = append(rep.Layers, LayerError{Layer: n, MaxAbs: errs[k], Rel: rel})
	}
	return rep, nil
}
