package quant

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
)

// Input is the EZKL-style input file: {"input_data": [[...], ...]}. Each
// entry is one sample: the seq_len·d_model values of the model input, row-major.
//
// A graph with several inputs reads input_data as EZKL does: one flattened
// array per graph input, in the graph's order, for one sample:
// {"input_data": [[in1...], [in2...]]}. A calibration file of several
// samples lists such samples: {"input_data": [[[in1...], [in2...]], ...]}.
// Index inputs take integers within their bounds, boolean inputs true,
// false, 0 or 1. InputData then holds, per sample, every input's values one
// after the other (what QuantizeInput and the calibration take).
type Input struct {
	InputData [][]float64 `json:"input_data"`
}

// InputParts lists the inputs of cfg's model (IOPart), fractions unknown:
// one [seq_len, d_model] part for ffn and gpt2, the graph's inputs for a
// float graph config; nil for a graph config without its graph (a
// quantized model's: use Model.InputParts).
func (c Config) InputParts() []IOPart {
	if c.Architecture == ArchitectureGraph {
		if c.Graph == nil {
			return nil
		}
		out := make([]IOPart, len(c.Graph.Inputs))
		for i, in := range c.Graph.Inputs {
			out[i] = in.Part()
		}
		return out
	}
	return []IOPart{{Name: "input", Shape: []int{c.SeqLen, c.DModel}, Lo: Int8Min, Hi: Int8Max}}
}

// ParseInput decodes an input file and checks every sample against cfg.
func ParseInput(data []byte, cfg Config) (*Input, error) {
	if parts := cfg.InputParts(); len(parts) > 0 && !plainParts(parts) {
		return ParseInputParts(data, parts)
	}
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

// plainParts: one part of real values, read as input files always were.
func plainParts(parts []IOPart) bool { return SingleInt8(parts) && !parts[0].IsBool() }

// ParseInputParts decodes an input file for a model whose inputs are parts
// (Input describes the forms).
func ParseInputParts(data []byte, parts []IOPart) (*Input, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("%w: the model's inputs are unknown", ErrValidation)
	}
	if plainParts(parts) {
		cfg := Config{Architecture: ArchitectureGraph, Graph: &GraphSpec{Inputs: []GraphInput{{Name: parts[0].Name, Shape: parts[0].Shape}}}}
		return ParseInput(data, cfg)
	}
	var raw struct {
		InputData []json.RawMessage `json:"input_data"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("%w: malformed input JSON (want {\"input_data\": %s}): %v", ErrValidation, inputForm(parts), err)
	}
	if len(raw.InputData) == 0 {
		return nil, fmt.Errorf("%w: input_data is empty (want %s)", ErrValidation, inputForm(parts))
	}
	if len(raw.InputData) > MaxSamples {
		return nil, fmt.Errorf("%w: %d samples, at most %d", ErrValidation, len(raw.InputData), MaxSamples)
	}
	// One part: input_data lists samples. Several: one sample (one array
	// per input) or a list of samples (arrays of arrays of arrays).
	var samples [][]json.RawMessage
	switch {
	case len(parts) == 1:
		for _, s := range raw.InputData {
			samples = append(samples, []json.RawMessage{s})
		}
	case isNested(raw.InputData[0]):
		for i, s := range raw.InputData {
			var arrays []json.RawMessage
			if err := json.Unmarshal(s, &arrays); err != nil {
				return nil, fmt.Errorf("%w: sample %d: want one array per input (%s): %v", ErrValidation, i, partNames(parts), err)
			}
			samples = append(samples, arrays)
		}
	default:
		samples = [][]json.RawMessage{raw.InputData}
	}
	in := &Input{}
	for i, s := range samples {
		if len(s) != len(parts) {
			return nil, fmt.Errorf("%w: sample %d has %d arrays, the graph has %d inputs (%s): input_data holds one flattened array per input", ErrShape, i, len(s), len(parts), partNames(parts))
		}
		x := make([]float64, 0, PartsSize(parts))
		for k, p := range parts {
			vals, err := parsePartValues(s[k], p)
			if err != nil {
				if len(samples) > 1 {
					return nil, fmt.Errorf("sample %d: %w", i, err)
				}
				return nil, err
			}
			x = append(x, vals...)
		}
		in.InputData = append(in.InputData, x)
	}
	return in, nil
}

func inputForm(parts []IOPart) string {
	if len(parts) == 1 {
		return "[[values...], ...] (one array per sample)"
	}
	return "[[input 1...], [input 2...], ...] (one flattened array per graph input)"
}

// isNested reports whether an input_data entry is an array whose first
// element is itself an array.
func isNested(raw json.RawMessage) bool {
	var first []json.RawMessage
	if json.Unmarshal(raw, &first) != nil || len(first) == 0 {
		return false
	}
	b := bytes.TrimSpace(first[0])
	return len(b) > 0 && b[0] == '['
}

// parsePartValues reads one input's flattened array: numbers for real
// inputs, integers within bounds for index inputs, true/false/0/1 for
// boolean ones.
func parsePartValues(raw json.RawMessage, p IOPart) ([]float64, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("%w: input %q: want a flattened array of %d values: %v", ErrValidation, p.Name, p.Size(), err)
	}
	if len(items) != p.Size() {
		return nil, fmt.Errorf("%w: input %q has %d values, it takes %v = %d", ErrShape, p.Name, len(items), p.Shape, p.Size())
	}
	out := make([]float64, len(items))
	for j, it := range items {
		t := string(bytes.TrimSpace(it))
		if t == "true" || t == "false" {
			if !p.IsBool() {
				return nil, fmt.Errorf("%w: input %q value %d is %s; the input is %s", ErrValidation, p.Name, j, t, kindOf(p))
			}
			if t == "true" {
				out[j] = 1
			}
			continue
		}
		var v float64
		if err := json.Unmarshal(it, &v); err != nil {
			return nil, fmt.Errorf("%w: input %q value %d: %s is not a number", ErrValidation, p.Name, j, t)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: input %q value %d is %v", ErrRange, p.Name, j, v)
		}
		if p.DType == DTypeIndex || p.IsBool() {
			if _, err := integerOf(p, j, v); err != nil {
				return nil, err
			}
		}
		out[j] = v
	}
	return out, nil
}

// loadInputParts reads an input file for the quantized graph model m
// whose inputs are parts (LoadInputFor).
func loadInputParts(path string, m *Model) (*Input, error) {
	data, err := readFileLimited(path, MaxJSONFileSize)
	if err != nil {
		return nil, err
	}
	in, err := ParseInputParts(data, m.InputParts())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return in, nil
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
