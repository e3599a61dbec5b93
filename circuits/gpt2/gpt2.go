// Package gpt2 is the circuit of a stack of GPT-2 decoder blocks with
// constant (fixed) weights or witness weights (hashed, public: circuits/weights).
package gpt2

import (
	"fmt"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/lookup/logderivlookup"

	"github.com/zkinfer/zkinfer/circuits/activation"
	"github.com/zkinfer/zkinfer/circuits/attention"
	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/linear"
	"github.com/zkinfer/zkinfer/circuits/matmul"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/circuits/norm"
	"github.com/zkinfer/zkinfer/circuits/weights"
	"github.com/zkinfer/zkinfer/quant"
)

// Circuit proves that the gpt2 model's integer forward pass maps the input to
// the output: for every block, h = x + Attn(LN1(x)) and y = h + MLP(LN2(h))
// with saturating residual adds, then ln_f when the model has it. Input and
// output are exposed as modelio says.
type Circuit struct {
	IO modelio.IO
	// W holds the parameters as private witnesses under hashed or public
	// weights (circuits/weights), and nothing under fixed weights.
	W weights.Vars

	model    *quant.Model
	fpOpts   []fixedpoint.Option
	products matmul.Mode
}

// WithProducts chooses how the products of two witnesses are constrained
// (circuits/matmul; Auto by default): the attention products QKᵀ and P·V,
// and under hashed or public weights the dense layers' in·W over all tokens
// (linear.DenseWitnessRows). It returns c.
func (c *Circuit) WithProducts(mode matmul.Mode) *Circuit {
	c.products = mode
	return c
}

// New returns the circuit of m with its variables allocated, exposing input
// and output as v says; opts choose the range-check strategy.
func New(m *quant.Model, v quant.Visibility, opts ...fixedpoint.Option) (*Circuit, error) {
	io, err := modelio.New(m, v)
	if err != nil {
		return nil, fmt.Errorf("gpt2: %w", err)
	}
	c := &Circuit{IO: io, model: m, fpOpts: opts}
	if v.Weights != quant.VisibilityFixed {
		c.W = weights.New(m)
	}
	return c, nil
}

// Assignment returns the witness for one trace of the reference; salts
// serve private input or output.
func Assignment(m *quant.Model, tr *quant.Trace, v quant.Visibility, salts modelio.Salts) (*Circuit, error) {
	io, err := modelio.Assign(m, tr, v, salts)
	if err != nil {
		return nil, fmt.Errorf("gpt2: %w", err)
	}
	c := &Circuit{IO: io}
	if v.Weights != quant.VisibilityFixed {
		c.W = weights.Assign(m)
	}
	return c, nil
}

// Define constrains the relation above.
func (c *Circuit) Define(api frontend.API) error {
	m := c.model
	if m == nil || m.Scales.GPT2 == nil {
		return fmt.Errorf("gpt2: circuit has no gpt2 model (build it with gpt2.New)")
	}
	witness := c.IO.Visibility().Weights != quant.VisibilityFixed
	opts := append([]fixedpoint.Option{fixedpoint.WithLogChecker()}, c.fpOpts...)
	if !witness {
		// The plan is computed from the weights' actual bounds; a circuit
		// with witness weights must not depend on them, so it has none.
		opts = append([]fixedpoint.Option{fixedpoint.WithPlan(Plan(m))}, opts...)
	}
	fp := fixedpoint.New(api, opts...)
	exp := fixedpoint.NewPackedTable(api, m.ExpTable)
	// Built at its first lookup: where c_fc's clamp and GELU are fused
	// (Block), nothing else looks it up.
	gelu := fixedpoint.NewLazyTable(api, m.GELUTable)
	cur := c.IO.X
	for l := range m.Blocks {
		if witness {
			cur = BlockWitness(api, fp, exp, gelu, m, &m.Blocks[l], &c.W.Blocks[l], cur, c.products)
		} else {
			cur = Block(api, fp, exp, gelu, m, &m.Blocks[l], cur, c.products)
		}
	}
	if m.LNF != nil {
		for i, row := range cur {
			if witness {
				cur[i] = norm.LayerNormWitness(api, fp, m.LNF, c.W.LNF[0], row)
			} else {
				cur[i] = norm.LayerNorm(api, fp, m.LNF, row)
			}
		}
	}
	if witness {
		h, elems, err := weights.Commit(api, fp, m, &c.W)
		if err != nil {
			return fmt.Errorf("gpt2: %w", err)
		}
		if err := c.IO.BindModel(api, h, elems); err != nil {
			return fmt.Errorf("gpt2: %w", err)
		}
	}
	return c.IO.Bind(api, fp, cur)
}

// Plan returns the clamp tables of m's circuit: fixedpoint.NewPlan(Sites(m)).
func Plan(m *quant.Model) *fixedpoint.Plan { return fixedpoint.NewPlan(Sites(m)) }

