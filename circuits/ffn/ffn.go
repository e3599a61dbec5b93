// Package ffn is the circuit of a transformer feed-forward block with
// constant (fixed) weights.
package ffn

import (
	"fmt"

	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/linear"
	"github.com/zkinfer/zkinfer/quant"
)

// Circuit proves y = clamp(x + requant(W2ᵀ·relu(requant(W1ᵀ·x + b1)) + b2))
// for every token of the sequence, with the integers of a quant.Model as constants.
type Circuit struct {
	// X is the int8 input, seq × d_model.
	X [][]frontend.Variable `gnark:",public"`
	// Y is the int8 output, seq × d_model.
	Y [][]frontend.Variable `gnark:",public"`

	model *quant.Model
}

// New returns a circuit for m with its variables allocated, ready to compile.
func New(m *quant.Model) *Circuit {
	c := &Circuit{model: m}
	c.X = alloc(m.Config.SeqLen, m.Config.DModel)
	c.Y = alloc(m.Config.SeqLen, m.Config.DModel)
	return c
}

// Assignment returns the witness for one trace of the reference forward pass.
func Assignment(tr *quant.Trace) *Circuit {
	return &Circuit{X: toVars(tr.X), Y: toVars(tr.Y)}
}

// Define constrains the relation above; X is range-checked to int8, so the
// circuit accepts exactly the inputs the reference accepts.
func (c *Circuit) Define(api frontend.API) error {
	if c.model == nil {
		return fmt.Errorf("ffn: circuit has no model (build it with ffn.New)")
	}
	m := c.model
	fp := fixedpoint.New(api)
	for t := range c.X {
		for _, v := range c.X[t] {
			fp.AssertInt8(v)
		}
		h := linear.Dense(api, fp, &m.FC, c.X[t])
		p := linear.Dense(api, fp, &m.Proj, h)
		for i := range p {
			// x + p ∈ [-256, 254]: its distance to either bound is below 2^9.
			y := fp.Clamp(api.Add(c.X[t][i], p[i]), quant.Int8Min, quant.Int8Max, 9)
			api.AssertIsEqual(c.Y[t][i], y)
		}
	}
	return nil
}

func alloc(rows, cols int) [][]frontend.Variable {
	out := make([][]frontend.Variable, rows)
	for i := range out {
		out[i] = make([]frontend.Variable, cols)
	}
	return out
}

func toVars(v [][]int64) [][]frontend.Variable {
	out := make([][]frontend.Variable, len(v))
	for i, row := range v {
		out[i] = make([]frontend.Variable, len(row))
		for j, x := range row {
			out[i][j] = x
		}
	}
	return out
}
