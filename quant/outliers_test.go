package quant_test

import (
	"math"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
)

func TestInputClamping(t *testing.T) {
	cfg := quant.Config{Architecture: quant.ArchitectureFFN, DModel: 4, DHidden: 8, SeqLen: 1, Activation: quant.ActivationReLU}
	m, err := quant.Quantize(quant.RandomModel(cfg, 1), quant.Scales{StreamFrac: 4, HiddenFrac: 4})
	if err != nil {
		t.Fatal(err)
	}
	// int8 at frac 4 holds -8 to 7.9375; 7.97 rounds to 127.5 → 128: clamped.
	c := m.InputClamping([]float64{7.9375, -8, 7.97, -1e30})
	if c.Count != 2 || c.Total != 4 || c.Largest != -1e30 || c.Index != 3 || c.Min != -8 || c.Max != 7.9375 {
		t.Fatalf("clamping %+v", c)
	}
	if c := m.InputClamping([]float64{1, 2, 3, 4}); c.Count != 0 {
		t.Fatalf("in-range input reported clamped: %+v", c)
	}
}

// TestCalibrationOutlier: one 1e30 in one sample sets the input scale, and
// CalibrateReport names the tensor and the sample; random samples have none.
func TestCalibrationOutlier(t *testing.T) {
	cfg := quant.Config{Architecture: quant.ArchitectureFFN, DModel: 4, DHidden: 8, SeqLen: 2, Activation: quant.ActivationReLU}
	fm := quant.RandomModel(cfg, 2)
	samples := quant.RandomSamples(cfg, 8, 3)
	if _, out, err := quant.CalibrateReport(fm, samples); err != nil || len(out) != 0 {
		t.Fatalf("random samples: outliers %+v, err %v", out, err)
	}
	samples[5][3] = 1e30
	_, out, err := quant.CalibrateReport(fm, samples)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 || out[0].Tensor != "input" || out[0].Sample != 5 || out[0].MaxAbs != 1e30 || out[0].BitsLost != 7 {
		t.Fatalf("outliers %+v", out)
	}
	if math.IsInf(out[0].Percentile, 0) || out[0].Percentile > 16 {
		t.Fatalf("percentile %v", out[0].Percentile)
	}
}

// TestCalibrationOutlierGPT2: the gpt2 tensors are watched too.
func TestCalibrationOutlierGPT2(t *testing.T) {
	cfg := quant.Config{Architecture: quant.ArchitectureGPT2, DModel: 8, DHidden: 16, SeqLen: 2, NHead: 2, NLayer: 1,
		Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5, FinalLayerNorm: true}
	fm := quant.RandomModel(cfg, 4)
	samples := quant.RandomSamples(cfg, 8, 5)
	samples[1][0] = 1e9
	_, out, err := quant.CalibrateReport(fm, samples)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 || out[0].Tensor != "input" || out[0].Sample != 1 {
		t.Fatalf("outliers %+v", out)
	}
}
