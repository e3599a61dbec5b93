// Package gpt2 is the circuit of a stack of GPT-2 decoder blocks with
// constant (fixed) weights.
package gpt2

import (
	"fmt"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/lookup/logderivlookup"

	"github.com/zkinfer/zkinfer/circuits/activation"
	"github.com/zkinfer/zkinfer/circuits/attention"
	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/linear"
	"github.com/zkinfer/zkinfer/circuits/norm"
	"github.com/zkinfer/zkinfer/quant"
)

// Circuit proves that the gpt2 model's integer forward pass maps the input to
// the output: for every block, h = x + Attn(LN1(x)) and y = h + MLP(LN2(h))
// with saturating residual adds, then ln_f when the model has it. Input and
// output are public, packed 31 int8 values per field element.
type Circuit struct {
	Input  []frontend.Variable `gnark:",public"`
	Output []frontend.Variable `gnark:",public"`
	// X is the unpacked input, seq × d_model int8.
	X [][]frontend.Variable

	model *quant.Model
}

// New returns the circuit of m with its variables allocated.
func New(m *quant.Model) *Circuit {
	c := &Circuit{model: m}
	n := (m.Config.SeqLen*m.Config.DModel + quant.PackedPerElement - 1) / quant.PackedPerElement
	c.Input, c.Output = make([]frontend.Variable, n), make([]frontend.Variable, n)
	c.X = make([][]frontend.Variable, m.Config.SeqLen)
	for i := range c.X {
		c.X[i] = make([]frontend.Variable, m.Config.DModel)
	}
	return c
}

// Assignment returns the witness for one trace of the reference.
func Assignment(tr *quant.Trace) (*Circuit, error) {
	in, err := quant.PackInt8(quant.Flatten(tr.X))
	if err != nil {
		return nil, fmt.Errorf("gpt2: input: %w", err)
	}
	out, err := quant.PackInt8(quant.Flatten(tr.Y))
	if err != nil {
		return nil, fmt.Errorf("gpt2: output: %w", err)
	}
	c := &Circuit{Input: vars(in), Output: vars(out)}
	for _, row := range tr.X {
		r := make([]frontend.Variable, len(row))
		for i, v := range row {
			r[i] = v
		}
		c.X = append(c.X, r)
	}
	return c, nil
}

func vars[T any](v []T) []frontend.Variable {
	out := make([]frontend.Variable, len(v))
	for i, x := range v {
		out[i] = x
	}
	return out
}

// Define constrains the relation above.
func (c *Circuit) Define(api frontend.API) error {
	m := c.model
	if m == nil || m.Scales.GPT2 == nil {
		return fmt.Errorf("gpt2: circuit has no gpt2 model (build it with gpt2.New)")
	}
	fp := fixedpoint.New(api)
	exp := fixedpoint.NewTable(api, m.ExpTable)
	gelu := fixedpoint.NewTable(api, m.GELUTable)
	var xs []frontend.Variable
	for _, row := range c.X {
		for _, v := range row {
			fp.AssertInt8(v)
		}
		xs = append(xs, row...)
	}
	cur := c.X
	for l := range m.Blocks {
		cur = Block(api, fp, exp, gelu, m, &m.Blocks[l], cur)
	}
	var ys []frontend.Variable
	for _, row := range cur {
		if m.LNF != nil {
			row = norm.LayerNorm(api, fp, m.LNF, row)
		}
		ys = append(ys, row...)
	}
	if err := fixedpoint.AssertPackedInt8(api, c.Input, xs); err != nil {
		return err
	}
	return fixedpoint.AssertPackedInt8(api, c.Output, ys)
}

// Block constrains one decoder block on int8 rows x.
func Block(api frontend.API, fp *fixedpoint.Gadget, exp, gelu logderivlookup.Table, m *quant.Model, b *quant.Block, x [][]frontend.Variable) [][]frontend.Variable {
	qkv := make([][]frontend.Variable, len(x))
	for i, row := range x {
		qkv[i] = linear.Dense(api, fp, &b.QKV, norm.LayerNorm(api, fp, &b.LN1, row))
	}
	attn := attention.Attention(api, fp, exp, attention.Params{NHead: m.Config.NHead, Logit: b.Logit, AttnOut: b.AttnOut, Formats: m.Scales.GPT2.Formats}, qkv)
	y := make([][]frontend.Variable, len(x))
	for i, row := range x {
		h := residual(api, fp, row, linear.Dense(api, fp, &b.AttnProj, attn[i]))
		g := activation.GELU(api, gelu, linear.Dense(api, fp, &b.FC, norm.LayerNorm(api, fp, &b.LN2, h)))
		y[i] = residual(api, fp, h, linear.Dense(api, fp, &b.Proj, g))
	}
	return y
}

// residual is the saturating int8 add of two int8 rows.
func residual(api frontend.API, fp *fixedpoint.Gadget, a, b []frontend.Variable) []frontend.Variable {
	out := make([]frontend.Variable, len(a))
	for i := range a {
		// a + b ∈ [-256, 254]: its distance to either bound is below 2^9.
		out[i] = fp.Clamp(api.Add(a[i], b[i]), quant.Int8Min, quant.Int8Max, 9)
	}
	return out
}
