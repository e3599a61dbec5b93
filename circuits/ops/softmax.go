package ops

import (
	"math/bits"

	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/attention"
	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Softmax constrains ops.QSoftmax: circuits/attention's Softmax on every row
// of the last axis (hinted max pinned by the exp table's domain and a zero
// product, exp lookups in the circuit's table of the input's fraction, the
// floor division), then one requantization of each 12-bit probability to
// int8 at frac 7, clamped to [0, 127].
type Softmax struct{}

func init() { gadget.Register("softmax", Softmax{}) }

const softmaxShift = quant.ProbFrac - ops.SoftmaxFrac

func softmaxBits() int { return fixedpoint.QuotientBits(1<<quant.ProbFrac, 1, softmaxShift) }

func (Softmax) Tables(op quant.Op) [][]int64 { return [][]int64{op.(*ops.QSoftmax).ExpTable()} }

func (Softmax) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	q, err := opAs[*ops.QSoftmax](op)
	if err != nil {
		return nil, err
	}
	t := c.PackedTable(q.ExpTable())
	_, d := quant.Rows(out[0].Shape)
	x := in[0].V
	y := make([]frontend.Variable, 0, len(x))
	bits := softmaxBits()
	for r := 0; r+d <= len(x); r += d {
		for _, p := range attention.Softmax(c.API, c.FP, t, x[r:r+d]) {
			y = append(y, c.FP.Requantize(p, 1, softmaxShift, 0, quant.Int8Max, bits))
		}
	}
	return one(y), nil
}

// Sites: the final requantization's clamp, and the division's range checks
// (the quotient's ProbFrac+1 bits, twice the denominator's bits) as range
// sites, so that the circuit's range-check base suits them: measured at
// 64×64, 30 % fewer R1CS and 38 % fewer PLONK constraints than planning the
// requantization alone.
func (Softmax) Sites(_ quant.Op, _, out []quant.Value) []fixedpoint.Site {
	n := out[0].Size()
	_, d := quant.Rows(out[0].Shape)
	denBits := quant.ExpBits + 1 + bits.Len(uint(d))
	return []fixedpoint.Site{
		{Lo: 0, Hi: quant.Int8Max, Bits: softmaxBits(), Shift: softmaxShift, Count: n},
		rangeSite(uint(denBits), 2*n), rangeSite(quant.ProbFrac+1, n),
	}
}
