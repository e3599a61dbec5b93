package quant_test

import (
	"encoding/json"
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

// A graph whose float reference leaves the reals (log of negative values)
// calibrates, reports accuracy that serializes, and is warned about.
func TestCalibrationNonFinite(t *testing.T) {
	b := quant.NewGraphBuilder()
	if err := b.Input("x", []int{8}); err != nil {
		t.Fatal(err)
	}
	if err := b.Node("log", &ops.Unary{Fn: "log"}, []string{"x"}, []string{"y"}); err != nil {
		t.Fatal(err)
	}
	if err := b.Output("y"); err != nil {
		t.Fatal(err)
	}
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	fm, err := quant.NewGraphModel(g)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	var samples [][]float64
	for range 8 {
		x := make([]float64, 8)
		for i := range x {
			x[i] = rng.Float64()*4 - 1 // a quarter are ≤ 0
		}
		samples = append(samples, x)
	}
	s, err := quant.Calibrate(fm, samples)
	if err != nil {
		t.Fatal(err)
	}
	m, err := quant.Quantize(fm, s)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := quant.Accuracy(fm, m, samples)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Fatalf("accuracy report does not serialize: %v", err)
	}
	ws, err := quant.CheckCalibration(fm, samples)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(kinds(ws), "non_finite") {
		t.Fatalf("no non_finite warning in %v", kinds(ws))
	}
}
