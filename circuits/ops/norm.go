package ops

import (
	"math/big"

	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/circuits/gadget"
	"github.com/zkinfer/zkinfer/circuits/norm"
	"github.com/zkinfer/zkinfer/quant"
	"github.com/zkinfer/zkinfer/quant/ops"
)

// LayerNorm constrains ops.QLayerNorm: circuits/norm's LayerNorm on every
// row of the last axis (norm.LayerNormWitness under witness weights, with
// β rebuilt from its two int32 limbs and range-checked by norm.CheckWeights).
type LayerNorm struct{}

// RMSNorm constrains ops.QRMSNorm: LayerNorm's gadget without the mean,
// c_i = d·x_i, V = Σc_i² + ε, r = norm.Rsqrt(V) (the same hint and pinning
// constraints), out_i = requant(c_i·r·γ_i).
type RMSNorm struct{}

func init() {
	gadget.Register("layernorm", LayerNorm{})
	gadget.Register("rmsnorm", RMSNorm{})
}

func (LayerNorm) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	q, err := opAs[*ops.QLayerNorm](op)
	if err != nil {
		return nil, err
	}
	ln := &q.LayerNorm
	var w norm.Weights
	switch {
	case c.W != nil && c.LegacyWeights:
		// γ, β whole, [mult], range-checked by the caller (circuits/weights).
		w = norm.Weights{Gamma: c.W[0], Beta: c.W[1], Mult: c.W[2][0]}
	case c.W != nil:
		w = norm.Weights{Mult: c.W[3][0], Gamma: c.W[0], Beta: make([]frontend.Variable, ln.D)}
		for i := range w.Beta {
			w.Beta[i] = c.API.Add(c.API.Mul(c.W[1][i], new(big.Int).Lsh(big.NewInt(1), ops.BetaSplit)), c.W[2][i])
		}
		norm.CheckWeights(c.API, c.FP, ln, w)
	}
	x := in[0].V
	y := make([]frontend.Variable, 0, len(x))
	for r := 0; r+ln.D <= len(x); r += ln.D {
		if c.W != nil {
			y = append(y, norm.LayerNormWitness(c.API, c.FP, ln, w, x[r:r+ln.D])...)
			continue
		}
		y = append(y, norm.LayerNorm(c.API, c.FP, ln, x[r:r+ln.D])...)
	}
	return one(y), nil
}

// WitnessWeights: γ, β and the multiplier may be witnesses.
func (LayerNorm) WitnessWeights() {}

func (LayerNorm) Sites(op quant.Op, _, out []quant.Value) []fixedpoint.Site {
	q := op.(*ops.QLayerNorm)
	return norm.Sites(&q.LayerNorm, out[0].Size()/q.D)
}

func rmsBits(q *ops.QRMSNorm) int {
	return fixedpoint.QuotientBits(q.LayerNorm().AccBound(), q.Mult, q.Shift)
}

// rmsWorstBits bounds the requantization for every admitted γ and multiplier.
func rmsWorstBits(q *ops.QRMSNorm) int {
	return fixedpoint.WorstQuotientBits(int64(-quant.Int8Min)<<q.K, q.Shift)
}

func (RMSNorm) Define(c *gadget.Ctx, op quant.Op, in []gadget.Tensor, out []quant.Value) ([][]frontend.Variable, error) {
	q, err := opAs[*ops.QRMSNorm](op)
	if err != nil {
		return nil, err
	}
	api, d := c.API, q.D
	x := in[0].V
	y := make([]frontend.Variable, 0, len(x))
	for r := 0; r+d <= len(x); r += d {
		row := x[r : r+d]
		cs := make([]frontend.Variable, d)
		sq := make([]frontend.Variable, d)
		for i := range row {
			cs[i] = api.Mul(row[i], d)
			sq[i] = api.Mul(cs[i], cs[i])
		}
		v := api.Add(q.Eps, 0, sq...)
		rs := norm.Rsqrt(api, c.FP, v, q.K, norm.VBound(d))
		for i := range row {
			z := api.Mul(cs[i], rs)
			if c.W != nil {
				y = append(y, c.FP.RequantizeVar(api.Mul(z, c.W[0][i]), c.W[1][0], q.Shift, quant.Int8Min, quant.Int8Max, rmsWorstBits(q)))
				continue
			}
			y = append(y, c.FP.Requantize(api.Mul(z, q.Gamma[i]), q.Mult, q.Shift, quant.Int8Min, quant.Int8Max, rmsBits(q)))
		}
	}
	return one(y), nil
}

// WitnessWeights: γ and the multiplier may be witnesses.
func (RMSNorm) WitnessWeights() {}

func (RMSNorm) Sites(op quant.Op, _, out []quant.Value) []fixedpoint.Site {
	q := op.(*ops.QRMSNorm)
	return []fixedpoint.Site{{Lo: quant.Int8Min, Hi: quant.Int8Max, Bits: rmsBits(q), Shift: q.Shift, Count: out[0].Size()}}
}
