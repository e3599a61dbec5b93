package hf_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/consensys/gnark/test"

	"github.com/zkinfer/zkinfer/circuits/graph/graphtest"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/hf"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// lmDir holds the tiny checkpoints of testdata/hf/make_lm.py.
var lmDir = filepath.Join("..", "..", "testdata", "hf")

type torchLogits struct {
	IDs    []int64   `json:"ids"`
	Logits []float64 `json:"logits"`
}

func readCheckpoint(t testing.TB, name string) (config, weights []byte, ref torchLogits) {
	t.Helper()
	read := func(f string) []byte {
		data, err := os.ReadFile(filepath.Join(lmDir, name, f))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	if err := json.Unmarshal(read("logits.json"), &ref); err != nil {
		t.Fatal(err)
	}
	return read("config.json"), read("model.safetensors"), ref
}

func floats(ids []int64) []float64 {
	x := make([]float64, len(ids))
	for i, v := range ids {
		x[i] = float64(v)
	}
	return x
}

func argmax(x []float64) int {
	best := 0
	for j := range x {
		if x[j] > x[best] {
			best = j
		}
	}
	return best
}

// lmQuantized calibrates fm on 24 random id sequences and ids, and quantizes it.
func lmQuantized(t testing.TB, fm *quant.FloatModel, ids []int64) *quant.Model {
	t.Helper()
	v := int(fm.Graph.InputSpecs[0].Hi + 1)
	rng := rand.New(rand.NewPCG(15, 10))
	cal := [][]float64{floats(ids)}
	for range 24 {
		x := make([]float64, len(ids))
		for i := range x {
			x[i] = float64(rng.IntN(v))
		}
		cal = append(cal, x)
	}
	return graphtest.Quantized(t, fm, cal)
}

// The tiny checkpoints (GPT-2 F32 without the "transformer." prefix, Llama
// BF16 with GQA and two layers, Mistral F16 with tied embeddings) import
// as whole language models: the float graph computes torch's logits, the
// integer logits follow them, the graph is causal (quant.CheckCausal via
// ops.NextTokensModel) and uses the ops the ONNX LM path uses.
func TestLMMatchesTorch(t *testing.T) {
	for _, c := range []struct {
		name  string
		kinds map[string]int
	}{
		{"gpt2", map[string]int{"gather": 1, "affine": 1, "layernorm": 5, "attention": 2, "linear": 13, "unary": 2}},
		{"llama", map[string]int{"gather": 1, "rmsnorm": 5, "rope": 4, "attention": 2, "linear": 15, "unary": 2, "binary": 6}},
		{"mistral", map[string]int{"gather": 1, "rmsnorm": 3, "rope": 2, "attention": 1, "linear": 8}},
	} {
		t.Run(c.name, func(t *testing.T) {
			config, weights, ref := readCheckpoint(t, c.name)
			fm, err := hf.ParseLM(config, weights, len(ref.IDs))
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[string]int{}
			for _, n := range fm.Graph.Nodes {
				kinds[n.Op.Kind()]++
			}
			for k, want := range c.kinds {
				if kinds[k] != want {
					t.Errorf("%d %s nodes, want %d (%v)", kinds[k], k, want, kinds)
				}
			}
			vals, err := fm.Graph.Eval(floats(ref.IDs))
			if err != nil {
				t.Fatal(err)
			}
			got := vals[fm.Graph.Outputs[0]]
			if len(got) != len(ref.Logits) {
				t.Fatalf("%d logits, torch has %d", len(got), len(ref.Logits))
			}
			worst := 0.0
			for i := range got {
				worst = math.Max(worst, math.Abs(got[i]-ref.Logits[i]))
			}
			if worst > 1e-4 {
				t.Errorf("float logits off torch's by %g", worst)
			}
			m := lmQuantized(t, fm, ref.IDs)
			x, err := m.QuantizeInput(floats(ref.IDs))
			if err != nil {
				t.Fatal(err)
			}
			tr, err := m.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			q := m.OutputValues(tr)
			v := len(ref.Logits) / len(ref.IDs)
			qWorst, mag, agree := 0.0, 0.0, 0
			for i := range q {
				qWorst, mag = math.Max(qWorst, math.Abs(q[i]-ref.Logits[i])), math.Max(mag, math.Abs(ref.Logits[i]))
			}
			for r := 0; r < len(q); r += v {
				if argmax(q[r:r+v]) == argmax(ref.Logits[r:r+v]) {
					agree++
				}
			}
			if qWorst > 0.15*mag {
				t.Errorf("integer logits off torch's by %.3f (magnitude %.3f)", qWorst, mag)
			}
			if _, err := ops.NextTokensModel(m, 2, len(ref.IDs)-1); err != nil {
				t.Fatalf("not accepted as a causal LM: %v", err)
			}
			t.Logf("%s: %d nodes, estimate %d R1CS; float vs torch %.2g; integer vs torch %.3f (magnitude %.3f), top-1 agreement %d of %d",
				c.name, len(fm.Graph.Nodes), m.Graph.Cost().R1CS, worst, qWorst, mag, agree, len(ref.IDs))
		})
	}
}

// The integer graphs' circuits accept exactly the integer reference's
// logits (an output moved by one is rejected) on extreme and random ids,
// and a greedy completion of the tiny GPT-2 and Llama is checked in one
// pass (a non-argmax token rejected); the Llama's is proven with the real
// Groth16 prover (the GPT-2's by cmd/zkinfer/testdata/hf_lm.txt).
func TestLMCircuits(t *testing.T) {
	for _, name := range []string{"gpt2", "llama"} {
		t.Run(name, func(t *testing.T) {
			config, weights, ref := readCheckpoint(t, name)
			const seq = 6
			fm, err := hf.ParseLM(config, weights, seq)
			if err != nil {
				t.Fatal(err)
			}
			m := lmQuantized(t, fm, ref.IDs[:seq])
			v := int64(m.Graph.Input().Hi)
			rng := rand.New(rand.NewPCG(3, 4))
			inputs := [][][]int64{{make([]int64, seq)}, {slices.Repeat([]int64{v}, seq)}}
			for range 2 {
				x := make([]int64, seq)
				for i := range x {
					x[i] = rng.Int64N(v + 1)
				}
				inputs = append(inputs, [][]int64{x})
			}
			graphtest.Matches(t, m, inputs)
			// Greedy completion: prompt of 2, 4 new tokens, proven in one pass.
			prompt, n := ref.IDs[:2], 4
			ids := slices.Clone(prompt)
			for k := range n {
				x := make([]int64, seq)
				copy(x, ids)
				tr, err := m.Forward([][]int64{x})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, ops.Greedy(tr.Outputs[0], int(v+1), len(prompt)-1+k, 1)[0])
			}
			gm, err := ops.NextTokensModel(m, len(prompt), n)
			if err != nil {
				t.Fatal(err)
			}
			x := [][]int64{append(slices.Clone(ids[:seq-1]), 0)}
			tr, err := gm.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(tr.Outputs[0], ids[len(prompt):]) {
				t.Fatalf("one pass completes %v, step by step %v", tr.Outputs[0], ids[len(prompt):])
			}
			circ := graphtest.Circuit(t, gm, graphtest.PublicIO)
			if err := test.IsSolved(circ, graphtest.Assign(t, gm, tr), graphtest.Field); err != nil {
				t.Fatal(err)
			}
			out := slices.Clone(tr.Outputs[0])
			out[n-1] = (out[n-1] + 1) % (v + 1)
			bad := *tr
			bad.Outputs = [][]int64{out}
			if test.IsSolved(circ, graphtest.Assign(t, gm, &bad), graphtest.Field) == nil {
				t.Fatal("a non-argmax completion token was accepted")
			}
			if name == "llama" {
				// The real Groth16 prover on the greedy-completion model.
				graphtest.ProveTampered(t, gm, x, nil)
			}
			t.Logf("%s: prompt %v → completion %v", name, prompt, ids[len(prompt):])
		})
	}
}

