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

func write(t *testing.T, path string, data []byte) string {
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
	} {
		m, err := importer.Open(c.path, c.opts)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s %+v: got %v, want %q", c.path, c.opts, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s %+v: %v", c.path, c.opts, err)
		}
		if m.Format != c.format || len(m.Float.Blocks) != c.layers {
			t.Errorf("%s %+v: format %s with %d blocks, want %s with %d", c.path, c.opts, m.Format, len(m.Float.Blocks), c.format, c.layers)
		}
	}
}
