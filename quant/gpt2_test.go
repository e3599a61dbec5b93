package quant_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
)

var gpt2Demo = quant.Config{Architecture: quant.ArchitectureGPT2, DModel: 64, DHidden: 256, SeqLen: 8, NHead: 4, NLayer: 2,
	Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5, FinalLayerNorm: true}

// The integer GPT-2 stack tracks the float one at realistic scale (random
// weights of GPT-2's shape, standard-normal inputs).
func TestGPT2Accuracy(t *testing.T) {
	fm := quant.RandomModel(gpt2Demo, 1)
	samples := quant.RandomSamples(gpt2Demo, 16, 2)
	s, err := quant.Calibrate(fm, samples)
	if err != nil {
		t.Fatal(err)
	}
	m, err := quant.Quantize(fm, s)
	if err != nil {
		t.Fatal(err)
	}
	// Held-out inputs, not the calibration samples.
	rep, err := quant.Accuracy(fm, m, quant.RandomSamples(gpt2Demo, 8, 3))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range rep.Layers {
		t.Logf("%-24s max abs %.4f  rel %.2f%%", l.Layer, l.MaxAbs, 100*l.Rel)
		if l.Rel > 0.15 {
			t.Errorf("%s: relative error %.3f", l.Layer, l.Rel)
		}
	}
}

func TestLNRsqrt(t *testing.T) {
	for _, c := range []struct {
		v    int64
		k    uint
		want int64
	}{{1, 10, 1024}, {4, 10, 512}, {3, 10, 591}, {1 << 40, 30, 1024}} {
		if got := quant.LNRsqrt(c.v, c.k); got != c.want {
			t.Errorf("LNRsqrt(%d, %d) = %d, want %d", c.v, c.k, got, c.want)
		}
	}
	for v := int64(1); v < 5000; v += 37 {
		r := quant.LNRsqrt(v, 20)
		if r*r*v > 1<<40 || (r+1)*(r+1)*v <= 1<<40 {
			t.Fatalf("LNRsqrt(%d, 20) = %d breaks the bounds", v, r)
		}
	}
}

// A constant row has zero variance: LayerNorm returns the shift β, no
// division by zero.
func TestLayerNormConstantRow(t *testing.T) {
	m := quantized(t, gpt2Demo)
	ln := &m.Blocks[0].LN1
	row := make([]int64, gpt2Demo.DModel)
	for i := range row {
		row[i] = 42
	}
	out := ln.Apply(row)
	for i, v := range out {
		if want := quant.Requantize(ln.Beta[i], ln.Mult, ln.Shift, -128, 127); v != want {
			t.Fatalf("out[%d] = %d, want %d", i, v, want)
		}
	}
}

func TestSoftmaxRow(t *testing.T) {
	table := quant.ExpTableFor(5, 10)
	p, mx, _, _ := quant.SoftmaxRow([]int64{3, 3, 3, 3}, table)
	if mx != 3 || p[0] != 1<<quant.ProbFrac/4 {
		t.Fatalf("uniform row: %v max %d", p, mx)
	}
	p, _, _, _ = quant.SoftmaxRow([]int64{511, -512}, table)
	if p[0] != 1<<quant.ProbFrac || p[1] != 0 {
		t.Fatalf("extreme row: %v", p)
	}
}

