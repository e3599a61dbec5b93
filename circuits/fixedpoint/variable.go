package fixedpoint

import (
	"math/big"

	"github.com/consensys/gnark/frontend"

	"github.com/zkinfer/zkinfer/quant"
)

// RequantizeVar is Requantize with a witness multiplier (hashed and public
// weights): clamp(floor((acc·mult + 2^(shift-1)) / 2^shift), lo, hi). The
// product acc·mult costs one constraint; mult must be range-checked by the
// caller to [0, MaxMultiplier). qBits must bound the unclamped quotient for
// every multiplier the range check admits (WorstQuotientBits).
func (g *Gadget) RequantizeVar(acc, mult frontend.Variable, shift uint, lo, hi int64, qBits int) frontend.Variable {
	return g.Clamp(g.quotientVar(acc, mult, shift), lo, hi, qBits)
}

// RequantizeAddVar is RequantizeAdd with a witness multiplier (as
// RequantizeVar): clamp(floor((acc·mult + 2^(shift-1)) / 2^shift) + x, lo,
// hi), x constrained int8 by the caller; bits must bound the unclamped sum
// for every multiplier the range check admits (WorstResidualQuotientBits).
func (g *Gadget) RequantizeAddVar(acc, mult frontend.Variable, shift uint, x frontend.Variable, lo, hi int64, bits int) frontend.Variable {
	return g.Clamp(g.api.Add(g.quotientVar(acc, mult, shift), x), lo, hi, bits)
}

// quotientVar is quotient with a witness multiplier; the caller must bound
// q (a clamp).
func (g *Gadget) quotientVar(acc, mult frontend.Variable, shift uint) frontend.Variable {
	api := g.api
	p := api.Add(api.Mul(acc, mult), quant.RoundingTerm(shift))
	q := p
	if shift > 0 {
		res, err := api.Compiler().NewHint(DivPow2Hint, 1, p, shift)
		if err != nil {
			panic(err)
		}
		q = res[0]
		// Pins q: the remainder is in [0, 2^shift), and the clamp bounds q
		// (padded to whole limbs as in Requantize under WithLogChecker).
		r := api.Sub(p, api.Mul(q, new(big.Int).Lsh(big.NewInt(1), shift)))
		if g.log {
			g.checkRemainder(r, int(shift))
		} else {
			g.rc.Check(r, int(shift))
		}
	}
	return q
}

// WorstQuotientBits is QuotientBits for the largest multiplier a
// requantization may carry (quant.MaxMultiplier − 1): the bound a circuit
// uses when the multiplier is a witness, so it does not depend on the weights.
func WorstQuotientBits(accBound int64, shift uint) int {
	return QuotientBits(accBound, quant.MaxMultiplier-1, shift)
}

// WorstResidualQuotientBits is ResidualQuotientBits for the largest
// multiplier a requantization may carry (see WorstQuotientBits).
func WorstResidualQuotientBits(accBound int64, shift uint) int {
	return ResidualQuotientBits(accBound, quant.MaxMultiplier-1, shift)
}
