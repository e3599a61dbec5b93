package ops

import (
	"math/big"
	"math/bits"

	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/attention"
	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/circuits/matmul"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// Attention constrains ops.QAttention as circuits/attention constrains
// gpt2's attention, whose pieces it reuses: per kv head, the rows of its
// query heads stacked, S = Q·Kᵀ through circuits/matmul (the randomized
// check when cheaper; a row's scores up to its last computed position,
// WithCols), one requantization per computed logit (constant logits are
// constants), attention.Softmax per row (hinted max pinned by the exp
// table's domain and a zero product, lookups in the circuit's 2^LogitBits
// exp table, the floor division), P·V through circuits/matmul (rows of P
// of the row's positions), one requantization per output. Stacking the
// query heads of a kv head makes GQA/MQA share the products' per-key work
// (the randomized check's u_e are computed once per kv head). No new hint.
// Under ops.QAttention.Recip a row's softmax is attention.SoftmaxRecip at
// frac 12 (one reciprocal per row, then a product, a remainder and a bound
// per position) instead of the division per position.
type Attention struct{}

func init() { gadget.Register("attention", Attention{}) }

// attentionBits returns the quotient bits of the logit and output
// requantizations. fixedpoint.QuotientBits allows for int8 bounds (the
// distance to the farthest bound: 130); the logits' bounds are
// ±2^(LogitBits−1), so their bits allow for 2 − lo more. (With the int8
// margin, a logit requantization whose largest quotient is below about
// 2^(LogitBits−1)·3/4 — a small calibrated logit multiplier — left the
// honest prover unable to clamp a logit near 0.)
func attentionBits(q *ops.QAttention, s int) (logit, out int) {
	lo, _ := quant.GPT2Formats{LogitBits: q.LogitBits}.LogitRange()
	maxQ := new(big.Int).Mul(big.NewInt(q.LogitAccBound()), big.NewInt(q.Logit.Mult))
	maxQ.Add(maxQ, big.NewInt(quant.RoundingTerm(q.Logit.Shift)))
	maxQ.Rsh(maxQ, q.Logit.Shift)
	maxQ.Add(maxQ, big.NewInt(2-lo))
	return max(maxQ.BitLen(), fixedpoint.QuotientBits(q.LogitAccBound(), q.Logit.Mult, q.Logit.Shift)),
		fixedpoint.QuotientBits(q.OutAccBound(s), q.Out.Mult, q.Out.Shift)
}

func (Attention) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	q, err := opAs[*ops.QAttention](op)
	if err != nil {
		return nil, err
	}
	t, s, h, hkv, dh, err := q.Dims([]quant.Value{in[0].Value, in[1].Value, in[2].Value})
	if err != nil {
		return nil, err
	}
	api, fp := c.API, c.FP
	table := c.PackedTable(q.ExpTable())
	lo, hi := quant.GPT2Formats{LogitBits: q.LogitBits}.LogitRange()
	logitBits, outBits := attentionBits(q, s)
	rep := h / hkv
	y := make([]frontend.Variable, out[0].Size())
	for g := 0; g < hkv; g++ {
		// Kᵀ (dh × S) and V (S × dh) of kv head g.
		kt, v := make([][]frontend.Variable, dh), make([][]frontend.Variable, s)
		for e := range kt {
			kt[e] = make([]frontend.Variable, s)
			for j := range kt[e] {
				kt[e][j] = in[1].V[j*hkv*dh+g*dh+e]
			}
		}
		for j := range v {
			v[j] = in[2].V[j*hkv*dh+g*dh : j*hkv*dh+(g+1)*dh]
		}
		// The rows of its query heads, head by head.
		qs := make([][]frontend.Variable, 0, rep*t)
		scoreCols := make([]int, 0, rep*t)
		for r := 0; r < rep; r++ {
			hd := g*rep + r
			for i := 0; i < t; i++ {
				qs = append(qs, in[0].V[i*h*dh+hd*dh:i*h*dh+(hd+1)*dh])
				scoreCols = append(scoreCols, q.ScoreCols(i, s))
			}
		}
		scores := matmul.Mul(api, qs, kt, matmul.WithCols(scoreCols), matmul.WithMode(c.Products))
		probs := make([][]frontend.Variable, len(qs))
		for row := range qs {
			i := row % t
			logits := make([]frontend.Variable, q.Cols(i, s))
			for j := range logits {
				m, b := q.Position(i, j, s)
				if m == ops.AttnConst {
					logits[j] = b
					continue
				}
				acc := scores[row][j]
				if b != 0 {
					acc = api.Add(acc, b)
				}
				logits[j] = fp.Requantize(acc, q.Logit.Mult, q.Logit.Shift, lo, hi, logitBits)
			}
			if q.Recip {
				probs[row] = attention.SoftmaxRecip(api, fp, table, logits, quant.ProbFrac)
			} else {
				probs[row] = attention.Softmax(api, fp, table, logits)
			}
		}
		o := matmul.Mul(api, probs, v, matmul.WithMode(c.Products))
		for row := range o {
			hd, i := g*rep+row/t, row%t
			for e := range o[row] {
				y[i*h*dh+hd*dh+e] = fp.Requantize(o[row][e], q.Out.Mult, q.Out.Shift, quant.Int8Min, quant.Int8Max, outBits)
			}
		}
	}
	return one(y), nil
}

// Sites: the logit and output requantizations' clamps, and the softmax
// division's range checks (as Softmax's).
func (Attention) Sites(op quant.Op, in, out []quant.Value) []fixedpoint.Site {
	q := op.(*ops.QAttention)
	t, s, h, _, _, err := q.Dims(in)
	if err != nil {
		return nil
	}
	lo, hi := quant.GPT2Formats{LogitBits: q.LogitBits}.LogitRange()
	logitBits, outBits := attentionBits(q, s)
	computed, positions := 0, 0
	for i := 0; i < t; i++ {
		c := q.Cols(i, s)
		positions += c
		for j := 0; j < c; j++ {
			if m, _ := q.Position(i, j, s); m == ops.AttnComputed {
				computed++
			}
		}
	}
	sites := []fixedpoint.Site{
		{Lo: lo, Hi: hi, Bits: logitBits, Shift: q.Logit.Shift, Count: h * computed},
		{Lo: quant.Int8Min, Hi: quant.Int8Max, Bits: outBits, Shift: q.Out.Shift, Count: out[0].Size()},
	}
	if q.Recip {
		for i := 0; i < t; i++ {
			sites = append(sites, recipSites(q.Cols(i, s), h, quant.ProbFrac)...)
		}
		return sites
	}
	denBits := quant.ExpBits + 1 + bits.Len(uint(s))
	return append(sites, rangeSite(uint(denBits), 2*h*positions), rangeSite(quant.ProbFrac+1, h*positions))
}
