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
// int8 at frac 7, clamped to [0, 127]. Under ops.QSoftmax.Recip each row is
// circuits/attention's SoftmaxRecip at frac 7 instead (one reciprocal per
// row, a product, a remainder and a bound per value; no requantization).
type Softmax struct{}

func init() { gadget.Register("softmax", Softmax{}) }

const softmaxShift = quant.ProbFrac - ops.SoftmaxFrac

func softmaxBits() int { return fixedpoint.QuotientBits(1<<quant.ProbFrac, 1, softmaxShift) }

// Tables: the exp table, for the estimate's fixed cost of a lookup table;
// none under Recip, whose estimate (as masked softmax's and attention's)
// counts the packed table's entries alone: its fixed cost is not
// logderivlookup's (measured on the zoo's 4×16 softmax, the estimate was
// 21 % high with it).
func (Softmax) Tables(op quant.Op) [][]int64 {
	if q := op.(*ops.QSoftmax); !q.Recip {
		return [][]int64{q.ExpTable()}
	}
	return nil
}

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
		if q.Recip {
			y = append(y, attention.SoftmaxRecip(c.API, c.FP, t, x[r:r+d], ops.SoftmaxFrac)...)
			continue
		}
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
func (Softmax) Sites(op quant.Op, _, out []quant.Value) []fixedpoint.Site {
	n := out[0].Size()
	_, d := quant.Rows(out[0].Shape)
	if q, ok := op.(*ops.QSoftmax); ok && q.Recip {
		return recipSites(d, n/max(d, 1), ops.SoftmaxFrac)
	}
	denBits := quant.ExpBits + 1 + bits.Len(uint(d))
	return []fixedpoint.Site{
		{Lo: 0, Hi: quant.Int8Max, Bits: softmaxBits(), Shift: softmaxShift, Count: n},
		rangeSite(uint(denBits), 2*n), rangeSite(quant.ProbFrac+1, n),
	}
}

// recipSites are the range checks of `rows` recip softmax rows of n values
// at frac (attention.SoftmaxRecip): per value the t-bit remainder and the
// output's bound, per row R's bound and the division's two remainders.
func recipSites(n, rows, frac int) []fixedpoint.Site {
	if rows == 0 || n == 0 {
		return nil
	}
	rb, db := quant.RecipBits(n, frac)
	return []fixedpoint.Site{
		rangeSite(quant.RecipShift(n), rows*n), rangeSite(uint(frac), rows*n),
		rangeSite(uint(rb), rows), rangeSite(uint(db), 2*rows),
	}
}