// The head: lm_head.weight when the GPT-2 file has it; Llama's
// tie_word_embeddings reads embed_tokens; a vocabulary beyond quant.MaxDim
// splits the head into column blocks.
func TestLMHead(t *testing.T) {
	config, weights, ref := readCheckpoint(t, "llama")
	fm, err := hf.ParseLM(config, weights, 4)
	if err != nil {
		t.Fatal(err)
	}
	// Tied: lm_head.weight (different values) must not be in the file.
	tied, err := hf.ParseLM(withKey(t, config, "tie_word_embeddings", true), renameTensor(t, weights, "lm_head.weight", "unused.weight"), 4)
	if err != nil {
		t.Fatal(err)
	}
	head := func(fm *quant.FloatModel) []float64 {
		n := fm.Graph.Nodes[len(fm.Graph.Nodes)-1]
		if n.Name != "head.lm_head" {
			t.Fatalf("last node %s", n.Name)
		}
		return n.Op.Params()[0].T.Data
	}
	emb := fm.Graph.Nodes[0].Op.Params()[0].T
	if d := emb.Shape[1]; head(tied)[1] != emb.Data[1*d+0] || slices.Equal(head(fm), head(tied)) {
		t.Fatal("tie_word_embeddings: the head is not embed_tokensᵀ")
	}
	_ = ref

	// GPT-2 with a vocabulary of 40000 > quant.MaxDim: the tied head in
	// two column blocks and a concat, each logit ln_f(x)·wte[v].
	gc, gw, _ := readCheckpoint(t, "gpt2")
	const v = 40000
	wte := make([]byte, 4*v*16)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < len(wte); i += 4 {
		binary.LittleEndian.PutUint32(wte[i:], math.Float32bits(float32(rng.NormFloat64()*0.5)))
	}
	big, err := hf.ParseLM(withKey(t, gc, "vocab_size", v), replaceTensor(t, gw, "wte.weight", []uint64{v, 16}, wte), 2)
	if err != nil {
		t.Fatal(err)
	}
	g := big.Graph
	last := g.Nodes[len(g.Nodes)-1]
	if last.Op.Kind() != "concat" || len(last.In) != 2 || !slices.Equal(g.Shapes[g.Outputs[0]], []int{1, 2, v}) {
		t.Fatalf("head %s of %d inputs, logits %v", last.Op.Kind(), len(last.In), g.Shapes[g.Outputs[0]])
	}
	vals, err := g.Eval([]float64{1, v - 1})
	if err != nil {
		t.Fatal(err)
	}
	var lnf []float64
	for id, n := range g.Names {
		if n == "head.ln_f" {
			lnf = vals[id]
		}
	}
	logits := vals[g.Outputs[0]]
	for _, c := range [][2]int{{0, 0}, {1, v - 1}, {0, v / 2}, {1, v/2 - 1}} {
		want := 0.0
		for j := range 16 {
			want += lnf[c[0]*16+j] * float64(math.Float32frombits(binary.LittleEndian.Uint32(wte[4*(c[1]*16+j):])))
		}
		if got := logits[c[0]*v+c[1]]; math.Abs(got-want) > 1e-9 {
			t.Fatalf("logit %v = %v, want %v", c, got, want)
		}
	}
}