// Sites lists every requantization and residual sum of m's forward pass.
func Sites(m *quant.Model) []fixedpoint.Site {
	seq, d := m.Config.SeqLen, m.Config.DModel
	var sites []fixedpoint.Site
	for l := range m.Blocks {
		b := &m.Blocks[l]
		sites = append(sites, norm.Sites(&b.LN1, seq)...)
		sites = append(sites, linear.Sites(&b.QKV, seq)...)
		sites = append(sites, attention.Sites(AttentionParams(m, b, matmul.Auto), d, seq)...)
		sites = append(sites, linear.Sites(&b.AttnProj, seq)...)
		sites = append(sites, fixedpoint.ResidualSites(seq*d)...)
		sites = append(sites, norm.Sites(&b.LN2, seq)...)
		sites = append(sites, linear.Sites(&b.FC, seq)...)
		sites = append(sites, linear.Sites(&b.Proj, seq)...)
		sites = append(sites, fixedpoint.ResidualSites(seq*d)...)
	}
	if m.LNF != nil {
		sites = append(sites, norm.Sites(m.LNF, seq)...)
	}
	return sites
}

// AttentionParams returns the attention parameters of block b of m, its
// products constrained as products says.
func AttentionParams(m *quant.Model, b *quant.Block, products matmul.Mode) attention.Params {
	return attention.Params{NHead: m.Config.NHead, Logit: b.Logit, AttnOut: b.AttnOut, Formats: m.Scales.GPT2.Formats, Products: products}
}

// Block constrains one decoder block on int8 rows x; products chooses how
// attention's QKᵀ and P·V are constrained.
func Block(api frontend.API, fp *fixedpoint.Gadget, exp, gelu logderivlookup.Table, m *quant.Model, b *quant.Block, x [][]frontend.Variable, products matmul.Mode) [][]frontend.Variable {
	qkv := make([][]frontend.Variable, len(x))
	for i, row := range x {
		qkv[i] = linear.Dense(api, fp, &b.QKV, norm.LayerNorm(api, fp, &b.LN1, row))
	}
	attn := attention.Attention(api, fp, exp, AttentionParams(m, b, products), qkv)
	// c_fc's outputs feed only GELU: where the plan's int8 table pays, one
	// lookup of clamp-then-GELU replaces the clamp lookup and the GELU
	// lookup (shared by all blocks).
	fused := b.FC.Lo == quant.Int8Min && b.FC.Hi == quant.Int8Max && len(m.GELUTable) == 256 &&
		linear.MappedPays(fp, &b.FC, len(m.Blocks)*len(x)*b.FC.Out)
	y := make([][]frontend.Variable, len(x))
	for i, row := range x {
		h := fp.ResidualAdd(row, linear.Dense(api, fp, &b.AttnProj, attn[i]))
		ln2 := norm.LayerNorm(api, fp, &b.LN2, h)
		var g []frontend.Variable
		if fused {
			g = linear.DenseMapped(api, fp, &b.FC, ln2, "gelu", m.GELUTable, gelu)
		} else {
			g = activation.GELU(api, gelu, linear.Dense(api, fp, &b.FC, ln2))
		}
		y[i] = fp.ResidualAdd(h, linear.Dense(api, fp, &b.Proj, g))
	}
	return y
}

// BlockWitness is Block with the block's parameters as the witness w
// (hashed or public weights); b gives the architecture: shapes, shifts,
// clamp bounds, LayerNorm k and ε, and the attention requantizations.
// products chooses how the products of two witnesses are constrained: the
// attention products and the dense layers' in·W over all tokens
// (linear.DenseWitnessRows).
func BlockWitness(api frontend.API, fp *fixedpoint.Gadget, exp, gelu logderivlookup.Table, m *quant.Model, b *quant.Block, w *weights.Block, x [][]frontend.Variable, products matmul.Mode) [][]frontend.Variable {
	rows := func(f func(i int, row []frontend.Variable) []frontend.Variable, in [][]frontend.Variable) [][]frontend.Variable {
		out := make([][]frontend.Variable, len(in))
		for i, row := range in {
			out[i] = f(i, row)
		}
		return out
	}
	ln1 := rows(func(_ int, row []frontend.Variable) []frontend.Variable {
		return norm.LayerNormWitness(api, fp, &b.LN1, w.LN1, row)
	}, x)
	qkv := linear.DenseWitnessRows(api, fp, &b.QKV, w.QKV, ln1, products)
	attn := attention.Attention(api, fp, exp, AttentionParams(m, b, products), qkv)
	proj := linear.DenseWitnessRows(api, fp, &b.AttnProj, w.AttnProj, attn, products)
	h := rows(func(i int, row []frontend.Variable) []frontend.Variable { return fp.ResidualAdd(row, proj[i]) }, x)
	ln2 := rows(func(_ int, row []frontend.Variable) []frontend.Variable {
		return norm.LayerNormWitness(api, fp, &b.LN2, w.LN2, row)
	}, h)
	fc := linear.DenseWitnessRows(api, fp, &b.FC, w.FC, ln2, products)
	g := rows(func(_ int, row []frontend.Variable) []frontend.Variable { return activation.GELU(api, gelu, row) }, fc)
	mlp := linear.DenseWitnessRows(api, fp, &b.Proj, w.Proj, g, products)
	return rows(func(i int, row []frontend.Variable) []frontend.Variable { return fp.ResidualAdd(row, mlp[i]) }, h)
}
