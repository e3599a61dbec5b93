package ops

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// PRelu constrains ops.QPRelu: per value x (int8, bounded by its
// producer) a hinted bit s (NegativeHint) with s·(s − 1) = 0 and
// x + 128·s ∈ [0, 2^7), which forces s = [x < 0]; then
// acc = x·(2^Shift + s·(A − 2^Shift)) and y = Requantize(acc, Shift) into
// int8 (for x ≥ 0 that is x itself).
type PRelu struct{}

func init() {
	gadget.Register("prelu", PRelu{})
	solver.RegisterHint(NegativeHint)
}

// NegativeHint returns 1 for a negative (signed) input, else 0.
func NegativeHint(field *big.Int, inputs, outputs []*big.Int) error {
	if len(inputs) != 1 || len(outputs) != 1 {
		return fmt.Errorf("NegativeHint: want one input and one output")
	}
	half := new(big.Int).Rsh(field, 1)
	outputs[0].SetInt64(0)
	if inputs[0].Cmp(half) > 0 {
		outputs[0].SetInt64(1)
	}
	return nil
}

func preluBits(q *ops.QPRelu) int {
	return fixedpoint.QuotientBits(int64(-quant.Int8Min)<<16, 1, q.Shift)
}

func (PRelu) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	q, err := opAs[*ops.QPRelu](op)
	if err != nil {
		return nil, err
	}
	api := c.API
	a := q.Slopes(in[0].Value.Shape)
	one2s := int64(1) << q.Shift
	bits := preluBits(q)
	y := make([]frontend.Variable, len(in[0].V))
	for i, x := range in[0].V {
		res, err := api.Compiler().NewHint(NegativeHint, 1, x)
		if err != nil {
			return nil, err
		}
		s := res[0]
		api.AssertIsBoolean(s)
		c.FP.Check(api.Add(x, api.Mul(s, -quant.Int8Min)), 7)
		m := api.Add(one2s, api.Mul(s, a[i]-one2s))
		y[i] = c.FP.Requantize(api.Mul(x, m), 1, q.Shift, quant.Int8Min, quant.Int8Max, bits)
	}
	return one(y), nil
}

func (PRelu) Sites(op quant.Op, in, out []quant.Value) []fixedpoint.Site {
	q := op.(*ops.QPRelu)
	n := in[0].Size()
	return []fixedpoint.Site{rangeSite(7, n), {Lo: quant.Int8Min, Hi: quant.Int8Max, Bits: preluBits(q), Shift: q.Shift, Count: n}}
}