// replaceTensor replaces tensor name's shape and data (the file rewritten).
func replaceTensor(t testing.TB, w []byte, name string, shape []uint64, data []byte) []byte {
	t.Helper()
	return rewrite(t, w, func(n string, ti *tensorInfo, chunk []byte) ([]byte, bool) {
		if n == name {
			ti.Shape, chunk = shape, data
		}
		return chunk, true
	})
}

func withKey(t testing.TB, config []byte, k string, v any) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(config, &m); err != nil {
		t.Fatal(err)
	}
	if v == nil {
		delete(m, k)
	} else {
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// What config.json or the weights get wrong: one-line errors, before
// anything large is allocated.
func TestLMRejects(t *testing.T) {
	gc, gw, _ := readCheckpoint(t, "gpt2")
	lc, lw, _ := readCheckpoint(t, "llama")
	for _, c := range []struct {
		name            string
		config, weights []byte
		seq             int
		want            string
	}{
		{"bert", withKey(t, gc, "model_type", "bert"), gw, 4, `model_type "bert" is not supported (supported: "gpt2", "llama", "mistral")`},
		{"seq beyond n_positions", gc, gw, 17, `seq_len 17 exceeds the model's 16 positions`},
		{"huge vocab", withKey(t, gc, "vocab_size", 1<<30), gw, 4, `vocab_size = 1073741824, want 2..16777216`},
		{"huge embedding", withKey(t, withKey(t, gc, "vocab_size", 1<<24), "n_embd", 4096), gw, 4, `an embedding table of 16777216 × 4096 values`},
		{"huge d", withKey(t, gc, "n_embd", 1<<20), gw, 4, `hidden size 1048576, want 1..4096`},
		{"many layers", withKey(t, gc, "n_layer", 100000), gw, 4, `n_layer = 100000, want 1..256`},
		{"params beyond the file", withKey(t, gc, "vocab_size", 50257), gw, 4, `config.json describes 810960 parameters (at least 1621920 bytes), the weights file has 35928 bytes`},
		{"heads", withKey(t, gc, "n_head", 3), gw, 4, `n_embd = 16 does not divide into n_head = 3 heads`},
		{"gpt2 layer missing", withKey(t, gc, "n_layer", 3), gw, 4, ``},
		{"relu", withKey(t, gc, "activation_function", "relu"), gw, 4, `activation_function "relu" is not supported`},
		{"kv heads", withKey(t, lc, "num_key_value_heads", 3), lw, 4, `num_key_value_heads = 3 does not divide num_attention_heads = 4`},
		{"rope scaling", withKey(t, lc, "rope_scaling", map[string]any{"rope_type": "llama3", "factor": 8}), lw, 4, `rope_scaling {"factor":8,"rope_type":"llama3"} is not supported`},
		{"odd head_dim", withKey(t, withKey(t, lc, "head_dim", 3), "hidden_size", 16), lw, 4, `head_dim = 3, want an even number`},
		{"gelu", withKey(t, lc, "hidden_act", "gelu"), lw, 4, `hidden_act "gelu" is not supported`},
		{"sliding window", withKey(t, lc, "sliding_window", 2), lw, 4, `sliding_window = 2 is shorter than the 4 positions`},
		{"wrong shape", withKey(t, lc, "intermediate_size", 16), lw, 4, `tensor "model.layers.0.mlp.gate_proj.weight" has shape [32 16], config.json implies [16 16]`},
		{"untied without lm_head", withKey(t, lc, "tie_word_embeddings", nil), renameTensor(t, lw, "lm_head.weight", "lm_head.weight_renamed"), 4, `tensor "lm_head.weight" is missing from the checkpoint`},
		{"bias missing", withKey(t, lc, "attention_bias", true), lw, 4, `tensor "model.layers.0.self_attn.q_proj.bias" is missing`},
		{"int dtype", lc, retype(t, lw, "model.norm.weight", "I16"), 4, `tensor "model.norm.weight" has dtype I16 (supported: F32, F16, BF16, F64)`},
		{"not safetensors", lc, append([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}, lw[8:]...), 4, `malformed safetensors file`},
		{"truncated", lc, lw[:len(lw)-2], 4, `malformed safetensors file`},
		{"seq", lc, lw, quant.MaxSeqLen + 1, `seq_len 4097, want 1..4096`},
	} {
		_, err := hf.ParseLM(c.config, c.weights, c.seq)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

// header returns the JSON header of a safetensors file and its data.
func header(t testing.TB, w []byte) (map[string]json.RawMessage, []byte) {
	t.Helper()
	n := int(uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24)
	var h map[string]json.RawMessage
	if err := json.Unmarshal(w[8:8+n], &h); err != nil {
		t.Fatal(err)
	}
	return h, w[8+n:]
}

// encode writes a safetensors file from a header and data.
func encode(t testing.TB, h map[string]any, data []byte) []byte {
	t.Helper()
	hb, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 8, 8+len(hb)+len(data))
	n := len(hb)
	for i := range 8 {
		out[i] = byte(n >> (8 * i))
	}
	return append(append(out, hb...), data...)
}

type tensorInfo struct {
	DType   string   `json:"dtype"`
	Shape   []uint64 `json:"shape"`
	Offsets []uint64 `json:"data_offsets"`
}

// rewrite applies f to every tensor entry of w's header and its data (f
// returns the new data; false drops the tensor) and rewrites the file,
// data offsets packed again.
func rewrite(t testing.TB, w []byte, f func(name string, ti *tensorInfo, data []byte) ([]byte, bool)) []byte {
	t.Helper()
	h, data := header(t, w)
	type entry struct {
		name string
		ti   tensorInfo
	}
	var es []entry
	for k, raw := range h {
		if k == "__metadata__" {
			continue
		}
		var ti tensorInfo
		if err := json.Unmarshal(raw, &ti); err != nil {
			t.Fatal(err)
		}
		es = append(es, entry{k, ti})
	}
	slices.SortFunc(es, func(a, b entry) int { return int(a.ti.Offsets[0]) - int(b.ti.Offsets[0]) })
	out := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	var nd []byte
	for _, e := range es {
		chunk, keep := f(e.name, &e.ti, data[e.ti.Offsets[0]:e.ti.Offsets[1]])
		if !keep {
			continue
		}
		e.ti.Offsets = []uint64{uint64(len(nd)), uint64(len(nd) + len(chunk))}
		nd = append(nd, chunk...)
		out[e.name] = e.ti
	}
	return encode(t, out, nd)
}

// renameTensor renames tensor name to other.
func renameTensor(t testing.TB, w []byte, name, other string) []byte {
	t.Helper()
	h, data := header(t, w)
	out := map[string]any{}
	for k, raw := range h {
		if k == name {
			k = other
		}
		out[k] = raw
	}
	return encode(t, out, data)
}

func retype(t testing.TB, w []byte, name, dtype string) []byte {
	return rewrite(t, w, func(n string, ti *tensorInfo, data []byte) ([]byte, bool) {
		if n == name {
			ti.DType = dtype
		}
		return data, true
	})
}

// Hostile safetensors files: the importer returns an error (never panics,
// never allocates beyond the file's bound) whatever the header claims.
func FuzzParseLM(f *testing.F) {
	config, weights, _ := readCheckpoint(f, "llama")
	gc, gw, _ := readCheckpoint(f, "gpt2")
	f.Add(config, weights)
	f.Add(gc, gw)
	f.Add(config, weights[:len(weights)/2])
	f.Add(config, []byte("\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":{\"dtype\":1}}"))
	f.Add(config, []byte("\xff\xff\xff\xff\xff\xff\xff\xff"))
	huge := []byte(`{"__metadata__":{},"model.embed_tokens.weight":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}`)
	f.Add(config, append([]byte{byte(len(huge)), 0, 0, 0, 0, 0, 0, 0}, huge...))
	f.Fuzz(func(t *testing.T, config, weights []byte) {
		if m, err := hf.ParseLM(config, weights, 2); err == nil {
			if m.Graph == nil || len(m.Graph.Nodes) == 0 {
				t.Fatal("a model without nodes")
			}
		}
	})
}

// tinyLlama is a valid Llama checkpoint of the smallest shapes (vocabulary
// 2, hidden 2, one head of 2, MLP 1, one layer; F32 zeros but the norms),
// its tensors in order, so tests can break its header one field at a time.
func tinyLlama(t testing.TB) (config []byte, names []string, shapes [][]uint64) {
	config = []byte(`{"model_type": "llama", "vocab_size": 2, "hidden_size": 2, "intermediate_size": 1, "num_attention_heads": 1, "num_hidden_layers": 1}`)
	add := func(name string, shape ...uint64) {
		names, shapes = append(names, name), append(shapes, shape)
	}
	add("lm_head.weight", 2, 2)
	add("model.embed_tokens.weight", 2, 2)
	p := "model.layers.0."
	add(p+"input_layernorm.weight", 2)
	add(p+"post_attention_layernorm.weight", 2)
	for _, n := range []string{"q", "k", "v", "o"} {
		add(p+"self_attn."+n+"_proj.weight", 2, 2)
	}
	add(p+"mlp.gate_proj.weight", 1, 2)
	add(p+"mlp.up_proj.weight", 1, 2)
	add(p+"mlp.down_proj.weight", 2, 1)
	add("model.norm.weight", 2)
	return config, names, shapes
}

// tinyFile writes tinyLlama's tensors as F32 (entry k's header changed by
// f), data as the header's offsets say (padded or cut to dataLen when ≥ 0).
func tinyFile(t testing.TB, f func(k int, e map[string]any), dataLen int) []byte {
	_, names, shapes := tinyLlama(t)
	h := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	off := 0
	for k, name := range names {
		n := 4
		for _, s := range shapes[k] {
			n *= int(s)
		}
		e := map[string]any{"dtype": "F32", "shape": shapes[k], "data_offsets": []int{off, off + n}}
		off += n
		if f != nil {
			f(k, e)
		}
		if e["name"] != nil {
			name = e["name"].(string)
			delete(e, "name")
		}
		h[name] = e
	}
	if dataLen < 0 {
		dataLen = off
	}
	data := make([]byte, dataLen)
	for k := 0; k+4 <= len(data); k += 4 {
		data[k+2], data[k+3] = 0x80, 0x3f // 1.0
	}
	return encode(t, h, data)
}

// Hostile headers: every one is refused with a one-line error, none
// panics, and nothing is allocated from what the header claims before the
// file's length bounds it.
func TestSafetensorsHostile(t *testing.T) {
	config, _, _ := tinyLlama(t)
	if _, err := hf.ParseLM(config, tinyFile(t, nil, -1), 2); err != nil {
		t.Fatalf("the honest tiny checkpoint: %v", err)
	}
	valid := tinyFile(t, nil, -1)
	raw := func(header string, data int) []byte {
		b := make([]byte, 8, 8+len(header)+data)
		for i := range 8 {
			b[i] = byte(len(header) >> (8 * i))
		}
		return append(append(b, header...), make([]byte, data)...)
	}
	withLen := func(n uint64) []byte {
		b := slices.Clone(valid)
		for i := range 8 {
			b[i] = byte(n >> (8 * i))
		}
		return b
	}
	for _, c := range []struct {
		name    string
		weights []byte
		want    string
	}{
		{"empty", nil, "describes 36 parameters"},
		{"header length beyond the file", withLen(uint64(len(valid))), "malformed safetensors file: invalid header length"},
		{"header length 2^63", withLen(1 << 63), "malformed safetensors file: header too large"},
		{"header length 2^64 − 1", withLen(math.MaxUint64), "malformed safetensors file: header too large"},
		{"header not JSON", raw("{{{{", 200), "malformed safetensors file: invalid header deserialization"},
		{"header a list", raw("[1, 2, 3]", 200), "malformed safetensors file"},
		{"shape overflow", tinyFile(t, func(k int, e map[string]any) {
			if k == 0 {
				e["shape"] = []uint64{1 << 32, 1 << 32, 1 << 32}
			}
		}, -1), "malformed safetensors file"},
		{"shape lies about the bytes", tinyFile(t, func(k int, e map[string]any) {
			if k == 0 {
				e["shape"] = []uint64{1000, 1000}
			}
		}, -1), "malformed safetensors file: metadata validation error: info data offsets mismatch"},
		{"offsets overlap", tinyFile(t, func(k int, e map[string]any) {
			if k == 1 {
				e["data_offsets"] = []int{0, 16}
			}
		}, -1), "malformed safetensors file"},
		{"offsets beyond the file", tinyFile(t, nil, 100), "malformed safetensors file: metadata incomplete buffer"},
		{"negative offset", tinyFile(t, func(k int, e map[string]any) {
			if k == 0 {
				e["data_offsets"] = []int{-16, 0}
			}
		}, -1), "malformed safetensors file"},
		{"negative dimension", tinyFile(t, func(k int, e map[string]any) {
			if k == 0 {
				e["shape"] = []int{-2, -2}
			}
		}, -1), "malformed safetensors file"},
		{"unknown dtype", tinyFile(t, func(k int, e map[string]any) {
			if k == 0 {
				e["dtype"] = "Q4"
			}
		}, -1), "malformed safetensors file"},
		{"integer dtype", tinyFile(t, func(k int, e map[string]any) {
			if k == 2 {
				e["dtype"] = "I32"
			}
		}, -1), `tensor "model.layers.0.input_layernorm.weight" has dtype I32`},
		{"extra key", tinyFile(t, func(k int, e map[string]any) {
			if k == 0 {
				e["extra"] = 1
			}
		}, -1), "malformed safetensors file"},
		{"a tensor renamed", tinyFile(t, func(k int, e map[string]any) {
			if k == 3 {
				e["name"] = "model.layers.0.post_attention_layernorm.gamma"
			}
		}, -1), `tensor "model.layers.0.post_attention_layernorm.weight" is missing`},
		{"transposed shape", tinyFile(t, func(k int, e map[string]any) {
			if k == 8 {
				e["shape"] = []int{2, 1}
			}
		}, -1), `tensor "model.layers.0.mlp.gate_proj.weight" has shape [2 1], config.json implies [1 2]`},
		{"NaN weight", func() []byte {
			b := slices.Clone(valid)
			n := len(b)
			b[n-1], b[n-2] = 0x7f, 0xc0
			return b
		}(), `tensor "model.norm.weight" element 1 is NaN`},
	} {
		_, err := hf.ParseLM(config, c.weights, 2)
		t.Logf("%s: %v", c.name, err)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

// addTensors appends F32 tensors (name → values, 1-D) to a checkpoint.
func addTensors(t testing.TB, w []byte, add map[string][]float32) []byte {
	t.Helper()
	h, data := header(t, w)
	out := map[string]any{}
	for k, raw := range h {
		out[k] = raw
	}
	nd := slices.Clone(data)
	names := slices.Sorted(maps.Keys(add))
	for _, name := range names {
		vals := add[name]
		off := len(nd)
		for _, x := range vals {
			nd = binary.LittleEndian.AppendUint32(nd, math.Float32bits(x))
		}
		out[name] = tensorInfo{DType: "F32", Shape: []uint64{uint64(len(vals))}, Offsets: []uint64{uint64(off), uint64(len(nd))}}
	}
	return encode(t, out, nd)
}

// Optional tensors: an untied GPT-2's lm_head.weight is the head;
// Llama's attention_bias and mlp_bias read the projections' biases.
func TestLMOptionalTensors(t *testing.T) {
	gc, gw, _ := readCheckpoint(t, "gpt2")
	head := make([]float32, 64*16)
	for i := range head {
		head[i] = float32(i%7) / 7
	}
	// lm_head.weight [64, 16]: appended as 1-D, then reshaped in the header.
	w := addTensors(t, gw, map[string][]float32{"lm_head.weight": head})
	w = rewrite(t, w, func(n string, ti *tensorInfo, d []byte) ([]byte, bool) {
		if n == "lm_head.weight" {
			ti.Shape = []uint64{64, 16}
		}
		return d, true
	})
	fm, err := hf.ParseLM(withKey(t, gc, "tie_word_embeddings", false), w, 2)
	if err != nil {
		t.Fatal(err)
	}
	last := fm.Graph.Nodes[len(fm.Graph.Nodes)-1].Op.Params()[0].T // [16, 64]
	for v := range 64 {
		for j := range 16 {
			if last.Data[j*64+v] != float64(head[v*16+j]) {
				t.Fatalf("head [%d, %d] = %v, lm_head.weight has %v", j, v, last.Data[j*64+v], head[v*16+j])
			}
		}
	}

	lc, lw, _ := readCheckpoint(t, "llama")
	add := map[string][]float32{}
	for i := range 2 {
		for k, n := range map[string]int{"self_attn.q_proj": 16, "self_attn.k_proj": 8, "self_attn.v_proj": 8, "self_attn.o_proj": 16,
			"mlp.gate_proj": 32, "mlp.up_proj": 32, "mlp.down_proj": 16} {
			b := make([]float32, n)
			for j := range b {
				b[j] = float32(i+1) * float32(j) / 64
			}
			add[fmt.Sprintf("model.layers.%d.%s.bias", i, k)] = b
		}
	}
	fm, err = hf.ParseLM(withKey(t, withKey(t, lc, "attention_bias", true), "mlp_bias", true), addTensors(t, lw, add), 2)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, n := range fm.Graph.Nodes {
		var name string
		if _, err := fmt.Sscanf(n.Name, "h1.%s", &name); err != nil || n.Op.Kind() != "linear" {
			continue
		}
		key := map[string]string{"q_proj": "self_attn.q_proj", "k_proj": "self_attn.k_proj", "v_proj": "self_attn.v_proj", "o_proj": "self_attn.o_proj",
			"gate_proj": "mlp.gate_proj", "up_proj": "mlp.up_proj", "down_proj": "mlp.down_proj"}[name]
		want := add["model.layers.1."+key+".bias"]
		got := n.Op.Params()[1].T.Data
		for j := range want {
			if got[j] != float64(want[j]) {
				t.Fatalf("%s bias %d = %v, want %v", n.Name, j, got[j], want[j])
			}
		}
		found++
	}
	if found != 7 {
		t.Fatalf("%d biased projections in layer 1, want 7", found)
	}
}
