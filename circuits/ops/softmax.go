package ops

import (
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

func (Softmax) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	q, err := opAs[*ops.QSoftmax](op)
	if err != nil {
		return nil, err
	}
	t := c.Table(q.ExpTable())
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

func (Softmax) Sites(_ quant.Op, _, out []quant.Value) []fixedpoint.Site {
	return []fixedpoint.Site{{Lo: 0, Hi: quant.Int8Max, Bits: softmaxBits(), Shift: softmaxShift, Count: out[0].Size()}}
}
