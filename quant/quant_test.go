package quant_test

import (
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"path/filepath"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/zkinfer/zkinfer/quant"
)

var tiny = quant.Config{Architecture: quant.ArchitectureFFN, DModel: 4, DHidden: 8, SeqLen: 2, Activation: quant.ActivationReLU}

func TestRequantizeRounding(t *testing.T) {
	for _, c := range []struct {
		acc, mult int64
		shift     uint
		lo, hi    int64
		want      int64
	}{
		{10, 1, 2, -128, 127, 3},   // 2.5 rounds half up to 3
		{-10, 1, 2, -128, 127, -2}, // -2.5 rounds half up to -2
		{-11, 1, 2, -128, 127, -3}, // -2.75 → -3
		{9, 1, 2, -128, 127, 2},    // 2.25 → 2
		{1000, 3, 0, -128, 127, 127},
		{-1000, 3, 0, -128, 127, -128},
		{-1000, 3, 0, 0, 127, 0}, // ReLU fused
		{512, 1, 2, -128, 127, 127},
	} {
		if got := quant.Requantize(c.acc, c.mult, c.shift, c.lo, c.hi); got != c.want {
			t.Errorf("Requantize(%d, %d, %d, %d, %d) = %d, want %d", c.acc, c.mult, c.shift, c.lo, c.hi, got, c.want)
		}
	}
	for p := int64(-100); p <= 100; p++ {
		q, r := quant.DivPow2(p, 3)
		if q*8+r != p || r < 0 || r >= 8 {
			t.Fatalf("DivPow2(%d, 3) = %d, %d", p, q, r)
		}
	}
}

func TestQuantizeAndForward(t *testing.T) {
	fm := quant.RandomModel(tiny, 1)
	samples := quant.RandomSamples(tiny, 16, 2)
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
	for _, l := range rep.Layers {
		// int8 with calibrated scales: a few percent of the largest magnitude.
		if l.Rel > 0.1 {
			t.Errorf("layer %s: relative error %.3f", l.Layer, l.Rel)
		}
	}
	// The file form decodes to the same model and digest.
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	back, err := quant.ParseModelJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := m.Digest()
	d2, _ := back.Digest()
	if d1 != d2 {
		t.Fatal("digest changed through JSON")
	}
	if _, err := m.Forward([][]int64{{1, 2, 3, 4}, {1, 2, 3, 200}}); !errors.Is(err, quant.ErrRange) {
		t.Errorf("int8 overflow in input: %v", err)
	}
	if _, err := m.Forward([][]int64{{1, 2, 3}}); !errors.Is(err, quant.ErrShape) {
		t.Errorf("wrong shape: %v", err)
	}
}

