// Package ffn is the circuit of a transformer feed-forward block with
// constant (fixed) weights.
package ffn

import (
	"fmt"

	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/linear"
	"github.com/zkinfer/zkinfer/circuits/modelio"
	"github.com/zkinfer/zkinfer/quant"
)

// Circuit proves y = clamp(x + requant(W2ᵀ·relu(requant(W1ᵀ·x + b1)) + b2))
// for every token of the sequence, with the integers of a quant.Model as
// constants. The input x and the output y are exposed as modelio says.
type Circuit struct {
	IO modelio.IO

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
	return &Circuit{IO: io, model: m, fpOpts: opts}, nil
}

// Assignment returns the witness for one trace of the reference forward
// pass; salts serve private input or output.
func Assignment(m *quant.Model, tr *quant.Trace, v quant.Visibility, salts modelio.Salts) (*Circuit, error) {
	io, err := modelio.Assign(m, tr, v, salts)
	if err != nil {
		return nil, fmt.Errorf("ffn: %w", err)
	}
	return &Circuit{IO: io}, nil
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
	fp := fixedpoint.New(api, append([]fixedpoint.Option{fixedpoint.WithPlan(Plan(m))}, c.fpOpts...)...)
	y := make([][]frontend.Variable, len(c.IO.X))
	for t, x := range c.IO.X {
		h := linear.Dense(api, fp, &m.FC, x)
		y[t] = fp.ResidualAdd(x, linear.Dense(api, fp, &m.Proj, h))
	}
	return c.IO.Bind(api, fp, y)
}
