package harness

import (
	"fmt"
	"sort"
	"strings"

	"github.com/zkinfer/zkinfer/quant"
)

// Config is one model shape to measure: a GPT-2-shaped model with random
// weights (quant.RandomModel) and real shapes.
type Config struct {
	Name   string `json:"name"`
	DModel int    `json:"d_model"`
	Heads  int    `json:"heads"`
	Seq    int    `json:"seq"`
	Blocks int    `json:"blocks"`
}

// Quant is the quant.Config of c: GELU, d_hidden = 4·d_model, final
// LayerNorm, as GPT-2.
func (c Config) Quant() quant.Config {
	return quant.Config{Architecture: quant.ArchitectureGPT2, DModel: c.DModel, DHidden: 4 * c.DModel, SeqLen: c.Seq,
		NHead: c.Heads, NLayer: c.Blocks, Activation: quant.ActivationGELU, LayerNormEpsilon: 1e-5, FinalLayerNorm: true}
}

// Custom names a configuration from its shape.
func Custom(d, heads, seq, blocks int) Config {
	return Config{Name: fmt.Sprintf("custom-d%d-h%d-s%d-b%d", d, heads, seq, blocks), DModel: d, Heads: heads, Seq: seq, Blocks: blocks}
}

// WidthSeq is the sequence length of the width sweep (presets width-dN).
const WidthSeq = 8

// Presets are the named configurations: the demo model's shape, one GPT-2
// small block (d 768, 12 heads) at several sequence lengths, the full
// 12-block GPT-2 small at seq 1, a width sweep at seq WidthSeq with 64-wide
// heads, a tiny model for tests, and the real-length cases of issue 19: one
// d-64, 4-head block at 64 tokens (block-d64-s64, the shape of the real
// export the issue measured) and EZKL's published nanoGPT shape, 4 such
// blocks at 64 tokens (nanogpt-s64). block-s64 is the d-768 block at 64
// tokens.
var Presets = func() map[string]Config {
	p := map[string]Config{
		"demo":          {DModel: 64, Heads: 4, Seq: 8, Blocks: 2},
		"tiny":          {DModel: 8, Heads: 2, Seq: 2, Blocks: 1},
		"gpt2small-s1":  {DModel: 768, Heads: 12, Seq: 1, Blocks: 12},
		"block-d64-s64": {DModel: 64, Heads: 4, Seq: 64, Blocks: 1},
		"nanogpt-s64":   {DModel: 64, Heads: 4, Seq: 64, Blocks: 4},
	}
	for _, s := range []int{1, 4, 16, 64} {
		p[fmt.Sprintf("block-s%d", s)] = Config{DModel: 768, Heads: 12, Seq: s, Blocks: 1}
	}
	for _, d := range []int{64, 128, 256, 512, 768} {
		p[fmt.Sprintf("width-d%d", d)] = Config{DModel: d, Heads: d / 64, Seq: WidthSeq, Blocks: 1}
	}
	for name, c := range p {
		c.Name = name
		p[name] = c
	}
	return p
}()

// PresetNames lists the presets in a stable order.
func PresetNames() []string {
	names := make([]string, 0, len(Presets))
	for n := range Presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ParseConfigs resolves a comma-separated list of preset names.
func ParseConfigs(list string) ([]Config, error) {
	var out []Config
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		c, ok := Presets[n]
		if !ok {
			return nil, fmt.Errorf("unknown configuration %q (presets: %s)", n, strings.Join(PresetNames(), ", "))
		}
		out = append(out, c)
	}
	return out, nil
}

// Validate checks the shape before any work starts.
func (c Config) Validate() error {
	if c.DModel <= 0 || c.Heads <= 0 || c.Seq <= 0 || c.Blocks <= 0 {
		return fmt.Errorf("%s: d-model, heads, seq and blocks must be positive", c.Name)
	}
	if c.DModel%c.Heads != 0 {
		return fmt.Errorf("%s: d-model %d is not a multiple of heads %d", c.Name, c.DModel, c.Heads)
	}
	if err := c.Quant().Validate(); err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	return nil
}

// Stages of a run, cheapest first.
const (
	StageCount = "count" // R1CS constraints and the per-sub-layer breakdown
	StageSCS   = "scs"   // SCS (PLONK) constraints
	StageProve = "prove" // Groth16 compile, dev setup, witness, prove, verify, and the MSM+FFT floor
	StageGas   = "gas"   // verify gas of the generated Solidity verifier on the simulated chain (implies prove)
)

// Stages is the set of stages to run.
type Stages map[string]bool

// ParseStages reads a comma-separated list of stages; gas implies prove.
func ParseStages(list string) (Stages, error) {
	s := Stages{}
	for _, n := range strings.Split(list, ",") {
		switch n = strings.TrimSpace(n); n {
		case "":
		case StageCount, StageSCS, StageProve, StageGas:
			s[n] = true
		default:
			return nil, fmt.Errorf("unknown stage %q (want %s, %s, %s or %s)", n, StageCount, StageSCS, StageProve, StageGas)
		}
	}
	if s[StageGas] {
		s[StageProve] = true
	}
	if len(s) == 0 {
		return nil, fmt.Errorf("no stage given (want %s, %s, %s or %s)", StageCount, StageSCS, StageProve, StageGas)
	}
	return s, nil
}
