// Package hf imports Hugging Face checkpoints: a config.json as
// transformers writes it and a model.safetensors with the standard tensor
// names.
//
// Two imports exist:
//
//   - a whole language model (ParseLM, LoadLM): token ids [1, T] in, logits
//     [1, T, V] out, as a layer graph (quant.Graph) of the ops the ONNX LM
//     path uses; model_type "gpt2" (wte, wpe, blocks, ln_f, tied head) and
//     "llama"/"mistral" (embed_tokens, RMSNorm, RoPE, GQA, SwiGLU, head);
//   - the legacy stack of GPT-2 blocks (Parse, Load): zkinfer's gpt2
//     architecture takes the residual stream as input and returns it (or
//     ln_f of it); a slice of the blocks is a model of its own. The input
//     file holds the residual stream after the embeddings.
//
// A GPT-2 checkpoint imports as blocks unless the language model is asked
// for (the CLI's --lm), so existing settings and commitments stay; Llama
// and Mistral checkpoints import only as language models.
package hf

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/zkinfer/zkinfer/quant"
)

// DefaultSeqLen is the sequence length used when none is given: the
// checkpoint's n_positions is the longest it supports, far beyond what one
// proof can hold.
const DefaultSeqLen = 8

// Config is the part of a transformers GPT2Config, LlamaConfig or
// MistralConfig that decides the layer list. Fields absent from the file
// take transformers' defaults.
type Config struct {
	ModelType string `json:"model_type"`
	VocabSize *int   `json:"vocab_size"`
	TieWords  *bool  `json:"tie_word_embeddings"`

	// GPT2Config.
	NEmbd            int      `json:"n_embd"`
	NHead            int      `json:"n_head"`
	NLayer           int      `json:"n_layer"`
	NInner           *int     `json:"n_inner"`
	NPositions       int      `json:"n_positions"`
	LayerNormEpsilon *float64 `json:"layer_norm_epsilon"`
	Activation       *string  `json:"activation_function"`
	ScaleAttnWeights *bool    `json:"scale_attn_weights"`
	ScaleByLayerIdx  bool     `json:"scale_attn_by_inverse_layer_idx"`

	// LlamaConfig, MistralConfig.
	HiddenSize   int             `json:"hidden_size"`
	Intermediate int             `json:"intermediate_size"`
	NumHeads     int             `json:"num_attention_heads"`
	NumKVHeads   *int            `json:"num_key_value_heads"`
	NumLayers    int             `json:"num_hidden_layers"`
	HeadDim      *int            `json:"head_dim"`
	MaxPositions int             `json:"max_position_embeddings"`
	RMSNormEps   *float64        `json:"rms_norm_eps"`
	RopeTheta    *float64        `json:"rope_theta"`
	RopeScaling  json.RawMessage `json:"rope_scaling"`
	// RopeParameters is transformers v5's spelling of rope_theta and
	// rope_scaling together: {"rope_type": ..., "rope_theta": ...}.
	RopeParameters json.RawMessage `json:"rope_parameters"`
	HiddenAct      *string         `json:"hidden_act"`
	AttentionBias  bool            `json:"attention_bias"`
	MLPBias        bool            `json:"mlp_bias"`
	SlidingWindow  *int            `json:"sliding_window"`
	PartialRotary  *float64        `json:"partial_rotary_factor"`
}

// Model types this package imports.
const (
	ModelGPT2    = "gpt2"
	ModelLlama   = "llama"
	ModelMistral = "mistral"
)

// IsGPT2 reports whether the checkpoint is a GPT-2 (it also imports as a
// stack of blocks).
func (c *Config) IsGPT2() bool { return c.ModelType == ModelGPT2 }

// Options choose what part of the checkpoint becomes the model.
type Options struct {
	// SeqLen is the sequence length to prove; 0 means DefaultSeqLen.
	SeqLen int
	// First and End select blocks First..End-1; End 0 means n_layer. ln_f
	// belongs to the model only when the slice ends at the last block.
	First, End int
}

// ParseBlocks reads a block range "A:B" (either side may be empty: ":B",
// "A:") against a model of nLayer blocks.
func ParseBlocks(s string, nLayer int) (first, end int, err error) {
	if s == "" {
		return 0, nLayer, nil
	}
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, fmt.Errorf("%w: block range %q: want A:B (blocks A..B-1)", quant.ErrValidation, s)
	}
	first, end = 0, nLayer
	if a != "" {
		if first, err = strconv.Atoi(a); err != nil {
			return 0, 0, fmt.Errorf("%w: block range %q: %v", quant.ErrValidation, s, err)
		}
	}
	if b != "" {
		if end, err = strconv.Atoi(b); err != nil {
			return 0, 0, fmt.Errorf("%w: block range %q: %v", quant.ErrValidation, s, err)
		}
	}
	if first < 0 || end > nLayer || first >= end {
		return 0, 0, fmt.Errorf("%w: block range %q: want 0 ≤ A < B ≤ n_layer = %d", quant.ErrValidation, s, nLayer)
	}
	return first, end, nil
}