func quantized(t *testing.T, cfg quant.Config) *quant.Model {
	t.Helper()
	fm := quant.RandomModel(cfg, 4)
	s, err := quant.Calibrate(fm, quant.RandomSamples(cfg, 4, 5))
	if err != nil {
		t.Fatal(err)
	}
	m, err := quant.Quantize(fm, s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestGPT2BadInput(t *testing.T) {
	tiny := quant.Config{Architecture: quant.ArchitectureGPT2, DModel: 8, DHidden: 16, SeqLen: 2, NHead: 2, NLayer: 1, Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5}
	heads := tiny
	heads.NHead = 3
	if err := heads.Validate(); !errors.Is(err, quant.ErrShape) {
		t.Errorf("heads: %v", err)
	}
	relu := tiny
	relu.Activation = quant.ActivationReLU
	if err := relu.Validate(); err == nil {
		t.Error("relu gpt2 accepted")
	}
	fm := quant.RandomModel(tiny, 1)
	fm.Blocks[0].LN2.Gamma[3] = math.Inf(1)
	data, err := quant.EncodeSafetensors(fm)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := quant.ParseModel(data, tiny); !errors.Is(err, quant.ErrRange) || !strings.Contains(err.Error(), "h.0.ln_2.weight") {
		t.Errorf("Inf gamma: %v", err)
	}
	withLNF := tiny
	withLNF.FinalLayerNorm = true
	good, _ := quant.EncodeSafetensors(quant.RandomModel(tiny, 1))
	if _, err := quant.ParseModel(good, withLNF); err == nil || !strings.Contains(err.Error(), `"ln_f.weight" is missing`) {
		t.Errorf("missing ln_f: %v", err)
	}
	wide := tiny
	wide.DModel, wide.NHead = 16, 2
	if _, err := quant.ParseModel(good, wide); !errors.Is(err, quant.ErrShape) || !strings.Contains(err.Error(), "config wants [16]") {
		t.Errorf("wrong width: %v", err)
	}
	// A quantized file whose tables or parameters were altered is refused.
	m := quantized(t, tiny)
	for name, mutate := range map[string]func(m *quant.Model){
		"exp table grows": func(m *quant.Model) { m.ExpTable[5] = m.ExpTable[4] + 1 },
		"exp table short": func(m *quant.Model) { m.ExpTable = m.ExpTable[:10] },
		"gelu not int8":   func(m *quant.Model) { m.GELUTable[0] = 300 },
		"ln k":            func(m *quant.Model) { m.Blocks[0].LN1.K++ },
		"ln eps":          func(m *quant.Model) { m.Blocks[0].LN2.Eps = 0 },
		"blocks":          func(m *quant.Model) { m.Blocks = nil },
		"attention mult":  func(m *quant.Model) { m.Blocks[0].Logit.Mult = -1 },
		"qkv shape":       func(m *quant.Model) { m.Blocks[0].QKV.Out = 4 },
		"logit bits":      func(m *quant.Model) { m.Scales.GPT2.Formats.LogitBits = 30 },
	} {
		data, _ := json.Marshal(m)
		var c quant.Model
		json.Unmarshal(data, &c)
		mutate(&c)
		data, _ = json.Marshal(&c)
		if _, err := quant.ParseModelJSON(data); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// A gelu_erf model's float reference applies the exact GELU and its table is
// the exact GELU's; the two forms differ by less than 5e-4 everywhere.
func TestGELUErf(t *testing.T) {
	cfg := gpt2Demo
	cfg.Activation = quant.ActivationGELUErf
	fm := quant.RandomModel(cfg, 1)
	tr, err := fm.ForwardGPT2(quant.RandomSamples(cfg, 1, 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	b := tr.Blocks[0]
	for i, v := range b.FC.RawMatrix().Data {
		if got, want := b.GELU.RawMatrix().Data[i], 0.5*v*(1+math.Erf(v/math.Sqrt2)); got != want {
			t.Fatalf("GELU(%v) = %v, want %v", v, got, want)
		}
	}
	worst := 0.0
	for x := -8.0; x <= 8; x += 1.0 / 1024 {
		worst = math.Max(worst, math.Abs(quant.GELU(x)-quant.GELUErf(x)))
	}
	if worst > 5e-4 || worst < 1e-4 {
		t.Fatalf("max |GELU_tanh − GELU_erf| = %v", worst)
	}
	if tab := quant.ActivationTableFor(quant.ActivationGELUErf, 4, 10); tab[128-40] != quant.QuantizeValue(quant.GELUErf(-40.0/16), 10) {
		t.Fatal("erf table entry")
	}
	bad := cfg
	bad.Activation = "gelu_fast"
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), `"gelu" (tanh form), "gelu_erf"`) {
		t.Fatalf("unknown activation: %v", err)
	}
}
