package onnx_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/onnx"
)

// A sequence length beyond the export's position tables (BLOCK = 16:
// Llama's cos/sin buffers, nanoGPT's wpe) or beyond the value bound is a
// named error, never a panic or a table read past its end; 16 and 1
// import.
func TestLMSeqBeyondTables(t *testing.T) {
	for _, c := range []struct {
		name string
		seq  int
		want string // "" imports
	}{
		{"llama_op14", 16, ""}, {"llama_op14", 1, ""},
		{"llama_op14", 17, "widens the activation"},
		{"nanogpt_op14", 16, ""},
		{"nanogpt_op14", 17, "Gather index out of range"},
		{"nanogpt_op14", 1 << 20, "more than"},
		{"llama_op14", 1 << 40, "dimension"},
	} {
		data, err := quant.ReadFileLimited(filepath.Join(lmDir, c.name+".onnx"), quant.MaxModelFileSize)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = onnx.ParseGraph(data, onnx.Options{SeqLen: c.seq})
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s at %d positions: %v", c.name, c.seq, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s at %d positions: %v, want an error naming %q", c.name, c.seq, err, c.want)
		}
	}
}