// IsConfig reports whether data looks like a transformers config (it has a
// model_type), as opposed to zkinfer's own config (it has an architecture).
func IsConfig(data []byte) bool {
	var probe struct {
		ModelType *string `json:"model_type"`
	}
	return json.Unmarshal(data, &probe) == nil && probe.ModelType != nil
}

// nullable are the keys whose explicit null transformers reads as its
// default (None → 4·n_embd, all heads, hidden/heads, no window, plain
// RoPE). Any other key's null is refused: transformers keeps a None,
// which is falsy (scale_attn_weights: no scaling) or fails.
var nullable = map[string]bool{"n_inner": true, "num_key_value_heads": true, "head_dim": true, "sliding_window": true,
	"rope_scaling": true, "rope_parameters": true}

// configKeys are Config's JSON keys.
var configKeys = func() map[string]bool {
	keys := map[string]bool{}
	t := reflect.TypeFor[Config]()
	for i := range t.NumField() {
		if k, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); k != "" {
			keys[k] = true
		}
	}
	return keys
}()

// ParseConfig decodes a transformers config.json. Keys match exactly, as
// transformers (a Python dict) reads them: encoding/json alone would also
// take "Rope_Theta" for rope_theta.
func ParseConfig(data []byte) (*Config, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("hf: %w: malformed config.json: %v", quant.ErrValidation, err)
	}
	exact := map[string]json.RawMessage{}
	for k, v := range raw {
		if !configKeys[k] {
			continue
		}
		if isNull(v) && !nullable[k] {
			return nil, fmt.Errorf("hf: %w: config.json: %s is null (transformers keeps None, not its default; give a value or leave the key out)", quant.ErrValidation, k)
		}
		exact[k] = v
	}
	b, err := json.Marshal(exact)
	if err != nil {
		return nil, fmt.Errorf("hf: %w: malformed config.json: %v", quant.ErrValidation, err)
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("hf: %w: malformed config.json: %v", quant.ErrValidation, err)
	}
	// The raw fields as the file spells them (Marshal compacted them), for
	// the errors that quote them.
	c.RopeScaling, c.RopeParameters = exact["rope_scaling"], exact["rope_parameters"]
	switch c.ModelType {
	case ModelGPT2:
		// GPT2Config's attribute_map: transformers sets these aliases after
		// the n_* keys, so an alias wins.
		for _, a := range []struct {
			key, alias string
			n, v       *int
		}{
			{"n_embd", "hidden_size", &c.NEmbd, &c.HiddenSize}, {"n_positions", "max_position_embeddings", &c.NPositions, &c.MaxPositions},
			{"n_head", "num_attention_heads", &c.NHead, &c.NumHeads}, {"n_layer", "num_hidden_layers", &c.NLayer, &c.NumLayers},
		} {
			if _, ok := exact[a.alias]; !ok {
				continue
			}
			if _, ok := exact[a.key]; ok && *a.n != *a.v {
				return nil, fmt.Errorf("hf: %w: %s = %d and %s = %d disagree (transformers' GPT2Config takes %s, an alias of %s)", quant.ErrValidation, a.key, *a.n, a.alias, *a.v, a.alias, a.key)
			}
			*a.n = *a.v
		}
		if _, ok := activations[c.activation()]; !ok {
			return nil, fmt.Errorf("hf: %w: activation_function %q is not supported (supported: GPT-2's tanh GELU \"gelu_new\", \"gelu_pytorch_tanh\" or \"gelu_fast\"; the exact GELU \"gelu\")", quant.ErrValidation, c.activation())
		}
		if c.NLayer < 1 || c.NLayer > quant.MaxLayers {
			return nil, fmt.Errorf("hf: %w: n_layer = %d, want 1..%d", quant.ErrValidation, c.NLayer, quant.MaxLayers)
		}
	case ModelLlama, ModelMistral:
		if c.NumLayers < 1 || c.NumLayers > quant.MaxLayers {
			return nil, fmt.Errorf("hf: %w: num_hidden_layers = %d, want 1..%d", quant.ErrValidation, c.NumLayers, quant.MaxLayers)
		}
	default:
		return nil, fmt.Errorf("hf: %w: model_type %q is not supported (supported: %q, %q, %q)", quant.ErrValidation, c.ModelType, ModelGPT2, ModelLlama, ModelMistral)
	}
	return &c, nil
}

