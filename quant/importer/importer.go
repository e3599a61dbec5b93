// Package importer opens a model file in any format zkinfer reads and
// returns its float model: zkinfer's own safetensors + config.json, ONNX
// graphs (package onnx) and Hugging Face GPT-2 checkpoints (package hf).
package importer

import (
	"fmt"
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
	// Blocks selects blocks "A:B" of a Hugging Face checkpoint.
	Blocks string
}

// Model is an imported model and where it came from.
type Model struct {
	Float  *quant.FloatModel
	Format string
	// ConfigPath is the config file read; "" for ONNX.
	ConfigPath string
}

// Open reads the model at path.
func Open(path string, opts Options) (*Model, error) {
	if strings.EqualFold(filepath.Ext(path), ".onnx") {
		if opts.Blocks != "" {
			return nil, fmt.Errorf("%w: --blocks selects blocks of a Hugging Face GPT-2 checkpoint, not of an ONNX graph", quant.ErrValidation)
		}
		fm, err := onnx.Load(path, onnx.Options{SeqLen: opts.SeqLen})
		if err != nil {
			return nil, err
		}
		return &Model{Float: fm, Format: FormatONNX}, nil
	}
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
		first, end, err := hf.ParseBlocks(opts.Blocks, c.NLayer)
		if err != nil {
			return nil, fmt.Errorf("--blocks: %w", err)
		}
		fm, err := hf.Load(configPath, path, hf.Options{SeqLen: opts.SeqLen, First: first, End: end})
		if err != nil {
			return nil, err
		}
		return &Model{Float: fm, Format: FormatHF, ConfigPath: configPath}, nil
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
	return &Model{Float: fm, Format: FormatNative, ConfigPath: configPath}, nil
}
