package quant

import (
	"encoding/json"
	"fmt"
	"math"
)

// Activation names accepted in a config.
const (
	ActivationReLU = "relu"
	// ActivationGELU is GPT-2's tanh approximation of GELU.
	ActivationGELU = "gelu"
	// ActivationGELUErf is the exact GELU, x·Φ(x) = x/2·(1 + erf(x/√2)), as
	// PyTorch's nn.GELU() and transformers' "gelu" compute it. In the integer
	// model it differs from ActivationGELU only by its table's entries.
	ActivationGELUErf = "gelu_erf"
)

// Architectures: the layer lists this build knows.
const (
	// ArchitectureFFN is the transformer feed-forward block y = x + W2·act(W1·x + b1) + b2.
	ArchitectureFFN = "ffn"
	// ArchitectureGPT2 is a stack of GPT-2 decoder blocks (pre-LayerNorm,
	// causal multi-head attention, GELU MLP), optionally followed by ln_f.
	ArchitectureGPT2 = "gpt2"
)

// Config gives the shapes of a model. It is the small JSON file that
// accompanies the weights file.
type Config struct {
	Architecture string `json:"architecture"`
	DModel       int    `json:"d_model"`
	DHidden      int    `json:"d_hidden"`
	SeqLen       int    `json:"seq_len"`
	Activation   string `json:"activation"`
	// GPT-2 only: an ffn config must leave them out (Validate).
	NHead            int     `json:"n_head,omitempty"`
	NLayer           int     `json:"n_layer,omitempty"`
	LayerNormEpsilon float64 `json:"layer_norm_epsilon,omitempty"`
	FinalLayerNorm   bool    `json:"final_layer_norm,omitempty"`
	// Graph is the layer graph of a "graph" model (float model files only:
	// a quantized model holds its integer graph in Model.Graph).
	Graph *GraphSpec `json:"graph,omitempty"`
}

// Validate checks that the config describes a model this build supports.
func (c Config) Validate() error {
	maxDim := MaxDim
	if c.Architecture == ArchitectureGraph {
		if c.DModel != 0 || c.DHidden != 0 || c.SeqLen != 0 || c.Activation != "" || c.NHead != 0 || c.NLayer != 0 || math.Float64bits(c.LayerNormEpsilon) != 0 || c.FinalLayerNorm {
			return fmt.Errorf("%w: a graph config has only \"architecture\" and \"graph\" (shapes come from the graph)", ErrValidation)
		}
		return nil
	}
	if c.Graph != nil {
		return fmt.Errorf("%w: %s config sets graph, a %s field (leave it out)", ErrValidation, c.Architecture, ArchitectureGraph)
	}
	switch c.Architecture {
	case ArchitectureFFN:
		if c.Activation != ActivationReLU {
			return fmt.Errorf("%w: activation %q is not supported by %s (supported: %q)", ErrValidation, c.Activation, c.Architecture, ActivationReLU)
		}
		// Fields of another architecture would be free bytes under one
		// model commitment (Encode leaves them out): refuse them.
		for _, f := range []struct {
			name string
			set  bool
		}{
			{"n_head", c.NHead != 0},
			{"n_layer", c.NLayer != 0},
			{"layer_norm_epsilon", math.Float64bits(c.LayerNormEpsilon) != 0},
			{"final_layer_norm", c.FinalLayerNorm},
		} {
			if f.set {
				return fmt.Errorf("%w: %s config sets %s, a %s field (leave it out)", ErrValidation, c.Architecture, f.name, ArchitectureGPT2)
			}
		}
	case ArchitectureGPT2:
		if c.Activation != ActivationGELU && c.Activation != ActivationGELUErf {
			return fmt.Errorf("%w: activation %q is not supported by %s (supported: %q (tanh form), %q)", ErrValidation, c.Activation, c.Architecture, ActivationGELU, ActivationGELUErf)
		}
		maxDim = MaxGPT2Dim
		if c.NLayer < 1 || c.NLayer > MaxLayers {
			return fmt.Errorf("%w: n_layer = %d, want 1..%d", ErrValidation, c.NLayer, MaxLayers)
		}
		if c.NHead < 1 || c.DModel%c.NHead != 0 {
			return fmt.Errorf("%w: d_model = %d does not divide into n_head = %d heads", ErrShape, c.DModel, c.NHead)
		}
		// −0 would encode apart from 0 (Encode hashes the float's bits).
		if c.LayerNormEpsilon < 0 || c.LayerNormEpsilon > 1 || math.IsNaN(c.LayerNormEpsilon) || math.Signbit(c.LayerNormEpsilon) {
			return fmt.Errorf("%w: layer_norm_epsilon = %v, want 0..1", ErrValidation, c.LayerNormEpsilon)
		}
	default:
		return fmt.Errorf("%w: architecture %q is not supported (supported: %q, %q, %q)", ErrValidation, c.Architecture, ArchitectureFFN, ArchitectureGPT2, ArchitectureGraph)
	}
	for _, d := range []struct {
		name string
		v    int
		max  int
	}{{"d_model", c.DModel, maxDim}, {"d_hidden", c.DHidden, MaxDim}, {"seq_len", c.SeqLen, MaxSeqLen}} {
		if d.v < 1 || d.v > d.max {
			return fmt.Errorf("%w: %s = %d, want 1..%d", ErrValidation, d.name, d.v, d.max)
		}
	}
	return nil
}

// HeadDim is d_model / n_head.
func (c Config) HeadDim() int { return c.DModel / c.NHead }

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
