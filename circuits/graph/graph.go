// Package graph is the circuit of a layer graph (quant.Graph): it walks the
// nodes in order and lets each op's gadget (circuits/ops, through
// circuits/gadget) constrain it, over circuit-wide fixed-point resources
// planned from every node's clamp sites.
package graph

import (
	"fmt"

	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/circuits/linear"
	"github.com/zkinfer/zkinfer/circuits/matmul"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/circuits/norm"
	_ "github.com/zkinfer/zkinfer/circuits/ops" // the op gadgets
	"github.com/zkinfer/zkinfer/circuits/weights"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Circuit proves y = G(x) for the integer graph G of a model, with the
// graph's parameters as constants (fixed weights) or as witnesses whose
// commitment is the public model commitment (hashed or public weights: the
// circuit is then the same for every weight set of the architecture). The
// input and the output are exposed as modelio says.
type Circuit struct {
	IO modelio.IO
	// W holds the parameters of every quant.Weighted node, one list per
	// WeightSpec in node order, under hashed or public weights.
	W [][]frontend.Variable
	// LW holds a legacy gpt2 model's parameters under hashed or public
	// weights, in the legacy circuit's layout (circuits/weights: LayerNorm β
	// whole), so the witness and the constraints are the legacy ones; W is
	// then empty.
	LW weights.Vars

	model *quant.Model
	// g is the graph walked: m.Graph, or a legacy ffn or gpt2 model
	// re-expressed (ops.FromLegacyFFN, ops.FromLegacyGPT2; legacy is then
	// its architecture).
	g        *quant.Graph
	legacy   string
	fpOpts   []fixedpoint.Option
	products matmul.Mode
}

// WithProducts chooses how the products of two witness matrices are
// constrained (circuits/matmul; Auto by default): attention's QKᵀ and P·V
// and, for a legacy gpt2 model under hashed or public weights, the linear
// layers' in·W over all tokens (linear.DenseWitnessRows). It returns c.
func (c *Circuit) WithProducts(mode matmul.Mode) *Circuit {
	c.products = mode
	return c
}

// WithRecipAttention rebuilds a legacy gpt2 model's graph with the per-row
// reciprocal softmax in its attention nodes (ops.WithRecipAttention): a
// different integer semantics from m's legacy forward pass, so the witness
// must come from that graph's forward pass (LegacyRecipTrace), not
// m.Forward. For benchmarks and experiments: the circuit and its keys are
// not the legacy model's. Other models are left as they are. It returns c.
func (c *Circuit) WithRecipAttention() (*Circuit, error) {
	if c.legacy != quant.ArchitectureGPT2 {
		return c, nil
	}
	g, err := ops.FromLegacyGPT2(c.model, ops.WithRecipAttention())
	if err != nil {
		return nil, err
	}
	c.g = g
	return c, nil
}

// WithResidualFusion makes c, the circuit of a legacy ffn or gpt2 model,
// the circuit of its graph with every linear layer that feeds only a
// residual add fused with it (ops.FuseResiduals: ffn's c_proj, gpt2's two
// c_proj per block; one clamp lookup less per output). That is another
// integer semantics than the model's (quant's legacy forward pass and
// commitment stay unfused): a witness must come from the fused graph's
// forward pass (FusedGraph), as the benchmarks that measure the fusion on
// GPT-2 blocks and the tests do. It fuses the graph c walks now, so it
// composes with WithRecipAttention called first (LegacyVariantGraph).
// Layer graphs are fused when quantized (ops.FuseResidualPass), so they
// refuse it. It returns c.
func (c *Circuit) WithResidualFusion() (*Circuit, error) {
	if c.legacy == "" {
		return nil, fmt.Errorf("graph: %w: residual fusion of a layer graph happens when it is quantized", quant.ErrValidation)
	}
	g, _, err := ops.FuseResiduals(c.g, nil)
	if err != nil {
		return nil, err
	}
	c.g = g
	return c, nil
}

// FusedGraph returns the graph WithResidualFusion walks for a legacy ffn
// or gpt2 model m: its graph form with ops.FuseResiduals applied.
func FusedGraph(m *quant.Model) (*quant.Graph, error) {
	return LegacyVariantGraph(m, false, true)
}

// LegacyVariantGraph returns the graph of a legacy ffn or gpt2 model m as
// WithRecipAttention (recip, gpt2 only) and WithResidualFusion (fuse)
// make it: the graph whose forward pass gives such a circuit's witness.
func LegacyVariantGraph(m *quant.Model, recip, fuse bool) (*quant.Graph, error) {
	g, legacy, err := graphOf(m)
	if err != nil {
		return nil, err
	}
	if legacy == "" {
		return nil, fmt.Errorf("graph: %w: the variants of legacy models apply to legacy ffn and gpt2 models", quant.ErrValidation)
	}
	if recip && legacy == quant.ArchitectureGPT2 {
		if g, err = ops.FromLegacyGPT2(m, ops.WithRecipAttention()); err != nil {
			return nil, err
		}
	}
	if fuse {
		g, _, err = ops.FuseResiduals(g, nil)
	}
	return g, err
}

// LegacyRecipTrace runs a legacy gpt2 model's graph with recip attention
// (WithRecipAttention) on x and returns the trace Assignment needs (input
// and output rows).
func LegacyRecipTrace(m *quant.Model, x [][]int64) (*quant.Trace, error) {
	return LegacyVariantTrace(m, x, true, false)
}

// LegacyVariantTrace runs LegacyVariantGraph(m, recip, fuse) on x and
// returns the trace Assignment needs for the circuit WithRecipAttention
// (recip) and WithResidualFusion (fuse) make of m: input and output rows.
func LegacyVariantTrace(m *quant.Model, x [][]int64, recip, fuse bool) (*quant.Trace, error) {
	g, err := LegacyVariantGraph(m, recip, fuse)
	if err != nil {
		return nil, err
	}
	var flat []int64
	for _, r := range x {
		flat = append(flat, r...)
	}
	vals, err := g.Forward(flat)
	if err != nil {
		return nil, err
	}
	y := vals[g.Outputs[0]]
	d := m.Config.DModel
	tr := &quant.Trace{X: x}
	for r := 0; r+d <= len(y); r += d {
		tr.Y = append(tr.Y, y[r:r+d])
	}
	return tr, nil
}

// graphOf returns the layer graph of m: its own, or the graph form of a
// legacy ffn or gpt2 model (whose architecture, commitment encoding and
// public inputs stay the legacy ones; legacy is then the architecture).
func graphOf(m *quant.Model) (g *quant.Graph, legacy string, err error) {
	switch a := m.Config.Architecture; {
	case m.Graph != nil && a == quant.ArchitectureGraph:
		return m.Graph, "", nil
	case a == quant.ArchitectureFFN:
		g, err := ops.FromLegacyFFN(m)
		return g, a, err
	case a == quant.ArchitectureGPT2:
		g, err := ops.FromLegacyGPT2(m)
		return g, a, err
	}
	return nil, "", fmt.Errorf("graph: model has no layer graph")
}

func checkModel(m *quant.Model, v quant.Visibility) (*quant.Graph, string, error) {
	g, legacy, err := graphOf(m)
	if err != nil {
		return nil, "", err
	}
	return g, legacy, checkGraph(g, v)
}

func checkGraph(g *quant.Graph, v quant.Visibility) error {
	for _, n := range g.Nodes {
		gd, err := gadget.Lookup(n.Op.Kind())
		if err != nil {
			return err
		}
		if _, weighted := n.Op.(quant.Weighted); weighted && v.Weights != quant.VisibilityFixed {
			if _, ok := gd.(gadget.WitnessWeights); !ok {
				return fmt.Errorf("graph: %w: op %s (node %s) takes its parameters as constants only: use --weight-visibility fixed", quant.ErrValidation, n.Op.Kind(), n.Name)
			}
		}
	}
	return nil
}

// weightSpecs lists the parameter lists of every weighted node, in order.
func weightSpecs(g *quant.Graph) []quant.WeightSpec {
	var out []quant.WeightSpec
	for _, n := range g.Nodes {
		if w, ok := n.Op.(quant.Weighted); ok {
			out = append(out, w.Weights()...)
		}
	}
	return out
}

// New returns the circuit of m with its variables allocated.
func New(m *quant.Model, v quant.Visibility, opts ...fixedpoint.Option) (*Circuit, error) {
	g, legacy, err := checkModel(m, v)
	if err != nil {
		return nil, err
	}
	io, err := modelio.New(m, v)
	if err != nil {
		return nil, fmt.Errorf("graph: %w", err)
	}
	c := &Circuit{IO: io, model: m, g: g, legacy: legacy, fpOpts: opts}
	if v.Weights != quant.VisibilityFixed {
		if legacy == quant.ArchitectureGPT2 {
			c.LW = weights.New(m)
			return c, nil
		}
		for _, s := range weightSpecs(g) {
			c.W = append(c.W, make([]frontend.Variable, len(s.Values)))
		}
	}
	return c, nil
}

// Assignment returns the witness of one trace of the integer reference.
func Assignment(m *quant.Model, tr *quant.Trace, v quant.Visibility, salts modelio.Salts) (*Circuit, error) {
	g, legacy, err := checkModel(m, v)
	if err != nil {
		return nil, err
	}
	io, err := modelio.Assign(m, tr, v, salts)
	if err != nil {
		return nil, fmt.Errorf("graph: %w", err)
	}
	c := &Circuit{IO: io}
	if v.Weights != quant.VisibilityFixed {
		if legacy == quant.ArchitectureGPT2 {
			c.LW = weights.Assign(m)
			return c, nil
		}
		for _, s := range weightSpecs(g) {
			w := make([]frontend.Variable, len(s.Values))
			for i, x := range s.Values {
				w[i] = x
			}
			c.W = append(c.W, w)
		}
	}
	return c, nil
}

// Sites lists every node's clamp sites. With witness weights the sites of
// weighted nodes are left out: they would depend on the weights, and the
// circuit must not.
func Sites(g *quant.Graph, witness bool) ([]fixedpoint.Site, error) {
	var sites []fixedpoint.Site
	for _, n := range g.Nodes {
		if _, weighted := n.Op.(quant.Weighted); weighted && witness {
			continue
		}
		gd, err := gadget.Lookup(n.Op.Kind())
		if err != nil {
			return nil, err
		}
		sites = append(sites, gd.Sites(n.Op, g.ValuesOf(n.In), g.ValuesOf(n.Out))...)
	}
	return sites, nil
}

// Define constrains the graph node by node.
func (c *Circuit) Define(api frontend.API) error {
	if c.model == nil {
		return fmt.Errorf("graph: circuit has no model (build it with graph.New)")
	}
	g := c.g
	witness := c.IO.Visibility().Weights != quant.VisibilityFixed
	sites, err := Sites(g, witness)
	if err != nil {
		return err
	}
	gpt2 := c.legacy == quant.ArchitectureGPT2
	var fpOpts []fixedpoint.Option
	if gpt2 {
		// The legacy gpt2 circuit's own log-derivative range checker.
		fpOpts = append(fpOpts, fixedpoint.WithLogChecker())
	}
	if c.legacy == "" || !witness {
		// The legacy circuits plan no clamp tables under witness weights
		// (ffn's residual clamps take the selector path): kept, so the
		// circuits are the legacy ones constraint for constraint.
		fpOpts = append([]fixedpoint.Option{fixedpoint.WithPlan(fixedpoint.NewPlan(sites))}, fpOpts...)
	}
	fp := fixedpoint.New(api, append(fpOpts, c.fpOpts...)...)
	ctx := gadget.NewCtx(api, fp)
	ctx.Products = c.products
	var nodeW [][][]frontend.Variable
	var fused map[int]bool
	if gpt2 {
		ctx.WitnessRows, ctx.LegacyWeights = true, true
		// The legacy circuit's tables: exp first, then GELU built at its
		// first lookup (nothing looks it up where c_fc's clamps and GELU
		// are fused).
		ctx.PackedTable(c.model.ExpTable)
		ctx.LazyTable(c.model.GELUTable)
		if witness {
			nodeW = c.legacyNodeWeights()
			if c.IO.Visibility().Weights == quant.VisibilityCommitted {
				// First of the circuit's commitments, as for layer graphs.
				if err := c.bindCommittedLegacy(api); err != nil {
					return err
				}
			}
		} else {
			fused = fuseMapped(g, fp)
		}
	} else if witness {
		if nodeW, err = c.bindWeights(api, fp); err != nil {
			return err
		}
		// Committed weights: a linear layer's rows checked together
		// (matmul, by ctx.Products). Hashed and public layer graphs keep
		// one constraint per product (their keys unchanged).
		ctx.WitnessRows = c.IO.Visibility().Weights == quant.VisibilityCommitted
	}
	vals := make([][]frontend.Variable, len(g.Values))
	// IO.Bind range-checks every input value to its bounds (int8, index
	// or boolean): every value the nodes read is within its format.
	if quant.SingleInt8(c.model.InputParts()) {
		var x []frontend.Variable
		for _, row := range c.IO.X {
			x = append(x, row...)
		}
		vals[g.Inputs[0]] = x
	} else {
		if len(c.IO.X) != len(g.Inputs) {
			return fmt.Errorf("graph: %d input tensors, the graph has %d inputs", len(c.IO.X), len(g.Inputs))
		}
		for k, id := range g.Inputs {
			vals[id] = c.IO.X[k]
		}
	}
	for i, n := range g.Nodes {
		if fused[i] {
			// c_fc's clamp and GELU in one lookup per output
			// (linear.DenseMapped); the next node is the GELU, done here.
			vals[g.Nodes[i+1].Out[0]] = mapped(ctx, n.Op.(*ops.QLinear), vals[n.In[0]], g.Nodes[i+1].Op.(*ops.QUnary))
			continue
		}
		if i > 0 && fused[i-1] {
			continue
		}
		gd, err := gadget.Lookup(n.Op.Kind())
		if err != nil {
			return err
		}
		in := make([]gadget.Tensor, len(n.In))
		for k, id := range n.In {
			in[k] = gadget.Tensor{Value: g.Values[id], V: vals[id]}
		}
		ctx.W = nil
		if witness {
			ctx.W = nodeW[i]
		}
		outs, err := gd.Define(ctx, n.Op, in, g.ValuesOf(n.Out))
		if err != nil {
			return fmt.Errorf("graph: node %d (%s, %s): %w", i, n.Name, n.Op.Kind(), err)
		}
		if len(outs) != len(n.Out) {
			return fmt.Errorf("graph: node %d (%s): %d outputs, want %d", i, n.Name, len(outs), len(n.Out))
		}
		for k, id := range n.Out {
			if len(outs[k]) != g.Values[id].Size() {
				return fmt.Errorf("graph: node %d (%s): output %d has %d variables, want %d", i, n.Name, k, len(outs[k]), g.Values[id].Size())
			}
			vals[id] = outs[k]
		}
	}
	if gpt2 && witness && c.IO.Visibility().Weights != quant.VisibilityCommitted {
		// As the legacy circuit: the weights' range checks and the model
		// commitment after the blocks.
		h, elems, err := weights.Commit(api, fp, c.model, &c.LW)
		if err != nil {
			return fmt.Errorf("graph: %w", err)
		}
		if err := c.IO.BindModel(api, h, elems); err != nil {
			return fmt.Errorf("graph: %w", err)
		}
	}
	if cin, cout := c.IO.Visibility().CommittedIO(); (cin || cout) && c.IO.Visibility().Weights != quant.VisibilityCommitted {
		// Committed input or output: the prover zeroes the commitment
		// masks (prover.Prove), so the lookups' commitment gets its own
		// blinding wire, as under committed weights (commitWeights).
		if err := blindLookups(api); err != nil {
			return err
		}
	}
	if !quant.SingleInt8(c.model.OutputParts()) {
		ys := make([][]frontend.Variable, len(g.Outputs))
		for k, id := range g.Outputs {
			ys[k] = vals[id]
		}
		return c.IO.Bind(api, fp, ys)
	}
	y := vals[g.Outputs[0]]
	_, width := quant.Rows(g.Output().Shape)
	rows := make([][]frontend.Variable, 0, len(y)/width)
	for r := 0; r+width <= len(y); r += width {
		rows = append(rows, y[r:r+width])
	}
	return c.IO.Bind(api, fp, rows)
}

// bindWeights range-checks the witness parameters, rebuilds the model
// commitment from them (quant.EncodeLayout with the weight elements taken
// from the witness) and binds it to the public commitment. It returns each
// node's parameter lists.
func (c *Circuit) bindWeights(api frontend.API, fp *fixedpoint.Gadget) ([][][]frontend.Variable, error) {
	g := c.g
	specs := weightSpecs(g)
	if len(c.W) != len(specs) {
		return nil, fmt.Errorf("graph: %d weight lists, the graph has %d", len(c.W), len(specs))
	}
	if c.IO.Visibility().Weights == quant.VisibilityCommitted {
		if err := c.bindCommittedWeights(api, specs); err != nil {
			return nil, err
		}
		return c.perNode(), nil
	}
	var elems []frontend.Variable
	for k, s := range specs {
		w := c.W[k]
		if len(w) != len(s.Values) {
			return nil, fmt.Errorf("graph: weight list %d has %d values, want %d", k, len(w), len(s.Values))
		}
		switch s.Kind {
		case quant.WeightInt8:
			for _, v := range w {
				fp.AssertInt8(v)
			}
			elems = append(elems, fixedpoint.PackInt8(api, w)...)
		case quant.WeightInt32:
			for _, v := range w {
				fp.Check(api.Sub(v, quant.Int32Min), 32)
			}
			elems = append(elems, w...)
		case quant.WeightMult:
			for _, v := range w {
				fp.Check(v, 16)
			}
			elems = append(elems, w...)
		default:
			return nil, fmt.Errorf("graph: weight kind %d", s.Kind)
		}
	}
	consts, isWeight, err := quant.EncodeLayout(c.model)
	if err != nil {
		return nil, err
	}
	all := make([]frontend.Variable, len(consts))
	k := 0
	for i := range consts {
		if !isWeight[i] {
			all[i] = consts[i]
			continue
		}
		if k == len(elems) {
			return nil, fmt.Errorf("graph: the encoding has more weight elements than the witness (%d)", len(elems))
		}
		all[i] = elems[k]
		k++
	}
	if k != len(elems) {
		return nil, fmt.Errorf("graph: the witness has %d weight elements, the encoding %d", len(elems), k)
	}
	h, err := modelio.Hash(api, all)
	if err != nil {
		return nil, err
	}
	if err := c.IO.BindModel(api, h, elems); err != nil {
		return nil, err
	}
	return c.perNode(), nil
}

// perNode splits the weight lists by node.
func (c *Circuit) perNode() [][][]frontend.Variable {
	g := c.g
	per := make([][][]frontend.Variable, len(g.Nodes))
	k := 0
	for i, n := range g.Nodes {
		if w, ok := n.Op.(quant.Weighted); ok {
			m := len(w.Weights())
			per[i] = c.W[k : k+m]
			k += m
		}
	}
	return per
}

// legacyNodeWeights returns each node's parameter lists from LW (a legacy
// gpt2 model under witness weights), in the legacy layout: a linear node's
// W, B, Mult; a layernorm's γ, β, [mult] (gadget.Ctx.LegacyWeights). The
// graph's weighted nodes are, per block, ln_1, c_attn, attn.c_proj, ln_2,
// c_fc, mlp.c_proj, then ln_f.
func (c *Circuit) legacyNodeWeights() [][][]frontend.Variable {
	var lists [][][]frontend.Variable
	dense := func(w linear.Weights) { lists = append(lists, [][]frontend.Variable{w.W, w.B, w.Mult}) }
	ln := func(w norm.Weights) {
		lists = append(lists, [][]frontend.Variable{w.Gamma, w.Beta, {w.Mult}})
	}
	for _, b := range c.LW.Blocks {
		ln(b.LN1)
		dense(b.QKV)
		dense(b.AttnProj)
		ln(b.LN2)
		dense(b.FC)
		dense(b.Proj)
	}
	for _, w := range c.LW.LNF {
		ln(w)
	}
	per := make([][][]frontend.Variable, len(c.g.Nodes))
	k := 0
	for i, n := range c.g.Nodes {
		if _, ok := n.Op.(quant.Weighted); ok && k < len(lists) {
			per[i] = lists[k]
			k++
		}
	}
	return per
}

// fuseMapped returns the linear nodes of a legacy gpt2 graph whose clamp is
// fused with the GELU that follows (linear.DenseMapped), as the legacy
// circuit chose: of the linear nodes whose only reader is the next node, a
// unary of a 256-entry table (c_fc), those clamping to int8 where the
// composed table pays (linear.MappedPays) for all such pairs' outputs.
func fuseMapped(g *quant.Graph, fp *fixedpoint.Gadget) map[int]bool {
	readers, _ := g.Uses()
	var pairs []int
	count := 0
	for i, n := range g.Nodes {
		if _, ok := n.Op.(*ops.QLinear); !ok || i+1 == len(g.Nodes) || readers[n.Out[0]] != 1 {
			continue
		}
		next := g.Nodes[i+1]
		if u, ok := next.Op.(*ops.QUnary); !ok || len(u.Table) != 256 || next.In[0] != n.Out[0] {
			continue
		}
		pairs = append(pairs, i)
		count += g.Values[n.Out[0]].Size()
	}
	fused := map[int]bool{}
	for _, i := range pairs {
		q := g.Nodes[i].Op.(*ops.QLinear)
		if q.Lo == quant.Int8Min && q.Hi == quant.Int8Max && linear.MappedPays(fp, &q.Dense, count) {
			fused[i] = true
		}
	}
	return fused
}

// mapped constrains u(q(x)) row by row with q's clamp and u's table in one
// lookup per output (linear.DenseMapped, its fallback u's table).
func mapped(ctx *gadget.Ctx, q *ops.QLinear, x []frontend.Variable, u *ops.QUnary) []frontend.Variable {
	fallback := ctx.LazyTable(u.Table)
	y := make([]frontend.Variable, 0, len(x)/q.In*q.Out)
	for r := 0; r+q.In <= len(x); r += q.In {
		y = append(y, linear.DenseMapped(ctx.API, ctx.FP, &q.Dense, x[r:r+q.In], "gelu", u.Table, fallback)...)
	}
	return y
}
