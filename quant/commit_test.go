package quant_test

import (
	"encoding/json"
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
