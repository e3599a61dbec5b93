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
)

// Circuit proves y = G(x) for the integer graph G of a model, with the
// graph's parameters as constants (fixed weights). The input and the output
// are exposed as modelio says.
type Circuit struct {
	IO modelio.IO

	model  *quant.Model
	fpOpts []fixedpoint.Option
}

func checkModel(m *quant.Model, v quant.Visibility) error {
	if m.Graph == nil {
		return fmt.Errorf("graph: model has no layer graph")
	}
	if v.Weights != quant.VisibilityFixed {
		return fmt.Errorf("graph: %w: %s weights are not supported for layer graphs yet (use --weight-visibility fixed)", quant.ErrValidation, v.Weights)
	}
	for _, n := range m.Graph.Nodes {
		if _, err := gadget.Lookup(n.Op.Kind()); err != nil {
			return err
		}
	}
	return nil
}

// New returns the circuit of m with its variables allocated.
func New(m *quant.Model, v quant.Visibility, opts ...fixedpoint.Option) (*Circuit, error) {
	if err := checkModel(m, v); err != nil {
		return nil, err
	}
	io, err := modelio.New(m, v)
	if err != nil {
		return nil, fmt.Errorf("graph: %w", err)
	}
	return &Circuit{IO: io, model: m, fpOpts: opts}, nil
}

// Assignment returns the witness of one trace of the integer reference.
func Assignment(m *quant.Model, tr *quant.Trace, v quant.Visibility, salts modelio.Salts) (*Circuit, error) {
	if err := checkModel(m, v); err != nil {
		return nil, err
	}
	io, err := modelio.Assign(m, tr, v, salts)
	if err != nil {
		return nil, fmt.Errorf("graph: %w", err)
	}
	return &Circuit{IO: io}, nil
}

// Sites lists every node's clamp sites.
func Sites(g *quant.Graph) ([]fixedpoint.Site, error) {
	var sites []fixedpoint.Site
	for _, n := range g.Nodes {
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
	g := c.model.Graph
	sites, err := Sites(g)
	if err != nil {
		return err
	}
	fp := fixedpoint.New(api, append([]fixedpoint.Option{fixedpoint.WithPlan(fixedpoint.NewPlan(sites))}, c.fpOpts...)...)
	ctx := gadget.NewCtx(api, fp)
	vals := make([][]frontend.Variable, len(g.Values))
	var x []frontend.Variable
	for _, row := range c.IO.X {
		x = append(x, row...)
	}
	// IO.Bind range-checks the input to int8; a narrower input range is
	// not used by any importer.
	if in := g.Input(); in.Lo != quant.Int8Min || in.Hi != quant.Int8Max {
		return fmt.Errorf("graph: input bounds [%d, %d], want int8", in.Lo, in.Hi)
	}
	vals[g.Inputs[0]] = x
	for i, n := range g.Nodes {
		gd, err := gadget.Lookup(n.Op.Kind())
		if err != nil {
			return err
		}
		in := make([]gadget.Tensor, len(n.In))
		for k, id := range n.In {
			in[k] = gadget.Tensor{Value: g.Values[id], V: vals[id]}
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
	y := vals[g.Outputs[0]]
	_, width := quant.Rows(g.Output().Shape)
	rows := make([][]frontend.Variable, 0, len(y)/width)
	for r := 0; r+width <= len(y); r += width {
		rows = append(rows, y[r:r+width])
	}
	return c.IO.Bind(api, fp, rows)
}
