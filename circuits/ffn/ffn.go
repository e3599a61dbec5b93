// Package ffn is the circuit of a transformer feed-forward block with
// constant (fixed) weights or witness weights (hashed, public: circuits/weights).
package ffn

import (
	"fmt"

	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/linear"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/circuits/weights"
	"github.com/zkinfer/zkinfer/quant"
)

// Circuit proves y = clamp(x + requant(W2ᵀ·relu(requant(W1ᵀ·x + b1)) + b2))
// for every token of the sequence, with the integers of a quant.Model as
// constants (fixed weights) or as witnesses whose commitment is the public
// model commitment (hashed or public weights, circuits/weights). The input x and the output y are exposed as modelio says.
type Circuit struct {
	IO modelio.IO
	// W holds the parameters as private witnesses under hashed or public
	// weights (circuits/weights), and nothing under fixed weights.
	W weights.Vars

	model  *quant.Model
	fpOpts []fixedpoint.Option
}

// New returns a circuit for m with its variables allocated, ready to compile,
// exposing input and output as v says. opts choose the range-check strategy
// of the fixed-point gadgets.
func New(m *quant.Model, v quant.Visibility, opts ...fixedpoint.Option) (*Circuit, error) {
	io, err := modelio.New(m, v)
	if err != nil {
		return nil, fmt.Errorf("ffn: %w", err)
	}
	c := &Circuit{IO: io, model: m, fpOpts: opts}
	if v.Weights != quant.VisibilityFixed {
		c.W = weights.New(m)
	}
	return c, nil
}

// Assignment returns the witness for one trace of the reference forward
// pass; salts serve private input or output.
func Assignment(m *quant.Model, tr *quant.Trace, v quant.Visibility, salts modelio.Salts) (*Circuit, error) {
	io, err := modelio.Assign(m, tr, v, salts)
	if err != nil {
		return nil, fmt.Errorf("ffn: %w", err)
	}
	c := &Circuit{IO: io}
	if v.Weights != quant.VisibilityFixed {
		c.W = weights.Assign(m)
	}
	return c, nil
}

// Plan returns the clamp tables of m's circuit: fixedpoint.NewPlan(Sites(m)).
func Plan(m *quant.Model) *fixedpoint.Plan { return fixedpoint.NewPlan(Sites(m)) }

// Sites lists both requantizations and the residual sum of every token.
func Sites(m *quant.Model) []fixedpoint.Site {
	seq := m.Config.SeqLen
	sites := append(linear.Sites(&m.FC, seq), linear.Sites(&m.Proj, seq)...)
	return append(sites, fixedpoint.ResidualSites(seq*m.Config.DModel)...)
}

// Define constrains the relation above.
func (c *Circuit) Define(api frontend.API) error {
	if c.model == nil {
		return fmt.Errorf("ffn: circuit has no model (build it with ffn.New)")
	}
	m := c.model
	witness := c.IO.Visibility().Weights != quant.VisibilityFixed
	fp := fixedpoint.New(api, fpOptions(m, witness, c.fpOpts)...)
	dense := func(d *quant.Dense, w linear.Weights, x []frontend.Variable) []frontend.Variable {
		if witness {
			return linear.DenseWitness(api, fp, d, w, x)
		}
		return linear.Dense(api, fp, d, x)
	}
	y := make([][]frontend.Variable, len(c.IO.X))
	for t, x := range c.IO.X {
		h := dense(&m.FC, c.W.FC, x)
		y[t] = fp.ResidualAdd(x, dense(&m.Proj, c.W.Proj, h))
	}
	if witness {
		h, elems, err := weights.Commit(api, fp, m, &c.W)
		if err != nil {
			return fmt.Errorf("ffn: %w", err)
		}
		if err := c.IO.BindModel(api, h, elems); err != nil {
			return fmt.Errorf("ffn: %w", err)
		}
	}
	return c.IO.Bind(api, fp, y)
}

// fpOptions puts the model's clamp-table plan before the caller's options.
// With witness weights there is no plan: it is computed from the weights'
// actual bounds, and the circuit must not depend on them.
func fpOptions(m *quant.Model, witness bool, opts []fixedpoint.Option) []fixedpoint.Option {
	if witness {
		return opts
	}
	return append([]fixedpoint.Option{fixedpoint.WithPlan(Plan(m))}, opts...)
}
