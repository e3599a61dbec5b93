package hf_test

import (
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/hf"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Findings of the adversarial review of the language-model import: each is
// a config.json or checkpoint that transformers reads one way and the
// import read another (a different model proven than the checkpoint's).

// lmErr imports and returns the error text ("" when it imports).
func lmErr(config, weights []byte, seq int) string {
	if _, err := hf.ParseLM(config, weights, seq); err != nil {
		return err.Error()
	}
	return ""
}

// f32Tensor appends an F32 tensor of the given shape and values.
func f32Tensor(t testing.TB, w []byte, name string, shape []uint64, vals []float32) []byte {
	t.Helper()
	w = addTensors(t, w, map[string][]float32{name: vals})
	return rewrite(t, w, func(n string, ti *tensorInfo, d []byte) ([]byte, bool) {
		if n == name {
			ti.Shape = shape
		}
		return d, true
	})
}

// The head when tie_word_embeddings and lm_head.weight disagree:
// transformers ties the head to the embedding (GPT-2's default is tied,
// Llama's and Mistral's untied) and never reads a separate head into the
// tied one; untied, it needs lm_head.weight (a missing one would be
// randomly initialised). The import took lm_head.weight whenever a GPT-2
// file had it and the embedding when it had not, whatever the flag said.
func TestLMTiedHeadAgreesWithConfig(t *testing.T) {
	gc, gw, _ := readCheckpoint(t, "gpt2")
	lc, lw, _ := readCheckpoint(t, "llama")
	mc, mw, _ := readCheckpoint(t, "mistral")
	other := make([]float32, 64*16)
	for i := range other {
		other[i] = float32(i%7) / 7
	}
	// wte's own values as lm_head.weight: a tied file that saved both.
	wte := func() []float32 {
		fm, err := hf.ParseLM(gc, gw, 2)
		if err != nil {
			t.Fatal(err)
		}
		e := fm.Graph.Nodes[0].Op.Params()[0].T.Data
		out := make([]float32, len(e))
		for i, v := range e {
			out[i] = float32(v)
		}
		return out
	}()
	for _, c := range []struct {
		name            string
		config, weights []byte
		want            string // "" imports
	}{
		{"gpt2 tied, lm_head differs", gc, f32Tensor(t, gw, "lm_head.weight", []uint64{64, 16}, other), `tie_word_embeddings is true but lm_head.weight differs from wte.weight`},
		{"gpt2 tied, lm_head equal", gc, f32Tensor(t, gw, "lm_head.weight", []uint64{64, 16}, wte), ``},
		{"gpt2 untied without lm_head", withKey(t, gc, "tie_word_embeddings", false), gw, `tensor "lm_head.weight" is missing`},
		{"gpt2 untied with lm_head", withKey(t, gc, "tie_word_embeddings", false), f32Tensor(t, gw, "lm_head.weight", []uint64{64, 16}, other), ``},
		{"llama tied, lm_head differs", withKey(t, lc, "tie_word_embeddings", true), lw, `tie_word_embeddings is true but lm_head.weight differs from model.embed_tokens.weight`},
		{"mistral tied, lm_head differs", mc, f32Tensor(t, mw, "lm_head.weight", []uint64{64, 16}, other), `lm_head.weight differs from model.embed_tokens.weight`},
	} {
		if got := lmErr(c.config, c.weights, 2); (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
	// Untied GPT-2: the head is lm_head.weight.
	fm, err := hf.ParseLM(withKey(t, gc, "tie_word_embeddings", false), f32Tensor(t, gw, "lm_head.weight", []uint64{64, 16}, other), 2)
	if err != nil {
		t.Fatal(err)
	}
	last := fm.Graph.Nodes[len(fm.Graph.Nodes)-1].Op.Params()[0].T // [16, 64]
	if last.Data[3*64+5] != float64(other[5*16+3]) {
		t.Fatal("untied GPT-2: the head is not lm_head.weight")
	}
}

// transformers v5 writes RoPE's settings as rope_parameters {rope_type,
// rope_theta, ...} (no top-level rope_theta): the import read only
// rope_theta and rope_scaling, so such a file imported as plain RoPE with
// θ = 10000 whatever it said (a Llama 3 "llama3" RoPE among them).
func TestLMRopeParameters(t *testing.T) {
	lc, lw, _ := readCheckpoint(t, "llama")
	v5 := withKey(t, withKey(t, lc, "rope_theta", nil), "rope_scaling", nil)
	for _, c := range []struct {
		name   string
		params map[string]any
		want   string
	}{
		{"llama3", map[string]any{"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}, `rope_parameters`},
		{"linear", map[string]any{"rope_type": "linear", "rope_theta": 1000.0, "factor": 2.0}, `rope_parameters`},
		{"unknown key", map[string]any{"rope_type": "default", "rope_theta": 1000.0, "factor": 2.0}, `rope_parameters`},
		{"partial", map[string]any{"rope_type": "default", "rope_theta": 1000.0, "partial_rotary_factor": 0.5}, `partial_rotary_factor`},
		{"bad theta", map[string]any{"rope_type": "default", "rope_theta": -3.0}, `rope_theta`},
	} {
		if got := lmErr(withKey(t, v5, "rope_parameters", c.params), lw, 4); !strings.Contains(got, c.want) {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
	// rope_scaling is rope_parameters to transformers v5 (not to v4): a
	// rope_theta in it must agree with the model's.
	if got := lmErr(withKey(t, lc, "rope_scaling", map[string]any{"rope_type": "default", "rope_theta": 500000.0}), lw, 4); !strings.Contains(got, "rope_scaling") {
		t.Errorf("rope_scaling with rope_theta 500000 beside rope_theta 1000: got %q", got)
	}
	if got := lmErr(withKey(t, lc, "rope_scaling", map[string]any{"rope_type": "default", "rope_theta": 1000.0}), lw, 4); got != "" {
		t.Errorf("rope_scaling with the same rope_theta: %s", got)
	}
	// Both spellings must agree.
	if got := lmErr(withKey(t, lc, "rope_parameters", map[string]any{"rope_type": "default", "rope_theta": 500000.0}), lw, 4); !strings.Contains(got, "rope_theta") {
		t.Errorf("rope_theta 1000 and rope_parameters.rope_theta 500000: got %q", got)
	}
	// The default type with rope_theta 1000 is the checkpoint as saved by
	// transformers 4: the same graph, RoPE tables included.
	old, err := hf.ParseLM(lc, lw, 4)
	if err != nil {
		t.Fatal(err)
	}
	nu, err := hf.ParseLM(withKey(t, v5, "rope_parameters", map[string]any{"rope_type": "default", "rope_theta": 1000.0}), lw, 4)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range old.Graph.Nodes {
		if n.Op.Kind() != "rope" {
			continue
		}
		a, b := n.Op.Params()[0].T.Data, nu.Graph.Nodes[i].Op.Params()[0].T.Data
		if !slices.Equal(a, b) {
			t.Fatalf("%s: rope tables differ with rope_parameters", n.Name)
		}
	}
}

// transformers' Mistral has no biases (q/k/v/o and the MLP are
// bias=False whatever config.json says); the import read attention_bias
// and mlp_bias for Mistral as for Llama and added the file's bias tensors.
func TestLMMistralHasNoBiases(t *testing.T) {
	mc, mw, _ := readCheckpoint(t, "mistral")
	for _, k := range []string{"attention_bias", "mlp_bias"} {
		if got := lmErr(withKey(t, mc, k, true), mw, 2); !strings.Contains(got, k) || !strings.Contains(got, "mistral") {
			t.Errorf("%s true: got %q", k, got)
		}
	}
}

// config.json keys are case-sensitive for transformers (Python dicts):
// "Scale_Attn_Weights" is an unrelated attribute, but Go's encoding/json
// matched it to scale_attn_weights (the last spelling winning). And an
// explicit null is not an absent key: scale_attn_weights null is falsy
// (no scaling) in transformers, not the default true.
func TestConfigKeysAsTransformersReadsThem(t *testing.T) {
	gc, gw, _ := readCheckpoint(t, "gpt2")
	scale := func(fm *quant.FloatModel) float64 {
		for _, n := range fm.Graph.Nodes {
			if a, ok := n.Op.(*ops.Attention); ok {
				return a.Scale
			}
		}
		t.Fatal("no attention")
		return 0
	}
	fm, err := hf.ParseLM(withKey(t, gc, "Scale_Attn_Weights", false), gw, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := scale(fm), 1/math.Sqrt(8); got != want {
		t.Errorf("with an unrelated key Scale_Attn_Weights: scale %v, want %v", got, want)
	}
	for _, k := range []string{"scale_attn_weights", "layer_norm_epsilon", "activation_function", "vocab_size", "tie_word_embeddings"} {
		cfg := []byte(strings.Replace(string(withKey(t, gc, k, "X")), `"X"`, `null`, 1))
		if got := lmErr(cfg, gw, 2); !strings.Contains(got, k) || !strings.Contains(got, "null") {
			t.Errorf("%s null: got %q", k, got)
		}
	}
	// n_inner null is transformers' own default (4·n_embd).
	if got := lmErr(gc, gw, 2); got != "" {
		t.Fatal(got)
	}
}

// A header of ~100 MB (the library's own bound) whose one tensor has a
// shape of 50 million ones is valid safetensors (1 element, 4 bytes), but
// decoding it took 4.3 GB of resident memory and 45 s (a 94 MB file; 46×
// amplification, measured with /usr/bin/time -v, load 20 on 2 cores). The
// header is now bounded by hf.MaxHeaderSize before it is decoded; here a
// header just beyond it, built cheaply, is refused at once.
func TestSafetensorsHeaderBounded(t *testing.T) {
	config, _, _ := tinyLlama(t)
	var h strings.Builder
	h.WriteString(`{"x":{"dtype":"F32","data_offsets":[0,4],"shape":[`)
	for h.Len() < hf.MaxHeaderSize {
		h.WriteString("1,")
	}
	h.WriteString(`1]}}`)
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	f := make([]byte, 8, 8+h.Len()+4)
	binary.LittleEndian.PutUint64(f, uint64(h.Len()))
	f = append(append(f, h.String()...), 0, 0, 0, 0)
	got := lmErr(config, f, 2)
	if !strings.Contains(got, "header too large") || !strings.Contains(got, "at most") {
		t.Fatalf("got %q", got)
	}
	// An honest header far below the bound still opens.
	if got := lmErr(config, tinyFile(t, nil, -1), 2); got != "" {
		t.Fatal(got)
	}
}

// The options the import reads, away from their defaults, against torch
// (testdata/hf/make_lm.py's gpt2_var and llama_var, written in transformers'
// formulas): GPT-2 with "transformer." names, scale_attn_weights false and
// scale_attn_by_inverse_layer_idx, the exact GELU, n_inner, a layer-norm
// epsilon of 1e-3 and an untied head (BF16); Llama with head_dim·heads ≠
// hidden_size, one KV head, attention and MLP biases, the default
// rope_theta and rms_norm_eps, hidden_act "swish" and a tied head (F32).
func TestLMOptionsMatchTorch(t *testing.T) {
	for _, name := range []string{"gpt2_var", "llama_var"} {
		config, weights, ref := readCheckpoint(t, name)
		fm, err := hf.ParseLM(config, weights, len(ref.IDs))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		vals, err := fm.Graph.Eval(floats(ref.IDs))
		if err != nil {
			t.Fatal(err)
		}
		got := vals[fm.Graph.Outputs[0]]
		if len(got) != len(ref.Logits) {
			t.Fatalf("%s: %d logits, torch has %d", name, len(got), len(ref.Logits))
		}
		worst := 0.0
		for i := range got {
			worst = math.Max(worst, math.Abs(got[i]-ref.Logits[i]))
		}
		t.Logf("%s: float logits within %.2g of torch's", name, worst)
		if worst > 1e-4 {
			t.Errorf("%s: float logits off torch's by %g", name, worst)
		}
		// Quantized, it is still a causal LM whose top tokens follow torch's.
		m := lmQuantized(t, fm, ref.IDs)
		x, err := m.QuantizeInput(floats(ref.IDs))
		if err != nil {
			t.Fatal(err)
		}
		tr, err := m.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		q, v, agree := m.OutputValues(tr), len(ref.Logits)/len(ref.IDs), 0
		for r := 0; r < len(q); r += v {
			if argmax(q[r:r+v]) == argmax(ref.Logits[r:r+v]) {
				agree++
			}
		}
		t.Logf("%s: integer top-1 agrees with torch at %d of %d positions", name, agree, len(ref.IDs))
		if agree < len(ref.IDs)/2 {
			t.Errorf("%s: integer top-1 agrees at only %d of %d positions", name, agree, len(ref.IDs))
		}
		if _, err := ops.NextTokensModel(m, 2, len(ref.IDs)-1); err != nil {
			t.Fatalf("%s: not accepted as a causal LM: %v", name, err)
		}
	}
}

// GPT2Config's attribute_map makes hidden_size, max_position_embeddings,
// num_attention_heads and num_hidden_layers aliases of n_embd,
// n_positions, n_head and n_layer, set after them: a GPT-2 config.json
// with "n_head": 2 and "num_attention_heads": 4 has 4 heads in
// transformers (the same weights, a different model), and one with
// "num_hidden_layers": 1 runs one block. The import read only the n_*
// keys. Now an alias alone is read as transformers reads it, and an alias
// disagreeing with its n_* key is refused.
func TestGPT2ConfigAliases(t *testing.T) {
	gc, gw, _ := readCheckpoint(t, "gpt2")
	for _, c := range []struct{ key, alias string }{
		{"n_head", "num_attention_heads"}, {"n_layer", "num_hidden_layers"}, {"n_embd", "hidden_size"}, {"n_positions", "max_position_embeddings"},
	} {
		got := lmErr(withKey(t, gc, c.alias, 4), gw, 2)
		if !strings.Contains(got, c.key) || !strings.Contains(got, c.alias) {
			t.Errorf("%s 4 beside %s: got %q", c.alias, c.key, got)
		}
	}
	// The alias alone: 4 heads, as transformers builds it.
	fm, err := hf.ParseLM(withKey(t, withKey(t, gc, "n_head", nil), "num_attention_heads", 4), gw, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range fm.Graph.Nodes {
		if a, ok := n.Op.(*ops.Attention); ok && (a.Heads != 4 || a.HeadDim != 4) {
			t.Fatalf("%s: %d heads of %d", n.Name, a.Heads, a.HeadDim)
		}
	}
	// Equal values are fine.
	if got := lmErr(withKey(t, gc, "num_attention_heads", 2), gw, 2); got != "" {
		t.Fatal(got)
	}
	// The legacy blocks import reads them the same way.
	if _, err := hf.Parse(withKey(t, gc, "num_hidden_layers", 1), gw, hf.Options{SeqLen: 2}); err == nil || !strings.Contains(err.Error(), "num_hidden_layers") {
		t.Errorf("blocks import with num_hidden_layers 1 beside n_layer 2: %v", err)
	}
}

// 16-bit edge values: ±Inf and NaN in BF16 (the Llama) and F16 (the
// Mistral) are refused by name; the largest finite values, subnormals and
// −0 import as their exact values.
func TestLM16BitEdgeValues(t *testing.T) {
	lc, lw, _ := readCheckpoint(t, "llama")
	mc, mw, _ := readCheckpoint(t, "mistral")
	set := func(w []byte, name string, bits uint16) []byte {
		return rewrite(t, w, func(n string, ti *tensorInfo, d []byte) ([]byte, bool) {
			if n == name {
				d = slices.Clone(d)
				binary.LittleEndian.PutUint16(d[2:], bits) // element 1
			}
			return d, true
		})
	}
	for _, c := range []struct {
		name            string
		config, weights []byte
		want            string
	}{
		{"bf16 +Inf", lc, set(lw, "model.norm.weight", 0x7f80), `tensor "model.norm.weight" element 1 is +Inf`},
		{"bf16 −Inf", lc, set(lw, "model.norm.weight", 0xff80), `element 1 is -Inf`},
		{"bf16 NaN", lc, set(lw, "model.norm.weight", 0x7fc1), `element 1 is NaN`},
		{"f16 +Inf", mc, set(mw, "model.norm.weight", 0x7c00), `tensor "model.norm.weight" element 1 is +Inf`},
		{"f16 NaN", mc, set(mw, "model.norm.weight", 0xfe01), `element 1 is NaN`},
	} {
		if got := lmErr(c.config, c.weights, 2); !strings.Contains(got, c.want) {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
	norm := func(fm *quant.FloatModel) float64 {
		for _, n := range fm.Graph.Nodes {
			if n.Name == "head.norm" {
				return n.Op.Params()[0].T.Data[1]
			}
		}
		t.Fatal("no head.norm")
		return 0
	}
	for _, c := range []struct {
		name            string
		config, weights []byte
		want            float64
	}{
		{"bf16 max", lc, set(lw, "model.norm.weight", 0x7f7f), float64(math.Float32frombits(0x7f7f0000))},
		{"bf16 subnormal", lc, set(lw, "model.norm.weight", 0x0001), float64(math.Float32frombits(0x00010000))},
		{"bf16 −0", lc, set(lw, "model.norm.weight", 0x8000), math.Copysign(0, -1)},
		{"f16 max", mc, set(mw, "model.norm.weight", 0x7bff), 65504},
		{"f16 smallest subnormal", mc, set(mw, "model.norm.weight", 0x0001), math.Ldexp(1, -24)},
	} {
		fm, err := hf.ParseLM(c.config, c.weights, 2)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := norm(fm); got != c.want || math.Signbit(got) != math.Signbit(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