// Layers is the number of decoder blocks.
func (c *Config) Layers() int {
	if c.IsGPT2() {
		return c.NLayer
	}
	return c.NumLayers
}

// activations maps transformers' activation_function names to zkinfer's:
// gelu_new, gelu_pytorch_tanh and gelu_fast all compute the tanh form.
var activations = map[string]string{
	"gelu_new": quant.ActivationGELU, "gelu_pytorch_tanh": quant.ActivationGELU, "gelu_fast": quant.ActivationGELU,
	"gelu": quant.ActivationGELUErf,
}

func (c *Config) activation() string {
	if c.Activation == nil {
		return "gelu_new" // transformers' GPT2Config default
	}
	return *c.Activation
}

// DHidden is the MLP width: n_inner, or 4·n_embd when it is null.
func (c *Config) DHidden() int {
	if c.NInner == nil {
		return 4 * c.NEmbd
	}
	return *c.NInner
}

// ModelConfig maps the checkpoint config and the options to zkinfer's
// config of a stack of GPT-2 blocks (the legacy import).
func (c *Config) ModelConfig(opts Options) (quant.Config, error) {
	if !c.IsGPT2() {
		return quant.Config{}, fmt.Errorf("hf: %w: a %s checkpoint imports only as a whole language model (token ids in, logits out); blocks are for GPT-2 checkpoints", quant.ErrValidation, c.ModelType)
	}
	if c.ScaleAttnWeights != nil && !*c.ScaleAttnWeights {
		return quant.Config{}, fmt.Errorf("hf: %w: scale_attn_weights = false is not supported by the gpt2 blocks (attention divides by sqrt(head_dim)); import the language model instead", quant.ErrValidation)
	}
	if c.ScaleByLayerIdx {
		return quant.Config{}, fmt.Errorf("hf: %w: scale_attn_by_inverse_layer_idx = true is not supported by the gpt2 blocks; import the language model instead", quant.ErrValidation)
	}
	end := opts.End
	if end == 0 {
		end = c.NLayer
	}
	if opts.First < 0 || end > c.NLayer || opts.First >= end {
		return quant.Config{}, fmt.Errorf("hf: %w: blocks %d:%d of a %d-block model", quant.ErrValidation, opts.First, end, c.NLayer)
	}
	seq := opts.SeqLen
	if seq == 0 {
		seq = DefaultSeqLen
	}
	if c.NPositions > 0 && seq > c.NPositions {
		return quant.Config{}, fmt.Errorf("hf: %w: seq_len %d exceeds the model's n_positions %d", quant.ErrValidation, seq, c.NPositions)
	}
	eps := 1e-5 // transformers' default
	if c.LayerNormEpsilon != nil {
		eps = *c.LayerNormEpsilon
	}
	cfg := quant.Config{
		Architecture: quant.ArchitectureGPT2, DModel: c.NEmbd, DHidden: c.DHidden(), SeqLen: seq, Activation: activations[c.activation()],
		NHead: c.NHead, NLayer: end - opts.First, LayerNormEpsilon: eps, FinalLayerNorm: end == c.NLayer,
	}
	if err := cfg.Validate(); err != nil {
		return quant.Config{}, fmt.Errorf("hf: %w", err)
	}
	return cfg, nil
}

// Parse imports a checkpoint from its config.json and model.safetensors bytes.
func Parse(configData, weights []byte, opts Options) (*quant.FloatModel, error) {
	c, err := ParseConfig(configData)
	if err != nil {
		return nil, err
	}
	cfg, err := c.ModelConfig(opts)
	if err != nil {
		return nil, err
	}
	m, err := quant.ParseGPT2Checkpoint(weights, cfg, opts.First)
	if err != nil {
		return nil, fmt.Errorf("hf: %w", err)
	}
	return m, nil
}

// readConfig reads and parses the config.json at path (a parse error
// named by the path).
func readConfig(path string) (*Config, error) {
	cd, err := quant.ReadFileLimited(path, quant.MaxJSONFileSize)
	if err != nil {
		return nil, err
	}
	c, err := ParseConfig(cd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Load reads a checkpoint's config.json and model.safetensors.
func Load(configPath, weightsPath string, opts Options) (*quant.FloatModel, error) {
	c, err := readConfig(configPath)
	if err != nil {
		return nil, err
	}
	cfg, err := c.ModelConfig(opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", configPath, err)
	}
	wd, err := quant.ReadFileLimited(weightsPath, quant.MaxModelFileSize)
	if err != nil {
		return nil, err
	}
	m, err := quant.ParseGPT2Checkpoint(wd, cfg, opts.First)
	if err != nil {
		return nil, fmt.Errorf("%s: hf: %w", weightsPath, err)
	}
	return m, nil
}
