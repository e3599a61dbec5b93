package importer_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/importer"
	"github.com/zkinfer/zkinfer/quant/onnx/onnxpb"
)

var onnxDir = filepath.Join("..", "..", "testdata", "onnx")

// ONNX files the legacy importers refuse by structure import as layer
// graphs; the ones they take, or refuse only for their options, do not.
func TestOpenGraphFallback(t *testing.T) {
	zoo := func(name string) string { return filepath.Join(onnxDir, "zoo", name+".onnx") }
	for _, c := range []struct {
		path  string
		opts  importer.Options
		arch  string
		notes int
		err   string
	}{
		{zoo("mlp3_op13"), importer.Options{}, quant.ArchitectureGraph, 0, ""},
		{zoo("mlp3_batch_op17_dyn"), importer.Options{}, quant.ArchitectureGraph, 1, ""},
		{zoo("op_sigmoid_op13"), importer.Options{InputValues: 64}, quant.ArchitectureGraph, 0, ""},
		{zoo("op_sigmoid_op13"), importer.Options{InputValues: 65}, "", 0, "the input file's samples have 65 values, but the graph's input [1 4 16] takes 64"},
		{refusedByBoth(t), importer.Options{}, "", 0, "; as a layer graph: onnx: node "},
		{zoo("op_softmax_op13"), importer.Options{}, quant.ArchitectureGraph, 0, ""},
		{zoo("mlp3_batch_op17_dyn"), importer.Options{SeqLen: 4}, "", 0, `--seq-len 4 sets a dynamic axis after the batch, but input "x" has none (its axes: ["batch", 16])`},
		// A legacy export with a dynamic sequence axis still asks for its length.
		{filepath.Join(onnxDir, "ffn_op13_dyn.onnx"), importer.Options{}, "", 0, "give the sequence length (--seq-len)"},
		{filepath.Join(onnxDir, "ffn_op13_dyn.onnx"), importer.Options{SeqLen: 3}, quant.ArchitectureFFN, 0, ""},
	} {
		m, err := importer.Open(c.path, c.opts)
		name := filepath.Base(c.path)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s %+v: got %v, want %q", name, c.opts, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %+v: %v", name, c.opts, err)
			continue
		}
		if m.Float.Config.Architecture != c.arch || len(m.Notes) != c.notes || m.Format != importer.FormatONNX {
			t.Errorf("%s %+v: %s model with notes %q, want %s with %d", name, c.opts, m.Float.Config.Architecture, m.Notes, c.arch, c.notes)
		}
	}
}

// refusedByBoth writes a zoo export with its op replaced by NonZero, which
// neither importer takes (every zoo export imports as a layer graph).
func refusedByBoth(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(onnxDir, "zoo", "op_sigmoid_op13.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(data, &mp); err != nil {
		t.Fatal(err)
	}
	for _, n := range mp.GetGraph().GetNode() {
		n.OpType = proto.String("NonZero")
	}
	if data, err = proto.Marshal(&mp); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "nonzero.onnx")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
