package quant_test

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/zkinfer/zkinfer/quant"
)

func commitModel(t *testing.T, cfg quant.Config, seed uint64) *quant.Model {
	t.Helper()
	fm := quant.RandomModel(cfg, seed)
	s, err := quant.Calibrate(fm, quant.RandomSamples(cfg, 4, seed))
	if err != nil {
		t.Fatal(err)
	}
	m, err := quant.Quantize(fm, s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The commitment survives the JSON file, and every integer the forward pass
// reads changes it.
func TestCommit(t *testing.T) {
	ffnCfg := quant.Config{Architecture: quant.ArchitectureFFN, DModel: 4, DHidden: 8, SeqLen: 2, Activation: quant.ActivationReLU}
	gptCfg := quant.Config{Architecture: quant.ArchitectureGPT2, DModel: 4, DHidden: 8, SeqLen: 2, Activation: quant.ActivationGELU, NHead: 2, NLayer: 1, LayerNormEpsilon: 1e-5, FinalLayerNorm: true}
	for _, cfg := range []quant.Config{ffnCfg, gptCfg} {
		m := commitModel(t, cfg, 1)
		c, err := quant.CommitString(m)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(c, "poseidon2:0x") || len(c) != len("poseidon2:0x")+64 {
			t.Fatalf("commitment %q", c)
		}
		data, _ := json.Marshal(m)
		back, err := quant.ParseModelJSON(data)
		if err != nil {
			t.Fatal(err)
		}
		if c2, _ := quant.CommitString(back); c2 != c {
			t.Fatalf("%s: commitment changed through JSON: %s, %s", cfg.Architecture, c, c2)
		}
		if c2, _ := quant.CommitString(commitModel(t, cfg, 2)); c2 == c {
			t.Fatalf("%s: two models, one commitment", cfg.Architecture)
		}
		mutations := map[string]func(m *quant.Model){}
		if cfg.Architecture == quant.ArchitectureFFN {
			mutations["weight"] = func(m *quant.Model) { m.Proj.W[len(m.Proj.W)-1] ^= 1 }
			mutations["bias"] = func(m *quant.Model) { m.FC.B[0]++ }
			mutations["mult"] = func(m *quant.Model) { m.FC.Mult[0]++ }
			mutations["shift"] = func(m *quant.Model) { m.Proj.Shift++ }
			mutations["scale"] = func(m *quant.Model) { m.Scales.StreamFrac++ }
		} else {
			mutations["gamma"] = func(m *quant.Model) { m.Blocks[0].LN1.Gamma[0]++ }
			mutations["logit"] = func(m *quant.Model) { m.Blocks[0].Logit.Mult++ }
			mutations["exp table"] = func(m *quant.Model) { m.ExpTable[3]++ }
			mutations["gelu table"] = func(m *quant.Model) { m.GELUTable[3]++ }
			mutations["ln_f"] = func(m *quant.Model) { m.LNF.Beta[1]++ }
			mutations["eps"] = func(m *quant.Model) { m.Config.LayerNormEpsilon *= 2 }
			// Same table (the GELU forms often round alike at int8), other name.
			mutations["activation"] = func(m *quant.Model) { m.Config.Activation = quant.ActivationGELUErf }
		}
		for name, mutate := range mutations {
			m2, _ := quant.ParseModelJSON(data)
			mutate(m2)
			els, err := quant.Encode(m2)
			if err != nil {
				t.Fatal(err)
			}
			if c2 := quant.FormatCommitment(quant.Poseidon2(els)); c2 == c {
				t.Errorf("%s: changing the %s kept the commitment", cfg.Architecture, name)
			}
		}
	}
}

var (
	hygieneFFN  = quant.Config{Architecture: quant.ArchitectureFFN, DModel: 4, DHidden: 8, SeqLen: 2, Activation: quant.ActivationReLU}
	hygieneGPT2 = quant.Config{Architecture: quant.ArchitectureGPT2, DModel: 4, DHidden: 8, SeqLen: 2, Activation: quant.ActivationGELU, NHead: 2, NLayer: 1, LayerNormEpsilon: 1e-5, FinalLayerNorm: true}
)

// clone copies m through its JSON file.
func clone(t *testing.T, m *quant.Model) *quant.Model {
	t.Helper()
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	c, err := quant.ParseModelJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A field one architecture does not use is left out of its encoding, so
// Validate (and Commit) refuse a model that sets it, naming the field.
func TestValidateRefusesFieldsOfOtherArchitecture(t *testing.T) {
	ffnModel := commitModel(t, hygieneFFN, 1)
	gpt2Model := commitModel(t, hygieneGPT2, 1)
	noLNF := hygieneGPT2
	noLNF.FinalLayerNorm = false
	gpt2NoLNF := commitModel(t, noLNF, 1)
	gs := *gpt2Model.Scales.GPT2
	for _, c := range []struct {
		model  *quant.Model
		field  string
		mutate func(m *quant.Model)
	}{
		{ffnModel, "n_head", func(m *quant.Model) { m.Config.NHead = 2 }},
		{ffnModel, "n_layer", func(m *quant.Model) { m.Config.NLayer = 1 }},
		{ffnModel, "layer_norm_epsilon", func(m *quant.Model) { m.Config.LayerNormEpsilon = 1e-5 }},
		{ffnModel, "layer_norm_epsilon", func(m *quant.Model) { m.Config.LayerNormEpsilon = math.Copysign(0, -1) }},
		{ffnModel, "final_layer_norm", func(m *quant.Model) { m.Config.FinalLayerNorm = true }},
		{ffnModel, "scales.gpt2", func(m *quant.Model) { s := gs; m.Scales.GPT2 = &s }},
		{ffnModel, "blocks", func(m *quant.Model) { m.Blocks = gpt2Model.Blocks }},
		{ffnModel, "ln_f", func(m *quant.Model) { m.LNF = gpt2Model.LNF }},
		{ffnModel, "exp_table", func(m *quant.Model) { m.ExpTable = gpt2Model.ExpTable }},
		{ffnModel, "gelu_table", func(m *quant.Model) { m.GELUTable = gpt2Model.GELUTable }},
		{gpt2Model, "scales.stream_frac", func(m *quant.Model) { m.Scales.StreamFrac = 4 }},
		{gpt2Model, "scales.hidden_frac", func(m *quant.Model) { m.Scales.HiddenFrac = 4 }},
		{gpt2Model, "c_fc", func(m *quant.Model) { m.FC = ffnModel.FC }},
		{gpt2Model, "c_proj", func(m *quant.Model) { m.Proj.Hi = 127 }},
		{gpt2Model, "output_frac", func(m *quant.Model) { m.Scales.GPT2.Formats.OutputFrac++ }},
		{gpt2Model, "layer_norm_epsilon", func(m *quant.Model) { m.Config.LayerNormEpsilon = math.Copysign(0, -1) }},
		{gpt2NoLNF, "ln_f_frac", func(m *quant.Model) { m.Scales.GPT2.LNFFrac = 3 }},
		{gpt2NoLNF, "output_frac", func(m *quant.Model) { m.Scales.GPT2.Formats.OutputFrac++ }},
	} {
		m := clone(t, c.model)
		c.mutate(m)
		err := m.Validate()
		if err == nil || !errors.Is(err, quant.ErrValidation) || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s model with %s set: Validate says %v", c.model.Config.Architecture, c.field, err)
			continue
		}
		if _, err := quant.Commit(m); err == nil {
			t.Errorf("%s model with %s set: committed", c.model.Config.Architecture, c.field)
		}
		if _, err := quant.ArchitectureDigest(m); err == nil {
			t.Errorf("%s model with %s set: architecture digest", c.model.Config.Architecture, c.field)
		}
	}
	if _, err := quant.ParseConfig([]byte(`{"architecture": "ffn", "d_model": 4, "d_hidden": 8, "seq_len": 1, "activation": "relu", "n_head": 2}`)); err == nil || !strings.Contains(err.Error(), "n_head") {
		t.Errorf("ffn config with n_head: %v", err)
	}
}

// Two models whose integers agree but whose output means other reals (the
// scale DequantizeOutput applies) never share a commitment: one of them is
// refused or the commitments differ.
func TestCommitBindsOutputScale(t *testing.T) {
	ffnModel := commitModel(t, hygieneFFN, 1)
	gpt2Model := commitModel(t, hygieneGPT2, 1)
	y := [][]int64{{1, -2, 3, 100}, {-128, 0, 127, 5}}
	for name, c := range map[string]struct {
		model  *quant.Model
		mutate func(m *quant.Model)
	}{
		// Before CommitmentVersion 2, an ffn model's gpt2 scales set its
		// output scale outside the commitment.
		"ffn with gpt2 scales": {ffnModel, func(m *quant.Model) {
			f := m.Scales.StreamFrac + 3
			m.Scales.GPT2 = &quant.GPT2Scales{Formats: quant.GPT2Formats{ResidualFrac: f, LogitFrac: 4, LogitBits: 10, GELUInFrac: 4, GELUOutFrac: 4, OutputFrac: f}}
		}},
		"ffn stream_frac":  {ffnModel, func(m *quant.Model) { m.Scales.StreamFrac++ }},
		"gpt2 output_frac": {gpt2Model, func(m *quant.Model) { m.Scales.GPT2.Formats.OutputFrac++ }},
		"gpt2 ln_f_frac and output_frac": {gpt2Model, func(m *quant.Model) {
			m.Scales.GPT2.LNFFrac++
			m.Scales.GPT2.Formats.OutputFrac++
		}},
	} {
		want, err := quant.Commit(c.model)
		if err != nil {
			t.Fatal(err)
		}
		m := clone(t, c.model)
		c.mutate(m)
		if m.Validate() != nil {
			continue // refused: it has no commitment
		}
		if slices.Equal(m.DequantizeOutput(y), c.model.DequantizeOutput(y)) {
			t.Fatalf("%s: the output scale did not change", name)
		}
		if got, err := quant.Commit(m); err != nil || got == want {
			t.Errorf("%s: same commitment, other output scale (%v)", name, err)
		}
	}
}
