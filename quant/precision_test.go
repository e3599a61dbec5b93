package quant_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
)

var tinyGPT2 = quant.Config{Architecture: quant.ArchitectureGPT2, DModel: 16, DHidden: 64, SeqLen: 4, NHead: 2, NLayer: 1,
	Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5, FinalLayerNorm: true}

// The zero Requantizer is the default rule bit for bit (and records
// nothing); under a cap every shift is at most the default, at most the
// cap where the multiplier keeps MinRequantMultBits bits, and the notes
// say what each got.
func TestRequantizerCaps(t *testing.T) {
	fm := quant.RandomModel(tinyGPT2, 3)
	s, err := quant.Calibrate(fm, quant.RandomSamples(tinyGPT2, 4, 3))
	if err != nil {
		t.Fatal(err)
	}
	def, err := quant.Quantize(fm, s)
	if err != nil {
		t.Fatal(err)
	}
	var none []quant.RequantNote
	zero, err := quant.QuantizeWith(fm, s, quant.NewRequantizer(quant.Precision{}, &none))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(def, zero) || len(none) != 0 {
		t.Fatalf("the zero precision differs from Quantize (notes %v)", none)
	}
	d1, _ := def.Digest()
	var notes []quant.RequantNote
	m, err := quant.QuantizeWith(fm, s, quant.NewRequantizer(quant.CompactPrecision, &notes))
	if err != nil {
		t.Fatal(err)
	}
	if d2, _ := m.Digest(); d1 == d2 {
		t.Fatal("the compact model has the default's digest")
	}
	// 6 per block (ln_1, c_attn, logits, out, c_proj, ln_2, c_fc, mlp c_proj: 8) and ln_f.
	if len(notes) != 9 {
		t.Fatalf("%d notes: %+v", len(notes), notes)
	}
	for _, n := range notes {
		if n.Shift > n.Default {
			t.Errorf("%s/%s: shift %d above the default %d", n.Node, n.Site, n.Shift, n.Default)
		}
		if !n.Reached() && n.MultBits > quant.MinRequantMultBits {
			t.Errorf("%s/%s: cap %d not reached with %d multiplier bits", n.Node, n.Site, n.Cap, n.MultBits)
		}
	}
	b := m.Blocks[0]
	for name, sh := range map[string]uint{"c_attn": b.QKV.Shift, "c_fc": b.FC.Shift, "logits": b.Logit.Shift} {
		if sh > 15 {
			t.Errorf("%s: shift %d under requant_bits 15", name, sh)
		}
	}
	if b.LN1.Shift > 30 || b.LN1.K >= def.Blocks[0].LN1.K {
		t.Errorf("ln_1: shift %d, K %d (default %d)", b.LN1.Shift, b.LN1.K, def.Blocks[0].LN1.K)
	}
	// The integer model still tracks the float one.
	rep, err := quant.Accuracy(fm, m, quant.RandomSamples(tinyGPT2, 4, 9))
	if err != nil {
		t.Fatal(err)
	}
	if last := rep.Layers[len(rep.Layers)-1]; last.Rel > 0.2 {
		t.Errorf("compact output: relative error %.3f", last.Rel)
	}
	// A cap no multiplier can reach keeps the nearest shift with
	// MinRequantMultBits bits (or an exact power-of-two multiplier).
	var tight []quant.RequantNote
	if _, err := quant.QuantizeWith(fm, s, quant.NewRequantizer(quant.Precision{RequantBits: 1, NormBits: 1}, &tight)); err != nil {
		t.Fatal(err)
	}
	missed := 0
	for _, n := range tight {
		if !n.Reached() {
			missed++
			if n.MultBits < quant.MinRequantMultBits && n.Site == "" {
				t.Errorf("%s: %d multiplier bits", n.Node, n.MultBits)
			}
		}
	}
	if missed == 0 {
		t.Fatal("a 1-bit cap was reached everywhere")
	}
}

