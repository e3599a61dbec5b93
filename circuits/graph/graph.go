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
	"github.com/zkinfer/zkinfer/circuits/modelio"
	_ "github.com/zkinfer/zkinfer/circuits/ops" // the op gadgets
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

	model *quant.Model
	// g is the graph walked: m.Graph, or a legacy ffn model re-expressed
	// (ops.FromLegacyFFN; legacy is then set).
	g      *quant.Graph
	legacy bool
	fpOpts []fixedpoint.Option
}

// graphOf returns the layer graph of m: its own, or the graph form of a
// legacy ffn model (whose architecture, commitment encoding and public
// inputs stay the legacy ones).
func graphOf(m *quant.Model) (g *quant.Graph, legacy bool, err error) {
	switch {
	case m.Graph != nil && m.Config.Architecture == quant.ArchitectureGraph:
		return m.Graph, false, nil
	case m.Config.Architecture == quant.ArchitectureFFN:
		g, err := ops.FromLegacyFFN(m)
		return g, true, err
	}
	return nil, false, fmt.Errorf("graph: model has no layer graph")
}

func checkModel(m *quant.Model, v quant.Visibility) (*quant.Graph, bool, error) {
	g, legacy, err := graphOf(m)
	if err != nil {
		return nil, false, err
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
		for _, s := range weightSpecs(g) {
			c.W = append(c.W, make([]frontend.Variable, len(s.Values)))
		}
	}
	return c, nil
}

// Assignment returns the witness of one trace of the integer reference.
func Assignment(m *quant.Model, tr *quant.Trace, v quant.Visibility, salts modelio.Salts) (*Circuit, error) {
	g, _, err := checkModel(m, v)
	if err != nil {
		return nil, err
	}
	io, err := modelio.Assign(m, tr, v, salts)
	if err != nil {
		return nil, fmt.Errorf("graph: %w", err)
	}
	c := &Circuit{IO: io}
	if v.Weights != quant.VisibilityFixed {
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
	fpOpts := append([]fixedpoint.Option{fixedpoint.WithPlan(fixedpoint.NewPlan(sites))}, c.fpOpts...)
	if c.legacy && witness {
		// The legacy ffn circuit plans no clamp tables under witness
		// weights (its residual's clamps take the selector path): kept, so
		// the circuit is the legacy one constraint for constraint.
		fpOpts = c.fpOpts
	}
	fp := fixedpoint.New(api, fpOpts...)
	ctx := gadget.NewCtx(api, fp)
	var nodeW [][][]frontend.Variable
	if witness {
		if nodeW, err = c.bindWeights(api, fp); err != nil {
			return err
		}
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
			ctx.WitnessRows = c.IO.Visibility().Weights == quant.VisibilityCommitted
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
