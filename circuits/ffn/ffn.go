// Package ffn is the circuit of a transformer feed-forward block with
// constant (fixed) weights.
package ffn

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/linear"
	"github.com/zkinfer/zkinfer/quant"
)

// Circuit proves y = clamp(x + requant(W2ᵀ·relu(requant(W1ᵀ·x + b1)) + b2))
// for every token of the sequence, with the integers of a quant.Model as
// constants. The input x and the output y are public, packed 31 int8 values
// per field element (quant.PackInt8).
type Circuit struct {
	// Input is x (seq × d_model, row-major) packed by quant.PackInt8.
	Input []frontend.Variable `gnark:",public"`
	// Output is y packed the same way.
	Output []frontend.Variable `gnark:",public"`
	// X is the unpacked input, one int8 per variable.
	X [][]frontend.Variable

	model  *quant.Model
	fpOpts []fixedpoint.Option
}

// New returns a circuit for m with its variables allocated, ready to compile.
// opts choose the range-check strategy of the fixed-point gadgets.
func New(m *quant.Model, opts ...fixedpoint.Option) *Circuit {
	c := &Circuit{model: m, fpOpts: opts}
	n := packedLen(m.Config.SeqLen * m.Config.DModel)
	c.Input = make([]frontend.Variable, n)
	c.Output = make([]frontend.Variable, n)
	c.X = make([][]frontend.Variable, m.Config.SeqLen)
	for i := range c.X {
		c.X[i] = make([]frontend.Variable, m.Config.DModel)
	}
	return c
}

func packedLen(n int) int { return (n + quant.PackedPerElement - 1) / quant.PackedPerElement }

// Assignment returns the witness for one trace of the reference forward pass.
func Assignment(tr *quant.Trace) (*Circuit, error) {
	in, err := quant.PackInt8(quant.Flatten(tr.X))
	if err != nil {
		return nil, fmt.Errorf("ffn: input: %w", err)
	}
	out, err := quant.PackInt8(quant.Flatten(tr.Y))
	if err != nil {
		return nil, fmt.Errorf("ffn: output: %w", err)
	}
	c := &Circuit{Input: toVars(in), Output: toVars(out), X: make([][]frontend.Variable, len(tr.X))}
	for t, row := range tr.X {
		c.X[t] = make([]frontend.Variable, len(row))
		for i, v := range row {
			c.X[t][i] = v
		}
	}
	return c, nil
}

// Define constrains the relation above. Every x is range-checked to int8, so
// the packing is injective and the circuit accepts exactly the inputs the
// reference accepts; every y is a clamp output, int8 by construction.
func (c *Circuit) Define(api frontend.API) error {
	if c.model == nil {
		return fmt.Errorf("ffn: circuit has no model (build it with ffn.New)")
	}
	m := c.model
	fp := fixedpoint.New(api, c.fpOpts...)
	var xs, ys []frontend.Variable
	for t := range c.X {
		for _, v := range c.X[t] {
			fp.AssertInt8(v)
		}
		xs = append(xs, c.X[t]...)
		h := linear.Dense(api, fp, &m.FC, c.X[t])
		p := linear.Dense(api, fp, &m.Proj, h)
		for i := range p {
			// x + p ∈ [-256, 254]: its distance to either bound is below 2^9.
			ys = append(ys, fp.Clamp(api.Add(c.X[t][i], p[i]), quant.Int8Min, quant.Int8Max, 9))
		}
	}
	if err := assertPacked(api, c.Input, xs); err != nil {
		return err
	}
	return assertPacked(api, c.Output, ys)
}

// assertPacked checks packed = quant.PackInt8(values) for int8 values.
func assertPacked(api frontend.API, packed, values []frontend.Variable) error {
	if len(packed) != packedLen(len(values)) {
		return fmt.Errorf("ffn: %d packed elements for %d values", len(packed), len(values))
	}
	for k := range packed {
		start, end := k*quant.PackedPerElement, min((k+1)*quant.PackedPerElement, len(values))
		terms := make([]frontend.Variable, 0, end-start+1)
		var offset big.Int
		for i := start; i < end; i++ {
			w := new(big.Int).Lsh(big.NewInt(1), uint(8*(i-start)))
			terms = append(terms, api.Mul(values[i], w))
			offset.Add(&offset, new(big.Int).Mul(w, big.NewInt(-quant.Int8Min)))
		}
		terms = append(terms, &offset)
		sum := terms[0]
		if len(terms) > 1 {
			sum = api.Add(terms[0], terms[1], terms[2:]...)
		}
		api.AssertIsEqual(packed[k], sum)
	}
	return nil
}

func toVars(v []*big.Int) []frontend.Variable {
	out := make([]frontend.Variable, len(v))
	for i, x := range v {
		out[i] = x
	}
	return out
}
