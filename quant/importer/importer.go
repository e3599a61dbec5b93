// Package importer opens a model file in any format zkinfer reads and
// returns its float model: zkinfer's own safetensors + config.json, ONNX
// graphs (package onnx) and Hugging Face GPT-2, Llama and Mistral
// checkpoints (package hf).
package importer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/hf"
	"github.com/zkinfer/zkinfer/quant/onnx"
)

// Formats a model file can have.
const (
	// FormatNative is zkinfer's own: safetensors with GPT-2 tensor names and
	// a config.json with an "architecture".
	FormatNative = "zkinfer"
	// FormatONNX is an ONNX graph; recognised by the .onnx extension.
	FormatONNX = "onnx"
	// FormatHF is a Hugging Face checkpoint: model.safetensors beside a
	// transformers config.json (it has a "model_type").
	FormatHF = "hf"
)

// Options complete what a model file leaves open.
type Options struct {
	// ConfigPath is the config file; "" means config.json beside the model.
	// ONNX files carry their shapes and need none.
	ConfigPath string
	// SeqLen is the sequence length for formats where it is not fixed (ONNX
	// with a dynamic axis, Hugging Face); 0 means the format's default.
	SeqLen int
	// Blocks selects blocks "A:B" of a Hugging Face GPT-2 checkpoint
	// imported as a stack of blocks.
	Blocks string
	// LM imports a Hugging Face GPT-2 checkpoint as a whole language model
	// (token ids in, logits out: hf.ParseLM) rather than a stack of blocks.
	// Llama and Mistral checkpoints are always imported so.
	LM bool
	// InputValues, when non-zero, is the number of values in one sample of
	// the input to prove (see InputValues): where the sequence length is
	// open and SeqLen is 0 it is InputValues / d_model, and every model must
	// take exactly that many values.
	InputValues int
	// Inputs and Outputs cut an ONNX layer graph at named tensors
	// (onnx.Cut): the model is the part between them.
	Inputs, Outputs []string
}

// Model is an imported model and where it came from.
type Model struct {
	Float  *quant.FloatModel
	Format string
	// ConfigPath is the config file read; "" for ONNX.
	ConfigPath string
	// Notes are the defaults the import took (an ONNX layer graph's dynamic
	// batch axis taken as 1), for the user.
	Notes []string
}

// Open reads the model at path.
func Open(path string, opts Options) (*Model, error) {
	if opts.LM && strings.EqualFold(filepath.Ext(path), ".onnx") {
		return nil, fmt.Errorf("%w: --lm imports a Hugging Face checkpoint as a language model; an ONNX language model is read as its graph is (token ids in), without it", quant.ErrValidation)
	}
	if len(opts.Inputs) > 0 || len(opts.Outputs) > 0 {
		if !strings.EqualFold(filepath.Ext(path), ".onnx") {
			return nil, fmt.Errorf("%w: --inputs and --outputs cut an ONNX graph at named tensors; %s is not an .onnx file", quant.ErrValidation, path)
		}
		if opts.Blocks != "" {
			return nil, fmt.Errorf("%w: --blocks selects blocks of a Hugging Face GPT-2 checkpoint; cut an ONNX graph with --inputs and --outputs", quant.ErrValidation)
		}
		data, err := quant.ReadFileLimited(path, quant.MaxModelFileSize)
		if err != nil {
			return nil, err
		}
		// A cut is always a layer graph: the legacy templates are whole graphs.
		gm, notes, err := onnx.ParseGraph(data, onnx.Options{SeqLen: opts.SeqLen, InputValues: opts.InputValues, Cut: &onnx.Cut{Inputs: opts.Inputs, Outputs: opts.Outputs}})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return checkInput(&Model{Float: gm, Format: FormatONNX, Notes: notes}, opts)
	}
	if strings.EqualFold(filepath.Ext(path), ".onnx") {
		if opts.Blocks != "" {
			return nil, fmt.Errorf("%w: --blocks selects blocks of a Hugging Face GPT-2 checkpoint, not of an ONNX graph", quant.ErrValidation)
		}
		return openONNX(path, opts)
	}
	// The model file first: with the default config beside it, a mistyped
	// model path would otherwise be reported as a missing config.json.
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	f.Close()
	configPath := opts.ConfigPath
	if configPath == "" {
		configPath = filepath.Join(filepath.Dir(path), "config.json")
	}
	cd, err := quant.ReadFileLimited(configPath, quant.MaxJSONFileSize)
	if err != nil {
		return nil, err
	}
	if hf.IsConfig(cd) {
		c, err := hf.ParseConfig(cd)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", configPath, err)
		}
		if opts.LM || !c.IsGPT2() {
			return openLM(path, configPath, c, opts)
		}
		first, end, err := hf.ParseBlocks(opts.Blocks, c.NLayer)
		if err != nil {
			return nil, fmt.Errorf("--blocks: %w", err)
		}
		seq := opts.SeqLen
		if seq == 0 && opts.InputValues != 0 && c.NEmbd > 0 {
			if opts.InputValues%c.NEmbd != 0 {
				return nil, fmt.Errorf("%w: the input file's samples have %d values, not a whole number of rows of n_embd = %d", quant.ErrShape, opts.InputValues, c.NEmbd)
			}
			seq = opts.InputValues / c.NEmbd
		}
		fm, err := hf.Load(configPath, path, hf.Options{SeqLen: seq, First: first, End: end})
		if err != nil {
			return nil, err
		}
		return checkInput(&Model{Float: fm, Format: FormatHF, ConfigPath: configPath}, opts)
	}
	if opts.LM {
		return nil, fmt.Errorf("%s: %w: --lm applies to Hugging Face checkpoints (a config.json with a model_type)", configPath, quant.ErrValidation)
	}
	if opts.SeqLen != 0 || opts.Blocks != "" {
		return nil, fmt.Errorf("%s: %w: --seq-len and --blocks apply to ONNX and Hugging Face models; a zkinfer config sets seq_len itself", configPath, quant.ErrValidation)
	}
	cfg, err := quant.LoadConfig(configPath)
	if err != nil {
		return nil, err
	}
	fm, err := quant.LoadModel(path, cfg)
	if err != nil {
		return nil, err
	}
	return checkInput(&Model{Float: fm, Format: FormatNative, ConfigPath: configPath}, opts)
}

