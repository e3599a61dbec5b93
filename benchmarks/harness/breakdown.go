package harness

import (
	"fmt"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/zkinfer/zkinfer/circuits/activation"
	"github.com/zkinfer/zkinfer/circuits/attention"
	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/linear"
	"github.com/zkinfer/zkinfer/circuits/norm"
	"github.com/zkinfer/zkinfer/quant"
)

// Part is the R1CS cost of one sub-layer.
type Part struct {
	Name        string `json:"name"`
	Constraints int    `json:"constraints"`
	// PerBlock is true for the sub-layers of a transformer block (paid
	// once per block); false for those paid once per model.
	PerBlock bool `json:"per_block"`
}

// partCircuit holds one sub-layer on private inputs of the given shape so
// that its constraints, range checks and lookup tables included, are counted
// on their own. It builds its gadgets only through the gadget packages'
// exported functions, the ones the gpt2 circuit calls.
type partCircuit struct {
	In    [][]frontend.Variable
	build func(api frontend.API, fp *fixedpoint.Gadget, in [][]frontend.Variable)
}

func (p *partCircuit) Define(api frontend.API) error {
	p.build(api, fixedpoint.New(api, fixedpoint.WithLogChecker()), p.In)
	return nil
}

func countPart(rows, cols int, build func(frontend.API, *fixedpoint.Gadget, [][]frontend.Variable)) (int, error) {
	c := &partCircuit{In: make([][]frontend.Variable, rows), build: build}
	for i := range c.In {
		c.In[i] = make([]frontend.Variable, cols)
	}
	cs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c)
	if err != nil {
		return 0, err
	}
	return cs.GetNbConstraints(), nil
}

// Breakdown counts the R1CS constraints of each sub-layer of m's first block
// (all blocks have the same shape and so the same cost), and of the final
// LayerNorm. Each part is compiled on its own, so each carries its own
// range-check table and lookup-table overhead; Rest in the result reconciles
// the parts with the whole circuit's count.
func Breakdown(m *quant.Model) ([]Part, error) {
	cfg := m.Config
	if cfg.Architecture != quant.ArchitectureGPT2 || len(m.Blocks) == 0 {
		return nil, fmt.Errorf("breakdown: want a gpt2 model with at least one block")
	}
	blk := &m.Blocks[0]
	seq, d, h := cfg.SeqLen, cfg.DModel, cfg.DHidden
	params := attention.Params{NHead: cfg.NHead, Logit: blk.Logit, AttnOut: blk.AttnOut, Formats: m.Scales.GPT2.Formats}
	type spec struct {
		name       string
		rows, cols int
		build      func(frontend.API, *fixedpoint.Gadget, [][]frontend.Variable)
	}
	specs := []spec{
		{"layernorm-x2", seq, d, func(api frontend.API, fp *fixedpoint.Gadget, in [][]frontend.Variable) {
			for _, r := range in {
				norm.LayerNorm(api, fp, &blk.LN1, r)
				norm.LayerNorm(api, fp, &blk.LN2, r)
			}
		}},
		{"qkv-projection", seq, d, func(api frontend.API, fp *fixedpoint.Gadget, in [][]frontend.Variable) {
			for _, r := range in {
				linear.Dense(api, fp, &blk.QKV, r)
			}
		}},
		{"attention-scores+probsV", seq, 3 * d, func(api frontend.API, fp *fixedpoint.Gadget, in [][]frontend.Variable) {
			attention.Attention(api, fp, fixedpoint.NewPackedTable(api, m.ExpTable), params, in)
		}},
		{"softmax", seq * cfg.NHead, seq, func(api frontend.API, fp *fixedpoint.Gadget, in [][]frontend.Variable) {
			exp := fixedpoint.NewPackedTable(api, m.ExpTable)
			for i, r := range in {
				attention.Softmax(api, fp, exp, r[:i%seq+1])
			}
		}},
		{"attn-projection+residual", seq, d, func(api frontend.API, fp *fixedpoint.Gadget, in [][]frontend.Variable) {
			for _, r := range in {
				fp.ResidualAdd(r, linear.Dense(api, fp, &blk.AttnProj, r))
			}
		}},
		{"mlp-c_fc", seq, d, func(api frontend.API, fp *fixedpoint.Gadget, in [][]frontend.Variable) {
			for _, r := range in {
				linear.Dense(api, fp, &blk.FC, r)
			}
		}},
		{"mlp-gelu", seq, h, func(api frontend.API, _ *fixedpoint.Gadget, in [][]frontend.Variable) {
			gelu := fixedpoint.NewTable(api, m.GELUTable)
			for _, r := range in {
				activation.GELU(api, gelu, r)
			}
		}},
		{"mlp-c_proj+residual", seq, h, func(api frontend.API, fp *fixedpoint.Gadget, in [][]frontend.Variable) {
			for _, r := range in {
				fp.ResidualAdd(r[:d], linear.Dense(api, fp, &blk.Proj, r))
			}
		}},
	}
	var parts []Part
	softmax := 0
	for _, s := range specs {
		n, err := countPart(s.rows, s.cols, s.build)
		if err != nil {
			return nil, fmt.Errorf("breakdown %s: %w", s.name, err)
		}
		if s.name == "softmax" {
			softmax = n
			continue
		}
		parts = append(parts, Part{Name: s.name, Constraints: n, PerBlock: true})
	}
	// Attention calls Softmax: report the two apart, the softmax (with its
	// exp table) being counted on its own above.
	for i := range parts {
		if parts[i].Name == "attention-scores+probsV" {
			parts[i].Constraints -= softmax
			parts = append(parts[:i+1], append([]Part{{Name: "softmax", Constraints: softmax, PerBlock: true}}, parts[i+1:]...)...)
			break
		}
	}
	if m.LNF != nil {
		n, err := countPart(seq, d, func(api frontend.API, fp *fixedpoint.Gadget, in [][]frontend.Variable) {
			for _, r := range in {
				norm.LayerNorm(api, fp, m.LNF, r)
			}
		})
		if err != nil {
			return nil, fmt.Errorf("breakdown final layernorm: %w", err)
		}
		parts = append(parts, Part{Name: "final-layernorm", Constraints: n})
	}
	return parts, nil
}

// RestPart is the name of the reconciling entry: the whole circuit's count
// minus blocks × the per-block parts minus the per-model parts. It holds the
// input/output binding (hashes, public inputs), minus the range-check and
// table overheads that each standalone part paid and the whole circuit pays
// once; it can be negative.
const RestPart = "rest(io-binding,shared-tables)"

// WithRest appends RestPart so that the parts add up to total.
func WithRest(parts []Part, blocks, total int) []Part {
	sum := 0
	for _, p := range parts {
		if p.PerBlock {
			sum += blocks * p.Constraints
		} else {
			sum += p.Constraints
		}
	}
	return append(parts, Part{Name: RestPart, Constraints: total - sum})
}
