package quant

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
)

// Input is the EZKL-style input file: {"input_data": [[...], ...]}. Each
// entry is one sample: the seq_len·d_model values of the model input, row-major.
type Input struct {
	InputData [][]float64 `json:"input_data"`
}

// ParseInput decodes an input file and checks every sample against cfg.
func ParseInput(data []byte, cfg Config) (*Input, error) {
	var in Input
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("%w: malformed input JSON (want {\"input_data\": [[numbers...]]}): %v", ErrValidation, err)
	}
	if len(in.InputData) == 0 {
		return nil, fmt.Errorf("%w: input_data is empty", ErrValidation)
	}
	if len(in.InputData) > MaxSamples {
		return nil, fmt.Errorf("%w: %d samples, at most %d", ErrValidation, len(in.InputData), MaxSamples)
	}
	want := cfg.InputSize()
	for i, s := range in.InputData {
		if len(s) != want && cfg.Architecture == ArchitectureGraph {
			return nil, fmt.Errorf("%w: sample %d has %d values, the graph's input takes %d", ErrShape, i, len(s), want)
		}
		if len(s) != want {
			return nil, fmt.Errorf("%w: sample %d has %d values, want seq_len·d_model = %d·%d = %d", ErrShape, i, len(s), cfg.SeqLen, cfg.DModel, want)
		}
		for j, v := range s {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: sample %d value %d is %v", ErrRange, i, j, v)
			}
		}
	}
	return &in, nil
}

// LoadInput reads an input file.
func LoadInput(path string, cfg Config) (*Input, error) {
	data, err := readFileLimited(path, MaxJSONFileSize)
	if err != nil {
		return nil, err
	}
	in, err := ParseInput(data, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return in, nil
}