func TestParseModelErrors(t *testing.T) {
	good, err := quant.EncodeSafetensors(quant.RandomModel(tiny, 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := quant.ParseModel(good, tiny); err != nil {
		t.Fatal(err)
	}
	wide := tiny
	wide.DModel = 5
	if _, err := quant.ParseModel(good, wide); !errors.Is(err, quant.ErrShape) {
		t.Errorf("wrong shape: %v", err)
	}
	fm := quant.RandomModel(tiny, 1)
	fm.B1[0] = math.NaN()
	nan, _ := quant.EncodeSafetensors(fm)
	if _, err := quant.ParseModel(nan, tiny); !errors.Is(err, quant.ErrRange) {
		t.Errorf("NaN weight: %v", err)
	}
	// A file without the tensors (an empty safetensors header).
	empty := append([]byte{2, 0, 0, 0, 0, 0, 0, 0}, "{}"...)
	if _, err := quant.ParseModel(empty, tiny); err == nil || !errors.Is(err, quant.ErrValidation) {
		t.Errorf("missing tensor: %v", err)
	}
	for _, n := range []int{0, 7, 8, len(good) / 2, len(good) - 1} {
		if _, err := quant.ParseModel(good[:n], tiny); err == nil {
			t.Errorf("truncated to %d bytes: accepted", n)
		}
	}
}

func TestConfigAndInputErrors(t *testing.T) {
	for name, data := range map[string]string{
		"arch":   `{"architecture": "cnn", "d_model": 4, "d_hidden": 8, "seq_len": 1, "activation": "relu"}`,
		"zero":   `{"architecture": "ffn", "d_model": 0, "d_hidden": 8, "seq_len": 1, "activation": "relu"}`,
		"huge":   `{"architecture": "ffn", "d_model": 4, "d_hidden": 100000000, "seq_len": 1, "activation": "relu"}`,
		"syntax": `{"architecture": `,
		"type":   `{"d_model": "four"}`,
	} {
		if _, err := quant.ParseConfig([]byte(data)); !errors.Is(err, quant.ErrValidation) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, data := range map[string]string{
		"empty":  `{"input_data": []}`,
		"short":  `{"input_data": [[1, 2, 3]]}`,
		"words":  `{"input_data": [["a", "b", "c", "d", "e", "f", "g", "h"]]}`,
		"syntax": `[`,
	} {
		if _, err := quant.ParseInput([]byte(data), tiny); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := quant.LoadConfig(filepath.Join(t.TempDir(), "none.json")); err == nil {
		t.Error("missing config accepted")
	}
}

func TestParseModelJSONRejects(t *testing.T) {
	m, err := quant.Quantize(quant.RandomModel(tiny, 3), quant.Scales{StreamFrac: 4, HiddenFrac: 4})
	if err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(m *quant.Model){
		"version":    func(m *quant.Model) { m.Version = 2 },
		"multiplier": func(m *quant.Model) { m.FC.Mult[0] = quant.MaxMultiplier },
		"bias":       func(m *quant.Model) { m.Proj.B[0] = math.MaxInt32 + 1 },
		"shape":      func(m *quant.Model) { m.Proj.B = m.Proj.B[:1] },
		"relu":       func(m *quant.Model) { m.FC.Lo = -128 },
		"shift":      func(m *quant.Model) { m.FC.Shift = 60 },
	} {
		c := *m
		c.FC.Mult = append([]int64(nil), m.FC.Mult...)
		c.Proj.B = append([]int64(nil), m.Proj.B...)
		mutate(&c)
		data, _ := json.Marshal(&c)
		if _, err := quant.ParseModelJSON(data); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := quant.ParseModelJSON([]byte(`{"version": 1, "c_fc": {"weight": [300]}}`)); !errors.Is(err, quant.ErrRange) {
		t.Errorf("non-int8 weight: %v", err)
	}
}

func TestPackInt8(t *testing.T) {
	vals := make([]int64, 40)
	for i := range vals {
		vals[i] = int64(i*7%256) - 128
	}
	packed, err := quant.PackInt8(vals)
	if err != nil {
		t.Fatal(err)
	}
	if len(packed) != 2 {
		t.Fatalf("%d elements", len(packed))
	}
	// Unpack and compare.
	for k, e := range packed {
		e = new(big.Int).Set(e)
		for i := k * 31; i < min(len(vals), (k+1)*31); i++ {
			b := new(big.Int).And(e, big.NewInt(255)).Int64()
			if b-128 != vals[i] {
				t.Fatalf("value %d: %d != %d", i, b-128, vals[i])
			}
			e.Rsh(e, 8)
		}
		if e.Sign() != 0 || packed[k].BitLen() > 248 {
			t.Fatalf("element %d too large", k)
		}
	}
	if _, err := quant.PackInt8([]int64{128}); !errors.Is(err, quant.ErrRange) {
		t.Error("128 packed")
	}
}

func TestFloatForwardMatchesByHand(t *testing.T) {
	cfg := quant.Config{Architecture: quant.ArchitectureFFN, DModel: 1, DHidden: 2, SeqLen: 1, Activation: quant.ActivationReLU}
	fm := &quant.FloatModel{Config: cfg, W1: mat.NewDense(1, 2, []float64{1, -1}), B1: []float64{0, 0.5}, W2: mat.NewDense(2, 1, []float64{2, 3}), B2: []float64{1}}
	tr, err := fm.Forward([]float64{2})
	if err != nil {
		t.Fatal(err)
	}
	// h = relu([2, -1.5]) = [2, 0]; p = 2·2 + 0 + 1 = 5; y = 2 + 5.
	if tr.Output.At(0, 0) != 7 {
		t.Fatalf("y = %v", tr.Output.At(0, 0))
	}
}

func FuzzParseModel(f *testing.F) {
	good, _ := quant.EncodeSafetensors(quant.RandomModel(tiny, 1))
	f.Add(good)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		quant.ParseModel(data, tiny) // must not panic
	})
}

func FuzzParseModelJSON(f *testing.F) {
	m, _ := quant.Quantize(quant.RandomModel(tiny, 3), quant.Scales{StreamFrac: 4, HiddenFrac: 4})
	data, _ := json.Marshal(m)
	f.Add(data)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := quant.ParseModelJSON(data)
		if err != nil {
			return
		}
		// A model that validates must run on any int8 input without panicking.
		x := make([][]int64, m.Config.SeqLen)
		for i := range x {
			x[i] = make([]int64, m.Config.DModel)
		}
		if m.Config.SeqLen*m.Config.DModel*m.Config.DHidden > 1<<20 {
			return
		}
		if _, err := m.Forward(x); err != nil {
			t.Fatal(err)
		}
	})
}
