package importer_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/hf"
	"github.com/zkinfer/zkinfer/quant/importer"
	"github.com/zkinfer/zkinfer/quant/onnx"
)

func write(t testing.TB, path string, data []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	ffn := quant.Config{Architecture: quant.ArchitectureFFN, DModel: 8, DHidden: 16, SeqLen: 4, Activation: quant.ActivationReLU}
	if err := quant.WriteExample(filepath.Join(dir, "native"), ffn, 1, 1); err != nil {
		t.Fatal(err)
	}
	gpt2 := quant.Config{Architecture: quant.ArchitectureGPT2, DModel: 8, DHidden: 16, SeqLen: 4, NHead: 2, NLayer: 2,
		Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5, FinalLayerNorm: true}
	config, weights, err := hf.EncodeCheckpoint(quant.RandomModel(gpt2, 1))
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "hf", "config.json"), config)
	hfModel := write(t, filepath.Join(dir, "hf", "model.safetensors"), weights)
	graph, err := onnx.EncodeFFN(quant.RandomModel(ffn, 1), onnx.FormGemm, true)
	if err != nil {
		t.Fatal(err)
	}
	onnxModel := write(t, filepath.Join(dir, "m.ONNX"), graph)

	for _, c := range []struct {
		path   string
		opts   importer.Options
		format string
		layers int
		err    string
	}{
		{filepath.Join(dir, "native", quant.ExampleWeights), importer.Options{}, importer.FormatNative, 0, ""},
		{filepath.Join(dir, "native", quant.ExampleWeights), importer.Options{SeqLen: 4}, "", 0, "a zkinfer config sets seq_len itself"},
		{hfModel, importer.Options{SeqLen: 4}, importer.FormatHF, 2, ""},
		{hfModel, importer.Options{Blocks: "1:"}, importer.FormatHF, 1, ""},
		{hfModel, importer.Options{Blocks: "1"}, "", 0, `--blocks: invalid input: block range "1"`},
		{onnxModel, importer.Options{SeqLen: 4}, importer.FormatONNX, 0, ""},
		{onnxModel, importer.Options{SeqLen: 4, Blocks: "0:1"}, "", 0, "--blocks selects blocks of a Hugging Face"},
		// The sequence length from the input's values (seq·d_model).
		{filepath.Join(dir, "native", quant.ExampleWeights), importer.Options{InputValues: 32}, importer.FormatNative, 0, ""},
		{filepath.Join(dir, "native", quant.ExampleWeights), importer.Options{InputValues: 40}, "", 0, "40 values (5 rows of d_model = 8), but the model's sequence length is 4"},
		{hfModel, importer.Options{InputValues: 6 * 8}, importer.FormatHF, 2, ""},
		{hfModel, importer.Options{InputValues: 20}, "", 0, "20 values, not a whole number of rows of n_embd = 8"},
		{hfModel, importer.Options{InputValues: 9 * 8}, "", 0, "seq_len 9 exceeds the model's n_positions 8"},
		{hfModel, importer.Options{SeqLen: 4, InputValues: 6 * 8}, "", 0, "but --seq-len is 4 (32 values)"},
		{onnxModel, importer.Options{InputValues: 32}, importer.FormatONNX, 0, ""},
	} {
		m := openOrRefused(t, c.path, c.opts, c.err)
		if m == nil {
			continue
		}
		if m.Format != c.format || len(m.Float.Blocks) != c.layers {
			t.Errorf("%s %+v: format %s with %d blocks, want %s with %d", c.path, c.opts, m.Format, len(m.Float.Blocks), c.format, c.layers)
		}
	}
}

func TestInputValues(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		data string
		n    int
		err  string
	}{
		{`{"input_data": [[1, 2, 3], [4, 5, 6]]}`, 3, ""},
		{`{"input_data": [[1, 2], [3]]}`, 0, "sample 1 has 1 values, sample 0 has 2"},
		{`{"input_data": []}`, 0, "input_data holds no values"},
		{`{"input_data": [[]]}`, 0, "input_data holds no values"},
		{`[1, 2]`, 0, "malformed input JSON"},
	} {
		n, err := importer.InputValues(write(t, filepath.Join(dir, "in.json"), []byte(c.data)))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: got %v, want %q", c.data, err, c.err)
			}
		} else if err != nil || n != c.n {
			t.Errorf("%s: %d, %v; want %d", c.data, n, err, c.n)
		}
	}
	if _, err := importer.InputValues(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("a missing file was read")
	}
}

