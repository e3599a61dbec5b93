package norm

import (
	"math/big"

	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/circuits/fixedpoint"
	"github.com/zkinfer/zkinfer/quant"
)

// Weights are the LayerNorm parameters held as private witnesses (hashed
// and public weight visibility): Gamma (int8 in [−127, 127]), Beta (|β| ≤
// 2^(K+10)) and the multiplier. D, K, Eps and Shift stay constants: they
// follow from the architecture and the calibrated formats.
type Weights struct {
	Mult  frontend.Variable
	Gamma []frontend.Variable
	Beta  []frontend.Variable
}

// NewWeights allocates the witness of a LayerNorm shaped like ln.
func NewWeights(ln *quant.LayerNorm) Weights {
	return Weights{Gamma: make([]frontend.Variable, ln.D), Beta: make([]frontend.Variable, ln.D)}
}

// AssignWeights returns ln's parameters as a witness.
func AssignWeights(ln *quant.LayerNorm) Weights {
	w := Weights{Mult: ln.Mult, Gamma: make([]frontend.Variable, ln.D), Beta: make([]frontend.Variable, ln.D)}
	for i := range ln.Gamma {
		w.Gamma[i], w.Beta[i] = ln.Gamma[i], ln.Beta[i]
	}
	return w
}

// CheckWeights range-checks the parameters exactly as
// quant.LayerNorm.Validate admits them: −127 ≤ γ ≤ 127, |β| ≤ 2^(K+10),
// 0 ≤ mult < quant.MaxMultiplier.
func CheckWeights(api frontend.API, fp *fixedpoint.Gadget, ln *quant.LayerNorm, w Weights) {
	bb := new(big.Int).Lsh(big.NewInt(1), ln.K+10)
	for i := range w.Gamma {
		fp.Check(api.Add(w.Gamma[i], quant.Int8Max), 8)
		fp.Check(api.Sub(quant.Int8Max, w.Gamma[i]), 8)
		fp.Check(api.Add(w.Beta[i], bb), int(ln.K)+12)
		fp.Check(api.Sub(bb, w.Beta[i]), int(ln.K)+12)
	}
	fp.Check(w.Mult, 16)
}

// WorstAccBound bounds |z·γ + β| for every admitted γ and β: 127·2^K + 2^(K+10).
func WorstAccBound(k uint) int64 {
	return quant.Int8Max<<k + 1<<(k+10)
}

// LayerNormWitness is LayerNorm with witness parameters w (range-checked by
// CheckWeights); ln gives D, K, Eps and Shift. The requantization bound is
// the worst case, so the circuit is the same for every weight set.
func LayerNormWitness(api frontend.API, fp *fixedpoint.Gadget, ln *quant.LayerNorm, w Weights, x []frontend.Variable) []frontend.Variable {
	d := len(x)
	sum := api.Add(0, 0, x...)
	c := make([]frontend.Variable, d)
	sq := make([]frontend.Variable, d)
	for i := range x {
		c[i] = api.Sub(api.Mul(x[i], d), sum)
		sq[i] = api.Mul(c[i], c[i])
	}
	v := api.Add(ln.Eps, 0, sq...)
	r := Rsqrt(api, fp, v, ln.K, VBound(d))
	bits := fixedpoint.WorstQuotientBits(WorstAccBound(ln.K), ln.Shift)
	out := make([]frontend.Variable, d)
	for i := range x {
		z := api.Mul(c[i], r)
		out[i] = fp.RequantizeVar(api.Add(api.Mul(z, w.Gamma[i]), w.Beta[i]), w.Mult, ln.Shift, quant.Int8Min, quant.Int8Max, bits)
	}
	return out
}
