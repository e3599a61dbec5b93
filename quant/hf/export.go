package hf

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"

	"github.com/nlpodyssey/safetensors"

	"github.com/zkinfer/zkinfer/quant"
)

// EncodeCheckpoint writes a gpt2 float model as a Hugging Face checkpoint
// laid out like one saved from GPT2LMHeadModel: tensors under
// "transformer.", token and position embeddings (zeros of a small
// vocabulary: they are not read) and the causal-mask buffers h.N.attn.bias,
// so tests exercise every name the importer must skip. Tests and the CLI's
// test scripts build checkpoints with it.
func EncodeCheckpoint(m *quant.FloatModel) (config, weights []byte, err error) {
	cfg := m.Config
	if cfg.Architecture != quant.ArchitectureGPT2 || !cfg.FinalLayerNorm {
		return nil, nil, fmt.Errorf("hf: EncodeCheckpoint needs a gpt2 model with ln_f")
	}
	ours, err := quant.EncodeSafetensors(m)
	if err != nil {
		return nil, nil, err
	}
	st, err := safetensors.Deserialize(ours)
	if err != nil {
		return nil, nil, err
	}
	activation := "gelu_new"
	if cfg.Activation == quant.ActivationGELUErf {
		activation = "gelu"
	}
	const vocab = 16
	nPos := 2 * cfg.SeqLen
	views := map[string]safetensors.TensorView{}
	for _, name := range st.Names() {
		tv, _ := st.Tensor(name)
		views["transformer."+name] = tv
	}
	add := func(name string, shape ...uint64) error {
		n := uint64(1)
		for _, s := range shape {
			n *= s
		}
		buf := make([]byte, 4*n)
		if len(shape) == 4 {
			// The causal mask: lower-triangular ones.
			for i := uint64(0); i < shape[2]; i++ {
				for j := uint64(0); j <= i; j++ {
					binary.LittleEndian.PutUint32(buf[4*(i*shape[3]+j):], math.Float32bits(1))
				}
			}
		}
		tv, err := safetensors.NewTensorView(safetensors.F32, shape, buf)
		if err != nil {
			return err
		}
		views[name] = tv
		return nil
	}
	if err := add("transformer.wte.weight", vocab, uint64(cfg.DModel)); err != nil {
		return nil, nil, err
	}
	if err := add("transformer.wpe.weight", uint64(nPos), uint64(cfg.DModel)); err != nil {
		return nil, nil, err
	}
	for i := range cfg.NLayer {
		if err := add(fmt.Sprintf("transformer.h.%d.attn.bias", i), 1, 1, uint64(nPos), uint64(nPos)); err != nil {
			return nil, nil, err
		}
	}
	weights, err = safetensors.Serialize(views, map[string]string{"format": "pt"})
	if err != nil {
		return nil, nil, err
	}
	config, err = json.MarshalIndent(map[string]any{
		"architectures":       []string{"GPT2LMHeadModel"},
		"model_type":          "gpt2",
		"activation_function": activation,
		"n_embd":              cfg.DModel,
		"n_head":              cfg.NHead,
		"n_layer":             cfg.NLayer,
		"n_inner":             cfg.DHidden,
		"n_positions":         nPos,
		"n_ctx":               nPos,
		"layer_norm_epsilon":  cfg.LayerNormEpsilon,
		"vocab_size":          vocab,
		"torch_dtype":         "float32",
	}, "", "  ")
	return append(config, '\n'), weights, err
}
