package harness

import (
	"fmt"

	"github.com/zkinfer/zkinfer/quant"
)

// RandomQuantized quantizes quant.RandomModel(cfg, 1), calibrated on n random
// samples, and returns it with the samples.
func RandomQuantized(cfg quant.Config, n int) (*quant.Model, [][]float64, error) {
	return RandomQuantizedAt(cfg, n, quant.Precision{})
}

// RandomQuantizedAt is RandomQuantized with the requantization precision p
// (settings' requant_bits, norm_requant_bits).
func RandomQuantizedAt(cfg quant.Config, n int, p quant.Precision) (*quant.Model, [][]float64, error) {
	fm := quant.RandomModel(cfg, 1)
	samples := quant.RandomSamples(cfg, n, 2)
	s, err := quant.Calibrate(fm, samples)
	if err != nil {
		return nil, nil, fmt.Errorf("calibrate: %w", err)
	}
	m, err := quant.QuantizeWith(fm, s, quant.NewRequantizer(p, nil))
	if err != nil {
		return nil, nil, fmt.Errorf("quantize: %w", err)
	}
	return m, samples, nil
}

// RandomTrace is RandomQuantized with 4 samples and the reference trace of
// the first.
func RandomTrace(cfg quant.Config) (*quant.Model, *quant.Trace, error) {
	m, samples, err := RandomQuantized(cfg, 4)
	if err != nil {
		return nil, nil, err
	}
	tr, err := Trace(m, samples[0])
	return m, tr, err
}

// Trace runs the integer reference forward pass of m on one float sample.
func Trace(m *quant.Model, sample []float64) (*quant.Trace, error) {
	xq, err := m.QuantizeInput(sample)
	if err != nil {
		return nil, err
	}
	return m.Forward(xq)
}