// A LayerNorm's K must lie within LNKRange: a smaller K than the floor
// (or a larger one than the default) is refused with the range.
func TestLayerNormKRange(t *testing.T) {
	fm := quant.RandomModel(tinyGPT2, 3)
	s, err := quant.Calibrate(fm, quant.RandomSamples(tinyGPT2, 4, 3))
	if err != nil {
		t.Fatal(err)
	}
	m, err := quant.Quantize(fm, s)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := quant.LNKRange(16)
	if hi != quant.LNK(16) || lo != hi-(quant.LNPrecision-quant.MinLNPrecision) {
		t.Fatalf("LNKRange(16) = %d, %d", lo, hi)
	}
	for _, k := range []uint{lo - 1, hi + 1} {
		ln := m.Blocks[0].LN1
		ln.K = k
		if err := ln.Validate("ln_1"); err == nil || !strings.Contains(err.Error(), "want") {
			t.Errorf("K %d: %v", k, err)
		}
	}
}

func writeTinySettings(t *testing.T) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	if err := quant.WriteExample(dir, tiny, 1, 2); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(dir, "settings.json")
	s, _, err := quant.NewSettings(filepath.Join(dir, quant.ExampleWeights), filepath.Join(dir, quant.ExampleConfig), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(path); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

// Settings without the precision fields write none (their digest is the
// one they had before the knob); with them, they round-trip; bad values
// are refused with the field's name and range.
func TestSettingsPrecisionRoundTrip(t *testing.T) {
	_, path := writeTinySettings(t)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "requant_bits") {
		t.Fatalf("default settings mention the precision:\n%s", data)
	}
	s, err := quant.LoadSettings(path)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Precision.IsDefault() {
		t.Fatalf("precision %v", s.Precision)
	}
	s.Precision = quant.CompactPrecision
	if err := s.Write(path); err != nil {
		t.Fatal(err)
	}
	back, err := quant.LoadSettings(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.Precision != quant.CompactPrecision {
		t.Fatalf("read back %v", back.Precision)
	}
	d1, _ := s.Digest()
	d2, _ := back.Digest()
	if d1 != d2 {
		t.Fatal("digest changed through the file")
	}
	var raw map[string]any
	data, _ = os.ReadFile(path)
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	if raw["requant_bits"] != 15.0 || raw["norm_requant_bits"] != 30.0 {
		t.Fatalf("settings file: requant_bits %v, norm_requant_bits %v", raw["requant_bits"], raw["norm_requant_bits"])
	}
	for _, c := range []struct {
		field, value, want string
	}{
		{"requant_bits", "-1", "requant_bits = -1, want 1..48"},
		{"norm_requant_bits", "49", "norm_requant_bits = 49, want 1..48"},
		{"requant_bits", "100000000000000000000", "malformed settings"},
		{"requant_bits", "15.5", "malformed settings"},
		{"norm_requant_bits", `"30"`, "malformed settings"},
	} {
		raw[c.field] = json.RawMessage(c.value)
		bad, err := json.Marshal(raw)
		if err != nil {
			t.Fatal(err)
		}
		raw[c.field] = 15.0
		p := filepath.Join(filepath.Dir(path), "bad.json")
		if err := os.WriteFile(p, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = quant.LoadSettings(p)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s = %s: %v, want %q", c.field, c.value, err, c.want)
		}
		if c.want != "malformed settings" && !errors.Is(err, quant.ErrRange) {
			t.Errorf("%s = %s: %v is not ErrRange", c.field, c.value, err)
		}
	}
	// Quantize applies the settings' precision.
	back.Scales = &quant.Scales{StreamFrac: 4, HiddenFrac: 4}
	back.Precision = quant.Precision{}
	d, err := back.Quantize()
	if err != nil {
		t.Fatal(err)
	}
	back.Precision = quant.Precision{RequantBits: 12}
	m, err := back.Quantize()
	if err != nil {
		t.Fatal(err)
	}
	if m.FC.Shift > 12 || m.Proj.Shift > 12 || d.FC.Shift <= 12 {
		t.Errorf("ffn shifts %d, %d under requant_bits 12 (default %d, %d)", m.FC.Shift, m.Proj.Shift, d.FC.Shift, d.Proj.Shift)
	}
}
