package quant

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// Calibrate runs the float model on sample inputs and picks, for each
// activation tensor, the largest power-of-two fraction at which the largest
// magnitude seen still fits int8: the finest grid that does not saturate on
// the calibration data.
func Calibrate(fm *FloatModel, samples [][]float64) (Scales, error) {
	s, _, err := CalibrateReport(fm, samples)
	return s, err
}

// CalibrateReport is Calibrate, and also reports the tensors whose scale
// one outlying value sets (Outlier): the largest magnitude is what
// calibration fits, so one wild sample costs every other value its
// resolution.
func CalibrateReport(fm *FloatModel, samples [][]float64) (Scales, []Outlier, error) {
	if len(samples) == 0 {
		return Scales{}, nil, fmt.Errorf("%w: calibration needs at least one sample", ErrValidation)
	}
	st := newTensorStats()
	if fm.Config.Architecture == ArchitectureGPT2 {
		s, err := calibrateGPT2(fm, samples, st)
		return s, st.outliers(), err
	}
	if fm.Config.Architecture == ArchitectureGraph {
		s, err := calibrateGraph(fm.Graph, samples, st)
		return s, st.outliers(), err
	}
	var stream, hidden float64
	for i, x := range samples {
		tr, err := fm.Forward(x)
		if err != nil {
			return Scales{}, nil, fmt.Errorf("sample %d: %w", i, err)
		}
		for _, v := range x {
			stream = math.Max(stream, math.Abs(v))
		}
		stream = math.Max(stream, maxAbs(tr.Output))
		hidden = math.Max(hidden, maxAbs(tr.Hidden))
		st.add("input", i, x)
		st.addMatrix("c_fc+relu", i, tr.Hidden)
		st.addMatrix("residual (output)", i, tr.Output)
	}
	s := Scales{StreamFrac: fracFor(stream), HiddenFrac: fracFor(hidden)}
	return s, st.outliers(), s.Validate()
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

// LayerError is the error of one quantized tensor against the float model:
// the dequantized integer values against the float ones, over every
// element of every sample.
type LayerError struct {
	Layer string `json:"layer"`
	// Op is the kind of the graph node that writes the tensor ("input" for
	// a graph input; empty for ffn and gpt2 models).
	Op     string  `json:"op,omitempty"`
	MaxAbs float64 `json:"max_abs_error"`
	// RMS is the root mean square of the errors.
	RMS float64 `json:"rms_error"`
	// Range is the largest float magnitude of the tensor.
	Range float64 `json:"float_range"`
	// Rel is MaxAbs divided by Range.
	Rel float64 `json:"relative_error"`
}

// AccuracyReport compares the integer reference with the float model.
type AccuracyReport struct {
	Samples int          `json:"samples"`
	Layers  []LayerError `json:"layers"`
	// Outliers are the tensors whose scale one outlying value set
	// (CalibrateReport).
	Outliers []Outlier `json:"outliers,omitempty"`
	// Warnings are the signs of a degenerate calibration set (CheckCalibration).
	Warnings []CalibrationWarning `json:"warnings,omitempty"`
	// LM is the top-1 agreement of the integer language model's greedy
	// next tokens with the float model's (LMAgreement; token-id graphs
	// only).
	LM *LMAgreementReport `json:"lm_agreement,omitempty"`
	// Precision and Requantizations are the settings' requantization
	// precision and what each capped requantization got (absent at the
	// default precision).
	Precision       *Precision    `json:"precision,omitempty"`
	Requantizations []RequantNote `json:"requantizations,omitempty"`
}

// Accuracy runs both forward passes on every sample and reports, per layer,
// the largest absolute error of the dequantized integer activations.
func Accuracy(fm *FloatModel, m *Model, samples [][]float64) (*AccuracyReport, error) {
	var acc accuracy
	for i, x := range samples {
		xq, err := m.QuantizeInput(x)
		if err != nil {
			return nil, fmt.Errorf("sample %d: %w", i, err)
		}
		it, err := m.Forward(xq)
		if err != nil {
			return nil, fmt.Errorf("sample %d: %w", i, err)
		}
		if m.Graph != nil {
			fv, err := fm.Graph.Eval(x)
			if err != nil {
				return nil, fmt.Errorf("sample %d: %w", i, err)
			}
			acc.addGraph(m, fm.Graph, fv, it.Values)
			continue
		}
		if m.Config.Architecture == ArchitectureGPT2 {
			ft, err := fm.ForwardGPT2(x)
			if err != nil {
				return nil, fmt.Errorf("sample %d: %w", i, err)
			}
			acc.addGPT2(m, ft, it)
			continue
		}
		ft, err := fm.Forward(x)
		if err != nil {
			return nil, fmt.Errorf("sample %d: %w", i, err)
		}
		acc.add("c_fc+relu", ft.Hidden, it.Hidden, m.Scales.HiddenFrac)
		acc.add("c_proj", ft.Proj, it.Proj, m.Scales.StreamFrac)
		acc.add("residual (output)", ft.Output, it.Y, m.Scales.StreamFrac)
	}
	return acc.report(len(samples)), nil
}

// accuracy accumulates, per named tensor, the largest error and
// magnitude and the sum of squared errors.
type accuracy struct {
	rows []*LayerError
	sq   []float64
	n    []int
}

func (a *accuracy) add(name string, f mat.Matrix, q [][]int64, frac int) {
	a.addOp(name, "", f, q, frac)
}

// addOp is add for a tensor written by an op of kind op.
func (a *accuracy) addOp(name, op string, f mat.Matrix, q [][]int64, frac int) {
	k := slices.IndexFunc(a.rows, func(r *LayerError) bool { return r.Layer == name })
	if k < 0 {
		k = len(a.rows)
		a.rows = append(a.rows, &LayerError{Layer: name, Op: op})
		a.sq = append(a.sq, 0)
		a.n = append(a.n, 0)
	}
	r := a.rows[k]
	for t, row := range q {
		for j, v := range row {
			fv := f.At(t, j)
			if math.IsInf(fv, 0) || math.IsNaN(fv) {
				continue // no int8 value to compare with: CheckCalibration names them
			}
			e := math.Abs(DequantizeValue(v, frac) - fv)
			r.MaxAbs = math.Max(r.MaxAbs, e)
			r.Range = math.Max(r.Range, math.Abs(fv))
			a.sq[k] += e * e
			a.n[k]++
		}
	}
}

func (a *accuracy) report(samples int) *AccuracyReport {
	rep := &AccuracyReport{Samples: samples}
	for k, r := range a.rows {
		if r.Range > 0 {
			r.Rel = r.MaxAbs / r.Range
		}
		if a.n[k] > 0 {
			r.RMS = math.Sqrt(a.sq[k] / float64(a.n[k]))
		}
		rep.Layers = append(rep.Layers, *r)
	}
	return rep
}
