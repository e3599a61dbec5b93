package quant_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

func kinds(ws []quant.CalibrationWarning) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Kind)
	}
	return out
}

// Degenerate calibration sets are named; a representative one is not.
func TestCheckCalibration(t *testing.T) {
	fm, err := ops.ExampleGraph(11)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	sample := func(scale float64) []float64 {
		x := make([]float64, 16)
		for i := range x {
			x[i] = (rng.Float64()*2 - 1) * scale
		}
		return x
	}
	ones := slices.Repeat([]float64{1}, 16)
	var good, growing [][]float64
	for range 32 {
		good = append(good, sample(1))
	}
	for i := range 32 {
		// The held-out quarter is 8× larger than the rest: it saturates.
		growing = append(growing, sample(map[bool]float64{true: 8, false: 1}[i >= 24]))
	}
	var tiny [][]float64
	for range 24 {
		tiny = append(tiny, sample(1))
	}
	for range 8 {
		tiny = append(tiny, sample(0.01)) // held out: uses a few bits only
	}
	for name, tc := range map[string]struct {
		samples [][]float64
		want    []string
	}{
		"representative": {good, nil},
		"single":         {[][]float64{ones}, []string{"single_sample", "constant_samples"}},
		"identical":      {[][]float64{good[0], good[0], good[0], good[0]}, []string{"identical_samples"}},
		"saturates":      {growing, []string{"heldout_saturates"}},
		"low precision":  {tiny, []string{"heldout_low_precision"}},
	} {
		ws, err := quant.CheckCalibration(fm, tc.samples)
		if err != nil {
			t.Fatal(err)
		}
		got := kinds(ws)
		for _, w := range ws {
			t.Logf("%s: %s", name, w.Message)
		}
		if tc.want == nil && len(got) != 0 {
			t.Errorf("%s: warnings %v", name, got)
		}
		for _, k := range tc.want {
			if !slices.Contains(got, k) {
				t.Errorf("%s: no %s warning in %v", name, k, got)
			}
		}
	}
}
