package hf_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/hf"
)

var tiny = quant.Config{Architecture: quant.ArchitectureGPT2, DModel: 8, DHidden: 16, SeqLen: 4, NHead: 2, NLayer: 3,
	Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5, FinalLayerNorm: true}

func checkpoint(t testing.TB) (*quant.FloatModel, []byte, []byte) {
	src := quant.RandomModel(tiny, 5)
	config, weights, err := hf.EncodeCheckpoint(src)
	if err != nil {
		t.Fatal(err)
	}
	return src, config, weights
}

func close32(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-6*math.Max(1, math.Abs(a[i])) {
			return false
		}
	}
	return true
}

func TestImport(t *testing.T) {
	src, config, weights := checkpoint(t)
	for _, c := range []struct {
		first, end int
		lnf        bool
	}{{0, 0, true}, {1, 2, false}, {2, 3, true}, {0, 2, false}} {
		m, err := hf.Parse(config, weights, hf.Options{SeqLen: 4, First: c.first, End: c.end})
		if err != nil {
			t.Fatalf("%d:%d: %v", c.first, c.end, err)
		}
		end := c.end
		if end == 0 {
			end = tiny.NLayer
		}
		if m.Config.NLayer != end-c.first || m.Config.FinalLayerNorm != c.lnf || (m.LNF != nil) != c.lnf {
			t.Fatalf("%d:%d: config %+v", c.first, end, m.Config)
		}
		for i, b := range m.Blocks {
			s := src.Blocks[c.first+i]
			if !close32(b.AttnW.RawMatrix().Data, s.AttnW.RawMatrix().Data) || !close32(b.ProjB, s.ProjB) || !close32(b.LN2.Gamma, s.LN2.Gamma) {
				t.Fatalf("%d:%d: block %d differs from source block %d", c.first, end, i, c.first+i)
			}
		}
	}
	// The whole stack computes what the source model computes.
	m, err := hf.Parse(config, weights, hf.Options{SeqLen: 4})
	if err != nil {
		t.Fatal(err)
	}
	x := quant.RandomSamples(tiny, 1, 9)[0]
	want, _ := src.ForwardGPT2(x)
	got, err := m.ForwardGPT2(x)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got.Final.RawMatrix().Data {
		if math.Abs(v-want.Final.RawMatrix().Data[i]) > 1e-4 {
			t.Fatalf("output %d = %v, source model says %v", i, v, want.Final.RawMatrix().Data[i])
		}
	}
	// Checkpoints saved from GPT2Model have no "transformer." prefix.
	plain, err := quant.EncodeSafetensors(src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hf.Parse(config, plain, hf.Options{SeqLen: 4}); err != nil {
		t.Fatalf("unprefixed names: %v", err)
	}
}

func TestActivations(t *testing.T) {
	_, config, weights := checkpoint(t)
	for name, want := range map[string]string{"gelu_new": quant.ActivationGELU, "gelu_pytorch_tanh": quant.ActivationGELU,
		"gelu_fast": quant.ActivationGELU, "gelu": quant.ActivationGELUErf} {
		var m map[string]any
		if err := json.Unmarshal(config, &m); err != nil {
			t.Fatal(err)
		}
		m["activation_function"] = name
		c, _ := json.Marshal(m)
		fm, err := hf.Parse(c, weights, hf.Options{SeqLen: 4})
		if err != nil {
			t.Errorf("%s: %v", name, err)
		} else if fm.Config.Activation != want {
			t.Errorf("%s: activation %q, want %q", name, fm.Config.Activation, want)
		}
	}
	// An erf model round-trips through a checkpoint with "gelu".
	erf := tiny
	erf.Activation = quant.ActivationGELUErf
	config, weights, err := hf.EncodeCheckpoint(quant.RandomModel(erf, 3))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(config), `"activation_function": "gelu"`) {
		t.Fatalf("config: %s", config)
	}
	if fm, err := hf.Parse(config, weights, hf.Options{SeqLen: 4}); err != nil || fm.Config != erf {
		t.Fatalf("erf checkpoint: %v", err)
	}
}

func TestDefaults(t *testing.T) {
	c, err := hf.ParseConfig([]byte(`{"model_type": "gpt2", "n_embd": 8, "n_head": 2, "n_layer": 1, "n_inner": null, "n_positions": 1024}`))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := c.ModelConfig(hf.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DHidden != 32 || cfg.SeqLen != hf.DefaultSeqLen || cfg.LayerNormEpsilon != 1e-5 || !cfg.FinalLayerNorm {
		t.Fatalf("defaults: %+v", cfg)
	}
	if !hf.IsConfig([]byte(`{"model_type": "gpt2"}`)) || hf.IsConfig([]byte(`{"architecture": "gpt2"}`)) {
		t.Fatal("IsConfig")
	}
	for s, want := range map[string][2]int{"": {0, 12}, "0:4": {0, 4}, "3:": {3, 12}, ":2": {0, 2}} {
		a, b, err := hf.ParseBlocks(s, 12)
		if err != nil || a != want[0] || b != want[1] {
			t.Errorf("ParseBlocks(%q) = %d, %d, %v", s, a, b, err)
		}
	}
	for _, s := range []string{"4:4", "0:13", "x:2", "3", "-1:2"} {
		if _, _, err := hf.ParseBlocks(s, 12); err == nil {
			t.Errorf("ParseBlocks(%q) accepted", s)
		}
	}
}

func TestRejects(t *testing.T) {
	_, config, weights := checkpoint(t)
	with := func(k string, v any) []byte {
		var m map[string]any
		if err := json.Unmarshal(config, &m); err != nil {
			t.Fatal(err)
		}
		m[k] = v
		b, _ := json.Marshal(m)
		return b
	}
	for _, c := range []struct {
		name   string
		config []byte
		opts   hf.Options
		want   string
	}{
		{"bert", with("model_type", "bert"), hf.Options{}, `model_type "bert" is not supported (supported: "gpt2", "llama", "mistral")`},
		{"relu", with("activation_function", "relu"), hf.Options{}, `activation_function "relu" is not supported`},
		{"heads", with("n_head", 3), hf.Options{}, `d_model = 8 does not divide into n_head = 3 heads`},
		{"long", config, hf.Options{SeqLen: 9}, `seq_len 9 exceeds the model's n_positions 8`},
		{"blocks", config, hf.Options{First: 2, End: 5}, `blocks 2:5 of a 3-block model`},
		{"more layers than stored", with("n_layer", 4), hf.Options{}, `tensor "transformer.h.3.ln_1.weight" is missing`},
		{"not json", []byte("n_embd: 8"), hf.Options{}, `malformed config.json`},
	} {
		_, err := hf.Parse(c.config, weights, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	_, config, weights := checkpoint(f)
	f.Add(config, weights)
	f.Add(config, weights[:len(weights)/2])
	f.Add(config[:len(config)/2], weights)
	f.Fuzz(func(t *testing.T, config, weights []byte) {
		if m, err := hf.Parse(config, weights, hf.Options{SeqLen: 2}); err == nil {
			if err := m.Config.Validate(); err != nil {
				t.Fatal(err)
			}
		}
	})
}