// openLM imports a Hugging Face checkpoint as a whole language model: ids
// [1, T] in, T the sequence length (--seq-len, else the input file's ids
// per sample, else hf.DefaultSeqLen).
func openLM(path, configPath string, c *hf.Config, opts Options) (*Model, error) {
	if opts.Blocks != "" {
		if !c.IsGPT2() {
			return nil, fmt.Errorf("%s: %w: --blocks selects blocks of a GPT-2 checkpoint; a %s checkpoint imports as a whole language model", configPath, quant.ErrValidation, c.ModelType)
		}
		return nil, fmt.Errorf("%w: --blocks and --lm exclude each other: a language model is imported whole (token ids in, logits out)", quant.ErrValidation)
	}
	seq := opts.SeqLen
	if seq == 0 {
		seq = opts.InputValues // one id per position
	}
	fm, err := hf.LoadLM(configPath, path, seq)
	if err != nil {
		return nil, err
	}
	m := &Model{Float: fm, Format: FormatHF, ConfigPath: configPath}
	if opts.SeqLen == 0 && opts.InputValues == 0 {
		m.Notes = append(m.Notes, fmt.Sprintf("sequence length %d (the default; --seq-len sets it)", hf.DefaultSeqLen))
	}
	return checkInput(m, opts)
}

// openONNX imports an ONNX file: with the legacy importer (ffn blocks and
// GPT-2 stacks, whose models and commitments must not move) when it takes
// the graph, else as a layer graph. The legacy importer's error stands when
// it refuses only the options (a sequence length, an input file) of a graph
// it would import with others, or when the layer-graph importer refuses the
// graph too; the latter's one-line reason is appended then.
func openONNX(path string, opts Options) (*Model, error) {
	o := onnx.Options{SeqLen: opts.SeqLen, InputValues: opts.InputValues}
	fm, err := onnx.Load(path, o)
	if err == nil {
		return checkInput(&Model{Float: fm, Format: FormatONNX}, opts)
	}
	data, rerr := quant.ReadFileLimited(path, quant.MaxModelFileSize)
	if rerr != nil {
		return nil, err
	}
	for _, lo := range []onnx.Options{{}, {SeqLen: 1}} {
		if lo == o {
			continue
		}
		if _, lerr := onnx.Parse(data, lo); lerr == nil {
			return nil, err
		}
	}
	gm, notes, gerr := onnx.ParseGraph(data, o)
	if gerr != nil {
		return nil, fmt.Errorf("%w; as a layer graph: %v", err, gerr)
	}
	return checkInput(&Model{Float: gm, Format: FormatONNX, Notes: notes}, opts)
}

// checkInput rejects a model that does not take the input file's samples:
// a fixed sequence length, or a --seq-len, that disagrees with them.
func checkInput(m *Model, opts Options) (*Model, error) {
	c := m.Float.Config
	if opts.InputValues == 0 || c.InputSize() == opts.InputValues {
		return m, nil
	}
	if c.Architecture == quant.ArchitectureGraph {
		return nil, fmt.Errorf("%w: the input file's samples have %d values, but the graph's input %v takes %d",
			quant.ErrShape, opts.InputValues, c.Graph.Inputs[0].Shape, c.InputSize())
	}
	why := "the model's sequence length"
	if opts.SeqLen != 0 {
		why = "--seq-len"
	}
	rows := "not a whole number of rows"
	if opts.InputValues%c.DModel == 0 {
		rows = fmt.Sprintf("%d rows", opts.InputValues/c.DModel)
	}
	return nil, fmt.Errorf("%w: the input file's samples have %d values (%s of d_model = %d), but %s is %d (%d values)",
		quant.ErrShape, opts.InputValues, rows, c.DModel, why, c.SeqLen, c.SeqLen*c.DModel)
}

// InputValues reads an input file ({"input_data": [[...], ...]}) and returns
// the number of values in each sample, which must all have the same length.
func InputValues(path string) (int, error) {
	data, err := quant.ReadFileLimited(path, quant.MaxJSONFileSize)
	if err != nil {
		return 0, err
	}
	var in quant.Input
	if err := json.Unmarshal(data, &in); err != nil {
		return 0, fmt.Errorf("%s: %w: malformed input JSON (want {\"input_data\": [[numbers...]]}): %v", path, quant.ErrValidation, err)
	}
	if len(in.InputData) == 0 || len(in.InputData[0]) == 0 {
		return 0, fmt.Errorf("%s: %w: input_data holds no values", path, quant.ErrValidation)
	}
	n := len(in.InputData[0])
	for i, s := range in.InputData {
		if len(s) != n {
			return 0, fmt.Errorf("%s: %w: sample %d has %d values, sample 0 has %d", path, quant.ErrShape, i, len(s), n)
		}
	}
	return n, nil
}
