package quant

import (
	"encoding/json"
	"fmt"
)

// Activation names accepted in a config.
const (
	ActivationReLU = "relu"
)

// Config gives the shapes of a feed-forward block model. It is the small JSON
// file that accompanies the weights file.
type Config struct {
	// Architecture names the layer list; "ffn" (a transformer feed-forward block) is the only one yet.
	Architecture string `json:"architecture"`
	DModel       int    `json:"d_model"`
	DHidden      int    `json:"d_hidden"`
	SeqLen       int    `json:"seq_len"`
	Activation   string `json:"activation"`
}

// ArchitectureFFN is the transformer feed-forward block y = x + W2·act(W1·x + b1) + b2.
const ArchitectureFFN = "ffn"

// Validate checks that the config describes a model this build supports.
func (c Config) Validate() error {
	if c.Architecture != ArchitectureFFN {
		return fmt.Errorf("%w: architecture %q is not supported (supported: %q)", ErrValidation, c.Architecture, ArchitectureFFN)
	}
	if c.Activation != ActivationReLU {
		return fmt.Errorf("%w: activation %q is not supported (supported: %q)", ErrValidation, c.Activation, ActivationReLU)
	}
	for _, d := range []struct {
		name string
		v    int
		max  int
	}{{"d_model", c.DModel, MaxDim}, {"d_hidden", c.DHidden, MaxDim}, {"seq_len", c.SeqLen, MaxSeqLen}} {
		if d.v < 1 || d.v > d.max {
			return fmt.Errorf("%w: %s = %d, want 1..%d", ErrValidation, d.name, d.v, d.max)
		}
	}
	return nil
}

// ParseConfig decodes and validates a config.
func ParseConfig(data []byte) (Config, error) {
	var c Config
	if err := decodeStrict(data, &c); err != nil {
		return Config{}, err
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// LoadConfig reads a config file.
func LoadConfig(path string) (Config, error) {
	data, err := readFileLimited(path, MaxJSONFileSize)
	if err != nil {
		return Config{}, err
	}
	c, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

func decodeStrict(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: malformed JSON: %w", ErrValidation, err)
	}
	return nil
}