// The sequence length taken from an input file never panics and yields a
// model that takes exactly the input's samples.
func FuzzInputValues(f *testing.F) {
	dir := f.TempDir()
	hfConfig, hfWeights, err := hf.EncodeCheckpoint(quant.RandomModel(quant.Config{Architecture: quant.ArchitectureGPT2, DModel: 4, DHidden: 8, SeqLen: 2,
		NHead: 2, NLayer: 1, Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5, FinalLayerNorm: true}, 1))
	if err != nil {
		f.Fatal(err)
	}
	write(f, filepath.Join(dir, "hf", "config.json"), hfConfig)
	hfModel := write(f, filepath.Join(dir, "hf", "model.safetensors"), hfWeights)
	f.Add(8, 0)
	f.Add(7, 2)
	f.Add(-4, 0)
	f.Fuzz(func(t *testing.T, values, seq int) {
		m, err := importer.Open(hfModel, importer.Options{InputValues: values, SeqLen: seq})
		if err != nil {
			return
		}
		if c := m.Float.Config; values != 0 && c.SeqLen*c.DModel != values {
			t.Fatalf("%d values imported as seq_len %d", values, c.SeqLen)
		}
	})
}

// Hugging Face checkpoints as language models: GPT-2 with LM set, Llama
// always; the sequence length from --seq-len or the input's ids.
func TestOpenLM(t *testing.T) {
	lmDir := filepath.Join("..", "..", "testdata", "hf")
	gpt2 := filepath.Join(lmDir, "gpt2", "model.safetensors")
	llama := filepath.Join(lmDir, "llama", "model.safetensors")
	onnxLM := filepath.Join("..", "..", "testdata", "onnx", "lm", "nanogpt_op14.onnx")
	for _, c := range []struct {
		path string
		opts importer.Options
		seq  int
		err  string
	}{
		{gpt2, importer.Options{LM: true, SeqLen: 5}, 5, ""},
		{gpt2, importer.Options{LM: true, InputValues: 3}, 3, ""},
		{gpt2, importer.Options{LM: true}, hf.DefaultSeqLen, ""},
		{gpt2, importer.Options{SeqLen: 5}, 0, ""}, // the legacy blocks
		{llama, importer.Options{SeqLen: 4}, 4, ""},
		{llama, importer.Options{LM: true, InputValues: 6}, 6, ""},
		{gpt2, importer.Options{LM: true, SeqLen: 4, InputValues: 5}, 0, "the input file's samples have 5 values, but the graph's input [1 4] takes 4"},
		{gpt2, importer.Options{LM: true, Blocks: "0:1"}, 0, "--blocks and --lm exclude each other"},
		{llama, importer.Options{Blocks: "0:1"}, 0, "a llama checkpoint imports as a whole language model"},
		{gpt2, importer.Options{LM: true, SeqLen: 17}, 0, "seq_len 17 exceeds the model's 16 positions"},
		{onnxLM, importer.Options{LM: true}, 0, "--lm imports a Hugging Face checkpoint"},
	} {
		m := openOrRefused(t, c.path, c.opts, c.err)
		if m == nil {
			continue
		}
		if m.Format != importer.FormatHF {
			t.Errorf("%s %+v: format %s", c.path, c.opts, m.Format)
		}
		if c.seq == 0 {
			if m.Float.Config.Architecture != quant.ArchitectureGPT2 {
				t.Errorf("%s %+v: %s, want the gpt2 blocks", c.path, c.opts, m.Float.Config.Architecture)
			}
			continue
		}
		if g := m.Float.Graph; g == nil || g.InputSize() != c.seq || g.InputSpecs[0].DType != quant.DTypeIndex {
			t.Errorf("%s %+v: not an LM over %d ids", c.path, c.opts, c.seq)
		}
	}
}

// openOrRefused opens path with opts; where wantErr is set it checks that
// the refusal names it and returns nil.
func openOrRefused(t *testing.T, path string, opts importer.Options, wantErr string) *importer.Model {
	t.Helper()
	m, err := importer.Open(path, opts)
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%s %+v: got %v, want %q", path, opts, err, wantErr)
		}
		return nil
	}
	if err != nil {
		t.Fatalf("%s %+v: %v", path, opts, err)
	}
	return m
}
